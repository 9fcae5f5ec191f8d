/** ba-backup: declares the flags; the work is in backup-command.ts, loaded once they are parsed (a fast --help). */
import { Option } from 'commander';
import { ENVIRONMENT_HELP, EXIT_STATUS_HELP, baseProgram } from './common.js';
import { addKeyOptions, collect } from './offsite-flags.js';
import { applyMemorySettings } from '../memory-settings.js';
import { runCommand } from './run.js';
import type { BackupFlags } from './backup-command.js';

const EXAMPLES = `
Examples:
  ba-backup -d "Before major changes"       back up the store in the current folder
  ba-backup --list                          list archives, newest first
  ba-backup --verify                        check every archive without restoring
  ba-backup --prune --keep-daily 7 --keep-weekly 4 --dry-run
  ba-backup -d "v1 release" --pin           a milestone prune never deletes
  BA_USERNAME=alice BA_AGENT_NAME=helper ba-backup
  QDRANT_URL=https://qdrant.example:6333 QDRANT_API_KEY=... ba-backup --require-qdrant`;

export function main(argv: string[] = process.argv): Promise<never> {
  return runCommand('ba-backup', argv, async () => {
    const program = baseProgram(
      'ba-backup',
      'Back up a BuildAutomata memory store (SQLite database and Qdrant collection) into backups/backup_YYYYMMDD_HHMMSS.zip.',
      argv.includes('--json'),
    )
      .option('-d, --description <text>', 'what this backup is for', '')
      .option('-l, --list', 'list the archives in backups/, newest first')
      .option('--verify [backups...]', 'fully check archives (all when none is named) without changing anything')
      .option('--prune', 'delete archives that the --keep-* policy does not keep')
      .option('--dry-run', 'with --prune: show what would be deleted and why the rest stays')
      .addOption(new Option('--keep-last <n>', 'with --prune: keep the n newest backups'))
      .addOption(
        new Option('--keep-daily <n>', 'with --prune: keep the newest backup of each of the last n days that have one'),
      )
      .addOption(new Option('--keep-weekly <n>', 'with --prune: the same for weeks (Monday to Sunday)'))
      .addOption(new Option('--keep-monthly <n>', 'with --prune: the same for months'))
      .addOption(new Option('--keep-yearly <n>', 'with --prune: the same for years'))
      .addOption(new Option('--keep-safety <n>', 'with --prune: safety backups made by restores to keep (default: 3)'))
      .option('--pin [backup]', 'pin the new backup, or the named archive: prune never deletes it')
      .option('--unpin <backup>', 'remove the pin of an archive')
      .option(
        '--inspect <backup>',
        'show what an archive holds: counts per table, the collection, its memories (newest first)',
      )
      .option(
        '--compare <backups...>',
        'what changed from an archive to the live store, or from one archive to another: memories and points',
      )
      .option(
        '--check-fresh <age>',
        'exit 1 unless the newest complete backup is at most this old (90m, 26h, 2d, 1w): for monitoring',
      )
      .option('--require-qdrant', 'fail, writing nothing, when the Qdrant collection cannot be exported')
      .option(
        '--qdrant <mode>',
        'where the vectors live: server, embedded (qdrant_data/ local mode) or none (env BA_QDRANT_MODE, default: detected)',
      )
      .option('--skip-qdrant', 'back up the SQLite database only (same as --qdrant none)')
      .option(
        '--vectors-format <format>',
        "how a Qdrant server's collection is archived: points (default, portable to any version and to clusters) or snapshot (Qdrant's native snapshot: fast, restores only into the same or next minor version, single node)",
      )
      .option(
        '--to <target>',
        'also copy the new archive, once verified, to a folder or s3://bucket/prefix (repeatable; env BA_BACKUP_TARGETS)',
        collect,
      )
      .option('--encrypt-local', 'keep the new archive in backups/ encrypted too (.zip.age), with the same key')
      .option(
        '--from <target>',
        'with --list, --verify or --prune: work on the copies in a target instead of backups/',
      );
    addKeyOptions(program, true).addHelpText('after', `${ENVIRONMENT_HELP}\n${EXIT_STATUS_HELP}\n${EXAMPLES}`);
    program.allowExcessArguments(true).parse(argv);
    const flags = program.opts<BackupFlags>();
    applyMemorySettings();
    const { runBackupCommand } = await import('./backup-command.js');
    return runBackupCommand(flags, program.args);
  });
}
