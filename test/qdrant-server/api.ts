// The Qdrant REST operations of the test server, independent of HTTP plumbing.
//
// `routeRequest` maps method + path to a handler; a handler reads the query and the (lazily,
// exactly parsed) JSON body, acts on QdrantState and returns the `result` JSON text, which the
// server wraps in Qdrant's envelope. Bodies are read through the client's OpenAPI types
// (`field<Schemas[...]>`), results are built as Schemas[...] values, except the point records
// of scroll/retrieve, which are answered as pieces of the bytes stored at upsert.

import type { Schemas } from '@qdrant/js-client-rest';
import { Collection, renderRecords, type StoredPoint } from './collection.js';
import { parseCreateCollection } from './config.js';
import {
  alreadyExists,
  badRequest,
  collectionNotFound,
  formatError,
  notFound,
  RequestError,
  validationError,
  wrongInput,
} from './errors.js';
import { invalidIdMessage, renderPointId, toPointId, type PointId } from './ids.js';
import { isJsonObject, stringifyJson, type JsonObject, type JsonPath, type JsonValue } from './json.js';
import { parseWithPayload, parseWithVector } from './payload.js';
import {
  Cluster,
  mergedPage,
  parseShardSelector,
  readTargets,
  routeShards,
  writeTargets,
  type ShardKeyValue,
} from './shards.js';
import {
  checkMin,
  expectArray,
  expectObject,
  expectString,
  expectVariant,
  field,
  missingField,
  optBool,
  optObject,
  optUint,
} from './validate.js';
import {
  parseNamedValue,
  parsePointVectors,
  storeVectors,
  VectorDataError,
  type PointVectorsInput,
  type StoredVector,
} from './vectors.js';

/** All server state: collections and the global aliases. */
export class QdrantState {
  readonly collections = new Map<string, Collection>();
  /** alias name -> collection name */
  readonly aliases = new Map<string, string>();

  constructor(readonly cluster = new Cluster()) {}

  /** A collection by name or alias. */
  resolve(name: string): Collection | undefined {
    const direct = this.collections.get(name);
    if (direct !== undefined) return direct;
    const target = this.aliases.get(name);
    return target === undefined ? undefined : this.collections.get(target);
  }

  require(name: string): Collection {
    const c = this.resolve(name);
    if (c === undefined) throw collectionNotFound(name);
    return c;
  }
}

export interface ApiRequest {
  readonly method: string;
  readonly query: URLSearchParams;
  /** the JSON body, parsed exactly on first use (throws on malformed JSON) */
  json(): JsonValue;
}

/**
 * What a handler answers: a `result` for Qdrant's envelope (its JSON as text, or as bytes in
 * pieces for answers made of stored points), or a raw response.
 */
export type ApiAnswer =
  | { kind: 'result'; json: string | readonly Buffer[] }
  | { kind: 'raw'; status: number; contentType: string; body: string };

export type Handler = (state: QdrantState, req: ApiRequest) => ApiAnswer;

const result = (json: string | readonly Buffer[]): ApiAnswer => ({ kind: 'result', json });

/** The handler for a method and decoded path segments, or undefined (404, empty body). */
export function routeRequest(method: string, segments: readonly string[], version: string): Handler | undefined {
  const sharding = routeShards(method, segments);
  if (sharding !== undefined) return sharding;
  const [a, b, c, d] = segments;
  const n = segments.length;
  if (n === 0) return method === 'GET' ? () => rootInfo(version) : undefined;
  if (n === 1 && method === 'GET') {
    if (a === 'healthz' || a === 'livez') return () => plain('healthz check passed');
    if (a === 'readyz') return () => plain('all shards are ready');
    if (a === 'aliases') return (s) => listAliases(s, undefined);
  }
  if (a !== 'collections') return undefined;
  if (n === 1) return method === 'GET' ? (s) => listCollections(s) : undefined;
  const name = b!;
  if (n === 2) {
    if (name === 'aliases' && method === 'POST') return (s, r) => updateAliases(s, r);
    if (method === 'GET') return (s) => result(stringifyJson(s.require(name).info()));
    if (method === 'PUT') return (s, r) => createCollection(s, r, name);
    if (method === 'PATCH') return (s, r) => updateCollection(s, r, name);
    if (method === 'DELETE') return (s, r) => deleteCollection(s, r, name);
    return undefined;
  }
  if (n === 3) {
    if (c === 'exists' && method === 'GET') return (s) => collectionExists(s, name);
    if (c === 'aliases' && method === 'GET') return (s) => listAliases(s, name);
    if (c === 'points' && method === 'PUT') return (s, r) => upsertPoints(s, r, name);
    if (c === 'points' && method === 'POST') return (s, r) => retrievePoints(s, r, name);
    if (c === 'index' && method === 'PUT') return (s, r) => createIndex(s, r, name);
    return undefined;
  }
  if (n === 4) {
    if (c === 'points' && d === 'scroll' && method === 'POST') return (s, r) => scrollPoints(s, r, name);
    if (c === 'points' && d === 'count' && method === 'POST') return (s, r) => countPoints(s, r, name);
    if (c === 'points' && d === 'delete' && method === 'POST') return (s, r) => deletePoints(s, r, name);
    if (c === 'index' && method === 'DELETE') return (s, r) => deleteIndex(s, r, name, d!);
  }
  return undefined;
}

function plain(text: string): ApiAnswer {
  return { kind: 'raw', status: 200, contentType: 'text/plain; charset=utf-8', body: text };
}

function rootInfo(version: string): ApiAnswer {
  const info: Schemas['VersionInfo'] = { title: 'qdrant - vector search engine', version };
  return { kind: 'raw', status: 200, contentType: 'application/json', body: stringifyJson(info) };
}

// ---------------------------------------------------------------- query parameters

export function queryError(reason: string): RequestError {
  return new RequestError('format', `Query deserialize error: ${reason}`, undefined, 'query parameters');
}

export function queryBool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw queryError('provided string was not `true` or `false`');
}

/** Checks the update query parameters (wait, ordering, timeout); returns wait (default false). */
function updateQuery(q: URLSearchParams): boolean {
  const ordering = q.get('ordering');
  if (ordering !== null && !['weak', 'medium', 'strong'].includes(ordering)) {
    throw queryError(`unknown variant \`${ordering}\`, expected one of \`weak\`, \`medium\`, \`strong\``);
  }
  checkTimeout(q);
  return queryBool(q, 'wait') ?? false;
}

function checkTimeout(q: URLSearchParams): void {
  const timeout = q.get('timeout');
  if (timeout === null) return;
  if (!/^\d+$/.test(timeout)) throw queryError('invalid digit found in string');
  if (Number(timeout) < 1) {
    throw new RequestError('validation', 'value 0 invalid, must be 1 or larger', ['timeout'], 'query parameters');
  }
}

function updateResult(c: Collection, wait: boolean): ApiAnswer {
  const r: Schemas['UpdateResult'] = { operation_id: c.nextOperationId(), status: wait ? 'completed' : 'acknowledged' };
  return result(stringifyJson(r));
}

// ---------------------------------------------------------------- collections

function listCollections(s: QdrantState): ApiAnswer {
  const r: Schemas['CollectionsResponse'] = { collections: [...s.collections.keys()].map((name) => ({ name })) };
  return result(stringifyJson(r));
}

function collectionExists(s: QdrantState, name: string): ApiAnswer {
  const r: Schemas['CollectionExistence'] = { exists: s.resolve(name) !== undefined };
  return result(stringifyJson(r));
}

function createCollection(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  checkTimeout(req.query);
  const body = expectObject(req.json(), 'struct CreateCollection', []);
  const setup = parseCreateCollection(body);
  if (s.collections.has(name)) throw alreadyExists(`Collection \`${name}\` already exists!`);
  if (s.aliases.has(name)) {
    throw wrongInput(`Can't create collection with name ${name}. Alias with the same name already exists`);
  }
  s.collections.set(name, new Collection(name, setup));
  return result('true');
}

/**
 * PATCH /collections/{name}: the `params` diff (replication, write consistency, read fan-out,
 * on-disk payload), the only way to set read_fan_out_factor / read_fan_out_delay_ms, which
 * create does not take. Other parts of an update are not modelled and are refused.
 */
function updateCollection(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  checkTimeout(req.query);
  type Update = Schemas['UpdateCollection'];
  type ParamsDiff = Schemas['CollectionParamsDiff'];
  const body = expectObject(req.json(), 'struct UpdateCollection', []);
  for (const key of Object.keys(body)) {
    if (key !== 'params' && body[key] !== null) {
      throw badRequest(`updating \`${key}\` is not supported by the Qdrant test server`);
    }
  }
  const params = optObject(field<Update>(body, 'params'), 'struct CollectionParamsDiff', ['params']) ?? {};
  const u32 = (key: Extract<keyof ParamsDiff, string>, min: number): number | undefined => {
    const value = optUint(field<ParamsDiff>(params, key), ['params', key], 'u32');
    checkMin(value, min, ['params', key]);
    return value;
  };
  const diff: Partial<Schemas['CollectionParams']> = {
    replication_factor: u32('replication_factor', 1),
    write_consistency_factor: u32('write_consistency_factor', 1),
    read_fan_out_factor: u32('read_fan_out_factor', 0),
    read_fan_out_delay_ms: optUint(
      field<ParamsDiff>(params, 'read_fan_out_delay_ms'),
      ['params', 'read_fan_out_delay_ms'],
      'u64',
    ),
    on_disk_payload: optBool(field<ParamsDiff>(params, 'on_disk_payload'), ['params', 'on_disk_payload']),
  };
  s.require(name).updateParams(diff);
  return result('true');
}

function deleteCollection(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  checkTimeout(req.query);
  if (!s.collections.delete(name)) return result('false');
  for (const [alias, target] of s.aliases) if (target === name) s.aliases.delete(alias);
  return result('true');
}

// ---------------------------------------------------------------- aliases

function listAliases(s: QdrantState, collection: string | undefined): ApiAnswer {
  const aliases: Schemas['AliasDescription'][] = [];
  for (const [alias_name, collection_name] of [...s.aliases].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (collection === undefined || collection === collection_name) aliases.push({ alias_name, collection_name });
  }
  const r: Schemas['CollectionsAliasesResponse'] = { aliases };
  return result(stringifyJson(r));
}

/** Actions apply in order, each kept as it runs (no rollback on a later error). */
function updateAliases(s: QdrantState, req: ApiRequest): ApiAnswer {
  checkTimeout(req.query);
  const body = expectObject(req.json(), 'struct ChangeAliasesOperation', []);
  const actionsValue = field<Schemas['ChangeAliasesOperation']>(body, 'actions');
  if (actionsValue === undefined) missingField('actions', []);
  const actions = expectArray(actionsValue, ['actions']).map((a, k) => parseAliasAction(a, ['actions', k]));
  for (const action of actions) action(s);
  return result('true');
}

type AliasAction = (s: QdrantState) => void;

function parseAliasAction(v: JsonValue, path: JsonPath): AliasAction {
  const untagged = formatError('data did not match any variant of untagged enum AliasOperations', path);
  if (!isJsonObject(v)) throw untagged;
  const str = (obj: JsonObject, key: string): string => {
    const x = obj[key];
    if (typeof x !== 'string') throw untagged;
    return x;
  };
  const create = field<Schemas['CreateAliasOperation']>(v, 'create_alias');
  if (isJsonObject(create)) {
    const collectionName = str(create, 'collection_name' satisfies keyof Schemas['CreateAlias']);
    const aliasName = str(create, 'alias_name' satisfies keyof Schemas['CreateAlias']);
    return (s) => {
      if (!s.collections.has(collectionName)) throw collectionNotFound(collectionName);
      if (s.collections.has(aliasName)) throw alreadyExists(`Collection \`${aliasName}\` already exists!`);
      s.aliases.set(aliasName, collectionName);
    };
  }
  const del = field<Schemas['DeleteAliasOperation']>(v, 'delete_alias');
  if (isJsonObject(del)) {
    const aliasName = str(del, 'alias_name' satisfies keyof Schemas['DeleteAlias']);
    return (s) => {
      s.aliases.delete(aliasName);
    };
  }
  const rename = field<Schemas['RenameAliasOperation']>(v, 'rename_alias');
  if (isJsonObject(rename)) {
    const oldName = str(rename, 'old_alias_name' satisfies keyof Schemas['RenameAlias']);
    const newName = str(rename, 'new_alias_name' satisfies keyof Schemas['RenameAlias']);
    return (s) => {
      const target = s.aliases.get(oldName);
      if (target === undefined) throw notFound(`Alias ${oldName} does not exists!`);
      if (s.collections.has(newName)) throw alreadyExists(`Collection \`${newName}\` already exists!`);
      s.aliases.delete(oldName);
      s.aliases.set(newName, target);
    };
  }
  throw untagged;
}

// ---------------------------------------------------------------- points

interface PointInput {
  id: PointId;
  vectors: PointVectorsInput;
  payload: JsonObject;
}

function parseId(v: JsonValue | undefined, path: JsonPath): PointId {
  const id = toPointId(v);
  if (id === undefined) throw formatError(invalidIdMessage(v), path);
  return id;
}

function parsePayload(v: JsonValue | undefined, path: JsonPath): JsonObject {
  return optObject(v, 'a map', path) ?? {};
}

function parsePointsList(v: JsonValue, path: JsonPath): PointInput[] {
  return expectArray(v, path).map((item, k) => {
    const p = [...path, k];
    const point = expectObject(item, 'struct PointStruct', p);
    type PointStruct = Schemas['PointStruct'];
    const idValue = field<PointStruct>(point, 'id');
    if (idValue === undefined) missingField('id', p);
    const vectorValue = field<PointStruct>(point, 'vector');
    if (vectorValue === undefined) missingField('vector', p);
    return {
      id: parseId(idValue, [...p, 'id']),
      vectors: parsePointVectors(vectorValue, [...p, 'vector']),
      payload: parsePayload(field<PointStruct>(point, 'payload'), [...p, 'payload']),
    };
  });
}

function parseBatch(v: JsonValue, path: JsonPath): PointInput[] {
  type Batch = Schemas['Batch'];
  const batch = expectObject(v, 'struct Batch', path);
  const idsValue = field<Batch>(batch, 'ids');
  if (idsValue === undefined) missingField('ids', path);
  const ids = expectArray(idsValue, [...path, 'ids']).map((id, k) => parseId(id, [...path, 'ids', k]));
  const vectorsValue = field<Batch>(batch, 'vectors');
  if (vectorsValue === undefined) missingField('vectors', path);
  const vp = [...path, 'vectors'];
  const perPoint: PointVectorsInput[] = ids.map(() => []);
  const countMismatch = (): RequestError => validationError('number of ids and vectors must be equal', [...path]);
  if (Array.isArray(vectorsValue)) {
    if (vectorsValue.length !== ids.length) throw countMismatch();
    vectorsValue.forEach((vec, k) => {
      if (!Array.isArray(vec))
        throw formatError('data did not match any variant of untagged enum BatchVectorStruct', vp);
      perPoint[k]!.push({ name: '', vector: parseNamedValue(vec, [...vp, k]), path: [...vp, k] });
    });
  } else if (isJsonObject(vectorsValue)) {
    for (const [name, list] of Object.entries(vectorsValue)) {
      const lp = [...vp, name];
      const items = expectArray(list, lp);
      if (items.length !== ids.length) throw countMismatch();
      items.forEach((vec, k) =>
        perPoint[k]!.push({ name, vector: parseNamedValue(vec, [...lp, k]), path: [...lp, k] }),
      );
    }
  } else {
    throw formatError('data did not match any variant of untagged enum BatchVectorStruct', vp);
  }
  const payloadsValue = field<Batch>(batch, 'payloads');
  let payloads: JsonObject[] = ids.map(() => ({}));
  if (payloadsValue !== undefined && payloadsValue !== null) {
    const list = expectArray(payloadsValue, [...path, 'payloads']);
    if (list.length !== ids.length) throw validationError('number of ids and payloads must be equal', [...path]);
    payloads = list.map((p, k) => parsePayload(p, [...path, 'payloads', k]));
  }
  return ids.map((id, k) => ({ id, vectors: perPoint[k]!, payload: payloads[k]! }));
}

/**
 * Upsert. Malformed bodies and ids are rejected (400/422) whatever `wait` says. Vectors that do
 * not fit the collection fail the whole request with wait=true (nothing stored) and are
 * silently dropped (point not stored) without it, as Qdrant's asynchronous apply does.
 */
function upsertPoints(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  const wait = updateQuery(req.query);
  const untagged = formatError('data did not match any variant of untagged enum PointInsertOperations');
  const body = req.json();
  if (!isJsonObject(body)) throw untagged;
  const pointsValue = field<Schemas['PointsList']>(body, 'points');
  const batchValue = field<Schemas['PointsBatch']>(body, 'batch');
  if ((pointsValue === undefined) === (batchValue === undefined)) throw untagged;
  const inputs =
    pointsValue !== undefined ? parsePointsList(pointsValue, ['points']) : parseBatch(batchValue!, ['batch']);
  const selector = parseShardSelector(field<Schemas['PointsList']>(body, 'shard_key'), ['shard_key']);
  const c = s.require(name);
  const targets = writeTargets(c, selector);
  const accepted: Array<{ input: PointInput; vectors: StoredVector[] }> = [];
  for (const input of inputs) {
    try {
      accepted.push({ input, vectors: storeVectors(input.vectors, c.slots) });
    } catch (e) {
      if (!(e instanceof VectorDataError)) throw e;
      if (wait) throw wrongInput(e.message);
    }
  }
  for (const target of targets) {
    for (const { input, vectors } of accepted) {
      target.points.upsert(input.id, vectors, input.payload, stringifyJson(input.payload));
    }
  }
  return updateResult(c, wait);
}

function scrollPoints(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  checkTimeout(req.query);
  type Scroll = Schemas['ScrollRequest'];
  const body = expectObject(req.json(), 'struct ScrollRequest', []);
  const offsetValue = field<Scroll>(body, 'offset');
  const offset = offsetValue === undefined || offsetValue === null ? undefined : parseId(offsetValue, ['offset']);
  const limit = optUint(field<Scroll>(body, 'limit'), ['limit']) ?? 10;
  if (limit === 0) throw validationError('value 0 invalid, must be 1.0 or larger', ['limit']);
  const payloadSel = parseWithPayload(field<Scroll>(body, 'with_payload'), ['with_payload']);
  const withVectorKey = Object.hasOwn(body, 'with_vector') ? 'with_vector' : 'with_vectors'; // serde alias
  const vectorSel = parseWithVector(body[withVectorKey], [withVectorKey]);
  const orderBy = field<Scroll>(body, 'order_by');
  if (orderBy !== undefined && orderBy !== null)
    throw badRequest('order_by is not supported by the Qdrant test server');
  const selector = parseShardSelector(field<Scroll>(body, 'shard_key'), ['shard_key']);
  const c = s.require(name);
  const page = mergedPage(readTargets(c, selector), offset, limit + 1);
  const records = page.length > limit ? page.slice(0, limit) : page;
  const next = page.length > limit ? renderPointId(page[limit]!.point.id) : 'null';
  const keyPoints: keyof Schemas['ScrollResult'] = 'points';
  const keyNext: keyof Schemas['ScrollResult'] = 'next_page_offset';
  const points = renderRecords(records, payloadSel, vectorSel);
  return result([Buffer.from(`{"${keyPoints}":`), ...points, Buffer.from(`,"${keyNext}":${next}}`)]);
}

/** POST /collections/{name}/points: records for the given ids, in request order. */
function retrievePoints(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  checkTimeout(req.query);
  type PointRequest = Schemas['PointRequest'];
  const body = expectObject(req.json(), 'struct PointRequest', []);
  const idsValue = field<PointRequest>(body, 'ids');
  if (idsValue === undefined) missingField('ids', []);
  const ids = expectArray(idsValue, ['ids']).map((id, k) => parseId(id, ['ids', k]));
  const payloadSel = parseWithPayload(field<PointRequest>(body, 'with_payload'), ['with_payload']);
  const withVectorKey = Object.hasOwn(body, 'with_vector') ? 'with_vector' : 'with_vectors';
  const vectorSel = parseWithVector(body[withVectorKey], [withVectorKey]);
  const selector = parseShardSelector(field<PointRequest>(body, 'shard_key'), ['shard_key']);
  const targets = readTargets(s.require(name), selector);
  const seen = new Set<PointId>();
  const found: Array<{ point: StoredPoint; key?: ShardKeyValue }> = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    // one record per id, the first key's, as the merged answer of several shards
    for (const target of targets) {
      const point = target.points.get(id);
      if (point === undefined) continue;
      found.push({ point, key: target.key });
      break;
    }
  }
  return result(renderRecords(found, payloadSel, vectorSel));
}

/** POST /collections/{name}/points/delete with a list of ids (filter selectors unsupported). */
function deletePoints(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  const wait = updateQuery(req.query);
  const body = req.json();
  const untagged = formatError('data did not match any variant of untagged enum PointsSelector');
  if (!isJsonObject(body)) throw untagged;
  const pointsValue = field<Schemas['PointIdsList']>(body, 'points');
  const filterValue = field<Schemas['FilterSelector']>(body, 'filter');
  if (pointsValue === undefined) {
    if (filterValue === undefined) throw untagged;
    throw badRequest('deleting points by filter is not supported by the Qdrant test server');
  }
  const ids = expectArray(pointsValue, ['points']).map((id, k) => parseId(id, ['points', k]));
  const selector = parseShardSelector(field<Schemas['PointIdsList']>(body, 'shard_key'), ['shard_key']);
  const c = s.require(name);
  for (const target of writeTargets(c, selector)) for (const id of ids) target.points.delete(id);
  return updateResult(c, wait);
}

/** Counts all points (filters are not supported by the test server and are ignored). */
function countPoints(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  checkTimeout(req.query);
  const body = expectObject(req.json(), 'struct CountRequest', []);
  optBool(field<Schemas['CountRequest']>(body, 'exact'), ['exact']);
  const selector = parseShardSelector(field<Schemas['CountRequest']>(body, 'shard_key'), ['shard_key']);
  // shards' counts add up: an id under two keys counts twice
  const targets = readTargets(s.require(name), selector);
  const r: Schemas['CountResult'] = { count: targets.reduce((sum, t) => sum + t.points.size, 0) };
  return result(stringifyJson(r));
}

// ---------------------------------------------------------------- payload indexes

const PAYLOAD_SCHEMA_TYPES: readonly Schemas['PayloadSchemaType'][] = [
  'keyword',
  'integer',
  'float',
  'geo',
  'text',
  'bool',
  'datetime',
  'uuid',
];

function createIndex(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  const wait = updateQuery(req.query);
  type CreateFieldIndex = Schemas['CreateFieldIndex'];
  const body = expectObject(req.json(), 'struct CreateFieldIndex', []);
  const fieldNameValue = field<CreateFieldIndex>(body, 'field_name');
  if (fieldNameValue === undefined) missingField('field_name', []);
  const fieldName = expectString(fieldNameValue, ['field_name']);
  const schema = field<CreateFieldIndex>(body, 'field_schema');
  const untagged = formatError('data did not match any variant of untagged enum PayloadFieldSchema', ['field_schema']);
  let index: { dataType: Schemas['PayloadSchemaType']; params?: Schemas['PayloadSchemaParams'] } | undefined;
  if (typeof schema === 'string') {
    if (!(PAYLOAD_SCHEMA_TYPES as readonly string[]).includes(schema)) throw untagged;
    index = { dataType: schema as Schemas['PayloadSchemaType'] };
  } else if (isJsonObject(schema)) {
    const type = field<Schemas['KeywordIndexParams']>(schema, 'type');
    if (typeof type !== 'string' || !(PAYLOAD_SCHEMA_TYPES as readonly string[]).includes(type)) throw untagged;
    index = {
      dataType: expectVariant(type, PAYLOAD_SCHEMA_TYPES, ['field_schema', 'type']),
      params: schema as Schemas['PayloadSchemaParams'],
    };
  } else if (schema !== undefined && schema !== null) {
    throw untagged;
  }
  const c = s.require(name);
  if (index === undefined) {
    throw badRequest("Can't auto-detect field type, please specify `field_schema` in the request");
  }
  c.setPayloadIndex(fieldName, index);
  return updateResult(c, wait);
}

function deleteIndex(s: QdrantState, req: ApiRequest, name: string, fieldName: string): ApiAnswer {
  const wait = updateQuery(req.query);
  const c = s.require(name);
  c.deletePayloadIndex(fieldName);
  return updateResult(c, wait);
}
