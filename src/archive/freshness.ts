/**
 * Freshness for monitoring: how old the newest complete backup is (one that
 * holds the vectors, or was made with Qdrant skipped on purpose), against a
 * limit. Pure: the caller reads the catalog and the clock.
 */
import { isDatabaseOnly, type Manifest } from '../manifest.js';

export interface FreshnessInput {
  name: string;
  kind: 'backup' | 'safety';
  manifest: Manifest | null;
  /** The file's modification time, for archives of the original tool (no UTC time recorded). */
  mtimeMs: number;
}

export interface Freshness {
  newest: { name: string; ageMs: number } | null;
  fresh: boolean;
}

export function freshness(archives: readonly FreshnessInput[], limitMs: number, nowMs: number): Freshness {
  let newest: Freshness['newest'] = null;
  for (const archive of archives) {
    if (archive.kind !== 'backup' || !archive.manifest || isDatabaseOnly(archive.manifest)) continue;
    const recorded = archive.manifest.created_at_utc ? Date.parse(archive.manifest.created_at_utc) : Number.NaN;
    const ageMs = nowMs - (Number.isNaN(recorded) ? archive.mtimeMs : recorded);
    if (!newest || ageMs < newest.ageMs) newest = { name: archive.name, ageMs };
  }
  return { newest, fresh: newest !== null && newest.ageMs <= limitMs };
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90m", "26h", "2d", "1w" in milliseconds, or null. */
export function parseAge(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([mhdw])$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : null;
}
