/** Freshness for monitoring: the newest complete backup against a limit (pure). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freshness, parseAge } from '../src/archive/freshness.js';
import { describeAge } from '../src/output.js';
import type { Manifest } from '../src/manifest.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 30, 12);

function archive(
  name: string,
  hoursAgo: number,
  qdrant: Manifest['stats']['qdrant'],
  kind: 'backup' | 'safety' = 'backup',
) {
  const manifest = {
    created_at_utc: new Date(NOW - hoursAgo * HOUR).toISOString(),
    stats: { sqlite: {}, qdrant },
  } as unknown as Manifest;
  return { name, kind, manifest, mtimeMs: 0 };
}

describe('freshness', () => {
  it('judges by the newest complete backup: database-only archives and safety backups do not count', () => {
    const set = [
      archive('full', 30, { total_vectors: 5 }),
      archive('db-only', 1, { total_vectors: 0, error: 'down' }),
      archive('safety', 0, { total_vectors: 5 }, 'safety'),
    ];
    assert.deepEqual(freshness(set, 26 * HOUR, NOW), { newest: { name: 'full', ageMs: 30 * HOUR }, fresh: false });
    assert.equal(freshness(set, 31 * HOUR, NOW).fresh, true);
    assert.equal(freshness([archive('skipped', 2, { total_vectors: 0, skipped: true })], 3 * HOUR, NOW).fresh, true);
    assert.deepEqual(freshness([], HOUR, NOW), { newest: null, fresh: false });
  });

  it('reads ages such as 90m, 26h, 2d, 1w and says them in the largest whole unit', () => {
    assert.equal(parseAge('90m'), 90 * 60_000);
    assert.equal(parseAge('26h'), 26 * HOUR);
    assert.equal(parseAge('2d'), 48 * HOUR);
    assert.equal(parseAge('1w'), 168 * HOUR);
    for (const bad of ['', '26', 'h', '-1h', '2 days']) assert.equal(parseAge(bad), null, bad);
    assert.equal(describeAge(3 * HOUR + 5), '3 hours');
    assert.equal(describeAge(50 * HOUR), '2 days');
    assert.equal(describeAge(60_000), '1 minute');
  });
});
