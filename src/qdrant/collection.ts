/**
 * What a collection is, apart from its points: its config, payload indexes
 * and aliases, read at backup and recreated at restore.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import { collectionPath, type QdrantConnection } from './connection.js';
import {
  type ArchivedShardKey,
  createShardKey,
  isCustomSharded,
  readClusterPeers,
  readShardKeys,
} from './shard-keys.js';

export type CollectionConfig = Schemas['CollectionConfig'];
export type CollectionInfo = Schemas['CollectionInfo'];
export type Distance = Schemas['Distance'];

/** The collection as archived in qdrant_vectors.json under "collection". */
export interface ArchivedCollection {
  config: CollectionConfig;
  payload_schema: CollectionInfo['payload_schema'];
  aliases: string[];
  /** Only for a custom-sharded collection: its keys, created before any point goes in. */
  shard_keys?: ArchivedShardKey[];
}

/** The Python enum's text the original tool writes and maps back. */
const DISTANCE_TO_ENUM: Record<Distance, string> = {
  Cosine: 'Distance.COSINE',
  Euclid: 'Distance.EUCLID',
  Dot: 'Distance.DOT',
  Manhattan: 'Distance.MANHATTAN',
};

export function distanceToEnumText(distance: Distance): string {
  return DISTANCE_TO_ENUM[distance];
}

/** "Distance.EUCLID", "Euclid" or "euclid" -> "Euclid"; null when unknown. */
export function distanceFromText(text: string): Distance | null {
  const bare = text.startsWith('Distance.') ? text.slice('Distance.'.length) : text;
  const lower = bare.toLowerCase();
  for (const distance of Object.keys(DISTANCE_TO_ENUM) as Distance[]) {
    if (distance.toLowerCase() === lower) return distance;
  }
  return null;
}

/** The single unnamed dense vector's params, or null for named vectors. */
export function unnamedVectorParams(config: CollectionConfig): Schemas['VectorParams'] | null {
  const vectors = config.params.vectors;
  if (
    vectors &&
    typeof (vectors as Schemas['VectorParams']).size === 'number' &&
    typeof (vectors as Schemas['VectorParams']).distance === 'string'
  ) {
    return vectors as Schemas['VectorParams'];
  }
  return null;
}

/** Reads a collection's info, or null when it does not exist. */
export async function readCollection(server: QdrantConnection, name: string): Promise<ArchivedCollection | null> {
  if (!(await collectionExists(server, name))) return null;
  const path = collectionPath(name);
  const info = await server.requestResult<CollectionInfo>('GET', path, undefined, 'read the collection');
  const aliases = await server.requestResult<Schemas['CollectionsAliasesResponse']>(
    'GET',
    `${path}/aliases`,
    undefined,
    'read the aliases',
  );
  return {
    config: info.config,
    payload_schema: info.payload_schema,
    aliases: aliases.aliases.map((alias) => alias.alias_name).sort(),
    ...(isCustomSharded(info.config) ? { shard_keys: await readShardKeys(server, name) } : {}),
  };
}

/** Exact point count, or null when the collection does not exist. */
export async function countPoints(server: QdrantConnection, name: string): Promise<number | null> {
  if (!(await collectionExists(server, name))) return null;
  const path = `${collectionPath(name)}/points/count`;
  const result = await server.requestResult<{ count: number }>('POST', path, '{"exact":true}', 'count points');
  return result.count;
}

async function collectionExists(server: QdrantConnection, name: string): Promise<boolean> {
  const path = `${collectionPath(name)}/exists`;
  const result = await server.requestResult<{ exists: boolean }>('GET', path, undefined, 'check the collection');
  return result.exists;
}

function orUndefined<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}

/** The create-collection request that reproduces an archived config. */
export function createRequestFor(config: CollectionConfig): Schemas['CreateCollection'] {
  const params = config.params;
  const request: Schemas['CreateCollection'] = {
    vectors: params.vectors,
    shard_number: params.shard_number,
    sharding_method: orUndefined(params.sharding_method),
    replication_factor: params.replication_factor,
    write_consistency_factor: params.write_consistency_factor,
    on_disk_payload: params.on_disk_payload,
    sparse_vectors: orUndefined(params.sparse_vectors),
    hnsw_config: config.hnsw_config,
    wal_config: orUndefined(config.wal_config),
    // GET says optimizer_config, create takes optimizers_config
    optimizers_config: config.optimizer_config,
    quantization_config: orUndefined(config.quantization_config),
    strict_mode_config: orUndefined(config.strict_mode_config),
    metadata: orUndefined(config.metadata),
  };
  for (const key of Object.keys(request) as Array<keyof typeof request>) {
    if (request[key] === undefined) delete request[key];
  }
  return request;
}

/**
 * The params Qdrant reports but does not take at creation (CreateCollection
 * has no read fan-out fields; only PATCH /collections/{name} sets them), or
 * null when none is set.
 */
export function updateParamsFor(config: CollectionConfig): Schemas['CollectionParamsDiff'] | null {
  const { read_fan_out_factor, read_fan_out_delay_ms } = config.params;
  const diff: Schemas['CollectionParamsDiff'] = {};
  if (read_fan_out_factor !== undefined && read_fan_out_factor !== null) diff.read_fan_out_factor = read_fan_out_factor;
  if (read_fan_out_delay_ms !== undefined && read_fan_out_delay_ms !== null)
    diff.read_fan_out_delay_ms = read_fan_out_delay_ms;
  return Object.keys(diff).length > 0 ? diff : null;
}

/** A minimal config for archives that only know vector_size and distance. */
export function configForPlainVectors(size: number, distance: Distance): CollectionConfig {
  return {
    params: { vectors: { size, distance } },
  } as CollectionConfig;
}

/**
 * Creates the collection from an archived config, then sets what creation
 * cannot (read fan-out), then its shard keys, payload indexes (with wait, so
 * they exist when this returns) and aliases.
 */
export async function createCollection(
  server: QdrantConnection,
  name: string,
  archived: ArchivedCollection,
): Promise<void> {
  const request = createRequestFor(archived.config);
  // The client's createCollection drops `metadata`; the generated API keeps it.
  await server.call('create the collection', (client) =>
    client.api().createCollection({ collection_name: name, ...request }),
  );
  const params = updateParamsFor(archived.config);
  if (params) {
    await server.call('set the read fan-out settings', (client) => client.updateCollection(name, { params }), true);
  }
  if (archived.shard_keys) {
    const peers = await readClusterPeers(server);
    for (const shardKey of archived.shard_keys) await createShardKey(server, name, shardKey, peers);
  }
  for (const [field, index] of Object.entries(archived.payload_schema ?? {})) {
    if (!index) continue;
    const schema = (index.params ?? index.data_type) as Schemas['PayloadFieldSchema'];
    await server.call(
      `create the payload index on ${field}`,
      (client) => client.createPayloadIndex(name, { field_name: field, field_schema: schema, wait: true }),
      true,
    );
  }
  if (archived.aliases.length > 0) {
    await server.call(
      'create the aliases',
      (client) =>
        client.updateCollectionAliases({
          actions: archived.aliases.map((alias) => ({ create_alias: { collection_name: name, alias_name: alias } })),
        }),
      true,
    );
  }
}

export async function deleteCollection(server: QdrantConnection, name: string): Promise<void> {
  await server.request('DELETE', collectionPath(name), undefined, 'delete the collection');
}
