/** Command line of the benchmark: npm run bench -- --memories N --dims D [--runs R] ... */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** One size, or several (comma-separated) measured one after the other. */
  sizes: number[];
  dims: number;
  runs: number;
  /** Passed to both tools as --batch-size when set. */
  batchSize: number | null;
  /** Passed to ba-restore as --concurrency when set. */
  concurrency: number | null;
  /** Points per upsert while loading the test server. */
  loadBatch: number;
  /** Skip the in-harness replay of the phases. */
  phases: boolean;
  /** When set, one more run of each tool under --cpu-prof, profiles kept in this folder. */
  profileDir: string | null;
  /** Write the figures as JSON to this file. */
  jsonOut: string | null;
  /** Keep the temporary folder (store, archives) for inspection. */
  keep: boolean;
  /** Longest wait, in seconds, for a quiet machine before each timed run (0: do not wait). */
  settle: number;
}

export const USAGE = `usage: npm run bench -- [--memories N[,N...]] [--dims D] [--runs R]
                      [--batch-size B] [--concurrency C] [--load-batch L]
                      [--no-phases] [--profile DIR] [--json FILE] [--keep] [--settle S]
  --memories   points (= memories) in the fixture store; a comma list measures several sizes (default 20000)
  --dims       vector size (default 768)
  --runs       timed runs of each command; the median is reported (default 3)
  --batch-size passed to ba-backup and ba-restore (default: the tools' own, 100)
  --concurrency passed to ba-restore (default: the tool's own)
  --load-batch points per upsert when loading the test server (default 500)
  --no-phases  skip the replay of the phases (where the time goes)
  --profile    after the timed runs, run each command once more under node --cpu-prof,
               keep the .cpuprofile files in DIR and print the top self-time functions
  --json       also write the figures to FILE as JSON
  --keep       keep the temporary folder (store, archives, extracted entries)
  --settle     before each timed run, wait up to S seconds until other programs use less than
               a quarter of a core (default 30; 0 does not wait)`;

export class UsageProblem extends Error {}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1)
    throw new UsageProblem(`--${name} must be a whole number >= 1, got ${JSON.stringify(text)}`);
  return value;
}

/** Accepts 2000, 2_000, 2k, 100k. */
function sizeList(text: string | undefined): number[] {
  if (text === undefined) return [20000];
  return text.split(',').map((part) => {
    const m = /^(\d[\d_]*)(k?)$/i.exec(part.trim());
    if (!m)
      throw new UsageProblem(`--memories takes whole numbers (e.g. 20000 or 2k,20k,100k), got ${JSON.stringify(part)}`);
    const value = Number(m[1]!.replace(/_/g, '')) * (m[2] ? 1000 : 1);
    if (value < 1) throw new UsageProblem('--memories must be >= 1');
    return value;
  });
}

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      memories: { type: 'string' },
      dims: { type: 'string' },
      runs: { type: 'string' },
      'batch-size': { type: 'string' },
      concurrency: { type: 'string' },
      'load-batch': { type: 'string' },
      'no-phases': { type: 'boolean' },
      profile: { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean' },
      settle: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  return {
    sizes: sizeList(values.memories),
    dims: positiveInt('dims', values.dims, 768),
    runs: positiveInt('runs', values.runs, 3),
    batchSize: values['batch-size'] === undefined ? null : positiveInt('batch-size', values['batch-size'], 100),
    concurrency: values.concurrency === undefined ? null : positiveInt('concurrency', values.concurrency, 2),
    loadBatch: positiveInt('load-batch', values['load-batch'], 500),
    phases: values['no-phases'] !== true,
    profileDir: values.profile ?? null,
    jsonOut: values.json ?? null,
    keep: values.keep === true,
    settle: values.settle === '0' ? 0 : positiveInt('settle', values.settle, 30),
  };
}
