// Temporary directories for tests, removed together by cleanupTempDirs() (call it in after()).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created = new Set<string>();

/** Creates a fresh directory under os.tmpdir() whose name starts with `prefix`. */
export function makeTempDir(prefix: string): string {
  const safePrefix = prefix.replace(/[^A-Za-z0-9._-]/g, '_');
  const dir = mkdtempSync(path.join(os.tmpdir(), `${safePrefix}-`));
  created.add(dir);
  return dir;
}

/** Removes every directory made by makeTempDir in this process. */
export function cleanupTempDirs(): void {
  for (const dir of created) {
    rmSync(dir, { recursive: true, force: true });
    created.delete(dir);
  }
}
