/** The vectors in a collection of a Qdrant server. */
import type { QdrantConfig, QdrantModeChoice } from '../config.js';
import type { LockState } from '../embedded/local-store.js';
import { ExitCode, UserError, describeError } from '../errors.js';
import { describeQdrantStats } from '../manifest.js';
import { printable } from '../output.js';
import type { VerifiedArchive } from '../verify/verify-archive.js';
import { countPoints, deleteCollection, readCollection } from '../qdrant/collection.js';
import { collectionPath, QdrantConnection } from '../qdrant/connection.js';
import { importCollection } from '../qdrant/import.js';
import { readPointLabels } from '../qdrant/vectors-file.js';
import { peersNeeded, readClusterPeers } from '../qdrant/shard-keys.js';
import { describeVerifiedPoints } from '../qdrant/verify-vectors.js';
import { NO_CONVERSION } from './no-conversion.js';
import { openServerBackup } from './server-backup.js';
import { openSnapshotBackup } from './snapshot-backup.js';
import { installSnapshot, snapshotRefusal } from './snapshot-restore.js';
import type {
  ArchivedVectors,
  BackupRequest,
  InstallOptions,
  LiveVectors,
  StagedArchive,
  VectorsBackup,
  VectorStore,
} from './vector-store.js';

export class ServerVectorStore implements VectorStore {
  readonly mode = 'server' as const;
  readonly server: QdrantConnection;
  /** Asked for early (while the archive is verified): a long verification then does not delay learning that the server is down. */
  private live: Promise<LiveVectors> | null = null;
  /** The server's version, once readLive has asked: the plan checks a snapshot archive against it. */
  private liveVersion: string | null | undefined;

  constructor(
    readonly choice: QdrantModeChoice,
    config: QdrantConfig,
    readonly collection: string,
  ) {
    this.server = new QdrantConnection(config);
  }

  get location(): string {
    return `${this.collection} at ${this.server.url}`;
  }

  readLive(): Promise<LiveVectors> {
    this.live ??= this.probe();
    return this.live;
  }

  private async probe(): Promise<LiveVectors> {
    let points: number | null;
    try {
      this.liveVersion = await this.server.serverVersion();
      points = await countPoints(this.server, this.collection);
    } catch (err) {
      return { state: 'unavailable', reason: describeError(err) };
    }
    const peers = await readClusterPeers(this.server).catch(() => undefined);
    if (points === null) return { state: 'absent', peers };
    // Counting works even when the points cannot be served; a safety backup needs them served.
    try {
      await this.server.request(
        'POST',
        `${collectionPath(this.collection)}/points/scroll`,
        '{"limit":1,"with_payload":true,"with_vector":true}',
        'read points',
      );
    } catch (err) {
      return { state: 'unreadable', reason: describeError(err) };
    }
    return { state: 'healthy', points, peers };
  }

  archived(archive: VerifiedArchive): ArchivedVectors {
    if (archive.embedded) {
      throw new UserError(
        `${archive.path} holds an embedded (local-mode) vector store, but this store uses a Qdrant server (${this.choice.reason}). ${NO_CONVERSION}`,
        ExitCode.Failure,
        { kind: 'vector-store-mismatch', archived: 'embedded' },
      );
    }
    if (archive.snapshot) return this.archivedSnapshot(archive, archive.snapshot);
    if (!archive.vectors) {
      return {
        restorable: false,
        reason: `the archive holds no vectors (${printable(describeQdrantStats(archive.manifest.stats.qdrant))}); the collection is left as it is`,
      };
    }
    const { collection } = archive.vectors.description;
    const needed = peersNeeded(collection.config, collection.shard_keys, archive.manifest.qdrant?.cluster_peers);
    return {
      restorable: true,
      points: archive.vectors.points,
      summary: describeVerifiedPoints(archive.vectors),
      ...(needed ? { peersNeeded: needed } : {}),
    };
  }

  private archivedSnapshot(
    archive: VerifiedArchive,
    snapshot: NonNullable<VerifiedArchive['snapshot']>,
  ): ArchivedVectors {
    // unknown until the server answered; install asks again before it changes anything
    if (this.liveVersion !== undefined) {
      const refusal = snapshotRefusal(archive, this.liveVersion, this.server.url);
      if (refusal) throw refusal;
    }
    return {
      restorable: true,
      points: snapshot.points,
      summary: `${snapshot.points} points (Qdrant ${archive.manifest.qdrant?.server_version ?? '?'} snapshot)`,
    };
  }

  install(staged: StagedArchive, options: InstallOptions): Promise<number> {
    if (staged.archive.snapshot) return installSnapshot(this.server, this.collection, staged.archive, options);
    return importCollection(this.server, this.collection, staged.archive.path, staged.archive.vectors!, options);
  }

  remove(): Promise<void> {
    return deleteCollection(this.server, this.collection);
  }

  async pointIds(): Promise<Set<string> | null> {
    const collection = await readCollection(this.server, this.collection);
    return collection === null ? new Set() : readPointLabels(this.server, this.collection, collection);
  }

  inUse(): LockState {
    return { state: 'free' };
  }

  undoInstall(): boolean {
    return false;
  }

  settle(): void {}

  openBackup(request: BackupRequest): Promise<VectorsBackup> {
    // a safety backup (request.found) is always in the portable points format
    if (request.format === 'snapshot' && !request.found) return openSnapshotBackup(this.server, this.collection);
    return openServerBackup(this.server, this.collection, request);
  }
}
