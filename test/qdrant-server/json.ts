// Exact JSON for the Qdrant test server.
//
// Qdrant point ids are u64: JSON.parse would silently round integers above 2^53. parseJsonExact
// keeps every integer literal outside the safe range as a bigint (safe integers stay numbers).
// Fast path: JSON.parse, kept when it made no number of 2^53 or more in magnitude;
// anything else goes through a small recursive-descent parser with serde_json-like error messages and
// positions. stringifyJson prints bigints exactly. locateValueEnd finds where a value ends in
// the text, so semantic errors can carry serde's " at line L column C" suffix.

import { isUtf8 } from 'node:buffer';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}
/** A path into a JSON document: object keys and array indices. */
export type JsonPath = ReadonlyArray<string | number>;

/** A syntax error in a JSON text, with serde_json's wording and 1-based line/column. */
export class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at line ${line} column ${column}`);
    this.name = 'JsonSyntaxError';
  }
}

/**
 * A request body as text. Qdrant's serde_json reads the bytes and refuses a string that is not
 * UTF-8 ("invalid unicode code point", placed just after the string's closing quote, columns
 * counted in bytes); a plain decode would turn such bytes into U+FFFD and store them.
 * Bad bytes outside a string decode to U+FFFD, where the parser fails as serde_json does.
 */
export function decodeJsonBody(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const end = endOfStringHolding(bytes, firstInvalidUtf8(bytes));
  if (end === undefined) return bytes.toString('utf8');
  const { line, column } = lineColumn(bytes, end, false);
  throw new JsonSyntaxError('invalid unicode code point', line, column);
}

/** Index of the first byte that does not start a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const length = lead < 0x80 ? 1 : lead < 0xc2 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf5 ? 4 : 0;
    // isUtf8 on the one sequence refuses overlong forms, surrogates and cut-off sequences
    if (length === 0 || !isUtf8(bytes.subarray(i, i + length))) return i;
    i += length;
  }
  return bytes.length;
}

/** Index just past the closing quote of the string that holds byte `at`, if one does. */
function endOfStringHolding(bytes: Buffer, at: number): number | undefined {
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  let inString = false;
  for (let i = 0; i < at; i++) {
    const c = bytes[i];
    if (!inString) inString = c === QUOTE;
    else if (c === BACKSLASH) i++;
    else if (c === QUOTE) inString = false;
  }
  if (!inString) return undefined;
  for (let i = at; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return undefined;
}

/** Parses JSON text; integers outside the safe range become bigints. Throws JsonSyntaxError. */
export function parseJsonExact(text: string): JsonValue {
  let fast: JsonValue | undefined;
  try {
    fast = JSON.parse(text) as JsonValue;
  } catch {
    // the exact parser produces the serde-style message and position
  }
  // JSON.parse rounds only numbers beyond 2^53; where it met none its answer is exact (a look
  // at the numbers it made costs far less than scanning a megabyte of vector text for digits)
  if (fast !== undefined && !holdsHugeNumber(fast)) return fast;
  return new ExactParser(text).parseDocument();
}

/** Beyond this, integers are not all representable: 2^53. */
const EXACT_LIMIT = 2 ** 53;

function holdsHugeNumber(v: JsonValue): boolean {
  if (typeof v === 'number') return v >= EXACT_LIMIT || v <= -EXACT_LIMIT;
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) {
    // numbers checked in the loop: a vector is hundreds of them
    for (let k = 0; k < v.length; k++) {
      const item = v[k]!;
      if (typeof item === 'number') {
        if (item >= EXACT_LIMIT || item <= -EXACT_LIMIT) return true;
      } else if (holdsHugeNumber(item)) return true;
    }
    return false;
  }
  for (const key in v) if (holdsHugeNumber(v[key]!)) return true;
  return false;
}

/** Where (1-based line and column, serde style) the value at `path` ends, if it exists. */
export function locateValueEnd(text: string, path: JsonPath): { line: number; column: number } | undefined {
  const parser = new ExactParser(text, path);
  try {
    parser.parseDocument();
  } catch {
    // a located value before a later syntax error still counts
  }
  return parser.targetEnd === undefined ? undefined : lineColumn(text, parser.targetEnd, false);
}

/**
 * 1-based line and column of index `i`; `atChar` means the column of the char at i itself.
 * In text columns count characters, in bytes they count bytes (as serde_json counts them).
 */
function lineColumn(text: string | Buffer, i: number, atChar: boolean): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(i, text.length);
  for (let j = 0; j < end; j++) {
    if ((typeof text === 'string' ? text.charCodeAt(j) : text[j]) === 10) {
      line++;
      lineStart = j + 1;
    }
  }
  return { line, column: i - lineStart + (atChar ? 1 : 0) };
}

const WS_SPACE = 0x20;
const WS_TAB = 0x09;
const WS_LF = 0x0a;
const WS_CR = 0x0d;

class ExactParser {
  private i = 0;
  private readonly path: Array<string | number> = [];
  targetEnd: number | undefined;

  constructor(
    private readonly text: string,
    private readonly target?: JsonPath,
  ) {}

  parseDocument(): JsonValue {
    this.skipWs();
    const v = this.parseValue();
    this.skipWs();
    if (this.i < this.text.length) this.failAt('trailing characters');
    return v;
  }

  private failAt(reason: string): never {
    const { line, column } = lineColumn(this.text, this.i, true);
    throw new JsonSyntaxError(reason, line, column);
  }

  private failEof(what: string): never {
    const { line, column } = lineColumn(this.text, this.text.length, false);
    throw new JsonSyntaxError(`EOF while parsing ${what}`, line, column);
  }

  private skipWs(): void {
    const t = this.text;
    let i = this.i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === WS_SPACE || c === WS_LF || c === WS_CR || c === WS_TAB) i++;
      else break;
    }
    this.i = i;
  }

  private parseValue(): JsonValue {
    const t = this.text;
    if (this.i >= t.length) this.failEof('a value');
    const c = t[this.i];
    let v: JsonValue;
    switch (c) {
      case '{':
        v = this.parseObject();
        break;
      case '[':
        v = this.parseArray();
        break;
      case '"':
        v = this.parseString();
        break;
      case 't':
        v = this.parseKeyword('true', true);
        break;
      case 'f':
        v = this.parseKeyword('false', false);
        break;
      case 'n':
        v = this.parseKeyword('null', null);
        break;
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) v = this.parseNumber();
        else this.failAt('expected value');
    }
    if (this.target !== undefined && this.targetEnd === undefined && this.atTarget()) this.targetEnd = this.i;
    return v;
  }

  private atTarget(): boolean {
    const target = this.target;
    if (target === undefined || target.length !== this.path.length) return false;
    for (let k = 0; k < target.length; k++) if (target[k] !== this.path[k]) return false;
    return true;
  }

  private parseKeyword<T extends JsonValue>(word: string, value: T): T {
    for (let k = 0; k < word.length; k++) {
      if (this.i >= this.text.length) this.failEof('a value');
      if (this.text[this.i] !== word[k]) this.failAt(k === 0 ? 'expected value' : 'expected ident');
      this.i++;
    }
    return value;
  }

  private parseNumber(): number | bigint {
    const t = this.text;
    const start = this.i;
    let i = start;
    if (t[i] === '-') i++;
    const digitsStart = i;
    if (i >= t.length) {
      this.i = i;
      this.failEof('a value');
    }
    if (t[i] === '0') {
      i++;
    } else if (t[i]! >= '1' && t[i]! <= '9') {
      while (i < t.length && t[i]! >= '0' && t[i]! <= '9') i++;
    } else {
      this.i = i;
      this.failAt('invalid number');
    }
    let integer = true;
    if (t[i] === '.') {
      integer = false;
      i++;
      const fracStart = i;
      while (i < t.length && t[i]! >= '0' && t[i]! <= '9') i++;
      if (i === fracStart) {
        this.i = i;
        if (i >= t.length) this.failEof('a value');
        this.failAt('invalid number');
      }
    }
    if (t[i] === 'e' || t[i] === 'E') {
      integer = false;
      i++;
      if (t[i] === '+' || t[i] === '-') i++;
      const expStart = i;
      while (i < t.length && t[i]! >= '0' && t[i]! <= '9') i++;
      if (i === expStart) {
        this.i = i;
        if (i >= t.length) this.failEof('a value');
        this.failAt('invalid number');
      }
    }
    this.i = i;
    const literal = t.slice(start, i);
    if (integer && i - digitsStart >= 16) {
      const n = Number(literal);
      return Number.isSafeInteger(n) ? n : BigInt(literal);
    }
    return Number(literal);
  }

  private parseString(): string {
    const t = this.text;
    let i = this.i + 1; // after the opening quote
    let out = '';
    let chunkStart = i;
    for (;;) {
      if (i >= t.length) {
        this.i = i;
        this.failEof('a string');
      }
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        out += t.slice(chunkStart, i);
        this.i = i + 1;
        return out;
      }
      if (c < 0x20) {
        this.i = i;
        this.failAt('control character (\\u0000-\\u001F) found while parsing a string');
      }
      if (c === 0x5c) {
        out += t.slice(chunkStart, i);
        i++;
        if (i >= t.length) {
          this.i = i;
          this.failEof('a string');
        }
        const e = t[i];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = t.slice(i + 1, i + 5);
            if (hex.length < 4) {
              this.i = t.length;
              this.failEof('a string');
            }
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              this.i = i + 1;
              this.failAt('invalid escape');
            }
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            this.i = i;
            this.failAt('invalid escape');
        }
        i++;
        chunkStart = i;
        continue;
      }
      i++;
    }
  }

  private parseArray(): JsonValue[] {
    this.i++; // [
    const out: JsonValue[] = [];
    this.skipWs();
    if (this.i >= this.text.length) this.failEof('a list');
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.path.push(out.length);
      out.push(this.parseValue());
      this.path.pop();
      this.skipWs();
      if (this.i >= this.text.length) this.failEof('a list');
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        this.skipWs();
        if (this.text[this.i] === ']') this.failAt('trailing comma');
        continue;
      }
      if (c === ']') {
        this.i++;
        return out;
      }
      this.failAt('expected `,` or `]`');
    }
  }

  private parseObject(): JsonObject {
    this.i++; // {
    const out: JsonObject = {};
    this.skipWs();
    if (this.i >= this.text.length) this.failEof('an object');
    if (this.text[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      if (this.i >= this.text.length) this.failEof('an object');
      if (this.text[this.i] !== '"') this.failAt('key must be a string');
      const key = this.parseString();
      this.skipWs();
      if (this.i >= this.text.length) this.failEof('an object');
      if (this.text[this.i] !== ':') this.failAt('expected `:`');
      this.i++;
      this.skipWs();
      this.path.push(key);
      const value = this.parseValue();
      this.path.pop();
      // like JSON.parse: "__proto__" becomes an own data property
      Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
      this.skipWs();
      if (this.i >= this.text.length) this.failEof('an object');
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        this.skipWs();
        if (this.text[this.i] === '}') this.failAt('trailing comma');
        continue;
      }
      if (c === '}') {
        this.i++;
        return out;
      }
      this.failAt('expected `,` or `}`');
    }
  }
}

/**
 * JSON text of a value, like JSON.stringify but printing bigints exactly. Object keys whose
 * value is undefined are skipped (so optional fields of typed objects can be left undefined).
 */
export function stringifyJson(value: unknown): string {
  // JSON.stringify is many times quicker and prints the same, but for these two
  return value === undefined || holdsBigintOrNegativeZero(value) ? printJson(value) : JSON.stringify(value);
}

function holdsBigintOrNegativeZero(v: unknown): boolean {
  if (typeof v === 'number') return Object.is(v, -0);
  if (typeof v === 'bigint') return true;
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) if (holdsBigintOrNegativeZero(v[k])) return true;
    return false;
  }
  const record = v as Record<string, unknown>;
  for (const key in record) if (holdsBigintOrNegativeZero(record[key])) return true;
  return false;
}

function printJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // serde_json reads -0 and -0.0 as the float -0.0 and prints it so; String(-0) is "0"
      if (Object.is(value, -0)) return '-0.0';
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let s = '[';
        for (let k = 0; k < value.length; k++) {
          if (k > 0) s += ',';
          const item: unknown = value[k];
          s += item === undefined ? 'null' : printJson(item);
        }
        return s + ']';
      }
      let s = '{';
      let first = true;
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (item === undefined) continue;
        if (!first) s += ',';
        first = false;
        s += JSON.stringify(key) + ':' + printJson(item);
      }
      return s + '}';
    }
    default:
      return 'null';
  }
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
