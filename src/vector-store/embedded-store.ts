/**
 * The embedded (local-mode) store, qdrant_data/ beside the database. Install
 * swaps the staged folder in with two renames and keeps the previous folder
 * aside until the restore settles, so undoing puts back its exact bytes, even
 * after a crash (the aside folder is found by its name).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { QdrantModeChoice } from '../config.js';
import { ExitCode, UserError, describeError } from '../errors.js';
import type { VerifiedArchive } from '../verify/verify-archive.js';
import {
  countStoredPoints,
  localDirOf,
  probeInUse,
  readMeta,
  storagePath,
  type LockState,
} from '../embedded/local-store.js';
import { ASIDE_MARK, swapInEmbedded } from '../embedded/swap.js';
import { NO_CONVERSION } from './no-conversion.js';
import { openEmbeddedBackup } from './embedded-backup.js';
import type {
  ArchivedVectors,
  BackupRequest,
  LiveVectors,
  StagedArchive,
  VectorsBackup,
  VectorStore,
} from './vector-store.js';

export class EmbeddedVectorStore implements VectorStore {
  readonly mode = 'embedded' as const;
  readonly localDir: string;

  constructor(
    readonly choice: QdrantModeChoice,
    private readonly repoDir: string,
    private readonly collection: string,
  ) {
    this.localDir = localDirOf(repoDir);
  }

  get location(): string {
    return this.localDir;
  }

  readLive(): Promise<LiveVectors> {
    return Promise.resolve(readLiveEmbedded(this.localDir));
  }

  /** Whether a running memory server holds the store. */
  /** Embedded point ids are pickled keys, not comparable with an archive's: not listed. */
  pointIds(): Promise<Set<string> | null> {
    return Promise.resolve(null);
  }

  inUse(): LockState {
    return fs.existsSync(this.localDir) ? probeInUse(this.localDir) : { state: 'free' };
  }

  archived(archive: VerifiedArchive): ArchivedVectors {
    if (archive.vectors || archive.snapshot) {
      throw new UserError(
        `${archive.path} holds vectors exported from a Qdrant server, but this store uses the embedded store (${this.choice.reason}). ${NO_CONVERSION}`,
        ExitCode.Failure,
        { kind: 'vector-store-mismatch', archived: 'server' },
      );
    }
    if (archive.rawEmbedded)
      return { restorable: true, points: 0, summary: `the damaged store saved raw (${archive.rawEmbedded.reason})` };
    if (!archive.embedded)
      return { restorable: false, reason: 'the archive holds no embedded store; it is left as it is' };
    return {
      restorable: true,
      points: this.pointsOf(archive.embedded.collections),
      summary: describeCollections(archive.embedded.collections),
    };
  }

  private pointsOf(collections: Array<{ name: string; points: number }>): number {
    return collections.find((c) => c.name === this.collection)?.points ?? 0;
  }

  install(staged: StagedArchive): Promise<number> {
    swapInEmbedded(staged.embedded!, this.localDir);
    const expected = staged.archive.embedded?.collections ?? [];
    for (const collection of expected) {
      const points = countStoredPoints(storagePath(this.localDir, collection.name));
      if (points !== collection.points)
        throw new UserError(
          `collection ${collection.name} holds ${points} points after the restore, the archive has ${collection.points}`,
        );
    }
    return Promise.resolve(this.pointsOf(expected));
  }

  remove(): Promise<void> {
    fs.rmSync(this.localDir, { recursive: true, force: true });
    return Promise.resolve();
  }

  undoInstall(): boolean {
    const aside = this.asideFolders();
    if (aside.length === 0) return false;
    fs.rmSync(this.localDir, { recursive: true, force: true });
    fs.renameSync(aside[0]!, this.localDir);
    for (const extra of aside.slice(1)) fs.rmSync(extra, { recursive: true, force: true });
    return true;
  }

  settle(): void {
    for (const aside of this.asideFolders()) fs.rmSync(aside, { recursive: true, force: true });
  }

  openBackup(request: BackupRequest): Promise<VectorsBackup> {
    return Promise.resolve(openEmbeddedBackup(this.repoDir, this.localDir, this.collection, request));
  }

  /** Previous stores kept aside by an install, this run's or a killed one's. */
  private asideFolders(): string[] {
    if (!fs.existsSync(this.repoDir)) return [];
    const prefix = `${path.basename(this.localDir)}${ASIDE_MARK}`;
    return fs
      .readdirSync(this.repoDir)
      .filter((name) => name.startsWith(prefix))
      .map((name) => path.join(this.repoDir, name));
  }
}

export function describeCollections(list: Array<{ name: string; points: number }>): string {
  return list.map((c) => `${c.name} ${c.points} points`).join(', ') || 'no collections';
}

/** The live store: absent, healthy with its collections, or damaged with the first problem found. */
export function readLiveEmbedded(localDir: string): LiveVectors {
  if (!fs.existsSync(localDir)) return { state: 'absent' };
  let names: string[];
  try {
    names = Object.keys(readMeta(localDir).meta.collections).sort();
  } catch (err) {
    return { state: 'damaged', reason: describeError(err) };
  }
  const collections: Array<{ name: string; points: number }> = [];
  for (const name of names) {
    const file = storagePath(localDir, name);
    if (!fs.existsSync(path.dirname(file)))
      return { state: 'damaged', reason: `collection ${name} is listed in meta.json but its folder is missing` };
    try {
      collections.push({ name, points: fs.existsSync(file) ? countStoredPoints(file) : 0 });
    } catch (err) {
      return { state: 'damaged', reason: `collection ${name}: ${describeError(err)}` };
    }
  }
  return { state: 'healthy', points: collections.reduce((sum, c) => sum + c.points, 0), collections };
}
