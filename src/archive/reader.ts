/**
 * Reads a zip archive defensively: refuses entry names that could escape a
 * folder, duplicate names, links and device entries, and entries whose
 * declared sizes are implausible; streams each entry with its CRC-32 and
 * SHA-256 computed on the way, and fails when the CRC or the size does not
 * match what the zip declares.
 *
 * Entry names come from the archive: every message that quotes one goes
 * through quoteEntryName, so a name cannot carry terminal escapes or line
 * breaks into an error.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { releaseDeadBuffers } from '../memory-settings.js';
import { printable } from '../output.js';

/** Deflate cannot compress better than about 1032:1; more is a lie or a bomb. */
const MAX_COMPRESSION_RATIO = 1100;

/**
 * Reads of compressed data and inflate output chunks: large, so that a
 * gigabyte entry costs a few thousand thread-pool round trips instead of
 * tens of thousands (yauzl's own stream reads and inflates 16 KiB at a time).
 */
const READ_CHUNK = 1024 * 1024;
const INFLATE_CHUNK = 256 * 1024;

export interface ZipEntryInfo {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  entry: yauzl.Entry;
}

export class ZipFormatError extends Error {}

/** An entry that must never be read: a dangerous name, a link, a device. */
export class UnsafeEntryError extends ZipFormatError {}

/** An entry name as it may be printed: quoted, escapes and control characters made visible. */
export function quoteEntryName(name: string): string {
  return printable(JSON.stringify(name));
}

/** A safe entry name: a plain relative path with no '..', no backslash, no drive. */
export function unsafeEntryNameReason(name: string): string | null {
  const quoted = quoteEntryName(name);
  if (name.length === 0) return 'an empty entry name';
  if (name.includes('\\')) return `entry name ${quoted} contains a backslash`;
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return `entry name ${quoted} is an absolute path`;
  if (name.split('/').some((part) => part === '..' || part === '.')) return `entry name ${quoted} contains '..' or '.'`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return `entry name ${quoted} contains control characters`;
  return null;
}

/**
 * yauzl checks names itself before handing out an entry and reports a bad one
 * as an error on the whole zip, with the raw name in its text; turn those
 * into the same refusal (and quoting) as unsafeEntryNameReason.
 */
const YAUZL_NAME_ERRORS: Array<[RegExp, string]> = [
  [/^invalid characters in fileName: ([\s\S]*)$/, 'contains a backslash'],
  [/^absolute path: ([\s\S]*)$/, 'is an absolute path'],
  [/^invalid relative path: ([\s\S]*)$/, "contains '..'"],
];

function zipError(err: Error): ZipFormatError {
  for (const [pattern, reason] of YAUZL_NAME_ERRORS) {
    const m = pattern.exec(err.message);
    if (m) return new UnsafeEntryError(`refusing entry name ${quoteEntryName(m[1]!)}: it ${reason}`);
  }
  return new ZipFormatError(printable(err.message));
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * What the entry's Unix mode says it is, when that is not a plain file.
 * Zip tools store the mode in the high 16 bits of the external attributes;
 * those bits are zero when no mode was recorded (then it is a file). A link
 * entry's data is the link's target path: read as a database it is only
 * garbage, but an extractor that honours the mode would create a link, so
 * such an archive is refused outright rather than half-trusted.
 */
function specialEntryKind(entry: yauzl.Entry): string | null {
  const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (type === 0 || type === S_IFREG) return null;
  if (type === S_IFDIR) return entry.fileName.endsWith('/') ? null : 'a directory';
  if (type === S_IFLNK) return 'a symbolic link';
  return 'a device, pipe or socket';
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // strictFileNames: a backslash is refused, not silently turned into '/'
    // (yauzl's default), so ..\x or C:\x can never pass as a plain name.
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: true, strictFileNames: true },
      (err, zip) => {
        if (err || !zip) reject(err ? zipError(err) : new ZipFormatError('cannot open'));
        else resolve(zip);
      },
    );
  });
}

function readCentralDirectory(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (err: Error) => reject(zipError(err)));
    zip.readEntry();
  });
}

export interface EntryDigest {
  size: number;
  sha256: string;
}

/** Computes CRC-32 and SHA-256 while passing the bytes on. */
class CheckingStream extends Transform {
  private readonly hash = createHash('sha256');
  private crc = 0;
  size = 0;

  constructor(
    private readonly info: ZipEntryInfo,
    private readonly discarded: boolean,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    // stop a bomb at the first byte beyond the declared size, not at the end
    if (this.size > this.info.uncompressedSize) {
      callback(
        new ZipFormatError(
          `entry ${this.info.name} has more bytes than the ${this.info.uncompressedSize} the zip declares`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    this.crc = crc32(chunk, this.crc);
    if (this.discarded) releaseDeadBuffers(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.size !== this.info.uncompressedSize) {
      callback(
        new ZipFormatError(
          `entry ${this.info.name} has ${this.size} bytes, the zip declares ${this.info.uncompressedSize}`,
        ),
      );
    } else if (this.crc >>> 0 !== this.info.crc32 >>> 0) {
      callback(new ZipFormatError(`entry ${this.info.name} fails its CRC-32 check (the archive is damaged)`));
    } else {
      callback();
    }
  }

  digest(): EntryDigest {
    return { size: this.size, sha256: this.hash.digest('hex') };
  }
}

export class ArchiveReader {
  private constructor(
    readonly path: string,
    private readonly zip: yauzl.ZipFile,
    readonly entries: ReadonlyMap<string, ZipEntryInfo>,
  ) {}

  static async open(path: string): Promise<ArchiveReader> {
    const zip = await openZip(path);
    try {
      const raw = await readCentralDirectory(zip);
      const entries = new Map<string, ZipEntryInfo>();
      for (const entry of raw) {
        const name = entry.fileName;
        const unsafe = unsafeEntryNameReason(name);
        if (unsafe) throw new UnsafeEntryError(`refusing ${unsafe}`);
        const quoted = quoteEntryName(name);
        const special = specialEntryKind(entry);
        if (special) throw new UnsafeEntryError(`refusing entry ${quoted}: it is ${special}, not a file`);
        if (entries.has(name)) throw new ZipFormatError(`entry ${quoted} appears twice`);
        if (entry.isEncrypted()) throw new ZipFormatError(`entry ${quoted} is encrypted`);
        if (entry.uncompressedSize > entry.compressedSize * MAX_COMPRESSION_RATIO + 1024 * 1024) {
          throw new ZipFormatError(
            `entry ${quoted} declares ${entry.uncompressedSize} bytes from ${entry.compressedSize} compressed, more than deflate can produce`,
          );
        }
        entries.set(name, {
          name,
          compressedSize: entry.compressedSize,
          uncompressedSize: entry.uncompressedSize,
          crc32: entry.crc32,
          entry,
        });
      }
      return new ArchiveReader(path, zip, entries);
    } catch (err) {
      zip.close();
      throw err;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * Streams an entry's bytes. The returned stream errors if the bytes do not
   * match the zip's CRC or size; `digest()` is valid once it has ended.
   *
   * `discarded`: the reader drops each chunk at once (to a file, or only
   * read through), so the stream frees dead chunks as it goes
   * (memory-settings.ts). A reader that parses makes garbage enough for V8
   * to collect often by itself, and a forced collection would only age its
   * live chunks into the old space (measured: 44 MB of dead Buffers there
   * during a restore's upserts).
   */
  async openEntry(name: string, discarded = false): Promise<{ stream: Readable; digest: () => EntryDigest }> {
    const info = this.entries.get(name);
    if (!info) throw new ZipFormatError(`entry ${name} is missing`);
    const entry = info.entry;
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw new ZipFormatError(
        `entry ${quoteEntryName(name)} uses compression method ${entry.compressionMethod}; only stored and deflated entries are read`,
      );
    }
    // yauzl finds where the data starts (and checks it lies inside the file)
    const start = await new Promise<number>((resolve, reject) => {
      this.zip.readLocalFileHeader(entry, { minimal: true }, (err, header) => {
        if (err || !header)
          reject(new ZipFormatError(`entry ${quoteEntryName(name)}: ${err ? printable(err.message) : 'cannot read'}`));
        else resolve(header.fileDataStart);
      });
    });
    const compressed: Readable =
      info.compressedSize === 0
        ? Readable.from([])
        : fs.createReadStream(this.path, { start, end: start + info.compressedSize - 1, highWaterMark: READ_CHUNK });
    let raw: Readable = compressed;
    if (entry.compressionMethod === 8) {
      const inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK });
      compressed.on('error', (err: Error) => inflate.destroy(err));
      raw = compressed.pipe(inflate);
    }
    const checking = new CheckingStream(info, discarded);
    raw.on('error', (err: Error) =>
      checking.destroy(new ZipFormatError(`entry ${quoteEntryName(name)}: ${printable(err.message)}`)),
    );
    raw.pipe(checking);
    // a reader that stops early (a failed check) must not leave the file open
    checking.on('close', () => {
      compressed.destroy();
      raw.destroy();
    });
    return { stream: checking, digest: () => checking.digest() };
  }

  /**
   * Writes an entry to a new file (0600) and returns its digest. The file is
   * created synchronously before any byte flows: a write stream opens its file
   * later, and a failure handled (the file removed) before that open would
   * leave the file behind.
   */
  async extractEntry(name: string, target: string): Promise<EntryDigest> {
    const { stream, digest } = await this.openEntry(name, true);
    const fd = fs.openSync(target, 'wx', 0o600);
    await pipeline(stream, fs.createWriteStream(target, { fd }));
    return digest();
  }

  /** Reads an entry through without keeping it: the reading checks its CRC and size; returns its digest. */
  async readThrough(name: string): Promise<EntryDigest> {
    const { stream, digest } = await this.openEntry(name, true);
    for await (const _chunk of stream) {
      // reading is the check
    }
    return digest();
  }

  /** Reads a small entry whole, refusing one larger than maxBytes. */
  async readSmallEntry(name: string, maxBytes: number): Promise<{ data: Buffer; digest: EntryDigest }> {
    const info = this.entries.get(name);
    if (!info) throw new ZipFormatError(`entry ${name} is missing`);
    if (info.uncompressedSize > maxBytes)
      throw new ZipFormatError(`entry ${name} is ${info.uncompressedSize} bytes, more than the ${maxBytes} allowed`);
    const { stream, digest } = await this.openEntry(name);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { data: Buffer.concat(chunks), digest: digest() };
  }

  close(): void {
    this.zip.close();
  }
}
