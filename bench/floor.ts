/**
 * The compression floor and the byte-level costs of an archive's entries,
 * measured on the very bytes a produced archive holds:
 * - deflate at the archive's level (zlib level 6) with node's zlib, one
 *   stream per entry as the zip writer runs it, read in 1 MiB chunks with
 *   256 KiB output chunks (the cheapest way to stream it: smaller chunks only
 *   add thread-pool round trips), output discarded: the floor;
 * - the same single stream with the tools' settings (the vector file as
 *   number text, writer.ts): what the floor becomes with them;
 * - the same bytes deflated as the tools now do, with their settings, in
 *   blocks on every thread of libuv's pool (parallel-deflate.ts), output
 *   discarded: what the floor becomes with all cores;
 * - inflate of the archive's own compressed data (what every read-back pays);
 * - SHA-256 and CRC-32 over the bytes in memory.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { ArchiveReader } from '../src/archive/reader.js';
import { DEFAULT_BLOCK_SIZE, defaultInFlight, deflateEntry } from '../src/archive/parallel-deflate.js';
import { COMPRESSION_LEVEL, NUMBER_TEXT_DEFLATE } from '../src/archive/writer.js';
import { VECTORS_ENTRY } from '../src/manifest.js';

const CHUNK = 1024 * 1024;
const DEFLATE_CHUNK = 256 * 1024;

export interface ExtractedEntry {
  name: string;
  path: string;
  size: number;
  compressedSize: number;
}

/** Extracts the named entries (checked against their CRC by the project's reader) into dir. */
export async function extractEntries(
  archivePath: string,
  names: readonly string[],
  dir: string,
): Promise<ExtractedEntry[]> {
  const reader = await ArchiveReader.open(archivePath);
  try {
    const out: ExtractedEntry[] = [];
    for (const name of names) {
      const info = reader.entries.get(name);
      if (!info) continue;
      const target = path.join(dir, name);
      const { stream } = await reader.openEntry(name);
      await pipeline(stream, fs.createWriteStream(target));
      out.push({ name, path: target, size: info.uncompressedSize, compressedSize: info.compressedSize });
    }
    return out;
  } finally {
    reader.close();
  }
}

function sink(): Writable & { bytes: number } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      w.bytes += chunk.length;
      cb();
    },
  }) as Writable & { bytes: number };
  w.bytes = 0;
  return w;
}

/** zlib settings of an entry: the archive's level, or as the tools deflate it (server-backup.ts marks the vector file). */
function settingsOf(entry: ExtractedEntry, asTools: boolean): { level: number; strategy?: number } {
  return asTools && entry.name === VECTORS_ENTRY ? { ...NUMBER_TEXT_DEFLATE } : { level: COMPRESSION_LEVEL };
}

/**
 * Deflates the entries one after the other in one stream each, as a zip writer
 * would; at the archive's level (the floor) or with the tools' settings.
 */
export async function deflateFloor(
  entries: readonly ExtractedEntry[],
  asTools = false,
): Promise<{ ms: number; compressed: number }> {
  const t0 = performance.now();
  let compressed = 0;
  for (const entry of entries) {
    const out = sink();
    await pipeline(
      fs.createReadStream(entry.path, { highWaterMark: CHUNK }),
      zlib.createDeflateRaw({ ...settingsOf(entry, asTools), chunkSize: DEFLATE_CHUNK }),
      out,
    );
    compressed += out.bytes;
  }
  return { ms: performance.now() - t0, compressed };
}

/** Deflates the entries one after the other, each on all of the thread pool, as ba-backup does. */
export async function parallelDeflate(entries: readonly ExtractedEntry[]): Promise<{ ms: number; compressed: number }> {
  const t0 = performance.now();
  let compressed = 0;
  for (const entry of entries) {
    const source = fs.createReadStream(entry.path, { highWaterMark: CHUNK });
    const options = { ...settingsOf(entry, true), blockSize: DEFAULT_BLOCK_SIZE, inFlight: defaultInFlight() };
    compressed += (await deflateEntry(source, () => Promise.resolve(), options)).compressedSize;
  }
  return { ms: performance.now() - t0, compressed };
}

function openZip(archivePath: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(archivePath, { lazyEntries: true, autoClose: false }, (err, zip) =>
      err || !zip ? reject(err ?? new Error('cannot open')) : resolve(zip),
    ),
  );
}

/** Inflates the archive's compressed data of the named entries (read raw from the zip, output discarded). */
export async function inflateEntries(archivePath: string, names: readonly string[]): Promise<number> {
  const zip = await openZip(archivePath);
  try {
    const entries = await new Promise<yauzl.Entry[]>((resolve, reject) => {
      const list: yauzl.Entry[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        list.push(e);
        zip.readEntry();
      });
      zip.on('end', () => resolve(list));
      zip.on('error', reject);
      zip.readEntry();
    });
    // read the raw bytes first, so that only inflate is timed
    let ms = 0;
    for (const entry of entries.filter((e) => names.includes(e.fileName))) {
      const raw = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
        zip.openReadStream(entry, { decompress: false }, (err, s) =>
          err || !s ? reject(err ?? new Error('cannot read')) : resolve(s),
        ),
      );
      const chunks: Buffer[] = [];
      for await (const c of raw) chunks.push(c as Buffer);
      const compressed = Buffer.concat(chunks);
      const t0 = performance.now();
      const out = sink();
      await pipeline(
        (function* () {
          for (let i = 0; i < compressed.length; i += CHUNK) yield compressed.subarray(i, i + CHUNK);
        })(),
        zlib.createInflateRaw({ chunkSize: DEFLATE_CHUNK }),
        out,
      );
      ms += performance.now() - t0;
      if (out.bytes !== entry.uncompressedSize)
        throw new Error(`inflating ${entry.fileName} gave ${out.bytes} bytes, expected ${entry.uncompressedSize}`);
    }
    return ms;
  } finally {
    zip.close();
  }
}

/** SHA-256 and CRC-32 of the entries, timed separately, over 1 MiB chunks in memory. */
export function hashEntries(entries: readonly ExtractedEntry[]): { sha256Ms: number; crc32Ms: number } {
  let sha256Ms = 0;
  let crc32Ms = 0;
  for (const entry of entries) {
    const data = fs.readFileSync(entry.path);
    let t0 = performance.now();
    const hash = createHash('sha256');
    for (let i = 0; i < data.length; i += CHUNK) hash.update(data.subarray(i, i + CHUNK));
    hash.digest('hex');
    sha256Ms += performance.now() - t0;
    t0 = performance.now();
    let crc = 0;
    for (let i = 0; i < data.length; i += CHUNK) crc = zlib.crc32(data.subarray(i, i + CHUNK), crc);
    crc32Ms += performance.now() - t0;
  }
  return { sha256Ms, crc32Ms };
}
