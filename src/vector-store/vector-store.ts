/**
 * One interface for where the vectors live: a Qdrant server, the embedded
 * (local-mode) store, or nowhere. Restore and its plan talk to this
 * interface, and so does backup; each implementation (server-store.ts,
 * embedded-store.ts, no-store.ts) owns reading its live state, what a backup
 * (or a safety backup) takes of it, putting the archive's vectors in place
 * and taking them away again. Archive entries of each kind are checked by
 * its own module (qdrant/verify-vectors.ts, embedded/verify-embedded.ts).
 */
import type { QdrantMode, QdrantModeChoice } from '../config.js';
import type { ArchiveWriter } from '../archive/writer.js';
import type { LockState } from '../embedded/local-store.js';
import type { EntryInfo, Manifest, QdrantStats, RawPart } from '../manifest.js';
import type { Reporter } from '../output.js';
import type { VerifiedArchive } from '../verify/verify-archive.js';

/** The live vectors as a restore finds them. Reading never throws for their state. */
export type LiveVectors =
  /** `peers`: the server's cluster peers, when it has a cluster to tell of. */
  | { state: 'absent'; peers?: number[] }
  | {
      state: 'healthy';
      points: number | null;
      collections?: Array<{ name: string; points: number }>;
      peers?: number[];
    }
  /** Unreadable as a store but its files exist: saved raw. */
  | { state: 'damaged'; reason: string }
  /** Exists but cannot be read out (the server refuses its points): can only be discarded. */
  | { state: 'unreadable'; reason: string }
  /** Cannot be reached at all: left as it is. */
  | { state: 'unavailable'; reason: string };

/** A verified archive and where verification put its parts. */
export interface StagedArchive {
  archive: VerifiedArchive;
  /** The verified database, extracted. */
  database: string;
  /** The verified embedded store (qdrant_data/ layout), or the raw one rebuilt there. */
  embedded: string | null;
  /** Raw files of the database, in their store-folder layout. */
  rawDatabase: string | null;
}

export interface InstallOptions {
  batchSize: number;
  concurrency: number;
  onProgress?: (points: number) => void;
}

/** What the archive holds for this store: vectors to restore, or why the store is left alone. */
export type ArchivedVectors =
  | {
      restorable: true;
      points: number;
      summary: string;
      /** The cluster peers the archived collection's replicas need, and why; absent when one is enough. */
      peersNeeded?: { peers: number; why: string };
    }
  | { restorable: false; reason: string };

export interface VectorStore {
  readonly mode: QdrantMode;
  readonly choice: QdrantModeChoice;
  /** Where the vectors live, for the plan: "Qdrant collection X at URL". */
  readonly location: string;
  readLive(): Promise<LiveVectors>;
  /** The live points as pointLabel names them, for comparing with an archive; null when this store cannot list them. */
  pointIds(): Promise<Set<string> | null>;
  /** Whether a running memory server holds the live vectors (only the embedded store can tell). */
  inUse(): LockState;
  /** What of `archive` this store can restore; throws a UserError when the archive's kind cannot go here. */
  archived(archive: VerifiedArchive): ArchivedVectors;
  /** Replaces the live vectors with the staged archive's and checks their count; returns the store collection's points. */
  install(staged: StagedArchive, options: InstallOptions): Promise<number>;
  /** Removes the live vectors: the state of a store that had none. */
  remove(): Promise<void>;
  /** Puts back what the last install kept aside, if it kept anything; true when it did. */
  undoInstall(): boolean;
  /** The restore is complete: drops what install kept aside. */
  settle(): void;
  /** What a backup takes of the live vectors (never throws for their state: a problem makes a database-only archive). */
  openBackup(request: BackupRequest): Promise<VectorsBackup>;
}

/** What a manifest records of the vectors, beside their entries. */
export interface VectorsRecord {
  entries: Record<string, EntryInfo>;
  stats: QdrantStats;
  qdrant: NonNullable<Manifest['qdrant']>;
  embedded?: Manifest['embedded'];
  /** The embedded store saved as raw files. */
  rawEmbedded?: RawPart;
  discarded?: Manifest['discarded'];
}

/** The vectors as one backup takes them: opened first, then written into the archive. */
export interface VectorsBackup {
  /** Why the archive will hold no vectors (a database-only archive), or null when it holds them. */
  readonly problem: string | null;
  /** Writes the entries and returns what the manifest records of them. */
  write(writer: ArchiveWriter, reporter: Reporter): Promise<VectorsRecord>;
  /** After `write` failed part-way: a database-only stand-in, or null when the failure must end the backup. */
  withoutVectors(err: unknown): VectorsBackup | null;
  /** Removes temporary copies. */
  discard(): void;
}

/** How a server's collection is archived: its points as JSON (portable), or Qdrant's own snapshot (fast, version-bound). */
export type VectorsFormat = 'points' | 'snapshot';

export interface BackupRequest {
  /** Where temporary copies go (the backups folder). */
  scratchDir: string;
  /** Only a Qdrant server makes snapshots; the default is points. */
  format?: VectorsFormat;
  /** Points per scroll request. */
  batchSize: number;
  /** For a safety backup: the vectors as the restore found them (damaged: saved raw; unreadable: discarded). */
  found?: LiveVectors;
}
