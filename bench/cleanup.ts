/**
 * Everything the benchmark must undo (child processes, temporary folders),
 * undone on normal exit, on failure and on Ctrl-C / SIGTERM. Each action is
 * synchronous so that it also runs from a signal or 'exit' handler.
 */
import fs from 'node:fs';

type Action = () => void;

const actions = new Map<number, Action>();
let next = 1;
let installed = false;

/** Registers an undo action; returns a function that runs it now (once) and forgets it. */
export function onCleanup(action: Action): () => void {
  install();
  const id = next++;
  actions.set(id, action);
  return () => {
    if (!actions.delete(id)) return;
    action();
  };
}

export function removeFolderOnCleanup(dir: string): () => void {
  return onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
}

/** Runs every pending action, newest first. */
export function cleanupAll(): void {
  const pending = [...actions.entries()].reverse();
  actions.clear();
  for (const [, action] of pending) {
    try {
      action();
    } catch (err) {
      process.stderr.write(`bench cleanup: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      cleanupAll();
      process.exit(130);
    });
  }
}
