/**
 * The live memory database as a restore finds it: absent, healthy (with its
 * counts) or damaged (with the reason in one line), read without changing a
 * byte of it.
 *
 * SQLite changes files as it opens them: a hot `-journal` is rolled back and
 * deleted, a `-wal` may be checkpointed or truncated. Those files may hold
 * the only copy of something (or be unrelated leftovers), so when one lies
 * beside the database the reading is done on a scratch copy of the database
 * file alone, and the side files are reported as leftovers to be saved raw.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describeError } from '../errors.js';
import type { SqliteStats } from '../manifest.js';
import { useSmallPageCache } from './open.js';
import { hasMemoriesTable, readStats } from './stats.js';

/** Files SQLite keeps beside a database that can hold data (the -shm index is rebuilt from them). */
export const DATA_SIDE_SUFFIXES = ['-wal', '-journal'] as const;
/** Every file SQLite keeps beside a database. */
export const SIDE_SUFFIXES = [...DATA_SIDE_SUFFIXES, '-shm'] as const;

export type LiveDatabase =
  | { state: 'absent'; path: string }
  | {
      state: 'healthy';
      path: string;
      stats: SqliteStats;
      /** side files found beside it, by file name */ leftovers: string[];
    }
  | { state: 'damaged'; path: string; reason: string };

/** The database file and its data side files that exist, in that order. */
export function databaseFiles(dbPath: string): string[] {
  return [dbPath, ...DATA_SIDE_SUFFIXES.map((suffix) => dbPath + suffix)].filter((file) => fs.existsSync(file));
}

/** Reads the live database; never throws for the database's own state. `scratch` is a free path for a copy. */
export function readLiveDatabase(dbPath: string, scratch: string): LiveDatabase {
  const sides = DATA_SIDE_SUFFIXES.map((suffix) => dbPath + suffix).filter((file) => fs.existsSync(file));
  if (!fs.existsSync(dbPath)) {
    if (sides.length === 0) return { state: 'absent', path: dbPath };
    return {
      state: 'damaged',
      path: dbPath,
      reason: `${sides.map((f) => path.basename(f)).join(' and ')} without a database`,
    };
  }
  if (sides.length === 0) return inspect(dbPath, dbPath);
  fs.copyFileSync(dbPath, scratch);
  try {
    const found = inspect(scratch, dbPath);
    return found.state === 'healthy' ? { ...found, leftovers: sides.map((f) => path.basename(f)) } : found;
  } finally {
    fs.rmSync(scratch, { force: true });
  }
}

function inspect(file: string, livePath: string): LiveDatabase {
  if (fs.statSync(file).size === 0) return { state: 'damaged', path: livePath, reason: 'the file is empty (0 bytes)' };
  let db: Database.Database | null = null;
  try {
    db = useSmallPageCache(new Database(file, { readonly: true, fileMustExist: true }));
    const check = (db.pragma('quick_check(1)') as Array<{ quick_check: string }>)[0]?.quick_check ?? 'no answer';
    if (check !== 'ok')
      return { state: 'damaged', path: livePath, reason: `database disk image is malformed (${oneLine(check)})` };
    if (!hasMemoriesTable(db)) return { state: 'damaged', path: livePath, reason: 'it has no memories table' };
    return { state: 'healthy', path: livePath, stats: readStats(db), leftovers: [] };
  } catch (err) {
    return { state: 'damaged', path: livePath, reason: describeError(err) };
  } finally {
    db?.close();
  }
}

/**
 * Waits until no other connection holds the database (a read transaction of
 * the memory server blocks SQLite from writing it), up to `waitMs`; calls
 * `waiting` once if it has to wait. True when the database is free.
 */
export async function waitUntilWritable(dbPath: string, waitMs: number, waiting: () => void): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  let told = false;
  const db = new Database(dbPath, { fileMustExist: true, timeout: 0 });
  try {
    for (;;) {
      try {
        db.exec('BEGIN EXCLUSIVE');
        db.exec('ROLLBACK');
        return true;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) return false;
      }
      if (!told) waiting();
      told = true;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    db.close();
  }
}

/** quick_check's report, which names the schema on a line of its own, as one line. */
function oneLine(report: string): string {
  return report
    .split('\n')
    .filter((line) => !/^\*\*\* in database/.test(line))
    .join('; ');
}

/** Removes the database and every side file (a state without a database, or before raw files go back). */
export function removeDatabaseFiles(dbPath: string): void {
  for (const suffix of ['', ...SIDE_SUFFIXES]) fs.rmSync(dbPath + suffix, { force: true });
}
