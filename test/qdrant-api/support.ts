// Shared set-up of the tests of the Qdrant-compatible test server (test/qdrant-server/), split
// into test/qdrant-api/*.test.ts by area. The server is started on port 0 and driven with the
// official @qdrant/js-client-rest client, and with raw fetch where the client cannot show what
// is on the wire (exact u64 ids, float text, error bodies, faults).

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { parseJsonExact } from '../qdrant-server/json.js';
import { startQdrantTestServer, type QdrantTestServer, type QdrantTestServerOptions } from '../qdrant-server/server.js';

/** A test server started on port 0, closed when the test `t` ends. */
export async function start(t: TestContext, opts: QdrantTestServerOptions = {}): Promise<QdrantTestServer> {
  const server = await startQdrantTestServer(opts);
  t.after(() => server.close());
  return server;
}

export function clientFor(server: QdrantTestServer, apiKey?: string): QdrantClient {
  return new QdrantClient({ url: server.url, checkCompatibility: false, apiKey });
}

export interface RawResponse {
  status: number;
  contentType: string | null;
  text: string;
}

export async function raw(
  server: QdrantTestServer,
  method: string,
  path: string,
  body?: string | Uint8Array | object,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(server.url + path, init);
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** The `result` of a Qdrant envelope, parsed exactly (big ids stay bigints). */
export function resultOf(r: RawResponse): unknown {
  assert.equal(r.status, 200, r.text);
  const parsed = parseJsonExact(r.text) as { result: unknown; status: string; time: number };
  assert.equal(parsed.status, 'ok');
  assert.equal(typeof parsed.time, 'number');
  return parsed.result;
}

/** Qdrant's error text of a raw error response. */
export function errorTextOf(r: RawResponse): string {
  const parsed = JSON.parse(r.text) as Schemas['ErrorResponse'];
  assert.equal(typeof parsed.time, 'number');
  assert.equal(parsed.result, undefined);
  return parsed.status?.error ?? '';
}

export interface ClientApiError {
  status: number;
  data: { status?: { error?: string } } | string;
}

export function isApiError(e: unknown): e is ClientApiError {
  return typeof e === 'object' && e !== null && 'status' in e && 'data' in e;
}

/** Awaits a client call that must fail; returns status and Qdrant's error text. */
export async function clientError(p: Promise<unknown>): Promise<{ status: number; text: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(isApiError(e), `not an ApiError: ${String(e)}`);
    const text = typeof e.data === 'string' ? e.data : (e.data.status?.error ?? '');
    return { status: e.status, text };
  }
  assert.fail('expected the call to fail');
}

export const ID_ERROR_TAIL = 'is not a valid point ID, valid values are either an unsigned integer or a UUID';
