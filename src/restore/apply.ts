/**
 * Carries out a restore plan, keeping a way back at every step.
 *
 * Order: (1) a safety backup of the current state, written and verified
 * before anything changes; (2) the database, installed in one SQLite
 * transaction; (3) the collection, recreated and loaded, then counted.
 * If (2) or (3) fails, the previous state is put back from the safety backup
 * with the same machinery; if even that fails, the error names the one
 * command that finishes the job.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { QdrantConfig, QdrantModeChoice, StoreConfig } from '../config.js';
import { countStoredPoints, storagePath } from '../embedded/local-store.js';
import { type EmbeddedSwap, swapInEmbedded } from '../embedded/swap.js';
import { clearJournal, type RestoreJournal, writeJournal } from './journal.js';
import { ExitCode, UserError, describeError } from '../errors.js';
import type { SqliteStats } from '../manifest.js';
import type { Reporter } from '../output.js';
import { silentReporter } from '../output.js';
import { createBackup } from '../backup/create-backup.js';
import { tempPath } from '../archive/backups-folder.js';
import { verifyArchive } from '../archive/verify.js';
import { deleteCollection } from '../qdrant/collection.js';
import { QdrantServer } from '../qdrant/connection.js';
import { importCollection } from '../qdrant/import.js';
import { installDatabase } from '../sqlite/install.js';
import { describeStats, sameStats } from '../sqlite/stats.js';
import type { RestorePlan } from './plan.js';

export interface ApplyOptions {
  store: StoreConfig;
  /** A safety backup made by an earlier, interrupted run that this one finishes or undoes. */
  inheritedSafetyBackup?: string | null;
  mode: QdrantModeChoice;
  qdrant: QdrantConfig | null;
  batchSize: number;
  concurrency: number;
}

export interface RestoreOutcome {
  safetyBackupPath: string | null;
  database: SqliteStats;
  /** Points loaded, or null when the collection was not restored. */
  vectors: number | null;
}

export async function applyRestore(
  plan: RestorePlan,
  staged: { database: string; embedded: string | null },
  options: ApplyOptions,
  reporter: Reporter,
): Promise<RestoreOutcome> {
  const verifiedDbPath = staged.database;
  const repoDir = options.store.repoDir;
  const journal: RestoreJournal = {
    pid: process.pid,
    started: new Date().toISOString(),
    archive: plan.archivePath,
    safetyBackup: options.inheritedSafetyBackup ?? null,
    phase: 'safety-backup',
    mode: options.mode,
    previous: { database: plan.database.current !== null, collection: plan.safetyIncludesQdrant },
  };
  if (options.inheritedSafetyBackup === undefined) writeJournal(repoDir, journal);
  const safetyBackupPath = options.inheritedSafetyBackup === undefined ? await makeSafetyBackup(plan, options, reporter) : options.inheritedSafetyBackup;
  journal.safetyBackup = safetyBackupPath;
  let vectors: number | null = null;
  let database: SqliteStats;
  let swap: EmbeddedSwap | null = null;
  try {
    writeJournal(repoDir, { ...journal, phase: 'database' });
    reporter.info('[INFO] Restoring SQLite database...');
    database = await installDatabase(verifiedDbPath, plan.database.path);
    if (!sameStats(database, plan.database.restored)) {
      throw new UserError(`the restored database holds ${describeStats(database)}, expected ${describeStats(plan.database.restored)}`);
    }
    if (plan.qdrant.action !== 'skip') writeJournal(repoDir, { ...journal, phase: 'vectors' });
    if (plan.qdrant.action === 'replace-embedded') {
      reporter.info(`[INFO] Restoring the embedded vector store into ${plan.qdrant.localDir}`);
      swap = swapInEmbedded(staged.embedded!, plan.qdrant.localDir);
      vectors = 0;
      for (const collection of plan.qdrant.restored) {
        const points = countStoredPoints(storagePath(plan.qdrant.localDir, collection.name));
        if (points !== collection.points) throw new UserError(`collection ${collection.name} holds ${points} points after the restore, the archive has ${collection.points}`);
        if (collection.name === options.store.collectionName) vectors = points;
      }
    }
    if (plan.qdrant.action === 'replace') {
      reporter.info(`[INFO] Restoring ${plan.qdrant.restored} vectors into ${plan.qdrant.collection}`);
      const server = new QdrantServer(options.qdrant!);
      const bar = reporter.progress('Restoring vectors', plan.qdrant.restored);
      try {
        vectors = await importCollection(server, plan.qdrant.collection, plan.archivePath, plan.archive.vectors!, {
          batchSize: options.batchSize,
          concurrency: options.concurrency,
          onProgress: (n) => bar.update(n),
        });
      } finally {
        bar.finish();
      }
    }
  } catch (err) {
    const problem = describeError(err);
    reporter.warn(`Restore failed: ${problem}`);
    // the embedded store is put back from the folder kept aside, exactly as it was
    swap?.undo();
    await rollBack(plan, safetyBackupPath, options, reporter, problem);
    throw err; // not reached: rollBack always throws
  }
  swap?.commit();
  clearJournal(repoDir);
  return { safetyBackupPath, database, vectors };
}

async function makeSafetyBackup(plan: RestorePlan, options: ApplyOptions, reporter: Reporter): Promise<string | null> {
  if (!plan.safetyBackup) return null;
  reporter.info('[INFO] Saving the current state to a safety backup...');
  try {
    const result = await createBackup(
      {
        store: options.store,
        mode: plan.safetyIncludesQdrant ? options.mode : { mode: 'none', reason: 'no vectors to save' },
        qdrant: plan.safetyIncludesQdrant ? options.qdrant : null,
        description: `Safety backup before restoring ${path.basename(plan.archivePath)}`,
        batchSize: options.batchSize,
        requireQdrant: plan.safetyIncludesQdrant,
        kind: 'safety',
      },
      silentReporter,
    );
    reporter.info(`[OK] Safety backup: ${result.path}`);
    return result.path;
  } catch (err) {
    throw new UserError(`Could not make the safety backup, so nothing was changed: ${describeError(err)}`);
  }
}

/** Puts the state from before the restore back; always throws a UserError saying how it ended. */
async function rollBack(plan: RestorePlan, safetyBackupPath: string | null, options: ApplyOptions, reporter: Reporter, problem: string): Promise<never> {
  if (safetyBackupPath === null && (plan.database.current !== null || plan.safetyIncludesQdrant)) {
    throw new UserError(
      `Restore failed part-way: ${problem}. No safety backup was made (--no-safety-backup), so the previous state cannot be put back`,
      ExitCode.Failure,
      `Fix the cause and run the same restore again to finish it.`,
      'RESTORE_INCOMPLETE',
    );
  }
  reporter.info('[INFO] Putting the previous state back...');
  try {
    if (safetyBackupPath !== null) {
      await restoreSafetyBackup(safetyBackupPath, plan, options);
    }
    if (plan.database.current === null) removeDatabase(plan.database.path);
    if (plan.qdrant.action === 'replace' && plan.qdrant.current === null) {
      await deleteCollection(new QdrantServer(options.qdrant!), plan.qdrant.collection);
    }
  } catch (err) {
    throw new UserError(
      `Restore failed part-way: ${problem}; putting the previous state back also failed: ${describeError(err)}`,
      ExitCode.Failure,
      safetyBackupPath ? `Nothing is lost: the previous state is in ${safetyBackupPath}. Once the cause is fixed, run: ba-restore --rollback` : undefined,
      'RESTORE_INCOMPLETE',
    );
  }
  clearJournal(options.store.repoDir);
  throw new UserError(
    `Restore failed: ${problem}. The previous state was put back${safetyBackupPath ? ` from ${safetyBackupPath}` : ''}; nothing was lost`,
    ExitCode.Failure,
    undefined,
    'RESTORE_ROLLED_BACK',
  );
}

async function restoreSafetyBackup(archivePath: string, plan: RestorePlan, options: ApplyOptions): Promise<void> {
  const extracted = tempPath(path.dirname(plan.database.path), '.db');
  try {
    const verified = await verifyArchive(archivePath, { extractDatabaseTo: extracted }, silentReporter);
    if (plan.database.current !== null) await installDatabase(extracted, plan.database.path);
    if (plan.qdrant.action === 'replace' && plan.qdrant.current !== null && verified.vectors) {
      await importCollection(new QdrantServer(options.qdrant!), plan.qdrant.collection, archivePath, verified.vectors, {
        batchSize: options.batchSize,
        concurrency: options.concurrency,
      });
    }
  } finally {
    fs.rmSync(extracted, { force: true });
  }
}

function removeDatabase(dbPath: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(dbPath + suffix, { force: true });
}
