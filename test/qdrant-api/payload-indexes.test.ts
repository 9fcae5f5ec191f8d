// Payload indexes on the Qdrant test server: create, delete, and payload_schema.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Schemas } from '@qdrant/js-client-rest';
import { start, clientFor, raw, resultOf, errorTextOf } from './support.js';

describe('payload indexes', () => {
  it('creates and deletes indexes; payload_schema shows data_type, points and params for the object form', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    await client.upsert('c', {
      points: [
        { id: 1, vector: [1], payload: { tenant: 'a', n: 1 } },
        { id: 2, vector: [1], payload: { tenant: 'b' } },
        { id: 3, vector: [1], payload: { tenant: null } },
      ],
    });
    const created = await client.createPayloadIndex('c', { field_name: 'tenant', field_schema: 'keyword', wait: true });
    assert.equal(created.status, 'completed');
    assert.equal(typeof created.operation_id, 'number');
    await client.createPayloadIndex('c', {
      field_name: 'n',
      field_schema: { type: 'integer', lookup: true, range: false },
      wait: true,
    });
    assert.deepEqual((await client.getCollection('c')).payload_schema, {
      tenant: { data_type: 'keyword', points: 2 },
      n: { data_type: 'integer', params: { type: 'integer', lookup: true, range: false }, points: 1 },
    });
    const missing = await raw(server, 'PUT', '/collections/c/index?wait=true', { field_name: 'x' });
    assert.equal(missing.status, 400);
    assert.equal(
      errorTextOf(missing),
      "Bad request: Can't auto-detect field type, please specify `field_schema` in the request",
    );
    const noWait = resultOf(
      await raw(server, 'PUT', '/collections/c/index', { field_name: 'x', field_schema: 'text' }),
    );
    assert.equal((noWait as Schemas['UpdateResult']).status, 'acknowledged');
    await client.deletePayloadIndex('c', 'tenant');
    assert.deepEqual(Object.keys((await client.getCollection('c')).payload_schema), ['n', 'x']);
  });
});
