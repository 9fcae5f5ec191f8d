// Vectors on the Qdrant test server: f32 storage and printing, Cosine normalising,
// float16/uint8 datatypes, and the shapes of unnamed, multi, named and sparse vectors.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { start, clientFor, raw, resultOf, clientError } from './support.js';

describe('points: vectors', () => {
  it('stores f32 values and prints the shortest f32 decimals, like Qdrant', async (t) => {
    const server = await start(t);
    await clientFor(server).createCollection('c', { vectors: { size: 8, distance: 'Euclid' } });
    const body = '{"points":[{"id":1,"vector":[0.844919834,1,0.1,1e-7,123456789,-2.5,0.30000001192092896,3.4e38]}]}';
    resultOf(await raw(server, 'PUT', '/collections/c/points?wait=true', body));
    const r = await raw(server, 'POST', '/collections/c/points/scroll', '{"with_vector":true,"with_payload":false}');
    assert.ok(r.text.includes('"vector":[0.84491986,1.0,0.1,1e-7,123456790.0,-2.5,0.3,3.4e38]'), r.text);
    const [p] = server.getPoints('c');
    assert.deepEqual(
      p?.vector,
      [0.844919834, 1, 0.1, 1e-7, 123456789, -2.5, 0.30000001192092896, 3.4e38].map((x) => Math.fround(x)),
    );
  });

  it('L2-normalises Cosine vectors on store; storing them again is bit-exact', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 3, distance: 'Cosine' } });
    await client.upsert('c', {
      points: [
        { id: 1, vector: [1, 2, 3] },
        { id: 2, vector: [0.6, 0.8, 0] }, // |v|^2 within 1e-6 of 1: left as is
        { id: 3, vector: [0, 0, 0] }, // zero: left as is
        { id: 4, vector: [1e-5, 0, 0] }, // len2 below f32 epsilon: left as is
      ],
    });
    const r = await raw(server, 'POST', '/collections/c/points/scroll', '{"with_vector":true,"with_payload":false}');
    assert.ok(r.text.includes('{"id":1,"vector":[0.26726124,0.5345225,0.8017837]}'), r.text);
    assert.ok(r.text.includes('{"id":2,"vector":[0.6,0.8,0.0]}'), r.text);
    assert.ok(r.text.includes('{"id":3,"vector":[0.0,0.0,0.0]}'), r.text);
    assert.ok(r.text.includes('{"id":4,"vector":[0.00001,0.0,0.0]}'), r.text); // ryu: 1e-5 -> 0.00001
    // independent check of the f32 arithmetic for id 1
    const len = Math.fround(Math.sqrt(14));
    assert.deepEqual(
      server.getPoints('c')[0]?.vector,
      [1, 2, 3].map((x) => Math.fround(x / len)),
    );

    // back up and restore: re-upserting the stored values changes nothing
    const before = server.getPoints('c');
    const page = await client.scroll('c', { with_vector: true, with_payload: false });
    await client.upsert('c', {
      points: page.points.map((p) => ({ id: p.id, vector: p.vector as number[] })),
    });
    assert.deepEqual(server.getPoints('c'), before);
  });

  it('restores 768-d Cosine embeddings bit-exactly through scroll and upsert', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 768, distance: 'Cosine' } });
    let seed = 42;
    const random = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32 - 0.5;
    };
    const points = Array.from({ length: 300 }, (_, id) => ({ id, vector: Array.from({ length: 768 }, random) }));
    await client.upsert('c', { points });
    const stored = server.getPoints('c');
    const backup = await client.scroll('c', { limit: 300, with_vector: true, with_payload: false });
    await client.upsert('c', { points: backup.points.map((p) => ({ id: p.id, vector: p.vector as number[] })) });
    assert.deepEqual(server.getPoints('c'), stored);
  });

  it('stores float16 (round to nearest even) and uint8 (truncate, saturate, no Cosine normalising) as Qdrant', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    // expected values from Python's struct 'e' (IEEE half, round half to even) on the f32 input
    await client.createCollection('half', { vectors: { size: 6, distance: 'Dot', datatype: 'float16' } });
    await client.upsert('half', { points: [{ id: 1, vector: [0.1, 1 / 3, 65519, 1e-7, -2.5e-6, 1.00146484375] }] });
    assert.deepEqual(
      server.getPoints('half')[0]?.vector,
      [
        // eslint-disable-next-line no-loss-of-precision -- the exact digits Python prints for this half-precision value
        0.0999755859375, 0.333251953125, 65504, 1.1920928955078125e-7, -2.5033950805664062e-6, 1.001953125,
      ],
    );
    const half = await raw(
      server,
      'POST',
      '/collections/half/points/scroll',
      '{"with_vector":true,"with_payload":false}',
    );
    assert.ok(
      half.text.includes('"vector":[0.099975586,0.33325195,65504.0,1.1920929e-7,-0.000002503395,1.0019531]'),
      half.text,
    );

    // Cosine on float16: normalised in f32 first, then rounded
    await client.createCollection('halfcos', { vectors: { size: 3, distance: 'Cosine', datatype: 'float16' } });
    await client.upsert('halfcos', { points: [{ id: 1, vector: [1, 2, 3] }] });
    assert.deepEqual(server.getPoints('halfcos')[0]?.vector, [0.267333984375, 0.53466796875, 0.8017578125]);

    await client.createCollection('bytes', { vectors: { size: 5, distance: 'Cosine', datatype: 'uint8' } });
    await client.upsert('bytes', { points: [{ id: 1, vector: [2.9, -3, 300, 7, 0.5] }] });
    const bytes = await raw(
      server,
      'POST',
      '/collections/bytes/points/scroll',
      '{"with_vector":true,"with_payload":false}',
    );
    assert.ok(bytes.text.includes('"vector":[2.0,0.0,255.0,7.0,0.0]'), bytes.text);

    // what was stored goes back in unchanged
    for (const name of ['half', 'halfcos', 'bytes']) {
      const before = server.getPoints(name);
      const page = await client.scroll(name, { with_vector: true, with_payload: false });
      await client.upsert(name, { points: page.points.map((p) => ({ id: p.id, vector: p.vector as number[] })) });
      assert.deepEqual(server.getPoints(name), before, name);
    }
  });

  it("renders unnamed, multivector, named, and named+sparse vectors in Qdrant's shapes", async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('multi', {
      vectors: { size: 2, distance: 'Cosine', multivector_config: { comparator: 'max_sim' } },
    });
    await client.upsert('multi', {
      points: [
        {
          id: 1,
          vector: [
            [3, 4],
            [0, 2],
          ],
        },
      ],
    });
    // each sub-vector normalised on its own; the client reads the printed "0.6" as 0.6
    assert.deepEqual((await client.scroll('multi', { with_vector: true })).points[0]?.vector, [
      [0.6, 0.8],
      [0, 1],
    ]);
    assert.deepEqual(server.getPoints('multi')[0]?.vector, [
      [Math.fround(0.6), Math.fround(0.8)],
      [0, 1],
    ]);

    await client.createCollection('mixed', {
      vectors: { size: 2, distance: 'Dot' },
      sparse_vectors: { text: {} },
    });
    await client.upsert('mixed', {
      points: [
        { id: 1, vector: { '': [1, 2], text: { indices: [7, 2, 5], values: [0.7, 0.2, 0.5] } } },
        { id: 2, vector: [3, 4] },
      ],
    });
    const mixed = await raw(
      server,
      'POST',
      '/collections/mixed/points/scroll',
      '{"with_vector":true,"with_payload":false}',
    );
    assert.ok(
      mixed.text.includes(
        '{"id":1,"vector":{"":[1.0,2.0],"text":{"indices":[2,5,7],"values":[0.2,0.5,0.7]}}},{"id":2,"vector":[3.0,4.0]}',
      ),
      mixed.text,
    );
    const onlyText = await client.scroll('mixed', { with_vector: ['text'], with_payload: false, limit: 1 });
    assert.deepEqual(onlyText.points[0]?.vector, {
      text: { indices: [2, 5, 7], values: [0.2, 0.5, 0.7] },
    });

    await client.createCollection('named', {
      vectors: { a: { size: 1, distance: 'Dot' }, b: { size: 2, distance: 'Euclid' } },
    });
    await client.upsert('named', {
      points: [
        { id: 1, vector: { b: [1, 2], a: [0.5] } },
        { id: 2, vector: { a: [1] } },
      ],
    });
    const named = await client.scroll('named', { with_vector: true, with_payload: false });
    assert.deepEqual(
      named.points.map((p) => p.vector),
      [{ a: [0.5], b: [1, 2] }, { a: [1] }],
    );
    const unnamedIntoNamed = await clientError(client.upsert('named', { points: [{ id: 3, vector: [1] }] }));
    assert.deepEqual(unnamedIntoNamed, { status: 400, text: 'Wrong input: Not existing vector name error: ' });
    const badDim = await clientError(client.upsert('named', { points: [{ id: 3, vector: { b: [1] } }] }));
    assert.deepEqual(badDim, { status: 400, text: 'Wrong input: Vector dimension error: expected dim: 2, got 1' });
    const sparseLen = await raw(server, 'PUT', '/collections/mixed/points?wait=true', {
      points: [{ id: 3, vector: { text: { indices: [1, 2], values: [1] } } }],
    });
    assert.equal(sparseLen.status, 422);
  });
});
