/**
 * Ctrl-C: a command interrupted by SIGINT removes the temporary files it made
 * in the folders it works in, then exits with 130 (128 + SIGINT); its lock is
 * released by the lock's own exit hook. What a killed run leaves (SIGKILL,
 * power loss) is removed by the next run instead.
 */
import { removeOwnTempFiles } from './archive/backups-folder.js';

const folders = new Set<string>();

/** Temporary files of this process in `dir` are removed on Ctrl-C. */
export function cleanOnInterrupt(dir: string): void {
  folders.add(dir);
}

export function exitCleanlyOnInterrupt(name: string): void {
  process.once('SIGINT', () => {
    for (const dir of folders) removeOwnTempFiles(dir);
    process.stderr.write(`[CANCELLED] ${name} was interrupted; its temporary files were removed.\n`);
    process.exit(130);
  });
}
