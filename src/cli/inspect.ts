/** ba-backup --inspect and --compare: what an archive holds, and what changed between two states, as text or JSON. */
import path from 'node:path';
import type { StoreConfig } from '../config.js';
import { ExitCode, UsageError } from '../errors.js';
import { describeQdrantStats } from '../manifest.js';
import { formatBytes, formatCreated, printable, printJson } from '../output.js';
import { findArchive } from '../archive/backups-folder.js';
import { compareViews } from '../inspect/compare.js';
import { type MemoryRow, type StoreView, viewArchive, viewLive } from '../inspect/store-view.js';
import type { VectorStore } from '../vector-store/vector-store.js';
import { describeVerifiedPoints } from '../qdrant/verify-vectors.js';
import type { VerifiedArchive } from '../verify/verify-archive.js';

/** Rows printed per list; the rest is counted. */
const SHOWN = 50;

const memoryLine = (mark: string, m: MemoryRow): string =>
  `    ${mark}${m.id}  ${m.created_at}  [${m.category}]  ${m.summary}`;

/** The vectors line: points, dims and metric, with the points of each shard key; or the snapshot, or the embedded store's collections. */
function describeVectors({ vectors, snapshot, embedded, manifest }: VerifiedArchive): string {
  if (snapshot) return `${snapshot.points} points in a Qdrant collection snapshot (${formatBytes(snapshot.size)})`;
  if (embedded)
    return `the embedded store: ${embedded.collections.map(({ name, points }) => `${name} ${points} points`).join(', ')}`;
  if (!vectors) return describeQdrantStats(manifest.stats.qdrant);
  const keys = vectors.perShardKey;
  const perKey = keys ? `: ${[...keys].map(([id, points]) => `${id} ${points}`).join(', ')}` : '';
  return `${describeVerifiedPoints(vectors)}${perKey}`;
}

function vectorsJson({ vectors, snapshot, embedded }: VerifiedArchive): object | null {
  if (snapshot) return { format: 'snapshot', points: snapshot.points, size: snapshot.size };
  if (embedded) return { format: 'embedded', collections: embedded.collections };
  if (!vectors) return null;
  return {
    format: 'points',
    points: vectors.points,
    vector_size: vectors.description.vectorSize,
    distance: vectors.description.distance,
    // the ids are the keys as JSON text (shardKeyId): a string key and a number key stay apart
    shard_keys: vectors.perShardKey
      ? [...vectors.perShardKey].map(([id, points]) => ({ key: JSON.parse(id) as unknown, points }))
      : null,
  };
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
  const archive = contents.archive!;
  const { manifest } = archive;
  const memories = [...contents.memories.values()];
  if (json) {
    printJson({
      ok: true,
      archive: contents.label,
      created_at: manifest.created_at,
      description: manifest.description,
      config: manifest.config,
      tables: contents.tables,
      vectors: vectorsJson(archive),
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
    `  Vectors: ${describeVectors(archive)}`,
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
