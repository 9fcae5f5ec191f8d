/**
 * One interface for where the vectors live: a Qdrant server, the embedded
 * (local-mode) store, or nowhere. Restore and its plan talk to this
 * interface; each implementation (server-store.ts, embedded-store.ts,
 * no-store.ts) owns reading its live state, what a safety backup takes of it,
 * putting the archive's vectors in place and taking them away again.
 */
import type { QdrantMode, QdrantModeChoice } from '../config.js';
import type { VerifiedArchive } from '../verify/verify-archive.js';

/** The live vectors as a restore finds them. Reading never throws for their state. */
export type LiveVectors =
  | { state: 'absent' }
  | { state: 'healthy'; points: number | null; collections?: Array<{ name: string; points: number }> }
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
export type ArchivedVectors = { restorable: true; points: number; summary: string } | { restorable: false; reason: string };

export interface VectorStore {
  readonly mode: QdrantMode;
  readonly choice: QdrantModeChoice;
  /** Where the vectors live, for the plan: "Qdrant collection X at URL". */
  readonly location: string;
  readLive(): Promise<LiveVectors>;
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
}
