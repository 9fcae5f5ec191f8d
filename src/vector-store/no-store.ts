/** No vector store: the vectors are skipped (--qdrant none, --skip-qdrant) and left as they are. */
import type { QdrantModeChoice } from '../config.js';
import type { ArchivedVectors, LiveVectors, VectorStore } from './vector-store.js';

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

  undoInstall(): boolean {
    return false;
  }

  settle(): void {}
}
