/** The retention policy as a pure function, on hand-made and generated archive sets. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyPolicy,
  isoWeek,
  periodOf,
  type RetentionCandidate,
  type RetentionPolicy,
} from '../src/retention/policy.js';
import { parseLocalTime } from '../src/local-time.js';
import { Rng } from './fixtures/prng.js';

function backup(localTime: string, extra: Partial<RetentionCandidate> = {}): RetentionCandidate {
  const time = parseLocalTime(localTime);
  assert.ok(time, localTime);
  const name = `backup_${localTime.replace(/[-:]/g, '').replace('T', '_').slice(0, 15)}.zip`;
  return { name, kind: 'backup', time, pinned: false, ...extra };
}

const kept = (plan: ReturnType<typeof applyPolicy>): Record<string, string[]> =>
  Object.fromEntries(plan.keep.map((k) => [k.name, k.reasons]));

describe('retention policy', () => {
  it('keeps the newest backup of each of the last N days that have one', () => {
    const set = [
      backup('2026-03-01T09:00:00'),
      backup('2026-03-01T18:00:00'),
      backup('2026-03-03T08:00:00'),
      backup('2026-03-03T23:59:59'),
      backup('2026-03-04T00:00:00'),
    ];
    const plan = applyPolicy(set, { daily: 3 });
    assert.deepEqual(kept(plan), {
      'backup_20260304_000000.zip': ['daily 2026-03-04'],
      'backup_20260303_235959.zip': ['daily 2026-03-03'],
      'backup_20260301_180000.zip': ['daily 2026-03-01'],
    });
    assert.deepEqual(plan.remove.sort(), ['backup_20260301_090000.zip', 'backup_20260303_080000.zip']);
  });

  it('evaluates rules independently and lists every reason', () => {
    const set = [backup('2026-01-05T10:00:00'), backup('2026-01-12T10:00:00'), backup('2026-01-13T10:00:00')];
    const plan = applyPolicy(set, { last: 1, weekly: 2, monthly: 1 });
    assert.deepEqual(kept(plan), {
      'backup_20260113_100000.zip': ['last 1', 'weekly 2026-W03', 'monthly 2026-01'],
      'backup_20260105_100000.zip': ['weekly 2026-W02'],
    });
  });

  it('uses ISO weeks (Monday to Sunday) across a year boundary', () => {
    // 2026-12-31 is a Thursday: ISO week 2026-W53; 2027-01-03 (Sunday) is in it too
    assert.deepEqual(isoWeek(parseLocalTime('2026-12-31T12:00:00')!), { year: 2026, week: 53 });
    assert.deepEqual(isoWeek(parseLocalTime('2027-01-03T23:00:00')!), { year: 2026, week: 53 });
    assert.deepEqual(isoWeek(parseLocalTime('2027-01-04T00:00:00')!), { year: 2027, week: 1 });
    // 2024-12-30 (Monday) already belongs to 2025-W01
    assert.deepEqual(isoWeek(parseLocalTime('2024-12-30T00:00:00')!), { year: 2025, week: 1 });
    const set = [backup('2026-12-28T10:00:00'), backup('2027-01-03T10:00:00'), backup('2027-01-04T10:00:00')];
    assert.deepEqual(Object.keys(kept(applyPolicy(set, { weekly: 5 }))).sort(), [
      'backup_20270103_100000.zip',
      'backup_20270104_100000.zip',
    ]);
    assert.deepEqual(Object.keys(kept(applyPolicy(set, { yearly: 5 }))).sort(), [
      'backup_20261228_100000.zip',
      'backup_20270104_100000.zip',
    ]);
  });

  it('uses the recorded wall-clock time, so a DST change does not move a backup to another day', () => {
    // Europe: clocks go back at 03:00 on 2026-10-25; two backups at 02:30 local time, an hour apart
    const set = [
      backup('2026-10-25T02:30:00'),
      backup('2026-10-25T02:30:00', { name: 'backup_20261025_023000_2.zip' }),
      backup('2026-10-24T23:30:00'),
    ];
    const plan = applyPolicy(set, { daily: 2 });
    assert.deepEqual(Object.keys(kept(plan)).sort(), ['backup_20261024_233000.zip', 'backup_20261025_023000_2.zip']);
    assert.equal(periodOf('daily', parseLocalTime('2026-03-29T02:30:00')!, 'x'), '2026-03-29');
  });

  it('always keeps pinned archives, unreadable ones, and the newest safety backups', () => {
    const set: RetentionCandidate[] = [
      backup('2025-01-01T00:00:00', { pinned: true }),
      backup('2026-05-01T00:00:00'),
      backup('2026-05-02T00:00:00'),
      { name: 'backup_20200101_000000.zip', kind: 'backup', time: null, pinned: false },
      ...[1, 2, 3, 4, 5].map((d) =>
        backup(`2026-04-0${d}T00:00:00`, { kind: 'safety', name: `safety_2026040${d}_000000.zip` }),
      ),
    ];
    const plan = applyPolicy(set, { last: 1 }, 2);
    assert.deepEqual(kept(plan), {
      'backup_20260502_000000.zip': ['last 1'],
      'safety_20260405_000000.zip': ['safety backup, newest 2'],
      'safety_20260404_000000.zip': ['safety backup, newest 2'],
      'backup_20250101_000000.zip': ['pinned'],
      'backup_20200101_000000.zip': ['creation time unreadable'],
    });
    assert.deepEqual(plan.remove.sort(), [
      'backup_20260501_000000.zip',
      'safety_20260401_000000.zip',
      'safety_20260402_000000.zip',
      'safety_20260403_000000.zip',
    ]);
  });

  it('never lets a database-only archive displace the only complete one', () => {
    const full = backup('2026-03-01T09:00:00');
    const set = [
      full,
      backup('2026-03-01T12:00:00', { complete: false }),
      backup('2026-03-01T18:00:00', { complete: false }),
    ];
    const plan = applyPolicy(set, { daily: 1 });
    assert.deepEqual(kept(plan), {
      'backup_20260301_180000.zip': ['daily 2026-03-01'],
      'backup_20260301_090000.zip': ['daily 2026-03-01, newest complete'],
    });
    assert.deepEqual(plan.remove, ['backup_20260301_120000.zip']);
  });

  it('keeps the complete archives from before a week-long Qdrant outage', () => {
    const before = [backup('2026-03-01T10:00:00'), backup('2026-03-02T10:00:00')];
    const outage = Array.from({ length: 7 }, (_, i) => backup(`2026-03-0${i + 3}T10:00:00`, { complete: false }));
    const plan = applyPolicy([...before, ...outage], { daily: 7 });
    const names = Object.keys(kept(plan));
    for (const c of outage) assert.ok(names.includes(c.name));
    assert.deepEqual(kept(plan)['backup_20260302_100000.zip'], ['daily 2026-03-02, newest complete']);
    assert.deepEqual(kept(plan)['backup_20260301_100000.zip'], ['daily 2026-03-01, newest complete']);
  });

  it('holds its invariants on 300 generated archive sets', () => {
    const rng = new Rng(7);
    for (let round = 0; round < 300; round++) {
      const count = 1 + Math.floor(rng.next() * 60);
      const set: RetentionCandidate[] = [];
      const base = Date.UTC(2024, 0, 1);
      for (let i = 0; i < count; i++) {
        const t = new Date(base + Math.floor(rng.next() * 900) * 86_400_000 + Math.floor(rng.next() * 86_400) * 1000);
        const text = t.toISOString().slice(0, 19);
        set.push(
          backup(text, {
            name: `backup_${i}_${text}.zip`,
            pinned: rng.next() < 0.05,
            complete: round % 2 === 0 || rng.next() < 0.6,
          }),
        );
      }
      const policy: RetentionPolicy = {
        last: rng.next() < 0.5 ? Math.floor(rng.next() * 5) : undefined,
        daily: rng.next() < 0.5 ? Math.floor(rng.next() * 10) : undefined,
        weekly: rng.next() < 0.5 ? Math.floor(rng.next() * 6) : undefined,
        monthly: rng.next() < 0.5 ? Math.floor(rng.next() * 12) : undefined,
        yearly: rng.next() < 0.5 ? Math.floor(rng.next() * 3) : undefined,
      };
      const plan = applyPolicy(set, policy);
      const keptNames = new Set(plan.keep.map((k) => k.name));
      // a partition of the input
      assert.equal(plan.keep.length + plan.remove.length, set.length);
      for (const name of plan.remove) assert.ok(!keptNames.has(name));
      // pinned always kept
      for (const c of set) if (c.pinned) assert.ok(keptNames.has(c.name));
      // each rule keeps the newest archive of each of its N most recent periods
      // each rule keeps the newest archive of each of its N most recent periods, and the newest complete one likewise
      const complete = set.filter((c) => c.complete !== false);
      for (const rule of ['daily', 'weekly', 'monthly', 'yearly'] as const) {
        const n = policy[rule] ?? 0;
        for (const [pool, note] of [
          [set, false],
          [complete, true],
        ] as const) {
          const byRule = plan.keep.filter((k) =>
            k.reasons.some((r) => r.startsWith(`${rule} `) && r.endsWith(', newest complete') === note),
          );
          const expected = note && complete.length === set.length ? [] : newestPerPeriod(pool, rule, n);
          assert.deepEqual(byRule.map((k) => k.name).sort(), expected, `${rule} ${n}${note ? ' complete' : ''}`);
        }
      }
      const last = policy.last ?? 0;
      const byLast = plan.keep.filter((k) => k.reasons.some((r) => r === `last ${last}`)).length;
      assert.equal(byLast, Math.min(last, set.length));
      if (complete.length < set.length && last > 0) {
        const newestComplete = [...complete]
          .sort((a, b) => (key(a) < key(b) ? 1 : -1))
          .slice(0, last)
          .map((c) => c.name);
        for (const name of newestComplete) assert.ok(keptNames.has(name), `last ${last} complete`);
      }
    }
  });
});

function newestPerPeriod(
  pool: readonly RetentionCandidate[],
  rule: 'daily' | 'weekly' | 'monthly' | 'yearly',
  n: number,
): string[] {
  const periods = new Map<string, RetentionCandidate>();
  for (const c of pool) {
    const p = periodOf(rule, c.time!, c.name);
    const cur = periods.get(p);
    if (!cur || key(c) > key(cur)) periods.set(p, c);
  }
  return [...periods.entries()]
    .sort((a, b) => (a[0] < b[0] ? 1 : -1))
    .slice(0, n)
    .map(([, c]) => c.name)
    .sort();
}

function key(c: RetentionCandidate): string {
  const t = c.time!;
  return (
    [t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond]
      .map((v) => String(v).padStart(6, '0'))
      .join('') + c.name
  );
}
