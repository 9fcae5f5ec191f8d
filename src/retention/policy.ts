/**
 * Which archives a retention policy keeps, and why: a pure function of the
 * archives' creation times, with the semantics of restic's `forget`.
 *
 * For each rule, archives are walked newest first and the newest archive of
 * each of the N most recent calendar periods that have one is kept (for
 * `last`, simply the N newest). Rules are evaluated independently; an
 * archive kept by any rule stays, with every reason listed. Periods use the
 * local wall-clock time recorded in the manifest (weeks run Monday to
 * Sunday, ISO week numbering), so DST shifts and time zone changes of the
 * machine do not move an archive into another day.
 *
 * An incomplete archive (the database without the vectors, made while
 * Qdrant was down) never displaces a complete one: each rule is applied a
 * second time to the complete archives alone, so the newest complete archive
 * of each of its periods is kept as well, and a long outage cannot prune the
 * last archives that hold the vectors.
 *
 * Pinned archives are always kept. Safety backups written by restores are
 * not subject to the rules: the newest `safetyKeep` of them are kept.
 * Archives whose time is unknown (unreadable manifest) are always kept:
 * never delete what cannot be read.
 */
import { type LocalTime, pad } from '../local-time.js';

export interface RetentionPolicy {
  last?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
}

export const RULES = ['last', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type Rule = (typeof RULES)[number];

export interface RetentionCandidate {
  name: string;
  kind: 'backup' | 'safety';
  /** null when the archive's creation time cannot be read. */
  time: LocalTime | null;
  pinned: boolean;
  /** False for a database-only archive made while the vectors could not be read; absent means complete. */
  complete?: boolean;
}

export interface Kept {
  name: string;
  reasons: string[];
}

export interface RetentionPlan {
  keep: Kept[];
  remove: string[];
}

export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  return RULES.every((rule) => !policy[rule]);
}

function sortKey(t: LocalTime): string {
  return `${pad(t.year, 4)}${pad(t.month)}${pad(t.day)}${pad(t.hour)}${pad(t.minute)}${pad(t.second)}${pad(t.microsecond, 6)}`;
}

/** ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeek(t: LocalTime): { year: number; week: number } {
  // Calendar arithmetic in UTC on the wall-clock date: no DST in play.
  const date = new Date(Date.UTC(t.year, t.month - 1, t.day));
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  date.setUTCDate(date.getUTCDate() - weekday + 3); // the Thursday of this week
  const weekYear = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(weekYear, 0, 4));
  const firstWeekday = (firstThursday.getUTCDay() + 6) % 7;
  firstThursday.setUTCDate(firstThursday.getUTCDate() - firstWeekday + 3);
  const week = 1 + Math.round((date.getTime() - firstThursday.getTime()) / (7 * 86_400_000));
  return { year: weekYear, week };
}

/** The calendar period of a time under a rule; for `last`, every archive is its own period. */
export function periodOf(rule: Rule, t: LocalTime, name: string): string {
  switch (rule) {
    case 'last':
      return name;
    case 'daily':
      return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
    case 'weekly': {
      const { year, week } = isoWeek(t);
      return `${pad(year, 4)}-W${pad(week)}`;
    }
    case 'monthly':
      return `${pad(t.year, 4)}-${pad(t.month)}`;
    case 'yearly':
      return pad(t.year, 4);
  }
}

/** Keeps the newest of `archives` (newest first) in each of the rule's `limit` most recent periods. */
function keepNewestPerPeriod(
  archives: RetentionCandidate[],
  rule: Rule,
  limit: number,
  note: string,
  addReason: (name: string, reason: string) => void,
): void {
  let taken = 0;
  let lastPeriod: string | null = null;
  for (const c of archives) {
    if (taken >= limit) break;
    const period = periodOf(rule, c.time!, c.name);
    if (period === lastPeriod) continue;
    lastPeriod = period;
    taken++;
    addReason(c.name, `${rule === 'last' ? `last ${limit}` : `${rule} ${period}`}${note}`);
  }
}

export function applyPolicy(
  candidates: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  safetyKeep = 3,
): RetentionPlan {
  const reasons = new Map<string, string[]>();
  const addReason = (name: string, reason: string): void => {
    const list = reasons.get(name) ?? [];
    list.push(reason);
    reasons.set(name, list);
  };
  const newestFirst = (list: RetentionCandidate[]): RetentionCandidate[] =>
    list.sort((a, b) => {
      const ka = sortKey(a.time!);
      const kb = sortKey(b.time!);
      return ka !== kb ? (ka < kb ? 1 : -1) : a.name < b.name ? 1 : -1;
    });

  for (const c of candidates) {
    if (c.pinned) addReason(c.name, 'pinned');
    if (c.time === null) addReason(c.name, 'creation time unreadable');
  }

  const backups = newestFirst(candidates.filter((c) => c.kind === 'backup' && c.time !== null));
  const complete = backups.filter((c) => c.complete !== false);
  for (const rule of RULES) {
    const limit = policy[rule] ?? 0;
    if (limit <= 0) continue;
    keepNewestPerPeriod(backups, rule, limit, '', addReason);
    if (complete.length < backups.length) keepNewestPerPeriod(complete, rule, limit, ', newest complete', addReason);
  }

  const safety = newestFirst(candidates.filter((c) => c.kind === 'safety' && c.time !== null));
  for (const c of safety.slice(0, safetyKeep)) addReason(c.name, `safety backup, newest ${safetyKeep}`);

  const keep: Kept[] = [];
  const remove: string[] = [];
  const ordered = [
    ...newestFirst(candidates.filter((c) => c.time !== null)),
    ...candidates.filter((c) => c.time === null),
  ];
  for (const c of ordered) {
    const why = reasons.get(c.name);
    if (why) keep.push({ name: c.name, reasons: why });
    else remove.push(c.name);
  }
  return { keep, remove };
}
