// Collections on the Qdrant test server: create (Qdrant's defaults), partial settings,
// errors, PATCH, exists, get and delete.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { start, clientFor, raw, errorTextOf, clientError } from './support.js';

describe('collections', () => {
  it('creates a collection whose info matches Qdrant defaults (spec sample)', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    assert.equal(await client.createCollection('c', { vectors: { size: 4, distance: 'Euclid' } }), true);
    const info = await client.getCollection('c');
    assert.equal(info.status, 'green');
    assert.equal(info.optimizer_status, 'ok');
    assert.equal(info.points_count, 0);
    assert.equal(info.indexed_vectors_count, 0);
    assert.equal(typeof info.segments_count, 'number');
    assert.deepEqual(info.payload_schema, {});
    assert.deepEqual(info.config, {
      params: {
        vectors: { size: 4, distance: 'Euclid' },
        shard_number: 1,
        replication_factor: 1,
        write_consistency_factor: 1,
        on_disk_payload: true,
      },
      hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
      optimizer_config: {
        deleted_threshold: 0.2,
        vacuum_min_vector_number: 1000,
        default_segment_number: 0,
        max_segment_size: null,
        memmap_threshold: null,
        indexing_threshold: 10000,
        flush_interval_sec: 5,
        max_optimization_threads: null,
        prevent_unoptimized: null,
      },
      wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0, wal_retain_closed: 1 },
      quantization_config: null,
    });
  });

  it('merges partial hnsw/wal/optimizers settings over defaults and echoes the rest', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', {
      vectors: {
        text: { size: 3, distance: 'Cosine', on_disk: true },
        colbert: { size: 2, distance: 'Dot', multivector_config: { comparator: 'max_sim' }, datatype: 'float16' },
      },
      sparse_vectors: { bm25: { modifier: 'idf' }, plain: {} },
      hnsw_config: { m: 32, payload_m: 8 },
      wal_config: { wal_capacity_mb: 64 },
      optimizers_config: { indexing_threshold: 0, max_optimization_threads: 'auto', default_segment_number: 2 },
      quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } },
      on_disk_payload: false,
      shard_number: 2,
      replication_factor: 3,
      write_consistency_factor: 2,
      sharding_method: 'auto',
      strict_mode_config: { enabled: true, max_query_limit: 100 },
    });
    const { config } = await client.getCollection('c');
    assert.deepEqual(config.params, {
      vectors: {
        colbert: { size: 2, distance: 'Dot', datatype: 'float16', multivector_config: { comparator: 'max_sim' } },
        text: { size: 3, distance: 'Cosine', on_disk: true },
      },
      shard_number: 2,
      sharding_method: 'auto',
      replication_factor: 3,
      write_consistency_factor: 2,
      on_disk_payload: false,
      sparse_vectors: { bm25: { modifier: 'idf' }, plain: {} },
    });
    assert.deepEqual(config.hnsw_config, {
      m: 32,
      ef_construct: 100,
      full_scan_threshold: 10000,
      max_indexing_threads: 0,
      on_disk: false,
      payload_m: 8,
    });
    assert.deepEqual(config.wal_config, { wal_capacity_mb: 64, wal_segments_ahead: 0, wal_retain_closed: 1 });
    assert.equal(config.optimizer_config.indexing_threshold, 0);
    assert.equal(config.optimizer_config.default_segment_number, 2);
    assert.equal(config.optimizer_config.max_optimization_threads, null);
    assert.equal(config.optimizer_config.flush_interval_sec, 5);
    assert.deepEqual(config.quantization_config, { scalar: { type: 'int8', quantile: 0.99, always_ram: true } });
    assert.deepEqual(config.strict_mode_config, { enabled: true, max_query_limit: 100 });
    assert.equal(config.metadata, undefined);

    // metadata only goes through the generated API
    await client.api().createCollection({
      collection_name: 'm',
      vectors: { size: 2, distance: 'Dot' },
      metadata: { owner: 'backup-test', n: 1 },
    });
    assert.deepEqual((await client.getCollection('m')).config.metadata, { owner: 'backup-test', n: 1 });
  });

  it('rejects duplicates (409), bad distance (400 format), shard_number 0 (422), alias-name clash (400)', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
    assert.deepEqual(await clientError(client.createCollection('c', { vectors: { size: 2, distance: 'Dot' } })), {
      status: 409,
      text: 'Wrong input: Collection `c` already exists!',
    });
    const bad = await raw(server, 'PUT', '/collections/d', '{"vectors":{"size":4,"distance":"cosine"}}');
    assert.equal(bad.status, 400);
    assert.equal(
      errorTextOf(bad),
      'Format error in JSON body: data did not match any variant of untagged enum VectorsConfig at line 1 column 41',
    );
    const zero = await raw(server, 'PUT', '/collections/d', { vectors: { size: 2, distance: 'Dot' }, shard_number: 0 });
    assert.equal(zero.status, 422);
    assert.equal(
      errorTextOf(zero),
      'Validation error in JSON body: [shard_number: value 0 invalid, must be 1 or larger]',
    );
    const broken = await raw(server, 'PUT', '/collections/d', '{"vectors":');
    assert.equal(broken.status, 400);
    assert.equal(errorTextOf(broken), 'Format error in JSON body: EOF while parsing a value at line 1 column 11');
    await client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'c', alias_name: 'a' } }] });
    assert.deepEqual(await clientError(client.createCollection('a', { vectors: { size: 2, distance: 'Dot' } })), {
      status: 400,
      text: "Wrong input: Can't create collection with name a. Alias with the same name already exists",
    });
    assert.deepEqual(server.collectionNames(), ['c']);
  });

  it('PATCH updates params (read fan-out appears in GET only once set) and refuses what it does not model', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 2, distance: 'Dot' }, replication_factor: 2 });
    const before = (await client.getCollection('c')).config.params;
    assert.equal('read_fan_out_factor' in before, false);
    assert.equal(
      await client.updateCollection('c', {
        params: { read_fan_out_factor: 3, read_fan_out_delay_ms: 250, on_disk_payload: false },
      }),
      true,
    );
    const after = (await client.getCollection('c')).config.params;
    assert.deepEqual(after, { ...before, read_fan_out_factor: 3, read_fan_out_delay_ms: 250, on_disk_payload: false });
    assert.deepEqual(Object.keys(after), [
      'vectors',
      'shard_number',
      'replication_factor',
      'write_consistency_factor',
      'read_fan_out_factor',
      'read_fan_out_delay_ms',
      'on_disk_payload',
    ]);
    const zero = await raw(server, 'PATCH', '/collections/c', { params: { replication_factor: 0 } });
    assert.equal(zero.status, 422);
    assert.equal(
      errorTextOf(zero),
      'Validation error in JSON body: [params.replication_factor: value 0 invalid, must be 1 or larger]',
    );
    const other = await raw(server, 'PATCH', '/collections/c', { optimizers_config: { indexing_threshold: 1 } });
    assert.equal(other.status, 400);
    assert.equal((await clientError(client.updateCollection('missing', { params: {} }))).status, 404);
  });

  it('exists, get and delete: missing is 404 / false, aliases resolve, delete is idempotent', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    assert.deepEqual(await client.collectionExists('c'), { exists: false });
    assert.deepEqual(await clientError(client.getCollection('c')), {
      status: 404,
      text: "Not found: Collection `c` doesn't exist!",
    });
    await client.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
    await client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'c', alias_name: 'live' } }] });
    assert.deepEqual(await client.collectionExists('c'), { exists: true });
    assert.deepEqual(await client.collectionExists('live'), { exists: true });
    assert.equal((await client.getCollection('live')).config.params.vectors?.size, 2);
    assert.deepEqual(await client.getCollections(), { collections: [{ name: 'c' }] }); // aliases not listed
    assert.equal(await client.deleteCollection('live'), false); // an alias deletes nothing
    assert.equal(await client.deleteCollection('c'), true);
    assert.equal(await client.deleteCollection('c'), false);
    assert.deepEqual(await client.getAliases(), { aliases: [] }); // its aliases went with it
    assert.deepEqual(await client.collectionExists('live'), { exists: false });
  });
});
