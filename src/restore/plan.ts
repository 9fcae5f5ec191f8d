/**
 * What a restore will do, decided from the verified archive and the live
 * state without touching anything. The dry run and the confirmation prompt
 * print this plan; applying it is restore/apply.ts.
 */
import path from 'node:path';
import type { QdrantModeChoice, StoreConfig } from '../config.js';
import type { LockState } from '../embedded/local-store.js';
import { ExitCode, UserError } from '../errors.js';
import { describeQdrantStats, type SqliteStats } from '../manifest.js';
import { printable } from '../output.js';
import type { VerifiedArchive } from '../archive/verify.js';
import { describeStats } from '../sqlite/stats.js';

/** What exists now, read before any change. */
export interface LiveState {
  database: SqliteStats | null;
  /** The embedded store, when the store is in embedded mode. */
  embedded: LiveEmbedded | null;
  /** null when Qdrant is not used (skipped). */
  qdrant: { reachable: true; points: number | null } | { reachable: false; problem: string } | null;
}

export interface LiveEmbedded {
  localDir: string;
  /** null when there is no qdrant_data/ folder. */
  collections: Array<{ name: string; points: number }> | null;
  inUse: LockState;
}

export interface RestoreOptions {
  store: StoreConfig;
  mode: QdrantModeChoice;
  /** Restore even though the memory server seems to be running. */
  force: boolean;
  qdrantUrl: string | null;
  requireQdrant: boolean;
  safetyBackup: boolean;
}

export type QdrantStep =
  | { action: 'replace'; collection: string; url: string; current: number | null; restored: number }
  | {
      action: 'replace-embedded';
      localDir: string;
      current: Array<{ name: string; points: number }> | null;
      restored: Array<{ name: string; points: number }>;
    }
  | { action: 'skip'; reason: string };

const NO_CONVERSION =
  'Converting between a Qdrant server and the embedded store is not supported: embedded points are Python pickles that only the memory server itself can read.';

export interface RestorePlan {
  archivePath: string;
  archive: VerifiedArchive;
  database: { path: string; current: SqliteStats | null; restored: SqliteStats };
  qdrant: QdrantStep;
  /** Whether the current state is saved first. */
  safetyBackup: boolean;
  /** Whether the live Qdrant collection must be part of the safety backup. */
  safetyIncludesQdrant: boolean;
  warnings: string[];
}

export function planRestore(archive: VerifiedArchive, live: LiveState, options: RestoreOptions): RestorePlan {
  const { store } = options;
  const warnings: string[] = [];
  const restored = archive.databaseStats ?? archive.manifest.stats.sqlite;
  const source = archive.manifest.config;
  if (source.username !== store.username || source.agent_name !== store.agent) {
    warnings.push(
      `The archive was made for ${printable(source.username)}_${printable(source.agent_name)}; it will be restored into ${store.username}_${store.agent}.`,
    );
  }

  let qdrant: QdrantStep;
  if (archive.embedded && options.mode.mode === 'server') {
    throw new UserError(
      `${archive.path} holds an embedded (local-mode) vector store, but this store uses a Qdrant server (${options.mode.reason}). ${NO_CONVERSION}`,
      ExitCode.Failure,
      'Restore with --qdrant embedded to get the local store back, or --qdrant none to restore the database only.',
    );
  }
  if (archive.vectors && options.mode.mode === 'embedded') {
    throw new UserError(
      `${archive.path} holds vectors exported from a Qdrant server, but this store uses the embedded store (${options.mode.reason}). ${NO_CONVERSION}`,
      ExitCode.Failure,
      'Restore with --qdrant server (and QDRANT_URL) into a server, or --qdrant none to restore the database only.',
    );
  }
  if (archive.embedded && options.mode.mode === 'embedded') {
    const embedded = live.embedded!;
    if (embedded.inUse.state === 'held' && !options.force) {
      throw new UserError(
        `The memory server seems to be running on this store: ${embedded.inUse.by}; nothing was changed`,
        ExitCode.Failure,
        'Stop the memory server, then run the restore again (--force overrides this check).',
      );
    }
    if (embedded.inUse.state === 'unknown') warnings.push(`Could not tell whether the memory server is running: ${embedded.inUse.why}.`);
    qdrant = { action: 'replace-embedded', localDir: embedded.localDir, current: embedded.collections, restored: archive.embedded.collections };
  } else if (archive.embedded) {
    qdrant = { action: 'skip', reason: 'the vector store was skipped (--qdrant none); it is left as it is' };
  } else if (!archive.vectors) {
    qdrant = { action: 'skip', reason: `the archive holds no vectors (${printable(describeQdrantStats(archive.manifest.stats.qdrant))}); the collection is left as it is` };
  } else if (live.qdrant === null || options.qdrantUrl === null) {
    qdrant = { action: 'skip', reason: 'Qdrant was skipped; the collection is left as it is' };
  } else if (!live.qdrant.reachable) {
    if (options.requireQdrant) throw new UserError(`${live.qdrant.problem}; nothing was changed (--require-qdrant)`, ExitCode.Failure, undefined, 'QDRANT_UNAVAILABLE');
    qdrant = { action: 'skip', reason: `${live.qdrant.problem}; only the database will be restored` };
    warnings.push(`${live.qdrant.problem}; the vectors will not be restored.`);
  } else {
    qdrant = { action: 'replace', collection: store.collectionName, url: options.qdrantUrl, current: live.qdrant.points, restored: archive.vectors.points };
  }

  const collectionExists = (qdrant.action === 'replace' || qdrant.action === 'replace-embedded') && qdrant.current !== null;
  const somethingToSave = live.database !== null || collectionExists;
  if (options.safetyBackup && live.database === null && collectionExists) {
    throw new UserError(
      `No database at ${store.dbPath}, so no safety backup of collection ${store.collectionName} can be made`,
      ExitCode.Failure,
      'Back the collection up another way, then run the restore with --no-safety-backup.',
    );
  }
  return {
    archivePath: archive.path,
    archive,
    database: { path: store.dbPath, current: live.database, restored },
    qdrant,
    safetyBackup: options.safetyBackup && somethingToSave,
    safetyIncludesQdrant: collectionExists,
    warnings,
  };
}

/** The plan as the lines printed before the dry-run notice or the prompt. */
export function describePlan(plan: RestorePlan): string[] {
  const { manifest } = plan.archive;
  const lines = [
    `Restore plan for ${path.basename(plan.archivePath)}`,
    `  Archive: ${plan.archivePath}`,
    `  Created: ${printable(manifest.created_at)}${manifest.description ? `  "${printable(manifest.description)}"` : ''}`,
    `  Checks: ${plan.archive.hasChecksums ? 'zip CRCs, SHA-256 checksums' : 'zip CRCs (no checksums: archive of the original tool)'}, database integrity, ${plan.archive.vectors ? `${plan.archive.vectors.points} vectors` : 'no vectors'}: all passed`,
    '',
    `  SQLite database: ${plan.database.path}`,
    `    now:      ${plan.database.current ? describeStats(plan.database.current) : 'no database'}`,
    `    restored: ${describeStats(plan.database.restored)}`,
  ];
  if (plan.qdrant.action === 'replace-embedded') {
    const describe = (list: Array<{ name: string; points: number }>) => list.map((c) => `${c.name} ${c.points} points`).join(', ') || 'no collections';
    lines.push(
      `  Embedded vector store: ${plan.qdrant.localDir}`,
      `    now:      ${plan.qdrant.current === null ? 'no store' : describe(plan.qdrant.current)}`,
      `    restored: ${describe(plan.qdrant.restored)}`,
    );
  } else if (plan.qdrant.action === 'replace') {
    const vectors = plan.archive.vectors!;
    const shape = vectors.description.vectorSize !== null ? ` (${vectors.description.vectorSize} dims, ${vectors.description.distance})` : '';
    lines.push(
      `  Qdrant collection: ${plan.qdrant.collection} at ${plan.qdrant.url}`,
      `    now:      ${plan.qdrant.current === null ? 'no collection' : `${plan.qdrant.current} points`}`,
      `    restored: ${plan.qdrant.restored} points${shape}`,
    );
  } else {
    lines.push(`  Qdrant collection: not restored: ${plan.qdrant.reason}`);
  }
  lines.push(
    plan.safetyBackup
      ? '  Safety backup: the current state is saved to backups/ before anything changes'
      : '  Safety backup: none (nothing to save, or --no-safety-backup)',
  );
  for (const warning of plan.warnings) lines.push(`  Warning: ${warning}`);
  return lines;
}
