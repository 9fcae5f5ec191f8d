/** What a restore asks of the target cluster: peersNeeded (src/qdrant/shard-keys.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CollectionConfig } from '../../src/qdrant/collection.js';
import { peersNeeded, type ArchivedShardKey } from '../../src/qdrant/shard-keys.js';

function config(params: Record<string, unknown>): CollectionConfig {
  return { params: { vectors: { size: 4, distance: 'Cosine' }, ...params } } as CollectionConfig;
}

const key = (k: string | number, replication_factor: number): ArchivedShardKey => ({
  key: k,
  shards_number: 1,
  replication_factor,
  placement: [],
});

describe('peersNeeded', () => {
  it('asks nothing of a collection with one replica', () => {
    assert.equal(peersNeeded(config({}), undefined), null);
    assert.equal(peersNeeded(config({ replication_factor: 1, write_consistency_factor: 1 }), undefined), null);
  });

  it('asks as many peers as the replication or write consistency of an auto-sharded collection', () => {
    assert.deepEqual(peersNeeded(config({ replication_factor: 2 }), undefined), {
      peers: 2,
      why: 'replication_factor 2',
    });
    assert.deepEqual(peersNeeded(config({ replication_factor: 2, write_consistency_factor: 3 }), undefined), {
      peers: 3,
      why: 'write_consistency_factor 3',
    });
  });

  it('asks no more than the source cluster had peers', () => {
    assert.equal(peersNeeded(config({ replication_factor: 3, write_consistency_factor: 2 }), undefined, 1), null);
    assert.deepEqual(peersNeeded(config({ replication_factor: 3 }), undefined, 2), {
      peers: 2,
      why: 'replication_factor 2',
    });
  });

  it("takes a custom-sharded collection's needs from its keys, not from its default factor", () => {
    assert.equal(peersNeeded(config({ sharding_method: 'custom', replication_factor: 3 }), [key('a', 1)]), null);
    assert.deepEqual(peersNeeded(config({ sharding_method: 'custom' }), [key('a', 2), key(7, 3), key('b', 1)]), {
      peers: 3,
      why: '3 replicas of shard key 7',
    });
  });
});
