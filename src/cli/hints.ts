/**
 * The hints that name flags and commands, worded here at the CLI edge from
 * the situation the core reported (errors.ts, Remedy).
 */
import type { Remedy, UserError } from '../errors.js';

const ROLLBACK_LATER = (safetyBackup: string): string =>
  `Nothing is lost: the previous state is in ${safetyBackup}. Once the cause is fixed, run: ba-restore --rollback`;

/** The hint line for an error: the core's own, or one worded from its remedy. */
export function hintFor(err: UserError, tool: string): string | undefined {
  return err.hint ?? (err.remedy ? wordRemedy(err.remedy, tool) : undefined);
}

function wordRemedy(remedy: Remedy, tool: string): string {
  switch (remedy.kind) {
    case 'database-not-found':
      return databaseNotFound(remedy);
    case 'archive-not-found':
      return remedy.near.length > 0
        ? `Did you mean ${remedy.near.join(' or ')}? ${tool} --list shows every backup.`
        : `Run ${tool} --list to see the available backups.`;
    case 'copy-not-found':
      return `${tool} --list --from ${remedy.target} shows the copies it holds.`;
    case 'decryption-key-needed':
      return 'Give the identity with --identity FILE (age-keygen output), or the passphrase in BA_PASSPHRASE or --passphrase-file FILE.';
    case 'empty-retention-policy':
      return 'Give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly.';
    case 'embedded-store-unreadable':
      return 'Is the memory server using a Qdrant server instead? Then use --qdrant server.';
    case 'vector-store-mismatch':
      return remedy.archived === 'embedded'
        ? 'Restore with --qdrant embedded to get the local store back, or --qdrant none to restore the database only.'
        : 'Restore with --qdrant server (and QDRANT_URL) into a server, or --qdrant none to restore the database only.';
    case 'snapshot-refused':
      return remedy.reason === 'cluster'
        ? 'Back up without --vectors-format snapshot: the points format (the default) reads every node of a cluster.'
        : 'Restore it into a Qdrant of the version the manifest records, or use an archive in the points format (ba-backup without --vectors-format snapshot), which any version restores.';
    case 'confirmation-needs-terminal':
      return `Run it in a terminal to type '${remedy.phrase}', or pass --yes to confirm from a script.`;
    case 'no-archive-named':
      return 'Name an archive, e.g. ba-restore backup_20251024_191534.zip; ba-restore --list shows them.';
    case 'nothing-to-recover':
      return 'ba-restore --list shows the archives you can restore.';
    case 'roll-back-later':
      return ROLLBACK_LATER(remedy.safetyBackup);
    case 'resume-instead':
      return 'Run ba-restore --resume to finish that restore.';
    case 'other-agent':
      return "Pass --other-agent to restore another agent's memories into this store, or pick the store with --username and --agent.";
    case 'vectors-unavailable':
      return 'Make Qdrant reachable (check QDRANT_URL and QDRANT_API_KEY) and run the restore again, or pass --skip-qdrant to restore the database alone.';
    case 'memory-server-running':
      return 'Stop the memory server, then run the restore again (--force overrides this check).';
    case 'vectors-unreadable':
      return 'Pass --discard-unreadable to accept losing them, or fix the Qdrant server and run the restore again.';
    case 'symbolic-link':
      return 'A restore writes only to real files and folders: replace the link with what it points to (or give --root the real folder), then run the restore again.';
    case 'disk-full':
      return 'Free some space (or remove old archives with ba-backup --prune), then try again.';
  }
}

function databaseNotFound(remedy: Extract<Remedy, { kind: 'database-not-found' }>): string {
  const { insideFolder, stores } = remedy;
  if (insideFolder) {
    return `You are inside ${insideFolder.name}/: run from ${insideFolder.root}, or pass --root ${insideFolder.root}.`;
  }
  if (stores) {
    const names = stores.names.map((name) => `${name}/`).join(', ');
    return (
      `${stores.reposDir} holds ${names}; set --username and --agent (or BA_USERNAME and BA_AGENT_NAME) ` +
      'so that <username>_<agent> names one of them.'
    );
  }
  return 'Check BA_USERNAME and BA_AGENT_NAME (or --username/--agent) match the memory server, and --root points at the folder holding memory_repos/.';
}
