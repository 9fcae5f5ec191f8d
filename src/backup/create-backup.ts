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
import { Readable } from 'node:stream';
import type { QdrantConfig, QdrantModeChoice, StoreConfig } from '../config.js';
import { localDirOf, META_ENTRY, storageEntryName } from '../embedded/local-store.js';
import { discardSnapshot, type LocalSnapshot, snapshotLocalStore } from '../embedded/snapshot.js';
import { LOCK_FILE } from '../embedded/local-store.js';
import { ExitCode, UserError, describeError, diskFullError } from '../errors.js';
import {
  DATABASE_ENTRY,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  NEWEST_FORMAT_VERSION,
  type SqliteStats,
  type EntryInfo,
  type Manifest,
  type QdrantStats,
  VECTORS_ENTRY,
  archiveTimestamp,
  localIsoTime,
} from '../manifest.js';
import type { Reporter } from '../output.js';
import { type ArchivedCollection, countPoints, readCollection, unnamedVectorParams } from '../qdrant/collection.js';
import { QdrantServer } from '../qdrant/connection.js';
import { exportVectorsFile } from '../qdrant/vectors-file.js';
import { type DatabaseSnapshot, snapshotDatabase } from '../sqlite/snapshot.js';
import { databaseFiles, type LiveDatabase } from '../sqlite/live-database.js';
import { copyRaw, discardRawCopy, filesUnder, type RawCopy, rawEntryName, rawPartOf } from './raw-copy.js';
import { describeStats } from '../sqlite/stats.js';
import { toolVersion } from '../version.js';
import { type ArchiveKind, ensureBackupsDir, publishArchive, removeStaleTempFiles, tempPath } from '../archive/backups-folder.js';
import { checkWrittenArchive } from '../archive/read-back.js';
import { ArchiveWriter } from '../archive/writer.js';

export interface BackupOptions {
  store: StoreConfig;
  /** Where the vectors live: a Qdrant server, the embedded store, or nowhere. */
  mode: QdrantModeChoice;
  /** The server, for mode 'server'. */
  qdrant: QdrantConfig | null;
  description: string;
  /** Points per scroll request. */
  batchSize: number;
  /** Fail instead of writing a database-only archive when Qdrant cannot be read. */
  requireQdrant: boolean;
  kind: ArchiveKind;
  now?: () => Date;
  /** For a safety backup: the store as the restore found it; each part is saved as it is, damaged or not. */
  asFound?: AsFound;
}

export interface AsFound {
  database: LiveDatabase;
  /** Why the embedded store is damaged: it is saved as raw files. */
  embeddedDamaged?: string;
  /** A collection that cannot be read, so cannot be saved (--discard-unreadable). */
  discarded?: { collection: string; reason: string };
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

/** What the archive will hold of Qdrant, decided before writing starts. */
type QdrantSource =
  | { kind: 'export'; server: QdrantServer; serverVersion: string | null; collection: ArchivedCollection }
  | { kind: 'embedded'; snapshot: LocalSnapshot; points: number }
  | { kind: 'embedded-raw'; raw: RawCopy }
  | { kind: 'none'; stats: QdrantStats; problem: string; server?: QdrantServer; serverVersion?: string | null };

export const DATABASE_NOT_FOUND_HINT =
  'Check BA_USERNAME and BA_AGENT_NAME (or --username/--agent) match the memory server, and --root points at the folder holding memory_repos/.';

/** Fails, before anything is written, when the store has no database. */
export function assertDatabaseExists(store: StoreConfig): void {
  if (!fs.existsSync(store.dbPath)) {
    throw new UserError(`Database not found: ${store.dbPath}`, ExitCode.Failure, DATABASE_NOT_FOUND_HINT, 'DATABASE_NOT_FOUND');
  }
}

export async function createBackup(options: BackupOptions, reporter: Reporter): Promise<BackupResult> {
  const { store } = options;
  if (!options.asFound) assertDatabaseExists(store);
  ensureBackupsDir(store.backupsDir);
  removeStaleTempFiles(store.backupsDir);
  const date = (options.now ?? (() => new Date()))();

  const snapshotPath = tempPath(store.backupsDir, '.db');
  let source: QdrantSource | undefined;
  let database: DatabasePart | undefined;
  try {
    reporter.info('[INFO] Backing up SQLite database...');
    database = takeDatabase(options, snapshotPath);
    if (database.snapshot) reporter.info(`[OK] Database snapshot: ${describeStats(database.snapshot.stats)}`);

    source = options.mode.mode === 'embedded' ? openEmbeddedSource(options) : await openQdrantSource(options);
    if (source.kind === 'embedded') {
      const { collections, missing } = source.snapshot;
      reporter.info(`[OK] Embedded vector store: ${collections.map((c) => `${c.name} (${c.points} points)`).join(', ') || 'no collections'}`);
      if (missing.length > 0) reporter.warn(`Embedded collections without a storage file (never written to): ${missing.join(', ')}`);
    }
    if (source.kind === 'none' && options.mode.mode !== 'none' && options.requireQdrant) {
      throw new UserError(`${source.problem}; no archive written (--require-qdrant)`, ExitCode.Failure, undefined, 'QDRANT_UNAVAILABLE');
    }
    if (source.kind === 'export') reporter.info(`[INFO] Exporting collection ${store.collectionName} from ${source.server.url}`);
    let written: { path: string; manifest: Manifest };
    try {
      written = await writeArchive(options, date, database, source, reporter);
    } catch (err) {
      if (source.kind !== 'export' || err instanceof UserError) throw err;
      // Qdrant failed part-way: the partial archive is gone; keep the database at least.
      const problem = `Qdrant export failed: ${describeError(err)}`;
      if (options.requireQdrant) throw new UserError(`${problem}; no archive written`, ExitCode.Failure, undefined, 'QDRANT_UNAVAILABLE');
      source = { kind: 'none', stats: { total_vectors: 0, error: problem }, problem, server: source.server, serverVersion: source.serverVersion };
      written = await writeArchive(options, date, database, source, reporter);
    }
    if (source.kind === 'none' && options.mode.mode !== 'none') {
      reporter.warn(`${source.problem}; the archive holds the SQLite database only`);
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
      complete: source.kind === 'export' || source.kind === 'embedded',
      problem: source.kind === 'none' ? source.problem : undefined,
    };
  } finally {
    fs.rmSync(snapshotPath, { force: true });
    if (source?.kind === 'embedded') discardSnapshot(source.snapshot);
    if (source?.kind === 'embedded-raw') discardRawCopy(source.raw);
    if (database?.raw) discardRawCopy(database.raw);
  }
}

/** The database part: a snapshot of a healthy database; raw files of a damaged one, or beside leftovers; nothing when absent. */
function takeDatabase(options: BackupOptions, snapshotPath: string): DatabasePart {
  const { store } = options;
  const found = options.asFound?.database;
  if (!found || (found.state === 'healthy' && found.leftovers.length === 0)) return { snapshot: snapshotDatabase(store.dbPath, snapshotPath), raw: null };
  if (found.state === 'absent') return { snapshot: null, raw: null };
  const files = databaseFiles(store.dbPath);
  if (found.state === 'damaged') return { snapshot: null, raw: copyRaw(store.repoDir, files, tempPath(store.backupsDir, ''), 'damaged', found.reason) };
  const raw = copyRaw(store.repoDir, files, tempPath(store.backupsDir, ''), 'leftover', `${found.leftovers.join(' and ')} left beside the database`);
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

function openEmbeddedSource(options: BackupOptions): QdrantSource {
  const { store } = options;
  const localDir = localDirOf(store.repoDir);
  const damaged = options.asFound?.embeddedDamaged;
  if (damaged !== undefined) {
    const files = filesUnder(localDir, (rel) => rel === LOCK_FILE);
    return { kind: 'embedded-raw', raw: copyRaw(store.repoDir, files, tempPath(store.backupsDir, ''), 'damaged', damaged) };
  }
  if (!fs.existsSync(localDir)) {
    return { kind: 'none', stats: { total_vectors: 0, error: `no embedded store at ${localDir}` }, problem: `No embedded vector store at ${localDir}` };
  }
  const snapshot = snapshotLocalStore(localDir, store.backupsDir);
  // the store's own collection counts; a collection never written to has no storage file: 0 points
  const main = snapshot.collections.find((c) => c.name === store.collectionName);
  return { kind: 'embedded', snapshot, points: main ? main.points : 0 };
}

async function openQdrantSource(options: BackupOptions): Promise<QdrantSource> {
  if (!options.qdrant || options.mode.mode === 'none') return { kind: 'none', stats: { total_vectors: 0, skipped: true }, problem: 'Qdrant was skipped' };
  const discarded = options.asFound?.discarded;
  if (discarded) return { kind: 'none', stats: { total_vectors: 0, error: `not saved: ${discarded.reason}` }, problem: `Collection ${discarded.collection} not saved: ${discarded.reason}` };
  const server = new QdrantServer(options.qdrant);
  const name = options.store.collectionName;
  try {
    const serverVersion = await server.serverVersion();
    const collection = await readCollection(server, name);
    if (!collection) {
      return {
        kind: 'none',
        stats: { total_vectors: 0, collection_not_found: true },
        problem: `Collection ${name} not found on Qdrant at ${server.url}`,
        server,
        serverVersion,
      };
    }
    return { kind: 'export', server, serverVersion, collection };
  } catch (err) {
    const problem = describeError(err);
    return { kind: 'none', stats: { total_vectors: 0, error: problem }, problem, server };
  }
}

async function writeArchive(
  options: BackupOptions,
  date: Date,
  database: DatabasePart,
  source: QdrantSource,
  reporter: Reporter,
): Promise<{ path: string; manifest: Manifest }> {
  const { store } = options;
  const path = tempPath(store.backupsDir, '.zip');
  const writer = await ArchiveWriter.create(path, date);
  try {
    const entries: Record<string, EntryInfo> = {};
    if (database.snapshot) entries[DATABASE_ENTRY] = await writer.addEntry(DATABASE_ENTRY, fs.createReadStream(database.snapshot.path));
    for (const raw of [database.raw, source.kind === 'embedded-raw' ? source.raw : null]) {
      for (const file of raw?.files ?? []) entries[rawEntryName(file.rel)] = await writer.addEntry(rawEntryName(file.rel), fs.createReadStream(file.path));
    }
    let qdrantStats: QdrantStats;
    if (source.kind === 'embedded-raw') {
      qdrantStats = { total_vectors: 0, error: `the embedded store was damaged (${source.raw.reason}); saved as raw files` };
    } else if (source.kind === 'embedded') {
      entries[META_ENTRY] = await writer.addEntry(META_ENTRY, source.snapshot.metaBytes);
      for (const copy of source.snapshot.collections) {
        entries[storageEntryName(copy.name)] = await writer.addEntry(storageEntryName(copy.name), fs.createReadStream(copy.path));
      }
      qdrantStats = { total_vectors: source.points };
    } else if (source.kind === 'export') {
      const progress = { points: 0 };
      const total = await countPoints(source.server, store.collectionName);
      const bar = reporter.progress('Exporting vectors', total);
      const chunks = exportVectorsFile(source.server, store.collectionName, source.collection, options.batchSize, progress, (n) => bar.update(n));
      try {
        // one page buffered ahead (a page is ~1 MB at 768 dims); the next is already being fetched
        entries[VECTORS_ENTRY] = await writer.addEntry(VECTORS_ENTRY, Readable.from(chunks, { highWaterMark: 1 }));
      } finally {
        bar.finish();
      }
      qdrantStats = { total_vectors: progress.points };
    } else {
      qdrantStats = source.stats;
    }
    const manifest = buildManifest(options, date, database, source, qdrantStats, entries);
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
  source: QdrantSource,
  qdrantStats: QdrantStats,
  entries: Record<string, EntryInfo>,
): Manifest {
  const { store } = options;
  const unnamed = source.kind === 'export' ? unnamedVectorParams(source.collection.config) : null;
  const embedded =
    source.kind === 'embedded'
      ? { collections: Object.fromEntries(source.snapshot.collections.map((c) => [c.name, { points: c.points }])), meta: source.snapshot.meta }
      : undefined;
  return {
    timestamp: archiveTimestamp(date),
    created_at: localIsoTime(date),
    description: options.description,
    config: { username: store.username, agent_name: store.agent, collection_name: store.collectionName },
    stats: { sqlite: database.snapshot?.stats ?? NO_ROWS, qdrant: qdrantStats },
    format_version: database.snapshot === null || database.raw || source.kind === 'embedded-raw' ? NEWEST_FORMAT_VERSION : FORMAT_VERSION,
    created_at_utc: date.toISOString(),
    kind: options.kind,
    tool: { name: 'ba-backup', version: toolVersion() },
    entries,
    qdrant_mode: options.mode,
    embedded,
    qdrant: {
      url: source.kind === 'export' || source.kind === 'none' ? source.server?.url : undefined,
      server_version: source.kind === 'export' || source.kind === 'none' ? (source.serverVersion ?? null) : null,
      vector_size: unnamed ? unnamed.size : null,
      distance: unnamed ? unnamed.distance : null,
    },
    ...asFoundFields(options, database, source),
  };
}

/** What a safety archive records of parts saved raw, absent or discarded (format 2). */
function asFoundFields(options: BackupOptions, database: DatabasePart, source: QdrantSource): Partial<Manifest> {
  const fields: Partial<Manifest> = {};
  const rawParts: NonNullable<Manifest['raw_parts']> = {};
  if (database.raw) rawParts.database = rawPartOf(database.raw);
  if (source.kind === 'embedded-raw') rawParts.embedded = rawPartOf(source.raw);
  if (rawParts.database || rawParts.embedded) fields.raw_parts = rawParts;
  if (!database.snapshot && !database.raw) fields.database_absent = true;
  if (options.asFound?.discarded) fields.discarded = options.asFound.discarded;
  return fields;
}
