/**
 * Checks the collection settings an archive carries (qdrant_vectors.json's
 * "collection": config, payload indexes, aliases) before a restore changes
 * anything.
 *
 * Why here and not left to Qdrant: a restore installs the database first and
 * recreates the collection after, so settings Qdrant refuses would only be
 * found once the live data is already being replaced (and then rolled back).
 * The rules are the types Qdrant's own parser (serde) enforces on a create
 * request for every field the restore sends, with the few lower bounds its
 * validation adds (ef_construct, vacuum_min_vector_number, wal_capacity_mb,
 * deleted_threshold); fields this tool does not know are let through, so
 * archives of newer Qdrant versions are not refused for settings they merely
 * add.
 */
import { printable } from '../output.js';

type Rule = (value: unknown) => string | null;

const DISTANCES = ['Cosine', 'Euclid', 'Dot', 'Manhattan'];
const DATATYPES = ['float32', 'uint8', 'float16'];
const PAYLOAD_TYPES = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'];
/** Qdrant's largest dense vector. */
const MAX_VECTOR_SIZE = 65536;
/** Settings are a few levels deep; Qdrant's parser stops at 128 for a whole request. */
const MAX_DEPTH = 64;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return printable(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

const optional =
  (rule: Rule): Rule =>
  (value) =>
    value === undefined || value === null ? null : rule(value);

const uint =
  (min = 0, max = Number.MAX_SAFE_INTEGER): Rule =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
      ? null
      : `must be a whole number from ${min} to ${max}, not ${shown(value)}`;

const fraction: Rule = (value) =>
  typeof value === 'number' && value >= 0 && value <= 1 ? null : `must be a number from 0 to 1, not ${shown(value)}`;
const bool: Rule = (value) => (typeof value === 'boolean' ? null : `must be true or false, not ${shown(value)}`);
const object: Rule = (value) => (isObject(value) ? null : `must be an object, not ${shown(value)}`);
const oneOf =
  (choices: string[]): Rule =>
  (value) =>
    typeof value === 'string' && choices.includes(value)
      ? null
      : `must be one of ${choices.join(', ')}, not ${shown(value)}`;

/** Prefixes a problem with where it is: ".a.b must be …". */
function at(where: string, problem: string): string {
  return problem.startsWith('.') ? `${where}${problem}` : `${where} ${problem}`;
}

/** An object whose known fields follow their rules (unknown fields pass). */
function fields(rules: Record<string, Rule>): Rule {
  return (value) => {
    if (!isObject(value)) return `must be an object, not ${shown(value)}`;
    for (const [key, rule] of Object.entries(rules)) {
      const problem = rule(value[key]);
      if (problem) return at(`.${key}`, problem);
    }
    return null;
  };
}

/** A map from names to values that follow one rule. */
function mapOf(rule: Rule): Rule {
  return (value) => {
    if (!isObject(value)) return `must be an object, not ${shown(value)}`;
    for (const [key, item] of Object.entries(value)) {
      const problem = rule(item);
      if (problem) return at(`.${printable(JSON.stringify(key))}`, problem);
    }
    return null;
  };
}

const hnswDiff = fields({
  m: optional(uint()),
  ef_construct: optional(uint(4)),
  full_scan_threshold: optional(uint()),
  max_indexing_threads: optional(uint()),
  on_disk: optional(bool),
  payload_m: optional(uint()),
  inline_storage: optional(bool),
});

const vectorParams = fields({
  size: uint(1, MAX_VECTOR_SIZE),
  distance: oneOf(DISTANCES),
  hnsw_config: optional(hnswDiff),
  quantization_config: optional(object),
  on_disk: optional(bool),
  datatype: optional(oneOf(DATATYPES)),
  multivector_config: optional(fields({ comparator: oneOf(['max_sim']) })),
});

/** One unnamed vector ({size, distance, …}) or a map of named ones. */
const vectors: Rule = (value) => {
  if (!isObject(value)) return `must be an object, not ${shown(value)}`;
  // Qdrant tries one VectorParams first, then a map (a vector may be named "size")
  if (typeof value.size === 'number' || typeof value.distance === 'string') return vectorParams(value);
  return mapOf(vectorParams)(value);
};

const sparseParams = optional(
  fields({
    index: optional(
      fields({ full_scan_threshold: optional(uint()), on_disk: optional(bool), datatype: optional(oneOf(DATATYPES)) }),
    ),
    modifier: optional(oneOf(['none', 'idf'])),
  }),
);

const maxOptimizationThreads: Rule = (value) => (value === 'auto' ? null : uint()(value));

const config = fields({
  params: fields({
    vectors: optional(vectors),
    shard_number: optional(uint(1, 0xffffffff)),
    sharding_method: optional(oneOf(['auto', 'custom'])),
    replication_factor: optional(uint(1, 0xffffffff)),
    write_consistency_factor: optional(uint(1, 0xffffffff)),
    on_disk_payload: optional(bool),
    sparse_vectors: optional(mapOf(sparseParams)),
  }),
  hnsw_config: optional(hnswDiff),
  optimizer_config: optional(
    fields({
      deleted_threshold: optional(fraction),
      vacuum_min_vector_number: optional(uint(100)),
      default_segment_number: optional(uint()),
      max_segment_size: optional(uint()),
      memmap_threshold: optional(uint()),
      indexing_threshold: optional(uint()),
      flush_interval_sec: optional(uint()),
      max_optimization_threads: optional(maxOptimizationThreads),
      prevent_unoptimized: optional(bool),
    }),
  ),
  wal_config: optional(
    fields({
      wal_capacity_mb: optional(uint(1)),
      wal_segments_ahead: optional(uint()),
      wal_retain_closed: optional(uint()),
    }),
  ),
  quantization_config: optional(object),
  strict_mode_config: optional(object),
  metadata: optional(object),
});

/** A payload index as GET /collections reports it: a type name, or params with a type. */
const payloadIndex: Rule = (value) => {
  if (!isObject(value)) return `must be an object, not ${shown(value)}`;
  if (value.params !== undefined && value.params !== null) {
    const problem = fields({ type: oneOf(PAYLOAD_TYPES) })(value.params);
    return problem ? at('.params', problem) : null;
  }
  const problem = oneOf(PAYLOAD_TYPES)(value.data_type);
  return problem ? at('.data_type', problem) : null;
};

/** Qdrant's rule for collection and alias names. */
/** Why Qdrant would refuse an alias name, or null. */
export function aliasProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255)
    return `alias ${shown(name)} must be 1 to 255 characters`;
  // eslint-disable-next-line no-control-regex
  if (/[<>:"/\\|?*\u0000-\u001f\u007f]/.test(name)) return `alias ${shown(name)} contains a character Qdrant refuses`;
  return null;
}

/** Deepest nesting of objects and arrays, without recursion. */
function depthOf(root: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > deepest) deepest = depth;
    if (depth > MAX_DEPTH) break;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** The first problem with an archived collection's settings, or null when Qdrant would take them. */
export function collectionProblem(collection: {
  config: unknown;
  payload_schema?: unknown;
  aliases?: unknown;
}): string | null {
  if (depthOf(collection) > MAX_DEPTH) return `collection settings are nested more than ${MAX_DEPTH} levels deep`;
  const configProblem = config(collection.config);
  if (configProblem) return at('collection.config', configProblem);
  const indexProblem = optional(mapOf(payloadIndex))(collection.payload_schema);
  if (indexProblem) return at('collection.payload_schema', indexProblem);
  for (const alias of Array.isArray(collection.aliases) ? collection.aliases : []) {
    const problem = aliasProblem(alias);
    if (problem) return `collection.aliases: ${problem}`;
  }
  return null;
}
