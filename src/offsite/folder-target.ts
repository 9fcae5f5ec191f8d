/**
 * A folder target: an external drive, a NAS mount, any path or file:// URL.
 *
 * A copy is written under a temporary name, fsynced, then linked to its final
 * name (link refuses to overwrite) and read back to confirm its checksum; its
 * facts sit beside it in `<name>.json`, written before the copy appears. The
 * folder must exist: a missing one usually means an unmounted drive, and
 * creating it would put the copy on the local disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { describeError, ExitCode, UserError } from '../errors.js';
import { fsyncDir, removeStaleTempFiles, tempPath } from '../archive/backups-folder.js';
import { hashingStream, sha256OfFile } from './hashing.js';
import { COPY_NAME, type CopyFacts, factsFromRecord, factsToRecord, type RemoteCopy, type Target } from './target.js';

/** The folder a target names: a path, or a file:// URL. */
export function folderOf(spec: string): string {
  return path.resolve(spec.startsWith('file:') ? fileURLToPath(spec) : spec);
}

const factsPath = (file: string): string => `${file}.json`;

/** Copies `from` to `to` (created private, never overwritten), returning the SHA-256 of the bytes copied. */
export async function copyCounting(from: string, to: string, onBytes?: (bytes: number) => void): Promise<string> {
  const hashing = hashingStream(onBytes);
  await pipeline(fs.createReadStream(from), hashing.stream, fs.createWriteStream(to, { flags: 'wx', mode: 0o600 }));
  return hashing.sha256();
}

function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class FolderTarget implements Target {
  constructor(
    readonly label: string,
    private readonly dir: string,
  ) {}

  private checkFolder(): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new UserError(
        `Target folder ${this.dir} does not exist (is the drive mounted?)`,
        ExitCode.Failure,
        `Mount the drive, or create the folder once with: mkdir -p ${this.dir}`,
      );
    }
    if (!stat.isDirectory()) throw new UserError(`Target ${this.dir} is not a folder`);
  }

  async put(file: string, name: string, facts: CopyFacts): Promise<void> {
    this.checkFolder();
    const final = path.join(this.dir, name);
    if (fs.existsSync(final)) throw new UserError(`${this.label} already holds ${name}; it was not overwritten`);
    const temp = tempPath(this.dir, '');
    const tempFacts = tempPath(this.dir, '');
    try {
      await copyCounting(file, temp);
      syncFile(temp);
      fs.writeFileSync(tempFacts, `${JSON.stringify(factsToRecord(facts), null, 2)}\n`, { mode: 0o600 });
      syncFile(tempFacts);
      fs.renameSync(tempFacts, factsPath(final));
      fs.linkSync(temp, final);
      fs.unlinkSync(temp);
      fsyncDir(this.dir);
    } catch (err) {
      fs.rmSync(temp, { force: true });
      fs.rmSync(tempFacts, { force: true });
      if (!fs.existsSync(final)) fs.rmSync(factsPath(final), { force: true });
      throw err;
    }
    await this.confirm(final, facts);
  }

  /** Reads the copy back: what landed on the drive must be what was sent. */
  private async confirm(final: string, facts: CopyFacts): Promise<void> {
    const size = fs.statSync(final).size;
    const sha256 = await sha256OfFile(final);
    if (size === facts.size && sha256 === facts.sha256) return;
    fs.rmSync(final, { force: true });
    fs.rmSync(factsPath(final), { force: true });
    throw new UserError(
      `The copy in ${this.label} does not read back as written (${size} bytes, SHA-256 ${sha256.slice(0, 12)}…, ` +
        `expected ${facts.size} bytes, ${facts.sha256.slice(0, 12)}…); it was removed`,
    );
  }

  list(): Promise<RemoteCopy[]> {
    this.checkFolder();
    const copies: RemoteCopy[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (!COPY_NAME.test(name)) continue;
      const file = path.join(this.dir, name);
      const stat = fs.statSync(file);
      if (stat.isFile()) copies.push({ name, size: stat.size, facts: this.readFacts(file) });
    }
    return Promise.resolve(copies);
  }

  private readFacts(file: string): CopyFacts | null {
    try {
      return factsFromRecord(JSON.parse(fs.readFileSync(factsPath(file), 'utf8')) as Record<string, string>);
    } catch {
      return null;
    }
  }

  async get(name: string, file: string, onBytes?: (bytes: number) => void): Promise<CopyFacts | null> {
    this.checkFolder();
    const source = path.join(this.dir, name);
    if (!COPY_NAME.test(name) || !fs.existsSync(source)) {
      throw new UserError(`${this.label} holds no copy named ${name}`, ExitCode.Failure, {
        kind: 'copy-not-found',
        target: this.label,
      });
    }
    try {
      await copyCounting(source, file, onBytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') fs.rmSync(file, { force: true });
      throw new UserError(`Cannot read ${name} from ${this.label}: ${describeError(err)}`);
    }
    return this.readFacts(source);
  }

  remove(names: string[]): Promise<void> {
    for (const name of names) {
      const file = path.join(this.dir, name);
      fs.rmSync(file, { force: true });
      fs.rmSync(factsPath(file), { force: true });
    }
    if (names.length > 0) fsyncDir(this.dir);
    return Promise.resolve();
  }

  cleanUp(): Promise<number> {
    if (!fs.existsSync(this.dir)) return Promise.resolve(0);
    let removed = removeStaleTempFiles(this.dir).length;
    // facts whose copy never appeared (a run killed between the two renames)
    for (const name of fs.readdirSync(this.dir)) {
      const copy = name.slice(0, -'.json'.length);
      if (name.endsWith('.json') && COPY_NAME.test(copy) && !fs.existsSync(path.join(this.dir, copy))) {
        fs.rmSync(path.join(this.dir, name), { force: true });
        removed++;
      }
    }
    return Promise.resolve(removed);
  }
}
