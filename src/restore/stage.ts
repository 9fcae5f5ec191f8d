/**
 * An archive verified and staged beside the live store: the database, the
 * embedded store and raw files extracted in their final layout, so that
 * installing them never crosses file systems. Used for the archive being
 * restored and, on a rollback, for the safety archive.
 */
import fs from 'node:fs';
import { tempPath } from '../archive/backups-folder.js';
import { verifyArchive } from '../verify/verify-archive.js';
import type { Reporter } from '../output.js';
import type { StagedArchive } from '../vector-store/vector-store.js';

export async function stageArchive(archivePath: string, stagingDir: string, reporter: Reporter): Promise<StagedArchive> {
  const database = tempPath(stagingDir, '.db');
  const embedded = tempPath(stagingDir, '');
  const rawDatabase = tempPath(stagingDir, '');
  const archive = await verifyArchive(archivePath, { extractDatabaseTo: database, extractEmbeddedTo: embedded, extractRawDatabaseTo: rawDatabase }, reporter);
  return { archive, database, embedded, rawDatabase };
}

export function discardStaged(staged: { database: string; embedded: string | null; rawDatabase: string | null }): void {
  for (const file of [staged.database, staged.embedded, staged.rawDatabase]) if (file) fs.rmSync(file, { recursive: true, force: true });
}
