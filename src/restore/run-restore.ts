/**
 * A whole restore: find the archive, verify it completely (the database is
 * extracted beside the live one and checked), read the live state, plan,
 * then stop for a dry run, ask for confirmation, or apply.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { QdrantConfig, QdrantModeChoice, StoreConfig } from '../config.js';
import { countStoredPoints, localDirOf, probeInUse, readMeta, storagePath } from '../embedded/local-store.js';
import { ExitCode, UsageError, UserError } from '../errors.js';
import type { Reporter } from '../output.js';
import { findArchive, refuseSymlinks, removeStaleTempFiles, tempPath } from '../archive/backups-folder.js';
import { verifyArchive } from '../archive/verify.js';
import { countPoints } from '../qdrant/collection.js';
import { QdrantServer } from '../qdrant/connection.js';
import { liveStats } from '../sqlite/snapshot.js';
import { type ApplyOptions, applyRestore, type RestoreOutcome } from './apply.js';
import { describeInterrupted, journalPath, type RestoreJournal } from './journal.js';
import { interruptedRestore, recover, type RecoveryAction } from './recover.js';
import { describePlan, type LiveEmbedded, type LiveState, planRestore, type RestorePlan } from './plan.js';

export interface RestoreRequest {
  /** The archive to restore; absent for --resume / --rollback alone. */
  archive?: string;
  /** --resume or --rollback: what to do with an interrupted restore. */
  recovery?: RecoveryAction;
  /** Set on the restore a recovery runs: it finishes or undoes that journal's restore. */
  inherited?: RestoreJournal;
  store: StoreConfig;
  mode: QdrantModeChoice;
  /** Restore even though the memory server seems to be running. */
  force: boolean;
  qdrant: QdrantConfig | null;
  dryRun: boolean;
  /** Confirmed in advance (--yes). */
  yes: boolean;
  /** Whether a person can answer a prompt. */
  interactive: boolean;
  requireQdrant: boolean;
  safetyBackup: boolean;
  batchSize: number;
  concurrency: number;
  cwd: string;
  /** Asks for the confirmation phrase; true when it was typed exactly. */
  confirm: () => Promise<boolean>;
}

export type RestoreResult =
  | { kind: 'dry-run'; plan: RestorePlan }
  | { kind: 'cancelled'; plan: RestorePlan }
  | { kind: 'restored'; plan: RestorePlan; outcome: RestoreOutcome };

export const CONFIRM_PHRASE = 'DELETE ALL DATA';

export async function runRestore(request: RestoreRequest, reporter: Reporter): Promise<RestoreResult> {
  const { store } = request;
  const archivePath = request.archive === undefined ? null : findArchive(request.archive, store.backupsDir, request.cwd, 'ba-restore');
  if (!request.dryRun && !request.yes && !request.interactive && request.recovery === undefined) {
    throw new UsageError(
      'Refusing to restore without confirmation: standard input is not a terminal',
      `Run it in a terminal to type '${CONFIRM_PHRASE}', or pass --yes to confirm from a script.`,
      'NO_TERMINAL',
    );
  }
  // Before anything is read or written: every path a restore writes to must be
  // the real thing, not a link to somewhere else (see refuseSymlinks).
  const db = store.dbPath;
  refuseSymlinks([store.backupsDir, path.dirname(store.repoDir), store.repoDir, db, `${db}-journal`, `${db}-wal`, `${db}-shm`, journalPath(store.repoDir), localDirOf(store.repoDir)]);
  if (!request.inherited) {
    const journal = interruptedRestore(store);
    if (journal && request.dryRun) {
      reporter.warn(`${describeInterrupted(journal)}; a real restore first rolls it back (or run ba-restore --resume to finish it)`);
    } else if (journal) {
      const action = request.recovery ?? 'rollback';
      const result = await recover(action, journal, request, (archive, inherited) =>
        runRestore({ ...request, archive, inherited, recovery: undefined, yes: true, dryRun: false, safetyBackup: false, mode: inherited.mode }, reporter),
      reporter);
      if (request.archive === undefined) return result;
    } else if (request.recovery) {
      throw new UserError(`There is no interrupted restore to ${request.recovery} in ${store.repoDir}`, ExitCode.Failure, 'ba-restore --list shows the archives you can restore.');
    }
  }
  if (archivePath === null) throw new UsageError('No backup given', 'Name an archive, e.g. ba-restore backup_20251024_191534.zip; ba-restore --list shows them.');

  // The verified copy goes next to the live database, so that installing it
  // never crosses file systems; a dry run must not create that folder.
  const stagingDir = fs.existsSync(store.repoDir) || !request.dryRun ? store.repoDir : path.dirname(archivePath);
  fs.mkdirSync(stagingDir, { recursive: true });
  removeStaleTempFiles(stagingDir);
  const extracted = tempPath(stagingDir, '.db');
  const embeddedStaging = request.mode.mode === 'none' ? undefined : tempPath(stagingDir, '');
  // Qdrant's current count is asked for while the archive is verified: a long
  // verification then does not delay learning that the server is down, and
  // the client's first request (which loads Node's fetch) comes while memory is low.
  const earlyQdrant = request.mode.mode === 'server' && request.qdrant ? readLiveQdrant(store, request.qdrant) : null;
  try {
    reporter.info(`[INFO] Verifying ${archivePath}...`);
    const archive = await verifyArchive(archivePath, { extractDatabaseTo: extracted, extractEmbeddedTo: embeddedStaging }, reporter);
    // A fresh machine has no qdrant_data/ yet: an embedded archive then says where the vectors go.
    const mode: QdrantModeChoice =
      archive.embedded && request.mode.defaulted ? { mode: 'embedded', reason: 'the archive holds an embedded store and nothing else was chosen' } : request.mode;
    reporter.info(`[INFO] Vector store: ${mode.mode} (${mode.reason})`);
    const live = await readLiveState(store, mode, request.qdrant, earlyQdrant);
    const plan = planRestore(archive, live, {
      store,
      mode,
      force: request.force,
      qdrantUrl: request.qdrant?.url ?? null,
      requireQdrant: request.requireQdrant,
      safetyBackup: request.safetyBackup,
    });
    reporter.info('');
    for (const line of describePlan(plan)) reporter.info(line);
    reporter.info('');
    if (request.dryRun) return { kind: 'dry-run', plan };
    if (!request.yes && !(await request.confirm())) return { kind: 'cancelled', plan };
    const applyOptions: ApplyOptions = {
      inheritedSafetyBackup: request.inherited ? request.inherited.safetyBackup : undefined,
      store,
      mode, qdrant: request.qdrant, batchSize: request.batchSize, concurrency: request.concurrency };
    const outcome = await applyRestore(plan, { database: extracted, embedded: embeddedStaging ?? null }, applyOptions, reporter);
    return { kind: 'restored', plan, outcome };
  } finally {
    fs.rmSync(extracted, { force: true });
    if (embeddedStaging) fs.rmSync(embeddedStaging, { force: true, recursive: true });
  }
}

async function readLiveState(
  store: StoreConfig,
  mode: QdrantModeChoice,
  qdrant: QdrantConfig | null,
  early: Promise<LiveState['qdrant']> | null,
): Promise<LiveState> {
  const database = liveStats(store.dbPath);
  const embedded = mode.mode === 'embedded' ? readLiveEmbedded(store) : null;
  if (!qdrant || mode.mode !== 'server') return { database, embedded, qdrant: null };
  return { database, embedded, qdrant: await (early ?? readLiveQdrant(store, qdrant)) };
}

/** The collection's point count now, or why it cannot be read; never rejects. */
async function readLiveQdrant(store: StoreConfig, qdrant: QdrantConfig): Promise<LiveState['qdrant']> {
  try {
    return { reachable: true, points: await countPoints(new QdrantServer(qdrant), store.collectionName) };
  } catch (err) {
    return { reachable: false, problem: (err as Error).message };
  }
}

function readLiveEmbedded(store: StoreConfig): LiveEmbedded {
  const localDir = localDirOf(store.repoDir);
  if (!fs.existsSync(localDir)) return { localDir, collections: null, inUse: { state: 'free' } };
  const { meta } = readMeta(localDir);
  const collections = Object.keys(meta.collections)
    .sort()
    .map((name) => {
      const file = storagePath(localDir, name);
      return { name, points: fs.existsSync(file) ? countStoredPoints(file) : 0 };
    });
  return { localDir, collections, inUse: probeInUse(localDir) };
}
