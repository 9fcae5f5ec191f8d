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
import { pipeline as pipeStreams } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Database from 'better-sqlite3';
import { openReadOnly } from '../sqlite/open.js';
import path from 'node:path';
import { ArchiveError, describeError, diskFullError } from '../errors.js';
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
import { Utf8Check } from '../json/utf8-check.js';
import { readVectorsFile, type VectorsDescription } from '../qdrant/vectors-file.js';
import { comparePointKeys, formatPointKey, type PointKey } from '../qdrant/points.js';
import { distanceFromText } from '../qdrant/collection.js';
import { collectionProblem } from './collection-check.js';
import { type EmbeddedArchive, isEmbeddedEntry, verifyEmbeddedEntries } from '../embedded/verify-embedded.js';
import { ArchiveReader, type EntryDigest, UnsafeEntryError, ZipFormatError } from './reader.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface VerifyOptions {
  /** Where to write the verified database; it is deleted again if verification fails. */
  extractDatabaseTo?: string;
  /** Where to write the verified embedded vector store (qdrant_data/ layout); removed if verification fails. */
  extractEmbeddedTo?: string;
}

let embeddedScratch = 0;

/** An archive's vector file as verification found it. */
export interface VerifiedVectors {
  description: VectorsDescription;
  points: number;
  /** SHA-256 of the entry's bytes as verified: a later read must find the same bytes. */
  sha256: string;
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
}

/**
 * A mistake in this code, not in the archive: let it surface as a bug (with
 * its stack) instead of disguising it as a damaged archive.
 */
function isProgrammingError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof ReferenceError || (err instanceof RangeError && /call stack/i.test(err.message));
}

export async function verifyArchive(archivePath: string, options: VerifyOptions, reporter: Reporter): Promise<VerifiedArchive> {
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
    if (err instanceof UnsafeEntryError) return fail(err.message);
    if (isProgrammingError(err)) throw err;
    return fail(`not a readable zip file (${describeError(err)})`);
  }
  try {
    return await verifyOpened(reader, archivePath, options, reporter, fail);
  } catch (err) {
    if (options.extractDatabaseTo) fs.rmSync(options.extractDatabaseTo, { force: true });
    if (options.extractEmbeddedTo) fs.rmSync(options.extractEmbeddedTo, { force: true, recursive: true });
    if (err instanceof ArchiveError || isProgrammingError(err)) throw err;
    const full = diskFullError(err, options.extractDatabaseTo ? path.dirname(options.extractDatabaseTo) : 'the staging folder');
    if (full) throw full;
    if (err instanceof ZipFormatError) return fail(err.message);
    return fail(describeError(err));
  } finally {
    reader.close();
  }
}

/**
 * Each point once: a repeated id would be upserted twice and the collection
 * would come out short, which the restore would only notice after replacing
 * the live data. Format 1 files are in Qdrant's id order (the backup checks
 * it), so a rising order proves there is no repeat at no memory cost; the
 * original tool's files are not documented to be ordered, so there every id
 * is remembered.
 */
class PointIdCheck {
  private last: PointKey | null = null;
  private readonly seen = new Set<string>();

  constructor(private readonly ordered: boolean) {}

  /** A problem with this point's id, or null. */
  check(key: PointKey): string | null {
    if (this.ordered) {
      const last = this.last;
      this.last = key;
      if (last && comparePointKeys(last, key) >= 0) {
        return `point ${formatPointKey(key)} comes after point ${formatPointKey(last)}: ids must rise strictly (a point is repeated or out of order)`;
      }
      return null;
    }
    const text = `${key.kind}:${formatPointKey(key)}`;
    if (this.seen.has(text)) return `point ${formatPointKey(key)} appears twice`;
    this.seen.add(text);
    return null;
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
    if (!(KNOWN_ENTRIES as readonly string[]).includes(name) && !isEmbeddedEntry(name)) reporter.warn(`Archive ${archivePath}: ignoring unknown entry ${printable(name)}`);
  }

  const { data, digest: manifestDigest } = await reader.readSmallEntry(MANIFEST_ENTRY, MAX_MANIFEST_BYTES);
  let manifestText: string;
  try {
    // fatal: invalid bytes would otherwise become U+FFFD without a word
    manifestText = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return fail('manifest.json is not valid UTF-8 text');
  }
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(manifestText);
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
    // The file is created here, synchronously: a write stream opens its file
    // later, and a failure handled (and the file removed) before that open
    // would leave the file behind.
    const fd = fs.openSync(options.extractDatabaseTo, 'wx', 0o600);
    await pipeline(db.stream, fs.createWriteStream(options.extractDatabaseTo, { fd }));
    checkDigest(DATABASE_ENTRY, db.digest());
    databaseStats = checkDatabase(options.extractDatabaseTo, manifest, formatVersion, reporter, fail);
  } else {
    for await (const _chunk of db.stream) {
      // reading is the check
    }
    checkDigest(DATABASE_ENTRY, db.digest());
  }

  // the embedded vector store
  const embedded = await verifyEmbeddedEntries(
    reader,
    manifest,
    options.extractEmbeddedTo,
    () => `${options.extractDatabaseTo ?? archivePath}.${embeddedScratch++}.verify`,
    checkDigest,
    fail,
  );

  // the vectors
  let vectors: VerifiedArchive['vectors'] = null;
  const expectVectors = hasVectors(manifest.stats.qdrant);
  if (reader.has(VECTORS_ENTRY)) {
    const entry = await reader.openEntry(VECTORS_ENTRY);
    const result: { value?: { description: VectorsDescription; points: number } } = {};
    // pipeline, not pipe: a CRC failure upstream must end the loop below, not stall it
    const text = pipeStreams(entry.stream, new Utf8Check(), () => undefined);
    const ids = new PointIdCheck(formatVersion >= 1);
    try {
      for await (const { keys } of readVectorsFile(text, 100, result)) {
        for (const key of keys) {
          const problem = ids.check(key);
          if (problem) fail(`${VECTORS_ENTRY}: ${problem}`);
        }
      }
    } catch (err) {
      if (err instanceof ZipFormatError || err instanceof ArchiveError || isProgrammingError(err)) throw err;
      fail(`${VECTORS_ENTRY}: ${describeError(err)}`);
    }
    const digest = entry.digest();
    checkDigest(VECTORS_ENTRY, digest);
    vectors = { ...result.value!, sha256: digest.sha256 };
    const settingsProblem = collectionProblem(vectors.description.collection);
    if (settingsProblem) fail(`${VECTORS_ENTRY}: ${settingsProblem}`);
    // The original tool restores from vector_size and distance, this one from
    // the config: a file where they disagree would restore differently with each.
    const { header, vectorSize, distance } = vectors.description;
    if (typeof header.vector_size === 'number' && vectorSize !== null && header.vector_size !== vectorSize) {
      fail(`${VECTORS_ENTRY}: its vector_size ${header.vector_size} contradicts its collection config (size ${vectorSize})`);
    }
    if (typeof header.distance === 'string' && distance !== null && header.collection && distanceFromText(header.distance) !== distance) {
      fail(`${VECTORS_ENTRY}: its distance ${JSON.stringify(header.distance)} contradicts its collection config (${distance})`);
    }
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
  } else if (!embedded && expectVectors && (manifest.stats.qdrant.total_vectors ?? 0) > 0) {
    fail(`the manifest records ${manifest.stats.qdrant.total_vectors} vectors but the zip has no ${VECTORS_ENTRY}`);
  }

  return { path: archivePath, manifest, formatVersion, hasChecksums, databaseStats, vectors, embedded };
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
