/**
 * age encryption of off-site copies: round trips, interoperability with the
 * age command-line tool, refusals of wrong keys and damaged files (one line,
 * the right exit code, nothing left behind, no secret in the message), and
 * memory that does not grow with the file.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { armor, generateHybridIdentity, generateIdentity, identityToRecipient } from 'age-encryption';
import { ExitCode, type ExitCodeValue, UserError } from '../../src/errors.js';
import {
  type DecryptWith,
  decryptFile,
  encryptFile,
  isAgeFile,
  parseRecipient,
  readIdentityFile,
  readPassphraseFile,
  readRecipientsFile,
} from '../../src/offsite/encryption.js';
import { age, ageKeygen, ageWithPassphrase, requireAge, skipWithoutAge } from '../support/age-cli.js';
import { buildZip } from '../support/raw-zip.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

const MiB = 1024 * 1024;
/** Low scrypt work factor: passphrase tests in milliseconds instead of seconds. */
const LOW_WORK = 10;
const PASSPHRASE = 'correct horse battery staple';
const WRONG_PASSPHRASE = 'incorrect horse battery staple';
/** A ciphertext chunk: 64 KiB of data and a 16-byte tag. */
const CHUNK = 64 * 1024 + 16;

let dir: string;
let plain: string;
let plainBytes: Buffer;
let idA: string;
let idB: string;
let idOther: string;
let recipientA: string;
let recipientB: string;
let counter = 0;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
/** A path in the test folder that does not exist yet. */
const fresh = (name: string): string => path.join(dir, `${++counter}-${name}`);
const secrets = (): string[] => [idA, idB, idOther, PASSPHRASE, WRONG_PASSPHRASE];

/** Offset of the first payload chunk: after the header (ending with its MAC line) and the 16-byte nonce. */
function payloadStart(file: Buffer): number {
  const macLine = file.indexOf('\n--- ') + 1;
  return file.indexOf('\n', macLine) + 1 + 16;
}

function writeVariant(from: string, change: (bytes: Buffer) => Buffer): string {
  const file = fresh('variant.age');
  fs.writeFileSync(file, change(fs.readFileSync(from)));
  return file;
}

function flipByte(at: (bytes: Buffer) => number): (bytes: Buffer) => Buffer {
  return (bytes) => {
    const copy = Buffer.from(bytes);
    const offset = at(copy);
    copy[offset] = copy[offset]! ^ 0x01;
    return copy;
  };
}

/** Swaps a base64 character for another valid one: a flipped bit could leave the alphabet (A→@). */
function changeBase64Char(at: (bytes: Buffer) => number): (bytes: Buffer) => Buffer {
  return (bytes) => {
    const copy = Buffer.from(bytes);
    const offset = at(copy);
    copy[offset] = copy[offset] === 0x41 ? 0x42 : 0x41;
    return copy;
  };
}

async function assertDecrypts(file: string, keys: DecryptWith, expected: Buffer): Promise<void> {
  const out = fresh('plain.zip');
  const result = await decryptFile(file, out, keys);
  const written = fs.readFileSync(out);
  assert.ok(written.equals(expected), 'decrypted bytes differ');
  assert.deepEqual(result, { sha256: sha256(expected), size: expected.length });
  assert.equal(fs.statSync(out).mode & 0o777, 0o600);
}

/** Decryption fails with a one-line UserError of this exit code, leaves no output and names no secret. */
async function assertRefused(
  file: string,
  keys: DecryptWith,
  exitCode: ExitCodeValue,
  message: RegExp,
  hint?: RegExp,
): Promise<UserError> {
  const out = fresh('refused.zip');
  let caught: unknown;
  await decryptFile(file, out, keys).catch((err: unknown) => (caught = err));
  assert.ok(caught instanceof UserError, `expected a UserError, got ${String(caught)}`);
  assert.equal(caught.exitCode, exitCode, caught.message);
  assert.match(caught.message, message);
  if (hint) assert.match(caught.hint ?? '', hint);
  assertSafeMessage(caught);
  assert.equal(fs.existsSync(out), false, 'the output was left behind');
  return caught;
}

function assertSafeMessage(err: UserError): void {
  assert.ok(!err.message.includes('\n'), `not one line: ${err.message}`);
  for (const secret of secrets()) {
    assert.ok(!err.message.includes(secret), `a secret is in the message: ${err.message}`);
    assert.ok(!(err.hint ?? '').includes(secret), `a secret is in the hint: ${err.hint}`);
  }
}

async function assertUserError(promise: Promise<unknown>, exitCode: ExitCodeValue, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.equal(err.exitCode, exitCode, err.message);
    assert.match(err.message, message);
    assertSafeMessage(err);
    return true;
  });
}

before(async () => {
  dir = makeTempDir('ba-encryption');
  plain = path.join(dir, 'plain.bin');
  plainBytes = randomBytes(10 * MiB + 12_345);
  fs.writeFileSync(plain, plainBytes);
  [idA, idB, idOther] = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()]);
  [recipientA, recipientB] = await Promise.all([identityToRecipient(idA), identityToRecipient(idB)]);
});

after(() => cleanupTempDirs());

describe('round trips', () => {
  it('encrypts to two recipients, and either identity decrypts', async () => {
    const sealed = fresh('two.age');
    const result = await encryptFile(plain, sealed, { recipients: [recipientA, recipientB] });
    const bytes = fs.readFileSync(sealed);
    assert.deepEqual(result, { sha256: sha256(bytes), size: bytes.length });
    assert.equal(fs.statSync(sealed).mode & 0o777, 0o600);
    assert.equal(await isAgeFile(sealed), true);
    assert.equal(bytes.toString('latin1').match(/^-> X25519 /gm)?.length, 2);
    await assertDecrypts(sealed, { identities: [idA] }, plainBytes);
    await assertDecrypts(sealed, { identities: [idB] }, plainBytes);
    // several identities: the one that matches is used, whichever its place
    await assertDecrypts(sealed, { identities: [idOther, idB] }, plainBytes);
  });

  it('encrypts with a passphrase at the work factor asked for', async () => {
    const sealed = fresh('pass.age');
    const result = await encryptFile(plain, sealed, { passphrase: PASSPHRASE }, { scryptWorkFactor: LOW_WORK });
    const bytes = fs.readFileSync(sealed);
    assert.deepEqual(result, { sha256: sha256(bytes), size: bytes.length });
    assert.match(bytes.subarray(0, 200).toString('latin1'), /^age-encryption\.org\/v1\n-> scrypt \S+ 10\n/);
    await assertDecrypts(sealed, { passphrase: PASSPHRASE }, plainBytes);
  });

  it('round-trips sizes at the chunk edges: empty, one chunk, one chunk and a byte, two chunks', async () => {
    for (const size of [0, 1, 64 * 1024, 64 * 1024 + 1, 128 * 1024]) {
      const data = randomBytes(size);
      const source = fresh(`edge-${size}.bin`);
      fs.writeFileSync(source, data);
      const sealed = fresh(`edge-${size}.age`);
      await encryptFile(source, sealed, { recipients: [recipientA] });
      await assertDecrypts(sealed, { identities: [idA] }, data);
    }
  });

  it('encrypts to a post-quantum hybrid recipient (age1pq1…) too', async () => {
    const identity = await generateHybridIdentity();
    const recipient = await parseRecipient(await identityToRecipient(identity));
    const data = randomBytes(200_000);
    const source = fresh('pq.bin');
    fs.writeFileSync(source, data);
    const sealed = fresh('pq.age');
    await encryptFile(source, sealed, { recipients: [recipient] });
    await assertDecrypts(sealed, { identities: [identity] }, data);
  });

  it('never overwrites an existing destination, and leaves it as it was', async () => {
    const existing = fresh('existing');
    fs.writeFileSync(existing, 'keep me');
    await assertUserError(
      encryptFile(plain, existing, { recipients: [recipientA] }),
      ExitCode.Failure,
      /already exists/,
    );
    assert.equal(fs.readFileSync(existing, 'utf8'), 'keep me');
    const sealed = fresh('for-existing.age');
    await encryptFile(plain, sealed, { recipients: [recipientA] });
    await assertUserError(decryptFile(sealed, existing, { identities: [idA] }), ExitCode.Failure, /already exists/);
    assert.equal(fs.readFileSync(existing, 'utf8'), 'keep me');
  });

  it('says so when the source does not exist, and creates nothing', async () => {
    const out = fresh('nothing');
    const missing = path.join(dir, 'missing.zip');
    await assertUserError(encryptFile(missing, out, { recipients: [recipientA] }), ExitCode.Failure, /does not exist/);
    await assertUserError(decryptFile(missing, out, { identities: [idA] }), ExitCode.Failure, /does not exist/);
    assert.equal(fs.existsSync(out), false);
  });

  it('loads age-encryption only when a function runs (the commands start fast)', () => {
    const compiled = fs.readFileSync(new URL('../../src/offsite/encryption.js', import.meta.url), 'utf8');
    assert.doesNotMatch(compiled, /^import .*['"]age-encryption['"]/m);
    assert.match(compiled, /await import\('age-encryption'\)/);
  });
});

describe('keys, recipients and passphrase files', () => {
  it('accepts an age recipient, without surrounding blanks', async () => {
    assert.equal(await parseRecipient(`  ${recipientA}\n`), recipientA);
  });

  it('refuses a bad recipient in one line that names it and the problem', async () => {
    const mistyped = recipientA.slice(0, 20) + (recipientA[20] === 'q' ? 'p' : 'q') + recipientA.slice(21);
    const cases: [string, RegExp][] = [
      ['age1xyz', /^Age recipient "age1xyz" is not valid: it is too short or too long$/],
      [mistyped, /is not valid: its checksum is wrong/],
      [`${recipientA}q`, /is not valid: its checksum is wrong/],
      ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhB me@host', /is not valid: SSH keys are not supported/],
      ['age1yubikey1qwertyuiop', /is not valid: age plugins \(age-plugin-yubikey\) are not supported/],
      ['bob@example.com', /is not valid: an age public key starts with age1/],
      [`${recipientA} ${recipientB}`, /one recipient at a time/],
      ['', /it is empty/],
    ];
    for (const [text, message] of cases) await assertUserError(parseRecipient(text), ExitCode.Usage, message);
  });

  it('refuses a secret key given as a recipient without printing it', async () => {
    await assertUserError(parseRecipient(idA), ExitCode.Usage, /it is a secret key .*age-keygen -y/);
  });

  it('reads a recipients file: comments, blank lines and CRLF line ends ignored', async () => {
    const file = fresh('recipients.txt');
    fs.writeFileSync(file, `\uFEFF# backups\r\n${recipientA}\r\n\r\n   # laptop\n  ${recipientB}  \n`);
    assert.deepEqual(await readRecipientsFile(file), [recipientA, recipientB]);
  });

  it('refuses a recipients file with a bad line (naming the line), or with none', async () => {
    const bad = fresh('recipients-bad.txt');
    fs.writeFileSync(bad, `# ok\n${recipientA}\nssh-rsa AAAAB3NzaC1yc2E me@host\n`);
    await assertUserError(
      readRecipientsFile(bad),
      ExitCode.Usage,
      /^Age recipient "ssh-rsa AAAAB3NzaC1yc2E me@host" on line 3 of \S+recipients-bad\.txt is not valid: SSH keys are not supported/,
    );
    const empty = fresh('recipients-empty.txt');
    fs.writeFileSync(empty, '# nobody yet\n\n');
    await assertUserError(readRecipientsFile(empty), ExitCode.Usage, /lists no age recipient/);
    await assertUserError(readRecipientsFile(fresh('none.txt')), ExitCode.Usage, /does not exist/);
  });

  it('reads an identity file as age-keygen writes it, with one key or several', async () => {
    const one = fresh('key.txt');
    fs.writeFileSync(one, `# created: 2026-11-30T12:00:00Z\n# public key: ${recipientA}\n${idA}\n`);
    assert.deepEqual(await readIdentityFile(one), [idA]);
    const several = fresh('keys.txt');
    fs.writeFileSync(several, `# old\n${idA}\r\n\n# new\n${idB}\n`);
    assert.deepEqual(await readIdentityFile(several), [idA, idB]);
  });

  it('refuses an identity file with a bad line without quoting it', async () => {
    const typo = idA.slice(0, 30) + (idA[30] === 'Q' ? 'P' : 'Q') + idA.slice(31);
    const cases: [string, RegExp][] = [
      [`# key\n${typo}\n`, /line 2 is not a valid age secret key/],
      [`${recipientA}\n`, /line 1 is a public key \(age1…\), not a secret key/],
      ['AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQ\n', /plugins are not supported/],
      [`${idA} trailing words\n`, /line 1 is not a valid age secret key/],
      ['# only comments\n', /holds no age secret key/],
      ['age-encryption.org/v1\n-> scrypt AAAA 18\n', /is itself age-encrypted/],
      [typo, /line 1 is not a valid age secret key/],
    ];
    for (const [text, message] of cases) {
      const file = fresh('identity.txt');
      fs.writeFileSync(file, text);
      await assertUserError(readIdentityFile(file), ExitCode.Usage, message);
    }
  });

  it('reads the first line of a passphrase file, blanks kept, line end dropped', async () => {
    const cases: [string, string][] = [
      [`${PASSPHRASE}\n`, PASSPHRASE],
      [`${PASSPHRASE}`, PASSPHRASE],
      [`${PASSPHRASE}\r\nsecond line\n`, PASSPHRASE],
      [`\uFEFF${PASSPHRASE}\n`, PASSPHRASE],
      [`  spaced out  \n`, '  spaced out  '],
    ];
    for (const [text, expected] of cases) {
      const file = fresh('pass.txt');
      fs.writeFileSync(file, text);
      assert.equal(await readPassphraseFile(file), expected);
    }
  });

  it('refuses a passphrase file whose first line is empty', async () => {
    for (const text of ['', '\n', '\nthe passphrase on line two\n']) {
      const file = fresh('pass-empty.txt');
      fs.writeFileSync(file, text);
      await assertUserError(readPassphraseFile(file), ExitCode.Usage, /starts with an empty line/);
    }
  });

  it('refuses an empty passphrase or no recipient when encrypting, and an invalid identity when decrypting', async () => {
    await assertUserError(encryptFile(plain, fresh('x'), { passphrase: '' }), ExitCode.Usage, /passphrase is empty/);
    await assertUserError(encryptFile(plain, fresh('x'), { recipients: [] }), ExitCode.Usage, /No age recipient/);
    await assertUserError(
      encryptFile(plain, fresh('x'), { passphrase: PASSPHRASE }, { scryptWorkFactor: 22 }),
      ExitCode.Usage,
      /work factor must be a whole number from 1 to 20/,
    );
    const sealed = fresh('for-bad-identity.age');
    await encryptFile(plain, sealed, { recipients: [recipientA] });
    const typo = `${idA.slice(0, -1)}${idA.endsWith('Q') ? 'P' : 'Q'}`;
    await assertRefused(sealed, { identities: [idA, typo] }, ExitCode.Usage, /^Age identity 2 is not a valid/);
  });

  it('tells an age file from other files', async () => {
    const sealed = fresh('is.age');
    await encryptFile(plain, sealed, { recipients: [recipientA] });
    assert.equal(await isAgeFile(sealed), true);
    const zip = fresh('plain.zip');
    fs.writeFileSync(zip, buildZip([{ name: 'manifest.json', data: Buffer.from('{}') }]));
    assert.equal(await isAgeFile(zip), false);
    const empty = fresh('empty');
    fs.writeFileSync(empty, '');
    assert.equal(await isAgeFile(empty), false);
  });
});

describe('interoperability with the age command-line tool', () => {
  const skip = skipWithoutAge();
  const small = randomBytes(MiB + 3);
  let smallFile: string;
  before(() => {
    smallFile = fresh('small.bin');
    fs.writeFileSync(smallFile, small);
  });

  it('our file decrypts with `age -d -i key.txt` (age-keygen key, among two recipients)', { skip }, async () => {
    requireAge();
    const keyFile = fresh('cli-key.txt');
    const cliRecipient = ageKeygen(keyFile);
    const sealed = fresh('ours.age');
    await encryptFile(plain, sealed, { recipients: [recipientA, await parseRecipient(cliRecipient)] });
    const out = fresh('cli-out.bin');
    age(['-d', '-i', keyFile, '-o', out, sealed]);
    assert.ok(fs.readFileSync(out).equals(plainBytes));
  });

  it('reads age-keygen output, and decrypts what `age -r` and `age -R file` encrypted', { skip }, async () => {
    requireAge();
    const keyFile = fresh('cli-key.txt');
    const cliRecipient = ageKeygen(keyFile);
    const identities = await readIdentityFile(keyFile);
    assert.equal(identities.length, 1);
    assert.match(identities[0]!, /^AGE-SECRET-KEY-1[0-9A-Z]+$/);

    const byR = fresh('by-r.age');
    age(['-r', cliRecipient, '-o', byR, plain]);
    await assertDecrypts(byR, { identities }, plainBytes);

    const recipientsFile = fresh('recipients.txt');
    fs.writeFileSync(recipientsFile, `# two keys\n${recipientA}\n\n${cliRecipient}\n`);
    assert.deepEqual(await readRecipientsFile(recipientsFile), [recipientA, cliRecipient]);
    const byFile = fresh('by-R.age');
    age(['-R', recipientsFile, '-o', byFile, plain]);
    await assertDecrypts(byFile, { identities }, plainBytes);
    await assertDecrypts(byFile, { identities: [idA] }, plainBytes);
  });

  it('our passphrase file decrypts with `age -d`, and a wrong passphrase is refused by age too', { skip }, async () => {
    requireAge();
    const sealed = fresh('ours-pass.age');
    await encryptFile(smallFile, sealed, { passphrase: PASSPHRASE }, { scryptWorkFactor: LOW_WORK });
    const out = fresh('cli-pass-out.bin');
    const ok = ageWithPassphrase(['-d', '-o', out, sealed], PASSPHRASE, 1);
    assert.equal(ok.status, 0, ok.output);
    assert.ok(fs.readFileSync(out).equals(small));
    const wrong = ageWithPassphrase(['-d', '-o', fresh('cli-wrong.bin'), sealed], WRONG_PASSPHRASE, 1);
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.output, /incorrect passphrase/);
  });

  it('decrypts what `age -p` encrypted (its own work factor)', { skip }, async () => {
    requireAge();
    const sealed = fresh('cli-pass.age');
    const made = ageWithPassphrase(['-p', '-o', sealed, smallFile], PASSPHRASE, 2);
    assert.equal(made.status, 0, made.output);
    assert.match(fs.readFileSync(sealed).subarray(0, 100).toString('latin1'), /\n-> scrypt \S+ \d+\n/);
    // age's default work factor (18) costs seconds in JavaScript: one decryption only
    await assertDecrypts(sealed, { passphrase: PASSPHRASE }, small);
  });
});

describe('refusals', () => {
  let sealed: string;
  let sealedWithPassphrase: string;
  before(async () => {
    sealed = fresh('refusals.age');
    await encryptFile(plain, sealed, { recipients: [recipientA] });
    sealedWithPassphrase = fresh('refusals-pass.age');
    await encryptFile(plain, sealedWithPassphrase, { passphrase: PASSPHRASE }, { scryptWorkFactor: LOW_WORK });
  });

  const NO_MATCH = /^Cannot decrypt \S+\.age: the identity or passphrase does not match$/;
  const DAMAGED = /^\S+variant\.age is damaged or truncated: its encrypted data fails authentication$/;

  it('refuses a wrong identity (Failure), and says what the file is encrypted to', async () => {
    await assertRefused(sealed, { identities: [idOther] }, ExitCode.Failure, NO_MATCH, /1 recipient key/);
  });

  it('says when a file is encrypted to keys of a kind not supported here (ssh)', async () => {
    const toSsh = writeVariant(sealed, (bytes) => {
      const text = bytes.toString('latin1');
      return Buffer.from(text.replace('\n-> X25519 ', '\n-> ssh-ed25519 Ss2Xbw '), 'latin1');
    });
    await assertRefused(toSsh, { identities: [idA] }, ExitCode.Failure, NO_MATCH, /not supported here \(ssh-ed25519\)/);
  });

  it('refuses a wrong passphrase, and a key of the wrong kind', async () => {
    await assertRefused(
      sealedWithPassphrase,
      { passphrase: WRONG_PASSPHRASE },
      ExitCode.Failure,
      NO_MATCH,
      /different passphrase/,
    );
    await assertRefused(sealed, { passphrase: PASSPHRASE }, ExitCode.Failure, NO_MATCH, /not with a passphrase/);
    await assertRefused(sealedWithPassphrase, { identities: [idA] }, ExitCode.Failure, NO_MATCH, /not to a key/);
  });

  it('refuses a file cut in the middle of a chunk, with part of it already decrypted', async () => {
    const cut = writeVariant(sealed, (bytes) => bytes.subarray(0, payloadStart(bytes) + 3 * CHUNK + 1000));
    await assertRefused(cut, { identities: [idA] }, ExitCode.VerificationFailed, DAMAGED);
    const cutPass = writeVariant(sealedWithPassphrase, (bytes) => bytes.subarray(0, bytes.length - 1));
    await assertRefused(cutPass, { passphrase: PASSPHRASE }, ExitCode.VerificationFailed, DAMAGED);
  });

  it('refuses a file cut exactly at a 64 KiB chunk boundary', async () => {
    for (const chunks of [1, 10]) {
      const cut = writeVariant(sealed, (bytes) => bytes.subarray(0, payloadStart(bytes) + chunks * CHUNK));
      await assertRefused(cut, { identities: [idA] }, ExitCode.VerificationFailed, DAMAGED);
    }
  });

  it('refuses a file cut right after its header, or inside it', async () => {
    const noPayload = writeVariant(sealed, (bytes) => bytes.subarray(0, payloadStart(bytes) - 16));
    await assertRefused(noPayload, { identities: [idA] }, ExitCode.VerificationFailed, /ends right after its header/);
    const inHeader = writeVariant(sealed, (bytes) => bytes.subarray(0, 60));
    await assertRefused(inHeader, { identities: [idA] }, ExitCode.VerificationFailed, /its header is malformed/);
  });

  it('refuses a file with bytes appended', async () => {
    const longer = writeVariant(sealed, (bytes) => Buffer.concat([bytes, Buffer.from('x')]));
    await assertRefused(longer, { identities: [idA] }, ExitCode.VerificationFailed, DAMAGED);
  });

  it('refuses a flipped payload byte', async () => {
    const flipped = writeVariant(
      sealed,
      flipByte((bytes) => Math.floor(bytes.length / 2)),
    );
    await assertRefused(flipped, { identities: [idA] }, ExitCode.VerificationFailed, DAMAGED);
    const last = writeVariant(
      sealedWithPassphrase,
      flipByte((bytes) => bytes.length - 1),
    );
    await assertRefused(last, { passphrase: PASSPHRASE }, ExitCode.VerificationFailed, DAMAGED);
  });

  it('refuses a flipped header byte', async () => {
    const inMac = writeVariant(
      sealed,
      changeBase64Char((bytes) => bytes.indexOf('\n--- ') + 8),
    );
    await assertRefused(inMac, { identities: [idA] }, ExitCode.VerificationFailed, /header fails authentication$/);
    const inNonce = writeVariant(
      sealed,
      flipByte((bytes) => payloadStart(bytes) - 5),
    );
    await assertRefused(inNonce, { identities: [idA] }, ExitCode.VerificationFailed, DAMAGED);
    const inVersion = writeVariant(
      sealed,
      flipByte(() => 3),
    );
    await assertRefused(inVersion, { identities: [idA] }, ExitCode.VerificationFailed, /is not an age-encrypted file$/);
    // the stanza that wraps the file key cannot be told from one made for another key
    const inStanza = writeVariant(
      sealed,
      changeBase64Char((bytes) => bytes.indexOf('\n--- ') - 3),
    );
    await assertRefused(inStanza, { identities: [idA] }, ExitCode.Failure, NO_MATCH, /header is damaged/);
  });

  it('refuses a plain zip, an empty file and an armored age file as not age-encrypted', async () => {
    const zip = fresh('plain.zip');
    fs.writeFileSync(zip, buildZip([{ name: 'manifest.json', data: randomBytes(5000) }]));
    await assertRefused(
      zip,
      { identities: [idA] },
      ExitCode.VerificationFailed,
      /plain\.zip is not an age-encrypted file$/,
    );
    const empty = fresh('empty.age');
    fs.writeFileSync(empty, '');
    await assertRefused(
      empty,
      { passphrase: PASSPHRASE },
      ExitCode.VerificationFailed,
      /is not an age-encrypted file$/,
    );
    const hello = fresh('hello.txt');
    fs.writeFileSync(hello, 'hello');
    const small = fresh('hello.age');
    await encryptFile(hello, small, { recipients: [recipientA] });
    const armored = fresh('armored.age');
    fs.writeFileSync(armored, armor.encode(fs.readFileSync(small)));
    await assertRefused(armored, { identities: [idA] }, ExitCode.VerificationFailed, /ASCII-armored/);
  });
});

describe('memory', () => {
  it('encrypts and decrypts 200 MiB with RSS growing by less than 100 MiB', async (t: TestContext) => {
    const big = fresh('big.bin');
    const hash = createHash('sha256');
    const block = Buffer.alloc(MiB);
    const fd = fs.openSync(big, 'w');
    for (let i = 0; i < 200; i++) {
      randomFillSync(block);
      hash.update(block);
      fs.writeSync(fd, block);
    }
    fs.closeSync(fd);
    const bigSha = hash.digest('hex');

    const measure = async <T>(run: () => Promise<T>): Promise<{ result: T; base: number; peak: number }> => {
      const base = process.memoryUsage().rss;
      let peak = base;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        const result = await run();
        return { result, base, peak: Math.max(peak, process.memoryUsage().rss) };
      } finally {
        clearInterval(timer);
      }
    };
    const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

    const sealed = fresh('big.age');
    const enc = await measure(() => encryptFile(big, sealed, { recipients: [recipientA] }));
    fs.rmSync(big);
    const out = fresh('big.out');
    const dec = await measure(() => decryptFile(sealed, out, { identities: [idA] }));
    assert.equal(dec.result.sha256, bigSha);
    assert.equal(dec.result.size, 200 * MiB);
    assert.equal(enc.result.size, fs.statSync(sealed).size);
    fs.rmSync(sealed);
    fs.rmSync(out);

    for (const [name, m] of [
      ['encrypt', enc],
      ['decrypt', dec],
    ] as const) {
      t.diagnostic(
        `${name} 200 MiB: RSS ${mib(m.base)} MiB before, peak ${mib(m.peak)} MiB (+${mib(m.peak - m.base)})`,
      );
      assert.ok(m.peak - m.base < 100 * MiB, `${name} grew RSS by ${mib(m.peak - m.base)} MiB`);
    }
  });
});
