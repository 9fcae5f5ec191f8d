// One collection of the Qdrant test server: its configuration, payload indexes, operation
// counter and points.
//
// Points live in a Map by canonical id plus an array sorted in Qdrant order. New ids that come
// in ascending order are appended; others wait in `pending` and are sorted and merged into
// the array on the next ordered read, so a scroll page costs a binary search plus the page,
// never a full sort per request. Replacing an existing point updates it in place.

import type { Schemas } from '@qdrant/js-client-rest';
import type { CollectionSetup, VectorSlot } from './config.js';
import { comparePointIds, renderPointId, type PointId } from './ids.js';
import type { JsonObject } from './json.js';
import { hasPayloadValue, renderSelectedPayload, type PayloadSelection, type VectorSelection } from './payload.js';
import { renderVectorStruct, type StoredVector } from './vectors.js';
import { renderShardKey, ShardKeyTable, type ShardKeyValue } from './shards.js';

export interface StoredPoint {
  readonly id: PointId;
  vectors: StoredVector[];
  payload: JsonObject;
  /** rendered once at upsert */
  payloadJson: string;
}

export class PointStore {
  private readonly byId = new Map<PointId, StoredPoint>();
  private sorted: StoredPoint[] = [];
  private pending: StoredPoint[] = [];

  get size(): number {
    return this.byId.size;
  }

  get(id: PointId): StoredPoint | undefined {
    return this.byId.get(id);
  }

  upsert(id: PointId, vectors: StoredVector[], payload: JsonObject, payloadJson: string): void {
    const existing = this.byId.get(id);
    if (existing !== undefined) {
      existing.vectors = vectors;
      existing.payload = payload;
      existing.payloadJson = payloadJson;
      return;
    }
    const point: StoredPoint = { id, vectors, payload, payloadJson };
    this.byId.set(id, point);
    const last = this.sorted[this.sorted.length - 1];
    if (this.pending.length === 0 && (last === undefined || comparePointIds(last.id, id) < 0)) this.sorted.push(point);
    else this.pending.push(point);
  }

  /** Removes a point; false when there was none with that id. */
  delete(id: PointId): boolean {
    const point = this.byId.get(id);
    if (point === undefined) return false;
    this.byId.delete(id);
    const pendingAt = this.pending.indexOf(point);
    if (pendingAt >= 0) {
      this.pending.splice(pendingAt, 1);
      return true;
    }
    this.sorted.splice(this.lowerBound(this.sorted, id), 1);
    return true;
  }

  /** All points in Qdrant id order. */
  ordered(): readonly StoredPoint[] {
    if (this.pending.length > 0) this.mergePending();
    return this.sorted;
  }

  /** Up to `count` points with id >= `from` (all when `from` is undefined), in Qdrant order. */
  page(from: PointId | undefined, count: number): StoredPoint[] {
    const all = this.ordered();
    const start = from === undefined ? 0 : this.lowerBound(all, from);
    return all.slice(start, start + count);
  }

  /** Index of the first point with id >= `id` in a sorted array. */
  private lowerBound(all: readonly StoredPoint[], id: PointId): number {
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePointIds(all[mid]!.id, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private mergePending(): void {
    const add = this.pending.sort((a, b) => comparePointIds(a.id, b.id));
    const old = this.sorted;
    const merged = new Array<StoredPoint>(old.length + add.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < add.length) {
      merged[k++] = comparePointIds(old[i]!.id, add[j]!.id) < 0 ? old[i++]! : add[j++]!;
    }
    while (i < old.length) merged[k++] = old[i++]!;
    while (j < add.length) merged[k++] = add[j++]!;
    this.sorted = merged;
    this.pending = [];
  }
}

interface PayloadIndex {
  dataType: Schemas['PayloadSchemaType'];
  /** only when created with the object form of field_schema */
  params?: Schemas['PayloadSchemaParams'];
}

export class Collection {
  readonly points = new PointStore();
  /** the shard keys and their points when sharding is custom (then `points` stays empty), else null */
  readonly shardKeys: ShardKeyTable | null;
  private readonly payloadIndexes = new Map<string, PayloadIndex>();
  private operations = 0;

  constructor(
    readonly name: string,
    private readonly setup: CollectionSetup,
  ) {
    this.shardKeys =
      setup.config.params.sharding_method === 'custom' ? new ShardKeyTable(() => new PointStore()) : null;
  }

  /** Every point store: one per shard key, or the collection's own. */
  stores(): PointStore[] {
    return this.shardKeys === null ? [this.points] : this.shardKeys.all().map((e) => e.points);
  }

  get slots(): ReadonlyMap<string, VectorSlot> {
    return this.setup.slots;
  }

  /** Sequential operation number of an update (upsert, index change), from 0. */
  nextOperationId(): number {
    return this.operations++;
  }

  /**
   * PATCH params: only the keys given change. The params are rebuilt in Qdrant's field order
   * (CollectionParams), with unset optional fields left out as Qdrant omits them.
   */
  updateParams(diff: Partial<Schemas['CollectionParams']>): void {
    const old = this.setup.config.params;
    const merged = { ...old };
    for (const [key, value] of Object.entries(diff))
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    this.setup.config.params = {
      vectors: merged.vectors,
      shard_number: merged.shard_number,
      sharding_method: merged.sharding_method,
      replication_factor: merged.replication_factor,
      write_consistency_factor: merged.write_consistency_factor,
      read_fan_out_factor: merged.read_fan_out_factor,
      read_fan_out_delay_ms: merged.read_fan_out_delay_ms,
      on_disk_payload: merged.on_disk_payload,
      sparse_vectors: merged.sparse_vectors,
    };
  }

  setPayloadIndex(fieldName: string, index: PayloadIndex): void {
    this.payloadIndexes.set(fieldName, index);
  }

  deletePayloadIndex(fieldName: string): void {
    this.payloadIndexes.delete(fieldName);
  }

  info(): Schemas['CollectionInfo'] {
    const payloadSchema: Schemas['CollectionInfo']['payload_schema'] = {};
    for (const [fieldName, index] of this.payloadIndexes) {
      let points = 0;
      for (const store of this.stores())
        for (const p of store.ordered()) if (hasPayloadValue(p.payload, fieldName)) points++;
      payloadSchema[fieldName] = { data_type: index.dataType, params: index.params, points };
    }
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: this.stores().reduce((sum, store) => sum + store.size, 0),
      segments_count: 1,
      config: this.setup.config,
      payload_schema: payloadSchema,
      update_queue: { length: 0 },
    };
  }
}

const RECORD_ID: keyof Schemas['Record'] = 'id';
const RECORD_PAYLOAD: keyof Schemas['Record'] = 'payload';
const RECORD_VECTOR: keyof Schemas['Record'] = 'vector';
const RECORD_SHARD_KEY: keyof Schemas['Record'] = 'shard_key';

/**
 * Appends the JSON text of a Record to `out`: `{"id":..,"payload":..,"vector":..,"shard_key":..}`,
 * unrequested parts omitted; `shard_key` only for a point of a custom-sharded collection.
 */
export function renderRecord(
  out: Buffer[],
  p: StoredPoint,
  payloadSel: PayloadSelection,
  vectorSel: VectorSelection,
  shardKey?: ShardKeyValue,
): void {
  let head = `{"${RECORD_ID}":${renderPointId(p.id)}`;
  const payload = renderSelectedPayload(p.payload, p.payloadJson, payloadSel);
  if (payload !== undefined) head += `,"${RECORD_PAYLOAD}":${payload}`;
  if (vectorSel !== undefined) {
    out.push(Buffer.from(`${head},"${RECORD_VECTOR}":`));
    renderVectorStruct(out, p.vectors, vectorSel === 'all' ? undefined : vectorSel);
    head = '';
  }
  if (shardKey !== undefined) head += `,"${RECORD_SHARD_KEY}":${renderShardKey(shardKey)}`;
  out.push(Buffer.from(head + '}'));
}

/** A JSON array of records, as bytes: `[record,record,...]`. */
export function renderRecords(
  records: ReadonlyArray<{ point: StoredPoint; key?: ShardKeyValue }>,
  payloadSel: PayloadSelection,
  vectorSel: VectorSelection,
): Buffer[] {
  const out: Buffer[] = [OPEN_ARRAY];
  records.forEach((r, k) => {
    if (k > 0) out.push(COMMA);
    renderRecord(out, r.point, payloadSel, vectorSel, r.key);
  });
  out.push(CLOSE_ARRAY);
  return out;
}

const OPEN_ARRAY = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE_ARRAY = Buffer.from(']');
