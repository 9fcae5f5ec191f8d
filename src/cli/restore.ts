/** ba-restore: declares the flags; the work is in restore-command.ts, loaded once they are parsed (a fast --help). */
import { CONFIRM_PHRASE } from '../restore/confirm-phrase.js';
import { ENVIRONMENT_HELP, EXIT_STATUS_HELP, baseProgram } from './common.js';
import { addKeyOptions } from './offsite-flags.js';
import { applyMemorySettings } from '../memory-settings.js';
import { runCommand } from './run.js';
import type { RestoreFlags } from './restore-command.js';

const EXAMPLES = `
Examples:
  ba-restore backup_20251024_191534.zip --dry-run   check an archive and show what would change
  ba-restore backup_20251024_191534.zip             restore after typing '${CONFIRM_PHRASE}'
  ba-restore /mnt/usb/backup_20251024_191534.zip --yes   restore from a script or cron
  ba-restore --list                                 list archives, newest first`;

export function main(argv: string[] = process.argv): Promise<never> {
  return runCommand('ba-restore', argv, async () => {
    const program = baseProgram(
      'ba-restore',
      'Restore a BuildAutomata memory store from a ba-backup archive (or one made by the original Python scripts).',
      argv.includes('--json'),
    )
      .argument('[backup]', 'archive name in backups/, or a path to one')
      .option('--dry-run', 'verify the archive and show what would be restored; change nothing')
      .option('-l, --list', 'list the archives in backups/, newest first')
      .option('-y, --yes', `confirm without the '${CONFIRM_PHRASE}' prompt (for scripts)`)
      .option('--require-qdrant', 'fail, changing nothing, when the vectors cannot be restored')
      .option(
        '--qdrant <mode>',
        'where the vectors live: server, embedded (qdrant_data/ local mode) or none (env BA_QDRANT_MODE, default: detected)',
      )
      .option(
        '--skip-qdrant',
        'restore the SQLite database only; leave the vectors as they are (same as --qdrant none)',
      )
      .option('--resume', 'finish a restore that was interrupted (killed, power loss)')
      .option('--rollback', 'undo a restore that was interrupted: put back the state from before it')
      .option('--force', 'restore even though the memory server seems to be running on the embedded store')
      .option('--no-safety-backup', 'do not save the current state before replacing it')
      .option('--other-agent', 'with --yes: restore an archive made for another user or agent into this store')
      .option(
        '--discard-unreadable',
        'with --yes: accept losing live vectors that cannot be read (and so cannot be saved)',
      )
      .option('--concurrency <n>', 'upsert requests in flight at once (default: 2)')
      .option(
        '--collection <name>',
        'restore the vectors into this collection instead of <username>_<agent>_memories (with --root: a rehearsal beside the live store)',
      )
      .option('--from <target>', 'restore (or --list) a copy from a folder or s3://bucket/prefix target');
    addKeyOptions(program, false).addHelpText('after', `${ENVIRONMENT_HELP}\n${EXIT_STATUS_HELP}\n${EXAMPLES}`);
    program.parse(argv);
    const flags = program.opts<RestoreFlags>();
    applyMemorySettings();
    const { runRestoreCommand } = await import('./restore-command.js');
    return runRestoreCommand(flags, program.args);
  });
}
