import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonSplitError, RawArraySplitter } from '../src/json/raw-array-splitter.js';
import { Rng } from './fixtures/prng.js';

function splitAll(text: string, path: string[], chunkSize: number): { elements: string[]; splitter: RawArraySplitter } {
  const splitter = new RawArraySplitter(path);
  const bytes = Buffer.from(text, 'utf8');
  const elements: string[] = [];
  // byte chunks: a multi-byte character can be cut in two, as in a real stream
  for (let i = 0; i < bytes.length; i += chunkSize)
    elements.push(...splitter.push(bytes.subarray(i, i + chunkSize)).map((e) => e.toString('utf8')));
  splitter.end();
  return { elements, splitter };
}

const doc = `{"collection_name":"c","vector_size":3,"distance":"Distance.COSINE",
 "points": [
  {"id": 18446744073709551615, "vector": [0.1, -2e-3, 1.0], "payload": {"s": "a \\"quoted\\" ] } , string", "n": null}},
  {"id": "550e8400-e29b-41d4-a716-446655440000", "vector": [1,2,3], "payload": {"nested": [[{}], {"x": [true, false]}]}},
  "plain string element",
  42
 ],
 "after": {"k": [1, 2]}}`;

describe('RawArraySplitter', () => {
  for (const chunkSize of [1, 2, 3, 7, 64, 100_000]) {
    it(`returns each element's exact text and the siblings, in chunks of ${chunkSize}`, () => {
      const { elements, splitter } = splitAll(doc, ['points'], chunkSize);
      assert.equal(elements.length, 4);
      assert.ok(elements[0]!.startsWith('{"id": 18446744073709551615,'), 'a u64 id keeps its digits');
      assert.deepEqual(JSON.parse(elements[0]!).payload, { s: 'a "quoted" ] } , string', n: null });
      assert.deepEqual(JSON.parse(elements[1]!).payload.nested, [[{}], { x: [true, false] }]);
      assert.equal(elements[2], '"plain string element"');
      assert.equal(elements[3], '42');
      assert.equal(splitter.found, true);
      assert.deepEqual([...splitter.siblings.keys()], ['collection_name', 'vector_size', 'distance', 'after']);
      assert.equal(splitter.siblings.get('vector_size'), '3');
      assert.equal(splitter.siblings.get('after'), '{"k": [1, 2]}');
    });
  }

  it('finds every element of generated documents whatever the chunking (escapes, brackets in strings)', () => {
    const rng = new Rng(7);
    const pieces = ['\\', '"', '\\"', '[', ']', '{', '}', ',', 'a', ' ', 'é', '\n'];
    const text = (): string =>
      Array.from({ length: rng.int(0, 8) }, () => pieces[rng.int(0, pieces.length - 1)]).join('');
    const value = (depth: number): unknown => {
      const kind = rng.int(0, depth > 3 ? 2 : 4);
      if (kind === 0) return text();
      if (kind === 1) return rng.int(-5, 5) / 4;
      if (kind === 2) return null;
      if (kind === 3) return Array.from({ length: rng.int(0, 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: rng.int(0, 4) }, () => [text(), value(depth + 1)]));
    };
    for (let round = 0; round < 200; round++) {
      const elements = Array.from({ length: rng.int(0, 6) }, () => ({
        id: round,
        payload: value(0),
        vector: [0.5, -1e-7],
      }));
      const expected = elements.map((e) => JSON.stringify(e));
      const doc = `{"before":${JSON.stringify(text())},"points":[${expected.join(',')}],"after":[${JSON.stringify(text())}]}`;
      const { elements: found, splitter } = splitAll(doc, ['points'], rng.int(1, 40));
      assert.deepEqual(found, expected);
      assert.equal(JSON.parse(splitter.siblings.get('after')!)[0], JSON.parse(doc).after[0]);
    }
  });

  it('finds an array below a nested path and keeps its raw siblings', () => {
    const text =
      '{"result":{"points":[{"id":9007199254740993}],"next_page_offset":18446744073709551614},"status":"ok","time":0.1}';
    const { elements, splitter } = splitAll(text, ['result', 'points'], 5);
    assert.deepEqual(elements, ['{"id":9007199254740993}']);
    assert.equal(splitter.siblings.get('next_page_offset'), '18446744073709551614');
    assert.equal(splitter.siblings.has('status'), false, 'only siblings of the array are kept');
  });

  it('does not confuse a same-named key deeper in the document', () => {
    const text = '{"meta":{"points":[1,2]},"points":[3]}';
    const { elements } = splitAll(text, ['points'], 4);
    assert.deepEqual(elements, ['3']);
  });

  it('reports a missing array as not found', () => {
    const { elements, splitter } = splitAll('{"a":1}', ['points'], 10);
    assert.deepEqual(elements, []);
    assert.equal(splitter.found, false);
  });

  const broken: Array<[string, string]> = [
    ['truncated', '{"points":[{"id":1},'],
    ['truncated string', '{"points":["abc'],
    ['not an object', '[1,2]'],
    ['trailing garbage', '{"points":[]} x'],
    ['missing comma', '{"a":1 "points":[]}'],
    ['bad scalar outside elements', '{"a":tru,"points":[]}'],
    ['points not an array', '{"points":{"id":1}}'],
    ['unbalanced', '{"points":[1]]}'],
    ['control character in string', '{"a":"x\u0001y","points":[]}'],
  ];
  for (const [name, text] of broken) {
    it(`rejects a document that is ${name}`, () => {
      assert.throws(() => splitAll(text, ['points'], 3), JsonSplitError);
    });
  }
});
