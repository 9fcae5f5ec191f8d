/**
 * Prune: applies a retention policy to the archives of a backups folder.
 * The plan comes from the pure `applyPolicy`; deletion happens only after the
 * caller has shown it, and never for a dry run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { isDatabaseOnly } from '../manifest.js';
import { catalog, type CatalogEntry } from '../archive/catalog.js';
import { pinPath } from '../archive/pins.js';
import {
  applyPolicy,
  isEmptyPolicy,
  type RetentionCandidate,
  type RetentionPlan,
  type RetentionPolicy,
} from './policy.js';
import { parseLocalTime, parseTimestamp } from '../local-time.js';

export interface PrunePlan extends RetentionPlan {
  backupsDir: string;
  policy: RetentionPolicy;
}

export function candidateOf(entry: CatalogEntry): RetentionCandidate {
  const manifest = entry.manifest;
  const time = manifest ? (parseLocalTime(manifest.created_at) ?? parseTimestamp(manifest.timestamp)) : null;
  return {
    name: entry.name,
    kind: entry.kind,
    time,
    pinned: entry.pinned,
    complete: manifest ? !isDatabaseOnly(manifest) : true,
  };
}

export async function planPrune(backupsDir: string, policy: RetentionPolicy, safetyKeep: number): Promise<PrunePlan> {
  if (isEmptyPolicy(policy)) {
    throw new UsageError('Refusing to prune with an empty policy: it would delete every archive', {
      kind: 'empty-retention-policy',
    });
  }
  const entries = (await catalog(backupsDir)) ?? [];
  return { backupsDir, policy, ...applyPolicy(entries.map(candidateOf), policy, safetyKeep) };
}

/** Deletes what the plan removes; returns the names deleted. */
export function applyPrune(plan: PrunePlan): string[] {
  const removed: string[] = [];
  for (const name of plan.remove) {
    const file = path.join(plan.backupsDir, name);
    if (fs.existsSync(pinPath(file))) continue; // pinned since the plan was made
    fs.rmSync(file, { force: true });
    removed.push(name);
  }
  return removed;
}
