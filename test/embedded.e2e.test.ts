/**
 * The embedded (local-mode) vector store: mode selection, backup of
 * qdrant_data/ while a client writes, restore by folder swap, refusal while
 * the memory server holds the store, and cross-mode refusal.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { addLocalPoints, createLocalQdrant, storageRows } from './fixtures/local-qdrant.js';
import { startQdrantTestServer, type QdrantTestServer } from './qdrant-server/server.js';
import { runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { seedCollection } from './support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

const location = (stdout: string): string => /Location: (.*\.zip)/.exec(stdout)![1]!;

function snapshotOf(localDir: string): Record<string, unknown> {
  const out: Record<string, unknown> = { meta: fs.readFileSync(path.join(localDir, 'meta.json'), 'utf8') };
  const collections = path.join(localDir, 'collection');
  for (const name of fs.readdirSync(collections).sort())
    out[name] = storageRows(path.join(collections, name, 'storage.sqlite'));
  return out;
}

describe('embedded vector store', () => {
  let store: MemoryStore;
  let localDir: string;
  let main: string;

  before(() => {
    store = createMemoryStore({ root: makeTempDir('ba-embedded'), memories: 30, dims: 8 });
    main = store.collectionName;
    localDir = createLocalQdrant(store.repoDir, {
      [main]: { points: 30, size: 8 },
      other_collection: { points: 5, size: 8 },
    });
  });
  after(() => cleanupTempDirs());

  it('is chosen when qdrant_data/ exists and backed up file by file, without the lock file', async () => {
    const result = await runCli('backup', ['-d', 'embedded'], { cwd: store.root });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /\[INFO\] Vector store: embedded \(the store has a qdrant_data\/ folder \(local mode\)\)/,
    );
    assert.match(result.stdout, /Vectors: 30\n/);
    const entries = await readZipEntries(location(result.stdout));
    assert.deepEqual([...entries.keys()].sort(), [
      'manifest.json',
      'memoryv012.db',
      'qdrant_data/collection/buildautomata_ai_v012_claude_assistant_memories/storage.sqlite',
      'qdrant_data/collection/other_collection/storage.sqlite',
      'qdrant_data/meta.json',
    ]);
    assert.equal(
      entries.get('qdrant_data/meta.json')!.toString('utf8'),
      fs.readFileSync(path.join(localDir, 'meta.json'), 'utf8'),
    );
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    assert.equal(manifest.qdrant_mode.mode, 'embedded');
    assert.deepEqual(manifest.embedded.collections, { [main]: { points: 30 }, other_collection: { points: 5 } });
    assert.deepEqual(manifest.stats.qdrant, { total_vectors: 30 });
    for (const name of [...entries.keys()].filter((n) => n !== 'manifest.json'))
      assert.ok(manifest.entries[name].sha256, `${name} has a checksum`);
    const inspected = await runCli('backup', ['--inspect', location(result.stdout)], { cwd: store.root });
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.match(
      inspected.stdout,
      new RegExp(`\\n {2}Vectors: the embedded store: ${main} 30 points, other_collection 5 points\\n`),
    );
    const copy = path.join(makeTempDir('ba-emb-copy'), 'storage.sqlite');
    fs.writeFileSync(copy, entries.get(`qdrant_data/collection/${main}/storage.sqlite`)!);
    assert.deepEqual(storageRows(copy), storageRows(path.join(localDir, 'collection', main, 'storage.sqlite')));
  });

  it('follows the selection rules: flag, BA_QDRANT_MODE, USE_EXTERNAL_QDRANT, an explicit address', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp, number]> = [
      [['--qdrant', 'none'], {}, /Vector store: none \(--qdrant none\)/, 0],
      [[], { BA_QDRANT_MODE: 'none' }, /Vector store: none \(BA_QDRANT_MODE none\)/, 0],
      [[], { USE_EXTERNAL_QDRANT: 'yes', QDRANT_PORT: '9' }, /Vector store: server \(USE_EXTERNAL_QDRANT=yes\)/, 3],
      [[], { QDRANT_HOST: '127.0.0.1', QDRANT_PORT: '9' }, /Vector store: server \(QDRANT_HOST is set\)/, 3],
    ];
    for (const [args, env, pattern, code] of cases) {
      const result = await runCli('backup', args, { cwd: store.root, env });
      assert.equal(result.code, code, `${args.join(' ')} ${JSON.stringify(env)}: ${result.stderr}`);
      assert.match(result.stdout, pattern);
    }
    const bad = await runCli('backup', [], { cwd: store.root, env: { BA_QDRANT_MODE: 'local' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^\[ERROR\] Invalid BA_QDRANT_MODE "local": must be server, embedded or none\n/);
  });

  it('backs up a consistent copy while a client keeps writing', async () => {
    const storage = path.join(localDir, 'collection', main, 'storage.sqlite');
    const script = `
      const Database = require(${JSON.stringify(require_resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(storage)}); db.pragma('busy_timeout = 5000');
      const ins = db.prepare('INSERT INTO points (id, point) VALUES (?, ?)');
      let n = db.prepare('SELECT COUNT(*) AS n FROM points').get().n;
      const tx = db.transaction(() => { for (let i = 0; i < 7; i++) ins.run('w' + n + '-' + i, Buffer.alloc(3000, i)); });
      const tick = () => { tx(); n += 7; process.stdout.write('committed ' + n + '\\n'); setTimeout(tick, 2); };
      process.on('SIGTERM', () => { db.close(); process.exit(0); });
      tick();`;
    const writer = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const committed = new Set<number>();
    writer.stdout.setEncoding('utf8').on('data', (d: string) => {
      for (const m of d.matchAll(/committed (\d+)/g)) committed.add(Number(m[1]));
    });
    try {
      while (committed.size === 0) await new Promise((r) => setTimeout(r, 10));
      const result = await runCli('backup', ['-d', 'under load'], { cwd: store.root });
      assert.equal(result.code, 0, result.stderr);
      const entries = await readZipEntries(location(result.stdout));
      const copy = path.join(makeTempDir('ba-emb-load'), 'storage.sqlite');
      fs.writeFileSync(copy, entries.get(`qdrant_data/collection/${main}/storage.sqlite`)!);
      const db = new Database(copy, { readonly: true });
      assert.equal((db.pragma('integrity_check') as Array<{ integrity_check: string }>)[0]!.integrity_check, 'ok');
      const rows = (db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
      db.close();
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(committed.has(rows), `${rows} points is a committed state of the writer`);
      const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
      assert.equal(manifest.stats.qdrant.total_vectors, rows);
    } finally {
      writer.kill('SIGTERM');
      await new Promise((r) => writer.on('close', r));
    }
  });

  it('restores by swapping in the verified store, after a safety backup of the previous one', async () => {
    const made = await runCli('backup', ['-d', 'known'], { cwd: store.root });
    const archive = location(made.stdout);
    const expected = snapshotOf(localDir);
    const expectedDb = dumpDatabase(store.dbPath);
    // change everything
    addLocalPoints(path.join(localDir, 'collection', main, 'storage.sqlite'), 11, 8, 'later');
    fs.rmSync(path.join(localDir, 'collection', 'other_collection'), { recursive: true });
    const changed = snapshotOf(localDir);
    const result = await runCli('restore', [path.basename(archive), '--yes'], { cwd: store.root });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    // the Python client creates a collection's folder with the collection: one gone is damage, saved raw
    assert.match(
      result.stdout,
      /Embedded vector store: .*qdrant_data\n {4}now: {6}damaged: collection other_collection is listed in meta.json but its folder is missing\n {4}restored: /,
    );
    assert.deepEqual(snapshotOf(localDir), expected);
    assert.deepEqual(dumpDatabase(store.dbPath), expectedDb);
    assert.deepEqual(
      fs.readdirSync(store.repoDir).sort(),
      ['memoryv012.db', 'qdrant_data'],
      'no staging or previous folder left',
    );
    const safety = /Safety backup of the previous state: (.*\.zip)/.exec(result.stdout)![1]!;
    const saved = await readZipEntries(safety);
    const savedCopy = path.join(makeTempDir('ba-emb-safety'), 'storage.sqlite');
    fs.writeFileSync(savedCopy, saved.get(`raw/qdrant_data/collection/${main}/storage.sqlite`)!);
    assert.deepEqual(storageRows(savedCopy), changed[main]);
  });

  it('refuses while the memory server holds the store, and --force overrides', async () => {
    const made = await runCli('backup', [], { cwd: store.root });
    const archive = location(made.stdout);
    const holder = spawn('flock', [path.join(localDir, '.lock'), 'sleep', '30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const before = snapshotOf(localDir);
      const refused = await runCli('restore', [archive, '--yes'], { cwd: store.root });
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /^\[ERROR\] The memory server seems to be running on this store: .*\.lock is locked by a running Qdrant client; nothing was changed\n {8}Stop the memory server, then run the restore again \(--force overrides this check\)\.\n$/,
      );
      assert.deepEqual(snapshotOf(localDir), before);
      const forced = await runCli('restore', [archive, '--yes', '--force'], { cwd: store.root });
      assert.equal(forced.code, 0, forced.stderr);
    } finally {
      holder.kill();
    }
  });

  it('refuses to convert between the embedded store and a server', async () => {
    const server: QdrantTestServer = await startQdrantTestServer();
    try {
      const embeddedArchive = location((await runCli('backup', [], { cwd: store.root })).stdout);
      const toServer = await runCli('restore', [embeddedArchive, '--yes'], {
        cwd: store.root,
        env: { QDRANT_URL: server.url },
      });
      assert.equal(toServer.code, 1);
      assert.match(
        toServer.stderr,
        /holds an embedded \(local-mode\) vector store, but this store uses a Qdrant server \(QDRANT_URL is set\)\. Converting between a Qdrant server and the embedded store is not supported/,
      );
      assert.match(toServer.stderr, /Restore with --qdrant embedded/);

      const root = makeTempDir('ba-emb-server');
      const serverStore = createMemoryStore({ root, memories: 5, dims: 8 });
      await seedCollection(server.url, serverStore.collectionName, serverStore.points);
      const serverArchive = location(
        (await runCli('backup', [], { cwd: root, env: { QDRANT_URL: server.url } })).stdout,
      );
      const toEmbedded = await runCli('restore', [serverArchive, '--yes', '--qdrant', 'embedded'], { cwd: root });
      assert.equal(toEmbedded.code, 1);
      assert.match(
        toEmbedded.stderr,
        /holds vectors exported from a Qdrant server, but this store uses the embedded store \(--qdrant embedded\)/,
      );
    } finally {
      await server.close();
    }
  });

  it('restores an embedded archive on a fresh machine', async () => {
    const archive = location((await runCli('backup', [], { cwd: store.root })).stdout);
    const expected = snapshotOf(localDir);
    const root = makeTempDir('ba-emb-fresh');
    const result = await runCli('restore', [archive, '--yes'], { cwd: root });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(
      result.stdout,
      /Vector store: embedded \(the archive holds an embedded store and nothing else was chosen\)/,
    );
    assert.deepEqual(
      snapshotOf(path.join(root, 'memory_repos', `${store.username}_${store.agent}`, 'qdrant_data')),
      expected,
    );
  });
});

function require_resolve(name: string): string {
  return path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'node_modules', name);
}
