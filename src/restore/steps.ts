/**
 * A restore as an ordered list of steps, each with do and undo, whose
 * progress the journal records. Doing walks the list forward, skipping what
 * is done; undoing walks back over every step that began. Undo puts a part
 * back as the safety archive holds it (or removes it if there was none), so
 * the same steps serve a failed restore, a resume and a rollback after a crash.
 */
import path from 'node:path';
import type { StoreConfig } from '../config.js';
import { ExitCode, UserError, describeError } from '../errors.js';
import type { Reporter } from '../output.js';
import { installDatabase } from '../sqlite/install.js';
import { removeDatabaseFiles } from '../sqlite/live-database.js';
import { describeStats, sameStats } from '../sqlite/stats.js';
import type { InstallOptions, StagedArchive, VectorStore } from '../vector-store/vector-store.js';
import { clearJournal, type RestoreJournal, type StepName, writeJournal } from './journal.js';
import { putFilesBack } from './put-files.js';

export interface RestoreStep {
  name: StepName;
  run(): Promise<void>;
  undo(): Promise<void>;
}

export interface StepContext {
  store: StoreConfig;
  vectors: VectorStore;
  journal: RestoreJournal;
  install: InstallOptions;
  reporter: Reporter;
  /** The archive being restored, verified and staged. */
  restored: () => Promise<StagedArchive>;
  /** The safety archive, verified and staged on first use; null when none was made. */
  saved: () => Promise<StagedArchive | null>;
  /** Points loaded by the vectors step. */
  loaded?: number;
}

/** The steps of a restore, in order, as its journal lists them. */
export function restoreSteps(context: StepContext): RestoreStep[] {
  return context.journal.steps.map((step) => (step.name === 'database' ? databaseStep(context) : vectorsStep(context)));
}

export async function runSteps(steps: RestoreStep[], context: StepContext): Promise<void> {
  for (const step of steps) {
    const record = context.journal.steps.find((s) => s.name === step.name)!;
    if (record.state === 'done') continue;
    record.state = 'started';
    writeJournal(context.store.repoDir, context.journal);
    await step.run();
    record.state = 'done';
    writeJournal(context.store.repoDir, context.journal);
  }
}

/** Undoes every step that began, last first; the journal keeps what is still to undo. */
export async function undoSteps(steps: RestoreStep[], context: StepContext): Promise<void> {
  for (const step of [...steps].reverse()) {
    const record = context.journal.steps.find((s) => s.name === step.name)!;
    if (record.state === 'pending') continue;
    await step.undo();
    record.state = 'pending';
    writeJournal(context.store.repoDir, context.journal);
  }
  context.vectors.settle();
}

async function savedOrFail(context: StepContext, part: string): Promise<StagedArchive> {
  const saved = await context.saved();
  if (!saved) throw new UserError(`no safety backup was made, so the previous ${part} cannot be put back`);
  return saved;
}

function databaseStep(context: StepContext): RestoreStep {
  const { store, journal, reporter } = context;
  return {
    name: 'database',
    run: async () => {
      reporter.info('[INFO] Restoring SQLite database...');
      await putDatabase(await context.restored(), store.dbPath, journal.replaceDatabaseFiles === true);
    },
    undo: async () => {
      if (!journal.previous.database) return removeDatabaseFiles(store.dbPath);
      await putDatabase(await savedOrFail(context, 'database'), store.dbPath, false);
    },
  };
}

/** Makes the live database what the staged archive holds: its raw files, none, or the verified copy. */
async function putDatabase(staged: StagedArchive, dbPath: string, replaceFiles: boolean): Promise<void> {
  const { archive } = staged;
  if (archive.rawDatabase || archive.databaseAbsent) {
    removeDatabaseFiles(dbPath);
    if (archive.rawDatabase) putFilesBack(staged.rawDatabase!, path.dirname(dbPath));
    return;
  }
  // A damaged file, or side files that belong to no database, must not meet the new one.
  if (replaceFiles) removeDatabaseFiles(dbPath);
  const stats = await installDatabase(staged.database, dbPath);
  const expected = archive.databaseStats ?? archive.manifest.stats.sqlite;
  if (!sameStats(stats, expected))
    throw new UserError(`the restored database holds ${describeStats(stats)}, expected ${describeStats(expected)}`);
}

function vectorsStep(context: StepContext): RestoreStep {
  const { vectors, journal, reporter } = context;
  return {
    name: 'vectors',
    run: async () => {
      const staged = await context.restored();
      const summary = vectors.archived(staged.archive);
      reporter.info(`[INFO] Restoring ${summary.restorable ? summary.summary : 'vectors'} into ${vectors.location}`);
      const bar = reporter.progress('Restoring vectors', summary.restorable ? summary.points : 0);
      let succeeded = false;
      try {
        context.loaded = await vectors.install(staged, { ...context.install, onProgress: (n) => bar.update(n) });
        succeeded = true;
      } finally {
        bar.finish(succeeded);
      }
    },
    undo: async () => {
      if (vectors.undoInstall()) return;
      if (!journal.previous.collection) return vectors.remove();
      await vectors.install(await savedOrFail(context, 'vectors'), context.install);
    },
  };
}

/**
 * After a failed step: undoes every step that began and always throws a
 * UserError saying how it ended (rolled back, or how to finish the job).
 */
export async function rollBack(steps: RestoreStep[], context: StepContext, problem: string): Promise<never> {
  const { journal, reporter } = context;
  if (journal.safetyBackup === null && (journal.previous.database || journal.previous.collection)) {
    throw new UserError(
      `Restore failed part-way: ${problem}. No safety backup was made (--no-safety-backup), so the previous state cannot be put back`,
      ExitCode.Failure,
      'Fix the cause and run the same restore again to finish it.',
      'RESTORE_INCOMPLETE',
    );
  }
  reporter.info('[INFO] Putting the previous state back...');
  try {
    await undoSteps(steps, context);
  } catch (err) {
    throw new UserError(
      `Restore failed part-way: ${problem}; putting the previous state back also failed: ${describeError(err)}`,
      ExitCode.Failure,
      journal.safetyBackup ? { kind: 'roll-back-later', safetyBackup: journal.safetyBackup } : undefined,
      'RESTORE_INCOMPLETE',
    );
  }
  clearJournal(context.store.repoDir);
  const from = journal.safetyBackup ? ` from ${journal.safetyBackup}` : '';
  throw new UserError(
    journal.discarded
      ? `Restore failed: ${problem}. The previous database was put back${from}; ` +
          'the unreadable vectors could not be (they were discarded, as --discard-unreadable allowed)'
      : `Restore failed: ${problem}. The previous state was put back${from}; nothing was lost`,
    ExitCode.Failure,
    undefined,
    'RESTORE_ROLLED_BACK',
  );
}
