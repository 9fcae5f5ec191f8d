/**
 * Qdrant collection snapshots: made, downloaded and deleted at backup,
 * uploaded at restore. Snapshots bind the restore to a Qdrant version and
 * hold one node's shards only, so the version and cluster rules live here too.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { Readable } from 'node:stream';
import { collectionPath, QdrantAnswerError, type QdrantConnection, resultOf } from './connection.js';

export interface SnapshotDescription {
  name: string;
  size: number;
  /** SHA-256 hex; Qdrant before 1.8 reports none. */
  checksum: string | null;
}

/**
 * How long creating a snapshot, or recovering one, may take before its
 * answer: both copy the whole collection, far beyond an ordinary request.
 */
export const SNAPSHOT_WAIT_MS = 60 * 60 * 1000;

/** Makes a snapshot and waits for it (wait=true) as long as it takes; not retried: a retry would make a second one. */
export async function createSnapshot(server: QdrantConnection, collection: string): Promise<SnapshotDescription> {
  const doing = `create a snapshot of ${collection}`;
  const text = await server.requestOnceWithin(
    'POST',
    `${collectionPath(collection)}/snapshots?wait=true`,
    undefined,
    doing,
    Math.max(SNAPSHOT_WAIT_MS, server.config.timeoutMs),
  );
  const described = resultOf(text, server.url, doing) as { name?: unknown; size?: unknown; checksum?: unknown } | null;
  if (typeof described?.name !== 'string' || typeof described.size !== 'number') {
    throw new QdrantAnswerError(`Qdrant at ${server.url} did not describe the snapshot it made of ${collection}`);
  }
  const checksum = typeof described.checksum === 'string' ? described.checksum.toLowerCase() : null;
  return { name: described.name, size: described.size, checksum };
}

function snapshotPath(collection: string, name: string): string {
  return `${collectionPath(collection)}/snapshots/${encodeURIComponent(name)}`;
}

/** The snapshot's bytes as they arrive, read at the pace of whoever consumes them. */
export function downloadSnapshot(
  server: QdrantConnection,
  collection: string,
  name: string,
): Promise<http.IncomingMessage> {
  return server.openStream('GET', snapshotPath(collection, name), undefined, `download snapshot ${name}`);
}

export async function deleteSnapshot(server: QdrantConnection, collection: string, name: string): Promise<void> {
  await server.request('DELETE', `${snapshotPath(collection, name)}?wait=true`, undefined, `delete snapshot ${name}`);
}

/**
 * Recovers `collection` from a snapshot streamed from `file`, with
 * priority=snapshot (the default, replica, can leave a new collection empty)
 * and the checksum, which Qdrant checks before it recovers anything.
 */
export async function uploadSnapshot(
  server: QdrantConnection,
  collection: string,
  file: { stream: Readable; size: number; sha256: string },
): Promise<void> {
  const boundary = `ba-backup-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="snapshot"; filename="collection.snapshot"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body(): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of file.stream) yield chunk as Buffer;
    yield tail;
  }
  const query = `priority=snapshot&checksum=${file.sha256}&wait=true`;
  const text = await server.requestOnceWithin(
    'POST',
    `${collectionPath(collection)}/snapshots/upload?${query}`,
    {
      stream: Readable.from(body(), { objectMode: false, highWaterMark: 1 }),
      length: head.length + file.size + tail.length,
      contentType: `multipart/form-data; boundary=${boundary}`,
    },
    `recover ${collection} from its snapshot`,
    Math.max(SNAPSHOT_WAIT_MS, server.config.timeoutMs),
  );
  if (resultOf(text, server.url, 'recover from the snapshot') !== true) {
    throw new QdrantAnswerError(`Qdrant at ${server.url} did not confirm recovering ${collection} from its snapshot`);
  }
}

/**
 * Why a snapshot made by Qdrant `made` cannot go into Qdrant `live`, or null
 * when it can: Qdrant recovers its own minor version and the one before.
 */
export function snapshotVersionProblem(made: string | null | undefined, live: string | null): string | null {
  const minor = (v: string): [number, number] | null => {
    const m = /^v?(\d+)\.(\d+)(?:\.|$)/.exec(v);
    return m ? [Number(m[1]), Number(m[2])] : null;
  };
  const from = made ? minor(made) : null;
  const into = live ? minor(live) : null;
  if (!from) return `the archive does not record which Qdrant version made its snapshot`;
  if (!into) return `the server does not say which Qdrant version it runs`;
  if (from[0] === into[0] && (into[1] === from[1] || into[1] === from[1] + 1)) return null;
  return `its snapshot was made by Qdrant ${made}, and Qdrant ${live} recovers snapshots of the same or the previous minor version only`;
}
