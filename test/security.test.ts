/**
 * Security of both commands, through the built bins:
 * - QDRANT_API_KEY never appears in output, manifests, archives or any file
 *   of the store; a wrong key is refused by the server and the message says
 *   authentication failed without echoing it;
 * - archives are owner read/write only and a new backups folder owner-only,
 *   even under a permissive umask;
 * - a restore refuses symbolic links at the paths it writes to;
 * - HTTPS Qdrant URLs work with a custom CA (NODE_EXTRA_CA_CERTS) and fail
 *   clearly without it;
 * - strings from archives (descriptions, names, file names) print with their
 *   control characters escaped: an archive cannot clear the screen, retitle
 *   the terminal or fake output lines.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMemoryStore, type MemoryStore } from './fixtures/memory-store.js';
import { startQdrantTestServer, type QdrantTestServer } from './qdrant-server/server.js';
import { BIN, type CliResult, cleanEnv, runCli } from './support/cli.js';
import { dumpDatabase } from './support/db-dump.js';
import { seedCollection } from './support/qdrant-seed.js';
import { buildZip } from './support/raw-zip.js';
import { cleanupTempDirs, makeTempDir } from './support/temp.js';
import { readZipEntries } from './support/zip-contents.js';

const isWindows = process.platform === 'win32';
const fileHash = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
/** Control characters a terminal acts on; a newline ends a line and is allowed. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function locationOf(result: CliResult): string {
  const m = /Location: (.*\.zip)/.exec(result.stdout);
  assert.ok(m, `no Location in output:\n${result.stdout}\n${result.stderr}`);
  return m[1]!;
}

/** Every file under a folder, recursively, with its path. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .map((name) => path.join(dir, String(name)))
    .filter((file) => fs.lstatSync(file).isFile());
}

describe('QDRANT_API_KEY', () => {
  const KEY = `ba-secret-${randomBytes(12).toString('hex')}`;
  const WRONG = `ba-wrong-${randomBytes(12).toString('hex')}`;
  let server: QdrantTestServer;
  let store: MemoryStore;
  let env: Record<string, string>;
  const outputs: string[] = [];

  /** The key in any form it could leak in: as is, base64 (a Basic header) or hex. */
  function assertNoKey(text: string, where: string): void {
    for (const key of [KEY, WRONG]) {
      for (const form of [key, Buffer.from(key).toString('base64'), Buffer.from(key).toString('hex')]) {
        assert.ok(!text.includes(form), `the API key appears in ${where}`);
      }
    }
  }

  async function run(
    bin: 'backup' | 'restore',
    args: string[],
    extraEnv: Record<string, string> = {},
  ): Promise<CliResult> {
    const result = await runCli(bin, args, { cwd: store.root, env: { ...env, ...extraEnv } });
    outputs.push(result.stdout, result.stderr);
    assertNoKey(result.stdout + result.stderr, `the output of ba-${bin} ${args.join(' ')}`);
    return result;
  }

  before(async () => {
    server = await startQdrantTestServer({ apiKey: KEY });
    store = createMemoryStore({ root: makeTempDir('ba-key'), memories: 40, dims: 16 });
    await seedCollection(server.url, store.collectionName, store.points, { dims: 16, apiKey: KEY });
    env = { QDRANT_URL: server.url, QDRANT_API_KEY: KEY };
  });
  after(async () => {
    await server?.close();
    cleanupTempDirs();
  });

  it('is needed by the server, is sent by both commands, and appears nowhere: output, manifests, archives, files of the store', async () => {
    // the server really checks it: without the key, 401
    const anonymous = await fetch(`${server.url}/collections/${store.collectionName}`);
    assert.equal(anonymous.status, 401);

    const backup = await run('backup', ['-d', 'with a key']);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /Vectors: 40\n/);
    const archive = locationOf(backup);
    for (const args of [['--list'], ['--list', '--json'], ['--verify']])
      assert.equal((await run('backup', args)).code, 0);
    assert.equal((await run('restore', [archive, '--dry-run'])).code, 0);
    const restore = await run('restore', [archive, '--yes']);
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /Vectors: 40\n/);
    assert.match(restore.stdout, /Safety backup of the previous state: .*safety_/);

    // failures carry server text into messages and manifests: still no key
    // (every attempt fails: idempotent requests are retried)
    server.injectFault({ method: 'POST', path: /\/points\/scroll$/, kind: 'status', status: 500, times: Infinity });
    const failed = await run('backup', ['-d', 'scroll fails']);
    assert.equal(failed.code, 3, failed.stderr);
    assert.match(failed.stderr, /\[WARNING\] .*HTTP 500/);
    server.clearFaults();
    // a refusal (not retried) of the first upsert: the restore fails and puts the previous state back
    server.injectFault({ method: 'PUT', path: /\/points$/, kind: 'status', status: 400 });
    const rolledBack = await run('restore', [archive, '--yes']);
    assert.equal(rolledBack.code, 1);
    assert.match(rolledBack.stderr, /Restore failed: .*HTTP 400.*The previous state was put back/);
    server.clearFaults();

    // every request after the anonymous one carried the key: no 401 but that one
    assert.deepEqual(
      server.requestLog.filter((r) => r.status === 401).map((r) => r.path),
      [`/collections/${store.collectionName}`],
    );
    // nothing written anywhere under the store holds it, inside zips included
    const files = filesUnder(store.root);
    const zips = files.filter((f) => f.endsWith('.zip'));
    assert.ok(zips.length >= 4, `backups and safety backups: ${zips.join(', ')}`);
    for (const file of files) assertNoKey(fs.readFileSync(file).toString('latin1'), file);
    for (const zip of zips) {
      for (const [name, data] of await readZipEntries(zip)) {
        assertNoKey(data.toString('latin1'), `${zip}:${name}`);
        if (name === 'manifest.json')
          assert.match(JSON.parse(data.toString('utf8')).qdrant.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      }
    }
  });

  it('a wrong or missing key: the server refuses it, the tool says authentication failed and echoes nothing', async () => {
    const before = { db: fileHash(store.dbPath), points: server.getPoints(store.collectionName) };
    const archives = fs
      .readdirSync(path.join(store.root, 'backups'))
      .filter((n) => n.startsWith('backup_'))
      .sort();
    const good = path.join(store.root, 'backups', archives[0]!);
    const logStart = server.requestLog.length;

    for (const key of [WRONG, undefined]) {
      const keyEnv = key === undefined ? { QDRANT_API_KEY: '' } : { QDRANT_API_KEY: key };
      const strict = await run('backup', ['--require-qdrant'], keyEnv);
      assert.equal(strict.code, 1);
      assert.match(
        strict.stderr,
        /^\[ERROR\] Qdrant at http:\/\/127\.0\.0\.1:\d+ failed to [a-z ]+: HTTP 401: authentication failed; check QDRANT_API_KEY; no archive written \(--require-qdrant\)\n$/,
      );

      const lenient = await run('backup', ['-d', 'wrong key'], keyEnv);
      assert.equal(lenient.code, 3, lenient.stderr);
      assert.match(
        lenient.stderr,
        /\[WARNING\] .*HTTP 401: authentication failed; check QDRANT_API_KEY; the archive holds the SQLite database only/,
      );
      const manifest = JSON.parse((await readZipEntries(locationOf(lenient))).get('manifest.json')!.toString('utf8'));
      assert.match(manifest.stats.qdrant.error, /authentication failed/);

      const restore = await run('restore', [good, '--yes', '--require-qdrant'], keyEnv);
      assert.equal(restore.code, 1);
      assert.match(
        restore.stderr,
        /HTTP 401: authentication failed; check QDRANT_API_KEY; nothing was changed \(--require-qdrant\)/,
      );
    }
    // the server saw the attempts and refused every one
    const attempts = server.requestLog.slice(logStart).filter((r) => r.path !== '/');
    assert.ok(attempts.length >= 6 && attempts.every((r) => r.status === 401), JSON.stringify(attempts));
    assert.deepEqual({ db: fileHash(store.dbPath), points: server.getPoints(store.collectionName) }, before);
    for (const file of filesUnder(store.root)) assertNoKey(fs.readFileSync(file).toString('latin1'), file);
  });
});

describe('permissions', { skip: isWindows ? 'POSIX modes' : false }, () => {
  let server: QdrantTestServer;
  before(async () => {
    server = await startQdrantTestServer();
  });
  after(async () => {
    await server?.close();
    cleanupTempDirs();
  });

  /** Runs a bin with umask 000, so any mode the tool does not set itself shows as world-writable. */
  function runUnderUmask(
    bin: keyof typeof BIN,
    args: string[],
    cwd: string,
    env: Record<string, string>,
  ): Promise<CliResult> {
    const child = spawn('sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, BIN[bin], ...args], {
      cwd,
      env: cleanEnv(env),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end();
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('a new backups folder is 0700 and every archive 0600, even under umask 000', async () => {
    const root = makeTempDir('ba-perm');
    // the umask really is 000 in such a child: a file it creates is world-writable
    spawnSync('sh', ['-c', 'umask 000 && : > probe'], { cwd: root });
    assert.equal(fs.statSync(path.join(root, 'probe')).mode & 0o777, 0o666);
    fs.rmSync(path.join(root, 'probe'));

    const store = createMemoryStore({ root, memories: 10, dims: 8 });
    await seedCollection(server.url, store.collectionName, store.points, { dims: 8 });
    const env = { QDRANT_URL: server.url };
    const backupsDir = path.join(root, 'backups');
    assert.equal(fs.existsSync(backupsDir), false, 'a fresh folder');
    const backup = await runUnderUmask('backup', ['-d', 'modes'], root, env);
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(fs.statSync(backupsDir).mode & 0o777, 0o700, 'backups folder');
    const restore = await runUnderUmask('restore', [locationOf(backup), '--yes'], root, env);
    assert.equal(restore.code, 0, restore.stderr);
    const archives = fs.readdirSync(backupsDir).filter((n) => n.endsWith('.zip'));
    assert.deepEqual(archives.map((n) => n.replace(/_\d{8}_\d{6}(_\d+)?/, '')).sort(), ['backup.zip', 'safety.zip']);
    for (const name of archives) assert.equal(fs.statSync(path.join(backupsDir, name)).mode & 0o777, 0o600, name);
  });
});

describe('restore refuses symbolic links it did not expect', { skip: isWindows ? 'POSIX links' : false }, () => {
  let server: QdrantTestServer;
  let store: MemoryStore;
  let env: Record<string, string>;
  let archive: string;
  let elsewhere: string;

  const hint =
    '        A restore writes only to real files and folders: replace the link with what it points to (or give --root the real folder), then run the restore again.\n';

  before(async () => {
    server = await startQdrantTestServer();
    store = createMemoryStore({ root: makeTempDir('ba-links'), memories: 20, dims: 8 });
    await seedCollection(server.url, store.collectionName, store.points, { dims: 8 });
    env = { QDRANT_URL: server.url };
    const backup = await runCli('backup', ['-d', 'links'], { cwd: store.root, env });
    assert.equal(backup.code, 0, backup.stderr);
    // the archive is read from outside the store, so that moving backups/ does not move it
    elsewhere = makeTempDir('ba-elsewhere');
    archive = path.join(elsewhere, 'good.zip');
    fs.copyFileSync(locationOf(backup), archive);
  });
  after(async () => {
    await server?.close();
    cleanupTempDirs();
  });

  /** Moves `target` elsewhere and leaves a link to it in its place; returns a function that undoes it. */
  function replaceWithLink(target: string): { moved: string; undo: () => void } {
    const moved = path.join(elsewhere, `moved-${path.basename(target)}-${randomBytes(3).toString('hex')}`);
    fs.renameSync(target, moved);
    fs.symlinkSync(moved, target);
    return {
      moved,
      undo: () => {
        fs.unlinkSync(target);
        fs.renameSync(moved, target);
      },
    };
  }

  async function expectRefusal(link: string, target: string, args: string[] = ['--yes']): Promise<void> {
    const points = server.getPoints(store.collectionName);
    const treeOf = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
    const snapshot = () => ({
      elsewhere: treeOf(elsewhere),
      store: treeOf(store.root),
      targetHash: fs.statSync(target).isFile() ? fileHash(target) : null,
    });
    const before = snapshot();
    const result = await runCli('restore', [archive, ...args], { cwd: store.root, env });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.equal(result.stderr, `[ERROR] Refusing to restore: ${link} is a symbolic link (to ${target})\n${hint}`);
    assert.equal(result.stdout, '');
    assert.deepEqual(snapshot(), before, 'nothing written, here or where the link points');
    assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the link is left as it was');
    assert.deepEqual(server.getPoints(store.collectionName), points);
  }

  it('the live database is a link to a file elsewhere', async () => {
    const { moved, undo } = replaceWithLink(store.dbPath);
    try {
      await expectRefusal(store.dbPath, moved);
      await expectRefusal(store.dbPath, moved, ['--dry-run']);
    } finally {
      undo();
    }
  });

  it('backups/ is a link to a folder elsewhere', async () => {
    const backupsDir = path.join(store.root, 'backups');
    const { moved, undo } = replaceWithLink(backupsDir);
    try {
      await expectRefusal(backupsDir, moved);
    } finally {
      undo();
    }
  });

  it("the store's folder, or memory_repos/, is a link", async () => {
    for (const dir of [store.repoDir, path.dirname(store.repoDir)]) {
      const { moved, undo } = replaceWithLink(dir);
      try {
        await expectRefusal(dir, moved);
      } finally {
        undo();
      }
    }
  });

  it("a link planted as the database's -wal, -journal or -shm file", async () => {
    const victim = path.join(elsewhere, 'victim.txt');
    fs.writeFileSync(victim, 'must stay as it is\n');
    for (const suffix of ['-wal', '-journal', '-shm']) {
      const link = `${store.dbPath}${suffix}`;
      fs.symlinkSync(victim, link);
      try {
        await expectRefusal(link, victim);
      } finally {
        fs.unlinkSync(link);
      }
    }
    assert.equal(fs.readFileSync(victim, 'utf8'), 'must stay as it is\n');
  });

  it('a store reached through a linked --root is the user’s choice: the restore runs', async () => {
    const linkedRoot = path.join(elsewhere, 'root-link');
    fs.symlinkSync(store.root, linkedRoot);
    const expected = dumpDatabase(store.dbPath);
    const result = await runCli('restore', [archive, '--yes', '--root', linkedRoot], { cwd: elsewhere, env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(dumpDatabase(store.dbPath), expected);
  });
});

describe('HTTPS Qdrant with a custom CA', () => {
  const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  const noOpenssl =
    openssl.error || openssl.status !== 0
      ? 'openssl is not installed (node cannot make an X.509 certificate by itself)'
      : false;
  let server: QdrantTestServer;
  let store: MemoryStore;
  let caFile: string;

  /** A raw HTTPS request that trusts the test CA (this process started without NODE_EXTRA_CA_CERTS). */
  function request(method: string, url: string, body: unknown, ca: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, ca, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  before(async () => {
    if (noOpenssl) return;
    const dir = makeTempDir('ba-tls');
    caFile = path.join(dir, 'ca.pem');
    const keyFile = path.join(dir, 'key.pem');
    // self-signed: the certificate is its own CA, valid for the loopback address
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        caFile,
        '-days',
        '2',
        '-subj',
        '/CN=ba-backup test CA',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    const ca = fs.readFileSync(caFile);
    server = await startQdrantTestServer({ tls: { key: fs.readFileSync(keyFile), cert: ca } });
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    store = createMemoryStore({ root: makeTempDir('ba-tls-store'), memories: 15, dims: 8 });
    const base = `${server.url}/collections/${store.collectionName}`;
    assert.equal(await request('PUT', base, { vectors: { size: 8, distance: 'Cosine' } }, ca), 200);
    assert.equal(
      await request(
        'PUT',
        `${base}/points?wait=true`,
        { points: store.points.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })) },
        ca,
      ),
      200,
    );
  });
  after(async () => {
    await server?.close();
    cleanupTempDirs();
  });

  it('backs up and restores over https:// with NODE_EXTRA_CA_CERTS naming the CA', { skip: noOpenssl }, async () => {
    const env = { QDRANT_URL: server.url, NODE_EXTRA_CA_CERTS: caFile };
    const backup = await runCli('backup', ['--require-qdrant'], { cwd: store.root, env });
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /Vectors: 15\n/);
    const manifest = JSON.parse((await readZipEntries(locationOf(backup))).get('manifest.json')!.toString('utf8'));
    assert.equal(manifest.qdrant.url, server.url);
    const restore = await runCli('restore', [locationOf(backup), '--yes', '--require-qdrant'], {
      cwd: store.root,
      env,
    });
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /Vectors: 15\n/);
  });

  it(
    'without the CA: refused with a message that names the URL and the certificate problem',
    { skip: noOpenssl },
    async () => {
      const env = { QDRANT_URL: server.url, NODE_EXTRA_CA_CERTS: '' };
      const strict = await runCli('backup', ['--require-qdrant'], { cwd: store.root, env });
      assert.equal(strict.code, 1);
      // one line that names the URL and the certificate problem, and says nothing was written
      const url = server.url.replace(/\./g, '\\.');
      assert.match(
        strict.stderr,
        new RegExp(
          `^\\[ERROR\\] Qdrant at ${url}\\b[^\\n]*self[- ]signed certificate[^\\n]*; no archive written \\(--require-qdrant\\)\\n`,
        ),
      );
      const lenient = await runCli('backup', [], { cwd: store.root, env });
      assert.equal(lenient.code, 3);
      assert.match(
        lenient.stderr,
        /\[WARNING\] Qdrant at https:\/\/127\.0\.0\.1:\d+ is unreachable .*self[- ]signed certificate/,
      );
    },
  );
});

describe('strings from archives print with control characters escaped', () => {
  const ESC = '\u001b';
  const description = `${ESC}[2J${ESC}[H${ESC}]0;owned\u0007fake\r[SUCCESS] line\u009b31m\nsecond`;
  let server: QdrantTestServer;
  let store: MemoryStore;
  let env: Record<string, string>;
  let hostile: string;

  before(async () => {
    server = await startQdrantTestServer();
    store = createMemoryStore({ root: makeTempDir('ba-escapes'), memories: 12, dims: 8 });
    await seedCollection(server.url, store.collectionName, store.points, { dims: 8 });
    env = { QDRANT_URL: server.url };
    // a description typed by the user is kept as typed...
    const made = await runCli('backup', ['-d', description], { cwd: store.root, env });
    assert.equal(made.code, 0, made.stderr);
    const entries = await readZipEntries(locationOf(made));
    assert.equal(JSON.parse(entries.get('manifest.json')!.toString('utf8')).description, description);
    // ...and an archive made elsewhere can carry escapes in every string
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    manifest.created_at = `2020-01-01T00:00:00${ESC}[2K`;
    // without the UTC time, the recorded local time is what is shown
    delete manifest.created_at_utc;
    manifest.config.username = `user${ESC}]0;title\u0007`;
    manifest.config.agent_name = `agent\u009b2J`;
    manifest.tool.name = `tool${ESC}c`;
    hostile = path.join(store.root, 'backups', 'backup_20200101_000000.zip');
    fs.writeFileSync(
      hostile,
      buildZip(
        [...entries].map(([name, data]) => ({
          name,
          data: name === 'manifest.json' ? Buffer.from(JSON.stringify(manifest)) : data,
        })),
      ),
    );
  });
  after(async () => {
    await server?.close();
    cleanupTempDirs();
  });

  function assertInert(result: CliResult, what: string): void {
    assert.doesNotMatch(result.stdout, RAW_CONTROL, `${what}: stdout`);
    assert.doesNotMatch(result.stderr, RAW_CONTROL, `${what}: stderr`);
  }

  it('ba-backup --list and ba-restore --list', async () => {
    for (const bin of ['backup', 'restore'] as const) {
      const result = await runCli(bin, ['--list'], { cwd: store.root, env });
      assert.equal(result.code, 0, result.stderr);
      assertInert(result, `ba-${bin} --list`);
      assert.ok(
        result.stdout.includes('Description: \\x1b[2J\\x1b[H\\x1b]0;owned\\x07fake\\r[SUCCESS] line\\x9b31m\\nsecond'),
        result.stdout,
      );
      assert.ok(result.stdout.includes('Created: 2020-01-01T00:00:00\\x1b[2K'), result.stdout);
    }
  });

  it('--list --json keeps the exact text, escaped as JSON (DEL and C1 too)', async () => {
    const result = await runCli('backup', ['--list', '--json'], { cwd: store.root, env });
    assert.equal(result.code, 0, result.stderr);
    assertInert(result, 'ba-backup --list --json');
    const listed = JSON.parse(result.stdout) as { archives: Array<{ description?: string }> };
    assert.ok(
      listed.archives.every((a) => a.description === description),
      result.stdout,
    );
  });

  it('ba-restore --dry-run of such an archive, even under a hostile file name', async () => {
    const renamed = path.join(makeTempDir('ba-escapes-name'), `backup${ESC}[2J${ESC}]0;x\u0007.zip`);
    fs.copyFileSync(hostile, renamed);
    for (const target of [path.basename(hostile), renamed]) {
      const result = await runCli('restore', [target, '--dry-run'], { cwd: store.root, env });
      assert.equal(result.code, 0, result.stderr);
      assertInert(result, `ba-restore ${JSON.stringify(target)} --dry-run`);
      assert.match(
        result.stdout,
        /Created: 2020-01-01T00:00:00\\x1b\[2K \(local time where it was made\) {2}"\\x1b\[2J/,
      );
      assert.match(result.stdout, /Made for: user\\x1b\]0;title\\x07_agent\\x9b2J/);
    }
  });

  it('a refused archive: entry names and file name escaped in the one error line', async () => {
    const dir = makeTempDir('ba-escapes-bad');
    const bad = path.join(dir, `bad${ESC}[2J.zip`);
    const entries = await readZipEntries(hostile);
    fs.writeFileSync(
      bad,
      buildZip([
        ...[...entries].map(([name, data]) => ({ name, data })),
        { name: `x${ESC}]0;pwned\u0007`, data: Buffer.from('x') },
      ]),
    );
    const before = fileHash(store.dbPath);
    const result = await runCli('restore', [bad, '--yes'], { cwd: store.root, env });
    assert.equal(result.code, 5);
    assertInert(result, 'a refused archive');
    assert.equal(
      result.stderr,
      `[ERROR] Invalid archive ${dir}/bad\\x1b[2J.zip: refusing entry name "x\\u001b]0;pwned\\u0007" contains control characters\n`,
    );
    assert.equal(fileHash(store.dbPath), before);
  });
});
