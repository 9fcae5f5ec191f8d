// An embedded Qdrant store in the archive (qdrant_data/meta.json and a collection's
// storage.sqlite): meta.json of every wrong shape, storage that is not a points table, unsafe
// collection names, entries not listed in the manifest.

import type { RawZipEntry } from '../../support/raw-zip.js';
import { DB, archiveOf, nestedText, randomBytesFrom, type Source, type CaseGenerator } from '../cases.js';

export function embeddedCases(src: Source): CaseGenerator {
  const t = src.token;
  return (rng) => {
    // the embedded store's entries are extracted into a folder by name, and meta.json is parsed
    const [metaLabel, meta] = rng.pick<[string, string | Buffer]>([
      ['valid', '{"collections":{"c":{"vectors":{"size":8,"distance":"Cosine"}}},"aliases":{}}'],
      ['{}', '{}'],
      ['null', 'null'],
      ['[]', '[]'],
      ['collections 5', '{"collections":5}'],
      ['collections []', '{"collections":[]}'],
      ['unsafe collection name', `{"collections":{"../${t}":{}}}`],
      ['escapes in a collection name', '{"collections":{"\\u001b[2J":{}}}'],
      ['aliases 5', '{"collections":{"c":{}},"aliases":5}'],
      ['not JSON', '{"collections":'],
      ['nested 50000 deep', `{"collections":{"c":${nestedText(50_000, 'array')}}}`],
      ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    ]);
    const [storageLabel, storage] = rng.pick<[string, Buffer]>([
      ['a points table', src.storage],
      ['garbage', randomBytesFrom(rng, 4096)],
      ['the memory database (no points table)', src.entries.get(DB)!],
      ['empty', Buffer.alloc(0)],
    ]);
    const collection = rng.pick(['c', 'c', 'other', '...', `${t}`]);
    const listed = rng.chance(0.8);
    const extra: RawZipEntry[] = [
      { name: 'qdrant_data/meta.json', data: Buffer.from(meta) },
      { name: `qdrant_data/collection/${collection}/storage.sqlite`, data: storage },
    ];
    if (rng.chance(0.3)) extra.shift();
    return {
      family: 'embedded',
      label: `embedded store: meta.json ${metaLabel}, ${collection}/storage.sqlite ${storageLabel}${listed ? '' : ', not in the manifest'}`,
      // the embedded store's reader checks meta.json's shape, not what a collection's settings or
      // "aliases" hold (reported to its owner): those variants may pass, as long as safely
      expect:
        ['valid', 'aliases 5', 'nested 50000 deep'].includes(metaLabel) &&
        storageLabel === 'a points table' &&
        collection === 'c' &&
        listed &&
        extra.length === 2
          ? 'either'
          : 'reject',
      data: 'source',
      message: /qdrant_data|not listed/,
      // taken, it is an archive of a store with an embedded Qdrant: not for one that uses a server
      restoreRefusal: /holds an embedded \(local-mode\) vector store/,
      make: () => archiveOf(src, { extra, listExtra: listed }),
    };
  };
}
