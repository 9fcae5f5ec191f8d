// Scroll, count, delete and retrieve on the Qdrant test server: Qdrant's page order and
// offsets, with_payload/with_vector variants, and speed on a large collection.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Schemas } from '@qdrant/js-client-rest';
import { start, clientFor, raw, resultOf, errorTextOf, clientError } from './support.js';

describe('points: scroll and count', () => {
  it('pages in Qdrant order with inclusive offsets; next_page_offset can switch from a number to a UUID', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    const uuids = [
      'f0000000-0000-0000-0000-000000000000',
      '0a000000-0000-0000-0000-000000000000',
      '10000000-0000-0000-0000-000000000000',
    ];
    const ints = Array.from({ length: 25 }, (_, k) => (k * 7919) % 1000);
    const ids: Array<number | string> = [...ints, ...uuids];
    // insert in a scrambled order, in several requests
    const scrambled = [...ids].sort((a, b) =>
      String(a).split('').reverse().join('') < String(b).split('').reverse().join('') ? -1 : 1,
    );
    for (let k = 0; k < scrambled.length; k += 6) {
      await client.upsert('c', { points: scrambled.slice(k, k + 6).map((id) => ({ id, vector: [1] })) });
    }
    const sortedUuids = [...uuids].sort(); // lowercase hex order = 128-bit order
    const expected = [...[...ints].sort((a, b) => a - b), ...sortedUuids];
    const seen: Array<number | string> = [];
    const offsets: unknown[] = [];
    let offset: Schemas['ExtendedPointId'] | undefined;
    do {
      const page = await client.scroll('c', { limit: 5, offset, with_payload: false });
      assert.ok(page.points.length <= 5);
      for (const p of page.points) {
        assert.equal(p.payload, undefined);
        assert.equal(p.vector, undefined);
        seen.push(p.id);
      }
      offset = (page.next_page_offset ?? undefined) as Schemas['ExtendedPointId'] | undefined;
      offsets.push(page.next_page_offset);
    } while (offset !== undefined);
    assert.deepEqual(seen, expected);
    // 25 integers then 3 UUIDs, pages of 5: the 5th page's next offset is the first UUID
    assert.deepEqual(offsets, [expected[5], expected[10], expected[15], expected[20], sortedUuids[0], null]);
    assert.equal(typeof offsets[3], 'number');
    assert.equal(typeof offsets[4], 'string');
    const fromUuid = await client.scroll('c', { offset: sortedUuids[1], with_payload: false });
    assert.deepEqual(
      fromUuid.points.map((p) => p.id),
      sortedUuids.slice(1),
    );
    // an offset that is not a stored id starts at the next one
    const between = await client.scroll('c', { offset: (expected[3]! as number) + 1, limit: 1, with_payload: false });
    assert.deepEqual(
      between.points.map((p) => p.id),
      [expected[4]],
    );
    assert.deepEqual(await client.count('c'), { count: expected.length });
  });

  it('defaults to limit 10 with payload and without vectors; honours with_payload/with_vectors variants', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    await client.upsert('c', {
      points: Array.from({ length: 12 }, (_, k) => ({
        id: k,
        vector: [k],
        payload: { k, tag: `t${k}`, deep: { x: k } },
      })),
    });
    const r = resultOf(await raw(server, 'POST', '/collections/c/points/scroll', '{}')) as Schemas['ScrollResult'];
    assert.equal(r.points.length, 10);
    assert.equal(r.next_page_offset, 10);
    assert.deepEqual(r.points[0], { id: 0, payload: { k: 0, tag: 't0', deep: { x: 0 } } });
    const withVectors = resultOf(
      await raw(server, 'POST', '/collections/c/points/scroll', '{"limit":1,"with_payload":false,"with_vectors":true}'),
    ) as Schemas['ScrollResult'];
    assert.deepEqual(withVectors.points, [{ id: 0, vector: [0] }]);
    const include = await client.scroll('c', { limit: 1, with_payload: ['tag', 'deep.x'] });
    assert.deepEqual(include.points[0]?.payload, { tag: 't0', deep: { x: 0 } });
    const exclude = await client.scroll('c', { limit: 1, with_payload: { exclude: ['tag'] } });
    assert.deepEqual(exclude.points[0]?.payload, { k: 0, deep: { x: 0 } });
    const zero = await raw(server, 'POST', '/collections/c/points/scroll', '{"limit":0}');
    assert.equal(zero.status, 422);
    assert.equal(errorTextOf(zero), 'Validation error in JSON body: [limit: value 0 invalid, must be 1.0 or larger]');
    assert.deepEqual(await clientError(client.scroll('nope')), {
      status: 404,
      text: "Not found: Collection `nope` doesn't exist!",
    });
  });

  it('deletes points by id, keeping Qdrant order for later pages (POST /points/delete)', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    const uuid = '00000000-0000-0000-0000-000000000001';
    await client.upsert('c', { points: [5, 1, 3, uuid, 2, 4].map((id) => ({ id, vector: [1] })) });
    await client.scroll('c'); // ids now sorted
    await client.upsert('c', { points: [{ id: 0, vector: [1] }] }); // and one waiting to be merged
    const r = await client.delete('c', { wait: true, points: [3, uuid.toUpperCase(), 0, 99] });
    assert.equal(r.status, 'completed');
    assert.deepEqual(
      (await client.scroll('c', { with_payload: false })).points.map((p) => p.id),
      [1, 2, 4, 5],
    );
    assert.deepEqual(await client.count('c'), { count: 4 });
    const byFilter = await clientError(client.delete('c', { filter: { must: [] } }));
    assert.equal(byFilter.status, 400);
  });

  it('retrieves points by id (POST /collections/{name}/points)', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    await client.upsert('c', {
      points: [
        { id: 1, vector: [1], payload: { a: 1 } },
        { id: 2, vector: [2] },
      ],
    });
    const got = await client.retrieve('c', { ids: [2, 99, 1], with_vector: true });
    assert.deepEqual(got, [
      { id: 2, payload: {}, vector: [2] },
      { id: 1, payload: { a: 1 }, vector: [1] },
    ]);
  });

  it('stays fast on a large collection filled in random id order', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('big', { vectors: { size: 32, distance: 'Cosine' } });
    const n = 20_000;
    const ids = Array.from({ length: n }, (_, k) => (k * 7_777_777 + 13) % 1_000_003);
    const vector = Array.from({ length: 32 }, (_, k) => Math.sin(k + 1));
    for (let k = 0; k < n; k += 1000) {
      await client.upsert('big', { points: ids.slice(k, k + 1000).map((id) => ({ id, vector, payload: { id } })) });
    }
    const started = performance.now();
    let offset: Schemas['ExtendedPointId'] | undefined;
    let count = 0;
    let previous = -1;
    do {
      const page = await client.scroll('big', { limit: 250, offset, with_vector: true });
      for (const p of page.points) {
        assert.ok((p.id as number) > previous);
        previous = p.id as number;
        count++;
      }
      offset = (page.next_page_offset ?? undefined) as Schemas['ExtendedPointId'] | undefined;
    } while (offset !== undefined);
    const elapsed = performance.now() - started;
    assert.equal(count, n);
    assert.ok(elapsed < 10_000, `scrolling ${n} points took ${elapsed} ms`);
  });
});
