// Entry names that escape or confuse the extraction: path traversal, absolute and drive
// paths, backslashes, NUL and escape characters, an empty name, and unsafe names under
// qdrant_data/ (the embedded store's entries are written into a folder by name).

import { buildZip, type RawZipEntry } from '../../support/raw-zip.js';
import { DB, VECTORS, MANIFEST, type Source, type CaseGenerator } from '../cases.js';

export function namesCases(src: Source): CaseGenerator {
  const t = src.token;
  const dangerousNames = [
    `../${t}`,
    `../../${t}`,
    `/tmp/${t}`,
    `/${t}`,
    `a/../../${t}`,
    `C:\\${t}`,
    `C:/${t}`,
    `C:${t}`,
    `..\\${t}`,
    `dir\\${t}`,
    `\\\\server\\share\\${t}`,
    `./${MANIFEST}`,
    `${DB}/../../${t}`,
    `${t}\u0000.txt`,
    `\u001b[2J${t}`,
    `${t}\r\n`,
    `\u009b${t}`,
    '',
    // the embedded store's entries are written into a folder by name: its prefix gets the same treatment
    `qdrant_data/../../${t}`,
    `qdrant_data/collection/../../../${t}/storage.sqlite`,
    `qdrant_data\\collection\\x\\storage.sqlite`,
    `qdrant_data/collection//storage.sqlite`,
    `qdrant_data/collection/${t}\u001b[2J/storage.sqlite`,
  ];
  return (rng) => {
    const name = rng.pick(dangerousNames);
    const replace = rng.pick([null, DB, VECTORS, MANIFEST]);
    return {
      family: 'names',
      label: `${replace ? `${replace} named` : 'extra entry'} ${JSON.stringify(name)}`,
      expect: 'reject',
      data: 'source',
      message: /refusing entry name|an empty entry name|it has no|lists|qdrant_data/,
      make: () => {
        const list: RawZipEntry[] = [DB, VECTORS, MANIFEST].map((n) => ({
          name: n === replace ? name : n,
          data: src.entries.get(n)!,
        }));
        if (!replace) list.push({ name, data: Buffer.from('escaped') });
        return buildZip(list);
      },
    };
  };
}
