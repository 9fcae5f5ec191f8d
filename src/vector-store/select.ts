/** The vector store a run talks to, chosen once from the resolved mode. */
import type { QdrantConfig, QdrantModeChoice, StoreConfig } from '../config.js';
import { EmbeddedVectorStore } from './embedded-store.js';
import { NoVectorStore } from './no-store.js';
import { ServerVectorStore } from './server-store.js';
import type { VectorStore } from './vector-store.js';

export function vectorStoreFor(choice: QdrantModeChoice, store: StoreConfig, qdrant: QdrantConfig | null): VectorStore {
  if (choice.mode === 'embedded') return new EmbeddedVectorStore(choice, store.repoDir, store.collectionName);
  if (choice.mode === 'server' && qdrant) return new ServerVectorStore(choice, qdrant, store.collectionName);
  return new NoVectorStore(choice.mode === 'none' ? choice : { mode: 'none', reason: 'Qdrant was skipped' });
}
