/**
 * A whole restore: find the archive, settle an interrupted restore, verify
 * the archive completely (staged beside the live store), read the live
 * state, plan, then stop for a dry run, ask for confirmation, or apply.
 */
import { CONFIRM_PHRASE } from './confirm-phrase.js';
import fs from 'node:fs';
import path from 'node:path';
import type { QdrantConfig, QdrantModeChoice, StoreConfig } from '../config.js';
import { localDirOf } from '../embedded/local-store.js';
import { ExitCode, UsageError, UserError } from '../errors.js';
import type { Reporter } from '../output.js';
import {
  cleanOnInterrupt,
  findArchive,
  refuseSymlinks,
  removeStaleTempFiles,
  tempPath,
} from '../archive/backups-folder.js';
import { readLiveDatabase, SIDE_SUFFIXES } from '../sqlite/live-database.js';
import { vectorStoreFor } from '../vector-store/select.js';
import type { LiveVectors, VectorStore } from '../vector-store/vector-store.js';
import { applyRestore, type RestoreOutcome } from './apply-plan.js';
import { describeInterrupted, journalPath } from './journal.js';
import { describeRecovery, interruptedRestore, recover, type RecoveryAction, type RecoveryOutcome } from './recover.js';
import { describePlan, type LiveState, planRestore, type RestorePlan } from './plan.js';
import { discardStaged, stageArchive } from './stage.js';

export interface RestoreRequest {
  /** The archive to restore; absent for --resume / --rollback alone. */
  archive?: string;
  /** Where the archive came from, when that is not the file itself (a copy fetched from a target). */
  archiveSource?: string;
  /** --resume or --rollback: what to do with an interrupted restore. */
  recovery?: RecoveryAction;
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
  /** Live parts that cannot be read may be discarded (--discard-unreadable). */
  discardUnreadable: boolean;
  /** Another agent's archive may replace this store without asking (--other-agent). */
  otherAgent: boolean;
  batchSize: number;
  concurrency: number;
  cwd: string;
  /** Asks for the confirmation phrase after the plan was shown; true when it was typed exactly. */
  confirm: (plan: RestorePlan) => Promise<boolean>;
}

export type RestoreResult =
  | { kind: 'dry-run'; plan: RestorePlan }
  | { kind: 'cancelled'; plan: RestorePlan }
  | { kind: 'restored'; plan: RestorePlan; outcome: RestoreOutcome }
  | { kind: 'recovered'; recovery: RecoveryOutcome }
  /** --rollback or --resume with --dry-run: what it would do. */
  | { kind: 'recovery-plan'; lines: string[] };

export async function runRestore(request: RestoreRequest, reporter: Reporter): Promise<RestoreResult> {
  const { store } = request;
  const archivePath =
    request.archive === undefined ? null : findArchive(request.archive, store.backupsDir, request.cwd);
  if (!request.dryRun && !request.yes && !request.interactive && request.recovery === undefined) {
    throw new UsageError(
      'Refusing to restore without confirmation: standard input is not a terminal',
      { kind: 'confirmation-needs-terminal', phrase: CONFIRM_PHRASE },
      'NO_TERMINAL',
    );
  }
  // Before anything is read or written: every path a restore writes to must be
  // the real thing, not a link to somewhere else (see refuseSymlinks).
  const db = store.dbPath;
  refuseSymlinks([
    store.backupsDir,
    path.dirname(store.repoDir),
    store.repoDir,
    db,
    ...SIDE_SUFFIXES.map((suffix) => db + suffix),
    journalPath(store.repoDir),
    localDirOf(store.repoDir),
  ]);
  if (fs.existsSync(store.repoDir)) removeStaleTempFiles(store.repoDir);
  const settled = await settleInterrupted(request, reporter);
  if (settled && (archivePath === null || settled.kind === 'recovery-plan')) return settled;
  if (archivePath === null) throw new UsageError('No backup given', { kind: 'no-archive-named' });

  // The verified copy goes next to the live database, so that installing it
  // never crosses file systems; a dry run must not create that folder.
  const stagingDir = fs.existsSync(store.repoDir) || !request.dryRun ? store.repoDir : path.dirname(archivePath);
  fs.mkdirSync(stagingDir, { recursive: true });
  cleanOnInterrupt(stagingDir);
  let vectors = vectorStoreFor(request.mode, store, request.qdrant);
  // asked while the archive is verified: a long verification then does not delay learning that a server is down
  const early = vectors.readLive();
  reporter.info(`[INFO] Verifying ${request.archiveSource ?? archivePath}...`);
  const staged = await stageArchive(archivePath, stagingDir, reporter);
  try {
    const { archive } = staged;
    // A fresh machine has no qdrant_data/ yet: an embedded archive then says where the vectors go.
    const archiveChoseStore =
      (archive.embedded !== null || archive.rawEmbedded !== null) && request.mode.defaulted === true;
    if (archiveChoseStore) {
      vectors = vectorStoreFor(
        { mode: 'embedded', reason: 'the archive holds an embedded store and nothing else was chosen' },
        store,
        request.qdrant,
      );
    }
    reporter.info(`[INFO] Vector store: ${vectors.mode} (${vectors.choice.reason})`);
    const live = await readLiveState(store, vectors, stagingDir, archiveChoseStore ? vectors.readLive() : early);
    const plan = planRestore(
      archive,
      live,
      { mode: vectors.mode, location: vectors.location, archived: vectors.archived(archive) },
      {
        store,
        force: request.force,
        requireQdrant: request.requireQdrant,
        safetyBackup: request.safetyBackup,
        scripted: request.yes,
        discardUnreadable: request.discardUnreadable,
        otherAgent: request.otherAgent,
        archiveSource: request.archiveSource,
      },
    );
    reporter.info('');
    for (const line of describePlan(plan)) reporter.info(line);
    reporter.info('');
    if (request.dryRun) return { kind: 'dry-run', plan };
    if (!request.yes && !(await request.confirm(plan))) return { kind: 'cancelled', plan };
    const install = { batchSize: request.batchSize, concurrency: request.concurrency };
    const outcome = await applyRestore(plan, staged, { store, vectors, install }, reporter);
    return { kind: 'restored', plan, outcome };
  } finally {
    discardStaged(staged);
  }
}

/**
 * An interrupted restore is brought to one whole state first (rolled back
 * unless --resume says otherwise); a dry run only says what would happen.
 * Returns what was done or would be done, or null when nothing was interrupted.
 */
async function settleInterrupted(request: RestoreRequest, reporter: Reporter): Promise<RestoreResult | null> {
  const { store } = request;
  const journal = interruptedRestore(store);
  if (!journal) {
    if (!request.recovery) return null;
    throw new UserError(
      `There is no interrupted restore to ${request.recovery} in ${store.repoDir}`,
      ExitCode.Failure,
      { kind: 'nothing-to-recover' },
    );
  }
  if (request.dryRun) {
    if (request.recovery)
      return { kind: 'recovery-plan', lines: await describeRecovery(request.recovery, journal, reporter) };
    reporter.warn(
      `${describeInterrupted(journal)}; a real restore first rolls it back (or run ba-restore --resume to finish it)`,
    );
    return null;
  }
  const context = { store, qdrant: request.qdrant, batchSize: request.batchSize, concurrency: request.concurrency };
  return { kind: 'recovered', recovery: await recover(request.recovery ?? 'rollback', journal, context, reporter) };
}

async function readLiveState(
  store: StoreConfig,
  vectors: VectorStore,
  scratchDir: string,
  liveVectors: Promise<LiveVectors>,
): Promise<LiveState> {
  return {
    database: readLiveDatabase(store.dbPath, tempPath(scratchDir, '.db')),
    vectors: await liveVectors,
    inUse: vectors.inUse(),
  };
}
