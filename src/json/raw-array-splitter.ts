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
 * caller's JSON.parse checks its content: the scanner jumps from one
 * structural character to the next with native indexOf instead of looking at
 * every character, so the long number runs of vectors cost next to nothing.
 */

const enum Expect {
  Value,
  ValueOrEnd,
  Key,
  KeyOrEnd,
  Colon,
  CommaOrEnd,
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

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class RawArraySplitter {
  /** Raw text of each value beside the array in its parent object, by key (UTF-8 decoded). */
  readonly siblings = new Map<string, string>();
  /** Whether the array was found at the path. */
  found = false;

  private readonly stack: Frame[] = [];
  private capture: Capture | null = null;
  private inString = false;
  private escaped = false;
  private stringIsKey = false;
  private keyParts: Buffer[] = [];
  private keyStart = 0;
  private inScalar = false;
  private scalarParts: Buffer[] = [];
  private scalarStart = 0;
  private rootDone = false;
  private rootStarted = false;
  private offset = 0;
  /** Elements completed during the current push. */
  private out: Buffer[] = [];
  /** Nesting depth inside the element being skimmed (0: not skimming). */
  private elementDepth = 0;

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
    let i = 0;
    const next = new NextPositions(chunk);
    while (i < n) {
      if (this.elementDepth > 0) {
        i = this.skimElement(chunk, i, next);
        continue;
      }
      if (this.inString) {
        i = this.scanString(chunk, i);
        continue;
      }
      const c = chunk[i]!;
      if (this.inScalar) {
        if (WS.has(c) || c === 0x2c || c === 0x7d || c === 0x5d || c === 0x3a) {
          this.endScalar(chunk, i);
          continue; // the terminator is handled as structure below
        }
        i++;
        continue;
      }
      if (WS.has(c)) {
        i++;
        continue;
      }
      if (this.rootDone) this.fail(i, 'unexpected text after the end of the document');
      switch (c) {
        case 0x7b: // {
        case 0x5b: // [
          this.beginValue(chunk, i);
          if (
            this.capture &&
            this.capture.key === null &&
            this.capture.depth === this.stack.length &&
            this.capture.start === i
          ) {
            // an element of the target array: find its end quickly
            this.elementDepth = 1;
            i++;
            continue;
          }
          this.stack.push(this.childFrame(c === 0x7b ? 'object' : 'array'));
          if (c === 0x5b && this.isTarget(this.stack.length - 1)) this.found = true;
          break;
        case 0x7d: // }
        case 0x5d: {
          // ]
          const top = this.stack[this.stack.length - 1];
          const kind = c === 0x7d ? 'object' : 'array';
          if (!top || top.kind !== kind) this.fail(i, `unexpected '${String.fromCharCode(c)}'`);
          const okEnd =
            kind === 'object'
              ? top.expect === Expect.KeyOrEnd || top.expect === Expect.CommaOrEnd
              : top.expect === Expect.ValueOrEnd || top.expect === Expect.CommaOrEnd;
          if (!okEnd) this.fail(i, `unexpected '${String.fromCharCode(c)}'`);
          this.stack.pop();
          this.endValue(chunk, i + 1);
          break;
        }
        case 0x3a: {
          // :
          const top = this.stack[this.stack.length - 1];
          if (!top || top.expect !== Expect.Colon) this.fail(i, "unexpected ':'");
          top.expect = Expect.Value;
          break;
        }
        case 0x2c: {
          // ,
          const top = this.stack[this.stack.length - 1];
          if (!top || top.expect !== Expect.CommaOrEnd) this.fail(i, "unexpected ','");
          top.expect = top.kind === 'object' ? Expect.Key : Expect.Value;
          break;
        }
        case QUOTE: {
          const top = this.stack[this.stack.length - 1];
          if (top && top.kind === 'object' && (top.expect === Expect.Key || top.expect === Expect.KeyOrEnd)) {
            this.stringIsKey = true;
            this.keyParts = [];
            this.keyStart = i;
          } else {
            this.beginValue(chunk, i);
            this.stringIsKey = false;
          }
          this.inString = true;
          this.escaped = false;
          i++;
          continue;
        }
        default:
          // a number, true, false or null
          this.beginValue(chunk, i);
          this.inScalar = true;
          this.scalarParts = [];
          this.scalarStart = i;
      }
      i++;
    }
    // carry unfinished tokens into the next chunk
    if (this.capture) {
      this.capture.parts.push(chunk.subarray(this.capture.start));
      this.capture.start = 0;
    }
    if (this.inString && this.stringIsKey && this.elementDepth === 0) {
      this.keyParts.push(chunk.subarray(this.keyStart));
      this.keyStart = 0;
    }
    if (this.inScalar) {
      this.scalarParts.push(chunk.subarray(this.scalarStart));
      this.scalarStart = 0;
    }
    this.offset += n;
    return out;
  }

  /** Declares the end of input; throws if the document is incomplete. */
  end(): void {
    if (this.inScalar) this.endScalar(EMPTY, 0);
    if (this.inString || !this.rootDone) throw new JsonSplitError('the JSON document is truncated');
  }

  /**
   * Moves through an element from `from` to the next structural character
   * outside strings; ends the element when its outermost bracket closes.
   * Returns where to go on.
   */
  private skimElement(chunk: Buffer, from: number, next: NextPositions): number {
    const n = chunk.length;
    let i = from;
    if (this.inString) {
      if (this.escaped) {
        this.escaped = false;
        i++;
      }
      const quote = next.quote(i);
      if (quote === n) {
        this.escaped = oddBackslashesBefore(chunk, n, i);
        return n;
      }
      // an odd run of backslashes before the quote escapes it
      if (oddBackslashesBefore(chunk, quote, i)) return quote + 1;
      this.inString = false;
      return quote + 1;
    }
    const at = next.structural(i);
    if (at === n) return n;
    const c = chunk[at]!;
    if (c === QUOTE) {
      this.inString = true;
      this.escaped = false;
    } else if (c === 0x7b || c === 0x5b) {
      this.elementDepth++;
    } else if (--this.elementDepth === 0) {
      this.endValue(chunk, at + 1);
    }
    return at + 1;
  }

  private scanString(chunk: Buffer, from: number): number {
    const n = chunk.length;
    let i = from;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    while (i < n) {
      const c = chunk[i]!;
      if (c === BACKSLASH) {
        if (i + 1 >= n) {
          this.escaped = true;
          return n;
        }
        i += 2;
        continue;
      }
      if (c === QUOTE) {
        this.inString = false;
        if (this.stringIsKey) {
          const raw = joined(this.keyParts, chunk.subarray(this.keyStart, i + 1));
          const top = this.stack[this.stack.length - 1]!;
          top.key = JSON.parse(raw.toString('utf8')) as string;
          top.expect = Expect.Colon;
        } else {
          this.endValue(chunk, i + 1);
        }
        return i + 1;
      }
      if (c < 0x20) this.fail(i, 'control character in a string');
      i++;
    }
    return n;
  }

  private endScalar(chunk: Buffer, end: number): void {
    this.inScalar = false;
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
      if (chunk[at] !== 0x7b) this.fail(at, 'the document must be a JSON object');
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
        if (chunk[at] !== 0x5b) this.fail(at, `"${top.key}" must be an array`);
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

/** Whether the backslashes just before `end` (not before `from`) are an odd run: the byte at `end` is escaped. */
export function oddBackslashesBefore(chunk: Buffer, end: number, from: number): boolean {
  let k = end - 1;
  while (k >= from && chunk[k] === BACKSLASH) k--;
  return (end - 1 - k) % 2 === 1;
}

const STRUCTURAL = [QUOTE, 0x7b, 0x7d, 0x5b, 0x5d] as const;
const QUOTE_SLOT = 0;

/**
 * The next position of each structural character in one chunk, found with
 * indexOf and kept until passed: every character is looked at by native
 * code a few times at most, never by a JavaScript loop.
 */
class NextPositions {
  private readonly at = new Int32Array(STRUCTURAL.length).fill(-1);

  constructor(private readonly chunk: Buffer) {}

  private find(slot: number, from: number): number {
    const known = this.at[slot]!;
    if (known >= from) return known;
    const found = this.chunk.indexOf(STRUCTURAL[slot]!, from);
    const position = found < 0 ? this.chunk.length : found;
    this.at[slot] = position;
    return position;
  }

  /** Position of the next quote at or after `from`, or the chunk's length. */
  quote(from: number): number {
    return this.find(QUOTE_SLOT, from);
  }

  /** Position of the next quote, brace or bracket at or after `from`, or the chunk's length. */
  structural(from: number): number {
    let best = this.chunk.length;
    for (let slot = 0; slot < STRUCTURAL.length; slot++) {
      const position = this.find(slot, from);
      if (position < best) best = position;
    }
    return best;
  }
}
