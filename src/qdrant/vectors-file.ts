/**
 * qdrant_vectors.json: the collection's points and settings inside an archive.
 *
 * Layout (format 1; format 2 for a custom-sharded collection, see below), one point per line so the file streams in both
 * directions and stays readable by the original tool's json.load:
 *
 *   {"collection_name":"…","vector_size":768,"distance":"Distance.COSINE",
 *    "format_version":1,"collection":{"config":…,"payload_schema":…,"aliases":[…]},
 *    "points":[
 *   {"id":…,"payload":{…},"vector":[…]},
 *   …
 *   ]}
 *
 * The original's keys come first with the same meaning; `collection` holds
 * the full config (named and sparse vectors fit there without a format
 * change). Each point line is the exact text Qdrant returned.
 *
 * Format 2: a custom-sharded collection. `collection.shard_keys` lists its
 * keys; the points come key by key, in that order, each line carrying the
 * "shard_key" Qdrant returned with it, ids rising within a key. A format 1
 * reader would create the collection without its keys and fail mid-restore
 * (or merge points that share an id), so it must refuse the file up front,
 * which its format check does.
 */
import type { Readable } from 'node:stream';
import * as z from 'zod';
import { describeIssue } from '../manifest.js';
import { RawArraySplitter } from '../json/raw-array-splitter.js';
import {
  type ArchivedCollection,
  configForPlainVectors,
  distanceFromText,
  distanceToEnumText,
  unnamedVectorParams,
} from './collection.js';
import { type AnswerReader, collectionPath, type QdrantConnection, QdrantAnswerError } from './connection.js';
import { Utf8Validator } from '../json/utf8-check.js';
import { joinedParts } from '../json/join-bytes.js';
import {
  checkPoint,
  comparePointKeys,
  formatPointKey,
  type PointKey,
  pointKeyOf,
  pointLabel,
  scanPointText,
  vectorShapeOf,
  type VectorShape,
} from './points.js';
import { archivedShardKeySchema, describeShardKey, type ShardKeyValue, shardKeyId } from './shard-keys.js';

/** The format of an ordinary vector file, and of one holding shard keys (see above). */
export const VECTORS_FORMAT_VERSION = 1;
export const SHARDED_VECTORS_FORMAT_VERSION = 2;
/** The newest format this tool reads. */
export const NEWEST_VECTORS_FORMAT_VERSION = 2;

export interface VectorsFileHeader {
  collection_name: string;
  vector_size: number | null;
  distance: string | null;
  format_version?: number;
  collection?: ArchivedCollection;
}

const headerSchema = z
  .object({
    collection_name: z.string(),
    vector_size: z.number().int().positive().nullable().optional(),
    distance: z.string().nullable().optional(),
    format_version: z.number().int().positive().optional(),
    collection: z
      .object({
        config: z.object({ params: z.object({ vectors: z.unknown().optional() }).loose() }).loose(),
        payload_schema: z.record(z.string(), z.unknown()).optional().default({}),
        aliases: z.array(z.string()).optional().default([]),
        shard_keys: z.array(archivedShardKeySchema).optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

/** The header fields of an archive's vector file, with the collection config to restore. */
export interface VectorsDescription {
  header: VectorsFileHeader;
  /** What to create: the archived config, or one built from vector_size and distance. */
  collection: ArchivedCollection;
  /** The unnamed vector size and distance, when the collection has one. */
  vectorSize: number | null;
  distance: string | null;
  /** Set when the distance text was unknown and Cosine was assumed, as the original does. */
  distanceFallback: boolean;
}

export function headerFor(name: string, collection: ArchivedCollection): VectorsFileHeader {
  const unnamed = unnamedVectorParams(collection.config);
  return {
    collection_name: name,
    vector_size: unnamed ? unnamed.size : null,
    distance: unnamed ? distanceToEnumText(unnamed.distance) : null,
    format_version: collection.shard_keys ? SHARDED_VECTORS_FORMAT_VERSION : VECTORS_FORMAT_VERSION,
    collection,
  };
}

/** The shard keys agree with the sharding method and the format, each once. */
function checkShardKeys(collection: ArchivedCollection, formatVersion: number): void {
  const keys = collection.shard_keys;
  const custom = collection.config.params.sharding_method === 'custom';
  if (custom && !keys) {
    throw new Error(
      'its collection is sharded by key (sharding_method custom) but it lists no shard keys: it cannot be restored',
    );
  }
  if (!keys) return;
  if (!custom) throw new Error('it lists shard keys, but its collection is not sharded by key');
  if (formatVersion < SHARDED_VECTORS_FORMAT_VERSION)
    throw new Error(`it lists shard keys but says format ${formatVersion}; shard keys need format 2`);
  const seen = new Set<string>();
  for (const { key } of keys) {
    if (seen.has(shardKeyId(key))) throw new Error(`it lists ${describeShardKey(key)} twice`);
    seen.add(shardKeyId(key));
  }
}

/** A vector file written by a newer tool: the fix is an upgrade, not a new archive. */
export class NewerFormatError extends Error {}

export function describeVectors(siblings: ReadonlyMap<string, string>): VectorsDescription {
  const raw: Record<string, unknown> = {};
  for (const [key, text] of siblings) raw[key] = JSON.parse(text);
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`header ${describeIssue(parsed.error)}`);
  const header = parsed.data as VectorsFileHeader;
  if (header.format_version !== undefined && header.format_version > NEWEST_VECTORS_FORMAT_VERSION) {
    throw new NewerFormatError(
      `it is vector file format ${header.format_version}; this tool reads up to format ${NEWEST_VECTORS_FORMAT_VERSION}. Upgrade ba-backup to restore it`,
    );
  }
  if (header.collection) checkShardKeys(header.collection, header.format_version ?? 0);
  if (header.collection) {
    const unnamed = unnamedVectorParams(header.collection.config);
    return {
      header,
      collection: header.collection,
      vectorSize: unnamed ? unnamed.size : null,
      distance: unnamed ? unnamed.distance : null,
      distanceFallback: false,
    };
  }
  if (typeof header.vector_size !== 'number') throw new Error('it gives neither "vector_size" nor "collection"');
  const distance = distanceFromText(header.distance ?? '');
  return {
    header,
    collection: {
      config: configForPlainVectors(header.vector_size, distance ?? 'Cosine'),
      payload_schema: {},
      aliases: [],
    },
    vectorSize: header.vector_size,
    distance: distance ?? 'Cosine',
    distanceFallback: distance === null,
  };
}

/** Counts and the first problem found while exporting. */
export interface ExportProgress {
  points: number;
  /** Points per shard key (by shardKeyId), for a custom-sharded collection. */
  perShardKey?: Map<string, number>;
}

/** `content` false: ids (and shard keys) only, without payloads and vectors. */
function scrollBody(
  limit: number,
  offsetRaw: string | null,
  shardKey: ShardKeyValue | undefined,
  content: boolean,
): string {
  const offset = offsetRaw === null ? '' : `,"offset":${offsetRaw}`;
  const key = shardKey === undefined ? '' : `,"shard_key":${JSON.stringify(shardKey)}`;
  return `{"limit":${limit},"with_payload":${content},"with_vector":${content}${offset}${key}}`;
}

interface ScrollPage {
  points: Buffer[];
  /** Raw JSON text of next_page_offset, or null at the end. */
  next: string | null;
}

async function scrollPage(
  server: QdrantConnection,
  name: string,
  limit: number,
  offsetRaw: string | null,
  shardKey: ShardKeyValue | undefined,
  content = true,
): Promise<ScrollPage> {
  const malformed = (problem: string): Error =>
    new QdrantAnswerError(`Qdrant at ${server.url} sent a malformed scroll answer: ${problem}`);
  // the points are split out as the answer arrives; they go into the archive as these bytes
  const readPage = (): AnswerReader<ScrollPage> => {
    const splitter = new RawArraySplitter(['result', 'points']);
    const utf8 = new Utf8Validator();
    const points: Buffer[] = [];
    return {
      push(chunk) {
        if (!utf8.push(chunk)) throw malformed('it is not valid UTF-8');
        try {
          for (const point of splitter.push(chunk)) points.push(point);
        } catch (err) {
          throw malformed((err as Error).message);
        }
      },
      end() {
        if (!utf8.end()) throw malformed('it ends in the middle of a UTF-8 character');
        try {
          splitter.end();
        } catch (err) {
          throw malformed((err as Error).message);
        }
        if (!splitter.found)
          throw new QdrantAnswerError(`Qdrant at ${server.url} sent a scroll answer without result.points`);
        const next = splitter.siblings.get('next_page_offset') ?? 'null';
        return { points, next: next === 'null' ? null : next };
      },
    };
  };
  return server.requestRead(
    'POST',
    `${collectionPath(name)}/points/scroll`,
    scrollBody(limit, offsetRaw, shardKey, content),
    shardKey === undefined ? 'read points' : `read the points of ${describeShardKey(shardKey)}`,
    readPage,
  );
}

/**
 * Yields qdrant_vectors.json as UTF-8 chunks, one scroll page per chunk (its
 * points and separators as pieces, never joined).
 * The next page is requested before the current one is handed on, so the
 * server's work overlaps with compression. Every point is checked against the
 * collection's config and ids must rise strictly: a server that sends a
 * wrong vector or repeats points fails the export instead of writing a
 * silently wrong archive. A custom-sharded collection is scrolled key by
 * key: a scroll across keys keeps one point per id, so points that share an
 * id under two keys would be lost.
 */
export async function* exportVectorsFile(
  server: QdrantConnection,
  name: string,
  collection: ArchivedCollection,
  batchSize: number,
  progress: ExportProgress,
  onProgress?: (points: number) => void,
): AsyncGenerator<Buffer | readonly Buffer[]> {
  const header = headerFor(name, collection);
  const { collection: _omit, ...plain } = header;
  const headerText = JSON.stringify(plain).slice(0, -1);
  yield Buffer.from(`${headerText},"collection":${JSON.stringify(collection)},\n"points":[`, 'utf8');
  const shape = vectorShapeOf(collection.config);
  const first = { value: true };
  if (!collection.shard_keys) {
    yield* exportPoints(server, name, undefined, shape, batchSize, progress, first, onProgress);
  } else {
    progress.perShardKey = new Map();
    for (const { key } of collection.shard_keys) {
      const before = progress.points;
      yield* exportPoints(server, name, key, shape, batchSize, progress, first, onProgress);
      progress.perShardKey.set(shardKeyId(key), progress.points - before);
    }
  }
  yield Buffer.from('\n]}\n');
}

/** The points of the collection, or of one of its shard keys, as point lines. */
async function* exportPoints(
  server: QdrantConnection,
  name: string,
  shardKey: ShardKeyValue | undefined,
  shape: VectorShape,
  batchSize: number,
  progress: ExportProgress,
  first: { value: boolean },
  onProgress?: (points: number) => void,
): AsyncGenerator<readonly Buffer[]> {
  const expectedKey = shardKey === undefined ? null : shardKeyId(shardKey);
  let last: PointKey | null = null;
  let pending: Promise<ScrollPage> | null = scrollPage(server, name, batchSize, null, shardKey);
  while (pending) {
    const page: ScrollPage = await pending;
    pending = page.next === null ? null : scrollPage(server, name, batchSize, page.next, shardKey);
    // don't let a failed prefetch become an unhandled rejection while we check this page
    pending?.catch(() => undefined);
    for (const raw of page.points) {
      let key: PointKey;
      let pointShardKey: string | null;
      try {
        ({ key, shardKey: pointShardKey } = checkPoint(raw, shape));
      } catch (err) {
        throw new QdrantAnswerError(`Qdrant at ${server.url} sent an invalid point: ${(err as Error).message}`);
      }
      // the archived line is what restores the point's key: it must be the key scrolled
      if (expectedKey !== null && pointShardKey !== expectedKey) {
        throw new QdrantAnswerError(
          `Qdrant at ${server.url} sent point ${formatPointKey(key)} of ${describeShardKey(shardKey!)} with shard_key ${pointShardKey ?? 'missing'}`,
        );
      }
      if (last && comparePointKeys(last, key) >= 0) {
        throw new QdrantAnswerError(
          `Qdrant at ${server.url} sent point ${formatPointKey(key)} out of order after ${formatPointKey(last)}`,
        );
      }
      last = key;
    }
    if (page.points.length > 0) {
      yield joinedParts(page.points, COMMA_NEWLINE, first.value ? NEWLINE : COMMA_NEWLINE);
      first.value = false;
      progress.points += page.points.length;
      onProgress?.(progress.points);
    }
  }
}

/**
 * Every point of a live collection as pointLabel names it: ids read from their digits (exact
 * beyond 2^53), a custom-sharded collection key by key (ids may repeat across keys).
 */
export async function readPointLabels(
  server: QdrantConnection,
  name: string,
  collection: ArchivedCollection,
): Promise<Set<string>> {
  const labels = new Set<string>();
  for (const shardKey of collection.shard_keys?.map(({ key }) => key) ?? [undefined]) {
    const keyId = shardKey === undefined ? null : shardKeyId(shardKey);
    let offset: string | null = null;
    do {
      const page: ScrollPage = await scrollPage(server, name, 1000, offset, shardKey, false);
      for (const raw of page.points) {
        const key = pointKeyOf(
          (JSON.parse(raw.toString('utf8')) as { id?: unknown }).id,
          scanPointText(raw).idNumberText,
        );
        if (typeof key === 'string')
          throw new QdrantAnswerError(`Qdrant at ${server.url} sent an invalid point: ${key}`);
        labels.add(pointLabel(key, keyId));
      }
      offset = page.next;
    } while (offset !== null);
  }
  return labels;
}

const NEWLINE = Buffer.from('\n');
const COMMA_NEWLINE = Buffer.from(',\n');

export interface ReadVectorsResult {
  description: VectorsDescription;
  points: number;
}

/** Points of a vector file as their archived bytes, with their ids and shard keys (shardKeyId, or null). */
export interface PointBatch {
  points: Buffer[];
  keys: PointKey[];
  shardKeys: Array<string | null>;
}

/**
 * Streams a vector file from an archive and yields its points' raw bytes in
 * batches, checking each point against the header. The header must come
 * before the points, as both this tool and the original write it.
 */
export async function* readVectorsFile(
  stream: Readable,
  batchSize: number,
  result: { value?: ReadVectorsResult; description?: VectorsDescription },
): AsyncGenerator<PointBatch> {
  const splitter = new RawArraySplitter(['points']);
  let description: VectorsDescription | null = null;
  let shape: VectorShape | null = null;
  let count = 0;
  let batch: PointBatch = { points: [], keys: [], shardKeys: [] };
  const take = (raws: Buffer[]): void => {
    for (const raw of raws) {
      if (!description || !shape) {
        try {
          description = describeVectors(splitter.siblings);
        } catch (err) {
          if (err instanceof NewerFormatError) throw err;
          throw new Error(`its header is unusable before the points: ${(err as Error).message}`, { cause: err });
        }
        shape = vectorShapeOf(description.collection.config);
        result.description = description;
      }
      const checked = checkPoint(raw, shape);
      batch.keys.push(checked.key);
      batch.shardKeys.push(checked.shardKey);
      batch.points.push(raw);
      count++;
    }
  };
  for await (const chunk of stream) {
    take(splitter.push(chunk as Buffer));
    while (batch.points.length >= batchSize) {
      yield {
        points: batch.points.slice(0, batchSize),
        keys: batch.keys.slice(0, batchSize),
        shardKeys: batch.shardKeys.slice(0, batchSize),
      };
      batch = {
        points: batch.points.slice(batchSize),
        keys: batch.keys.slice(batchSize),
        shardKeys: batch.shardKeys.slice(batchSize),
      };
    }
  }
  splitter.end();
  if (!splitter.found) throw new Error('it has no "points" list');
  if (batch.points.length > 0) yield batch;
  description ??= describeVectors(splitter.siblings);
  result.value = { description, points: count };
}

/**
 * The points of a vector file that was already verified, as raw bytes in
 * batches: split only, not checked again.
 */
export async function* splitVectorsFile(stream: Readable, batchSize: number): AsyncGenerator<Buffer[]> {
  const splitter = new RawArraySplitter(['points']);
  let batch: Buffer[] = [];
  for await (const chunk of stream) {
    for (const raw of splitter.push(chunk as Buffer)) {
      batch.push(raw);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  splitter.end();
  if (batch.length > 0) yield batch;
}
