/**
 * How the commands talk to the user. Progress and warnings go through a
 * Reporter so the core never writes to the terminal itself:
 * - people: steps on stdout, warnings on stderr, progress bars on stderr
 *   only when stderr is a terminal (plain start and end lines otherwise);
 * - --quiet: warnings only;
 * - --json: nothing but the final JSON document; warnings are collected
 *   into it.
 * Every string that came from an archive or a server is printed with control
 * characters escaped (a description must not move the cursor or clear the
 * screen).
 */
import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import { pad } from './local-time.js';

export interface Progress {
  update(done: number): void;
  /** Ends the bar; a line-mode bar reports the work as done only when it succeeded (the error follows otherwise). */
  finish(succeeded?: boolean): void;
}

export interface Reporter {
  /** A step of the work, e.g. "[INFO] Exporting vectors...". */
  info(line: string): void;
  /** Something the user should know but that does not stop the work. */
  warn(line: string): void;
  /** Long work with a known (or unknown: null) total, counted in items or in bytes. */
  progress(label: string, total: number | null, unit?: 'bytes'): Progress;
}

const noProgress: Progress = { update: () => undefined, finish: () => undefined };

export const silentReporter: Reporter = { info: () => undefined, warn: () => undefined, progress: () => noProgress };

export type OutputMode = 'human' | 'quiet' | 'json';

export interface ConsoleReporter extends Reporter {
  /** Warnings given so far (for --json). */
  readonly warnings: string[];
}

export function consoleReporter(mode: OutputMode = 'human'): ConsoleReporter {
  const warnings: string[] = [];
  return {
    warnings,
    // Lines quote archive names, paths and server answers: each is escaped
    // here once more, so that no caller can forget it (escaping is idempotent).
    info: (line) => {
      if (mode === 'human') process.stdout.write(`${printable(line)}\n`);
    },
    warn: (line) => {
      warnings.push(line);
      if (mode !== 'json') process.stderr.write(`[WARNING] ${printable(line)}\n`);
    },
    progress: (label, total, unit) => {
      if (mode !== 'human') return noProgress;
      if (process.stderr.isTTY) return barProgress(label, total);
      return lineProgress(label, unit);
    },
  };
}

/** Loaded only for a terminal: scripts and cron jobs never pay for it. */
function loadCliProgress(): typeof CliProgress {
  return createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
}

function barProgress(label: string, total: number | null): Progress {
  const cliProgress = loadCliProgress();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format:
        total === null ? `${label} {value}` : `${label} [{bar}] {percentage}% {value}/{total} ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0);
  let last = 0;
  return {
    update: (done) => {
      last = done;
      if (total !== null && done > total) bar.setTotal(done);
      bar.update(done);
    },
    finish: () => {
      bar.update(last);
      bar.stop();
    },
  };
}

function lineProgress(label: string, unit?: 'bytes'): Progress {
  const started = Date.now();
  let last = 0;
  process.stdout.write(`[INFO] ${label}...\n`);
  return {
    update: (done) => {
      last = done;
    },
    finish: (succeeded = true) => {
      if (succeeded)
        process.stdout.write(
          `[OK] ${label}: ${unit === 'bytes' ? formatBytes(last) : last} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
        );
    },
  };
}

/** Escapes C0/C1 control characters and DEL so the text prints as one inert line. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** The text, cut to `max` characters with an ellipsis when it is longer. */
export function clipped(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  // computed in powers of 1024, so named so
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "3 hours", "2 days": an age in its largest whole unit. */
export function describeAge(ms: number): string {
  const [unit, size] = ms >= 2 * DAY ? ['day', DAY] : ms >= 2 * HOUR ? ['hour', HOUR] : ['minute', MINUTE];
  const n = Math.max(0, Math.floor(ms / size));
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/**
 * When an archive was made, in this machine's local time with its UTC offset
 * and the age: "2026-11-30 14:05:09 +01:00 (3 hours ago)". Archives of the
 * original tool record only the local time of the machine that made them.
 */
export function formatCreated(
  created: { created_at: string; created_at_utc?: string },
  nowMs: number = Date.now(),
): string {
  const utc = created.created_at_utc ? Date.parse(created.created_at_utc) : Number.NaN;
  if (Number.isNaN(utc)) return `${printable(created.created_at)} (local time where it was made)`;
  const d = new Date(utc);
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${local} ${zone} (${describeAge(nowMs - utc)} ago)`;
}

/**
 * Prints one JSON document on stdout. JSON.stringify escapes C0 controls but
 * leaves DEL and the C1 range (U+0080-U+009F, where U+009B is a terminal's
 * CSI) raw; they can only occur inside strings, where \u escapes are exact.
 */
export function printJson(document: unknown): void {
  const text = JSON.stringify(document, null, 2).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  process.stdout.write(`${text}\n`);
}
