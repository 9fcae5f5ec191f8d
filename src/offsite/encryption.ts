/**
 * age encryption of the copies sent off site: to X25519 recipients (`age1…`)
 * or with a passphrase (scrypt), file to file, streaming, so that memory does
 * not grow with the archive. The files are ordinary age v1 files that the
 * `age` command-line tool reads and writes too.
 *
 * The `age-encryption` package is imported only when a function here runs, so
 * that the commands start fast when nothing is encrypted.
 *
 * age authenticates its payload chunk by chunk and notices a truncation only
 * at the end, so decryption writes into the destination as it goes and
 * removes it when anything fails: a destination that exists after
 * `decryptFile` resolved is whole and authentic.
 *
 * No message made here contains a passphrase or a secret key: the package's
 * own messages sometimes quote the key they reject, so they are never passed
 * on for identities.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type * as AgeModule from 'age-encryption';
import { describeError, diskFullError, ExitCode, isProgrammingError, permissionError, UserError } from '../errors.js';

/** Whom a file is encrypted for: age recipients (public keys), or one passphrase. */
export type EncryptTo = { recipients: string[] } | { passphrase: string };

/** What decrypts a file: age identities (secret keys), or a passphrase. */
export type DecryptWith = { identities: string[] } | { passphrase: string };

/** SHA-256 (hex) and size in bytes of the bytes written. */
export interface WrittenFile {
  sha256: string;
  size: number;
}

export interface EncryptOptions {
  /**
   * log2 of the scrypt work factor, for a passphrase: the package's default
   * (18, as the age tool) unless given. Tests use a low one for speed.
   */
  scryptWorkFactor?: number;
}

/** The first line of every age v1 file. */
const AGE_MAGIC = 'age-encryption.org/v1\n';
/** The first line of an ASCII-armored age file (`age -a`). */
const ARMOR_MAGIC = '-----BEGIN AGE ENCRYPTED FILE-----';
/** Key, recipient and passphrase files are small; a larger one is a wrong path. */
const MAX_KEY_FILE_BYTES = 1024 * 1024;
/** How much of an encrypted file is read to describe its header. */
const HEADER_PEEK_BYTES = 64 * 1024;
/** Header stanzas that a passphrase or an AGE-SECRET-KEY-(PQ-)1… identity can open. */
const DECRYPTABLE_STANZAS = new Set(['X25519', 'mlkem768x25519', 'scrypt']);
/** Recipient types of the package that are not plugins: age1pq1…, age1tag1…, age1tagpq1…. */
const NATIVE_RECIPIENT_KINDS = new Set(['pq', 'tag', 'tagpq']);

async function loadAge(): Promise<typeof AgeModule> {
  return await import('age-encryption');
}

// ---------------------------------------------------------------------------
// Keys, recipients and passphrases

/**
 * Checks one age recipient (`age1…`, as `age-keygen -y` prints it) and returns
 * it without surrounding blanks; a UserError (usage) says what is wrong.
 */
export async function parseRecipient(text: string): Promise<string> {
  return await checkRecipient(text, '');
}

/** parseRecipient, with where the recipient was found (" on line 3 of FILE") for the message. */
async function checkRecipient(text: string, where: string): Promise<string> {
  const recipient = text.trim();
  const problem = recipientProblem(recipient) ?? (await packageRecipientProblem(recipient));
  if (problem === null) return recipient;
  // never echo a secret key, even one given by mistake
  const what = /^AGE-SECRET-KEY-/i.test(recipient) ? 'An age recipient' : `Age recipient "${shorten(recipient)}"`;
  throw new UserError(`${what}${where} is not valid: ${problem}`, ExitCode.Usage);
}

/** What is wrong with a recipient, by its shape alone; null when the package must tell. */
function recipientProblem(recipient: string): string | null {
  if (recipient === '') return 'it is empty';
  if (/^AGE-SECRET-KEY-/i.test(recipient))
    return 'it is a secret key (AGE-SECRET-KEY-1…); give its public key, age1…, which age-keygen -y prints';
  if (/^(ssh-|ecdsa-sha2-|sk-ssh-)/.test(recipient))
    return 'SSH keys are not supported; give an age public key (age1…, made by age-keygen)';
  if (/\s/.test(recipient)) return 'it contains a blank; give one recipient at a time';
  if (!recipient.startsWith('age1')) return 'an age public key starts with age1';
  // a plugin recipient is age1<plugin>1<data>; the data of a native one has no '1'
  const plugin = /^age1([a-z0-9]+)1/.exec(recipient)?.[1];
  if (plugin !== undefined && !NATIVE_RECIPIENT_KINDS.has(plugin))
    return `age plugins (age-plugin-${plugin}) are not supported`;
  return null;
}

async function packageRecipientProblem(recipient: string): Promise<string | null> {
  const { Encrypter } = await loadAge();
  try {
    new Encrypter().addRecipient(recipient);
    return null;
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    if (/checksum/i.test(message)) return 'its checksum is wrong (a character is mistyped, missing or extra)';
    if (/length/i.test(message)) return 'it is too short or too long';
    return 'it is not a valid age public key';
  }
}

/**
 * Reads an age recipients file: one `age1…` per line; blank lines and lines
 * starting with `#` are ignored (as `age -R` does).
 */
export async function readRecipientsFile(file: string): Promise<string[]> {
  const text = await readKeyFile(file, 'recipients file');
  const recipients: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    recipients.push(await checkRecipient(line, ` on line ${index + 1} of ${file}`));
  }
  if (recipients.length === 0)
    throw new UserError(`The recipients file ${file} lists no age recipient`, ExitCode.Usage);
  return recipients;
}

/**
 * Reads an age identity file as age-keygen writes it: `AGE-SECRET-KEY-1…`
 * lines (several allowed), blank lines and `#` comments ignored.
 */
export async function readIdentityFile(file: string): Promise<string[]> {
  const text = await readKeyFile(file, 'identity file');
  if (text.startsWith(AGE_MAGIC) || text.startsWith(ARMOR_MAGIC))
    throw new UserError(
      `The identity file ${file} is itself age-encrypted; decrypt it first (age -d) and give the result`,
      ExitCode.Usage,
    );
  const identities: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const problem = await identityProblem(line);
    // the line is never quoted: it may be a secret key with a typo
    if (problem !== null)
      throw new UserError(`The identity file ${file} is not valid: line ${index + 1} ${problem}`, ExitCode.Usage);
    identities.push(line);
  }
  if (identities.length === 0)
    throw new UserError(`The identity file ${file} holds no age secret key (AGE-SECRET-KEY-1…)`, ExitCode.Usage);
  return identities;
}

/** What is wrong with an identity, in words that never quote it; null when it is valid. */
async function identityProblem(identity: string): Promise<string | null> {
  if (/^AGE-PLUGIN-/.test(identity)) return 'is an age plugin identity, and plugins are not supported';
  if (identity.startsWith('age1')) return 'is a public key (age1…), not a secret key (AGE-SECRET-KEY-1…)';
  if (!/^AGE-SECRET-KEY-(PQ-)?1/.test(identity)) return 'is not an age secret key (AGE-SECRET-KEY-1…)';
  const { Decrypter } = await loadAge();
  try {
    new Decrypter().addIdentity(identity);
    return null;
  } catch {
    return 'is not a valid age secret key (its checksum or length is wrong)';
  }
}

/**
 * Reads a passphrase file: its first line, without the line break; the rest
 * of the file is ignored. Blanks inside or around the passphrase are kept.
 */
export async function readPassphraseFile(file: string): Promise<string> {
  const text = await readKeyFile(file, 'passphrase file');
  const passphrase = /^[^\r\n]*/.exec(text)?.[0] ?? '';
  if (passphrase === '') throw new UserError(`The passphrase file ${file} starts with an empty line`, ExitCode.Usage);
  return passphrase;
}

async function readKeyFile(file: string, what: string): Promise<string> {
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw new UserError(`The ${what} ${file} is not a file`, ExitCode.Usage);
    if (stat.size > MAX_KEY_FILE_BYTES)
      throw new UserError(`The ${what} ${file} is too large (${stat.size} bytes) to be one`, ExitCode.Usage);
    // a byte order mark (some Windows editors add one) is not part of the key or passphrase
    return (await fs.promises.readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (err) {
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(`The ${what} ${file} does not exist`, ExitCode.Usage);
    throw permissionError(err) ?? err;
  }
}

function shorten(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 40)}…${text.slice(-12)}`;
}

// ---------------------------------------------------------------------------
// Files

/** True when `file` starts like an age v1 file (binary; an armored one is not). */
export async function isAgeFile(file: string): Promise<boolean> {
  return (await readHead(file, AGE_MAGIC.length)).toString('latin1') === AGE_MAGIC;
}

async function readHead(file: string, length: number): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Encrypts `src` into `dst`, which it creates (never overwrites) readable by
 * this user only. Returns the SHA-256 and size of the encrypted bytes, counted
 * as they are written. On failure `dst` does not exist afterwards.
 */
export async function encryptFile(
  src: string,
  dst: string,
  to: EncryptTo,
  options: EncryptOptions = {},
): Promise<WrittenFile> {
  const { Encrypter } = await loadAge();
  const encrypter = new Encrypter();
  if ('passphrase' in to) {
    if (to.passphrase === '') throw new UserError('The passphrase is empty', ExitCode.Usage);
    encrypter.setPassphrase(to.passphrase);
    const logN = options.scryptWorkFactor;
    if (logN !== undefined) {
      // age-encryption refuses to decrypt above 20, so a file made with more could not be read back here
      if (!Number.isInteger(logN) || logN < 1 || logN > 20)
        throw new UserError(`The scrypt work factor must be a whole number from 1 to 20, not ${logN}`, ExitCode.Usage);
      encrypter.setScryptWorkFactor(logN);
    }
  } else {
    if (to.recipients.length === 0) throw new UserError('No age recipient was given', ExitCode.Usage);
    for (const recipient of to.recipients) encrypter.addRecipient(await parseRecipient(recipient));
  }

  await openSource(src, 'encrypt', 0);
  const reader = fs.createReadStream(src);
  try {
    const encrypted = await encrypter.encrypt(toWeb(reader));
    return await writeCounting(encrypted, dst);
  } catch (err) {
    throw fileError(err, src, dst, 'encrypt') ?? err;
  } finally {
    reader.destroy();
  }
}

/**
 * Decrypts `src` into `dst`, which it creates (never overwrites) readable by
 * this user only. Returns the SHA-256 and size of the plain bytes. On any
 * failure `dst` does not exist afterwards, and the error is a one-line
 * UserError: a wrong key or passphrase exits with Failure; a damaged,
 * truncated or non-age file with VerificationFailed.
 */
export async function decryptFile(src: string, dst: string, keys: DecryptWith): Promise<WrittenFile> {
  const { Decrypter } = await loadAge();
  const decrypter = new Decrypter();
  if ('passphrase' in keys) {
    if (keys.passphrase === '') throw new UserError('The passphrase is empty', ExitCode.Usage);
    decrypter.addPassphrase(keys.passphrase);
  } else {
    if (keys.identities.length === 0) throw new UserError('No age identity was given', ExitCode.Usage);
    for (const [index, identity] of keys.identities.entries()) {
      const problem = await identityProblem(identity.trim());
      if (problem !== null) throw new UserError(`Age identity ${index + 1} ${problem}`, ExitCode.Usage);
      decrypter.addIdentity(identity.trim());
    }
  }

  const header = parseHeaderStart(await openSource(src, 'decrypt', HEADER_PEEK_BYTES), src);
  const reader = fs.createReadStream(src);
  try {
    let plain: ReadableStream<Uint8Array>;
    try {
      plain = await decrypter.decrypt(toWeb(reader));
    } catch (err) {
      throw headerError(err, src, header, 'passphrase' in keys) ?? err;
    }
    return await writeCounting(plain, dst);
  } catch (err) {
    throw fileError(err, src, dst, 'decrypt') ?? payloadError(err, src) ?? err;
  } finally {
    reader.destroy();
  }
}

function toWeb(reader: fs.ReadStream): ReadableStream<Uint8Array> {
  return Readable.toWeb(reader) as ReadableStream<Uint8Array>;
}

/** Checks that `src` is a readable file, before anything is created; returns its first `length` bytes. */
async function openSource(src: string, verb: Verb, length: number): Promise<Buffer> {
  try {
    const handle = await fs.promises.open(src, 'r');
    try {
      if (!(await handle.stat()).isFile()) throw new UserError(`Cannot ${verb} ${src}: it is not a file`);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw fileError(err, src, undefined, verb) ?? err;
  }
}

/**
 * Streams `data` into `dst`, a new private file, hashing and counting on the
 * way; the file is flushed to disk before it is closed. Removes `dst` when
 * anything fails after creating it (and only then: an existing file is never
 * touched).
 */
async function writeCounting(data: ReadableStream<Uint8Array>, dst: string): Promise<WrittenFile> {
  const hash = createHash('sha256');
  let size = 0;
  let created = false;
  const output = fs.createWriteStream(dst, { flags: 'wx', mode: 0o600, flush: true });
  output.once('open', () => (created = true));
  try {
    await pipeline(
      Readable.fromWeb(data as WebReadableStream<Uint8Array>),
      async function* (chunks: AsyncIterable<Uint8Array>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      output,
    );
  } catch (err) {
    // the file may still be opening: wait until it is closed to know whether it was created
    if (!output.closed) await new Promise<void>((resolve) => output.once('close', () => resolve()).destroy());
    if (created) await removeQuietly(dst, err);
    throw err;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Removes a partly written file; a failure to remove it is added to the error, not thrown. */
async function removeQuietly(file: string, cause: unknown): Promise<void> {
  try {
    await fs.promises.rm(file, { force: true });
  } catch (err) {
    if (cause instanceof Error) cause.message += ` (and ${file} could not be removed: ${(err as Error).message})`;
  }
}

/** What the start of an encrypted file says: refuses a file that is not age; lists its recipient types. */
function parseHeaderStart(start: Buffer, src: string): { stanzas: string[] } {
  const head = start.toString('latin1');
  if (head.startsWith(ARMOR_MAGIC))
    throw new UserError(
      `${src} is an ASCII-armored age file, which is not supported; convert it with age -d, or store copies unarmored`,
      ExitCode.VerificationFailed,
    );
  if (!head.startsWith(AGE_MAGIC))
    throw new UserError(`${src} is not an age-encrypted file`, ExitCode.VerificationFailed);
  const stanzas: string[] = [];
  for (const line of head.split('\n')) {
    if (line.startsWith('---')) break;
    const type = /^-> (\S+)/.exec(line)?.[1];
    if (type !== undefined) stanzas.push(type);
  }
  return { stanzas };
}

/** The file's header was refused: a wrong key, or a damaged file. */
function headerError(err: unknown, src: string, header: { stanzas: string[] }, passphrase: boolean): UserError | null {
  if (!(err instanceof Error) || isSystemError(err)) return null;
  if (err.message === "no identity matched any of the file's recipients")
    return new UserError(
      `Cannot decrypt ${src}: the identity or passphrase does not match`,
      ExitCode.Failure,
      describeRecipients(header.stanzas, passphrase),
    );
  if (err.message === 'invalid header HMAC') return damaged(src, 'its header fails authentication');
  if (err.message === 'scrypt work factor is too high')
    return damaged(src, 'its passphrase needs a scrypt work factor above 2^20, which is refused');
  if (/^stream ended/.test(err.message)) return damaged(src, 'it ends right after its header');
  // the rest (a bad stanza, bad base64, a cut line) is the package refusing the header's bytes
  return damaged(src, 'its header is malformed');
}

/** Says how a file is encrypted, for the hint of a key that does not match it. */
function describeRecipients(stanzas: string[], passphrase: boolean): string {
  const unsupported = stanzas.filter((type) => !DECRYPTABLE_STANZAS.has(type));
  if (stanzas.length > 0 && unsupported.length === stanzas.length)
    return `It is encrypted to keys of a kind not supported here (${[...new Set(unsupported)].join(', ')}); decrypt it with age.`;
  if (stanzas.includes('scrypt'))
    return passphrase
      ? 'It is encrypted with a different passphrase.'
      : 'It is encrypted with a passphrase, not to a key.';
  const count = stanzas.length;
  const keys = `${count} recipient key${count === 1 ? '' : 's'}`;
  return passphrase
    ? `It is encrypted to ${keys}, not with a passphrase.`
    : `It is encrypted to ${keys}; if one of them is yours, the file's header is damaged.`;
}

/** The payload failed authentication, or ended early. */
function payloadError(err: unknown, src: string): UserError | null {
  if (!(err instanceof Error) || isSystemError(err) || isProgrammingError(err)) return null;
  if (/invalid tag|final chunk is empty/.test(err.message))
    return damaged(src, 'its encrypted data fails authentication');
  return null;
}

function damaged(src: string, problem: string): UserError {
  return new UserError(`${src} is damaged or truncated: ${problem}`, ExitCode.VerificationFailed);
}

type Verb = 'encrypt' | 'decrypt';

function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && 'syscall' in err;
}

/** A file-system failure reading `src` or writing `dst`, said as one line; null for anything else. */
function fileError(err: unknown, src: string, dst: string | undefined, verb: Verb): UserError | null {
  if (err instanceof UserError) return err;
  if (!isSystemError(err)) return null;
  const known = permissionError(err) ?? (dst === undefined ? null : diskFullError(err, path.dirname(dst)));
  if (known) return known;
  const onDst = dst !== undefined && err.path === dst;
  if (err.code === 'EEXIST' && onDst) return new UserError(`${dst} already exists; it was left as it was`);
  if (err.code === 'ENOENT')
    return new UserError(
      onDst ? `Cannot write ${dst}: its folder does not exist` : `Cannot ${verb} ${src}: it does not exist`,
    );
  if (err.code === 'EISDIR' && !onDst) return new UserError(`Cannot ${verb} ${src}: it is a folder`);
  return new UserError(`Cannot ${verb} ${src}: ${describeError(err)}`);
}
