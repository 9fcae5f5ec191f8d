/**
 * The benchmark's data: a fixture memory store of N memories (one version
 * each and a few intentions, so that it builds quickly) and its N points
 * loaded into the test server through the official client, as the memory
 * server would, in batches with wait=true.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createMemoryStore, type FixturePoint } from '../test/fixtures/memory-store.js';
import { clientFor } from '../test/support/qdrant-seed.js';

export interface SeededStore {
  root: string;
  dbPath: string;
  collectionName: string;
  memories: number;
  dbBytes: number;
  buildMs: number;
  loadMs: number;
}

export async function seedStore(
  root: string,
  memories: number,
  dims: number,
  serverUrl: string,
  loadBatch: number,
): Promise<SeededStore> {
  const t0 = performance.now();
  const store = createMemoryStore({ root, memories, dims, versionsPerMemory: [1, 1], intentions: 5 });
  const buildMs = performance.now() - t0;
  const points: FixturePoint[] = store.points;

  const t1 = performance.now();
  const client = clientFor(serverUrl);
  await client.createCollection(store.collectionName, { vectors: { size: dims, distance: 'Cosine' } });
  // two requests in flight: the client encodes the next batch while the server stores one
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < points.length; i += loadBatch) {
    const batch = points.slice(i, i + loadBatch).map((p) => ({ id: p.id, vector: p.vector, payload: p.payload }));
    const request = client.upsert(store.collectionName, { wait: true, points: batch });
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= 2) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const info = await client.getCollection(store.collectionName);
  if (info.points_count !== memories)
    throw new Error(`the test server holds ${info.points_count} points, expected ${memories}`);
  const loadMs = performance.now() - t1;
  store.points.length = 0; // let the vectors go before the tools run

  return {
    root: store.root,
    dbPath: store.dbPath,
    collectionName: store.collectionName,
    memories: store.counts.memories,
    dbBytes: fs.statSync(store.dbPath).size,
    buildMs,
    loadMs,
  };
}
