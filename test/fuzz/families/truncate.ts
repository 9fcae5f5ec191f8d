// The archive cut short, with a hole, or with bytes appended, prepended or repeated.

import { randomBytesFrom, type FuzzCase, type Source, type CaseGenerator } from '../cases.js';

export function truncateCases(src: Source): CaseGenerator {
  return (rng) => {
    const size = src.bytes.length;
    const how = rng.pick(['cut', 'cut near end', 'hole', 'append', 'prepend', 'repeat tail']);
    let make: () => Buffer;
    let expect: FuzzCase['expect'] = 'reject';
    let label: string;
    if (how === 'cut' || how === 'cut near end') {
      const at = how === 'cut' ? rng.int(0, size - 1) : rng.int(Math.max(0, size - 200), size - 1);
      label = `cut at ${at} of ${size}`;
      make = () => src.bytes.subarray(0, at);
    } else if (how === 'hole') {
      const from = rng.int(0, size - 2);
      const to = rng.int(from + 1, Math.min(size, from + 5000));
      label = `bytes ${from}..${to} removed`;
      make = () => Buffer.concat([src.bytes.subarray(0, from), src.bytes.subarray(to)]);
    } else {
      const extra = randomBytesFrom(rng, rng.int(1, 300));
      expect = 'either';
      label = `${extra.length} bytes ${how === 'append' ? 'appended' : how === 'prepend' ? 'prepended' : 'of tail repeated'}`;
      make = () =>
        how === 'append'
          ? Buffer.concat([src.bytes, extra])
          : how === 'prepend'
            ? Buffer.concat([extra, src.bytes])
            : Buffer.concat([src.bytes, src.bytes.subarray(size - extra.length)]);
    }
    return { family: 'truncate', label, expect, data: 'source', make };
  };
}
