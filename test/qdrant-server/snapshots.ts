// Collection snapshots of the Qdrant test server.
//
// Qdrant's snapshot is a tar of the collection's segments and WAL; this server's is its own
// self-describing text file with what Qdrant's carries (config, payload indexes, points with
// vectors and payloads) and, as Qdrant's, without aliases:
//   line 1: {"format":"qdrant-test-server-snapshot","version":...,"config":...,"payload_indexes":...,"points":N}
//   N lines: one point record each ({"id":..,"payload":..,"vector":..}, exact ids and floats)
//   optional filler after a "#wal" line, standing in for the WAL segments that make a real
//   snapshot of a small collection large.
// Recovery replays the file through the server's own API handlers (create, PATCH, index,
// upsert) into a scratch state, then swaps the collection in: nothing changes on failure.

import { createHash } from 'node:crypto';
import type { Schemas } from '@qdrant/js-client-rest';
import { queryBool, queryError, routeRequest, QdrantState, type ApiAnswer, type ApiRequest } from './api.js';
import { renderRecord } from './collection.js';
import { badRequest, collectionNotFound, notFound } from './errors.js';
import { isJsonObject, parseJsonExact, stringifyJson, type JsonObject, type JsonValue } from './json.js';

const FORMAT = 'qdrant-test-server-snapshot';
const WAL_MARK = '#wal\n';

export interface SnapshotOptions {
  /** the server version written into snapshots and checked on recovery */
  version: string;
  /** filler bytes appended to every snapshot (Qdrant's WAL segments) */
  walBytes?: number;
  /** how long creating a snapshot takes: a wait=true answer comes after it, a wait=false one appears in the list after it */
  createDelayMs?: number;
}

export interface SnapshotRequest {
  readonly query: URLSearchParams;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

/** A JSON answer, or a snapshot file to stream as application/octet-stream. */
export type SnapshotAnswer = ApiAnswer | { kind: 'file'; data: Buffer };

export type SnapshotHandler = (req: SnapshotRequest) => Promise<SnapshotAnswer>;

interface StoredSnapshot {
  description: Schemas['SnapshotDescription'];
  data: Buffer;
  /** false while a wait=false creation is still running */
  ready: boolean;
}

const result = (json: string): ApiAnswer => ({ kind: 'result', json });
const NEWLINE = Buffer.from('\n');
const accepted = (): ApiAnswer => ({
  kind: 'raw',
  status: 202,
  contentType: 'application/json',
  body: '{"status":"accepted","time":0.0}',
});

export class SnapshotService {
  /** collection name -> snapshot name -> snapshot */
  private readonly files = new Map<string, Map<string, StoredSnapshot>>();
  private lastSecond = 0;

  constructor(
    private readonly state: QdrantState,
    private readonly opts: SnapshotOptions,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** The handler for a snapshot route, or undefined for any other request. */
  route(method: string, segments: readonly string[]): SnapshotHandler | undefined {
    const [a, b, c, d] = segments;
    const n = segments.length;
    if (a !== 'collections' || c !== 'snapshots' || b === undefined) return undefined;
    if (n === 3 && method === 'POST') return (r) => this.create(b, r);
    if (n === 3 && method === 'GET') return () => Promise.resolve(this.list(b));
    if (n === 4 && d === 'upload' && method === 'POST') return (r) => this.upload(b, r);
    if (n === 4 && method === 'GET') return () => Promise.resolve(this.download(b, d!));
    if (n === 4 && method === 'DELETE') return () => Promise.resolve(this.remove(b, d!));
    return undefined;
  }

  /** Names of the snapshots a collection has, finished or not (for tests). */
  names(collection: string): string[] {
    return [...(this.files.get(collection)?.keys() ?? [])];
  }

  private async create(collection: string, req: SnapshotRequest): Promise<ApiAnswer> {
    const wait = queryBool(req.query, 'wait') ?? true;
    const c = this.state.collections.get(collection);
    if (c === undefined) throw collectionNotFound(collection);
    const data = this.serialize(collection);
    const description: Schemas['SnapshotDescription'] = {
      name: `${collection}-1001-${this.snapshotTime().replace(/[T:]/g, '-')}.snapshot`,
      creation_time: this.snapshotTime(),
      size: data.length,
      checksum: createHash('sha256').update(data).digest('hex'),
    };
    const stored: StoredSnapshot = { description, data, ready: false };
    const files = this.files.get(collection) ?? new Map<string, StoredSnapshot>();
    this.files.set(collection, files);
    files.set(description.name, stored);
    const finished = this.sleep(this.opts.createDelayMs ?? 0).then(() => {
      stored.ready = true;
    });
    if (!wait) return accepted();
    await finished;
    return result(stringifyJson(description));
  }

  /** Qdrant's names have one-second resolution; the test server keeps them unique by moving on a second. */
  private snapshotTime(): string {
    const now = Math.max(Math.floor(Date.now() / 1000), this.lastSecond + 1);
    this.lastSecond = now;
    return new Date(now * 1000).toISOString().slice(0, 19);
  }

  private list(collection: string): ApiAnswer {
    if (this.state.collections.get(collection) === undefined) throw collectionNotFound(collection);
    const ready = [...(this.files.get(collection)?.values() ?? [])].filter((s) => s.ready);
    return result(stringifyJson(ready.map((s) => s.description)));
  }

  private find(collection: string, name: string): StoredSnapshot {
    if (this.state.collections.get(collection) === undefined) throw collectionNotFound(collection);
    const stored = this.files.get(collection)?.get(name);
    if (stored === undefined || !stored.ready) throw notFound(`Snapshot ${name} not found`);
    return stored;
  }

  private download(collection: string, name: string): SnapshotAnswer {
    return { kind: 'file', data: this.find(collection, name).data };
  }

  private remove(collection: string, name: string): ApiAnswer {
    this.find(collection, name);
    this.files.get(collection)!.delete(name);
    return result('true');
  }

  private serialize(collection: string): Buffer {
    const c = this.state.collections.get(collection)!;
    const info = c.info();
    const indexes: JsonObject = {};
    for (const [fieldName, index] of Object.entries(info.payload_schema)) {
      if (index === undefined) continue;
      indexes[fieldName] = (index.params ?? index.data_type) as JsonValue;
    }
    const points = c.points.ordered();
    const header = {
      format: FORMAT,
      version: this.opts.version,
      config: info.config,
      payload_indexes: indexes,
      points: points.length,
    };
    const parts = [Buffer.from(stringifyJson(header) + '\n')];
    for (const p of points) {
      renderRecord(parts, p, { kind: 'all' }, 'all');
      parts.push(NEWLINE);
    }
    const wal = this.opts.walBytes ?? 0;
    if (wal > 0) parts.push(Buffer.from(WAL_MARK), Buffer.alloc(wal, 0x57));
    return Buffer.concat(parts);
  }

  private async upload(collection: string, req: SnapshotRequest): Promise<ApiAnswer> {
    const wait = queryBool(req.query, 'wait') ?? true;
    const priority = req.query.get('priority') ?? 'replica';
    if (!['no_sync', 'snapshot', 'replica'].includes(priority)) {
      throw queryError(`unknown variant \`${priority}\`, expected one of \`no_sync\`, \`snapshot\`, \`replica\``);
    }
    const file = multipartField(req.body, req.contentType, 'snapshot');
    const expected = req.query.get('checksum');
    if (expected !== null) {
      const actual = createHash('sha256').update(file).digest('hex');
      if (actual !== expected) throw badRequest(`Snapshot checksum mismatch: expected ${expected}, got ${actual}`);
    }
    const recovered = this.recover(collection, file, priority);
    if (!wait) return accepted();
    await Promise.resolve();
    return recovered;
  }

  /**
   * Rebuilds the collection from a snapshot file. With the default priority (replica) into a
   * collection that did not exist or was empty, Qdrant can keep the empty local state: modelled
   * here as a collection with the snapshot's config and no points.
   */
  private recover(collection: string, file: Buffer, priority: string): ApiAnswer {
    const text = file.toString('utf8');
    const firstEnd = text.indexOf('\n');
    let header: JsonValue;
    try {
      header = parseJsonExact(firstEnd < 0 ? text : text.slice(0, firstEnd));
    } catch {
      throw badRequest('Snapshot is not a valid snapshot file');
    }
    if (!isJsonObject(header) || header.format !== FORMAT) throw badRequest('Snapshot is not a valid snapshot file');
    this.checkVersion(typeof header.version === 'string' ? header.version : '');
    const before = this.state.collections.get(collection);
    const keepEmpty = priority === 'replica' && (before === undefined || before.points.size === 0);

    const scratch = new QdrantState();
    const call = (method: string, segments: string[], body: JsonValue): void => {
      const handler = routeRequest(method, ['collections', collection, ...segments], this.opts.version)!;
      const request: ApiRequest = { method, query: new URLSearchParams('wait=true'), json: () => body };
      handler(scratch, request);
    };
    const config = header.config as JsonObject;
    call('PUT', [], createBodyOf(config));
    const params = config.params as JsonObject;
    const fanOut: JsonObject = {};
    for (const key of ['read_fan_out_factor', 'read_fan_out_delay_ms'])
      if (params[key] != null) fanOut[key] = params[key];
    if (Object.keys(fanOut).length > 0) call('PATCH', [], { params: fanOut });
    for (const [fieldName, schema] of Object.entries(header.payload_indexes as JsonObject)) {
      call('PUT', ['index'], { field_name: fieldName, field_schema: schema });
    }
    const walAt = text.indexOf(`\n${WAL_MARK}`);
    const body = text.slice(firstEnd + 1, walAt < 0 ? text.length : walAt + 1);
    const lines = body.split('\n').filter((line) => line !== '');
    if (lines.length !== Number(header.points)) throw badRequest('Snapshot is damaged: its point count does not match');
    for (let i = 0; i < lines.length && !keepEmpty; i += 256) {
      call('PUT', ['points'], { points: lines.slice(i, i + 256).map((line) => parseJsonExact(line)) });
    }
    this.state.collections.set(collection, scratch.collections.get(collection)!);
    return result('true');
  }

  /** Qdrant recovers snapshots of its own version or of the minor version before it. */
  private checkVersion(made: string): void {
    const [madeMajor, madeMinor] = made.split('.').map(Number);
    const [major, minor] = this.opts.version.split('.').map(Number);
    if (
      madeMajor !== major ||
      madeMinor === undefined ||
      minor === undefined ||
      minor - madeMinor > 1 ||
      minor < madeMinor
    ) {
      throw badRequest(`Snapshot of Qdrant ${made} cannot be recovered by Qdrant ${this.opts.version}`);
    }
  }
}

/** A CreateCollection body from a collection's reported config. */
function createBodyOf(config: JsonObject): JsonObject {
  const params = config.params as JsonObject;
  const body: JsonObject = {};
  for (const key of [
    'vectors',
    'shard_number',
    'sharding_method',
    'replication_factor',
    'write_consistency_factor',
    'on_disk_payload',
    'sparse_vectors',
  ]) {
    if (params[key] != null) body[key] = params[key];
  }
  const rest: Array<[string, string]> = [
    ['hnsw_config', 'hnsw_config'],
    ['optimizer_config', 'optimizers_config'],
    ['wal_config', 'wal_config'],
    ['quantization_config', 'quantization_config'],
    ['strict_mode_config', 'strict_mode_config'],
    ['metadata', 'metadata'],
  ];
  for (const [from, to] of rest) if (config[from] != null) body[to] = config[from];
  return body;
}

/** The bytes of one field of a multipart/form-data body. */
function multipartField(body: Buffer, contentType: string | undefined, name: string): Buffer {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!/^multipart\/form-data/i.test(contentType ?? '') || boundary === undefined) {
    throw badRequest('Content type must be multipart/form-data');
  }
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const headerStart = at + delimiter.length + 2;
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerEnd < 0) break;
    const headers = body.subarray(headerStart, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) break;
    if (new RegExp(`name="${name}"`).test(headers)) return body.subarray(headerEnd + 4, next);
    at = next + 2;
  }
  throw badRequest(`Multipart field \`${name}\` is missing`);
}
