/**
 * Writes a zip archive entry by entry, hashing each entry as it streams.
 *
 * Entries are deflated on every core (parallel-deflate.ts) into one stream
 * each, so the zip is written here rather than by a library that deflates
 * for itself (zip-records.ts holds the records). The archive goes to a
 * temporary file opened exclusively with owner-only permissions; `finish`
 * flushes it to disk (fsync) so that a later rename can publish only
 * complete archives.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { EntryInfo } from '../manifest.js';
import { DEFAULT_BLOCK_SIZE, defaultInFlight, deflateEntry, type DeflateOptions } from './parallel-deflate.js';
import {
  type CentralEntry,
  centralHeader,
  dataDescriptor,
  dosDateTime,
  endRecords,
  localHeader,
  METHOD_DEFLATE,
  METHOD_STORE,
  ZIP_LIMITS,
  type ZipLimits,
} from './zip-records.js';

/** zlib's default, the level Python's zipfile uses for ZIP_DEFLATED. */
export const COMPRESSION_LEVEL = 6;

/**
 * For text that is mostly numbers (the vectors' JSON, 11 characters per
 * number): zlib's filtered strategy drops matches of 5 bytes or less, which
 * in digits cost more bits than they save, and level 4 stops the search for
 * longer ones early. Measured on 212 MB of a 20k-point collection, blocks as
 * the writer deflates them: 2.9% smaller than level 6's default strategy in
 * 48% of its CPU time (level 6 filtered: 4.8% smaller, 75% of the time).
 */
export const NUMBER_TEXT_DEFLATE = { level: 4, strategy: zlib.constants.Z_FILTERED } as const;

export interface EntryOptions {
  /** Stores the entry as it is (method 0): for data that is already compressed. */
  store?: boolean;
  /** Text that is mostly numbers: deflated with NUMBER_TEXT_DEFLATE. */
  numberText?: boolean;
}

/** Knobs for tests and the bench; the defaults are what the tools use. */
export interface WriterTuning {
  deflate?: Partial<DeflateOptions>;
  limits?: ZipLimits;
}

export class ArchiveWriter {
  private readonly entries: CentralEntry[] = [];
  private offset = 0;
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    private readonly date: Date,
    private readonly deflate: DeflateOptions,
    private readonly limits: ZipLimits,
  ) {}

  static async create(path: string, date: Date, tuning: WriterTuning = {}): Promise<ArchiveWriter> {
    const file = await fs.promises.open(path, 'wx', 0o600);
    const deflate = {
      level: COMPRESSION_LEVEL,
      blockSize: DEFAULT_BLOCK_SIZE,
      inFlight: defaultInFlight(),
      ...tuning.deflate,
    };
    return new ArchiveWriter(path, file, date, deflate, tuning.limits ?? ZIP_LIMITS);
  }

  /** Adds an entry; resolves once all of its bytes went into the archive. */
  async addEntry(name: string, source: Readable | Buffer | string, options: EntryOptions = {}): Promise<EntryInfo> {
    this.throwIfFailed();
    try {
      const method = options.store ? METHOD_STORE : METHOD_DEFLATE;
      const header = { name: Buffer.from(name, 'utf8'), method, ...dosDateTime(this.date) };
      const input = typeof source === 'string' || Buffer.isBuffer(source) ? [Buffer.from(source)] : source;
      // A source that fails while the header is written: its error waits for the read below.
      if (!Array.isArray(input)) input.on('error', () => undefined);
      const offset = this.offset;
      await this.write(localHeader(header));
      const data = await deflateEntry(input, (bytes) => this.write(bytes), this.deflateFor(options));
      const entry: CentralEntry = { ...header, ...data, offset, mode: 0o600 };
      await this.write(dataDescriptor(entry, this.limits));
      this.entries.push(entry);
      return { size: data.size, sha256: data.sha256 };
    } catch (err) {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  /** How an entry's bytes are compressed; null: stored. */
  private deflateFor(options: EntryOptions): DeflateOptions | null {
    if (options.store) return null;
    return options.numberText ? { ...this.deflate, ...NUMBER_TEXT_DEFLATE } : this.deflate;
  }

  /** Writes the central directory, closes and fsyncs the file; returns its size. */
  async finish(): Promise<number> {
    this.throwIfFailed();
    const directoryOffset = this.offset;
    await this.write(Buffer.concat(this.entries.map((entry) => centralHeader(entry, this.limits))));
    const directorySize = this.offset - directoryOffset;
    await this.write(endRecords(this.entries.length, directorySize, directoryOffset, this.limits));
    await this.file.sync();
    await this.close();
    return this.offset;
  }

  /** Stops writing and removes the temporary file. */
  async abort(): Promise<void> {
    await this.close().catch(() => undefined);
    fs.rmSync(this.path, { force: true });
  }

  private async write(data: Buffer): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.file.write(data, done, data.length - done, this.offset + done);
      done += bytesWritten;
    }
    this.offset += data.length;
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
