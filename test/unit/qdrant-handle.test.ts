// The REST reads of the real-Qdrant handle give what the test server's in-process view gives:
// exact u64 ids, UUIDs, f32 values of dense, named, sparse and multi vectors, big payload
// integers, in Qdrant id order across pages; and closing deletes only the run's own names.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startQdrantTestServer, type QdrantTestServer } from '../qdrant-server/server.js';
import { connectReal, type QdrantHandle } from '../support/qdrant.js';
import { clientFor } from '../support/qdrant-seed.js';

const KEY = 'handle-test-key';
let server: QdrantTestServer;
let rest: QdrantHandle;

before(async () => {
  server = await startQdrantTestServer({ apiKey: KEY });
  rest = await connectReal({ url: server.url, apiKey: KEY, username: 'ba_test_0123456789' });
});
after(() => server.close());

async function put(path: string, body: string, method = 'PUT'): Promise<void> {
  const response = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json', 'api-key': KEY },
    body,
  });
  assert.equal(response.status, 200, await response.text());
}

it('reads every point as the test server stores it, across scroll pages', async () => {
  const name = 'ba_test_0123456789_mixed';
  await put(
    `/collections/${name}`,
    '{"vectors":{"d":{"size":3,"distance":"Dot"},"m":{"size":2,"distance":"Dot","multivector_config":{"comparator":"max_sim"}}},"sparse_vectors":{"s":{}}}',
  );
  const points = [];
  for (let k = 0; k < 300; k++) points.push(`{"id":${k},"vector":{"d":[0.1,0.2,${k}.3]},"payload":{"k":${k}}}`);
  points.push(
    '{"id":18446744073709551615,"vector":{"d":[1e-7,3.4e38,-0.0],"m":[[0.1,0.7],[1,2]]},"payload":{"big":12345678901234567890,"s":"ä"}}',
    '{"id":"6F9619FF-8B86-D011-B42D-00C04FC964FF","vector":{"s":{"indices":[4000000000,3],"values":[0.1,0.3]}},"payload":{}}',
    '{"id":"00000000000000000000000000000001","vector":{}}',
  );
  await put(`/collections/${name}/points?wait=true`, `{"points":[${points.join(',')}]}`);
  const viaRest = await rest.getPoints(name);
  assert.equal(viaRest.length, 303);
  assert.deepEqual(viaRest, server.getPoints(name));
  assert.equal(typeof viaRest[300]!.id, 'bigint', 'u64 id exact');
});

it('reads an unnamed vector and lists collections', async () => {
  const name = 'ba_test_0123456789_plain';
  await clientFor(server.url, KEY).createCollection(name, { vectors: { size: 2, distance: 'Euclid' } });
  await put(`/collections/${name}/points?wait=true`, '{"points":[{"id":5,"vector":[0.1,0.30000001]}]}');
  assert.deepEqual(await rest.getPoints(name), server.getPoints(name));
  assert.deepEqual((await rest.collectionNames()).sort(), server.collectionNames().sort());
});

it('close deletes the collections and aliases named for the run, and nothing else', async () => {
  const client = clientFor(server.url, KEY);
  await client.createCollection('someone_else', { vectors: { size: 2, distance: 'Dot' } });
  await client.updateCollectionAliases({
    actions: [
      { create_alias: { collection_name: 'someone_else', alias_name: 'ba_test_0123456789_alias' } },
      { create_alias: { collection_name: 'someone_else', alias_name: 'their_alias' } },
    ],
  });
  await rest.close();
  assert.deepEqual(server.collectionNames(), ['someone_else']);
  assert.deepEqual((await client.getAliases()).aliases, [
    { alias_name: 'their_alias', collection_name: 'someone_else' },
  ]);
});

it('a wrong key fails at once, naming the variable to set', async () => {
  await assert.rejects(
    connectReal({ url: server.url, apiKey: 'wrong', username: 'ba_test_x' }),
    /^Error: BA_TEST_QDRANT_URL=http:\/\/127\.0\.0\.1:\d+: GET \/collections answered 40[13]: .*; set BA_TEST_QDRANT_API_KEY$/,
  );
});
