/** The vector-store flags (--qdrant, --skip-qdrant, --timeout) resolved with the environment. */
import fs from 'node:fs';
import {
  type QdrantConfig,
  type QdrantModeChoice,
  resolveQdrantConfig,
  resolveQdrantMode,
  type StoreConfig,
} from '../config.js';
import { localDirOf } from '../embedded/local-store.js';
import { parseTimeout } from './common.js';

export interface VectorStoreFlags {
  qdrant?: string;
  skipQdrant?: boolean;
  timeout?: string;
}

/** The vector-store mode and server configuration the flags and environment choose. */
export function resolveVectors(
  flags: VectorStoreFlags,
  store: StoreConfig,
): { mode: QdrantModeChoice; qdrant: QdrantConfig | null } {
  const mode = flags.skipQdrant
    ? { mode: 'none' as const, reason: '--skip-qdrant' }
    : resolveQdrantMode(flags.qdrant, process.env, fs.existsSync(localDirOf(store.repoDir)));
  return {
    mode,
    qdrant:
      mode.mode === 'server' ? resolveQdrantConfig({ timeoutMs: parseTimeout(flags.timeout) }, process.env) : null,
  };
}
