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

export async function stageArchive(
  archivePath: string,
  stagingDir: string,
  reporter: Reporter,
): Promise<StagedArchive> {
  const database = tempPath(stagingDir, '.db');
  const embedded = tempPath(stagingDir, '');
  const rawDatabase = tempPath(stagingDir, '');
  const archive = await verifyArchive(
    archivePath,
    { extractDatabaseTo: database, extractEmbeddedTo: embedded, extractRawDatabaseTo: rawDatabase },
    reporter,
  );
  return { archive, database, embedded, rawDatabase };
}

export function discardStaged(staged: { database: string; embedded: string | null; rawDatabase: string | null }): void {
  for (const file of [staged.database, staged.embedded, staged.rawDatabase])
    if (file) fs.rmSync(file, { recursive: true, force: true });
}

/**
 * Archives staged on first use and discarded together: the safety archive a
 * rollback puts back, the archive a resume finishes. Each is verified once.
 */
export class StagingArea {
  private readonly staged = new Map<string, Promise<StagedArchive>>();

  constructor(
    private readonly dir: string,
    private readonly reporter: Reporter,
  ) {}

  stage(archivePath: string): Promise<StagedArchive> {
    let staged = this.staged.get(archivePath);
    if (!staged) {
      staged = stageArchive(archivePath, this.dir, this.reporter);
      this.staged.set(archivePath, staged);
    }
    return staged;
  }

  /** Removes every staged copy (an archive that failed verification removed its own). */
  async discardAll(): Promise<void> {
    for (const staged of this.staged.values()) {
      const done = await staged.catch(() => null);
      if (done) discardStaged(done);
    }
  }
}
