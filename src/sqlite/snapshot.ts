/**
 * A consistent copy of a live memory database, taken inside SQLite.
 *
 * VACUUM INTO copies the database in one read transaction, so the copy is a
 * committed state even while the memory server writes (a plain file copy can
 * tear, and misses a -wal file). The online backup API would restart every
 * time another process commits and might never finish under a steady writer.
 * The copy is then checked with PRAGMA integrity_check and its counts are
 * read from the copy itself, so they describe exactly what is archived.
 */
import type Database from 'better-sqlite3';
import { openReadOnly } from './open.js';
import fs from 'node:fs';
import path from 'node:path';
import { UserError, describeError, diskFullError } from '../errors.js';
import { openForReading } from './open.js';
import type { SqliteStats } from '../manifest.js';
import { hasMemoriesTable, readIntact, readStats } from './stats.js';

export interface DatabaseSnapshot {
  path: string;
  stats: SqliteStats;
}

/**
 * Copies any live SQLite database consistently (VACUUM INTO) and checks the
 * copy with PRAGMA integrity_check; `what` names it in errors.
 */
export function copyDatabase(livePath: string, copyPath: string, what = 'database'): void {
  let source: Database.Database;
  try {
    source = openForReading(livePath);
  } catch (err) {
    throw new UserError(`Cannot open ${what} ${livePath}: ${describeError(err)}`);
  }
  try {
    source.prepare('VACUUM INTO ?').run(copyPath);
  } catch (err) {
    fs.rmSync(copyPath, { force: true });
    const full = diskFullError(err, path.dirname(copyPath));
    if (full) throw full;
    throw new UserError(
      `Cannot copy ${what} ${livePath}: ${describeError(err)}`,
      undefined,
      'Check that the file is a SQLite database and that the memory server is not holding a long write lock.',
    );
  } finally {
    source.close();
  }
  readIntact(
    copyPath,
    (integrity) => `${what} ${livePath} failed its integrity check: ${integrity}`,
    () => undefined,
  );
}

export function snapshotDatabase(livePath: string, snapshotPath: string): DatabaseSnapshot {
  copyDatabase(livePath, snapshotPath);
  const copy = openReadOnly(snapshotPath);
  try {
    if (!hasMemoriesTable(copy))
      throw new UserError(`Database ${livePath} has no memories table; is it a memory store?`);
    return { path: snapshotPath, stats: readStats(copy) };
  } finally {
    copy.close();
  }
}
