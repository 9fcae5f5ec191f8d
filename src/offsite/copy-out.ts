/**
 * Copies a new, locally verified archive to every target: encrypted once
 * (when asked) into a private temporary file, then put to each target in
 * turn. A target that fails does not stop the others; the local archive is
 * never touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeError, UserError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { isDatabaseOnly } from '../manifest.js';
import type { Reporter } from '../output.js';
import { tempPath } from '../archive/backups-folder.js';
import { type EncryptTo, encryptFile } from './encryption.js';
import { sha256OfFile } from './hashing.js';
import type { CopyFacts, Target } from './target.js';

export interface CopyOutcome {
  target: string;
  name: string;
  ok: boolean;
  problem?: string;
  facts?: CopyFacts;
}

export interface CopyRequest {
  archivePath: string;
  manifest: Manifest;
  targets: Target[];
  encryptTo: EncryptTo | null;
  /** Passphrase work factor (scrypt log2 N); the age default when absent. */
  scryptWorkFactor?: number;
}

const RETRY_DELAYS_MS = [1000, 3000];

export async function copyToTargets(request: CopyRequest, reporter: Reporter): Promise<CopyOutcome[]> {
  const { archivePath, manifest, targets, encryptTo } = request;
  const plainSha256 = await sha256OfFile(archivePath);
  const base = path.basename(archivePath);
  let upload = archivePath;
  let facts: CopyFacts = {
    sha256: plainSha256,
    size: fs.statSync(archivePath).size,
    plainSha256,
    encrypted: false,
    complete: !isDatabaseOnly(manifest),
    createdAt: manifest.created_at,
  };
  if (encryptTo) {
    upload = tempPath(path.dirname(archivePath), '');
    const sealed = await encryptFile(archivePath, upload, encryptTo, { scryptWorkFactor: request.scryptWorkFactor });
    facts = { ...facts, sha256: sealed.sha256, size: sealed.size, encrypted: true };
  }
  const name = encryptTo ? `${base}.age` : base;
  try {
    const outcomes: CopyOutcome[] = [];
    for (const target of targets) outcomes.push(await copyTo(target, upload, name, facts, reporter));
    return outcomes;
  } finally {
    if (upload !== archivePath) fs.rmSync(upload, { force: true });
  }
}

async function copyTo(
  target: Target,
  file: string,
  name: string,
  facts: CopyFacts,
  reporter: Reporter,
): Promise<CopyOutcome> {
  reporter.info(`[INFO] Copying ${name} to ${target.label}...`);
  for (let attempt = 0; ; attempt++) {
    try {
      await target.cleanUp();
      await target.put(file, name, facts);
      reporter.info(`[OK] Copied ${name} to ${target.label} (SHA-256 ${facts.sha256.slice(0, 12)}… confirmed)`);
      return { target: target.label, name, ok: true, facts };
    } catch (err) {
      // a refusal (denied, no such bucket, already there) will not change by asking again
      const delay = err instanceof UserError ? undefined : RETRY_DELAYS_MS[attempt];
      if (delay === undefined) {
        const problem = describeError(err);
        reporter.warn(`Copy to ${target.label} failed: ${problem}; the local archive is kept`);
        return { target: target.label, name, ok: false, problem };
      }
      reporter.info(`[INFO] Copy to ${target.label} failed (${describeError(err)}); trying again`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
