/**
 * Loads an archive's vector file into a collection: recreates the collection
 * from the archived config, upserts the points' exact archived bytes in
 * batches with wait=true (without it Qdrant acknowledges a wrong vector and
 * drops it), a bounded number in flight, and checks the final count.
 *
 * The archive was verified point by point just before; this pass only
 * splits the points out and proves, by the entry's SHA-256, that it read
 * the very bytes that were verified (the zip's CRC alone would accept an
 * archive replaced in between).
 */
import type { Readable } from 'node:stream';
import { VECTORS_ENTRY } from '../manifest.js';
import { ArchiveReader } from '../archive/reader.js';
import type { VerifiedVectors } from './verify-vectors.js';
import { countPoints, createCollection, deleteCollection } from './collection.js';
import { collectionPath, QdrantError, type QdrantConnection } from './connection.js';
import { splitVectorsFile } from './vectors-file.js';
import { joinedParts } from '../json/join-bytes.js';
import { scanPointText } from './points.js';
import { countShardKeyPoints, describeShardKey, type ShardKeyValue, shardKeyId } from './shard-keys.js';

export interface ImportOptions {
  batchSize: number;
  /** Upsert requests in flight at once. */
  concurrency: number;
  onProgress?: (points: number) => void;
}

const BODY_START = Buffer.from('{"points":[');
const BODY_END = Buffer.from(']}');
const COMMA = Buffer.from(',');

/** Points that go into one upsert: all under one shard key (its JSON text), or under none. */
interface UpsertBatch {
  points: Buffer[];
  shardKey: string | null;
}

async function upsertBatch(server: QdrantConnection, name: string, batch: UpsertBatch): Promise<void> {
  const end = batch.shardKey === null ? BODY_END : Buffer.from(`],"shard_key":${batch.shardKey}}`);
  const body = joinedParts(batch.points, COMMA, BODY_START, end);
  await server.request('PUT', `${collectionPath(name)}/points?wait=true`, body, `upsert ${batch.points.length} points`);
}

/**
 * The verified file's points in upsert batches. In a custom-sharded
 * collection a batch holds points of one key only: each point line carries
 * its key, read without parsing the point (verification checked them all).
 */
async function* upsertBatches(stream: Readable, batchSize: number, sharded: boolean): AsyncGenerator<UpsertBatch> {
  for await (const points of splitVectorsFile(stream, batchSize)) {
    if (!sharded) {
      yield { points, shardKey: null };
      continue;
    }
    let run: UpsertBatch | null = null;
    for (const raw of points) {
      const text = scanPointText(raw).shardKeyText;
      const shardKey = text === null ? null : JSON.stringify(JSON.parse(text) as ShardKeyValue);
      if (run && run.shardKey !== shardKey) {
        yield run;
        run = null;
      }
      run ??= { points: [], shardKey };
      run.points.push(raw);
    }
    if (run) yield run;
  }
}

/** Each shard key holds as many points as the archive has under it. */
async function checkShardKeyCounts(server: QdrantConnection, name: string, vectors: VerifiedVectors): Promise<void> {
  for (const { key } of vectors.description.collection.shard_keys ?? []) {
    const expected = vectors.perShardKey?.get(shardKeyId(key)) ?? 0;
    const count = await countShardKeyPoints(server, name, key);
    if (count !== expected) {
      throw new QdrantError(
        `Qdrant at ${server.url} holds ${count} points under ${describeShardKey(key)} in ${name} after the restore, the archive has ${expected}`,
      );
    }
  }
}

/** Replaces the collection with the archive's; returns the number of points loaded. */
export async function importCollection(
  server: QdrantConnection,
  name: string,
  archivePath: string,
  vectors: VerifiedVectors,
  options: ImportOptions,
): Promise<number> {
  const expectedPoints = vectors.points;
  await deleteCollection(server, name);
  await createCollection(server, name, vectors.description.collection);
  const reader = await ArchiveReader.open(archivePath);
  let loaded = 0;
  try {
    const { stream, digest } = await reader.openEntry(VECTORS_ENTRY);
    const inFlight = new Set<Promise<void>>();
    const failed: { error?: Error } = {};
    const sharded = vectors.description.collection.shard_keys !== undefined;
    for await (const batch of upsertBatches(stream, options.batchSize, sharded)) {
      if (failed.error) break;
      const request = upsertBatch(server, name, batch).then(
        () => {
          loaded += batch.points.length;
          options.onProgress?.(loaded);
        },
        (err: unknown) => {
          failed.error ??= err instanceof Error ? err : new Error(String(err));
        },
      );
      const tracked = request.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failed.error) throw failed.error;
    if (digest().sha256 !== vectors.sha256) {
      throw new Error(`${VECTORS_ENTRY} in ${archivePath} changed after it was verified; the restore is undone`);
    }
  } finally {
    reader.close();
  }
  const count = await countPoints(server, name);
  if (count !== expectedPoints) {
    throw new QdrantError(
      `Qdrant at ${server.url} holds ${count ?? 'no'} points in ${name} after the restore, the archive has ${expectedPoints}`,
    );
  }
  await checkShardKeyCounts(server, name, vectors);
  return loaded;
}
