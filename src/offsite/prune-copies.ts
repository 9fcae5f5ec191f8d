/**
 * Retention on a target: the same pure policy as the backups folder, on the
 * copies' recorded creation times, with the local pins of the same archives.
 */
import path from 'node:path';
import { isPinned } from '../archive/pins.js';
import { parseLocalTime, parseTimestamp } from '../local-time.js';
import {
  applyPolicy,
  isEmptyPolicy,
  type RetentionCandidate,
  type RetentionPlan,
  type RetentionPolicy,
} from '../retention/policy.js';
import { UsageError } from '../errors.js';
import type { RemoteCopy } from './target.js';

/** backup_X.zip for backup_X.zip.age: the name the local pins and archives use. */
export function plainName(copyName: string): string {
  return copyName.endsWith('.age') ? copyName.slice(0, -'.age'.length) : copyName;
}

export function copyCandidate(copy: RemoteCopy, backupsDir: string): RetentionCandidate {
  const stamp = /^backup_(\d{8}_\d{6})/.exec(copy.name)?.[1];
  const time = (copy.facts && parseLocalTime(copy.facts.createdAt)) ?? (stamp ? parseTimestamp(stamp) : null);
  return {
    name: copy.name,
    kind: 'backup',
    time,
    pinned: isPinned(path.join(backupsDir, plainName(copy.name))),
    complete: copy.facts?.complete ?? true,
  };
}

export function planCopiesPrune(copies: RemoteCopy[], policy: RetentionPolicy, backupsDir: string): RetentionPlan {
  if (isEmptyPolicy(policy)) {
    throw new UsageError('Refusing to prune with an empty policy: it would delete every copy', {
      kind: 'empty-retention-policy',
    });
  }
  return applyPolicy(
    copies.map((c) => copyCandidate(c, backupsDir)),
    policy,
    0,
  );
}
