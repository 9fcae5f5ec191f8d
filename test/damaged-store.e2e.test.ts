/**
 * ba-restore when the live store is damaged or missing: a database with
 * broken pages, of random bytes, empty or deleted; a leftover -journal or
 * -wal beside a healthy database; an embedded store without meta.json, with
 * a broken storage file or without its collection folder; a collection the
 * server cannot read. Each case checks the dry run (nothing changes), the
 * restore (exactly the archived state), the safety backup (what was damaged
 * is kept byte for byte under raw/) and ba-backup --verify / --list of it.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createMemoryStore, insertMemories, type MemoryStore } from './fixtures/memory-store.js';
import { createLocalQdrant, storageRows } from './fixtures/local-qdrant.js';
import { runCli, type CliResult } from './support/cli.js';
import { dumpDatabase, type DatabaseDump } from './support/db-dump.js';
import { onlyWithTestServer, startQdrant, type QdrantHandle, type StoredPoint } from './support/qdrant.js';
import { clientFor, seedCollection } from './support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';
import { buildZip } from './support/raw-zip.js';

const DB = 'memoryv012.db';
const DB_DAMAGED = /SQLite database: [^\n]*\n +now: +damaged: \S[^\n]*/;
const EMBEDDED_DAMAGED = /Embedded vector store: [^\n]*\n +now: +damaged: \S[^\n]*/;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

type Points = StoredPoint[];

interface Case {
  store: MemoryStore;
  env: Record<string, string>;
  archive: string;
  backupsDir: string;
  /** The archived state. */
  dump: DatabaseDump;
  points?: Points;
  embedded?: Record<string, unknown>;
}

interface SafetyManifest {
  entries?: Record<string, { sha256: string }>;
  raw_parts?: Record<string, { state?: string; reason?: string; files?: string[] }>;
  stats: { qdrant: { total_vectors?: number } };
  discarded?: { collection?: string; reason?: string };
}

interface Saved {
  stdout: string;
  safety: string;
  entries: Map<string, Buffer>;
  manifest: SafetyManifest;
}

const localDir = (c: Case): string => path.join(c.store.repoDir, 'qdrant_data');
const storageFile = (c: Case): string => `qdrant_data/collection/${c.store.collectionName}/storage.sqlite`;

/** meta.json and every collection's rows, as in embedded.e2e. */
function embeddedSnapshot(c: Case): Record<string, unknown> {
  const out: Record<string, unknown> = { meta: fs.readFileSync(path.join(localDir(c), 'meta.json'), 'utf8') };
  const collections = path.join(localDir(c), 'collection');
  for (const name of fs.readdirSync(collections).sort())
    out[name] = storageRows(path.join(collections, name, 'storage.sqlite'));
  return out;
}

/** sha256 of every file in the store folder by relative path (SQLite's transient -shm aside). */
function storeFiles(c: Case): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (!entry.name.endsWith('-shm')) out[path.relative(c.store.repoDir, file)] = sha256(fs.readFileSync(file));
    }
  };
  walk(c.store.repoDir);
  return out;
}

/** The raw entries the safety backup must hold: `raw/<file>` -> sha256 of the live (damaged) file now. */
function rawOf(c: Case, ...files: string[]): Record<string, string> {
  return Object.fromEntries(
    files.map((file) => [`raw/${file}`, sha256(fs.readFileSync(path.join(c.store.repoDir, file)))]),
  );
}

/** Overwrites the root page of the memories table and the two after it with garbage (never page 1). */
function breakPages(dbPath: string): void {
  const db = new Database(dbPath, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'memories'").get() as {
    rootpage: number;
  };
  db.close();
  assert.ok(rootpage > 1, `memories root page ${rootpage}`);
  const fd = fs.openSync(dbPath, 'r+');
  try {
    for (let page = rootpage; page < rootpage + 3; page++) {
      const junk = randomBytes(pageSize);
      junk[0] = 0xff; // not a b-tree page type
      fs.writeSync(fd, junk, 0, pageSize, (page - 1) * pageSize);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function randomJunk(bytes: number): Buffer {
  const junk = randomBytes(bytes);
  junk[0] = junk[0]! | 1; // first byte non-zero: a "hot" journal to SQLite
  return junk;
}

describe('ba-restore of a damaged or missing live store', () => {
  let server: QdrantHandle;

  before(async () => {
    server = await startQdrant();
  });
  after(async () => {
    await server.close();
    cleanupTempDirs();
  });
  afterEach(() => server.testServer?.clearFaults());

  async function backUp(store: MemoryStore, env: Record<string, string>): Promise<string> {
    const result = await runCli('backup', ['-d', 'known good'], { cwd: store.root, env });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    return /Location: (.*\.zip)/.exec(result.stdout)![1]!;
  }

  /** A store whose vectors are in a collection of the test server (one collection per agent), backed up. */
  async function serverCase(agent: string): Promise<Case> {
    const store = createMemoryStore({ root: makeTempDir('ba-damaged'), agent, memories: 40, dims: 16 });
    await seedCollection(server.url, store.collectionName, store.points);
    const env = { ...server.env, BA_AGENT_NAME: agent };
    const archive = await backUp(store, env);
    return {
      store,
      env,
      archive,
      backupsDir: path.join(store.root, 'backups'),
      dump: dumpDatabase(store.dbPath),
      points: await server.getPoints(store.collectionName),
    };
  }

  /** A store with an embedded qdrant_data/ folder, backed up. */
  async function embeddedCase(): Promise<Case> {
    const store = createMemoryStore({ root: makeTempDir('ba-damaged-emb'), memories: 40, dims: 16 });
    createLocalQdrant(store.repoDir, { [store.collectionName]: { points: 40, size: 16 } });
    const c: Case = {
      store,
      env: {},
      archive: await backUp(store, {}),
      backupsDir: path.join(store.root, 'backups'),
      dump: dumpDatabase(store.dbPath),
    };
    c.embedded = embeddedSnapshot(c);
    return c;
  }

  /** What a refused or dry run must leave alone: every live file, every point, backups/. */
  async function untouched(c: Case): Promise<() => Promise<void>> {
    const files = storeFiles(c);
    const points = c.points ? await server.getPoints(c.store.collectionName) : null;
    const backups = fs.readdirSync(c.backupsDir).sort();
    return async () => {
      assert.deepEqual(storeFiles(c), files, 'live files unchanged');
      if (points) assert.deepEqual(await server.getPoints(c.store.collectionName), points, 'points unchanged');
      assert.deepEqual(fs.readdirSync(c.backupsDir).sort(), backups, 'nothing new in backups/');
    };
  }

  async function dryRun(c: Case, now: RegExp): Promise<CliResult> {
    const unchanged = await untouched(c);
    const result = await runCli('restore', [c.archive, '--dry-run'], { cwd: c.store.root, env: c.env });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, now);
    assert.match(result.stdout, /\[DRY RUN\] No changes made\n$/);
    await unchanged();
    return result;
  }

  async function assertRestored(c: Case): Promise<void> {
    const journal = `${c.store.dbPath}-journal`;
    if (fs.existsSync(journal))
      assert.equal(fs.readFileSync(journal)[0] ?? 0, 0, 'no hot journal beside the restored database');
    assert.deepEqual(dumpDatabase(c.store.dbPath), c.dump);
    if (c.points) assert.deepEqual(await server.getPoints(c.store.collectionName), c.points);
    if (c.embedded) assert.deepEqual(embeddedSnapshot(c), c.embedded);
  }

  /** ba-restore --yes: exit 0, exactly the archived state; returns the safety backup, opened. */
  async function restore(c: Case, args: string[] = []): Promise<Saved> {
    const result = await runCli('restore', [c.archive, '--yes', ...args], { cwd: c.store.root, env: c.env });
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /\[SUCCESS\] Restore completed successfully!/);
    await assertRestored(c);
    const safety = /Safety backup of the previous state: (.*\.zip)/.exec(result.stdout)?.[1];
    assert.ok(safety, `the safety backup is named:\n${result.stdout}`);
    const entries = await readZipEntries(safety);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as SafetyManifest;
    return { stdout: result.stdout, safety, entries, manifest };
  }

  function assertRaw(saved: Saved, part: 'database' | 'embedded', state: string, raw: Record<string, string>): void {
    const info = saved.manifest.raw_parts?.[part];
    assert.ok(info, `manifest.raw_parts.${part} in ${JSON.stringify(saved.manifest.raw_parts)}`);
    assert.equal(info.state, state);
    assert.ok(typeof info.reason === 'string' && info.reason.length > 0, 'raw part has a reason');
    for (const [name, hash] of Object.entries(raw)) {
      const data = saved.entries.get(name);
      assert.ok(data, `entry ${name} among ${[...saved.entries.keys()].join(', ')}`);
      assert.equal(sha256(data), hash, `${name} holds the damaged bytes`);
      assert.equal(saved.manifest.entries?.[name]?.sha256, hash, `manifest checksum of ${name}`);
      assert.ok(info.files?.includes(name), `raw_parts.${part}.files lists ${name}: ${JSON.stringify(info.files)}`);
    }
  }

  async function verifyAndList(c: Case, safety: string, word?: RegExp): Promise<void> {
    const [verify, list] = await Promise.all([
      runCli('backup', ['--verify', safety], { cwd: c.store.root, env: c.env }),
      runCli('backup', ['--list'], { cwd: c.store.root, env: c.env }),
    ]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.doesNotMatch(verify.stdout, /\[ERROR\]/);
    assert.equal(list.code, 0, list.stderr);
    if (word) {
      assert.match(verify.stdout, word);
      assert.match(list.stdout, word);
    }
  }

  /** Dry run, restore, raw safety copy, verify and list: the whole story of one damaged part. */
  async function recovers(
    c: Case,
    o: { now: RegExp; part: 'database' | 'embedded'; state: 'damaged' | 'leftover'; raw: Record<string, string> },
  ): Promise<Saved> {
    await dryRun(c, o.now);
    const saved = await restore(c);
    assertRaw(saved, o.part, o.state, o.raw);
    if (o.part === 'database' && o.state === 'damaged')
      assert.match(saved.stdout, /\.recover/, 'says how to try sqlite3 .recover');
    await verifyAndList(c, saved.safety, new RegExp(o.state));
    return saved;
  }

  it('a database with broken pages', async () => {
    const c = await serverCase('pages');
    breakPages(c.store.dbPath);
    assert.throws(() => dumpDatabase(c.store.dbPath), /database disk image is malformed/, 'the damage is real');
    await recovers(c, { now: DB_DAMAGED, part: 'database', state: 'damaged', raw: rawOf(c, DB) });
  });

  it('a database of random bytes', async () => {
    const c = await serverCase('random');
    fs.writeFileSync(c.store.dbPath, randomBytes(20000));
    assert.throws(() => dumpDatabase(c.store.dbPath), /file is not a database/, 'the damage is real');
    await recovers(c, { now: DB_DAMAGED, part: 'database', state: 'damaged', raw: rawOf(c, DB) });
  });

  it('a tampered safety archive is refused: raw bytes changed, a raw file unlisted or misnamed', async () => {
    const c = await serverCase('tamper');
    fs.writeFileSync(c.store.dbPath, randomBytes(20000));
    const saved = await restore(c);
    const manifest = JSON.parse(saved.entries.get('manifest.json')!.toString('utf8')) as Record<string, unknown>;
    const rebuilt = (edit: (entries: Map<string, Buffer>, m: Record<string, unknown>) => void): string => {
      const entries = new Map(saved.entries);
      const m = structuredClone(manifest);
      edit(entries, m);
      entries.set('manifest.json', Buffer.from(JSON.stringify(m)));
      const file = path.join(c.backupsDir, `tampered_${Math.random().toString(16).slice(2)}.zip`);
      fs.writeFileSync(file, buildZip([...entries].map(([name, data]) => ({ name, data }))));
      return file;
    };
    const cases: Array<[string, string, RegExp]> = [
      [
        'raw bytes changed',
        rebuilt((e) => e.set(`raw/${DB}`, randomBytes(20000))),
        /entry raw\/memoryv012\.db does not match its SHA-256/,
      ],
      [
        'a raw file not listed',
        rebuilt((e) => e.set('raw/extra.txt', Buffer.from('x'))),
        /entry raw\/extra\.txt is not listed in the manifest's raw_parts/,
      ],
      [
        'a raw database file of another name',
        rebuilt((e, m) => {
          e.set('raw/run.sh', e.get(`raw/${DB}`)!);
          const parts = m.raw_parts as { database: { files: string[] } };
          parts.database.files = ['raw/run.sh'];
          (m.entries as Record<string, unknown>)['raw/run.sh'] = (m.entries as Record<string, unknown>)[`raw/${DB}`];
        }),
        /raw database file raw\/run\.sh is not the database or one of its journals/,
      ],
    ];
    for (const [what, file, message] of cases) {
      const verified = await runCli('backup', ['--verify', file], { cwd: c.store.root, env: c.env });
      assert.equal(verified.code, 5, `${what}: ${verified.stdout}`);
      assert.match(verified.stdout, message, what);
      const dry = await runCli('restore', [file, '--dry-run'], { cwd: c.store.root, env: c.env });
      assert.equal(dry.code, 5, what);
    }
  });

  it('a database of zero bytes', async () => {
    const c = await serverCase('empty');
    fs.writeFileSync(c.store.dbPath, Buffer.alloc(0));
    await recovers(c, { now: DB_DAMAGED, part: 'database', state: 'damaged', raw: rawOf(c, DB) });
  });

  it('a deleted database while the collection still exists', async () => {
    const c = await serverCase('nodb');
    fs.rmSync(c.store.dbPath);
    const gone = c.store.points.slice(0, 3).map((p) => p.id);
    await clientFor(server.url).delete(c.store.collectionName, { wait: true, points: gone });
    const liveCount = (await server.getPoints(c.store.collectionName)).length;
    assert.equal(liveCount, c.points!.length - 3);
    await dryRun(c, /SQLite database: [^\n]*\n +now: +no database\n/);
    assert.equal(fs.existsSync(c.store.dbPath), false, 'the dry run made no database');
    const saved = await restore(c);
    assert.equal(saved.entries.has(DB), false, 'no database to save');
    assert.ok(saved.entries.has('qdrant_vectors.json'), 'the collection is saved');
    assert.equal(saved.manifest.stats.qdrant.total_vectors, liveCount);
    await verifyAndList(c, saved.safety);
  });

  for (const suffix of ['-journal', '-wal']) {
    it(`a leftover ${DB}${suffix} of unrelated content beside a healthy database`, async () => {
      const c = await serverCase(`leftover${suffix.replace('-', '_')}`);
      insertMemories(c.store.dbPath, 3, { seed: 5, dims: 16 }); // the live database moved on since the backup
      const leftover = randomJunk(4096);
      const file = `${c.store.dbPath}${suffix}`;
      fs.writeFileSync(file, leftover);
      await recovers(c, {
        now: new RegExp(`memoryv012\\.db${suffix}`),
        part: 'database',
        state: 'leftover',
        raw: rawOf(c, `${DB}${suffix}`),
      });
      assert.ok(!fs.existsSync(file) || !fs.readFileSync(file).equals(leftover), `the leftover ${suffix} is gone`);
      new Database(c.store.dbPath).close(); // as the memory server opens it
      await assertRestored(c);
    });
  }

  it('an embedded store without meta.json', async () => {
    const c = await embeddedCase();
    fs.rmSync(path.join(localDir(c), 'meta.json'));
    await recovers(c, { now: EMBEDDED_DAMAGED, part: 'embedded', state: 'damaged', raw: rawOf(c, storageFile(c)) });
  });

  it('an embedded store whose storage.sqlite is random bytes', async () => {
    const c = await embeddedCase();
    fs.writeFileSync(path.join(c.store.repoDir, storageFile(c)), randomBytes(20000));
    assert.throws(
      () => storageRows(path.join(c.store.repoDir, storageFile(c))),
      /file is not a database/,
      'the damage is real',
    );
    await recovers(c, {
      now: EMBEDDED_DAMAGED,
      part: 'embedded',
      state: 'damaged',
      raw: rawOf(c, 'qdrant_data/meta.json', storageFile(c)),
    });
  });

  it('an embedded store whose collection folder is gone while meta.json lists it', async () => {
    const c = await embeddedCase();
    fs.rmSync(path.dirname(path.join(c.store.repoDir, storageFile(c))), { recursive: true });
    await recovers(c, {
      now: EMBEDDED_DAMAGED,
      part: 'embedded',
      state: 'damaged',
      raw: rawOf(c, 'qdrant_data/meta.json'),
    });
  });

  it('a collection the server cannot read: refused, then discarded with --discard-unreadable', async (t) => {
    const faults = onlyWithTestServer(t, server, 'an unreadable collection (fault injection)');
    if (!faults) return;
    const c = await serverCase('unreadable');
    insertMemories(c.store.dbPath, 3, { seed: 9, dims: 16 });
    faults.injectFault({ method: 'POST', path: /\/points\/scroll$/, kind: 'status', status: 500, times: Infinity });
    const dry = await dryRun(c, /Qdrant collection: [^\n]*\n +now: [^\n]*unreadable/);
    assert.match(dry.stdout, /discard/i, 'the plan says the collection will be discarded');

    const unchanged = await untouched(c);
    const refused = await runCli('restore', [c.archive, '--yes'], { cwd: c.store.root, env: c.env });
    assert.equal(refused.code, 1, refused.stderr + refused.stdout);
    assert.match(refused.stderr, /--discard-unreadable/);
    await unchanged();

    const saved = await restore(c, ['--discard-unreadable']);
    assert.equal(
      saved.manifest.discarded?.collection,
      c.store.collectionName,
      JSON.stringify(saved.manifest.discarded),
    );
    assert.ok(saved.manifest.discarded?.reason, 'discarded has a reason');
    await verifyAndList(c, saved.safety);
  });

  it('restores a database of random bytes when the phrase is typed at a terminal', async () => {
    const c = await serverCase('typed');
    fs.writeFileSync(c.store.dbPath, randomBytes(20000));
    const result = await runCli('restore', [c.archive], {
      cwd: c.store.root,
      env: c.env,
      tty: true,
      input: 'DELETE ALL DATA\n',
    });
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /\[SUCCESS\] Restore completed successfully!/);
    await assertRestored(c);
  });
});
