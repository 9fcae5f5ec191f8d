/**
 * Point records as raw JSON text: checked, ordered and counted without ever
 * re-encoding ids or vectors.
 *
 * A point id is an unsigned 64-bit integer or a UUID. Integers are kept as
 * their decimal digits (a JS number cannot hold them all), UUIDs in the
 * lowercase hyphenated form Qdrant prints.
 */
import type { CollectionConfig } from './collection.js';

export type PointKey = { kind: 'int'; value: bigint } | { kind: 'uuid'; value: string };

const U64_MAX = (1n << 64n) - 1n;
const UUID_FORMS = [
  /^([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/i,
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

/** The raw text of the point's top-level "id" value, when it is an integer. */
function rawIntegerId(raw: string): string | null {
  const m = /^\s*\{\s*"id"\s*:\s*(\d+)\s*[,}]/.exec(raw);
  return m ? m[1]! : null;
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

/** A point's id from its parsed and raw forms; an error text when invalid. */
export function pointKeyOf(parsedId: unknown, raw: string): PointKey | string {
  if (typeof parsedId === 'string') return uuidKey(parsedId) ?? `id ${JSON.stringify(parsedId.slice(0, 60))} is not a UUID`;
  if (typeof parsedId === 'number') {
    if (Number.isSafeInteger(parsedId) && parsedId >= 0) return { kind: 'int', value: BigInt(parsedId) };
    // beyond 2^53 the parsed number is rounded: read the digits themselves
    const digits = rawIntegerId(raw);
    if (digits === null || !Number.isInteger(parsedId) || parsedId < 0) return `id ${String(parsedId)} is not an unsigned integer`;
    const value = BigInt(digits);
    if (value > U64_MAX) return `id ${digits} is larger than 2^64-1`;
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
    const v = value as { size?: unknown; multivector_config?: unknown };
    return { size: Number(v.size), multi: v.multivector_config !== undefined && v.multivector_config !== null };
  };
  if (vectors && typeof vectors.size === 'number') dense.set('', asParams(vectors));
  else if (vectors) for (const [name, params] of Object.entries(vectors)) dense.set(name, asParams(params));
  const sparse = new Set(Object.keys(config.params.sparse_vectors ?? {}));
  return { dense, sparse };
}

function isNumberArray(value: unknown, size: number): boolean {
  if (!Array.isArray(value) || value.length !== size) return false;
  for (const x of value) if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  return true;
}

function checkDense(name: string, value: unknown, params: { size: number; multi: boolean }): string | null {
  const label = name === '' ? 'vector' : `vector "${name}"`;
  if (params.multi) {
    if (!Array.isArray(value) || value.length === 0 || !value.every((sub) => isNumberArray(sub, params.size))) {
      return `${label} must be a list of ${params.size}-number vectors`;
    }
    return null;
  }
  if (!Array.isArray(value)) return `${label} must be a list of numbers`;
  if (value.length !== params.size) return `${label} has ${value.length} numbers, the collection expects ${params.size}`;
  if (!isNumberArray(value, params.size)) return `${label} holds something other than finite numbers`;
  return null;
}

function checkSparse(name: string, value: unknown): string | null {
  const v = value as { indices?: unknown; values?: unknown };
  if (typeof v !== 'object' || v === null || !Array.isArray(v.indices) || !Array.isArray(v.values)) {
    return `sparse vector "${name}" must have indices and values`;
  }
  if (v.indices.length !== v.values.length) return `sparse vector "${name}" has ${v.indices.length} indices but ${v.values.length} values`;
  if (!v.indices.every((i) => Number.isInteger(i) && (i as number) >= 0 && (i as number) <= 0xffffffff)) return `sparse vector "${name}" has an invalid index`;
  if (!v.values.every((x) => typeof x === 'number' && Number.isFinite(x))) return `sparse vector "${name}" has a non-numeric value`;
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
  for (const [name, value] of Object.entries(vector)) {
    const dense = shape.dense.get(name);
    if (dense) {
      const problem = checkDense(name, value, dense);
      if (problem) return problem;
    } else if (shape.sparse.has(name)) {
      const problem = checkSparse(name, value);
      if (problem) return problem;
    } else {
      return `vector name "${name}" is not in the collection's config`;
    }
  }
  return null;
}

export interface CheckedPoint {
  key: PointKey;
}

/**
 * Parses and checks one point's raw JSON text: id, vector shape and payload.
 * Returns the point's key, or throws an Error saying what is wrong.
 */
export function checkPoint(raw: string, shape: VectorShape): CheckedPoint {
  let parsed: { id?: unknown; vector?: unknown; payload?: unknown };
  try {
    parsed = JSON.parse(raw) as typeof parsed;
  } catch (err) {
    throw new Error(`a point is not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('a point is not a JSON object');
  const key = pointKeyOf(parsed.id, raw);
  if (typeof key === 'string') throw new Error(key);
  const where = `point ${formatPointKey(key)}`;
  const problem = checkVector(parsed.vector, shape);
  if (problem) throw new Error(`${where}: ${problem}`);
  if (parsed.payload !== undefined && parsed.payload !== null && (typeof parsed.payload !== 'object' || Array.isArray(parsed.payload))) {
    throw new Error(`${where}: payload must be a JSON object`);
  }
  return { key };
}
