/**
 * Counts that describe a memory database, read the same way at backup,
 * validation and restore so that they can be compared.
 */
import type Database from 'better-sqlite3';
import type { SqliteStats } from '../manifest.js';
import { UserError } from '../errors.js';
import { formatCount } from '../count.js';
import { openReadOnly } from './open.js';

function tableExists(db: Database.Database, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

function countRows(db: Database.Database, table: string): number {
  if (!tableExists(db, table)) return 0;
  const row = db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number };
  return row.n;
}

export function hasMemoriesTable(db: Database.Database): boolean {
  return tableExists(db, 'memories');
}

/** total_memories, total_versions, total_intentions (0 when a table is missing, as in old stores). */
export function readStats(db: Database.Database): SqliteStats {
  return {
    total_memories: countRows(db, 'memories'),
    total_versions: countRows(db, 'memory_versions'),
    total_intentions: countRows(db, 'intentions'),
  };
}

/** PRAGMA integrity_check: 'ok' or the first problems it reports. */
export function integrityCheck(db: Database.Database): string {
  const rows = db.pragma('integrity_check(5)') as Array<{ integrity_check: string }>;
  return rows.map((row) => row.integrity_check).join('; ');
}

export function sameStats(a: SqliteStats, b: SqliteStats): boolean {
  return (
    a.total_memories === b.total_memories &&
    a.total_versions === b.total_versions &&
    a.total_intentions === b.total_intentions
  );
}

export function describeStats(stats: SqliteStats): string {
  return `${formatCount(stats.total_memories)} memories, ${formatCount(stats.total_versions)} versions, ${formatCount(stats.total_intentions)} intentions`;
}

/**
 * Opens a database just written, fails with `problem(result)` unless PRAGMA
 * integrity_check says ok, and returns what `read` reads from it.
 */
export function readIntact<T>(
  file: string,
  problem: (integrity: string) => string,
  read: (db: Database.Database) => T,
): T {
  const db = openReadOnly(file);
  try {
    const integrity = integrityCheck(db);
    if (integrity !== 'ok') throw new UserError(problem(integrity));
    return read(db);
  } finally {
    db.close();
  }
}
