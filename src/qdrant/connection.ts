/**
 * A connection to a Qdrant server.
 *
 * Changes to a collection (create, update, indexes, aliases) go through the
 * official client, loaded on first use: a backup only reads, and reading
 * collection info over plain HTTP spares every backup the client and its
 * fetch, 20 MB of memory. Point data
 * (scroll and upsert) goes over plain HTTP with the same headers, because the
 * client parses responses with JSON.parse, which on Node 20 changes unsigned
 * 64-bit ids above 2^53 and cannot send them back: a backup must never change
 * an id. Raw request and response text also spares re-encoding every vector.
 * Those requests use node:http rather than fetch: fetch copies every request
 * body and hands the answer over through web streams, a megabyte or more of
 * garbage per page that only raises the peak memory.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { describeError } from '../errors.js';
import type { QdrantConfig } from '../config.js';

export class QdrantError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when no answer came. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'QdrantError';
  }
}

/** Qdrant's error text from a response body, or a short form of the body. */
function errorTextFromBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { status?: { error?: string } };
    if (parsed.status && typeof parsed.status.error === 'string') return parsed.status.error;
  } catch {
    // 401s and some proxies answer in plain text
  }
  const text = body.trim().slice(0, 200);
  return text === '' ? 'no details' : text;
}

/** The client throws ApiError with the status and parsed body; turn it into one line. */
export function toQdrantError(err: unknown, url: string, doing: string): QdrantError {
  if (err instanceof QdrantError) return err;
  const apiError = err as { status?: unknown; data?: unknown };
  if (typeof apiError.status === 'number') {
    const data = apiError.data;
    const text = typeof data === 'string' ? errorTextFromBody(data) : errorTextFromBody(JSON.stringify(data ?? ''));
    return new QdrantError(
      `Qdrant at ${url} failed to ${doing}: HTTP ${apiError.status}: ${authHint(apiError.status, text)}`,
      apiError.status,
    );
  }
  return new QdrantError(`Qdrant at ${url} is unreachable (${doing}): ${networkReason(err)}`);
}

/** fetch (the client's) reports "fetch failed" with the useful part in its cause; node:http reports it directly. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const direct = err instanceof Error && err.message === 'fetch failed' && cause instanceof Error ? cause : err;
  if (direct instanceof Error) {
    const code = (direct as NodeJS.ErrnoException).code ?? '';
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
      return `${direct.message}: its TLS certificate is not trusted; if it is signed by your own CA, set NODE_EXTRA_CA_CERTS to the CA's file`;
    }
    return direct.message;
  }
  return describeError(err);
}

function authHint(status: number, text: string): string {
  if (status === 401) return 'authentication failed; check QDRANT_API_KEY';
  if (status === 403) return `permission denied; check that QDRANT_API_KEY allows this (${text})`;
  return text;
}

/** Tries per call, and the first backoff delay (doubled each time). */
const RETRY_ATTEMPTS = 4;
const RETRY_BASE_MS = 250;

/** Qdrant answered, but with something unusable: asking again would not help. */
export class QdrantAnswerError extends QdrantError {}

function isPassing(err: QdrantError): boolean {
  if (err instanceof QdrantAnswerError) return false;
  return err.status === undefined || err.status === 408 || err.status === 429 || err.status >= 500;
}

export class QdrantConnection {
  private client: Promise<QdrantClient> | undefined;
  private readonly headers: Record<string, string>;
  /** Keeps connections open between the raw requests of an export or import. */
  private readonly agent: http.Agent;

  constructor(readonly config: QdrantConfig) {
    const url = new URL(config.url);
    this.headers = config.apiKey ? { 'api-key': config.apiKey } : {};
    this.agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  private loadClient(): Promise<QdrantClient> {
    const url = new URL(this.config.url);
    return (this.client ??= import('@qdrant/js-client-rest').then(
      ({ QdrantClient }) =>
        new QdrantClient({
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
          https: url.protocol === 'https:',
          prefix: url.pathname === '/' ? undefined : url.pathname,
          // The key goes in a header we set ourselves; passing it as apiKey makes
          // the client print a warning for plain-http servers on every run.
          headers: this.headers,
          timeout: this.config.timeoutMs,
          checkCompatibility: false,
        }),
    ));
  }

  get url(): string {
    return this.config.url;
  }

  /**
   * Calls the official client, turning its errors into one-line QdrantErrors.
   * `retry` only for calls that are safe to repeat (reads).
   */
  async call<T>(doing: string, fn: (client: QdrantClient) => Promise<T>, retry = false): Promise<T> {
    return this.withRetries(retry ? RETRY_ATTEMPTS : 1, async () => {
      const client = await this.loadClient();
      try {
        return await fn(client);
      } catch (err) {
        throw toQdrantError(err, this.url, doing);
      }
    });
  }

  /**
   * Repeats a call that failed for a passing reason (no answer, a dropped
   * connection, a timeout, 408/429/5xx) with exponential backoff, then gives
   * up with the last error, saying how often it tried.
   */
  private async withRetries<T>(attempts: number, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof QdrantError) || !isPassing(err) || n >= attempts) {
          if (err instanceof QdrantError && n > 1)
            throw new QdrantError(`${err.message} (gave up after ${n} attempts)`, err.status);
          throw err;
        }
        const delay = RETRY_BASE_MS * 2 ** (n - 1) * (0.75 + Math.random() * 0.5);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** The server's version from GET /, or null if it does not say. */
  async serverVersion(): Promise<string | null> {
    const text = await this.request('GET', '/', undefined, 'read the server version');
    try {
      const info = JSON.parse(text) as { version?: unknown };
      return typeof info.version === 'string' ? info.version : null;
    } catch {
      return null;
    }
  }

  /**
   * A raw JSON request; returns the response text of a 2xx answer. Every
   * request sent this way is safe to repeat (reads, upserts of points with
   * their ids, deleting a collection), so passing failures are retried.
   */
  async request(method: HttpMethod, path: string, body: RequestBody | undefined, doing: string): Promise<string> {
    return (await this.requestBytes(method, path, body, doing)).toString('utf8');
  }

  /** As request, returning the `result` of the JSON answer. */
  async requestResult<T>(method: HttpMethod, path: string, body: string | undefined, doing: string): Promise<T> {
    return resultOf(await this.request(method, path, body, doing), this.url, doing) as T;
  }

  /** As request, with the answer's bytes as they came. */
  async requestBytes(method: HttpMethod, path: string, body: RequestBody | undefined, doing: string): Promise<Buffer> {
    return this.requestRead(method, path, body, doing, collectBytes);
  }

  /**
   * As request, handing a 2xx answer's bytes to a fresh reader (one per
   * attempt) as they arrive, so that a large answer is never held whole. An
   * error thrown by the reader ends the request and is not retried.
   */
  async requestRead<T>(
    method: HttpMethod,
    path: string,
    body: RequestBody | undefined,
    doing: string,
    reader: () => AnswerReader<T>,
  ): Promise<T> {
    return this.withRetries(RETRY_ATTEMPTS, () => this.requestOnce(method, path, body, doing, reader));
  }

  /**
   * One exchange whose answer is a stream (a snapshot download) or whose body
   * is one (a snapshot upload); never retried, as a stream cannot be sent
   * twice. `answerWithinMs` limits the wait for the answer's head once the
   * body is sent (a slow recovery); after that, `--timeout` is the longest
   * silence between two chunks. Resolves with the 2xx answer to read on.
   */
  openStream(
    method: HttpMethod,
    path: string,
    body: { stream: Readable; length: number; contentType: string } | undefined,
    doing: string,
    answerWithinMs = this.config.timeoutMs,
  ): Promise<http.IncomingMessage> {
    const base = this.config.url.endsWith('/') ? this.config.url.slice(0, -1) : this.config.url;
    const target = new URL(base + path);
    const headers: Record<string, string> = { ...this.headers };
    if (body) {
      headers['content-type'] = body.contentType;
      headers['content-length'] = String(body.length);
    }
    const idleMs = this.config.timeoutMs;
    return new Promise((resolve, reject) => {
      const transport = target.protocol === 'https:' ? https : http;
      let timer: NodeJS.Timeout | undefined;
      let answered = false;
      const fail = (err: Error): void => {
        clearTimeout(timer);
        request.destroy();
        reject(err);
      };
      const request = transport.request(target, { method, headers, agent: this.agent }, (response) => {
        answered = true;
        clearTimeout(timer);
        const status = response.statusCode ?? 0;
        response.setTimeout(idleMs, () =>
          response.destroy(
            new QdrantError(
              `Qdrant at ${this.url} broke off its answer (${doing}): nothing came for ${idleMs / 1000} s`,
            ),
          ),
        );
        if (status >= 200 && status <= 299) return resolve(response);
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (err) => reject(err));
        response.on('end', () => {
          const text = authHint(status, errorTextFromBody(Buffer.concat(chunks).toString('utf8')));
          reject(new QdrantError(`Qdrant at ${this.url} failed to ${doing}: HTTP ${status}: ${text}`, status));
          request.destroy(); // stops sending a body the server refused
        });
      });
      const noAnswer = (): void =>
        fail(
          new QdrantError(
            `Qdrant at ${this.url} is unreachable (${doing}): no answer within ${answerWithinMs / 1000} s`,
          ),
        );
      request.on('error', (err) =>
        fail(
          err instanceof QdrantError
            ? err
            : new QdrantError(`Qdrant at ${this.url} is unreachable (${doing}): ${networkReason(err)}`),
        ),
      );
      if (!body) {
        timer = setTimeout(noAnswer, answerWithinMs);
        request.end();
        return;
      }
      // the wait for an answer starts when the whole body is sent
      // (Qdrant may answer early, e.g. 401, before it read the body: then there is nothing to wait for)
      request.on('finish', () => {
        if (!answered) timer = setTimeout(noAnswer, answerWithinMs);
      });
      body.stream.on('error', (err) => fail(err));
      body.stream.pipe(request);
    });
  }

  /** As openStream, reading the whole (short, JSON) answer. */
  async requestOnceWithin(
    method: HttpMethod,
    path: string,
    body: { stream: Readable; length: number; contentType: string } | undefined,
    doing: string,
    answerWithinMs: number,
  ): Promise<string> {
    const response = await this.openStream(method, path, body, doing, answerWithinMs);
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    if (!response.complete)
      throw new QdrantError(`Qdrant at ${this.url} broke off its answer (${doing}): the connection closed early`);
    return Buffer.concat(chunks).toString('utf8');
  }

  private requestOnce<T>(
    method: HttpMethod,
    path: string,
    body: RequestBody | undefined,
    doing: string,
    reader: () => AnswerReader<T>,
  ): Promise<T> {
    const base = this.config.url.endsWith('/') ? this.config.url.slice(0, -1) : this.config.url;
    const target = new URL(base + path);
    const headers: Record<string, string> = { ...this.headers, accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(bodyLength(body));
    }
    const { timeoutMs } = this.config;
    return new Promise<T>((resolve, reject) => {
      let answered = false;
      const fail = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      const transport = target.protocol === 'https:' ? https : http;
      const request = transport.request(target, { method, headers, agent: this.agent }, (response) => {
        answered = true;
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status <= 299;
        // an error answer is short and read whole for its text
        const read = ok ? reader() : collectBytes();
        response.on('data', (chunk: Buffer) => {
          try {
            read.push(chunk);
          } catch (err) {
            request.destroy();
            fail(err as Error);
          }
        });
        response.on('error', (err) =>
          fail(new QdrantError(`Qdrant at ${this.url} broke off its answer (${doing}): ${describeError(err)}`)),
        );
        response.on('end', () => {
          clearTimeout(timer);
          if (!response.complete) {
            reject(
              new QdrantError(`Qdrant at ${this.url} broke off its answer (${doing}): the connection closed early`),
            );
            return;
          }
          let result: T | Buffer;
          try {
            result = read.end();
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          if (ok) resolve(result as T);
          else {
            const text = authHint(status, errorTextFromBody((result as Buffer).toString('utf8')));
            reject(new QdrantError(`Qdrant at ${this.url} failed to ${doing}: HTTP ${status}: ${text}`, status));
          }
        });
      });
      // one limit for the whole exchange, as AbortSignal.timeout gives fetch
      const timer = setTimeout(() => {
        request.destroy();
        fail(
          new QdrantError(`Qdrant at ${this.url} is unreachable (${doing}): no answer within ${timeoutMs / 1000} s`),
        );
      }, timeoutMs);
      request.on('error', (err) => {
        if (answered)
          fail(new QdrantError(`Qdrant at ${this.url} broke off its answer (${doing}): ${describeError(err)}`));
        else fail(new QdrantError(`Qdrant at ${this.url} is unreachable (${doing}): ${networkReason(err)}`));
      });
      if (typeof body === 'string' || body === undefined || Buffer.isBuffer(body)) request.end(body);
      else {
        // the pieces go out in one writev, with no copy of the whole
        request.cork();
        for (const part of body) request.write(part);
        request.end();
      }
    });
  }
}

/** A request body: text, bytes, or bytes in pieces (an upsert's points, sent without joining them). */
export type RequestBody = string | Buffer | readonly Buffer[];

function bodyLength(body: RequestBody): number {
  if (typeof body === 'string' || Buffer.isBuffer(body)) return Buffer.byteLength(body);
  let length = 0;
  for (const part of body) length += part.length;
  return length;
}

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Takes an answer's bytes as they arrive; `end` gives the result. */
export interface AnswerReader<T> {
  push(chunk: Buffer): void;
  end(): T;
}

function collectBytes(): AnswerReader<Buffer> {
  const chunks: Buffer[] = [];
  return { push: (chunk) => chunks.push(chunk), end: () => Buffer.concat(chunks) };
}

/** The `result` of a Qdrant answer's JSON text. */
export function resultOf(text: string, url: string, doing: string): unknown {
  try {
    return (JSON.parse(text) as { result?: unknown }).result;
  } catch {
    throw new QdrantAnswerError(`Qdrant at ${url} gave an answer that is not JSON (${doing})`);
  }
}

export function collectionPath(name: string): string {
  return `/collections/${encodeURIComponent(name)}`;
}
