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
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import { ArchiveError, describeError } from '../errors.js';
import {
  DATABASE_ENTRY,
  FORMAT_VERSION,
  KNOWN_ENTRIES,
  MANIFEST_ENTRY,
  type Manifest,
  VECTORS_ENTRY,
  formatVersionOf,
  hasVectors,
  manifestSchema,
} from '../manifest.js';
import type { Reporter } from '../output.js';
import { printable } from '../output.js';
import { hasMemoriesTable, integrityCheck, readStats, sameStats, describeStats } from '../sqlite/stats.js';
import type { SqliteStats } from '../manifest.js';
import { readVectorsFile, type VectorsDescription } from '../qdrant/vectors-file.js';
import { ArchiveReader, type EntryDigest, ZipFormatError } from './reader.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface VerifyOptions {
  /** Where to write the verified database; it is deleted again if verification fails. */
  extractDatabaseTo?: string;
}

export interface VerifiedArchive {
  path: string;
  manifest: Manifest;
  formatVersion: number;
  /** False for archives of the original tool, which carry no checksums. */
  hasChecksums: boolean;
  /** Counts read from the archived database itself. */
  databaseStats: SqliteStats | null;
  /** Present when the archive holds a vector file. */
  vectors: { description: VectorsDescription; points: number } | null;
}

export async function verifyArchive(archivePath: string, options: VerifyOptions, reporter: Reporter): Promise<VerifiedArchive> {
  const fail = (problem: string, hint?: string): never => {
    throw new ArchiveError(archivePath, problem, hint);
  };
  let reader: ArchiveReader;
  try {
    reader = await ArchiveReader.open(archivePath);
  } catch (err) {
    return fail(`not a readable zip file (${describeError(err)})`);
  }
  try {
    return await verifyOpened(reader, archivePath, options, reporter, fail);
  } catch (err) {
    if (options.extractDatabaseTo) fs.rmSync(options.extractDatabaseTo, { force: true });
    if (err instanceof ArchiveError) throw err;
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
  for (const name of [MANIFEST_ENTRY, DATABASE_ENTRY]) {
    if (!reader.has(name)) fail(`it has no ${name}`, 'Is this a ba-backup archive?');
  }
  for (const name of reader.entries.keys()) {
    if (!(KNOWN_ENTRIES as readonly string[]).includes(name)) reporter.warn(`Archive ${archivePath}: ignoring unknown entry ${printable(name)}`);
  }

  const { data, digest: manifestDigest } = await reader.readSmallEntry(MANIFEST_ENTRY, MAX_MANIFEST_BYTES);
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(data.toString('utf8'));
  } catch (err) {
    return fail(`manifest.json is not valid JSON (${describeError(err)})`);
  }
  const parsed = manifestSchema.safeParse(manifestJson);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`manifest.json field ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  const manifest = parsed.data;
  const formatVersion = formatVersionOf(manifest);
  if (formatVersion > FORMAT_VERSION) {
    fail(`it uses archive format ${formatVersion}; this tool reads up to format ${FORMAT_VERSION}`, 'Upgrade ba-backup to restore it.');
  }
  void manifestDigest;

  const declared = manifest.entries;
  const hasChecksums = declared !== undefined;
  if (declared) {
    for (const [name, info] of Object.entries(declared)) {
      const entry = reader.entries.get(name);
      if (!entry) fail(`the manifest lists ${printable(name)}, which the zip does not hold`);
      if (entry!.uncompressedSize !== info.size) fail(`entry ${name} is ${entry!.uncompressedSize} bytes, the manifest says ${info.size}`);
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
    if (expected && expected.sha256 !== digest.sha256) fail(`entry ${name} does not match its SHA-256 in the manifest (the archive is damaged)`);
  };

  // the database: streamed to the extraction path, or only checked
  const db = await reader.openEntry(DATABASE_ENTRY);
  let databaseStats: SqliteStats | null = null;
  if (options.extractDatabaseTo) {
    await pipeline(db.stream, fs.createWriteStream(options.extractDatabaseTo, { flags: 'wx', mode: 0o600 }));
    checkDigest(DATABASE_ENTRY, db.digest());
    databaseStats = checkDatabase(options.extractDatabaseTo, manifest, formatVersion, reporter, fail);
  } else {
    for await (const _chunk of db.stream) {
      // reading is the check
    }
    checkDigest(DATABASE_ENTRY, db.digest());
  }

  // the vectors
  let vectors: VerifiedArchive['vectors'] = null;
  const expectVectors = hasVectors(manifest.stats.qdrant);
  if (reader.has(VECTORS_ENTRY)) {
    const entry = await reader.openEntry(VECTORS_ENTRY);
    const result: { value?: { description: VectorsDescription; points: number } } = {};
    try {
      for await (const _batch of readVectorsFile(entry.stream, 1000, result)) {
        // reading is the check
      }
    } catch (err) {
      if (err instanceof ZipFormatError) throw err;
      fail(`${VECTORS_ENTRY}: ${describeError(err)}`);
    }
    checkDigest(VECTORS_ENTRY, entry.digest());
    vectors = result.value!;
    const declaredCount = manifest.stats.qdrant.total_vectors;
    if (declaredCount !== undefined && declaredCount !== vectors.points) {
      fail(`${VECTORS_ENTRY} holds ${vectors.points} points, the manifest says ${declaredCount}`);
    }
    const declaredSize = manifest.qdrant?.vector_size;
    if (declaredSize != null && vectors.description.vectorSize !== null && declaredSize !== vectors.description.vectorSize) {
      fail(`${VECTORS_ENTRY} has vectors of size ${vectors.description.vectorSize}, the manifest says ${declaredSize}`);
    }
    if (vectors.description.distanceFallback) {
      reporter.warn(`Archive ${archivePath}: unknown distance ${printable(String(vectors.description.header.distance))}; assuming Cosine as the original tool does`);
    }
  } else if (expectVectors && (manifest.stats.qdrant.total_vectors ?? 0) > 0) {
    fail(`the manifest records ${manifest.stats.qdrant.total_vectors} vectors but the zip has no ${VECTORS_ENTRY}`);
  }

  return { path: archivePath, manifest, formatVersion, hasChecksums, databaseStats, vectors };
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
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
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
