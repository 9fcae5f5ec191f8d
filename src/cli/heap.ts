/**
 * Keeps V8's young generation at its starting size. By default it doubles
 * whenever many objects survive a scavenge, up to 2 x 16 MB on 64-bit, and a
 * backup's scroll pages grow it to the maximum: up to 30 MB of the tools'
 * peak memory, for no speed (README, performance). The growth factor is read
 * each time the space grows, so it can still be set once the process runs,
 * unlike the maximum (--max-semi-space-size works only on node's command
 * line). Should a future V8 ignore it, only memory use changes.
 *
 * Called once the flags are parsed, before a command's modules load (they
 * grow the space too): --help and --version then never load node:v8.
 */
import { createRequire } from 'node:module';
import type V8 from 'node:v8';

export function keepYoungGenerationSmall(): void {
  const v8 = createRequire(import.meta.url)('node:v8') as typeof V8;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
