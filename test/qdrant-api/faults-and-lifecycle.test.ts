// Fault injection, the request log and the lifecycle of the Qdrant test server: injected
// statuses, 429s, delays and drops; close(); main.js under the test runner and standalone.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { QdrantClientResourceExhaustedError } from '@qdrant/js-client-rest';
import { startQdrantTestServer } from '../qdrant-server/server.js';
import { start, clientFor, raw, clientError } from './support.js';

describe('fault injection, request log and lifecycle', () => {
  it('answers injected status faults with a Qdrant error body, on the nth matching request for `times` requests', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    server.injectFault({ kind: 'status', status: 503, method: 'post', path: '/points/scroll', nth: 2, times: 2 });
    await client.scroll('c'); // 1st matching: fine
    for (let k = 0; k < 2; k++) {
      assert.deepEqual(await clientError(client.scroll('c')), {
        status: 503,
        text: 'Service internal error: injected fault',
      });
    }
    await client.scroll('c'); // 4th: past the window
    await client.count('c'); // other paths never matched
    const r = await (async () => {
      server.injectFault({ kind: 'status', path: /\/collections\/c$/ });
      return raw(server, 'GET', '/collections/c');
    })();
    assert.equal(r.status, 500);
    assert.equal(r.text, '{"status":{"error":"Service internal error: injected fault"},"time":0}');
    assert.deepEqual(
      server.requestLog.map((e) => `${e.method} ${e.path} ${e.status}`),
      [
        'PUT /collections/c 200',
        'POST /collections/c/points/scroll 200',
        'POST /collections/c/points/scroll 503',
        'POST /collections/c/points/scroll 503',
        'POST /collections/c/points/scroll 200',
        'POST /collections/c/points/count 200',
        'GET /collections/c 500',
      ],
    );
  });

  it('injects 429 with Retry-After (client: ResourceExhausted), delays, drops, and clears faults', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });

    server.injectFault({ kind: 'status', status: 429, path: '/points/count' });
    await assert.rejects(client.count('c'), (e: unknown) => {
      assert.ok(e instanceof QdrantClientResourceExhaustedError);
      assert.equal(e.retry_after, 1);
      return true;
    });

    server.injectFault({ kind: 'delay', delayMs: 300, path: '/points/count' });
    const started = performance.now();
    assert.deepEqual(await client.count('c'), { count: 0 });
    assert.ok(performance.now() - started >= 280);

    server.injectFault({ kind: 'drop', path: '/points/count' });
    await assert.rejects(raw(server, 'POST', '/collections/c/points/count', {}));
    assert.deepEqual(server.requestLog.at(-1), {
      method: 'POST',
      path: '/collections/c/points/count',
      query: '',
      status: 0,
    });
    assert.deepEqual(await client.count('c'), { count: 0 });

    server.injectFault({ kind: 'status', times: Infinity });
    assert.equal((await raw(server, 'GET', '/collections')).status, 500);
    assert.equal((await raw(server, 'GET', '/collections')).status, 500);
    server.clearFaults();
    assert.equal((await raw(server, 'GET', '/collections')).status, 200);
    // the log keeps the query string: the client's upsert sends wait=true
    await client.upsert('c', { points: [{ id: 1, vector: [1] }] });
    assert.deepEqual(server.requestLog.at(-1), {
      method: 'PUT',
      path: '/collections/c/points',
      query: 'wait=true',
      status: 200,
    });
  });

  it('close() ends keep-alive connections promptly; getPoints/collectionNames read state directly', async () => {
    const server = await startQdrantTestServer();
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 2, distance: 'Cosine' } });
    await client.createCollection('d', { vectors: { size: 2, distance: 'Dot' } });
    await client.upsert('c', { points: [{ id: 7, vector: [3, 4], payload: { p: { q: [1] } } }] });
    assert.deepEqual(server.collectionNames(), ['c', 'd']);
    assert.deepEqual(server.getPoints('c'), [
      { id: 7, vector: [Math.fround(0.6), Math.fround(0.8)], payload: { p: { q: [1] } } },
    ]);
    assert.throws(() => server.getPoints('nope'));
    const started = performance.now();
    await server.close();
    assert.ok(performance.now() - started < 1000);
    await assert.rejects(fetch(server.url + '/collections'));
  });

  it('main.js does nothing when the test runner starts it (as a bare `node --test` of dist/test would)', async () => {
    const mainJs = new URL('../qdrant-server/main.js', import.meta.url);
    const child = spawn(process.execPath, [mainJs.pathname], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_TEST_CONTEXT: 'child-v8' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.equal(out, '');
  });

  it('runs standalone: main.js prints its URL, simulates the cluster and version it is given, and stops on SIGTERM', async (t) => {
    const mainJs = new URL('../qdrant-server/main.js', import.meta.url);
    // main.js stays idle under the test runner (NODE_TEST_CONTEXT), so run it outside of it
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const args = ['--port', '0', '--api-key', 'k', '--peers', '3', '--qdrant-version', '1.16.3'];
    const child = spawn(process.execPath, [mainJs.pathname, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, 'line')) as [string];
    const m = /^Qdrant test server listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    assert.ok(m, line);
    const url = m[1]!;
    assert.equal((await fetch(`${url}/collections`)).status, 401);
    assert.equal((await fetch(`${url}/collections`, { headers: { 'api-key': 'k' } })).status, 200);
    const get = async (path: string): Promise<unknown> =>
      ((await (await fetch(`${url}${path}`, { headers: { 'api-key': 'k' } })).json()) as { result?: unknown }).result;
    assert.equal(
      ((await fetch(`${url}/`, { headers: { 'api-key': 'k' } }).then((r) => r.json())) as { version: string }).version,
      '1.16.3',
    );
    const cluster = (await get('/cluster')) as { status: string; peers: Record<string, unknown> };
    assert.equal(cluster.status, 'enabled');
    assert.equal(Object.keys(cluster.peers).length, 3);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });

  it('main.js refuses a bad --peers or --qdrant-version with its usage (exit 2)', async () => {
    const mainJs = new URL('../qdrant-server/main.js', import.meta.url);
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    for (const [args, expected] of [
      [['--peers', '0'], /^invalid --peers 0: a whole number from 1 to 64\nusage: /],
      [['--qdrant-version', 'latest'], /^invalid --qdrant-version latest: a version such as 1\.18\.0\nusage: /],
    ] as const) {
      const child = spawn(process.execPath, [mainJs.pathname, '--port', '0', ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 2);
      assert.match(err, expected);
    }
  });
});
