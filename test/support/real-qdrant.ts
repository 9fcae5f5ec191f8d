/**
 * The real-Qdrant switch: BA_TEST_QDRANT_URL (and BA_TEST_QDRANT_API_KEY) point the suites at a
 * Qdrant server instead of their in-process test server. A real server is shared state, so every
 * test process then works under a user name of its own (its collections are `<user>_<agent>_memories`)
 * and can never touch a collection of the memory server's default user.
 */
import { randomBytes } from 'node:crypto';

export interface RealQdrant {
  url: string;
  apiKey: string | undefined;
  /** the user name the fixtures and the CLI runs of this process use */
  username: string;
}

function readSwitch(env: NodeJS.ProcessEnv): RealQdrant | undefined {
  const url = env.BA_TEST_QDRANT_URL?.trim();
  if (!url) return undefined;
  const apiKey = env.BA_TEST_QDRANT_API_KEY?.trim() || undefined;
  return { url: url.replace(/\/+$/, ''), apiKey, username: `ba_test_${randomBytes(5).toString('hex')}` };
}

/** Set when this test process runs against the server at BA_TEST_QDRANT_URL. */
export const REAL_QDRANT: RealQdrant | undefined = readSwitch(process.env);

/** The API key to send to `url`: the switch's key for its server, none for any other. */
export function apiKeyFor(url: string): string | undefined {
  return REAL_QDRANT !== undefined && url.replace(/\/+$/, '') === REAL_QDRANT.url ? REAL_QDRANT.apiKey : undefined;
}
