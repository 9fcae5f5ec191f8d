/**
 * Verification of an archive's vector file (qdrant_vectors.json): every
 * point read and checked against the collection's config, ids each once,
 * the collection settings sane, and the count, vector size and distance
 * agreeing with the manifest and the file's own header.
 */
import { addAbortSignal, pipeline as pipeStreams } from 'node:stream';
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
import { shardKeyId } from './shard-keys.js';

/** The archived shard keys (by shardKeyId) of a custom-sharded collection, else null. */
function shardKeyIds(description: VectorsDescription): Set<string> | null {
  const keys = description.collection.shard_keys;
  if (!keys) return null;
  return new Set(keys.map((k) => shardKeyId(k.key)));
}

/** Where the file's points per shard key disagree with its own key list or with the manifest's counts. */
function shardCountProblem(manifest: Manifest, perShardKey: Map<string, number> | null): string | null {
  const declared = manifest.stats.qdrant.shard_keys;
  if (!perShardKey)
    return declared ? 'the manifest counts points per shard key, the collection has no shard keys' : null;
  if (!declared) return null;
  const listed = new Map(declared.map((d) => [shardKeyId(d.key), d.points]));
  if (listed.size !== perShardKey.size || [...perShardKey.keys()].some((id) => !listed.has(id)))
    return 'its shard keys are not those the manifest counts points for';
  for (const [id, points] of perShardKey) {
    if (listed.get(id) !== points)
      return `it holds ${points} points under shard_key ${id}, the manifest says ${listed.get(id)}`;
  }
  return null;
}

/** An archive's vector file as verification found it. */
export interface VerifiedVectors {
  description: VectorsDescription;
  points: number;
  /** Points per shard key (by shardKeyId) of a custom-sharded collection, else null. */
  perShardKey: Map<string, number> | null;
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
  /** Per shard key of a custom-sharded collection: its points so far and the last id (keys come one after another). */
  readonly perShardKey = new Map<string, number>();
  private shardKey: string | null = null;

  constructor(private readonly ordered: boolean) {}

  /**
   * A problem with this point's id or shard key, or null. `shardKeys`: the
   * archived keys (by shardKeyId) of a custom-sharded collection, else null:
   * then ids are unique in the whole file, else within a key.
   */
  check(key: PointKey, shardKey: string | null, shardKeys: ReadonlySet<string> | null): string | null {
    if (shardKeys) {
      const where = `point ${formatPointKey(key)}`;
      if (shardKey === null) return `${where} has no shard_key, but the collection is sharded by key`;
      if (!shardKeys.has(shardKey)) return `${where} has shard_key ${shardKey}, which the collection does not list`;
      if (shardKey !== this.shardKey) {
        if (this.perShardKey.has(shardKey)) return `${where}: the points of shard_key ${shardKey} are not all together`;
        this.shardKey = shardKey;
        this.perShardKey.set(shardKey, 0);
        this.last = null;
      }
      this.perShardKey.set(shardKey, this.perShardKey.get(shardKey)! + 1);
      if (!this.ordered) return `${where}: shard keys need format 2, where ids rise within each key`;
    }
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

/** "31 points under 3 shard keys (8 dims, Cosine)": what a vector file holds, in a line. */
export function describeVerifiedPoints(vectors: VerifiedVectors): string {
  const { vectorSize, distance } = vectors.description;
  const keys = vectors.perShardKey;
  const under = keys ? ` under ${keys.size} shard key${keys.size === 1 ? '' : 's'}` : '';
  return `${vectors.points} points${under}${vectorSize !== null ? ` (${vectorSize} dims, ${distance})` : ''}`;
}

export async function verifyVectorsEntry(
  reader: ArchiveReader,
  manifest: Manifest,
  formatVersion: number,
  checkDigest: (name: string, digest: EntryDigest) => void,
  fail: (problem: string) => never,
  stop: AbortSignal,
  warn: (warning: string) => void,
): Promise<VerifiedVectors> {
  const entry = await reader.openEntry(VECTORS_ENTRY);
  addAbortSignal(stop, entry.stream);
  const result: { value?: { description: VectorsDescription; points: number }; description?: VectorsDescription } = {};
  // pipeline, not pipe: a CRC failure upstream must end the loop below, not stall it
  const text = pipeStreams(entry.stream, new Utf8Check(), () => undefined);
  const ids = new PointIdCheck(formatVersion >= 1);
  try {
    let shardKeys: Set<string> | null | undefined;
    for await (const batch of readVectorsFile(text, 100, result)) {
      shardKeys ??= shardKeyIds(result.description!);
      batch.keys.forEach((key, k) => {
        const problem = ids.check(key, batch.shardKeys[k]!, shardKeys!);
        if (problem) fail(`${VECTORS_ENTRY}: ${problem}`);
      });
    }
  } catch (err) {
    if (err instanceof ZipFormatError || err instanceof ArchiveError || isProgrammingError(err)) throw err;
    fail(`${VECTORS_ENTRY}: ${describeError(err)}`);
  }
  const digest = entry.digest();
  checkDigest(VECTORS_ENTRY, digest);
  const sharded = shardKeyIds(result.value!.description);
  const vectors: VerifiedVectors = {
    ...result.value!,
    perShardKey: sharded ? new Map([...sharded].map((id) => [id, ids.perShardKey.get(id) ?? 0])) : null,
    sha256: digest.sha256,
  };
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
  const shardProblem = shardCountProblem(manifest, vectors.perShardKey);
  if (shardProblem) fail(`${VECTORS_ENTRY}: ${shardProblem}`);
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
