/** A test suite's Qdrant (its own test server, or the real one of BA_TEST_QDRANT_URL), with an official client for it. */
import { after, before } from 'node:test';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { startQdrant, type QdrantHandle } from './qdrant.js';
import { cleanupTempDirs } from './temp.js';

export interface QdrantSuite {
  server: QdrantHandle;
  client: QdrantClient;
}

/**
 * Starts the suite's Qdrant before its tests and closes it after them (against a real Qdrant:
 * deletes the collections the suite made), removing the suite's temporary folders; the fields
 * are set once the suite runs.
 */
export function useQdrant(): QdrantSuite {
  const suite = {} as QdrantSuite;
  before(async () => {
    suite.server = await startQdrant();
    suite.client = suite.server.client;
  });
  after(async () => {
    await suite.server?.close();
    cleanupTempDirs();
  });
  return suite;
}
