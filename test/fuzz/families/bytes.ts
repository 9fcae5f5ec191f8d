// Bytes changed anywhere in the archive, half of them inside the zip structure (local
// headers, data descriptors, central directory, end record): refused or taken, never a crash.

import type { CaseGenerator, Source } from '../cases.js';

export function bytesCases(src: Source): CaseGenerator {
  return (rng) => {
    const bytes = Buffer.from(src.bytes);
    const count = rng.int(1, 4);
    const spots: number[] = [];
    for (let k = 0; k < count; k++) {
      let at: number;
      if (rng.chance(0.5)) {
        const [from, to] = rng.pick(src.structure);
        at = rng.int(from, to - 1);
      } else {
        at = rng.int(0, bytes.length - 1);
      }
      const how = rng.int(0, 3);
      bytes[at] = how === 0 ? 0 : how === 1 ? 0xff : how === 2 ? bytes[at]! ^ rng.int(1, 255) : rng.int(0, 255);
      spots.push(at);
    }
    return {
      family: 'bytes',
      label: `bytes changed at ${spots.join(', ')}`,
      expect: 'either',
      data: 'source',
      make: () => bytes,
    };
  };
}
