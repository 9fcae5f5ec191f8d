// A structural change (entries, manifest or escapes), then a few bytes of the result flipped:
// the checks must still hold together.

import type { CaseGenerator, Source } from '../cases.js';
import { entriesCases } from './entries.js';
import { escapesCases } from './escapes.js';
import { manifestCases } from './manifest.js';

export function comboCases(src: Source): CaseGenerator {
  const structural = [entriesCases(src), manifestCases(src), escapesCases(src)];
  return (rng) => {
    // a structural change, then a few bytes of it flipped: the checks must still hold together
    const inner = rng.pick(structural)(rng);
    const flips = rng.int(1, 3);
    const seeds = Array.from({ length: flips }, () => rng.nextUint32());
    return {
      family: 'combo',
      label: `${inner.label}, then ${flips} byte(s) changed`,
      expect: 'either',
      data: inner.data,
      restoreRefusal: inner.restoreRefusal,
      make: () => {
        const bytes = Buffer.from(inner.make());
        for (const s of seeds) bytes[s % bytes.length] = bytes[s % bytes.length]! ^ ((s >>> 24) | 1);
        return bytes;
      },
    };
  };
}
