/** The vector-store flags (--qdrant, --skip-qdrant, --timeout) resolved with the environment. */
import fs from 'node:fs';
import {
  type QdrantConfig,
  type QdrantModeChoice,
  resolveQdrantConfig,
  resolveQdrantMode,
  type StoreConfig,
} from '../config.js';
import { UsageError } from '../errors.js';
import { localDirOf } from '../embedded/local-store.js';
import type { VectorsFormat } from '../vector-store/vector-store.js';
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

/** --vectors-format: points (default) or snapshot, which only a Qdrant server makes. */
export function parseVectorsFormat(value: string | undefined, mode: QdrantModeChoice): VectorsFormat {
  if (value === undefined || value === 'points') return 'points';
  if (value !== 'snapshot')
    throw new UsageError(
      `Invalid --vectors-format ${JSON.stringify(value)}: must be points or snapshot`,
      'points (the default) works everywhere; snapshot is a fast path for a single Qdrant server.',
    );
  if (mode.mode !== 'server')
    throw new UsageError(
      `--vectors-format snapshot needs a Qdrant server, but the vector store is ${mode.mode} (${mode.reason})`,
      'Set QDRANT_URL (or --qdrant server), or back up in the points format.',
    );
  return 'snapshot';
}
