/**
 * Carries out a restore plan: the safety backup first (written and verified
 * before anything changes), then the steps (database, vectors), journaled;
 * if a step fails, the steps that began are undone from the safety backup.
 */
import type { StoreConfig } from '../config.js';
import { ExitCode, UserError, describeError } from '../errors.js';
import { type LiveDatabase, waitUntilWritable } from '../sqlite/live-database.js';
import type { SqliteStats } from '../manifest.js';
import type { Reporter } from '../output.js';
import type { InstallOptions, StagedArchive, VectorStore } from '../vector-store/vector-store.js';
import { clearJournal, type RestoreJournal, writeJournal } from './journal.js';
import type { RestorePlan } from './plan.js';
import { makeSafetyBackup } from './safety-backup.js';
import { type StepContext, restoreSteps, rollBack, runSteps } from './steps.js';
import { StagingArea } from './stage.js';

export interface ApplyOptions {
  store: StoreConfig;
  vectors: VectorStore;
  install: InstallOptions;
}

export interface RestoreOutcome {
  safetyBackupPath: string | null;
  database: SqliteStats;
  /** Points loaded, or null when the vectors were not restored. */
  vectors: number | null;
}

/** How long a restore waits for another process to let go of the live database. */
const IN_USE_WAIT_MS = 5_000;

/** Stops before the safety backup when another process holds the live database (SQLite could not replace it). */
async function refuseDatabaseInUse(live: LiveDatabase, reporter: Reporter): Promise<void> {
  // Only a healthy database without side files can be asked: opening one with a hot journal would roll it back.
  if (live.state !== 'healthy' || live.leftovers.length > 0) return;
  const announce = (): void =>
    reporter.info(
      `[INFO] The database is in use by another process; waiting up to ${IN_USE_WAIT_MS / 1000} s for it to let go...`,
    );
  if (await waitUntilWritable(live.path, IN_USE_WAIT_MS, announce)) return;
  throw new UserError(
    `The database ${live.path} is in use by another process (the memory server, or the app that starts it), so it cannot be replaced; nothing was changed`,
    ExitCode.Failure,
    'Close the memory server (or the desktop app that starts it), then run the restore again.',
    'DATABASE_IN_USE',
  );
}

const NO_ROWS: SqliteStats = { total_memories: 0, total_versions: 0, total_intentions: 0 };

export async function applyRestore(
  plan: RestorePlan,
  staged: StagedArchive,
  options: ApplyOptions,
  reporter: Reporter,
): Promise<RestoreOutcome> {
  const { store } = options;
  const live = plan.database.current;
  await refuseDatabaseInUse(live, reporter);
  const journal: RestoreJournal = {
    pid: process.pid,
    started: new Date().toISOString(),
    archive: plan.archivePath,
    safetyBackup: null,
    mode: options.vectors.choice,
    previous: { database: live.state !== 'absent', collection: plan.safetyIncludesQdrant },
    replaceDatabaseFiles: live.state !== 'healthy' || live.leftovers.length > 0,
    discarded: plan.qdrant.action !== 'skip' && plan.qdrant.discard,
    steps:
      plan.qdrant.action === 'skip'
        ? [{ name: 'database', state: 'pending' }]
        : [
            { name: 'database', state: 'pending' },
            { name: 'vectors', state: 'pending' },
          ],
    phase: 'safety-backup',
  };
  writeJournal(store.repoDir, journal);
  journal.safetyBackup = await makeSafetyBackup(
    plan,
    { store, vectors: options.vectors, batchSize: options.install.batchSize },
    reporter,
  );
  writeJournal(store.repoDir, journal);

  const staging = new StagingArea(store.repoDir, reporter);
  const context: StepContext = {
    store,
    vectors: options.vectors,
    journal,
    install: options.install,
    reporter,
    restored: () => Promise.resolve(staged),
    saved: () => (journal.safetyBackup === null ? Promise.resolve(null) : staging.stage(journal.safetyBackup)),
  };
  const steps = restoreSteps(context);
  try {
    await runSteps(steps, context);
  } catch (err) {
    reporter.warn(`Restore failed: ${describeError(err)}`);
    await rollBack(steps, context, describeError(err));
  } finally {
    await staging.discardAll();
  }
  options.vectors.settle();
  clearJournal(store.repoDir);
  return {
    safetyBackupPath: journal.safetyBackup,
    database: plan.database.restored ?? NO_ROWS,
    vectors: context.loaded ?? null,
  };
}
