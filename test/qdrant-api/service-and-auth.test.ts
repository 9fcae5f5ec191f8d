// Service endpoints of the Qdrant test server (/, unknown routes, health probes) and its
// API-key check.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { start, clientFor, raw, clientError } from './support.js';

describe('service endpoints and authentication', () => {
  it('GET / reports the version, unwrapped; client.versionInfo reads it', async (t) => {
    const server = await start(t);
    const r = await raw(server, 'GET', '/');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), { title: 'qdrant - vector search engine', version: '1.18.0' });
    const info = await clientFor(server).versionInfo();
    assert.equal(info.version, '1.18.0');
    const custom = await start(t, { version: '1.19.2' });
    assert.equal((await clientFor(custom).versionInfo()).version, '1.19.2');
  });

  it('unknown routes answer 404 with an empty body', async (t) => {
    const server = await start(t);
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/collections/c/unknown'],
      ['PATCH', '/collections'],
      ['GET', '/collections/c/points/scroll'],
    ] as const) {
      const r = await raw(server, method, path);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.text, '');
    }
  });

  it('checks the API key: 401 plain text when missing or wrong; /, /healthz, /readyz, /livez are free', async (t) => {
    const server = await start(t, { apiKey: 'secret' });
    const missing = await raw(server, 'GET', '/collections');
    assert.equal(missing.status, 401);
    assert.match(missing.contentType ?? '', /^text\/plain/);
    assert.equal(missing.text, 'Must provide an API key or an Authorization bearer token');
    const wrong = await raw(server, 'GET', '/collections', undefined, { 'api-key': 'nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, 'Invalid API key or JWT');
    assert.equal((await raw(server, 'GET', '/collections', undefined, { 'api-key': 'secret' })).status, 200);
    assert.equal((await raw(server, 'GET', '/collections', undefined, { authorization: 'Bearer secret' })).status, 200);
    for (const path of ['/', '/healthz', '/readyz', '/livez']) {
      assert.equal((await raw(server, 'GET', path)).status, 200, path);
    }
    assert.equal((await raw(server, 'GET', '/healthz')).text, 'healthz check passed');

    const bad = await clientError(clientFor(server, 'nope').getCollections());
    assert.deepEqual(bad, { status: 401, text: 'Invalid API key or JWT' });
    const client = clientFor(server, 'secret');
    await client.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
    assert.deepEqual(await client.getCollections(), { collections: [{ name: 'c' }] });
  });
});
