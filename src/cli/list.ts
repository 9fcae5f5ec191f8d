/** --list, shared by both commands: the archives in backups/, newest first. */
import fs from 'node:fs';
import { ExitCode } from '../errors.js';
import { COPY_NAME } from '../offsite/target.js';
import { describeArchiveNotes, describeQdrantStats } from '../manifest.js';
import { formatBytes, formatCreated, printable, printJson } from '../output.js';
import { formatCount } from '../count.js';
import { catalog } from '../archive/catalog.js';

export async function listBackups(backupsDir: string, json: boolean): Promise<number> {
  const entries = await catalog(backupsDir);
  if (json) {
    printJson({
      ok: true,
      backups_dir: backupsDir,
      archives: (entries ?? []).map((e) => ({
        name: e.name,
        path: e.path,
        kind: e.kind,
        size: e.size,
        pinned: e.pinned,
        readable: e.manifest !== null,
        problem: e.problem,
        created_at: e.manifest?.created_at,
        description: e.manifest?.description,
        stats: e.manifest?.stats,
        as_found: e.manifest ? describeArchiveNotes(e.manifest) : undefined,
      })),
    });
    return ExitCode.Success;
  }
  if (entries === null) {
    process.stdout.write(`No backups folder at ${backupsDir}; create a backup with: ba-backup -d "description"\n`);
    return ExitCode.Success;
  }
  const sealed = encryptedNote(backupsDir);
  if (entries.length === 0) {
    process.stdout.write(
      sealed
        ? `No plain backups in ${backupsDir}.\n${sealed}`
        : `No backups in ${backupsDir}; create one with: ba-backup -d "description"\n`,
    );
    return ExitCode.Success;
  }
  const lines = [`Backups in ${backupsDir} (newest first):`, ''];
  for (const entry of entries) {
    const tags = [entry.kind === 'safety' ? '[safety backup before a restore]' : '', entry.pinned ? '[pinned]' : '']
      .filter(Boolean)
      .join(' ');
    lines.push(`  ${entry.name}${tags ? `  ${tags}` : ''}`);
    if (!entry.manifest) {
      lines.push(
        `    Unreadable manifest: ${printable(entry.problem ?? 'unknown problem')}`,
        `    Size: ${formatBytes(entry.size)}`,
        '',
      );
      continue;
    }
    const { stats } = entry.manifest;
    lines.push(
      `    Created: ${formatCreated(entry.manifest)}`,
      `    Size: ${formatBytes(entry.size)}`,
      entry.manifest.raw_parts?.database?.state === 'damaged' || entry.manifest.database_absent
        ? `    Memories: no database (see below), Vectors: ${printable(describeQdrantStats(stats.qdrant))}`
        : `    Memories: ${formatCount(stats.sqlite.total_memories)}, Versions: ${formatCount(stats.sqlite.total_versions)}, ` +
            `Vectors: ${printable(describeQdrantStats(stats.qdrant))}`,
    );
    for (const note of describeArchiveNotes(entry.manifest)) lines.push(`    Note: ${printable(note)}`);
    if (entry.manifest.description) lines.push(`    Description: ${printable(entry.manifest.description)}`);
    lines.push('');
  }
  process.stdout.write(`${lines.join('\n')}${sealed}`);
  return ExitCode.Success;
}

/** Encrypted archives (--encrypt-local) need the key to be read: they are counted here and listed with --from. */
function encryptedNote(backupsDir: string): string {
  const count = fs.readdirSync(backupsDir).filter((name) => COPY_NAME.test(name) && name.endsWith('.age')).length;
  if (count === 0) return '';
  return `${formatCount(count)} encrypted archive${count === 1 ? '' : 's'} (.zip.age) too: ba-backup --list --from ${backupsDir} shows them.\n`;
}
