// Aliases on the Qdrant test server: create, rename, delete, Qdrant's errors, and alias
// resolution on point endpoints.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { start, clientFor, clientError } from './support.js';

describe('aliases', () => {
  it('creates, renames and deletes aliases; errors as Qdrant; aliases resolve for point endpoints', async (t) => {
    const server = await start(t);
    const client = clientFor(server);
    await client.createCollection('c1', { vectors: { size: 1, distance: 'Dot' } });
    await client.createCollection('c2', { vectors: { size: 1, distance: 'Dot' } });
    assert.equal(
      await client.updateCollectionAliases({
        actions: [
          { create_alias: { collection_name: 'c1', alias_name: 'x' } },
          { create_alias: { collection_name: 'c1', alias_name: 'y' } },
          { create_alias: { collection_name: 'c2', alias_name: 'z' } },
          { rename_alias: { old_alias_name: 'y', new_alias_name: 'w' } },
        ],
      }),
      true,
    );
    assert.deepEqual(await client.getAliases(), {
      aliases: [
        { alias_name: 'w', collection_name: 'c1' },
        { alias_name: 'x', collection_name: 'c1' },
        { alias_name: 'z', collection_name: 'c2' },
      ],
    });
    assert.deepEqual(await client.getCollectionAliases('c2'), {
      aliases: [{ alias_name: 'z', collection_name: 'c2' }],
    });
    assert.deepEqual(await client.getCollectionAliases('missing'), { aliases: [] });

    await client.upsert('x', { points: [{ id: 1, vector: [1] }] });
    assert.deepEqual(await client.count('w'), { count: 1 });
    assert.deepEqual((await client.scroll('x')).points, [{ id: 1, payload: {} }]);

    // re-creating an alias re-points it; deleting an unknown alias is fine
    await client.updateCollectionAliases({
      actions: [{ create_alias: { collection_name: 'c2', alias_name: 'x' } }, { delete_alias: { alias_name: 'nope' } }],
    });
    assert.deepEqual(await client.count('x'), { count: 0 });

    assert.deepEqual(
      await clientError(
        client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'nope', alias_name: 'q' } }] }),
      ),
      { status: 404, text: "Not found: Collection `nope` doesn't exist!" },
    );
    assert.deepEqual(
      await clientError(
        client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'c1', alias_name: 'c2' } }] }),
      ),
      { status: 409, text: 'Wrong input: Collection `c2` already exists!' },
    );
    // actions before the failing one stay applied
    assert.deepEqual(
      await clientError(
        client.updateCollectionAliases({
          actions: [
            { delete_alias: { alias_name: 'w' } },
            { rename_alias: { old_alias_name: 'ghost', new_alias_name: 'g' } },
          ],
        }),
      ),
      { status: 404, text: 'Not found: Alias ghost does not exists!' },
    );
    assert.deepEqual(await client.getAliases(), {
      aliases: [
        { alias_name: 'x', collection_name: 'c2' },
        { alias_name: 'z', collection_name: 'c2' },
      ],
    });
  });
});

// ------------------------------------------------------------------ faults, log, lifecycle
