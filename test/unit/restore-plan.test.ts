/** The restore plan (restore/plan.ts) as a pure function of the verified archive, the live state and the options. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QdrantMode, StoreConfig } from '../../src/config.js';
import type { LockState } from '../../src/embedded/local-store.js';
import { ExitCode, UserError, type ErrorCode } from '../../src/errors.js';
import type { Manifest, RawPart, SqliteStats } from '../../src/manifest.js';
import {
  describePlan,
  planRestore,
  type LiveState,
  type RestoreOptions,
  type RestorePlan,
} from '../../src/restore/plan.js';
import type { LiveDatabase } from '../../src/sqlite/live-database.js';
import type { VerifiedArchive } from '../../src/verify/verify-archive.js';
import type { ArchivedVectors, LiveVectors } from '../../src/vector-store/vector-store.js';

// ---- factories ----------------------------------------------------------------------------------

const ARCHIVE_PATH = '/stores/root/backups/backup_20260301_120000.zip';
const DB_PATH = '/stores/root/memory_repos/alice_helper/memoryv012.db';
const LOCAL_DIR = '/stores/root/memory_repos/alice_helper/qdrant_data';
const SERVER_LOCATION = 'alice_helper_memories at http://localhost:6333';

function stats(memories: number, versions = memories * 2, intentions = 1): SqliteStats {
  return { total_memories: memories, total_versions: versions, total_intentions: intentions };
}

function manifest(extra: Partial<Manifest> = {}): Manifest {
  return {
    timestamp: '20260301_120000',
    created_at: '2026-03-01T12:00:00',
    description: '',
    config: { username: 'alice', agent_name: 'helper', collection_name: 'alice_helper_memories' },
    stats: { sqlite: stats(10), qdrant: { total_vectors: 10 } },
    ...extra,
  };
}

function archive(extra: Partial<VerifiedArchive> = {}): VerifiedArchive {
  return {
    embedded: null,
    path: ARCHIVE_PATH,
    manifest: manifest(),
    formatVersion: 2,
    hasChecksums: true,
    databaseStats: stats(10),
    vectors: null,
    rawDatabase: null,
    rawEmbedded: null,
    snapshot: null,
    databaseAbsent: false,
    ...extra,
  };
}

/** An archive made for another store (<username>_<agent>). */
function archiveFor(username: string, agent: string): VerifiedArchive {
  return archive({
    manifest: manifest({ config: { username, agent_name: agent, collection_name: `${username}_${agent}_memories` } }),
  });
}

function rawPart(reason = 'file is not a database'): RawPart {
  return { state: 'damaged', reason, files: ['raw/memoryv012.db'] };
}

function store(username = 'alice', agent = 'helper'): StoreConfig {
  const repoDir = `/stores/root/memory_repos/${username}_${agent}`;
  return {
    root: '/stores/root',
    username,
    agent,
    repoDir,
    dbPath: `${repoDir}/memoryv012.db`,
    backupsDir: '/stores/root/backups',
    collectionName: `${username}_${agent}_memories`,
  };
}

const liveDb = {
  absent: (): LiveDatabase => ({ state: 'absent', path: DB_PATH }),
  healthy: (memories = 3, leftovers: string[] = []): LiveDatabase => ({
    state: 'healthy',
    path: DB_PATH,
    stats: stats(memories),
    leftovers,
  }),
  damaged: (reason = 'database disk image is malformed'): LiveDatabase => ({ state: 'damaged', path: DB_PATH, reason }),
};

const liveVectors = {
  absent: (): LiveVectors => ({ state: 'absent' }),
  healthy: (points: number | null = 3, collections?: Array<{ name: string; points: number }>): LiveVectors =>
    collections ? { state: 'healthy', points, collections } : { state: 'healthy', points },
  damaged: (reason = 'meta.json is not JSON'): LiveVectors => ({ state: 'damaged', reason }),
  unreadable: (reason = 'Qdrant answered 500 to read points'): LiveVectors => ({ state: 'unreadable', reason }),
  unavailable: (reason = 'Qdrant at http://localhost:6333 is not reachable'): LiveVectors => ({
    state: 'unavailable',
    reason,
  }),
};

function live(extra: Partial<LiveState> = {}): LiveState {
  return { database: liveDb.healthy(), vectors: liveVectors.healthy(), inUse: { state: 'free' }, ...extra };
}

function inUse(state: LockState['state']): LockState {
  if (state === 'held') return { state: 'held', by: 'pid 4242 (python memory server)' };
  if (state === 'unknown') return { state: 'unknown', why: 'the lock file cannot be read' };
  return { state: 'free' };
}

const archived = {
  restorable: (points = 10, summary = '10 points (4 dims, Cosine)'): ArchivedVectors => ({
    restorable: true,
    points,
    summary,
  }),
  none: (reason = 'the archive holds no vectors (skipped); the collection is left as it is'): ArchivedVectors => ({
    restorable: false,
    reason,
  }),
};

function vectors(
  mode: QdrantMode = 'server',
  archivedVectors: ArchivedVectors = archived.restorable(),
): { mode: QdrantMode; location: string; archived: ArchivedVectors } {
  return { mode, location: mode === 'embedded' ? LOCAL_DIR : SERVER_LOCATION, archived: archivedVectors };
}

function options(extra: Partial<RestoreOptions> = {}): RestoreOptions {
  return {
    store: store(),
    force: false,
    requireQdrant: false,
    safetyBackup: true,
    scripted: false,
    discardUnreadable: false,
    otherAgent: false,
    ...extra,
  };
}

/** Plans with defaults for whatever a test does not care about. */
function plan(
  input: {
    archive?: VerifiedArchive;
    live?: Partial<LiveState>;
    vectors?: ReturnType<typeof vectors>;
    options?: Partial<RestoreOptions>;
  } = {},
): RestorePlan {
  return planRestore(input.archive ?? archive(), live(input.live), input.vectors ?? vectors(), options(input.options));
}

/**
 * A matcher for assert.throws: a UserError with this code, exit code and message part. The hint lines are
 * worded by the CLI (not asserted here).
 */
function refusal(code: ErrorCode, messagePart: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.exitCode, ExitCode.Failure);
    assert.match(err.message, messagePart);
    assert.match(err.message, /nothing was changed/);
    return true;
  };
}

/** The replace step of a plan (fails the test when the plan skips the vectors). */
function replaceStep(p: RestorePlan): Extract<RestorePlan['qdrant'], { location: string }> {
  assert.notEqual(p.qdrant.action, 'skip', 'expected the vectors to be replaced');
  return p.qdrant as Extract<RestorePlan['qdrant'], { location: string }>;
}

// ---- planRestore --------------------------------------------------------------------------------

describe('planRestore: the store the archive was made for', () => {
  it('names the same store twice when the archive is this store’s own', () => {
    const p = plan();
    assert.equal(p.madeFor, 'alice_helper');
    assert.equal(p.restoredInto, 'alice_helper');
    assert.deepEqual(p.warnings, []);
  });

  it('refuses a scripted restore of another agent’s archive with OTHER_AGENT', () => {
    assert.throws(
      () => plan({ archive: archiveFor('bob', 'helper'), options: { scripted: true } }),
      refusal('OTHER_AGENT', /was made for bob_helper, not for alice_helper/),
    );
  });

  it('lets a scripted restore of another agent’s archive through with --other-agent', () => {
    const p = plan({ archive: archiveFor('bob', 'helper'), options: { scripted: true, otherAgent: true } });
    assert.equal(p.madeFor, 'bob_helper');
    assert.equal(p.restoredInto, 'alice_helper');
  });

  it('lets an interactive restore of another agent’s archive through (the prompt shows the warning)', () => {
    const p = plan({ archive: archiveFor('alice', 'other') });
    assert.equal(p.madeFor, 'alice_other');
    const made = describePlan(p).find((line) => line.startsWith('  Made for:'));
    assert.equal(made, '  Made for: alice_other  [WARNING] another agent: its memories replace those of alice_helper');
  });

  it('escapes control characters of the archive’s names before comparing and printing them', () => {
    const p = plan({ archive: archiveFor('ali\nce', 'helper') });
    assert.equal(p.madeFor, 'ali\\nce_helper');
    assert.notEqual(p.madeFor, p.restoredInto);
  });
});

describe('planRestore: the archive holds nothing restorable for the vector store', () => {
  it('skips the vectors with the archive’s reason and leaves the live ones out of the safety backup', () => {
    const p = plan({ vectors: vectors('server', archived.none('no vectors here')) });
    assert.deepEqual(p.qdrant, { action: 'skip', reason: 'no vectors here' });
    assert.equal(p.safetyIncludesQdrant, false);
    assert.equal(p.safetyBackup, true, 'the live database is still saved');
  });

  it('ignores an unreachable server and unreadable vectors when nothing is restored into them', () => {
    for (const vectorsNow of [liveVectors.unavailable(), liveVectors.unreadable(), liveVectors.damaged()]) {
      const p = plan({
        live: { vectors: vectorsNow },
        vectors: vectors('server', archived.none()),
        options: { scripted: true, requireQdrant: true, safetyBackup: false },
      });
      assert.equal(p.qdrant.action, 'skip', vectorsNow.state);
      assert.deepEqual(p.warnings, [], vectorsNow.state);
    }
  });
});

describe('planRestore: live vectors unavailable (the server cannot be reached)', () => {
  it('refuses with --require-qdrant, whether scripted or not', () => {
    for (const scripted of [false, true]) {
      assert.throws(
        () => plan({ live: { vectors: liveVectors.unavailable('down') }, options: { requireQdrant: true, scripted } }),
        refusal('QDRANT_UNAVAILABLE', /^down; nothing was changed \(--require-qdrant\)$/),
      );
    }
  });

  it('refuses a scripted restore, naming how many vectors would be left out', () => {
    assert.throws(
      () =>
        plan({
          live: { vectors: liveVectors.unavailable('down') },
          vectors: vectors('server', archived.restorable(42)),
          options: { scripted: true },
        }),
      refusal('QDRANT_UNAVAILABLE', /the archive's 42 vectors cannot be restored/),
    );
  });

  it('plans an interactive restore of the database alone, marked unavailable, with a warning', () => {
    const p = plan({ live: { vectors: liveVectors.unavailable('down') } });
    assert.deepEqual(p.qdrant, {
      action: 'skip',
      reason: 'down; only the database will be restored',
      unavailable: true,
    });
    assert.equal(p.safetyIncludesQdrant, false);
    assert.deepEqual(p.warnings, [
      'down; the vectors will not be restored: the store would hold the archived memories beside the current vectors.',
    ]);
  });
});

describe('planRestore: the memory server holds the store', () => {
  it('refuses even when only the database would be replaced: the server holds it too', () => {
    for (const vectorsNow of [liveVectors.healthy(), liveVectors.unavailable('down')]) {
      assert.throws(
        () =>
          plan({ live: { vectors: vectorsNow, inUse: inUse('held') }, vectors: vectors('embedded', archived.none()) }),
        refusal('FAILED', /memory server seems to be running/),
      );
    }
  });

  it('refuses while the store is held, naming the holder', () => {
    assert.throws(
      () => plan({ live: { inUse: inUse('held') } }),
      (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.equal(err.exitCode, ExitCode.Failure);
        assert.equal(err.code, 'FAILED');
        assert.match(err.message, /seems to be running on this store: pid 4242 \(python memory server\)/);
        return true;
      },
    );
  });

  it('goes ahead with --force, without a warning', () => {
    const p = plan({ live: { inUse: inUse('held') }, options: { force: true } });
    assert.equal(p.qdrant.action, 'replace');
    assert.deepEqual(p.warnings, []);
  });

  it('warns when it cannot tell whether the store is held', () => {
    const p = plan({ live: { inUse: inUse('unknown') } });
    assert.equal(p.qdrant.action, 'replace');
    assert.deepEqual(p.warnings, [
      'Could not tell whether the memory server is running: the lock file cannot be read.',
    ]);
  });
});

describe('planRestore: each state of the live parts', () => {
  it('replaces a server collection, or the embedded store, with what the archive holds', () => {
    const server = replaceStep(plan({ vectors: vectors('server', archived.restorable(7, '7 points')) }));
    assert.deepEqual(server, {
      action: 'replace',
      location: SERVER_LOCATION,
      current: liveVectors.healthy(),
      restored: 7,
      summary: '7 points',
      discard: false,
    });
    const embedded = replaceStep(plan({ vectors: vectors('embedded') }));
    assert.equal(embedded.action, 'replace-embedded');
    assert.equal(embedded.location, LOCAL_DIR);
  });

  it('saves a healthy or damaged live store in the safety backup, not an absent or unreadable one', () => {
    const cases: Array<[LiveVectors, boolean]> = [
      [liveVectors.healthy(), true],
      [liveVectors.damaged(), true],
      [liveVectors.absent(), false],
      [liveVectors.unreadable(), false],
    ];
    for (const [vectorsNow, saved] of cases) {
      const p = plan({ live: { vectors: vectorsNow }, options: { discardUnreadable: true } });
      assert.equal(p.safetyIncludesQdrant, saved, vectorsNow.state);
    }
  });

  it('discards unreadable live vectors in an interactive restore, with a warning', () => {
    const step = replaceStep(plan({ live: { vectors: liveVectors.unreadable('500') } }));
    assert.equal(step.discard, true);
    assert.deepEqual(plan({ live: { vectors: liveVectors.unreadable('500') } }).warnings, [
      'The live vectors cannot be read (500): they will be discarded, not saved.',
    ]);
  });

  it('refuses to discard unreadable live vectors in a scripted restore without --discard-unreadable', () => {
    assert.throws(
      () => plan({ live: { vectors: liveVectors.unreadable('500') }, options: { scripted: true } }),
      refusal(
        'UNREADABLE_STORE',
        /live vectors in alice_helper_memories at http:\/\/localhost:6333 cannot be read \(500\)/,
      ),
    );
  });

  it('discards them in a scripted restore with --discard-unreadable, still warning', () => {
    const p = plan({
      live: { vectors: liveVectors.unreadable('500') },
      options: { scripted: true, discardUnreadable: true },
    });
    assert.equal(replaceStep(p).discard, true);
    assert.equal(p.warnings.length, 1);
  });

  it('does not mark readable live vectors for discarding', () => {
    for (const vectorsNow of [liveVectors.absent(), liveVectors.healthy(), liveVectors.damaged()]) {
      assert.equal(replaceStep(plan({ live: { vectors: vectorsNow } })).discard, false, vectorsNow.state);
    }
  });
});

describe('planRestore: the safety backup', () => {
  const cases: Array<{ name: string; database: LiveDatabase; vectors: LiveVectors; asked: boolean; made: boolean }> = [
    { name: 'healthy database', database: liveDb.healthy(), vectors: liveVectors.absent(), asked: true, made: true },
    { name: 'damaged database', database: liveDb.damaged(), vectors: liveVectors.absent(), asked: true, made: true },
    { name: 'vectors only', database: liveDb.absent(), vectors: liveVectors.healthy(), asked: true, made: true },
    {
      name: 'damaged vectors only',
      database: liveDb.absent(),
      vectors: liveVectors.damaged(),
      asked: true,
      made: true,
    },
    { name: 'nothing at all', database: liveDb.absent(), vectors: liveVectors.absent(), asked: true, made: false },
    {
      name: 'only unreadable vectors',
      database: liveDb.absent(),
      vectors: liveVectors.unreadable(),
      asked: true,
      made: false,
    },
    {
      name: '--no-safety-backup',
      database: liveDb.healthy(),
      vectors: liveVectors.healthy(),
      asked: false,
      made: false,
    },
  ];
  for (const c of cases) {
    it(`${c.made ? 'is made' : 'is not made'}: ${c.name}`, () => {
      const p = plan({
        live: { database: c.database, vectors: c.vectors },
        options: { safetyBackup: c.asked, discardUnreadable: true },
      });
      assert.equal(p.safetyBackup, c.made);
    });
  }

  it('is not made when the database is absent and the vectors are skipped', () => {
    const p = plan({ live: { database: liveDb.absent() }, vectors: vectors('server', archived.none()) });
    assert.equal(p.safetyBackup, false);
  });

  it('warns that damaged parts are deleted without a copy under --no-safety-backup', () => {
    const warning = 'No safety backup (--no-safety-backup): the damaged files are deleted without a copy.';
    const damagedDb = plan({ live: { database: liveDb.damaged() }, options: { safetyBackup: false } });
    assert.deepEqual(damagedDb.warnings, [warning]);
    const damagedVectors = plan({ live: { vectors: liveVectors.damaged() }, options: { safetyBackup: false } });
    assert.deepEqual(damagedVectors.warnings, [warning]);
    const healthy = plan({ options: { safetyBackup: false } });
    assert.deepEqual(healthy.warnings, []);
    const damagedWithBackup = plan({ live: { database: liveDb.damaged() } });
    assert.deepEqual(damagedWithBackup.warnings, []);
  });

  it('does not warn about damaged vectors that the restore leaves alone', () => {
    const p = plan({
      live: { vectors: liveVectors.damaged() },
      vectors: vectors('server', archived.none()),
      options: { safetyBackup: false },
    });
    assert.deepEqual(p.warnings, []);
  });
});

describe('planRestore: the database the archive restores', () => {
  it('takes the counts read from the archived database over the manifest’s', () => {
    const p = plan({ archive: archive({ databaseStats: stats(5), manifest: manifest() }) });
    assert.deepEqual(p.database.restored, stats(5));
    assert.equal(p.database.raw, null);
    assert.equal(p.database.path, DB_PATH);
  });

  it('falls back to the manifest’s counts when none were read', () => {
    const p = plan({ archive: archive({ databaseStats: null }) });
    assert.deepEqual(p.database.restored, stats(10));
  });

  it('restores no counts for raw files or an archive without a database', () => {
    const raw = plan({ archive: archive({ rawDatabase: rawPart() }) });
    assert.equal(raw.database.restored, null);
    assert.deepEqual(raw.database.raw, rawPart());
    const absent = plan({ archive: archive({ databaseAbsent: true }) });
    assert.equal(absent.database.restored, null);
    assert.equal(absent.database.raw, null);
  });
});

// ---- describePlan -------------------------------------------------------------------------------

describe('describePlan', () => {
  it('prints the whole plan of a plain restore', () => {
    assert.deepEqual(describePlan(plan()), [
      'Restore plan for backup_20260301_120000.zip',
      `  Archive: ${ARCHIVE_PATH}`,
      '  Created: 2026-03-01T12:00:00 (local time where it was made)',
      '  Made for: alice_helper',
      '  Checks: zip CRCs, SHA-256 checksums, database integrity, no vectors: all passed',
      '',
      `  SQLite database: ${DB_PATH}`,
      '    now:      3 memories, 6 versions, 1 intentions',
      '    restored: 10 memories, 20 versions, 1 intentions',
      `  Qdrant collection: ${SERVER_LOCATION}`,
      '    now:      3 points',
      '    restored: 10 points (4 dims, Cosine)',
      '  Safety backup: the current state is saved to backups/ before anything changes',
    ]);
  });

  it('quotes the description and notes an archive without checksums and its vector count', () => {
    const lines = describePlan(
      plan({
        archive: archive({
          manifest: manifest({ description: 'before\tupgrade' }),
          hasChecksums: false,
          vectors: { points: 1234 } as VerifiedArchive['vectors'],
        }),
      }),
    );
    assert.equal(lines[2], '  Created: 2026-03-01T12:00:00 (local time where it was made)  "before\\tupgrade"');
    assert.equal(
      lines[4],
      '  Checks: zip CRCs (no checksums: archive of the original tool), database integrity, 1234 vectors: all passed',
    );
  });

  it('describes every state of the live database', () => {
    const now = (database: LiveDatabase) =>
      describePlan(plan({ live: { database } })).find((line) => line.startsWith('    now:'));
    assert.equal(now(liveDb.absent()), '    now:      no database');
    assert.equal(now(liveDb.damaged('bad\rpage')), '    now:      damaged: bad\\rpage');
    assert.equal(
      now(liveDb.healthy(2, ['memoryv012.db-wal', 'memoryv012.db-journal'])),
      '    now:      2 memories, 4 versions, 1 intentions; leftover memoryv012.db-wal, memoryv012.db-journal beside it (saved raw)',
    );
  });

  it('describes what replaces the database: counts, raw files or nothing', () => {
    const restored = (a: VerifiedArchive) =>
      describePlan(plan({ archive: a })).find((line) => line.startsWith('    restored:'));
    assert.equal(
      restored(archive({ rawDatabase: rawPart('torn\npage') })),
      '    restored: the raw files saved from a damaged database (torn\\npage)',
    );
    assert.equal(restored(archive({ databaseAbsent: true })), '    restored: no database');
  });

  it('describes every state of live vectors that are replaced, for a server and for the embedded store', () => {
    const vectorLines = (vectorsNow: LiveVectors, mode: QdrantMode) =>
      describePlan(plan({ live: { vectors: vectorsNow }, vectors: vectors(mode) })).slice(9, 11);
    assert.deepEqual(vectorLines(liveVectors.absent(), 'server'), [
      `  Qdrant collection: ${SERVER_LOCATION}`,
      '    now:      no collection',
    ]);
    assert.deepEqual(vectorLines(liveVectors.absent(), 'embedded'), [
      `  Embedded vector store: ${LOCAL_DIR}`,
      '    now:      no store',
    ]);
    assert.equal(
      vectorLines(
        liveVectors.healthy(null, [
          { name: 'a', points: 2 },
          { name: 'b', points: 0 },
        ]),
        'embedded',
      )[1],
      '    now:      a 2 points, b 0 points',
    );
    assert.equal(vectorLines(liveVectors.healthy(null), 'embedded')[1], '    now:      no collections');
    assert.equal(vectorLines(liveVectors.damaged('x\u001by'), 'embedded')[1], '    now:      damaged: x\\x1by');
    assert.equal(
      vectorLines(liveVectors.unreadable('500'), 'server')[1],
      '    now:      unreadable: 500; it cannot be saved and will be discarded',
    );
  });

  it('prints a skipped vector store as one line with the reason', () => {
    const lines = describePlan(plan({ live: { vectors: liveVectors.unavailable('down') } }));
    assert.equal(lines[9], '  Qdrant collection: not restored: down; only the database will be restored');
    assert.equal(lines[10]?.startsWith('  Safety backup:'), true);
  });

  it('names the damaged parts the safety backup saves raw', () => {
    const safety = (database: LiveDatabase, vectorsNow: LiveVectors) =>
      describePlan(plan({ live: { database, vectors: vectorsNow } })).find((line) => line.startsWith('  Safety'));
    const prefix = '  Safety backup: the current state is saved to backups/ before anything changes';
    assert.equal(
      safety(liveDb.damaged(), liveVectors.healthy()),
      `${prefix} (the damaged database as raw files, byte for byte)`,
    );
    assert.equal(
      safety(liveDb.healthy(), liveVectors.damaged()),
      `${prefix} (the damaged vector store as raw files, byte for byte)`,
    );
    assert.equal(
      safety(liveDb.damaged(), liveVectors.damaged()),
      `${prefix} (the damaged database and the damaged vector store as raw files, byte for byte)`,
    );
  });

  it('says when there is no safety backup, and ends with every warning', () => {
    const lines = describePlan(
      plan({ live: { database: liveDb.damaged(), inUse: inUse('unknown') }, options: { safetyBackup: false } }),
    );
    assert.deepEqual(lines.slice(-3), [
      '  Safety backup: none (nothing to save, or --no-safety-backup)',
      '  [WARNING] Could not tell whether the memory server is running: the lock file cannot be read.',
      '  [WARNING] No safety backup (--no-safety-backup): the damaged files are deleted without a copy.',
    ]);
  });
});
