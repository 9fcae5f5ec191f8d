// Collection configuration: PUT /collections/{name} body -> the `config` of GET collection.
//
// Partial hnsw/wal/optimizers settings are merged over Qdrant's defaults (spec section 4
// sample); vectors, sparse vectors and quantization are echoed as given (nulls dropped).
// Also derives the vector "slots" (name -> dense size/multivector/cosine, or sparse) that
// upserts are checked against.

import type { Schemas } from '@qdrant/js-client-rest';
import { formatError, RequestError } from './errors.js';
import type { JsonObject, JsonPath, JsonValue } from './json.js';
import { isJsonObject } from './json.js';
import {
  checkMin,
  expectUint,
  expectVariant,
  field,
  missingField,
  optBool,
  optNumber,
  optObject,
  optUint,
  optVariant,
} from './validate.js';

type CreateCollection = Schemas['CreateCollection'];
type VectorParams = Schemas['VectorParams'];

export interface DenseSlot {
  kind: 'dense';
  size: number;
  multivector: boolean;
  /**
   * Cosine distance on float32 or float16 storage: vectors are L2-normalised when stored
   * (uint8's Cosine metric keeps the vector and divides by the norms at query time)
   */
  cosine: boolean;
  /** How components are stored: f32, rounded to f16, or cast to u8 */
  datatype: Schemas['Datatype'];
}
export interface SparseSlot {
  kind: 'sparse';
}
export type VectorSlot = DenseSlot | SparseSlot;

export interface CollectionSetup {
  config: Schemas['CollectionConfig'];
  slots: Map<string, VectorSlot>;
}

const DISTANCES: readonly Schemas['Distance'][] = ['Cosine', 'Euclid', 'Dot', 'Manhattan'];
const DATATYPES: readonly Schemas['Datatype'][] = ['float32', 'uint8', 'float16'];
const COMPARATORS: readonly Schemas['MultiVectorComparator'][] = ['max_sim'];
const MODIFIERS: readonly Schemas['Modifier'][] = ['none', 'idf'];
const SHARDING_METHODS: readonly Schemas['ShardingMethod'][] = ['auto', 'custom'];

function defaultHnsw(): Schemas['HnswConfig'] {
  return { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false };
}

function defaultOptimizer(): Schemas['OptimizersConfig'] {
  return {
    deleted_threshold: 0.2,
    vacuum_min_vector_number: 1000,
    default_segment_number: 0,
    max_segment_size: null,
    memmap_threshold: null,
    indexing_threshold: 10000,
    flush_interval_sec: 5,
    max_optimization_threads: null,
    prevent_unoptimized: null,
  };
}

function defaultWal(): Schemas['WalConfig'] {
  return { wal_capacity_mb: 32, wal_segments_ahead: 0, wal_retain_closed: 1 };
}

/** Parses a create-collection body (throws RequestError) into the stored configuration. */
export function parseCreateCollection(body: JsonObject): CollectionSetup {
  const f = (key: Extract<keyof CreateCollection, string>): JsonValue | undefined => field<CreateCollection>(body, key);
  const slots = new Map<string, VectorSlot>();

  const vectors = parseVectorsConfig(f('vectors'), slots);

  const shardNumber = optUint(f('shard_number'), ['shard_number'], 'u32');
  checkMin(shardNumber, 1, ['shard_number']);
  const replicationFactor = optUint(f('replication_factor'), ['replication_factor'], 'u32');
  checkMin(replicationFactor, 1, ['replication_factor']);
  const writeConsistencyFactor = optUint(f('write_consistency_factor'), ['write_consistency_factor'], 'u32');
  checkMin(writeConsistencyFactor, 1, ['write_consistency_factor']);
  const shardingMethod = optVariant(f('sharding_method'), SHARDING_METHODS, ['sharding_method']);
  const onDiskPayload = optBool(f('on_disk_payload'), ['on_disk_payload']);
  const sparseVectors = parseSparseVectors(f('sparse_vectors'), slots);

  const params: Schemas['CollectionParams'] = {
    vectors,
    shard_number: shardNumber ?? 1,
    sharding_method: shardingMethod,
    replication_factor: replicationFactor ?? 1,
    write_consistency_factor: writeConsistencyFactor ?? 1,
    on_disk_payload: onDiskPayload ?? true,
    sparse_vectors: sparseVectors,
  };

  const quantization = optObject(f('quantization_config'), 'QuantizationConfig', ['quantization_config']);
  const strictMode = optObject(f('strict_mode_config'), 'struct StrictModeConfig', ['strict_mode_config']);
  const metadata = optObject(f('metadata'), 'a map', ['metadata']);

  const config: Schemas['CollectionConfig'] = {
    params,
    hnsw_config: mergeHnsw(defaultHnsw(), f('hnsw_config'), ['hnsw_config']),
    optimizer_config: mergeOptimizer(defaultOptimizer(), f('optimizers_config'), ['optimizers_config']),
    wal_config: mergeWal(defaultWal(), f('wal_config'), ['wal_config']),
    quantization_config: quantization ?? null,
    strict_mode_config: strictMode,
    metadata,
  };
  return { config, slots };
}

/**
 * `vectors` is an untagged enum in Qdrant (one VectorParams, or a map of them): when neither
 * shape fits, serde only says so, at the end of the value.
 */
function parseVectorsConfig(v: JsonValue | undefined, slots: Map<string, VectorSlot>): Schemas['VectorsConfig'] {
  const path: JsonPath = ['vectors'];
  if (v === undefined || v === null) return {};
  const untagged = formatError('data did not match any variant of untagged enum VectorsConfig', path);
  if (!isJsonObject(v)) throw untagged;
  try {
    const single = parseVectorParams(v, path);
    slots.set('', slotOf(single));
    return single;
  } catch (e) {
    if (!(e instanceof RequestError)) throw e;
  }
  const named: Record<string, VectorParams> = {};
  const parsed: Array<[string, VectorParams]> = [];
  for (const [name, params] of Object.entries(v)) {
    if (!isJsonObject(params)) throw untagged;
    try {
      parsed.push([name, parseVectorParams(params, [...path, name])]);
    } catch (e) {
      if (e instanceof RequestError) throw untagged;
      throw e;
    }
  }
  parsed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)); // Qdrant keeps them in a BTreeMap
  for (const [name, params] of parsed) {
    named[name] = params;
    slots.set(name, slotOf(params));
  }
  return named;
}

function slotOf(p: VectorParams): DenseSlot {
  const datatype = (p.datatype ?? 'float32') as Schemas['Datatype'];
  return {
    kind: 'dense',
    size: p.size,
    multivector: p.multivector_config !== undefined && p.multivector_config !== null,
    cosine: p.distance === 'Cosine' && datatype !== 'uint8',
    datatype,
  };
}

function parseVectorParams(obj: JsonObject, path: JsonPath): VectorParams {
  const f = (key: Extract<keyof VectorParams, string>): JsonValue | undefined => field<VectorParams>(obj, key);
  const sizeValue = f('size');
  if (sizeValue === undefined) missingField('size', path);
  const size = expectUint(sizeValue, [...path, 'size'], 'u64');
  if (size === 0) throw formatError('invalid value: integer `0`, expected a nonzero u64', [...path, 'size']);
  const distanceValue = f('distance');
  if (distanceValue === undefined) missingField('distance', path);
  const distance = expectVariant(distanceValue, DISTANCES, [...path, 'distance']);
  const hnsw = optObject(f('hnsw_config'), 'struct HnswConfigDiff', [...path, 'hnsw_config']);
  const quantization = optObject(f('quantization_config'), 'QuantizationConfig', [...path, 'quantization_config']);
  const onDisk = optBool(f('on_disk'), [...path, 'on_disk']);
  const datatype = optVariant(f('datatype'), DATATYPES, [...path, 'datatype']);
  const multivector = optObject(f('multivector_config'), 'struct MultiVectorConfig', [...path, 'multivector_config']);
  const out: VectorParams = { size, distance };
  if (hnsw !== undefined) out.hnsw_config = hnswDiff(hnsw, [...path, 'hnsw_config']);
  if (quantization !== undefined) out.quantization_config = quantization;
  if (onDisk !== undefined) out.on_disk = onDisk;
  if (datatype !== undefined) out.datatype = datatype;
  if (multivector !== undefined) {
    const comparator = field<Schemas['MultiVectorConfig']>(multivector, 'comparator');
    if (comparator === undefined) missingField('comparator', [...path, 'multivector_config']);
    out.multivector_config = {
      comparator: expectVariant(comparator, COMPARATORS, [...path, 'multivector_config', 'comparator']),
    };
  }
  return out;
}

function parseSparseVectors(
  v: JsonValue | undefined,
  slots: Map<string, VectorSlot>,
): Schemas['CollectionParams']['sparse_vectors'] {
  const path: JsonPath = ['sparse_vectors'];
  const obj = optObject(v, 'a map', path);
  if (obj === undefined) return undefined;
  const out: Record<string, Schemas['SparseVectorParams']> = {};
  for (const name of Object.keys(obj).sort()) {
    const p = [...path, name];
    const params = optObject(obj[name], 'struct SparseVectorParams', p) ?? {};
    const sparse: Schemas['SparseVectorParams'] = {};
    const index = optObject(field<Schemas['SparseVectorParams']>(params, 'index'), 'struct SparseIndexParams', [
      ...p,
      'index',
    ]);
    if (index !== undefined) {
      const fi = (key: Extract<keyof Schemas['SparseIndexParams'], string>): JsonValue | undefined =>
        field<Schemas['SparseIndexParams']>(index, key);
      const idx: Schemas['SparseIndexParams'] = {};
      const threshold = optUint(fi('full_scan_threshold'), [...p, 'index', 'full_scan_threshold']);
      if (threshold !== undefined) idx.full_scan_threshold = threshold;
      const onDisk = optBool(fi('on_disk'), [...p, 'index', 'on_disk']);
      if (onDisk !== undefined) idx.on_disk = onDisk;
      const datatype = optVariant(fi('datatype'), DATATYPES, [...p, 'index', 'datatype']);
      if (datatype !== undefined) idx.datatype = datatype;
      sparse.index = idx;
    }
    const modifier = optVariant(field<Schemas['SparseVectorParams']>(params, 'modifier'), MODIFIERS, [
      ...p,
      'modifier',
    ]);
    if (modifier !== undefined) sparse.modifier = modifier;
    out[name] = sparse;
    slots.set(name, { kind: 'sparse' });
  }
  return out;
}

/** An HnswConfigDiff as given (type-checked, nulls dropped), for per-vector settings. */
function hnswDiff(obj: JsonObject, path: JsonPath): Schemas['HnswConfigDiff'] {
  const f = (key: Extract<keyof Schemas['HnswConfigDiff'], string>): JsonValue | undefined =>
    field<Schemas['HnswConfigDiff']>(obj, key);
  const out: Schemas['HnswConfigDiff'] = {};
  const m = optUint(f('m'), [...path, 'm']);
  if (m !== undefined) out.m = m;
  const ef = optUint(f('ef_construct'), [...path, 'ef_construct']);
  if (ef !== undefined) out.ef_construct = ef;
  const fst = optUint(f('full_scan_threshold'), [...path, 'full_scan_threshold']);
  if (fst !== undefined) out.full_scan_threshold = fst;
  const threads = optUint(f('max_indexing_threads'), [...path, 'max_indexing_threads']);
  if (threads !== undefined) out.max_indexing_threads = threads;
  const onDisk = optBool(f('on_disk'), [...path, 'on_disk']);
  if (onDisk !== undefined) out.on_disk = onDisk;
  const payloadM = optUint(f('payload_m'), [...path, 'payload_m']);
  if (payloadM !== undefined) out.payload_m = payloadM;
  const inline = optBool(f('inline_storage'), [...path, 'inline_storage']);
  if (inline !== undefined) out.inline_storage = inline;
  return out;
}

function mergeHnsw(base: Schemas['HnswConfig'], v: JsonValue | undefined, path: JsonPath): Schemas['HnswConfig'] {
  const obj = optObject(v, 'struct HnswConfigDiff', path);
  if (obj === undefined) return base;
  const diff = hnswDiff(obj, path);
  return {
    m: diff.m ?? base.m,
    ef_construct: diff.ef_construct ?? base.ef_construct,
    full_scan_threshold: diff.full_scan_threshold ?? base.full_scan_threshold,
    max_indexing_threads: diff.max_indexing_threads ?? base.max_indexing_threads,
    on_disk: diff.on_disk ?? base.on_disk,
    payload_m: diff.payload_m ?? undefined,
    inline_storage: diff.inline_storage ?? undefined,
  };
}

function mergeOptimizer(
  base: Schemas['OptimizersConfig'],
  v: JsonValue | undefined,
  path: JsonPath,
): Schemas['OptimizersConfig'] {
  const obj = optObject(v, 'struct OptimizersConfigDiff', path);
  if (obj === undefined) return base;
  type Diff = Schemas['OptimizersConfigDiff'];
  const f = (key: Extract<keyof Diff, string>): JsonValue | undefined => field<Diff>(obj, key);
  const uint = (key: Extract<keyof Diff, string>): number | undefined => optUint(f(key), [...path, key]);
  const threadsValue = f('max_optimization_threads');
  let threads = base.max_optimization_threads;
  if (threadsValue === 'auto') threads = null;
  else if (typeof threadsValue === 'string') {
    throw formatError(`unknown variant \`${threadsValue}\`, expected \`auto\``, [...path, 'max_optimization_threads']);
  } else if (threadsValue !== undefined && threadsValue !== null) {
    threads = expectUint(threadsValue, [...path, 'max_optimization_threads']);
  }
  return {
    deleted_threshold: optNumber(f('deleted_threshold'), [...path, 'deleted_threshold']) ?? base.deleted_threshold,
    vacuum_min_vector_number: uint('vacuum_min_vector_number') ?? base.vacuum_min_vector_number,
    default_segment_number: uint('default_segment_number') ?? base.default_segment_number,
    max_segment_size: uint('max_segment_size') ?? base.max_segment_size,
    memmap_threshold: uint('memmap_threshold') ?? base.memmap_threshold,
    indexing_threshold: uint('indexing_threshold') ?? base.indexing_threshold,
    flush_interval_sec: uint('flush_interval_sec') ?? base.flush_interval_sec,
    max_optimization_threads: threads,
    prevent_unoptimized:
      optBool(f('prevent_unoptimized'), [...path, 'prevent_unoptimized']) ?? base.prevent_unoptimized,
  };
}

function mergeWal(base: Schemas['WalConfig'], v: JsonValue | undefined, path: JsonPath): Schemas['WalConfig'] {
  const obj = optObject(v, 'struct WalConfigDiff', path);
  if (obj === undefined) return base;
  type Diff = Schemas['WalConfigDiff'];
  const uint = (key: Extract<keyof Diff, string>): number | undefined => optUint(field<Diff>(obj, key), [...path, key]);
  return {
    wal_capacity_mb: uint('wal_capacity_mb') ?? base.wal_capacity_mb,
    wal_segments_ahead: uint('wal_segments_ahead') ?? base.wal_segments_ahead,
    wal_retain_closed: uint('wal_retain_closed') ?? base.wal_retain_closed,
  };
}
