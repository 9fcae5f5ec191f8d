import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNumberArray, flatVectorRange } from '../src/qdrant/dense-vector.js';
import { checkPoint, checkPointText, vectorShapeOf } from '../src/qdrant/points.js';
import type { CollectionConfig } from '../src/qdrant/collection.js';
import { Rng } from './fixtures/prng.js';

const shape = vectorShapeOf({ params: { vectors: { size: 4, distance: 'Cosine' } } } as unknown as CollectionConfig);

function outcome(fn: () => { key: unknown }): string {
  try {
    return `ok ${String((fn().key as { value: unknown }).value)}`;
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
}

/** The byte-level check and a whole parse must say the same about a point. */
function assertAgrees(text: string): string {
  const fast = outcome(() => checkPoint(Buffer.from(text, 'utf8'), shape));
  const reference = outcome(() => checkPointText(text, shape));
  assert.equal(fast, reference, `point ${text}`);
  return fast;
}

describe('dense vectors checked on bytes', () => {
  it('agrees with a whole parse on chosen points', () => {
    const cases = [
      '{"id":1,"payload":{},"vector":[0.1,-0.2,3e-5,4]}',
      '{ "id" : 2 , "vector" : [ 1 , 2 , 3 , 4 ] , "payload" : { "vector" : [1] } }',
      '{"id":3,"payload":{"s":"\\"vector\\":[9]","a":[[1],{"b":"]"}]},"vector":[1,2,3,4]}',
      '{"id":4,"vector":[1,2,3]}',
      '{"id":5,"vector":[1,2,3,4,5]}',
      '{"id":6,"vector":[]}',
      '{"id":7,"vector":[1,2,3,3.5e38]}',
      '{"id":8,"vector":[1,2,3,3.4028234e38]}',
      '{"id":9,"vector":[1,2,3,-1e39]}',
      '{"id":10,"vector":[1,2,3,1e-400]}',
      '{"id":11,"vector":[1,2,3,0.00000000000000000000000000000000000000001e78]}',
      '{"id":12,"vector":[1,2,3,1.]}',
      '{"id":13,"vector":[1,2,3,.5]}',
      '{"id":14,"vector":[1,2,3,01]}',
      '{"id":15,"vector":[1,2,3,true]}',
      '{"id":16,"vector":[1,2,3,null]}',
      '{"id":17,"vector":[1,2,3,"4"]}',
      '{"id":18,"vector":[1,2,3,[4]]}',
      '{"id":19,"vector":[1,2,3,4,]}',
      '{"id":20,"vector":[1,2,,3,4]}',
      '{"id":21,"vector":[1,2,3,4]]}',
      '{"id":22,"vector":[1,2,3,4],"vector":[1,2,3,4]}',
      '{"id":23,"vector":{"":[1,2,3,4]}}',
      '{"id":24,"vector":[1,2,3,4e+2],"payload":[]}',
      '{"id":25,"vector":[1,2,3,4E-2],"payload":{"x":1}}',
      '{"id":26,"vector":[1,2,3,-0]}',
      '{"id":27,"vector":[1,2,3,- 1]}',
      '{"id":28,"vector":[1,2,3,1e]}',
      '{"id":"550e8400-e29b-41d4-a716-446655440000","vector":[1,2,3,4]}',
      '{"id":18446744073709551615,"vector":[1,2,3,4]}',
      '{"id":1.5,"vector":[1,2,3,4]}',
      '{"vector":[1,2,3,4]}',
      '[1,2,3,4]',
      '{"id":29,"vector":[1,2,3,4]',
      // the vector's 0 placeholder must not join a number suffix into valid JSON
      '{"id":30,"vector":[1,2,3,4]e5}',
      '{"id":31,"vector":[1,2,3,4].5}',
      '{"id":32,"vector":[1,2,3,4] E-1,"payload":{}}',
    ];
    const outcomes = cases.map(assertAgrees);
    assert.equal(outcomes[0], 'ok 1');
    assert.match(outcomes[3]!, /has 3 numbers, the collection expects 4/);
    assert.match(outcomes[6]!, /finite float32/);
    assert.equal(outcomes[7], 'ok 8');
    assert.match(outcomes[21]!, /appears twice/);
  });

  it('agrees with a whole parse on generated points', () => {
    const rng = new Rng(11);
    const pieces = ['0', '1', '9', '-', '.', 'e', 'E', '+', ',', ' ', '"', '[', ']', '{', '}', 'x', '\\'];
    const number = (): string => {
      const kind = rng.int(0, 9);
      if (kind === 0)
        return Array.from({ length: rng.int(1, 6) }, () => pieces[rng.int(0, pieces.length - 1)]).join('');
      if (kind === 1) return `${rng.int(-9, 9)}e${rng.int(-60, 60)}`;
      return String(Math.fround((rng.next() - 0.5) * 10 ** rng.int(-10, 10)));
    };
    let accepted = 0;
    for (let n = 0; n < 3000; n++) {
      const numbers = Array.from({ length: rng.int(3, 5) }, number).join(rng.int(0, 3) === 0 ? ' , ' : ',');
      const payload = rng.int(0, 1) === 0 ? '{"text":"a [ b ] { c } \\" vector"}' : '{"vector":[1]}';
      const text =
        rng.int(0, 1) === 0
          ? `{"id":${n},"payload":${payload},"vector":[${numbers}]}`
          : `{"id":${n},"vector":[${numbers}],"payload":${payload}}`;
      if (assertAgrees(text).startsWith('ok')) accepted++;
    }
    assert.ok(accepted > 500 && accepted < 2900, `a fair share of accepted points (${accepted})`);
  });

  it('locates only a flat top-level vector', () => {
    const text = Buffer.from('{"payload":{"vector":[1]},"vector":[1, 2]}');
    assert.deepEqual(flatVectorRange(text), { start: 35, end: 41 });
    assert.equal(flatVectorRange(Buffer.from('{"vector":[[1,2]]}')), null);
    assert.equal(flatVectorRange(Buffer.from('{"vector":{"a":[1]}}')), null);
    assert.deepEqual(checkNumberArray(Buffer.from('[1, -2.5e3 ,0]'), 0, 14), {
      numbers: true,
      count: 3,
      float32: true,
    });
  });
});
