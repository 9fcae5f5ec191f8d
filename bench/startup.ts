/**
 * Fixed cost: how long the bins take to start, against bare Node, as the
 * median of 20 runs each (--version and --help load only the flag
 * declarations; the work modules come after parsing).
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { BIN } from '../test/support/cli.js';

export const STARTUP_LIMIT_MS = 150;
const RUNS = 20;

export interface StartupFigure {
  command: string;
  medianMs: number;
}

function medianWall(args: string[]): number {
  const walls: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const started = performance.now();
    const run = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
    walls.push(performance.now() - started);
  }
  walls.sort((a, b) => a - b);
  return (walls[RUNS / 2 - 1]! + walls[RUNS / 2]!) / 2;
}

export function measureStartup(): StartupFigure[] {
  return [
    { command: 'node -e 0 (bare Node)', medianMs: medianWall(['-e', '0']) },
    { command: 'ba-backup --version', medianMs: medianWall([BIN.backup, '--version']) },
    { command: 'ba-backup --help', medianMs: medianWall([BIN.backup, '--help']) },
    { command: 'ba-restore --help', medianMs: medianWall([BIN.restore, '--help']) },
  ];
}
