/**
 * Opens a live database for reading, recovering it first when needed.
 *
 * A process killed in the middle of a write (the memory server, or a restore)
 * leaves a hot journal beside the database. SQLite rolls it back on the next
 * open, but only a connection that may write can do so: a read-only open then
 * fails with "attempt to write a readonly database". In that case the
 * database is opened once for writing, which performs exactly SQLite's own
 * recovery and nothing else, and then read-only again.
 */
import Database from 'better-sqlite3';

const BUSY_TIMEOUT_MS = 30_000;

/**
 * SQLite's own default page cache (2 MB). better-sqlite3 builds with 16 MB per
 * connection, which a copy or an integrity check fills in one pass and never
 * reuses: only the peak memory grows.
 */
export function useSmallPageCache(db: Database.Database): Database.Database {
  db.pragma('cache_size = -2000');
  return db;
}

/** An existing database file, read-only, with the small page cache. */
export function openReadOnly(dbPath: string): Database.Database {
  return useSmallPageCache(new Database(dbPath, { readonly: true, fileMustExist: true }));
}

function isHotJournalError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_READONLY') || /readonly database/i.test((err as Error).message ?? '');
}

export function openForReading(dbPath: string): Database.Database {
  const open = () => {
    const db = openReadOnly(dbPath);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // the schema read is where a hot journal is noticed
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    return db;
  };
  try {
    return open();
  } catch (err) {
    if (!isHotJournalError(err)) throw err;
    const recovering = new Database(dbPath, { fileMustExist: true });
    try {
      recovering.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      recovering.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    } finally {
      recovering.close();
    }
    return open();
  }
}
