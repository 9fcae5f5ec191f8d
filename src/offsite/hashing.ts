/** SHA-256 of what streams through, for copies checked without trusting the transport. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface HashingStream {
  stream: Transform;
  bytes(): number;
  /** The digest (hex), once the stream has ended. */
  sha256(): string;
}

/**
 * Passes bytes through unchanged, hashing and counting them; `atEnd` sees the
 * totals once everything has passed and may fail the stream with an error.
 */
export function hashingStream(
  onBytes?: (total: number) => void,
  atEnd?: (bytes: number, sha256: string) => Error | null,
): HashingStream {
  const hash = createHash('sha256');
  let total = 0;
  let digest: string | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      total += chunk.length;
      onBytes?.(total);
      done(null, chunk);
    },
    flush(done) {
      digest = hash.digest('hex');
      done(atEnd?.(total, digest) ?? null);
    },
  });
  return {
    stream,
    bytes: () => total,
    sha256: () => {
      if (digest === undefined) throw new Error('the stream has not ended');
      return digest;
    },
  };
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}
