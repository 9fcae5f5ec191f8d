/**
 * The collection of a Qdrant server as a native snapshot: made by Qdrant,
 * streamed into the archive as it downloads (stored, not deflated: it is
 * already compact), checked against the checksum Qdrant reports, and deleted
 * from the server afterwards, whether the backup succeeds or not.
 */
import { Readable } from 'node:stream';
import { ExitCode, UserError, describeError } from '../errors.js';
import { SNAPSHOT_ENTRY } from '../manifest.js';
import type { Reporter } from '../output.js';
import type { ArchiveWriter } from '../archive/writer.js';
import { type ArchivedCollection, countPoints, readCollection, unnamedVectorParams } from '../qdrant/collection.js';
import { QdrantAnswerError, type QdrantConnection, QdrantError } from '../qdrant/connection.js';
import { createSnapshot, deleteSnapshot, downloadSnapshot, type SnapshotDescription } from '../qdrant/snapshots.js';
import { readClusterPeers } from '../qdrant/shard-keys.js';
import { collectionMissing, exportFailed, qdrantFields } from './server-backup.js';
import type { VectorsBackup, VectorsRecord } from './vector-store.js';

export async function openSnapshotBackup(server: QdrantConnection, name: string): Promise<VectorsBackup> {
  let serverVersion: string | null = null;
  let peers: number;
  let collection: ArchivedCollection | null;
  try {
    serverVersion = await server.serverVersion();
    peers = (await readClusterPeers(server)).length;
    collection = peers > 1 ? null : await readCollection(server, name);
  } catch (err) {
    const problem = describeError(err);
    return exportFailed(problem, server, serverVersion);
  }
  if (peers > 1) {
    throw new UserError(
      `Qdrant at ${server.url} is a cluster of ${peers} nodes: a collection snapshot holds only one node's shards, so it cannot back up ${name}; the points format covers clusters`,
      ExitCode.Failure,
      { kind: 'snapshot-refused', reason: 'cluster' },
      'SNAPSHOT_REFUSED',
    );
  }
  if (!collection) {
    return collectionMissing(name, server, serverVersion);
  }
  return new SnapshotBackup(server, name, serverVersion, collection);
}

class SnapshotBackup implements VectorsBackup {
  readonly problem = null;

  constructor(
    private readonly server: QdrantConnection,
    private readonly name: string,
    private readonly serverVersion: string | null,
    private readonly collection: ArchivedCollection,
  ) {}

  async write(writer: ArchiveWriter, reporter: Reporter): Promise<VectorsRecord> {
    reporter.info(`[INFO] Creating a snapshot of collection ${this.name} on ${this.server.url}`);
    const points = await countPoints(this.server, this.name);
    const snapshot = await createSnapshot(this.server, this.name);
    try {
      // Qdrant's snapshot is one moment; the count beside it must be the same moment's.
      const after = await countPoints(this.server, this.name);
      if (after !== points) {
        throw new QdrantAnswerError(
          `collection ${this.name} changed while its snapshot was made (${points ?? 'no'} points, then ${after ?? 'no'}); run the backup again`,
        );
      }
      const entry = await this.download(writer, snapshot, reporter);
      const unnamed = unnamedVectorParams(this.collection.config);
      return {
        entries: { [SNAPSHOT_ENTRY]: entry },
        stats: { total_vectors: points ?? 0 },
        qdrant: {
          ...qdrantFields(this.server, this.serverVersion),
          vector_size: unnamed ? unnamed.size : null,
          distance: unnamed ? unnamed.distance : null,
          snapshot: {
            entry: SNAPSHOT_ENTRY,
            name: snapshot.name,
            checksum: snapshot.checksum,
            collection: this.name,
            aliases: this.collection.aliases,
          },
        },
      };
    } finally {
      await this.deleteFromServer(snapshot.name, reporter);
    }
  }

  private async download(writer: ArchiveWriter, snapshot: SnapshotDescription, reporter: Reporter) {
    const bar = reporter.progress(`Downloading snapshot ${snapshot.name}`, snapshot.size, 'bytes');
    let entry;
    try {
      const response = await downloadSnapshot(this.server, this.name, snapshot.name);
      // counted as the writer pulls it: a 'data' listener would let the bytes flow before the writer reads them
      const counted = Readable.from(
        countBytes(response, (bytes) => bar.update(bytes)),
        { highWaterMark: 1 },
      );
      entry = await writer.addEntry(SNAPSHOT_ENTRY, counted, { store: true });
    } finally {
      bar.finish(entry !== undefined);
    }
    if (entry.size !== snapshot.size || (snapshot.checksum !== null && entry.sha256 !== snapshot.checksum)) {
      throw new QdrantAnswerError(
        `Qdrant at ${this.server.url} sent snapshot ${snapshot.name} as ${entry.size} bytes with SHA-256 ${entry.sha256}, ` +
          `but described it as ${snapshot.size} bytes with SHA-256 ${snapshot.checksum ?? '(none)'}`,
      );
    }
    reporter.info(
      `[OK] Snapshot ${snapshot.name}: ${entry.size} bytes, SHA-256 ${snapshot.checksum !== null ? "matches Qdrant's checksum" : 'recorded (Qdrant gave none)'}`,
    );
    return entry;
  }

  /** A snapshot left behind only costs disk space on the server: say so, and do not fail the backup for it. */
  private async deleteFromServer(snapshot: string, reporter: Reporter): Promise<void> {
    try {
      await deleteSnapshot(this.server, this.name, snapshot);
    } catch (err) {
      reporter.warn(
        `Snapshot ${snapshot} could not be deleted from Qdrant (${describeError(err)}); delete it there to free its space`,
      );
    }
  }

  withoutVectors(err: unknown): VectorsBackup | null {
    if (!(err instanceof QdrantError)) return null;
    const problem = `Qdrant snapshot failed: ${describeError(err)}`;
    return exportFailed(problem, this.server, this.serverVersion);
  }

  discard(): void {}
}

async function* countBytes(source: AsyncIterable<Buffer>, onBytes: (bytes: number) => void): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of source) {
    onBytes((bytes += chunk.length));
    yield chunk;
  }
}
