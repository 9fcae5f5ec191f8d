// Custom sharding and cluster layout of the Qdrant test server.
//
// A collection created with `sharding_method: "custom"` holds its points per shard key: each key
// has its own PointStore, so an id is unique within a key only. Point operations pick their keys
// with a `shard_key` selector (one key or a list): reads without one see every key, writes
// without one are refused, unknown keys fail, all with Qdrant's texts (shard_holder/mod.rs,
// sharding_keys.rs, common/collections.rs). A scroll across keys merges by id and keeps one point
// per id, as Qdrant does. The cluster is simulated: `peers` peers (a start option), reported by
// GET /cluster and used to place replicas as Qdrant's generate_even_placement does (capped to the
// peers there are, silently).

import type { Schemas } from '@qdrant/js-client-rest';
import type { ApiAnswer, ApiRequest, Handler, QdrantState } from './api.js';
import type { Collection, PointStore } from './collection.js';
import { badRequest, formatError, wrongInput } from './errors.js';
import { comparePointIds, type PointId } from './ids.js';
import { stringifyJson, type JsonPath, type JsonValue } from './json.js';
import { checkMin, expectObject, field, missingField, optUint } from './validate.js';

/** A shard key as Qdrant keeps it: a keyword or an unsigned integer. */
export type ShardKeyValue = string | bigint;

/** Qdrant's Display of a shard key: keywords quoted, numbers bare (used in its error texts). */
export function shardKeyText(key: ShardKeyValue): string {
  return typeof key === 'string' ? `"${key}"` : key.toString();
}

export function renderShardKey(key: ShardKeyValue): string {
  return typeof key === 'string' ? JSON.stringify(key) : key.toString();
}

/** The simulated cluster: peer ids; one peer means distributed mode is off. */
export class Cluster {
  readonly peerIds: number[];

  constructor(peers = 1) {
    if (!Number.isInteger(peers) || peers < 1) throw new RangeError(`peers must be an integer >= 1, got ${peers}`);
    // fixed ids, so tests can name them in a placement
    this.peerIds = Array.from({ length: peers }, (_, k) => 1001 + k);
  }

  get thisPeer(): number {
    return this.peerIds[0]!;
  }

  /** Qdrant's generate_even_placement without the shuffle: replicas taken round the pool. */
  place(pool: readonly number[], shards: number, replication: number): number[][] {
    const perShard = Math.min(replication, pool.length);
    const placement: number[][] = [];
    let next = 0;
    for (let s = 0; s < shards; s++) {
      const replicas: number[] = [];
      for (let r = 0; r < perShard; r++) replicas.push(pool[next++ % pool.length]!);
      placement.push(replicas);
    }
    return placement;
  }
}

export interface ShardKeyEntry {
  readonly key: ShardKeyValue;
  readonly points: PointStore;
  /** shard ids of the key with the peers holding a replica */
  readonly shards: Array<{ id: number; peers: number[] }>;
}

/** The shard keys of a custom-sharded collection, in creation order. */
export class ShardKeyTable {
  private readonly keys = new Map<string, ShardKeyEntry>();
  private lastShardId = 0;

  constructor(private readonly newStore: () => PointStore) {}

  get(key: ShardKeyValue): ShardKeyEntry | undefined {
    return this.keys.get(renderShardKey(key));
  }

  all(): ShardKeyEntry[] {
    return [...this.keys.values()];
  }

  add(key: ShardKeyValue, placement: number[][]): void {
    const shards = placement.map((peers) => ({ id: ++this.lastShardId, peers }));
    this.keys.set(renderShardKey(key), { key, points: this.newStore(), shards });
  }

  drop(key: ShardKeyValue): void {
    this.keys.delete(renderShardKey(key));
  }
}

/** The points a request acts on, with the shard key they live under (none in an auto-sharded collection). */
export interface Target {
  key: ShardKeyValue | undefined;
  points: PointStore;
}

function parseShardKey(v: JsonValue, path: JsonPath): ShardKeyValue {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' && v >= 0n) return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  throw formatError('data did not match any variant of untagged enum ShardKey', path);
}

/** A request's `shard_key` selector: undefined when absent or null, else its keys. */
export function parseShardSelector(v: JsonValue | undefined, path: JsonPath): ShardKeyValue[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const keys: ShardKeyValue[] = [];
    for (const item of v) {
      if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'bigint') {
        throw formatError('data did not match any variant of untagged enum ShardKeySelector', path);
      }
      keys.push(parseShardKey(item, path));
    }
    return keys;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return [parseShardKey(v, path)];
  if (typeof v === 'object')
    throw badRequest('shard key fallback selectors are not supported by the Qdrant test server');
  throw formatError('data did not match any variant of untagged enum ShardKeySelector', path);
}

/**
 * Where a read looks: the named keys, or every key (custom) / the collection's points (auto).
 * An unknown key is a 400 "Bad request" (ShardHolder::get_shard_ids_by_key).
 */
export function readTargets(c: Collection, selector: ShardKeyValue[] | undefined): Target[] {
  const table = c.shardKeys;
  if (selector === undefined) {
    return table === null
      ? [{ key: undefined, points: c.points }]
      : table.all().map((e) => ({ key: e.key, points: e.points }));
  }
  return selector.map((key) => {
    const entry = table?.get(key);
    if (entry === undefined) throw badRequest(`Shard key ${shardKeyText(key)} not found`);
    return { key: entry.key, points: entry.points };
  });
}

/**
 * Where a write goes: each named key (a list writes to all of them). A custom-sharded collection
 * refuses a write without a key; both errors are 400 "Wrong input" (ShardHolder::split_by_shard).
 */
export function writeTargets(c: Collection, selector: ShardKeyValue[] | undefined): Target[] {
  const table = c.shardKeys;
  if (selector === undefined) {
    if (table !== null) throw wrongInput('Shard key not specified');
    return [{ key: undefined, points: c.points }];
  }
  return selector.map((key) => {
    const entry = table?.get(key);
    if (entry === undefined) throw wrongInput(`Shard key ${shardKeyText(key)} not found`);
    return { key: entry.key, points: entry.points };
  });
}

/**
 * One scroll page across targets: each target's page, merged by id, one point per id (the
 * first target's), as Qdrant's scroll_by does with its shards' answers.
 */
export function mergedPage(
  targets: readonly Target[],
  from: PointId | undefined,
  count: number,
): Array<{ key: ShardKeyValue | undefined; point: ReturnType<PointStore['ordered']>[number] }> {
  const all = targets.flatMap((t) => t.points.page(from, count).map((point) => ({ key: t.key, point })));
  // stable sort: among equal ids the first target's point comes first and is kept
  all.sort((a, b) => comparePointIds(a.point.id, b.point.id));
  const merged = all.filter((x, k) => k === 0 || comparePointIds(all[k - 1]!.point.id, x.point.id) !== 0);
  return merged.slice(0, count);
}

// ---------------------------------------------------------------- routes

const result = (json: string): ApiAnswer => ({ kind: 'result', json });

/** The routes of this file, or undefined for any other path. */
export function routeShards(method: string, segments: readonly string[]): Handler | undefined {
  const [a, b, c, d] = segments;
  if (segments.length === 1 && a === 'cluster' && method === 'GET') return (s) => clusterStatus(s);
  if (a !== 'collections' || b === undefined) return undefined;
  if (segments.length === 3 && c === 'cluster' && method === 'GET') return (s) => collectionCluster(s, b);
  if (segments.length === 3 && c === 'shards') {
    if (method === 'GET') return (s) => listShardKeys(s, b);
    if (method === 'PUT') return (s, r) => createShardKey(s, r, b);
  }
  if (segments.length === 4 && c === 'shards' && d === 'delete' && method === 'POST') {
    return (s, r) => dropShardKey(s, r, b);
  }
  return undefined;
}

function clusterStatus(s: QdrantState): ApiAnswer {
  const { cluster } = s;
  if (cluster.peerIds.length === 1) return result('{"status":"disabled"}');
  const peers: Record<string, Schemas['PeerInfo']> = {};
  for (const id of cluster.peerIds) peers[String(id)] = { uri: `http://qdrant-peer-${id}:6335/` };
  const status: Schemas['ClusterStatus'] = {
    status: 'enabled',
    peer_id: cluster.thisPeer,
    peers,
    raft_info: { term: 1, commit: 1, pending_operations: 0, leader: cluster.thisPeer, role: 'Leader', is_voter: true },
    consensus_thread_status: { consensus_thread_status: 'working', last_update: new Date(0).toISOString() },
    message_send_failures: {},
  };
  return result(stringifyJson(status));
}

/** The shards of a collection and where their replicas are (auto: shard_number shards from 0). */
function shardLayout(
  s: QdrantState,
  c: Collection,
): Array<{ id: number; key?: ShardKeyValue; peers: number[]; points: number }> {
  if (c.shardKeys !== null) {
    // a key's points are reported on its first shard (the test server does not hash them apart)
    return c.shardKeys
      .all()
      .flatMap((e) => e.shards.map((sh, k) => ({ ...sh, key: e.key, points: k === 0 ? e.points.size : 0 })));
  }
  const params = c.info().config.params;
  const placement = s.cluster.place(s.cluster.peerIds, params.shard_number ?? 1, params.replication_factor ?? 1);
  return placement.map((peers, id) => ({ id, peers, points: id === 0 ? c.points.size : 0 }));
}

function collectionCluster(s: QdrantState, name: string): ApiAnswer {
  const c = s.require(name);
  const me = s.cluster.thisPeer;
  const local: string[] = [];
  const remote: string[] = [];
  const layout = shardLayout(s, c);
  for (const shard of layout) {
    const key = shard.key === undefined ? '' : `,"shard_key":${renderShardKey(shard.key)}`;
    for (const peer of shard.peers) {
      if (peer === me) local.push(`{"shard_id":${shard.id}${key},"points_count":${shard.points},"state":"Active"}`);
      else remote.push(`{"shard_id":${shard.id}${key},"peer_id":${peer},"state":"Active"}`);
    }
  }
  return result(
    `{"peer_id":${me},"shard_count":${layout.length},"local_shards":[${local.join(',')}],` +
      `"remote_shards":[${remote.join(',')}],"shard_transfers":[]}`,
  );
}

function listShardKeys(s: QdrantState, name: string): ApiAnswer {
  const table = s.require(name).shardKeys;
  if (table === null) return result('{}');
  return result(
    `{"shard_keys":[${table
      .all()
      .map((e) => `{"key":${renderShardKey(e.key)}}`)
      .join(',')}]}`,
  );
}

/** PUT /collections/{name}/shards, checked as Qdrant's dispatcher does (common/collections.rs). */
function createShardKey(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  type Create = Schemas['CreateShardingKey'];
  const body = expectObject(req.json(), 'struct CreateShardingKey', []);
  const keyValue = field<Create>(body, 'shard_key');
  if (keyValue === undefined) missingField('shard_key', []);
  const key = parseShardKey(keyValue, ['shard_key']);
  const shardsNumber = optUint(field<Create>(body, 'shards_number'), ['shards_number'], 'u32');
  checkMin(shardsNumber, 1, ['shards_number']);
  const replication = optUint(field<Create>(body, 'replication_factor'), ['replication_factor'], 'u32');
  checkMin(replication, 1, ['replication_factor']);
  const placementValue = field<Create>(body, 'placement');
  let placement: number[] | undefined;
  if (placementValue !== undefined && placementValue !== null) {
    if (!Array.isArray(placementValue)) throw formatError('invalid type, expected a sequence', ['placement']);
    placement = placementValue.map((p, k) => Number(optUint(p, ['placement', k], 'u64') ?? NaN));
  }
  if (field<Create>(body, 'initial_state') !== undefined) {
    throw badRequest('initial_state is not supported by the Qdrant test server');
  }
  const c = s.require(name);
  const table = c.shardKeys;
  if (table === null) throw badRequest('Shard Key cannot be created with Auto sharding method');
  if (table.get(key) !== undefined) {
    throw badRequest(`Sharding key ${shardKeyText(key)} already exists for collection ${name}`);
  }
  if (placement !== undefined) {
    if (placement.length === 0) {
      throw badRequest(
        `Sharding key ${shardKeyText(key)} placement cannot be empty. If you want to use random placement, do not specify placement`,
      );
    }
    for (const peer of placement)
      if (!s.cluster.peerIds.includes(peer)) throw badRequest(`Peer ${peer} does not exist`);
  }
  const params = c.info().config.params;
  table.add(
    key,
    s.cluster.place(
      placement ?? s.cluster.peerIds,
      shardsNumber ?? params.shard_number ?? 1,
      replication ?? params.replication_factor ?? 1,
    ),
  );
  return result('true');
}

/** POST /collections/{name}/shards/delete: dropping a key that is not there succeeds. */
function dropShardKey(s: QdrantState, req: ApiRequest, name: string): ApiAnswer {
  const body = expectObject(req.json(), 'struct DropShardingKey', []);
  const keyValue = field<Schemas['DropShardingKey']>(body, 'shard_key');
  if (keyValue === undefined) missingField('shard_key', []);
  const key = parseShardKey(keyValue, ['shard_key']);
  const table = s.require(name).shardKeys;
  if (table === null) throw badRequest(`shard key ${shardKeyText(key)} cannot be removed with Auto sharding method`);
  table.drop(key);
  return result('true');
}
