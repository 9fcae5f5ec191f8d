/**
 * Property-based fuzzing of archives: the runner shared by test/fuzz/*.test.ts.
 *
 * One real archive is made by the bin from a fixture store (30 memories,
 * 8-dimension vectors, the Qdrant test server); thousands of hostile variants
 * are derived from it with a seeded PRNG: mutated bytes anywhere, truncation,
 * duplicated, renamed, extra and missing entries, huge declared sizes, link
 * and path-traversal entries, manifests with every field of the wrong type,
 * vector files of the wrong shape, terminal escapes in every string.
 *
 * The property, checked in-process on every case with the real validation
 * (verifyArchive, as the restore runs it): the archive is either refused with
 * an ArchiveError whose message is one printable line naming the archive, or
 * accepted, and then it must restore correctly: its database and vectors are
 * byte for byte the source's (and some of these are restored through the bin
 * and compared with the source), or, for the variants that deliberately
 * change the data into something still valid, its points load into a scratch
 * collection of the test server. Never another exception, never a file
 * outside the temporary folders. A sample then runs end to end through
 * `ba-restore --yes`: exit 5 and one line, or exit 0 and the source back (or,
 * for a valid archive of another store: made for another user or agent, or
 * holding an embedded Qdrant store, exit 1 and one line); the live database
 * and collection untouched by every refusal.
 *
 * The cases come in families (bytes, truncate, entries, names, links,
 * manifest, vectors, embedded, escapes, combo), one generator module each
 * under ./families/ and one test file each here (<family>.test.ts), so that
 * the runner can take them in parallel; each file makes its own source
 * archive. Case i of the run is the same whichever file runs it: its family
 * and then its content are drawn from one sub-seed of (seed, i), with the
 * weights of FAMILY_WEIGHTS in ./cases.ts, and each file checks the cases
 * that fall to its family.
 *
 *   BA_FUZZ_CASES   cases checked in-process, over all families (default 3000: about 35 s
 *                   of checking in all, plus 2-3 s per file to start, make the source archive
 *                   and run its share of the bins; a file takes 5-40 s, the ten files about
 *                   two minutes of CPU together)
 *   BA_FUZZ_SEED    PRNG seed (default 20261124); a failure names seed, family and case
 *   BA_FUZZ_E2E     cases run end to end through ba-restore, over all families (default 30:
 *                   an equal share of each family, 3)
 *   BA_FUZZ_RESTORES  benign cases restored through the bin (default 6, or "all"; each
 *                   family restores its weight's share of them, at least one)
 *   BA_FUZZ_MAX_FAILURES  failures listed before a family's run stops (default 20)
 *   BA_FUZZ_REPORT  a file to write every failure to, one per line (each family file appends
 *                   its own failures: remove the file before a run)
 *   BA_FUZZ_ONLY    replay only these case numbers (with the same seed), e.g. 4948,5753:
 *                   run the test file of the family a failure names, e.g.
 *                   BA_FUZZ_ONLY=4948 node --test dist/test/fuzz/vectors.test.js
 *                   (the other families' files then skip)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ArchiveReader } from '../../src/archive/reader.js';
import { verifyArchive } from '../../src/verify/verify-archive.js';
import { ArchiveError } from '../../src/errors.js';
import { type Reporter, silentReporter } from '../../src/output.js';
import { QdrantConnection } from '../../src/qdrant/connection.js';
import { importCollection } from '../../src/qdrant/import.js';
import { createMemoryStore, type MemoryStore } from '../fixtures/memory-store.js';
import { Rng, mixSeed } from '../fixtures/prng.js';
import { startQdrantTestServer, type QdrantTestServer } from '../qdrant-server/server.js';
import { runCli } from '../support/cli.js';
import { dumpDatabase } from '../support/db-dump.js';
import { seedCollection } from '../support/qdrant-seed.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';
import { readZipEntries } from '../support/zip-contents.js';
import {
  BIN_RESTORES,
  CASES,
  DB,
  E2E_CASES,
  FAMILIES,
  FAMILY_WEIGHTS,
  MANIFEST,
  MAX_FAILURES,
  ONLY,
  SEED,
  VECTORS,
  caseIndices,
  caseStream,
  sha256,
  vectorsText,
  zipStructure,
  type CaseGenerator,
  type Family,
  type FuzzCase,
  type Source,
} from './cases.js';

/** Control characters that must never reach a terminal from an archive. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/** Texts of JavaScript's own errors: a bug disguised as "invalid archive". */
const INTERNAL =
  /Cannot read prop|Cannot set prop|is not a function|is not iterable|is not defined|Maximum call stack|Invalid array length|\bundefined\b \(reading/;

interface Outcome {
  index: number;
  fuzz: FuzzCase;
  accepted: boolean;
  /** The refusal's text after "Invalid archive <path>: ". */
  problem?: string;
  hint?: string;
}

export interface FamilyOptions {
  /**
   * Which of the family's cases are taken with the source's own data, when some
   * always are in a run of 500 cases or more: then the run must have some (and
   * restores a share of them through the bin).
   */
  takesSource?: string;
}

/**
 * The source archive: made by the bin from `store` (whose points are in the
 * server at `env.QDRANT_URL`), then taken apart. `token` goes into every
 * path-traversal name.
 */
export async function makeSource(
  store: MemoryStore,
  env: Record<string, string>,
  token = `ba-fuzz-escape-${randomBytes(6).toString('hex')}`,
): Promise<Source> {
  const made = await runCli('backup', ['-d', 'fuzz source'], { cwd: store.root, env });
  assert.equal(made.code, 0, made.stderr);
  const archive = /Location: (.*\.zip)/.exec(made.stdout)![1]!;
  const entries = await readZipEntries(archive);
  const text = entries.get(VECTORS)!.toString('utf8');
  const lines = text.split('\n');
  assert.equal(lines[1], '"points":[');
  const points = lines
    .slice(2, -3)
    .map((line) => line.replace(/,$/, ''))
    .concat(lines[lines.length - 3]!);
  const bytes = fs.readFileSync(archive);
  const storageFile = path.join(makeTempDir('ba-fuzz-storage'), 'storage.sqlite');
  const storageDb = new Database(storageFile);
  storageDb.exec(
    "CREATE TABLE points (id TEXT PRIMARY KEY, point BLOB); INSERT INTO points VALUES ('a', x'00'), ('b', x'01');",
  );
  storageDb.close();
  const src: Source = {
    bytes,
    entries,
    manifest: JSON.parse(entries.get(MANIFEST)!.toString('utf8')) as Record<string, unknown>,
    headerLine: lines[0]!,
    points,
    structure: zipStructure(bytes),
    token,
    storage: fs.readFileSync(storageFile),
  };
  // the pieces put back together give the file itself, so a variant differs only where it means to
  assert.equal(vectorsText(src.headerLine, src.points), text);
  assert.equal(points.length, 30);
  return src;
}

interface Fixture {
  server: QdrantTestServer;
  store: MemoryStore;
  env: Record<string, string>;
  src: Source;
}

let fixture: Promise<Fixture> | undefined;

/**
 * One store, server and source archive for all the families of a test file:
 * making the source runs ba-backup, which costs more than a small family's
 * cases. Every family leaves the store as the source archive holds it.
 */
function sharedFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const server = await startQdrantTestServer();
    const store = createMemoryStore({ root: makeTempDir('ba-fuzz-store'), memories: 30, dims: 8 });
    await seedCollection(server.url, store.collectionName, store.points, { dims: 8 });
    const env = { QDRANT_URL: server.url };
    return { server, store, env, src: await makeSource(store, env) };
  })();
  return fixture;
}

after(async () => {
  if (fixture) await (await fixture).server.close();
  cleanupTempDirs();
});

/**
 * The fuzz suite of one family: its cases of the run checked in-process, a
 * share of them end to end through ba-restore, a share of its benign ones
 * restored through the bin, and nothing written outside the temporary folders.
 */
export function fuzzFamily(
  family: Family,
  generator: (src: Source) => CaseGenerator,
  options: FamilyOptions = {},
): void {
  const indices = caseIndices(family);
  const weight = FAMILY_WEIGHTS.find(([name]) => name === family)![1];
  /** The family's share of the end-to-end runs: all families alike, as they took turns in one sample. */
  const e2eCases = Math.ceil(E2E_CASES / FAMILIES.length);
  /** The family's share of the bin restores: by weight, as they were drawn from all benign cases. */
  const binRestores = Math.ceil((BIN_RESTORES * weight) / 100);
  const stream = FAMILIES.indexOf(family);
  const skip = indices.length === 0 ? `no ${family} case among the ${CASES} of this run` : false;

  describe(`archive fuzzing: ${family} (seed ${SEED})`, { skip }, () => {
    let server: QdrantTestServer;
    let store: MemoryStore;
    let env: Record<string, string>;
    let src: Source;
    let gen: CaseGenerator;
    let work: string;
    let casesDir: string;
    let extractDir: string;
    let sourceDump: ReturnType<typeof dumpDatabase>;
    let sourcePoints: ReturnType<QdrantTestServer['getPoints']>;
    let ran = false;
    let outcomes: Outcome[] = [];
    const figures = {
      cases: 0,
      rejected: 0,
      benign: 0,
      benignSource: 0,
      benignChanged: 0,
      restoredThroughBin: 0,
      refusedByRestore: 0,
      e2e: 0,
      dataLost: 0,
    };

    const fileHash = (file: string): string => sha256(fs.readFileSync(file));
    const liveState = () => ({ db: fileHash(store.dbPath), points: server.getPoints(store.collectionName) });

    before(async () => {
      ({ server, store, env, src } = await sharedFixture());
      gen = generator(src);
      work = makeTempDir('ba-fuzz-work');
      casesDir = path.join(work, 'cases');
      extractDir = path.join(work, 'extract');
      fs.mkdirSync(casesDir);
      fs.mkdirSync(extractDir);
      sourceDump = dumpDatabase(store.dbPath);
      sourcePoints = server.getPoints(store.collectionName);
    });

    it(`${indices.length} hostile archives (the ${family} cases of ${CASES}): each refused with one clear line, or taken and proven to restore correctly`, async (t) => {
      const scratch = new QdrantConnection({ url: server.url, timeoutMs: 30_000 });
      const liveBefore = liveState();
      const storeTreeBefore = tree(store.root);
      const failures: string[] = [];
      outcomes = [];
      for (const index of indices) {
        const fuzz = gen(caseStream(index).rng);
        const where = `case ${index} (seed ${SEED}, ${fuzz.family}: ${fuzz.label})`;
        if (fuzz.family !== family) failures.push(`${where}: made by the ${family} generator`);
        const file = path.join(casesDir, `case-${index}.zip`);
        const extract = path.join(extractDir, `case-${index}.db`);
        const embedded = path.join(extractDir, `case-${index}.embedded`);
        fs.writeFileSync(file, fuzz.make());
        const lines: string[] = [];
        let accepted = false;
        let problem: string | undefined;
        let hint: string | undefined;
        try {
          // as a restore calls it: the database and the embedded store extracted next to each other
          const verified = await verifyArchive(
            file,
            { extractDatabaseTo: extract, extractEmbeddedTo: embedded },
            collectingReporter(lines),
          );
          accepted = true;
          if (fuzz.expect === 'reject') failures.push(`${where}: accepted, but must be refused`);
          else {
            const problem = await proveRestorable(fuzz, file, extract, verified.vectors, scratch);
            if (problem) failures.push(`${where}: accepted, but ${problem}`);
          }
        } catch (err) {
          if (!(err instanceof ArchiveError)) {
            failures.push(`${where}: threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          } else {
            const message = err.message;
            const prefix = `Invalid archive ${file}: `;
            problem = message.slice(prefix.length);
            hint = err.hint;
            if (!message.startsWith(prefix)) failures.push(`${where}: message does not name the archive: ${message}`);
            if (CONTROL.test(message) || (err.hint !== undefined && CONTROL.test(err.hint)))
              failures.push(`${where}: message is not one printable line: ${JSON.stringify(message)}`);
            if (INTERNAL.test(message)) failures.push(`${where}: message hides a JavaScript error: ${message}`);
            if (fuzz.expect === 'accept') failures.push(`${where}: refused, but must be taken: ${message}`);
            if (fuzz.message && fuzz.expect === 'reject' && !fuzz.message.test(message))
              failures.push(`${where}: refused for another reason than expected (${fuzz.message}): ${message}`);
            if (fs.existsSync(extract) || fs.existsSync(embedded))
              failures.push(
                `${where}: refused (${problem}), but left extracted files behind: ${tree(extractDir).join(', ')}`,
              );
          }
        }
        for (const line of lines)
          if (CONTROL.test(line))
            failures.push(`${where}: printed an unescaped control character: ${JSON.stringify(line)}`);
        fs.rmSync(extract, { force: true });
        fs.rmSync(embedded, { force: true, recursive: true });
        fs.rmSync(file);
        outcomes.push({ index, fuzz, accepted, problem, hint });
        if (failures.length >= MAX_FAILURES) break;
      }
      ran = true;

      figures.cases = outcomes.length;
      figures.rejected = outcomes.filter((o) => !o.accepted).length;
      figures.benign = outcomes.filter((o) => o.accepted).length;
      figures.benignSource = outcomes.filter((o) => o.accepted && o.fuzz.data === 'source').length;
      figures.benignChanged = figures.benign - figures.benignSource;
      t.diagnostic(
        `${figures.cases} ${family} cases: ${figures.rejected} refused, ${figures.benign} taken (${figures.benignSource} byte-identical to the source, ${figures.benignChanged} valid variants loaded into Qdrant)`,
      );

      if (process.env.BA_FUZZ_REPORT)
        fs.appendFileSync(process.env.BA_FUZZ_REPORT, failures.map((f) => `${f}\n`).join(''));
      assert.deepEqual(failures, [], `${failures.length} failing case(s):\n${failures.slice(0, 10).join('\n')}`);
      // the family was exercised and refused something: its generator did its job
      if (CASES >= 500 && !ONLY) assert.ok(figures.rejected > 0, `family ${family} produced no refusal`);
      // validation never touched the live store, and wrote nothing but its own extraction
      assert.deepEqual(liveState(), liveBefore);
      assert.deepEqual(tree(store.root), storeTreeBefore);
      assert.deepEqual(tree(work), ['cases', 'extract']);
    });

    /**
     * What "accepted" must mean: a restore of this archive gives back the data.
     * Source-identical variants: the extracted database and the vector file
     * (read by the tool's own reader, as the restore reads it) are the
     * source's bytes. Deliberately changed variants: the database is the
     * source's and the points load into a scratch collection of the test
     * server with the archived settings, and their count is right.
     */
    async function proveRestorable(
      fuzz: FuzzCase,
      file: string,
      extract: string,
      vectors: Parameters<typeof importCollection>[3] | null,
      scratch: QdrantConnection,
    ): Promise<string | null> {
      if (!fs.existsSync(extract) || !fs.readFileSync(extract).equals(src.entries.get(DB)!))
        return 'its extracted database differs from the source database';
      if (!vectors) return 'it has no vectors';
      if (fuzz.data === 'source') {
        const reader = await ArchiveReader.open(file);
        try {
          const { stream } = await reader.openEntry(VECTORS);
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          if (!Buffer.concat(chunks).equals(src.entries.get(VECTORS)!))
            return 'its vector file differs from the source';
        } finally {
          reader.close();
        }
        if (vectors.points !== src.points.length) return `it counts ${vectors.points} points`;
        return null;
      }
      try {
        const loaded = await importCollection(scratch, 'fuzz_scratch', file, vectors, {
          batchSize: 64,
          concurrency: 2,
        });
        if (loaded !== vectors.points) return `${loaded} of ${vectors.points} points loaded`;
      } catch (err) {
        return `its points do not load into Qdrant: ${(err as Error).message}`;
      }
      return null;
    }

    /** Runs one case through ba-restore --yes and checks exit code, output and the live store. */
    async function restoreThroughBin(outcome: Outcome): Promise<void> {
      const { fuzz, index } = outcome;
      const where = `case ${index} (seed ${SEED}, ${fuzz.family}: ${fuzz.label})`;
      const dir = makeTempDir('ba-fuzz-e2e');
      const file = path.join(dir, `case-${index}.zip`);
      fs.writeFileSync(file, fuzz.make());
      const backupsDir = path.join(store.root, 'backups');
      const before = liveState();
      const backups = tree(backupsDir);
      const result = await runCli('restore', [file, '--yes'], { cwd: store.root, env });
      assert.doesNotMatch(result.stderr, /\n {4}at /, `${where}: a stack trace`);
      assert.doesNotMatch(
        result.stdout + result.stderr,
        CONTROL_BUT_NEWLINE,
        `${where}: a raw control character in the output`,
      );
      if (outcome.accepted && fuzz.restoreRefusal) {
        // valid, but not for this store: the restore reads it, says why in one line, and changes nothing
        assert.equal(result.code, 1, `${where}: exit code; stdout: ${result.stdout}; stderr: ${result.stderr}`);
        assert.match(result.stderr, fuzz.restoreRefusal, `${where}: refused for another reason than expected`);
        const lines = result.stderr.split('\n').filter((line) => !line.startsWith('[WARNING] '));
        assert.equal(lines.pop(), '', `${where}: stderr ends with a newline`);
        assert.ok(
          lines.length <= 2 && lines[0]?.startsWith('[ERROR] ') && (lines[1] ?? '        ').startsWith('        '),
          `${where}: the refusal is one line, with its hint if any: ${JSON.stringify(lines)}`,
        );
        assertUntouched(where, before, backups);
        figures.refusedByRestore++;
      } else if (outcome.accepted) {
        assert.equal(result.code, 0, `${where}: ${result.stderr}`);
        assert.deepEqual(dumpDatabase(store.dbPath), sourceDump, `${where}: database restored`);
        assert.deepEqual(server.getPoints(store.collectionName), sourcePoints, `${where}: points restored`);
        figures.restoredThroughBin++;
      } else {
        assert.equal(result.code, 5, `${where}: exit code; stderr: ${result.stderr}`);
        // warnings (e.g. an unknown entry) may come first; the refusal is one line, with its hint if any
        const lines = result.stderr.split('\n').filter((line) => !line.startsWith('[WARNING] '));
        assert.equal(lines.pop(), '', `${where}: stderr ends with a newline`);
        const expected = [
          `[ERROR] Invalid archive ${file}: ${outcome.problem}`,
          ...(outcome.hint ? [`        ${outcome.hint}`] : []),
        ];
        assert.deepEqual(lines, expected, `${where}: the refusal found in-process, as one line`);
        assertUntouched(where, before, backups);
      }
    }

    /** After a refused restore: the live data as it was, no safety backup, no leftovers. */
    function assertUntouched(where: string, before: ReturnType<typeof liveState>, backups: string[]): void {
      const after = liveState();
      if (
        after.db !== before.db ||
        JSON.stringify(after.points, bigintText) !== JSON.stringify(before.points, bigintText)
      )
        figures.dataLost++;
      assert.deepEqual(after, before, `${where}: live data untouched`);
      assert.deepEqual(tree(path.join(store.root, 'backups')), backups, `${where}: no safety backup, no leftovers`);
      assert.deepEqual(fs.readdirSync(store.repoDir), [DB], `${where}: no leftover extraction`);
    }

    it(`${e2eCases === Number.POSITIVE_INFINITY ? 'all' : e2eCases} ${family} cases end to end through ba-restore --yes: exit 5 and one line with nothing changed, or exit 0 and the source restored (exit 1 and nothing changed for a valid archive of another store)`, async (t) => {
      assert.ok(ran, 'the in-process run came first');
      const rng = new Rng(mixSeed(SEED, 0xe2e, stream));
      // refusals and source-identical acceptances alike; a refusal first, when the family made one
      const pool = outcomes.filter((o) => !o.accepted || o.fuzz.data === 'source');
      const refusals = pool.filter((o) => !o.accepted);
      const size = Math.min(e2eCases, pool.length);
      const chosen = new Set<Outcome>();
      if (size > 0 && refusals.length > 0) chosen.add(rng.pick(refusals));
      const rest = pool.filter((o) => !chosen.has(o));
      for (const outcome of rng.sample(rest, size - chosen.size)) chosen.add(outcome);
      for (const outcome of chosen) {
        await restoreThroughBin(outcome);
        figures.e2e++;
      }
      t.diagnostic(
        `${figures.e2e} of ${pool.length} cases run through the bin, ${[...chosen].filter((o) => !o.accepted).length} of them refusals`,
      );
      assert.equal(figures.e2e, size);
      if (E2E_CASES >= 10 && refusals.length > 0)
        assert.ok(
          [...chosen].some((o) => !o.accepted),
          'the sample holds refusals',
        );
    });

    it(`taken ${family} archives restored through ba-restore give back the source exactly (up to ${binRestores === Number.POSITIVE_INFINITY ? 'all' : binRestores})`, async (t) => {
      // taken with the source's data, and meant for this store (see FuzzCase.restoreRefusal)
      const benign = outcomes.filter((o) => o.accepted && o.fuzz.data === 'source' && !o.fuzz.restoreRefusal);
      const rng = new Rng(mixSeed(SEED, 0xbe9, stream));
      const chosen = binRestores >= benign.length ? benign : rng.sample(benign, binRestores);
      for (const outcome of chosen) await restoreThroughBin(outcome);
      t.diagnostic(`${chosen.length} of ${benign.length} source-identical archives restored through the bin`);
      if (options.takesSource && CASES >= 500 && !ONLY)
        assert.ok(benign.length > 0, `some mutations are benign (${options.takesSource})`);
    });

    it('wrote nothing outside its temporary folders: no file named after a path-traversal entry anywhere', () => {
      const places = [
        os.tmpdir(),
        path.dirname(work),
        process.cwd(),
        '/',
        path.join(store.root, '..'),
        store.root,
        path.join(store.root, 'backups'),
        store.repoDir,
      ];
      for (const place of places) {
        const names = fs.existsSync(place) ? fs.readdirSync(place) : [];
        assert.deepEqual(
          names.filter((n) => n.includes(src.token)),
          [],
          `a file named after a hostile entry in ${place}`,
        );
      }
      for (const name of tree(store.root)) assert.ok(!name.includes(src.token), name);
      assert.deepEqual(tree(extractDir), []);
      assert.equal(figures.dataLost, 0);
    });

    after(() => {
      // the figures for the README's reliability section (add up the families' lines)
      console.log(`fuzz figures (seed ${SEED}, ${family}): ${JSON.stringify(figures)}`);
    });
  });
}

function collectingReporter(lines: string[]): Reporter {
  return { ...silentReporter, info: (line) => lines.push(line), warn: (line) => lines.push(line) };
}

/** Every file and folder under a directory, relative, sorted. */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
