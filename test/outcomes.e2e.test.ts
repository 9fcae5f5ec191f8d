/**
 * Honest outcomes through the bins: retention that keeps the archives with
 * vectors through a Qdrant outage, a rollback's dry run that says what it
 * would put back, flags that would do nothing refused, and permission
 * problems reported as what they are (run as an ordinary user).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { startQdrantTestServer, type QdrantTestServer } from './qdrant-server/server.js';
import { BIN, cleanEnv, runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { seedCollection } from './support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';

const DOWN = { QDRANT_HOST: '127.0.0.1', QDRANT_PORT: '9' };
const NOBODY = { uid: 65534, gid: 65534 };

describe('honest outcomes', () => {
  let server: QdrantTestServer;
  let store: MemoryStore;
  let env: Record<string, string>;
  let complete: string;

  before(async () => {
    server = await startQdrantTestServer();
    store = createMemoryStore({ root: makeTempDir('ba-outcomes'), memories: 30, dims: 16 });
    await seedCollection(server.url, store.collectionName, store.points);
    env = { QDRANT_URL: server.url };
    const made = await runCli('backup', ['-d', 'with vectors'], { cwd: store.root, env });
    assert.equal(made.code, 0, made.stderr);
    complete = path.basename(/Location: (.*\.zip)/.exec(made.stdout)![1]!);
  });
  after(async () => {
    await server.close();
    cleanupTempDirs();
  });

  it('pruning after a Qdrant outage keeps the only archive with vectors, and --list marks the others', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await runCli('backup', ['-d', 'qdrant down'], { cwd: store.root, env: DOWN })).code, 3);
    const listed = await runCli('backup', ['--list'], { cwd: store.root, env });
    assert.equal(listed.stdout.match(/Note: database only: no vectors/g)?.length, 2, listed.stdout);
    const plan = await runCli('backup', ['--prune', '--keep-daily', '1', '--dry-run'], { cwd: store.root, env });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, new RegExp(`${complete.replace('.', '\\.')}.*newest complete`));
    const pruned = await runCli('backup', ['--prune', '--keep-daily', '1'], { cwd: store.root, env });
    assert.equal(pruned.code, 0, pruned.stderr);
    const left = fs.readdirSync(path.join(store.root, 'backups')).filter((n) => n.endsWith('.zip'));
    assert.ok(left.includes(complete), `${complete} kept: ${left.join(', ')}`);
    assert.equal(left.length, 2, 'the newest database-only archive of the day and the complete one');
  });

  it('a rollback dry run says what it would put back and changes nothing', async () => {
    const before = dumpDatabase(store.dbPath);
    // a restore killed while it loads the vectors (slowed down so the kill lands there)
    server.injectFault({ method: 'PUT', path: /\/points$/, kind: 'delay', delayMs: 300, times: Infinity });
    const child = spawn(process.execPath, [BIN.restore, complete, '--yes', '--batch-size', '5', '--concurrency', '1'], { cwd: store.root, env: cleanEnv(env), stdio: 'ignore' });
    const journal = path.join(store.repoDir, '.ba-restore-journal.json');
    while (!fs.existsSync(journal) || !fs.readFileSync(journal, 'utf8').includes('"phase": "vectors"')) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    server.clearFaults();
    const journalText = fs.readFileSync(journal, 'utf8');

    const dry = await runCli('restore', ['--rollback', '--dry-run'], { cwd: store.root, env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /A rollback undoes what it changed \(database and vectors\), putting back the state from before it:\n {2}from the safety backup .*safety_.*\.zip \(verified\):\n {4}database: 30 memories, \d+ versions, \d+ intentions; vectors: 30\n\[DRY RUN\] No changes made\n/);
    assert.equal(fs.readFileSync(journal, 'utf8'), journalText, 'the journal is untouched');
    const rolled = await runCli('restore', ['--rollback'], { cwd: store.root, env });
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(rolled.stdout, /\[SUCCESS\] Rolled back the interrupted restore: the store is as it was before it \(from .*safety_/);
    assert.doesNotMatch(rolled.stdout, /Restore completed successfully/);
    assert.deepEqual(dumpDatabase(store.dbPath), before);
  });

  it('refuses flags that would do nothing, naming them', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['before upgrade'], /Unexpected argument "before upgrade"\n.*ba-backup -d "before upgrade"/],
      [['--keep-daily', '7'], /--keep-daily goes with --prune/],
      [['--prune', '--keep-last', '1', '-d', 'x'], /-d describes a new backup; it does nothing with --prune/],
      [['--list', '--verify'], /--list and --verify are separate actions/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli('backup', args, { cwd: store.root, env });
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
    }
    const restore = await runCli('restore', ['--list', complete], { cwd: store.root, env });
    assert.equal(restore.code, 2);
    assert.match(restore.stderr, /--list does not go with an archive name/);
  });

  it('an ordinary user with a read-only backups folder gets one line naming it, never a damaged archive', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run the commands as another user');
      return;
    }
    const root = makeTempDir('ba-perm');
    const own = createMemoryStore({ root, memories: 10, dims: 8 });
    assert.equal((await runCli('backup', ['--skip-qdrant'], { cwd: root })).code, 0);
    fs.chmodSync(root, 0o755);
    for (const file of fs.readdirSync(root, { recursive: true }) as string[]) fs.chownSync(path.join(root, file), NOBODY.uid, NOBODY.gid);
    fs.chownSync(root, NOBODY.uid, NOBODY.gid);
    const backups = path.join(root, 'backups');
    fs.chmodSync(backups, 0o555);
    const before = fs.readdirSync(backups);
    const made = await runCli('backup', ['--skip-qdrant'], { cwd: root, user: NOBODY });
    assert.equal(made.code, 1, made.stdout + made.stderr);
    assert.match(made.stderr, new RegExp(`^\\[ERROR\\] Permission denied: cannot write in ${backups}: the folder is not accessible to this user .*; nothing was changed\\n.*\\n$`));
    const verified = await runCli('backup', ['--verify'], { cwd: root, user: NOBODY });
    assert.equal(verified.code, 1, verified.stdout);
    assert.doesNotMatch(verified.stdout, /FAIL/);
    assert.match(verified.stderr, /Permission denied: cannot write in .*backups/);
    const dry = await runCli('restore', [before[0]!, '--dry-run'], { cwd: root, user: NOBODY });
    assert.doesNotMatch(dry.stderr, /Invalid archive|INTERNAL|bug/);
    assert.equal(dry.code === 0 || dry.code === 1, true, dry.stderr);
    assert.deepEqual(fs.readdirSync(backups), before);
    void own;
  });
});
