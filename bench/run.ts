/**
 * npm run bench -- --memories N --dims D [--runs R]   (defaults 20000, 768, 3)
 *
 * For each size: builds a fixture memory store in a temporary folder, starts
 * the project's Qdrant-compatible test server in its own process, loads the
 * points with the official client, then times `ba-backup` and
 * `ba-restore <archive> --yes --no-safety-backup` as whole processes (R runs
 * each; median wall time, points/s, MB/s of archive input, peak RSS, archive
 * size). It measures the compression floor (deflate level 6 of the very
 * bytes the archive holds, node's zlib, streamed) right after each backup
 * run, and the same with the tools' settings and in parallel, and replays the phases
 * one at a time to show where the time goes. Everything it started or
 * created is removed at the end, also on failure or Ctrl-C.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, cleanEnv } from '../test/support/cli.js';
import { ArchiveReader } from '../src/archive/reader.js';
import { DATABASE_ENTRY, MANIFEST_ENTRY, VECTORS_ENTRY } from '../src/manifest.js';
import { cleanupAll, onCleanup, removeFolderOnCleanup } from './cleanup.js';
import { ownCpuMs, startCpuWindow, waitForQuiet } from './cpu.js';
import { threadPoolSize } from '../src/archive/parallel-deflate.js';
import { NUMBER_TEXT_DEFLATE } from '../src/archive/writer.js';
import {
  deflateFloor,
  type ExtractedEntry,
  extractEntries,
  hashEntries,
  inflateEntries,
  parallelDeflate,
} from './floor.js';
import { MB, int, markdownTable, mb, median, pct, ratio, secs, table } from './format.js';
import { describeMachine, machineLine, type Machine } from './machine.js';
import { checkNumberForm, type NumberForm } from './number-form.js';
import { type BenchOptions, USAGE, parseBenchArgs } from './options.js';
import { newestProfile, type ProfileSummary, summariseProfile } from './profile.js';
import {
  replayInstall,
  replayIntegrityCheck,
  replayScroll,
  replaySnapshot,
  replayUpserts,
  replayVectorsRead,
  replayVectorsSplit,
  type ScrollReplay,
} from './phases.js';
import { seedStore } from './seed.js';
import { startServerProcess } from './server-process.js';
import { measureStartup, STARTUP_LIMIT_MS, startupEnvironmentNote } from './startup.js';
import { type RssMethod, type TimedRun, describeRssMethod, detectRssMethod, runTimed } from './timed-process.js';

/** Peak RSS limits of the issue's targets. */
const RSS_LIMIT = 120 * MB;
const RSS_GROWTH_LIMIT = 0.2;
/** Backup wall time over the single-stream floor: at most this from 20k points, SMALL_FLOOR_RATIO_LIMIT below. */
const FLOOR_RATIO_LIMIT = 0.75;
const SMALL_FLOOR_RATIO_LIMIT = 1.2;
const SMALL_SIZE = 20_000;
/** Restore at least 1.3x faster per point than backup. */
const RESTORE_RATIO_LIMIT = 1 / 1.3;

function floorRatioLimit(points: number): number {
  return points < SMALL_SIZE ? SMALL_FLOOR_RATIO_LIMIT : FLOOR_RATIO_LIMIT;
}

/** A timed run with what the rest of the machine did meanwhile. */
interface MeasuredRun extends TimedRun {
  /** Cores kept busy by other programs during the run (not the tool, the test server or the harness). */
  othersCores: number | null;
  /** CPU time of the test server during the run. */
  serverMs: number | null;
  /** Seconds spent waiting for a quiet machine before the run. */
  settledMs: number;
}

interface CommandFigures {
  runsMs: number[];
  medianMs: number;
  /** Median CPU time of the tool's process (user + system). */
  cpuMs: number | null;
  /** Median CPU time of the test server during a run. */
  serverCpuMs: number | null;
  /** Mean cores used by other programs during the runs. */
  othersCores: number | null;
  pointsPerSec: number;
  inputMBps: number;
  peakRss: number | null;
  peakRssRuns: (number | null)[];
}

interface PhaseLine {
  label: string;
  ms: number;
}

interface SizeResult {
  memories: number;
  dims: number;
  runs: number;
  setup: { buildMs: number; loadMs: number; dbBytes: number };
  input: { database: number; vectors: number; total: number };
  archiveBytes: number;
  backup: CommandFigures;
  restore: CommandFigures;
  floor: { runsMs: number[]; medianMs: number; cpuMs: number; othersCores: number | null; compressed: number };
  /** The floor's single streams with the tools' settings (the vector file as number text). */
  floorAsTools: { runsMs: number[]; medianMs: number; compressed: number };
  /** The same bytes deflated in blocks on the whole thread pool, as ba-backup now does. */
  parallel: { runsMs: number[]; medianMs: number; threads: number; compressed: number };
  backupOverFloor: number;
  numberForm: NumberForm | null;
  phases: { backup: PhaseLine[]; restore: PhaseLine[] } | null;
  profiles: { backup: ProfileSummary | null; restore: ProfileSummary | null } | null;
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function progress(line: string): void {
  process.stderr.write(`  .. ${line}\n`);
}

function peak(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : median(known);
}

function meanOrNull(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
}

function figures(runs: readonly MeasuredRun[], points: number, inputBytes: number): CommandFigures {
  const runsMs = runs.map((r) => r.wallMs);
  const medianMs = median(runsMs);
  const peakRssRuns = runs.map((r) => r.peakRss);
  return {
    runsMs,
    medianMs,
    cpuMs: medianOrNull(runs.map((r) => r.cpuMs)),
    serverCpuMs: medianOrNull(runs.map((r) => r.serverMs)),
    othersCores: meanOrNull(runs.map((r) => r.othersCores)),
    pointsPerSec: points / (medianMs / 1000),
    inputMBps: inputBytes / MB / (medianMs / 1000),
    peakRss: peak(peakRssRuns),
    peakRssRuns,
  };
}

function failed(what: string, run: TimedRun): Error {
  return new Error(`${what} exited with ${run.code ?? run.signal}:\n${run.stdout}\n${run.stderr}`.trimEnd());
}

async function readEntrySizes(archivePath: string): Promise<{ database: number; vectors: number }> {
  const reader = await ArchiveReader.open(archivePath);
  try {
    const { data } = await reader.readSmallEntry(MANIFEST_ENTRY, 1024 * 1024);
    const manifest = JSON.parse(data.toString('utf8')) as { entries?: Record<string, { size: number }> };
    const size = (name: string): number =>
      manifest.entries?.[name]?.size ?? reader.entries.get(name)?.uncompressedSize ?? 0;
    return { database: size(DATABASE_ENTRY), vectors: size(VECTORS_ENTRY) };
  } finally {
    reader.close();
  }
}

async function benchSize(memories: number, options: BenchOptions, rss: RssMethod): Promise<SizeResult> {
  const { dims, runs } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-bench-'));
  const removeDir = options.keep ? onCleanup(() => undefined) : removeFolderOnCleanup(dir);
  const server = await startServerProcess();
  try {
    log(`\n== ${int(memories)} memories, ${dims} dims, ${runs} run${runs === 1 ? '' : 's'} of each command ==`);
    if (options.keep) log(`temporary folder (kept): ${dir}`);
    progress(
      `building the fixture store and loading ${int(memories)} points into the test server (pid ${server.pid}, ${server.url})`,
    );
    const store = await seedStore(path.join(dir, 'store'), memories, dims, server.url, options.loadBatch);
    log(
      `setup: store built in ${secs(store.buildMs)} s (database ${mb(store.dbBytes)} MB); ` +
        `${int(memories)} points loaded into the test server (own process) in ${secs(store.loadMs)} s, ${options.loadBatch} per upsert`,
    );
    const env = cleanEnv({ QDRANT_URL: server.url });
    const common = options.batchSize === null ? [] : ['--batch-size', String(options.batchSize)];
    const timed = { cwd: store.root, env, rss };
    const settle = async (): Promise<number> => {
      if (options.settle === 0) return 0;
      const quiet = await waitForQuiet(server.pid, options.settle * 1000);
      if (quiet.othersCores !== null && quiet.othersCores >= 0.25) {
        progress(
          `other programs still use ${quiet.othersCores.toFixed(2)} cores after ${secs(quiet.waitedMs)} s; measuring anyway`,
        );
      }
      return quiet.waitedMs;
    };
    const measure = async (bin: string, args: string[]): Promise<MeasuredRun> => {
      const settledMs = await settle();
      const window = startCpuWindow(server.pid);
      const run = await runTimed(bin, args, timed);
      return { ...run, ...window.end(run.cpuMs), settledMs };
    };

    // The deflate floors are timed right after each backup run, so that a machine whose speed
    // drifts moves both alike (measured: the 20k floor 17.6 s in one run, 22.4 s minutes later).
    const extractDir = path.join(dir, 'extracted');
    fs.mkdirSync(extractDir);
    let entries: ExtractedEntry[] = [];
    const floorRuns: number[] = [];
    const floorCpu: number[] = [];
    const floorOthers: (number | null)[] = [];
    let compressed = 0;
    const asToolsRuns: number[] = [];
    let asToolsCompressed = 0;
    const parallelRuns: number[] = [];
    let parallelCompressed = 0;
    const measureDeflates = async (r: number): Promise<void> => {
      progress(`floor run ${r}/${runs}`);
      await settle();
      const window = startCpuWindow(server.pid);
      const cpu0 = ownCpuMs();
      const f = await deflateFloor(entries);
      floorCpu.push(ownCpuMs() - cpu0);
      floorOthers.push(window.end(0).othersCores);
      floorRuns.push(f.ms);
      compressed = f.compressed;
      progress(`floor with the tools' settings run ${r}/${runs}`);
      await settle();
      const t = await deflateFloor(entries, true);
      asToolsRuns.push(t.ms);
      asToolsCompressed = t.compressed;
      progress(`parallel deflate run ${r}/${runs}`);
      await settle();
      const p = await parallelDeflate(entries);
      parallelRuns.push(p.ms);
      parallelCompressed = p.compressed;
    };

    // ba-backup, R runs, each followed by the floors; keep the last archive for the restores
    const backupRuns: MeasuredRun[] = [];
    let archive: string | null = null;
    for (let r = 1; r <= runs; r++) {
      progress(`ba-backup run ${r}/${runs}`);
      const run = await measure(BIN.backup, ['-d', `bench run ${r}`, ...common]);
      if (run.code !== 0) throw failed('ba-backup', run);
      const location = /Location: (.*\.zip)\s*$/m.exec(run.stdout)?.[1];
      if (!location) throw new Error(`ba-backup did not print the archive location:\n${run.stdout}`);
      if (archive) fs.rmSync(archive, { force: true });
      archive = path.resolve(store.root, location);
      backupRuns.push(run);
      if (r === 1) entries = await extractEntries(archive, [DATABASE_ENTRY, VECTORS_ENTRY], extractDir);
      await measureDeflates(r);
    }
    const archivePath = archive!;
    const archiveBytes = fs.statSync(archivePath).size;
    const entrySizes = await readEntrySizes(archivePath);
    const input = { ...entrySizes, total: entrySizes.database + entrySizes.vectors };

    // ba-restore, R runs of the same archive
    const restoreArgs = [archivePath, '--yes', '--no-safety-backup', ...common];
    if (options.concurrency !== null) restoreArgs.push('--concurrency', String(options.concurrency));
    const restoreRuns: MeasuredRun[] = [];
    for (let r = 1; r <= runs; r++) {
      progress(`ba-restore run ${r}/${runs}`);
      const run = await measure(BIN.restore, restoreArgs);
      if (run.code !== 0) throw failed('ba-restore', run);
      restoreRuns.push(run);
    }

    const vectorsEntry = entries.find((e) => e.name === VECTORS_ENTRY);
    const dbEntry = entries.find((e) => e.name === DATABASE_ENTRY)!;
    const numberForm = vectorsEntry ? await checkNumberForm(vectorsEntry.path) : null;

    const backup = figures(backupRuns, memories, input.total);
    const restore = figures(restoreRuns, memories, input.total);
    const floorMs = median(floorRuns);
    const result: SizeResult = {
      memories,
      dims,
      runs,
      setup: { buildMs: store.buildMs, loadMs: store.loadMs, dbBytes: store.dbBytes },
      input,
      archiveBytes,
      backup,
      restore,
      floor: {
        runsMs: floorRuns,
        medianMs: floorMs,
        cpuMs: median(floorCpu),
        othersCores: meanOrNull(floorOthers),
        compressed,
      },
      floorAsTools: { runsMs: asToolsRuns, medianMs: median(asToolsRuns), compressed: asToolsCompressed },
      parallel: {
        runsMs: parallelRuns,
        medianMs: median(parallelRuns),
        threads: threadPoolSize(),
        compressed: parallelCompressed,
      },
      backupOverFloor: backup.medianMs / floorMs,
      numberForm,
      phases: null,
      profiles: null,
    };

    if (options.phases) {
      progress('replaying the phases');
      const batch = options.batchSize ?? 100;
      const startRuns: number[] = [];
      for (let r = 0; r < runs; r++) startRuns.push((await runTimed(BIN.backup, ['--version'], timed)).wallMs);
      const startMs = median(startRuns);
      const snapshotMs = replaySnapshot(store.dbPath, extractDir);
      const scroll: ScrollReplay = await replayScroll(server.url, store.collectionName, batch);
      const { sha256Ms, crc32Ms } = hashEntries(entries);
      const inflateMs = await inflateEntries(archivePath, [DATABASE_ENTRY, VECTORS_ENTRY]);
      const read = vectorsEntry ? await replayVectorsRead(vectorsEntry.path) : { ms: 0, points: 0 };
      // the import reads the vector file alone, and only splits it (verification checked each point)
      const importInflateMs = await inflateEntries(archivePath, [VECTORS_ENTRY]);
      const importHashes = hashEntries(vectorsEntry ? [vectorsEntry] : []);
      const split = vectorsEntry ? await replayVectorsSplit(vectorsEntry.path, batch) : { ms: 0, points: 0 };
      const integrityMs = replayIntegrityCheck(dbEntry.path);
      const installMs = await replayInstall(dbEntry.path, extractDir);
      const upserts = vectorsEntry
        ? await replayUpserts(server.url, store.collectionName, vectorsEntry.path, batch)
        : { waitMs: 0, requests: 0 };
      const hashing = sha256Ms + crc32Ms;
      result.phases = {
        backup: [
          { label: 'node start + module load (--version)', ms: startMs },
          { label: 'sqlite: VACUUM INTO + integrity_check', ms: snapshotMs },
          { label: `waiting for Qdrant: ${int(scroll.pages)} scroll pages of ${batch}`, ms: scroll.waitMs },
          { label: 'parsing: split scroll answers (RawArraySplitter)', ms: scroll.splitMs },
          { label: 'parsing: checkPoint (JSON.parse + checks)', ms: scroll.checkMs },
          {
            label: `compression: deflate as ba-backup, blocks on ${threadPoolSize()} threads`,
            ms: median(parallelRuns),
          },
          { label: 'hashing: SHA-256 + CRC-32 of entries', ms: hashing },
          { label: 'read-back: inflate', ms: inflateMs },
          { label: 'read-back: SHA-256 + CRC-32', ms: hashing },
        ],
        restore: [
          { label: 'node start + module load (--version)', ms: startMs },
          { label: 'verify: inflate', ms: inflateMs },
          { label: 'verify: SHA-256 + CRC-32', ms: hashing },
          { label: 'verify: sqlite integrity_check', ms: integrityMs },
          { label: 'verify: vector file split + checkPoint', ms: read.ms },
          { label: 'install database (backup API + integrity_check)', ms: installMs },
          { label: 'import: inflate (vector file)', ms: importInflateMs },
          { label: 'import: SHA-256 + CRC-32 (vector file)', ms: importHashes.sha256Ms + importHashes.crc32Ms },
          { label: 'import: vector file split into batches', ms: split.ms },
          {
            label: `waiting for Qdrant: ${int(upserts.requests)} upserts of ${batch}, one at a time`,
            ms: upserts.waitMs,
          },
        ],
      };
    }

    if (options.profileDir) {
      const profileDir = path.resolve(options.profileDir);
      fs.mkdirSync(profileDir, { recursive: true });
      const profileRun = async (bin: string, args: string[], what: string): Promise<ProfileSummary | null> => {
        progress(`${what} under --cpu-prof`);
        const since = Date.now();
        const run = await runTimed(bin, args, {
          ...timed,
          nodeFlags: [
            '--cpu-prof',
            '--cpu-prof-dir',
            profileDir,
            '--cpu-prof-name',
            `${what}-${memories}-${process.pid}.cpuprofile`,
          ],
        });
        if (run.code !== 0) throw failed(`${what} --cpu-prof`, run);
        if (what === 'ba-backup') {
          const location = /Location: (.*\.zip)\s*$/m.exec(run.stdout)?.[1];
          if (location) fs.rmSync(path.resolve(store.root, location), { force: true });
        }
        const file = newestProfile(profileDir, since);
        return file ? summariseProfile(file) : null;
      };
      result.profiles = {
        backup: await profileRun(BIN.backup, ['-d', 'bench profile', ...common], 'ba-backup'),
        restore: await profileRun(BIN.restore, restoreArgs, 'ba-restore'),
      };
    }

    printSize(result);
    return result;
  } finally {
    await server.stop();
    removeDir();
  }
}

function printSize(r: SizeResult): void {
  log(
    `archive input: database ${mb(r.input.database)} MB + ${VECTORS_ENTRY} ${mb(r.input.vectors)} MB = ${mb(r.input.total)} MB; ` +
      `archive ${mb(r.archiveBytes)} MB (${pct(r.archiveBytes, r.input.total)} of input)`,
  );
  log();
  const row = (name: string, f: CommandFigures, archive: string): string[] => [
    name,
    secs(f.medianMs),
    f.runsMs.map(secs).join(' '),
    int(f.pointsPerSec),
    f.inputMBps.toFixed(1),
    mb(f.peakRss),
    archive,
  ];
  log(
    table([
      ['command', 'median s', 'runs s', 'points/s', 'input MB/s', 'peak RSS MB', 'archive MB'],
      row('ba-backup', r.backup, mb(r.archiveBytes)),
      row('ba-restore', r.restore, '-'),
    ]),
  );
  log();
  const cores = (c: number | null): string => (c === null ? 'n/a' : c.toFixed(2));
  const cpuRow = (name: string, f: CommandFigures): string[] => [
    name,
    f.cpuMs === null ? 'n/a' : secs(f.cpuMs),
    f.serverCpuMs === null ? 'n/a' : secs(f.serverCpuMs),
    cores(f.othersCores),
  ];
  log(
    table([
      ['CPU time (medians)', 'tool CPU s', 'test server CPU s', 'other programs, cores'],
      cpuRow('ba-backup', r.backup),
      cpuRow('ba-restore', r.restore),
      ['deflate floor', secs(r.floor.cpuMs), '-', cores(r.floor.othersCores)],
    ]),
  );
  if ([r.backup.othersCores, r.restore.othersCores, r.floor.othersCores].some((c) => c !== null && c >= 0.25)) {
    log('  note: other programs kept the machine busy during some runs; wall times are pessimistic');
  }
  log();
  log(
    `floor: deflate level 6 of the same ${mb(r.input.total)} MB, node zlib, one stream per entry, 1 MiB in, 256 KiB out: ` +
      `median ${secs(r.floor.medianMs)} s (${(r.input.total / MB / (r.floor.medianMs / 1000)).toFixed(1)} MB/s; runs ${r.floor.runsMs.map(secs).join(' ')}) -> ${mb(r.floor.compressed)} MB`,
  );
  log(
    `floor with the tools' settings (the vector file at level ${NUMBER_TEXT_DEFLATE.level}, filtered strategy), one stream per entry: ` +
      `median ${secs(r.floorAsTools.medianMs)} s (${ratio(r.floorAsTools.medianMs, r.floor.medianMs)} of the floor; runs ${r.floorAsTools.runsMs.map(secs).join(' ')}) -> ${mb(r.floorAsTools.compressed)} MB`,
  );
  log(
    `parallel deflate (as ba-backup runs it), blocks of 512 KiB on ${r.parallel.threads} pool threads: median ${secs(r.parallel.medianMs)} s ` +
      `(${ratio(r.parallel.medianMs, r.floor.medianMs)} of the floor; runs ${r.parallel.runsMs.map(secs).join(' ')}) -> ${mb(r.parallel.compressed)} MB`,
  );
  const perRun = r.backup.runsMs.map((ms, i) => ratio(ms, r.floor.runsMs[i] ?? NaN)).join(' ');
  log(
    `backup / floor: ${ratio(r.backup.medianMs, r.floor.medianMs)} (target <= ${floorRatioLimit(r.memories)}; ` +
      `each backup run over the floor run that followed it: ${perRun})`,
  );
  log(`backup / floor with the tools' settings: ${ratio(r.backup.medianMs, r.floorAsTools.medianMs)}`);
  for (const [name, f] of [
    ['ba-backup', r.backup],
    ['ba-restore', r.restore],
  ] as const)
    log(`${name} peak RSS of each run: ${f.peakRssRuns.map(mb).join(' / ')} MB`);
  log(
    `restore / backup time per point: ${ratio(r.restore.medianMs, r.backup.medianMs)} (target <= ${RESTORE_RATIO_LIMIT.toFixed(2)})`,
  );
  if (r.numberForm) {
    const n = r.numberForm;
    log(
      `vector numbers (first ${int(n.sampledPoints)} points, ${int(n.numbers)} numbers): ${int(n.numbers - n.longer)} in shortest float32 form, ` +
        `${int(n.longer)} longer${n.example ? ` (e.g. ${n.example})` : ''}; ${n.meanChars.toFixed(1)} characters per number`,
    );
  }

  if (r.phases) {
    log();
    log("where the time goes: each phase replayed alone in the harness with the project's code");
    log('(the tools overlap some phases, e.g. deflate runs on the thread pool; sum vs median shows how much)');
    for (const [name, lines, f] of [
      ['ba-backup', r.phases.backup, r.backup],
      ['ba-restore', r.phases.restore, r.restore],
    ] as const) {
      const sum = lines.reduce((s, l) => s + l.ms, 0);
      log(
        table([
          [name, 's', '% of median'],
          ...lines.map((l) => [`  ${l.label}`, secs(l.ms), pct(l.ms, f.medianMs)]),
          ['  sum of the phases, one after the other', secs(sum), pct(sum, f.medianMs)],
          ['  measured median wall time', secs(f.medianMs), '100%'],
        ]),
      );
    }
  }

  if (r.profiles) {
    for (const [name, p] of [
      ['ba-backup', r.profiles.backup],
      ['ba-restore', r.profiles.restore],
    ] as const) {
      log();
      if (!p) {
        log(`${name}: no profile was written`);
        continue;
      }
      log(`${name} CPU profile of the main thread (${p.file}): ${secs(p.totalMs)} s sampled`);
      log(
        table([
          ['top self time by function', 'ms', '%'],
          ...p.functions.map((f) => [`  ${f.name} ${f.where}`, int(f.ms), pct(f.ms, p.totalMs)]),
        ]),
      );
      log(table([['by module', 'ms', '%'], ...p.modules.map((f) => [`  ${f.name}`, int(f.ms), pct(f.ms, p.totalMs)])]));
    }
  }
}

function verdict(ok: boolean | null): string {
  return ok === null ? 'n/a' : ok ? 'holds' : 'does NOT hold';
}

function printTargets(results: readonly SizeResult[]): void {
  log('\n== targets (issues 7 and 17) ==');
  for (const r of results) {
    for (const [name, f] of [
      ['ba-backup', r.backup],
      ['ba-restore', r.restore],
    ] as const) {
      log(
        `  ${int(r.memories)} points: ${name} peak RSS, highest of the runs, ${mb(f.peakRss)} MB <= ${mb(RSS_LIMIT)} MB: ${verdict(f.peakRss === null ? null : f.peakRss <= RSS_LIMIT)}`,
      );
    }
    log(
      `  ${int(r.memories)} points: backup / floor ${ratio(r.backup.medianMs, r.floor.medianMs)} <= ${floorRatioLimit(r.memories)}: ${verdict(r.backupOverFloor <= floorRatioLimit(r.memories))}`,
    );
    log(
      `  ${int(r.memories)} points: restore ${int(r.restore.pointsPerSec)} points/s >= 1.3 x backup ${int(r.backup.pointsPerSec)} points/s: ${verdict(r.restore.medianMs <= r.backup.medianMs * RESTORE_RATIO_LIMIT)}`,
    );
    if (r.numberForm)
      log(`  ${int(r.memories)} points: vector numbers in shortest form: ${verdict(r.numberForm.longer === 0)}`);
  }
  if (results.length > 1) {
    const small = results.reduce((a, b) => (b.memories < a.memories ? b : a));
    const large = results.reduce((a, b) => (b.memories > a.memories ? b : a));
    for (const key of ['backup', 'restore'] as const) {
      const a = small[key].peakRss;
      const b = large[key].peakRss;
      const growth = a === null || b === null ? null : b / a - 1;
      log(
        `  ba-${key} peak RSS at ${int(large.memories)} vs ${int(small.memories)} points: ${mb(b)} vs ${mb(a)} MB ` +
          `(${growth === null ? 'n/a' : `${growth >= 0 ? '+' : ''}${(100 * growth).toFixed(0)}%`}) within 20%: ${verdict(growth === null ? null : growth <= RSS_GROWTH_LIMIT)}`,
      );
    }
  }
}

function printMarkdown(results: readonly SizeResult[], machine: Machine, rss: RssMethod): void {
  log('\n== markdown for the README ==');
  log(
    `Measured on ${machineLine(machine)}; ${results[0]!.dims} dims, median of ${results[0]!.runs} runs; ` +
      `libuv thread pool ${threadPoolSize()} threads; peak RSS (every run) by ${describeRssMethod(rss)}.\n`,
  );
  const rows: string[][] = [
    [
      'points',
      'command',
      'median s',
      'points/s',
      'input MB/s',
      'peak RSS MB, each run',
      'archive MB',
      'floor s',
      "floor, tools' settings s",
      'parallel deflate s',
      'backup / floor',
    ],
  ];
  for (const r of results) {
    rows.push([
      int(r.memories),
      'ba-backup',
      secs(r.backup.medianMs),
      int(r.backup.pointsPerSec),
      r.backup.inputMBps.toFixed(1),
      r.backup.peakRssRuns.map(mb).join(' / '),
      mb(r.archiveBytes),
      secs(r.floor.medianMs),
      secs(r.floorAsTools.medianMs),
      secs(r.parallel.medianMs),
      ratio(r.backup.medianMs, r.floor.medianMs),
    ]);
    rows.push([
      int(r.memories),
      'ba-restore',
      secs(r.restore.medianMs),
      int(r.restore.pointsPerSec),
      r.restore.inputMBps.toFixed(1),
      r.restore.peakRssRuns.map(mb).join(' / '),
      '',
      '',
      '',
      '',
      '',
    ]);
  }
  log(markdownTable(rows));
}

async function main(): Promise<void> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    log(USAGE);
    return;
  }
  const machine = describeMachine();
  const rss = detectRssMethod();
  log(
    `ba-backup benchmark: ${options.sizes.map(int).join(', ')} memories of ${options.dims} dims, ${options.runs} runs each`,
  );
  log(`machine: ${machineLine(machine)}`);
  log(`peak RSS: ${describeRssMethod(rss)}`);
  // the build that npm run bench starts with leaves the machine busy for a moment
  if (options.settle > 0) await waitForQuiet(process.pid, options.settle * 1000);
  const startup = measureStartup();
  log(`\nstartup, median of 20 runs, taking turns (goal: bins under ${STARTUP_LIMIT_MS} ms):`);
  for (const s of startup) log(`  ${s.command.padEnd(44)} ${s.medianMs.toFixed(0).padStart(5)} ms`);
  const environment = startupEnvironmentNote();
  if (environment) log(`  ${environment}`);
  const results: SizeResult[] = [];
  for (const size of options.sizes) results.push(await benchSize(size, options, rss));
  printTargets(results);
  printMarkdown(results, machine, rss);
  if (options.jsonOut) {
    fs.writeFileSync(
      options.jsonOut,
      `${JSON.stringify({ machine, rssMethod: rss, options, startup, results }, null, 2)}\n`,
    );
    log(`\nfigures written to ${options.jsonOut}`);
  }
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(cleanupAll);
