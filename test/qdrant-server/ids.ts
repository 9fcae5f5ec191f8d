// Qdrant point ids: u64 integers (full range, exact) or UUIDs.
//
// Canonical in-memory form: a safe integer as a number, a larger u64 as a bigint, a UUID as
// its lowercase hyphenated string. So one id has exactly one representation and can key a Map.
// Qdrant order: all integer ids ascending, then UUIDs by 128-bit value (= lowercase hex order).

import type { Schemas } from '@qdrant/js-client-rest';
import type { JsonValue } from './json.js';

/** A point id as the server holds it: the schema's id, plus bigint for u64 values above 2^53. */
export type PointId = Schemas['ExtendedPointId'] | bigint;

const U64_MAX = 18446744073709551615n;
const I64_MIN = -9223372036854775808n;

const SIMPLE = /^[0-9a-fA-F]{32}$/;
const HYPHENATED = /^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})$/;

/**
 * The canonical id for a JSON value, or undefined when Qdrant would reject it. Accepts
 * unsigned integers up to 2^64-1 and UUID strings as the Rust uuid crate parses them: simple
 * (32 hex), hyphenated, `urn:uuid:<hyphenated>`, `{<hyphenated>}`; hex digits in any case.
 */
export function toPointId(v: JsonValue | undefined): PointId | undefined {
  switch (typeof v) {
    case 'number':
      if (!Number.isSafeInteger(v) || v < 0) return undefined;
      return v + 0; // -0 -> 0
    case 'bigint':
      if (v < 0n || v > U64_MAX) return undefined;
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    case 'string':
      return parseUuid(v);
    default:
      return undefined;
  }
}

/** Lowercase hyphenated form of a UUID string in any accepted notation. */
export function parseUuid(s: string): string | undefined {
  let hyphenated: string;
  if (s.length === 32) {
    if (!SIMPLE.test(s)) return undefined;
    hyphenated = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  } else if (s.length === 36) {
    hyphenated = s;
  } else if (s.length === 38 && s.startsWith('{') && s.endsWith('}')) {
    hyphenated = s.slice(1, -1);
  } else if (s.length === 45 && s.startsWith('urn:uuid:')) {
    hyphenated = s.slice(9);
  } else {
    return undefined;
  }
  if (!HYPHENATED.test(hyphenated)) return undefined;
  return hyphenated.toLowerCase();
}

/** Qdrant order: integers ascending (number and bigint compare exactly), then UUIDs. */
export function comparePointIds(a: PointId, b: PointId): number {
  const aUuid = typeof a === 'string';
  const bUuid = typeof b === 'string';
  if (aUuid !== bUuid) return aUuid ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON text of an id: integers as exact digits, UUIDs as quoted strings. */
export function renderPointId(id: PointId): string {
  return typeof id === 'string' ? `"${id}"` : id.toString();
}

/**
 * How Qdrant shows a rejected id value in `value X is not a valid point ID`: strings
 * unquoted, null as `Unit`, everything else as JSON text.
 */
export function describeRejectedId(v: JsonValue | undefined): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'Unit';
  // serde_json reads integers beyond i64/u64 as f64, which Rust displays without an exponent
  if (typeof v === 'bigint') return v < I64_MIN || v > U64_MAX ? String(Number(v)) : v.toString();
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
}

export function invalidIdMessage(v: JsonValue | undefined): string {
  return `value ${describeRejectedId(v)} is not a valid point ID, valid values are either an unsigned integer or a UUID`;
}
