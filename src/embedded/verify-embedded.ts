/**
 * Validation of the embedded vector store inside an archive (entries under
 * qdrant_data/): meta.json parses, every storage.sqlite passes
 * integrity_check, has its points table and the point count the manifest
 * records. When a staging folder is given, the verified files are written
 * there in the store's layout, ready to be swapped in.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openReadOnly } from '../sqlite/open.js';
import { ArchiveError, describeError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import type { ArchiveReader, EntryDigest } from '../archive/reader.js';
import { integrityCheck } from '../sqlite/stats.js';
import {
  collectionOfEntry,
  ENTRY_PREFIX,
  type LocalMeta,
  META_ENTRY,
  META_FILE,
  parseMeta,
  storagePath,
} from './local-store.js';

export interface EmbeddedArchive {
  meta: LocalMeta;
  collections: Array<{ name: string; points: number }>;
}

export function isEmbeddedEntry(name: string): boolean {
  return name.startsWith(ENTRY_PREFIX);
}

interface ManifestEmbedded {
  collections?: Record<string, { points?: number }>;
}

export async function verifyEmbeddedEntries(
  reader: ArchiveReader,
  manifest: Manifest,
  stagingDir: string | undefined,
  scratchFile: () => string,
  checkDigest: (name: string, digest: EntryDigest) => void,
  fail: (problem: string) => never,
): Promise<EmbeddedArchive | null> {
  const names = [...reader.entries.keys()].filter(isEmbeddedEntry);
  const declared = (manifest as { embedded?: ManifestEmbedded }).embedded;
  if (names.length === 0) {
    if (declared) fail(`the manifest records an embedded vector store but the zip has no ${ENTRY_PREFIX} entries`);
    return null;
  }
  if (!reader.has(META_ENTRY)) fail(`it has ${ENTRY_PREFIX} entries but no ${META_ENTRY}`);
  for (const name of names) {
    if (name !== META_ENTRY && collectionOfEntry(name) === null)
      fail(`unexpected entry ${name} in the embedded vector store`);
    if (manifest.entries && !manifest.entries[name]) fail(`entry ${name} is not listed in the manifest`);
  }

  const { data, digest } = await reader.readSmallEntry(META_ENTRY, 16 * 1024 * 1024);
  checkDigest(META_ENTRY, digest);
  let meta: LocalMeta;
  try {
    meta = parseMeta(data.toString('utf8'), META_ENTRY);
  } catch (err) {
    return fail(describeError(err));
  }
  if (stagingDir) {
    fs.mkdirSync(stagingDir, { recursive: true });
    fs.writeFileSync(path.join(stagingDir, META_FILE), data, { mode: 0o600 });
  }

  const collections: EmbeddedArchive['collections'] = [];
  for (const name of names) {
    const collection = collectionOfEntry(name);
    if (collection === null) continue;
    if (!(collection in meta.collections))
      fail(`${name} stores collection ${collection}, which ${META_ENTRY} does not list`);
    const target = stagingDir ? storagePath(stagingDir, collection) : scratchFile();
    fs.mkdirSync(path.dirname(target), { recursive: true });
    try {
      checkDigest(name, await reader.extractEntry(name, target));
      const points = checkStorage(target, name, fail);
      const expected = declared?.collections?.[collection]?.points;
      if (expected !== undefined && expected !== points)
        fail(`${name} holds ${points} points, the manifest says ${expected}`);
      collections.push({ name: collection, points });
    } finally {
      if (!stagingDir) fs.rmSync(target, { force: true });
    }
  }
  const main = manifest.config.collection_name;
  const mainPoints = collections.find((c) => c.name === main)?.points;
  const total = manifest.stats.qdrant.total_vectors;
  if (mainPoints !== undefined && total !== undefined && total !== mainPoints) {
    fail(`collection ${main} holds ${mainPoints} points, the manifest says ${total}`);
  }
  return { meta, collections };
}

function checkStorage(file: string, name: string, fail: (problem: string) => never): number {
  let db: Database.Database;
  try {
    db = openReadOnly(file);
  } catch (err) {
    return fail(`${name} cannot be opened (${describeError(err)})`);
  }
  try {
    const integrity = integrityCheck(db);
    if (integrity !== 'ok') fail(`${name} fails PRAGMA integrity_check: ${integrity}`);
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'points'").get();
    if (!table) fail(`${name} has no points table`);
    return (db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number }).n;
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    return fail(`${name} is not a usable SQLite database (${describeError(err)})`);
  } finally {
    db.close();
  }
}
