/** --list, shared by both commands: the archives in backups/, newest first. */
import { ExitCode } from '../errors.js';
import { describeQdrantStats } from '../manifest.js';
import { formatBytes, printable } from '../output.js';
import { catalog } from '../archive/catalog.js';

export async function listBackups(backupsDir: string): Promise<number> {
  const entries = await catalog(backupsDir);
  if (entries === null) {
    process.stdout.write(`No backups folder at ${backupsDir}; create a backup with: ba-backup -d "description"\n`);
    return ExitCode.Success;
  }
  if (entries.length === 0) {
    process.stdout.write(`No backups in ${backupsDir}; create one with: ba-backup -d "description"\n`);
    return ExitCode.Success;
  }
  const lines = [`Backups in ${backupsDir} (newest first):`, ''];
  for (const entry of entries) {
    lines.push(`  ${entry.name}${entry.kind === 'safety' ? '  [safety backup before a restore]' : ''}`);
    if (!entry.manifest) {
      lines.push(`    Unreadable manifest: ${printable(entry.problem ?? 'unknown problem')}`, `    Size: ${formatBytes(entry.size)}`, '');
      continue;
    }
    const { stats } = entry.manifest;
    lines.push(
      `    Created: ${printable(entry.manifest.created_at)}`,
      `    Size: ${formatBytes(entry.size)}`,
      `    Memories: ${stats.sqlite.total_memories}, Versions: ${stats.sqlite.total_versions}, Vectors: ${printable(describeQdrantStats(stats.qdrant))}`,
    );
    if (entry.manifest.description) lines.push(`    Description: ${printable(entry.manifest.description)}`);
    lines.push('');
  }
  process.stdout.write(`${lines.join('\n')}`);
  return ExitCode.Success;
}
