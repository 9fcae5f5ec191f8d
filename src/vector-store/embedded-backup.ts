/** The embedded store as a backup takes it: a consistent copy of each collection, or its raw files when damaged. */
import fs from 'node:fs';
import { copyRaw, discardRawCopy, filesUnder, type RawCopy, rawEntryName, rawPartOf } from '../archive/raw-files.js';
import { tempPath } from '../archive/backups-folder.js';
import type { ArchiveWriter } from '../archive/writer.js';
import { LOCK_FILE, META_ENTRY, storageEntryName } from '../embedded/local-store.js';
import { discardSnapshot, type LocalSnapshot, snapshotLocalStore } from '../embedded/snapshot.js';
import type { EntryInfo } from '../manifest.js';
import type { Reporter } from '../output.js';
import { NoVectorsBackup } from './no-vectors-backup.js';
import type { BackupRequest, VectorsBackup, VectorsRecord } from './vector-store.js';

export function openEmbeddedBackup(
  repoDir: string,
  localDir: string,
  collection: string,
  request: BackupRequest,
): VectorsBackup {
  if (request.found?.state === 'damaged') {
    const files = filesUnder(localDir, (rel) => rel === LOCK_FILE);
    return new RawEmbeddedBackup(
      copyRaw(repoDir, files, tempPath(request.scratchDir, ''), 'damaged', request.found.reason),
    );
  }
  if (!fs.existsSync(localDir)) {
    return new NoVectorsBackup(`No embedded vector store at ${localDir}`, {
      total_vectors: 0,
      error: `no embedded store at ${localDir}`,
    });
  }
  return new EmbeddedBackup(snapshotLocalStore(localDir, request.scratchDir), collection);
}

class EmbeddedBackup implements VectorsBackup {
  readonly problem = null;

  constructor(
    private readonly snapshot: LocalSnapshot,
    private readonly collection: string,
  ) {}

  async write(writer: ArchiveWriter, reporter: Reporter): Promise<VectorsRecord> {
    const { collections, missing } = this.snapshot;
    reporter.info(
      `[OK] Embedded vector store: ${collections.map((c) => `${c.name} (${c.points} points)`).join(', ') || 'no collections'}`,
    );
    if (missing.length > 0)
      reporter.warn(`Embedded collections without a storage file (never written to): ${missing.join(', ')}`);
    const entries: Record<string, EntryInfo> = {
      [META_ENTRY]: await writer.addEntry(META_ENTRY, this.snapshot.metaBytes),
    };
    for (const copy of collections)
      entries[storageEntryName(copy.name)] = await writer.addEntry(
        storageEntryName(copy.name),
        fs.createReadStream(copy.path),
      );
    // the store's own collection counts; one without a storage file holds 0 points
    const points = collections.find((c) => c.name === this.collection)?.points ?? 0;
    return {
      entries,
      stats: { total_vectors: points },
      qdrant: { server_version: null, vector_size: null, distance: null },
      embedded: {
        collections: Object.fromEntries(collections.map((c) => [c.name, { points: c.points }])),
        meta: this.snapshot.meta,
      },
    };
  }

  withoutVectors(): VectorsBackup | null {
    return null;
  }

  discard(): void {
    discardSnapshot(this.snapshot);
  }
}

class RawEmbeddedBackup implements VectorsBackup {
  readonly problem = null;

  constructor(private readonly raw: RawCopy) {}

  async write(writer: ArchiveWriter): Promise<VectorsRecord> {
    const entries: Record<string, EntryInfo> = {};
    for (const file of this.raw.files)
      entries[rawEntryName(file.rel)] = await writer.addEntry(rawEntryName(file.rel), fs.createReadStream(file.path));
    return {
      entries,
      stats: { total_vectors: 0, error: `the embedded store was damaged (${this.raw.reason}); saved as raw files` },
      qdrant: { server_version: null, vector_size: null, distance: null },
      rawEmbedded: rawPartOf(this.raw),
    };
  }

  withoutVectors(): VectorsBackup | null {
    return null;
  }

  discard(): void {
    discardRawCopy(this.raw);
  }
}
