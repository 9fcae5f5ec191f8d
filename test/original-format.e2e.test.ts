/**
 * Two-way compatibility with the original Python tool.
 *
 * 1. Archives written exactly as the original backup script writes them (see
 *    fixtures/original-archive.ts) restore through the ba-restore bin with the right distance
 *    and every point and row intact; an unknown distance text falls back to Cosine with a
 *    warning; archives without vectors restore the database and leave the collection alone.
 * 2. An archive written by ba-backup for the common case (one unnamed vector) offers the
 *    original restore script every key and shape it reads.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { QdrantClient } from '@qdrant/js-client-rest';
import yauzl from 'yauzl';
import { createMemoryStore, insertMemories, type MemoryStore } from './fixtures/memory-store.js';
import {
  originalManifestText,
  pythonJsonDump,
  pythonTimestamp,
  readLikeOriginal,
  writeOriginalArchive,
  type OriginalQdrant,
} from './fixtures/original-archive.js';
import { runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { seedCollection } from './support/qdrant-seed.js';
import { useQdrant } from './support/qdrant-suite.js';
import { buildZip } from './support/raw-zip.js';
import { makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

type Distance = 'Cosine' | 'Euclid' | 'Dot' | 'Manhattan';

const HAS_PYTHON = spawnSync('python3', ['--version']).status === 0;
const NO_PYTHON = HAS_PYTHON ? false : 'python3 is not installed';

/** The moment every fixture archive claims to be from (local time, as the original). */
const ARCHIVE_DATE = new Date(2024, 10, 24, 10, 15, 0, 123);

function archiveName(date: Date): string {
  return `backup_${pythonTimestamp(date)}.zip`;
}

/** A collection that differs in every way from the archived one, to be replaced. */
async function replaceWithOther(client: QdrantClient, name: string): Promise<void> {
  await client.deleteCollection(name);
  await client.createCollection(name, { vectors: { size: 2, distance: 'Dot' } });
  await client.upsert(name, { wait: true, points: [{ id: 9, vector: [1, 2], payload: { stale: true } }] });
}

describe('archives of the original Python tool restore with ba-restore', () => {
  const suite = useQdrant();

  it('the fixture writes JSON byte for byte as Python json.dump(indent=2) does', { skip: NO_PYTHON }, () => {
    const value = {
      collection_name: 'x',
      vector_size: 3,
      distance: 'Distance.DOT',
      points: [
        {
          id: 'a',
          vector: [1, 0.1, 1e-7, 1e16, -2.5, 123456789.5],
          payload: { t: 'Zoë 😀 \u0000\u007f "q" \\ \t', n: null, e: [], o: {}, big: 18446744073709551615n },
        },
        { id: 18446744073709551615n, vector: [0.30000001192092896], payload: {} },
      ],
    };
    const python =
      'import sys, json\nv = json.loads(sys.stdin.read())\nfor p in v["points"]:\n    p["vector"] = [float(x) for x in p["vector"]]\njson.dump(v, sys.stdout, indent=2)';
    const input = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `__${v}__` : v)).replace(
      /"__(\d+)__"/g,
      '$1',
    );
    const expected = execFileSync('python3', ['-c', python], { input }).toString('utf8');
    assert.equal(pythonJsonDump(value, { floatPaths: ['/points/*/vector/*'] }), expected);
  });

  interface ExportCase {
    title: string;
    agent: string;
    distance: Distance;
    /** the distance text written into the archive, when not the enum text of `distance` */
    distanceText?: string;
    dims: number;
    memories: number;
    /** leave the collection empty */
    noPoints?: boolean;
    legacy?: boolean;
    numpyFloats?: boolean;
    micros?: number;
    alter: 'delete' | 'replace';
    warning?: RegExp;
  }

  const exportCases: ExportCase[] = [
    {
      title: 'Cosine, 768 dims, read from a Qdrant server',
      agent: 'orig_cosine',
      distance: 'Cosine',
      dims: 768,
      memories: 30,
      alter: 'replace',
    },
    {
      title: 'Euclid, embedded-mode (numpy float32) numbers, an old database without the later columns',
      agent: 'orig_euclid',
      distance: 'Euclid',
      dims: 32,
      memories: 20,
      legacy: true,
      numpyFloats: true,
      alter: 'delete',
    },
    {
      title: 'Dot, created_at without microseconds',
      agent: 'orig_dot',
      distance: 'Dot',
      dims: 16,
      memories: 15,
      micros: 0,
      alter: 'replace',
    },
    {
      title: 'Manhattan, old database, numpy numbers',
      agent: 'orig_manhattan',
      distance: 'Manhattan',
      dims: 24,
      memories: 12,
      legacy: true,
      numpyFloats: true,
      alter: 'delete',
    },
    {
      title: 'an unknown distance text falls back to Cosine, with a warning',
      agent: 'orig_unknown',
      distance: 'Cosine',
      distanceText: 'Distance.HAMMING',
      dims: 8,
      memories: 10,
      alter: 'replace',
      warning:
        /\[WARNING\] Archive .*: unknown distance "?Distance\.HAMMING"?; assuming Cosine as the original tool does/,
    },
    {
      title: 'an exported collection with no points',
      agent: 'orig_empty',
      distance: 'Euclid',
      dims: 8,
      memories: 4,
      noPoints: true,
      alter: 'replace',
    },
  ];

  for (const c of exportCases) {
    it(`${c.title}: every row and point, the right distance`, async () => {
      const store = createMemoryStore({
        root: makeTempDir(`ba-orig-${c.agent}`),
        agent: c.agent,
        memories: c.memories,
        dims: c.dims,
        legacy: c.legacy,
      });
      await seedCollection(suite.server.url, store.collectionName, c.noPoints ? [] : store.points, {
        distance: c.distance,
        dims: c.dims,
      });
      const read = await readLikeOriginal(suite.server.url, store.collectionName, { numpyFloats: c.numpyFloats });
      assert.equal(read.points.length, c.noPoints ? 0 : c.memories);
      const archivePath = path.join(store.root, 'backups', archiveName(ARCHIVE_DATE));
      fs.mkdirSync(path.dirname(archivePath), { recursive: true });
      const qdrant: OriginalQdrant = {
        kind: 'exported',
        collectionName: store.collectionName,
        vectorSize: read.vectorSize,
        distance: c.distanceText ?? read.distance,
        points: read.points,
      };
      await writeOriginalArchive(archivePath, {
        dbPath: store.dbPath,
        username: store.username,
        agent: store.agent,
        description: 'Before major changes',
        date: ARCHIVE_DATE,
        micros: c.micros,
        qdrant,
      });

      // the archive is what the original writes
      const entries = await readZipEntries(archivePath);
      assert.deepEqual([...entries.keys()], ['memoryv012.db', 'qdrant_vectors.json', 'manifest.json']);
      const vectorsText = entries.get('qdrant_vectors.json')!.toString('utf8');
      assert.match(
        vectorsText,
        c.noPoints
          ? /^\{\n {2}"collection_name": ".*",\n {2}"vector_size": \d+,\n {2}"distance": "Distance\.[A-Z]+",\n {2}"points": \[\]\n\}$/
          : /^\{\n {2}"collection_name": "[^"]+",\n {2}"vector_size": \d+,\n {2}"distance": "Distance\.[A-Z]+",\n {2}"points": \[\n {4}\{\n {6}"id": "[0-9a-f-]{36}",\n {6}"vector": \[\n {8}-?\d/,
      );
      assert.ok(/^[\x20-\x7e\n]*$/.test(vectorsText), 'ASCII only: non-ASCII escaped as \\uXXXX');
      const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as Record<string, unknown>;
      assert.deepEqual(Object.keys(manifest), ['timestamp', 'created_at', 'description', 'config', 'stats']);
      assert.match(
        String(manifest.created_at),
        c.micros === 0 ? /^2024-11-24T10:15:00$/ : /^2024-11-24T10:15:00\.\d{6}$/,
      );

      const expectedDump = dumpDatabase(store.dbPath);
      const expectedPoints = await suite.server.getPoints(store.collectionName);
      if (c.alter === 'delete') await suite.client.deleteCollection(store.collectionName);
      else await replaceWithOther(suite.client, store.collectionName);
      insertMemories(store.dbPath, 3, { seed: 5, dims: c.dims });
      assert.notDeepEqual(dumpDatabase(store.dbPath), expectedDump);

      const result = await runCli('restore', [archiveName(ARCHIVE_DATE), '--yes', '--agent', c.agent], {
        cwd: store.root,
        env: suite.server.env,
      });
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.match(
        result.stdout,
        /Archive has no checksums \(made by the original Python tool\); relying on the zip CRCs/,
      );
      assert.match(result.stdout, new RegExp(`Vectors: ${expectedPoints.length}\\n`));
      if (c.warning) assert.match(result.stderr, c.warning);
      else assert.doesNotMatch(result.stderr, /WARNING/);

      assert.deepEqual(dumpDatabase(store.dbPath), expectedDump, 'every row');
      const info = await suite.client.getCollection(store.collectionName);
      assert.deepEqual(info.config.params.vectors, { size: c.dims, distance: c.distance }, 'size and distance');
      assert.deepEqual(info.payload_schema, {});
      const restored = await suite.server.getPoints(store.collectionName);
      assert.equal(restored.length, expectedPoints.length);
      restored.forEach((point, k) => {
        const expected = expectedPoints[k]!;
        assert.equal(point.id, expected.id);
        assert.deepEqual(point.vector, expected.vector, `vector of ${String(expected.id)} bit for bit`);
        assert.deepEqual(point.payload, expected.payload, `payload of ${String(expected.id)}`);
      });
    });
  }

  const skippedShapes: Array<{ qdrant: OriginalQdrant; stats: Record<string, unknown>; says: RegExp }> = [
    {
      qdrant: { kind: 'skipped' },
      stats: { total_vectors: 0, skipped: true },
      says: /the archive holds no vectors \(skipped\)/,
    },
    {
      qdrant: { kind: 'collection_not_found' },
      stats: { total_vectors: 0, collection_not_found: true },
      says: /the archive holds no vectors \(collection not found\)/,
    },
    {
      qdrant: { kind: 'error', message: 'Connection refused' },
      stats: { total_vectors: 0, error: 'Connection refused' },
      says: /the archive holds no vectors \(not exported \(Connection refused\)\)/,
    },
  ];

  for (const [k, shape] of skippedShapes.entries()) {
    it(`no qdrant_vectors.json (${Object.keys(shape.stats).join(', ')}), old database: restores the rows, leaves the collection`, async () => {
      const agent = `orig_skip_${k}`;
      const store = createMemoryStore({
        root: makeTempDir(`ba-orig-${agent}`),
        agent,
        memories: 9,
        dims: 8,
        legacy: k !== 1,
      });
      await seedCollection(suite.server.url, store.collectionName, store.points.slice(0, 4), { dims: 8 });
      const archivePath = path.join(store.root, 'backups', archiveName(ARCHIVE_DATE));
      fs.mkdirSync(path.dirname(archivePath), { recursive: true });
      const options = {
        dbPath: store.dbPath,
        username: store.username,
        agent,
        date: ARCHIVE_DATE,
        qdrant: shape.qdrant,
      };
      await writeOriginalArchive(archivePath, options);
      const entries = await readZipEntries(archivePath);
      assert.deepEqual([...entries.keys()], ['memoryv012.db', 'manifest.json']);
      assert.deepEqual(
        (JSON.parse(originalManifestText(options)) as { stats: { qdrant: unknown } }).stats.qdrant,
        shape.stats,
      );

      const expectedDump = dumpDatabase(store.dbPath);
      insertMemories(store.dbPath, 2, { seed: 9, dims: 8 });
      const liveCollection = {
        config: (await suite.client.getCollection(store.collectionName)).config,
        points: await suite.server.getPoints(store.collectionName),
      };

      const result = await runCli('restore', [archivePath, '--yes', '--agent', agent], {
        cwd: store.root,
        env: suite.server.env,
      });
      assert.equal(result.code, 0, result.stderr + result.stdout);
      assert.match(result.stdout, shape.says);
      assert.match(result.stdout, /Vectors: not restored\n/);
      assert.deepEqual(dumpDatabase(store.dbPath), expectedDump);
      assert.deepEqual(
        {
          config: (await suite.client.getCollection(store.collectionName)).config,
          points: await suite.server.getPoints(store.collectionName),
        },
        liveCollection,
      );
    });
  }
});

/** What the original restore maps the distance text back with: str() of each enum member. */
const ORIGINAL_DISTANCES: Record<string, Distance> = {
  'Distance.COSINE': 'Cosine',
  'Distance.EUCLID': 'Euclid',
  'Distance.DOT': 'Dot',
  'Distance.MANHATTAN': 'Manhattan',
};

/** Compression method and name of each entry, read straight from the zip's directory. */
function zipDirectory(file: string): Promise<Array<{ name: string; method: number }>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open'));
      const out: Array<{ name: string; method: number }> = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        out.push({ name: entry.fileName, method: entry.compressionMethod });
        zip.readEntry();
      });
      zip.on('end', () => {
        zip.close();
        resolve(out);
      });
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/**
 * The reads of the original restore script, in Python: zipfile (with its CRC check), json.load
 * of both files, the manifest counts, and the distance mapped back through qdrant_client's enum
 * as str(member). Prints what it would restore.
 */
const ORIGINAL_RESTORE_READS = `
import json, sys, zipfile
from enum import Enum

class Distance(str, Enum):  # qdrant_client.models.Distance
    COSINE = "Cosine"
    EUCLID = "Euclid"
    DOT = "Dot"
    MANHATTAN = "Manhattan"

distance_map = {str(d): d for d in Distance}
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    names = z.namelist()
    if "manifest.json" not in names or "memoryv012.db" not in names:
        sys.exit("not a backup")
    manifest = json.loads(z.read("manifest.json"))
    data = json.loads(z.read("qdrant_vectors.json"))
points = data["points"]
print(json.dumps({
    "names": sorted(names),
    "total_memories": manifest["stats"]["sqlite"]["total_memories"],
    "total_vectors": manifest["stats"]["qdrant"]["total_vectors"],
    "collection_name": data["collection_name"],
    "vector_size": data["vector_size"],
    "distance": distance_map.get(data["distance"], Distance.COSINE).value,
    "distance_known": data["distance"] in distance_map,
    "points": len(points),
    "ids": [p["id"] for p in points],
    "plain_float_lists": all(isinstance(p["vector"], list) and len(p["vector"]) == data["vector_size"] and all(isinstance(x, float) for x in p["vector"]) for p in points),
    "payload_dicts": all(isinstance(p["payload"], dict) for p in points),
}))
`;

describe('ba-backup archives for the original restore script', () => {
  const suite = useQdrant();

  async function backUp(store: MemoryStore): Promise<string> {
    const result = await runCli('backup', ['--agent', store.agent], {
      cwd: store.root,
      env: suite.server.env,
    });
    assert.equal(result.code, 0, result.stderr);
    return /Location: (.*\.zip)/.exec(result.stdout)![1]!;
  }

  const cases: Array<{ distance: Distance; dims: number; memories: number }> = [
    { distance: 'Cosine', dims: 768, memories: 25 }, // the memory server's own collection
    { distance: 'Euclid', dims: 8, memories: 5 },
    { distance: 'Dot', dims: 8, memories: 5 },
    { distance: 'Manhattan', dims: 8, memories: 5 },
  ];
  for (const c of cases) {
    it(`one unnamed ${c.distance} vector: the entries, keys and shapes the original restore reads`, async () => {
      const agent = `compat_${c.distance.toLowerCase()}`;
      const store = createMemoryStore({
        root: makeTempDir(`ba-compat-${agent}`),
        agent,
        memories: c.memories,
        dims: c.dims,
      });
      await seedCollection(suite.server.url, store.collectionName, store.points, {
        distance: c.distance,
        dims: c.dims,
      });
      const archive = await backUp(store);
      const storedIds = (await suite.server.getPoints(store.collectionName)).map((p) => p.id);

      // zip: deflated entries at the root, the two the original requires among them
      const directory = await zipDirectory(archive);
      assert.deepEqual(directory.map((e) => e.name).sort(), ['manifest.json', 'memoryv012.db', 'qdrant_vectors.json']);
      for (const entry of directory) assert.equal(entry.method, 8, `${entry.name} is deflated`);

      const entries = await readZipEntries(archive);
      const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as {
        stats: { sqlite: { total_memories: unknown }; qdrant: { total_vectors: unknown } };
      };
      assert.equal(manifest.stats.sqlite.total_memories, c.memories);
      assert.equal(manifest.stats.qdrant.total_vectors, c.memories);

      const data = JSON.parse(entries.get('qdrant_vectors.json')!.toString('utf8')) as {
        collection_name: unknown;
        vector_size: unknown;
        distance: unknown;
        points: Array<Record<string, unknown>>;
      };
      assert.equal(data.collection_name, store.collectionName);
      assert.equal(data.vector_size, c.dims);
      assert.equal(typeof data.distance, 'string');
      assert.equal(
        ORIGINAL_DISTANCES[data.distance as string],
        c.distance,
        `"${String(data.distance)}" maps back to ${c.distance}`,
      );
      assert.ok(Array.isArray(data.points));
      assert.deepEqual(
        data.points.map((p) => p.id),
        storedIds,
      );
      for (const point of data.points) {
        assert.ok(
          Array.isArray(point.vector) &&
            point.vector.length === c.dims &&
            point.vector.every((x) => typeof x === 'number'),
          'a plain list of numbers',
        );
        assert.ok(
          typeof point.payload === 'object' && point.payload !== null && !Array.isArray(point.payload),
          'a payload object',
        );
      }
      const config = (await suite.client.getCollection(store.collectionName)).config.params.vectors as {
        distance: string;
      };
      assert.equal(config.distance, c.distance);
    });
  }

  it('Python reads a ba-backup archive as the original restore does', { skip: NO_PYTHON }, async () => {
    const store = createMemoryStore({
      root: makeTempDir('ba-compat-python'),
      agent: 'compat_python',
      memories: 12,
      dims: 64,
    });
    await seedCollection(suite.server.url, store.collectionName, store.points, { distance: 'Euclid', dims: 64 });
    const archive = await backUp(store);
    const read = JSON.parse(
      execFileSync('python3', ['-c', ORIGINAL_RESTORE_READS, archive]).toString('utf8'),
    ) as Record<string, unknown>;
    assert.deepEqual(read, {
      names: ['manifest.json', 'memoryv012.db', 'qdrant_vectors.json'],
      total_memories: 12,
      total_vectors: 12,
      collection_name: store.collectionName,
      vector_size: 64,
      distance: 'Euclid',
      distance_known: true,
      points: 12,
      ids: (await suite.server.getPoints(store.collectionName)).map((p) => p.id),
      plain_float_lists: true,
      payload_dicts: true,
    });
  });

  it('refuses a vector file of a newer format, saying to upgrade', async () => {
    const store = createMemoryStore({
      root: makeTempDir('ba-compat-newer'),
      agent: 'compat_newer',
      memories: 3,
      dims: 4,
    });
    await seedCollection(suite.server.url, store.collectionName, store.points, { dims: 4 });
    const entries = await readZipEntries(await backUp(store));
    const vectors = Buffer.from(
      entries.get('qdrant_vectors.json')!.toString('utf8').replace('"format_version":1,', '"format_version":3,'),
    );
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as {
      entries: Record<string, { size: number; sha256: string }>;
    };
    manifest.entries['qdrant_vectors.json'] = {
      size: vectors.length,
      sha256: createHash('sha256').update(vectors).digest('hex'),
    };
    const newer = path.join(makeTempDir('ba-compat-newer-zip'), 'newer.zip');
    fs.writeFileSync(
      newer,
      buildZip([
        { name: 'memoryv012.db', data: entries.get('memoryv012.db')! },
        { name: 'qdrant_vectors.json', data: vectors },
        { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
      ]),
    );
    const result = await runCli('restore', [newer, '--yes', '--agent', 'compat_newer'], {
      cwd: store.root,
      env: suite.server.env,
    });
    assert.equal(result.code, 5, result.stderr);
    assert.match(
      result.stderr,
      /^\[ERROR\] Invalid archive .*newer\.zip: qdrant_vectors\.json: it is vector file format 3; this tool reads up to format 2\. Upgrade ba-backup to restore it\n/,
    );
  });
});
