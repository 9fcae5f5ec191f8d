/**
 * Errors and exit codes of both commands, decided in one place.
 *
 * Core code throws these; only the bin entrypoints turn them into an exit
 * code (see cli/run.ts). A UserError prints as one line without a stack; any
 * other error is a bug and prints its stack.
 */
import fs from 'node:fs';

export const ExitCode = {
  /** Everything asked for was done. */
  Success: 0,
  /** The command failed; nothing was changed unless the message says so. */
  Failure: 1,
  /** A flag, argument or environment variable is invalid. */
  Usage: 2,
  /** The archive was written, but without the Qdrant vectors (see the warning). */
  Incomplete: 3,
  /** The user did not confirm the restore. */
  Cancelled: 4,
  /** An archive failed validation. */
  VerificationFailed: 5,
  /** The archive was written and verified locally, but a copy to an off-site target failed. */
  CopyFailed: 6,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Stable machine-readable error codes, printed by --json. Scripts may rely on
 * them: add new ones, never rename.
 */
export type ErrorCode =
  | 'FAILED'
  | 'USAGE'
  | 'INCOMPLETE'
  | 'CANCELLED'
  | 'ARCHIVE_INVALID'
  | 'DATABASE_NOT_FOUND'
  | 'BACKUP_NOT_FOUND'
  | 'QDRANT_UNAVAILABLE'
  | 'NO_TERMINAL'
  | 'LOCKED'
  | 'RESTORE_ROLLED_BACK'
  | 'RESTORE_INCOMPLETE'
  | 'UNREADABLE_STORE'
  | 'PERMISSION_DENIED'
  | 'DATABASE_IN_USE'
  | 'OTHER_AGENT'
  | 'COPY_FAILED'
  | 'SNAPSHOT_REFUSED'
  | 'INTERNAL';

const DEFAULT_CODE: Record<ExitCodeValue, ErrorCode> = {
  [ExitCode.Success]: 'FAILED',
  [ExitCode.Failure]: 'FAILED',
  [ExitCode.Usage]: 'USAGE',
  [ExitCode.Incomplete]: 'INCOMPLETE',
  [ExitCode.Cancelled]: 'CANCELLED',
  [ExitCode.VerificationFailed]: 'ARCHIVE_INVALID',
  [ExitCode.CopyFailed]: 'COPY_FAILED',
};

/**
 * The situation behind an error whose remedy is a flag or a command. The core
 * states the situation; the CLI words the hint with its flags (cli/hints.ts),
 * so that the core never names a flag.
 */
export type Remedy =
  | {
      kind: 'database-not-found';
      insideFolder?: { name: string; root: string };
      stores?: { reposDir: string; names: string[] };
    }
  | { kind: 'archive-not-found'; near: string[] }
  | { kind: 'copy-not-found'; target: string }
  | { kind: 'decryption-key-needed' }
  | { kind: 'empty-retention-policy' }
  | { kind: 'embedded-store-unreadable' }
  | { kind: 'vector-store-mismatch'; archived: 'embedded' | 'server' }
  /** A Qdrant snapshot cannot serve here: the points format can. */
  | { kind: 'snapshot-refused'; reason: 'cluster' | 'version' }
  | { kind: 'confirmation-needs-terminal'; phrase: string }
  | { kind: 'no-archive-named' }
  | { kind: 'nothing-to-recover' }
  | { kind: 'roll-back-later'; safetyBackup: string }
  | { kind: 'resume-instead' }
  | { kind: 'other-agent' }
  | { kind: 'vectors-unavailable' }
  | { kind: 'memory-server-running' }
  | { kind: 'vectors-unreadable' }
  | { kind: 'symbolic-link' }
  | { kind: 'disk-full' };

/** An error the user can act on: printed as one line, no stack. */
export class UserError extends Error {
  readonly code: ErrorCode;
  /** A second line telling the user what to do, when the core can say it without naming a flag. */
  readonly hint?: string;
  /** Otherwise the situation, for the CLI to word its hint. */
  readonly remedy?: Remedy;

  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.Failure,
    hint?: string | Remedy,
    code?: ErrorCode,
  ) {
    super(message);
    this.name = 'UserError';
    this.code = code ?? DEFAULT_CODE[exitCode];
    if (typeof hint === 'string') this.hint = hint;
    else this.remedy = hint;
  }
}

export class UsageError extends UserError {
  constructor(message: string, hint?: string | Remedy, code: ErrorCode = 'USAGE') {
    super(message, ExitCode.Usage, hint, code);
    this.name = 'UsageError';
  }
}

/** An archive is damaged, of the wrong shape, or does not match its manifest. */
export class ArchiveError extends UserError {
  constructor(
    readonly archivePath: string,
    /** What is wrong with it, without the path. */
    readonly problem: string,
    hint?: string,
  ) {
    super(`Invalid archive ${archivePath}: ${problem}`, ExitCode.VerificationFailed, hint, 'ARCHIVE_INVALID');
    this.name = 'ArchiveError';
  }
}

/** Short text for any thrown value, for wrapping into a UserError. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? cause.message : undefined;
    if (causeText && !err.message.includes(causeText)) return `${err.message} (${causeText})`;
    return err.message;
  }
  return String(err);
}

/**
 * A file-system refusal (a read-only folder, files of another user) reported
 * as what it is, naming the path, instead of as a damaged archive or a bug.
 */
export function permissionError(err: unknown): UserError | null {
  const { code, path, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return null;
  const what = code === 'EROFS' ? 'is on a read-only file system' : 'is not accessible to this user';
  // a file that could not be created (ours, temporary or a lock) stands for the folder it was to be written in
  const temp = path !== undefined && (/[\\/]\.ba-tmp-[^\\/]*$/.test(path) || !fs.existsSync(path));
  const where = path === undefined ? 'a file' : temp ? `cannot write in ${path.replace(/[\\/][^\\/]*$/, '')}:` : path;
  return new UserError(
    `Permission denied: ${where} ${temp ? `the folder ${what}` : what}${syscall ? ` (${syscall})` : ''}; nothing was changed`,
    ExitCode.Failure,
    'Run as the user that owns the memory store and its backups/ folder, or give that user write access to it.',
    'PERMISSION_DENIED',
  );
}

/** A full disk reported as what it is, naming the folder, instead of as a damaged file or a bug. */
export function diskFullError(err: unknown, folder: string): UserError | null {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT' && code !== 'SQLITE_FULL') return null;
  return new UserError(
    `The disk is full: cannot write in ${folder}; nothing was changed`,
    ExitCode.Failure,
    { kind: 'disk-full' },
    'FAILED',
  );
}

/**
 * A mistake in this code, not in the archive: let it surface as a bug (with
 * its stack) instead of disguising it as a damaged archive.
 */
export function isProgrammingError(err: unknown): boolean {
  return (
    err instanceof TypeError ||
    err instanceof ReferenceError ||
    (err instanceof RangeError && /call stack/i.test(err.message))
  );
}
