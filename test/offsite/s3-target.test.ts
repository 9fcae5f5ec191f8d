/**
 * The S3 target (offsite/s3-target.ts) against s3rver in-process, or against a
 * real service when BA_TEST_S3_URL is set (see test/support/s3-server.ts);
 * tests that need s3rver's request log or injected faults skip then.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { UsageError, UserError } from '../../src/errors.js';
import { openS3Target, parseS3Url } from '../../src/offsite/s3-target.js';
import { type CopyFacts, factsToRecord, type Target } from '../../src/offsite/target.js';
import { faults, type RecordedRequest, startTestS3, type TestS3 } from '../support/s3-server.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const MiB = 1024 * 1024;
const onlyS3rver = { skip: process.env.BA_TEST_S3_URL ? 'needs s3rver (BA_TEST_S3_URL is set)' : false };

// ---- factories ----------------------------------------------------------------------------------

let s3: TestS3;
let savedEnv: NodeJS.ProcessEnv;
let work: string;
let serial = 0;

/** A fresh target under its own sub-prefix, with its key prefix. */
async function freshTarget(): Promise<{ target: Target; sub: string; keyOf: (name: string) => string }> {
  const sub = `t${++serial}`;
  const target = await openS3Target(s3.urlFor(sub), s3.options);
  return { target, sub, keyOf: (name) => `${s3.prefix}${sub}/${name}` };
}

function copyName(n = ++serial): string {
  return `backup_20260301_${String(120000 + (n % 60)).padStart(6, '0')}_${n}.zip`;
}

/** A file of `size` random bytes. */
function randomFile(size: number, name = `src-${++serial}.bin`): string {
  const file = path.join(work, name);
  const fd = fs.openSync(file, 'wx');
  for (let left = size; left > 0; left -= MiB) fs.writeSync(fd, randomBytes(Math.min(MiB, left)));
  fs.closeSync(fd);
  return file;
}

function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function factsOf(file: string): CopyFacts {
  return {
    sha256: sha256Of(file),
    size: fs.statSync(file).size,
    plainSha256: createHash('sha256').update('plain').digest('hex'),
    encrypted: false,
    complete: true,
    createdAt: '2026-03-01T12:00:00',
  };
}

function outPath(): string {
  return path.join(work, `out-${++serial}.zip`);
}

/** A one-line UserError whose message has all of `parts` and none of `absent`. */
function userError(parts: (string | RegExp)[], absent: string[] = []) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `more than one line: ${err.message}`);
    for (const part of parts) {
      if (typeof part === 'string') assert.ok(err.message.includes(part), `"${part}" missing from: ${err.message}`);
      else assert.match(err.message, part);
    }
    for (const text of absent) assert.ok(!err.message.includes(text), `"${text}" must not be in: ${err.message}`);
    return true;
  };
}

async function objectExists(key: string): Promise<boolean> {
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

async function plant(key: string, body: string | Buffer, metadata?: Record<string, string>): Promise<void> {
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, Metadata: metadata }));
}

/** Runs `fn` with these environment variables changed (undefined removes one), then restores them. */
async function withEnv<T>(changes: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before = { ...process.env };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    return await fn();
  } finally {
    for (const name of Object.keys(changes)) {
      if (before[name] === undefined) delete process.env[name];
      else process.env[name] = before[name];
    }
  }
}

/** The requests s3rver received for `key`. */
function requestsFor(key: string, what?: (request: RecordedRequest) => boolean): RecordedRequest[] {
  return s3.requests.filter((request) => request.key === key && (what?.(request) ?? true));
}
const isPart = (r: RecordedRequest): boolean => r.method === 'PUT' && r.query.has('partNumber');
const isCreate = (r: RecordedRequest): boolean => r.method === 'POST' && r.query.has('uploads');
const isComplete = (r: RecordedRequest): boolean => r.method === 'POST' && r.query.has('uploadId');
const isAbort = (r: RecordedRequest): boolean => r.method === 'DELETE' && r.query.has('uploadId');

/** Gets `name` into a fresh path, recording the progress totals. */
async function getWithProgress(
  target: Target,
  name: string,
): Promise<{ file: string; facts: CopyFacts | null; totals: number[] }> {
  const file = outPath();
  const totals: number[] = [];
  const facts = await target.get(name, file, (bytes) => totals.push(bytes));
  return { file, facts, totals };
}

function assertProgress(totals: number[], size: number): void {
  assert.ok(totals.length > 0, 'no progress reported');
  for (let i = 1; i < totals.length; i++) assert.ok(totals[i]! >= totals[i - 1]!, 'progress went backwards');
  assert.equal(totals.at(-1), size);
}

before(async () => {
  savedEnv = { ...process.env };
  s3 = await startTestS3();
  Object.assign(process.env, s3.env);
  work = makeTempDir('ba-s3-target');
});

after(async () => {
  await s3?.close();
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
  cleanupTempDirs();
});

// ---- parseS3Url ---------------------------------------------------------------------------------

describe('parseS3Url', () => {
  it('takes a bucket and an optional prefix, normalised to "" or "a/b/"', () => {
    const cases: [string, string, string][] = [
      ['s3://bucket', 'bucket', ''],
      ['s3://bucket/', 'bucket', ''],
      ['s3://my.bucket-01/backups', 'my.bucket-01', 'backups/'],
      ['s3://abc/a/b', 'abc', 'a/b/'],
      ['s3://abc/a/b/', 'abc', 'a/b/'],
      ['S3://abc/Mixed Case/x_y', 'abc', 'Mixed Case/x_y/'],
    ];
    for (const [url, bucket, prefix] of cases) assert.deepEqual(parseS3Url(url), { bucket, prefix }, url);
  });

  it('refuses a malformed URL with a one-line usage error', () => {
    const cases: [string, RegExp][] = [
      ['http://bucket/x', /expected s3:\/\/bucket/],
      ['bucket/x', /expected s3:\/\/bucket/],
      ['s3:/bucket', /expected s3:\/\/bucket/],
      ['s3://', /bucket name is missing/],
      ['s3:///prefix', /bucket name is missing/],
      ['s3://ab', /not a valid bucket name/],
      ['s3://Bucket', /not a valid bucket name/],
      ['s3://under_score', /not a valid bucket name/],
      ['s3://-bucket', /not a valid bucket name/],
      ['s3://a..b', /not a valid bucket name/],
      ['s3://192.168.1.1', /not a valid bucket name/],
      ['s3://bucket//x', /empty, "\." or "\.\." segment/],
      ['s3://bucket/a/../b', /empty, "\." or "\.\." segment/],
      ['s3://bucket/a?x=1', /control character/],
      ['s3://bucket/a\nb', /control character/],
    ];
    for (const [url, problem] of cases) {
      assert.throws(
        () => parseS3Url(url),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, url);
          assert.ok(!err.message.includes('\n'), url);
          assert.match(err.message, problem, url);
          return true;
        },
      );
    }
  });

  it('does not echo credentials written into the URL', () => {
    assert.throws(
      () => parseS3Url('s3://AKIAEXAMPLE:hunter2secret@bucket/x'),
      userError(['credentials do not belong in the URL'], ['hunter2secret', 'AKIAEXAMPLE']),
    );
  });
});

// ---- the target ---------------------------------------------------------------------------------

describe('S3 target', () => {
  it('round-trips a 20 MiB copy as a multipart upload: list, facts, byte-identical get, progress', async () => {
    const { target, keyOf } = await freshTarget();
    const file = randomFile(20 * MiB + 12_345);
    const facts = factsOf(file);
    const name = copyName();
    await target.put(file, name, facts);

    assert.deepEqual(await target.list(), [{ name, size: facts.size, facts }]);
    const got = await getWithProgress(target, name);
    assert.deepEqual(got.facts, facts);
    assert.equal(fs.statSync(got.file).size, facts.size);
    assert.equal(sha256Of(got.file), facts.sha256);
    assert.equal(fs.statSync(got.file).mode & 0o777, 0o600);
    assertProgress(got.totals, facts.size);

    if (s3.kind === 's3rver') {
      // 8 MiB parts: 8 + 8 + 4
      assert.equal(requestsFor(keyOf(name), isPart).length, 3);
      const complete = requestsFor(keyOf(name), isComplete);
      assert.equal(complete.length, 1);
      assert.equal(complete[0]?.headers['if-none-match'], '*');
      assert.equal(requestsFor(keyOf(name), isAbort).length, 0);
    }
  });

  it('round-trips small copies (one PutObject) and an empty one', async () => {
    const { target, keyOf } = await freshTarget();
    for (const size of [MiB + 7, 0]) {
      const file = randomFile(size);
      const facts = factsOf(file);
      const name = copyName();
      await target.put(file, name, facts);
      const got = await getWithProgress(target, name);
      assert.deepEqual(got.facts, facts);
      assert.equal(sha256Of(got.file), facts.sha256);
      if (size > 0) assertProgress(got.totals, size);
      if (s3.kind === 's3rver') {
        assert.equal(requestsFor(keyOf(name), isCreate).length, 0);
        const puts = requestsFor(keyOf(name), (r) => r.method === 'PUT');
        assert.equal(puts.length, 1);
        assert.equal(puts[0]?.headers['if-none-match'], '*');
      }
    }
    assert.equal((await target.list()).length, 2);
  });

  it('refuses to overwrite a copy of the same name', async () => {
    const { target } = await freshTarget();
    const first = randomFile(1000);
    const name = copyName();
    await target.put(first, name, factsOf(first));
    const second = randomFile(2000);
    await assert.rejects(
      target.put(second, name, factsOf(second)),
      userError(['already holds', name, 'not overwritten']),
    );
    const got = await getWithProgress(target, name);
    assert.equal(sha256Of(got.file), sha256Of(first));
  });

  it('lists only copies directly under its prefix, with null facts for a copy made by hand', async () => {
    const { target, sub, keyOf } = await freshTarget();
    const file = randomFile(3000);
    const facts = factsOf(file);
    const withFacts = copyName().replace('.zip', '.zip.age');
    await target.put(file, withFacts, facts);
    const byHand = copyName();
    await plant(keyOf(byHand), 'made by hand');
    await plant(keyOf('notes.txt'), 'x');
    await plant(keyOf('backup_1.zip'), 'x');
    await plant(keyOf(`${copyName()}.part`), 'x');
    await plant(keyOf(`sub/${copyName()}`), 'x', factsToRecord(facts));
    await plant(`${s3.prefix}${sub}x/${copyName()}`, 'x', factsToRecord(facts));
    await plant(`${s3.prefix}${copyName()}`, 'x', factsToRecord(facts));

    const listed = (await target.list()).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(
      listed,
      [
        { name: withFacts, size: facts.size, facts },
        { name: byHand, size: 'made by hand'.length, facts: null },
      ].sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it('follows continuation tokens across list pages', onlyS3rver, async () => {
    // s3rver's own tokens need DES, which Node's OpenSSL 3 refuses: the pages are answered here
    const { target, sub, keyOf } = await freshTarget();
    const file = randomFile(100);
    const facts = factsOf(file);
    const [a, b] = [copyName(), copyName()];
    for (const name of [a, b]) await target.put(file, name, facts);
    const page = (keys: string[], next?: string): string =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${s3.bucket}</Name><Prefix>${sub}/</Prefix>` +
      `<KeyCount>${keys.length}</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>` +
      `<IsTruncated>${next !== undefined}</IsTruncated>${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ''}` +
      keys.map((key) => `<Contents><Key>${key}</Key><Size>100</Size></Contents>`).join('') +
      '</ListBucketResult>';
    const isList = (r: RecordedRequest): boolean => r.method === 'GET' && r.query.get('prefix') === `${sub}/`;
    const xml = { 'content-type': 'application/xml' };
    s3.inject({
      match: (r) => isList(r) && !r.query.has('continuation-token'),
      respond: faults.answer(200, xml, page([keyOf(a), keyOf('notes.txt')], 'page-2')),
    });
    s3.inject({
      match: (r) => isList(r) && r.query.get('continuation-token') === 'page-2',
      respond: faults.answer(200, xml, page([keyOf(b)])),
    });
    const listed = await target.list();
    assert.deepEqual(listed.map((copy) => copy.name).sort(), [a, b].sort());
    assert.deepEqual(listed[0]?.facts, facts);
    const lists = s3.requests.filter(isList);
    assert.deepEqual(
      lists.map((r) => [r.query.get('delimiter'), r.query.get('continuation-token')]),
      [
        ['/', null],
        ['/', 'page-2'],
      ],
    );
  });

  it('refuses to get into an existing path and leaves it alone', async () => {
    const { target } = await freshTarget();
    const file = randomFile(1000);
    const name = copyName();
    await target.put(file, name, factsOf(file));
    const out = outPath();
    fs.writeFileSync(out, 'keep me');
    await assert.rejects(target.get(name, out), userError(['already exists', out, name]));
    assert.equal(fs.readFileSync(out, 'utf8'), 'keep me');
  });

  it('reports a missing copy on get and leaves no file behind', async () => {
    const { target } = await freshTarget();
    const out = outPath();
    const name = copyName();
    await assert.rejects(target.get(name, out), (err: unknown) => {
      assert.ok(userError(['holds no copy named', name])(err));
      assert.equal((err as UserError).remedy?.kind, 'archive-not-found');
      return true;
    });
    assert.equal(fs.existsSync(out), false);
  });

  it('refuses names that are not copy names', async () => {
    const { target } = await freshTarget();
    const file = randomFile(10);
    await assert.rejects(target.put(file, '../escape.zip', factsOf(file)), UsageError);
    await assert.rejects(target.get('notes.txt', outPath()), UsageError);
    await assert.rejects(target.remove(['backup_x.zip']), UsageError);
  });

  it('resumes a download cut short, with progress that never goes back', onlyS3rver, async () => {
    const { target, keyOf } = await freshTarget();
    const file = randomFile(12 * MiB + 3);
    const name = copyName();
    await target.put(file, name, factsOf(file));
    s3.inject({
      match: (r) => r.method === 'GET' && r.key === keyOf(name) && r.headers.range === undefined,
      respond: faults.cutAfter(3 * MiB + 5),
    });
    const got = await getWithProgress(target, name);
    assert.equal(sha256Of(got.file), sha256Of(file));
    assertProgress(got.totals, fs.statSync(file).size);
    const ranged = requestsFor(keyOf(name), (r) => r.method === 'GET' && r.headers.range !== undefined);
    assert.equal(ranged.length, 1);
    assert.match(String(ranged[0]?.headers.range), /^bytes=\d+-$/);
  });

  it('removes copies, silently skipping missing ones, in batches of 1000', async () => {
    const { target, keyOf } = await freshTarget();
    const file = randomFile(500);
    const [a, b] = [copyName(), copyName()];
    await target.put(file, a, factsOf(file));
    await target.put(file, b, factsOf(file));
    await target.remove([a]);
    assert.deepEqual(
      (await target.list()).map((copy) => copy.name),
      [b],
    );
    await target.remove([a]);
    await target.remove([]);
    const many = Array.from({ length: 1000 }, (_, i) => `backup_20250101_000000_${i + 1}.zip`);
    const before = s3.requests.length;
    await target.remove([...many, b]);
    assert.deepEqual(await target.list(), []);
    assert.equal(await objectExists(keyOf(b)), false);
    if (s3.kind === 's3rver') {
      const deletes = s3.requests.slice(before).filter((r) => r.method === 'POST' && r.query.has('delete'));
      assert.equal(deletes.length, 2);
    }
  });

  it('removes one key at a time where DeleteObjects is refused', onlyS3rver, async () => {
    const { target, keyOf } = await freshTarget();
    const file = randomFile(500);
    const name = copyName();
    await target.put(file, name, factsOf(file));
    s3.inject({
      match: (r) => r.method === 'POST' && r.query.has('delete'),
      respond: faults.error(400, 'MissingContentMD5'),
    });
    await target.remove([name]);
    assert.equal(await objectExists(keyOf(name)), false);
    assert.equal(requestsFor(keyOf(name), (r) => r.method === 'DELETE').length, 1);
  });

  it('reports the keys DeleteObjects could not delete', onlyS3rver, async () => {
    const { target, keyOf } = await freshTarget();
    const [a, b] = [copyName(), copyName()];
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult>' +
      [a, b]
        .map(
          (name) => `<Error><Key>${keyOf(name)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
        )
        .join('') +
      '</DeleteResult>';
    s3.inject({
      match: (r) => r.method === 'POST' && r.query.has('delete'),
      respond: faults.answer(200, { 'content-type': 'application/xml' }, body),
    });
    await assert.rejects(
      target.remove([a, b]),
      userError([`Cannot delete ${a} and 1 more from ${target.label}`, 'AccessDenied', 'allow these credentials']),
    );
  });

  it('a source that fails mid-way: put rejects with that error, the upload is aborted, nothing is visible', async () => {
    const { target, keyOf } = await freshTarget();
    const file = randomFile(16);
    const facts = { ...factsOf(file), size: 40 * MiB };
    const name = copyName();
    const boom = new Error('the disk went away');
    const original = fs.createReadStream;
    fs.createReadStream = (() =>
      Readable.from(
        (function* () {
          for (let i = 0; i < 5; i++) yield randomBytes(3 * MiB);
          throw boom;
        })(),
      )) as unknown as typeof fs.createReadStream;
    try {
      await assert.rejects(target.put(file, name, facts), (err: unknown) => err === boom);
    } finally {
      fs.createReadStream = original;
    }
    assert.deepEqual(await target.list(), []);
    assert.equal(await objectExists(keyOf(name)), false);
    if (s3.kind === 's3rver') {
      assert.equal(requestsFor(keyOf(name), isCreate).length, 1, 'not a transient failure: no second upload');
      assert.ok(requestsFor(keyOf(name), isPart).length >= 1);
      assert.equal(requestsFor(keyOf(name), isComplete).length, 0);
      assert.equal(requestsFor(keyOf(name), isAbort).length, 1);
    }
  });

  it('a file that no longer matches its facts is not stored', async () => {
    const { target, keyOf } = await freshTarget();
    for (const size of [9 * MiB, 1000]) {
      const file = randomFile(size);
      const changed = { ...factsOf(file), sha256: createHash('sha256').update('other').digest('hex') };
      const name = copyName();
      await assert.rejects(
        target.put(file, name, changed),
        userError([file, 'changed while it was being uploaded', target.label, 'nothing was stored']),
      );
      assert.equal(await objectExists(keyOf(name)), false);
      if (s3.kind === 's3rver') {
        assert.equal(requestsFor(keyOf(name), isComplete).length, 0);
        assert.equal(requestsFor(keyOf(name), (r) => r.method === 'PUT' && !r.query.has('partNumber')).length, 0);
        assert.equal(requestsFor(keyOf(name), isAbort).length, size > 8 * MiB ? 1 : 0);
      }
    }
  });

  it('runs an upload once more after a transient failure', onlyS3rver, async () => {
    const { target, keyOf } = await freshTarget();
    const file = randomFile(17 * MiB);
    const facts = factsOf(file);
    const name = copyName();
    // the SDK tries each request 4 times: part 2 fails for good in the first upload only
    s3.inject({
      match: (r) => isPart(r) && r.key === keyOf(name) && r.query.get('partNumber') === '2',
      times: 4,
      respond: faults.error(503, 'ServiceUnavailable'),
    });
    await target.put(file, name, facts);
    assert.deepEqual(await target.list(), [{ name, size: facts.size, facts }]);
    assert.equal(requestsFor(keyOf(name), isCreate).length, 2);
    assert.equal(requestsFor(keyOf(name), isAbort).length, 1);
    assert.equal(requestsFor(keyOf(name), isComplete).length, 1);
  });

  it('gives up after the second try of an upload, naming the target', onlyS3rver, async () => {
    const { target, keyOf } = await freshTarget();
    const file = randomFile(9 * MiB);
    const name = copyName();
    s3.inject({
      match: (r) => isPart(r) && r.key === keyOf(name),
      times: 1000,
      respond: faults.error(500, 'InternalError', 'We encountered an internal error.'),
    });
    await assert.rejects(
      target.put(file, name, factsOf(file)),
      userError([`${target.label} failed while uploading ${name}`, 'InternalError', 'try again later']),
    );
    assert.equal(requestsFor(keyOf(name), isCreate).length, 2);
    assert.equal(requestsFor(keyOf(name), isAbort).length, 2);
    assert.equal(await objectExists(keyOf(name)), false);
  });

  it('confirms the stored size after upload and removes a copy that does not check out', onlyS3rver, async () => {
    const { target, keyOf } = await freshTarget();
    const file = randomFile(1000);
    const facts = factsOf(file);
    const name = copyName();
    const key = keyOf(name);
    const metadata = Object.fromEntries(Object.entries(factsToRecord(facts)).map(([k, v]) => [`x-amz-meta-${k}`, v]));
    s3.inject({
      // the HEAD after the upload sees a shorter object with the right facts
      match: (r) => r.method === 'HEAD' && r.key === key && requestsFor(key, (p) => p.method === 'PUT').length > 0,
      respond: faults.answer(200, { 'content-length': '999', etag: '"x"', ...metadata }),
    });
    await assert.rejects(
      target.put(file, name, facts),
      userError([`The copy ${name} in ${target.label} does not check out`, 'found 999 bytes', 'it was removed']),
    );
    assert.equal(await objectExists(key), false);
  });

  it('cleanUp finds nothing to do, also where the service keeps no upload list (s3rver)', async () => {
    const { target } = await freshTarget();
    assert.equal(await target.cleanUp(), 0);
  });

  it(
    'cleanUp aborts the left-over uploads of copies directly under the prefix only, across pages',
    onlyS3rver,
    async () => {
      // s3rver keeps no upload list: both pages and the aborts are answered here
      const { target, sub, keyOf } = await freshTarget();
      const [first, second] = [copyName(), copyName()];
      const page = (uploads: [string, string][], next?: [string, string]): string =>
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${s3.bucket}</Bucket>` +
        `<Prefix>${sub}/</Prefix><IsTruncated>${next !== undefined}</IsTruncated>` +
        (next ? `<NextKeyMarker>${next[0]}</NextKeyMarker><NextUploadIdMarker>${next[1]}</NextUploadIdMarker>` : '') +
        uploads.map(([key, id]) => `<Upload><Key>${key}</Key><UploadId>${id}</UploadId></Upload>`).join('') +
        '</ListMultipartUploadsResult>';
      const isUploads = (r: RecordedRequest): boolean => r.method === 'GET' && r.query.has('uploads');
      const xml = { 'content-type': 'application/xml' };
      s3.inject({
        match: (r) => isUploads(r) && !r.query.has('key-marker'),
        respond: faults.answer(
          200,
          xml,
          page(
            [
              [keyOf(first), 'u1'],
              [keyOf('notes.bin'), 'u2'],
            ],
            [keyOf('notes.bin'), 'u2'],
          ),
        ),
      });
      s3.inject({
        match: (r) => isUploads(r) && r.query.get('key-marker') === keyOf('notes.bin'),
        respond: faults.answer(
          200,
          xml,
          page([
            [keyOf(`deeper/${copyName()}`), 'u3'],
            [keyOf(second), 'u4'],
          ]),
        ),
      });
      s3.inject({ match: isAbort, times: 4, respond: faults.answer(204, {}) });
      assert.equal(await target.cleanUp(), 2);
      const listings = s3.requests.filter(isUploads).slice(-2);
      assert.deepEqual(
        listings.map((r) => [r.query.get('prefix'), r.query.get('key-marker'), r.query.get('upload-id-marker')]),
        [
          [`${sub}/`, null, null],
          [`${sub}/`, keyOf('notes.bin'), 'u2'],
        ],
      );
      const aborts = s3.requests.filter(isAbort).filter((r) => r.key.startsWith(`${sub}/`));
      assert.deepEqual(
        aborts.map((r) => [r.key, r.query.get('uploadId')]),
        [
          [keyOf(first), 'u1'],
          [keyOf(second), 'u4'],
        ],
      );
    },
  );
});

// ---- what a user is told ------------------------------------------------------------------------

describe('S3 target errors', () => {
  const SECRET = 'sEcReT/never+print=me0123456789';

  it('an unreachable endpoint: one line naming the target and endpoint, never the secret', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await withEnv({ AWS_ACCESS_KEY_ID: 'AKIATESTONLY', AWS_SECRET_ACCESS_KEY: SECRET }, async () => {
      const target = await openS3Target('s3://some-bucket/some/prefix', { endpoint: `http://127.0.0.1:${port}/` });
      assert.equal(target.label, 's3://some-bucket/some/prefix');
      const expected = [
        `Cannot reach s3://some-bucket/some/prefix at http://127.0.0.1:${port} while`,
        'ECONNREFUSED',
        'check the endpoint and the network',
      ];
      await assert.rejects(target.list(), userError([...expected, 'listing copies'], [SECRET, 'AKIATESTONLY']));
      const file = randomFile(10);
      await assert.rejects(target.put(file, copyName(), factsOf(file)), userError(expected, [SECRET]));
      const out = outPath();
      await assert.rejects(target.get(copyName(), out), userError(expected, [SECRET]));
      assert.equal(fs.existsSync(out), false);
    });
  });

  it('an unknown access key: the credentials were refused', onlyS3rver, async () => {
    await withEnv({ AWS_ACCESS_KEY_ID: 'NOSUCHKEY', AWS_SECRET_ACCESS_KEY: SECRET }, async () => {
      const target = await openS3Target(s3.urlFor('x'), s3.options);
      await assert.rejects(
        target.list(),
        userError(
          [`${target.label} refused the credentials while listing copies`, 'InvalidAccessKeyId', 'AWS_PROFILE'],
          [SECRET],
        ),
      );
    });
  });

  it('no credentials at all: says which variables to set', async () => {
    const nowhere = path.join(work, 'no-such-aws-file');
    const env = {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_DEFAULT_PROFILE: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_SHARED_CREDENTIALS_FILE: nowhere,
      AWS_CONFIG_FILE: nowhere,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    await withEnv(env, async () => {
      const target = await openS3Target(s3.urlFor('x'), s3.options);
      await assert.rejects(
        target.list(),
        userError([
          `No AWS credentials for ${target.label}`,
          'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE',
        ]),
      );
    });
  });

  it('a missing bucket', onlyS3rver, async () => {
    const target = await openS3Target('s3://no-such-bucket-here/x', s3.options);
    const expected = ['The bucket no-such-bucket-here of s3://no-such-bucket-here/x does not exist', 'create it'];
    await assert.rejects(target.list(), userError(expected));
    const file = randomFile(10);
    await assert.rejects(target.put(file, copyName(), factsOf(file)), userError(expected));
    await assert.rejects(target.get(copyName(), outPath()), userError(expected));
  });

  it('a malformed endpoint is a usage error that does not echo credentials', async () => {
    await assert.rejects(openS3Target('s3://bucket', { endpoint: 'ftp://host' }), UsageError);
    await assert.rejects(openS3Target('s3://bucket', { endpoint: 'not a url' }), UsageError);
    await assert.rejects(
      openS3Target('s3://bucket', { endpoint: 'https://user:pa55word@host' }),
      userError(['Invalid S3 endpoint for s3://bucket'], ['pa55word']),
    );
  });

  it('GetObject on s3rver streams back exactly what put stored (checksum options in force)', async () => {
    // guards the WHEN_REQUIRED settings: without them s3rver stores a streamed PutObject wrongly
    const { target, keyOf } = await freshTarget();
    const file = randomFile(3 * MiB + 1);
    const name = copyName();
    await target.put(file, name, factsOf(file));
    const answer = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: keyOf(name) }));
    const bytes = Buffer.from(await answer.Body!.transformToByteArray());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), sha256Of(file));
  });
});
