/**
 * One run at a time per backups folder.
 *
 * A lock file (`backups/.ba-lock`) created exclusively names its holder (pid,
 * command, host, start time). The holder refreshes the file's mtime while it
 * runs, so a lock is stale when its process is gone on this host, or when it
 * has not been refreshed for STALE_AFTER_MS (a crash on another host sharing
 * the folder). A stale lock is taken over at once: a crashed run never blocks
 * the next scheduled one. A live holder makes the second run wait briefly,
 * then stop with a message naming the holder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode, UserError } from './errors.js';
import { processIsAlive } from './process-alive.js';

export const LOCK_FILE = '.ba-lock';
const REFRESH_MS = 10_000;
export const STALE_AFTER_MS = 120_000;

export interface LockHolder {
  pid: number;
  command: string;
  host: string;
  started: string;
}

export interface Lock {
  release(): void;
}

function readHolder(file: string): { holder: LockHolder | null; mtimeMs: number } | null {
  try {
    const stat = fs.statSync(file);
    let holder: LockHolder | null = null;
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
    } catch {
      // being written, or damaged: judged by its age alone
    }
    return { holder, mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  }
}

function isStale(info: { holder: LockHolder | null; mtimeMs: number }, now: number): boolean {
  if (now - info.mtimeMs > STALE_AFTER_MS) return true;
  const { holder } = info;
  return holder !== null && holder.host === os.hostname() && !processIsAlive(holder.pid);
}

function describeHolder(holder: LockHolder | null): string {
  if (!holder) return 'another run';
  return `${holder.command} (pid ${holder.pid} on ${holder.host}, started ${holder.started})`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function acquireLock(dir: string, command: string, waitMs = 5_000): Promise<Lock> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, command, host: os.hostname(), started: new Date().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  const deadline = Date.now() + waitMs;
  removeDeadSideFiles(dir);
  for (;;) {
    if (createWhole(file, text)) return holdLock(file, text);
    const info = readHolder(file);
    if (info === null) continue; // released in between
    if (isStale(info, Date.now())) {
      takeOverStale(file);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new UserError(
        `${describeHolder(info.holder)} is working on ${dir}`,
        ExitCode.Failure,
        `Wait for it to finish and try again. If no such process runs any more, delete ${file}.`,
        'LOCKED',
      );
    }
    await sleep(200);
  }
}

/**
 * Side files carry their maker's pid and host in their name, so a run killed
 * while holding one leaves nothing the next run cannot clean up.
 */
const hostTag = (): string => os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');
const sideFile = (file: string, kind: 'new' | 'stale'): string => `${file}.${kind}-${process.pid}@${hostTag()}`;
const SIDE_FILE = /^\.ba-lock\.(?:new|stale)-(\d+)@(.+)$/;

function removeDeadSideFiles(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const match = SIDE_FILE.exec(name);
    if (match && match[2] === hostTag() && !processIsAlive(Number(match[1]))) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}

/**
 * Creates the lock file with its holder already in it: written under a side
 * name, then linked into place, so that no kill can leave an empty lock that
 * names nobody (such a lock could only be judged by its age). Returns false
 * when a lock exists.
 */
function createWhole(file: string, text: string): boolean {
  const draft = sideFile(file, 'new');
  fs.writeFileSync(draft, text, { mode: 0o600 });
  try {
    fs.linkSync(draft, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // a file system without hard links: exclusive creation, the old way
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') return createExclusive(file, text);
    throw err;
  } finally {
    fs.rmSync(draft, { force: true });
  }
}

function createExclusive(file: string, text: string): boolean {
  try {
    fs.writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Moves a stale lock aside; if what was moved turns out to be live, puts it back. */
function takeOverStale(file: string): void {
  const aside = sideFile(file, 'stale');
  try {
    fs.renameSync(file, aside);
  } catch {
    return; // someone else took it over first
  }
  const moved = readHolder(aside);
  if (moved && !isStale(moved, Date.now())) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // a new lock already exists; the live holder still runs under it
    }
  }
  fs.rmSync(aside, { force: true });
}

function holdLock(file: string, text: string): Lock {
  const refresh = setInterval(() => {
    const now = new Date();
    try {
      fs.utimesSync(file, now, now);
    } catch {
      // the lock was removed by hand; nothing to refresh
    }
  }, REFRESH_MS);
  refresh.unref();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    clearInterval(refresh);
    process.off('exit', release);
    try {
      if (fs.readFileSync(file, 'utf8') === text) fs.unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return { release };
}
