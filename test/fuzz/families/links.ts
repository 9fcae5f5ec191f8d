// Entries marked as symbolic links, directories, devices or pipes in their Unix mode.

import { buildZip, type RawZipEntry } from '../../support/raw-zip.js';
import { DB, VECTORS, MANIFEST, type Source, type CaseGenerator } from '../cases.js';

export function linksCases(src: Source): CaseGenerator {
  const t = src.token;
  return (rng) => {
    const type = rng.pick([
      ['a symbolic link', 0o120777],
      ['a symbolic link', 0o120644],
      ['a directory', 0o040755],
      ['a device', 0o020644],
      ['a pipe', 0o010644],
    ] as const);
    const which = rng.pick([DB, VECTORS, MANIFEST, 'link']);
    const target = rng.pick([`../${t}`, `/tmp/${t}`, '/etc/passwd', DB]);
    const unixHost = rng.chance(0.7);
    return {
      family: 'links',
      label: `${which} as ${type[0]} (mode ${type[1].toString(8)})${which === 'link' ? ` to ${target}` : ''}${unixHost ? '' : ', made on MS-DOS'}`,
      expect: 'reject',
      data: 'source',
      message: /symbolic link|directory|device, pipe or socket/,
      make: () => {
        const list: RawZipEntry[] = [DB, VECTORS, MANIFEST].map((name) => ({ name, data: src.entries.get(name)! }));
        const mark = { externalAttributes: type[1] * 0x10000, versionMadeBy: unixHost ? 0x0314 : 0x0014 };
        if (which === 'link') list.push({ name: 'link', data: Buffer.from(target), ...mark });
        else
          Object.assign(
            list.find((e) => e.name === which)!,
            mark,
          );
        return buildZip(list);
      },
    };
  };
}
