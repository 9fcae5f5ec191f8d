/**
 * V8 settings that keep the tools' peak memory flat while gigabytes stream
 * through them (README, performance, has the measurements). Set by the bins
 * once the flags are parsed, before a command's modules load; a library
 * user of the core gets V8's defaults. Should a future V8 drop a flag, only
 * memory use changes (and V8 says so on stderr).
 */
import { createRequire } from 'node:module';
import type V8 from 'node:v8';
import type VM from 'node:vm';

const require = createRequire(import.meta.url);

/** Bytes of Buffers that may die between two young-generation collections. */
const RELEASE_EVERY = 8 * 1024 * 1024;

/** null: off (settings not applied, or V8 would not hand out gc()); undefined: on, gc() not fetched yet. */
let collectYoung: (() => void) | null | undefined = null;
let sinceCollect = 0;

/**
 * - The young generation stays at its starting size. By default it doubles
 *   whenever many objects survive a scavenge, up to 2 x 16 MB on 64-bit, and
 *   a backup's scroll pages grow it to the maximum: up to 30 MB of peak
 *   memory, for no speed. The growth factor is read each time the space
 *   grows, so it can still be set once the process runs.
 * - WebAssembly is compiled by its baseline compiler only (Liftoff, which
 *   compiles all of it first anyway; V8 lists the flag as for testing). Its
 *   only user here is undici's HTTP parser (llhttp), which the Qdrant client
 *   and Node's fetch each compile; the optimizing compiler then added a
 *   20-25 MB burst of memory as a restore's first upserts went out: the top
 *   of its peak (--no-wasm-tier-up does not prevent it: measured). The
 *   parser reads a few small answers, so the slower code costs nothing
 *   measurable.
 * - Streams that drop what they read may free it as they go:
 *   releaseDeadBuffers.
 *
 * --help and --version never get here, so they never load node:v8.
 */
export function applyMemorySettings(): void {
  const v8 = require('node:v8') as typeof V8;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  // where Liftoff compiles everything (elsewhere only memory changes); a module it cannot
  // compile (SIMD on a CPU without it) fails to compile, and undici then takes its plain build
  if (process.arch === 'x64' || process.arch === 'arm64') v8.setFlagsFromString('--liftoff-only');
  collectYoung = undefined;
}

/**
 * Notes that `bytes` of Buffers went through a stream and are now dead.
 * A Buffer's memory is freed only when V8 collects the small object that
 * owns it, and a stream that only moves bytes makes too few objects for V8
 * to collect: dead Buffers piled up to 32 MB of an archive check's peak.
 * Every 8 MB, a scavenge (a fraction of a millisecond on a heap this small)
 * frees them. A no-op unless applyMemorySettings ran.
 */
export function releaseDeadBuffers(bytes: number): void {
  if (collectYoung === null) return;
  sinceCollect += bytes;
  if (sinceCollect < RELEASE_EVERY) return;
  sinceCollect = 0;
  collectYoung ??= youngCollector();
  collectYoung?.();
}

/** V8's gc(), asked for a scavenge only; null if V8 does not hand it out. */
function youngCollector(): (() => void) | null {
  const v8 = require('node:v8') as typeof V8;
  v8.setFlagsFromString('--expose-gc');
  try {
    // the flag shows gc() only to contexts made after it is set
    const gc = (require('node:vm') as typeof VM).runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? () => (gc as (options: object) => void)({ type: 'minor' }) : null;
  } catch {
    return null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}
