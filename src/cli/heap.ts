/**
 * Keeps V8's young generation at its starting size. By default it doubles
 * whenever many objects survive a scavenge, up to 2 x 16 MB on 64-bit, and a
 * backup's scroll pages and deflate blocks make it grow to the maximum: a
 * third of the tools' peak memory (measured: 2k-point backup 141 MB -> see the
 * README's performance section). The growth factor is read each time the
 * space grows, so it can still be set once the process runs, unlike the
 * maximum (--max-semi-space-size only works on node's command line). Should a
 * future V8 ignore it, only memory use changes.
 */
import v8 from 'node:v8';

export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
