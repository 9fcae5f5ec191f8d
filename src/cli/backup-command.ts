/** ba-backup's work once its flags are parsed: resolves configuration and calls the core. */
import type { OffsiteFlags } from './offsite-flags.js';
import { parseVectorsFormat, resolveVectors } from './vector-flags.js';
import fs from 'node:fs';
import path from 'node:path';
import { parseBatchSize, resolveStoreConfig, type StoreConfig } from '../config.js';
import { ExitCode, UsageError, UserError } from '../errors.js';
import { describeInterrupted } from '../restore/journal.js';
import { interruptedRestore } from '../restore/recover.js';
import { describeQdrantStats } from '../manifest.js';
import { consoleReporter, formatBytes, printJson, type Reporter } from '../output.js';
import { formatCount } from '../count.js';
import { pin } from '../archive/pins.js';
import { assertDatabaseExists, type BackupResult, createBackup } from '../backup/create-backup.js';
import { type CopyOutcome, copyToTargets } from '../offsite/copy-out.js';
import { targetSpecs } from '../offsite/open-target.js';
import { FolderTarget } from '../offsite/folder-target.js';
import { vectorStoreFor } from '../vector-store/select.js';
import { acquireLock } from '../lock.js';
import type { RetentionPolicy } from '../retention/policy.js';
import { listBackups } from './list.js';
import { checkFresh, pinBackup, pruneBackups, verifyBackups } from './maintenance.js';
import { compareBackups, inspectBackup } from './inspect.js';
import { type CommonFlags, outputMode, parseCount } from './common.js';
import {
  decryptionFor,
  encryptionFor,
  listCopies,
  openFlagTarget,
  pruneCopies,
  scryptWorkFactor,
  verifyCopies,
} from './offsite.js';

export interface BackupFlags extends CommonFlags, OffsiteFlags {
  to?: string[];
  encryptLocal?: boolean;
  description: string;
  list?: boolean;
  verify?: string[] | boolean;
  prune?: boolean;
  dryRun?: boolean;
  keepLast?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepYearly?: string;
  keepSafety?: string;
  pin?: string | boolean;
  unpin?: string;
  checkFresh?: string;
  inspect?: string;
  compare?: string[];
  requireQdrant?: boolean;
  skipQdrant?: boolean;
  qdrant?: string;
  vectorsFormat?: string;
}

export async function runBackupCommand(flags: BackupFlags, args: string[]): Promise<number> {
  refuseIdleFlags(flags, args);
  const json = flags.json ?? false;
  const store = resolveStoreConfig(flags, process.env, process.cwd());
  if (flags.from !== undefined) return onTarget(flags, store, json);
  if (flags.list) return listBackups(store.backupsDir, json);
  if (flags.verify) return verifyBackups(flags.verify === true ? [] : flags.verify, store, json);
  if (flags.checkFresh !== undefined) return checkFresh(flags.checkFresh, store, json);
  if (flags.inspect !== undefined) return inspectBackup(flags.inspect, store, json);
  if (flags.compare !== undefined) {
    const { mode, qdrant } = resolveVectors(flags, store);
    return compareBackups(flags.compare, store, vectorStoreFor(mode, store, qdrant), json);
  }

  const creating = !flags.prune && !flags.unpin && typeof flags.pin !== 'string';
  if (creating) {
    assertDatabaseExists(store, process.cwd());
    const interrupted = interruptedRestore(store);
    if (interrupted) {
      throw new UserError(
        `${describeInterrupted(interrupted)}; a backup now would save a half-restored store`,
        ExitCode.Failure,
        'Run ba-restore --rollback to return to the state before it, or ba-restore --resume to finish it.',
        'RESTORE_INCOMPLETE',
      );
    }
  }
  const lock = await acquireLock(store.backupsDir, flags.prune ? 'ba-backup --prune' : 'ba-backup');
  try {
    if (flags.unpin) return pinBackup(flags.unpin, store, false, json);
    if (typeof flags.pin === 'string') return pinBackup(flags.pin, store, true, json);
    if (flags.prune) {
      return pruneBackups(
        store,
        retentionPolicy(flags),
        flags.dryRun ?? false,
        parseCount(flags.keepSafety, '--keep-safety') ?? 3,
        json,
      );
    }
    if (flags.dryRun)
      throw new UsageError('--dry-run goes with --prune', 'To check archives without changing anything, use --verify.');
    return await runBackup(flags, store, json);
  } finally {
    lock.release();
  }
}

function retentionPolicy(flags: BackupFlags): RetentionPolicy {
  return {
    last: parseCount(flags.keepLast, '--keep-last'),
    daily: parseCount(flags.keepDaily, '--keep-daily'),
    weekly: parseCount(flags.keepWeekly, '--keep-weekly'),
    monthly: parseCount(flags.keepMonthly, '--keep-monthly'),
    yearly: parseCount(flags.keepYearly, '--keep-yearly'),
  };
}

/** --list, --verify or --prune with --from: the same actions on a target's copies. */
async function onTarget(flags: BackupFlags, store: StoreConfig, json: boolean): Promise<number> {
  if (!flags.list && !flags.verify && !flags.prune)
    throw new UsageError(
      '--from goes with --list, --verify or --prune',
      'To restore from a target: ba-restore --from TARGET NAME.',
    );
  const target = await openFlagTarget(flags.from ?? '', flags, process.env);
  if (flags.list) return listCopies(target, json);
  if (flags.verify) {
    const names = flags.verify === true ? [] : flags.verify;
    return verifyCopies(target, names, store, await decryptionFor(flags, process.env), json);
  }
  const lock = await acquireLock(store.backupsDir, 'ba-backup --prune');
  try {
    return await pruneCopies(target, store, retentionPolicy(flags), flags.dryRun ?? false, json);
  } finally {
    lock.release();
  }
}

const KEEP_FLAGS = [
  ['keepLast', '--keep-last'],
  ['keepDaily', '--keep-daily'],
  ['keepWeekly', '--keep-weekly'],
  ['keepMonthly', '--keep-monthly'],
  ['keepYearly', '--keep-yearly'],
  ['keepSafety', '--keep-safety'],
] as const;

/** Flags that would do nothing with the chosen action are refused, not ignored. */
function refuseIdleFlags(flags: BackupFlags, args: string[]): void {
  if (args.length > 0) {
    throw new UsageError(
      `Unexpected argument ${JSON.stringify(args[0])}`,
      `To describe the backup, use -d: ba-backup -d ${JSON.stringify(args.join(' '))}`,
    );
  }
  const actions = [
    flags.list ? '--list' : null,
    flags.verify ? '--verify' : null,
    flags.prune ? '--prune' : null,
    typeof flags.pin === 'string' ? '--pin <backup>' : null,
    flags.unpin ? '--unpin' : null,
    flags.checkFresh !== undefined ? '--check-fresh' : null,
    flags.inspect !== undefined ? '--inspect' : null,
    flags.compare !== undefined ? '--compare' : null,
  ].filter((a): a is string => a !== null);
  if (flags.to && actions.length > 0)
    throw new UsageError(
      `--to copies a new backup; it does nothing with ${actions[0]}`,
      'To work on a target, use --from.',
    );
  if (actions.length > 1)
    throw new UsageError(`${actions[0]} and ${actions[1]} are separate actions`, 'Run them one at a time.');
  const keep = KEEP_FLAGS.find(([key]) => flags[key] !== undefined);
  if (keep && !flags.prune)
    throw new UsageError(
      `${keep[1]} goes with --prune`,
      `To delete old archives: ba-backup --prune ${keep[1]} ${flags[keep[0]]} (add --dry-run to see the plan first).`,
    );
  if (flags.vectorsFormat !== undefined && actions.length > 0)
    throw new UsageError(
      `--vectors-format chooses how a new backup holds the vectors; it does nothing with ${actions[0]}`,
    );
  if (flags.description && actions.length > 0)
    throw new UsageError(
      `-d describes a new backup; it does nothing with ${actions[0]}`,
      `Leave out -d, or make a backup with ba-backup -d ${JSON.stringify(flags.description)}.`,
    );
}

/** Copies the new archive to the targets of --to / BA_BACKUP_TARGETS. */
interface Copied {
  copies: CopyOutcome[];
  /** The archive as it stays in backups/: the encrypted one with --encrypt-local. */
  localPath: string;
}

/**
 * Copies the new archive to the targets of --to / BA_BACKUP_TARGETS; with
 * --encrypt-local the backups folder is the last target, and the plain
 * archive goes only once its encrypted copy there is confirmed.
 */
async function copyOffsite(
  flags: BackupFlags,
  store: StoreConfig,
  result: BackupResult,
  reporter: Reporter,
): Promise<Copied> {
  const specs = targetSpecs(flags.to, process.env.BA_BACKUP_TARGETS);
  const encryptTo = await encryptionFor(flags, process.env);
  if (flags.encryptLocal && !encryptTo)
    throw new UsageError(
      '--encrypt-local needs a key',
      'Give --recipient age1... or --recipients-file FILE, or --encrypt with a passphrase in BA_PASSPHRASE.',
    );
  if (specs.length === 0 && !flags.encryptLocal) {
    if (encryptTo) reporter.warn('Encryption applies to off-site copies, and no target was given (--to)');
    return { copies: [], localPath: result.path };
  }
  const targets = [];
  const failed: CopyOutcome[] = [];
  for (const spec of specs) {
    try {
      targets.push(await openFlagTarget(spec, flags, process.env));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      reporter.warn(`Copy to ${spec} failed: ${err.message}; the local archive is kept`);
      failed.push({ target: spec, name: path.basename(result.path), ok: false, problem: err.message });
    }
  }
  const local = flags.encryptLocal ? new FolderTarget(store.backupsDir, store.backupsDir) : null;
  const request = {
    archivePath: result.path,
    manifest: result.manifest,
    targets: local ? [...targets, local] : targets,
    encryptTo,
    scryptWorkFactor: scryptWorkFactor(process.env),
  };
  const copies = [...(await copyToTargets(request, reporter)), ...failed];
  const sealed = local ? copies.find((c) => c.target === local.label) : undefined;
  if (!sealed) return { copies, localPath: result.path };
  const others = copies.filter((c) => c !== sealed);
  if (!sealed.ok) return { copies: [...others, sealed], localPath: result.path };
  fs.rmSync(result.path);
  return { copies: others, localPath: path.join(store.backupsDir, sealed.name) };
}

async function runBackup(
  flags: BackupFlags,
  store: ReturnType<typeof resolveStoreConfig>,
  json: boolean,
): Promise<number> {
  const batchSize = parseBatchSize(flags.batchSize);
  const { mode, qdrant } = resolveVectors(flags, store);
  const format = parseVectorsFormat(flags.vectorsFormat, mode);
  const reporter = consoleReporter(outputMode(flags));
  reporter.info(`[INFO] Vector store: ${mode.mode} (${mode.reason})`);
  const result = await createBackup(
    {
      store,
      vectors: vectorStoreFor(mode, store, qdrant),
      description: flags.description,
      batchSize,
      requireQdrant: flags.requireQdrant ?? false,
      vectorsFormat: format,
      kind: 'backup',
    },
    reporter,
  );
  if (flags.pin === true) pin(result.path);
  const { copies, localPath } = await copyOffsite(flags, store, result, reporter);
  const copyFailed = copies.some((c) => !c.ok);
  const incomplete = !result.complete && mode.mode !== 'none';
  const code = copyFailed ? ExitCode.CopyFailed : incomplete ? ExitCode.Incomplete : ExitCode.Success;
  const stats = result.manifest.stats;
  if (json) {
    printJson({
      ok: true,
      complete: result.complete,
      exit_code: code,
      archive: {
        path: localPath,
        size: fs.statSync(localPath).size,
        pinned: flags.pin === true,
        encrypted: localPath !== result.path,
      },
      copies: copies.map((c) => ({
        target: c.target,
        name: c.name,
        ok: c.ok,
        problem: c.problem,
        sha256: c.facts?.sha256,
      })),
      problem: result.problem,
      warnings: reporter.warnings,
      manifest: result.manifest,
    });
    return code;
  }
  // -q: nothing on success, so that cron mails only on trouble (an incomplete backup has warned on stderr)
  if (flags.quiet) return code;
  const out = [
    '',
    result.complete ? '[SUCCESS] Backup created successfully!' : '[SUCCESS] Backup created, without Qdrant vectors.',
    `  Location: ${localPath}`,
    `  Size: ${formatBytes(result.size)}`,
    `  Memories: ${formatCount(stats.sqlite.total_memories)}`,
    `  Versions: ${formatCount(stats.sqlite.total_versions)}`,
    `  Intentions: ${formatCount(stats.sqlite.total_intentions)}`,
    `  Vectors: ${describeQdrantStats(stats.qdrant)}`,
  ];
  if (flags.pin === true) out.push('  Pinned: prune will never delete it');
  for (const copy of copies)
    out.push(copy.ok ? `  Copy: ${copy.target}/${copy.name}` : `  Copy: ${copy.target} FAILED (${copy.problem ?? ''})`);
  process.stdout.write(`${out.join('\n')}\n`);
  return code;
}
