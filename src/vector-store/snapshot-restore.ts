/**
 * Puts a collection back from the Qdrant snapshot an archive holds: checks the
 * server's version first (nothing changes on a refusal), replaces the
 * collection by uploading the snapshot streamed from the archive, recreates
 * the aliases a snapshot does not carry, and checks the count.
 */
import { ExitCode, UserError } from '../errors.js';
import { SNAPSHOT_ENTRY } from '../manifest.js';
import { ArchiveReader } from '../archive/reader.js';
import { countPoints, deleteCollection } from '../qdrant/collection.js';
import { QdrantError, type QdrantConnection } from '../qdrant/connection.js';
import { snapshotVersionProblem, uploadSnapshot } from '../qdrant/snapshots.js';
import type { VerifiedArchive } from '../verify/verify-archive.js';
import type { InstallOptions } from './vector-store.js';

/** The refusal to restore this archive's snapshot into a server of version `live`, or null when it may. */
export function snapshotRefusal(archive: VerifiedArchive, live: string | null, url: string): UserError | null {
  const problem = snapshotVersionProblem(archive.manifest.qdrant?.server_version, live);
  if (!problem) return null;
  return new UserError(
    `Cannot restore ${archive.path} into Qdrant at ${url}: ${problem}; nothing was changed`,
    ExitCode.Failure,
    { kind: 'snapshot-refused', reason: 'version' },
    'SNAPSHOT_REFUSED',
  );
}

export async function installSnapshot(
  server: QdrantConnection,
  collection: string,
  archive: VerifiedArchive,
  options: InstallOptions,
): Promise<number> {
  const snapshot = archive.snapshot!;
  const refusal = snapshotRefusal(archive, await server.serverVersion(), server.url);
  if (refusal) throw refusal;
  await deleteCollection(server, collection);
  const reader = await ArchiveReader.open(archive.path);
  try {
    const { stream, digest } = await reader.openEntry(SNAPSHOT_ENTRY);
    await uploadSnapshot(server, collection, { stream, size: snapshot.size, sha256: snapshot.sha256 });
    // Qdrant checked the checksum; this proves the archive was not replaced since it was verified
    if (digest().sha256 !== snapshot.sha256) {
      throw new Error(`${SNAPSHOT_ENTRY} in ${archive.path} changed after it was verified; the restore is undone`);
    }
  } finally {
    reader.close();
  }
  if (snapshot.aliases.length > 0) {
    await server.call(
      'create the aliases',
      (client) =>
        client.updateCollectionAliases({
          actions: snapshot.aliases.map((alias) => ({
            create_alias: { collection_name: collection, alias_name: alias },
          })),
        }),
      true,
    );
  }
  const count = await countPoints(server, collection);
  if (count !== snapshot.points) {
    throw new QdrantError(
      `Qdrant at ${server.url} holds ${count ?? 'no'} points in ${collection} after recovering the snapshot, the archive has ${snapshot.points}`,
    );
  }
  options.onProgress?.(snapshot.points);
  return snapshot.points;
}
