/**
 * Operating backups through the bins: --verify, --prune with pins, --json
 * documents and error codes, help text, and two runs against one store.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { BIN, cleanEnv, runCli } from './support/cli.js';
import { onlyWithTestServer, startQdrant, type QdrantHandle } from './support/qdrant.js';
import { seedCollection } from './support/qdrant-seed.js';
import { buildZip } from './support/raw-zip.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

describe('operating backups', () => {
  let server: QdrantHandle;
  let store: MemoryStore;
  let env: Record<string, string>;
  let good: string;

  before(async () => {
    server = await startQdrant();
    store = createMemoryStore({ root: makeTempDir('ba-ops'), memories: 40, dims: 16 });
    await seedCollection(server.url, store.collectionName, store.points);
    env = server.env;
    const result = await runCli('backup', ['-d', 'good', '--json'], { cwd: store.root, env });
    assert.equal(result.code, 0, result.stderr);
    good = JSON.parse(result.stdout).archive.path;
  });
  after(async () => {
    await server.close();
    cleanupTempDirs();
  });

  it('--json backup prints one document with the archive, the manifest and the exit code', async () => {
    const result = await runCli('backup', ['-d', 'json run', '--json'], { cwd: store.root, env });
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    const doc = JSON.parse(result.stdout);
    assert.equal(doc.ok, true);
    assert.equal(doc.complete, true);
    assert.equal(doc.exit_code, 0);
    assert.match(doc.archive.path, /backup_\d{8}_\d{6}(_\d+)?\.zip$/);
    assert.equal(doc.archive.size, fs.statSync(doc.archive.path).size);
    assert.equal(doc.manifest.stats.qdrant.total_vectors, 40);
    assert.deepEqual(doc.warnings, []);
  });

  it('--json errors carry a stable code on stdout', async () => {
    const missing = await runCli('backup', ['--json', '--agent', 'nobody'], { cwd: store.root, env });
    assert.equal(missing.code, 1);
    const doc = JSON.parse(missing.stdout);
    assert.deepEqual(Object.keys(doc.error).sort(), ['code', 'exit_code', 'hint', 'message']);
    assert.equal(doc.error.code, 'DATABASE_NOT_FOUND');
    const usage = JSON.parse(
      (await runCli('backup', ['--json', '--batch-size', 'x'], { cwd: store.root, env })).stdout,
    );
    assert.equal(usage.error.code, 'USAGE');
    const notFound = await runCli('restore', ['nope.zip', '--yes', '--json'], { cwd: store.root, env });
    assert.equal(JSON.parse(notFound.stdout).error.code, 'BACKUP_NOT_FOUND');
    const noYes = await runCli('restore', [good, '--json'], { cwd: store.root, env });
    assert.equal(noYes.code, 2);
    assert.equal(JSON.parse(noYes.stdout).error.code, 'USAGE');
  });

  it('--json list and dry-run restore describe archives and the plan', async () => {
    const list = JSON.parse((await runCli('backup', ['--list', '--json'], { cwd: store.root, env })).stdout);
    assert.equal(list.ok, true);
    const entry = list.archives.find((a: { path: string }) => a.path === good);
    assert.equal(entry.description, 'good');
    assert.equal(entry.stats.sqlite.total_memories, 40);
    const dry = await runCli('restore', [good, '--dry-run', '--json'], { cwd: store.root, env });
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout);
    assert.equal(plan.result, 'dry-run');
    assert.equal(plan.plan.database.restored.total_memories, 40);
    assert.equal(plan.plan.qdrant.action, 'replace');
    assert.equal(plan.plan.qdrant.restored, 40);
  });

  it('--verify checks every archive: [OK] lines, an [ERROR] line and exit 5 for a damaged one', async () => {
    const root = makeTempDir('ba-verify');
    fs.mkdirSync(path.join(root, 'backups'));
    fs.copyFileSync(good, path.join(root, 'backups', 'backup_20260101_000000.zip'));
    const entries = await readZipEntries(good);
    const db = Buffer.from(entries.get('memoryv012.db')!);
    db[db.length - 1] = db[db.length - 1]! ^ 1;
    fs.writeFileSync(
      path.join(root, 'backups', 'backup_20260102_000000.zip'),
      buildZip([...entries].map(([name, data]) => ({ name, data: name === 'memoryv012.db' ? db : data }))),
    );
    const before = fs.readdirSync(path.join(root, 'backups')).sort();
    const result = await runCli('backup', ['--verify'], { cwd: root, env });
    assert.equal(result.code, 5);
    assert.match(
      result.stdout,
      /^\[ERROR\] backup_20260102_000000\.zip: entry memoryv012\.db does not match its SHA-256/m,
    );
    assert.match(result.stdout, /^\[OK\] backup_20260101_000000\.zip {2}40 memories, \d+ versions, 40 vectors$/m);
    assert.match(result.stdout, /1 of 2 archives verified, 1 failed\.\n$/);
    assert.deepEqual(fs.readdirSync(path.join(root, 'backups')).sort(), before, 'verify changes nothing');
    const one = await runCli('backup', ['--verify', 'backup_20260101_000000.zip', '--json'], { cwd: root, env });
    assert.equal(one.code, 0);
    const doc = JSON.parse(one.stdout);
    assert.equal(doc.ok, true);
    assert.equal(doc.archives.length, 1);
    assert.equal(doc.archives[0].vectors, 40);
  });

  it('--prune keeps what the policy keeps, never a pinned archive, and --dry-run deletes nothing', async () => {
    const root = makeTempDir('ba-prune');
    const dir = path.join(root, 'backups');
    fs.mkdirSync(dir);
    const manifestFor = (created: string) =>
      JSON.stringify({
        timestamp: created.replace(/[-:]/g, '').replace('T', '_').slice(0, 15),
        created_at: `${created}.000000`,
        description: created,
        config: { username: 'u', agent_name: 'a', collection_name: 'u_a_memories' },
        stats: {
          sqlite: { total_memories: 1, total_versions: 1, total_intentions: 0 },
          qdrant: { total_vectors: 0, skipped: true },
        },
      });
    const times = [
      '2026-01-01T10:00:00',
      '2026-01-02T09:00:00',
      '2026-01-02T21:00:00',
      '2026-01-03T08:00:00',
      '2026-01-04T08:00:00',
    ];
    for (const t of times) {
      const name = `backup_${t.replace(/[-:]/g, '').replace('T', '_')}.zip`;
      fs.writeFileSync(path.join(dir, name), buildZip([{ name: 'manifest.json', data: Buffer.from(manifestFor(t)) }]));
    }
    // the file name says 2030, the manifest says 2026-01-01: the manifest decides
    fs.renameSync(path.join(dir, 'backup_20260101_100000.zip'), path.join(dir, 'backup_20300101_000000.zip'));
    assert.equal((await runCli('backup', ['--pin', 'backup_20260102_090000.zip'], { cwd: root, env })).code, 0);

    const empty = await runCli('backup', ['--prune'], { cwd: root, env });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /Refusing to prune with an empty policy/);

    const dry = await runCli('backup', ['--prune', '--keep-daily', '2', '--dry-run'], { cwd: root, env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^keep {4}backup_20260104_080000\.zip {2}\(daily 2026-01-04\)$/m);
    assert.match(dry.stdout, /^keep {4}backup_20260103_080000\.zip {2}\(daily 2026-01-03\)$/m);
    assert.match(dry.stdout, /^keep {4}backup_20260102_090000\.zip {2}\(pinned\)$/m);
    assert.match(dry.stdout, /^remove {2}backup_20260102_210000\.zip$/m);
    assert.match(dry.stdout, /^remove {2}backup_20300101_000000\.zip$/m);
    assert.match(dry.stdout, /\[DRY RUN\] Would remove 2 and keep 3 archives; nothing was deleted/);
    assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith('.zip')).length, 5);

    const real = await runCli('backup', ['--prune', '--keep-daily', '2', '--json'], { cwd: root, env });
    const doc = JSON.parse(real.stdout);
    assert.deepEqual(doc.removed.sort(), ['backup_20260102_210000.zip', 'backup_20300101_000000.zip']);
    assert.deepEqual(
      fs
        .readdirSync(dir)
        .filter((n) => n.endsWith('.zip'))
        .sort(),
      ['backup_20260102_090000.zip', 'backup_20260103_080000.zip', 'backup_20260104_080000.zip'],
    );
    const list = await runCli('backup', ['--list'], { cwd: root, env });
    assert.match(list.stdout, /backup_20260102_090000\.zip {2}\[pinned\]/);
  });

  it('help lists every option with its environment variable and default, and the exit codes', async () => {
    for (const bin of ['backup', 'restore'] as const) {
      const help = await runCli(bin, ['--help'], { cwd: store.root, env });
      assert.equal(help.code, 0);
      for (const text of [
        '--username',
        'BA_USERNAME',
        'buildautomata_ai_v012',
        'BA_AGENT_NAME',
        'QDRANT_URL',
        'QDRANT_PORT',
        '6333',
        'QDRANT_API_KEY',
        '--json',
        'Exit status',
        'Examples:',
      ]) {
        assert.ok(help.stdout.includes(text), `ba-${bin} --help mentions ${text}`);
      }
      const version = await runCli(bin, ['--version'], { cwd: store.root, env });
      assert.equal(
        version.stdout.trim(),
        JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version,
      );
    }
  });

  it('a reader that closes stdout early (| head) ends nothing badly: no crash, exit 0', async () => {
    const child = spawn(process.execPath, [BIN.backup, '--help'], { cwd: store.root, env: cleanEnv(env) });
    child.stdout.destroy(); // closed before the command writes: its write fails with EPIPE
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('a second run waits for the first, then stops naming the holder', async (t) => {
    const faults = onlyWithTestServer(t, server, 'a delayed answer (fault injection)');
    if (!faults) return;
    faults.injectFault({ method: 'POST', path: '/points/scroll', kind: 'delay', delayMs: 15_000 });
    const first = spawn(process.execPath, [BIN.backup, '-d', 'slow'], { cwd: store.root, env: cleanEnv(env) });
    const firstDone = new Promise<number | null>((resolve) => first.on('close', resolve));
    const lockFile = path.join(store.root, 'backups', '.ba-lock');
    while (!fs.existsSync(lockFile)) await new Promise((r) => setTimeout(r, 20));
    // the second gives up after 5 s of waiting; the first holds the lock for 15 s, room for a slow start
    const second = await runCli('restore', [good, '--yes'], { cwd: store.root, env });
    assert.equal(second.code, 1);
    assert.match(
      second.stderr,
      new RegExp(`^\\[ERROR\\] ba-backup \\(pid ${first.pid} on ${os.hostname()}, started [^)]+\\) is working on `),
    );
    assert.match(second.stderr, /Wait for it to finish and try again/);
    assert.equal(await firstDone, 0);
    assert.equal(fs.existsSync(lockFile), false, 'the lock is released');
    faults.clearFaults();
  });

  it('takes over a lock left by a process that died', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('close', r));
    const lockFile = path.join(store.root, 'backups', '.ba-lock');
    fs.writeFileSync(
      lockFile,
      JSON.stringify({ pid: dead.pid, command: 'ba-restore', host: os.hostname(), started: '2026-01-01T00:00:00Z' }),
    );
    const result = await runCli('backup', ['-d', 'after a crash'], { cwd: store.root, env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(fs.existsSync(lockFile), false);
  });
});
