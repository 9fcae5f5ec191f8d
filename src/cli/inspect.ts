/** ba-backup --inspect and --compare: what an archive holds, and what changed between two states, as text or JSON. */
import path from 'node:path';
import type { StoreConfig } from '../config.js';
import { ExitCode, UsageError } from '../errors.js';
import { describeQdrantStats } from '../manifest.js';
import { formatCreated, printable, printJson } from '../output.js';
import { findArchive } from '../archive/backups-folder.js';
import { compareViews } from '../inspect/compare.js';
import { type MemoryRow, type StoreView, viewArchive, viewLive } from '../inspect/store-view.js';
import type { VectorStore } from '../vector-store/vector-store.js';
import type { VerifiedVectors } from '../qdrant/verify-vectors.js';

/** Rows printed per list; the rest is counted. */
const SHOWN = 50;

const memoryLine = (mark: string, m: MemoryRow): string =>
  `    ${mark}${m.id}  ${m.created_at}  [${m.category}]  ${m.summary}`;

function describeArchivedVectors(vectors: VerifiedVectors): string {
  const { vectorSize, distance } = vectors.description;
  return `${vectors.points} points${vectorSize !== null ? ` (${vectorSize} dims, ${distance})` : ''}`;
}

function listed(rows: MemoryRow[], mark: string): string[] {
  const lines = rows.slice(0, SHOWN).map((m) => memoryLine(mark, m));
  if (rows.length > SHOWN) lines.push(`    ... and ${rows.length - SHOWN} more (--json lists them all)`);
  return lines;
}

async function view(name: string, store: StoreConfig): Promise<StoreView> {
  const archivePath = findArchive(name, store.backupsDir, process.cwd());
  // scratch space beside the archive: never outside the folders the user named
  return viewArchive(archivePath, path.dirname(archivePath));
}

export async function inspectBackup(name: string, store: StoreConfig, json: boolean): Promise<number> {
  const contents = await view(name, store);
  const { manifest, vectors } = contents.archive!;
  const memories = [...contents.memories.values()];
  if (json) {
    printJson({
      ok: true,
      archive: contents.label,
      created_at: manifest.created_at,
      description: manifest.description,
      config: manifest.config,
      tables: contents.tables,
      vectors: vectors
        ? {
            points: vectors.points,
            vector_size: vectors.description.vectorSize,
            distance: vectors.description.distance,
          }
        : null,
      memories,
    });
    return ExitCode.Success;
  }
  const lines = [
    `Archive ${contents.label}`,
    `  Created: ${formatCreated(manifest)}${manifest.description ? `  "${manifest.description}"` : ''}`,
    `  Made for: ${manifest.config.username}_${manifest.config.agent_name} (collection ${manifest.config.collection_name})`,
    `  Tables: ${Object.entries(contents.tables)
      .map(([table, n]) => `${table} ${n}`)
      .join(', ')}`,
    `  Vectors: ${vectors ? describeArchivedVectors(vectors) : describeQdrantStats(manifest.stats.qdrant)}`,
    `  Memories, newest first (${memories.length}):`,
    ...listed(memories, ''),
  ];
  process.stdout.write(`${lines.map(printable).join('\n')}\n`);
  return ExitCode.Success;
}

export async function compareBackups(
  names: string[],
  store: StoreConfig,
  liveVectors: VectorStore,
  json: boolean,
): Promise<number> {
  if (names.length > 2)
    throw new UsageError(
      '--compare takes one archive (against the live store) or two',
      'For example: ba-backup --compare backup_A.zip backup_B.zip',
    );
  const from = await view(names[0]!, store);
  const to =
    names[1] !== undefined ? await view(names[1], store) : await viewLive(store.dbPath, store.backupsDir, liveVectors);
  const diff = compareViews(from, to);
  if (json) {
    printJson({ ok: true, ...diff });
    return ExitCode.Success;
  }
  const tables = Object.entries(diff.tables).filter(([, t]) => t.from !== t.to);
  const lines = [
    `Comparing ${diff.from} with ${diff.to}`,
    `  Memories: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`,
    ...listed(diff.added, '+ '),
    ...listed(diff.removed, '- '),
    ...listed(diff.changed, '~ '),
    `  Tables: ${tables.length === 0 ? 'the same row counts' : tables.map(([name, t]) => `${name} ${t.from ?? 'none'} -> ${t.to ?? 'none'}`).join(', ')}`,
    diff.points
      ? `  Points: ${diff.points.added.length} added, ${diff.points.removed.length} removed`
      : '  Points: not compared (one side has no point ids to read)',
  ];
  process.stdout.write(`${lines.map(printable).join('\n')}\n`);
  return ExitCode.Success;
}
