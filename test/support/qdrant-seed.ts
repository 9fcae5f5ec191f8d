/** Loads fixture points into a Qdrant server through the official client, as the memory server would. */
import { QdrantClient } from '@qdrant/js-client-rest';
import type { FixturePoint } from '../fixtures/memory-store.js';
import { apiKeyFor } from './real-qdrant.js';

/** A client for `url`; the key of BA_TEST_QDRANT_API_KEY goes with requests to BA_TEST_QDRANT_URL. */
export function clientFor(url: string, apiKey = apiKeyFor(url)): QdrantClient {
  return new QdrantClient({ url, checkCompatibility: false, ...(apiKey ? { headers: { 'api-key': apiKey } } : {}) });
}

export async function seedCollection(
  url: string,
  name: string,
  points: readonly FixturePoint[],
  options: { dims?: number; distance?: 'Cosine' | 'Euclid' | 'Dot' | 'Manhattan'; apiKey?: string } = {},
): Promise<void> {
  const client = clientFor(url, options.apiKey);
  const dims = options.dims ?? points[0]?.vector.length ?? 768;
  await client.createCollection(name, { vectors: { size: dims, distance: options.distance ?? 'Cosine' } });
  for (let i = 0; i < points.length; i += 100) {
    await client.upsert(name, {
      wait: true,
      points: points.slice(i, i + 100).map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })),
    });
  }
}
