/**
 * Crashes and a full disk: ba-backup and ba-restore killed (SIGKILL) at
 * random moments, then checked for what a user would find. Trial counts come
 * from BA_CRASH_TRIALS (default 50 each, as the reliability figures in the
 * README); the kill times are spread over each command's whole run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyArchive } from '../src/verify/verify-archive.js';
import { silentReporter } from '../src/output.js';
import { createMemoryStore, insertMemories, type MemoryStore } from './fixtures/memory-store.js';
import { Rng } from './fixtures/prng.js';
import { startQdrantTestServer, type QdrantTestServer } from './qdrant-server/server.js';
import { BIN, cleanEnv, runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { clientFor, seedCollection } from './support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';

const TRIALS = Number(process.env.BA_CRASH_TRIALS ?? 50);
const fileHash = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Runs a bin and kills it with SIGKILL after `killAfterMs`; resolves with its exit code (null when killed). */
function runAndKill(
  bin: 'backup' | 'restore',
  args: string[],
  cwd: string,
  env: Record<string, string>,
  killAfterMs: number,
): Promise<number | null> {
  const child = spawn(process.execPath, [BIN[bin], ...args], { cwd, env: cleanEnv(env), stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * Runs a bin and kills it `delayMs` after its journal says a step that
 * changes the store has begun (or when it ends first): kills that land in the
 * middle of a change whatever the machine's speed or load.
 */
async function runAndKillWhileChanging(
  bin: 'restore',
  args: string[],
  cwd: string,
  env: Record<string, string>,
  journal: string,
  delayMs: number,
): Promise<number | null> {
  const child = spawn(process.execPath, [BIN[bin], ...args], { cwd, env: cleanEnv(env), stdio: 'ignore' });
  let exit: number | null | undefined;
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve((exit = code))));
  const changing = (): boolean => {
    try {
      return /"phase": "(database|vectors)"/.test(fs.readFileSync(journal, 'utf8'));
    } catch {
      return false;
    }
  };
  while (exit === undefined && !changing()) await new Promise((r) => setTimeout(r, 5));
  if (exit === undefined) setTimeout(() => child.kill('SIGKILL'), delayMs);
  return closed;
}

/** How long a run spends changing the store: from the journal's first change phase to its exit. */
async function changePhaseMs(
  bin: 'restore',
  args: string[],
  cwd: string,
  env: Record<string, string>,
  journal: string,
): Promise<number> {
  let started: number | undefined;
  const child = spawn(process.execPath, [BIN[bin], ...args], { cwd, env: cleanEnv(env), stdio: 'ignore' });
  let exited = false;
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve(void (exited = true))));
  while (!exited && started === undefined) {
    try {
      if (/"phase": "(database|vectors)"/.test(fs.readFileSync(journal, 'utf8'))) started = Date.now();
    } catch {
      // no journal yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await closed;
  return started === undefined ? 0 : Date.now() - started;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = Date.now();
  await fn();
  return Date.now() - start;
}

describe(`crashes (${TRIALS} trials per command)`, () => {
  let server: QdrantTestServer;
  let store: MemoryStore;
  let env: Record<string, string>;
  const rng = new Rng(20261124);

  before(async () => {
    server = await startQdrantTestServer();
    store = createMemoryStore({ root: makeTempDir('ba-crash'), memories: 120, dims: 32 });
    await seedCollection(server.url, store.collectionName, store.points);
    env = { QDRANT_URL: server.url };
  });
  after(async () => {
    await server.close();
    cleanupTempDirs();
  });

  it('a killed backup never leaves a bad archive, never touches live data, and the next run cleans up', async () => {
    const backups = path.join(store.root, 'backups');
    const dbHash = fileHash(store.dbPath);
    const points = server.getPoints(store.collectionName);
    const args = ['--batch-size', '10'];
    // the median of three runs: one run timed while the machine is busy would stretch every kill time
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await timed(() => runCli('backup', args, { cwd: store.root, env })));
    const duration = runs.sort((x, y) => x - y)[1]!;
    let killed = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const code = await runAndKill('backup', args, store.root, env, Math.floor(rng.next() * duration * 1.1));
      if (code === null) killed++;
      else assert.ok(code === 0, `an unkilled backup succeeds (exit ${code})`);
    }
    assert.ok(killed >= TRIALS * 0.6, `most trials were killed mid-run (${killed} of ${TRIALS})`);
    // every file under an archive name verifies
    const archives = fs.readdirSync(backups).filter((n) => /^backup_.*\.zip$/.test(n));
    for (const name of archives) await verifyArchive(path.join(backups, name), {}, silentReporter);
    assert.equal(fileHash(store.dbPath), dbHash, 'live database untouched');
    assert.deepEqual(server.getPoints(store.collectionName), points, 'collection untouched');
    // the next run removes what the killed ones left
    const next = await runCli('backup', args, { cwd: store.root, env });
    assert.equal(next.code, 0, next.stderr);
    const leftovers = fs.readdirSync(backups).filter((n) => n.startsWith('.'));
    assert.deepEqual(leftovers, [], 'no temporary files or locks left');
    const listed = await runCli('backup', ['--list'], { cwd: store.root, env });
    assert.doesNotMatch(listed.stdout, /\.ba-tmp/);
  });

  it('a killed restore is brought back to the previous or the restored state, never a mix', async () => {
    // two whole states, S0 (now) and S1 (changed), each with an archive
    const archiveOf = async (): Promise<string> => {
      const result = await runCli('backup', [], { cwd: store.root, env });
      assert.equal(result.code, 0, result.stderr);
      return /Location: (.*\.zip)/.exec(result.stdout)![1]!;
    };
    const stateNow = () => ({ db: dumpDatabase(store.dbPath), points: server.getPoints(store.collectionName) });
    const s0 = stateNow();
    const a0 = await archiveOf();
    const added = insertMemories(store.dbPath, 25, { seed: 99, dims: 32 });
    await clientFor(server.url).upsert(store.collectionName, {
      wait: true,
      points: added.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })),
    });
    const s1 = stateNow();
    const a1 = await archiveOf();
    const states = [
      { state: s0, archive: a0 },
      { state: s1, archive: a1 },
    ];
    const which = (): number => {
      const now = stateNow();
      const index = states.findIndex((s) => JSON.stringify(s.state) === JSON.stringify(now));
      assert.ok(index >= 0, 'the store is in one whole state');
      return index;
    };

    const args = (archive: string) => [archive, '--yes', '--batch-size', '5', '--concurrency', '1'];
    // slow upserts stretch the phase that changes the collection, so kills land across all phases
    server.injectFault({ method: 'PUT', path: /\/points$/, kind: 'delay', delayMs: 25, times: Infinity });
    let current = which();
    const duration = await timed(() => runCli('restore', args(states[1 - current]!.archive), { cwd: store.root, env }));
    current = which();
    // the kills meant for the change phase are timed by that phase alone: a loaded machine
    // stretches the start of a run far more than the phase itself
    const journalFile = path.join(store.repoDir, '.ba-restore-journal.json');
    const changeMs = await changePhaseMs('restore', args(states[1 - current]!.archive), store.root, env, journalFile);
    current = which();
    const outcomes = { killed: 0, rolledBack: 0, resumed: 0, untouched: 0, finished: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const target = 1 - current;
      // half the kills at any moment of the run, half while the store is being changed
      const journal = path.join(store.repoDir, '.ba-restore-journal.json');
      const code =
        trial % 4 < 2
          ? await runAndKill(
              'restore',
              args(states[target]!.archive),
              store.root,
              env,
              Math.floor(rng.next() * duration * 1.1),
            )
          : await runAndKillWhileChanging(
              'restore',
              args(states[target]!.archive),
              store.root,
              env,
              journal,
              Math.floor(rng.next() * changeMs * 0.9),
            );
      if (code !== null) {
        assert.equal(code, 0);
        outcomes.finished++;
        assert.equal(which(), target);
        current = target;
        continue;
      }
      outcomes.killed++;
      const action = trial % 2 === 0 ? '--rollback' : '--resume';
      const recovery = await runCli('restore', [action], { cwd: store.root, env });
      if (recovery.code === 0) {
        const expected = action === '--rollback' ? current : target;
        assert.equal(which(), expected, `${action} after a kill`);
        if (action === '--rollback') outcomes.rolledBack++;
        else outcomes.resumed++;
        current = expected;
      } else {
        // killed before it changed anything (or after it finished): nothing to recover
        assert.equal(recovery.code, 1, recovery.stderr);
        assert.match(recovery.stderr, /There is no interrupted restore/);
        const now = which();
        assert.ok(now === current || now === target);
        if (now === target) outcomes.finished++;
        else outcomes.untouched++;
        current = now;
      }
      assert.equal(fs.existsSync(path.join(store.repoDir, '.ba-restore-journal.json')), false, 'journal cleared');
    }
    server.clearFaults();
    assert.ok(
      outcomes.rolledBack + outcomes.resumed >= TRIALS * 0.3,
      `enough kills landed mid-change: ${JSON.stringify(outcomes)}`,
    );
    // what is left over is removed by the next run: only the database remains beside the journal-free store
    await runCli('restore', [states[current]!.archive, '--yes'], { cwd: store.root, env });
    assert.deepEqual(fs.readdirSync(store.repoDir).sort(), ['memoryv012.db']);
    console.log(`restore crash outcomes: ${JSON.stringify(outcomes)}`);
  });

  it('a plain ba-restore after a kill rolls the interrupted one back first, and ba-backup refuses until then', async () => {
    const archives = fs
      .readdirSync(path.join(store.root, 'backups'))
      .filter((n) => n.startsWith('backup_'))
      .sort();
    const archive = path.join(store.root, 'backups', archives[0]!);
    // kill during the upserts: slow them down so the kill lands there
    server.injectFault({ method: 'PUT', path: /\/points$/, kind: 'delay', delayMs: 300, times: Infinity });
    const child = spawn(process.execPath, [BIN.restore, archive, '--yes', '--batch-size', '5', '--concurrency', '1'], {
      cwd: store.root,
      env: cleanEnv(env),
      stdio: 'ignore',
    });
    const journal = path.join(store.repoDir, '.ba-restore-journal.json');
    let exited = false;
    child.on('close', () => (exited = true));
    const phase = (): string | null => {
      try {
        return (JSON.parse(fs.readFileSync(journal, 'utf8')) as { phase: string }).phase;
      } catch {
        return null;
      }
    };
    while (phase() !== 'vectors') {
      assert.ok(!exited, 'the restore reached the vectors phase before it ended');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGKILL');
    if (!exited) await new Promise((r) => child.on('close', r));
    server.clearFaults();

    const backup = await runCli('backup', [], { cwd: store.root, env });
    assert.equal(backup.code, 1);
    assert.match(
      backup.stderr,
      /A restore of .* was interrupted while restoring the vectors; a backup now would save a half-restored store\n {8}Run ba-restore --rollback/,
    );
    const plain = await runCli('restore', [archive, '--yes'], { cwd: store.root, env });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /\[WARNING\] A restore of .* was interrupted while restoring the vectors\./);
    assert.match(plain.stdout, /Rolling back to the state before it, from .*safety_/);
    assert.match(plain.stdout, /\[SUCCESS\] Restore completed successfully!/);
  });

  it('a killed restore that started from a damaged database ends with the damaged bytes back or the archive restored', async () => {
    const archives = fs
      .readdirSync(path.join(store.root, 'backups'))
      .filter((n) => n.startsWith('backup_'))
      .sort();
    const archive = path.join(store.root, 'backups', archives[0]!);
    const args = [archive, '--yes', '--batch-size', '5', '--concurrency', '1'];
    const damage = (size: number): Buffer =>
      Buffer.from(Array.from({ length: size }, () => Math.floor(rng.next() * 256)));
    server.injectFault({ method: 'PUT', path: /\/points$/, kind: 'delay', delayMs: 25, times: Infinity });
    fs.writeFileSync(store.dbPath, damage(8192));
    const duration = await timed(async () =>
      assert.equal((await runCli('restore', args, { cwd: store.root, env })).code, 0),
    );
    const restored = { db: dumpDatabase(store.dbPath), points: server.getPoints(store.collectionName) };
    const trials = Math.max(4, Math.round(TRIALS / 5));
    const outcomes = { killed: 0, damagedBack: 0, restored: 0 };
    for (let trial = 0; trial < trials; trial++) {
      const damaged = damage(8192 + trial);
      fs.writeFileSync(store.dbPath, damaged);
      // kills at any moment, and while the store changes (after the damaged file was saved)
      const journal = path.join(store.repoDir, '.ba-restore-journal.json');
      const code =
        trial % 4 < 2
          ? await runAndKill('restore', args, store.root, env, Math.floor(rng.next() * duration * 1.1))
          : await runAndKillWhileChanging(
              'restore',
              args,
              store.root,
              env,
              journal,
              Math.floor(rng.next() * duration * 0.5),
            );
      const afterKill =
        code === null
          ? await runCli('restore', [trial % 2 === 0 ? '--rollback' : '--resume'], { cwd: store.root, env })
          : null;
      if (code === null) outcomes.killed++;
      const isDamaged =
        fs.existsSync(store.dbPath) && fileHash(store.dbPath) === createHash('sha256').update(damaged).digest('hex');
      if (isDamaged) {
        outcomes.damagedBack++;
      } else {
        assert.deepEqual(
          { db: dumpDatabase(store.dbPath), points: server.getPoints(store.collectionName) },
          restored,
          `trial ${trial}: the archive's state (${afterKill?.stderr ?? ''})`,
        );
        outcomes.restored++;
      }
      assert.equal(fs.existsSync(path.join(store.repoDir, '.ba-restore-journal.json')), false, 'journal cleared');
    }
    server.clearFaults();
    console.log(`restore-from-damaged crash outcomes: ${JSON.stringify(outcomes)}`);
    // the store is left healthy for the tests after this one
    assert.equal((await runCli('restore', [archive, '--yes'], { cwd: store.root, env })).code, 0);
    assert.deepEqual({ db: dumpDatabase(store.dbPath), points: server.getPoints(store.collectionName) }, restored);
  });

  // Sizes: too small for the database copy; room for the copy but not the archive.
  for (const [phase, extraKb] of [
    ['copying the database', -64],
    ['writing the archive', 24],
  ] as const) {
    it(`a full disk while ${phase} fails cleanly and leaves nothing behind`, async (t) => {
      const mountPoint = makeTempDir('ba-full');
      const sizeKb = Math.ceil(fs.statSync(store.dbPath).size / 1024) + extraKb;
      const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', mountPoint]);
      if (mounted.status !== 0) {
        t.skip('cannot mount a size-limited tmpfs here (needs root)');
        return;
      }
      try {
        const root = path.join(mountPoint, 'root');
        fs.mkdirSync(root);
        // the store lives elsewhere; only backups/ is on the small disk
        fs.symlinkSync(path.join(store.root, 'memory_repos'), path.join(root, 'memory_repos'));
        fs.mkdirSync(path.join(root, 'filler'));
        const before = fileHash(store.dbPath);
        const result = await runCli('backup', ['--skip-qdrant'], { cwd: root, env });
        assert.equal(result.code, 1, result.stdout);
        assert.match(result.stderr, /^\[ERROR\] The disk is full: cannot write in .*backups; nothing was changed\n/);
        assert.deepEqual(fs.readdirSync(path.join(root, 'backups')), [], 'no partial archive, no temporary file');
        assert.equal(fileHash(store.dbPath), before);
      } finally {
        spawnSync('umount', [mountPoint]);
      }
    });
  }
});
