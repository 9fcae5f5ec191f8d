/**
 * Ctrl-C: a command interrupted by SIGINT runs the clean-ups registered with
 * onInterrupt (removing its temporary files), then exits with 130 (128 +
 * SIGINT); its lock is released by the lock's own exit hook. What a killed run
 * leaves (SIGKILL, power loss) is removed by the next run instead. This module
 * imports nothing: it is loaded by every start, also --help.
 */
const cleanups = new Set<() => void>();

/** `clean` runs, synchronously, if the command is interrupted. */
export function onInterrupt(clean: () => void): void {
  cleanups.add(clean);
}

export function exitCleanlyOnInterrupt(name: string): void {
  process.once('SIGINT', () => {
    for (const clean of cleanups) clean();
    process.stderr.write(`[CANCELLED] ${name} was interrupted; its temporary files were removed.\n`);
    process.exit(130);
  });
}
