/** The collection of a Qdrant server as a backup takes it: its settings, then its points streamed page by page. */
import { Readable } from 'node:stream';
import { describeError } from '../errors.js';
import { VECTORS_ENTRY } from '../manifest.js';
import type { Reporter } from '../output.js';
import type { ArchiveWriter } from '../archive/writer.js';
import { type ArchivedCollection, countPoints, readCollection, unnamedVectorParams } from '../qdrant/collection.js';
import { type QdrantConnection, QdrantError } from '../qdrant/connection.js';
import { type ExportProgress, exportVectorsFile } from '../qdrant/vectors-file.js';
import { readClusterPeers, shardKeyId } from '../qdrant/shard-keys.js';
import { NoVectorsBackup } from './no-vectors-backup.js';
import type { BackupRequest, VectorsBackup, VectorsRecord } from './vector-store.js';

export async function openServerBackup(
  server: QdrantConnection,
  name: string,
  request: BackupRequest,
): Promise<VectorsBackup> {
  if (request.found?.state === 'unreadable') {
    const discarded = { collection: name, reason: request.found.reason };
    return new NoVectorsBackup(
      `Collection ${name} not saved: ${discarded.reason}`,
      { total_vectors: 0, error: `not saved: ${discarded.reason}` },
      { qdrant: { server_version: null, vector_size: null, distance: null }, discarded },
    );
  }
  let serverVersion: string | null = null;
  try {
    serverVersion = await server.serverVersion();
    const collection = await readCollection(server, name);
    if (!collection) {
      return collectionMissing(name, server, serverVersion);
    }
    return new ServerBackup(server, name, serverVersion, collection, request.batchSize);
  } catch (err) {
    const problem = describeError(err);
    return exportFailed(problem, server, serverVersion);
  }
}

/** A database-only archive: the collection could not be exported (`problem` says why). */
export function exportFailed(problem: string, server: QdrantConnection, serverVersion: string | null): VectorsBackup {
  return new NoVectorsBackup(
    problem,
    { total_vectors: 0, error: problem },
    { qdrant: qdrantFields(server, serverVersion) },
  );
}

/** A database-only archive: the collection does not exist on the server. */
export function collectionMissing(name: string, server: QdrantConnection, serverVersion: string | null): VectorsBackup {
  return new NoVectorsBackup(
    `Collection ${name} not found on Qdrant at ${server.url}`,
    { total_vectors: 0, collection_not_found: true },
    { qdrant: qdrantFields(server, serverVersion) },
  );
}

export function qdrantFields(server: QdrantConnection, serverVersion: string | null): VectorsRecord['qdrant'] {
  return { url: server.url, server_version: serverVersion, vector_size: null, distance: null };
}

class ServerBackup implements VectorsBackup {
  readonly problem = null;

  constructor(
    private readonly server: QdrantConnection,
    private readonly name: string,
    private readonly serverVersion: string | null,
    private readonly collection: ArchivedCollection,
    private readonly batchSize: number,
  ) {}

  async write(writer: ArchiveWriter, reporter: Reporter): Promise<VectorsRecord> {
    reporter.info(`[INFO] Exporting collection ${this.name} from ${this.server.url}`);
    const progress: ExportProgress = { points: 0 };
    const total = await countPoints(this.server, this.name);
    const bar = reporter.progress('Exporting vectors', total);
    const chunks = exportVectorsFile(this.server, this.name, this.collection, this.batchSize, progress, (n) =>
      bar.update(n),
    );
    let entry;
    try {
      // one page buffered ahead (a page is ~1 MB at 768 dims); the next is already being fetched
      entry = await writer.addEntry(VECTORS_ENTRY, Readable.from(chunks, { highWaterMark: 1 }), { numberText: true });
    } finally {
      bar.finish(entry !== undefined);
    }
    const unnamed = unnamedVectorParams(this.collection.config);
    // how many replicas the source could hold; a restore asks no more of its target
    const peers = await readClusterPeers(this.server).catch(() => null);
    return {
      entries: { [VECTORS_ENTRY]: entry },
      stats: {
        total_vectors: progress.points,
        ...(this.collection.shard_keys
          ? {
              shard_keys: this.collection.shard_keys.map(({ key }) => ({
                key,
                points: progress.perShardKey?.get(shardKeyId(key)) ?? 0,
              })),
            }
          : {}),
      },
      qdrant: {
        ...qdrantFields(this.server, this.serverVersion),
        vector_size: unnamed ? unnamed.size : null,
        distance: unnamed ? unnamed.distance : null,
        ...(peers ? { cluster_peers: peers.length } : {}),
      },
    };
  }

  /** Qdrant failed part-way: the archive can still hold the database. Any other failure is not Qdrant's. */
  withoutVectors(err: unknown): VectorsBackup | null {
    if (!(err instanceof QdrantError)) return null;
    const problem = `Qdrant export failed: ${describeError(err)}`;
    return exportFailed(problem, this.server, this.serverVersion);
  }

  discard(): void {}
}
