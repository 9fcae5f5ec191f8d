/**
 * The case machinery of the archive fuzz suite; ./harness.ts says what the suite checks and
 * how to size it. Here: the BA_FUZZ_* settings, the case type, the source archive taken apart,
 * the helpers that build hostile variants of it, and the seeded choice of each case's family.
 * The generators under ./families/ build on it; nothing here runs a test.
 */
import { createHash } from 'node:crypto';
import { Rng, mixSeed } from '../fixtures/prng.js';
import { buildZip, type RawZipEntry } from '../support/raw-zip.js';

function envCount(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (text === 'all') return Number.POSITIVE_INFINITY;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  return value;
}

export const CASES = envCount('BA_FUZZ_CASES', 3000);
export const SEED = envCount('BA_FUZZ_SEED', 20261124);
export const E2E_CASES = envCount('BA_FUZZ_E2E', 30);
export const BIN_RESTORES = envCount('BA_FUZZ_RESTORES', 6);
/** Only these case numbers (comma-separated), to replay a failure with its seed. */
export const ONLY = process.env.BA_FUZZ_ONLY ? new Set(process.env.BA_FUZZ_ONLY.split(',').map(Number)) : null;
/** Failures collected before the run stops (raise it to survey a broken build). */
export const MAX_FAILURES = envCount('BA_FUZZ_MAX_FAILURES', 20);

export const DB = 'memoryv012.db';
export const VECTORS = 'qdrant_vectors.json';
export const MANIFEST = 'manifest.json';

/** Terminal escapes planted in archive strings. */
export const ESCAPES = [
  '\u001b[2J\u001b[H',
  '\u001b]0;pwned\u0007',
  'line\rover',
  '\u009b31m',
  'two\nlines',
  'nul\u0000byte',
  '\u001b[31mred\u001b[0m',
];

export type Family =
  'bytes' | 'truncate' | 'entries' | 'names' | 'links' | 'manifest' | 'vectors' | 'embedded' | 'escapes' | 'combo';
export const FAMILIES: Family[] = [
  'bytes',
  'truncate',
  'entries',
  'names',
  'links',
  'manifest',
  'vectors',
  'embedded',
  'escapes',
  'combo',
];

/** Each family's share of the cases, in percent (they add up to 100). */
export const FAMILY_WEIGHTS: ReadonlyArray<readonly [Family, number]> = [
  ['bytes', 22],
  ['truncate', 8],
  ['entries', 12],
  ['names', 6],
  ['links', 5],
  ['manifest', 18],
  ['vectors', 17],
  ['embedded', 4],
  ['escapes', 5],
  ['combo', 3],
];

export interface FuzzCase {
  family: Family;
  /** What was done, for failure messages and the figures. */
  label: string;
  /** Whether validation must refuse it, must take it, or may do either. */
  expect: 'reject' | 'accept' | 'either';
  /**
   * When accepted: 'source' means the database and vectors must be exactly the
   * source's; 'changed' means the variant is deliberately different but valid,
   * and its points must load into a collection.
   */
  data: 'source' | 'changed';
  /** A refusal must say this. */
  message?: RegExp;
  /**
   * When taken: ba-restore --yes into the fixture store still refuses it, with
   * this message, exit 1 and nothing changed, for a reason other than the
   * archive's validity: it was made for another user or agent, or it holds an
   * embedded store while the fixture store uses a Qdrant server. Such cases
   * are run end to end, but not among the restores that must give back the source.
   */
  restoreRefusal?: RegExp;
  make: () => Buffer;
}

/** A family's case generator: one case from the PRNG. */
export type CaseGenerator = (rng: Rng) => FuzzCase;

/** The source archive taken apart, to build variants from. */
export interface Source {
  bytes: Buffer;
  entries: Map<string, Buffer>;
  manifest: Record<string, unknown>;
  /** First line of the vector file: the header object without its closing brace, ending with ','. */
  headerLine: string;
  /** Each point's raw JSON text. */
  points: string[];
  /** Byte ranges of zip structure (local headers, data descriptors, central directory, end record). */
  structure: Array<[number, number]>;
  /** Part of every path-traversal name, so an escaped write can be found. */
  token: string;
  /** A small SQLite file shaped like an embedded store's storage.sqlite (a points table). */
  storage: Buffer;
}

export const MISSING = Symbol('missing');
/** A JSON value, or MISSING to delete the key. */
export type Value = unknown;

/** ba-restore's refusal of an archive made for another user or agent than the store's. */
export const OTHER_STORE = /was made for .*, not for /;

export const clone = <T>(value: T): T => structuredClone(value);
export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export function setAt(root: Record<string, unknown>, keys: string[], value: Value): Record<string, unknown> {
  if (keys.length === 0) throw new Error('empty path');
  let node = root;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === MISSING) delete node[last];
  else node[last] = value;
  return root;
}

/** Every path to a value inside a JSON object, inner objects included. */
export function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const out: string[][] = [];
  for (const [key, child] of Object.entries(value)) {
    out.push([...prefix, key], ...pathsOf(child, [...prefix, key]));
  }
  return out;
}

export function vectorsText(headerLine: string, points: string[]): string {
  return `${headerLine}\n"points":[\n${points.join(',\n')}\n]}\n`;
}

/** The zip's structure byte ranges, read from its end record and central directory. */
export function zipStructure(bytes: Buffer): Array<[number, number]> {
  const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = bytes.readUInt16LE(eocd + 10);
  const cdSize = bytes.readUInt32LE(eocd + 12);
  const cdOffset = bytes.readUInt32LE(eocd + 16);
  const ranges: Array<[number, number]> = [
    [eocd, bytes.length],
    [cdOffset, cdOffset + cdSize],
  ];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const flags = bytes.readUInt16LE(at + 8);
    const compressed = bytes.readUInt32LE(at + 20);
    const local = bytes.readUInt32LE(at + 42);
    const localEnd = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    ranges.push([local, localEnd]);
    if (flags & 0x08) ranges.push([localEnd + compressed, localEnd + compressed + 16]); // data descriptor
    at += 46 + nameLength + extraLength + commentLength;
  }
  return ranges;
}

/**
 * Builds an archive from the source's entries with changes. The manifest's
 * sizes and SHA-256 are brought up to date for a changed database or vector
 * file first, so that the deeper checks (not the checksum) judge the change;
 * `manifest` edits run after that and may break them on purpose.
 */
export function archiveOf(
  src: Source,
  parts: {
    db?: Buffer;
    vectors?: Buffer | string | null;
    manifest?: (m: Record<string, unknown>) => void;
    manifestBytes?: Buffer;
    extra?: RawZipEntry[];
    /** List the extra entries in the manifest with their checksums too. */
    listExtra?: boolean;
  } = {},
): Buffer {
  const db = parts.db ?? src.entries.get(DB)!;
  const vectors =
    parts.vectors === null
      ? null
      : typeof parts.vectors === 'string'
        ? Buffer.from(parts.vectors)
        : (parts.vectors ?? src.entries.get(VECTORS)!);
  let manifestBytes = parts.manifestBytes;
  if (!manifestBytes) {
    const manifest = clone(src.manifest);
    const entries = manifest.entries as Record<string, { size: number; sha256: string }>;
    entries[DB] = { size: db.length, sha256: sha256(db) };
    if (vectors) entries[VECTORS] = { size: vectors.length, sha256: sha256(vectors) };
    if (parts.listExtra)
      for (const e of parts.extra ?? []) entries[e.name] = { size: e.data.length, sha256: sha256(e.data) };
    parts.manifest?.(manifest);
    manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  }
  const list: RawZipEntry[] = [{ name: DB, data: db }];
  if (vectors) list.push({ name: VECTORS, data: vectors });
  list.push({ name: MANIFEST, data: manifestBytes }, ...(parts.extra ?? []));
  return buildZip(list);
}

export function withPoint(src: Source, index: number, edit: (point: Record<string, unknown>) => void): string[] {
  const points = src.points.slice();
  const point = JSON.parse(points[index]!) as Record<string, unknown>;
  edit(point);
  points[index] = JSON.stringify(point);
  return points;
}

/** A point with one value replaced by raw JSON text (for text JSON.stringify cannot produce). */
export function withPointText(
  src: Source,
  index: number,
  edit: (point: Record<string, unknown>) => void,
  rawText: string,
): string[] {
  const points = src.points.slice();
  const point = JSON.parse(points[index]!) as Record<string, unknown>;
  edit(point);
  points[index] = JSON.stringify(point).replace('"@RAW@"', () => rawText);
  return points;
}

/** JSON text nested `depth` containers deep (JSON.stringify would overflow the stack). */
export function nestedText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

export function randomBytesFrom(rng: Rng, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(0, 255);
  return out;
}

/**
 * Case i of the run: its family by weight, from one sub-seed; the family's generator then
 * draws the case from the same stream (`rng` as the roll left it).
 */
export function caseStream(index: number): { family: Family; rng: Rng } {
  const rng = new Rng(mixSeed(SEED, index));
  let roll = rng.int(1, 100);
  for (const [family, weight] of FAMILY_WEIGHTS) {
    roll -= weight;
    if (roll <= 0) return { family, rng };
  }
  return { family: 'bytes', rng };
}

/** The numbers of this run's cases that fall to one family (of 0..CASES-1, or BA_FUZZ_ONLY's). */
export function caseIndices(family: Family): number[] {
  const indices: number[] = [];
  for (let index = 0; index < CASES; index++) {
    if (ONLY && !ONLY.has(index)) continue;
    if (caseStream(index).family === family) indices.push(index);
  }
  return indices;
}
