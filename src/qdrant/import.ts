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
import { VECTORS_ENTRY } from '../manifest.js';
import { ArchiveReader } from '../archive/reader.js';
import type { VerifiedVectors } from './verify-vectors.js';
import { countPoints, createCollection, deleteCollection } from './collection.js';
import { collectionPath, QdrantError, type QdrantConnection } from './connection.js';
import { splitVectorsFile } from './vectors-file.js';
import { joinBytes } from '../json/join-bytes.js';

export interface ImportOptions {
  batchSize: number;
  /** Upsert requests in flight at once. */
  concurrency: number;
  onProgress?: (points: number) => void;
}

const BODY_START = Buffer.from('{"points":[');
const BODY_END = Buffer.from(']}');
const COMMA = Buffer.from(',');

async function upsertBatch(server: QdrantConnection, name: string, points: Buffer[]): Promise<void> {
  const body = joinBytes(points, COMMA, BODY_START, BODY_END);
  await server.request('PUT', `${collectionPath(name)}/points?wait=true`, body, `upsert ${points.length} points`);
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
    for await (const points of splitVectorsFile(stream, options.batchSize)) {
      if (failed.error) break;
      const request = upsertBatch(server, name, points).then(
        () => {
          loaded += points.length;
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
  return loaded;
}
