/**
 * Where the time goes: the tools' phases replayed one at a time in the
 * harness, with the project's own functions, so that each cost is seen
 * alone (the tools overlap some of them; the sum shows how much).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { joinedParts } from '../src/json/join-bytes.js';
import { RawArraySplitter } from '../src/json/raw-array-splitter.js';
import { checkPoint, comparePointKeys, type PointKey, vectorShapeOf } from '../src/qdrant/points.js';
import { type ReadVectorsResult, readVectorsFile, splitVectorsFile } from '../src/qdrant/vectors-file.js';
import type { CollectionConfig } from '../src/qdrant/collection.js';
import { snapshotDatabase } from '../src/sqlite/snapshot.js';
import { installDatabase } from '../src/sqlite/install.js';
import { integrityCheck } from '../src/sqlite/stats.js';

async function post(url: string, method: 'POST' | 'PUT', body: string | Buffer): Promise<Buffer> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: body as BodyInit,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new Error(`${method} ${url}: HTTP ${response.status}: ${bytes.toString('utf8', 0, 200)}`);
  return bytes;
}

const COMMA = Buffer.from(',');

export interface ScrollReplay {
  pages: number;
  points: number;
  /** Response text bytes. */
  bytes: number;
  /** fetch until the whole answer text is in. */
  waitMs: number;
  /** RawArraySplitter over the answers. */
  splitMs: number;
  /** checkPoint (JSON.parse + checks) and the id order. */
  checkMs: number;
}

/** Scrolls the whole collection page after page with no overlap, as the tool's requests do. */
export async function replayScroll(serverUrl: string, collection: string, batchSize: number): Promise<ScrollReplay> {
  const base = `${serverUrl}/collections/${encodeURIComponent(collection)}`;
  const info = JSON.parse(await (await fetch(base)).text()) as { result: { config: CollectionConfig } };
  const shape = vectorShapeOf(info.result.config);
  const r: ScrollReplay = { pages: 0, points: 0, bytes: 0, waitMs: 0, splitMs: 0, checkMs: 0 };
  let offset: string | null = null;
  let last: PointKey | null = null;
  do {
    const body = `{"limit":${batchSize},"with_payload":true,"with_vector":true${offset === null ? '' : `,"offset":${offset}`}}`;
    let t = performance.now();
    const bytes = await post(`${base}/points/scroll`, 'POST', body);
    r.waitMs += performance.now() - t;
    r.bytes += bytes.length;

    t = performance.now();
    const splitter = new RawArraySplitter(['result', 'points']);
    const points = splitter.push(bytes);
    splitter.end();
    const next = splitter.siblings.get('next_page_offset') ?? 'null';
    r.splitMs += performance.now() - t;

    t = performance.now();
    for (const raw of points) {
      const key = checkPoint(raw, shape).key;
      if (last && comparePointKeys(last, key) >= 0) throw new Error('scroll replay: points out of order');
      last = key;
    }
    r.checkMs += performance.now() - t;

    r.pages++;
    r.points += points.length;
    offset = next === 'null' ? null : next;
  } while (offset !== null);
  return r;
}

/** The project's reader of a vector file (UTF-8 decode, split, checkPoint per point) over the extracted entry. */
export async function replayVectorsRead(jsonPath: string): Promise<{ ms: number; points: number }> {
  const t = performance.now();
  const result: { value?: ReadVectorsResult } = {};
  for await (const _batch of readVectorsFile(fs.createReadStream(jsonPath), 1000, result)) {
    // reading is the work
  }
  return { ms: performance.now() - t, points: result.value?.points ?? 0 };
}

/** The import's pass over the verified vector file: split into upsert batches, nothing parsed. */
export async function replayVectorsSplit(jsonPath: string, batchSize: number): Promise<{ ms: number; points: number }> {
  const t = performance.now();
  let points = 0;
  for await (const batch of splitVectorsFile(fs.createReadStream(jsonPath), batchSize)) points += batch.length;
  return { ms: performance.now() - t, points };
}

/** Sequential upserts (wait=true) of the archived points' text, as the restore sends them; only the waits are timed. */
export async function replayUpserts(
  serverUrl: string,
  collection: string,
  jsonPath: string,
  batchSize: number,
): Promise<{ waitMs: number; requests: number }> {
  const url = `${serverUrl}/collections/${encodeURIComponent(collection)}/points?wait=true`;
  let waitMs = 0;
  let requests = 0;
  for await (const batch of readVectorsFile(fs.createReadStream(jsonPath), batchSize, {})) {
    const body = Buffer.concat(joinedParts(batch.points, COMMA, Buffer.from('{"points":['), Buffer.from(']}')));
    const t = performance.now();
    await post(url, 'PUT', body);
    waitMs += performance.now() - t;
    requests++;
  }
  return { waitMs, requests };
}

/** VACUUM INTO + integrity_check + counts, as a backup takes its snapshot. */
export function replaySnapshot(dbPath: string, scratchDir: string): number {
  const target = path.join(scratchDir, 'snapshot-replay.db');
  fs.rmSync(target, { force: true });
  const t = performance.now();
  snapshotDatabase(dbPath, target);
  const ms = performance.now() - t;
  fs.rmSync(target, { force: true });
  return ms;
}

/** integrity_check of an extracted database, as a restore's validation runs it. */
export function replayIntegrityCheck(dbPath: string): number {
  const t = performance.now();
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    integrityCheck(db);
  } finally {
    db.close();
  }
  return performance.now() - t;
}

/** SQLite backup API copy + integrity_check, as a restore installs the database (into a scratch file). */
export async function replayInstall(verifiedDb: string, scratchDir: string): Promise<number> {
  const target = path.join(scratchDir, 'install-replay.db');
  fs.rmSync(target, { force: true });
  const t = performance.now();
  await installDatabase(verifiedDb, target);
  const ms = performance.now() - t;
  fs.rmSync(target, { force: true });
  return ms;
}
