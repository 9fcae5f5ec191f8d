/** Flags and help text shared by both commands. */
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import type { OutputMode } from '../output.js';
import { toolVersion } from '../version.js';

export const EXIT_STATUS_HELP = `
Exit status (the same for both commands):
  0  success
  1  failure (nothing was changed unless the message says so)
  2  usage error: a bad flag, argument or environment variable
  3  done without the Qdrant vectors (see the warning): a database-only backup, or a
     confirmed restore that could not restore them
  4  restore cancelled at the confirmation prompt
  5  an archive failed validation (or a copy on a target does not match its checksum)
  6  the archive was written and verified locally, but a copy to a --to target failed
  130  interrupted (Ctrl-C); temporary files removed`;

export const ENVIRONMENT_HELP = `
Environment:
  BA_MEMORY_ROOT    folder holding memory_repos/ and backups/ (default: current directory)
  BA_USERNAME       memory server user name (default: buildautomata_ai_v012)
  BA_AGENT_NAME     memory server agent name (default: claude_assistant)
  QDRANT_URL        Qdrant server URL; when unset, QDRANT_HOST and QDRANT_PORT are used
  QDRANT_HOST       Qdrant host (default: localhost)
  QDRANT_PORT       Qdrant port (default: 6333)
  QDRANT_API_KEY    Qdrant API key (never printed or archived)
  BA_BACKUP_TARGETS off-site targets for new backups, comma-separated (when no --to is given)
  BA_PASSPHRASE     age passphrase for encrypted copies (never printed)
  BA_RECIPIENTS_FILE, BA_IDENTITY_FILE   age public keys to encrypt to / secret key to decrypt with
  BA_S3_ENDPOINT, BA_S3_PATH_STYLE       S3-compatible endpoint and addressing
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_REGION   S3 credentials (the AWS SDK's chain)
  NO_COLOR          respected: output has no colour either way`;

export interface CommonFlags {
  root?: string;
  username?: string;
  agent?: string;
  batchSize?: string;
  timeout?: string;
  quiet?: boolean;
  json?: boolean;
}

/** The shared program; with --json, a usage error is left to the JSON document on stdout (see run.ts). */
export function baseProgram(name: string, description: string, json: boolean): Command {
  return new Command(name)
    .description(description)
    .version(toolVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => (json ? undefined : write(`[ERROR] ${text.replace(/^error: /, '')}`)),
    })
    .addOption(
      new Option(
        '--root <dir>',
        'folder holding memory_repos/ and backups/ (env BA_MEMORY_ROOT, default: current directory)',
      ),
    )
    .addOption(
      new Option('--username <name>', 'memory server user name (env BA_USERNAME, default: buildautomata_ai_v012)'),
    )
    .addOption(new Option('--agent <name>', 'memory server agent name (env BA_AGENT_NAME, default: claude_assistant)'))
    .addOption(new Option('--batch-size <n>', 'points per Qdrant request (default: 100)'))
    .addOption(
      new Option(
        '--timeout <seconds>',
        'wait at most this long for each Qdrant answer; failed reads and upserts are retried 3 times (default: 60)',
      ),
    )
    .option('-q, --quiet', 'print only warnings, errors and the result')
    .option('--json', 'print one JSON document on stdout instead of text');
}

export function outputMode(flags: CommonFlags): OutputMode {
  if (flags.json) return 'json';
  return flags.quiet ? 'quiet' : 'human';
}

/** --timeout in seconds, as milliseconds. */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    throw new UsageError(
      `Invalid --timeout ${JSON.stringify(value)}: must be a number of seconds above 0`,
      'For example --timeout 30.',
    );
  }
  return Math.round(seconds * 1000);
}

/** Parses a whole-number flag such as --keep-daily. */
export function parseCount(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 1_000_000) {
    throw new UsageError(`Invalid ${flag} ${JSON.stringify(value)}: must be a whole number`, `For example ${flag} 7.`);
  }
  return Number(value);
}
