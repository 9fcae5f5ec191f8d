/**
 * What an S3 service's errors mean for a copy: a one-line message naming the target and what to
 * do (credentials, bucket, region, access, network), and which errors are worth another try.
 * Secrets of the environment never reach a message.
 */
import { ExitCode, isProgrammingError, UserError } from '../errors.js';
import { clipped } from '../output.js';

/** The target an error happened at, as messages name it. */
export interface FailedTarget {
  label: string;
  /** The custom endpoint; undefined for AWS. */
  where: string | undefined;
  bucket: string;
  region: string;
}

/**
 * A one-line UserError naming the target and the remedy for what a user can
 * act on; a local error (the file being read or written) as it is.
 */
export function s3Failure(err: unknown, doing: string, target: FailedTarget): Error {
  if (err instanceof UserError || isProgrammingError(err)) return err as Error;
  const { code, status, message } = errorFacts(err);
  const { label } = target;
  const what = `${code}${message && message !== code ? `: ${message}` : ''}`;
  const name = (err as { name?: unknown } | undefined)?.name;
  if (name === 'CredentialsProviderError' || name === 'ProviderError' || name === 'TokenProviderError') {
    return wrap(
      `No AWS credentials for ${label} (${message}); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE`,
      err,
    );
  }
  if (NETWORK_CODES.has(code) || code === 'TimeoutError') {
    const at = target.where === undefined ? '' : ` at ${target.where}`;
    return wrap(`Cannot reach ${label}${at} while ${doing} (${what}); check the endpoint and the network`, err);
  }
  if (err instanceof DownloadCut) return wrap(`${label} failed while ${doing} (${message}); try again`, err);
  if (status === undefined) return err instanceof Error ? err : new Error(String(err));
  if (REFUSED_CREDENTIALS.has(code) || status === 401) {
    return wrap(
      `${label} refused the credentials while ${doing} (${what}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE`,
      err,
    );
  }
  if (code === 'NoSuchBucket') {
    return wrap(
      `The bucket ${target.bucket} of ${label} does not exist (${code}); create it, or correct the URL, endpoint or region`,
      err,
    );
  }
  if (REGION_CODES.has(code) || status === 301) {
    return wrap(
      `${label} is not in region ${target.region} (${what}); set AWS_REGION to the bucket's region, or check the endpoint`,
      err,
    );
  }
  if (code === 'AccessDenied' || status === 403) {
    return wrap(`Access denied to ${label} while ${doing} (${what}); ${accessHint(code)}`, err);
  }
  if (isTransient(err)) {
    return wrap(`${label} failed while ${doing} (${what}); try again later`, err);
  }
  return wrap(`${label} failed while ${doing} (${what})`, err);
}

export function accessHint(code: string | undefined): string {
  return code === 'AccessDenied' || code === undefined
    ? 'allow these credentials to list, read, write and delete objects there'
    : 'check the permissions and try again';
}

function wrap(message: string, cause: unknown): UserError {
  const error = new UserError(oneLine(message), ExitCode.Failure);
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false, writable: true, configurable: true });
  return error;
}

/** One line, at most 300 characters, with any secret of the environment blotted out. */
export function oneLine(text: string): string {
  let out = text.replace(/\s+/g, ' ').trim();
  for (const secret of [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN]) {
    if (secret && secret.length >= 4) out = out.split(secret).join('***');
  }
  return clipped(out, 300);
}

export class DownloadCut extends Error {
  override readonly name = 'DownloadCut';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EPIPE',
  'ECONNABORTED',
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** Network failures worth one more try of a whole transfer (the SDK already retried each request). */
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'TimeoutError']);
const TRANSIENT_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
  'DownloadCut',
]);
const REFUSED_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
  'AuthorizationHeaderMalformed',
]);
const REGION_CODES = new Set(['PermanentRedirect', 'IllegalLocationConstraintException', 'Redirect']);

interface ErrorFacts {
  code: string;
  status: number | undefined;
  message: string;
}

function errorFacts(err: unknown): ErrorFacts {
  const e = (err ?? {}) as {
    name?: unknown;
    code?: unknown;
    Code?: unknown;
    message?: unknown;
    errors?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  // net's happy eyeballs reports an AggregateError with an empty message
  const inner = Array.isArray(e.errors)
    ? (e.errors[0] as { code?: unknown; message?: unknown } | undefined)
    : undefined;
  const code =
    [e.code, inner?.code, e.Code, e.name].find((value): value is string => typeof value === 'string' && value !== '') ??
    'Error';
  const message = [e.message, inner?.message].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  return { code, status: e.$metadata?.httpStatusCode, message: oneLine(message ?? '') };
}

export function isNotFound(err: unknown): boolean {
  const { code, status } = errorFacts(err);
  return status === 404 && (code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchUpload');
}

export function isPreconditionFailed(err: unknown): boolean {
  const { code, status } = errorFacts(err);
  return status === 412 || code === 'PreconditionFailed' || code === 'ConditionalRequestConflict';
}

export function isUnsupported(err: unknown): boolean {
  const { code, status } = errorFacts(err);
  return code === 'NotImplemented' || code === 'MethodNotAllowed' || status === 501 || status === 405;
}

export function isBulkDeleteRefused(err: unknown): boolean {
  const { code } = errorFacts(err);
  return isUnsupported(err) || ['MissingContentMD5', 'InvalidDigest', 'BadDigest', 'InvalidRequest'].includes(code);
}

/** Worth another try: network trouble, throttling, a 5xx. */
export function isTransient(err: unknown): boolean {
  if (err instanceof UserError) return false;
  const { code, status } = errorFacts(err);
  if (TRANSIENT_NETWORK.has(code) || TRANSIENT_CODES.has(code)) return true;
  if (code === 'NotImplemented' || status === 501) return false;
  return status !== undefined && (status >= 500 || status === 429);
}
