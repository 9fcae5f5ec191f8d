/** ba-restore's work once its flags are parsed: resolves configuration and calls the core. */
import type { OffsiteFlags } from './offsite-flags.js';
import { resolveVectors } from './vector-flags.js';
import path from 'node:path';
import { parseBatchSize, resolveStoreConfig } from '../config.js';
import { ExitCode, UsageError } from '../errors.js';
import { consoleReporter, printable, printJson } from '../output.js';
import { formatCount } from '../count.js';
import { acquireLock } from '../lock.js';
import { describePlan, type RestorePlan } from '../restore/plan.js';
import { CONFIRM_PHRASE } from '../restore/confirm-phrase.js';
import { runRestore } from '../restore/run-restore.js';
import { listBackups } from './list.js';
import { askForPhrase } from './prompt.js';
import { type CommonFlags, outputMode } from './common.js';
import { decryptionFor, fetchForRestore, listCopies, openFlagTarget } from './offsite.js';

export interface RestoreFlags extends CommonFlags, OffsiteFlags {
  dryRun?: boolean;
  list?: boolean;
  yes?: boolean;
  concurrency?: string;
  requireQdrant?: boolean;
  skipQdrant?: boolean;
  qdrant?: string;
  force?: boolean;
  resume?: boolean;
  rollback?: boolean;
  discardUnreadable?: boolean;
  otherAgent?: boolean;
  collection?: string;
  safetyBackup: boolean;
}

export async function runRestoreCommand(flags: RestoreFlags, args: string[]): Promise<number> {
  const [archive] = args;
  const store = resolveStoreConfig(flags, process.env, process.cwd());
  const json = flags.json ?? false;
  const besideList = archive
    ? `an archive name (${archive})`
    : [
        flags.resume && '--resume',
        flags.rollback && '--rollback',
        flags.dryRun && '--dry-run',
        flags.yes && '--yes',
      ].find(Boolean);
  if (flags.list && besideList) {
    throw new UsageError(
      `--list does not go with ${besideList}`,
      'Run ba-restore --list on its own, then restore one of the archives it shows.',
    );
  }
  if (flags.list && flags.from !== undefined)
    return listCopies(await openFlagTarget(flags.from, flags, process.env), json);
  if (flags.list) return listBackups(store.backupsDir, json);
  if (flags.from !== undefined && (flags.resume || flags.rollback))
    throw new UsageError(
      `--from does not go with ${flags.resume ? '--resume' : '--rollback'}`,
      'An interrupted restore is finished or undone from the store itself: run it without --from.',
    );
  if (flags.resume && flags.rollback)
    throw new UsageError(
      '--resume and --rollback exclude each other',
      'Choose whether to finish or to undo the interrupted restore.',
    );
  if (!archive && !flags.resume && !flags.rollback)
    throw new UsageError(
      'No backup given',
      'Name an archive, e.g. ba-restore backup_20251024_191534.zip; ba-restore --list shows them.',
    );
  if (json && !flags.yes && !flags.dryRun)
    throw new UsageError('--json needs --yes or --dry-run', 'A JSON run cannot answer the confirmation prompt.');

  const reporter = consoleReporter(outputMode(flags));
  const { mode, qdrant } = resolveVectors(flags, store);
  if (flags.collection !== undefined && mode.mode === 'embedded') {
    throw new UsageError(
      '--collection names a collection on a Qdrant server; the embedded store keeps the names it was saved with',
      'To rehearse an embedded restore, give another --root instead.',
    );
  }
  // an encrypted archive (.zip.age) is opened as a copy in the folder that holds it
  const from =
    flags.from ??
    (archive?.endsWith('.age')
      ? archive.includes('/') || archive.includes(path.sep)
        ? path.dirname(path.resolve(archive))
        : store.backupsDir
      : undefined);
  const fetched =
    from !== undefined && archive !== undefined
      ? await fetchForRestore(
          await openFlagTarget(from, flags, process.env),
          archive,
          store,
          await decryptionFor(flags, process.env),
          reporter,
        )
      : null;
  const lock = flags.dryRun ? null : await acquireLock(store.backupsDir, 'ba-restore');
  const result = await runRestore(
    {
      archive: fetched?.path ?? archive,
      archiveSource: fetched?.source,
      recovery: flags.resume ? 'resume' : flags.rollback ? 'rollback' : undefined,
      store,
      mode,
      force: flags.force ?? false,
      qdrant,
      dryRun: flags.dryRun ?? false,
      yes: flags.yes ?? false,
      interactive: process.stdin.isTTY === true,
      requireQdrant: flags.requireQdrant ?? false,
      safetyBackup: flags.safetyBackup,
      discardUnreadable: flags.discardUnreadable ?? false,
      otherAgent: flags.otherAgent ?? false,
      batchSize: parseBatchSize(flags.batchSize),
      concurrency: parseBatchSize(flags.concurrency, '--concurrency', 2),
      cwd: process.cwd(),
      confirm: (plan) => {
        if (plan.madeFor !== plan.restoredInto)
          process.stdout.write(
            `[WARNING] This archive was made for ${plan.madeFor}: its memories replace those of ${plan.restoredInto}.\n`,
          );
        process.stdout.write('[WARNING] This replaces the data shown as "now" above.\n');
        return askForPhrase(`Type '${CONFIRM_PHRASE}' to confirm: `, CONFIRM_PHRASE);
      },
    },
    reporter,
  ).finally(() => {
    lock?.release();
    fetched?.remove();
  });
  if (result.kind === 'recovery-plan') {
    if (json) printJson({ ok: true, result: 'dry-run', recovery: result.lines, warnings: reporter.warnings });
    else process.stdout.write(`${result.lines.join('\n')}\n[DRY RUN] No changes made\n`);
    return ExitCode.Success;
  }
  if (result.kind === 'recovered') {
    const { recovery } = result;
    if (json)
      printJson({
        ok: true,
        result: recovery.action === 'rollback' ? 'rolled-back' : 'resumed',
        archive: recovery.archive,
        warnings: reporter.warnings,
      });
    else if (recovery.action === 'rollback')
      process.stdout.write(
        `[SUCCESS] Rolled back the interrupted restore: the store is as it was before it (from ${printable(recovery.archive)})\n`,
      );
    else
      process.stdout.write(
        `[SUCCESS] Restore completed successfully! The interrupted restore of ${printable(path.basename(recovery.archive))} is finished.\n`,
      );
    return ExitCode.Success;
  }
  const vectorsLeft =
    result.kind === 'restored' && result.plan.qdrant.action === 'skip' && result.plan.qdrant.unavailable === true;
  if (json) {
    const exitCode =
      result.kind === 'cancelled' ? ExitCode.Cancelled : vectorsLeft ? ExitCode.Incomplete : ExitCode.Success;
    printJson({
      ok: result.kind !== 'cancelled',
      result: vectorsLeft ? 'restored-without-vectors' : result.kind,
      exit_code: exitCode,
      archive: result.plan.archiveSource,
      plan: planDocument(result.plan),
      outcome:
        result.kind === 'restored'
          ? {
              safety_backup: result.outcome.safetyBackupPath,
              database: result.outcome.database,
              vectors: result.outcome.vectors,
            }
          : undefined,
      warnings: [...reporter.warnings, ...result.plan.warnings],
    });
    return exitCode;
  }
  if (result.kind === 'dry-run') {
    // the plan is the point of a dry run: -q shows it too
    if (flags.quiet) process.stdout.write(`${describePlan(result.plan).map(printable).join('\n')}\n`);
    process.stdout.write('[DRY RUN] No changes made\n');
    return ExitCode.Success;
  }
  if (result.kind === 'cancelled') {
    process.stderr.write('[CANCELLED] Restore cancelled; nothing was changed.\n');
    return ExitCode.Cancelled;
  }
  const { outcome } = result;
  const incomplete = result.plan.qdrant.action === 'skip' && result.plan.qdrant.unavailable === true;
  const lines = [
    '',
    incomplete
      ? `[WARNING] The database was restored, the vectors were not: ${result.plan.qdrant.action === 'skip' ? result.plan.qdrant.reason : ''}`
      : '[SUCCESS] Restore completed successfully!',
    `  Archive: ${printable(path.basename(result.plan.archivePath))}`,
    `  Memories: ${formatCount(outcome.database.total_memories)}`,
    `  Versions: ${formatCount(outcome.database.total_versions)}`,
    `  Intentions: ${formatCount(outcome.database.total_intentions)}`,
    `  Vectors: ${outcome.vectors === null ? 'not restored' : formatCount(outcome.vectors)}`,
  ];
  if (outcome.safetyBackupPath) lines.push(`  Safety backup of the previous state: ${outcome.safetyBackupPath}`);
  if (incomplete) lines.push('  Run the restore again once Qdrant is reachable to restore the vectors too.');
  if (flags.quiet) {
    // -q: nothing on success; an incomplete restore says so on stderr
    if (incomplete) process.stderr.write(`${lines[1]!}\n`);
  } else {
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return incomplete ? ExitCode.Incomplete : ExitCode.Success;
}

function planDocument(plan: RestorePlan): unknown {
  return {
    checksums: plan.archive.hasChecksums,
    format_version: plan.archive.formatVersion,
    database: plan.database,
    qdrant: plan.qdrant,
    safety_backup: plan.safetyBackup,
    warnings: plan.warnings,
  };
}
