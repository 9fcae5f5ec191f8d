// Reading request bodies: typed field access and serde-like type checks.
//
// `field<T>(obj, 'key')` only compiles for keys of the client's OpenAPI type T, so a renamed or
// removed field in the real API fails the build. The checks produce serde_json's wording
// ("invalid type: string \"x\", expected u32", "unknown variant `cosine`, expected one of ...")
// as RequestErrors located at the value's path.

import { formatError, validationError } from './errors.js';
import { isJsonObject, type JsonObject, type JsonPath, type JsonValue } from './json.js';

/** The value of an OpenAPI field in a parsed JSON object (own properties only). */
export function field<T>(obj: JsonObject, key: keyof T & string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** serde_json's description of an unexpected value. */
export function describeUnexpected(v: JsonValue): string {
  switch (typeof v) {
    case 'boolean':
      return `boolean \`${v}\``;
    case 'number':
      return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
    case 'bigint':
      return `integer \`${v}\``;
    case 'string':
      return `string ${JSON.stringify(v)}`;
    default:
      if (v === null) return 'null';
      return Array.isArray(v) ? 'sequence' : 'map';
  }
}

export function invalidType(v: JsonValue, expected: string, path: JsonPath): never {
  throw formatError(`invalid type: ${describeUnexpected(v)}, expected ${expected}`, path);
}

export function missingField(name: string, path: JsonPath): never {
  throw formatError(`missing field \`${name}\``, path);
}

export function expectObject(v: JsonValue | undefined, expected: string, path: JsonPath): JsonObject {
  if (v === undefined) throw formatError(`invalid type: null, expected ${expected}`, path);
  if (!isJsonObject(v)) invalidType(v, expected, path);
  return v;
}

/** An optional object: undefined and null give undefined. */
export function optObject(v: JsonValue | undefined, expected: string, path: JsonPath): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  return expectObject(v, expected, path);
}

export function expectArray(v: JsonValue | undefined, path: JsonPath): JsonValue[] {
  if (!Array.isArray(v)) invalidType(v ?? null, 'a sequence', path);
  return v;
}

/** An optional unsigned integer (`usize`, `u32`, `u64`); undefined and null give undefined. */
export function optUint(v: JsonValue | undefined, path: JsonPath, expected = 'usize'): number | undefined {
  if (v === undefined || v === null) return undefined;
  return expectUint(v, path, expected);
}

export function expectUint(v: JsonValue, path: JsonPath, expected = 'usize'): number {
  if (typeof v === 'bigint') {
    if (v < 0n) throw formatError(`invalid value: integer \`${v}\`, expected ${expected}`, path);
    return Number(v);
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) invalidType(v, expected, path);
  if (v < 0) throw formatError(`invalid value: integer \`${v}\`, expected ${expected}`, path);
  if (expected === 'u32' && v > 0xffffffff) {
    throw formatError(`invalid value: integer \`${v}\`, expected ${expected}`, path);
  }
  return v;
}

/** An optional float (`f64`). */
export function optNumber(v: JsonValue | undefined, path: JsonPath, expected = 'f64'): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number') invalidType(v, expected, path);
  return v;
}

export function optBool(v: JsonValue | undefined, path: JsonPath): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') invalidType(v, 'a boolean', path);
  return v;
}

export function expectString(v: JsonValue | undefined, path: JsonPath): string {
  if (typeof v !== 'string') invalidType(v ?? null, 'a string', path);
  return v;
}

/** serde's "expected one of" list. */
function oneOf(variants: readonly string[]): string {
  const quoted = variants.map((x) => `\`${x}\``);
  if (quoted.length === 1) return `expected ${quoted[0]}`;
  if (quoted.length === 2) return `expected ${quoted[0]} or ${quoted[1]}`;
  return `expected one of ${quoted.join(', ')}`;
}

/** A string enum value; serde's case-sensitive variant check. */
export function expectVariant<T extends string>(v: JsonValue | undefined, variants: readonly T[], path: JsonPath): T {
  if (typeof v !== 'string') invalidType(v ?? null, `one of ${variants.map((x) => `\`${x}\``).join(', ')}`, path);
  if (!(variants as readonly string[]).includes(v)) {
    throw formatError(`unknown variant \`${v}\`, ${oneOf(variants)}`, path);
  }
  return v as T;
}

export function optVariant<T extends string>(
  v: JsonValue | undefined,
  variants: readonly T[],
  path: JsonPath,
): T | undefined {
  if (v === undefined || v === null) return undefined;
  return expectVariant(v, variants, path);
}

/** 422 when an integer is below its minimum, in Qdrant's words. */
export function checkMin(value: number | undefined, min: number, path: JsonPath, minText = String(min)): void {
  if (value !== undefined && value < min) {
    throw validationError(`value ${value} invalid, must be ${minText} or larger`, path);
  }
}
