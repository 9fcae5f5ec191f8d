/**
 * Point records as raw JSON text: checked, ordered and counted without ever
 * re-encoding ids or vectors.
 *
 * A point id is an unsigned 64-bit integer or a UUID. Integers are kept as
 * their decimal digits (a JS number cannot hold them all), UUIDs in the
 * lowercase hyphenated form Qdrant prints.
 */
import { printable } from '../output.js';
import type { CollectionConfig } from './collection.js';
import { Byte, isDigit, MemberWalk } from '../json/scanner.js';
import { checkNumberArray, flatVectorRange } from './dense-vector.js';

export type PointKey = { kind: 'int'; value: bigint } | { kind: 'uuid'; value: string };

const U64_MAX = (1n << 64n) - 1n;
/**
 * The notations Qdrant's uuid crate parses: simple (32 hex digits), hyphenated,
 * urn and braced. Hyphens come all or none: a partly hyphenated id would pass
 * here and be refused by Qdrant in the middle of a restore.
 */
const UUID_FORMS = [
  /^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/i,
  /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i,
  /^urn:uuid:([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i,
  /^\{([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}$/i,
];

function uuidKey(text: string): PointKey | null {
  for (const form of UUID_FORMS) {
    const m = form.exec(text);
    if (m) return { kind: 'uuid', value: m.slice(1, 6).join('-').toLowerCase() };
  }
  return null;
}

/**
 * Qdrant parses a request body with serde_json, which refuses nesting deeper
 * than 128 levels (it counts down from 128 and fails on reaching 0, so 127
 * containers at most). An upsert body is {"points":[point,…]}: two levels
 * around each point, which leaves 125 for the point itself. A deeper point
 * could never have come from Qdrant and could never go back into it.
 */
export const MAX_POINT_DEPTH = 125;

/** What the raw text of a point says that JSON.parse hides. */
export interface PointTextShape {
  /** Raw text of the top-level "id" value when it is a number token, else null. */
  idNumberText: string | null;
  /** Raw text (quotes included) of the top-level "id" value when it is a string, else null. */
  idStringText: string | null;
  /** A top-level key that appears more than once (JSON.parse keeps the last; Qdrant refuses). */
  duplicateKey: string | null;
  /** Deepest nesting of objects and arrays; the point object itself is 1. */
  depth: number;
  /** Raw text of the top-level "shard_key" value, or null when there is none. */
  shardKeyText: string | null;
}

/**
 * Scans the raw bytes of a point that JSON.parse has already accepted (so it
 * is valid JSON) member by member (see MemberWalk): values are only skimmed
 * for their end and depth, so the scan costs little beside JSON.parse itself.
 */
export function scanPointText(raw: Buffer): PointTextShape {
  let idNumberText: string | null = null;
  let idStringText: string | null = null;
  let duplicateKey: string | null = null;
  let shardKeyText: string | null = null;
  const keys = new Set<string>();
  let depth = 1; // the point's object
  const members = new MemberWalk(raw);
  while (members.next()) {
    const key = members.key();
    if (keys.has(key)) duplicateKey ??= key;
    keys.add(key);
    depth = Math.max(depth, 1 + members.valueDepth);
    if (key === 'shard_key') shardKeyText = raw.toString('utf8', members.valueStart, members.valueEnd);
    if (key !== 'id') continue;
    const first = raw[members.valueStart];
    if (first === Byte.Quote) {
      idStringText = raw.toString('utf8', members.valueStart, members.valueEnd);
      idNumberText = null;
    } else if (first === Byte.Minus || isDigit(first)) {
      idNumberText = raw.toString('latin1', members.valueStart, members.valueEnd);
      idStringText = null;
    }
  }
  return { idNumberText, idStringText, duplicateKey, depth, shardKeyText };
}

/** Qdrant's id order: all integers ascending, then UUIDs by their 128-bit value. */
export function comparePointKeys(a: PointKey, b: PointKey): number {
  if (a.kind !== b.kind) return a.kind === 'int' ? -1 : 1;
  if (a.value === b.value) return 0;
  return a.value < b.value ? -1 : 1;
}

export function formatPointKey(key: PointKey): string {
  return key.kind === 'int' ? key.value.toString() : key.value;
}

/** A point as --compare names it: its id, and its shard key (shardKeyId) where it has one. */
export function pointLabel(key: PointKey, shardKey: string | null): string {
  return shardKey === null ? formatPointKey(key) : `${formatPointKey(key)} (shard key ${shardKey})`;
}

/**
 * A point's id from its parsed form and the raw text of its number token; an
 * error text when invalid. A number id must be written as plain digits: JSON
 * lets 1.0, 1e3 or -0 parse to an integer, but Qdrant (serde, u64) refuses
 * them, and beyond 2^53 only the digits themselves are exact.
 */
export function pointKeyOf(parsedId: unknown, idNumberText: string | null): PointKey | string {
  if (typeof parsedId === 'string')
    return uuidKey(parsedId) ?? `id ${JSON.stringify(parsedId.slice(0, 60))} is not a UUID`;
  if (typeof parsedId === 'number') {
    const text = idNumberText ?? String(parsedId);
    if (!/^(0|[1-9]\d*)$/.test(text)) return `id ${text.slice(0, 40)} is not an unsigned integer`;
    const value = BigInt(text);
    if (value > U64_MAX) return `id ${text.slice(0, 40)} is larger than 2^64-1`;
    return { kind: 'int', value };
  }
  return 'the point has no valid "id"';
}

/** What a vector must look like, from the collection config. */
export interface VectorShape {
  /** Params of the unnamed vector ("" name), if any. */
  dense: Map<string, { size: number; multi: boolean }>;
  sparse: Set<string>;
}

export function vectorShapeOf(config: CollectionConfig): VectorShape {
  const dense = new Map<string, { size: number; multi: boolean }>();
  const vectors = config.params.vectors as Record<string, unknown> | undefined;
  const asParams = (value: unknown) => {
    // an archive's config can hold anything here (null, a number): such a
    // vector gets no valid size, so every point fails against it
    const v = (typeof value === 'object' && value !== null ? value : {}) as {
      size?: unknown;
      multivector_config?: unknown;
    };
    return { size: Number(v.size), multi: v.multivector_config !== undefined && v.multivector_config !== null };
  };
  if (vectors && typeof vectors.size === 'number') dense.set('', asParams(vectors));
  else if (vectors) for (const [name, params] of Object.entries(vectors)) dense.set(name, asParams(params));
  const sparse = new Set(Object.keys(config.params.sparse_vectors ?? {}));
  return { dense, sparse };
}

/** A number Qdrant can store: vectors are float32, so 1e39 would become infinity. */
function isFloat32(x: unknown): boolean {
  return typeof x === 'number' && Number.isFinite(Math.fround(x));
}

function isNumberArray(value: unknown, size: number): boolean {
  if (!Array.isArray(value) || value.length !== size) return false;
  for (const x of value) if (!isFloat32(x)) return false;
  return true;
}

/** A vector name from an archive or a server, safe to print. */
function quote(name: string): string {
  return printable(JSON.stringify(name));
}

function checkDense(name: string, value: unknown, params: { size: number; multi: boolean }): string | null {
  const label = name === '' ? 'vector' : `vector ${quote(name)}`;
  if (params.multi) {
    if (!Array.isArray(value) || value.length === 0 || !value.every((sub) => isNumberArray(sub, params.size))) {
      return `${label} must be a list of ${params.size}-number vectors`;
    }
    return null;
  }
  if (!Array.isArray(value)) return `${label} must be a list of numbers`;
  if (value.length !== params.size)
    return `${label} has ${value.length} numbers, the collection expects ${params.size}`;
  if (!isNumberArray(value, params.size)) return `${label} holds something other than finite float32 numbers`;
  return null;
}

function checkSparse(name: string, value: unknown): string | null {
  const quoted = quote(name);
  const v = value as { indices?: unknown; values?: unknown };
  if (typeof v !== 'object' || v === null || !Array.isArray(v.indices) || !Array.isArray(v.values)) {
    return `sparse vector ${quoted} must have indices and values`;
  }
  if (v.indices.length !== v.values.length)
    return `sparse vector ${quoted} has ${v.indices.length} indices but ${v.values.length} values`;
  if (!v.indices.every((i) => Number.isInteger(i) && (i as number) >= 0 && (i as number) <= 0xffffffff))
    return `sparse vector ${quoted} has an invalid index`;
  if (new Set(v.indices).size !== v.indices.length) return `sparse vector ${quoted} repeats an index`;
  if (!v.values.every(isFloat32)) return `sparse vector ${quoted} has a value that is not a finite float32 number`;
  return null;
}

/** Checks a point's vector against the collection's shape; an error text or null. */
export function checkVector(vector: unknown, shape: VectorShape): string | null {
  const unnamed = shape.dense.get('');
  if (Array.isArray(vector)) {
    if (!unnamed) return 'the point has an unnamed vector, the collection has only named vectors';
    return checkDense('', vector, unnamed);
  }
  if (typeof vector !== 'object' || vector === null) return 'the point has no vector';
  // Any vector, the unnamed one too, may be absent from a point (Qdrant stores
  // what was given), so only the vectors present are checked.
  for (const [name, value] of Object.entries(vector)) {
    const dense = shape.dense.get(name);
    if (dense) {
      const problem = checkDense(name, value, dense);
      if (problem) return problem;
    } else if (shape.sparse.has(name)) {
      const problem = checkSparse(name, value);
      if (problem) return problem;
    } else {
      return `vector name ${quote(name)} is not in the collection's config`;
    }
  }
  return null;
}

export interface CheckedPoint {
  key: PointKey;
  /** The point's shard key as its JSON text ("a", 7), or null when it has none (see shard-keys.ts). */
  shardKey: string | null;
}

/** A record's shard_key: a string or an integer up to 2^53 (Qdrant's keyword or u64), as its JSON text. */
function shardKeyOf(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || (Number.isSafeInteger(value) && (value as number) >= 0))
    return JSON.stringify(value);
  return undefined;
}

/**
 * Parses and checks one point's raw JSON bytes: id, vector shape and payload.
 * Returns the point's key, or throws an Error saying what is wrong.
 *
 * The common point, an unnamed dense vector, has its numbers checked on the
 * bytes (see dense-vector.ts) and only the rest decoded and parsed; any other
 * shape, and any vector that is not plainly numbers, is parsed whole, which
 * gives the exact reason.
 */
export function checkPoint(raw: Buffer, shape: VectorShape): CheckedPoint {
  const unnamed = shape.dense.get('');
  if (unnamed && !unnamed.multi) {
    const range = flatVectorRange(raw);
    const numbers = range ? checkNumberArray(raw, range.start, range.end) : null;
    if (range && numbers?.numbers) {
      // the vector's place holds 0 while the rest is parsed; its numbers are counted above
      const rest = Buffer.concat([raw.subarray(0, range.start), ZERO, raw.subarray(range.end)]);
      let vectorProblem: string | null = null;
      if (numbers.count !== unnamed.size)
        vectorProblem = `vector has ${numbers.count} numbers, the collection expects ${unnamed.size}`;
      else if (!numbers.float32) vectorProblem = 'vector holds something other than finite float32 numbers';
      try {
        return checkParsedPoint(rest.toString('utf8'), rest, shape, vectorProblem);
      } catch {
        // a problem elsewhere in the point: parsed whole, its message quotes the point's own positions
      }
    }
  }
  return checkParsedPoint(raw.toString('utf8'), raw, shape, undefined);
}

/** checkPoint on text, parsing the whole point: the reference the byte-level path must agree with. */
export function checkPointText(text: string, shape: VectorShape): CheckedPoint {
  return checkParsedPoint(text, Buffer.from(text, 'utf8'), shape, undefined);
}

const ZERO = Buffer.from('0');

/**
 * `text` is the point, `raw` its UTF-8 bytes. `vectorProblem` undefined: the
 * point holds the vector, check it; a string or null: the vector was checked
 * apart and its place in the point holds 0.
 */
function checkParsedPoint(
  text: string,
  raw: Buffer,
  shape: VectorShape,
  vectorProblem: string | null | undefined,
): CheckedPoint {
  let parsed: { id?: unknown; vector?: unknown; payload?: unknown; shard_key?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (err) {
    throw new Error(`a point is not valid JSON (${printable((err as Error).message)})`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('a point is not a JSON object');
  const scanned = scanPointText(raw);
  const key = pointKeyOf(parsed.id, scanned.idNumberText);
  if (typeof key === 'string') throw new Error(key);
  const where = `point ${formatPointKey(key)}`;
  if (scanned.duplicateKey !== null) throw new Error(`${where}: key ${quote(scanned.duplicateKey)} appears twice`);
  if (scanned.depth > MAX_POINT_DEPTH)
    throw new Error(`${where}: nested ${scanned.depth} levels deep; Qdrant accepts at most ${MAX_POINT_DEPTH}`);
  const problem = vectorProblem === undefined ? checkVector(parsed.vector, shape) : vectorProblem;
  if (problem) throw new Error(`${where}: ${problem}`);
  if (
    parsed.payload !== undefined &&
    parsed.payload !== null &&
    (typeof parsed.payload !== 'object' || Array.isArray(parsed.payload))
  ) {
    throw new Error(`${where}: payload must be a JSON object`);
  }
  const shardKey = shardKeyOf(parsed.shard_key);
  if (shardKey === undefined) throw new Error(`${where}: shard_key must be a string or an integer up to 2^53`);
  return { key, shardKey };
}
