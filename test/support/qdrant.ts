/**
 * The Qdrant a suite talks to: its own in-process test server by default, or the server at
 * BA_TEST_QDRANT_URL (see real-qdrant.ts). Either way the suite reads the stored state through
 * one handle; what only the test server can do (fault injection, its request log) sits behind
 * `testServer`, and a test that needs it skips itself against a real Qdrant, saying why.
 */
import type { TestContext } from 'node:test';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { parseJsonExact, stringifyJson, isJsonObject, type JsonValue } from '../qdrant-server/json.js';
import { startQdrantTestServer, type QdrantTestServer } from '../qdrant-server/server.js';
import { clientFor } from './qdrant-seed.js';
import { REAL_QDRANT, type RealQdrant } from './real-qdrant.js';

/** A stored point as the test server's getPoints gives it: f32 vector values, exact ids and integers. */
export type StoredPoint = ReturnType<QdrantTestServer['getPoints']>[number];

export interface QdrantHandle {
  url: string;
  /** the environment a CLI run needs for this server: QDRANT_URL, and QDRANT_API_KEY when it has one */
  env: Record<string, string>;
  client: QdrantClient;
  /** the in-process test server; undefined against a real Qdrant */
  testServer: QdrantTestServer | undefined;
  /** every point of a collection (or alias) with vectors and payload, in Qdrant id order */
  getPoints(collection: string): Promise<StoredPoint[]>;
  collectionNames(): Promise<string[]>;
  /** stops the test server; against a real Qdrant, deletes what this process created there */
  close(): Promise<void>;
}

/** Starts the suite's test server, or connects to the real Qdrant when the switch is set. */
export async function startQdrant(): Promise<QdrantHandle> {
  return REAL_QDRANT === undefined ? wrapTestServer(await startQdrantTestServer()) : connectReal(REAL_QDRANT);
}

/**
 * The test server, for a test that needs what only it can do (`need` says what, e.g. 'fault
 * injection'); against a real Qdrant the test is skipped with that reason and this returns undefined.
 */
export function onlyWithTestServer(t: TestContext, qdrant: QdrantHandle, need: string): QdrantTestServer | undefined {
  if (qdrant.testServer === undefined) skipNeeding(t, need);
  return qdrant.testServer;
}

/**
 * For a test that starts test servers of its own (other versions, peers, delays): true, and the
 * test skipped saying what it needs, when the suites run against a real Qdrant.
 */
export function skipWithRealQdrant(t: TestContext, need: string): boolean {
  if (REAL_QDRANT === undefined) return false;
  skipNeeding(t, need);
  return true;
}

function skipNeeding(t: TestContext, need: string): void {
  t.skip(`needs ${need}: the test server only`);
}

function wrapTestServer(server: QdrantTestServer): QdrantHandle {
  return {
    url: server.url,
    env: { QDRANT_URL: server.url },
    client: clientFor(server.url),
    testServer: server,
    getPoints: (collection) => Promise.resolve(server.getPoints(collection)),
    collectionNames: () => Promise.resolve(server.collectionNames()),
    close: () => server.close(),
  };
}

/** A handle on a Qdrant reached only over REST (exported so that a test can check it against the test server's own view). */
export async function connectReal(real: RealQdrant): Promise<QdrantHandle> {
  const rest = restCaller(real);
  await rest('GET', '/collections'); // fails at once, naming the variable, when the server cannot be used
  return {
    url: real.url,
    env: { QDRANT_URL: real.url, ...(real.apiKey === undefined ? {} : { QDRANT_API_KEY: real.apiKey }) },
    client: clientFor(real.url, real.apiKey),
    testServer: undefined,
    getPoints: (collection) => scrollAll(rest, collection),
    collectionNames: async () => collectionNamesOf(await rest('GET', '/collections')),
    close: () => deleteOwn(rest, `${real.username}_`),
  };
}

type Rest = (method: string, path: string, body?: unknown) => Promise<JsonValue>;

/** Calls the real server's REST API; the answer's `result`, parsed so that u64 ids stay exact. */
function restCaller(real: RealQdrant): Rest {
  return async (method, path, body) => {
    const where = `BA_TEST_QDRANT_URL=${real.url}: ${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(real.url + path, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(real.apiKey === undefined ? {} : { 'api-key': real.apiKey }),
        },
        body: body === undefined ? undefined : stringifyJson(body),
      });
    } catch (e) {
      throw new Error(
        `${where} failed (${e instanceof Error ? e.message : String(e)}); start Qdrant or fix the address`,
        { cause: e },
      );
    }
    const text = await response.text();
    if (response.status !== 200) {
      const hint = response.status === 401 || response.status === 403 ? '; set BA_TEST_QDRANT_API_KEY' : '';
      throw new Error(`${where} answered ${response.status}: ${text.slice(0, 300)}${hint}`);
    }
    const answer = parseJsonExact(text);
    return isJsonObject(answer) ? (answer.result ?? null) : null;
  };
}

async function scrollAll(rest: Rest, collection: string): Promise<StoredPoint[]> {
  const points: StoredPoint[] = [];
  let offset: JsonValue = null;
  do {
    const page = await rest('POST', `/collections/${encodeURIComponent(collection)}/points/scroll`, {
      limit: 256,
      with_payload: true,
      with_vector: true,
      ...(offset === null ? {} : { offset }),
    });
    if (!isJsonObject(page) || !Array.isArray(page.points)) throw new Error(`scroll of ${collection}: no points list`);
    for (const p of page.points) {
      if (!isJsonObject(p)) throw new Error(`scroll of ${collection}: a point that is not an object`);
      points.push({
        id: p.id as StoredPoint['id'],
        vector: f32Vectors(p.vector),
        payload: (p.payload ?? {}) as StoredPoint['payload'],
      });
    }
    offset = page.next_page_offset ?? null;
  } while (offset !== null);
  return points;
}

/** Vector values as f32, the way the test server reports what it stores (Qdrant prints f32 shortest). */
function f32Vectors(v: JsonValue | undefined): unknown {
  if (v === undefined || v === null) return {};
  if (Array.isArray(v)) return v.map((x) => (Array.isArray(x) ? x.map(fround) : fround(x)));
  if (!isJsonObject(v)) return v;
  if (Array.isArray(v.indices) && Array.isArray(v.values)) return { indices: v.indices, values: v.values.map(fround) };
  return Object.fromEntries(Object.entries(v).map(([name, one]) => [name, f32Vectors(one)]));
}

function fround(x: JsonValue): number {
  return Math.fround(Number(x));
}

function collectionNamesOf(result: JsonValue): string[] {
  const list = isJsonObject(result) && Array.isArray(result.collections) ? result.collections : [];
  return list.map((c) => (isJsonObject(c) && typeof c.name === 'string' ? c.name : '')).filter((n) => n !== '');
}

/** Deletes the aliases and collections named with this process's prefix: nothing anyone else made. */
async function deleteOwn(rest: Rest, prefix: string): Promise<void> {
  const aliasesResult = await rest('GET', '/aliases');
  const aliases = isJsonObject(aliasesResult) && Array.isArray(aliasesResult.aliases) ? aliasesResult.aliases : [];
  const ownAliases = aliases
    .map((a) => (isJsonObject(a) && typeof a.alias_name === 'string' ? a.alias_name : ''))
    .filter((name) => name.startsWith(prefix));
  if (ownAliases.length > 0) {
    await rest('POST', '/collections/aliases', {
      actions: ownAliases.map((alias_name) => ({ delete_alias: { alias_name } })),
    });
  }
  for (const name of collectionNamesOf(await rest('GET', '/collections'))) {
    if (name.startsWith(prefix)) await rest('DELETE', `/collections/${encodeURIComponent(name)}`);
  }
}
