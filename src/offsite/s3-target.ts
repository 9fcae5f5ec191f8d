/**
 * An S3 target: a bucket (and optional key prefix) on AWS S3 or an
 * S3-compatible service (MinIO, Ceph, Garage, R2, ...), named s3://bucket/prefix.
 *
 * A copy is streamed as a multipart upload, so it appears under its name only
 * when the upload completes; its facts travel as the object's user metadata.
 * Before the upload a HEAD refuses an existing name (and If-None-Match: * on
 * the completing request refuses a race where the service honours it); the
 * bytes read are hashed on the way and must match the facts before the upload
 * may complete; afterwards a HEAD confirms the stored size and facts. A failed
 * upload is aborted (what an abort leaves behind, cleanUp() removes later).
 *
 * Credentials come only from the SDK's default chain (environment, AWS_PROFILE,
 * shared files, instance roles) and never appear in a message. The SDK is
 * imported only when an S3 target is opened, so the CLIs start fast without one.
 */
import fs from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileHandle } from 'node:fs/promises';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { ExitCode, UsageError, UserError } from '../errors.js';
import {
  accessHint,
  DownloadCut,
  isBulkDeleteRefused,
  isNotFound,
  isPreconditionFailed,
  isTransient,
  isUnsupported,
  oneLine,
  s3Failure,
} from './s3-errors.js';
import { hashingStream } from './hashing.js';
import { COPY_NAME, type CopyFacts, factsFromRecord, factsToRecord, type RemoteCopy, type Target } from './target.js';

type Sdk = typeof S3Sdk;

/** Multipart part size: memory in use is about (queue + 1) parts. */
const PART_SIZE = 8 * 1024 * 1024;
/** Parts uploaded at once. */
const QUEUE_SIZE = 2;
/** Attempts per request, made by the SDK itself with backoff. */
const MAX_ATTEMPTS = 4;
/** HEAD requests at once while listing. */
const HEAD_CONCURRENCY = 4;
/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;
/** Pause before running a whole upload or download once more after a transient failure. */
const RETRY_PAUSE_MS = 1000;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The bucket and key prefix ('' or 'a/b/') of an s3://bucket[/prefix] URL. */
export function parseS3Url(text: string): { bucket: string; prefix: string } {
  const bad = (problem: string, shown = true): never => {
    throw new UsageError(`Invalid S3 URL${shown ? ` ${JSON.stringify(text)}` : ''}: ${problem}`);
  };
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(text);
  if (!match) return bad('expected s3://bucket or s3://bucket/prefix');
  const bucket = match[1] ?? '';
  const path = match[2] ?? '';
  if (bucket.includes('@')) {
    // s3://KEY:SECRET@bucket: do not echo it back
    return bad(
      'credentials do not belong in the URL; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE instead',
      false,
    );
  }
  if (bucket === '') return bad('the bucket name is missing');
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    return bad(`${JSON.stringify(bucket)} is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)`);
  }
  if (/[\p{Cc}\\?#]/u.test(path)) return bad('the prefix contains a control character, \\, ? or #');
  const segments = path.split('/');
  if (segments.at(-1) === '') segments.pop();
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return bad('the prefix has an empty, "." or ".." segment');
  }
  return { bucket, prefix: segments.map((segment) => `${segment}/`).join('') };
}

export interface S3Options {
  /** A custom endpoint (MinIO, Ceph, ...); otherwise AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, or AWS itself. */
  endpoint?: string;
  /** Path-style addressing; by default on exactly when a custom endpoint is used. */
  pathStyle?: boolean;
  /** Otherwise AWS_REGION, AWS_DEFAULT_REGION, or us-east-1. */
  region?: string;
}

/** Opens an s3:// target. No request is made until the target is used. */
export async function openS3Target(url: string, options: S3Options): Promise<Target> {
  const { bucket, prefix } = parseS3Url(url);
  const label = `s3://${bucket}${prefix === '' ? '' : `/${prefix.slice(0, -1)}`}`;
  const endpoint = options.endpoint ?? configuredEndpoint();
  let where: string | undefined;
  if (endpoint !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(endpoint);
    } catch {
      // reported below
    }
    if (
      !parsed ||
      (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') ||
      parsed.username ||
      parsed.password
    ) {
      throw new UsageError(
        `Invalid S3 endpoint for ${label}${options.endpoint === undefined ? ' (from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL)' : ''}: ` +
          'expected http(s)://host[:port] without credentials in it' +
          (parsed?.username || parsed?.password ? '' : `, got ${JSON.stringify(endpoint)}`),
      );
    }
    where = parsed.origin + parsed.pathname.replace(/\/$/, '');
  }
  const region = options.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1');

  // The SDK warns on Node 20 about its future Node 22 requirement: not for our users to see.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const sdk = await import('@aws-sdk/client-s3');
  const client = new sdk.S3Client({
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    forcePathStyle: options.pathStyle ?? endpoint !== undefined,
    followRegionRedirects: true,
    maxAttempts: MAX_ATTEMPTS,
    // Several S3-compatible services reject the default CRC checksums, and s3rver
    // stores a streamed PutObject wrongly with them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
  });
  return new S3Target(label, bucket, prefix, where, region, sdk, client);
}

/** The endpoint the SDK itself would take from the environment. */
function configuredEndpoint(): string | undefined {
  if (process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined;
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

function checkName(label: string, name: string): string {
  if (!COPY_NAME.test(name)) {
    throw new UsageError(
      `${JSON.stringify(name)} is not a copy name for ${label} (backup_YYYYMMDD_HHMMSS[_N].zip[.age])`,
    );
  }
  return name;
}

class S3Target implements Target {
  constructor(
    readonly label: string,
    private readonly bucket: string,
    private readonly prefix: string,
    /** The custom endpoint, for messages; undefined for AWS. */
    private readonly where: string | undefined,
    private readonly region: string,
    private readonly sdk: Sdk,
    private readonly client: S3Client,
  ) {}

  private key(name: string): string {
    return this.prefix + checkName(this.label, name);
  }

  // ---- put ------------------------------------------------------------------------------------

  async put(file: string, name: string, facts: CopyFacts): Promise<void> {
    const key = this.key(name);
    for (let attempt = 1; ; attempt++) {
      const existing = await this.head(key, `checking for an existing ${name}`);
      if (existing) {
        // an earlier attempt whose answer was lost may have completed after all
        if (attempt > 1 && this.holdsFacts(existing, facts)) break;
        throw new UserError(`${this.label} already holds ${name}; it was not overwritten`);
      }
      try {
        await this.upload(file, key, facts);
        break;
      } catch (err) {
        if (attempt === 1 && isTransient(err)) {
          await sleep(RETRY_PAUSE_MS * (1 + Math.random()));
          continue;
        }
        if (isPreconditionFailed(err)) {
          throw new UserError(`${this.label} already holds ${name}; it was not overwritten`);
        }
        throw this.failure(err, `uploading ${name}`);
      }
    }
    await this.confirm(key, name, facts);
  }

  /** One multipart upload of `file`; aborted on failure, which rejects with the first cause. */
  private async upload(file: string, key: string, facts: CopyFacts): Promise<void> {
    const { Upload } = await import('@aws-sdk/lib-storage');
    const label = this.label;
    // through the default import, so that a test can make the source fail
    const source = fs.createReadStream(file);
    let sourceError: unknown;
    source.on('error', (err: NodeJS.ErrnoException) => {
      // an abort or premature close only follows the upload giving up: not a cause
      if (err.code !== 'ABORT_ERR' && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') sourceError ??= err;
    });
    // Hashes what is sent: a file that changed since its facts were taken must not complete.
    const counted = hashingStream(undefined, (bytes, sha256) => {
      if (bytes === facts.size && sha256 === facts.sha256) return null;
      sourceError ??= new UserError(
        `${file} changed while it was being uploaded to ${label} (read ${bytes} bytes, SHA-256 ${sha256.slice(0, 12)}…, ` +
          `expected ${facts.size} bytes, ${facts.sha256.slice(0, 12)}…); nothing was stored`,
      );
      return sourceError as Error;
    }).stream;
    pipeline(source, counted, () => {
      // errors are taken from the source and from flush above; the upload reports its own
    });
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: counted,
        // what the facts say; the hash above stops the upload before completion if the file differs
        ContentLength: facts.size,
        ContentType: key.endsWith('.zip') ? 'application/zip' : 'application/octet-stream',
        Metadata: factsToRecord(facts),
        // honoured on PutObject and CompleteMultipartUpload where the service supports it
        IfNoneMatch: '*',
      },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      // we abort ourselves, so that a failing abort (s3rver answers 405) cannot hide the cause
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (err) {
      const cause = sourceError ?? err;
      if (upload.uploadId !== undefined) {
        const abort = new this.sdk.AbortMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: upload.uploadId,
        });
        // left over when this fails; cleanUp() removes it later
        await this.client.send(abort).catch(() => undefined);
      }
      throw cause;
    } finally {
      source.destroy();
      counted.destroy();
    }
  }

  private holdsFacts(head: HeadObjectCommandOutput, facts: CopyFacts): boolean {
    const record = factsToRecord(facts);
    return (
      head.ContentLength === facts.size &&
      Object.entries(record).every(([key, value]) => head.Metadata?.[key] === value)
    );
  }

  /** What the service now holds must be what was sent; otherwise it is removed. */
  private async confirm(key: string, name: string, facts: CopyFacts): Promise<void> {
    const head = await this.head(key, `checking the uploaded ${name}`);
    if (head && this.holdsFacts(head, facts)) return;
    let removed = 'it was removed';
    if (head) {
      try {
        await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (err) {
        removed = `removing it failed too: ${this.failure(err, `removing ${name}`).message}`;
      }
    }
    const found = head
      ? `${head.ContentLength ?? '?'} bytes, SHA-256 ${(head.Metadata?.sha256 ?? 'missing').slice(0, 12)}…`
      : 'nothing';
    throw new UserError(
      `The copy ${name} in ${this.label} does not check out after upload (found ${found}, ` +
        `expected ${facts.size} bytes, ${facts.sha256.slice(0, 12)}…); ${head ? removed : 'try again'}`,
    );
  }

  /** The object's HEAD, or null when there is none. */
  private async head(key: string, doing: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw this.failure(err, doing);
    }
  }

  // ---- list -----------------------------------------------------------------------------------

  async list(): Promise<RemoteCopy[]> {
    const found: { name: string; key: string; size: number }[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new this.sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          const key = object.Key ?? '';
          const name = key.slice(this.prefix.length);
          if (!key.startsWith(this.prefix) || name.includes('/') || !COPY_NAME.test(name)) continue;
          found.push({ name, key, size: object.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.failure(err, 'listing copies');
    }
    const copies = await mapLimit(found, HEAD_CONCURRENCY, async ({ name, key, size }) => {
      const head = await this.head(key, `reading the facts of ${name}`);
      // gone since the listing: deleted meanwhile
      if (!head) return null;
      const copy: RemoteCopy = { name, size: head.ContentLength ?? size, facts: factsFromRecord(head.Metadata ?? {}) };
      return copy;
    });
    return copies.filter((copy) => copy !== null);
  }

  // ---- get ------------------------------------------------------------------------------------

  async get(name: string, file: string, onBytes?: (bytes: number) => void): Promise<CopyFacts | null> {
    const key = this.key(name);
    let handle: FileHandle;
    try {
      handle = await fs.promises.open(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      throw new UserError(`Cannot read ${name} from ${this.label}: ${file} already exists; it was not overwritten`);
    }
    try {
      const facts = await this.download(key, name, handle, onBytes);
      await handle.close();
      return facts;
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.promises.rm(file, { force: true });
      throw err;
    }
  }

  /** Streams the object into `handle`, resuming once where a transient failure cut it. */
  private async download(
    key: string,
    name: string,
    handle: FileHandle,
    onBytes?: (bytes: number) => void,
  ): Promise<CopyFacts | null> {
    let written = 0;
    let first: { etag: string | undefined; size: number; facts: CopyFacts | null } | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.client.send(
          new this.sdk.GetObjectCommand({
            Bucket: this.bucket,
            Key: key,
            ...(first ? { Range: `bytes=${written}-`, IfMatch: first.etag } : {}),
          }),
        );
        first ??= {
          etag: answer.ETag,
          size: answer.ContentLength ?? -1,
          facts: factsFromRecord(answer.Metadata ?? {}),
        };
        if (!(answer.Body instanceof Readable)) throw new Error('the SDK gave no readable body');
        for await (const chunk of answer.Body as AsyncIterable<Buffer>) {
          for (let offset = 0; offset < chunk.length;) {
            const { bytesWritten } = await handle.write(chunk, offset);
            offset += bytesWritten;
          }
          written += chunk.length;
          onBytes?.(written);
        }
        if (first.size >= 0 && written !== first.size) {
          throw new DownloadCut(`the download ended after ${written} of ${first.size} bytes`);
        }
        return first.facts;
      } catch (err) {
        if (isNotFound(err)) {
          throw new UserError(`${this.label} holds no copy named ${name}`, ExitCode.Failure, {
            kind: 'archive-not-found',
            near: [],
          });
        }
        if (attempt === 1 && isTransient(err) && written < (first?.size ?? 0)) {
          await sleep(RETRY_PAUSE_MS * (1 + Math.random()));
          continue;
        }
        throw this.failure(err, `downloading ${name}`);
      }
    }
  }

  // ---- remove ---------------------------------------------------------------------------------

  async remove(names: string[]): Promise<void> {
    const keys = names.map((name) => this.key(name));
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      let failed: { Key?: string; Code?: string; Message?: string }[];
      try {
        const answer = await this.client.send(
          new this.sdk.DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        failed = (answer.Errors ?? []).filter((error) => error.Code !== 'NoSuchKey');
      } catch (err) {
        if (!isBulkDeleteRefused(err)) throw this.failure(err, `deleting ${names.length} copies`);
        // services that want Content-MD5 (or lack DeleteObjects): one key at a time
        failed = [];
        for (const Key of batch) {
          try {
            await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key }));
          } catch (one) {
            if (!isNotFound(one)) throw this.failure(one, `deleting ${Key.slice(this.prefix.length)}`);
          }
        }
      }
      const [error] = failed;
      if (error) {
        const name = (error.Key ?? '?').slice(this.prefix.length);
        const others = failed.length > 1 ? ` and ${failed.length - 1} more` : '';
        throw new UserError(
          `Cannot delete ${name}${others} from ${this.label} (${error.Code ?? 'error'}: ${oneLine(error.Message ?? '')})` +
            `; ${accessHint(error.Code)}`,
        );
      }
    }
  }

  // ---- cleanUp --------------------------------------------------------------------------------

  async cleanUp(): Promise<number> {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new this.sdk.ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          const key = upload.Key ?? '';
          const name = key.slice(this.prefix.length);
          if (!key.startsWith(this.prefix) || name.includes('/') || !COPY_NAME.test(name)) continue;
          if (upload.UploadId === undefined) continue;
          // We hold the backups lock while uploading, so any upload found was left by an interrupted run.
          try {
            await this.client.send(
              new this.sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: upload.UploadId }),
            );
            removed++;
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }
        const more = page.IsTruncated === true;
        keyMarker = more ? page.NextKeyMarker : undefined;
        uploadIdMarker = more ? page.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined);
    } catch (err) {
      // s3rver and some others keep no list of uploads
      if (isUnsupported(err)) return removed;
      throw this.failure(err, 'removing interrupted uploads');
    }
    return removed;
  }

  // ---- errors ---------------------------------------------------------------------------------

  private failure(err: unknown, doing: string): Error {
    return s3Failure(err, doing, { label: this.label, where: this.where, bucket: this.bucket, region: this.region });
  }
}

/** fn over items, at most `limit` at a time, in order; stops starting new ones after a failure. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
