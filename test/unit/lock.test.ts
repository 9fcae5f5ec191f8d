/** One run at a time per backups folder: when a lock is taken over and when it stops the run (lock.ts). */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { acquireLock, LOCK_FILE, STALE_AFTER_MS, type LockHolder } from '../../src/lock.js';
import { processIsAlive } from '../../src/process-alive.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

// ---- factories ----------------------------------------------------------------------------------

const OTHER_HOST = 'another-host.invalid';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.equal(typeof child.pid, 'number');
  return child.pid;
}

function holder(extra: Partial<LockHolder> = {}): LockHolder {
  return { pid: process.pid, command: 'ba-backup', host: os.hostname(), started: '2026-03-01T12:00:00.000Z', ...extra };
}

/** A fresh backups folder (not created: acquireLock creates it). */
function backupsDir(): string {
  return path.join(makeTempDir('ba-lock-unit'), 'backups');
}

/** A backups folder holding a lock file with this content, last refreshed `ageMs` ago. */
function lockedDir(content: LockHolder | string, ageMs = 0): { dir: string; file: string } {
  const dir = backupsDir();
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  fs.writeFileSync(file, typeof content === 'string' ? content : `${JSON.stringify(content)}\n`);
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    fs.utimesSync(file, then, then);
  }
  return { dir, file };
}

const STALE_AGE = STALE_AFTER_MS + 60_000;

function readLock(file: string): LockHolder {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
}

/** A LOCKED refusal with exactly this message. */
function locked(message: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.equal(err.code, 'LOCKED');
    assert.equal(err.exitCode, 1);
    assert.equal(err.message, message);
    return true;
  };
}

/** Acquires, checks that the lock file now names this process, and releases. */
async function assertTakenOver(dir: string, file: string): Promise<void> {
  const lock = await acquireLock(dir, 'ba-restore', 0);
  try {
    const now = readLock(file);
    assert.equal(now.pid, process.pid);
    assert.equal(now.command, 'ba-restore');
    assert.equal(now.host, os.hostname());
    assert.deepEqual(
      fs.readdirSync(dir).filter((name) => name !== LOCK_FILE),
      [],
      'nothing is left beside the lock',
    );
  } finally {
    lock.release();
  }
}

let sleeper: ChildProcess;

before(async () => {
  sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
  await new Promise((resolve) => sleeper.once('spawn', resolve));
});

after(() => {
  sleeper.kill();
  cleanupTempDirs();
});

// ---- tests --------------------------------------------------------------------------------------

describe('processIsAlive', () => {
  it('is true for this process and a running child, false for one that exited', () => {
    assert.equal(processIsAlive(process.pid), true);
    assert.equal(processIsAlive(sleeper.pid!), true);
    assert.equal(processIsAlive(deadPid()), false);
  });
});

describe('acquireLock: a free folder', () => {
  it('creates the folder and a lock file naming this run, and release removes it', async () => {
    const dir = backupsDir();
    const lock = await acquireLock(dir, 'ba-backup --prune', 0);
    const file = path.join(dir, LOCK_FILE);
    const written = readLock(file);
    assert.equal(written.pid, process.pid);
    assert.equal(written.command, 'ba-backup --prune');
    assert.equal(written.host, os.hostname());
    assert.ok(Date.now() - Date.parse(written.started) < 60_000, written.started);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    lock.release();
    assert.equal(fs.existsSync(file), false);
    lock.release(); // twice is harmless
  });

  it('removes its exit handler on release', async () => {
    const listeners = process.listenerCount('exit');
    const lock = await acquireLock(backupsDir(), 'ba-backup', 0);
    assert.equal(process.listenerCount('exit'), listeners + 1);
    lock.release();
    assert.equal(process.listenerCount('exit'), listeners);
  });

  it('release leaves a lock alone that is no longer its own', async () => {
    const dir = backupsDir();
    const lock = await acquireLock(dir, 'ba-backup', 0);
    const file = path.join(dir, LOCK_FILE);
    const theirs = `${JSON.stringify(holder({ pid: sleeper.pid!, command: 'ba-restore' }))}\n`;
    fs.writeFileSync(file, theirs);
    lock.release();
    assert.equal(fs.readFileSync(file, 'utf8'), theirs);
  });
});

describe('acquireLock: a live holder stops the run', () => {
  it('its own lock: a second acquire in the same process is refused', async () => {
    const dir = backupsDir();
    const first = await acquireLock(dir, 'ba-backup', 0);
    try {
      const mine = readLock(path.join(dir, LOCK_FILE));
      await assert.rejects(
        acquireLock(dir, 'ba-restore', 0),
        locked(`ba-backup (pid ${process.pid} on ${os.hostname()}, started ${mine.started}) is working on ${dir}`),
      );
    } finally {
      first.release();
    }
  });

  it('a running process on this host', async () => {
    const { dir, file } = lockedDir(holder({ pid: sleeper.pid! }));
    const original = fs.readFileSync(file, 'utf8');
    await assert.rejects(
      acquireLock(dir, 'ba-restore', 0),
      locked(
        `ba-backup (pid ${sleeper.pid} on ${os.hostname()}, started 2026-03-01T12:00:00.000Z) is working on ${dir}`,
      ),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), original, 'the lock is left as it was');
  });

  it('a recently refreshed lock of another host, even with a pid that is not running here', async () => {
    const { dir } = lockedDir(holder({ pid: deadPid(), host: OTHER_HOST }), STALE_AFTER_MS - 30_000);
    await assert.rejects(acquireLock(dir, 'ba-restore', 0), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.code, 'LOCKED');
      assert.match(err.message, new RegExp(`on ${OTHER_HOST.replace(/\./g, '\\.')}, started`));
      return true;
    });
  });

  it('a lock file that cannot be read (being written, or damaged), while it is fresh', async () => {
    for (const content of ['', '{"pid": 12', 'not json']) {
      const { dir } = lockedDir(content);
      await assert.rejects(acquireLock(dir, 'ba-backup', 0), locked(`another run is working on ${dir}`));
    }
  });

  it('waits for the holder to release before giving up', async () => {
    const dir = backupsDir();
    const first = await acquireLock(dir, 'ba-backup', 0);
    setTimeout(() => first.release(), 300);
    const second = await acquireLock(dir, 'ba-restore', 5_000);
    assert.equal(readLock(path.join(dir, LOCK_FILE)).command, 'ba-restore');
    second.release();
  });

  it('gives up once the wait is over', async () => {
    const { dir } = lockedDir(holder({ pid: sleeper.pid! }));
    const started = Date.now();
    await assert.rejects(acquireLock(dir, 'ba-restore', 400), (err: unknown) => {
      assert.ok(err instanceof UserError);
      return err.code === 'LOCKED';
    });
    assert.ok(Date.now() - started >= 400, 'it waited');
  });
});

describe('acquireLock: a stale lock is taken over at once', () => {
  it('a fresh lock of a process on this host that is gone', async () => {
    const { dir, file } = lockedDir(holder({ pid: deadPid() }));
    await assertTakenOver(dir, file);
  });

  it('a lock not refreshed for longer than STALE_AFTER_MS, whatever host it names', async () => {
    const { dir, file } = lockedDir(holder({ pid: sleeper.pid!, host: OTHER_HOST }), STALE_AGE);
    await assertTakenOver(dir, file);
  });

  it('an old lock of a process on this host that still runs (judged by age)', async () => {
    const { dir, file } = lockedDir(holder({ pid: sleeper.pid! }), STALE_AGE);
    await assertTakenOver(dir, file);
  });

  it('an old lock file that cannot be read', async () => {
    const { dir, file } = lockedDir('{"pid": 12', STALE_AGE);
    await assertTakenOver(dir, file);
  });
});

describe('acquireLock: side files a killed run can leave', () => {
  const tag = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');

  /**
   * Runs acquireLock in a child whose `fs[call]` does its file work and then kills the process
   * (SIGKILL), as a crash at the worst moment would.
   */
  function acquireAndDieIn(dir: string, call: 'writeFileSync' | 'linkSync', doWork: string): void {
    const lockModule = new URL('../../src/lock.js', import.meta.url).href;
    const script = `
      import fs from 'node:fs';
      const original = fs.${call};
      fs.${call} = (...args) => { ${doWork}; process.kill(process.pid, 'SIGKILL'); };
      const { acquireLock } = await import(${JSON.stringify(lockModule)});
      await acquireLock(${JSON.stringify(dir)}, 'ba-backup', 0);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script]);
    assert.equal(child.signal, 'SIGKILL', child.stderr.toString());
  }

  it('a run killed after creating its first file, before writing it, blocks no one', async () => {
    const dir = backupsDir();
    fs.mkdirSync(dir, { recursive: true });
    // the file is created empty, then the process dies before writing the holder into it
    acquireAndDieIn(dir, 'writeFileSync', "fs.closeSync(fs.openSync(args[0], args[2]?.flag ?? 'w'))");
    assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false, 'no lock that names nobody');
    await assertTakenOver(dir, path.join(dir, LOCK_FILE));
  });

  it('a run killed after linking its lock into place is taken over and its draft removed', async () => {
    const dir = backupsDir();
    fs.mkdirSync(dir, { recursive: true });
    acquireAndDieIn(dir, 'linkSync', 'original(...args)');
    assert.equal(fs.readdirSync(dir).length, 2, 'the lock and its draft are left');
    await assertTakenOver(dir, path.join(dir, LOCK_FILE));
  });

  it('removes the side files of dead runs on this host and keeps those of live runs and other hosts', async () => {
    const dir = backupsDir();
    fs.mkdirSync(dir, { recursive: true });
    const dead = deadPid();
    const names = {
      deadNew: `${LOCK_FILE}.new-${dead}@${tag}`,
      deadAside: `${LOCK_FILE}.stale-${dead}@${tag}`,
      liveNew: `${LOCK_FILE}.new-${sleeper.pid}@${tag}`,
      otherHost: `${LOCK_FILE}.new-${dead}@${OTHER_HOST}`,
    };
    for (const name of Object.values(names)) fs.writeFileSync(path.join(dir, name), '');
    const lock = await acquireLock(dir, 'ba-backup', 0);
    lock.release();
    assert.deepEqual(fs.readdirSync(dir).sort(), [names.liveNew, names.otherHost].sort());
  });
});
