// Errors the Qdrant test server answers with.
//
// QdrantError: an API error with Qdrant's status code and text prefix (spec section 0).
// RequestError: a request that does not deserialize (400 "Format error in ...") or fails
// validation (422 "Validation error in ..."); for the JSON body it carries the path of the
// offending value so the server can append serde's " at line L column C".

import type { JsonPath } from './json.js';

export class QdrantError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(text);
    this.name = 'QdrantError';
  }
}

/** 400 `Wrong input: ...` (BadInput) */
export function wrongInput(message: string): QdrantError {
  return new QdrantError(400, `Wrong input: ${message}`);
}

/** 400 `Bad request: ...` (BadRequest) */
export function badRequest(message: string): QdrantError {
  return new QdrantError(400, `Bad request: ${message}`);
}

/** 404 `Not found: ...` */
export function notFound(message: string): QdrantError {
  return new QdrantError(404, `Not found: ${message}`);
}

/** 409 `Wrong input: ...` (AlreadyExists) */
export function alreadyExists(message: string): QdrantError {
  return new QdrantError(409, `Wrong input: ${message}`);
}

export function collectionNotFound(name: string): QdrantError {
  return notFound(`Collection \`${name}\` doesn't exist!`);
}

export type RequestPart = 'JSON body' | 'query parameters' | 'path parameters';

export class RequestError extends Error {
  constructor(
    readonly kind: 'format' | 'validation',
    readonly reason: string,
    /** where in the JSON body the problem is; undefined when no position applies */
    readonly path: JsonPath | undefined,
    readonly part: RequestPart = 'JSON body',
  ) {
    super(reason);
    this.name = 'RequestError';
  }
}

/** 400 format error at `path` of the JSON body. */
export function formatError(reason: string, path?: JsonPath): RequestError {
  return new RequestError('format', reason, path);
}

/** 422 validation error for the field at `path` of the JSON body. */
export function validationError(reason: string, path: JsonPath): RequestError {
  return new RequestError('validation', reason, path);
}

/** Qdrant's (validator crate's) way of naming a field: `points[0].vector.text`. */
export function describePath(path: JsonPath): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? seg : `.${seg}`;
  }
  return s;
}
