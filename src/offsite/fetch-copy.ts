/**
 * Brings a copy back from a target as a plain archive in a private temporary
 * file: downloaded with progress, checked against its recorded SHA-256,
 * decrypted when it is an age file (the plain checksum checked too). The
 * caller verifies the archive as any local one and removes the file after.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import type { Reporter } from '../output.js';
import { tempPath } from '../archive/backups-folder.js';
import { type DecryptWith, decryptFile } from './encryption.js';
import { sha256OfFile } from './hashing.js';
import type { RemoteCopy, Target } from './target.js';

export interface FetchedCopy {
  /** The plain archive, under its own name in a private temporary folder of the work folder. */
  path: string;
  /** The copy's name on the target. */
  name: string;
  /** The copy as a user names it: the target and the copy's name. */
  source: string;
  remove(): void;
}

function mismatch(what: string, name: string, target: Target): UserError {
  return new UserError(
    `${name} from ${target.label} does not match its recorded SHA-256 (${what}); it was not used`,
    ExitCode.VerificationFailed,
  );
}

/** Fetches `copy`, as the target listed it. */
export async function fetchCopy(
  target: Target,
  copy: RemoteCopy,
  workDir: string,
  decryptWith: DecryptWith | null,
  reporter: Reporter,
): Promise<FetchedCopy> {
  const { name } = copy;
  const encrypted = name.endsWith('.age');
  if (encrypted && !decryptWith) {
    throw new UserError(`${name} is encrypted; a key is needed to read it`, ExitCode.Failure, {
      kind: 'decryption-key-needed',
    });
  }
  // a private folder of its own, so that the archive keeps its name in what a restore prints
  const folder = tempPath(workDir, '');
  fs.mkdirSync(folder, { mode: 0o700 });
  const plainName = encrypted ? name.slice(0, -'.age'.length) : name;
  const downloaded = path.join(folder, name);
  const remove = (): void => fs.rmSync(folder, { recursive: true, force: true });
  const source = `${target.label}/${name}`;
  try {
    const bar = reporter.progress(`Downloading ${name}`, copy.size, 'bytes');
    let facts;
    try {
      facts = await target.get(name, downloaded, (bytes) => bar.update(bytes));
    } finally {
      bar.finish(facts !== undefined);
    }
    if (!facts) reporter.warn(`${target.label} records no checksum for ${name}; the archive's own checks still apply`);
    else if ((await sha256OfFile(downloaded)) !== facts.sha256) throw mismatch('download', name, target);
    if (!encrypted || !decryptWith) return { path: downloaded, name, source, remove };
    const plain = path.join(folder, plainName);
    try {
      const opened = await decryptFile(downloaded, plain, decryptWith);
      if (facts && opened.sha256 !== facts.plainSha256) throw mismatch('decrypted', name, target);
    } finally {
      fs.rmSync(downloaded, { force: true });
    }
    return { path: plain, name, source, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
