/**
 * ba-restore end to end: round trip, dry run, confirmation, rejection of
 * damaged archives before any change, and rollback when Qdrant fails.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createMemoryStore, insertMemories, type MemoryStore } from './fixtures/memory-store.js';
import { runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { onlyWithTestServer, startQdrant, type QdrantHandle, type StoredPoint } from './support/qdrant.js';
import { clientFor, seedCollection } from './support/qdrant-seed.js';
import { buildZip } from './support/raw-zip.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

const fileHash = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('ba-restore', () => {
  let server: QdrantHandle;
  let store: MemoryStore;
  let env: Record<string, string>;
  let archive: string;
  let backedUpDump: ReturnType<typeof dumpDatabase>;
  let backedUpPoints: StoredPoint[];
  let backupsDir: string;

  /** Changes the live store so that a restore has something to undo. */
  async function changeLiveData(): Promise<void> {
    const db = new Database(store.dbPath);
    const victims = db.prepare('SELECT id FROM memories ORDER BY id LIMIT 7').all() as Array<{ id: string }>;
    for (const { id } of victims) {
      db.prepare('DELETE FROM memory_versions WHERE memory_id = ?').run(id);
      db.prepare('DELETE FROM memories WHERE id = ?').run(id);
    }
    db.close();
    const added = insertMemories(store.dbPath, 5, { seed: Date.now() % 1000 });
    const client = clientFor(server.url);
    await client.delete(store.collectionName, { wait: true, points: victims.map((v) => v.id) });
    await client.upsert(store.collectionName, {
      wait: true,
      points: added.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })),
    });
  }

  async function liveState(): Promise<{ dbHash: string; points: StoredPoint[] }> {
    return { dbHash: fileHash(store.dbPath), points: await server.getPoints(store.collectionName) };
  }

  function backupsNow(): string[] {
    return fs.readdirSync(backupsDir).sort();
  }

  before(async () => {
    server = await startQdrant();
    store = createMemoryStore({ root: makeTempDir('ba-restore'), memories: 150 });
    backupsDir = path.join(store.root, 'backups');
    await seedCollection(server.url, store.collectionName, store.points);
    env = server.env;
    const result = await runCli('backup', ['-d', 'known good'], { cwd: store.root, env });
    assert.equal(result.code, 0, result.stderr);
    archive = /Location: (.*\.zip)/.exec(result.stdout)![1]!;
    backedUpDump = dumpDatabase(store.dbPath);
    backedUpPoints = await server.getPoints(store.collectionName);
  });
  after(async () => {
    await server.close();
    cleanupTempDirs();
  });
  beforeEach(() => server.testServer?.clearFaults());

  it('restores every row and every point exactly, after saving a safety backup', async () => {
    await changeLiveData();
    const changedDump = dumpDatabase(store.dbPath);
    assert.notDeepEqual(changedDump, backedUpDump);
    const result = await runCli('restore', [path.basename(archive), '--yes'], { cwd: store.root, env });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(
      result.stdout,
      /\[SUCCESS\] Restore completed successfully!\n {2}Archive: backup_\d{8}_\d{6}\.zip\n {2}Memories: 150\n/,
    );
    assert.match(result.stdout, /Vectors: 150\n/);
    assert.deepEqual(dumpDatabase(store.dbPath), backedUpDump);
    assert.deepEqual(await server.getPoints(store.collectionName), backedUpPoints);

    // the safety backup holds the state that was replaced, and is listed
    const safety = /Safety backup of the previous state: (.*\.zip)/.exec(result.stdout)![1]!;
    assert.match(path.basename(safety), /^safety_\d{8}_\d{6}\.zip$/);
    const entries = await readZipEntries(safety);
    const extracted = path.join(makeTempDir('ba-safety'), 'memoryv012.db');
    fs.writeFileSync(extracted, entries.get('memoryv012.db')!);
    assert.deepEqual(dumpDatabase(extracted), changedDump);
    const list = await runCli('restore', ['--list'], { cwd: store.root, env });
    assert.match(list.stdout, /safety_\d{8}_\d{6}\.zip {2}\[safety backup before a restore\]/);
  });

  it('dry run shows both sides and changes nothing', async () => {
    await changeLiveData();
    const before = await liveState();
    const backups = backupsNow();
    const result = await runCli('restore', [archive, '--dry-run'], { cwd: store.root, env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /now: {6}148 memories, \d+ versions, \d+ intentions\n {4}restored: 150 memories/);
    assert.match(result.stdout, /now: {6}148 points\n {4}restored: 150 points \(768 dims, Cosine\)/);
    assert.match(result.stdout, /\[DRY RUN\] No changes made\n$/);
    assert.deepEqual(await liveState(), before);
    assert.deepEqual(backupsNow(), backups);
  });

  it('cancels on any answer but the phrase, exit 4, nothing changed', async () => {
    const before = await liveState();
    const backups = backupsNow();
    const result = await runCli('restore', [archive], { cwd: store.root, env, tty: true, input: 'delete all data\n' });
    assert.equal(result.code, 4, result.stdout);
    assert.match(result.stdout, /Type 'DELETE ALL DATA' to confirm: /);
    assert.match(result.stdout, /\[CANCELLED\] Restore cancelled; nothing was changed\./);
    assert.deepEqual(await liveState(), before);
    assert.deepEqual(backupsNow(), backups);
  });

  it('restores when the phrase is typed at the prompt', async () => {
    await changeLiveData();
    const result = await runCli('restore', [archive], { cwd: store.root, env, tty: true, input: 'DELETE ALL DATA\n' });
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /\[SUCCESS\] Restore completed successfully!/);
    assert.deepEqual(dumpDatabase(store.dbPath), backedUpDump);
    assert.deepEqual(await server.getPoints(store.collectionName), backedUpPoints);
  });

  it('refuses at once without a terminal and without --yes, exit 2, nothing changed', async () => {
    await changeLiveData();
    const before = await liveState();
    const result = await runCli('restore', [archive], { cwd: store.root, env, input: 'DELETE ALL DATA\n' });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "[ERROR] Refusing to restore without confirmation: standard input is not a terminal\n        Run it in a terminal to type 'DELETE ALL DATA', or pass --yes to confirm from a script.\n",
    );
    assert.deepEqual(await liveState(), before);
  });

  it('says what it tried when the archive does not exist', async () => {
    const result = await runCli('restore', ['backup_19990101_000000.zip'], { cwd: store.root, env });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^\[ERROR\] Backup not found: .*backups\/backup_19990101_000000\.zip, .*\n {8}Run ba-restore --list to see the available backups\.\n$/,
    );
  });

  describe('rejects a damaged archive before any change', () => {
    let good: Map<string, Buffer>;
    before(async () => {
      good = await readZipEntries(archive);
    });

    function entriesWith(changes: Record<string, Buffer | null>): Array<{ name: string; data: Buffer }> {
      const out: Array<{ name: string; data: Buffer }> = [];
      for (const [name, data] of good) {
        if (name in changes) {
          if (changes[name] !== null) out.push({ name, data: changes[name]! });
        } else out.push({ name, data });
      }
      return out;
    }

    function manifestWith(edit: (m: Record<string, unknown>) => void): Buffer {
      const manifest = JSON.parse(good.get('manifest.json')!.toString('utf8')) as Record<string, unknown>;
      edit(manifest);
      return Buffer.from(JSON.stringify(manifest));
    }

    /** Flips one byte inside an entry's compressed data in the real archive. */
    function flipByteIn(entryName: string): Buffer {
      const bytes = Buffer.from(fs.readFileSync(archive));
      const nameBytes = Buffer.from(entryName);
      for (let at = bytes.indexOf(0x04034b50 & 0xff); at >= 0; at = bytes.indexOf(0x50, at + 1)) {
        if (bytes.readUInt32LE(at) !== 0x04034b50) continue;
        const nameLength = bytes.readUInt16LE(at + 26);
        const extraLength = bytes.readUInt16LE(at + 28);
        if (!bytes.subarray(at + 30, at + 30 + nameLength).equals(nameBytes)) continue;
        const dataStart = at + 30 + nameLength + extraLength;
        let dataEnd = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), dataStart); // data descriptor
        if (dataEnd < 0) dataEnd = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), dataStart);
        const middle = dataStart + Math.floor((dataEnd - dataStart) / 2);
        bytes[middle] = bytes[middle]! ^ 0x55;
        return bytes;
      }
      throw new Error(`entry ${entryName} not found`);
    }

    const cases: Array<[string, () => Buffer, RegExp]> = [
      ['a flipped byte in the database', () => flipByteIn('memoryv012.db'), /memoryv012\.db/],
      ['a flipped byte in the vectors', () => flipByteIn('qdrant_vectors.json'), /qdrant_vectors\.json/],
      ['a flipped byte in the manifest', () => flipByteIn('manifest.json'), /manifest\.json/],
      [
        'a truncated zip',
        () => fs.readFileSync(archive).subarray(0, Math.floor(fs.statSync(archive).size / 2)),
        /not a readable zip file/,
      ],
      ['no manifest', () => buildZip(entriesWith({ 'manifest.json': null })), /it has no manifest\.json/],
      [
        'a manifest of the wrong shape',
        () =>
          buildZip(
            entriesWith({
              'manifest.json': manifestWith(
                (m) => ((m.stats as Record<string, unknown>).sqlite = { total_memories: 'many' }),
              ),
            }),
          ),
        /manifest\.json field stats\.sqlite\.total_memories/,
      ],
      [
        'a manifest that is not JSON',
        () => buildZip(entriesWith({ 'manifest.json': Buffer.from('{"timestamp": ') })),
        /manifest\.json is not valid JSON/,
      ],
      [
        'a checksum mismatch',
        () => {
          const db = Buffer.from(good.get('memoryv012.db')!);
          db[db.length - 1] = db[db.length - 1]! ^ 1; // a byte in the last page: still a database
          return buildZip(entriesWith({ 'memoryv012.db': db }));
        },
        /entry memoryv012\.db does not match its SHA-256 in the manifest/,
      ],
      [
        // checked side by side, as in one after the other: the database's problem is the one told
        'a damaged database and damaged vectors',
        () => {
          const db = Buffer.from(good.get('memoryv012.db')!);
          db[db.length - 1] = db[db.length - 1]! ^ 1;
          const vectors = Buffer.from(good.get('qdrant_vectors.json')!);
          const firstNumber = vectors.indexOf('"vector":[') + '"vector":['.length;
          vectors[firstNumber] = 'x'.charCodeAt(0);
          return buildZip(entriesWith({ 'memoryv012.db': db, 'qdrant_vectors.json': vectors }));
        },
        /: entry memoryv012\.db does not match its SHA-256 in the manifest/,
      ],
      [
        'a zip-slip entry name',
        () => buildZip([...entriesWith({}), { name: '../evil.txt', data: Buffer.from('x') }]),
        /\.\.\/evil\.txt|relative path/,
      ],
      [
        'an absolute entry name',
        () => buildZip([...entriesWith({}), { name: '/tmp/evil.txt', data: Buffer.from('x') }]),
        /absolute path/,
      ],
      [
        'a duplicated entry',
        () => buildZip([...entriesWith({}), { name: 'memoryv012.db', data: good.get('memoryv012.db')! }]),
        /appears twice/,
      ],
      [
        'fewer points than the manifest says',
        () => {
          const text = good.get('qdrant_vectors.json')!.toString('utf8');
          const lines = text.split('\n');
          const cut = [...lines.slice(0, 3), lines[lines.length - 3]!.replace(/,$/, ''), ...lines.slice(-2)].join('\n');
          return buildZip(
            entriesWith({
              'qdrant_vectors.json': Buffer.from(cut),
              'manifest.json': manifestWith((m) => delete m.entries),
            }),
          );
        },
        /holds 2 points, the manifest says 150/,
      ],
      [
        'a newer format version',
        () => buildZip(entriesWith({ 'manifest.json': manifestWith((m) => (m.format_version = 99)) })),
        /format 99.*\n.*Upgrade ba-backup/,
      ],
      [
        'an entry larger than declared',
        () => buildZip(entriesWith({}).map((e) => (e.name === 'memoryv012.db' ? { ...e, declaredSize: 100 } : e))),
        /size mismatch/,
      ],
    ];
    for (const [name, make, pattern] of cases) {
      it(name, async () => {
        const before = await liveState();
        const backups = backupsNow();
        const bad = path.join(makeTempDir('ba-bad'), 'damaged.zip');
        fs.writeFileSync(bad, make());
        const result = await runCli('restore', [bad, '--yes'], { cwd: store.root, env });
        assert.equal(result.code, 5, `exit code; stderr: ${result.stderr}`);
        assert.match(result.stderr, /^\[ERROR\] Invalid archive .*damaged\.zip: /);
        assert.match(result.stderr, pattern);
        assert.doesNotMatch(result.stderr, /\n {4}at /, 'no stack trace');
        assert.deepEqual(await liveState(), before, 'live data untouched');
        assert.deepEqual(backupsNow(), backups, 'no safety backup, no leftovers');
        assert.deepEqual(fs.readdirSync(store.repoDir).sort(), ['memoryv012.db'], 'no leftover extraction');
        assert.equal(fs.existsSync(path.join(path.dirname(bad), '..', 'evil.txt')), false);
      });
    }
  });

  it('puts the previous state back when Qdrant fails part-way through the upserts', async (t) => {
    const faults = onlyWithTestServer(t, server, 'fault injection');
    if (!faults) return;
    await changeLiveData();
    const beforeDump = dumpDatabase(store.dbPath);
    const beforePoints = await server.getPoints(store.collectionName);
    // the third batch fails on every one of its 4 attempts; the rollback's upserts then go through
    faults.injectFault({ method: 'PUT', path: /\/points$/, nth: 3, kind: 'status', status: 503, times: 4 });
    const result = await runCli('restore', [archive, '--yes', '--batch-size', '20', '--concurrency', '1'], {
      cwd: store.root,
      env,
    });
    assert.equal(result.code, 1, result.stdout);
    assert.match(
      result.stderr,
      /\[ERROR\] Restore failed: Qdrant at .* failed to upsert 20 points: HTTP 503: .*\(gave up after 4 attempts\)\. The previous state was put back from .*safety_\d{8}_\d{6}(_\d+)?\.zip; nothing was lost\n$/,
    );
    // the loading that failed is not reported as done
    assert.doesNotMatch(result.stdout, /\[OK\] Restoring vectors/);
    assert.deepEqual(dumpDatabase(store.dbPath), beforeDump);
    assert.deepEqual(await server.getPoints(store.collectionName), beforePoints);
  });

  it('with Qdrant unreachable: refuses a scripted restore, and a confirmed one ends incomplete (exit 3), never SUCCESS', async () => {
    await changeLiveData();
    const before = await liveState();
    const down = { QDRANT_HOST: '127.0.0.1', QDRANT_PORT: '9' };
    const strict = await runCli('restore', [archive, '--yes', '--require-qdrant'], { cwd: store.root, env: down });
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /unreachable.*; nothing was changed \(--require-qdrant\)/);
    assert.deepEqual(await liveState(), before);
    const scripted = await runCli('restore', [archive, '--yes'], { cwd: store.root, env: down });
    assert.equal(scripted.code, 1, scripted.stdout);
    assert.match(
      scripted.stderr,
      /unreachable.*the archive's 150 vectors cannot be restored, so nothing was changed\n.*--skip-qdrant/,
    );
    assert.deepEqual(await liveState(), before);
    const typed = await runCli('restore', [archive], {
      cwd: store.root,
      env: down,
      tty: true,
      input: 'DELETE ALL DATA\n',
    });
    assert.equal(typed.code, 3, typed.stdout);
    assert.match(
      typed.stdout,
      /\[WARNING\] Qdrant at http:\/\/127\.0\.0\.1:9 is unreachable.*the vectors will not be restored/,
    );
    assert.match(
      typed.stdout,
      /\[WARNING\] The database was restored, the vectors were not: Qdrant at http:\/\/127\.0\.0\.1:9 is unreachable/,
    );
    assert.doesNotMatch(typed.stdout, /SUCCESS/);
    assert.deepEqual(dumpDatabase(store.dbPath), backedUpDump);
    const json = await runCli('restore', [archive, '--yes', '--skip-qdrant', '--json'], { cwd: store.root, env: down });
    assert.equal(json.code, 0, json.stdout);
    assert.equal(JSON.parse(json.stdout).result, 'restored');
  });
});
