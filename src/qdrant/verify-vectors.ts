/**
 * Verification of an archive's vector file (qdrant_vectors.json): every
 * point read and checked against the collection's config, ids each once,
 * the collection settings sane, and the count, vector size and distance
 * agreeing with the manifest and the file's own header.
 */
import { pipeline as pipeStreams } from 'node:stream';
import { ArchiveError, describeError, isProgrammingError } from '../errors.js';
import { type Manifest, VECTORS_ENTRY } from '../manifest.js';
import { printable } from '../output.js';
import { Utf8Check } from '../json/utf8-check.js';
import type { ArchiveReader, EntryDigest } from '../archive/reader.js';
import { ZipFormatError } from '../archive/reader.js';
import { distanceFromText } from './collection.js';
import { collectionProblem } from './collection-check.js';
import { comparePointKeys, formatPointKey, type PointKey } from './points.js';
import { readVectorsFile, type VectorsDescription } from './vectors-file.js';

/** An archive's vector file as verification found it. */
export interface VerifiedVectors {
  description: VectorsDescription;
  points: number;
  /** SHA-256 of the entry's bytes as verified: a later read must find the same bytes. */
  sha256: string;
}

/**
 * Each point once: a repeated id would be upserted twice and the collection
 * would come out short, which the restore would only notice after replacing
 * the live data. Format 1 files are in Qdrant's id order (the backup checks
 * it), so a rising order proves there is no repeat at no memory cost; the
 * original tool's files are not documented to be ordered, so there every id
 * is remembered.
 */
class PointIdCheck {
  private last: PointKey | null = null;
  private readonly seen = new Set<string>();

  constructor(private readonly ordered: boolean) {}

  /** A problem with this point's id, or null. */
  check(key: PointKey): string | null {
    if (this.ordered) {
      const last = this.last;
      this.last = key;
      if (last && comparePointKeys(last, key) >= 0) {
        return `point ${formatPointKey(key)} comes after point ${formatPointKey(last)}: ids must rise strictly (a point is repeated or out of order)`;
      }
      return null;
    }
    const text = `${key.kind}:${formatPointKey(key)}`;
    if (this.seen.has(text)) return `point ${formatPointKey(key)} appears twice`;
    this.seen.add(text);
    return null;
  }
}

export async function verifyVectorsEntry(
  reader: ArchiveReader,
  manifest: Manifest,
  formatVersion: number,
  checkDigest: (name: string, digest: EntryDigest) => void,
  fail: (problem: string) => never,
  warn: (warning: string) => void,
): Promise<VerifiedVectors> {
  const entry = await reader.openEntry(VECTORS_ENTRY);
  const result: { value?: { description: VectorsDescription; points: number } } = {};
  // pipeline, not pipe: a CRC failure upstream must end the loop below, not stall it
  const text = pipeStreams(entry.stream, new Utf8Check(), () => undefined);
  const ids = new PointIdCheck(formatVersion >= 1);
  try {
    for await (const { keys } of readVectorsFile(text, 100, result)) {
      for (const key of keys) {
        const problem = ids.check(key);
        if (problem) fail(`${VECTORS_ENTRY}: ${problem}`);
      }
    }
  } catch (err) {
    if (err instanceof ZipFormatError || err instanceof ArchiveError || isProgrammingError(err)) throw err;
    fail(`${VECTORS_ENTRY}: ${describeError(err)}`);
  }
  const digest = entry.digest();
  checkDigest(VECTORS_ENTRY, digest);
  const vectors: VerifiedVectors = { ...result.value!, sha256: digest.sha256 };
  const settingsProblem = collectionProblem(vectors.description.collection);
  if (settingsProblem) fail(`${VECTORS_ENTRY}: ${settingsProblem}`);
  // The original tool restores from vector_size and distance, this one from
  // the config: a file where they disagree would restore differently with each.
  const { header, vectorSize, distance } = vectors.description;
  if (typeof header.vector_size === 'number' && vectorSize !== null && header.vector_size !== vectorSize) {
    fail(
      `${VECTORS_ENTRY}: its vector_size ${header.vector_size} contradicts its collection config (size ${vectorSize})`,
    );
  }
  if (
    typeof header.distance === 'string' &&
    distance !== null &&
    header.collection &&
    distanceFromText(header.distance) !== distance
  ) {
    fail(
      `${VECTORS_ENTRY}: its distance ${JSON.stringify(header.distance)} contradicts its collection config (${distance})`,
    );
  }
  const declaredCount = manifest.stats.qdrant.total_vectors;
  if (declaredCount !== undefined && declaredCount !== vectors.points) {
    fail(`${VECTORS_ENTRY} holds ${vectors.points} points, the manifest says ${declaredCount}`);
  }
  const declaredSize = manifest.qdrant?.vector_size;
  if (
    declaredSize != null &&
    vectors.description.vectorSize !== null &&
    declaredSize !== vectors.description.vectorSize
  ) {
    fail(`${VECTORS_ENTRY} has vectors of size ${vectors.description.vectorSize}, the manifest says ${declaredSize}`);
  }
  if (vectors.description.distanceFallback) {
    warn(
      `unknown distance ${printable(String(vectors.description.header.distance))}; assuming Cosine as the original tool does`,
    );
  }
  return vectors;
}
