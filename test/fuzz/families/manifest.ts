// Manifests with every field of the wrong type (each path, each kind of value), format
// versions this build cannot read, and manifest text that is not UTF-8, not JSON, too big or
// has a key twice.

import { NEWEST_FORMAT_VERSION } from '../../../src/manifest.js';
import type { Rng } from '../../fixtures/prng.js';
import {
  ESCAPES,
  MISSING,
  OTHER_STORE,
  clone,
  setAt,
  archiveOf,
  nestedText,
  pathsOf,
  type FuzzCase,
  type Source,
  type CaseGenerator,
  type Value,
} from '../cases.js';

export function manifestCases(src: Source): CaseGenerator {
  const manifestKinds: Array<(rng: Rng) => FuzzCase> = [
    (rng) => {
      const where = rng.pick([[], ...pathsOf(src.manifest)]);
      const [label, value] = rng.pick<[string, Value]>([
        ['null', null],
        ['0', 0],
        ['-1', -1],
        ['1.5', 1.5],
        ['1e308', 1e308],
        ['2^53', 2 ** 53],
        ['true', true],
        ['""', ''],
        ['"text"', 'text'],
        ['[]', []],
        ['[1,"a"]', [1, 'a']],
        ['{}', {}],
        ['missing', MISSING],
        ['100 kB string', 'm'.repeat(100_000)],
        ['escapes', rng.pick(ESCAPES)],
        ['deep array', '@DEEP@'],
      ]);
      const name = where.length === 0 ? '(whole manifest)' : where.join('.');
      const [first, second, third] = where;
      // refused whatever the value: anything the checks compare with the archive itself
      const mustReject =
        where.length === 0 ||
        first === 'timestamp' ||
        (first === 'config' && where.length === 1) ||
        (first === 'stats' && (where.length === 1 || second === 'sqlite')) ||
        (first === 'entries' && where.length >= 2) ||
        (first === 'format_version' && label !== 'missing') ||
        (first === 'stats' && second === 'qdrant' && third === 'total_vectors' && label !== 'missing');
      const text = (json: string): Buffer => Buffer.from(json.replace('"@DEEP@"', nestedText(10_000, 'array')));
      // another user or agent named: an archive of another store
      const otherStore =
        where.length === 2 &&
        first === 'config' &&
        (second === 'username' || second === 'agent_name') &&
        typeof value === 'string' &&
        label !== 'deep array';
      return {
        family: 'manifest',
        label: `manifest ${name} = ${label}`,
        expect: mustReject ? 'reject' : 'either',
        data: 'source',
        message: /manifest|entry|format|it has no|holds|lists|listed/,
        restoreRefusal: otherStore ? OTHER_STORE : undefined,
        make: () =>
          archiveOf(src, {
            manifestBytes:
              where.length === 0
                ? text(value === MISSING ? '' : JSON.stringify(value))
                : text(JSON.stringify(setAt(clone(src.manifest), where, value), null, 2)),
          }),
      };
    },
    (rng) => {
      const value = rng.pick([NEWEST_FORMAT_VERSION + 1, 99, 1e300, 1.5, 0, -1, '1', null, true, [1], {}]);
      return {
        family: 'manifest',
        label: `manifest format_version ${JSON.stringify(value)}`,
        expect: 'reject',
        data: 'source',
        message: /format_version|archive format \d/,
        make: () => archiveOf(src, { manifest: (m) => (m.format_version = value) }),
      };
    },
    (rng) => {
      const text = JSON.stringify(src.manifest, null, 2);
      const change = rng.pick([
        'invalid UTF-8',
        'BOM',
        'UTF-16',
        'not JSON',
        'cut',
        'over 1 MB',
        'NaN count',
        'duplicate key',
      ]);
      let out: Buffer = Buffer.from(text);
      let expect: FuzzCase['expect'] = 'reject';
      if (change === 'invalid UTF-8')
        out = Buffer.concat([Buffer.from(text.slice(0, 30)), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(30))]);
      if (change === 'BOM') {
        out = Buffer.from(`\ufeff${text}`);
        expect = 'either';
      }
      if (change === 'UTF-16') out = Buffer.from(text, 'utf16le');
      if (change === 'not JSON') out = Buffer.from(text.slice(0, -1));
      if (change === 'cut') out = Buffer.from(text.slice(0, rng.int(0, text.length - 2)));
      if (change === 'over 1 MB')
        out = Buffer.from(text.replace('"description": "', `"description": "${'d'.repeat(1_100_000)}`));
      if (change === 'NaN count') out = Buffer.from(text.replace('"total_vectors": 30', '"total_vectors": NaN'));
      if (change === 'duplicate key') {
        out = Buffer.from(text.replace('"description":', '"description": 5, "description":'));
        expect = 'either';
      }
      return {
        family: 'manifest',
        label: `manifest text: ${change}`,
        expect,
        data: 'source',
        message: /manifest/,
        make: () => archiveOf(src, { manifestBytes: out }),
      };
    },
  ];

  return (rng) => rng.pick(manifestKinds)(rng);
}
