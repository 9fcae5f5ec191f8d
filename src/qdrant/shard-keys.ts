/**
 * Custom sharding: a collection whose points live under user-named shard
 * keys (a string or an unsigned integer each). An id is unique within a key
 * only, so the same id under two keys is two points. A backup reads the keys
 * and how each is laid out (shards, replicas, peers), and a restore creates
 * them again before any point goes in.
 *
 * Keys come from GET /collections/{c}/shards where the server has it, else
 * from the shard keys of the collection's cluster info; the layout always
 * from the cluster info (local and remote replicas per shard id).
 */
import type { Schemas } from '@qdrant/js-client-rest';
import * as z from 'zod';
import { collectionPath, QdrantAnswerError, QdrantError, type QdrantConnection } from './connection.js';

type CollectionConfig = Schemas['CollectionConfig'];

/** A shard key value as archived: Qdrant's ShardKey (keyword or u64; this tool takes integers up to 2^53). */
export type ShardKeyValue = string | number;

/** One shard key as archived in qdrant_vectors.json's collection.shard_keys. */
export interface ArchivedShardKey {
  key: ShardKeyValue;
  /** shards of this key */
  shards_number: number;
  /** replicas of each of its shards */
  replication_factor: number;
  /** the peers that held its replicas at backup */
  placement: number[];
}

export const shardKeyValueSchema = z.union([z.string(), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)]);

export const archivedShardKeySchema = z
  .object({
    key: shardKeyValueSchema,
    shards_number: z.number().int().positive().max(0xffffffff),
    replication_factor: z.number().int().positive().max(0xffffffff),
    placement: z.array(z.number().int().nonnegative()),
  })
  .loose();

/** A shard key's identity: its JSON text ("a" quoted, 7 bare), so keyword "7" and number 7 stay apart. */
export function shardKeyId(key: ShardKeyValue): string {
  return JSON.stringify(key);
}

/** A key as people read it in messages. */
export function describeShardKey(key: ShardKeyValue): string {
  return `shard key ${JSON.stringify(key)}`;
}

export function isCustomSharded(config: CollectionConfig): boolean {
  return config.params.sharding_method === 'custom';
}

/** The part of GET /collections/{c}/cluster this module reads. */
interface ClusterInfo {
  peer_id: number;
  local_shards: Array<{ shard_id: number; shard_key?: unknown }>;
  remote_shards: Array<{ shard_id: number; shard_key?: unknown; peer_id: number }>;
}

function checkedKey(value: unknown, url: string): ShardKeyValue {
  const parsed = shardKeyValueSchema.safeParse(value);
  if (!parsed.success) {
    throw new QdrantAnswerError(
      `Qdrant at ${url} reported shard key ${JSON.stringify(value)}, which this tool cannot keep (a string or an integer up to 2^53)`,
    );
  }
  return parsed.data;
}

/** The key list of GET /collections/{c}/shards, or null on a server without that endpoint. */
async function listedKeys(server: QdrantConnection, name: string): Promise<unknown[] | null> {
  try {
    const listed = await server.requestResult<{ shard_keys?: Array<{ key: unknown }> | null }>(
      'GET',
      `${collectionPath(name)}/shards`,
      undefined,
      'list the shard keys',
    );
    return (listed.shard_keys ?? []).map((k) => k.key);
  } catch (err) {
    if (err instanceof QdrantError && err.status === 404) return null;
    throw err;
  }
}

/** A custom-sharded collection's keys with their layout, in the server's order. */
export async function readShardKeys(server: QdrantConnection, name: string): Promise<ArchivedShardKey[]> {
  const listed = await listedKeys(server, name);
  const info = await server.requestResult<ClusterInfo>(
    'GET',
    `${collectionPath(name)}/cluster`,
    undefined,
    'read the shard layout',
  );
  // per key: shard id -> peers holding a replica
  const layout = new Map<string, { key: ShardKeyValue; shards: Map<number, Set<number>> }>();
  const note = (rawKey: unknown, shardId: number, peer: number): void => {
    if (rawKey === undefined || rawKey === null) return;
    const key = checkedKey(rawKey, server.url);
    let entry = layout.get(shardKeyId(key));
    if (!entry) layout.set(shardKeyId(key), (entry = { key, shards: new Map() }));
    let peers = entry.shards.get(shardId);
    if (!peers) entry.shards.set(shardId, (peers = new Set()));
    peers.add(peer);
  };
  for (const shard of info.local_shards) note(shard.shard_key, shard.shard_id, info.peer_id);
  for (const shard of info.remote_shards) note(shard.shard_key, shard.shard_id, shard.peer_id);
  const keys = listed ? listed.map((k) => checkedKey(k, server.url)) : [...layout.values()].map((e) => e.key);
  return keys.map((key) => {
    const shards = [...(layout.get(shardKeyId(key))?.shards.values() ?? [])];
    if (shards.length === 0) {
      throw new QdrantAnswerError(`Qdrant at ${server.url} lists ${describeShardKey(key)} but no shard of it`);
    }
    const peers = new Set(shards.flatMap((s) => [...s]));
    return {
      key,
      shards_number: shards.length,
      replication_factor: Math.max(...shards.map((s) => s.size)),
      placement: [...peers].sort((a, b) => a - b),
    };
  });
}

/** Exact point count under one key. */
export async function countShardKeyPoints(server: QdrantConnection, name: string, key: ShardKeyValue): Promise<number> {
  const result = await server.requestResult<{ count: number }>(
    'POST',
    `${collectionPath(name)}/points/count`,
    JSON.stringify({ exact: true, shard_key: key }),
    `count the points of ${describeShardKey(key)}`,
  );
  return result.count;
}

/**
 * Creates a key as archived. Its placement is kept only when every peer it
 * named is in the target cluster; otherwise Qdrant places the key itself.
 */
export async function createShardKey(
  server: QdrantConnection,
  name: string,
  shardKey: ArchivedShardKey,
  peers: readonly number[],
): Promise<void> {
  const placementKept = shardKey.placement.length > 0 && shardKey.placement.every((p) => peers.includes(p));
  const body = {
    shard_key: shardKey.key,
    shards_number: shardKey.shards_number,
    replication_factor: shardKey.replication_factor,
    ...(placementKept ? { placement: shardKey.placement } : {}),
  };
  await server.request(
    'PUT',
    `${collectionPath(name)}/shards`,
    JSON.stringify(body),
    `create ${describeShardKey(shardKey.key)}`,
  );
}

/** The peer ids of the server's cluster; one peer (its own, unknown: -1) when distributed mode is off. */
export async function readClusterPeers(server: QdrantConnection): Promise<number[]> {
  const status = await server.requestResult<{ status: string; peers?: Record<string, unknown> }>(
    'GET',
    '/cluster',
    undefined,
    'read the cluster',
  );
  if (status.status !== 'enabled' || !status.peers) return [-1];
  return Object.keys(status.peers).map(Number);
}

/**
 * The peers a collection's replicas need: Qdrant quietly makes fewer
 * replicas than asked when the cluster has fewer peers, which a restore
 * must not do to a collection kept on several machines. A factor larger
 * than the source cluster's peers (`sourcePeers`, when the archive says)
 * was never met there and asks for no more than those peers.
 */
export function peersNeeded(
  config: CollectionConfig,
  shardKeys: readonly ArchivedShardKey[] | undefined,
  sourcePeers?: number,
): { peers: number; why: string } | null {
  let needed: { peers: number; why: string } | null = null;
  const cap = (factor: number): number => Math.min(factor, sourcePeers ?? factor);
  const replication = cap(config.params.replication_factor ?? 1);
  const consistency = cap(config.params.write_consistency_factor ?? 1);
  // a custom-sharded collection's own factor is only the default for new keys: its keys say what they need
  if (!shardKeys) {
    if (replication > 1) needed = { peers: replication, why: `replication_factor ${replication}` };
    // writes wait for this many replicas: fewer peers and every write fails
    if (consistency > Math.max(replication, 1) && consistency > 1)
      needed = { peers: consistency, why: `write_consistency_factor ${consistency}` };
  }
  for (const k of shardKeys ?? []) {
    if (k.replication_factor > (needed?.peers ?? 1)) {
      needed = { peers: k.replication_factor, why: `${k.replication_factor} replicas of ${describeShardKey(k.key)}` };
    }
  }
  return needed;
}
