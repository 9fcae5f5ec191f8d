/**
 * A point's unnamed dense vector checked on its raw bytes: where it is, how
 * many numbers it holds, and whether each is a JSON number that float32 can
 * hold. Vectors are nearly all of a point's bytes; checking them here, without
 * decoding them to text or parsing them into an array, keeps the per-point
 * garbage small (and with it the process's peak memory).
 */
import { oddBackslashesBefore } from '../json/raw-array-splitter.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const VECTOR_KEY = Buffer.from('"vector"');

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

function skipSpace(raw: Buffer, i: number): number {
  while (isSpace(raw[i])) i++;
  return i;
}

/** Index just past the closing quote of the string that opens at `start`, or -1. */
function stringEnd(raw: Buffer, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = raw.indexOf(QUOTE, at);
    if (quote < 0) return -1;
    if (!oddBackslashesBefore(raw, quote, start + 1)) return quote + 1;
    at = quote + 1;
  }
}

/**
 * The byte range ('[' to just past ']') of the first top-level "vector" value
 * when it is a flat array (no nested array, object or string), else null.
 */
export function flatVectorRange(raw: Buffer): { start: number; end: number } | null {
  let i = skipSpace(raw, 0);
  if (raw[i] !== OPEN_BRACE) return null;
  i++;
  let depth = 1;
  let expectKey = true;
  while (i < raw.length && depth > 0) {
    const c = raw[i]!;
    if (c === QUOTE) {
      const end = stringEnd(raw, i);
      if (end < 0) return null;
      if (depth === 1 && expectKey) {
        expectKey = false;
        if (end - i === VECTOR_KEY.length && raw.compare(VECTOR_KEY, 0, VECTOR_KEY.length, i, end) === 0) {
          let at = skipSpace(raw, end);
          if (raw[at] !== COLON) return null;
          at = skipSpace(raw, at + 1);
          if (raw[at] !== OPEN_BRACKET) return null;
          const close = raw.indexOf(CLOSE_BRACKET, at + 1);
          if (close < 0) return null;
          for (const c of [OPEN_BRACKET, OPEN_BRACE, QUOTE]) {
            const found = raw.indexOf(c, at + 1);
            if (found >= 0 && found < close) return null;
          }
          return { start: at, end: close + 1 };
        }
      }
      i = end;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    else if (c === COMMA && depth === 1) expectKey = true;
    i++;
  }
  return null;
}

/** Below 10^38 a number is a finite float32 (its largest is about 3.4e38). */
const SAFE_DECIMAL_EXPONENT = 38;

export interface NumberArrayCheck {
  /** False when the bytes are not a JSON array of JSON numbers: the caller parses them for the exact reason. */
  numbers: boolean;
  count: number;
  /** Every number is finite as float32. */
  float32: boolean;
}

/** Checks the array at raw[start] ('[') to raw[end - 1] (']') holds JSON numbers only. */
export function checkNumberArray(raw: Buffer, start: number, end: number): NumberArrayCheck {
  const notNumbers = { numbers: false, count: 0, float32: false };
  let count = 0;
  let float32 = true;
  let i = skipSpace(raw, start + 1);
  if (i === end - 1) return { numbers: true, count: 0, float32: true };
  for (;;) {
    const numberStart = i;
    if (raw[i] === MINUS) i++;
    let integerDigits = 0;
    if (raw[i] === ZERO) {
      i++;
      integerDigits = 1;
    } else if (isDigit(raw[i])) {
      while (isDigit(raw[i])) {
        i++;
        integerDigits++;
      }
    } else {
      return notNumbers;
    }
    if (raw[i] === DOT) {
      i++;
      if (!isDigit(raw[i])) return notNumbers;
      while (isDigit(raw[i])) i++;
    }
    let exponent = 0;
    if (raw[i] === 0x65 || raw[i] === 0x45) {
      i++;
      let sign = 1;
      if (raw[i] === PLUS || raw[i] === MINUS) {
        if (raw[i] === MINUS) sign = -1;
        i++;
      }
      if (!isDigit(raw[i])) return notNumbers;
      while (isDigit(raw[i])) {
        if (exponent < 10_000) exponent = exponent * 10 + (raw[i]! - ZERO);
        i++;
      }
      exponent *= sign;
    }
    count++;
    // only a number that may reach 10^38 is parsed to see whether float32 holds it
    if (
      integerDigits + exponent > SAFE_DECIMAL_EXPONENT &&
      !Number.isFinite(Math.fround(Number(raw.toString('latin1', numberStart, i))))
    ) {
      float32 = false;
    }
    i = skipSpace(raw, i);
    if (raw[i] === COMMA) {
      i = skipSpace(raw, i + 1);
      continue;
    }
    if (raw[i] === CLOSE_BRACKET && i === end - 1) return { numbers: true, count, float32 };
    return notNumbers;
  }
}
