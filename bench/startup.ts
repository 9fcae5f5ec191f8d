/**
 * Fixed cost: how long the bins take to start, against bare Node, as the
 * median of 20 runs each (--version and --help load only the flag
 * declarations; the work modules come after parsing). The commands take
 * turns, so that a change in the machine's load touches them all alike.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { BIN } from '../test/support/cli.js';
import { median } from './format.js';

export const STARTUP_LIMIT_MS = 150;
const RUNS = 20;

export interface StartupFigure {
  command: string;
  medianMs: number;
}

const COMMANDS: ReadonlyArray<{ command: string; args: string[] }> = [
  { command: 'node -e 0 (bare Node)', args: ['-e', '0'] },
  { command: 'ba-backup --version', args: [BIN.backup, '--version'] },
  { command: 'ba-backup --help', args: [BIN.backup, '--help'] },
  { command: 'ba-restore --help', args: [BIN.restore, '--help'] },
];

function wallMs(args: string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
  return performance.now() - started;
}

export function measureStartup(): StartupFigure[] {
  const walls = COMMANDS.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) COMMANDS.forEach(({ args }, k) => walls[k]!.push(wallMs(args)));
  return COMMANDS.map(({ command }, k) => ({ command, medianMs: median(walls[k]!) }));
}
