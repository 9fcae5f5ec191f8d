/**
 * A read-only view of a memory store's contents, from a verified archive or
 * from the live store, for inspecting and comparing: counts per table, each
 * memory's id, times, hash and first line, and the point ids of the vectors.
 */
import fs from 'node:fs';
import { pipeline as pipeStreams } from 'node:stream';
import type Database from 'better-sqlite3';
import { tempPath } from '../archive/backups-folder.js';
import { ArchiveReader } from '../archive/reader.js';
import { UserError } from '../errors.js';
import { Utf8Check } from '../json/utf8-check.js';
import { VECTORS_ENTRY } from '../manifest.js';
import { pointLabel } from '../qdrant/points.js';
import { readVectorsFile } from '../qdrant/vectors-file.js';
import { openReadOnly } from '../sqlite/open.js';
import { readLiveDatabase } from '../sqlite/live-database.js';
import { clipped, silentReporter } from '../output.js';
import type { VectorStore } from '../vector-store/vector-store.js';
import { type VerifiedArchive, verifyArchive } from '../verify/verify-archive.js';

export interface MemoryRow {
  id: string;
  created_at: string;
  updated_at: string;
  content_hash: string;
  category: string;
  /** The content's first line, shortened. */
  summary: string;
}

export interface StoreView {
  /** What was read: an archive's file name, or "the live store". */
  label: string;
  tables: Record<string, number>;
  memories: Map<string, MemoryRow>;
  /** Point ids of the store's collection; null when there are no vectors to read. */
  pointIds: Set<string> | null;
  archive?: VerifiedArchive;
}

const SUMMARY_CHARS = 60;

function readDatabase(db: Database.Database): Pick<StoreView, 'tables' | 'memories'> {
  const tables: Record<string, number> = {};
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as Array<{ name: string }>;
  for (const { name } of names)
    tables[name] = (db.prepare(`SELECT COUNT(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n;
  const memories = new Map<string, MemoryRow>();
  const rows = db
    .prepare(
      'SELECT id, created_at, updated_at, content_hash, category, substr(content, 1, 200) AS content FROM memories ORDER BY created_at DESC, id',
    )
    .all() as Array<MemoryRow & { content: string }>;
  for (const { content, ...row } of rows) {
    const first = String(content ?? '').split('\n')[0]!;
    memories.set(String(row.id), {
      ...row,
      id: String(row.id),
      summary: clipped(first, SUMMARY_CHARS),
    });
  }
  return { tables, memories };
}

/** Verifies an archive (its database extracted to a scratch file beside it) and reads it. */
export async function viewArchive(archivePath: string, scratchDir: string): Promise<StoreView> {
  const extracted = tempPath(scratchDir, '.db');
  try {
    const archive = await verifyArchive(archivePath, { extractDatabaseTo: extracted }, silentReporter);
    if (!archive.databaseStats)
      throw new UserError(
        `${archivePath} holds no database to look into (a safety backup of a damaged or missing one)`,
      );
    const db = openReadOnly(extracted);
    try {
      return {
        label: archivePath.split(/[\\/]/).pop()!,
        ...readDatabase(db),
        pointIds: archive.vectors ? await archivedPointIds(archivePath) : null,
        archive,
      };
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(extracted, { force: true });
  }
}

async function archivedPointIds(archivePath: string): Promise<Set<string>> {
  const reader = await ArchiveReader.open(archivePath);
  try {
    const entry = await reader.openEntry(VECTORS_ENTRY);
    const ids = new Set<string>();
    const text = pipeStreams(entry.stream, new Utf8Check(), () => undefined);
    for await (const { keys, shardKeys } of readVectorsFile(text, 500, {}))
      keys.forEach((key, k) => ids.add(pointLabel(key, shardKeys[k]!)));
    return ids;
  } finally {
    reader.close();
  }
}

/** Reads the live database (which must be healthy) and the live point ids. */
export async function viewLive(dbPath: string, scratchDir: string, vectors: VectorStore): Promise<StoreView> {
  const live = readLiveDatabase(dbPath, tempPath(scratchDir, '.db'));
  if (live.state !== 'healthy' || live.leftovers.length > 0) {
    const why =
      live.state === 'absent'
        ? 'there is none'
        : live.state === 'damaged'
          ? `it is damaged (${live.reason})`
          : `${live.leftovers.join(', ')} lies beside it`;
    throw new UserError(`The live database ${dbPath} cannot be compared: ${why}`);
  }
  const db = openReadOnly(dbPath);
  try {
    return { label: 'the live store', ...readDatabase(db), pointIds: await vectors.pointIds() };
  } finally {
    db.close();
  }
}
