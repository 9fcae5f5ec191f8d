// Tests of the Qdrant-compatible test server (test/qdrant-server/): started on port 0 and
// driven with the official @qdrant/js-client-rest client, and with raw fetch where the client
// cannot show what is on the wire (exact u64 ids, float text, error bodies, faults).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it, type TestContext } from 'node:test';
import { QdrantClient, QdrantClientResourceExhaustedError, type Schemas } from '@qdrant/js-client-rest';
import { cosineNormaliseInPlace, fmaF32, formatF32 } from './qdrant-server/float32.js';
import { parseJsonExact, stringifyJson } from './qdrant-server/json.js';
import { startQdrantTestServer, type QdrantTestServer, type QdrantTestServerOptions } from './qdrant-server/server.js';

// ------------------------------------------------------------------ helpers

async function start(t: TestContext, opts: QdrantTestServerOptions = {}): Promise<QdrantTestServer> {
  const server = await startQdrantTestServer(opts);
  t.after(() => server.close());
  return server;
}

function clientFor(server: QdrantTestServer, apiKey?: string): QdrantClient {
  return new QdrantClient({ url: server.url, checkCompatibility: false, apiKey });
}

interface RawResponse {
  status: number;
  contentType: string | null;
  text: string;
}

async function raw(
  server: QdrantTestServer,
  method: string,
  path: string,
  body?: string | object,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(server.url + path, init);
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** The `result` of a Qdrant envelope, parsed exactly (big ids stay bigints). */
function resultOf(r: RawResponse): unknown {
  assert.equal(r.status, 200, r.text);
  const parsed = parseJsonExact(r.text) as { result: unknown; status: string; time: number };
  assert.equal(parsed.status, 'ok');
  assert.equal(typeof parsed.time, 'number');
  return parsed.result;
}

/** Qdrant's error text of a raw error response. */
function errorTextOf(r: RawResponse): string {
  const parsed = JSON.parse(r.text) as Schemas['ErrorResponse'];
  assert.equal(typeof parsed.time, 'number');
  assert.equal(parsed.result, undefined);
  return parsed.status?.error ?? '';
}

interface ClientApiError {
  status: number;
  data: { status?: { error?: string } } | string;
}

function isApiError(e: unknown): e is ClientApiError {
  return typeof e === 'object' && e !== null && 'status' in e && 'data' in e;
}

/** Awaits a client call that must fail; returns status and Qdrant's error text. */
async function clientError(p: Promise<unknown>): Promise<{ status: number; text: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(isApiError(e), `not an ApiError: ${String(e)}`);
    const text = typeof e.data === 'string' ? e.data : (e.data.status?.error ?? '');
    return { status: e.status, text };
  }
  assert.fail('expected the call to fail');
}

const ID_ERROR_TAIL = 'is not a valid point ID, valid values are either an unsigned integer or a UUID';

// ------------------------------------------------------------------ modules

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
});

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

// ------------------------------------------------------------------ service endpoints, auth

describe('service endpoints and authentication', () => {
  it('GET / reports the version, unwrapped; client.versionInfo reads it', async (t) => {
    const server = await start(t);
    const r = await raw(server, 'GET', '/');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), { title: 'qdrant - vector search engine', version: '1.18.0' });
    const info = await clientFor(server).versionInfo();
    assert.equal(info.version, '1.18.0');
    const custom = await start(t, { version: '1.19.2' });
    assert.equal((await clientFor(custom).versionInfo()).version, '1.19.2');
  });

  it('unknown routes answer 404 with an empty body', async (t) => {
    const server = await start(t);
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/collections/c/unknown'],
      ['PATCH', '/collections'],
      ['GET', '/collections/c/points/scroll'],
    ] as const) {
      const r = await raw(server, method, path);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.text, '');
    }
  });

  it('checks the API key: 401 plain text when missing or wrong; /, /healthz, /readyz, /livez are free', async (t) => {
    const server = await start(t, { apiKey: 'secret' });
    const missing = await raw(server, 'GET', '/collections');
    assert.equal(missing.status, 401);
    assert.match(missing.contentType ?? '', /^text\/plain/);
    assert.equal(missing.text, 'Must provide an API key or an Authorization bearer token');
    const wrong = await raw(server, 'GET', '/collections', undefined, { 'api-key': 'nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, 'Invalid API key or JWT');
    assert.equal((await raw(server, 'GET', '/collections', undefined, { 'api-key': 'secret' })).status, 200);
    assert.equal((await raw(server, 'GET', '/collections', undefined, { authorization: 'Bearer secret' })).status, 200);
    for (const path of ['/', '/healthz', '/readyz', '/livez']) {
      assert.equal((await raw(server, 'GET', path)).status, 200, path);
    }
    assert.equal((await raw(server, 'GET', '/healthz')).text, 'healthz check passed');

    const bad = await clientError(clientFor(server, 'nope').getCollections());
    assert.deepEqual(bad, { status: 401, text: 'Invalid API key or JWT' });
    const client = clientFor(server, 'secret');
    await client.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
    assert.deepEqual(await client.getCollections(), { collections: [{ name: 'c' }] });
  });
});

// ------------------------------------------------------------------ collections

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

// ------------------------------------------------------------------ points

describe('points: ids', () => {
  it('keeps u64 ids exact over the wire, orders integers before UUIDs, normalises UUID notations', async (t) => {
    const server = await start(t);
    await clientFor(server).createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    const body =
      '{"points":[' +
      '{"id":18446744073709551615,"vector":[1]},' +
      '{"id":"{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}","vector":[2]},' +
      '{"id":9007199254740993,"vector":[3]},' +
      '{"id":"urn:uuid:00000000-0000-0000-0000-00000000000a","vector":[4]},' +
      '{"id":"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF","vector":[5]},' +
      '{"id":0,"vector":[6]},' +
      '{"id":9007199254740992,"vector":[7]}]}';
    resultOf(await raw(server, 'PUT', '/collections/c/points?wait=true', body));
    const page = await raw(server, 'POST', '/collections/c/points/scroll', '{"limit":3,"with_payload":false}');
    assert.equal(
      page.text.slice(0, page.text.indexOf(',"status"')),
      '{"result":{"points":[{"id":0},{"id":9007199254740992},{"id":9007199254740993}],' +
        '"next_page_offset":18446744073709551615}',
    );
    const rest = resultOf(
      await raw(server, 'POST', '/collections/c/points/scroll', '{"offset":18446744073709551615,"with_payload":false}'),
    ) as Schemas['ScrollResult'];
    assert.deepEqual(
      rest.points.map((p) => p.id),
      [
        18446744073709551615n,
        '00000000-0000-0000-0000-00000000000a',
        '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
      ],
    );
    assert.equal(rest.next_page_offset, null);
    assert.deepEqual(
      server.getPoints('c').map((p) => p.id),
      [
        0,
        9007199254740992n,
        9007199254740993n,
        18446744073709551615n,
        '00000000-0000-0000-0000-00000000000a',
        '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
      ],
    );
    // payload integers beyond 2^53 are kept exact too
    resultOf(
      await raw(
        server,
        'PUT',
        '/collections/c/points?wait=true',
        '{"points":[{"id":0,"vector":[6],"payload":{"big":18446744073709551615,"neg":-9223372036854775808}}]}',
      ),
    );
    const first = await raw(server, 'POST', '/collections/c/points/scroll', '{"limit":1}');
    assert.ok(
      first.text.includes('"points":[{"id":0,"payload":{"big":18446744073709551615,"neg":-9223372036854775808}}]'),
      first.text,
    );
    assert.deepEqual(server.getPoints('c')[0]?.payload, { big: 18446744073709551615n, neg: -9223372036854775808n });
    // upserting the same u64 id again replaces that point instead of adding one
    resultOf(
      await raw(
        server,
        'PUT',
        '/collections/c/points?wait=true',
        '{"points":[{"id":18446744073709551615,"vector":[9]}]}',
      ),
    );
    assert.equal(server.getPoints('c').length, 7);
  });

  it("rejects ids that are neither unsigned integers nor UUIDs with Qdrant's text and position", async (t) => {
    const server = await start(t);
    await clientFor(server).createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    const cases: Array<[string, string]> = [
      ['"1"', '1'],
      ['-1', '-1'],
      ['1.5', '1.5'],
      ['"abc"', 'abc'],
      ['"550e8400-e29b-41d4-a716-44665544000"', '550e8400-e29b-41d4-a716-44665544000'],
      ['18446744073709551616', '18446744073709552000'],
      ['null', 'Unit'],
    ];
    for (const [literal, shown] of cases) {
      const body = `{"points":[{"id":${literal},"vector":[1]}]}`;
      const r = await raw(server, 'PUT', '/collections/c/points?wait=true', body);
      assert.equal(r.status, 400, literal);
      const column = '{"points":[{"id":'.length + literal.length;
      assert.equal(
        errorTextOf(r),
        `Format error in JSON body: value ${shown} ${ID_ERROR_TAIL} at line 1 column ${column}`,
      );
    }
    const offset = await raw(server, 'POST', '/collections/c/points/scroll', '{"offset":"x"}');
    assert.equal(offset.status, 400);
    assert.match(errorTextOf(offset), /^Format error in JSON body: value x is not a valid point ID/);
    assert.equal(server.getPoints('c').length, 0);
  });
});

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

// ------------------------------------------------------------------ payload indexes, aliases

describe('payload indexes', () => {
  it('creates and deletes indexes; payload_schema shows data_type, points and params for the object form', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    await client.upsert('c', {
      points: [
        { id: 1, vector: [1], payload: { tenant: 'a', n: 1 } },
        { id: 2, vector: [1], payload: { tenant: 'b' } },
        { id: 3, vector: [1], payload: { tenant: null } },
      ],
    });
    const created = await client.createPayloadIndex('c', { field_name: 'tenant', field_schema: 'keyword', wait: true });
    assert.equal(created.status, 'completed');
    assert.equal(typeof created.operation_id, 'number');
    await client.createPayloadIndex('c', {
      field_name: 'n',
      field_schema: { type: 'integer', lookup: true, range: false },
      wait: true,
    });
    assert.deepEqual((await client.getCollection('c')).payload_schema, {
      tenant: { data_type: 'keyword', points: 2 },
      n: { data_type: 'integer', params: { type: 'integer', lookup: true, range: false }, points: 1 },
    });
    const missing = await raw(server, 'PUT', '/collections/c/index?wait=true', { field_name: 'x' });
    assert.equal(missing.status, 400);
    assert.equal(
      errorTextOf(missing),
      "Bad request: Can't auto-detect field type, please specify `field_schema` in the request",
    );
    const noWait = resultOf(
      await raw(server, 'PUT', '/collections/c/index', { field_name: 'x', field_schema: 'text' }),
    );
    assert.equal((noWait as Schemas['UpdateResult']).status, 'acknowledged');
    await client.deletePayloadIndex('c', 'tenant');
    assert.deepEqual(Object.keys((await client.getCollection('c')).payload_schema), ['n', 'x']);
  });
});

describe('aliases', () => {
  it('creates, renames and deletes aliases; errors as Qdrant; aliases resolve for point endpoints', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c1', { vectors: { size: 1, distance: 'Dot' } });
    await client.createCollection('c2', { vectors: { size: 1, distance: 'Dot' } });
    assert.equal(
      await client.updateCollectionAliases({
        actions: [
          { create_alias: { collection_name: 'c1', alias_name: 'x' } },
          { create_alias: { collection_name: 'c1', alias_name: 'y' } },
          { create_alias: { collection_name: 'c2', alias_name: 'z' } },
          { rename_alias: { old_alias_name: 'y', new_alias_name: 'w' } },
        ],
      }),
      true,
    );
    assert.deepEqual(await client.getAliases(), {
      aliases: [
        { alias_name: 'w', collection_name: 'c1' },
        { alias_name: 'x', collection_name: 'c1' },
        { alias_name: 'z', collection_name: 'c2' },
      ],
    });
    assert.deepEqual(await client.getCollectionAliases('c2'), {
      aliases: [{ alias_name: 'z', collection_name: 'c2' }],
    });
    assert.deepEqual(await client.getCollectionAliases('missing'), { aliases: [] });

    await client.upsert('x', { points: [{ id: 1, vector: [1] }] });
    assert.deepEqual(await client.count('w'), { count: 1 });
    assert.deepEqual((await client.scroll('x')).points, [{ id: 1, payload: {} }]);

    // re-creating an alias re-points it; deleting an unknown alias is fine
    await client.updateCollectionAliases({
      actions: [{ create_alias: { collection_name: 'c2', alias_name: 'x' } }, { delete_alias: { alias_name: 'nope' } }],
    });
    assert.deepEqual(await client.count('x'), { count: 0 });

    assert.deepEqual(
      await clientError(
        client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'nope', alias_name: 'q' } }] }),
      ),
      { status: 404, text: "Not found: Collection `nope` doesn't exist!" },
    );
    assert.deepEqual(
      await clientError(
        client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'c1', alias_name: 'c2' } }] }),
      ),
      { status: 409, text: 'Wrong input: Collection `c2` already exists!' },
    );
    // actions before the failing one stay applied
    assert.deepEqual(
      await clientError(
        client.updateCollectionAliases({
          actions: [
            { delete_alias: { alias_name: 'w' } },
            { rename_alias: { old_alias_name: 'ghost', new_alias_name: 'g' } },
          ],
        }),
      ),
      { status: 404, text: 'Not found: Alias ghost does not exists!' },
    );
    assert.deepEqual(await client.getAliases(), {
      aliases: [
        { alias_name: 'x', collection_name: 'c2' },
        { alias_name: 'z', collection_name: 'c2' },
      ],
    });
  });
});

// ------------------------------------------------------------------ faults, log, lifecycle

describe('fault injection, request log and lifecycle', () => {
  it('answers injected status faults with a Qdrant error body, on the nth matching request for `times` requests', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    server.injectFault({ kind: 'status', status: 503, method: 'post', path: '/points/scroll', nth: 2, times: 2 });
    await client.scroll('c'); // 1st matching: fine
    for (let k = 0; k < 2; k++) {
      assert.deepEqual(await clientError(client.scroll('c')), {
        status: 503,
        text: 'Service internal error: injected fault',
      });
    }
    await client.scroll('c'); // 4th: past the window
    await client.count('c'); // other paths never matched
    const r = await (async () => {
      server.injectFault({ kind: 'status', path: /\/collections\/c$/ });
      return raw(server, 'GET', '/collections/c');
    })();
    assert.equal(r.status, 500);
    assert.equal(r.text, '{"status":{"error":"Service internal error: injected fault"},"time":0}');
    assert.deepEqual(
      server.requestLog.map((e) => `${e.method} ${e.path} ${e.status}`),
      [
        'PUT /collections/c 200',
        'POST /collections/c/points/scroll 200',
        'POST /collections/c/points/scroll 503',
        'POST /collections/c/points/scroll 503',
        'POST /collections/c/points/scroll 200',
        'POST /collections/c/points/count 200',
        'GET /collections/c 500',
      ],
    );
  });

  it('injects 429 with Retry-After (client: ResourceExhausted), delays, drops, and clears faults', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });

    server.injectFault({ kind: 'status', status: 429, path: '/points/count' });
    await assert.rejects(client.count('c'), (e: unknown) => {
      assert.ok(e instanceof QdrantClientResourceExhaustedError);
      assert.equal(e.retry_after, 1);
      return true;
    });

    server.injectFault({ kind: 'delay', delayMs: 300, path: '/points/count' });
    const started = performance.now();
    assert.deepEqual(await client.count('c'), { count: 0 });
    assert.ok(performance.now() - started >= 280);

    server.injectFault({ kind: 'drop', path: '/points/count' });
    await assert.rejects(raw(server, 'POST', '/collections/c/points/count', {}));
    assert.deepEqual(server.requestLog.at(-1), {
      method: 'POST',
      path: '/collections/c/points/count',
      query: '',
      status: 0,
    });
    assert.deepEqual(await client.count('c'), { count: 0 });

    server.injectFault({ kind: 'status', times: Infinity });
    assert.equal((await raw(server, 'GET', '/collections')).status, 500);
    assert.equal((await raw(server, 'GET', '/collections')).status, 500);
    server.clearFaults();
    assert.equal((await raw(server, 'GET', '/collections')).status, 200);
    // the log keeps the query string: the client's upsert sends wait=true
    await client.upsert('c', { points: [{ id: 1, vector: [1] }] });
    assert.deepEqual(server.requestLog.at(-1), {
      method: 'PUT',
      path: '/collections/c/points',
      query: 'wait=true',
      status: 200,
    });
  });

  it('close() ends keep-alive connections promptly; getPoints/collectionNames read state directly', async () => {
    const server = await startQdrantTestServer();
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 2, distance: 'Cosine' } });
    await client.createCollection('d', { vectors: { size: 2, distance: 'Dot' } });
    await client.upsert('c', { points: [{ id: 7, vector: [3, 4], payload: { p: { q: [1] } } }] });
    assert.deepEqual(server.collectionNames(), ['c', 'd']);
    assert.deepEqual(server.getPoints('c'), [
      { id: 7, vector: [Math.fround(0.6), Math.fround(0.8)], payload: { p: { q: [1] } } },
    ]);
    assert.throws(() => server.getPoints('nope'));
    const started = performance.now();
    await server.close();
    assert.ok(performance.now() - started < 1000);
    await assert.rejects(fetch(server.url + '/collections'));
  });

  it('main.js does nothing when run as a test file (npm test runs every .js under dist/test)', async () => {
    const mainJs = new URL('./qdrant-server/main.js', import.meta.url);
    const child = spawn(process.execPath, [mainJs.pathname], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_TEST_CONTEXT: 'child-v8' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.equal(out, '');
  });

  it('runs standalone: main.js prints its URL and stops on SIGTERM', async (t) => {
    const mainJs = new URL('./qdrant-server/main.js', import.meta.url);
    // main.js stays idle under the test runner (NODE_TEST_CONTEXT), so run it outside of it
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, [mainJs.pathname, '--port', '0', '--api-key', 'k'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, 'line')) as [string];
    const m = /^Qdrant test server listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    assert.ok(m, line);
    const url = m[1]!;
    assert.equal((await fetch(`${url}/collections`)).status, 401);
    assert.equal((await fetch(`${url}/collections`, { headers: { 'api-key': 'k' } })).status, 200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });
});
