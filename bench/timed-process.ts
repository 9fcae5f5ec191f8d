/**
 * Runs a command as a whole child process and measures its wall time and the
 * peak resident set size (RSS) of that process.
 *
 * Peak RSS comes from GNU time (`/usr/bin/time -f %M`, the kernel's
 * ru_maxrss of the child) when it is installed; otherwise, on Linux, from
 * polling /proc/<pid>/status VmHWM (the kernel's own high-water mark) every
 * few milliseconds until the process exits.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { onCleanup } from './cleanup.js';
import { processCpuMs } from './cpu.js';

export type RssMethod = 'gnu-time' | 'proc' | 'none';

export function describeRssMethod(method: RssMethod): string {
  if (method === 'gnu-time') return '/usr/bin/time -f %M (ru_maxrss of the process)';
  if (method === 'proc') return 'polling /proc/<pid>/status VmHWM every 5 ms';
  return 'not measured (no GNU time, no /proc)';
}

export function detectRssMethod(): RssMethod {
  const tmp = path.join(os.tmpdir(), `ba-bench-time-${process.pid}.txt`);
  try {
    if (fs.existsSync('/usr/bin/time')) {
      const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', tmp, process.execPath, '-e', '0'], { stdio: 'ignore' });
      if (r.status === 0 && /^\d+\s*$/.test(fs.readFileSync(tmp, 'utf8').trim().split('\n').pop() ?? ''))
        return 'gnu-time';
    }
  } catch {
    // fall through
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return fs.existsSync(`/proc/${process.pid}/status`) ? 'proc' : 'none';
}

export interface TimedRun {
  wallMs: number;
  /** Peak RSS in bytes, or null when it could not be measured. */
  peakRss: number | null;
  /** CPU time (user + system) of the process in ms, or null. */
  cpuMs: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface TimedOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  rss: RssMethod;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

function readHwmKb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Runs `node [nodeFlags] script args...` and waits for it to exit. */
export async function runTimed(script: string, args: string[], options: TimedOptions): Promise<TimedRun> {
  const nodeArgs = [...(options.nodeFlags ?? []), script, ...args];
  const timeFile = path.join(os.tmpdir(), `ba-bench-rss-${process.pid}-${Date.now()}.txt`);
  const [command, commandArgs] =
    options.rss === 'gnu-time'
      ? ['/usr/bin/time', ['-f', '%M %U %S', '-o', timeFile, process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
  const started = performance.now();
  // its own process group, so that a failed or interrupted benchmark can stop
  // GNU time and the tool under it together
  const child = spawn(command, commandArgs, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stop = onCleanup(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let hwmKb: number | null = null;
  let polledCpuMs: number | null = null;
  let poll: NodeJS.Timeout | undefined;
  if (options.rss === 'proc' && child.pid !== undefined) {
    const pid = child.pid;
    poll = setInterval(() => {
      const kb = readHwmKb(pid);
      if (kb !== null && (hwmKb === null || kb > hwmKb)) hwmKb = kb;
      polledCpuMs = processCpuMs(pid) ?? polledCpuMs;
    }, 5);
  }
  const { code, signal, wallMs } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    wallMs: number;
  }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve({ code: c, signal: s, wallMs: performance.now() - started }));
  });
  if (poll) clearInterval(poll);
  stop();
  await closed; // the pipes are drained
  let peakRss: number | null = hwmKb === null ? null : hwmKb * 1024;
  let cpuMs: number | null = polledCpuMs;
  if (options.rss === 'gnu-time') {
    try {
      // "Command exited with non-zero status N" may come first; ours is the last line
      const last = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
      const m = /^(\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(last);
      peakRss = m ? Number(m[1]) * 1024 : null;
      cpuMs = m ? (Number(m[2]) + Number(m[3])) * 1000 : null;
    } catch {
      peakRss = null;
    } finally {
      fs.rmSync(timeFile, { force: true });
    }
  }
  return { wallMs, peakRss, cpuMs, code, signal, stdout, stderr };
}
