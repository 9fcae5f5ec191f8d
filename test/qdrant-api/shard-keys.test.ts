// Custom sharding on the Qdrant test server: shard keys, the `shard_key` selector of point
// operations, ids unique per key, cluster info, and Qdrant's errors for each misuse.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorTextOf, raw, resultOf, start } from './support.js';

const VECTORS = { size: 2, distance: 'Dot' };

describe('shard keys', () => {
  it('keeps points per key: the same id under two keys is two points; reads select keys, writes need one', async (t) => {
    const server = await start(t);
    assert.equal(
      resultOf(await raw(server, 'PUT', '/collections/c', { vectors: VECTORS, sharding_method: 'custom' })),
      true,
    );
    for (const key of ['a', 'b', 7]) {
      assert.equal(resultOf(await raw(server, 'PUT', '/collections/c/shards', { shard_key: key })), true);
    }
    assert.deepEqual(resultOf(await raw(server, 'GET', '/collections/c/shards')), {
      shard_keys: [{ key: 'a' }, { key: 'b' }, { key: 7 }],
    });
    const again = await raw(server, 'PUT', '/collections/c/shards', { shard_key: 'a' });
    assert.equal(again.status, 400);
    assert.equal(errorTextOf(again), 'Bad request: Sharding key "a" already exists for collection c');

    const noKey = await raw(server, 'PUT', '/collections/c/points?wait=true', { points: [{ id: 1, vector: [1, 0] }] });
    assert.equal(noKey.status, 400);
    assert.equal(errorTextOf(noKey), 'Wrong input: Shard key not specified');
    const unknownWrite = await raw(server, 'PUT', '/collections/c/points?wait=true', {
      points: [{ id: 1, vector: [1, 0] }],
      shard_key: 'zz',
    });
    assert.equal(unknownWrite.status, 400);
    assert.equal(errorTextOf(unknownWrite), 'Wrong input: Shard key "zz" not found');

    // a point may carry its own shard_key field (as scroll records do): Qdrant ignores it
    const put = (key: unknown, points: unknown[]) =>
      raw(server, 'PUT', '/collections/c/points?wait=true', { points, shard_key: key });
    resultOf(
      await put('a', [
        { id: 1, vector: [1, 0], payload: { k: 'a' }, shard_key: 'a' },
        { id: 2, vector: [2, 0] },
      ]),
    );
    resultOf(await put('b', [{ id: 1, vector: [0, 1], payload: { k: 'b' } }]));
    resultOf(await put(7, [{ id: 3, vector: [3, 3] }]));

    const scroll = async (body: object) =>
      resultOf(await raw(server, 'POST', '/collections/c/points/scroll', { with_vector: true, ...body }));
    assert.deepEqual(await scroll({ shard_key: 'b' }), {
      points: [{ id: 1, payload: { k: 'b' }, vector: [0, 1], shard_key: 'b' }],
      next_page_offset: null,
    });
    assert.deepEqual(await scroll({ shard_key: 7 }), {
      points: [{ id: 3, payload: {}, vector: [3, 3], shard_key: 7 }],
      next_page_offset: null,
    });
    // across keys: merged by id, one point per id
    assert.deepEqual(await scroll({ with_vector: false }), {
      points: [
        { id: 1, payload: { k: 'a' }, shard_key: 'a' },
        { id: 2, payload: {}, shard_key: 'a' },
        { id: 3, payload: {}, shard_key: 7 },
      ],
      next_page_offset: null,
    });
    assert.deepEqual(await scroll({ with_vector: false, shard_key: ['b', 'a'], limit: 1 }), {
      points: [{ id: 1, payload: { k: 'b' }, shard_key: 'b' }],
      next_page_offset: 2,
    });
    const unknownRead = await raw(server, 'POST', '/collections/c/points/scroll', { shard_key: 'zz' });
    assert.equal(unknownRead.status, 400);
    assert.equal(errorTextOf(unknownRead), 'Bad request: Shard key "zz" not found');

    const count = async (body: object) => resultOf(await raw(server, 'POST', '/collections/c/points/count', body));
    assert.deepEqual(await count({}), { count: 4 });
    assert.deepEqual(await count({ shard_key: 'a' }), { count: 2 });
    assert.deepEqual(await count({ shard_key: ['b', 7] }), { count: 2 });
    assert.equal((resultOf(await raw(server, 'GET', '/collections/c')) as { points_count: number }).points_count, 4);

    assert.deepEqual(resultOf(await raw(server, 'POST', '/collections/c/points', { ids: [1], shard_key: 'b' })), [
      { id: 1, payload: { k: 'b' }, shard_key: 'b' },
    ]);
    resultOf(await raw(server, 'POST', '/collections/c/points/delete?wait=true', { points: [1], shard_key: 'a' }));
    assert.deepEqual(await count({ shard_key: 'a' }), { count: 1 });
    assert.deepEqual(await count({ shard_key: 'b' }), { count: 1 });

    // dropping a key drops its points; dropping an unknown key is fine
    assert.equal(resultOf(await raw(server, 'POST', '/collections/c/shards/delete', { shard_key: 'b' })), true);
    assert.equal(resultOf(await raw(server, 'POST', '/collections/c/shards/delete', { shard_key: 'b' })), true);
    assert.deepEqual(await count({}), { count: 2 });
    assert.deepEqual(
      server.getPoints('c').map((p) => [p.shardKey, p.id]),
      [
        ['a', 2],
        [7n, 3],
      ],
    );
  });

  it('refuses shard keys in an auto-sharded collection, and selectors of unknown keys there', async (t) => {
    const server = await start(t);
    resultOf(await raw(server, 'PUT', '/collections/auto', { vectors: VECTORS }));
    const create = await raw(server, 'PUT', '/collections/auto/shards', { shard_key: 'a' });
    assert.equal(create.status, 400);
    assert.equal(errorTextOf(create), 'Bad request: Shard Key cannot be created with Auto sharding method');
    assert.deepEqual(resultOf(await raw(server, 'GET', '/collections/auto/shards')), {});
    const upsert = await raw(server, 'PUT', '/collections/auto/points', {
      points: [{ id: 1, vector: [1, 1] }],
      shard_key: 'a',
    });
    assert.equal(errorTextOf(upsert), 'Wrong input: Shard key "a" not found');
    resultOf(await raw(server, 'PUT', '/collections/auto/points?wait=true', { points: [{ id: 1, vector: [1, 1] }] }));
    assert.deepEqual(resultOf(await raw(server, 'POST', '/collections/auto/points/scroll', {})), {
      points: [{ id: 1, payload: {} }],
      next_page_offset: null,
    });
    const missing = await raw(server, 'PUT', '/collections/auto/shards', {});
    assert.equal(missing.status, 400);
    assert.match(errorTextOf(missing), /missing field `shard_key`/);
  });

  it('reports the simulated cluster and places replicas on its peers, capped to the peers there are', async (t) => {
    const single = await start(t);
    assert.deepEqual(resultOf(await raw(single, 'GET', '/cluster')), { status: 'disabled' });

    const server = await start(t, { peers: 3 });
    const status = resultOf(await raw(server, 'GET', '/cluster')) as { status: string; peers: object; peer_id: number };
    assert.equal(status.status, 'enabled');
    assert.deepEqual(Object.keys(status.peers), ['1001', '1002', '1003']);
    assert.equal(status.peer_id, 1001);

    resultOf(
      await raw(server, 'PUT', '/collections/c', {
        vectors: VECTORS,
        sharding_method: 'custom',
        shard_number: 2,
        replication_factor: 2,
      }),
    );
    resultOf(await raw(server, 'PUT', '/collections/c/shards', { shard_key: 'a' }));
    resultOf(
      await raw(server, 'PUT', '/collections/c/shards', {
        shard_key: 'b',
        shards_number: 1,
        replication_factor: 5,
        placement: [1002, 1003],
      }),
    );
    const unknownPeer = await raw(server, 'PUT', '/collections/c/shards', { shard_key: 'x', placement: [9] });
    assert.equal(errorTextOf(unknownPeer), 'Bad request: Peer 9 does not exist');
    const empty = await raw(server, 'PUT', '/collections/c/shards', { shard_key: 'x', placement: [] });
    assert.match(errorTextOf(empty), /^Bad request: Sharding key "x" placement cannot be empty/);
    const zero = await raw(server, 'PUT', '/collections/c/shards', { shard_key: 'x', shards_number: 0 });
    assert.equal(zero.status, 422);

    resultOf(
      await raw(server, 'PUT', '/collections/c/points?wait=true', {
        points: [{ id: 1, vector: [1, 1] }],
        shard_key: 'a',
      }),
    );
    const info = resultOf(await raw(server, 'GET', '/collections/c/cluster')) as {
      peer_id: number;
      shard_count: number;
      local_shards: Array<{ shard_id: number; shard_key: string; points_count: number }>;
      remote_shards: Array<{ shard_id: number; shard_key: string; peer_id: number }>;
    };
    assert.equal(info.peer_id, 1001);
    assert.equal(info.shard_count, 3);
    // key a: 2 shards x 2 replicas round the peers; key b: 1 shard, replication 5 capped to its 2 placed peers
    const replicas = [
      ...info.local_shards.map((s) => [s.shard_key, s.shard_id, 1001]),
      ...info.remote_shards.map((s) => [s.shard_key, s.shard_id, s.peer_id]),
    ].sort((x, y) => Number(x[1]) - Number(y[1]) || Number(x[2]) - Number(y[2]));
    assert.deepEqual(replicas, [
      ['a', 1, 1001],
      ['a', 1, 1002],
      ['a', 2, 1001],
      ['a', 2, 1003],
      ['b', 3, 1002],
      ['b', 3, 1003],
    ]);
    assert.equal(info.local_shards.find((s) => s.shard_id === 1)?.points_count, 1);
  });
});
