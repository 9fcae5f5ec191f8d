/**
 * The byte-level JSON scanning that the array splitter (raw-array-splitter.ts),
 * the point scan (qdrant/points.ts) and the dense-vector check
 * (qdrant/dense-vector.ts) share: byte classes, where a string, a scalar or a
 * container ends, and the members of a point's object.
 *
 * It works on UTF-8 bytes (JSON's structural characters are ASCII, and no byte
 * of a multi-byte character is ASCII) and follows only the structure: every
 * caller leaves the full check of a value to JSON.parse. Long runs (the numbers
 * of a vector, long strings) are crossed with native indexOf, short ones with
 * small loops that V8 inlines; nothing is allocated per byte.
 */

/**
 * Byte values, named where JSON gives them a meaning; a byte read from a
 * buffer is typed Byte so that it compares with them. A const enum: tsc
 * writes the numbers themselves into the code, where module constants would
 * cost V8 a lookup at each use in the hot loops.
 */
export const enum Byte {
  Tab = 0x09,
  LineFeed = 0x0a,
  CarriageReturn = 0x0d,
  Space = 0x20,
  Quote = 0x22,
  Plus = 0x2b,
  Comma = 0x2c,
  Minus = 0x2d,
  Dot = 0x2e,
  Zero = 0x30,
  Nine = 0x39,
  Colon = 0x3a,
  UpperE = 0x45,
  OpenBracket = 0x5b,
  Backslash = 0x5c,
  CloseBracket = 0x5d,
  LowerE = 0x65,
  OpenBrace = 0x7b,
  CloseBrace = 0x7d,
}

/** JSON whitespace: space, tab, line feed, carriage return. */
export function isSpace(c: Byte | undefined): boolean {
  return c === Byte.Space || c === Byte.LineFeed || c === Byte.CarriageReturn || c === Byte.Tab;
}

export function isDigit(c: Byte | undefined): boolean {
  return c !== undefined && c >= Byte.Zero && c <= Byte.Nine;
}

/** A byte that ends a number, true, false or null: whitespace, ',', ':', '}' or ']'. */
function endsScalar(c: Byte | undefined): boolean {
  return isSpace(c) || c === Byte.Comma || c === Byte.CloseBrace || c === Byte.CloseBracket || c === Byte.Colon;
}

/** The first byte at or after `from` that is not whitespace, or the length. */
export function skipSpace(bytes: Buffer, from: number): number {
  const n = bytes.length;
  let i = from;
  while (i < n && isSpace(bytes[i])) i++;
  return i;
}

/** The first byte at or after `from` that ends a scalar (see endsScalar), or the length. */
export function scalarEnd(bytes: Buffer, from: number): number {
  const n = bytes.length;
  let i = from;
  while (i < n && !endsScalar(bytes[i])) i++;
  return i;
}

/** The first control character (below U+0020, never raw in a JSON string) in [from, to), or -1. */
export function controlByteIn(bytes: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c: Byte = bytes[i]!;
    if (c < Byte.Space) return i;
  }
  return -1;
}

/**
 * Where a string ends. `from` is just past its opening quote, or for a string
 * cut by a chunk boundary the start of the next chunk (past a byte that an
 * escape at the end of the last chunk covers: see StringScan). Returns the
 * index just past the closing quote, or -1 when the bytes end first.
 */
export function stringEnd(bytes: Buffer, from: number): number {
  const n = bytes.length;
  let i = from;
  while (i < n) {
    const quote = bytes.indexOf(Byte.Quote, i);
    if (quote < 0) return -1;
    // an odd run of backslashes before the quote escapes it
    if (!oddBackslashesBefore(bytes, quote, i)) return quote + 1;
    i = quote + 1;
  }
  return -1;
}

/** Whether the backslashes just before `end` (none before `from` counted) are an odd run: the byte at `end` is escaped. */
function oddBackslashesBefore(bytes: Buffer, end: number, from: number): boolean {
  let k = end - 1;
  while (k >= from && bytes[k] === Byte.Backslash) k--;
  return (end - 1 - k) % 2 === 1;
}

/**
 * A string that a chunk boundary may cut: remembers whether the chunk ended
 * in an escape, which covers the next chunk's first byte.
 */
export class StringScan {
  private escaped = false;

  /** Starts on a new string. */
  begin(): void {
    this.escaped = false;
  }

  /** Notes that stringEnd(bytes, from) found no end: the string goes on in the next chunk. */
  cut(bytes: Buffer, from: number): void {
    this.escaped = oddBackslashesBefore(bytes, bytes.length, from);
  }

  /**
   * Index just past the closing quote of a string that goes on at `from` (just
   * past its opening quote, or 0 after a cut); -1 when the chunk ends first.
   */
  end(bytes: Buffer, from: number): number {
    const start = this.escaped ? from + 1 : from;
    this.escaped = false;
    const end = stringEnd(bytes, start);
    if (end < 0) this.cut(bytes, start);
    return end;
  }
}

/**
 * The next quote, brace or bracket of one buffer, each kind found with
 * indexOf and kept until passed: a long run without any (a vector's numbers)
 * costs a few native searches. Positions asked for must not go backwards.
 */
export class Landmarks {
  private quote = -1;
  private openBrace = -1;
  private closeBrace = -1;
  private openBracket = -1;
  private closeBracket = -1;

  constructor(readonly bytes: Buffer) {}

  /** Position of the next quote, brace or bracket at or after `from`, or the length. */
  next(from: number): number {
    const bytes = this.bytes;
    if (this.quote < from) this.quote = find(bytes, Byte.Quote, from);
    if (this.openBrace < from) this.openBrace = find(bytes, Byte.OpenBrace, from);
    if (this.closeBrace < from) this.closeBrace = find(bytes, Byte.CloseBrace, from);
    if (this.openBracket < from) this.openBracket = find(bytes, Byte.OpenBracket, from);
    if (this.closeBracket < from) this.closeBracket = find(bytes, Byte.CloseBracket, from);
    return Math.min(this.quote, this.openBrace, this.closeBrace, this.openBracket, this.closeBracket);
  }

  /**
   * Just past the ']' of the array that opens at `open` when no quote, '['
   * or '{' comes before it (a flat array, such as a vector), else -1.
   */
  flatArrayEnd(open: number): number {
    const bytes = this.bytes;
    const from = open + 1;
    if (this.closeBracket < from) this.closeBracket = find(bytes, Byte.CloseBracket, from);
    const close = this.closeBracket;
    if (close === bytes.length) return -1;
    if (this.quote < from) this.quote = find(bytes, Byte.Quote, from);
    if (this.openBracket < from) this.openBracket = find(bytes, Byte.OpenBracket, from);
    if (this.openBrace < from) this.openBrace = find(bytes, Byte.OpenBrace, from);
    return close < this.quote && close < this.openBracket && close < this.openBrace ? close + 1 : -1;
  }
}

function find(bytes: Buffer, byte: number, from: number): number {
  const at = bytes.indexOf(byte, from);
  return at < 0 ? bytes.length : at;
}

/**
 * Finds where an object or array ends, through any number of chunks. Only
 * strings and brackets count (which bracket closes which is JSON.parse's to
 * check). Other bytes are crossed by a loop, cheaper than a native call,
 * except where a run of numbers (a vector) is likely: after an opening
 * bracket and at the start of a chunk, it jumps to the next landmark.
 */
export class ContainerSkim {
  /** Containers open; 0 once the outermost has closed. */
  depth = 0;
  /** Deepest nesting since begin(): 1 for a container with no other inside. */
  deepest = 0;
  private inString = false;
  private readonly string = new StringScan();

  /** Starts on the container whose opening bracket was just passed. */
  begin(): void {
    this.depth = 1;
    this.deepest = 1;
    this.inString = false;
    this.string.begin();
  }

  /**
   * Goes on from `from` in the landmarks' bytes. Returns the index just past
   * the container's closing bracket, or -1 when the bytes end first (then call
   * again with the next chunk).
   */
  skim(marks: Landmarks, from: number): number {
    const bytes = marks.bytes;
    const n = bytes.length;
    let i = this.inString ? this.string.end(bytes, from) : jump(marks, from);
    let depth = this.depth;
    let deepest = this.deepest;
    while (i >= 0 && i < n) {
      const c: Byte = bytes[i]!;
      if (c === Byte.Quote) {
        const open = i + 1;
        i = stringEnd(bytes, open);
        if (i < 0) this.string.cut(bytes, open);
      } else if (c === Byte.OpenBracket) {
        if (++depth > deepest) deepest = depth;
        i = startsNumber(bytes[i + 1]) ? marks.next(i + 1) : i + 1;
      } else if (c === Byte.OpenBrace) {
        if (++depth > deepest) deepest = depth;
        i++;
      } else if (c === Byte.CloseBrace || c === Byte.CloseBracket) {
        i++;
        if (--depth === 0) break;
      } else {
        i++;
      }
    }
    this.depth = depth;
    this.deepest = deepest;
    this.inString = i < 0;
    return depth === 0 ? i : -1;
  }
}

function startsNumber(c: Byte | undefined): boolean {
  return isDigit(c) || c === Byte.Minus;
}

/** From `from`, the next landmark when the byte there is none (a chunk may start inside a vector), else `from`. */
function jump(marks: Landmarks, from: number): number {
  const c = marks.bytes[from];
  return c === Byte.Quote ||
    c === Byte.OpenBrace ||
    c === Byte.CloseBrace ||
    c === Byte.OpenBracket ||
    c === Byte.CloseBracket
    ? from
    : marks.next(from);
}

/**
 * The members of the object that a whole JSON text (a point) is, in order:
 * each one's key and value, found without decoding. The walk goes only as far
 * as the text is an object of members: where it is not, next() returns false
 * as at the end, and JSON.parse is left to explain.
 */
export class MemberWalk {
  /** The current key: its opening quote and just past its closing quote. */
  keyStart = 0;
  keyEnd = 0;
  /** The current value: its first byte and just past its last. */
  valueStart = 0;
  valueEnd = 0;
  /** Nesting of the current value: 0 for a string, number, true, false or null, else its containers' depth. */
  valueDepth = 0;
  /** Whether the current value is an array with no array, object or string inside. */
  valueIsFlatArray = false;
  private readonly marks: Landmarks;
  private readonly skim = new ContainerSkim();
  /** Where the next key's opening quote is; -1 once the walk is over. */
  private at = -1;

  constructor(readonly bytes: Buffer) {
    this.marks = new Landmarks(bytes);
    const open = skipSpace(bytes, 0);
    const key = skipSpace(bytes, open + 1);
    if (bytes[open] === Byte.OpenBrace && bytes[key] === Byte.Quote) this.at = key;
  }

  /** Moves to the next member (followed by ',' or the closing brace); false at the end or where the text is not JSON. */
  next(): boolean {
    const bytes = this.bytes;
    const keyStart = this.at;
    if (keyStart < 0) return false;
    this.at = -1;
    const keyEnd = stringEnd(bytes, keyStart + 1);
    if (keyEnd < 0) return false;
    const colon = skipSpace(bytes, keyEnd);
    if (bytes[colon] !== Byte.Colon) return false;
    const valueStart = skipSpace(bytes, colon + 1);
    const valueEnd = this.endOfValue(valueStart);
    if (valueEnd < 0) return false;
    const after = skipSpace(bytes, valueEnd);
    if (bytes[after] === Byte.Comma) {
      const key = skipSpace(bytes, after + 1);
      if (bytes[key] !== Byte.Quote) return false;
      this.at = key;
    } else if (bytes[after] !== Byte.CloseBrace) {
      return false;
    }
    this.keyStart = keyStart;
    this.keyEnd = keyEnd;
    this.valueStart = valueStart;
    this.valueEnd = valueEnd;
    return true;
  }

  /** Whether the current key's raw bytes, quotes included, are `quoted`. */
  keyIs(quoted: Buffer): boolean {
    const bytes = this.bytes;
    const start = this.keyStart;
    if (this.keyEnd - start !== quoted.length) return false;
    for (let k = 0; k < quoted.length; k++) if (bytes[start + k] !== quoted[k]) return false;
    return true;
  }

  /** The current key, decoded. */
  key(): string {
    const raw = this.bytes.toString('utf8', this.keyStart, this.keyEnd);
    return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  /** Just past the value that starts at `start`, or -1 where the bytes end first; sets valueDepth and valueIsFlatArray. */
  private endOfValue(start: number): number {
    const bytes = this.bytes;
    const c = bytes[start];
    this.valueDepth = 0;
    this.valueIsFlatArray = false;
    if (c === Byte.Quote) return stringEnd(bytes, start + 1);
    if (c === Byte.OpenBracket) {
      const end = this.marks.flatArrayEnd(start);
      if (end >= 0) {
        this.valueDepth = 1;
        this.valueIsFlatArray = true;
        return end;
      }
    }
    if (c === Byte.OpenBrace || c === Byte.OpenBracket) {
      const skim = this.skim;
      skim.begin();
      const end = skim.skim(this.marks, start + 1);
      this.valueDepth = skim.deepest;
      return end;
    }
    const end = scalarEnd(bytes, start);
    return end > start ? end : -1;
  }
}
