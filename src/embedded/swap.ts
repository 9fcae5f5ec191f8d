/**
 * Puts a verified embedded store in place of the live one.
 *
 * The live folder is renamed aside, then the staged folder renamed into its
 * place: at every moment one complete store exists under one of the two
 * names, and both renames stay inside the repository folder (one file
 * system). The previous store stays aside (named with ASIDE_MARK) until the
 * whole restore has succeeded, so a later failure, or the next run after a
 * crash, can put it back exactly.
 */
import fs from 'node:fs';

/** Marks a previous store kept aside: qdrant_data.ba-previous-<pid>. */
export const ASIDE_MARK = '.ba-previous-';

export function swapInEmbedded(stagedDir: string, liveDir: string): void {
  const aside = fs.existsSync(liveDir) ? `${liveDir}${ASIDE_MARK}${process.pid}` : null;
  if (aside) {
    fs.rmSync(aside, { recursive: true, force: true });
    fs.renameSync(liveDir, aside);
  }
  try {
    fs.renameSync(stagedDir, liveDir);
  } catch (err) {
    if (aside) fs.renameSync(aside, liveDir);
    throw err;
  }
}
