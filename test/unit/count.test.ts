/** formatCount (count.ts): the same text as toLocaleString('en-US'), without loading Intl. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCount } from '../../src/count.js';

describe('formatCount', () => {
  it("writes every count as toLocaleString('en-US') does", () => {
    const counts = [0, -0, 1, 9, 10, 999, 1000, 1001, 99_999, 100_000, 1_234_567, -1000, -987_654_321];
    counts.push(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1.5, 2 ** 60, NaN, Infinity);
    let seed = 99;
    for (let k = 0; k < 2000; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      counts.push(seed % 10 ** (1 + (k % 12)));
    }
    for (const n of counts) assert.equal(formatCount(n), n.toLocaleString('en-US'), `${n}`);
  });
});
