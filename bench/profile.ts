/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and
 * per module, from the samples and their time deltas.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  functions: SelfTime[];
  modules: SelfTime[];
}

/** A short label for a script URL: the package, the project file, or node's internal module. */
function moduleOf(url: string): string {
  if (url === '') return '(native / V8)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return path.basename(url);
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  const fn = new Map<string, SelfTime>();
  const mod = new Map<string, SelfTime>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const where = url === '' ? '' : `${moduleOf(url)}:${lineNumber + 1}`;
    const key = `${name}\u0000${where}`;
    const f = fn.get(key) ?? { name, where, ms: 0 };
    f.ms += us / 1000;
    fn.set(key, f);
    const m = moduleOf(url);
    const label = url === '' && name.startsWith('(') ? name : m;
    const e = mod.get(label) ?? { name: label, where: '', ms: 0 };
    e.ms += us / 1000;
    mod.set(label, e);
  }
  const sort = (xs: Iterable<SelfTime>): SelfTime[] => [...xs].sort((a, b) => b.ms - a.ms).slice(0, top);
  return { file, totalMs: totalUs / 1000, functions: sort(fn.values()), modules: sort(mod.values()) };
}

/** The newest .cpuprofile in dir written after `since` (ms since epoch). */
export function newestProfile(dir: string, since: number): string | null {
  let best: { file: string; mtime: number } | null = null;
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.cpuprofile')) continue;
    const file = path.join(dir, name);
    const mtime = fs.statSync(file).mtimeMs;
    if (mtime >= since - 1000 && (!best || mtime > best.mtime)) best = { file, mtime };
  }
  return best?.file ?? null;
}
