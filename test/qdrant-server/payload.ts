// Payload of a point: `with_payload` selection (true/false, a key list, include/exclude) and
// the `with_vector` selection, as scroll/retrieve requests express them.

import type { Schemas } from '@qdrant/js-client-rest';
import { formatError } from './errors.js';
import { isJsonObject, stringifyJson, type JsonObject, type JsonPath, type JsonValue } from './json.js';
import { field } from './validate.js';

export type PayloadSelection =
  { kind: 'all' } | { kind: 'none' } | { kind: 'include'; paths: string[][] } | { kind: 'exclude'; paths: string[][] };

/** undefined = no vectors; 'all' = every vector; a set = those names */
export type VectorSelection = undefined | 'all' | ReadonlySet<string>;

function stringList(v: JsonValue | undefined): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: string[] = [];
  for (const x of v) {
    if (typeof x !== 'string') return undefined;
    out.push(x);
  }
  return out;
}

/** Payload key paths: `a.b` walks into nested objects; `a[]` is the same as `a`. */
function splitPath(key: string): string[] {
  return key.split('.').map((seg) => (seg.endsWith('[]') ? seg.slice(0, -2) : seg));
}

/** Parses `with_payload` (WithPayloadInterface); absent or null means the default, true. */
export function parseWithPayload(v: JsonValue | undefined, path: JsonPath): PayloadSelection {
  if (v === undefined || v === null || v === true) return { kind: 'all' };
  if (v === false) return { kind: 'none' };
  const list = stringList(v);
  if (list !== undefined) return { kind: 'include', paths: list.map(splitPath) };
  if (isJsonObject(v)) {
    const include = stringList(field<Schemas['PayloadSelectorInclude']>(v, 'include'));
    if (include !== undefined) return { kind: 'include', paths: include.map(splitPath) };
    const exclude = stringList(field<Schemas['PayloadSelectorExclude']>(v, 'exclude'));
    if (exclude !== undefined) return { kind: 'exclude', paths: exclude.map(splitPath) };
  }
  throw formatError('data did not match any variant of untagged enum WithPayloadInterface', path);
}

/** Parses `with_vector` (WithVector): a boolean or a list of vector names; default false. */
export function parseWithVector(v: JsonValue | undefined, path: JsonPath): VectorSelection {
  if (v === undefined || v === null || v === false) return undefined;
  if (v === true) return 'all';
  const list = stringList(v);
  if (list !== undefined) return new Set(list);
  throw formatError('data did not match any variant of untagged enum WithVector', path);
}

function valueAt(obj: JsonObject, path: readonly string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = obj;
  for (const seg of path) {
    if (!isJsonObject(cur) || !Object.hasOwn(cur, seg)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

function setAt(obj: JsonObject, path: readonly string[], value: JsonValue): void {
  let cur = obj;
  for (let k = 0; k < path.length - 1; k++) {
    const seg = path[k]!;
    const next = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    if (isJsonObject(next)) cur = next;
    else {
      const created: JsonObject = {};
      cur[seg] = created;
      cur = created;
    }
  }
  cur[path[path.length - 1]!] = value;
}

function cloneObject(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) out[k] = isJsonObject(v) ? cloneObject(v) : v;
  return out;
}

function deleteAt(obj: JsonObject, path: readonly string[]): void {
  let cur: JsonValue | undefined = obj;
  for (let k = 0; k < path.length - 1; k++) {
    if (!isJsonObject(cur)) return;
    cur = cur[path[k]!];
  }
  if (isJsonObject(cur)) delete cur[path[path.length - 1]!];
}

/** The payload JSON text for a record, or undefined when the payload is not requested. */
export function renderSelectedPayload(
  payload: JsonObject,
  payloadJson: string,
  sel: PayloadSelection,
): string | undefined {
  switch (sel.kind) {
    case 'all':
      return payloadJson;
    case 'none':
      return undefined;
    case 'include': {
      const out: JsonObject = {};
      for (const p of sel.paths) {
        const v = valueAt(payload, p);
        if (v !== undefined) setAt(out, p, v);
      }
      return stringifyJson(out);
    }
    case 'exclude': {
      const out = cloneObject(payload);
      for (const p of sel.paths) deleteAt(out, p);
      return stringifyJson(out);
    }
  }
}

/** Does the payload hold a (non-null, non-empty-array) value at `key`? For index point counts. */
export function hasPayloadValue(payload: JsonObject, key: string): boolean {
  const walk = (cur: JsonValue | undefined, path: readonly string[]): boolean => {
    if (path.length === 0) return cur !== undefined && cur !== null && !(Array.isArray(cur) && cur.length === 0);
    if (Array.isArray(cur)) return cur.some((x) => walk(x, path));
    if (!isJsonObject(cur) || !Object.hasOwn(cur, path[0]!)) return false;
    return walk(cur[path[0]!], path.slice(1));
  };
  return walk(payload, splitPath(key));
}
