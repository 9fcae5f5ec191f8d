/** No vector store: the vectors are skipped (--qdrant none, --skip-qdrant) and left as they are. */
import type { QdrantModeChoice } from '../config.js';
import type { LockState } from '../embedded/local-store.js';
import { NoVectorsBackup } from './no-vectors-backup.js';
import type { ArchivedVectors, LiveVectors, VectorsBackup, VectorStore } from './vector-store.js';

export class NoVectorStore implements VectorStore {
  readonly mode = 'none' as const;
  readonly location = 'none';

  constructor(readonly choice: QdrantModeChoice) {}

  readLive(): Promise<LiveVectors> {
    return Promise.resolve({ state: 'unavailable', reason: 'skipped' });
  }

  archived(): ArchivedVectors {
    return { restorable: false, reason: `the vector store was skipped (${this.choice.reason}); it is left as it is` };
  }

  install(): Promise<number> {
    return Promise.reject(new Error('there is no vector store to install into'));
  }

  remove(): Promise<void> {
    return Promise.resolve();
  }

  pointIds(): Promise<Set<string> | null> {
    return Promise.resolve(null);
  }

  inUse(): LockState {
    return { state: 'free' };
  }

  undoInstall(): boolean {
    return false;
  }

  settle(): void {}

  openBackup(): Promise<VectorsBackup> {
    return Promise.resolve(new NoVectorsBackup('Qdrant was skipped', { total_vectors: 0, skipped: true }));
  }
}
