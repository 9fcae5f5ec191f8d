/**
 * Custom sharding and cluster settings end to end, through the real bins:
 * a collection sharded by key round-trips exactly (ids, vectors, payloads,
 * keys, per-key counts and layout), points sharing an id under two keys
 * both survive, a cluster too small for the archived replicas is refused
 * before any change, and an ordinary collection still restores as before.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { startQdrantTestServer, type QdrantTestServer } from './qdrant-server/server.js';
import { runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { buildZip } from './support/raw-zip.js';
import { seedCollection } from './support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

const DIMS = 8;
/** A keyword key with two shards, another, and an integer key. */
const KEYS: Array<{ shard_key: string | number; shards_number?: number }> = [
  { shard_key: 'alice', shards_number: 2 },
  { shard_key: 'bob' },
  { shard_key: 42 },
];

const servers: QdrantTestServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
  cleanupTempDirs();
});

async function startServer(peers = 1): Promise<QdrantTestServer> {
  const server = await startQdrantTestServer({ peers });
  servers.push(server);
  return server;
}

async function call(server: QdrantTestServer, method: string, route: string, body?: object): Promise<unknown> {
  const res = await fetch(server.url + route, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${route}: ${text}`);
  return (JSON.parse(text) as { result: unknown }).result;
}

function newStore(memories = 30): MemoryStore {
  return createMemoryStore({ root: makeTempDir('ba-shards'), memories, dims: DIMS, intentions: 2 });
}

/**
 * The store's points spread over the keys, and the first point's id also
 * under "bob" with its own vector and payload.
 */
async function seedShardedCollection(
  server: QdrantTestServer,
  store: MemoryStore,
  params: { replication_factor?: number } = {},
): Promise<void> {
  const name = store.collectionName;
  await call(server, 'PUT', `/collections/${name}`, {
    vectors: { size: DIMS, distance: 'Cosine' },
    sharding_method: 'custom',
    ...params,
  });
  for (const key of KEYS) await call(server, 'PUT', `/collections/${name}/shards`, key);
  for (const [k, key] of KEYS.entries()) {
    const points = store.points.filter((_, i) => i % KEYS.length === k);
    await call(server, 'PUT', `/collections/${name}/points?wait=true`, {
      shard_key: key.shard_key,
      points: points.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })),
    });
  }
  const shared = store.points[0]!;
  await call(server, 'PUT', `/collections/${name}/points?wait=true`, {
    shard_key: 'bob',
    points: [{ id: shared.id, vector: shared.vector.map((x) => -x), payload: { under: 'bob', text: 'the other one' } }],
  });
}

async function backup(store: MemoryStore, server: QdrantTestServer): Promise<string> {
  const result = await runCli('backup', ['--require-qdrant'], { cwd: store.root, env: { QDRANT_URL: server.url } });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  return /Location: (.*\.zip)/.exec(result.stdout)![1]!;
}

/** Shard keys with the shards of each and their replica count, from the server's own reports. */
async function layoutOf(server: QdrantTestServer, name: string): Promise<Record<string, string>> {
  const { shard_keys } = (await call(server, 'GET', `/collections/${name}/shards`)) as {
    shard_keys: Array<{ key: string | number }>;
  };
  const info = (await call(server, 'GET', `/collections/${name}/cluster`)) as {
    local_shards: Array<{ shard_id: number; shard_key: unknown }>;
    remote_shards: Array<{ shard_id: number; shard_key: unknown }>;
  };
  const layout: Record<string, string> = {};
  for (const { key } of shard_keys) {
    const replicas = [...info.local_shards, ...info.remote_shards].filter((s) => s.shard_key === key);
    const shards = new Set(replicas.map((s) => s.shard_id)).size;
    layout[JSON.stringify(key)] = `${shards} shards, ${replicas.length / shards} replicas`;
  }
  return layout;
}

/** A copy of an archive with its vector file and manifest edited, the manifest's checksums made to fit. */
async function tampered(
  archive: string,
  edit: (vectors: string, manifest: { stats: { qdrant: { shard_keys?: Array<{ points: number }> } } }) => string,
): Promise<string> {
  const entries = await readZipEntries(archive);
  const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as Parameters<typeof edit>[1] & {
    entries: Record<string, { size: number; sha256: string }>;
  };
  const vectors = Buffer.from(edit(entries.get('qdrant_vectors.json')!.toString(), manifest));
  manifest.entries['qdrant_vectors.json'] = {
    size: vectors.length,
    sha256: createHash('sha256').update(vectors).digest('hex'),
  };
  const file = path.join(makeTempDir('ba-shards-tampered'), 'tampered.zip');
  fs.writeFileSync(
    file,
    buildZip([
      { name: 'memoryv012.db', data: entries.get('memoryv012.db')! },
      { name: 'qdrant_vectors.json', data: vectors },
      { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
    ]),
  );
  return file;
}

const fileHash = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('custom shard keys', () => {
  it('round-trips a collection sharded by key exactly, points sharing an id under two keys included', async () => {
    const server = await startServer();
    const store = newStore();
    const name = store.collectionName;
    await seedShardedCollection(server, store);
    const original = server.getPoints(name);
    assert.equal(original.length, store.points.length + 1);
    const originalLayout = await layoutOf(server, name);
    assert.deepEqual(originalLayout, {
      '"alice"': '2 shards, 1 replicas',
      '"bob"': '1 shards, 1 replicas',
      '42': '1 shards, 1 replicas',
    });

    const archive = await backup(store, server);
    const entries = await readZipEntries(archive);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as {
      stats: { qdrant: { total_vectors: number; shard_keys: unknown } };
    };
    assert.equal(manifest.stats.qdrant.total_vectors, 31);
    assert.deepEqual(manifest.stats.qdrant.shard_keys, [
      { key: 'alice', points: 10 },
      { key: 'bob', points: 11 },
      { key: 42, points: 10 },
    ]);
    const vectorsFile = entries.get('qdrant_vectors.json')!.toString();
    assert.match(
      vectorsFile,
      /^\{"collection_name":"[^"]+","vector_size":8,"distance":"Distance.COSINE","format_version":2,/,
    );
    const sharedId = JSON.stringify(store.points[0]!.id);
    assert.equal(vectorsFile.split('\n').filter((line) => line.startsWith(`{"id":${sharedId},`)).length, 2);

    const inspected = await runCli('backup', ['--inspect', archive], { cwd: store.root });
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.match(
      inspected.stdout,
      /\n {2}Vectors: 31 points under 3 shard keys \(8 dims, Cosine\): "alice" 10, "bob" 11, 42 10\n/,
    );
    const inspectedJson = await runCli('backup', ['--inspect', archive, '--json'], { cwd: store.root });
    assert.deepEqual((JSON.parse(inspectedJson.stdout) as { vectors: unknown }).vectors, {
      format: 'points',
      points: 31,
      vector_size: 8,
      distance: 'Cosine',
      shard_keys: [
        { key: 'alice', points: 10 },
        { key: 'bob', points: 11 },
        { key: 42, points: 10 },
      ],
    });

    // the live collection changes: a key dropped, a point deleted, the shared point overwritten
    const dbBefore = dumpDatabase(store.dbPath);
    await call(server, 'POST', `/collections/${name}/shards/delete`, { shard_key: 42 });
    await call(server, 'POST', `/collections/${name}/points/delete?wait=true`, {
      shard_key: 'alice',
      points: [store.points[3]!.id],
    });
    await call(server, 'PUT', `/collections/${name}/points?wait=true`, {
      shard_key: 'bob',
      points: [{ id: store.points[0]!.id, vector: store.points[1]!.vector, payload: { changed: true } }],
    });
    assert.notDeepEqual(server.getPoints(name), original);

    const dry = await runCli('restore', [archive, '--dry-run'], { cwd: store.root, env: { QDRANT_URL: server.url } });
    assert.equal(dry.code, 0, dry.stderr + dry.stdout);
    assert.match(dry.stdout, /restored: 31 points under 3 shard keys \(8 dims, Cosine\)/);

    const result = await runCli('restore', [archive, '--yes'], { cwd: store.root, env: { QDRANT_URL: server.url } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.deepEqual(server.getPoints(name), original);
    assert.deepEqual(await layoutOf(server, name), originalLayout);
    assert.deepEqual(dumpDatabase(store.dbPath), dbBefore);
    for (const [key, points] of [
      ['alice', 10],
      ['bob', 11],
      [42, 10],
    ] as const) {
      assert.deepEqual(await call(server, 'POST', `/collections/${name}/points/count`, { shard_key: key }), {
        count: points,
      });
    }

    // --compare tells a point under one key from the same id under another
    const compare = async (): Promise<unknown> => {
      const run = await runCli('backup', ['--compare', archive, '--json'], {
        cwd: store.root,
        env: { QDRANT_URL: server.url },
      });
      assert.equal(run.code, 0, run.stderr);
      return (JSON.parse(run.stdout) as { points: unknown }).points;
    };
    assert.deepEqual(await compare(), { added: [], removed: [] });
    await call(server, 'POST', `/collections/${name}/points/delete?wait=true`, {
      shard_key: 'bob',
      points: [store.points[0]!.id],
    });
    assert.deepEqual(await compare(), { added: [], removed: [`${store.points[0]!.id} (shard key "bob")`] });

    // the safety backup took the changed collection key by key, and restores it in turn
    const safety = /Safety backup of the previous state: (.*\.zip)/.exec(result.stdout)![1]!;
    const safetyManifest = JSON.parse((await readZipEntries(safety)).get('manifest.json')!.toString()) as {
      stats: { qdrant: { shard_keys: unknown } };
    };
    assert.deepEqual(safetyManifest.stats.qdrant.shard_keys, [
      { key: 'alice', points: 9 },
      { key: 'bob', points: 11 },
    ]);
  });

  it('refuses, before any change, a cluster with fewer peers than the archived replicas', async () => {
    const source = await startServer(3);
    const store = newStore(12);
    await seedShardedCollection(source, store, { replication_factor: 2 });
    await call(source, 'PUT', `/collections/${store.collectionName}/shards`, {
      shard_key: 'replicated',
      replication_factor: 3,
    });
    const archive = await backup(store, source);

    // the target: one Qdrant on its own, with the collection as it is now
    const target = await startServer(1);
    await seedCollection(target.url, store.collectionName, store.points.slice(0, 5));
    const before = { points: target.getPoints(store.collectionName), db: fileHash(store.dbPath) };
    const backups = fs.readdirSync(path.join(store.root, 'backups')).sort();
    const refusal =
      /The archived collection needs a Qdrant cluster of 3 peers \(3 replicas of shard key "replicated"\), but \S+ at http:\/\/127\.0\.0\.1:\d+ has a single peer; nothing was changed/;
    for (const flag of ['--dry-run', '--yes']) {
      const result = await runCli('restore', [archive, flag], { cwd: store.root, env: { QDRANT_URL: target.url } });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stderr, refusal);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
    assert.deepEqual(target.getPoints(store.collectionName), before.points);
    assert.equal(fileHash(store.dbPath), before.db);
    assert.deepEqual(fs.readdirSync(path.join(store.root, 'backups')).sort(), backups);
    assert.deepEqual(target.collectionNames(), [store.collectionName]);

    // a cluster of three takes it, replicas and all
    const big = await startServer(3);
    const result = await runCli('restore', [archive, '--yes'], { cwd: store.root, env: { QDRANT_URL: big.url } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.deepEqual(big.getPoints(store.collectionName), source.getPoints(store.collectionName));
    assert.deepEqual(await layoutOf(big, store.collectionName), await layoutOf(source, store.collectionName));
  });

  it('keeps the shard number, replication and write consistency of an auto-sharded collection', async () => {
    const source = await startServer(3);
    const store = newStore(10);
    await call(source, 'PUT', `/collections/${store.collectionName}`, {
      vectors: { size: DIMS, distance: 'Cosine' },
      shard_number: 3,
      replication_factor: 2,
      write_consistency_factor: 2,
    });
    await call(source, 'PUT', `/collections/${store.collectionName}/points?wait=true`, {
      points: store.points.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })),
    });
    const archive = await backup(store, source);
    const manifest = JSON.parse((await readZipEntries(archive)).get('manifest.json')!.toString()) as {
      qdrant: { cluster_peers: number };
    };
    assert.equal(manifest.qdrant.cluster_peers, 3);

    const small = await startServer(1);
    const refused = await runCli('restore', [archive, '--yes'], { cwd: store.root, env: { QDRANT_URL: small.url } });
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(
      refused.stderr,
      /needs a Qdrant cluster of 2 peers \(replication_factor 2\), but .* has a single peer/,
    );
    assert.deepEqual(small.collectionNames(), []);

    const target = await startServer(2);
    const result = await runCli('restore', [archive, '--yes'], { cwd: store.root, env: { QDRANT_URL: target.url } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const params = (
      (await call(target, 'GET', `/collections/${store.collectionName}`)) as {
        config: { params: Record<string, unknown> };
      }
    ).config.params;
    assert.deepEqual(
      [params.shard_number, params.replication_factor, params.write_consistency_factor, params.sharding_method],
      [3, 2, 2, undefined],
    );
    assert.deepEqual(target.getPoints(store.collectionName), source.getPoints(store.collectionName));
  });

  it('still writes and restores an ordinary collection as format 1, without shard keys', async () => {
    const server = await startServer();
    const store = newStore(15);
    await seedCollection(server.url, store.collectionName, store.points);
    const original = server.getPoints(store.collectionName);
    const archive = await backup(store, server);
    const entries = await readZipEntries(archive);
    assert.match(entries.get('qdrant_vectors.json')!.toString(), /"format_version":1,/);
    assert.doesNotMatch(entries.get('qdrant_vectors.json')!.toString(), /shard_key/);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as { stats: { qdrant: object } };
    assert.equal(Object.hasOwn(manifest.stats.qdrant, 'shard_keys'), false);
    await call(server, 'DELETE', `/collections/${store.collectionName}`);
    const result = await runCli('restore', [archive, '--yes'], { cwd: store.root, env: { QDRANT_URL: server.url } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.deepEqual(server.getPoints(store.collectionName), original);
  });

  it('refuses archives whose shard keys do not add up, before any change', async () => {
    const server = await startServer();
    const store = newStore(9);
    await seedShardedCollection(server, store);
    const archive = await backup(store, server);
    const before = server.getPoints(store.collectionName);
    const firstAlice = (v: string): string => v.split('\n').find((line) => line.endsWith(',"shard_key":"alice"},'))!;
    const cases: Array<[string, Parameters<typeof tampered>[1], RegExp]> = [
      [
        'unlisted key',
        (v) => v.replace(firstAlice(v), firstAlice(v).replace('"shard_key":"alice"', '"shard_key":"mallory"')),
        /point \S+ has shard_key "mallory", which the collection does not list/,
      ],
      [
        'point without its key',
        (v) => v.replace(firstAlice(v), firstAlice(v).replace(',"shard_key":"alice"', '')),
        /point \S+ has no shard_key, but the collection is sharded by key/,
      ],
      [
        'per-key count',
        (v, m) => {
          m.stats.qdrant.shard_keys![0]!.points += 1;
          return v;
        },
        /it holds 3 points under shard_key "alice", the manifest says 4/,
      ],
      [
        'format 1 with shard keys',
        (v) => v.replace('"format_version":2,', '"format_version":1,'),
        /it lists shard keys but says format 1; shard keys need format 2/,
      ],
      [
        'custom sharding without keys',
        (v) => v.replace(/,"shard_keys":\[(\{[^{}]*\},?)*\]/, ''),
        /sharded by key \(sharding_method custom\) but it lists no shard keys/,
      ],
    ];
    for (const [what, edit, message] of cases) {
      const file = await tampered(archive, edit);
      const result = await runCli('restore', [file, '--yes'], { cwd: store.root, env: { QDRANT_URL: server.url } });
      assert.equal(result.code, 5, `${what}: ${result.stderr}`);
      assert.match(result.stderr, message, what);
    }
    assert.deepEqual(server.getPoints(store.collectionName), before);
  });
});
