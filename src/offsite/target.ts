/**
 * An off-site target: a folder (an external drive, a NAS mount) or an
 * S3-compatible bucket that holds copies of archives, plain or encrypted.
 *
 * A copy becomes visible under its name only when it is whole, and carries
 * the facts needed to check it without trusting the transport.
 */

/** What travels with every copy. */
export interface CopyFacts {
  /** SHA-256 (hex) of the bytes stored: the encrypted file when encrypted. */
  sha256: string;
  /** Size in bytes of what is stored. */
  size: number;
  /** SHA-256 (hex) of the plain zip archive. */
  plainSha256: string;
  encrypted: boolean;
  /** False for a database-only archive; retention keeps a complete one. */
  complete: boolean;
  /** The manifest's created_at (local time, as recorded), for retention. */
  createdAt: string;
}

export interface RemoteCopy {
  /** backup_YYYYMMDD_HHMMSS[_N].zip, with .age appended when encrypted. */
  name: string;
  size: number;
  /** null when the target holds no facts for it (a copy made by hand). */
  facts: CopyFacts | null;
}

export interface Target {
  /** The target as the user named it, without secrets: a folder path or s3://bucket/prefix. */
  readonly label: string;
  /**
   * Stores `file` under `name`: visible only once complete, never
   * overwriting a copy of that name; then confirms its size and checksum.
   */
  put(file: string, name: string, facts: CopyFacts): Promise<void>;
  /** The archive copies (names matching the archive pattern), any order. */
  list(): Promise<RemoteCopy[]>;
  /**
   * Downloads `name` into `file`, which it creates readable by this user
   * only; `onBytes` sees the running total. Returns the copy's facts.
   */
  get(name: string, file: string, onBytes?: (bytes: number) => void): Promise<CopyFacts | null>;
  /** Deletes these copies (and their facts). */
  remove(names: string[]): Promise<void>;
  /** Removes what interrupted copies left behind; returns how many it removed. */
  cleanUp(): Promise<number>;
}

/** backup_YYYYMMDD_HHMMSS[_N].zip[.age]: the only names a target lists. */
export const COPY_NAME = /^backup_\d{8}_\d{6}(?:_\d+)?\.zip(?:\.age)?$/;

/** Facts as text key/values (S3 user metadata, a folder's side file). */
export function factsToRecord(facts: CopyFacts): Record<string, string> {
  return {
    sha256: facts.sha256,
    size: String(facts.size),
    'plain-sha256': facts.plainSha256,
    encrypted: String(facts.encrypted),
    complete: String(facts.complete),
    'created-at': facts.createdAt,
  };
}

/** The facts back from text key/values; null when any is missing or malformed. */
export function factsFromRecord(record: Record<string, string | undefined>): CopyFacts | null {
  const { sha256, size, encrypted, complete } = record;
  const plainSha256 = record['plain-sha256'];
  const createdAt = record['created-at'];
  const hex = /^[0-9a-f]{64}$/;
  if (!sha256 || !hex.test(sha256) || !plainSha256 || !hex.test(plainSha256)) return null;
  if (!size || !/^\d+$/.test(size) || createdAt === undefined) return null;
  if ((encrypted !== 'true' && encrypted !== 'false') || (complete !== 'true' && complete !== 'false')) return null;
  return {
    sha256,
    size: Number(size),
    plainSha256,
    encrypted: encrypted === 'true',
    complete: complete === 'true',
    createdAt,
  };
}
