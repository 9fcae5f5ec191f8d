// A point's vectors: parsing upsert input, checking it against the collection's vector slots,
// storing it the way Qdrant does (f32, Cosine L2-normalised, sparse sorted by index) and
// rendering it. Each vector's JSON text is rendered once, at upsert time, and kept as bytes:
// scroll responses are assembled from these bytes, never re-encoded (encoding megabytes of
// concatenated strings per page cost more than the rest of a scroll).

import type { Schemas } from '@qdrant/js-client-rest';
import type { DenseSlot, VectorSlot } from './config.js';
import { formatError, validationError } from './errors.js';
import { cosineNormaliseInPlace, F32Text, roundToF16, toUint8 } from './float32.js';
import { isJsonObject, type JsonObject, type JsonPath, type JsonValue } from './json.js';
import { field } from './validate.js';

export type VectorKind = 'dense' | 'multi' | 'sparse';

/** One stored vector: its name ("" for the unnamed one), kind and rendered JSON text (ASCII bytes). */
export interface StoredVector {
  readonly name: string;
  readonly kind: VectorKind;
  readonly json: Buffer;
}

/** Where every stored vector's text is written, then taken out as its own bytes. */
const text = new F32Text();

function stored(name: string, kind: VectorKind): StoredVector {
  return { name, kind, json: text.take() };
}

/**
 * A vector that does not fit the collection (unknown name, wrong dimension, wrong kind).
 * Qdrant finds these when applying the operation: with wait=true the request fails with
 * `Wrong input: <message>`, without it the point is acknowledged and dropped.
 */
export class VectorDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VectorDataError';
  }
}

type ParsedVector =
  | { kind: 'dense'; values: number[] }
  | { kind: 'multi'; values: number[][] }
  | { kind: 'sparse'; indices: number[]; values: number[] };

/** Input vectors of one point, before they are checked against the collection. */
export type PointVectorsInput = Array<{ name: string; vector: ParsedVector; path: JsonPath }>;

const UNTAGGED_VECTOR_STRUCT = 'data did not match any variant of untagged enum VectorStruct';

/**
 * Parses a point's `vector` (VectorStruct): a dense array, a multivector, or a map of named
 * vectors (dense, multivector or sparse). Throws RequestError on malformed input.
 */
export function parsePointVectors(v: JsonValue | undefined, path: JsonPath): PointVectorsInput {
  if (Array.isArray(v)) return [{ name: '', vector: parseUnnamed(v, path), path }];
  if (isJsonObject(v)) {
    const out: PointVectorsInput = [];
    for (const [name, value] of Object.entries(v)) {
      const p = [...path, name];
      out.push({ name, vector: parseNamedValue(value, p), path: p });
    }
    return out;
  }
  throw formatError(UNTAGGED_VECTOR_STRUCT, path);
}

/** Parses one entry of a batch's named-vectors map (same shapes as a named vector). */
export function parseNamedValue(value: JsonValue, path: JsonPath): ParsedVector {
  if (Array.isArray(value)) return parseUnnamed(value, path);
  if (isJsonObject(value)) return parseSparse(value, path);
  throw formatError(UNTAGGED_VECTOR_STRUCT, path);
}

function parseUnnamed(arr: JsonValue[], path: JsonPath): ParsedVector {
  if (arr.length > 0 && Array.isArray(arr[0])) {
    const values: number[][] = [];
    for (const sub of arr) {
      if (!Array.isArray(sub)) throw formatError(UNTAGGED_VECTOR_STRUCT, path);
      values.push(toF32(sub, path));
    }
    return { kind: 'multi', values };
  }
  return { kind: 'dense', values: toF32(arr, path) };
}

function toF32(arr: JsonValue[], path: JsonPath): number[] {
  const out = new Array<number>(arr.length);
  for (let k = 0; k < arr.length; k++) {
    const x = arr[k];
    if (typeof x === 'number') out[k] = Math.fround(x);
    else if (typeof x === 'bigint') out[k] = Math.fround(Number(x));
    else throw formatError(UNTAGGED_VECTOR_STRUCT, path);
  }
  return out;
}

function parseSparse(obj: JsonObject, path: JsonPath): ParsedVector {
  type Sparse = Schemas['SparseVector'];
  const indicesValue = field<Sparse>(obj, 'indices');
  const valuesValue = field<Sparse>(obj, 'values');
  if (!Array.isArray(indicesValue) || !Array.isArray(valuesValue)) throw formatError(UNTAGGED_VECTOR_STRUCT, path);
  const indices: number[] = [];
  for (const i of indicesValue) {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i > 0xffffffff) {
      throw formatError(UNTAGGED_VECTOR_STRUCT, path);
    }
    indices.push(i);
  }
  const values = toF32(valuesValue, path);
  if (indices.length !== values.length) {
    throw validationError('must be the same length as indices', [...path, 'values']);
  }
  if (new Set(indices).size !== indices.length) throw validationError('must be unique', [...path, 'indices']);
  return { kind: 'sparse', indices, values };
}

/**
 * Checks a point's vectors against the collection's slots and renders them as stored.
 * Throws VectorDataError for an unknown name, a wrong dimension or a wrong kind of vector.
 * The result is sorted by name.
 */
export function storeVectors(input: PointVectorsInput, slots: ReadonlyMap<string, VectorSlot>): StoredVector[] {
  const out: StoredVector[] = [];
  for (const { name, vector } of input) {
    const slot = slots.get(name);
    if (slot === undefined) throw new VectorDataError(`Not existing vector name error: ${name}`);
    out.push(storeOne(name, vector, slot));
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

function storeOne(name: string, vector: ParsedVector, slot: VectorSlot): StoredVector {
  text.reset(); // nothing half-written by a vector that failed its checks
  if (slot.kind === 'sparse') {
    if (vector.kind !== 'sparse') throw new VectorDataError('Conversion between sparse and regular vectors failed');
    renderSparse(vector.indices, vector.values);
    return stored(name, 'sparse');
  }
  if (vector.kind === 'sparse') throw new VectorDataError('Conversion between sparse and regular vectors failed');
  if (slot.multivector) {
    if (vector.kind !== 'multi') throw new VectorDataError('Conversion between multi and regular vectors failed');
    for (const sub of vector.values) checkDim(slot.size, sub.length);
    text.char(0x5b);
    vector.values.forEach((sub, k) => {
      if (k > 0) text.char(0x2c);
      text.array(preprocessDense(sub, slot));
    });
    text.char(0x5d);
    return stored(name, 'multi');
  }
  if (vector.kind !== 'dense') throw new VectorDataError('Conversion between multi and regular vectors failed');
  checkDim(slot.size, vector.values.length);
  text.array(preprocessDense(vector.values, slot));
  return stored(name, 'dense');
}

/**
 * The metric's pre-processing, then the storage datatype, as Qdrant applies them on insert:
 * what a read gives back is the stored element widened to f32. float16 Cosine vectors are
 * normalised with the scalar sum before rounding, so restoring them normalises again; uint8
 * truncates (2.9 -> 2) and is never normalised.
 */
function preprocessDense(values: number[], slot: DenseSlot): number[] {
  switch (slot.datatype) {
    case 'float32':
      if (slot.cosine) cosineNormaliseInPlace(values);
      return values;
    case 'float16':
      if (slot.cosine) cosineNormaliseInPlace(values, 'scalar');
      return values.map(roundToF16);
    case 'uint8':
      return values.map(toUint8);
  }
}

function checkDim(expected: number, got: number): void {
  if (expected !== got) throw new VectorDataError(`Vector dimension error: expected dim: ${expected}, got ${got}`);
}

function renderSparse(indices: number[], values: number[]): void {
  const order = indices.map((_, k) => k).sort((a, b) => indices[a]! - indices[b]!);
  const keyIndices: keyof Schemas['SparseVector'] = 'indices';
  const keyValues: keyof Schemas['SparseVector'] = 'values';
  text.ascii(`{"${keyIndices}":[${order.map((j) => String(indices[j])).join(',')}],"${keyValues}":`);
  text.array(order.map((j) => values[j]!));
  text.char(0x7d);
}

/**
 * Appends the `vector` of a record (VectorStructOutput) to `out`: the bare vector when the
 * selection holds only the unnamed one, otherwise a map by name. `select` limits the names
 * (with_vector: [names]).
 */
export function renderVectorStruct(
  out: Buffer[],
  vectors: readonly StoredVector[],
  select?: ReadonlySet<string>,
): void {
  const chosen = select === undefined ? vectors : vectors.filter((v) => select.has(v.name));
  if (chosen.length === 1 && chosen[0]!.name === '') {
    out.push(chosen[0]!.json);
    return;
  }
  chosen.forEach((v, k) => {
    out.push(Buffer.from(`${k === 0 ? '{' : ','}${JSON.stringify(v.name)}:`), v.json);
  });
  out.push(Buffer.from(chosen.length === 0 ? '{}' : '}'));
}

/** Stored vector values (f32 numbers) in the output shape, for direct state access in tests. */
export function decodeVectorStruct(vectors: readonly StoredVector[]): Schemas['VectorStructOutput'] {
  if (vectors.length === 1 && vectors[0]!.name === '') return decodeOne(vectors[0]!);
  const out: Record<string, Schemas['VectorOutput']> = {};
  for (const v of vectors) out[v.name] = decodeOne(v);
  return out;
}

function decodeOne(v: StoredVector): Schemas['VectorOutput'] {
  const parsed: unknown = JSON.parse(v.json.toString('latin1'));
  const f32 = (xs: number[]): number[] => xs.map((x) => Math.fround(x));
  switch (v.kind) {
    case 'dense':
      return f32(parsed as number[]);
    case 'multi':
      return (parsed as number[][]).map(f32);
    case 'sparse': {
      const s = parsed as Schemas['SparseVector'];
      return { indices: s.indices, values: f32(s.values) };
    }
  }
}
