/**
 * An S3 service for tests: s3rver in-process, or a real one when asked for.
 *
 *   const s3 = await startTestS3();      // in before()
 *   openS3Target(s3.url, s3.options)     // in-process (after Object.assign(process.env, s3.env))
 *   spawn(bin, [..., s3.url, '--s3-endpoint', s3.endpoint], { env: { ...process.env, ...s3.env } })
 *   await s3.close();                    // in after(): stops the server, deletes what the run stored
 *
 * s3rver (default): listens on 127.0.0.1, port 0, stores into a fresh temporary
 * `directory`, and holds one empty `bucket`; `prefix` is ''. `env` holds the
 * client settings (AWS_ACCESS_KEY_ID=S3RVER, AWS_SECRET_ACCESS_KEY=S3RVER,
 * AWS_REGION=us-east-1, AWS_ENDPOINT_URL_S3=endpoint): pass it to child
 * processes rather than changing process.env, except in an in-process test's
 * before(). Every request is recorded in `requests` (method, key, query,
 * headers), and `inject()` makes matching requests fail (see `faults`): an S3
 * error answer, a dropped connection, a body cut short, or any answer at all.
 *
 * Real service (opt-in): BA_TEST_S3_URL=s3://bucket[/prefix] and optionally
 * BA_TEST_S3_ENDPOINT=https://host:port use that bucket with the ambient
 * credentials (AWS_* variables or AWS_PROFILE). Each run works under a fresh
 * random prefix below the given one, deleted by close(). `kind` is 'real',
 * `requests` stays empty and inject() throws: skip tests that need them.
 *
 * s3rver's limits, for test writers: no ListMultipartUploads (501) and no
 * AbortMultipartUpload (405), so parts of a failed upload stay in its
 * directory; it ignores If-None-Match, does not check SigV4 signatures (a
 * wrong secret is accepted; an unknown access key id is refused) and has no
 * access policies. Its ListObjectsV2 continuation tokens use DES, which
 * Node's OpenSSL 3 refuses: listing more than one page (1000 keys) fails with
 * InternalError, so answer list pages with inject() to test paging.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { parseS3Url, type S3Options } from '../../src/offsite/s3-target.js';

export interface RecordedRequest {
  method: string;
  /** The object key (decoded, path-style), '' for a bucket-level request. */
  key: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/**
 * Answers a request itself, or calls `forward()` to let s3rver answer it
 * (possibly after wrapping `res`).
 */
export type Responder = (req: IncomingMessage, res: ServerResponse, forward: () => void) => void;

export interface Fault {
  /** Which requests: called for each one until the fault is used up. */
  match: (request: RecordedRequest) => boolean;
  /** How many matching requests it hits (default 1). */
  times?: number;
  respond: Responder;
}

export interface TestS3 {
  kind: 's3rver' | 'real';
  bucket: string;
  /** The key prefix of this run: '' (s3rver) or 'given/prefix/ba-test-XXXX/' (real). */
  prefix: string;
  /** s3://bucket[/prefix] of this run. */
  url: string;
  /** The endpoint URL; undefined for AWS itself. */
  endpoint: string | undefined;
  /** What to pass to openS3Target beside the URL. */
  options: S3Options;
  /** Environment for clients: merge over process.env. */
  env: Record<string, string>;
  /** s3rver's storage directory (undefined for a real service). */
  directory: string | undefined;
  /** A client of the same service, for planting and inspecting objects. */
  client: S3Client;
  /** Every request s3rver received, oldest first (empty for a real service). */
  requests: RecordedRequest[];
  /** s3://bucket/<prefix><sub> for a sub-prefix of this run. */
  urlFor(sub: string): string;
  /** Makes the next `times` matching requests go through `respond` (s3rver only). */
  inject(fault: Fault): void;
  /** Stops the server and removes its directory, or deletes the run's prefix on a real service. */
  close(): Promise<void>;
}

/** Ready-made fault answers. */
export const faults = {
  /** An S3 error answer with this status and code. */
  error(status: number, code: string, message = 'injected by the test'): Responder {
    return (req, res) => {
      // answer once the body is in, so that the client reads the answer rather than a broken pipe
      req.resume();
      req.once('end', () => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(
          req.method === 'HEAD'
            ? undefined
            : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
        );
      });
    };
  },
  /** Any answer: status, headers and body (not sent to a HEAD). */
  answer(status: number, headers: Record<string, string>, body = ''): Responder {
    return (req, res) => {
      req.resume();
      req.once('end', () => {
        res.writeHead(status, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    };
  },
  /** The connection dropped before any answer. */
  reset(): Responder {
    return (req) => req.socket.destroy();
  },
  /** s3rver answers, but the connection drops after `bytes` bytes of the body. */
  cutAfter(bytes: number): Responder {
    return (_req, res, forward) => {
      let sent = 0;
      const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
      res.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
        const length = typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Buffer).length;
        if (sent + length > bytes) {
          const head = (typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)).subarray(0, bytes - sent);
          sent = bytes;
          if (head.length > 0) write(head);
          setImmediate(() => res.socket?.destroy());
          return false;
        }
        sent += length;
        return write(chunk, ...rest);
      }) as typeof res.write;
      forward();
    };
  },
};

const S3RVER_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
};

function makeClient(endpoint: string | undefined, extra: Record<string, string>): S3Client {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: extra.AWS_REGION ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
    ...(extra.AWS_ACCESS_KEY_ID && extra.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: extra.AWS_ACCESS_KEY_ID, secretAccessKey: extra.AWS_SECRET_ACCESS_KEY } }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** s3rver, or the real service named by BA_TEST_S3_URL. */
export async function startTestS3(options: { bucket?: string } = {}): Promise<TestS3> {
  const realUrl = process.env.BA_TEST_S3_URL;
  return realUrl ? startReal(realUrl, process.env.BA_TEST_S3_ENDPOINT || undefined) : startS3rver(options.bucket);
}

async function startS3rver(bucket = 'ba-test'): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ba-s3rver-'));
  const app = new S3rver({ directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
  await app.configureBuckets();
  const handle = app.callback();
  const requests: RecordedRequest[] = [];
  const pending: (Fault & { left: number })[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3rver');
    const [, , ...rest] = url.pathname.split('/');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      key: decodeURIComponent(rest.join('/')),
      query: url.searchParams,
      headers: req.headers,
    };
    requests.push(request);
    const fault = pending.find((candidate) => candidate.left > 0 && candidate.match(request));
    if (!fault) return handle(req, res);
    fault.left--;
    fault.respond(req, res, () => handle(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { ...S3RVER_ENV, AWS_ENDPOINT_URL_S3: endpoint };
  const client = makeClient(endpoint, env);

  return {
    kind: 's3rver',
    bucket,
    prefix: '',
    url: `s3://${bucket}`,
    endpoint,
    options: { endpoint },
    env,
    directory,
    client,
    requests,
    urlFor: (sub) => `s3://${bucket}/${sub}`,
    inject(fault) {
      pending.push({ ...fault, left: fault.times ?? 1 });
    },
    async close() {
      client.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      (app as unknown as { logger?: { close(): void } }).logger?.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function startReal(url: string, endpoint: string | undefined): Promise<TestS3> {
  const { bucket, prefix: base } = parseS3Url(url);
  const prefix = `${base}ba-test-${randomBytes(6).toString('hex')}/`;
  const env: Record<string, string> = endpoint === undefined ? {} : { AWS_ENDPOINT_URL_S3: endpoint };
  const client = makeClient(endpoint, {});
  const runUrl = `s3://${bucket}/${prefix.slice(0, -1)}`;
  return Promise.resolve({
    kind: 'real',
    bucket,
    prefix,
    url: runUrl,
    endpoint,
    options: endpoint === undefined ? {} : { endpoint },
    env,
    directory: undefined,
    client,
    requests: [],
    urlFor: (sub) => `${runUrl}/${sub}`,
    inject() {
      throw new Error('fault injection needs s3rver (unset BA_TEST_S3_URL)');
    },
    async close() {
      try {
        await deleteUnder(client, bucket, prefix);
      } finally {
        client.destroy();
      }
    },
  });
}

/** Deletes every object and aborts every upload under `prefix`. */
async function deleteUnder(client: S3Client, bucket: string, prefix: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
    if (keys.length > 0) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  try {
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
    for (const { Key, UploadId } of uploads.Uploads ?? []) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
    }
  } catch {
    // a service without the upload list: nothing more to do
  }
}
