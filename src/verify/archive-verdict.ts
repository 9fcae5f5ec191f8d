/**
 * --verify: the full validation a restore runs (verify-archive.ts), turned
 * into a pass/fail verdict per archive at rest, without changing anything (the database is extracted to a temporary file in the
 * backups folder to run its integrity check, then removed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ArchiveError, permissionError } from '../errors.js';
import type { Manifest, SqliteStats } from '../manifest.js';
import { silentReporter } from '../output.js';
import { tempPath } from '../archive/backups-folder.js';
import { verifyArchive } from './verify-archive.js';

export interface ArchiveVerdict {
  name: string;
  path: string;
  ok: boolean;
  problem?: string;
  manifest?: Manifest;
  database?: SqliteStats;
  vectors?: number | null;
  hasChecksums?: boolean;
}

export async function archiveVerdict(archivePath: string, scratchDir: string): Promise<ArchiveVerdict> {
  const name = path.basename(archivePath);
  const extracted = tempPath(scratchDir, '.db');
  try {
    const verified = await verifyArchive(archivePath, { extractDatabaseTo: extracted }, silentReporter);
    return {
      name,
      path: archivePath,
      ok: true,
      manifest: verified.manifest,
      database: verified.databaseStats ?? undefined,
      vectors: verified.vectors ? verified.vectors.points : (verified.snapshot?.points ?? null),
      hasChecksums: verified.hasChecksums,
    };
  } catch (err) {
    // only a damaged archive fails the check; a local problem (permissions, a full disk) stops the command
    if (!(err instanceof ArchiveError)) throw permissionError(err) ?? err;
    return { name, path: archivePath, ok: false, problem: err.problem };
  } finally {
    fs.rmSync(extracted, { force: true });
  }
}
