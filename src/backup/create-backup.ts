/**
 * Creates one archive of a memory store: a consistent SQLite snapshot, the
 * Qdrant collection streamed page by page, and a manifest with a SHA-256 per
 * entry. The archive is verified after writing and published under its final
 * name only then; until that moment it exists only under a temporary name.
 *
 * When Qdrant cannot be read, the archive holds the database alone and the
 * result says it is incomplete (the CLI exits with a distinct code), unless
 * the caller requires Qdrant, in which case nothing is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE, type StoreConfig } from '../config.js';
import { ExitCode, type Remedy, UserError, describeError, diskFullError } from '../errors.js';
import {
  DATABASE_ENTRY,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  SAFETY_FORMAT_VERSION,
  SNAPSHOT_FORMAT_VERSION,
  type EntryInfo,
  type Manifest,
  type SqliteStats,
} from '../manifest.js';
import { archiveTimestamp, localIsoTime } from '../local-time.js';
import type { Reporter } from '../output.js';
import { type DatabaseSnapshot, snapshotDatabase } from '../sqlite/snapshot.js';
import { databaseFiles, type LiveDatabase } from '../sqlite/live-database.js';
import { describeStats } from '../sqlite/stats.js';
import { toolVersion } from '../version.js';
import {
  type ArchiveKind,
  cleanOnInterrupt,
  ensureBackupsDir,
  publishArchive,
  removeStaleTempFiles,
  tempPath,
} from '../archive/backups-folder.js';
import { copyRaw, discardRawCopy, type RawCopy, rawEntryName, rawPartOf } from '../archive/raw-files.js';
import { checkWrittenArchive } from '../archive/read-back.js';
import { ArchiveWriter } from '../archive/writer.js';
import type {
  LiveVectors,
  VectorsBackup,
  VectorsFormat,
  VectorsRecord,
  VectorStore,
} from '../vector-store/vector-store.js';

export interface BackupOptions {
  store: StoreConfig;
  /** Where the vectors live: a Qdrant server, the embedded store, or nowhere. */
  vectors: VectorStore;
  description: string;
  /** Points per scroll request. */
  batchSize: number;
  /** Fail instead of writing a database-only archive when Qdrant cannot be read. */
  requireQdrant: boolean;
  /** How a server's collection is archived; points when absent. */
  vectorsFormat?: VectorsFormat;
  kind: ArchiveKind;
  now?: () => Date;
  /** For a safety backup: the store as the restore found it; each part is saved as it is, damaged or not. */
  asFound?: AsFound;
}

export interface AsFound {
  database: LiveDatabase;
  /** Damaged vectors are saved raw; unreadable ones are recorded as discarded. */
  vectors?: LiveVectors;
}

/** The database as archived: a consistent snapshot, raw files, both (leftover side files), or nothing. */
interface DatabasePart {
  snapshot: DatabaseSnapshot | null;
  raw: RawCopy | null;
}

const NO_ROWS: SqliteStats = { total_memories: 0, total_versions: 0, total_intentions: 0 };

export interface BackupResult {
  path: string;
  size: number;
  manifest: Manifest;
  /** False when the vectors are missing; `problem` says why. */
  complete: boolean;
  problem?: string;
}

/** Fails, before anything is written, when the store has no database; says what is there instead. */
export function assertDatabaseExists(store: StoreConfig, cwd: string): void {
  if (fs.existsSync(store.dbPath)) return;
  throw new UserError(
    `Database not found: ${store.dbPath}`,
    ExitCode.Failure,
    whereStoresAre(store, cwd),
    'DATABASE_NOT_FOUND',
  );
}

function whereStoresAre(store: StoreConfig, cwd: string): Remedy {
  // run from inside memory_repos/ or backups/: the root is a level or two up
  const parts = path.resolve(cwd).split(path.sep);
  const inside =
    parts.lastIndexOf('memory_repos') >= 0
      ? parts.lastIndexOf('memory_repos')
      : parts[parts.length - 1] === 'backups'
        ? parts.length - 1
        : -1;
  if (inside > 0 && path.resolve(cwd) === path.resolve(store.root)) {
    return {
      kind: 'database-not-found',
      insideFolder: { name: parts[inside] ?? '', root: parts.slice(0, inside).join(path.sep) || path.sep },
    };
  }
  const reposDir = path.join(store.root, 'memory_repos');
  const names = fs.existsSync(reposDir)
    ? fs.readdirSync(reposDir).filter((name) => fs.existsSync(path.join(reposDir, name, DATABASE_FILE)))
    : [];
  return { kind: 'database-not-found', stores: names.length > 0 ? { reposDir, names } : undefined };
}

export async function createBackup(options: BackupOptions, reporter: Reporter): Promise<BackupResult> {
  const { store } = options;
  if (!options.asFound && !fs.existsSync(store.dbPath)) assertDatabaseExists(store, store.root);
  ensureBackupsDir(store.backupsDir);
  removeStaleTempFiles(store.backupsDir);
  cleanOnInterrupt(store.backupsDir);
  const date = (options.now ?? (() => new Date()))();

  const snapshotPath = tempPath(store.backupsDir, '.db');
  let vectors: VectorsBackup | undefined;
  let database: DatabasePart | undefined;
  try {
    reporter.info('[INFO] Backing up SQLite database...');
    database = takeDatabase(options, snapshotPath);
    if (database.snapshot) reporter.info(`[OK] Database snapshot: ${describeStats(database.snapshot.stats)}`);

    vectors = await options.vectors.openBackup({
      scratchDir: store.backupsDir,
      batchSize: options.batchSize,
      format: options.vectorsFormat,
      found: options.asFound?.vectors,
    });
    if (vectors.problem !== null && options.vectors.mode !== 'none' && options.requireQdrant) {
      throw new UserError(
        `${vectors.problem}; no archive written (--require-qdrant)`,
        ExitCode.Failure,
        undefined,
        'QDRANT_UNAVAILABLE',
      );
    }
    let written: { path: string; manifest: Manifest };
    try {
      written = await writeArchive(options, date, database, vectors, reporter);
    } catch (err) {
      // Qdrant failed part-way: the partial archive is gone; keep the database at least.
      const fallback = vectors.withoutVectors(err);
      if (!fallback) throw err;
      if (options.requireQdrant)
        throw new UserError(
          `${fallback.problem}; no archive written`,
          ExitCode.Failure,
          undefined,
          'QDRANT_UNAVAILABLE',
        );
      vectors = fallback;
      written = await writeArchive(options, date, database, vectors, reporter);
    }
    if (vectors.problem !== null && options.vectors.mode !== 'none') {
      reporter.warn(`${vectors.problem}; the archive holds the SQLite database only`);
    }

    // Check what was written before giving it an archive's name.
    try {
      await checkWrittenArchive(written.path, written.manifest);
    } catch (err) {
      fs.rmSync(written.path, { force: true });
      throw new UserError(`The new archive failed verification, so it was not kept: ${describeError(err)}`);
    }
    const size = fs.statSync(written.path).size;
    const finalPath = publishArchive(written.path, store.backupsDir, options.kind, date);
    return {
      path: finalPath,
      size,
      manifest: written.manifest,
      complete: vectors.problem === null && !written.manifest.raw_parts?.embedded,
      problem: vectors.problem ?? undefined,
    };
  } finally {
    fs.rmSync(snapshotPath, { force: true });
    vectors?.discard();
    if (database?.raw) discardRawCopy(database.raw);
  }
}

/** The database part: a snapshot of a healthy database; raw files of a damaged one, or beside leftovers; nothing when absent. */
function takeDatabase(options: BackupOptions, snapshotPath: string): DatabasePart {
  const { store } = options;
  const found = options.asFound?.database;
  if (!found || (found.state === 'healthy' && found.leftovers.length === 0))
    return { snapshot: snapshotDatabase(store.dbPath, snapshotPath), raw: null };
  if (found.state === 'absent') return { snapshot: null, raw: null };
  const files = databaseFiles(store.dbPath);
  if (found.state === 'damaged')
    return {
      snapshot: null,
      raw: copyRaw(store.repoDir, files, tempPath(store.backupsDir, ''), 'damaged', found.reason),
    };
  const raw = copyRaw(
    store.repoDir,
    files,
    tempPath(store.backupsDir, ''),
    'leftover',
    `${found.leftovers.join(' and ')} left beside the database`,
  );
  // The snapshot reads a second copy: SQLite may roll back or replay the side files as it opens them.
  const scratch = copyRaw(store.repoDir, files, tempPath(store.backupsDir, ''), 'leftover', '');
  try {
    return { snapshot: snapshotDatabase(scratch.files[0]!.path, snapshotPath), raw };
  } catch (err) {
    discardRawCopy(raw);
    throw err;
  } finally {
    discardRawCopy(scratch);
  }
}

async function writeArchive(
  options: BackupOptions,
  date: Date,
  database: DatabasePart,
  vectors: VectorsBackup,
  reporter: Reporter,
): Promise<{ path: string; manifest: Manifest }> {
  const { store } = options;
  const path = tempPath(store.backupsDir, '.zip');
  const writer = await ArchiveWriter.create(path, date);
  try {
    const entries: Record<string, EntryInfo> = {};
    if (database.snapshot)
      entries[DATABASE_ENTRY] = await writer.addEntry(DATABASE_ENTRY, fs.createReadStream(database.snapshot.path));
    for (const file of database.raw?.files ?? [])
      entries[rawEntryName(file.rel)] = await writer.addEntry(rawEntryName(file.rel), fs.createReadStream(file.path));
    const record = await vectors.write(writer, reporter);
    const manifest = buildManifest(options, date, database, record, { ...entries, ...record.entries });
    await writer.addEntry(MANIFEST_ENTRY, `${JSON.stringify(manifest, null, 2)}\n`);
    await writer.finish();
    return { path, manifest };
  } catch (err) {
    await writer.abort();
    throw diskFullError(err, store.backupsDir) ?? err;
  }
}

function buildManifest(
  options: BackupOptions,
  date: Date,
  database: DatabasePart,
  vectors: VectorsRecord,
  entries: Record<string, EntryInfo>,
): Manifest {
  const { store } = options;
  const asFound = database.snapshot === null || database.raw !== null || vectors.rawEmbedded !== undefined;
  return {
    timestamp: archiveTimestamp(date),
    created_at: localIsoTime(date),
    description: options.description,
    config: { username: store.username, agent_name: store.agent, collection_name: store.collectionName },
    stats: { sqlite: database.snapshot?.stats ?? NO_ROWS, qdrant: vectors.stats },
    format_version: asFound
      ? SAFETY_FORMAT_VERSION
      : vectors.qdrant.snapshot
        ? SNAPSHOT_FORMAT_VERSION
        : FORMAT_VERSION,
    created_at_utc: date.toISOString(),
    kind: options.kind,
    tool: { name: 'ba-backup', version: toolVersion() },
    entries,
    qdrant_mode: options.vectors.choice,
    embedded: vectors.embedded,
    qdrant: vectors.qdrant,
    ...asFoundFields(database, vectors),
  };
}

/** What a safety archive records of parts saved raw, absent or discarded (format 2). */
function asFoundFields(database: DatabasePart, vectors: VectorsRecord): Partial<Manifest> {
  const fields: Partial<Manifest> = {};
  const rawParts: NonNullable<Manifest['raw_parts']> = {};
  if (database.raw) rawParts.database = rawPartOf(database.raw);
  if (vectors.rawEmbedded) rawParts.embedded = vectors.rawEmbedded;
  if (rawParts.database || rawParts.embedded) fields.raw_parts = rawParts;
  if (!database.snapshot && !database.raw) fields.database_absent = true;
  if (vectors.discarded) fields.discarded = vectors.discarded;
  return fields;
}
