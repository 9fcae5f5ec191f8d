// Tests of the fixture generator (test/fixtures/) and the test support helpers (test/support/):
// the generated store must match the reference schema, be deterministic, and be realistic
// enough to exercise a backup tool; the concurrent writer must commit and stop cleanly.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { pyJsonDumps } from './fixtures/content.js';
import {
  PAYLOAD_KEYS,
  createMemoryStore,
  insertMemories,
  memoryPayload,
  sha256Hex,
  type MemoryStore,
} from './fixtures/memory-store.js';
import { Rng } from './fixtures/prng.js';
import { createSchema } from './fixtures/schema.js';
import { dumpDatabase, tableCounts } from './support/db-dump.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';

after(cleanupTempDirs);

const WRITER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'writer.js');
const GOLDEN_UINT32 = [1130556604, 2591592147, 3014952990];
const GOLDEN_UUID = 'e40a2ba3-6e5a-48e7-9272-dc7e3511402b';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** [name, declared type, notnull, default, pk] as PRAGMA table_info reports them. */
type Column = [string, string, number, string | null, number];

const MEMORIES_BASE: Column[] = [
  ['id', 'TEXT', 0, null, 1],
  ['content', 'TEXT', 1, null, 0],
  ['category', 'TEXT', 1, null, 0],
  ['importance', 'REAL', 1, null, 0],
  ['tags', 'TEXT', 0, null, 0],
  ['metadata', 'TEXT', 0, null, 0],
  ['created_at', 'TIMESTAMP', 1, null, 0],
  ['updated_at', 'TIMESTAMP', 1, null, 0],
  ['last_accessed', 'TIMESTAMP', 0, null, 0],
  ['access_count', 'INTEGER', 0, '0', 0],
  ['decay_rate', 'REAL', 0, '0.95', 0],
  ['version_count', 'INTEGER', 0, '1', 0],
  ['content_hash', 'TEXT', 1, null, 0],
];
const MEMORIES_LATER: Column[] = [
  ['memory_type', 'TEXT', 0, "'episodic'", 0],
  ['session_id', 'TEXT', 0, null, 0],
  ['task_context', 'TEXT', 0, null, 0],
  ['provenance', 'TEXT', 0, null, 0],
  ['relationships', 'TEXT', 0, null, 0],
  ['valid_from', 'TIMESTAMP', 0, null, 0],
  ['valid_until', 'TIMESTAMP', 0, null, 0],
  ['related_memories', 'TEXT', 0, null, 0],
];
const EXPECTED_COLUMNS: Record<string, Column[]> = {
  memories: [...MEMORIES_BASE, ...MEMORIES_LATER],
  memory_versions: [
    ['version_id', 'TEXT', 0, null, 1],
    ['memory_id', 'TEXT', 1, null, 0],
    ['version_number', 'INTEGER', 1, null, 0],
    ['content', 'TEXT', 1, null, 0],
    ['category', 'TEXT', 1, null, 0],
    ['importance', 'REAL', 1, null, 0],
    ['tags', 'TEXT', 1, null, 0],
    ['metadata', 'TEXT', 0, null, 0],
    ['change_type', 'TEXT', 1, null, 0],
    ['change_description', 'TEXT', 0, null, 0],
    ['created_at', 'TIMESTAMP', 1, null, 0],
    ['content_hash', 'TEXT', 1, null, 0],
    ['prev_version_id', 'TEXT', 0, null, 0],
  ],
  relationships: [
    ['source_id', 'TEXT', 1, null, 1],
    ['target_id', 'TEXT', 1, null, 2],
    ['relationship_type', 'TEXT', 0, "'references'", 3],
    ['strength', 'REAL', 0, '1.0', 0],
    ['created_at', 'TIMESTAMP', 1, null, 0],
    ['metadata', 'TEXT', 0, null, 0],
  ],
  intentions: [
    ['id', 'TEXT', 0, null, 1],
    ['description', 'TEXT', 1, null, 0],
    ['priority', 'REAL', 1, null, 0],
    ['status', 'TEXT', 1, "'pending'", 0],
    ['created_at', 'TIMESTAMP', 1, null, 0],
    ['updated_at', 'TIMESTAMP', 1, null, 0],
    ['deadline', 'TIMESTAMP', 0, null, 0],
    ['preconditions', 'TEXT', 0, null, 0],
    ['actions', 'TEXT', 0, null, 0],
    ['related_memories', 'TEXT', 0, null, 0],
    ['metadata', 'TEXT', 0, null, 0],
    ['last_checked', 'TIMESTAMP', 0, null, 0],
    ['check_count', 'INTEGER', 0, '0', 0],
  ],
  memories_fts: [
    ['id', '', 0, null, 0],
    ['content', '', 0, null, 0],
    ['tags', '', 0, null, 0],
  ],
  command_history: [
    ['id', 'INTEGER', 0, null, 1],
    ['timestamp', 'TIMESTAMP', 1, null, 0],
    ['tool_name', 'TEXT', 1, null, 0],
    ['args', 'TEXT', 0, null, 0],
    ['result_summary', 'TEXT', 0, null, 0],
    ['memory_id', 'TEXT', 0, null, 0],
    ['success', 'INTEGER', 0, '1', 0],
  ],
};

function tableInfo(db: Database.Database, table: string): Column[] {
  const rows = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{
    name: string;
    type: string;
    notnull: number;
    dflt_value: string | null;
    pk: number;
  }>;
  return rows.map((row) => [row.name, row.type, row.notnull, row.dflt_value, row.pk]);
}

function userTables(db: Database.Database): string[] {
  const rows = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'memories_fts_%' ORDER BY name",
    )
    .all() as Array<{ name: string }>;
  return rows.map((row) => row.name);
}

function ordinaryIndexes(db: Database.Database): string[] {
  const rows = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
    .all() as Array<{ name: string }>;
  return rows.map((row) => row.name);
}

function count(db: Database.Database, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).get(...params) as { n: number }).n;
}

function withDb<T>(dbPath: string, fn: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function smallStore(options: { seed?: number; legacy?: boolean; memories?: number } = {}): MemoryStore {
  return createMemoryStore({ root: makeTempDir('ba-fixture'), dims: 16, memories: 60, ...options });
}

describe('schema', () => {
  test('current schema matches the reference, table by table', () => {
    const db = new Database(':memory:');
    createSchema(db);
    assert.deepEqual(userTables(db), Object.keys(EXPECTED_COLUMNS).sort());
    for (const [table, columns] of Object.entries(EXPECTED_COLUMNS)) {
      assert.deepEqual(tableInfo(db, table), columns, `columns of ${table}`);
    }
    const indexes = ordinaryIndexes(db);
    assert.ok(indexes.length >= 18, `expected about twenty indexes, got ${indexes.length}`);
    assert.equal(indexes.length, 20);

    const unique = (
      db.prepare('PRAGMA index_list(memory_versions)').all() as Array<{ name: string; unique: number; origin: string }>
    ).filter((index) => index.unique === 1 && index.origin === 'u');
    assert.equal(unique.length, 1);
    const uniqueColumns = (db.prepare(`PRAGMA index_info(${unique[0]?.name})`).all() as Array<{ name: string }>).map(
      (c) => c.name,
    );
    assert.deepEqual(uniqueColumns, ['memory_id', 'version_number']);

    const foreignKeys = db.prepare('PRAGMA foreign_key_list(memory_versions)').all() as Array<{
      table: string;
      from: string;
      to: string;
    }>;
    assert.deepEqual(
      foreignKeys.map((fk) => [fk.from, fk.table, fk.to]),
      [['memory_id', 'memories', 'id']],
    );
    const fts = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'memories_fts'").get() as { sql: string };
    assert.match(fts.sql, /USING fts5\(\s*id UNINDEXED,\s*content,\s*tags\s*\)/);
    const sequence = db.prepare("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'").get();
    assert.ok(sequence, 'command_history uses AUTOINCREMENT');
    db.close();
  });

  test('legacy schema lacks the later memories columns and intentions', () => {
    const db = new Database(':memory:');
    createSchema(db, { legacy: true });
    const expectedTables = Object.keys(EXPECTED_COLUMNS)
      .filter((table) => table !== 'intentions')
      .sort();
    assert.deepEqual(userTables(db), expectedTables);
    assert.deepEqual(tableInfo(db, 'memories'), MEMORIES_BASE);
    for (const table of expectedTables.filter((name) => name !== 'memories')) {
      assert.deepEqual(tableInfo(db, table), EXPECTED_COLUMNS[table], `columns of ${table}`);
    }
    assert.equal(ordinaryIndexes(db).length, 14);
    db.close();
  });
});

describe('createMemoryStore', () => {
  const store = createMemoryStore({ root: makeTempDir('ba-fixture-default') });

  test('lays out the memory system folder like the server', () => {
    assert.equal(store.username, 'buildautomata_ai_v012');
    assert.equal(store.agent, 'claude_assistant');
    assert.equal(store.repoDir, path.join(store.root, 'memory_repos', 'buildautomata_ai_v012_claude_assistant'));
    assert.equal(store.dbPath, path.join(store.repoDir, 'memoryv012.db'));
    assert.equal(store.collectionName, 'buildautomata_ai_v012_claude_assistant_memories');
    assert.ok(statSync(store.dbPath).isFile());
    assert.ok(!existsSync(`${store.dbPath}-wal`));
    withDb(store.dbPath, (db) => assert.equal(db.pragma('journal_mode', { simple: true }), 'delete'));
  });

  test('counts equal the rows in the database', () => {
    assert.equal(store.counts.memories, 300);
    assert.equal(store.counts.intentions, 20);
    assert.ok(store.counts.versions > store.counts.memories);
    assert.ok(store.counts.relationships > 0);
    withDb(store.dbPath, (db) => {
      assert.equal(count(db, 'SELECT count(*) AS n FROM memories'), store.counts.memories);
      assert.equal(count(db, 'SELECT count(*) AS n FROM memory_versions'), store.counts.versions);
      assert.equal(count(db, 'SELECT count(*) AS n FROM intentions'), store.counts.intentions);
      assert.equal(count(db, 'SELECT count(*) AS n FROM relationships'), store.counts.relationships);
      assert.equal(count(db, 'SELECT count(*) AS n FROM memories_fts'), store.counts.memories);
      assert.ok(count(db, 'SELECT count(*) AS n FROM command_history') >= store.counts.versions);
      assert.equal(count(db, 'SELECT sum(version_count) AS n FROM memories'), store.counts.versions);
    });
  });

  test('version chains, hashes and timestamps are consistent', () => {
    withDb(store.dbPath, (db) => {
      const memories = db.prepare('SELECT * FROM memories').all() as Array<Record<string, unknown>>;
      const versionsOf = db.prepare('SELECT * FROM memory_versions WHERE memory_id = ? ORDER BY version_number');
      const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
      const seenCounts = new Set<number>();
      for (const memory of memories) {
        assert.match(String(memory['id']), UUID_V4);
        assert.match(String(memory['created_at']), iso);
        const importance = memory['importance'] as number;
        assert.ok(importance >= 0 && importance <= 1);
        const versions = versionsOf.all(memory['id']) as Array<Record<string, unknown>>;
        seenCounts.add(versions.length);
        assert.equal(versions.length, memory['version_count']);
        versions.forEach((version, index) => {
          assert.equal(version['version_number'], index + 1);
          assert.equal(version['change_type'], index === 0 ? 'create' : 'update');
          assert.equal(version['prev_version_id'], index === 0 ? null : versions[index - 1]?.['version_id']);
          assert.equal(version['content_hash'], sha256Hex(String(version['content'])));
        });
        const latest = versions[versions.length - 1] as Record<string, unknown>;
        assert.equal(memory['content'], latest['content']);
        assert.equal(memory['content_hash'], sha256Hex(String(memory['content'])));
        assert.equal(memory['updated_at'], latest['created_at']);
        assert.ok(Array.isArray(JSON.parse(String(memory['tags']))));
        assert.equal(typeof JSON.parse(String(memory['metadata'])), 'object');
      }
      assert.deepEqual([...seenCounts].sort(), [1, 2, 3, 4]);
      const dangling = count(
        db,
        'SELECT count(*) AS n FROM relationships WHERE source_id NOT IN (SELECT id FROM memories) OR target_id NOT IN (SELECT id FROM memories)',
      );
      assert.equal(dangling, 0);
      const statuses = (
        db.prepare('SELECT DISTINCT status FROM intentions ORDER BY status').all() as Array<{ status: string }>
      ).map((row) => row.status);
      assert.ok(statuses.length >= 3, `statuses: ${statuses.join(', ')}`);
    });
  });

  test('content is varied and includes non-ASCII text', () => {
    const contents = store.points.map((point) => String(point.payload['content']));
    assert.ok(
      contents.some((text) => /[éïüöø]/.test(text)),
      'accents',
    );
    assert.ok(
      contents.some((text) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(text)),
      'CJK',
    );
    assert.ok(
      contents.some((text) => /\p{Extended_Pictographic}/u.test(text)),
      'emoji',
    );
    assert.ok(
      contents.some((text) => text.includes('\n')),
      'multi-line',
    );
    assert.ok(
      contents.some((text) => text.length > 8000),
      'a long memory',
    );
    assert.ok(new Set(store.points.map((point) => point.payload['category'])).size >= 8);
  });

  test('points: one per memory, UUID ids, vectors of dims floats in [-1, 1]', () => {
    assert.equal(store.points.length, store.counts.memories);
    assert.equal(new Set(store.points.map((point) => point.id)).size, store.points.length);
    for (const point of store.points) {
      assert.match(point.id, UUID_V4);
      assert.equal(point.vector.length, 768);
      assert.ok(point.vector.every((value) => value >= -1 && value <= 1 && Math.fround(value) === value));
    }
    const norm = Math.hypot(...(store.points[0]?.vector ?? []));
    assert.ok(Math.abs(norm - 1) > 0.01, 'vectors are not normalised');
  });

  test('payload keys follow the reference and match the stored row', () => {
    assert.deepEqual(Object.keys(store.points[0]?.payload ?? {}), [...PAYLOAD_KEYS]);
    withDb(store.dbPath, (db) => {
      const byId = db.prepare('SELECT * FROM memories WHERE id = ?');
      for (const point of store.points) {
        assert.equal(point.payload['id'], point.id);
        assert.deepEqual(point.payload, memoryPayload(byId.get(point.id) as Record<string, unknown>));
        assert.ok(Array.isArray(point.payload['tags']));
        assert.ok(Array.isArray(point.payload['related_memories']));
        assert.ok(Array.isArray(point.payload['relationships']));
        assert.equal(point.payload['vector_score'], null);
      }
    });
  });

  test('FTS queries find a word of a memory', () => {
    withDb(store.dbPath, (db) => {
      const search = db.prepare('SELECT id FROM memories_fts WHERE memories_fts MATCH ?');
      // Some memories are CJK only; unicode61 does not split those into words, so skip them.
      const withWords = store.points.filter((point) => /\b[A-Za-z]{6,}\b/.test(String(point.payload['content'])));
      assert.ok(withWords.length > store.points.length / 2);
      for (const point of withWords.slice(0, 25)) {
        const word = String(point.payload['content']).match(/\b[A-Za-z]{6,}\b/)?.[0];
        const ids = (search.all(`"${word}"`) as Array<{ id: string }>).map((row) => row.id);
        assert.ok(ids.includes(point.id), `MATCH "${word}" misses ${point.id}`);
      }
      const tagged = store.points.find((point) => (point.payload['tags'] as string[]).includes('qdrant'));
      assert.ok(tagged);
      const ids = (
        db.prepare('SELECT id FROM memories_fts WHERE tags MATCH ?').all('qdrant') as Array<{ id: string }>
      ).map((row) => row.id);
      assert.ok(ids.includes(tagged.id));
    });
  });

  test('refuses to overwrite an existing store', () => {
    assert.throws(() => createMemoryStore({ root: store.root }), /already exists/);
  });
});

describe('determinism', () => {
  test('the same seed gives the same database and points', () => {
    const a = smallStore({ seed: 7 });
    const b = smallStore({ seed: 7 });
    assert.deepEqual(dumpDatabase(a.dbPath), dumpDatabase(b.dbPath));
    assert.deepEqual(a.points, b.points);
    assert.deepEqual(a.counts, b.counts);
  });

  test('a different seed gives different data', () => {
    const a = smallStore({ seed: 7 });
    const c = smallStore({ seed: 8 });
    assert.notDeepEqual(dumpDatabase(a.dbPath)['memories'], dumpDatabase(c.dbPath)['memories']);
    assert.notEqual(a.points[0]?.id, c.points[0]?.id);
  });

  test('the PRNG output is pinned, so fixtures do not change silently', () => {
    const rng = new Rng(1);
    assert.deepEqual([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()], GOLDEN_UINT32);
    assert.equal(new Rng(42).uuid4(), GOLDEN_UUID);
  });
});

describe('legacy store', () => {
  const store = smallStore({ legacy: true });

  test('has no intentions and no later columns', () => {
    assert.equal(store.counts.intentions, 0);
    withDb(store.dbPath, (db) => {
      assert.deepEqual(tableInfo(db, 'memories'), MEMORIES_BASE);
      assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'intentions'").get(), undefined);
      assert.equal(count(db, 'SELECT count(*) AS n FROM memories'), store.counts.memories);
      assert.equal(count(db, 'SELECT count(*) AS n FROM memory_versions'), store.counts.versions);
      assert.equal(count(db, 'SELECT count(*) AS n FROM relationships'), store.counts.relationships);
    });
  });

  test('payloads still carry every key, with the model defaults', () => {
    const payload = store.points[0]?.payload ?? {};
    assert.deepEqual(Object.keys(payload), [...PAYLOAD_KEYS]);
    assert.equal(payload['memory_type'], 'episodic');
    assert.deepEqual(payload['related_memories'], []);
    assert.equal(payload['session_id'], null);
  });

  test('insertMemories appends to a legacy store too', () => {
    const points = insertMemories(store.dbPath, 3, { dims: 16 });
    assert.equal(points.length, 3);
    withDb(store.dbPath, (db) =>
      assert.equal(count(db, 'SELECT count(*) AS n FROM memories'), store.counts.memories + 3),
    );
  });
});

describe('insertMemories', () => {
  test('appends memories, one version and one FTS row each, with new ids per call', () => {
    const store = smallStore();
    const first = insertMemories(store.dbPath, 5, { dims: 16 });
    const second = insertMemories(store.dbPath, 5, { dims: 16 });
    const ids = new Set([...store.points, ...first, ...second].map((point) => point.id));
    assert.equal(ids.size, store.counts.memories + 10);
    assert.equal(first[0]?.vector.length, 16);
    withDb(store.dbPath, (db) => {
      assert.equal(count(db, 'SELECT count(*) AS n FROM memories'), store.counts.memories + 10);
      assert.equal(count(db, 'SELECT count(*) AS n FROM memory_versions'), store.counts.versions + 10);
      assert.equal(count(db, 'SELECT count(*) AS n FROM memories_fts'), store.counts.memories + 10);
      const row = db.prepare('SELECT * FROM memories WHERE id = ?').get(first[0]?.id) as Record<string, unknown>;
      assert.deepEqual(memoryPayload(row), first[0]?.payload);
      const version = db.prepare('SELECT * FROM memory_versions WHERE memory_id = ?').get(first[0]?.id) as Record<
        string,
        unknown
      >;
      assert.equal(version['change_type'], 'create');
      assert.equal(version['version_number'], 1);
    });
  });
});

describe('pyJsonDumps', () => {
  test('writes JSON the way Python json.dumps does', () => {
    assert.equal(
      pyJsonDumps(['café', '日本', '🚀', 'a"b']),
      '["caf\\u00e9", "\\u65e5\\u672c", "\\ud83d\\ude80", "a\\"b"]',
    );
    assert.equal(pyJsonDumps({ a: 1, b: [true, null], c: {} }), '{"a": 1, "b": [true, null], "c": {}}');
    assert.deepEqual(JSON.parse(pyJsonDumps({ k: 'ß ✅' })), { k: 'ß ✅' });
  });
});

describe('db-dump', () => {
  test('dumps user tables and FTS content, not internal or shadow tables', () => {
    const store = smallStore();
    const dump = dumpDatabase(store.dbPath);
    assert.deepEqual(Object.keys(dump).sort(), [
      'command_history',
      'intentions',
      'memories',
      'memories_fts',
      'memory_versions',
      'relationships',
    ]);
    assert.deepEqual(
      Object.fromEntries(Object.entries(dump).map(([table, rows]) => [table, rows.length])),
      tableCounts(store.dbPath),
    );
    const fts = dump['memories_fts'] as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(fts[0] ?? {}), ['rowid', 'id', 'content', 'tags']);
    const ids = (dump['memories'] as Array<Record<string, unknown>>).map((row) => String(row['id']));
    assert.deepEqual(ids, [...ids].sort(), 'memories ordered by primary key');
  });

  test('orders by primary key whatever the insertion order, and hexes BLOBs', () => {
    const dir = makeTempDir('ba-dump');
    const paths = [path.join(dir, 'a.db'), path.join(dir, 'b.db')];
    paths.forEach((file, index) => {
      const db = new Database(file);
      db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB); CREATE TABLE nopk (x INTEGER, y TEXT)');
      const rows: Array<[string, Buffer]> = [
        ['b', Buffer.from([0xde, 0xad])],
        ['a', Buffer.from([0xbe, 0xef])],
      ];
      for (const row of index === 0 ? rows : [...rows].reverse()) db.prepare('INSERT INTO t VALUES (?, ?)').run(...row);
      for (const x of index === 0 ? [2, 1] : [1, 2]) db.prepare('INSERT INTO nopk VALUES (?, ?)').run(x, `y${x}`);
      db.close();
    });
    const a = dumpDatabase(paths[0] as string);
    assert.deepEqual(a['t'], [
      { k: 'a', v: 'beef' },
      { k: 'b', v: 'dead' },
    ]);
    assert.deepEqual(a['nopk'], [
      { x: 1, y: 'y1' },
      { x: 2, y: 'y2' },
    ]);
    assert.deepEqual(a, dumpDatabase(paths[1] as string));
  });
});

describe('writer script', () => {
  test('commits batches, prints one line per commit, and stops on SIGTERM', async () => {
    const store = smallStore({ memories: 20 });
    const env = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    const child = spawn(
      process.execPath,
      [WRITER_SCRIPT, store.dbPath, '--batch', '5', '--interval-ms', '10', '--dims', '8'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (code, signal) => resolve([code, signal])),
    );
    // stopped once it has committed five batches: its SIGTERM handler is in place before the first
    while (stdout.split('\n').length <= 5) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.equal(stderr, '');
    assert.equal(signal, null, 'the writer handles SIGTERM itself');
    assert.equal(code, 0);

    const lines = stdout.trimEnd().split('\n');
    assert.ok(lines.length >= 5, `only ${lines.length} commits`);
    lines.forEach((line, index) => {
      const expectedMemories = store.counts.memories + 5 * (index + 1);
      const expectedVersions = store.counts.versions + 5 * (index + 1);
      assert.equal(line, `committed ${expectedMemories} ${expectedVersions}`);
    });
    withDb(store.dbPath, (db) => {
      assert.equal(count(db, 'SELECT count(*) AS n FROM memories'), store.counts.memories + 5 * lines.length);
      assert.equal(count(db, 'SELECT count(*) AS n FROM memories_fts'), store.counts.memories + 5 * lines.length);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    });
  });

  test('rejects bad arguments with a usage line and exit code 2', async () => {
    const env = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    const child = spawn(process.execPath, [WRITER_SCRIPT, '--batch', 'x'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 2);
    assert.match(stderr, /--batch needs an integer/);
    assert.match(stderr, /usage: writer\.js <dbPath>/);
  });
});

// Last on purpose: cleanupTempDirs() removes the folders of every test above.
describe('temp dirs', () => {
  test('makeTempDir creates distinct folders and cleanupTempDirs removes them', () => {
    const a = makeTempDir('ba temp/x');
    const b = makeTempDir('ba temp/x');
    assert.notEqual(a, b);
    assert.ok(statSync(a).isDirectory() && statSync(b).isDirectory());
    cleanupTempDirs();
    assert.ok(!existsSync(a) && !existsSync(b));
  });
});
