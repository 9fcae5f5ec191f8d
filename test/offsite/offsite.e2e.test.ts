/**
 * Off-site copies through the bins: a folder target and an S3 target (s3rver,
 * or a real service with BA_TEST_S3_URL), plain and encrypted with age; a
 * target down during a backup; an upload killed mid-way; prune on a target;
 * and a restore on a fresh root from the target alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createMemoryStore, type MemoryStore } from '../fixtures/memory-store.js';
import { startQdrantTestServer, type QdrantTestServer } from '../qdrant-server/server.js';
import { age, ageKeygen, requireAge, skipWithoutAge } from '../support/age-cli.js';
import { BIN, cleanEnv, runCli } from '../support/cli.js';
import { dumpDatabase } from '../support/db-dump.js';
import { clientFor, seedCollection } from '../support/qdrant-seed.js';
import { faults, startTestS3, type TestS3 } from '../support/s3-server.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const PASSPHRASE = 'correct horse battery staple 42';
const SECRET_KEY_FRAGMENT = 'S3RVER';

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const archiveNameOf = (stdout: string): string => path.basename(/Location: (.*\.zip)/.exec(stdout)![1]!);

/** Every byte the run printed must be free of secrets. */
function assertNoSecret(text: string, ...secrets: string[]): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `output holds a secret: ${secret}`);
}

async function pointIds(url: string, collection: string): Promise<string[]> {
  const page = await clientFor(url).scroll(collection, { limit: 10_000, with_payload: false, with_vector: false });
  return page.points.map((p) => String(p.id)).sort();
}

describe('off-site copies', () => {
  let server: QdrantTestServer;
  let store: MemoryStore;
  let env: Record<string, string>;
  let s3: TestS3;
  let keyFile: string;
  let recipient: string;

  before(async () => {
    server = await startQdrantTestServer();
    store = createMemoryStore({ root: makeTempDir('ba-offsite'), memories: 40, dims: 16 });
    await seedCollection(server.url, store.collectionName, store.points);
    s3 = await startTestS3();
    env = { QDRANT_URL: server.url, BA_AGE_WORK_FACTOR: '10', ...s3.env };
    const keys = makeTempDir('ba-keys');
    keyFile = path.join(keys, 'key.txt');
    if (!skipWithoutAge()) recipient = ageKeygen(keyFile);
  });
  after(async () => {
    await s3.close();
    await server.close();
    cleanupTempDirs();
  });

  it('a folder target gets a verified copy with its checksums, and a fresh root restores from it alone', async () => {
    const drive = makeTempDir('ba-drive');
    const made = await runCli('backup', ['-d', 'to the drive', '--to', drive], { cwd: store.root, env });
    assert.equal(made.code, 0, made.stderr);
    const name = archiveNameOf(made.stdout);
    assert.match(made.stdout, new RegExp(`Copy: ${drive.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${name}`));
    const copy = path.join(drive, name);
    assert.equal(
      sha256(copy),
      sha256(path.join(store.root, 'backups', name)),
      'the copy is the archive, byte for byte',
    );
    const facts = JSON.parse(fs.readFileSync(`${copy}.json`, 'utf8'));
    assert.equal(facts.sha256, sha256(copy));
    assert.equal(facts['plain-sha256'], sha256(copy));
    assert.deepEqual(
      fs.readdirSync(drive).filter((n) => n.startsWith('.ba-tmp')),
      [],
      'no temporary file left on the drive',
    );

    const listed = await runCli('restore', ['--from', drive, '--list'], { cwd: makeTempDir('ba-new'), env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(name.replace('.', '\\.')));

    // a brand-new machine: an empty root and an empty collection
    const fresh = makeTempDir('ba-fresh');
    const collection = 'fresh_copy_memories';
    const restored = await runCli(
      'restore',
      ['--from', drive, name, '--yes', '--root', fresh, '--collection', collection],
      { cwd: fresh, env },
    );
    assert.equal(restored.code, 0, restored.stderr + restored.stdout);
    assert.match(restored.stdout, /Restore completed successfully/);
    // the plan names the copy as the user named it, not the private temporary file
    assert.ok(restored.stdout.includes(`  Archive: ${drive}/${name}\n`), restored.stdout);
    const repo = path.join(fresh, 'memory_repos', path.basename(store.repoDir));
    assert.deepEqual(dumpDatabase(path.join(repo, 'memoryv012.db')), dumpDatabase(store.dbPath));
    assert.deepEqual(await pointIds(server.url, collection), await pointIds(server.url, store.collectionName));
    const leftovers = fs.readdirSync(path.join(fresh, 'backups')).filter((n) => n.startsWith('.ba-tmp'));
    assert.deepEqual(leftovers, [], 'the downloaded archive is removed after the restore');
  });

  it('an encrypted copy to S3 decrypts with the age tool, and restores with the identity', async (t) => {
    if (skipWithoutAge()) return t.skip(String(skipWithoutAge()));
    requireAge();
    const url = s3.urlFor('enc');
    const made = await runCli(
      'backup',
      ['-d', 'encrypted', '--to', url, '--recipient', recipient, '--s3-endpoint', s3.endpoint ?? ''],
      { cwd: store.root, env },
    );
    assert.equal(made.code, 0, made.stderr);
    const name = archiveNameOf(made.stdout);
    assertNoSecret(made.stdout + made.stderr, s3.env.AWS_SECRET_ACCESS_KEY ?? SECRET_KEY_FRAGMENT);

    // download the object as it is stored and decrypt it with the standard tool
    const work = makeTempDir('ba-age');
    const listed = await runCli('backup', ['--list', '--from', url, '--json', '--s3-endpoint', s3.endpoint ?? ''], {
      cwd: store.root,
      env,
    });
    const doc = JSON.parse(listed.stdout);
    const entry = doc.copies.find((c: { name: string }) => c.name === `${name}.age`);
    assert.ok(entry, listed.stdout);
    assert.equal(entry.encrypted, true);
    assert.equal(entry.plain_sha256, sha256(path.join(store.root, 'backups', name)));
    const got = await s3.client.send(
      new (await import('@aws-sdk/client-s3')).GetObjectCommand({
        Bucket: s3.bucket,
        Key: `${s3.prefix}enc/${name}.age`,
      }),
    );
    const sealed = path.join(work, `${name}.age`);
    fs.writeFileSync(sealed, Buffer.from(await got.Body!.transformToByteArray()));
    assert.equal(sha256(sealed), entry.sha256, 'the stored object matches its recorded checksum');
    age(['-d', '-i', keyFile, '-o', path.join(work, name), sealed]);
    assert.equal(sha256(path.join(work, name)), sha256(path.join(store.root, 'backups', name)));

    // without the key: one clear line, nothing changed
    const before = dumpDatabase(store.dbPath);
    const keyless = await runCli('restore', ['--from', url, name, '--yes', '--s3-endpoint', s3.endpoint ?? ''], {
      cwd: store.root,
      env,
    });
    assert.equal(keyless.code, 1);
    assert.match(keyless.stderr, /is encrypted; a key is needed/);
    assert.deepEqual(dumpDatabase(store.dbPath), before);

    const dry = await runCli(
      'restore',
      ['--from', url, name, '--dry-run', '--identity', keyFile, '--s3-endpoint', s3.endpoint ?? ''],
      { cwd: store.root, env },
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /\[DRY RUN\] No changes made/);
    assert.ok(dry.stdout.includes(`  Archive: ${url}/${name}.age\n`), dry.stdout);
    assertNoSecret(dry.stdout + dry.stderr, fs.readFileSync(keyFile, 'utf8').match(/AGE-SECRET-KEY-1\S+/)![0]);
  });

  it('a passphrase copy: a wrong passphrase and a tampered copy are refused before anything changes', async () => {
    const drive = makeTempDir('ba-drive-pass');
    const made = await runCli('backup', ['-d', 'pass', '--to', drive, '--encrypt'], {
      cwd: store.root,
      env: { ...env, BA_PASSPHRASE: PASSPHRASE },
    });
    assert.equal(made.code, 0, made.stderr);
    const name = archiveNameOf(made.stdout);
    assertNoSecret(made.stdout + made.stderr, PASSPHRASE);
    const before = dumpDatabase(store.dbPath);

    const wrong = await runCli('restore', ['--from', drive, name, '--yes'], {
      cwd: store.root,
      env: { ...env, BA_PASSPHRASE: 'not the passphrase' },
    });
    assert.notEqual(wrong.code, 0);
    assert.equal(wrong.stderr.trim().split('\n')[0]!.startsWith('[ERROR] '), true, wrong.stderr);
    assert.match(wrong.stderr, /identity or passphrase does not match/);
    assertNoSecret(wrong.stdout + wrong.stderr, 'not the passphrase');

    // flip a byte in the copy: its recorded checksum no longer matches
    const copy = path.join(drive, `${name}.age`);
    const bytes = fs.readFileSync(copy);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 1;
    fs.writeFileSync(copy, bytes);
    const tampered = await runCli('restore', ['--from', drive, name, '--yes'], {
      cwd: store.root,
      env: { ...env, BA_PASSPHRASE: PASSPHRASE },
    });
    assert.equal(tampered.code, 5, tampered.stderr);
    assert.match(tampered.stderr, /does not match its recorded SHA-256/);
    const verify = await runCli('backup', ['--verify', '--from', drive], {
      cwd: store.root,
      env: { ...env, BA_PASSPHRASE: PASSPHRASE },
    });
    assert.equal(verify.code, 5, verify.stdout);
    assert.match(verify.stdout, /\[ERROR\] backup_.*\.zip\.age: .*does not match its recorded SHA-256/);
    assert.deepEqual(dumpDatabase(store.dbPath), before, 'nothing changed');
    assert.deepEqual(
      fs.readdirSync(path.join(store.root, 'backups')).filter((n) => n.startsWith('.ba-tmp')),
      [],
      'no decrypted or downloaded file left behind',
    );
  });

  it('--encrypt-local keeps only the encrypted archive in backups/, and ba-restore opens it by name', async () => {
    const root = makeTempDir('ba-sealed');
    const local = createMemoryStore({ root, memories: 12, dims: 16 });
    const { generateIdentity, identityToRecipient } = await import('age-encryption');
    const identity = await generateIdentity();
    const key = path.join(root, 'key.txt');
    fs.writeFileSync(key, `# made by the test\n${identity}\n`);
    const made = await runCli(
      'backup',
      ['-d', 'sealed', '--skip-qdrant', '--encrypt-local', '--recipient', await identityToRecipient(identity)],
      { cwd: root, env },
    );
    assert.equal(made.code, 0, made.stderr);
    const names = fs.readdirSync(path.join(root, 'backups')).filter((n) => n.startsWith('backup_'));
    assert.equal(names.length, 2, names.join(', '));
    const sealed = names.find((n) => n.endsWith('.zip.age'))!;
    assert.ok(names.includes(`${sealed}.json`), 'its checksums beside it');
    assert.match(made.stdout, new RegExp(`Location: .*${sealed.replace(/\./g, '\\.')}`));
    const listed = await runCli('backup', ['--list'], { cwd: root, env });
    assert.match(listed.stdout, /1 encrypted archive \(\.zip\.age\) too/);

    const before = dumpDatabase(local.dbPath);
    const db = new (await import('better-sqlite3')).default(local.dbPath);
    db.prepare("UPDATE memories SET content = 'overwritten'").run();
    db.close();
    const restored = await runCli('restore', [sealed, '--identity', key, '--yes', '--skip-qdrant'], { cwd: root, env });
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(dumpDatabase(local.dbPath), before, 'the overwritten memories are back');
  });

  it('a target that is down: the local archive is kept, the other target gets its copy, exit 6', async () => {
    const drive = makeTempDir('ba-drive-ok');
    const missing = path.join(makeTempDir('ba-unmounted'), 'not-mounted');
    const made = await runCli('backup', ['-d', 'one down', '--to', missing, '--to', drive], { cwd: store.root, env });
    assert.equal(made.code, 6, made.stderr);
    const name = archiveNameOf(made.stdout);
    assert.ok(fs.existsSync(path.join(store.root, 'backups', name)), 'local archive kept');
    assert.ok(fs.existsSync(path.join(drive, name)), 'the other target has its copy');
    assert.match(
      made.stderr,
      new RegExp(`\\[WARNING\\] Copy to ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed: .*does not exist`),
    );
    assert.ok(!fs.existsSync(missing), 'an unmounted drive is not created on the local disk');

    // an S3 service that answers 503 to every upload request: retried, then given up
    s3.inject({
      match: (r) => r.key.includes('down/') && (r.method === 'PUT' || r.method === 'POST'),
      times: 1000,
      respond: faults.error(503, 'SlowDown'),
    });
    const down = await runCli('backup', ['-d', 's3 down', '--to', s3.urlFor('down'), '--json'], {
      cwd: store.root,
      env,
    });
    assert.equal(down.code, 6, down.stdout);
    const doc = JSON.parse(down.stdout);
    assert.equal(doc.copies[0].ok, false);
    assert.match(doc.copies[0].problem, /SlowDown|503|slow down/i);
    assert.ok(fs.existsSync(doc.archive.path));
  });

  it('an upload killed mid-way leaves no visible object, and prune on a target deletes what the policy says', async () => {
    const url = s3.urlFor('kill');
    // hold the upload so that the kill lands inside it
    s3.inject({
      match: (r) => r.key.includes('kill/') && r.method === 'PUT',
      times: 1000,
      respond: (_req, _res, forward) => setTimeout(forward, 2000),
    });
    const child = spawn(process.execPath, [BIN.backup, '-d', 'killed', '--to', url], {
      cwd: store.root,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    while (!out.includes('Copying')) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const objects = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${s3.prefix}kill/` }));
    assert.deepEqual(objects.Contents ?? [], [], 'no object visible after the kill');

    // the copies of three backups on one drive; keep the newest one
    const drive = makeTempDir('ba-drive-prune');
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const made = await runCli('backup', ['-d', `prune ${i}`, '--to', drive], { cwd: store.root, env });
      assert.equal(made.code, 0, made.stderr);
      names.push(archiveNameOf(made.stdout));
    }
    const plan = await runCli('backup', ['--prune', '--from', drive, '--keep-last', '1', '--dry-run'], {
      cwd: store.root,
      env,
    });
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal(fs.readdirSync(drive).filter((n) => n.endsWith('.zip')).length, 3, 'a dry run deletes nothing');
    const pruned = await runCli('backup', ['--prune', '--from', drive, '--keep-last', '1', '--json'], {
      cwd: store.root,
      env,
    });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(JSON.parse(pruned.stdout).removed.sort(), names.slice(0, 2).sort());
    assert.deepEqual(
      fs.readdirSync(drive).sort(),
      [names[2]!, `${names[2]!}.json`].sort(),
      'exactly the newest copy and its facts remain',
    );
  });
});
