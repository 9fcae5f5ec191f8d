/**
 * Files of the store saved byte for byte, for a safety archive: a damaged
 * database or embedded store, or side files left beside a database. They are
 * copied to a scratch folder first, so that the archive holds one moment's
 * bytes and nothing (not even SQLite opening them) can change them before
 * they are written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RAW_PREFIX, type RawPart } from '../manifest.js';

export interface RawCopy {
  state: RawPart['state'];
  reason: string;
  /** The scratch folder holding the copies; removed by discardRawCopy. */
  dir: string;
  /** Each file's path inside the store folder (with '/') and its copy. */
  files: Array<{ rel: string; path: string }>;
}

/** The archive entry of a raw file. */
export function rawEntryName(rel: string): string {
  return `${RAW_PREFIX}${rel}`;
}

/** Every file under `dir`, recursively, except those `skip` names (paths relative to dir). */
export function filesUnder(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (skip(path.relative(dir, full))) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.push(full);
    }
  };
  walk(dir);
  return found.sort();
}

/** Copies `files` (inside `storeDir`) into the new folder `scratchDir`. */
export function copyRaw(
  storeDir: string,
  files: string[],
  scratchDir: string,
  state: RawPart['state'],
  reason: string,
): RawCopy {
  const copy: RawCopy = { state, reason, dir: scratchDir, files: [] };
  fs.mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
  try {
    for (const file of files) {
      const rel = path.relative(storeDir, file).split(path.sep).join('/');
      const target = path.join(scratchDir, ...rel.split('/'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(file, target);
      copy.files.push({ rel, path: target });
    }
    return copy;
  } catch (err) {
    discardRawCopy(copy);
    throw err;
  }
}

export function discardRawCopy(copy: RawCopy): void {
  fs.rmSync(copy.dir, { recursive: true, force: true });
}

/** The manifest's record of a raw part. */
export function rawPartOf(copy: RawCopy): RawPart {
  return { state: copy.state, reason: copy.reason, files: copy.files.map((f) => rawEntryName(f.rel)) };
}
