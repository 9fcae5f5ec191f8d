// Cosine pre-processing of the Qdrant test server's float32.ts: a correctly rounded f32
// fused multiply-add, and L2 normalising that is idempotent bit for bit.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosineNormaliseInPlace, fmaF32 } from '../qdrant-server/float32.js';

describe('Cosine pre-processing', () => {
  it('fmaF32 rounds once, where the f64 sum would land on an f32 tie', () => {
    const a = Math.fround(2 ** -12 * (1 + 2 ** -23));
    const b = Math.fround(2 ** -12 * (1 - 2 ** -23));
    const c = Math.fround(1 + 2 ** -23);
    // exact a*b + c = 1 + 2^-23 + 2^-24 - 2^-70: just below the midpoint, so it rounds down
    assert.equal(fmaF32(a, b, c), 1 + 2 ** -23);
    assert.equal(Math.fround(a * b + c), 1 + 2 ** -22); // the naive double rounding goes up
    assert.equal(fmaF32(0.5, 0.5, 1), 1.25);
  });

  it('normalising a stored (normalised) vector again changes no bit, at any dimension', () => {
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32 - 0.5;
    };
    for (const dim of [3, 15, 16, 31, 32, 100, 384, 768, 1536]) {
      for (let k = 0; k < 300; k++) {
        const v = Array.from({ length: dim }, () => Math.fround(random()));
        cosineNormaliseInPlace(v);
        const again = [...v];
        cosineNormaliseInPlace(again);
        assert.deepEqual(again, v, `dim ${dim}`);
      }
    }
  });
});
