// f32 storage and printing as Qdrant does it.
//
// Qdrant stores vector components as f32 and serde_json prints them with ryu: the shortest
// decimal that reads back as the same f32, laid out by ryu's `format32` ("1.0", "0.001234",
// "1e-7", "1.234e30"). shortestDigits finds the shortest digits with a fast f64 search (exact,
// see there) and falls back to the toPrecision(1..9) search where that is not exact.
// F32Text writes the text straight into bytes: a restore stores millions of components, and
// building a string per component, then joining and encoding them, was most of the test
// server's upsert time (measured: about 0.15 ms of 0.55 ms per 768-d point).
// Also holds Qdrant's Cosine pre-processing (L2 normalisation in f32).

/** Exact powers of ten 10^0..10^22 (all exactly representable as f64). */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

const CHAR_MINUS = 0x2d;
const CHAR_DOT = 0x2e;
const CHAR_ZERO = 0x30;
const CHAR_E = 0x65;
/** The longest component text: "-1.2345678e-38". */
const MAX_NUMBER_BYTES = 16;

/** JSON text of f32 values, written as ASCII into one growing buffer; take() hands it out. */
export class F32Text {
  private bytes = Buffer.allocUnsafe(16 * 1024);
  private length = 0;

  /** Appends `[v0,v1,...]`, each the f32 nearest to the value. */
  array(values: ArrayLike<number>): this {
    this.char(0x5b);
    for (let k = 0; k < values.length; k++) {
      if (k > 0) this.char(0x2c);
      this.number(values[k]!);
    }
    return this.char(0x5d);
  }

  char(code: number): this {
    this.reserve(1);
    this.bytes[this.length++] = code;
    return this;
  }

  /** Appends ASCII text as it is. */
  ascii(text: string): this {
    this.reserve(text.length);
    this.length += this.bytes.write(text, this.length, 'latin1');
    return this;
  }

  /** Appends the shortest decimal that reads back as the f32 nearest to `x`, in ryu's layout. */
  number(x: number): this {
    this.reserve(MAX_NUMBER_BYTES);
    const f = Math.fround(x);
    if (f === 0) return this.ascii(Object.is(f, -0) ? '-0.0' : '0.0');
    if (!Number.isFinite(f)) return this.ascii('null'); // serde_json prints non-finite floats as null
    if (f < 0) this.bytes[this.length++] = CHAR_MINUS;
    shortestDigits(Math.abs(f));
    this.layout(resultDigits, resultExponent);
    return this;
  }

  /** Drops what was written since the last take. */
  reset(): void {
    this.length = 0;
  }

  /** The text written since the last take, in a buffer of its own. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    this.bytes.copy(out, 0, 0, this.length);
    this.length = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + n));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  /** ryu's format32 layout of digits * 10^k (digits without trailing zeros). */
  private layout(digits: number, k: number): void {
    const count = digitCount(digits);
    const kk = count + k; // 10^(kk-1) <= value < 10^kk
    if (k >= 0 && kk <= 13) {
      this.digits(digits, count, 0);
      for (let z = 0; z < k; z++) this.bytes[this.length++] = CHAR_ZERO;
      this.bytes[this.length++] = CHAR_DOT;
      this.bytes[this.length++] = CHAR_ZERO;
    } else if (kk > 0 && kk <= 13) {
      this.digits(digits, count, kk);
    } else if (kk > -6 && kk <= 0) {
      this.bytes[this.length++] = CHAR_ZERO;
      this.bytes[this.length++] = CHAR_DOT;
      for (let z = 0; z < -kk; z++) this.bytes[this.length++] = CHAR_ZERO;
      this.digits(digits, count, 0);
    } else {
      this.digits(digits, count, count === 1 ? 0 : 1);
      this.bytes[this.length++] = CHAR_E;
      let exp = kk - 1;
      if (exp < 0) {
        this.bytes[this.length++] = CHAR_MINUS;
        exp = -exp;
      }
      this.digits(exp, digitCount(exp), 0);
    }
  }

  /** Writes the `count` decimal digits of `value`, with a dot after the first `dotAfter` of them (0: none). */
  private digits(value: number, count: number, dotAfter: number): void {
    // value < 10^9 < 2^31: int32 division, not the floating-point remainder V8 calls out for
    let v = value | 0;
    const end = this.length + count + (dotAfter > 0 ? 1 : 0);
    let at = end;
    for (let j = count - 1; j >= 0; j--) {
      if (dotAfter > 0 && j === dotAfter - 1) this.bytes[--at] = CHAR_DOT;
      const q = (v / 10) | 0;
      this.bytes[--at] = CHAR_ZERO + v - q * 10;
      v = q;
    }
    this.length = end;
  }
}

/** Decimal digits of a value below 10^9. */
function digitCount(value: number): number {
  let count = 1;
  for (let limit = 10; limit <= value; limit *= 10) count++;
  return count;
}

const scratch = new F32Text();

/** Shortest decimal text that reads back as the f32 nearest to `x`, in ryu's layout. */
export function formatF32(x: number): string {
  return scratch.number(x).take().toString('latin1');
}

// shortestDigits' answer, value = resultDigits * 10^resultExponent with no trailing zeros in
// resultDigits: module variables rather than an object per component.
let resultDigits = 0;
let resultExponent = 0;

/**
 * Shortest decimal for a positive finite f32 `a`: the fewest digits p (1..9) for which the
 * correctly rounded p-digit decimal D*10^-n reads back (decimal -> f64 -> f32, as Qdrant and
 * Math.fround(Number(s)) do) as `a`. Sets resultDigits and resultExponent.
 *
 * Exactness: D / 10^n (or D * 10^-n) with D < 2^53 and |n| <= 22 is a single correctly rounded
 * f64 operation, so it equals Number(decimalString) and the read-back test is exact. D itself
 * comes from a * 10^n rounded; that is only trusted when the fraction is not within 1e-6 of .5
 * (the f64 product is accurate to ~2e-7 for p <= 9). Otherwise, and outside the exact-power
 * range, the toPrecision reference search is used.
 */
function shortestDigits(a: number): void {
  let e = Math.floor(Math.log10(a)); // 10^e <= a < 10^(e+1), corrected below
  if (e > 20 || e < -13) return referenceDigits(a);
  const s1 = scale(a, -e);
  if (s1 >= 10) e++;
  else if (s1 < 1) e--;
  if (isF32PowerOfTwo(a)) return upwardSearch(a, e);
  // Symmetric rounding interval: if the correctly rounded p-digit decimal reads back, so does
  // the (p+1)-digit one (it is at least as close), so search down from 8 digits (9 always
  // reads back) and stop at the first failure. Most f32 values need 7 or 8 digits.
  let bestDigits = -1;
  let bestN = 0;
  for (let p = 8; p >= 1; p--) {
    const n = p - 1 - e;
    const d = roundedDigits(a, n);
    if (d === undefined) return referenceDigits(a);
    if (!roundTrips(d, n, a)) break;
    bestDigits = d;
    bestN = n;
  }
  if (bestDigits >= 0) return setResult(bestDigits, -bestN);
  const d9 = roundedDigits(a, 8 - e);
  if (d9 === undefined) return referenceDigits(a);
  return setResult(d9, e - 8);
}

/**
 * Powers of two have an asymmetric rounding interval (the gap below is half the gap above):
 * a neighbour of the rounded candidate can read back when the rounded candidate does not, and
 * ryu then prints the neighbour. Search upwards, trying both neighbours.
 */
function upwardSearch(a: number, e: number): void {
  for (let p = 1; p <= 9; p++) {
    const n = p - 1 - e;
    const d = roundedDigits(a, n);
    if (d === undefined) return referenceDigits(a);
    if (roundTrips(d, n, a)) return setResult(d, -n);
    if (roundTrips(d + 1, n, a)) return setResult(d + 1, -n);
    if (d > 1 && roundTrips(d - 1, n, a)) return setResult(d - 1, -n);
  }
  return referenceDigits(a);
}

/** round(a * 10^n), or undefined where that is not certain to be correctly rounded. */
function roundedDigits(a: number, n: number): number | undefined {
  if (n > 22 || n < -22) return undefined;
  const scaled = scale(a, n);
  const floor = Math.floor(scaled);
  const frac = scaled - floor;
  if (Math.abs(frac - 0.5) < 1e-6) return undefined;
  return frac > 0.5 ? floor + 1 : floor;
}

/** a * 10^n with n in [-22, 22] */
function scale(a: number, n: number): number {
  return n >= 0 ? a * POW10[n]! : a / POW10[-n]!;
}

/** Does the decimal d * 10^-n read back as the f32 `a`? */
function roundTrips(d: number, n: number, a: number): boolean {
  return Math.fround(n >= 0 ? d / POW10[n]! : d * POW10[-n]!) === a;
}

const f32View = new Float32Array(1);
const u32View = new Uint32Array(f32View.buffer);

function isF32PowerOfTwo(a: number): boolean {
  f32View[0] = a;
  return (u32View[0]! & 0x7fffff) === 0;
}

/** The answer d * 10^exponent, trailing zeros of d moved into the exponent. */
function setResult(d: number, exponent: number): void {
  let v = d | 0; // below 10^9
  while (v >= 10) {
    const q = (v / 10) | 0;
    if (v !== q * 10) break;
    v = q;
    exponent++;
  }
  resultDigits = v;
  resultExponent = exponent;
}

/** The reference search: toPrecision(p) for p = 1..9, first one that reads back. */
function referenceDigits(a: number): void {
  let s = a.toPrecision(9);
  for (let p = 1; p <= 9; p++) {
    const candidate = a.toPrecision(p);
    if (Math.fround(Number(candidate)) === a) {
      s = candidate;
      break;
    }
  }
  // s is "d.ddd", "ddd.dd", "0.000ddd" or "d.ddde+XX" / "d.ddde-XX"
  const ePos = s.indexOf('e');
  let exp10 = 0;
  let mantissa = s;
  if (ePos >= 0) {
    exp10 = Number(s.slice(ePos + 1));
    mantissa = s.slice(0, ePos);
  }
  const dot = mantissa.indexOf('.');
  let digits = mantissa;
  if (dot >= 0) {
    digits = mantissa.slice(0, dot) + mantissa.slice(dot + 1);
    exp10 -= mantissa.length - dot - 1;
  }
  setResult(Number(digits), exp10);
}

const F32_EPSILON = Math.fround(1.1920929e-7);
const NORMALISED_TOLERANCE = Math.fround(1e-6);

/**
 * Qdrant's Cosine pre-processing, in f32 (`sum: 'scalar'` is the plain `cosine_preprocess`
 * that float16 vectors get: `impl Metric<VectorElementTypeHalf> for CosineMetric` calls it
 * directly, without the SIMD dispatch of the float32 metric): len2 = sum(x^2); unchanged when len2 < f32::EPSILON
 * or |len2 - 1| <= 1e-6, else every component divided by sqrt(len2). `v` holds f32 values and
 * is modified in place.
 *
 * The order of the sum matters: for a normalised 768-d embedding a plain left-to-right f32 sum
 * is off by ~1e-6, right at the threshold, and would re-normalise (change) stored vectors on
 * a restore. Qdrant sums with SIMD, and so does this, modelling Qdrant on an x86_64 host with
 * AVX and FMA (`CosineMetric::preprocess`): dim >= 32 takes `cosine_preprocess_avx`, dim >= 16
 * `cosine_preprocess_sse`, smaller vectors the scalar loop.
 *
 * f64 evaluation followed by Math.fround is exact f32 arithmetic for +, *, / and sqrt of f32
 * operands; the fused multiply-add gets its own correction (fmaF32).
 */
export function cosineNormaliseInPlace(v: number[], sum: 'simd' | 'scalar' = 'simd'): void {
  const len2 =
    sum === 'scalar' || v.length < 16
      ? squaredLengthScalar(v)
      : v.length >= 32
        ? squaredLengthAvx(v)
        : squaredLengthSse(v);
  if (len2 < F32_EPSILON || Math.abs(Math.fround(len2 - 1)) <= NORMALISED_TOLERANCE) return;
  const len = Math.fround(Math.sqrt(len2));
  for (let k = 0; k < v.length; k++) v[k] = Math.fround(v[k]! / len);
}

const add = (a: number, b: number): number => Math.fround(a + b);
const square = (a: number): number => Math.fround(a * a);

/** `iter().map(|x| x * x).sum::<f32>()`: left to right. */
function squaredLengthScalar(v: readonly number[]): number {
  let sum = 0;
  for (const x of v) sum = add(sum, square(x));
  return sum;
}

/**
 * `cosine_preprocess_sse`: four 4-lane accumulators (mul then add, no FMA) over blocks of 16,
 * each reduced by `hsum128_ps_sse` ((x0 + x2) + (x1 + x3)), the four partials added left to
 * right, then the `dim % 16` tail added one by one.
 */
function squaredLengthSse(v: readonly number[]): number {
  const n = v.length;
  const m = n - (n % 16);
  const acc = new Array<number>(16).fill(0);
  for (let i = 0; i < m; i += 16) {
    for (let lane = 0; lane < 16; lane++) acc[lane] = add(square(v[i + lane]!), acc[lane]!);
  }
  const hsum128 = (r: number): number => add(add(acc[r]!, acc[r + 2]!), add(acc[r + 1]!, acc[r + 3]!));
  let length = add(add(add(hsum128(0), hsum128(4)), hsum128(8)), hsum128(12));
  for (let i = m; i < n; i++) length = add(length, square(v[i]!));
  return length;
}

/**
 * `cosine_preprocess_avx`: four 8-lane FMA accumulators over blocks of 32, reduced by
 * `four_way_hsum` (lanewise (a + b) + (c + d), then `hsum256_ps_avx`: high half + low half,
 * `hadd` -> (l0 + l1) + (l2 + l3)), then the `dim % 32` tail added one by one.
 */
function squaredLengthAvx(v: readonly number[]): number {
  const n = v.length;
  const m = n - (n % 32);
  const acc = new Array<number>(32).fill(0);
  for (let i = 0; i < m; i += 32) {
    for (let lane = 0; lane < 32; lane++) {
      const x = v[i + lane]!;
      acc[lane] = fmaF32(x, x, acc[lane]!);
    }
  }
  const total = new Array<number>(8);
  for (let k = 0; k < 8; k++) total[k] = add(add(acc[k]!, acc[8 + k]!), add(acc[16 + k]!, acc[24 + k]!));
  const lr = [0, 1, 2, 3].map((k) => add(total[k + 4]!, total[k]!));
  let length = add(add(lr[0]!, lr[1]!), add(lr[2]!, lr[3]!));
  for (let i = m; i < n; i++) length = add(length, square(v[i]!));
  return length;
}

/**
 * f32 fused multiply-add, round(a * b + c) with one rounding, for f32 operands. a * b is exact
 * in f64; the f64 sum s can only mislead fround when it lands exactly on the midpoint between
 * two f32 values (then g = f + 2(s - f) is the other one), and then the sign of the sum's
 * rounding error (TwoSum) decides.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const f = Math.fround(s);
  if (f === s) return f;
  const g = f + 2 * (s - f);
  if (Math.fround(g) !== g) return f; // not a midpoint: fround(s) is round(a * b + c)
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  if (err === 0) return f; // a true tie: fround's ties-to-even is right
  return err > 0 === g > f ? g : f;
}

/**
 * A float16 component as Qdrant stores it and reads it back: `f16::from_f32` (round to
 * nearest, ties to even; beyond the largest half, infinity) then `f16::to_f32`, which is exact.
 * Takes and returns an f32 value.
 */
export function roundToF16(x: number): number {
  if (Number.isNaN(x) || x === 0 || !Number.isFinite(x)) return x;
  const a = Math.abs(x);
  // the spacing of halves around a: 2^-24 for subnormals, else 2^(exponent - 10)
  const exponent = Math.max(-14, Math.floor(Math.log2(a)));
  let quantum = 2 ** (exponent - 10);
  if (a >= quantum * 2048)
    quantum *= 2; // log2 rounded up near a power of two
  else if (exponent > -14 && a < quantum * 1024) quantum /= 2; // or down
  const scaled = a / quantum; // exact: a has 24 significant bits, quantum is a power of two
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  const units = rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  const rounded = units * quantum;
  const out = rounded > 65504 ? Infinity : rounded;
  return x < 0 ? -out : out;
}

/** A uint8 component as Qdrant stores it: Rust's `x as u8` (truncates, saturates, NaN -> 0). */
export function toUint8(x: number): number {
  if (Number.isNaN(x) || x <= 0) return 0;
  return x >= 255 ? 255 : Math.trunc(x);
}
