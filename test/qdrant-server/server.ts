// Qdrant-compatible HTTP test server (node:http on a loopback port) for the backup tool's tests.
//
// It speaks the subset of Qdrant's REST API in the team's reference (qdrant-rest.md) closely
// enough for the official @qdrant/js-client-rest to talk to it unchanged: Qdrant's envelope,
// status codes and error texts, API-key check, exact u64 ids, f32 vectors printed like Qdrant.
// Tests can inject faults (error status, delay, dropped connection), read a log of the
// requests handled, and look at the stored state directly.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { routeRequest, QdrantState, type ApiAnswer, type ApiRequest } from './api.js';
import { describePath, QdrantError, RequestError } from './errors.js';
import type { PointId } from './ids.js';
import { decodeJsonBody, JsonSyntaxError, locateValueEnd, parseJsonExact, type JsonValue } from './json.js';
import { decodeVectorStruct } from './vectors.js';
import { Cluster, type ShardKeyValue } from './shards.js';
import { SnapshotService, type SnapshotOptions } from './snapshots.js';

export interface QdrantTestServerOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 (any free port) */
  port?: number;
  /** when set, every endpoint but /, /healthz, /readyz and /livez needs it */
  apiKey?: string;
  /** reported by GET /; default '1.18.0' */
  version?: string;
  /** serve HTTPS with this PEM key and certificate (url then starts with https://) */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** peers of the simulated cluster (ids 1001, 1002, …); default 1: distributed mode off */
  peers?: number;
  /** collection snapshots and GET /cluster (see snapshots.ts) */
  snapshots?: Omit<SnapshotOptions, 'version'>;
}

export interface FaultRule {
  /** HTTP method to match (any case); any method when absent */
  method?: string;
  /** substring of, or regex on, the URL path (without query); any path when absent */
  path?: RegExp | string;
  /** 1-based: the nth matching request from now; default 1 */
  nth?: number;
  /** how many consecutive matching requests from nth on; default 1; Infinity allowed */
  times?: number;
  /**
   * 'status': answer `status` with a Qdrant error body; 'delay': wait, then handle normally;
   * 'drop': destroy the socket; 'body': answer 200 with `body` as it is (a broken answer)
   */
  kind: 'status' | 'delay' | 'drop' | 'body';
  /** for 'status'; default 500 */
  status?: number;
  /** for 'delay' */
  delayMs?: number;
  /** for 'body' */
  body?: Buffer;
}

export interface QdrantTestServer {
  url: string;
  port: number;
  /** closes the server and all sockets (keep-alive ones too) */
  close(): Promise<void>;
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  /**
   * every request handled, in order; a dropped request has status 0; `query` is the raw query
   * string without '?' ('' when none), so tests can see e.g. wait=true
   */
  requestLog: Array<{ method: string; path: string; query: string; status: number }>;
  /** collection names (not aliases), in creation order */
  collectionNames(): string[];
  /**
   * stored (normalised) points of a collection (or alias), in Qdrant id order; in a
   * custom-sharded collection, key by key (in creation order), each point with its `shardKey`
   */
  getPoints(collection: string): Array<{
    id: number | bigint | string;
    vector: unknown;
    payload: Record<string, unknown>;
    shardKey?: ShardKeyValue;
  }>;
  /** names of a collection's snapshots on the server */
  snapshotNames(collection: string): string[];
  /** aliases, as alias -> collection */
  aliases(): Map<string, string>;
}

/** Paths Qdrant serves without an API key. */
const OPEN_PATHS = new Set(['/', '/healthz', '/readyz', '/livez']);

const INJECTED_FAULT_BODY = '{"status":{"error":"Service internal error: injected fault"},"time":0}';

interface ActiveFault {
  readonly rule: FaultRule;
  readonly first: number;
  readonly last: number;
  seen: number;
}

/** Fault rules and their counters of matching requests. */
class FaultInjector {
  private active: ActiveFault[] = [];

  add(rule: FaultRule): void {
    const nth = rule.nth ?? 1;
    const times = rule.times ?? 1;
    if (!Number.isInteger(nth) || nth < 1) throw new RangeError(`FaultRule.nth must be an integer >= 1, got ${nth}`);
    if (!(times >= 1)) throw new RangeError(`FaultRule.times must be >= 1, got ${times}`);
    this.active.push({ rule, first: nth, last: nth + times - 1, seen: 0 });
  }

  clear(): void {
    this.active = [];
  }

  /** Counts the request against every matching rule; returns the first rule that fires. */
  match(method: string, path: string): FaultRule | undefined {
    let fired: FaultRule | undefined;
    for (const f of this.active) {
      if (!matches(f.rule, method, path)) continue;
      f.seen++;
      if (fired === undefined && f.seen >= f.first && f.seen <= f.last) fired = f.rule;
    }
    this.active = this.active.filter((f) => f.seen < f.last);
    return fired;
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
  if (rule.path === undefined) return true;
  if (typeof rule.path === 'string') return path.includes(rule.path);
  rule.path.lastIndex = 0;
  return rule.path.test(path);
}

interface Reply {
  status: number;
  body: string | Buffer;
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
}

function errorReply(status: number, text: string, time: string, headers?: Readonly<Record<string, string>>): Reply {
  return { status, body: `{"status":{"error":${JSON.stringify(text)}},"time":${time}}`, headers };
}

/** Qdrant's answer for a request that fails to parse or validate (always `time` 0.0). */
function requestErrorReply(e: RequestError, rawBody: string): Reply {
  if (e.kind === 'validation') {
    const where = e.path !== undefined && e.path.length > 0 ? `${describePath(e.path)}: ` : '';
    return errorReply(422, `Validation error in ${e.part}: [${where}${e.reason}]`, '0.0');
  }
  let text = `Format error in ${e.part}: ${e.reason}`;
  if (e.part === 'JSON body' && e.path !== undefined) {
    const at = locateValueEnd(rawBody, e.path);
    if (at !== undefined) text += ` at line ${at.line} column ${at.column}`;
  }
  return errorReply(400, text, '0.0');
}

function authReply(required: string | undefined, req: http.IncomingMessage, path: string): Reply | undefined {
  if (required === undefined || OPEN_PATHS.has(path)) return undefined;
  let given = req.headers['api-key'];
  if (Array.isArray(given)) given = given[0];
  if (given === undefined) {
    const auth = req.headers.authorization;
    if (auth !== undefined && /^bearer /i.test(auth)) given = auth.slice(7).trim();
  }
  const text =
    given === undefined ? 'Must provide an API key or an Authorization bearer token' : 'Invalid API key or JWT';
  if (given === required) return undefined;
  return { status: 401, body: text, contentType: 'text/plain; charset=utf-8' };
}

/** Path segments, URI-decoded; undefined for paths no Qdrant route can match. */
function pathSegments(path: string): string[] | undefined {
  if (path === '/') return [];
  const raw = path.slice(1).split('/');
  if (raw.some((s) => s === '')) return undefined;
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

const RESULT_HEAD = Buffer.from('{"result":');

function answerReply(answer: ApiAnswer, started: bigint): Reply {
  if (answer.kind === 'raw') return { status: answer.status, body: answer.body, contentType: answer.contentType };
  const time = Number(process.hrtime.bigint() - started) / 1e9;
  const tail = `,"status":"ok","time":${time}}`;
  if (typeof answer.json === 'string') return { status: 200, body: `{"result":${answer.json}${tail}` };
  return { status: 200, body: Buffer.concat([RESULT_HEAD, ...answer.json, Buffer.from(tail)]) };
}

/** Streams a snapshot file in 1 MiB writes, waiting for the client to take each. */
async function sendFile(res: http.ServerResponse, data: Buffer): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(data.length) });
  const step = 1024 * 1024;
  for (let at = 0; at < data.length && !res.destroyed; at += step) {
    if (!res.write(data.subarray(at, at + step)))
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
  }
  res.end();
}

/** A plain HTTP server, or an HTTPS one when given a key and certificate. */
function createHttpServer(
  tls: QdrantTestServerOptions['tls'],
  listener: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): http.Server {
  return tls === undefined
    ? http.createServer(listener)
    : https.createServer({ key: tls.key, cert: tls.cert }, listener);
}

export async function startQdrantTestServer(opts: QdrantTestServerOptions = {}): Promise<QdrantTestServer> {
  const host = opts.host ?? '127.0.0.1';
  const version = opts.version ?? '1.18.0';
  const state = new QdrantState(new Cluster(opts.peers));
  const faults = new FaultInjector();
  const requestLog: QdrantTestServer['requestLog'] = [];
  const sleeps = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;
  const snapshots = new SnapshotService(state, { ...opts.snapshots, version }, (ms) => sleep(ms));

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        sleeps.delete(t);
        resolve();
      }, ms);
      sleeps.add(t);
    });

  const send = (res: http.ServerResponse, method: string, path: string, query: string, reply: Reply): void => {
    requestLog.push({ method, path, query, status: reply.status });
    if (res.destroyed) return;
    // bytes, so that the length and the write do not each encode a large string
    const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
    res.writeHead(reply.status, {
      'content-type': reply.contentType ?? 'application/json',
      'content-length': body.length,
      ...reply.headers,
    });
    res.end(body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // client went away mid-request
    }
    const rawBytes = Buffer.concat(chunks);
    const method = (req.method ?? 'GET').toUpperCase();
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    const path = queryStart < 0 ? target : target.slice(0, queryStart);
    const queryText = queryStart < 0 ? '' : target.slice(queryStart + 1);
    const query = new URLSearchParams(queryText);

    const fault = faults.match(method, path);
    if (fault !== undefined) {
      if (fault.kind === 'drop') {
        requestLog.push({ method, path, query: queryText, status: 0 });
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'status') {
        const status = fault.status ?? 500;
        const headers: Record<string, string> = status === 429 ? { 'retry-after': '1' } : {};
        send(res, method, path, queryText, { status, body: INJECTED_FAULT_BODY, headers });
        return;
      }
      if (fault.kind === 'body') {
        requestLog.push({ method, path, query: queryText, status: 200 });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(fault.body?.length ?? 0) });
        res.end(fault.body);
        return;
      }
      await sleep(fault.delayMs ?? 0);
      if (closing !== undefined) return;
    }

    const denied = authReply(opts.apiKey, req, path);
    if (denied !== undefined) {
      send(res, method, path, queryText, denied);
      return;
    }

    const segments = pathSegments(path);
    const handler = segments === undefined ? undefined : routeRequest(method, segments, version);
    const snapshotHandler = segments === undefined ? undefined : snapshots.route(method, segments);
    if (handler === undefined && snapshotHandler === undefined) {
      send(res, method, path, queryText, { status: 404, body: '', contentType: 'text/plain' });
      return;
    }

    let parsed: { value: JsonValue } | undefined;
    const apiRequest: ApiRequest = {
      method,
      query,
      json: () => (parsed ??= { value: parseJsonExact(decodeJsonBody(rawBytes)) }).value,
    };
    let reply: Reply;
    try {
      if (snapshotHandler !== undefined) {
        const answer = await snapshotHandler({ query, body: rawBytes, contentType: req.headers['content-type'] });
        if (answer.kind === 'file') {
          await sendFile(res, answer.data);
          requestLog.push({ method, path, query: queryText, status: 200 });
          return;
        }
        reply = answerReply(answer, started);
      } else reply = answerReply(handler!(state, apiRequest), started);
    } catch (e) {
      if (e instanceof JsonSyntaxError) reply = errorReply(400, `Format error in JSON body: ${e.message}`, '0.0');
      else if (e instanceof RequestError) reply = requestErrorReply(e, rawBytes.toString('utf8'));
      else if (e instanceof QdrantError) {
        const time = Number(process.hrtime.bigint() - started) / 1e9;
        reply = errorReply(e.status, e.text, String(time), e.headers);
      } else {
        const message = e instanceof Error ? e.message : String(e);
        reply = errorReply(500, `Service internal error: ${message}`, '0.0');
      }
    }
    send(res, method, path, queryText, reply);
  };

  const server = createHttpServer(opts.tls, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      // never let a bug in the test server become an unhandled rejection (process exit)
      const message = e instanceof Error ? e.message : String(e);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      send(res, req.method ?? 'GET', req.url ?? '/', '', errorReply(500, `Service internal error: ${message}`, '0.0'));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `${opts.tls === undefined ? 'http' : 'https'}://${urlHost}:${port}`,
    port,
    requestLog,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const t of sleeps) clearTimeout(t);
        sleeps.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
    injectFault(rule: FaultRule): void {
      faults.add(rule);
    },
    clearFaults(): void {
      faults.clear();
    },
    collectionNames(): string[] {
      return [...state.collections.keys()];
    },
    snapshotNames(collection: string): string[] {
      return snapshots.names(collection);
    },
    aliases(): Map<string, string> {
      return new Map(state.aliases);
    },
    getPoints(
      collection: string,
    ): Array<{ id: PointId; vector: unknown; payload: Record<string, unknown>; shardKey?: ShardKeyValue }> {
      const c = state.resolve(collection);
      if (c === undefined) throw new Error(`Qdrant test server: collection ${collection} doesn't exist`);
      const targets =
        c.shardKeys === null
          ? [{ key: undefined, points: c.points }]
          : c.shardKeys.all().map((e) => ({ key: e.key, points: e.points }));
      return targets.flatMap(({ key, points }) =>
        points.ordered().map((p) => ({
          id: p.id,
          vector: decodeVectorStruct(p.vectors),
          payload: structuredClone(p.payload),
          ...(key === undefined ? {} : { shardKey: key }),
        })),
      );
    },
  };
}
