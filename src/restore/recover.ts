/**
 * Recovery from a restore that was killed part-way (see journal.ts).
 *
 * - rollback: restore the safety backup the interrupted run made, then
 *   remove what did not exist before (database, collection, embedded store):
 *   the store is as it was before that restore began;
 * - resume: run the interrupted restore again from its archive, keeping the
 *   same safety backup as the way back: the store ends fully restored.
 * Both are ordinary verified restores, so they can themselves be
 * interrupted and recovered again.
 */
import fs from 'node:fs';
import type { QdrantConfig, StoreConfig } from '../config.js';
import { ExitCode, UserError } from '../errors.js';
import type { Reporter } from '../output.js';
import { localDirOf } from '../embedded/local-store.js';
import { deleteCollection } from '../qdrant/collection.js';
import { QdrantServer } from '../qdrant/connection.js';
import { clearJournal, describeInterrupted, needsRecovery, readJournal, type RestoreJournal } from './journal.js';
import type { RestoreResult } from './run-restore.js';

export type RecoveryAction = 'rollback' | 'resume';

export interface RecoveryContext {
  store: StoreConfig;
  qdrant: QdrantConfig | null;
  batchSize: number;
  concurrency: number;
  cwd: string;
  force: boolean;
}

/** Runs a restore of `archive` as part of a recovery (no prompt, no new safety backup). */
export type RestoreRunner = (archive: string, journal: RestoreJournal) => Promise<RestoreResult>;

/** The interrupted restore of this store, if any; a journal of a run that changed nothing is dropped. */
export function interruptedRestore(store: StoreConfig): RestoreJournal | null {
  const journal = readJournal(store.repoDir);
  if (journal && !needsRecovery(journal)) {
    clearJournal(store.repoDir);
    return null;
  }
  return journal;
}

/** Undoes a half-finished embedded swap: the store kept aside goes back in place. */
function settleEmbeddedSwap(store: StoreConfig): void {
  const live = localDirOf(store.repoDir);
  const parent = store.repoDir;
  if (!fs.existsSync(parent)) return;
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith('qdrant_data.ba-previous-')) continue;
    const aside = `${parent}/${name}`;
    if (!fs.existsSync(live)) fs.renameSync(aside, live);
    else fs.rmSync(aside, { recursive: true, force: true });
  }
}

export async function recover(action: RecoveryAction, journal: RestoreJournal, context: RecoveryContext, run: RestoreRunner, reporter: Reporter): Promise<RestoreResult> {
  reporter.warn(`${describeInterrupted(journal)}.`);
  if (action === 'rollback') {
    if (!journal.safetyBackup) {
      throw new UserError(
        `${describeInterrupted(journal)}, and it made no safety backup (--no-safety-backup), so the previous state cannot be put back`,
        ExitCode.Failure,
        'Run ba-restore --resume to finish that restore.',
        'RESTORE_INCOMPLETE',
      );
    }
    reporter.info(`[INFO] Rolling back to the state before it, from ${journal.safetyBackup}`);
    settleEmbeddedSwap(context.store);
    const result = await run(journal.safetyBackup, journal);
    await removeWhatWasAdded(journal, context);
    clearJournal(context.store.repoDir);
    return result;
  }
  reporter.info(`[INFO] Resuming it from ${journal.archive}`);
  settleEmbeddedSwap(context.store);
  const result = await run(journal.archive, journal);
  clearJournal(context.store.repoDir);
  return result;
}

async function removeWhatWasAdded(journal: RestoreJournal, context: RecoveryContext): Promise<void> {
  const { store } = context;
  if (!journal.previous.database) {
    for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(store.dbPath + suffix, { force: true });
  }
  if (!journal.previous.collection) {
    if (journal.mode.mode === 'embedded') fs.rmSync(localDirOf(store.repoDir), { recursive: true, force: true });
    else if (journal.mode.mode === 'server' && context.qdrant) await deleteCollection(new QdrantServer(context.qdrant), store.collectionName);
  }
}
