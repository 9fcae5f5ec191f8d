/**
 * The memory server's embedded vector store: the Python qdrant-client's
 * "local mode" folder `memory_repos/<user>_<agent>/qdrant_data/`.
 *
 *   meta.json                              {"collections": {name: config}, "aliases": {...}}
 *   collection/<name>/storage.sqlite       table points(id TEXT, point BLOB): pickles
 *   .lock                                  flock()ed by a running client
 *
 * Points are Python pickles that only the Python client can read, so the
 * tool treats each storage.sqlite as an opaque database: copied consistently
 * inside SQLite and counted by its rows, never decoded.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UserError, describeError } from '../errors.js';
import { openForReading } from '../sqlite/open.js';

export const LOCAL_DIR = 'qdrant_data';
export const META_FILE = 'meta.json';
export const LOCK_FILE = '.lock';
/** Archive entry prefix of the embedded store. */
export const ENTRY_PREFIX = `${LOCAL_DIR}/`;

export interface LocalMeta {
  collections: Record<string, unknown>;
  aliases: Record<string, string>;
}

/** A collection name that is safe as a folder and an archive entry name. */
const SAFE_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

export function localDirOf(repoDir: string): string {
  return path.join(repoDir, LOCAL_DIR);
}

export function storagePath(localDir: string, collection: string): string {
  return path.join(localDir, 'collection', collection, 'storage.sqlite');
}

export function storageEntryName(collection: string): string {
  return `${ENTRY_PREFIX}collection/${collection}/storage.sqlite`;
}

export const META_ENTRY = `${ENTRY_PREFIX}${META_FILE}`;

/** The collection an archive entry stores, or null if it is not a storage entry. */
export function collectionOfEntry(name: string): string | null {
  const m = /^qdrant_data\/collection\/([^/]+)\/storage\.sqlite$/.exec(name);
  return m && SAFE_NAME.test(m[1]!) && m[1] !== '.' && m[1] !== '..' ? m[1]! : null;
}

export function parseMeta(text: string, where: string): LocalMeta {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where} is not valid JSON (${describeError(err)})`);
  }
  const meta = parsed as Partial<LocalMeta>;
  if (
    typeof meta !== 'object' ||
    meta === null ||
    typeof meta.collections !== 'object' ||
    meta.collections === null ||
    Array.isArray(meta.collections)
  ) {
    throw new UserError(`${where} has no "collections" object; is it a Qdrant local-mode folder?`);
  }
  for (const name of Object.keys(meta.collections)) {
    if (!SAFE_NAME.test(name) || name === '.' || name === '..')
      throw new UserError(`${where} names a collection ${JSON.stringify(name)} that is not a safe folder name`);
  }
  return { collections: meta.collections, aliases: meta.aliases ?? {} };
}

export function readMeta(localDir: string): { meta: LocalMeta; bytes: Buffer } {
  const file = path.join(localDir, META_FILE);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UserError(`Cannot read ${file}: ${describeError(err)}`, undefined, { kind: 'embedded-store-unreadable' });
  }
  return { meta: parseMeta(bytes.toString('utf8'), file), bytes };
}

/** Rows of the points table: the collection's point count. */
export function countStoredPoints(dbPath: string): number {
  const db = openForReading(dbPath);
  try {
    const row = db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

export type LockState = { state: 'free' } | { state: 'held'; by: string } | { state: 'unknown'; why: string };

/**
 * Whether a running client holds the store: its `.lock` flock()ed (what
 * portalocker does), or one of its databases in the middle of a write.
 */
export function probeInUse(localDir: string): LockState {
  const lockFile = path.join(localDir, LOCK_FILE);
  if (fs.existsSync(lockFile)) {
    // Node has no flock(); util-linux's flock(1) asks the kernel the same question.
    const probe = spawnSync('flock', ['--nonblock', '--conflict-exit-code', '75', lockFile, 'true'], {
      stdio: 'ignore',
    });
    if (probe.error) return { state: 'unknown', why: 'the flock command is not available to test the lock' };
    if (probe.status === 75) return { state: 'held', by: `${lockFile} is locked by a running Qdrant client` };
  }
  const collectionsDir = path.join(localDir, 'collection');
  const names = fs.existsSync(collectionsDir) ? fs.readdirSync(collectionsDir) : [];
  for (const name of names) {
    const dbPath = storagePath(localDir, name);
    if (!fs.existsSync(dbPath)) continue;
    if (databaseIsLocked(dbPath)) return { state: 'held', by: `${dbPath} is being written` };
  }
  return { state: 'free' };
}

/** True when another connection holds a write lock on the database right now. */
export function databaseIsLocked(dbPath: string): boolean {
  let db: Database.Database | null = null;
  try {
    db = new Database(dbPath, { fileMustExist: true, timeout: 0 });
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return false;
  } catch (err) {
    return (
      /SQLITE_BUSY|database is locked/i.test(describeError(err)) || (err as { code?: string }).code === 'SQLITE_BUSY'
    );
  } finally {
    db?.close();
  }
}
