/** What changed between two views of a store (pure): memories added, removed and changed, points added and removed. */
import type { MemoryRow, StoreView } from './store-view.js';

export interface Comparison {
  from: string;
  to: string;
  added: MemoryRow[];
  removed: MemoryRow[];
  /** Same id, other content or times: the row as it is in `to`. */
  changed: MemoryRow[];
  tables: Record<string, { from: number | null; to: number | null }>;
  /** null when either side has no vectors to compare. */
  points: { added: string[]; removed: string[] } | null;
}

export function compareViews(from: StoreView, to: StoreView): Comparison {
  const added = [...to.memories.values()].filter((m) => !from.memories.has(m.id));
  const removed = [...from.memories.values()].filter((m) => !to.memories.has(m.id));
  const changed = [...to.memories.values()].filter((m) => {
    const before = from.memories.get(m.id);
    return before !== undefined && (before.content_hash !== m.content_hash || before.updated_at !== m.updated_at);
  });
  const tables: Comparison['tables'] = {};
  for (const name of new Set([...Object.keys(from.tables), ...Object.keys(to.tables)]))
    tables[name] = { from: from.tables[name] ?? null, to: to.tables[name] ?? null };
  const points =
    from.pointIds && to.pointIds
      ? {
          added: [...to.pointIds].filter((id) => !from.pointIds!.has(id)).sort(),
          removed: [...from.pointIds].filter((id) => !to.pointIds!.has(id)).sort(),
        }
      : null;
  return { from: from.label, to: to.label, added, removed, changed, tables, points };
}
