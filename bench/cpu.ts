/**
 * CPU accounting on Linux, to tell a slow tool from a busy machine: how many
 * cores the rest of the machine (processes other than the benchmark's own)
 * kept busy while a command ran. Other programs on a 2-core laptop change
 * wall times a lot; the figure is printed beside the timings.
 */
import fs from 'node:fs';

const HZ = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

/** Busy CPU time of the whole machine in ms, or null when /proc/stat is not there. */
export function machineBusyMs(): number | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return (busy * 1000) / HZ;
  } catch {
    return null;
  }
}

/** CPU time (user + system) of one process in ms, or null. */
export function processCpuMs(pid: number): number | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state is field 3, utime 14, stime 15 -> indexes 11 and 12 here
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / HZ;
  } catch {
    return null;
  }
}

export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface CpuWindow {
  /** Stops the window; `toolMs` is the measured command's own CPU time, when known. */
  end(toolMs: number | null): { othersCores: number | null; serverMs: number | null };
}

/** Starts watching the machine; `serverPid` is the benchmark's own test server. */
export function startCpuWindow(serverPid: number): CpuWindow {
  const t0 = performance.now();
  const busy0 = machineBusyMs();
  const server0 = processCpuMs(serverPid);
  const own0 = ownCpuMs();
  return {
    end(toolMs) {
      const wall = performance.now() - t0;
      const busy1 = machineBusyMs();
      const server1 = processCpuMs(serverPid);
      const own = ownCpuMs() - own0;
      const serverMs = server0 === null || server1 === null ? null : server1 - server0;
      if (busy0 === null || busy1 === null || serverMs === null || toolMs === null || wall <= 0)
        return { othersCores: null, serverMs };
      const others = busy1 - busy0 - serverMs - own - toolMs;
      return { othersCores: Math.max(0, others) / wall, serverMs };
    },
  };
}

/**
 * Waits (up to maxMs) until the rest of the machine keeps fewer than
 * `cores` cores busy over one second; returns how long it waited and the
 * last load seen (null without /proc).
 */
export async function waitForQuiet(
  serverPid: number,
  maxMs: number,
  cores = 0.25,
): Promise<{ waitedMs: number; othersCores: number | null }> {
  const started = performance.now();
  for (;;) {
    const window = startCpuWindow(serverPid);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const others = window.end(0).othersCores;
    const waited = performance.now() - started;
    if (others === null || others < cores || waited >= maxMs) return { waitedMs: waited, othersCores: others };
  }
}
