/**
 * The safety backup: the store as the restore found it, saved and verified
 * before anything changes. Healthy parts are saved as any backup saves them;
 * damaged ones as their raw files, byte for byte; a collection that cannot
 * be read is recorded as discarded.
 */
import path from 'node:path';
import type { StoreConfig } from '../config.js';
import { UserError, describeError } from '../errors.js';
import type { Reporter } from '../output.js';
import { silentReporter } from '../output.js';
import { createBackup } from '../backup/create-backup.js';
import { NoVectorStore } from '../vector-store/no-store.js';
import type { VectorStore } from '../vector-store/vector-store.js';
import type { RestorePlan } from './plan.js';

export interface SafetyOptions {
  store: StoreConfig;
  vectors: VectorStore;
  batchSize: number;
}

/** Writes the safety backup the plan asks for; returns its path, or null when the plan wants none. */
export async function makeSafetyBackup(
  plan: RestorePlan,
  options: SafetyOptions,
  reporter: Reporter,
): Promise<string | null> {
  if (!plan.safetyBackup) return null;
  reporter.info('[INFO] Saving the current state to a safety backup...');
  const found = plan.qdrant.action === 'skip' ? undefined : plan.qdrant.current;
  const saveVectors = plan.safetyIncludesQdrant || found?.state === 'unreadable';
  let result;
  try {
    result = await createBackup(
      {
        store: options.store,
        vectors: saveVectors ? options.vectors : new NoVectorStore({ mode: 'none', reason: 'no vectors to save' }),
        description: `Safety backup before restoring ${path.basename(plan.archivePath)}`,
        batchSize: options.batchSize,
        requireQdrant: plan.safetyIncludesQdrant,
        kind: 'safety',
        asFound: { database: plan.database.current, vectors: found },
      },
      silentReporter,
    );
  } catch (err) {
    throw new UserError(`Could not make the safety backup, so nothing was changed: ${describeError(err)}`);
  }
  reporter.info(`[OK] Safety backup: ${result.path}`);
  const raw = result.manifest.raw_parts ?? {};
  if (raw.database?.state === 'damaged') {
    reporter.info(
      `[INFO] The damaged database is kept byte for byte in that archive as ${raw.database.files.join(', ')}.`,
    );
    reporter.info(
      '       To try to get rows out of it: unzip the archive, then run: sqlite3 raw/memoryv012.db .recover | sqlite3 recovered.db',
    );
  } else if (raw.database) {
    reporter.info(
      `[INFO] ${raw.database.reason}: kept byte for byte in that archive as ${raw.database.files.filter((f) => f !== 'raw/memoryv012.db').join(', ')}.`,
    );
  }
  if (raw.embedded)
    reporter.info(
      `[INFO] The damaged embedded store is kept byte for byte in that archive under raw/qdrant_data/ (${raw.embedded.files.length} files).`,
    );
  if (result.manifest.discarded)
    reporter.warn(
      `Collection ${result.manifest.discarded.collection} could not be read and was not saved (--discard-unreadable).`,
    );
  return result.path;
}
