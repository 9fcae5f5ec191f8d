/** A test suite's own Qdrant test server, with an official client for it. */
import { after, before } from 'node:test';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { startQdrantTestServer, type QdrantTestServer } from '../qdrant-server/server.js';
import { clientFor } from './qdrant-seed.js';
import { cleanupTempDirs } from './temp.js';

export interface QdrantSuite {
  server: QdrantTestServer;
  client: QdrantClient;
}

/**
 * Starts the test server before the suite's tests and stops it after them,
 * removing the suite's temporary folders; the fields are set once the suite runs.
 */
export function useQdrantTestServer(): QdrantSuite {
  const suite = {} as QdrantSuite;
  before(async () => {
    suite.server = await startQdrantTestServer();
    suite.client = clientFor(suite.server.url);
  });
  after(async () => {
    await suite.server.close();
    cleanupTempDirs();
  });
  return suite;
}
