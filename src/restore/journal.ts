/**
 * The restore journal: a small file beside the live database that records
 * the restore's steps and how far each got. A restore killed part-way leaves
 * it behind; the next ba-restore (or ba-backup) finds it and brings the store
 * back to one whole state: the previous one (undo the steps begun, in
 * reverse) or the restored one (do the steps not finished), never a mix.
 *
 * The file is replaced atomically (write a temporary file, fsync, rename) so
 * it is always either the old or the new record, never a torn write.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { QdrantModeChoice } from '../config.js';
import { tempPath } from '../archive/backups-folder.js';

export const JOURNAL_FILE = '.ba-restore-journal.json';

export type StepName = 'database' | 'vectors';
export type StepState = 'pending' | 'started' | 'done';

export interface RestoreJournal {
  pid: number;
  started: string;
  archive: string;
  /** The safety backup holding the previous state, once written. */
  safetyBackup: string | null;
  mode: QdrantModeChoice;
  /** What existed (and was saved) before the restore, so a rollback removes what it added. */
  previous: { database: boolean; collection: boolean };
  /** The live vectors could not be read and were discarded, not saved (--discard-unreadable). */
  discarded?: boolean;
  /** Whether the live database files were replaced rather than written into (damaged, leftovers or absent). */
  replaceDatabaseFiles?: boolean;
  steps: Array<{ name: StepName; state: StepState }>;
  /** The step in progress ('safety-backup' before any, 'done' after all); kept for readers of the file. */
  phase: string;
}

export function journalPath(repoDir: string): string {
  return path.join(repoDir, JOURNAL_FILE);
}

export function readJournal(repoDir: string): RestoreJournal | null {
  let journal: Partial<RestoreJournal>;
  try {
    journal = JSON.parse(fs.readFileSync(journalPath(repoDir), 'utf8')) as Partial<RestoreJournal>;
  } catch {
    return null;
  }
  // a journal of an earlier version records a phase only
  journal.steps ??= [
    {
      name: 'database',
      state: journal.phase === 'database' ? 'started' : journal.phase === 'vectors' ? 'done' : 'pending',
    },
    { name: 'vectors', state: journal.phase === 'vectors' ? 'started' : 'pending' },
  ];
  return journal as RestoreJournal;
}

export function writeJournal(repoDir: string, journal: RestoreJournal): void {
  const inProgress = journal.steps.find((step) => step.state === 'started');
  journal.phase = inProgress
    ? inProgress.name
    : journal.steps.every((step) => step.state === 'done')
      ? 'done'
      : journal.steps.some((s) => s.state === 'done')
        ? 'between steps'
        : 'safety-backup';
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
  return (
    journal !== null &&
    journal.steps.some((step) => step.state !== 'pending') &&
    !journal.steps.every((step) => step.state === 'done')
  );
}

export function describeInterrupted(journal: RestoreJournal): string {
  const step = journal.steps.find((s) => s.state === 'started') ?? journal.steps.find((s) => s.state === 'pending');
  return `A restore of ${journal.archive} (pid ${journal.pid}, started ${journal.started}) was interrupted while restoring the ${step?.name ?? 'store'}`;
}
