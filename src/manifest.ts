/**
 * manifest.json: what an archive holds, shared by backup (writes it) and
 * restore (validates it).
 *
 * Format version 1 keeps every key the original Python tool wrote and reads
 * (timestamp, created_at, description, config, stats.sqlite, stats.qdrant)
 * and adds new keys it ignores: format_version, tool, entries (size and
 * SHA-256 per entry), qdrant (server version and vector settings).
 * Archives of the original tool have no format_version: they are version 0.
 * See docs/archive-format.md.
 */
import * as z from 'zod';
import { formatCount } from './count.js';

export const MANIFEST_ENTRY = 'manifest.json';
export const DATABASE_ENTRY = 'memoryv012.db';
export const VECTORS_ENTRY = 'qdrant_vectors.json';
/** A Qdrant collection snapshot, stored as Qdrant made it (--vectors-format snapshot). */
export const SNAPSHOT_ENTRY = 'qdrant_collection.snapshot';
export const KNOWN_ENTRIES = [MANIFEST_ENTRY, DATABASE_ENTRY, VECTORS_ENTRY, SNAPSHOT_ENTRY] as const;

/** The format of an ordinary archive, readable by every earlier version of this tool. */
export const FORMAT_VERSION = 1;
/**
 * The newest format this tool reads. Version 2 is written only for safety
 * archives that hold a part as raw files or no database at all: a version 1
 * reader would restore such an archive partly, so it must refuse it instead.
 */
export const SAFETY_FORMAT_VERSION = 2;
/**
 * Version 3 is written only for archives whose vectors are a Qdrant snapshot:
 * an earlier reader would find no vector file and restore the database alone.
 */
export const SNAPSHOT_FORMAT_VERSION = 3;
export const NEWEST_FORMAT_VERSION = SNAPSHOT_FORMAT_VERSION;

/** Entries of files saved byte for byte, named by their path inside the store folder. */
export const RAW_PREFIX = 'raw/';

const count = z.number().int().nonnegative();

export const entryInfoSchema = z.object({
  size: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
});

export const qdrantStatsSchema = z
  .object({
    total_vectors: count.optional(),
    skipped: z.boolean().optional(),
    collection_not_found: z.boolean().optional(),
    error: z.string().optional(),
    /** A custom-sharded collection: points per shard key, in the vector file's key order. */
    shard_keys: z
      .array(z.object({ key: z.union([z.string(), z.number().int().nonnegative()]), points: count }).loose())
      .optional(),
  })
  .loose();

/** A part of the store saved as the raw files it was found in (see docs/archive-format.md). */
export const rawPartSchema = z
  .object({
    /** damaged: unreadable as a store, saved raw only; leftover: a healthy database with side files beside it, saved raw as well. */
    state: z.enum(['damaged', 'leftover']),
    reason: z.string(),
    /** Entry names, each under raw/ and listed in `entries`. */
    files: z.array(z.string()),
  })
  .loose();

/** The vectors as a Qdrant collection snapshot (format 3). */
export const snapshotRecordSchema = z
  .object({
    entry: z.literal(SNAPSHOT_ENTRY),
    /** The snapshot's name on the server that made it. */
    name: z.string(),
    /** SHA-256 Qdrant reported for the file, or null when it reports none. */
    checksum: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
    collection: z.string(),
    /** Aliases of the collection: a snapshot does not carry them. */
    aliases: z.array(z.string()),
  })
  .loose();

export type SnapshotRecord = z.infer<typeof snapshotRecordSchema>;

export const manifestSchema = z
  .object({
    timestamp: z.string().regex(/^\d{8}_\d{6}$/, 'must look like YYYYMMDD_HHMMSS'),
    created_at: z.string().min(1),
    description: z.string().default(''),
    config: z
      .object({
        username: z.string(),
        agent_name: z.string(),
        collection_name: z.string(),
      })
      .loose(),
    stats: z
      .object({
        sqlite: z
          .object({
            total_memories: count,
            total_versions: count,
            total_intentions: count,
          })
          .loose(),
        qdrant: qdrantStatsSchema,
      })
      .loose(),
    format_version: z.number().int().positive().optional(),
    created_at_utc: z.string().optional(),
    kind: z.enum(['backup', 'safety']).optional(),
    tool: z.object({ name: z.string(), version: z.string() }).loose().optional(),
    entries: z.record(z.string(), entryInfoSchema).optional(),
    qdrant: z
      .object({
        url: z.string().optional(),
        server_version: z.string().nullable().optional(),
        vector_size: z.number().int().positive().nullable().optional(),
        distance: z.string().nullable().optional(),
        /** Peers of the source's Qdrant cluster (1 when distributed mode was off): the replicas it could hold. */
        cluster_peers: z.number().int().positive().optional(),
        snapshot: snapshotRecordSchema.optional(),
      })
      .loose()
      .optional(),
    raw_parts: z.object({ database: rawPartSchema.optional(), embedded: rawPartSchema.optional() }).loose().optional(),
    /** True when the store had no database: the archive holds none (a safety archive). */
    database_absent: z.boolean().optional(),
    /** A collection that could not be read and was not saved (--discard-unreadable). */
    discarded: z.object({ collection: z.string(), reason: z.string() }).loose().optional(),
  })
  .loose();

export type RawPart = z.infer<typeof rawPartSchema>;
export type Manifest = z.infer<typeof manifestSchema>;
export type EntryInfo = z.infer<typeof entryInfoSchema>;
export type QdrantStats = z.infer<typeof qdrantStatsSchema>;

export type SqliteStats = Manifest['stats']['sqlite'];

/** A zod error's first issue in words: "field a.b: message" ("(top)" for the whole value). */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `field ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`;
}

/**
 * Reads manifest.json's bytes the one way both a full verification and a
 * listing read them: strict UTF-8, JSON, then the schema. Throws an Error
 * saying what is wrong, in words that name manifest.json.
 */
export function parseManifest(data: Buffer): Manifest {
  let text: string;
  try {
    // fatal: invalid bytes would otherwise become U+FFFD without a word
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new Error('manifest.json is not valid UTF-8 text');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`manifest.json is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new Error(`manifest.json ${describeIssue(parsed.error)}`);
  return parsed.data;
}

/** The version an archive declares; the original tool's archives are version 0. */
export function formatVersionOf(manifest: Manifest): number {
  return manifest.format_version ?? 0;
}

/** Whether Qdrant vectors were exported into the archive. */
export function hasVectors(stats: QdrantStats): boolean {
  return !stats.skipped && !stats.collection_not_found && stats.error === undefined;
}

/**
 * A database-only archive: made while the vectors could not be read (Qdrant
 * down, the collection missing, an export failing part-way), as opposed to
 * one made with Qdrant skipped on purpose.
 */
export function isDatabaseOnly(manifest: Manifest): boolean {
  const { qdrant } = manifest.stats;
  return (
    !manifest.raw_parts?.embedded &&
    !manifest.discarded &&
    (qdrant.error !== undefined || qdrant.collection_not_found === true)
  );
}

/** A one-line description of the Qdrant part, for listings and plans. */
export function describeQdrantStats(stats: QdrantStats): string {
  if (stats.skipped) return 'skipped';
  if (stats.collection_not_found) return 'collection not found';
  if (stats.error !== undefined) return `not exported (${stats.error})`;
  return formatCount(stats.total_vectors ?? 0);
}

/** What an archive lacks or saved as found (raw, absent, discarded, database only); empty for a complete archive. */
export function describeArchiveNotes(manifest: Manifest): string[] {
  const notes: string[] = [];
  const raw = manifest.raw_parts ?? {};
  if (raw.database)
    notes.push(
      raw.database.state === 'damaged'
        ? `damaged database saved raw (${raw.database.reason})`
        : `leftover files saved raw (${raw.database.reason})`,
    );
  if (raw.embedded) notes.push(`damaged embedded store saved raw (${raw.embedded.reason})`);
  if (manifest.database_absent) notes.push('no database (the store had none)');
  if (manifest.discarded) notes.push(`vectors discarded, not saved (${manifest.discarded.reason})`);
  if (isDatabaseOnly(manifest)) notes.push(`database only: no vectors (${describeQdrantStats(manifest.stats.qdrant)})`);
  return notes;
}
