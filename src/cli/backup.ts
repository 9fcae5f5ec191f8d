/** ba-backup: parses flags, resolves configuration, calls the core. */
import { parseBatchSize, resolveQdrantConfig, resolveStoreConfig } from '../config.js';
import { ExitCode } from '../errors.js';
import { describeQdrantStats } from '../manifest.js';
import { consoleReporter, formatBytes } from '../output.js';
import { listBackups } from './list.js';
import { createBackup } from '../backup/create-backup.js';
import { ENVIRONMENT_HELP, EXIT_STATUS_HELP, baseProgram } from './common.js';
import { runCommand } from './run.js';

interface BackupFlags {
  description: string;
  list?: boolean;
  root?: string;
  username?: string;
  agent?: string;
  batchSize?: string;
  requireQdrant?: boolean;
  skipQdrant?: boolean;
  quiet?: boolean;
}

const EXAMPLES = `
Examples:
  ba-backup -d "Before major changes"      back up the store in the current folder
  ba-backup --list                         list archives, newest first
  BA_USERNAME=alice BA_AGENT_NAME=helper ba-backup
  QDRANT_URL=https://qdrant.example:6333 QDRANT_API_KEY=... ba-backup --require-qdrant`;

export function main(argv: string[] = process.argv): Promise<never> {
  return runCommand('ba-backup', async () => {
    const program = baseProgram('ba-backup', 'Back up a BuildAutomata memory store (SQLite database and Qdrant collection) into backups/backup_YYYYMMDD_HHMMSS.zip.')
      .option('-d, --description <text>', 'what this backup is for', '')
      .option('-l, --list', 'list the archives in backups/, newest first')
      .option('--require-qdrant', 'fail, writing nothing, when the Qdrant collection cannot be exported')
      .option('--skip-qdrant', 'back up the SQLite database only')
      .option('-q, --quiet', 'print only warnings, errors and the result')
      .addHelpText('after', `${ENVIRONMENT_HELP}\n${EXIT_STATUS_HELP}\n${EXAMPLES}`);
    program.parse(argv);
    const flags = program.opts<BackupFlags>();
    const store = resolveStoreConfig(flags, process.env, process.cwd());
    if (flags.list) return listBackups(store.backupsDir);

    const batchSize = parseBatchSize(flags.batchSize);
    const qdrant = flags.skipQdrant ? null : resolveQdrantConfig({}, process.env);
    const result = await createBackup(
      { store, qdrant, description: flags.description, batchSize, requireQdrant: flags.requireQdrant ?? false, kind: 'backup' },
      consoleReporter(flags.quiet),
    );
    const stats = result.manifest.stats;
    const out = [
      '',
      result.complete ? '[SUCCESS] Backup created successfully!' : '[SUCCESS] Backup created, without Qdrant vectors.',
      `  Location: ${result.path}`,
      `  Size: ${formatBytes(result.size)}`,
      `  Memories: ${stats.sqlite.total_memories}`,
      `  Versions: ${stats.sqlite.total_versions}`,
      `  Intentions: ${stats.sqlite.total_intentions}`,
      `  Vectors: ${describeQdrantStats(stats.qdrant)}`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    if (result.complete || flags.skipQdrant) return ExitCode.Success;
    return ExitCode.Incomplete;
  });
}
