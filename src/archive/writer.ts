/**
 * Writes a zip archive entry by entry, hashing each entry as it streams.
 *
 * The archive goes to a temporary file opened exclusively with owner-only
 * permissions; `finish` flushes it to disk (fsync) so that a later rename
 * can publish only complete archives.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ZipArchive } from 'archiver';
import type { EntryInfo } from '../manifest.js';

/** zlib's default, the level Python's zipfile uses for ZIP_DEFLATED. */
export const COMPRESSION_LEVEL = 6;

/**
 * Deflate's output buffer: each time it fills, zlib waits for the main
 * thread to take it. A large one means few such waits per page of points;
 * zlib's 16 KiB default made deflate idle for a quarter of a backup.
 */
const DEFLATE_OUTPUT_CHUNK = 1024 * 1024;

/** Counts and hashes the bytes that pass through. */
class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.hash.update(buffer);
    this.size += buffer.length;
    callback(null, buffer);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export class ArchiveWriter {
  private readonly zip: ZipArchive;
  private readonly output: fs.WriteStream;
  private readonly closed: Promise<void>;
  /** Rejects when the zip or the file fails; never resolves. */
  private readonly failed: Promise<never>;
  private failure: Error | null = null;

  private constructor(
    readonly path: string,
    private readonly date: Date,
    Zip: typeof ZipArchive,
  ) {
    this.output = fs.createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.zip = new Zip({ zlib: { level: COMPRESSION_LEVEL, chunkSize: DEFLATE_OUTPUT_CHUNK } });
    this.closed = new Promise<void>((resolve) => this.output.on('close', resolve));
    this.failed = new Promise<never>((_resolve, reject) => {
      this.output.on('error', reject);
      this.zip.on('error', reject);
    });
    this.failed.catch((err: Error) => {
      this.failure ??= err;
    });
    this.zip.on('warning', (err: Error) => {
      this.failure ??= err;
    });
    this.zip.pipe(this.output);
  }

  /** archiver is loaded on the first archive written: a restore without a safety backup never needs it. */
  static async create(path: string, date: Date): Promise<ArchiveWriter> {
    const { ZipArchive: Zip } = await import('archiver');
    return new ArchiveWriter(path, date, Zip);
  }

  /**
   * Adds an entry; resolves once all of its bytes went into the archive.
   * `store`: write it uncompressed (data that is already compact).
   */
  async addEntry(
    name: string,
    source: Readable | Buffer | string,
    options: { store?: boolean } = {},
  ): Promise<EntryInfo> {
    this.throwIfFailed();
    const hashing = new HashingStream();
    this.zip.append(hashing, { name, date: this.date, mode: 0o600, store: options.store === true });
    const readable =
      typeof source === 'string' || Buffer.isBuffer(source) ? Readable.from([Buffer.from(source)]) : source;
    // Either the source fails, or the zip stream fails while consuming it.
    await Promise.race([pipeline(readable, hashing), this.failed]);
    this.throwIfFailed();
    return { size: hashing.size, sha256: hashing.digest() };
  }

  /** Writes the central directory, closes and fsyncs the file; returns its size. */
  async finish(): Promise<number> {
    this.throwIfFailed();
    await Promise.race([this.zip.finalize(), this.failed]);
    await Promise.race([this.closed, this.failed]);
    this.throwIfFailed();
    const fd = fs.openSync(this.path, 'r+');
    try {
      fs.fsyncSync(fd);
      return fs.fstatSync(fd).size;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Stops writing and removes the temporary file. */
  async abort(): Promise<void> {
    this.zip.abort();
    this.output.destroy();
    await this.closed;
    fs.rmSync(this.path, { force: true });
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
