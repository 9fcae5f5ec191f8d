/**
 * Property-based fuzzing of archives.
 *
 * One real archive is made by the bin from a fixture store (30 memories,
 * 8-dimension vectors, the Qdrant test server); thousands of hostile variants
 * are derived from it with a seeded PRNG: mutated bytes anywhere, truncation,
 * duplicated, renamed, extra and missing entries, huge declared sizes, link
 * and path-traversal entries, manifests with every field of the wrong type,
 * vector files of the wrong shape, terminal escapes in every string.
 *
 * The property, checked in-process on every case with the real validation
 * (verifyArchive, as the restore runs it): the archive is either refused with
 * an ArchiveError whose message is one printable line naming the archive, or
 * accepted, and then it must restore correctly: its database and vectors are
 * byte for byte the source's (and some of these are restored through the bin
 * and compared with the source), or, for the variants that deliberately
 * change the data into something still valid, its points load into a scratch
 * collection of the test server. Never another exception, never a file
 * outside the temporary folders. A sample then runs end to end through
 * `ba-restore --yes`: exit 5 and one line, or exit 0 and the source back; the
 * live database and collection untouched by every refusal.
 *
 *   BA_FUZZ_CASES   cases checked in-process (default 3000: about 20 s, the file under 45 s)
 *   BA_FUZZ_SEED    PRNG seed (default 20261124); a failure names seed and case
 *   BA_FUZZ_E2E     cases run end to end through ba-restore (default 30)
 *   BA_FUZZ_RESTORES  benign cases restored through the bin (default 6, or "all")
 *   BA_FUZZ_MAX_FAILURES  failures listed before the run stops (default 20)
 *   BA_FUZZ_REPORT  a file to write every failure to, one per line
 *   BA_FUZZ_ONLY    replay only these case numbers (with the same seed), e.g. 4948,5753
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ArchiveReader } from '../src/archive/reader.js';
import { verifyArchive } from '../src/verify/verify-archive.js';
import { ArchiveError } from '../src/errors.js';
import { NEWEST_FORMAT_VERSION } from '../src/manifest.js';
import { type Reporter, silentReporter } from '../src/output.js';
import { QdrantConnection } from '../src/qdrant/connection.js';
import { importCollection } from '../src/qdrant/import.js';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { Rng, mixSeed } from './fixtures/prng.js';
import { startQdrantTestServer, type QdrantTestServer } from './qdrant-server/server.js';
import { runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { seedCollection } from './support/qdrant-seed.js';
import { buildZip, type RawZipEntry } from './support/raw-zip.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

function envCount(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (text === 'all') return Number.POSITIVE_INFINITY;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  return value;
}

const CASES = envCount('BA_FUZZ_CASES', 3000);
const SEED = envCount('BA_FUZZ_SEED', 20261124);
const E2E_CASES = envCount('BA_FUZZ_E2E', 30);
const BIN_RESTORES = envCount('BA_FUZZ_RESTORES', 6);
/** Only these case numbers (comma-separated), to replay a failure with its seed. */
const ONLY = process.env.BA_FUZZ_ONLY ? new Set(process.env.BA_FUZZ_ONLY.split(',').map(Number)) : null;
/** Failures collected before the run stops (raise it to survey a broken build). */
const MAX_FAILURES = envCount('BA_FUZZ_MAX_FAILURES', 20);

const DB = 'memoryv012.db';
const VECTORS = 'qdrant_vectors.json';
const MANIFEST = 'manifest.json';

/** Control characters that must never reach a terminal from an archive. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Texts of JavaScript's own errors: a bug disguised as "invalid archive". */
const INTERNAL =
  /Cannot read prop|Cannot set prop|is not a function|is not iterable|is not defined|Maximum call stack|Invalid array length|\bundefined\b \(reading/;
/** Terminal escapes planted in archive strings. */
const ESCAPES = [
  '\u001b[2J\u001b[H',
  '\u001b]0;pwned\u0007',
  'line\rover',
  '\u009b31m',
  'two\nlines',
  'nul\u0000byte',
  '\u001b[31mred\u001b[0m',
];

type Family =
  'bytes' | 'truncate' | 'entries' | 'names' | 'links' | 'manifest' | 'vectors' | 'embedded' | 'escapes' | 'combo';
const FAMILIES: Family[] = [
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

interface FuzzCase {
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
  make: () => Buffer;
}

interface Outcome {
  index: number;
  fuzz: FuzzCase;
  accepted: boolean;
  /** The refusal's text after "Invalid archive <path>: ". */
  problem?: string;
  hint?: string;
}

/** The source archive taken apart, to build variants from. */
interface Source {
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

const MISSING = Symbol('missing');
/** A JSON value, or MISSING to delete the key. */
type Value = unknown;

const clone = <T>(value: T): T => structuredClone(value);
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function setAt(root: Record<string, unknown>, keys: string[], value: Value): Record<string, unknown> {
  if (keys.length === 0) throw new Error('empty path');
  let node = root;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === MISSING) delete node[last];
  else node[last] = value;
  return root;
}

/** Every path to a value inside a JSON object, inner objects included. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const out: string[][] = [];
  for (const [key, child] of Object.entries(value)) {
    out.push([...prefix, key], ...pathsOf(child, [...prefix, key]));
  }
  return out;
}

function vectorsText(headerLine: string, points: string[]): string {
  return `${headerLine}\n"points":[\n${points.join(',\n')}\n]}\n`;
}

/** The zip's structure byte ranges, read from its end record and central directory. */
function zipStructure(bytes: Buffer): Array<[number, number]> {
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
function archiveOf(
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

function withPoint(src: Source, index: number, edit: (point: Record<string, unknown>) => void): string[] {
  const points = src.points.slice();
  const point = JSON.parse(points[index]!) as Record<string, unknown>;
  edit(point);
  points[index] = JSON.stringify(point);
  return points;
}

/** A point with one value replaced by raw JSON text (for text JSON.stringify cannot produce). */
function withPointText(
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
function nestedText(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Case generators by family; each returns one case from the PRNG. */
function generators(src: Source): Record<Family, (rng: Rng) => FuzzCase> {
  const t = src.token;
  const headerObject = (): Record<string, unknown> =>
    JSON.parse(`${src.headerLine.slice(0, -1)}}`) as Record<string, unknown>;
  const headerLineOf = (header: Record<string, unknown>): string => `${JSON.stringify(header).slice(0, -1)},`;
  /** A vector file variant; the manifest's count follows the points given, so only the file itself is judged. */
  const vectorCase = (
    label: string,
    text: string | Buffer,
    expect: FuzzCase['expect'],
    message?: RegExp,
    points = src.points.length,
  ): FuzzCase => ({
    family: 'vectors',
    label,
    expect,
    data: 'changed',
    message,
    make: () =>
      archiveOf(src, {
        vectors: text,
        manifest: (m) => ((m.stats as { qdrant: { total_vectors: number } }).qdrant.total_vectors = points),
      }),
  });
  const randomPoint = (rng: Rng, from = 0): number => rng.int(from, src.points.length - 1);

  const vectorKinds: Array<(rng: Rng) => FuzzCase> = [
    (rng) => {
      const i = randomPoint(rng);
      const delta = rng.pick([-8, -1, 1, 5]);
      const points = withPoint(src, i, (p) => {
        const v = p.vector as number[];
        if (delta < 0) v.splice(delta);
        else for (let k = 0; k < delta; k++) v.push(0.25);
      });
      return vectorCase(
        `point ${i} vector of ${8 + delta} numbers`,
        vectorsText(src.headerLine, points),
        'reject',
        /numbers, the collection expects 8|must be a list/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick(['"0.1"', 'null', 'true', '[]', '{}', '1e39', '-1e39', '1e999', '-1e999', '"NaN"']);
      const points = withPointText(src, i, (p) => ((p.vector as unknown[])[rng.int(0, 7)] = '@RAW@'), raw);
      return vectorCase(
        `point ${i} vector element ${raw}`,
        vectorsText(src.headerLine, points),
        'reject',
        /finite float32|not valid JSON/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick(['NaN', 'Infinity', '-Infinity', '+0.5', '00.5', '.5', '0x10', '1.', '- 1']);
      const points = withPointText(src, i, (p) => ((p.vector as unknown[])[rng.int(0, 7)] = '@RAW@'), raw);
      return vectorCase(
        `point ${i} vector element text ${raw}`,
        vectorsText(src.headerLine, points),
        'reject',
        /JSON|invalid value|unexpected/i,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick([
        'null',
        '"x"',
        '5',
        '{}',
        '{"other":[0,0,0,0,0,0,0,0]}',
        '[[0,0,0,0,0,0,0,0]]',
        '@MISSING@',
      ]);
      const points =
        raw === '@MISSING@'
          ? withPoint(src, i, (p) => delete p.vector)
          : withPointText(src, i, (p) => (p.vector = '@RAW@'), raw);
      // {} is a point without vectors, which Qdrant stores: taken, and then it must load
      return vectorCase(
        `point ${i} vector ${raw}`,
        vectorsText(src.headerLine, points),
        raw === '{}' ? 'either' : 'reject',
        /vector/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick([
        '-1',
        '1.5',
        '1.0',
        '1e3',
        '-0',
        '18446744073709551616',
        '99999999999999999999999',
        '"not-a-uuid"',
        '""',
        'null',
        'true',
        '[]',
        '{}',
        '"0681d3a431e5-40b2-b802-99dd4e8ee6ad"',
        `"${'f'.repeat(100_000)}"`,
        '@MISSING@',
      ]);
      const points =
        raw === '@MISSING@'
          ? withPoint(src, i, (p) => delete p.id)
          : withPointText(src, i, (p) => (p.id = '@RAW@'), raw);
      return vectorCase(`point ${i} id ${raw.slice(0, 40)}`, vectorsText(src.headerLine, points), 'reject', /id|UUID/);
    },
    (rng) => {
      // integer ids sort before UUIDs: valid on the first point, out of order on any other
      const i = rng.chance(0.5) ? 0 : randomPoint(rng, 1);
      const raw = rng.pick(['0', '18446744073709551615', '9007199254740993']);
      const points = withPointText(src, i, (p) => (p.id = '@RAW@'), raw);
      return vectorCase(
        `point ${i} integer id ${raw}`,
        vectorsText(src.headerLine, points),
        i === 0 ? 'accept' : 'reject',
        /rise strictly/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const form = rng.pick(['upper', 'braced', 'urn', 'simple']);
      const points = withPoint(src, i, (p) => {
        const id = p.id as string;
        p.id =
          form === 'upper'
            ? id.toUpperCase()
            : form === 'braced'
              ? `{${id}}`
              : form === 'urn'
                ? `urn:uuid:${id}`
                : id.replace(/-/g, '');
      });
      return vectorCase(`point ${i} UUID written ${form}`, vectorsText(src.headerLine, points), 'accept');
    },
    (rng) => {
      const i = randomPoint(rng);
      const points = src.points.slice();
      points.splice(i + 1, 0, points[i]!);
      return vectorCase(
        `point ${i} repeated`,
        vectorsText(src.headerLine, points),
        'reject',
        /rise strictly/,
        points.length,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      let j = randomPoint(rng);
      if (j === i) j = (i + 1) % src.points.length;
      const points = src.points.slice();
      [points[i], points[j]] = [points[j]!, points[i]!];
      return vectorCase(`points ${i} and ${j} swapped`, vectorsText(src.headerLine, points), 'reject', /rise strictly/);
    },
    (rng) => {
      // the point object is level 1 and its payload level 2: the limit of 125 allows 123 more
      const depth = rng.pick([1, 50, 122, 123, 124, 200, 5000, 100_000]);
      const kind = rng.pick(['array', 'object'] as const);
      const i = randomPoint(rng);
      const points = withPointText(
        src,
        i,
        (p) => ((p.payload as Record<string, unknown>).deep = '@RAW@'),
        nestedText(depth, kind),
      );
      return vectorCase(
        `point ${i} payload nested ${depth} ${kind}s deep`,
        vectorsText(src.headerLine, points),
        depth <= 123 ? 'accept' : 'reject',
        /nested \d+ levels deep/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const size = rng.pick([100_000, 2_000_000]);
      const points = withPoint(src, i, (p) => ((p.payload as Record<string, unknown>).content = 'é'.repeat(size / 2)));
      return vectorCase(`point ${i} payload string of ${size} bytes`, vectorsText(src.headerLine, points), 'accept');
    },
    (rng) => {
      const i = randomPoint(rng, 1);
      const other = (JSON.parse(src.points[0]!) as { id: string }).id;
      const points = src.points.slice();
      points[i] = points[i]!.replace(/^\{/, `{"id":"${other}",`);
      return vectorCase(
        `point ${i} with a second "id" key`,
        vectorsText(src.headerLine, points),
        'reject',
        /appears twice/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick(['[]', '"x"', '5', 'true']);
      const points = withPointText(src, i, (p) => (p.payload = '@RAW@'), raw);
      return vectorCase(
        `point ${i} payload ${raw}`,
        vectorsText(src.headerLine, points),
        'reject',
        /payload must be a JSON object/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const points = src.points.slice();
      const escaped = rng.chance(0.5);
      points[i] = points[i]!.replace('"content":"', escaped ? '"content":"\\u001b[2J\\u009b' : '"content":"\u001b[2J');
      return vectorCase(
        `point ${i} payload with ${escaped ? 'escaped' : 'raw'} ESC`,
        vectorsText(src.headerLine, points),
        escaped ? 'accept' : 'reject',
        /control character|JSON/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const text = Buffer.from(vectorsText(src.headerLine, src.points));
      const at = text.indexOf(Buffer.from(src.points[i]!.slice(0, 60))) + 10;
      const bad = Buffer.from(text);
      bad[at] = rng.pick([0xff, 0xc3, 0x80, 0xed]);
      return vectorCase(`invalid UTF-8 byte in point ${i}`, bad, 'reject', /UTF-8/);
    },
    (rng) => {
      const header = headerObject();
      const change = rng.pick([
        'vector_size 7',
        'vector_size "8"',
        'distance Euclid',
        'distance ESC',
        'size 7',
        'distance Bogus',
        'distance ESC in config',
        'collection null',
        'collection_name 5',
        'format_version "x"',
      ]);
      const config = (header.collection as { config: { params: { vectors: Record<string, unknown> } } }).config;
      if (change === 'vector_size 7') header.vector_size = 7;
      if (change === 'vector_size "8"') header.vector_size = '8';
      if (change === 'distance Euclid') header.distance = 'Distance.EUCLID';
      if (change === 'distance ESC') header.distance = '\u001b[2J';
      if (change === 'size 7') config.params.vectors.size = 7;
      if (change === 'distance Bogus') config.params.vectors.distance = 'Bogus';
      if (change === 'distance ESC in config') config.params.vectors.distance = '\u001b]0;x\u0007';
      if (change === 'collection null') header.collection = null;
      if (change === 'collection_name 5') header.collection_name = 5;
      if (change === 'format_version "x"') header.format_version = 'x';
      return vectorCase(
        `header ${change}`,
        vectorsText(headerLineOf(header), src.points),
        'reject',
        /qdrant_vectors\.json/,
      );
    },
    (rng) => {
      // without "collection" the file is read as the original tool's: size and distance only
      const header = headerObject();
      delete header.collection;
      const deep = rng.chance(0.5) ? rng.pick([3, 1000]) : 0;
      if (deep > 0) header.zzz_unknown = '@RAW@';
      const line = headerLineOf(header).replace('"@RAW@"', nestedText(deep, 'array'));
      return vectorCase(
        `header without collection settings${deep ? `, an unknown key nested ${deep} deep` : ''}`,
        vectorsText(line, src.points),
        'accept',
      );
    },
    (rng) => {
      // every setting of the collection config with a wrong type: refused or taken by Qdrant
      const header = headerObject();
      const collection = header.collection as Record<string, unknown>;
      const paths = pathsOf(collection.config).map((p) => ['config', ...p]);
      const where = rng.pick(paths);
      const [label, value] = rng.pick<[string, unknown]>([
        ['null', null],
        ['"text"', 'text'],
        ['-1', -1],
        ['1.5', 1.5],
        ['0', 0],
        ['true', true],
        ['[]', []],
        ['{}', {}],
        ['huge', 2 ** 53],
        ['missing', MISSING],
      ]);
      setAt(collection, where, value);
      return vectorCase(
        `collection.${where.join('.')} = ${label}`,
        vectorsText(headerLineOf(header), src.points),
        'either',
        /qdrant_vectors\.json/,
      );
    },
    (rng) => {
      const header = headerObject();
      const collection = header.collection as Record<string, unknown>;
      const change = rng.pick([
        'alias ok',
        'alias slash',
        'alias number',
        'aliases string',
        'index ok',
        'index bogus',
        'index number',
        'index params ok',
      ]);
      if (change === 'alias ok') collection.aliases = ['fuzz_alias'];
      if (change === 'alias slash') collection.aliases = ['a/b'];
      if (change === 'alias number') collection.aliases = [5];
      if (change === 'aliases string') collection.aliases = 'fuzz_alias';
      if (change === 'index ok') collection.payload_schema = { category: { data_type: 'keyword', points: 0 } };
      if (change === 'index bogus') collection.payload_schema = { category: { data_type: 'bogus' } };
      if (change === 'index number') collection.payload_schema = { category: 5 };
      if (change === 'index params ok')
        collection.payload_schema = { content: { data_type: 'text', params: { type: 'text', tokenizer: 'word' } } };
      const ok = change.endsWith(' ok');
      return vectorCase(
        `collection ${change}`,
        vectorsText(headerLineOf(header), src.points),
        ok ? 'accept' : 'reject',
        /qdrant_vectors\.json/,
      );
    },
    (rng) => {
      const text = vectorsText(src.headerLine, src.points);
      const change = rng.pick([
        'points object',
        'points null',
        'no points',
        'points first',
        'trailing garbage',
        'empty',
        'BOM',
        'top-level array',
        'cut',
        'extra bracket',
        'points twice',
        'UTF-16',
      ]);
      let out: string | Buffer = text;
      if (change === 'points object')
        out = text.replace('"points":[', '"points":{"a":[').replace(/\n\]\}\n$/, '\n]}}\n');
      if (change === 'points null') out = `${src.headerLine}\n"points":null}\n`;
      if (change === 'no points') out = `${src.headerLine.slice(0, -1)}}\n`;
      if (change === 'points first')
        out = `{"points":[\n${src.points.join(',\n')}\n],${src.headerLine.slice(1, -1)}}\n`;
      if (change === 'trailing garbage') out = `${text} x`;
      if (change === 'empty') out = '';
      if (change === 'BOM') out = `\ufeff${text}`;
      if (change === 'top-level array') out = `[${text}]`;
      if (change === 'cut') out = text.slice(0, rng.int(1, text.length - 2));
      if (change === 'extra bracket') out = text.replace(/\n\]\}\n$/, '\n]]}\n');
      if (change === 'points twice') out = text.replace(/\n\]\}\n$/, `\n],"points":[\n${src.points[0]}\n]}\n`);
      if (change === 'UTF-16') out = Buffer.from(text, 'utf16le');
      return vectorCase(
        `vector file: ${change}`,
        out,
        'reject',
        /qdrant_vectors\.json/,
        change === 'points twice' ? src.points.length + 1 : src.points.length,
      );
    },
  ];

  const manifestKinds: Array<(rng: Rng) => FuzzCase> = [
    (rng) => {
      const where = rng.pick([[], ...pathsOf(src.manifest)]);
      const [label, value] = rng.pick<[string, Value]>([
        ['null', null],
        ['0', 0],
        ['-1', -1],
        ['1.5', 1.5],
        ['1e308', 1e308],
        ['2^53', 2 ** 53],
        ['true', true],
        ['""', ''],
        ['"text"', 'text'],
        ['[]', []],
        ['[1,"a"]', [1, 'a']],
        ['{}', {}],
        ['missing', MISSING],
        ['100 kB string', 'm'.repeat(100_000)],
        ['escapes', rng.pick(ESCAPES)],
        ['deep array', '@DEEP@'],
      ]);
      const name = where.length === 0 ? '(whole manifest)' : where.join('.');
      const [first, second, third] = where;
      // refused whatever the value: anything the checks compare with the archive itself
      const mustReject =
        where.length === 0 ||
        first === 'timestamp' ||
        (first === 'config' && where.length === 1) ||
        (first === 'stats' && (where.length === 1 || second === 'sqlite')) ||
        (first === 'entries' && where.length >= 2) ||
        (first === 'format_version' && label !== 'missing') ||
        (first === 'stats' && second === 'qdrant' && third === 'total_vectors' && label !== 'missing');
      const text = (json: string): Buffer => Buffer.from(json.replace('"@DEEP@"', nestedText(10_000, 'array')));
      return {
        family: 'manifest',
        label: `manifest ${name} = ${label}`,
        expect: mustReject ? 'reject' : 'either',
        data: 'source',
        message: /manifest|entry|format|it has no|holds|lists|listed/,
        make: () =>
          archiveOf(src, {
            manifestBytes:
              where.length === 0
                ? text(value === MISSING ? '' : JSON.stringify(value))
                : text(JSON.stringify(setAt(clone(src.manifest), where, value), null, 2)),
          }),
      };
    },
    (rng) => {
      const value = rng.pick([NEWEST_FORMAT_VERSION + 1, 99, 1e300, 1.5, 0, -1, '1', null, true, [1], {}]);
      return {
        family: 'manifest',
        label: `manifest format_version ${JSON.stringify(value)}`,
        expect: 'reject',
        data: 'source',
        message: /format_version|archive format \d/,
        make: () => archiveOf(src, { manifest: (m) => (m.format_version = value) }),
      };
    },
    (rng) => {
      const text = JSON.stringify(src.manifest, null, 2);
      const change = rng.pick([
        'invalid UTF-8',
        'BOM',
        'UTF-16',
        'not JSON',
        'cut',
        'over 1 MB',
        'NaN count',
        'duplicate key',
      ]);
      let out: Buffer = Buffer.from(text);
      let expect: FuzzCase['expect'] = 'reject';
      if (change === 'invalid UTF-8')
        out = Buffer.concat([Buffer.from(text.slice(0, 30)), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(30))]);
      if (change === 'BOM') {
        out = Buffer.from(`\ufeff${text}`);
        expect = 'either';
      }
      if (change === 'UTF-16') out = Buffer.from(text, 'utf16le');
      if (change === 'not JSON') out = Buffer.from(text.slice(0, -1));
      if (change === 'cut') out = Buffer.from(text.slice(0, rng.int(0, text.length - 2)));
      if (change === 'over 1 MB')
        out = Buffer.from(text.replace('"description": "', `"description": "${'d'.repeat(1_100_000)}`));
      if (change === 'NaN count') out = Buffer.from(text.replace('"total_vectors": 30', '"total_vectors": NaN'));
      if (change === 'duplicate key') {
        out = Buffer.from(text.replace('"description":', '"description": 5, "description":'));
        expect = 'either';
      }
      return {
        family: 'manifest',
        label: `manifest text: ${change}`,
        expect,
        data: 'source',
        message: /manifest/,
        make: () => archiveOf(src, { manifestBytes: out }),
      };
    },
  ];

  const dangerousNames = [
    `../${t}`,
    `../../${t}`,
    `/tmp/${t}`,
    `/${t}`,
    `a/../../${t}`,
    `C:\\${t}`,
    `C:/${t}`,
    `C:${t}`,
    `..\\${t}`,
    `dir\\${t}`,
    `\\\\server\\share\\${t}`,
    `./${MANIFEST}`,
    `${DB}/../../${t}`,
    `${t}\u0000.txt`,
    `\u001b[2J${t}`,
    `${t}\r\n`,
    `\u009b${t}`,
    '',
    // the embedded store's entries are written into a folder by name: its prefix gets the same treatment
    `qdrant_data/../../${t}`,
    `qdrant_data/collection/../../../${t}/storage.sqlite`,
    `qdrant_data\\collection\\x\\storage.sqlite`,
    `qdrant_data/collection//storage.sqlite`,
    `qdrant_data/collection/${t}\u001b[2J/storage.sqlite`,
  ];

  return {
    bytes: (rng) => {
      const bytes = Buffer.from(src.bytes);
      const count = rng.int(1, 4);
      const spots: number[] = [];
      for (let k = 0; k < count; k++) {
        let at: number;
        if (rng.chance(0.5)) {
          const [from, to] = rng.pick(src.structure);
          at = rng.int(from, to - 1);
        } else {
          at = rng.int(0, bytes.length - 1);
        }
        const how = rng.int(0, 3);
        bytes[at] = how === 0 ? 0 : how === 1 ? 0xff : how === 2 ? bytes[at]! ^ rng.int(1, 255) : rng.int(0, 255);
        spots.push(at);
      }
      return {
        family: 'bytes',
        label: `bytes changed at ${spots.join(', ')}`,
        expect: 'either',
        data: 'source',
        make: () => bytes,
      };
    },
    truncate: (rng) => {
      const size = src.bytes.length;
      const how = rng.pick(['cut', 'cut near end', 'hole', 'append', 'prepend', 'repeat tail']);
      let make: () => Buffer;
      let expect: FuzzCase['expect'] = 'reject';
      let label: string;
      if (how === 'cut' || how === 'cut near end') {
        const at = how === 'cut' ? rng.int(0, size - 1) : rng.int(Math.max(0, size - 200), size - 1);
        label = `cut at ${at} of ${size}`;
        make = () => src.bytes.subarray(0, at);
      } else if (how === 'hole') {
        const from = rng.int(0, size - 2);
        const to = rng.int(from + 1, Math.min(size, from + 5000));
        label = `bytes ${from}..${to} removed`;
        make = () => Buffer.concat([src.bytes.subarray(0, from), src.bytes.subarray(to)]);
      } else {
        const extra = randomBytesFrom(rng, rng.int(1, 300));
        expect = 'either';
        label = `${extra.length} bytes ${how === 'append' ? 'appended' : how === 'prepend' ? 'prepended' : 'of tail repeated'}`;
        make = () =>
          how === 'append'
            ? Buffer.concat([src.bytes, extra])
            : how === 'prepend'
              ? Buffer.concat([extra, src.bytes])
              : Buffer.concat([src.bytes, src.bytes.subarray(size - extra.length)]);
      }
      return { family: 'truncate', label, expect, data: 'source', make };
    },
    entries: (rng) => {
      const names = [DB, VECTORS, MANIFEST];
      const kind = rng.pick([
        'shuffle',
        'duplicate',
        'duplicate other data',
        'rename',
        'missing',
        'extra',
        'big extra',
        'declared size',
        'crc',
        'empty zip',
      ]);
      const base = (): RawZipEntry[] => names.map((name) => ({ name, data: src.entries.get(name)! }));
      const pickName = rng.pick(names);
      switch (kind) {
        case 'shuffle': {
          const order = rng.sample(names, 3);
          return {
            family: 'entries',
            label: `entries in order ${order.join(', ')}`,
            expect: 'accept',
            data: 'source',
            make: () => buildZip(order.map((name) => ({ name, data: src.entries.get(name)! }))),
          };
        }
        case 'duplicate':
        case 'duplicate other data': {
          const data = kind === 'duplicate' ? src.entries.get(pickName)! : Buffer.from('other');
          const first = rng.chance(0.5);
          return {
            family: 'entries',
            label: `${pickName} twice${kind === 'duplicate' ? '' : ' with other data'}${first ? ', the copy first' : ''}`,
            expect: 'reject',
            data: 'source',
            message: /appears twice/,
            make: () => buildZip(first ? [{ name: pickName, data }, ...base()] : [...base(), { name: pickName, data }]),
          };
        }
        case 'rename': {
          const to = rng.pick([
            pickName.toUpperCase(),
            `${pickName} `,
            `x/${pickName}`,
            `${pickName}.bak`,
            pickName.replace('.', '\u2024'),
            `${pickName}/`,
          ]);
          return {
            family: 'entries',
            label: `${pickName} renamed ${JSON.stringify(to)}`,
            expect: 'reject',
            data: 'source',
            message: /it has no|lists|no qdrant_vectors|directory/,
            make: () => buildZip(base().map((e) => (e.name === pickName ? { ...e, name: to } : e))),
          };
        }
        case 'missing': {
          const gone = rng.sample(names, rng.int(1, 3));
          return {
            family: 'entries',
            label: `without ${gone.join(', ')}`,
            expect: 'reject',
            data: 'source',
            message: /it has no|lists|entries/,
            make: () => buildZip(base().filter((e) => !gone.includes(e.name))),
          };
        }
        case 'extra':
        case 'big extra': {
          const name = rng.pick([
            'notes.txt',
            'qdrant_vectors.json.bak',
            'dir/file',
            'ü-名前.txt',
            `${'n'.repeat(1000)}`,
            'memory_repos/x/memoryv012.db',
            'a//b',
          ]);
          const data = kind === 'extra' ? Buffer.from('extra') : randomBytesFrom(rng, 1_000_000);
          return {
            family: 'entries',
            label: `extra entry ${JSON.stringify(name.slice(0, 40))} (${data.length} B)`,
            expect: 'accept',
            data: 'source',
            make: () => buildZip([...base(), { name, data }]),
          };
        }
        case 'declared size': {
          const size = rng.pick([0xffffffff, 0x80000000, 0, 1, -1, 7]);
          return {
            family: 'entries',
            label: `${pickName} declares size ${size}`,
            expect: 'reject',
            data: 'source',
            make: () =>
              buildZip(
                base().map((e) => {
                  if (e.name !== pickName) return e;
                  const declared = size === -1 ? e.data.length - 1 : size === 1 ? e.data.length + 1 : size;
                  return { ...e, declaredSize: declared };
                }),
              ),
          };
        }
        case 'crc':
          return {
            family: 'entries',
            label: `${pickName} with a wrong CRC`,
            expect: 'reject',
            data: 'source',
            message: /CRC/,
            make: () => buildZip(base().map((e) => (e.name === pickName ? { ...e, crc: 0xdeadbeef } : e))),
          };
        default:
          return {
            family: 'entries',
            label: 'a zip with no entries',
            expect: 'reject',
            data: 'source',
            make: () => buildZip([]),
          };
      }
    },
    names: (rng) => {
      const name = rng.pick(dangerousNames);
      const replace = rng.pick([null, DB, VECTORS, MANIFEST]);
      return {
        family: 'names',
        label: `${replace ? `${replace} named` : 'extra entry'} ${JSON.stringify(name)}`,
        expect: 'reject',
        data: 'source',
        message: /refusing entry name|an empty entry name|it has no|lists|qdrant_data/,
        make: () => {
          const list: RawZipEntry[] = [DB, VECTORS, MANIFEST].map((n) => ({
            name: n === replace ? name : n,
            data: src.entries.get(n)!,
          }));
          if (!replace) list.push({ name, data: Buffer.from('escaped') });
          return buildZip(list);
        },
      };
    },
    links: (rng) => {
      const type = rng.pick([
        ['a symbolic link', 0o120777],
        ['a symbolic link', 0o120644],
        ['a directory', 0o040755],
        ['a device', 0o020644],
        ['a pipe', 0o010644],
      ] as const);
      const which = rng.pick([DB, VECTORS, MANIFEST, 'link']);
      const target = rng.pick([`../${t}`, `/tmp/${t}`, '/etc/passwd', DB]);
      const unixHost = rng.chance(0.7);
      return {
        family: 'links',
        label: `${which} as ${type[0]} (mode ${type[1].toString(8)})${which === 'link' ? ` to ${target}` : ''}${unixHost ? '' : ', made on MS-DOS'}`,
        expect: 'reject',
        data: 'source',
        message: /symbolic link|directory|device, pipe or socket/,
        make: () => {
          const list: RawZipEntry[] = [DB, VECTORS, MANIFEST].map((name) => ({ name, data: src.entries.get(name)! }));
          const mark = { externalAttributes: type[1] * 0x10000, versionMadeBy: unixHost ? 0x0314 : 0x0014 };
          if (which === 'link') list.push({ name: 'link', data: Buffer.from(target), ...mark });
          else
            Object.assign(
              list.find((e) => e.name === which)!,
              mark,
            );
          return buildZip(list);
        },
      };
    },
    manifest: (rng) => rng.pick(manifestKinds)(rng),
    vectors: (rng) => rng.pick(vectorKinds)(rng),
    embedded: (rng) => {
      // the embedded store's entries are extracted into a folder by name, and meta.json is parsed
      const [metaLabel, meta] = rng.pick<[string, string | Buffer]>([
        ['valid', '{"collections":{"c":{"vectors":{"size":8,"distance":"Cosine"}}},"aliases":{}}'],
        ['{}', '{}'],
        ['null', 'null'],
        ['[]', '[]'],
        ['collections 5', '{"collections":5}'],
        ['collections []', '{"collections":[]}'],
        ['unsafe collection name', `{"collections":{"../${t}":{}}}`],
        ['escapes in a collection name', '{"collections":{"\\u001b[2J":{}}}'],
        ['aliases 5', '{"collections":{"c":{}},"aliases":5}'],
        ['not JSON', '{"collections":'],
        ['nested 50000 deep', `{"collections":{"c":${nestedText(50_000, 'array')}}}`],
        ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
      ]);
      const [storageLabel, storage] = rng.pick<[string, Buffer]>([
        ['a points table', src.storage],
        ['garbage', randomBytesFrom(rng, 4096)],
        ['the memory database (no points table)', src.entries.get(DB)!],
        ['empty', Buffer.alloc(0)],
      ]);
      const collection = rng.pick(['c', 'c', 'other', '...', `${t}`]);
      const listed = rng.chance(0.8);
      const extra: RawZipEntry[] = [
        { name: 'qdrant_data/meta.json', data: Buffer.from(meta) },
        { name: `qdrant_data/collection/${collection}/storage.sqlite`, data: storage },
      ];
      if (rng.chance(0.3)) extra.shift();
      return {
        family: 'embedded',
        label: `embedded store: meta.json ${metaLabel}, ${collection}/storage.sqlite ${storageLabel}${listed ? '' : ', not in the manifest'}`,
        // the embedded store's reader checks meta.json's shape, not what a collection's settings or
        // "aliases" hold (reported to its owner): those variants may pass, as long as safely
        expect:
          ['valid', 'aliases 5', 'nested 50000 deep'].includes(metaLabel) &&
          storageLabel === 'a points table' &&
          collection === 'c' &&
          listed &&
          extra.length === 2
            ? 'either'
            : 'reject',
        data: 'source',
        message: /qdrant_data|not listed/,
        make: () => archiveOf(src, { extra, listExtra: listed }),
      };
    },
    escapes: (rng) => {
      const where = rng.pick([
        ['description'],
        ['created_at'],
        ['config', 'username'],
        ['config', 'agent_name'],
        ['config', 'collection_name'],
        ['stats', 'qdrant', 'error'],
        ['tool', 'name'],
        ['qdrant', 'url'],
        ['qdrant', 'server_version'],
        ['qdrant', 'distance'],
        ['created_at_utc'],
        ['timestamp'],
        ['kind'],
      ]);
      const text = rng.pick(ESCAPES);
      const mustReject = where[0] === 'timestamp' || where[0] === 'kind';
      return {
        family: 'escapes',
        label: `manifest ${where.join('.')} = ${JSON.stringify(text)}`,
        expect: mustReject ? 'reject' : 'accept',
        data: 'source',
        message: /manifest\.json field/,
        make: () => archiveOf(src, { manifest: (m) => setAt(m, where, `${text} ${where.join('.')}`) }),
      };
    },
    combo: (rng) => {
      // a structural change, then a few bytes of it flipped: the checks must still hold together
      const inner = rng.pick([generators(src).entries, generators(src).manifest, generators(src).escapes])(rng);
      const flips = rng.int(1, 3);
      const seeds = Array.from({ length: flips }, () => rng.nextUint32());
      return {
        family: 'combo',
        label: `${inner.label}, then ${flips} byte(s) changed`,
        expect: 'either',
        data: inner.data,
        make: () => {
          const bytes = Buffer.from(inner.make());
          for (const s of seeds) bytes[s % bytes.length] = bytes[s % bytes.length]! ^ ((s >>> 24) | 1);
          return bytes;
        },
      };
    },
  };
}

function randomBytesFrom(rng: Rng, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(0, 255);
  return out;
}

/** Case i of the run: its family by weight, then the family's generator, all from one sub-seed. */
function caseAt(gens: Record<Family, (rng: Rng) => FuzzCase>, index: number): FuzzCase {
  const rng = new Rng(mixSeed(SEED, index));
  const weights: Array<[Family, number]> = [
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
  let roll = rng.int(1, 100);
  for (const [family, weight] of weights) {
    roll -= weight;
    if (roll <= 0) return gens[family](rng);
  }
  return gens.bytes(rng);
}

function collectingReporter(lines: string[]): Reporter {
  return { ...silentReporter, info: (line) => lines.push(line), warn: (line) => lines.push(line) };
}

/** Every file and folder under a directory, relative, sorted. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

describe(`archive fuzzing (seed ${SEED})`, () => {
  let server: QdrantTestServer;
  let store: MemoryStore;
  let env: Record<string, string>;
  let src: Source;
  let gens: Record<Family, (rng: Rng) => FuzzCase>;
  let work: string;
  let casesDir: string;
  let extractDir: string;
  let sourceDump: ReturnType<typeof dumpDatabase>;
  let sourcePoints: ReturnType<QdrantTestServer['getPoints']>;
  let outcomes: Outcome[] = [];
  const figures = {
    cases: 0,
    rejected: 0,
    benign: 0,
    benignSource: 0,
    benignChanged: 0,
    restoredThroughBin: 0,
    e2e: 0,
    dataLost: 0,
  };
  const byFamily = new Map<Family, { cases: number; rejected: number }>();

  const fileHash = (file: string): string => sha256(fs.readFileSync(file));
  const liveState = () => ({ db: fileHash(store.dbPath), points: server.getPoints(store.collectionName) });

  before(async () => {
    server = await startQdrantTestServer();
    store = createMemoryStore({ root: makeTempDir('ba-fuzz-store'), memories: 30, dims: 8 });
    await seedCollection(server.url, store.collectionName, store.points, { dims: 8 });
    env = { QDRANT_URL: server.url };
    const made = await runCli('backup', ['-d', 'fuzz source'], { cwd: store.root, env });
    assert.equal(made.code, 0, made.stderr);
    const archive = /Location: (.*\.zip)/.exec(made.stdout)![1]!;
    const entries = await readZipEntries(archive);
    const text = entries.get(VECTORS)!.toString('utf8');
    const lines = text.split('\n');
    assert.equal(lines[1], '"points":[');
    const points = lines
      .slice(2, -3)
      .map((line) => line.replace(/,$/, ''))
      .concat(lines[lines.length - 3]!);
    const bytes = fs.readFileSync(archive);
    const storageFile = path.join(makeTempDir('ba-fuzz-storage'), 'storage.sqlite');
    const storageDb = new Database(storageFile);
    storageDb.exec(
      "CREATE TABLE points (id TEXT PRIMARY KEY, point BLOB); INSERT INTO points VALUES ('a', x'00'), ('b', x'01');",
    );
    storageDb.close();
    src = {
      bytes,
      entries,
      manifest: JSON.parse(entries.get(MANIFEST)!.toString('utf8')) as Record<string, unknown>,
      headerLine: lines[0]!,
      points,
      structure: zipStructure(bytes),
      token: `ba-fuzz-escape-${randomBytes(6).toString('hex')}`,
      storage: fs.readFileSync(storageFile),
    };
    // the pieces put back together give the file itself, so a variant differs only where it means to
    assert.equal(vectorsText(src.headerLine, src.points), text);
    assert.equal(points.length, 30);
    gens = generators(src);
    work = makeTempDir('ba-fuzz-work');
    casesDir = path.join(work, 'cases');
    extractDir = path.join(work, 'extract');
    fs.mkdirSync(casesDir);
    fs.mkdirSync(extractDir);
    sourceDump = dumpDatabase(store.dbPath);
    sourcePoints = server.getPoints(store.collectionName);
  });

  after(async () => {
    await server?.close();
    cleanupTempDirs();
  });

  it(`${CASES} hostile archives: each refused with one clear line, or taken and proven to restore correctly`, async (t) => {
    const scratch = new QdrantConnection({ url: server.url, timeoutMs: 30_000 });
    const liveBefore = liveState();
    const storeTreeBefore = tree(store.root);
    const failures: string[] = [];
    outcomes = [];
    for (let index = 0; index < CASES; index++) {
      if (ONLY && !ONLY.has(index)) continue;
      const fuzz = caseAt(gens, index);
      const where = `case ${index} (seed ${SEED}, ${fuzz.family}: ${fuzz.label})`;
      const file = path.join(casesDir, `case-${index}.zip`);
      const extract = path.join(extractDir, `case-${index}.db`);
      const embedded = path.join(extractDir, `case-${index}.embedded`);
      fs.writeFileSync(file, fuzz.make());
      const lines: string[] = [];
      let accepted = false;
      let problem: string | undefined;
      let hint: string | undefined;
      try {
        // as a restore calls it: the database and the embedded store extracted next to each other
        const verified = await verifyArchive(
          file,
          { extractDatabaseTo: extract, extractEmbeddedTo: embedded },
          collectingReporter(lines),
        );
        accepted = true;
        if (fuzz.expect === 'reject') failures.push(`${where}: accepted, but must be refused`);
        else {
          const problem = await proveRestorable(fuzz, file, extract, verified.vectors, scratch);
          if (problem) failures.push(`${where}: accepted, but ${problem}`);
        }
      } catch (err) {
        if (!(err instanceof ArchiveError)) {
          failures.push(`${where}: threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        } else {
          const message = err.message;
          const prefix = `Invalid archive ${file}: `;
          problem = message.slice(prefix.length);
          hint = err.hint;
          if (!message.startsWith(prefix)) failures.push(`${where}: message does not name the archive: ${message}`);
          if (CONTROL.test(message) || (err.hint !== undefined && CONTROL.test(err.hint)))
            failures.push(`${where}: message is not one printable line: ${JSON.stringify(message)}`);
          if (INTERNAL.test(message)) failures.push(`${where}: message hides a JavaScript error: ${message}`);
          if (fuzz.expect === 'accept') failures.push(`${where}: refused, but must be taken: ${message}`);
          if (fuzz.message && fuzz.expect === 'reject' && !fuzz.message.test(message))
            failures.push(`${where}: refused for another reason than expected (${fuzz.message}): ${message}`);
          if (fs.existsSync(extract) || fs.existsSync(embedded))
            failures.push(
              `${where}: refused (${problem}), but left extracted files behind: ${tree(extractDir).join(', ')}`,
            );
        }
      }
      for (const line of lines)
        if (CONTROL.test(line))
          failures.push(`${where}: printed an unescaped control character: ${JSON.stringify(line)}`);
      fs.rmSync(extract, { force: true });
      fs.rmSync(embedded, { force: true, recursive: true });
      fs.rmSync(file);
      outcomes.push({ index, fuzz, accepted, problem, hint });
      const family = byFamily.get(fuzz.family) ?? { cases: 0, rejected: 0 };
      family.cases++;
      if (!accepted) family.rejected++;
      byFamily.set(fuzz.family, family);
      if (failures.length >= MAX_FAILURES) break;
    }

    figures.cases = outcomes.length;
    figures.rejected = outcomes.filter((o) => !o.accepted).length;
    figures.benign = outcomes.filter((o) => o.accepted).length;
    figures.benignSource = outcomes.filter((o) => o.accepted && o.fuzz.data === 'source').length;
    figures.benignChanged = figures.benign - figures.benignSource;
    t.diagnostic(
      `${figures.cases} cases: ${figures.rejected} refused, ${figures.benign} taken (${figures.benignSource} byte-identical to the source, ${figures.benignChanged} valid variants loaded into Qdrant)`,
    );
    for (const [family, counts] of byFamily)
      t.diagnostic(`  ${family}: ${counts.cases} cases, ${counts.rejected} refused`);

    if (process.env.BA_FUZZ_REPORT)
      fs.writeFileSync(process.env.BA_FUZZ_REPORT, failures.map((f) => `${f}\n`).join(''));
    assert.deepEqual(failures, [], `${failures.length} failing case(s):\n${failures.slice(0, 10).join('\n')}`);
    // every family was exercised and refused something: the generators did their job
    for (const family of FAMILIES)
      if (CASES >= 500 && !ONLY)
        assert.ok((byFamily.get(family)?.rejected ?? 0) > 0, `family ${family} produced no refusal`);
    // validation never touched the live store, and wrote nothing but its own extraction
    assert.deepEqual(liveState(), liveBefore);
    assert.deepEqual(tree(store.root), storeTreeBefore);
    assert.deepEqual(tree(work), ['cases', 'extract']);
  });

  /**
   * What "accepted" must mean: a restore of this archive gives back the data.
   * Source-identical variants: the extracted database and the vector file
   * (read by the tool's own reader, as the restore reads it) are the
   * source's bytes. Deliberately changed variants: the database is the
   * source's and the points load into a scratch collection of the test
   * server with the archived settings, and their count is right.
   */
  async function proveRestorable(
    fuzz: FuzzCase,
    file: string,
    extract: string,
    vectors: Parameters<typeof importCollection>[3] | null,
    scratch: QdrantConnection,
  ): Promise<string | null> {
    if (!fs.existsSync(extract) || !fs.readFileSync(extract).equals(src.entries.get(DB)!))
      return 'its extracted database differs from the source database';
    if (!vectors) return 'it has no vectors';
    if (fuzz.data === 'source') {
      const reader = await ArchiveReader.open(file);
      try {
        const { stream } = await reader.openEntry(VECTORS);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        if (!Buffer.concat(chunks).equals(src.entries.get(VECTORS)!)) return 'its vector file differs from the source';
      } finally {
        reader.close();
      }
      if (vectors.points !== src.points.length) return `it counts ${vectors.points} points`;
      return null;
    }
    try {
      const loaded = await importCollection(scratch, 'fuzz_scratch', file, vectors, { batchSize: 64, concurrency: 2 });
      if (loaded !== vectors.points) return `${loaded} of ${vectors.points} points loaded`;
    } catch (err) {
      return `its points do not load into Qdrant: ${(err as Error).message}`;
    }
    return null;
  }

  /** Runs one case through ba-restore --yes and checks exit code, output and the live store. */
  async function restoreThroughBin(outcome: Outcome): Promise<void> {
    const { fuzz, index } = outcome;
    const where = `case ${index} (seed ${SEED}, ${fuzz.family}: ${fuzz.label})`;
    const dir = makeTempDir('ba-fuzz-e2e');
    const file = path.join(dir, `case-${index}.zip`);
    fs.writeFileSync(file, fuzz.make());
    const backupsDir = path.join(store.root, 'backups');
    const before = liveState();
    const backups = tree(backupsDir);
    const result = await runCli('restore', [file, '--yes'], { cwd: store.root, env });
    assert.doesNotMatch(result.stderr, /\n {4}at /, `${where}: a stack trace`);
    assert.doesNotMatch(
      result.stdout + result.stderr,
      CONTROL_BUT_NEWLINE,
      `${where}: a raw control character in the output`,
    );
    if (outcome.accepted) {
      assert.equal(result.code, 0, `${where}: ${result.stderr}`);
      assert.deepEqual(dumpDatabase(store.dbPath), sourceDump, `${where}: database restored`);
      assert.deepEqual(server.getPoints(store.collectionName), sourcePoints, `${where}: points restored`);
      figures.restoredThroughBin++;
    } else {
      assert.equal(result.code, 5, `${where}: exit code; stderr: ${result.stderr}`);
      // warnings (e.g. an unknown entry) may come first; the refusal is one line, with its hint if any
      const lines = result.stderr.split('\n').filter((line) => !line.startsWith('[WARNING] '));
      assert.equal(lines.pop(), '', `${where}: stderr ends with a newline`);
      const expected = [
        `[ERROR] Invalid archive ${file}: ${outcome.problem}`,
        ...(outcome.hint ? [`        ${outcome.hint}`] : []),
      ];
      assert.deepEqual(lines, expected, `${where}: the refusal found in-process, as one line`);
      const after = liveState();
      if (
        after.db !== before.db ||
        JSON.stringify(after.points, bigintText) !== JSON.stringify(before.points, bigintText)
      )
        figures.dataLost++;
      assert.deepEqual(after, before, `${where}: live data untouched`);
      assert.deepEqual(tree(backupsDir), backups, `${where}: no safety backup, no leftovers`);
      assert.deepEqual(fs.readdirSync(store.repoDir), [DB], `${where}: no leftover extraction`);
    }
  }

  it(`${E2E_CASES} cases end to end through ba-restore --yes: exit 5 and one line with nothing changed, or exit 0 and the source restored`, async () => {
    assert.ok(outcomes.length > 0, 'the in-process run came first');
    const rng = new Rng(mixSeed(SEED, 0xe2e));
    // every family in turn, refusals and source-identical acceptances alike
    const pool = new Map<Family, Outcome[]>();
    for (const outcome of outcomes) {
      if (outcome.accepted && outcome.fuzz.data !== 'source') continue;
      pool.set(outcome.fuzz.family, [...(pool.get(outcome.fuzz.family) ?? []), outcome]);
    }
    const families = [...pool.keys()];
    const chosen = new Set<Outcome>();
    for (let k = 0; chosen.size < Math.min(E2E_CASES, outcomes.length) && k < E2E_CASES * 10; k++) {
      const list = pool.get(families[k % families.length]!)!;
      chosen.add(rng.pick(list));
    }
    for (const outcome of chosen) {
      await restoreThroughBin(outcome);
      figures.e2e++;
    }
    if (E2E_CASES >= 10)
      assert.ok([...chosen].some((o) => !o.accepted) && figures.e2e >= 10, 'the sample holds refusals');
  });

  it(`taken archives restored through ba-restore give back the source exactly (up to ${BIN_RESTORES === Number.POSITIVE_INFINITY ? 'all' : BIN_RESTORES})`, async (t) => {
    const benign = outcomes.filter((o) => o.accepted && o.fuzz.data === 'source');
    const rng = new Rng(mixSeed(SEED, 0xbe9));
    const chosen = BIN_RESTORES >= benign.length ? benign : rng.sample(benign, BIN_RESTORES);
    for (const outcome of chosen) await restoreThroughBin(outcome);
    t.diagnostic(`${chosen.length} of ${benign.length} source-identical archives restored through the bin`);
    assert.ok(benign.length > 0, 'some mutations are benign (entry order, extra entries, unused header bytes)');
  });

  it('wrote nothing outside its temporary folders: no file named after a path-traversal entry anywhere', () => {
    const places = [
      os.tmpdir(),
      path.dirname(work),
      process.cwd(),
      '/',
      path.join(store.root, '..'),
      store.root,
      path.join(store.root, 'backups'),
      store.repoDir,
    ];
    for (const place of places) {
      const names = fs.existsSync(place) ? fs.readdirSync(place) : [];
      assert.deepEqual(
        names.filter((n) => n.includes(src.token)),
        [],
        `a file named after a hostile entry in ${place}`,
      );
    }
    for (const name of tree(store.root)) assert.ok(!name.includes(src.token), name);
    assert.deepEqual(tree(extractDir), []);
    assert.equal(figures.dataLost, 0);
  });

  after(() => {
    // the figures for the README's reliability section
    console.log(`fuzz figures (seed ${SEED}): ${JSON.stringify(figures)}`);
  });
});

// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
