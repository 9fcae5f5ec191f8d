/**
 * Fixed cost: how long the bins take to start, against bare Node, as the
 * median of 20 runs each (--version and --help load only the flag
 * declarations; the work modules come after parsing). The commands take
 * turns, so that a change in the machine's load touches them all alike.
 *
 * Where NODE_EXTRA_CA_CERTS is set, Node 20 reads and parses that file
 * before any script runs (measured: about 60 ms of every start with
 * Debian's bundle); the bare start and --version are then timed without it
 * too, so that what the bins add stays apart from what the environment adds.
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

interface StartupCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

const CA_VARIABLE = 'NODE_EXTRA_CA_CERTS';

function commands(): StartupCommand[] {
  const env = process.env;
  const list: StartupCommand[] = [
    { command: 'node -e 0 (bare Node)', args: ['-e', '0'], env },
    { command: 'ba-backup --version', args: [BIN.backup, '--version'], env },
    { command: 'ba-backup --help', args: [BIN.backup, '--help'], env },
    { command: 'ba-restore --help', args: [BIN.restore, '--help'], env },
  ];
  if (env[CA_VARIABLE] === undefined) return list;
  const withoutCa = { ...env };
  delete withoutCa[CA_VARIABLE];
  return list.concat(
    { command: `node -e 0, no ${CA_VARIABLE}`, args: ['-e', '0'], env: withoutCa },
    { command: `ba-backup --version, no ${CA_VARIABLE}`, args: [BIN.backup, '--version'], env: withoutCa },
  );
}

function wallMs({ args, env }: StartupCommand): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: 'ignore', env });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
  return performance.now() - started;
}

export function measureStartup(): StartupFigure[] {
  const list = commands();
  const walls = list.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) list.forEach((command, k) => walls[k]!.push(wallMs(command)));
  return list.map(({ command }, k) => ({ command, medianMs: median(walls[k]!) }));
}

/** A line on what the environment adds to every start, or null when it adds nothing known. */
export function startupEnvironmentNote(): string | null {
  return process.env[CA_VARIABLE] === undefined
    ? null
    : `${CA_VARIABLE} is set: Node reads and parses that certificate file before any script runs, in every start (compare the lines without it)`;
}
