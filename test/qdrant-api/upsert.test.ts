// Upserts on the Qdrant test server: dimension checks with and without wait, the batch
// form, whole-point replacement.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { start, clientFor, raw, resultOf, errorTextOf, clientError } from './support.js';

describe('points: upsert', () => {
  it('validates dimensions with wait=true (client default) and stores nothing from a failed request', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 4, distance: 'Dot' } });
    const err = await clientError(
      client.upsert('c', {
        points: [
          { id: 1, vector: [1, 2, 3, 4] },
          { id: 2, vector: [1, 2, 3] },
        ],
      }),
    );
    assert.deepEqual(err, { status: 400, text: 'Wrong input: Vector dimension error: expected dim: 4, got 3' });
    assert.deepEqual(await client.count('c'), { count: 0 });
    const named = await clientError(client.upsert('c', { points: [{ id: 1, vector: { dense: [1, 2, 3, 4] } }] }));
    assert.deepEqual(named, { status: 400, text: 'Wrong input: Not existing vector name error: dense' });
  });

  it('refuses a string that is not UTF-8 as serde_json does, placed after its closing quote, and stores nothing', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
    const point = (text: Buffer) =>
      Buffer.concat([
        Buffer.from('{"points":[\n{"id":1,"vector":[1,2],"payload":{"t":"\\"é'),
        text,
        Buffer.from('x"}}]}'),
      ]);
    // a byte no sequence starts with, an overlong NUL, a UTF-16 surrogate, a cut-off sequence
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const r = await raw(server, 'PUT', '/collections/c/points?wait=true', point(Buffer.from(bad)));
      assert.equal(r.status, 400);
      // line 2 starts after the newline; the column counts bytes up to just past the closing quote
      const column = '{"id":1,"vector":[1,2],"payload":{"t":"\\"é'.length + 1 + bad.length + 2;
      assert.equal(errorTextOf(r), `Format error in JSON body: invalid unicode code point at line 2 column ${column}`);
    }
    assert.deepEqual(await client.count('c'), { count: 0 });
    const good = await raw(server, 'PUT', '/collections/c/points?wait=true', point(Buffer.from('€')));
    assert.equal(good.status, 200);
    const [stored] = (await client.retrieve('c', { ids: [1], with_payload: true })).map((p) => p.payload);
    assert.deepEqual(stored, { t: '"é€x' });
  });

  it('without wait acknowledges (200) and silently drops bad points; operation_id increments', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
    const first = await client.upsert('c', { points: [{ id: 1, vector: [1, 2] }] });
    assert.deepEqual(first, { operation_id: 0, status: 'completed' });
    const r = await raw(server, 'PUT', '/collections/c/points', {
      points: [
        { id: 2, vector: [1, 2, 3] },
        { id: 3, vector: [3, 4] },
        { id: 4, vector: { nope: [1, 2] } },
      ],
    });
    assert.deepEqual(resultOf(r), { operation_id: 1, status: 'acknowledged' });
    const explicitFalse = await raw(server, 'PUT', '/collections/c/points?wait=false', {
      points: [{ id: 5, vector: [1] }],
    });
    assert.deepEqual(resultOf(explicitFalse), { operation_id: 2, status: 'acknowledged' });
    assert.deepEqual(await client.count('c'), { count: 2 });
    assert.deepEqual(
      server.getPoints('c').map((p) => p.id),
      [1, 3],
    );
    // a missing collection is 404 whatever wait says
    const missing = await raw(server, 'PUT', '/collections/x/points', { points: [{ id: 1, vector: [1, 2] }] });
    assert.equal(missing.status, 404);
    assert.equal(errorTextOf(missing), "Not found: Collection `x` doesn't exist!");
  });

  it('accepts the batch form, replaces whole points on upsert, and keeps payloads as given', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 2, distance: 'Euclid' } });
    await client.upsert('c', {
      batch: {
        ids: [1, 2, 3],
        vectors: [
          [1, 0],
          [0, 1],
          [1, 1],
        ],
        payloads: [{ a: 1, nested: { b: [1, 'x', null] } }, null, { c: true }],
      },
    });
    await client.upsert('c', { points: [{ id: 3, vector: [5, 5] }] }); // payload goes too
    const page = await client.scroll('c', { with_vector: true });
    assert.deepEqual(page, {
      points: [
        { id: 1, payload: { a: 1, nested: { b: [1, 'x', null] } }, vector: [1, 0] },
        { id: 2, payload: {}, vector: [0, 1] },
        { id: 3, payload: {}, vector: [5, 5] },
      ],
      next_page_offset: null,
    });
    const mismatch = await raw(server, 'PUT', '/collections/c/points?wait=true', {
      batch: { ids: [1, 2], vectors: [[1, 0]] },
    });
    assert.equal(mismatch.status, 422);
    const neither = await raw(server, 'PUT', '/collections/c/points?wait=true', { nothing: [] });
    assert.equal(neither.status, 400);
    assert.equal(
      errorTextOf(neither),
      'Format error in JSON body: data did not match any variant of untagged enum PointInsertOperations',
    );
  });
});
