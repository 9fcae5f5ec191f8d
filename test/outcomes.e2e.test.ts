/**
 * Honest outcomes through the bins: retention that keeps the archives with
 * vectors through a Qdrant outage, a rollback's dry run that says what it
 * would put back, flags that would do nothing refused, and permission
 * problems reported as what they are (run as an ordinary user).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createMemoryStore, insertMemories, type MemoryStore } from './fixtures/memory-store.js';
import { BIN, cleanEnv, runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { onlyWithTestServer, startQdrant, type QdrantHandle } from './support/qdrant.js';
import { clientFor, seedCollection } from './support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';

const DOWN = { QDRANT_HOST: '127.0.0.1', QDRANT_PORT: '9' };
const NOBODY = { uid: 65534, gid: 65534 };

describe('honest outcomes', () => {
  let server: QdrantHandle;
  let store: MemoryStore;
  let env: Record<string, string>;
  let complete: string;

  before(async () => {
    server = await startQdrant();
    store = createMemoryStore({ root: makeTempDir('ba-outcomes'), memories: 30, dims: 16 });
    await seedCollection(server.url, store.collectionName, store.points);
    env = server.env;
    const made = await runCli('backup', ['-d', 'with vectors'], { cwd: store.root, env });
    assert.equal(made.code, 0, made.stderr);
    complete = path.basename(/Location: (.*\.zip)/.exec(made.stdout)![1]!);
  });
  after(async () => {
    await server.close();
    cleanupTempDirs();
  });

  it('pruning after a Qdrant outage keeps the only archive with vectors, and --list marks the others', async () => {
    for (let i = 0; i < 2; i++)
      assert.equal((await runCli('backup', ['-d', 'qdrant down'], { cwd: store.root, env: DOWN })).code, 3);
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

  it('a rollback dry run says what it would put back and changes nothing', async (t) => {
    const faults = onlyWithTestServer(t, server, 'slowed upserts (fault injection)');
    if (!faults) return;
    const before = dumpDatabase(store.dbPath);
    // a restore killed while it loads the vectors (slowed down so the kill lands there)
    faults.injectFault({ method: 'PUT', path: /\/points$/, kind: 'delay', delayMs: 300, times: Infinity });
    const child = spawn(process.execPath, [BIN.restore, complete, '--yes', '--batch-size', '5', '--concurrency', '1'], {
      cwd: store.root,
      env: cleanEnv(env),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const journal = path.join(store.repoDir, '.ba-restore-journal.json');
    while (!fs.existsSync(journal) || !fs.readFileSync(journal, 'utf8').includes('"phase": "vectors"')) {
      // a restore that ends before it loads the vectors would leave this loop waiting forever
      assert.equal(child.exitCode, null, `the restore ended before loading the vectors: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    faults.clearFaults();
    const journalText = fs.readFileSync(journal, 'utf8');

    const dry = await runCli('restore', ['--rollback', '--dry-run'], { cwd: store.root, env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /A rollback undoes what it changed \(database and vectors\), putting back the state from before it:\n {2}from the safety backup .*safety_.*\.zip \(verified\):\n {4}database: 30 memories, \d+ versions, \d+ intentions; vectors: 30\n\[DRY RUN\] No changes made\n/,
    );
    assert.equal(fs.readFileSync(journal, 'utf8'), journalText, 'the journal is untouched');
    const rolled = await runCli('restore', ['--rollback'], { cwd: store.root, env });
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(
      rolled.stdout,
      /\[SUCCESS\] Rolled back the interrupted restore: the store is as it was before it \(from .*safety_/,
    );
    assert.doesNotMatch(rolled.stdout, /Restore completed successfully/);
    assert.deepEqual(dumpDatabase(store.dbPath), before);
  });

  it('a restore while another process reads the database waits, then stops naming it, before any change', async () => {
    // what the memory server does while a desktop app keeps it running: a read transaction on the database
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const script = `const db = new (require(${JSON.stringify(sqlite)}))(${JSON.stringify(store.dbPath)}); db.exec('BEGIN'); db.prepare('SELECT COUNT(*) FROM memories').get(); console.log('reading'); process.stdin.resume(); process.stdin.on('end', () => { db.exec('COMMIT'); db.close(); });`;
    const reader = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((resolve) => reader.stdout.once('data', resolve));
    const before = dumpDatabase(store.dbPath);
    const archivesBefore = fs.readdirSync(path.join(store.root, 'backups'));
    const blocked = await runCli('restore', [complete, '--yes'], { cwd: store.root, env });
    reader.stdin.end();
    await new Promise((resolve) => reader.on('close', resolve));
    assert.equal(blocked.code, 1, blocked.stdout);
    assert.match(blocked.stdout, /\[INFO\] The database is in use by another process; waiting up to 5 s/);
    assert.match(
      blocked.stderr,
      /^\[ERROR\] The database .*memoryv012\.db is in use by another process \(the memory server, or the app that starts it\), so it cannot be replaced; nothing was changed\n.*Close the memory server/,
    );
    assert.deepEqual(dumpDatabase(store.dbPath), before);
    assert.deepEqual(fs.readdirSync(path.join(store.root, 'backups')), archivesBefore, 'no safety backup either');
    const freed = await runCli('restore', [complete, '--yes'], { cwd: store.root, env });
    assert.equal(freed.code, 0, freed.stderr);
  });

  it('a missing database or archive gets a hint that names what is there', async () => {
    const wrongAgent = await runCli('backup', ['--agent', 'helper'], { cwd: store.root, env });
    assert.equal(wrongAgent.code, 1);
    assert.match(
      wrongAgent.stderr,
      new RegExp(`memory_repos holds ${path.basename(store.repoDir)}/; set --username and --agent`),
    );
    const inside = await runCli('backup', [], { cwd: store.repoDir, env });
    assert.equal(inside.code, 1);
    assert.match(
      inside.stderr,
      new RegExp(`You are inside memory_repos/: run from ${store.root}, or pass --root ${store.root}\\.`),
    );
    const typo = complete.replace(/(\d)\.zip$/, (_, d: string) => `${(Number(d) + 1) % 10}.zip`);
    const misspelled = await runCli('restore', [typo, '--dry-run'], { cwd: store.root, env });
    assert.equal(misspelled.code, 1);
    assert.match(misspelled.stderr, new RegExp(`Did you mean ${complete.replace('.', '\\.')}`));
  });

  it('-q prints nothing on success but a dry run still shows its plan; --json speaks JSON only', async () => {
    const quiet = await runCli('backup', ['-q', '-d', 'cron'], { cwd: store.root, env });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout + quiet.stderr, '');
    const dry = await runCli('restore', [complete, '--dry-run', '-q'], { cwd: store.root, env });
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /^Restore plan for .*\n[\s\S]*now: {6}30 memories[\s\S]*\[DRY RUN\] No changes made\n$/);
    assert.doesNotMatch(dry.stdout, /\[INFO\]/);
    const version = await runCli('backup', ['--version', '--json'], { cwd: store.root, env });
    assert.equal(version.code, 0);
    assert.equal(
      JSON.parse(version.stdout).version,
      JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version,
    );
    const usage = await runCli('restore', ['--json', '--bogus'], { cwd: store.root, env });
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, '');
    assert.equal(JSON.parse(usage.stdout).error.code, 'USAGE');
  });

  it('Ctrl-C during a backup removes its lock and temporary files and exits 130', async (t) => {
    const faults = onlyWithTestServer(t, server, 'a slowed export (fault injection)');
    if (!faults) return;
    faults.injectFault({ method: 'POST', path: /\/points\/scroll$/, kind: 'delay', delayMs: 2000, times: Infinity });
    const child = spawn(process.execPath, [BIN.backup, '--batch-size', '5'], {
      cwd: store.root,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    while (!out.includes('Exporting collection')) await new Promise((r) => setTimeout(r, 20));
    const backups = path.join(store.root, 'backups');
    assert.ok(
      fs.readdirSync(backups).some((n) => n.startsWith('.ba-tmp-')),
      'a temporary archive is being written',
    );
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('close', resolve));
    faults.clearFaults();
    assert.equal(code, 130);
    assert.deepEqual(
      fs.readdirSync(backups).filter((n) => n.startsWith('.')),
      [],
      'no lock, no temporary file',
    );
  });

  it('--check-fresh exits 0 while the newest complete backup is young enough, 1 once it is not', async () => {
    const fresh = await runCli('backup', ['--check-fresh', '1h'], { cwd: store.root, env });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(
      fresh.stdout,
      /^\[OK\] Fresh: the newest complete backup, backup_\d{8}_\d{6}(_\d+)?\.zip, is 0 minutes old \(limit 1h\)\n$/,
    );
    const stale = await runCli('backup', ['--check-fresh', '0m'], { cwd: store.root, env });
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^\[ERROR\] Stale: .* older than 0m\n$/);
    const bad = await runCli('backup', ['--check-fresh', 'soon'], { cwd: store.root, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid --check-fresh "soon"/);
  });

  it('restores into another root and collection, leaving the live store alone (a rehearsal)', async () => {
    const liveDump = dumpDatabase(store.dbPath);
    const livePoints = await server.getPoints(store.collectionName);
    const elsewhere = makeTempDir('ba-rehearsal');
    const rehearsal = `${store.username}_rehearsal`; // a name of this run's own on a shared Qdrant
    const archive = path.join(store.root, 'backups', complete);
    const result = await runCli('restore', [archive, '--yes', '--root', elsewhere, '--collection', rehearsal], {
      cwd: store.root,
      env,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Qdrant collection: ${rehearsal} at `));
    assert.deepEqual(dumpDatabase(store.dbPath), liveDump);
    assert.deepEqual(await server.getPoints(store.collectionName), livePoints);
    assert.deepEqual(
      dumpDatabase(path.join(elsewhere, 'memory_repos', path.basename(store.repoDir), 'memoryv012.db')),
      liveDump,
    );
    assert.deepEqual(await server.getPoints(rehearsal), livePoints);
  });

  it("restoring another agent's archive is asked for explicitly, not left to the plan's last line", async () => {
    const other = createMemoryStore({ root: store.root, agent: 'other_agent', memories: 5, dims: 16 });
    const otherEnv = { ...env, BA_AGENT_NAME: 'other_agent' };
    const before = dumpDatabase(other.dbPath);
    const scripted = await runCli('restore', [complete, '--yes', '--skip-qdrant'], { cwd: store.root, env: otherEnv });
    assert.equal(scripted.code, 1, scripted.stdout);
    assert.match(
      scripted.stderr,
      new RegExp(
        `was made for ${store.username}_claude_assistant, not for ${other.username}_other_agent .*nothing was changed\n.*--other-agent`,
      ),
    );
    assert.deepEqual(dumpDatabase(other.dbPath), before);
    const asked = await runCli('restore', [complete, '--skip-qdrant'], {
      cwd: store.root,
      env: otherEnv,
      tty: true,
      input: 'no\n',
    });
    assert.equal(asked.code, 4);
    assert.match(
      asked.stdout,
      new RegExp(`Made for: ${store.username}_claude_assistant {2}\\[WARNING\\] another agent`),
    );
    assert.match(
      asked.stdout,
      new RegExp(
        `\\[WARNING\\] This archive was made for ${store.username}_claude_assistant: its memories replace those of ${other.username}_other_agent\\.\\r?\\n\\[WARNING\\] This replaces`,
      ),
    );
    const allowed = await runCli('restore', [complete, '--yes', '--skip-qdrant', '--other-agent'], {
      cwd: store.root,
      env: otherEnv,
    });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(dumpDatabase(other.dbPath).memories!.length, 30);
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
    const concurrency = await runCli('restore', [complete, '--dry-run', '--concurrency', 'x'], {
      cwd: store.root,
      env,
    });
    assert.equal(concurrency.code, 2);
    assert.match(concurrency.stderr, /Invalid --concurrency "x".*\n.*the default is 2\./);
    const unpin = await runCli('backup', ['--unpin', complete], { cwd: store.root, env });
    assert.equal(unpin.code, 0);
    assert.match(unpin.stdout, /was not pinned; nothing to do/);
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
    for (const file of fs.readdirSync(root, { recursive: true }) as string[])
      fs.chownSync(path.join(root, file), NOBODY.uid, NOBODY.gid);
    fs.chownSync(root, NOBODY.uid, NOBODY.gid);
    const backups = path.join(root, 'backups');
    fs.chmodSync(backups, 0o555);
    const before = fs.readdirSync(backups);
    const made = await runCli('backup', ['--skip-qdrant'], { cwd: root, user: NOBODY });
    assert.equal(made.code, 1, made.stdout + made.stderr);
    assert.match(
      made.stderr,
      new RegExp(
        `^\\[ERROR\\] Permission denied: cannot write in ${backups}: the folder is not accessible to this user .*; nothing was changed\\n.*\\n$`,
      ),
    );
    const verified = await runCli('backup', ['--verify'], { cwd: root, user: NOBODY });
    assert.equal(verified.code, 1, verified.stdout);
    assert.doesNotMatch(verified.stdout + verified.stderr, /\[ERROR\] backup_|Invalid archive/);
    assert.match(verified.stderr, /Permission denied: cannot write in .*backups/);
    const dry = await runCli('restore', [before[0]!, '--dry-run'], { cwd: root, user: NOBODY });
    assert.doesNotMatch(dry.stderr, /Invalid archive|INTERNAL|bug/);
    assert.equal(dry.code === 0 || dry.code === 1, true, dry.stderr);
    assert.deepEqual(fs.readdirSync(backups), before);
    void own;
  });

  it('--inspect shows what an archive holds; --compare what changed since, against the live store or another archive', async () => {
    const inspected = await runCli('backup', ['--inspect', complete], { cwd: store.root, env });
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.match(inspected.stdout, new RegExp(`^Archive ${complete.replace('.', '\\.')}\n`));
    assert.match(inspected.stdout, /Tables: .*intentions 20, memories 30, .*memory_versions \d+/);
    assert.match(inspected.stdout, /Vectors: 30 points \(16 dims, Cosine\)/);
    assert.equal(
      inspected.stdout.split('\n').filter((line) => /^ {4}\S+ {2}\d{4}-\d{2}-\d{2}.* {2}\[\w+\] {2}/.test(line)).length,
      30,
    );

    // add two, remove one, change one: in the database and the collection
    const added = insertMemories(store.dbPath, 2, { seed: 5, dims: 16 });
    const client = clientFor(server.url);
    await client.upsert(store.collectionName, {
      wait: true,
      points: added.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })),
    });
    const db = new Database(store.dbPath);
    const [gone, edited] = db.prepare('SELECT id FROM memories ORDER BY id LIMIT 2').all() as Array<{ id: string }>;
    db.prepare('DELETE FROM memory_versions WHERE memory_id = ?').run(gone!.id);
    db.prepare('DELETE FROM memories WHERE id = ?').run(gone!.id);
    db.prepare(
      "UPDATE memories SET content = 'edited', content_hash = 'x', updated_at = '2030-01-01T00:00:00' WHERE id = ?",
    ).run(edited!.id);
    db.close();
    await client.delete(store.collectionName, { wait: true, points: [gone!.id] });

    const live = await runCli('backup', ['--compare', complete], { cwd: store.root, env });
    assert.equal(live.code, 0, live.stderr);
    assert.match(
      live.stdout,
      /^Comparing backup_.* with the live store\n {2}Memories: 2 added, 1 removed, 1 changed\n/,
    );
    for (const p of added) assert.match(live.stdout, new RegExp(`\\n {4}\\+ ${p.id} `));
    assert.match(live.stdout, new RegExp(`\\n {4}- ${gone!.id} `));
    assert.match(live.stdout, new RegExp(`\\n {4}~ ${edited!.id} .*edited`));
    assert.match(live.stdout, /Points: 2 added, 1 removed\n/);

    const later = await runCli('backup', ['-d', 'after the changes'], { cwd: store.root, env });
    const laterName = path.basename(/Location: (.*\.zip)/.exec(later.stdout)![1]!);
    const json = JSON.parse(
      (await runCli('backup', ['--compare', complete, laterName, '--json'], { cwd: store.root, env })).stdout,
    );
    assert.deepEqual(json.added.map((m: { id: string }) => m.id).sort(), added.map((p) => p.id).sort());
    assert.deepEqual(
      json.removed.map((m: { id: string }) => m.id),
      [gone!.id],
    );
    assert.deepEqual(json.points.removed, [gone!.id]);
    assert.equal((await runCli('restore', [complete, '--yes'], { cwd: store.root, env })).code, 0);
  });
});
