/**
 * Full validation of an archive, without changing anything: the check that
 * every restore runs before it touches live data, and that every backup runs
 * on its own archive before publishing it.
 *
 * Checks, in order: the zip's central directory and entry names; the
 * manifest's JSON, schema and format version; every entry read completely
 * with its CRC-32, and its SHA-256 and size against the manifest; the
 * database (when extracted) with PRAGMA integrity_check, the memories table
 * and the manifest's counts; every point of the vector file against the
 * collection's config, and their number against the manifest.
 */
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { openReadOnly } from '../sqlite/open.js';
import path from 'node:path';
import { ArchiveError, describeError, diskFullError, isProgrammingError, permissionError } from '../errors.js';
import {
  DATABASE_ENTRY,
  KNOWN_ENTRIES,
  NEWEST_FORMAT_VERSION,
  RAW_PREFIX,
  type RawPart,
  MANIFEST_ENTRY,
  type Manifest,
  VECTORS_ENTRY,
  SNAPSHOT_ENTRY,
  formatVersionOf,
  hasVectors,
  parseManifest,
} from '../manifest.js';
import type { Reporter } from '../output.js';
import { printable } from '../output.js';
import { hasMemoriesTable, integrityCheck, readStats, sameStats, describeStats } from '../sqlite/stats.js';
import type { SqliteStats } from '../manifest.js';
import { type VerifiedVectors, verifyVectorsEntry } from '../qdrant/verify-vectors.js';
import { aliasProblem } from '../qdrant/collection-check.js';
import { type EmbeddedArchive, isEmbeddedEntry, verifyEmbeddedEntries } from '../embedded/verify-embedded.js';
import { ArchiveReader, type EntryDigest, UnsafeEntryError, ZipFormatError } from '../archive/reader.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface VerifyOptions {
  /** Where to write the verified database; it is deleted again if verification fails. */
  extractDatabaseTo?: string;
  /** Where to write the verified embedded vector store (qdrant_data/ layout); removed if verification fails. */
  extractEmbeddedTo?: string;
  /** A folder for the raw files of a damaged database, in their store-folder layout; removed if verification fails. */
  extractRawDatabaseTo?: string;
}

let embeddedScratch = 0;

export type { VerifiedVectors };

/** An archive's Qdrant snapshot as verification found it. */
export interface VerifiedSnapshot {
  points: number;
  size: number;
  /** SHA-256 of the entry as verified: the upload must read the same bytes. */
  sha256: string;
  aliases: string[];
}

export interface VerifiedArchive {
  /** Present when the archive holds the embedded (local-mode) vector store. */
  embedded: EmbeddedArchive | null;
  path: string;
  manifest: Manifest;
  formatVersion: number;
  /** False for archives of the original tool, which carry no checksums. */
  hasChecksums: boolean;
  /** Counts read from the archived database itself. */
  databaseStats: SqliteStats | null;
  /** Present when the archive holds a vector file. */
  vectors: VerifiedVectors | null;
  /** Present when the archive holds a Qdrant collection snapshot (format 3). */
  snapshot: VerifiedSnapshot | null;
  /** The database saved as raw files (a safety archive of a damaged or leftover-laden database). */
  rawDatabase: RawPart | null;
  /** The embedded store saved as raw files (a safety archive of a damaged store). */
  rawEmbedded: RawPart | null;
  /** The archive holds no database because the store had none (a safety archive). */
  databaseAbsent: boolean;
}

export async function verifyArchive(
  archivePath: string,
  options: VerifyOptions,
  reporter: Reporter,
): Promise<VerifiedArchive> {
  // Problems quote the archive's own names and values (and JSON.parse quotes
  // its text), and an archive's file name comes from whoever sent it: escape
  // both so that the error stays one inert line.
  const fail = (problem: string, hint?: string): never => {
    throw new ArchiveError(printable(archivePath), printable(problem), hint);
  };
  let reader: ArchiveReader;
  try {
    reader = await ArchiveReader.open(archivePath);
  } catch (err) {
    // a folder or file this user may not read says nothing about the archive
    const denied = permissionError(err);
    if (denied) throw denied;
    if (err instanceof UnsafeEntryError) return fail(err.message);
    if (isProgrammingError(err)) throw err;
    return fail(`not a readable zip file (${describeError(err)})`);
  }
  try {
    return await verifyOpened(reader, archivePath, options, reporter, fail);
  } catch (err) {
    if (options.extractDatabaseTo) fs.rmSync(options.extractDatabaseTo, { force: true });
    if (options.extractEmbeddedTo) fs.rmSync(options.extractEmbeddedTo, { force: true, recursive: true });
    if (options.extractRawDatabaseTo) fs.rmSync(options.extractRawDatabaseTo, { force: true, recursive: true });
    if (err instanceof ArchiveError || isProgrammingError(err)) throw err;
    const denied = permissionError(err);
    if (denied) throw denied;
    const full = diskFullError(
      err,
      options.extractDatabaseTo ? path.dirname(options.extractDatabaseTo) : 'the staging folder',
    );
    if (full) throw full;
    if (err instanceof ZipFormatError) return fail(err.message);
    return fail(describeError(err));
  } finally {
    reader.close();
  }
}

async function verifyOpened(
  reader: ArchiveReader,
  archivePath: string,
  options: VerifyOptions,
  reporter: Reporter,
  fail: (problem: string, hint?: string) => never,
): Promise<VerifiedArchive> {
  if (!reader.has(MANIFEST_ENTRY)) fail(`it has no ${MANIFEST_ENTRY}`, 'Is this a ba-backup archive?');
  for (const name of reader.entries.keys()) {
    if (!(KNOWN_ENTRIES as readonly string[]).includes(name) && !isEmbeddedEntry(name) && !name.startsWith(RAW_PREFIX))
      reporter.warn(`Archive ${archivePath}: ignoring unknown entry ${printable(name)}`);
  }

  const { data } = await reader.readSmallEntry(MANIFEST_ENTRY, MAX_MANIFEST_BYTES);
  let manifest: Manifest;
  try {
    manifest = parseManifest(data);
  } catch (err) {
    return fail(describeError(err));
  }
  const formatVersion = formatVersionOf(manifest);
  if (formatVersion > NEWEST_FORMAT_VERSION) {
    fail(
      `it uses archive format ${formatVersion}; this tool reads up to format ${NEWEST_FORMAT_VERSION}`,
      'Upgrade ba-backup to restore it.',
    );
  }
  const rawDatabase = manifest.raw_parts?.database ?? null;
  const databaseAbsent = manifest.database_absent === true;
  if (!reader.has(DATABASE_ENTRY) && !rawDatabase && !databaseAbsent)
    fail(`it has no ${DATABASE_ENTRY}`, 'Is this a ba-backup archive?');
  if (databaseAbsent && (reader.has(DATABASE_ENTRY) || rawDatabase))
    fail('the manifest says the store had no database, but the archive holds one');

  const declared = manifest.entries;
  const hasChecksums = declared !== undefined;
  if (declared) {
    for (const [name, info] of Object.entries(declared)) {
      const entry = reader.entries.get(name);
      if (!entry) fail(`the manifest lists ${printable(name)}, which the zip does not hold`);
      if (entry.uncompressedSize !== info.size)
        fail(`entry ${name} is ${entry.uncompressedSize} bytes, the manifest says ${info.size}`);
    }
    for (const name of reader.entries.keys()) {
      if (name !== MANIFEST_ENTRY && (KNOWN_ENTRIES as readonly string[]).includes(name) && !declared[name]) {
        fail(`entry ${name} is not listed in the manifest`);
      }
    }
  } else {
    reporter.info('[INFO] Archive has no checksums (made by the original Python tool); relying on the zip CRCs.');
  }
  const checkDigest = (name: string, digest: EntryDigest): void => {
    const expected = declared?.[name];
    if (expected && expected.sha256 !== digest.sha256)
      fail(`entry ${name} does not match its SHA-256 in the manifest (the archive is damaged)`);
  };

  await verifyRawEntries(reader, manifest, options, checkDigest, fail);
  const { databaseStats, vectors } = await verifyDatabaseBesideVectors(reader, manifest, formatVersion, options, {
    checkDigest,
    reporter,
    fail,
    warn: (warning) => reporter.warn(`Archive ${archivePath}: ${warning}`),
  });

  // the embedded vector store
  const embedded = await verifyEmbeddedEntries(
    reader,
    manifest,
    options.extractEmbeddedTo,
    () => `${options.extractDatabaseTo ?? archivePath}.${embeddedScratch++}.verify`,
    checkDigest,
    fail,
  );

  const expectVectors = hasVectors(manifest.stats.qdrant);
  const snapshot = await verifySnapshotEntry(reader, manifest, checkDigest, fail);
  if (snapshot && vectors) fail(`it holds both ${VECTORS_ENTRY} and ${SNAPSHOT_ENTRY}; an archive has one of them`);
  if (!vectors && !snapshot && !embedded && expectVectors && (manifest.stats.qdrant.total_vectors ?? 0) > 0) {
    fail(`the manifest records ${manifest.stats.qdrant.total_vectors} vectors but the zip has no ${VECTORS_ENTRY}`);
  }

  return {
    path: archivePath,
    manifest,
    formatVersion,
    hasChecksums,
    databaseStats,
    vectors,
    snapshot,
    embedded,
    rawDatabase,
    rawEmbedded: manifest.raw_parts?.embedded ?? null,
    databaseAbsent,
  };
}

/**
 * The database and the vector file, checked side by side: they use different
 * cores (SQLite's integrity check and inflating there, parsing points here).
 * A database problem is the one reported, as when they were checked one after
 * the other; it stops the vector file's check, which has ended when this throws.
 */
async function verifyDatabaseBesideVectors(
  reader: ArchiveReader,
  manifest: Manifest,
  formatVersion: number,
  options: VerifyOptions,
  report: {
    checkDigest: (name: string, digest: EntryDigest) => void;
    reporter: Reporter;
    fail: (problem: string, hint?: string) => never;
    warn: (warning: string) => void;
  },
): Promise<{ databaseStats: SqliteStats | null; vectors: VerifiedVectors | null }> {
  const { checkDigest, reporter, fail, warn } = report;
  const stopVectors = new AbortController();
  const vectorsCheck = reader.has(VECTORS_ENTRY)
    ? verifyVectorsEntry(reader, manifest, formatVersion, checkDigest, fail, stopVectors.signal, warn)
    : Promise.resolve(null);
  vectorsCheck.catch(() => undefined); // awaited below in every case
  let databaseStats: SqliteStats | null;
  try {
    databaseStats = reader.has(DATABASE_ENTRY)
      ? await verifyDatabaseEntry(reader, manifest, formatVersion, options, checkDigest, reporter, fail)
      : null;
  } catch (err) {
    stopVectors.abort();
    await vectorsCheck.catch(() => undefined);
    throw err;
  }
  return { databaseStats, vectors: await vectorsCheck };
}

/**
 * The Qdrant snapshot: listed in the manifest with Qdrant's checksum, which
 * must be the entry's SHA-256, and read through whole. Its content is
 * Qdrant's own format: Qdrant checks it when it recovers it.
 */
async function verifySnapshotEntry(
  reader: ArchiveReader,
  manifest: Manifest,
  checkDigest: (name: string, digest: EntryDigest) => void,
  fail: (problem: string) => never,
): Promise<VerifiedSnapshot | null> {
  const record = manifest.qdrant?.snapshot;
  if (!record) {
    if (reader.has(SNAPSHOT_ENTRY)) fail(`it holds ${SNAPSHOT_ENTRY}, which its manifest does not describe`);
    return null;
  }
  const declared = manifest.entries?.[SNAPSHOT_ENTRY];
  if (!reader.has(SNAPSHOT_ENTRY))
    fail(`the manifest describes a Qdrant snapshot, but the zip has no ${SNAPSHOT_ENTRY}`);
  if (!declared) fail(`entry ${SNAPSHOT_ENTRY} is not listed in the manifest`);
  if (record.checksum !== null && record.checksum !== declared.sha256)
    fail(`${SNAPSHOT_ENTRY}: the checksum Qdrant reported does not match the SHA-256 recorded for the entry`);
  for (const alias of record.aliases) {
    const problem = aliasProblem(alias);
    if (problem) fail(`manifest.json field qdrant.snapshot.aliases: ${problem}`);
  }
  const digest = await reader.readThrough(SNAPSHOT_ENTRY);
  checkDigest(SNAPSHOT_ENTRY, digest);
  return {
    points: manifest.stats.qdrant.total_vectors ?? 0,
    size: declared.size,
    sha256: declared.sha256,
    aliases: record.aliases,
  };
}

/** The database entry: streamed to the extraction path and checked there, or only read through. */
async function verifyDatabaseEntry(
  reader: ArchiveReader,
  manifest: Manifest,
  formatVersion: number,
  options: VerifyOptions,
  checkDigest: (name: string, digest: EntryDigest) => void,
  reporter: Reporter,
  fail: (problem: string, hint?: string) => never,
): Promise<SqliteStats | null> {
  if (!options.extractDatabaseTo) {
    checkDigest(DATABASE_ENTRY, await reader.readThrough(DATABASE_ENTRY));
    return null;
  }
  checkDigest(DATABASE_ENTRY, await reader.extractEntry(DATABASE_ENTRY, options.extractDatabaseTo));
  return checkDatabase(options.extractDatabaseTo, manifest, formatVersion, reporter, fail);
}

/**
 * Raw files (a part saved byte for byte): each listed in the manifest's
 * raw_parts and entries, read whole against its SHA-256, and extracted in
 * its store-folder layout when asked (database files to extractRawDatabaseTo,
 * embedded ones into the embedded staging folder).
 */
async function verifyRawEntries(
  reader: ArchiveReader,
  manifest: Manifest,
  options: VerifyOptions,
  checkDigest: (name: string, digest: EntryDigest) => void,
  fail: (problem: string) => never,
): Promise<void> {
  const parts = manifest.raw_parts ?? {};
  const targets = new Map<string, string | undefined>();
  for (const name of parts.database?.files ?? []) {
    if (!/^raw\/memoryv012\.db(-wal|-journal)?$/.test(name))
      fail(`raw database file ${name} is not the database or one of its journals`);
    targets.set(
      name,
      options.extractRawDatabaseTo && path.join(options.extractRawDatabaseTo, name.slice(RAW_PREFIX.length)),
    );
  }
  for (const name of parts.embedded?.files ?? []) {
    if (!name.startsWith(`${RAW_PREFIX}qdrant_data/`))
      fail(`raw file ${name} of the embedded store is not inside qdrant_data/`);
    targets.set(
      name,
      options.extractEmbeddedTo &&
        path.join(options.extractEmbeddedTo, ...name.slice(`${RAW_PREFIX}qdrant_data/`.length).split('/')),
    );
  }
  for (const name of reader.entries.keys()) {
    if (name.startsWith(RAW_PREFIX) && !targets.has(name))
      fail(`entry ${name} is not listed in the manifest's raw_parts`);
  }
  for (const [name, target] of targets) {
    if (!reader.has(name)) fail(`the manifest lists raw file ${name}, which the zip does not hold`);
    if (!manifest.entries?.[name]) fail(`entry ${name} is not listed in the manifest`);
    if (target) fs.mkdirSync(path.dirname(target), { recursive: true });
    checkDigest(name, target ? await reader.extractEntry(name, target) : await reader.readThrough(name));
  }
}

function checkDatabase(
  dbPath: string,
  manifest: Manifest,
  formatVersion: number,
  reporter: Reporter,
  fail: (problem: string, hint?: string) => never,
): SqliteStats {
  let db: Database.Database;
  try {
    db = openReadOnly(dbPath);
  } catch (err) {
    return fail(`${DATABASE_ENTRY} cannot be opened (${describeError(err)})`);
  }
  try {
    let integrity: string;
    try {
      integrity = integrityCheck(db);
    } catch (err) {
      return fail(`${DATABASE_ENTRY} is not a usable SQLite database (${describeError(err)})`);
    }
    if (integrity !== 'ok') fail(`${DATABASE_ENTRY} fails PRAGMA integrity_check: ${integrity}`);
    if (!hasMemoriesTable(db)) fail(`${DATABASE_ENTRY} has no memories table`);
    const stats = readStats(db);
    if (!sameStats(stats, manifest.stats.sqlite)) {
      const problem = `${DATABASE_ENTRY} holds ${describeStats(stats)}, the manifest says ${describeStats(manifest.stats.sqlite)}`;
      // The original copied the live file while the server ran, after
      // counting: its counts can differ from its own copy.
      if (formatVersion === 0) reporter.warn(`Archive: ${problem}`);
      else fail(problem);
    }
    return stats;
  } finally {
    db.close();
  }
}
