// The zip's entries shuffled, duplicated, renamed, missing or extra, with wrong declared
// sizes or CRCs, or none at all.

import { buildZip, type RawZipEntry } from '../../support/raw-zip.js';
import { DB, VECTORS, MANIFEST, randomBytesFrom, type Source, type CaseGenerator } from '../cases.js';

export function entriesCases(src: Source): CaseGenerator {
  return (rng) => {
    const names = [DB, VECTORS, MANIFEST];
    const kind = rng.pick([
      'shuffle',
      'duplicate',
      'duplicate other data',
      'rename',
      'missing',
      'extra',
      'big extra',
      'declared size',
      'crc',
      'empty zip',
    ]);
    const base = (): RawZipEntry[] => names.map((name) => ({ name, data: src.entries.get(name)! }));
    const pickName = rng.pick(names);
    switch (kind) {
      case 'shuffle': {
        const order = rng.sample(names, 3);
        return {
          family: 'entries',
          label: `entries in order ${order.join(', ')}`,
          expect: 'accept',
          data: 'source',
          make: () => buildZip(order.map((name) => ({ name, data: src.entries.get(name)! }))),
        };
      }
      case 'duplicate':
      case 'duplicate other data': {
        const data = kind === 'duplicate' ? src.entries.get(pickName)! : Buffer.from('other');
        const first = rng.chance(0.5);
        return {
          family: 'entries',
          label: `${pickName} twice${kind === 'duplicate' ? '' : ' with other data'}${first ? ', the copy first' : ''}`,
          expect: 'reject',
          data: 'source',
          message: /appears twice/,
          make: () => buildZip(first ? [{ name: pickName, data }, ...base()] : [...base(), { name: pickName, data }]),
        };
      }
      case 'rename': {
        const to = rng.pick([
          pickName.toUpperCase(),
          `${pickName} `,
          `x/${pickName}`,
          `${pickName}.bak`,
          pickName.replace('.', '\u2024'),
          `${pickName}/`,
        ]);
        return {
          family: 'entries',
          label: `${pickName} renamed ${JSON.stringify(to)}`,
          expect: 'reject',
          data: 'source',
          message: /it has no|lists|no qdrant_vectors|directory/,
          make: () => buildZip(base().map((e) => (e.name === pickName ? { ...e, name: to } : e))),
        };
      }
      case 'missing': {
        const gone = rng.sample(names, rng.int(1, 3));
        return {
          family: 'entries',
          label: `without ${gone.join(', ')}`,
          expect: 'reject',
          data: 'source',
          message: /it has no|lists|entries/,
          make: () => buildZip(base().filter((e) => !gone.includes(e.name))),
        };
      }
      case 'extra':
      case 'big extra': {
        const name = rng.pick([
          'notes.txt',
          'qdrant_vectors.json.bak',
          'dir/file',
          'ü-名前.txt',
          `${'n'.repeat(1000)}`,
          'memory_repos/x/memoryv012.db',
          'a//b',
        ]);
        const data = kind === 'extra' ? Buffer.from('extra') : randomBytesFrom(rng, 1_000_000);
        return {
          family: 'entries',
          label: `extra entry ${JSON.stringify(name.slice(0, 40))} (${data.length} B)`,
          expect: 'accept',
          data: 'source',
          make: () => buildZip([...base(), { name, data }]),
        };
      }
      case 'declared size': {
        const size = rng.pick([0xffffffff, 0x80000000, 0, 1, -1, 7]);
        return {
          family: 'entries',
          label: `${pickName} declares size ${size}`,
          expect: 'reject',
          data: 'source',
          make: () =>
            buildZip(
              base().map((e) => {
                if (e.name !== pickName) return e;
                const declared = size === -1 ? e.data.length - 1 : size === 1 ? e.data.length + 1 : size;
                return { ...e, declaredSize: declared };
              }),
            ),
        };
      }
      case 'crc':
        return {
          family: 'entries',
          label: `${pickName} with a wrong CRC`,
          expect: 'reject',
          data: 'source',
          message: /CRC/,
          make: () => buildZip(base().map((e) => (e.name === pickName ? { ...e, crc: 0xdeadbeef } : e))),
        };
      default:
        return {
          family: 'entries',
          label: 'a zip with no entries',
          expect: 'reject',
          data: 'source',
          make: () => buildZip([]),
        };
    }
  };
}
