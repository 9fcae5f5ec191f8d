/**
 * Passing Qdrant faults (5xx, dropped connections, answers later than the
 * timeout) during export and import: retried with backoff, and the archive
 * and the restored collection are complete.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyArchive } from '../src/verify/verify-archive.js';
import { silentReporter } from '../src/output.js';
import { QdrantConnection } from '../src/qdrant/connection.js';
import { importCollection } from '../src/qdrant/import.js';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { startQdrantTestServer, type FaultRule, type QdrantTestServer } from './qdrant-server/server.js';
import { runCli } from './support/cli.js';
import { clientFor, seedCollection } from './support/qdrant-seed.js';
import { REAL_QDRANT } from './support/real-qdrant.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

// every test here injects faults, so against a real Qdrant (BA_TEST_QDRANT_URL) the whole suite skips
describe('passing Qdrant faults', { skip: REAL_QDRANT && 'needs fault injection: the test server only' }, () => {
  let server: QdrantTestServer;
  let store: MemoryStore;
  let env: Record<string, string>;
  let expected: ReturnType<QdrantTestServer['getPoints']>;

  before(async () => {
    server = await startQdrantTestServer();
    store = createMemoryStore({ root: makeTempDir('ba-faults'), memories: 60, dims: 16 });
    await seedCollection(server.url, store.collectionName, store.points);
    env = { QDRANT_URL: server.url };
    expected = server.getPoints(store.collectionName);
  });
  after(async () => {
    await server.close();
    cleanupTempDirs();
  });

  const faults: Array<[string, Omit<FaultRule, 'method' | 'path'>]> = [
    ['a 503', { kind: 'status', status: 503, nth: 2, times: 2 }],
    ['a dropped connection', { kind: 'drop', nth: 2 }],
    ['an answer later than the timeout', { kind: 'delay', delayMs: 2500, nth: 2 }],
    ['a 429', { kind: 'status', status: 429, nth: 1 }],
  ];
  for (const [name, fault] of faults) {
    it(`survives ${name} during the export and during the import`, async () => {
      server.clearFaults();
      const logStart = server.requestLog.length;
      server.injectFault({ method: 'POST', path: '/points/scroll', ...fault });
      const backup = await runCli('backup', ['--batch-size', '10', '--timeout', '1'], { cwd: store.root, env });
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, /Vectors: 60\n/);
      const archive = /Location: (.*\.zip)/.exec(backup.stdout)![1]!;

      server.clearFaults();
      server.injectFault({ method: 'PUT', path: /\/points$/, ...fault });
      const restore = await runCli(
        'restore',
        [archive, '--yes', '--batch-size', '10', '--concurrency', '1', '--timeout', '1', '--no-safety-backup'],
        { cwd: store.root, env },
      );
      assert.equal(restore.code, 0, restore.stderr);
      assert.match(restore.stdout, /Vectors: 60\n/);
      assert.deepEqual(server.getPoints(store.collectionName), expected);
      const scrolls = server.requestLog.slice(logStart).filter((r) => r.path.includes('/points/scroll'));
      const upserts = server.requestLog
        .slice(logStart)
        .filter((r) => r.method === 'PUT' && /\/points$/.test(r.path.split('?')[0]!));
      // 6 pages and 6 batches, plus at least one repeat of a faulty request
      // (a request delayed past the timeout is logged only when it ends, if ever)
      assert.ok(
        scrolls.length + upserts.length >= 13,
        `faulty requests were repeated (${scrolls.length} scrolls, ${upserts.length} upserts)`,
      );
      server.clearFaults();
    });
  }

  it('refuses, after loading, an archive whose vector file changed since it was verified', async () => {
    server.clearFaults();
    const first = await runCli('backup', [], { cwd: store.root, env });
    assert.equal(first.code, 0, first.stderr);
    const verified = await verifyArchive(/Location: (.*\.zip)/.exec(first.stdout)![1]!, {}, silentReporter);
    // the same collection with one payload changed: same count, same layout, other bytes
    const point = store.points[0]!;
    await clientFor(server.url).upsert(store.collectionName, {
      wait: true,
      points: [{ id: point.id, vector: point.vector, payload: { ...point.payload, changed: true } }],
    });
    const second = await runCli('backup', [], { cwd: store.root, env });
    assert.equal(second.code, 0, second.stderr);
    const replaced = /Location: (.*\.zip)/.exec(second.stdout)![1]!;
    const scratch = new QdrantConnection({ url: server.url, timeoutMs: 30_000 });
    await assert.rejects(
      importCollection(scratch, 'replaced_scratch', replaced, verified.vectors!, { batchSize: 25, concurrency: 2 }),
      /changed after it was verified/,
    );
    // and the archive it was verified from loads
    assert.equal(
      await importCollection(
        scratch,
        'replaced_scratch',
        /Location: (.*\.zip)/.exec(first.stdout)![1]!,
        verified.vectors!,
        { batchSize: 25, concurrency: 2 },
      ),
      60,
    );
    await clientFor(server.url).upsert(store.collectionName, {
      wait: true,
      points: [{ id: point.id, vector: point.vector, payload: point.payload }],
    });
  });

  const vector = JSON.stringify(Array.from({ length: 16 }, (_, i) => i / 16));
  const page = (point: string): Buffer =>
    Buffer.from(`{"result":{"points":[${point}],"next_page_offset":null},"status":"ok","time":0.001}`);
  const brokenAnswers: Array<[string, Buffer, RegExp]> = [
    [
      'bytes that are not UTF-8',
      Buffer.concat([
        page(`{"id":1,"payload":{"t":"`).subarray(0, 40),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}}]}}'),
      ]),
      /not valid UTF-8/,
    ],
    [
      'JSON cut off',
      page(`{"id":1,"payload":{},"vector":${vector}}`).subarray(0, 60),
      /malformed scroll answer: the JSON document is truncated/,
    ],
    [
      'a vector of the wrong size',
      page(`{"id":1,"payload":{},"vector":[0.5,0.25]}`),
      /invalid point: point 1: vector has 2 numbers, the collection expects 16/,
    ],
  ];
  for (const [name, body, problem] of brokenAnswers) {
    it(`keeps the database alone, exit 3, when a scroll answer holds ${name}; writes nothing with --require-qdrant`, async () => {
      server.clearFaults();
      const before = fs.readdirSync(path.join(store.root, 'backups'));
      // the second page is broken: the export fails part-way, after writing the first
      server.injectFault({ method: 'POST', path: '/points/scroll', kind: 'body', body, nth: 2 });
      const partial = await runCli('backup', ['--batch-size', '10'], { cwd: store.root, env });
      assert.equal(partial.code, 3, partial.stderr);
      assert.match(partial.stderr, problem);
      assert.match(partial.stderr, /the archive holds the SQLite database only/);
      const archive = /Location: (.*\.zip)/.exec(partial.stdout)![1]!;
      assert.deepEqual([...(await readZipEntries(archive)).keys()].sort(), ['manifest.json', 'memoryv012.db']);

      server.clearFaults();
      server.injectFault({ method: 'POST', path: '/points/scroll', kind: 'body', body, nth: 2 });
      const strict = await runCli('backup', ['--batch-size', '10', '--require-qdrant'], { cwd: store.root, env });
      assert.equal(strict.code, 1, strict.stderr);
      assert.match(strict.stderr, problem);
      assert.equal(
        fs.readdirSync(path.join(store.root, 'backups')).length,
        before.length + 1,
        'only the first archive was written',
      );
      server.clearFaults();
    });
  }
});
