/**
 * Off-site flags (--to, --from, keys, S3 settings) and the commands that
 * work on a target: --list, --verify and --prune with --from, and fetching
 * the copy a restore asked for.
 */
import path from 'node:path';
import type { StoreConfig } from '../config.js';
import { ExitCode, UsageError, UserError, describeError } from '../errors.js';
import { formatBytes, printable, printJson, type Reporter, silentReporter } from '../output.js';
import { cleanOnInterrupt, closestNames, ensureBackupsDir } from '../archive/backups-folder.js';
import type { RetentionPolicy } from '../retention/policy.js';
import { archiveVerdict, type ArchiveVerdict } from '../verify/archive-verdict.js';
import {
  type DecryptWith,
  type EncryptTo,
  readIdentityFile,
  readPassphraseFile,
  readRecipientsFile,
  parseRecipient,
} from '../offsite/encryption.js';
import { type FetchedCopy, fetchCopy } from '../offsite/fetch-copy.js';
import { openTarget, type S3Settings } from '../offsite/open-target.js';
import { planCopiesPrune } from '../offsite/prune-copies.js';
import type { RemoteCopy, Target } from '../offsite/target.js';
import { reportPrune, reportVerdicts } from './maintenance.js';
import type { OffsiteFlags } from './offsite-flags.js';

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);

export function s3Settings(flags: OffsiteFlags, env: NodeJS.ProcessEnv): S3Settings {
  const pathStyle = flags.s3PathStyle || TRUE_WORDS.has((env.BA_S3_PATH_STYLE ?? '').toLowerCase());
  return { endpoint: flags.s3Endpoint ?? env.BA_S3_ENDPOINT, pathStyle: pathStyle ? true : undefined };
}

export function openFlagTarget(spec: string, flags: OffsiteFlags, env: NodeJS.ProcessEnv): Promise<Target> {
  return openTarget(spec, s3Settings(flags, env));
}

async function passphraseFrom(flags: OffsiteFlags, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (flags.passphraseFile) return readPassphraseFile(flags.passphraseFile);
  return env.BA_PASSPHRASE ? env.BA_PASSPHRASE : null;
}

/** How copies are encrypted: to recipients, with a passphrase (--encrypt), or not at all. */
export async function encryptionFor(flags: OffsiteFlags, env: NodeJS.ProcessEnv): Promise<EncryptTo | null> {
  const recipientsFile = flags.recipientsFile ?? env.BA_RECIPIENTS_FILE;
  const recipients = [
    ...(await Promise.all((flags.recipient ?? []).map(parseRecipient))),
    ...(recipientsFile ? await readRecipientsFile(recipientsFile) : []),
  ];
  if (recipients.length > 0) {
    if (flags.passphraseFile)
      throw new UsageError('--passphrase-file does not go with recipients: age encrypts to one or the other');
    return { recipients };
  }
  if (!flags.encrypt && !flags.passphraseFile) return null;
  const passphrase = await passphraseFrom(flags, env);
  if (passphrase === null) {
    throw new UsageError(
      '--encrypt needs a key',
      'Give --recipient age1... or --recipients-file FILE, or a passphrase in BA_PASSPHRASE or --passphrase-file FILE.',
    );
  }
  return { passphrase };
}

/** How encrypted copies are opened: an identity file, or the passphrase. */
export async function decryptionFor(flags: OffsiteFlags, env: NodeJS.ProcessEnv): Promise<DecryptWith | null> {
  const identity = flags.identity ?? env.BA_IDENTITY_FILE;
  if (identity) return { identities: await readIdentityFile(identity) };
  const passphrase = await passphraseFrom(flags, env);
  return passphrase === null ? null : { passphrase };
}

/** The work factor of passphrase encryption (scrypt log2 N); BA_AGE_WORK_FACTOR lowers it for tests. */
export function scryptWorkFactor(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.BA_AGE_WORK_FACTOR;
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 20)
    throw new UsageError(`Invalid BA_AGE_WORK_FACTOR ${JSON.stringify(text)}: must be a whole number from 1 to 20`);
  return n;
}

const newestFirst = (a: RemoteCopy, b: RemoteCopy): number => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);

export async function listCopies(target: Target, json: boolean): Promise<number> {
  const copies = (await target.list()).sort(newestFirst);
  if (json) {
    printJson({
      ok: true,
      target: target.label,
      copies: copies.map((c) => ({
        name: c.name,
        size: c.size,
        encrypted: c.name.endsWith('.age'),
        created_at: c.facts?.createdAt,
        complete: c.facts?.complete,
        sha256: c.facts?.sha256,
        plain_sha256: c.facts?.plainSha256,
      })),
    });
    return ExitCode.Success;
  }
  if (copies.length === 0) {
    process.stdout.write(`No backup copies in ${target.label}\n`);
    return ExitCode.Success;
  }
  const lines = [`Backup copies in ${target.label} (newest first):`, ''];
  for (const copy of copies) {
    const tags = [
      copy.name.endsWith('.age') ? '[encrypted]' : '',
      copy.facts?.complete === false ? '[database only]' : '',
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(`  ${copy.name}${tags ? `  ${tags}` : ''}`);
    if (copy.facts) lines.push(`    Created: ${copy.facts.createdAt}`);
    lines.push(`    Size: ${formatBytes(copy.size)}`);
    lines.push(copy.facts ? `    SHA-256: ${copy.facts.sha256}` : '    SHA-256: not recorded', '');
  }
  lines.push(`To restore one: ba-restore --from ${target.label} <name>`);
  process.stdout.write(`${lines.map(printable).join('\n')}\n`);
  return ExitCode.Success;
}

/** The copy an argument names: its exact name, or the archive name with .age (or .zip) added. */
export function findCopy(arg: string, copies: RemoteCopy[], target: Target): RemoteCopy {
  const wanted = path.basename(arg);
  const names = [wanted, `${wanted}.age`, `${wanted}.zip`, `${wanted}.zip.age`];
  for (const name of names) {
    const copy = copies.find((c) => c.name === name);
    if (copy) return copy;
  }
  const near = closestNames(
    wanted,
    copies.map((c) => c.name),
  );
  throw new UserError(
    `${target.label} holds no copy named ${wanted}${near.length > 0 ? `; did you mean ${near.join(' or ')}?` : ''}`,
    ExitCode.Failure,
    { kind: 'copy-not-found', target: target.label },
    'BACKUP_NOT_FOUND',
  );
}

/** Downloads (and decrypts) the named copy into the backups folder for a restore. */
export async function fetchForRestore(
  target: Target,
  arg: string,
  store: StoreConfig,
  decryptWith: DecryptWith | null,
  reporter: Reporter,
): Promise<FetchedCopy> {
  const copy = findCopy(arg, await target.list(), target);
  ensureBackupsDir(store.backupsDir);
  cleanOnInterrupt(store.backupsDir);
  reporter.info(`[INFO] Fetching ${copy.name} from ${target.label}`);
  return fetchCopy(target, copy, store.backupsDir, decryptWith, reporter);
}

export async function verifyCopies(
  target: Target,
  names: string[],
  store: StoreConfig,
  decryptWith: DecryptWith | null,
  json: boolean,
): Promise<number> {
  const copies = await target.list();
  const chosen = names.length > 0 ? names.map((n) => findCopy(n, copies, target)) : copies.sort(newestFirst);
  ensureBackupsDir(store.backupsDir);
  cleanOnInterrupt(store.backupsDir);
  const verdicts = chosen.map((copy) => async (): Promise<ArchiveVerdict> => {
    const where = `${target.label}/${copy.name}`;
    let fetched: FetchedCopy;
    try {
      fetched = await fetchCopy(target, copy, store.backupsDir, decryptWith, silentReporter);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      return { name: copy.name, path: where, ok: false, problem: describeError(err) };
    }
    try {
      return { ...(await archiveVerdict(fetched.path, store.backupsDir)), name: copy.name, path: where };
    } finally {
      fetched.remove();
    }
  });
  return reportVerdicts(verdicts, json, `No backup copies in ${target.label} to verify.`);
}

export async function pruneCopies(
  target: Target,
  store: StoreConfig,
  policy: RetentionPolicy,
  dryRun: boolean,
  json: boolean,
): Promise<number> {
  const plan = planCopiesPrune(await target.list(), policy, store.backupsDir);
  return reportPrune(plan, { policy, safetyKeep: 0, dryRun, json }, async () => {
    await target.remove(plan.remove);
    return plan.remove;
  });
}
