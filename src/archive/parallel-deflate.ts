/**
 * One deflate stream compressed on every core, as pigz does: the input is cut
 * into blocks, each deflated on its own on libuv's thread pool with the
 * previous block's last 32 KiB as its dictionary (so matches still reach
 * back across the cut) and ended with a sync flush, which leaves it
 * byte-aligned with no final-block bit; the last block ends with Z_FINISH.
 * Laid end to end, in order, the blocks are one valid raw deflate stream.
 *
 * Blocks in flight are bounded, so memory stays flat whatever the entry's size.
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';

/** Deflate's window: the most a match can reach back, so the most a dictionary can help. */
const WINDOW = 32 * 1024;

export interface DeflateOptions {
  level: number;
  /** zlib's strategy; its default when absent. */
  strategy?: number;
  /** Bytes per block; each block costs one thread-pool job. */
  blockSize: number;
  /** Blocks deflating at once: enough to keep every pool thread busy. */
  inFlight: number;
}

/** Blocks of 512 KiB: a sync flush costs a few bytes each, and a job is long enough to dwarf its round trip. */
export const DEFAULT_BLOCK_SIZE = 512 * 1024;

/** libuv's thread pool size: UV_THREADPOOL_SIZE, or its default of 4. */
export function threadPoolSize(): number {
  const pool = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(pool) && pool > 0 ? pool : 4;
}

/** One more block than libuv has threads, so a thread never waits for the main thread to hand it work. */
export function defaultInFlight(): number {
  return threadPoolSize() + 1;
}

export interface DeflatedEntry {
  size: number;
  compressedSize: number;
  crc32: number;
  sha256: string;
}

/**
 * An entry's input, as it comes: bytes, text, or bytes in pieces (a scroll
 * page's points and their separators). Pieces are hashed and copied into the
 * blocks one by one: joining a 1 MB page first cost a fresh buffer and a copy
 * per page (profile of a 2,000-point backup: 84 ms of 1.2 s on the main thread).
 */
export type EntryChunk = Buffer | string | readonly Buffer[];

function piecesOf(chunk: EntryChunk): readonly Buffer[] {
  if (typeof chunk === 'string') return [Buffer.from(chunk, 'utf8')];
  return Buffer.isBuffer(chunk) ? [chunk] : chunk;
}

/**
 * Deflates `source` (or stores it, when `level` is null) into `write`, in
 * order, and returns its sizes, CRC-32 and SHA-256.
 */
export async function deflateEntry(
  source: AsyncIterable<EntryChunk> | Iterable<EntryChunk>,
  write: (data: Buffer) => Promise<void>,
  options: DeflateOptions | null,
): Promise<DeflatedEntry> {
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  let compressedSize = 0;
  const emit = async (data: Buffer): Promise<void> => {
    compressedSize += data.length;
    if (data.length > 0) await write(data);
  };
  const blocks = options ? new BlockDeflater(options, emit) : null;
  for await (const chunk of source) {
    const pieces = piecesOf(chunk);
    for (const piece of pieces) {
      hash.update(piece);
      crc = zlib.crc32(piece, crc);
      size += piece.length;
      if (blocks) await blocks.push(piece);
    }
    if (!blocks) await emit(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
  }
  if (blocks) await blocks.end();
  return { size, compressedSize, crc32: crc >>> 0, sha256: hash.digest('hex') };
}

/**
 * Gathers input into blocks, deflates them in parallel and emits their output
 * in order. Block buffers are reused and output comes in 64 KiB chunks that
 * are never copied again: dead buffers are freed only when V8 collects, which
 * a deflate's few JS objects seldom cause, so buffers made per block piled up
 * to 30 MB of the tools' peak memory.
 */
class BlockDeflater {
  private block: Buffer | null = null;
  private filled = 0;
  private readonly spareBlocks: Buffer[] = [];
  private dictionary: Buffer | null = null;
  private readonly inFlight: Array<Promise<Buffer[]>> = [];

  constructor(
    private readonly options: DeflateOptions,
    private readonly emit: (data: Buffer) => Promise<void>,
  ) {}

  async push(buffer: Buffer): Promise<void> {
    let offset = 0;
    while (offset < buffer.length) {
      const block = (this.block ??= this.spareBlocks.pop() ?? Buffer.allocUnsafeSlow(this.options.blockSize));
      // a copy: the source may reuse its buffers once they are handed over
      const copied = buffer.copy(block, this.filled, offset);
      offset += copied;
      this.filled += copied;
      if (this.filled === block.length) await this.startBlock(zlib.constants.Z_SYNC_FLUSH);
    }
  }

  /** Deflates what is left as the final block (an empty one for empty input), then drains. */
  async end(): Promise<void> {
    await this.startBlock(zlib.constants.Z_FINISH);
    while (this.inFlight.length > 0) await this.emitOldest();
  }

  private async startBlock(finishFlush: number): Promise<void> {
    const block = this.block;
    const data = block ? block.subarray(0, this.filled) : Buffer.alloc(0);
    this.block = null;
    this.filled = 0;
    const job = deflateBlock(data, {
      level: this.options.level,
      strategy: this.options.strategy, // zlib takes undefined as its default
      finishFlush,
      ...(this.dictionary ? { dictionary: this.dictionary } : {}),
    }).then((output) => {
      if (block) this.spareBlocks.push(block);
      return output;
    });
    // Caught here too, so a failure while earlier blocks are awaited is not reported as unhandled.
    job.catch(() => undefined);
    this.inFlight.push(job);
    // a copy, as the block's buffer is reused once it is deflated
    if (data.length > 0) this.dictionary = Buffer.from(data.subarray(Math.max(0, data.length - WINDOW)));
    if (this.inFlight.length >= this.options.inFlight) await this.emitOldest();
  }

  private async emitOldest(): Promise<void> {
    for (const chunk of await this.inFlight.shift()!) await this.emit(chunk);
  }
}

/** Output in chunks of 64 KiB: a 512 KiB block deflates into a few of them. */
const OUTPUT_CHUNK = 64 * 1024;

/** Deflates one block on the thread pool; resolves with its output once zlib has read all of it. */
function deflateBlock(block: Buffer, options: zlib.ZlibOptions): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const deflate = zlib.createDeflateRaw({ ...options, chunkSize: OUTPUT_CHUNK });
    const output: Buffer[] = [];
    deflate.on('data', (chunk: Buffer) => output.push(chunk));
    deflate.once('end', () => resolve(output));
    deflate.once('error', reject);
    deflate.end(block);
  });
}
