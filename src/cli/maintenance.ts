/** ba-backup --verify, --prune, --pin and --unpin: output around the core functions. */
import path from 'node:path';
import type { StoreConfig } from '../config.js';
import { ExitCode, UsageError } from '../errors.js';
import { catalog } from '../archive/catalog.js';
import { freshness, parseAge } from '../archive/freshness.js';
import { describeArchiveNotes } from '../manifest.js';
import { describeAge, printable, printJson } from '../output.js';
import { formatCount } from '../count.js';
import { findArchive, listArchiveFiles } from '../archive/backups-folder.js';
import { archiveVerdict, type ArchiveVerdict } from '../verify/archive-verdict.js';
import { isPinned, pin, unpin } from '../archive/pins.js';
import type { RetentionPlan, RetentionPolicy } from '../retention/policy.js';
import { applyPrune, planPrune } from '../retention/prune.js';

function findNamedArchive(name: string, store: StoreConfig): string {
  return findArchive(name, store.backupsDir, process.cwd());
}

export async function verifyBackups(names: string[], store: StoreConfig, json: boolean): Promise<number> {
  const paths =
    names.length > 0
      ? names.map((n) => findNamedArchive(n, store))
      : (listArchiveFiles(store.backupsDir) ?? []).map((f) => f.path);
  // scratch space beside the archive: never outside the folders the user named
  const verdicts = paths.map((archivePath) => () => archiveVerdict(archivePath, path.dirname(archivePath)));
  return reportVerdicts(verdicts, json, `No backups in ${store.backupsDir} to verify.`);
}

/** Runs the verdicts one after another, printing each as it comes; exit 5 when any failed. */
export async function reportVerdicts(
  verdicts: (() => Promise<ArchiveVerdict>)[],
  json: boolean,
  noneText: string,
): Promise<number> {
  const results: ArchiveVerdict[] = [];
  for (const verdict of verdicts) {
    const result = await verdict();
    results.push(result);
    if (!json) {
      if (result.ok) {
        const db = result.database;
        const rows = db
          ? `${formatCount(db.total_memories)} memories, ${formatCount(db.total_versions)} versions, `
          : '';
        const counts = `${rows}${result.vectors == null ? 'no' : formatCount(result.vectors)} vectors`;
        const notes = result.manifest ? describeArchiveNotes(result.manifest) : [];
        process.stdout.write(
          `[OK] ${result.name}  ${printable([counts, ...notes].join('; '))}${result.hasChecksums ? '' : ' (no checksums: original tool)'}\n`,
        );
      } else {
        process.stdout.write(`[ERROR] ${result.name}: ${printable(result.problem ?? '')}\n`);
      }
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  if (json) {
    printJson({
      ok: failed === 0,
      archives: results.map((r) => ({
        name: r.name,
        path: r.path,
        ok: r.ok,
        problem: r.problem,
        as_found: r.manifest ? describeArchiveNotes(r.manifest) : undefined,
        database: r.database,
        vectors: r.vectors,
        checksums: r.hasChecksums,
      })),
    });
  } else if (results.length === 0) {
    process.stdout.write(`${noneText}\n`);
  } else {
    process.stdout.write(
      `${results.length - failed} of ${results.length} archives verified${failed ? `, ${failed} failed` : ''}.\n`,
    );
  }
  return failed === 0 ? ExitCode.Success : ExitCode.VerificationFailed;
}

export async function pruneBackups(
  store: StoreConfig,
  policy: RetentionPolicy,
  dryRun: boolean,
  safetyKeep: number,
  json: boolean,
): Promise<number> {
  const plan = await planPrune(store.backupsDir, policy, safetyKeep);
  return reportPrune(plan, { policy, safetyKeep, dryRun, json }, () => Promise.resolve(applyPrune(plan)));
}

/** Prints a prune plan, applies it unless a dry run, and prints what was removed. */
export async function reportPrune(
  plan: RetentionPlan,
  options: { policy: RetentionPolicy; safetyKeep: number; dryRun: boolean; json: boolean },
  apply: () => Promise<string[]>,
): Promise<number> {
  const { policy, safetyKeep, dryRun, json } = options;
  const rules = Object.entries(policy)
    .filter(([, n]) => n)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ');
  if (!json) {
    const lines = [`Retention policy: keep ${rules}; safety backups: newest ${safetyKeep}; pinned: always`, ''];
    for (const kept of plan.keep) lines.push(`keep    ${kept.name}  (${kept.reasons.join(', ')})`);
    for (const name of plan.remove) lines.push(`remove  ${name}`);
    process.stdout.write(`${lines.join('\n')}\n\n`);
  }
  const removed = dryRun ? [] : await apply();
  if (json) {
    printJson({ ok: true, dry_run: dryRun, policy, keep: plan.keep, remove: plan.remove, removed });
  } else if (dryRun) {
    process.stdout.write(
      `[DRY RUN] Would remove ${plan.remove.length} and keep ${plan.keep.length} archives; nothing was deleted\n`,
    );
  } else {
    process.stdout.write(`Removed ${removed.length} archives, kept ${plan.keep.length}.\n`);
  }
  return ExitCode.Success;
}

export function pinBackup(name: string, store: StoreConfig, on: boolean, json: boolean): number {
  const archivePath = findNamedArchive(name, store);
  const wasPinned = isPinned(archivePath);
  if (on) pin(archivePath);
  else unpin(archivePath);
  if (json) printJson({ ok: true, archive: archivePath, pinned: on, was_pinned: wasPinned });
  else if (on) process.stdout.write(`[OK] Pinned ${archivePath}: prune will never delete it\n`);
  else
    process.stdout.write(
      wasPinned ? `[OK] Unpinned ${archivePath}\n` : `[INFO] ${archivePath} was not pinned; nothing to do\n`,
    );
  return ExitCode.Success;
}

/** --check-fresh AGE: exit 0 when the newest complete backup is at most AGE old, 1 otherwise (for cron and health checks). */
export async function checkFresh(limit: string, store: StoreConfig, json: boolean): Promise<number> {
  const limitMs = parseAge(limit);
  if (limitMs === null)
    throw new UsageError(
      `Invalid --check-fresh ${JSON.stringify(limit)}: must be an age such as 90m, 26h, 2d or 1w`,
      'For a nightly backup: --check-fresh 26h.',
    );
  const entries = (await catalog(store.backupsDir)) ?? [];
  const result = freshness(
    entries.map((e) => ({ name: e.name, kind: e.kind, manifest: e.manifest, mtimeMs: e.mtime.getTime() })),
    limitMs,
    Date.now(),
  );
  if (json) {
    printJson({
      ok: result.fresh,
      fresh: result.fresh,
      limit,
      newest: result.newest && { name: result.newest.name, age_seconds: Math.round(result.newest.ageMs / 1000) },
    });
    return result.fresh ? ExitCode.Success : ExitCode.Failure;
  }
  if (!result.newest) {
    process.stderr.write(`[ERROR] No complete backup in ${store.backupsDir}\n`);
    return ExitCode.Failure;
  }
  const line = `the newest complete backup, ${result.newest.name}, is ${describeAge(result.newest.ageMs)} old`;
  if (result.fresh) process.stdout.write(`[OK] Fresh: ${line} (limit ${limit})\n`);
  else process.stderr.write(`[ERROR] Stale: ${line}, older than ${limit}\n`);
  return result.fresh ? ExitCode.Success : ExitCode.Failure;
}
