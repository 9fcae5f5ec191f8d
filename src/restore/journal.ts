/**
 * The restore journal: a small file beside the live database that records
 * which phase a restore is in. A restore killed part-way leaves it behind;
 * the next ba-restore (or ba-backup) finds it and brings the store back to
 * one whole state, the previous one (rollback from the safety backup) or the
 * restored one (resume), never a mix.
 *
 * The file is replaced atomically (write a temporary file, fsync, rename) so
 * it is always either the old or the new phase, never a torn write.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { QdrantModeChoice } from '../config.js';
import { tempPath } from '../archive/backups-folder.js';

export const JOURNAL_FILE = '.ba-restore-journal.json';

export type RestorePhase = 'safety-backup' | 'database' | 'vectors' | 'done';

export interface RestoreJournal {
  pid: number;
  started: string;
  archive: string;
  /** The safety backup holding the previous state, once written. */
  safetyBackup: string | null;
  phase: RestorePhase;
  mode: QdrantModeChoice;
  /** What existed before the restore, so a rollback can remove what it added. */
  previous: { database: boolean; collection: boolean };
}

export function journalPath(repoDir: string): string {
  return path.join(repoDir, JOURNAL_FILE);
}

export function readJournal(repoDir: string): RestoreJournal | null {
  try {
    return JSON.parse(fs.readFileSync(journalPath(repoDir), 'utf8')) as RestoreJournal;
  } catch {
    return null;
  }
}

export function writeJournal(repoDir: string, journal: RestoreJournal): void {
  fs.mkdirSync(repoDir, { recursive: true });
  const target = journalPath(repoDir);
  // a temporary name that the next run's stale-file cleanup recognises
  const temp = tempPath(repoDir, '');
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(journal, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, target);
}

export function clearJournal(repoDir: string): void {
  fs.rmSync(journalPath(repoDir), { force: true });
}

/** A journal whose restore changed something and did not finish. */
export function needsRecovery(journal: RestoreJournal | null): journal is RestoreJournal {
  return journal !== null && journal.phase !== 'safety-backup' && journal.phase !== 'done';
}

export function describeInterrupted(journal: RestoreJournal): string {
  return `A restore of ${journal.archive} (pid ${journal.pid}, started ${journal.started}) was interrupted while restoring the ${journal.phase}`;
}
