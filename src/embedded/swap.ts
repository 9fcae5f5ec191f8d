/**
 * Puts a verified embedded store in place of the live one.
 *
 * The live folder is renamed aside, then the staged folder renamed into its
 * place: at every moment one complete store exists under one of the two
 * names, and both renames stay inside the repository folder (one file
 * system). The previous store is kept aside until the whole restore has
 * succeeded, so a later failure can put it back exactly.
 */
import fs from 'node:fs';

export interface EmbeddedSwap {
  /** The previous store's folder while it is kept aside, or null if there was none. */
  readonly asidePath: string | null;
  /** Puts the previous store back (or removes the new one if there was none). */
  undo(): void;
  /** Deletes the previous store: the restore is complete. */
  commit(): void;
}

export function swapInEmbedded(stagedDir: string, liveDir: string): EmbeddedSwap {
  const aside = fs.existsSync(liveDir) ? `${liveDir}.ba-previous-${process.pid}` : null;
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
  return {
    asidePath: aside,
    undo: () => {
      fs.rmSync(liveDir, { recursive: true, force: true });
      if (aside) fs.renameSync(aside, liveDir);
    },
    commit: () => {
      if (aside) fs.rmSync(aside, { recursive: true, force: true });
    },
  };
}
