/**
 * Qdrant native snapshots through the real bins: ba-backup --vectors-format
 * snapshot and its restore round-trip exactly; the server's snapshot is
 * deleted after a backup, also a failed one; a multi-node cluster and a server
 * of another minor version are refused before any change; a failed upload
 * rolls back; a slow snapshot does not trip --timeout.
 * The round trip and the damaged archives run against a real Qdrant too
 * (BA_TEST_QDRANT_URL); the tests that need a configured test server skip there.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { startQdrantTestServer, type QdrantTestServer, type QdrantTestServerOptions } from './qdrant-server/server.js';
import { runCli } from './support/cli.js';
import { type QdrantHandle, skipWithRealQdrant, startQdrant } from './support/qdrant.js';
import { dumpDatabase } from './support/db-dump.js';
import { clientFor, seedCollection } from './support/qdrant-seed.js';
import { buildZip } from './support/raw-zip.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

const SNAPSHOT_ENTRY = 'qdrant_collection.snapshot';
const servers: QdrantTestServer[] = [];
const handles: QdrantHandle[] = [];

/** A test server of its own, for the tests that need one configured (version, peers, delays, faults). */
async function server(options: QdrantTestServerOptions = {}): Promise<QdrantTestServer> {
  const started = await startQdrantTestServer(options);
  servers.push(started);
  return started;
}

/** The suite's Qdrant as the real-Qdrant switch chooses it: a test server, or the server at BA_TEST_QDRANT_URL. */
async function anyQdrant(): Promise<QdrantHandle> {
  const started = await startQdrant();
  handles.push(started);
  return started;
}

/** The environment a CLI run needs for a server (the switch's API key included). */
function envFor(qdrant: QdrantTestServer | QdrantHandle): Record<string, string> {
  return 'env' in qdrant ? qdrant.env : { QDRANT_URL: qdrant.url };
}

/** The alias seededStore gives a store's collection: under the store's user name, as the switch requires. */
const aliasOf = (store: MemoryStore): string => `${store.username}_alias`;

/** A store whose collection has a payload index and an alias, served by `qdrant`. */
async function seededStore(qdrant: QdrantTestServer | QdrantHandle, memories = 60): Promise<MemoryStore> {
  const store = createMemoryStore({ root: makeTempDir('ba-snapshots'), memories });
  await seedCollection(qdrant.url, store.collectionName, store.points);
  const client = clientFor(qdrant.url);
  await client.createPayloadIndex(store.collectionName, {
    field_name: 'category',
    field_schema: 'keyword',
    wait: true,
  });
  await client.updateCollectionAliases({
    actions: [{ create_alias: { collection_name: store.collectionName, alias_name: aliasOf(store) } }],
  });
  return store;
}

/** The names of a collection's snapshots on the server, over REST. */
async function snapshotNames(qdrant: QdrantHandle, collection: string): Promise<string[]> {
  return (await qdrant.client.listSnapshots(collection)).map((snapshot) => snapshot.name);
}

/** The compression method the zip's central directory records for an entry (0: stored, 8: deflated). */
function compressionMethod(zipPath: string, name: string): number {
  const zip = fs.readFileSync(zipPath);
  for (let at = zip.indexOf('PK\x01\x02'); at >= 0; at = zip.indexOf('PK\x01\x02', at + 4)) {
    const nameLength = zip.readUInt16LE(at + 28);
    if (zip.subarray(at + 46, at + 46 + nameLength).toString('utf8') === name) return zip.readUInt16LE(at + 10);
  }
  throw new Error(`${name} not in ${zipPath}`);
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

function backupsOf(store: MemoryStore): string[] {
  const dir = path.join(store.root, 'backups');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

function fileHash(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function snapshotBackup(
  qdrant: QdrantTestServer | QdrantHandle,
  store: MemoryStore,
  extra: string[] = [],
): Promise<string> {
  const result = await runCli('backup', ['--vectors-format', 'snapshot', ...extra], {
    cwd: store.root,
    env: envFor(qdrant),
  });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  return /Location: (.*\.zip)/.exec(result.stdout)![1]!;
}

describe('Qdrant native snapshots', () => {
  after(async () => {
    for (const s of servers) await s.close();
    for (const h of handles) await h.close();
    cleanupTempDirs();
  });

  it('round-trips exactly: points, payload indexes, aliases and database; the server keeps no snapshot', async (t) => {
    const qdrant = await anyQdrant();
    const store = await seededStore(qdrant);
    const name = store.collectionName;
    const archive = await snapshotBackup(qdrant, store);
    assert.deepEqual(await snapshotNames(qdrant, name), []);
    const entries = await readZipEntries(archive);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as {
      format_version: number;
      entries: Record<string, { sha256: string }>;
      qdrant: { server_version: string; snapshot: { checksum: string; aliases: string[]; collection: string } };
    };
    assert.equal(manifest.format_version, 3);
    assert.equal(entries.has('qdrant_vectors.json'), false);
    assert.equal(compressionMethod(archive, SNAPSHOT_ENTRY), 0);
    assert.equal(manifest.qdrant.snapshot.checksum, manifest.entries[SNAPSHOT_ENTRY]!.sha256);
    assert.deepEqual(manifest.qdrant.snapshot.aliases, [aliasOf(store)]);
    if (qdrant.testServer) assert.equal(manifest.qdrant.server_version, '1.18.0');
    else assert.match(manifest.qdrant.server_version, /^\d+\.\d+\.\d+/);

    const inspected = await runCli('backup', ['--inspect', archive, '--json'], { cwd: store.root });
    assert.equal(inspected.code, 0, inspected.stderr);
    const shown = (JSON.parse(inspected.stdout) as { vectors: { format: string; points: number; size: number } })
      .vectors;
    assert.deepEqual(shown, {
      format: 'snapshot',
      points: (await qdrant.getPoints(name)).length,
      size: entries.get(SNAPSHOT_ENTRY)!.length,
    });

    const client = qdrant.client;
    const points = await qdrant.getPoints(name);
    const info = await client.getCollection(name);
    const dump = dumpDatabase(store.dbPath);
    await client.deleteCollection(name);
    await client.createCollection(name, { vectors: { size: 4, distance: 'Dot' } });
    fs.writeFileSync(store.dbPath, '');

    const result = await runCli('restore', [archive, '--yes'], { cwd: store.root, env: qdrant.env });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.deepEqual(await qdrant.getPoints(name), points);
    const restored = await client.getCollection(name);
    assert.deepEqual(restored.config, info.config);
    assert.deepEqual(restored.payload_schema, info.payload_schema);
    const aliases = (await client.getAliases()).aliases.filter((a) => a.collection_name === name);
    assert.deepEqual(aliases, [{ alias_name: aliasOf(store), collection_name: name }]);
    assert.deepEqual(dumpDatabase(store.dbPath), dump);
    if (!qdrant.testServer) {
      t.diagnostic('the upload request itself (priority=snapshot, checksum) is checked with the test server only');
      return;
    }
    const upload = qdrant.testServer.requestLog.find((r) => r.path.endsWith('/snapshots/upload'));
    assert.match(upload!.query, /priority=snapshot/);
    assert.match(upload!.query, new RegExp(`checksum=${manifest.qdrant.snapshot.checksum}`));
  });

  it('deletes the server snapshot when the download fails, and keeps the database (exit 3)', async (t) => {
    if (skipWithRealQdrant(t, 'fault injection')) return;
    const qdrant = await server();
    const store = await seededStore(qdrant, 20);
    qdrant.injectFault({ method: 'GET', path: /\/snapshots\/[^/]+$/, kind: 'drop' });
    const result = await runCli('backup', ['--vectors-format', 'snapshot'], {
      cwd: store.root,
      env: { QDRANT_URL: qdrant.url },
    });
    assert.equal(result.code, 3, result.stderr + result.stdout);
    assert.match(result.stderr, /Qdrant snapshot failed/);
    assert.ok(qdrant.requestLog.some((r) => r.method === 'POST' && r.path.endsWith('/snapshots')));
    assert.ok(qdrant.requestLog.some((r) => r.method === 'DELETE' && r.path.includes('/snapshots/')));
    assert.deepEqual(qdrant.snapshotNames(store.collectionName), []);
    const archive = path.join(
      store.root,
      'backups',
      backupsOf(store).find((n) => n.startsWith('backup_'))!,
    );
    const entries = await readZipEntries(archive);
    assert.equal(entries.has(SNAPSHOT_ENTRY), false);
    assert.ok(entries.has('memoryv012.db'));
  });

  it('refuses a download that does not match what Qdrant described, and still deletes the snapshot', async (t) => {
    if (skipWithRealQdrant(t, 'fault injection')) return;
    const qdrant = await server();
    const store = await seededStore(qdrant, 12);
    qdrant.injectFault({
      method: 'GET',
      path: /\/snapshots\/[^/]+$/,
      kind: 'body',
      body: Buffer.from('not the snapshot'),
    });
    const result = await runCli('backup', ['--vectors-format', 'snapshot'], {
      cwd: store.root,
      env: { QDRANT_URL: qdrant.url },
    });
    assert.equal(result.code, 3, result.stderr + result.stdout);
    assert.match(
      result.stderr,
      /sent snapshot .* as 16 bytes with SHA-256 [0-9a-f]{64}, but described it as \d+ bytes/,
    );
    assert.deepEqual(qdrant.snapshotNames(store.collectionName), []);
  });

  it('refuses a multi-node cluster with one line, writing nothing and making no snapshot', async (t) => {
    if (skipWithRealQdrant(t, 'a simulated cluster')) return;
    const qdrant = await server({ peers: 3 });
    const store = await seededStore(qdrant, 10);
    const result = await runCli('backup', ['--vectors-format', 'snapshot'], {
      cwd: store.root,
      env: { QDRANT_URL: qdrant.url },
    });
    assert.equal(result.code, 1, result.stderr + result.stdout);
    const errors = lines(result.stderr).filter((line) => line.startsWith('[ERROR]'));
    assert.equal(errors.length, 1, result.stderr);
    assert.match(errors[0]!, /cluster of 3 nodes.*the points format covers clusters/);
    assert.deepEqual(
      backupsOf(store).filter((n) => n.endsWith('.zip')),
      [],
    );
    assert.equal(
      qdrant.requestLog.some((r) => r.method === 'POST' && r.path.endsWith('/snapshots')),
      false,
    );
  });

  it('refuses a server of another minor version before any change, in the dry run too', async (t) => {
    if (skipWithRealQdrant(t, 'servers of other versions')) return;
    const older = await server({ version: '1.16.3' });
    const store = await seededStore(older, 15);
    const archive = await snapshotBackup(older, store);
    const newer = await server({ version: '1.18.0' });
    await seedCollection(newer.url, store.collectionName, store.points.slice(0, 5));
    const env = { QDRANT_URL: newer.url };
    const dbBefore = fileHash(store.dbPath);
    const pointsBefore = newer.getPoints(store.collectionName);
    const filesBefore = backupsOf(store);
    for (const args of [['--dry-run'], ['--yes']]) {
      const result = await runCli('restore', [archive, ...args], { cwd: store.root, env });
      assert.equal(result.code, 1, result.stderr + result.stdout);
      const errors = lines(result.stderr).filter((line) => line.startsWith('[ERROR]'));
      assert.equal(errors.length, 1, result.stderr);
      assert.match(errors[0]!, /made by Qdrant 1\.16\.3, and Qdrant 1\.18\.0 recovers .*nothing was changed/);
      assert.match(result.stderr, /points format/);
    }
    assert.equal(fileHash(store.dbPath), dbBefore);
    assert.deepEqual(newer.getPoints(store.collectionName), pointsBefore);
    assert.deepEqual(backupsOf(store), filesBefore);
    assert.equal(
      newer.requestLog.some((r) => r.path.includes('/snapshots')),
      false,
    );

    const next = await server({ version: '1.17.1' });
    const result = await runCli('restore', [archive, '--yes'], { cwd: store.root, env: { QDRANT_URL: next.url } });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.deepEqual(next.getPoints(store.collectionName), older.getPoints(store.collectionName));
  });

  it('refuses a damaged snapshot archive before any change: bytes, checksum, aliases, missing entry', async () => {
    const qdrant = await anyQdrant();
    const store = await seededStore(qdrant, 10);
    const good = await readZipEntries(await snapshotBackup(qdrant, store));
    const manifestWith = (edit: (snapshot: Record<string, unknown>) => void): Buffer => {
      const manifest = JSON.parse(good.get('manifest.json')!.toString('utf8')) as {
        qdrant: { snapshot: Record<string, unknown> };
      };
      edit(manifest.qdrant.snapshot);
      return Buffer.from(JSON.stringify(manifest));
    };
    const flipped = Buffer.from(good.get(SNAPSHOT_ENTRY)!);
    flipped[5] = flipped[5]! ^ 1;
    const cases: Array<[string, Record<string, Buffer | null>, RegExp]> = [
      ['changed bytes', { [SNAPSHOT_ENTRY]: flipped }, /qdrant_collection\.snapshot does not match its SHA-256/],
      [
        'wrong checksum',
        { 'manifest.json': manifestWith((s) => (s.checksum = 'a'.repeat(64))) },
        /the checksum Qdrant reported does not match/,
      ],
      [
        'bad alias',
        { 'manifest.json': manifestWith((s) => (s.aliases = ['a/b'])) },
        /qdrant\.snapshot\.aliases: alias "a\/b" contains a character Qdrant refuses/,
      ],
      [
        'no entry',
        { [SNAPSHOT_ENTRY]: null },
        /the manifest lists qdrant_collection\.snapshot, which the zip does not hold/,
      ],
    ];
    const pointsBefore = await qdrant.getPoints(store.collectionName);
    for (const [label, changes, expected] of cases) {
      const entries = [...good].flatMap(([name, data]) =>
        name in changes ? (changes[name] ? [{ name, data: changes[name] }] : []) : [{ name, data }],
      );
      const file = path.join(makeTempDir('ba-snapshots-bad'), 'backup_20260101_000000.zip');
      fs.writeFileSync(file, buildZip(entries));
      const result = await runCli('restore', [file, '--yes'], { cwd: store.root, env: qdrant.env });
      assert.equal(result.code, 5, `${label}: ${result.stderr}`);
      assert.match(result.stderr, expected, label);
    }
    assert.deepEqual(await qdrant.getPoints(store.collectionName), pointsBefore);
    // (the test server also shows that nothing was uploaded; a real Qdrant shows it by the points above)
    const uploads = qdrant.testServer?.requestLog.filter((r) => r.path.endsWith('/snapshots/upload')) ?? [];
    assert.deepEqual(uploads, []);
  });

  it('rolls back when Qdrant refuses the upload: the previous collection and database are back', async (t) => {
    if (skipWithRealQdrant(t, 'fault injection')) return;
    const qdrant = await server();
    const store = await seededStore(qdrant, 25);
    const archive = await snapshotBackup(qdrant, store);
    const client = clientFor(qdrant.url);
    await client.delete(store.collectionName, { wait: true, points: [store.points[0]!.id] });
    const pointsBefore = qdrant.getPoints(store.collectionName);
    const dbBefore = dumpDatabase(store.dbPath);
    qdrant.injectFault({ method: 'POST', path: '/snapshots/upload', kind: 'status', status: 500 });
    const result = await runCli('restore', [archive, '--yes'], { cwd: store.root, env: { QDRANT_URL: qdrant.url } });
    assert.equal(result.code, 1, result.stderr + result.stdout);
    assert.match(result.stderr, /The previous state was put back from .*safety_.*nothing was lost/);
    assert.deepEqual(qdrant.getPoints(store.collectionName), pointsBefore);
    assert.deepEqual(dumpDatabase(store.dbPath), dbBefore);
  });

  it('a snapshot that takes longer than --timeout to make does not fail the backup', async (t) => {
    if (skipWithRealQdrant(t, 'a slowed snapshot')) return;
    const qdrant = await server({ snapshots: { createDelayMs: 2500 } });
    const store = await seededStore(qdrant, 10);
    await snapshotBackup(qdrant, store, ['--timeout', '1']);
    assert.deepEqual(qdrant.snapshotNames(store.collectionName), []);
  });

  it('refuses --vectors-format snapshot without a Qdrant server, and an unknown format', async () => {
    const store = createMemoryStore({ root: makeTempDir('ba-snapshots'), memories: 3 });
    const none = await runCli('backup', ['--vectors-format', 'snapshot', '--skip-qdrant'], { cwd: store.root });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--vectors-format snapshot needs a Qdrant server/);
    const unknown = await runCli('backup', ['--vectors-format', 'tar'], { cwd: store.root });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Invalid --vectors-format "tar": must be points or snapshot/);
  });
});
