/** A backup without vectors: skipped, not found, unreachable or discarded; the manifest says which. */
import type { QdrantStats } from '../manifest.js';
import type { VectorsBackup, VectorsRecord } from './vector-store.js';

export class NoVectorsBackup implements VectorsBackup {
  constructor(
    readonly problem: string,
    private readonly stats: QdrantStats,
    private readonly record: Omit<VectorsRecord, 'entries' | 'stats'> = {
      qdrant: { server_version: null, vector_size: null, distance: null },
    },
  ) {}

  write(): Promise<VectorsRecord> {
    return Promise.resolve({ ...this.record, entries: {}, stats: this.stats });
  }

  withoutVectors(): VectorsBackup | null {
    return null;
  }

  discard(): void {}
}
