/**
 * Puts a verified database in place of the live one.
 *
 * SQLite's online backup API copies the verified file into the live path
 * inside one write transaction on the destination: other connections see the
 * old database or the new one, never a mix, and a crash part-way is rolled
 * back by the destination's own journal. There is no moment without a
 * database file, and stale journal, WAL and SHM files are handled by SQLite
 * itself rather than by renaming files around them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openReadOnly } from './open.js';
import { UserError, describeError } from '../errors.js';
import type { SqliteStats } from '../manifest.js';
import { readIntact, readStats } from './stats.js';

export async function installDatabase(verifiedPath: string, livePath: string): Promise<SqliteStats> {
  fs.mkdirSync(path.dirname(livePath), { recursive: true });
  const source = openReadOnly(verifiedPath);
  try {
    // Large steps: fewer chances for a reader of the live file to make a step wait.
    const copied = await source.backup(livePath, { progress: () => 1_000 });
    // A destination another connection holds ends the backup before its first page, reported as done.
    if (copied.totalPages === 0) throw new Error('another process holds the database, so nothing could be written');
  } catch (err) {
    throw new UserError(
      `Cannot write database ${livePath}: ${describeError(err)}`,
      undefined,
      'Stop the memory server so that nothing holds the database, then run the restore again.',
    );
  } finally {
    source.close();
  }
  return readIntact(
    livePath,
    (integrity) => `Restored database ${livePath} fails its integrity check: ${integrity}`,
    readStats,
  );
}
