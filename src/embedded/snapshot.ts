/**
 * A consistent copy of the embedded vector store for an archive: meta.json
 * as it is, and each collection's storage.sqlite copied inside SQLite (the
 * same VACUUM INTO as the memory database, consistent while the memory
 * server writes). The lock file is left out: it means nothing in a copy.
 */
import fs from 'node:fs';
import { tempPath } from '../archive/backups-folder.js';
import { copyDatabase } from '../sqlite/snapshot.js';
import { countStoredPoints, type LocalMeta, readMeta, storagePath } from './local-store.js';

export interface CollectionCopy {
  name: string;
  /** Temporary copy; removed by `discard`. */
  path: string;
  points: number;
}

export interface LocalSnapshot {
  localDir: string;
  meta: LocalMeta;
  metaBytes: Buffer;
  collections: CollectionCopy[];
  /** Collections listed in meta.json that have no storage file (never written to). */
  missing: string[];
}

export function snapshotLocalStore(localDir: string, scratchDir: string): LocalSnapshot {
  const { meta, bytes } = readMeta(localDir);
  const snapshot: LocalSnapshot = { localDir, meta, metaBytes: bytes, collections: [], missing: [] };
  try {
    for (const name of Object.keys(meta.collections).sort()) {
      const live = storagePath(localDir, name);
      if (!fs.existsSync(live)) {
        snapshot.missing.push(name);
        continue;
      }
      const copy = tempPath(scratchDir, '.db');
      snapshot.collections.push({ name, path: copy, points: 0 });
      copyDatabase(live, copy, `vector store of collection ${name}`);
      snapshot.collections[snapshot.collections.length - 1]!.points = countStoredPoints(copy);
    }
    return snapshot;
  } catch (err) {
    discardSnapshot(snapshot);
    throw err;
  }
}

export function discardSnapshot(snapshot: LocalSnapshot): void {
  for (const copy of snapshot.collections) fs.rmSync(copy.path, { force: true });
}
