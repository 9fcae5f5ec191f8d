/**
 * ba-backup end to end: the built bin against fixture stores and the
 * Qdrant-compatible test server, checking archives entry by entry.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { ArchiveReader } from '../src/archive/reader.js';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { onlyWithTestServer, startQdrant, type QdrantHandle } from './support/qdrant.js';
import { seedCollection } from './support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function archivesIn(dir: string): string[] {
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((n) => n.endsWith('.zip'))
        .sort()
    : [];
}

function locationOf(stdout: string): string {
  const m = /Location: (.*\.zip)/.exec(stdout);
  assert.ok(m, `no Location in output:\n${stdout}`);
  return m[1]!;
}

interface ArchivedVectors {
  collection_name: string;
  vector_size: number;
  distance: string;
  collection: { config: { params: { vectors: { size: number; distance: string } } } };
  points: Array<{ id: string; vector: number[]; payload: Record<string, unknown> }>;
}

describe('ba-backup', () => {
  let server: QdrantHandle;
  let store: MemoryStore;
  let env: Record<string, string>;

  before(async () => {
    server = await startQdrant();
    store = createMemoryStore({ root: makeTempDir('ba-backup'), memories: 250 });
    await seedCollection(server.url, store.collectionName, store.points);
    env = server.env;
  });
  after(async () => {
    await server.close();
    cleanupTempDirs();
  });

  it('archives every row, every point and a checksum per entry', async () => {
    const result = await runCli('backup', ['-d', 'first backup'], { cwd: store.root, env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\[SUCCESS\] Backup created successfully!/);
    assert.match(result.stdout, /Memories: 250\n/);
    assert.match(result.stdout, /Vectors: 250\n/);
    const archive = locationOf(result.stdout);
    assert.match(path.basename(archive), /^backup_\d{8}_\d{6}\.zip$/);
    assert.equal(path.dirname(archive), path.join(store.root, 'backups'));
    if (process.platform !== 'win32') assert.equal(fs.statSync(archive).mode & 0o777, 0o600, 'archive is owner-only');

    const entries = await readZipEntries(archive);
    assert.deepEqual([...entries.keys()].sort(), ['manifest.json', 'memoryv012.db', 'qdrant_vectors.json']);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    assert.equal(manifest.description, 'first backup');
    assert.equal(manifest.format_version, 1);
    assert.deepEqual(manifest.config, {
      username: store.username,
      agent_name: store.agent,
      collection_name: store.collectionName,
    });
    assert.deepEqual(manifest.stats, {
      sqlite: { total_memories: 250, total_versions: store.counts.versions, total_intentions: store.counts.intentions },
      qdrant: { total_vectors: 250 },
    });
    for (const name of ['memoryv012.db', 'qdrant_vectors.json']) {
      assert.equal(manifest.entries[name].sha256, sha256(entries.get(name)!), `${name} checksum`);
      assert.equal(manifest.entries[name].size, entries.get(name)!.length, `${name} size`);
    }
    assert.match(manifest.qdrant.server_version, server.testServer ? /^1\.18\.0$/ : /^\d+\.\d+\.\d+/);
    assert.equal(manifest.qdrant.vector_size, 768);

    // the database: every row of every table equals the source
    const extracted = path.join(makeTempDir('ba-extract'), 'memoryv012.db');
    fs.writeFileSync(extracted, entries.get('memoryv012.db')!);
    assert.deepEqual(dumpDatabase(extracted), dumpDatabase(store.dbPath));

    // the vectors: keys the original reads, and every point exactly as the server stores it
    const vectors = JSON.parse(entries.get('qdrant_vectors.json')!.toString('utf8')) as ArchivedVectors;
    assert.equal(vectors.collection_name, store.collectionName);
    assert.equal(vectors.vector_size, 768);
    assert.equal(vectors.distance, 'Distance.COSINE');
    assert.deepEqual(vectors.collection.config.params.vectors, { size: 768, distance: 'Cosine' });
    const stored = await server.getPoints(store.collectionName);
    assert.equal(vectors.points.length, stored.length);
    const byId = new Map(store.points.map((p) => [p.id, p]));
    vectors.points.forEach((point, i) => {
      const expected = stored[i]!;
      assert.equal(point.id, expected.id, 'Qdrant id order');
      assert.deepEqual(point.payload, byId.get(point.id)!.payload);
      const storedVector = expected.vector as number[];
      assert.equal(point.vector.length, 768);
      for (let k = 0; k < 768; k++) {
        if (Math.fround(point.vector[k]!) !== storedVector[k])
          assert.fail(`point ${point.id} component ${k}: ${point.vector[k]} vs ${storedVector[k]}`);
      }
    });

    // the vector file is deflated as number text: smaller than level 6's default strategy makes it
    const reader = await ArchiveReader.open(archive);
    const packed = reader.entries.get('qdrant_vectors.json')!.compressedSize;
    reader.close();
    const level6 = deflateRawSync(entries.get('qdrant_vectors.json')!, { level: 6 }).length;
    assert.ok(packed < level6, `qdrant_vectors.json deflated to ${packed} bytes; level 6 makes ${level6}`);
  });

  it('lists archives newest first with their counts and descriptions', async () => {
    const second = await runCli('backup', ['--description', 'second backup'], { cwd: store.root, env });
    assert.equal(second.code, 0, second.stderr);
    const list = await runCli('backup', ['--list'], { cwd: store.root, env });
    assert.equal(list.code, 0);
    const names = [...list.stdout.matchAll(/^ {2}(backup_\S+\.zip)/gm)].map((m) => m[1]);
    assert.equal(names.length, 2);
    assert.deepEqual(names, [...names].sort().reverse(), 'newest first');
    assert.ok(list.stdout.indexOf('second backup') < list.stdout.indexOf('first backup'));
    assert.match(list.stdout, /Memories: 250, Versions: \d+, Vectors: 250/);
  });

  it('lists an unreadable archive as such, and says plainly when there is none', async () => {
    const root = makeTempDir('ba-list');
    const empty = await runCli('backup', ['--list'], { cwd: root, env });
    assert.equal(empty.code, 0);
    assert.match(empty.stdout, /^No backups folder at .*backups; create a backup with/);
    fs.mkdirSync(path.join(root, 'backups'));
    assert.match((await runCli('backup', ['--list'], { cwd: root, env })).stdout, /^No backups in /);
    fs.writeFileSync(path.join(root, 'backups', 'backup_20240101_000000.zip'), 'not a zip');
    const listed = await runCli('backup', ['--list'], { cwd: root, env });
    assert.match(listed.stdout, /backup_20240101_000000\.zip\n {4}Unreadable manifest: /);
  });

  it('saves the database alone, warns and exits 3 when Qdrant is down', async () => {
    const root = makeTempDir('ba-down');
    const local = createMemoryStore({ root, memories: 20 });
    const down = await runCli('backup', ['-d', 'no qdrant'], {
      cwd: root,
      env: { QDRANT_HOST: '127.0.0.1', QDRANT_PORT: '9' },
    });
    assert.equal(down.code, 3, down.stderr);
    assert.match(
      down.stderr,
      /\[WARNING\] Qdrant at http:\/\/127\.0\.0\.1:9 is unreachable .*; the archive holds the SQLite database only/,
    );
    const entries = await readZipEntries(locationOf(down.stdout));
    assert.deepEqual([...entries.keys()].sort(), ['manifest.json', 'memoryv012.db']);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    assert.equal(manifest.stats.qdrant.total_vectors, 0);
    assert.match(manifest.stats.qdrant.error, /unreachable/);
    assert.equal(manifest.stats.sqlite.total_memories, local.counts.memories);

    const required = await runCli('backup', ['--require-qdrant'], {
      cwd: root,
      env: { QDRANT_HOST: '127.0.0.1', QDRANT_PORT: '9' },
    });
    assert.equal(required.code, 1);
    assert.match(required.stderr, /^\[ERROR\] Qdrant at .* unreachable .*; no archive written \(--require-qdrant\)\n$/);
    assert.equal(archivesIn(path.join(root, 'backups')).length, 1, 'no second archive');
    assert.deepEqual(
      fs.readdirSync(path.join(root, 'backups')).filter((n) => n.startsWith('.')),
      [],
      'no temporary files left',
    );
  });

  it('records a missing collection and exits 3', async () => {
    const root = makeTempDir('ba-nocoll');
    const other = createMemoryStore({ root, memories: 10, agent: 'other_agent' });
    const result = await runCli('backup', ['--agent', 'other_agent'], { cwd: root, env });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, new RegExp(`Collection ${other.collectionName} not found on Qdrant at `));
    const manifest = JSON.parse(
      (await readZipEntries(locationOf(result.stdout))).get('manifest.json')!.toString('utf8'),
    );
    assert.deepEqual(manifest.stats.qdrant, { total_vectors: 0, collection_not_found: true });
  });

  it('keeps the database when Qdrant fails part-way, and writes nothing with --require-qdrant', async (t) => {
    const faults = onlyWithTestServer(t, server, 'fault injection');
    if (!faults) return;
    faults.injectFault({
      method: 'POST',
      path: '/points/scroll',
      nth: 2,
      kind: 'status',
      status: 500,
      times: Infinity,
    });
    const partial = await runCli('backup', ['--batch-size', '50'], { cwd: store.root, env });
    assert.equal(partial.code, 3, partial.stderr);
    assert.match(
      partial.stderr,
      /Qdrant export failed: .*HTTP 500: Service internal error: injected fault \(gave up after 4 attempts\)/,
    );
    const entries = await readZipEntries(locationOf(partial.stdout));
    assert.equal(entries.has('qdrant_vectors.json'), false, 'no partial vector file');
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    assert.match(manifest.stats.qdrant.error, /injected fault/);

    const before = archivesIn(path.join(store.root, 'backups'));
    faults.clearFaults();
    faults.injectFault({ method: 'POST', path: '/points/scroll', nth: 3, kind: 'drop', times: Infinity });
    const strict = await runCli('backup', ['--batch-size', '50', '--require-qdrant'], { cwd: store.root, env });
    assert.equal(strict.code, 1, strict.stdout);
    assert.match(strict.stderr, /^\[ERROR\] Qdrant export failed: .*; no archive written\n$/);
    assert.deepEqual(archivesIn(path.join(store.root, 'backups')), before);
    assert.deepEqual(
      fs.readdirSync(path.join(store.root, 'backups')).filter((n) => n.startsWith('.')),
      [],
    );
    faults.clearFaults();
  });

  it('says where the database was expected and how to fix it, exit 1', async () => {
    const root = makeTempDir('ba-nodb');
    const result = await runCli('backup', [], { cwd: root, env: { ...env, BA_USERNAME: 'alice' } });
    assert.equal(result.code, 1);
    const expected = path.join(root, 'memory_repos', 'alice_claude_assistant', 'memoryv012.db');
    assert.equal(result.stderr.split('\n')[0], `[ERROR] Database not found: ${expected}`);
    assert.match(result.stderr, /BA_USERNAME and BA_AGENT_NAME/);
    assert.equal(fs.existsSync(path.join(root, 'backups')), false, 'nothing written');
  });

  for (const [name, value, pattern] of [
    ['QDRANT_PORT', 'abc', /^\[ERROR\] Invalid QDRANT_PORT "abc": must be a number\n/],
    ['QDRANT_PORT', '70000', /^\[ERROR\] Invalid QDRANT_PORT "70000": must be between 1 and 65535\n/],
    [
      'QDRANT_URL',
      'localhost:6333',
      /^\[ERROR\] Invalid QDRANT_URL "localhost:6333": must be an http:\/\/ or https:\/\/ URL\n/,
    ],
    ['BA_USERNAME', '../escape', /^\[ERROR\] Invalid BA_USERNAME "\.\.\/escape": use only letters/],
    // the password of a malformed URL is never printed
    ['QDRANT_URL', 'qdrant:hunter2@q:6333', /^\[ERROR\] Invalid QDRANT_URL "…@q:6333": must be an http/],
  ] as const) {
    it(`rejects ${name}=${value} with a one-line error naming it, exit 2`, async () => {
      const result = await runCli('backup', [], { cwd: store.root, env: { [name]: value } });
      assert.equal(result.code, 2);
      assert.match(result.stderr, pattern);
    });
  }

  it('quotes a 100,000-character BA_AGENT_NAME in one short line, exit 2', async () => {
    const result = await runCli('backup', [], { cwd: store.root, env: { BA_AGENT_NAME: `${'a'.repeat(100_000)}/` } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^\[ERROR\] Invalid BA_AGENT_NAME "a{118}…: must be at most 100 characters\n/);
    assert.ok(result.stderr.length < 400, `${result.stderr.length} characters`);
  });

  it('rejects a bad --batch-size, exit 2', async () => {
    const result = await runCli('backup', ['--batch-size', '0'], { cwd: store.root, env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^\[ERROR\] Invalid --batch-size "0": must be at least 1\n/);
  });

  it('never prints the API key', async () => {
    const root = makeTempDir('ba-key');
    createMemoryStore({ root, memories: 5 });
    const secret = server.env.QDRANT_API_KEY ?? 'super-secret-key-0123456789';
    const result = await runCli('backup', [], { cwd: root, env: { ...server.env, QDRANT_API_KEY: secret } });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret));
    const entries = await readZipEntries(locationOf(result.stdout));
    for (const [name, data] of entries) assert.ok(!data.includes(secret), `${name} holds no key`);
  });

  it('takes a consistent snapshot while another process keeps writing', async () => {
    const root = makeTempDir('ba-writer');
    const local = createMemoryStore({ root, memories: 100, agent: 'busy_agent' });
    await seedCollection(server.url, local.collectionName, local.points.slice(0, 10));
    const writerScript = fileURLToPath(new URL('./fixtures/writer.js', import.meta.url));
    const writer = spawn(process.execPath, [writerScript, local.dbPath, '--batch', '5', '--interval-ms', '2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const committed = new Set<string>([`${local.counts.memories} ${local.counts.versions}`]);
    let lines = '';
    writer.stdout.setEncoding('utf8').on('data', (d: string) => {
      lines += d;
      for (const m of d.matchAll(/committed (\d+) (\d+)/g)) committed.add(`${m[1]} ${m[2]}`);
    });
    try {
      while (!/committed/.test(lines)) await new Promise((r) => setTimeout(r, 20));
      const results = [];
      for (let i = 0; i < 3; i++)
        results.push(await runCli('backup', ['-d', `under load ${i}`, '--agent', 'busy_agent'], { cwd: root, env }));
      await new Promise((r) => setTimeout(r, 100));
      for (const result of results) {
        assert.equal(result.code, 0, result.stderr);
        const entries = await readZipEntries(locationOf(result.stdout));
        const extracted = path.join(makeTempDir('ba-snap'), 'memoryv012.db');
        fs.writeFileSync(extracted, entries.get('memoryv012.db')!);
        const db = new Database(extracted, { readonly: true });
        assert.equal((db.pragma('integrity_check') as Array<{ integrity_check: string }>)[0]!.integrity_check, 'ok');
        const memories = (db.prepare('SELECT COUNT(*) AS n FROM memories').get() as { n: number }).n;
        const versions = (db.prepare('SELECT COUNT(*) AS n FROM memory_versions').get() as { n: number }).n;
        db.close();
        assert.ok(
          committed.has(`${memories} ${versions}`),
          `${memories} memories / ${versions} versions is a committed state of the writer`,
        );
        const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
        assert.equal(manifest.stats.sqlite.total_memories, memories);
      }
      assert.ok(committed.size > 3, 'the writer committed while the backups ran');
    } finally {
      writer.kill('SIGTERM');
      await new Promise((r) => writer.on('close', r));
    }
  });
});
