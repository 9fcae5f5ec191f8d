/**
 * Splits a streamed JSON document, as UTF-8 bytes, into the raw bytes of
 * each element of one array at a fixed key path (e.g. ["points"] or
 * ["result", "points"]), and keeps the raw text of that array's sibling
 * values. Bytes, not strings: the elements go on to a zip entry or an HTTP
 * body as they came, without a decode and re-encode of every point.
 *
 * Why raw text and not a streaming JSON library: those turn every number into
 * a float64, and Qdrant point ids are unsigned 64-bit integers; an id above
 * 2^53 would silently change. Keeping each point's exact text lets the backup
 * copy what Qdrant sent and the restore send back exactly what was archived,
 * with no re-encoding of vectors. Each element is then checked with
 * JSON.parse by the caller; this scanner only tracks strings, nesting and
 * the token order of the containers around the array.
 *
 * Inside an element (an object or array) only its end matters, since the
 * caller's JSON.parse checks its content: a ContainerSkim (scanner.ts) finds
 * it, crossing the long number runs of vectors with native indexOf.
 */
import { Byte, ContainerSkim, controlByteIn, isSpace, Landmarks, scalarEnd, skipSpace, StringScan } from './scanner.js';

const enum Expect {
  Value,
  ValueOrEnd,
  Key,
  KeyOrEnd,
  Colon,
  CommaOrEnd,
}

/** The token the scan is in, possibly since an earlier chunk. */
const enum Inside {
  /** Between tokens: whitespace and structure. */
  Structure,
  /** A key or a string value outside the array's elements. */
  String,
  /** A number, true, false or null. */
  Scalar,
  /** An object or array element of the target array, skimmed for its end. */
  Element,
}

interface Frame {
  kind: 'object' | 'array';
  expect: Expect;
  /** The key whose value comes next (objects only). */
  key: string | null;
  /** Whether the keys from the root to this container equal the path so far. */
  onPath: boolean;
}

interface Capture {
  parts: Buffer[];
  start: number;
  /** Stack depth of the container holding the captured value. */
  depth: number;
  /** Sibling key, or null for an array element. */
  key: string | null;
}

export class JsonSplitError extends Error {}

export class RawArraySplitter {
  /** Raw text of each value beside the array in its parent object, by key (UTF-8 decoded). */
  readonly siblings = new Map<string, string>();
  /** Whether the array was found at the path. */
  found = false;

  private readonly stack: Frame[] = [];
  private capture: Capture | null = null;
  private inside = Inside.Structure;
  private readonly string = new StringScan();
  private stringIsKey = false;
  private keyParts: Buffer[] = [];
  private keyStart = 0;
  private scalarParts: Buffer[] = [];
  private scalarStart = 0;
  private readonly element = new ContainerSkim();
  private rootDone = false;
  private rootStarted = false;
  private offset = 0;
  /** Elements completed during the current push. */
  private out: Buffer[] = [];

  constructor(private readonly path: readonly string[]) {
    if (path.length === 0) throw new Error('path must name at least one key');
  }

  /**
   * Feeds the next chunk; returns the raw bytes of every element completed in
   * it. An element may be a view into the chunk: chunks must not be reused.
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.out = out;
    const n = chunk.length;
    const marks = new Landmarks(chunk);
    let i = 0;
    while (i < n) {
      switch (this.inside) {
        case Inside.Structure:
          i = this.structure(chunk, i);
          break;
        case Inside.String:
          i = this.continueString(chunk, i);
          break;
        case Inside.Scalar:
          i = this.continueScalar(chunk, i);
          break;
        case Inside.Element:
          i = this.continueElement(marks, i);
          break;
      }
    }
    this.carryOver(chunk);
    this.offset += n;
    return out;
  }

  /** Declares the end of input; throws if the document is incomplete. */
  end(): void {
    if (this.inside === Inside.Scalar) this.endScalar(EMPTY, 0);
    if (this.inside !== Inside.Structure || !this.rootDone) throw new JsonSplitError('the JSON document is truncated');
  }

  /** Keeps the bytes of the tokens still open at the end of a chunk, for when they end in a later one. */
  private carryOver(chunk: Buffer): void {
    if (this.capture) {
      this.capture.parts.push(chunk.subarray(this.capture.start));
      this.capture.start = 0;
    }
    if (this.inside === Inside.String && this.stringIsKey) {
      this.keyParts.push(chunk.subarray(this.keyStart));
      this.keyStart = 0;
    }
    if (this.inside === Inside.Scalar) {
      this.scalarParts.push(chunk.subarray(this.scalarStart));
      this.scalarStart = 0;
    }
  }

  /** Handles the byte at `i` between tokens; returns where to go on. */
  private structure(chunk: Buffer, i: number): number {
    const c: Byte = chunk[i]!;
    if (isSpace(c)) return skipSpace(chunk, i + 1);
    if (this.rootDone) this.fail(i, 'unexpected text after the end of the document');
    switch (c) {
      case Byte.OpenBrace:
      case Byte.OpenBracket:
        this.openContainer(chunk, i, c);
        break;
      case Byte.CloseBrace:
      case Byte.CloseBracket:
        this.closeContainer(chunk, i, c);
        break;
      case Byte.Colon:
        this.colon(i);
        break;
      case Byte.Comma:
        this.comma(i);
        break;
      case Byte.Quote:
        this.openString(chunk, i);
        break;
      default:
        this.openScalar(chunk, i);
    }
    return i + 1;
  }

  private openContainer(chunk: Buffer, at: number, c: Byte): void {
    this.beginValue(chunk, at);
    if (this.isElementStart(at)) {
      // an element of the target array: only its end matters
      this.element.begin();
      this.inside = Inside.Element;
      return;
    }
    this.stack.push(this.childFrame(c === Byte.OpenBrace ? 'object' : 'array'));
    if (c === Byte.OpenBracket && this.isTarget(this.stack.length - 1)) this.found = true;
  }

  /** Whether the value that beginValue just started at `at` is an element of the target array. */
  private isElementStart(at: number): boolean {
    const cap = this.capture;
    return cap !== null && cap.key === null && cap.depth === this.stack.length && cap.start === at;
  }

  private closeContainer(chunk: Buffer, at: number, c: Byte): void {
    const top = this.stack[this.stack.length - 1];
    const kind = c === Byte.CloseBrace ? 'object' : 'array';
    if (!top || top.kind !== kind) this.fail(at, `unexpected '${String.fromCharCode(c)}'`);
    const okEnd =
      kind === 'object'
        ? top.expect === Expect.KeyOrEnd || top.expect === Expect.CommaOrEnd
        : top.expect === Expect.ValueOrEnd || top.expect === Expect.CommaOrEnd;
    if (!okEnd) this.fail(at, `unexpected '${String.fromCharCode(c)}'`);
    this.stack.pop();
    this.endValue(chunk, at + 1);
  }

  private colon(at: number): void {
    const top = this.stack[this.stack.length - 1];
    if (!top || top.expect !== Expect.Colon) this.fail(at, "unexpected ':'");
    top.expect = Expect.Value;
  }

  private comma(at: number): void {
    const top = this.stack[this.stack.length - 1];
    if (!top || top.expect !== Expect.CommaOrEnd) this.fail(at, "unexpected ','");
    top.expect = top.kind === 'object' ? Expect.Key : Expect.Value;
  }

  private openString(chunk: Buffer, at: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top && top.kind === 'object' && (top.expect === Expect.Key || top.expect === Expect.KeyOrEnd)) {
      this.stringIsKey = true;
      this.keyParts = [];
      this.keyStart = at;
    } else {
      this.beginValue(chunk, at);
      this.stringIsKey = false;
    }
    this.string.begin();
    this.inside = Inside.String;
  }

  /** A number, true, false or null begins at `at`. */
  private openScalar(chunk: Buffer, at: number): void {
    this.beginValue(chunk, at);
    this.scalarParts = [];
    this.scalarStart = at;
    this.inside = Inside.Scalar;
  }

  /** Reads on in a string from `from`; at its closing quote, ends the key or value. */
  private continueString(chunk: Buffer, from: number): number {
    const end = this.string.end(chunk, from);
    const control = controlByteIn(chunk, from, end < 0 ? chunk.length : end - 1);
    if (control >= 0) this.fail(control, 'control character in a string');
    if (end < 0) return chunk.length;
    this.inside = Inside.Structure;
    if (this.stringIsKey) this.endKey(chunk, end);
    else this.endValue(chunk, end);
    return end;
  }

  private endKey(chunk: Buffer, end: number): void {
    const raw = joined(this.keyParts, chunk.subarray(this.keyStart, end));
    const top = this.stack[this.stack.length - 1]!;
    top.key = JSON.parse(raw.toString('utf8')) as string;
    top.expect = Expect.Colon;
  }

  /** Reads on in a scalar from `from`; its terminator is then handled as structure. */
  private continueScalar(chunk: Buffer, from: number): number {
    const end = scalarEnd(chunk, from);
    if (end < chunk.length) this.endScalar(chunk, end);
    return end;
  }

  /** Reads on in an element from `from`; at its end, hands it out. */
  private continueElement(marks: Landmarks, from: number): number {
    const end = this.element.skim(marks, from);
    if (end < 0) return marks.bytes.length;
    this.inside = Inside.Structure;
    this.endValue(marks.bytes, end);
    return end;
  }

  private endScalar(chunk: Buffer, end: number): void {
    this.inside = Inside.Structure;
    const text = joined(this.scalarParts, chunk.subarray(this.scalarStart, end)).toString('latin1');
    // Inside a captured element the caller's JSON.parse checks every token;
    // outside, check here so the structure around the array is valid JSON.
    if (!this.capture || this.capture.depth === this.stack.length) {
      if (!/^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/.test(text))
        this.fail(end, `invalid value '${text.slice(0, 20)}'`);
    }
    this.endValue(chunk, end);
  }

  private childFrame(kind: 'object' | 'array'): Frame {
    const level = this.stack.length;
    const parent = this.stack[level - 1];
    let onPath: boolean;
    if (!parent) onPath = kind === 'object';
    else
      onPath =
        parent.kind === 'object' &&
        parent.onPath &&
        level - 1 < this.path.length &&
        parent.key === this.path[level - 1];
    return { kind, expect: kind === 'object' ? Expect.KeyOrEnd : Expect.ValueOrEnd, key: null, onPath };
  }

  /** The frame at this depth is the array the caller asked for. */
  private isTarget(depth: number): boolean {
    const frame = this.stack[depth];
    return frame !== undefined && frame.kind === 'array' && frame.onPath && depth === this.path.length;
  }

  private beginValue(chunk: Buffer, at: number): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (this.rootStarted) this.fail(at, 'unexpected value');
      this.rootStarted = true;
      if (chunk[at] !== Byte.OpenBrace) this.fail(at, 'the document must be a JSON object');
      return;
    }
    if (
      top.kind === 'object'
        ? top.expect !== Expect.Value
        : top.expect !== Expect.Value && top.expect !== Expect.ValueOrEnd
    ) {
      this.fail(at, 'unexpected value');
    }
    if (this.capture) return;
    const depth = this.stack.length;
    if (this.isTarget(depth - 1)) {
      this.capture = { parts: [], start: at, depth, key: null };
    } else if (top.kind === 'object' && top.onPath && depth === this.path.length && top.key !== null) {
      if (top.key === this.path[depth - 1]) {
        // the path's key holds something other than an array
        if (chunk[at] !== Byte.OpenBracket) this.fail(at, `"${top.key}" must be an array`);
      } else {
        this.capture = { parts: [], start: at, depth, key: top.key };
      }
    }
  }

  private endValue(chunk: Buffer, end: number): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.rootDone = true;
      return;
    }
    top.expect = Expect.CommaOrEnd;
    const cap = this.capture;
    if (cap && cap.depth === this.stack.length) {
      const bytes = joined(cap.parts, chunk.subarray(cap.start, end));
      this.capture = null;
      if (cap.key === null) this.out.push(bytes);
      else this.siblings.set(cap.key, bytes.toString('utf8'));
    }
  }

  private fail(at: number, problem: string): never {
    throw new JsonSplitError(`${problem} at byte ${this.offset + at + 1}`);
  }
}

const EMPTY = Buffer.alloc(0);

/** Earlier parts and the last one as one buffer; no copy when there is only the last. */
function joined(parts: Buffer[], last: Buffer): Buffer {
  return parts.length === 0 ? last : Buffer.concat([...parts, last]);
}
