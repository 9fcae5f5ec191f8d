/**
 * The backups folder: where archives are named, published and found.
 *
 * Archives are written under a temporary name that never matches an archive
 * pattern, then published with link() under their final name: link fails
 * instead of overwriting, so two backups in the same second get distinct
 * names, and a crash leaves at most a temporary file that the next run removes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { onInterrupt } from '../interrupt.js';
import { archiveTimestamp } from '../local-time.js';
import { printable } from '../output.js';
import { processIsAlive } from '../process-alive.js';

export type ArchiveKind = 'backup' | 'safety';

const PREFIX: Record<ArchiveKind, string> = { backup: 'backup', safety: 'safety' };
const ARCHIVE_NAME = /^(backup|safety)_(\d{8}_\d{6})(?:_(\d+))?\.zip$/;
// .db-journal: SQLite's rollback journal beside a snapshot (VACUUM INTO) that a kill interrupted
const TEMP_NAME = /^\.ba-tmp-(\d+)-[0-9a-f]+(\.zip|\.db(-journal)?)?$/;

export function ensureBackupsDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** A new temporary path in the folder, named after this process. */
export function tempPath(dir: string, suffix: '.zip' | '.db' | ''): string {
  return path.join(dir, `.ba-tmp-${process.pid}-${randomBytes(6).toString('hex')}${suffix}`);
}

/** Removes temporary files left by runs that are no longer alive. */
export function removeStaleTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processIsAlive(pid)) continue;
    fs.rmSync(path.join(dir, name), { force: true, recursive: true });
    removed.push(name);
  }
  return removed;
}

const cleanedOnInterrupt = new Set<string>();

/** This process's temporary files in `dir` are removed on Ctrl-C. */
export function cleanOnInterrupt(dir: string): void {
  if (cleanedOnInterrupt.has(dir)) return;
  cleanedOnInterrupt.add(dir);
  onInterrupt(() => removeOwnTempFiles(dir));
}

/** Removes this process's own temporary files in `dir` (an interrupted run cleaning up after itself). */
function removeOwnTempFiles(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (Number(TEMP_NAME.exec(name)?.[1]) === process.pid)
      fs.rmSync(path.join(dir, name), { force: true, recursive: true });
  }
}

export function fsyncDir(dir: string): void {
  // Directories cannot be opened for fsync on Windows; the rename is durable there anyway.
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Gives a finished temporary archive its final name; returns that path. */
export function publishArchive(temp: string, dir: string, kind: ArchiveKind, date: Date): string {
  const stamp = archiveTimestamp(date);
  for (let n = 1; ; n++) {
    const name = n === 1 ? `${PREFIX[kind]}_${stamp}.zip` : `${PREFIX[kind]}_${stamp}_${n}.zip`;
    const target = path.join(dir, name);
    try {
      fs.linkSync(temp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    fs.unlinkSync(temp);
    fsyncDir(dir);
    return target;
  }
}

export interface ArchiveFile {
  name: string;
  path: string;
  kind: ArchiveKind;
  size: number;
  /** Modification time of the file. */
  mtime: Date;
}

/** Archives in the folder, newest name first; null when the folder does not exist. */
export function listArchiveFiles(dir: string): ArchiveFile[] | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const files: ArchiveFile[] = [];
  for (const name of names) {
    const m = ARCHIVE_NAME.exec(name);
    if (!m) continue;
    const full = path.join(dir, name);
    const stat = fs.statSync(full);
    if (!stat.isFile()) continue;
    files.push({ name, path: full, kind: m[1] as ArchiveKind, size: stat.size, mtime: stat.mtime });
  }
  const order = (f: ArchiveFile) => {
    const m = ARCHIVE_NAME.exec(f.name)!;
    return `${m[2]}_${(m[3] ?? '1').padStart(6, '0')}`;
  };
  return files.sort((a, b) => (order(a) < order(b) ? 1 : order(a) > order(b) ? -1 : a.name < b.name ? 1 : -1));
}

/**
 * Where an archive argument points: a bare name is looked up in the backups
 * folder (with or without .zip), anything with a path separator is a path.
 * Returns the found path and every place tried.
 */
export function locateArchive(arg: string, backupsDir: string, cwd: string): { found: string | null; tried: string[] } {
  const isBare = !arg.includes('/') && !arg.includes('\\') && !path.isAbsolute(arg);
  const candidates = isBare
    ? [
        path.join(backupsDir, arg),
        ...(arg.endsWith('.zip') ? [] : [path.join(backupsDir, `${arg}.zip`)]),
        path.resolve(cwd, arg),
      ]
    : [path.resolve(cwd, arg)];
  const tried = [...new Set(candidates)];
  for (const candidate of tried) {
    try {
      if (fs.statSync(candidate).isFile()) return { found: candidate, tried };
    } catch {
      // try the next
    }
  }
  return { found: null, tried };
}

/**
 * Refuses paths that are symbolic links. A restore writes the live database,
 * its journal, the safety backup and its temporary copies at the store's own
 * paths: a link planted at one of them would send those writes (or the
 * removal of stale temporary files) to wherever it points, outside the store.
 * Missing paths are fine: a restore may create them. Only the paths given are
 * checked, not their parents: the root the user names may itself be a link.
 */
export function refuseSymlinks(paths: readonly string[]): void {
  for (const candidate of paths) {
    let isLink: boolean;
    try {
      isLink = fs.lstatSync(candidate).isSymbolicLink();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
        continue;
      throw err;
    }
    if (!isLink) continue;
    let target: string;
    try {
      target = fs.readlinkSync(candidate);
    } catch {
      target = 'somewhere else';
    }
    throw new UserError(
      `Refusing to restore: ${printable(candidate)} is a symbolic link (to ${printable(target)})`,
      ExitCode.Failure,
      { kind: 'symbolic-link' },
    );
  }
}

/**
 * The archive an argument names, or a BACKUP_NOT_FOUND error listing every
 * place tried and the archive names closest to the one asked for.
 */
export function findArchive(arg: string, backupsDir: string, cwd: string): string {
  const located = locateArchive(arg, backupsDir, cwd);
  if (!located.found) {
    const near = closestNames(
      path.basename(arg),
      (listArchiveFiles(backupsDir) ?? []).map((f) => f.name),
    );
    throw new UserError(
      `Backup not found: ${located.tried.join(', ')}`,
      ExitCode.Failure,
      { kind: 'archive-not-found', near },
      'BACKUP_NOT_FOUND',
    );
  }
  return located.found;
}

/** Up to three names closest to `wanted` (a typo of a few characters), closest first. */
export function closestNames(wanted: string, names: readonly string[]): string[] {
  const target = wanted.endsWith('.zip') ? wanted : `${wanted}.zip`;
  const limit = Math.max(2, Math.floor(target.length / 4));
  return names
    .map((name) => ({ name, distance: editDistance(target, name) }))
    .filter((c) => c.distance <= limit)
    .sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1))
    .slice(0, 3)
    .map((c) => c.name);
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}
