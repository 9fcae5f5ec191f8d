/**
 * Recovery from a restore that was killed part-way (see journal.ts), with
 * the same steps the restore runs:
 *
 * - rollback: undo every step that began, from the safety backup the
 *   interrupted run made (or remove what did not exist before): the store is
 *   as it was before that restore began;
 * - resume: verify the interrupted restore's archive again and do the steps
 *   it did not finish, keeping the same safety backup as the way back.
 * The journal is updated as steps are undone or done, so a recovery can
 * itself be interrupted and recovered again.
 */
import type { QdrantConfig, StoreConfig } from '../config.js';
import { ExitCode, UserError, describeError } from '../errors.js';
import type { Reporter } from '../output.js';
import { describeArchiveNotes } from '../manifest.js';
import { describeStats } from '../sqlite/stats.js';
import { type VerifiedArchive, verifyArchive } from '../verify/verify-archive.js';
import { vectorStoreFor } from '../vector-store/select.js';
import { clearJournal, describeInterrupted, needsRecovery, readJournal, type RestoreJournal } from './journal.js';
import { StagingArea } from './stage.js';
import { type StepContext, restoreSteps, rollBack, runSteps, undoSteps } from './steps.js';

export type RecoveryAction = 'rollback' | 'resume';

export interface RecoveryContext {
  store: StoreConfig;
  qdrant: QdrantConfig | null;
  batchSize: number;
  concurrency: number;
}

export interface RecoveryOutcome {
  action: RecoveryAction;
  /** The archive whose state the store now holds. */
  archive: string;
}

/** The interrupted restore of this store, if any; a journal of a run that changed nothing is dropped. */
export function interruptedRestore(store: StoreConfig): RestoreJournal | null {
  const journal = readJournal(store.repoDir);
  if (journal && !needsRecovery(journal)) {
    clearJournal(store.repoDir);
    return null;
  }
  return journal;
}

export async function recover(
  action: RecoveryAction,
  journal: RestoreJournal,
  context: RecoveryContext,
  reporter: Reporter,
): Promise<RecoveryOutcome> {
  const { store } = context;
  reporter.warn(`${describeInterrupted(journal)}.`);
  const staging = new StagingArea(store.repoDir, reporter);
  const steps: StepContext = {
    store,
    vectors: vectorStoreFor(journal.mode, store, context.qdrant),
    journal,
    install: { batchSize: context.batchSize, concurrency: context.concurrency },
    reporter,
    restored: () => staging.stage(journal.archive),
    saved: () => (journal.safetyBackup === null ? Promise.resolve(null) : staging.stage(journal.safetyBackup)),
  };
  try {
    if (action === 'rollback') await rollBackInterrupted(steps);
    else await resumeInterrupted(steps);
  } finally {
    await staging.discardAll();
  }
  clearJournal(store.repoDir);
  return { action, archive: action === 'rollback' ? (journal.safetyBackup ?? 'the state before it') : journal.archive };
}

/** What --rollback or --resume would do, for a dry run: the saved state is verified, nothing changes. */
export async function describeRecovery(
  action: RecoveryAction,
  journal: RestoreJournal,
  reporter: Reporter,
): Promise<string[]> {
  const lines = [`${describeInterrupted(journal)}.`];
  const begun = journal.steps.filter((s) => s.state !== 'pending').map((s) => s.name);
  const unfinished = journal.steps.filter((s) => s.state !== 'done').map((s) => s.name);
  if (action === 'resume') {
    lines.push(`A resume verifies ${journal.archive} again, then restores the ${unfinished.join(' and ')}.`);
    return lines;
  }
  if (!journal.safetyBackup && (journal.previous.database || journal.previous.collection)) {
    lines.push(
      'It made no safety backup (--no-safety-backup), so it cannot be rolled back; ba-restore --resume finishes it.',
    );
    return lines;
  }
  lines.push(`A rollback undoes what it changed (${begun.join(' and ')}), putting back the state from before it:`);
  if (journal.safetyBackup) {
    const saved = await verifyArchive(journal.safetyBackup, {}, reporter);
    lines.push(`  from the safety backup ${journal.safetyBackup} (verified):`);
    for (const note of [describeSavedDatabase(saved), ...describeArchiveNotes(saved.manifest)])
      lines.push(`    ${note}`);
  }
  if (!journal.previous.database) lines.push('    the database is removed (there was none)');
  if (!journal.previous.collection)
    lines.push('    the vectors are removed (there were none, or they could not be saved)');
  return lines;
}

function describeSavedDatabase(saved: VerifiedArchive): string {
  const vectors = saved.vectors
    ? saved.vectors.points
    : (saved.embedded?.collections.map((c) => `${c.name} ${c.points}`).join(', ') ?? 'none');
  if (saved.rawDatabase || saved.databaseAbsent) return `vectors: ${vectors}`;
  return `database: ${describeStats(saved.manifest.stats.sqlite)}; vectors: ${vectors}`;
}

async function rollBackInterrupted(context: StepContext): Promise<void> {
  const { journal, reporter } = context;
  if (!journal.safetyBackup && (journal.previous.database || journal.previous.collection)) {
    throw new UserError(
      `${describeInterrupted(journal)}, and it made no safety backup (--no-safety-backup), so the previous state cannot be put back`,
      ExitCode.Failure,
      { kind: 'resume-instead' },
      'RESTORE_INCOMPLETE',
    );
  }
  reporter.info(
    `[INFO] Rolling back to the state before it, from ${journal.safetyBackup ?? 'nothing (there was no store before)'}`,
  );
  try {
    await undoSteps(restoreSteps(context), context);
  } catch (err) {
    throw new UserError(
      `Rolling back the interrupted restore failed: ${describeError(err)}`,
      ExitCode.Failure,
      journal.safetyBackup ? { kind: 'roll-back-later', safetyBackup: journal.safetyBackup } : undefined,
      'RESTORE_INCOMPLETE',
    );
  }
}

async function resumeInterrupted(context: StepContext): Promise<void> {
  context.reporter.info(`[INFO] Resuming it from ${context.journal.archive}`);
  const steps = restoreSteps(context);
  try {
    await runSteps(steps, context);
  } catch (err) {
    context.reporter.warn(`Restore failed: ${describeError(err)}`);
    await rollBack(steps, context, describeError(err));
  }
  context.vectors.settle();
}
