// Exact JSON (u64 ids as bigints, serde_json number text) and the shortest f32 decimals
// (ryu layout) of the Qdrant test server's json.ts and float32.ts.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { F32Text, formatF32 } from '../qdrant-server/float32.js';
import { parseJsonExact, stringifyJson } from '../qdrant-server/json.js';

describe('exact JSON and f32 printing', () => {
  it('parses u64 integers beyond 2^53 as exact bigints and prints them back exactly', () => {
    const text =
      '{"a":18446744073709551615,"b":9007199254740993,"c":9007199254740991,"d":1.5,"e":"18446744073709551615"}';
    const v = parseJsonExact(text) as Record<string, unknown>;
    assert.equal(v.a, 18446744073709551615n);
    assert.equal(v.b, 9007199254740993n);
    assert.equal(v.c, 9007199254740991); // safe integers stay numbers
    assert.equal(v.d, 1.5);
    assert.equal(v.e, '18446744073709551615');
    assert.equal(stringifyJson(v), text);
    // negative zero stays negative, as serde_json prints it
    assert.equal(stringifyJson(parseJsonExact('{"z":-0,"w":-0.0}')), '{"z":-0.0,"w":-0.0}');
    // long digit runs inside fractions do not turn into bigints
    assert.deepEqual(
      parseJsonExact('[0.12345678901234567, 1.2345678901234567e-5]'),
      [0.12345678901234566, 0.000012345678901234568],
    );
  });

  it('finds an integer beyond 2^53 anywhere in a document, and prints -0 and bigints wherever they are', () => {
    const vector = Array.from({ length: 768 }, (_, k) => (k % 7) / 10);
    const deep = (id: string): string =>
      `{"points":[{"id":1,"vector":[${vector.join(',')}],"payload":{"tags":["a",{"n":[2,${id}]}]}}]}`;
    const parsed = parseJsonExact(deep('-18446744073709551615')) as {
      points: Array<{ payload: { tags: [string, { n: [number, bigint] }] } }>;
    };
    assert.equal(parsed.points[0]!.payload.tags[1].n[1], -18446744073709551615n);
    // in a vector's place too, where the look at the parsed numbers checks them in a loop
    const inVector = parseJsonExact(`[[0.5,9007199254740993,0.25]]`) as [[number, bigint, number]];
    assert.equal(inVector[0][1], 9007199254740993n);
    // large floats are not integers of the text: they stay numbers
    assert.deepEqual(parseJsonExact('[1e300,-2.5e20,12345678901234567890.5]'), [1e300, -2.5e20, 12345678901234567000]);
    const safe = parseJsonExact(deep('7')) as { points: Array<{ vector: number[] }> };
    assert.deepEqual(safe.points[0]!.vector, vector);
    assert.equal(stringifyJson({ a: [1, { b: -0 }], c: 'x' }), '{"a":[1,{"b":-0.0}],"c":"x"}');
    assert.equal(stringifyJson({ a: [1, { b: 2n ** 64n }] }), '{"a":[1,{"b":18446744073709551616}]}');
    assert.equal(stringifyJson({ a: undefined, b: [undefined, 1] }), '{"b":[null,1]}');
    assert.equal(stringifyJson(undefined), 'null');
  });

  it('prints each f32 as the shortest decimal that reads back (ryu layout)', () => {
    const cases: Array<[number, string]> = [
      [0.844919834, '0.84491986'],
      [1, '1.0'],
      [0.1, '0.1'],
      [0.30000001192092896, '0.3'],
      [100, '100.0'],
      [123456789, '123456790.0'],
      [1e13, '1e13'],
      [1e-7, '1e-7'],
      [0.001234, '0.001234'],
      [1234.5678, '1234.5677'],
      [-2.5, '-2.5'],
      [0, '0.0'],
      [3.4e38, '3.4e38'],
      [1e-45, '1e-45'],
    ];
    for (const [x, s] of cases) assert.equal(formatF32(x), s, `formatF32(${x})`);
  });

  it('agrees with the toPrecision(1..9) reference on random f32 bit patterns', () => {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const reference = (f: number): number => {
      for (let p = 1; p <= 9; p++) {
        const s = f.toPrecision(p);
        if (Math.fround(Number(s)) === f) return Number(s);
      }
      return NaN;
    };
    let seed = 12345;
    for (let k = 0; k < 200_000; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      u32[0] = (seed ^ (k * 2654435761)) >>> 0;
      const f = f32[0]!;
      if (!Number.isFinite(f)) continue;
      const s = formatF32(f);
      assert.equal(Math.fround(Number(s)), f, `${s} does not read back as ${f}`);
      assert.equal(Number(s), reference(f), `shortest for ${f}`);
    }
  });

  it('writes arrays of f32 byte for byte as ryu lays out the toPrecision reference', () => {
    // the reference: shortest toPrecision digits, laid out by ryu's format32 rules in strings
    const reference = (x: number): string => {
      const f = Math.fround(x);
      if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0';
      const a = Math.abs(f);
      let s = a.toPrecision(9);
      for (let p = 1; p <= 9; p++) {
        if (Math.fround(Number(a.toPrecision(p))) === a) {
          s = a.toPrecision(p);
          break;
        }
      }
      const [mantissa, expText] = s.split('e');
      const [whole, fraction = ''] = mantissa!.split('.');
      let digits = (whole! + fraction).replace(/^0+/, '');
      let k = Number(expText ?? 0) - fraction.length;
      while (digits.length > 1 && digits.endsWith('0')) {
        digits = digits.slice(0, -1);
        k++;
      }
      const kk = digits.length + k;
      let text: string;
      if (k >= 0 && kk <= 13) text = `${digits}${'0'.repeat(k)}.0`;
      else if (kk > 0 && kk <= 13) text = `${digits.slice(0, kk)}.${digits.slice(kk)}`;
      else if (kk > -6 && kk <= 0) text = `0.${'0'.repeat(-kk)}${digits}`;
      else text = `${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${kk - 1}`;
      return (f < 0 ? '-' : '') + text;
    };
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    let seed = 777;
    const values: number[] = [0, -0, 1, 100, 1e13, 1e-7, 3.4e38, 1e-45, -2.5];
    while (values.length < 50_000) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      u32[0] = seed;
      if (Number.isFinite(f32[0]!)) values.push(f32[0]!);
      values.push((seed / 2 ** 32 - 0.5) * 0.2); // the range of embedding components
    }
    const text = new F32Text();
    const bytes = text.array(values).take();
    assert.equal(bytes.toString('latin1'), `[${values.map(reference).join(',')}]`);
    assert.equal(text.array([]).take().toString('latin1'), '[]');
  });
});
