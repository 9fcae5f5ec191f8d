/**
 * What a restore will do, decided from the verified archive and the live
 * state without touching anything. The dry run and the confirmation prompt
 * print this plan; applying it is restore/apply-plan.ts.
 *
 * Each live part is absent, healthy, damaged (saved raw), unreadable (can
 * only be discarded) or unavailable (left alone); reading them never stops a
 * restore, the plan says what will happen to each.
 */
import path from 'node:path';
import type { StoreConfig } from '../config.js';
import type { LockState } from '../embedded/local-store.js';
import { ExitCode, UserError } from '../errors.js';
import type { RawPart, SqliteStats } from '../manifest.js';
import { formatCreated, printable } from '../output.js';
import type { VerifiedArchive } from '../verify/verify-archive.js';
import type { LiveDatabase } from '../sqlite/live-database.js';
import { describeStats } from '../sqlite/stats.js';
import type { ArchivedVectors, LiveVectors } from '../vector-store/vector-store.js';
import { describeCollections } from '../vector-store/embedded-store.js';
import type { QdrantMode } from '../config.js';

/** What exists now, read before any change. */
export interface LiveState {
  database: LiveDatabase;
  vectors: LiveVectors;
  /** Whether a running memory server holds the embedded store. */
  inUse: LockState;
}

export interface RestoreOptions {
  store: StoreConfig;
  /** Restore even though the memory server seems to be running. */
  force: boolean;
  requireQdrant: boolean;
  safetyBackup: boolean;
  /** Confirmed in advance (--yes): losses must have been accepted by flag. */
  scripted: boolean;
  /** The user accepts that parts which cannot be read are discarded (--discard-unreadable). */
  discardUnreadable: boolean;
  /** A scripted restore of another agent's archive was asked for (--other-agent). */
  otherAgent: boolean;
  /** Where the archive came from, when not from its own path (a copy fetched from a target). */
  archiveSource?: string;
}

export type QdrantStep =
  | {
      action: 'replace' | 'replace-embedded';
      location: string;
      current: LiveVectors;
      /** Points of the store's collection in the archive. */
      restored: number;
      summary: string;
      /** The live vectors cannot be read, so they are discarded, not saved. */
      discard: boolean;
    }
  /** `unavailable`: the archive's vectors could not be restored (the server cannot be reached): the restore is incomplete. */
  | { action: 'skip'; reason: string; unavailable?: true };

export interface RestorePlan {
  archivePath: string;
  /** The archive as the user named it: its path, or the target copy it was fetched from. */
  archiveSource: string;
  /** The store the archive was made for, and the one it goes into (<username>_<agent>). */
  madeFor: string;
  restoredInto: string;
  archive: VerifiedArchive;
  database: { path: string; current: LiveDatabase; restored: SqliteStats | null; raw: RawPart | null };
  qdrant: QdrantStep;
  /** Whether the current state is saved first. */
  safetyBackup: boolean;
  /** Whether the live vectors are part of the safety backup. */
  safetyIncludesQdrant: boolean;
  warnings: string[];
}

export function planRestore(
  archive: VerifiedArchive,
  live: LiveState,
  vectors: { mode: QdrantMode; location: string; archived: ArchivedVectors },
  options: RestoreOptions,
): RestorePlan {
  const { store } = options;
  const warnings: string[] = [];
  const source = archive.manifest.config;
  const madeFor = `${printable(source.username)}_${printable(source.agent_name)}`;
  const restoredInto = `${store.username}_${store.agent}`;
  if (madeFor !== restoredInto && options.scripted && !options.otherAgent) {
    throw new UserError(
      `${archive.path} was made for ${madeFor}, not for ${restoredInto} (the store it would replace); nothing was changed`,
      ExitCode.Failure,
      { kind: 'other-agent' },
      'OTHER_AGENT',
    );
  }
  refuseWhileInUse(live.inUse, options, warnings);
  const qdrant = planVectors(live, vectors, options, warnings);
  const vectorsSaved =
    qdrant.action !== 'skip' && (qdrant.current.state === 'healthy' || qdrant.current.state === 'damaged');
  const somethingToSave = live.database.state !== 'absent' || vectorsSaved;
  if (
    !options.safetyBackup &&
    (live.database.state === 'damaged' || (qdrant.action !== 'skip' && qdrant.current.state === 'damaged'))
  ) {
    warnings.push('No safety backup (--no-safety-backup): the damaged files are deleted without a copy.');
  }
  return {
    archivePath: archive.path,
    archiveSource: options.archiveSource ?? archive.path,
    madeFor,
    restoredInto,
    archive,
    database: {
      path: store.dbPath,
      current: live.database,
      restored:
        archive.rawDatabase || archive.databaseAbsent ? null : (archive.databaseStats ?? archive.manifest.stats.sqlite),
      raw: archive.rawDatabase,
    },
    qdrant,
    safetyBackup: options.safetyBackup && somethingToSave,
    safetyIncludesQdrant: vectorsSaved,
    warnings,
  };
}

/**
 * A running memory server holds the database as well as its vectors: replacing
 * either under it would let it write on into files that are no longer the store.
 */
function refuseWhileInUse(inUse: LockState, options: RestoreOptions, warnings: string[]): void {
  if (inUse.state === 'held' && !options.force) {
    throw new UserError(
      `The memory server seems to be running on this store: ${inUse.by}; nothing was changed`,
      ExitCode.Failure,
      { kind: 'memory-server-running' },
    );
  }
  if (inUse.state === 'unknown') warnings.push(`Could not tell whether the memory server is running: ${inUse.why}.`);
}

function planVectors(
  live: LiveState,
  vectors: { mode: QdrantMode; location: string; archived: ArchivedVectors },
  options: RestoreOptions,
  warnings: string[],
): QdrantStep {
  const { archived } = vectors;
  if (!archived.restorable) return { action: 'skip', reason: archived.reason };
  const current = live.vectors;
  refuseSmallCluster(archived.peersNeeded, current, vectors.location);
  if (current.state === 'unavailable') {
    if (options.requireQdrant)
      throw new UserError(
        `${current.reason}; nothing was changed (--require-qdrant)`,
        ExitCode.Failure,
        undefined,
        'QDRANT_UNAVAILABLE',
      );
    // A script must not end up with archived memories beside stale vectors without having asked for it.
    if (options.scripted) {
      throw new UserError(
        `${current.reason}; the archive's ${archived.points} vectors cannot be restored, so nothing was changed`,
        ExitCode.Failure,
        { kind: 'vectors-unavailable' },
        'QDRANT_UNAVAILABLE',
      );
    }
    warnings.push(
      `${current.reason}; the vectors will not be restored: the store would hold the archived memories beside the current vectors.`,
    );
    return { action: 'skip', reason: `${current.reason}; only the database will be restored`, unavailable: true };
  }
  const discard = current.state === 'unreadable';
  if (discard && options.scripted && !options.discardUnreadable) {
    throw new UserError(
      `The live vectors in ${vectors.location} cannot be read (${current.reason}), so they cannot be saved ` +
        'and the restore would discard them; nothing was changed',
      ExitCode.Failure,
      { kind: 'vectors-unreadable' },
      'UNREADABLE_STORE',
    );
  }
  if (discard) warnings.push(`The live vectors cannot be read (${current.reason}): they will be discarded, not saved.`);
  return {
    action: vectors.mode === 'embedded' ? 'replace-embedded' : 'replace',
    location: vectors.location,
    current,
    restored: archived.points,
    summary: archived.summary,
    discard,
  };
}

/**
 * Qdrant makes fewer replicas than asked when the cluster has fewer peers,
 * without a word: a collection kept on several machines would come back on
 * fewer, so the restore stops before it changes anything.
 */
function refuseSmallCluster(
  needed: { peers: number; why: string } | undefined,
  current: LiveVectors,
  location: string,
): void {
  const peers = current.state === 'absent' || current.state === 'healthy' ? current.peers : undefined;
  if (!needed || !peers || peers.length >= needed.peers) return;
  const have = peers.length === 1 ? 'a single peer' : `${peers.length} peers`;
  throw new UserError(
    `The archived collection needs a Qdrant cluster of ${needed.peers} peers (${needed.why}), but ${location} has ${have}; nothing was changed`,
    ExitCode.Failure,
  );
}

function describeChecks(archive: VerifiedArchive): string {
  const sums = archive.hasChecksums
    ? 'zip CRCs, SHA-256 checksums'
    : 'zip CRCs (no checksums: archive of the original tool)';
  const vectors = archive.vectors
    ? `${archive.vectors.points} vectors`
    : archive.snapshot
      ? `Qdrant snapshot (${archive.snapshot.points} vectors, SHA-256)`
      : 'no vectors';
  return `${sums}, database integrity, ${vectors}`;
}

function describeRestoredDatabase(database: RestorePlan['database']): string {
  if (database.restored) return describeStats(database.restored);
  if (database.raw) return `the raw files saved from a damaged database (${printable(database.raw.reason)})`;
  return 'no database';
}

/** The live database in the plan's words. */
function describeLiveDatabase(current: LiveDatabase): string {
  if (current.state === 'absent') return 'no database';
  if (current.state === 'damaged') return `damaged: ${printable(current.reason)}`;
  const leftovers =
    current.leftovers.length > 0 ? `; leftover ${current.leftovers.join(', ')} beside it (saved raw)` : '';
  return `${describeStats(current.stats)}${leftovers}`;
}

function describeLiveVectors(step: Extract<QdrantStep, { location: string }>): string {
  const { current } = step;
  const embedded = step.action === 'replace-embedded';
  switch (current.state) {
    case 'absent':
      return embedded ? 'no store' : 'no collection';
    case 'healthy':
      return embedded ? describeCollections(current.collections ?? []) : `${current.points} points`;
    case 'damaged':
      return `damaged: ${printable(current.reason)}`;
    case 'unreadable':
      return `unreadable: ${printable(current.reason)}; it cannot be saved and will be discarded`;
    case 'unavailable':
      return `unavailable: ${printable(current.reason)}`;
  }
}

/** The plan as the lines printed before the dry-run notice or the prompt. */
export function describePlan(plan: RestorePlan): string[] {
  const { manifest } = plan.archive;
  const lines = [
    `Restore plan for ${path.basename(plan.archivePath)}`,
    `  Archive: ${plan.archiveSource}`,
    `  Created: ${formatCreated(manifest)}${manifest.description ? `  "${printable(manifest.description)}"` : ''}`,
    plan.madeFor === plan.restoredInto
      ? `  Made for: ${plan.madeFor}`
      : `  Made for: ${plan.madeFor}  [WARNING] another agent: its memories replace those of ${plan.restoredInto}`,
    `  Checks: ${describeChecks(plan.archive)}: all passed`,
    '',
    `  SQLite database: ${plan.database.path}`,
    `    now:      ${describeLiveDatabase(plan.database.current)}`,
    `    restored: ${describeRestoredDatabase(plan.database)}`,
  ];
  const { qdrant } = plan;
  if (qdrant.action === 'skip') {
    lines.push(`  Qdrant collection: not restored: ${qdrant.reason}`);
  } else {
    lines.push(
      qdrant.action === 'replace-embedded'
        ? `  Embedded vector store: ${qdrant.location}`
        : `  Qdrant collection: ${qdrant.location}`,
      `    now:      ${describeLiveVectors(qdrant)}`,
      `    restored: ${qdrant.summary}`,
    );
  }
  const damaged = [
    plan.database.current.state === 'damaged' ? 'the damaged database' : '',
    qdrant.action !== 'skip' && qdrant.current.state === 'damaged' ? 'the damaged vector store' : '',
  ]
    .filter(Boolean)
    .join(' and ');
  lines.push(
    plan.safetyBackup
      ? `  Safety backup: the current state is saved to backups/ before anything changes${damaged ? ` (${damaged} as raw files, byte for byte)` : ''}`
      : '  Safety backup: none (nothing to save, or --no-safety-backup)',
  );
  for (const warning of plan.warnings) lines.push(`  [WARNING] ${warning}`);
  return lines;
}
