/**
 * The archive writer's zip (writer.ts, zip-records.ts) as other readers see
 * it: Python's zipfile (what the original restore script uses), Info-ZIP's
 * unzip and yauzl (our reader), including the zip64 records, exercised with
 * lowered limits instead of 4 GiB files.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { ArchiveReader } from '../../src/archive/reader.js';
import { ArchiveWriter, type WriterTuning } from '../../src/archive/writer.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';
import { Rng } from '../fixtures/prng.js';

const HAS_PYTHON = spawnSync('python3', ['--version']).status === 0;
const HAS_UNZIP = spawnSync('unzip', ['-v']).status === 0;

const DATE = new Date(2025, 6, 14, 9, 41, 36);

/** Deflate blocks far smaller than the tools' so that a few hundred KiB span many of them. */
const SMALL_BLOCKS: WriterTuning = { deflate: { blockSize: 40 * 1024, inFlight: 3 } };

interface Sample {
  name: string;
  data: Buffer;
  store?: boolean;
  numberText?: boolean;
}

function samples(): Sample[] {
  const json = Buffer.from(JSON.stringify(Array.from({ length: 4000 }, (_, id) => ({ id, v: [id / 7, -id / 3] }))));
  return [
    { name: 'memories.db', data: randomBytes(300 * 1024 + 5) },
    { name: 'qdrant/vectors.json', data: json, numberText: true },
    { name: 'empty.txt', data: Buffer.alloc(0) },
    { name: 'snapshots/zoë 😀.snapshot', data: randomBytes(70 * 1024), store: true },
    { name: 'manifest.json', data: Buffer.from('{"ok": true}\n') },
  ];
}

async function writeZip(entries: Sample[], tuning: WriterTuning = SMALL_BLOCKS): Promise<string> {
  const file = path.join(makeTempDir('ba-zip-writer'), 'archive.zip');
  const writer = await ArchiveWriter.create(file, DATE, tuning);
  for (const entry of entries) {
    // Streams in uneven pieces, as a file read would.
    const pieces = [entry.data.subarray(0, 1000), entry.data.subarray(1000)];
    const info = await writer.addEntry(entry.name, Readable.from(pieces), {
      store: entry.store,
      numberText: entry.numberText,
    });
    assert.deepEqual(info, { size: entry.data.length, sha256: createHash('sha256').update(entry.data).digest('hex') });
  }
  assert.equal(await writer.finish(), fs.statSync(file).size);
  return file;
}

/** Each entry as Python's zipfile reads it: name, method, mode, date, and the bytes' SHA-256. */
function readWithPython(file: string): unknown {
  const script = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(json.dumps([[i.filename, i.compress_type, i.external_attr >> 16, list(i.date_time),
                       hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, file]).toString('utf8'));
}

function expectedListing(entries: Sample[]): unknown {
  return entries.map((e) => [
    e.name,
    e.store ? 0 : 8,
    0o100600,
    [2025, 7, 14, 9, 41, 36],
    createHash('sha256').update(e.data).digest('hex'),
  ]);
}

async function readWithYauzl(file: string): Promise<Map<string, string>> {
  const reader = await ArchiveReader.open(file);
  try {
    const out = new Map<string, string>();
    for (const name of reader.entries.keys()) out.set(name, (await reader.readThrough(name)).sha256);
    return out;
  } finally {
    reader.close();
  }
}

describe('zip writer', () => {
  after(cleanupTempDirs);

  for (const [label, tuning] of [
    ['classic records', SMALL_BLOCKS],
    // Every size and offset over 1000 and more than 3 entries need zip64 records.
    ['zip64 records (limits lowered)', { ...SMALL_BLOCKS, limits: { max32: 1000, max16: 3 } }],
  ] as const) {
    it(`${label}: Python's zipfile reads every entry, its method, mode and date`, { skip: !HAS_PYTHON }, async () => {
      const entries = samples();
      assert.deepEqual(readWithPython(await writeZip(entries, tuning)), expectedListing(entries));
    });

    it(`${label}: yauzl reads every entry byte for byte`, async () => {
      const entries = samples();
      const read = await readWithYauzl(await writeZip(entries, tuning));
      assert.deepEqual(
        [...read],
        entries.map((e) => [e.name, createHash('sha256').update(e.data).digest('hex')]),
      );
    });

    it(`${label}: unzip -t finds no error`, { skip: !HAS_UNZIP }, async () => {
      const result = spawnSync('unzip', ['-t', await writeZip(samples(), tuning)]);
      assert.equal(result.status, 0, result.stdout.toString());
    });
  }

  it('deflates number text (vector JSON) smaller than the default settings do, and byte for byte', async () => {
    // unit vectors of 768 normal-distributed float32 numbers, as an embedding model makes them
    const rng = new Rng(7);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const points = Array.from({ length: 300 }, (_, id) => {
      const raw = Array.from({ length: 768 }, normal);
      const norm = Math.hypot(...raw);
      return { id, vector: raw.map((x) => Number(Math.fround(x / norm).toPrecision(9))) };
    });
    const json = Buffer.from(JSON.stringify(points));
    const sizes = [];
    for (const numberText of [false, true]) {
      const file = await writeZip([{ name: 'qdrant_vectors.json', data: json, numberText }], {});
      assert.deepEqual([...(await readWithYauzl(file)).values()], [createHash('sha256').update(json).digest('hex')]);
      sizes.push(fs.statSync(file).size);
    }
    assert.ok(sizes[1]! < sizes[0]! * 0.98, `number text ${sizes[1]} bytes against ${sizes[0]} with the defaults`);
  });

  it('writes zip64 end records only past the limits', async () => {
    const classic = fs.readFileSync(await writeZip(samples()));
    const wide = fs.readFileSync(await writeZip(samples(), { ...SMALL_BLOCKS, limits: { max32: 1000, max16: 3 } }));
    const zip64End = Buffer.from([0x50, 0x4b, 0x06, 0x06]);
    assert.equal(classic.includes(zip64End), false);
    assert.equal(wide.includes(zip64End), true);
    assert.equal(wide.readUInt16LE(wide.length - 22 + 10), 0xffff, 'the classic entry count is saturated');
    assert.equal(classic.readUInt16LE(classic.length - 22 + 10), samples().length);
  });

  it('refuses to overwrite a file, and leaves nothing behind on abort', async () => {
    const file = path.join(makeTempDir('ba-zip-writer'), 'archive.zip');
    fs.writeFileSync(file, 'precious');
    await assert.rejects(ArchiveWriter.create(file, DATE), { code: 'EEXIST' });
    assert.equal(fs.readFileSync(file, 'utf8'), 'precious');
    fs.rmSync(file);
    const writer = await ArchiveWriter.create(file, DATE);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    await writer.addEntry('a', 'x');
    await writer.abort();
    assert.equal(fs.existsSync(file), false);
  });

  it('a failing source fails the entry and the archive', async () => {
    const file = path.join(makeTempDir('ba-zip-writer'), 'archive.zip');
    const writer = await ArchiveWriter.create(file, DATE);
    const failing = new Readable({ read() {} });
    failing.push(randomBytes(100));
    setImmediate(() => failing.destroy(new Error('read failed')));
    await assert.rejects(writer.addEntry('a', failing), /read failed/);
    await assert.rejects(writer.finish(), /read failed/);
    await writer.abort();
    assert.equal(fs.existsSync(file), false);
  });
});
