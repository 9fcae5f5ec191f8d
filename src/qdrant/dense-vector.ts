/**
 * A point's unnamed dense vector checked on its raw bytes: where it is, how
 * many numbers it holds, and whether each is a JSON number that float32 can
 * hold. Vectors are nearly all of a point's bytes; checking them here, without
 * decoding them to text or parsing them into an array, keeps the per-point
 * garbage small (and with it the process's peak memory).
 */
import { Byte, isDigit as scannerIsDigit, MemberWalk, skipSpace as scannerSkipSpace } from '../json/scanner.js';

// checkNumberArray calls these for every byte of a vector. V8's optimizing
// compiler folds a module constant into the code, but loads an imported
// binding at each use (about 15% of the loop's time): hence local names.
const isDigit = scannerIsDigit;
const skipSpace = scannerSkipSpace;

const VECTOR_KEY = Buffer.from('"vector"');

/**
 * The byte range ('[' to just past ']') of the first top-level "vector" value
 * when it is a flat array (no nested array, object or string) followed by ','
 * or the point's closing brace, else null.
 */
export function flatVectorRange(raw: Buffer): { start: number; end: number } | null {
  const members = new MemberWalk(raw);
  while (members.next()) {
    if (members.keyIs(VECTOR_KEY))
      return members.valueIsFlatArray ? { start: members.valueStart, end: members.valueEnd } : null;
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
    if (raw[i] === Byte.Minus) i++;
    let integerDigits = 0;
    if (raw[i] === Byte.Zero) {
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
    if (raw[i] === Byte.Dot) {
      i++;
      if (!isDigit(raw[i])) return notNumbers;
      while (isDigit(raw[i])) i++;
    }
    let exponent = 0;
    if (raw[i] === Byte.LowerE || raw[i] === Byte.UpperE) {
      i++;
      let sign = 1;
      if (raw[i] === Byte.Plus || raw[i] === Byte.Minus) {
        if (raw[i] === Byte.Minus) sign = -1;
        i++;
      }
      if (!isDigit(raw[i])) return notNumbers;
      while (isDigit(raw[i])) {
        if (exponent < 10_000) exponent = exponent * 10 + (raw[i]! - Byte.Zero);
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
    if (raw[i] === Byte.Comma) {
      i = skipSpace(raw, i + 1);
      continue;
    }
    if (raw[i] === Byte.CloseBracket && i === end - 1) return { numbers: true, count, float32 };
    return notNumbers;
  }
}
