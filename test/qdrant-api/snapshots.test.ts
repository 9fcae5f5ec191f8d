// Collection snapshots on the Qdrant test server: create (wait=true, and wait=false with list
// polling), list, download, delete, upload-recover (multipart field `snapshot`, `priority`,
// `checksum`, `wait`), what a snapshot carries (config, points, payload indexes; not aliases),
// and the start options for another version and a multi-peer cluster.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { QdrantTestServer } from '../qdrant-server/server.js';
import { clientFor, errorTextOf, raw, resultOf, start } from './support.js';

interface Description {
  name: string;
  creation_time: string;
  size: number;
  checksum: string;
}

async function download(server: QdrantTestServer, collection: string, name: string): Promise<Buffer> {
  const res = await fetch(`${server.url}/collections/${collection}/snapshots/${encodeURIComponent(name)}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
  return Buffer.from(await res.arrayBuffer());
}

async function upload(
  server: QdrantTestServer,
  collection: string,
  file: Buffer,
  query: string,
): Promise<{ status: number; text: string }> {
  const form = new FormData();
  form.append('snapshot', new Blob([new Uint8Array(file)]), 'c.snapshot');
  const res = await fetch(`${server.url}/collections/${collection}/snapshots/upload?${query}`, {
    method: 'POST',
    body: form,
  });
  return { status: res.status, text: await res.text() };
}

async function seeded(server: QdrantTestServer): Promise<void> {
  const client = clientFor(server);
  await client.createCollection('c', { vectors: { size: 2, distance: 'Dot' }, on_disk_payload: true });
  await client.upsert('c', {
    wait: true,
    points: [
      { id: 1, vector: [0.5, 0.25], payload: { tag: 'a' } },
      { id: '6b1b6c4e-1e2f-4c3a-9d4e-5f6a7b8c9d0e', vector: [1, -1], payload: { tag: 'b', n: 2 } },
    ],
  });
  await client.createPayloadIndex('c', { field_name: 'tag', field_schema: 'keyword', wait: true });
  await client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'c', alias_name: 'al' } }] });
}

describe('collection snapshots', () => {
  it('creates, lists, downloads with its checksum, recovers config, points and indexes but not aliases', async (t) => {
    const server = await start(t);
    await seeded(server);
    const client = clientFor(server);
    const made = resultOf(await raw(server, 'POST', '/collections/c/snapshots?wait=true')) as Description;
    assert.match(made.name, /^c-\d+-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.snapshot$/);
    assert.deepEqual(resultOf(await raw(server, 'GET', '/collections/c/snapshots')), [made]);
    const file = await download(server, 'c', made.name);
    assert.equal(file.length, made.size);
    assert.equal(createHash('sha256').update(file).digest('hex'), made.checksum);

    const before = server.getPoints('c');
    const info = await client.getCollection('c');
    await client.deleteCollection('c');
    const recovered = await upload(server, 'c', file, `priority=snapshot&checksum=${made.checksum}&wait=true`);
    assert.equal(recovered.status, 200, recovered.text);
    assert.deepEqual(server.getPoints('c'), before);
    const after = await client.getCollection('c');
    assert.deepEqual(after.config, info.config);
    assert.deepEqual(after.payload_schema, info.payload_schema);
    assert.deepEqual(await client.getCollectionAliases('c'), { aliases: [] });

    assert.equal(resultOf(await raw(server, 'DELETE', `/collections/c/snapshots/${made.name}`)), true);
    assert.deepEqual(resultOf(await raw(server, 'GET', '/collections/c/snapshots')), []);
    const gone = await raw(server, 'GET', `/collections/c/snapshots/${made.name}`);
    assert.equal(gone.status, 404);
    assert.match(errorTextOf(gone), /^Not found: Snapshot .* not found$/);
  });

  it('wait=false answers 202 at once; the snapshot appears in the list when it is made', async (t) => {
    const server = await start(t, { snapshots: { createDelayMs: 300 } });
    await seeded(server);
    const accepted = await raw(server, 'POST', '/collections/c/snapshots?wait=false');
    assert.equal(accepted.status, 202);
    assert.equal((JSON.parse(accepted.text) as { status: string }).status, 'accepted');
    assert.deepEqual(resultOf(await raw(server, 'GET', '/collections/c/snapshots')), []);
    let listed: Description[] = [];
    while (listed.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      listed = resultOf(await raw(server, 'GET', '/collections/c/snapshots')) as Description[];
    }
    assert.equal(listed.length, 1);
    assert.equal((await download(server, 'c', listed[0]!.name)).length, listed[0]!.size);
  });

  it('refuses a wrong checksum, an unknown priority and a missing field, changing nothing', async (t) => {
    const server = await start(t);
    await seeded(server);
    const made = resultOf(await raw(server, 'POST', '/collections/c/snapshots')) as Description;
    const file = await download(server, 'c', made.name);
    const before = server.getPoints('c');
    const wrong = '0'.repeat(64);
    const mismatch = await upload(server, 'c', file, `priority=snapshot&checksum=${wrong}`);
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.text, new RegExp(`Snapshot checksum mismatch: expected ${wrong}, got ${made.checksum}`));
    const priority = await upload(server, 'c', file, 'priority=fastest');
    assert.equal(priority.status, 400);
    assert.match(priority.text, /unknown variant `fastest`/);
    const form = new FormData();
    form.append('other', new Blob([new Uint8Array(file)]), 'c.snapshot');
    const res = await fetch(`${server.url}/collections/c/snapshots/upload`, { method: 'POST', body: form });
    assert.equal(res.status, 400);
    assert.deepEqual(server.getPoints('c'), before);
    assert.equal((await raw(server, 'POST', '/collections/missing/snapshots')).status, 404);
  });

  it('with the default priority (replica), a recovery into a new collection can come out empty', async (t) => {
    const server = await start(t);
    await seeded(server);
    const made = resultOf(await raw(server, 'POST', '/collections/c/snapshots')) as Description;
    const file = await download(server, 'c', made.name);
    assert.equal((await upload(server, 'fresh', file, 'wait=true')).status, 200);
    assert.deepEqual(server.getPoints('fresh'), []);
    assert.equal((await upload(server, 'fresh2', file, 'priority=snapshot')).status, 200);
    assert.equal(server.getPoints('fresh2').length, 2);
  });

  it('recovers snapshots of its own and the previous minor version only', async (t) => {
    const old = await start(t, { version: '1.16.2' });
    await seeded(old);
    const made = resultOf(await raw(old, 'POST', '/collections/c/snapshots')) as Description;
    const file = await download(old, 'c', made.name);
    const next = await start(t, { version: '1.17.0' });
    assert.equal((await upload(next, 'c', file, 'priority=snapshot')).status, 200);
    const later = await start(t, { version: '1.18.0' });
    const refused = await upload(later, 'c', file, 'priority=snapshot');
    assert.equal(refused.status, 400);
    assert.match(refused.text, /Snapshot of Qdrant 1\.16\.2 cannot be recovered by Qdrant 1\.18\.0/);
    assert.deepEqual(later.collectionNames(), []);
  });

  it('GET /cluster: disabled by default, the peers of a cluster when asked', async (t) => {
    const single = await start(t);
    assert.deepEqual(resultOf(await raw(single, 'GET', '/cluster')), { status: 'disabled' });
    const cluster = await start(t, { peers: 3 });
    const info = resultOf(await raw(cluster, 'GET', '/cluster')) as { status: string; peers: object };
    assert.equal(info.status, 'enabled');
    assert.equal(Object.keys(info.peers).length, 3);
  });
});
