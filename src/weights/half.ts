/**
 * 16-bit weights. Every 16-bit weight is kept as IEEE half-precision (float16) bit patterns with
 * a power-of-two scale per tensor: value = half(bits) x scale. float16 is the one 16-bit float
 * type onnxruntime's JavaScript APIs accept (there is no bfloat16 tensor type), and a
 * power-of-two scale is exact in float32, so the graphs decode a weight with Cast and one Mul.
 *
 * - float16 checkpoints are kept bit for bit (scale 1);
 * - bfloat16 values have 8 significant bits, float16 has 11: each bfloat16 tensor is scaled into
 *   float16's exponent range and converted exactly, or, when its values span more binades than
 *   float16 holds, kept as float32 (`bf16ToHalf` returns null);
 * - float32 tensors are rounded to float16 (to nearest, ties to even) only when the user asks
 *   for it, scaled so their largest value uses the top of float16's range.
 */

/** Headroom left above a scaled tensor's largest value (2^3): value-vector edits add to it. */
const HEADROOM = 3;
/** The largest float16 exponent (65504 = 1.999 x 2^15). */
const MAX_EXP = 15;
/** The exponent of float16's least subnormal, 2^-24. */
const MIN_BIT = -24;

/** A tensor held at 16 bits: value i is half(bits[i]) x scale, with scale a power of two. */
export interface Half {
  bits: Uint16Array;
  scale: number;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Exact float16 -> float32 bits: subnormals are normalised, inf and NaN payloads kept. */
export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return sign | 0x7f800000 | (mant << 13);
  if (exp !== 0) return sign | ((exp + 112) << 23) | (mant << 13);
  if (mant === 0) return sign;
  let e = 113;
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return sign | (e << 23) | ((m & 0x3ff) << 13);
}

let HALF_TABLE: Uint32Array | undefined;

/** float32 bit patterns of all 65536 float16 values (256 KiB, built on first use). */
export function halfTable(): Uint32Array {
  if (!HALF_TABLE) {
    HALF_TABLE = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) HALF_TABLE[h] = halfToFloatBits(h);
  }
  return HALF_TABLE;
}

/** float32 -> float16 bits, rounding to nearest even like numpy and PyTorch. */
export function floatToHalfBits(value: number): number {
  F32[0] = value;
  const x = U32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | (mant ? 0x7e00 : 0x7c00);
  const e = exp - 112; // float16 biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    return sign | roundShift(mant | 0x800000, 14 - e);
  }
  // Rounding may carry into the exponent, up to infinity: that is the correct result.
  return sign | roundShift((e << 23) | mant, 13);
}

/** value >> shift, rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const q = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && q & 1) ? q + 1 : q;
}

/** float32 -> bfloat16 bits, rounding to nearest even; NaN stays a (quiet) NaN. */
export function floatToBf16Bits(value: number): number {
  F32[0] = value;
  const x = U32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/** The values of a 16-bit tensor as float32. */
export function decodeHalf(h: Half): Float32Array {
  return decodeHalfInto(h, new Float32Array(h.bits.length));
}

/**
 * decodeHalf into `out` (as long as the tensor), so that a buffer can be reused; returns it.
 * A scaled tensor is decoded in one pass through a table of the scaled values (a power-of-two
 * scale makes each product exact, as the float32 Mul of the graphs does).
 */
export function decodeHalfInto(h: Half, out: Float32Array): Float32Array {
  const { bits, scale } = h;
  if (out.length !== bits.length)
    throw new Error(`decodeHalfInto: ${bits.length} values into ${out.length}`);
  if (scale === 1) {
    const table = halfTable();
    const to = new Uint32Array(out.buffer, out.byteOffset, out.length);
    for (let i = 0; i < bits.length; i++) to[i] = table[bits[i]];
  } else {
    const table = scaledHalfTable(scale);
    for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  }
  return out;
}

/** The last scale's table of scaled float16 values (a model's weights share few scales). */
let SCALED: { scale: number; table: Float32Array } | undefined;

function scaledHalfTable(scale: number): Float32Array {
  if (SCALED?.scale !== scale) {
    const table = new Float32Array(new Uint32Array(halfTable()).buffer);
    for (let h = 0; h < table.length; h++) table[h] *= scale;
    SCALED = { scale, table };
  }
  return SCALED.table;
}

/** 2^k as a number (k may be far outside float32's range only for absurd inputs). */
const pow2 = (k: number) => 2 ** k;

/**
 * bfloat16 bits -> float16 with a power-of-two scale, exactly, or null when no scale makes every
 * value a float16 (the tensor spans more than float16's 40 binades, or holds bfloat16
 * subnormals next to large values).
 */
export function bf16ToHalf(src: Uint16Array): Half | null {
  // The largest exponent, and the lowest set bit of any nonzero finite value.
  let maxExp = -Infinity;
  let minBit = Infinity;
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    const exp = (b >> 7) & 0xff;
    if (exp === 0xff) continue; // inf and NaN convert as they are
    const mant = b & 0x7f;
    if (exp === 0 && mant === 0) continue;
    const e = exp === 0 ? -126 : exp - 127;
    const sig = exp === 0 ? mant : mant | 0x80; // significand, its lowest bit worth 2^(e-7)
    if (e > maxExp) maxExp = e;
    const low = e - 7 + ctz8(sig);
    if (low < minBit) minBit = low;
  }
  if (maxExp === -Infinity) return { bits: convertScaled(src, 0), scale: 1 };
  // value x 2^k must stay below 2^(MAX_EXP+1) and keep its lowest bit at or above 2^MIN_BIT.
  const lowest = MIN_BIT - minBit;
  for (let headroom = HEADROOM; headroom >= 0; headroom--) {
    const k = MAX_EXP - headroom - maxExp;
    if (k >= lowest) return { bits: convertScaled(src, k), scale: pow2(-k) };
  }
  return null;
}

/** Trailing zero bits of a nonzero 8-bit significand. */
function ctz8(x: number): number {
  let n = 0;
  while ((x & 1) === 0) {
    x >>= 1;
    n++;
  }
  return n;
}

/** bfloat16 bits times 2^k, as float16 bits (exact when bf16ToHalf chose k). */
function convertScaled(src: Uint16Array, k: number): Uint16Array {
  const out = new Uint16Array(src.length);
  const f = pow2(k);
  for (let i = 0; i < src.length; i++) {
    U32[0] = src[i] << 16;
    out[i] = floatToHalfBits(F32[0] * f);
  }
  return out;
}

/**
 * float32 values -> float16, rounded to nearest even after scaling the largest finite value into
 * float16's top binades (with HEADROOM to spare). Lossy by nature: only on the user's request.
 */
export function roundToHalf(values: Float32Array): Half {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > max && a !== Infinity) max = a;
  }
  const k = roundingExponent(max);
  return { bits: encodeHalf(values, pow2(-k)), scale: pow2(-k) };
}

/** The exponent k of roundToHalf's scale 2^-k for a tensor whose largest finite |value| is max. */
const roundingExponent = (max: number) =>
  max === 0 ? 0 : MAX_EXP - HEADROOM - Math.floor(Math.log2(max));

/**
 * roundToHalf over a tensor that arrives in pieces, holding only its 16-bit result: each piece
 * is rounded at the scale of the largest value seen so far, and when a later piece raises that
 * scale, what was rounded is divided by the power of two between the scales. That division is
 * exact for normal float16 values; a value it makes subnormal is rounded a second time, which
 * can differ from one rounding of the float32 value by one float16 subnormal step
 * (2^-24 x scale, under 2^-36 of the tensor's largest value). A tensor whose largest value
 * comes in the first piece is rounded exactly as roundToHalf rounds it.
 */
export class StreamingHalfRounder {
  readonly bits: Uint16Array;
  private filled = 0;
  private max = 0;
  private k = 0;

  constructor(length: number) {
    this.bits = new Uint16Array(length);
  }

  /** Rounds the next values of the tensor. */
  push(values: Float32Array): void {
    let max = this.max;
    for (let i = 0; i < values.length; i++) {
      const a = Math.abs(values[i]);
      if (a > max && a !== Infinity) max = a;
    }
    if (max > this.max) {
      const k = roundingExponent(max);
      // Everything rounded so far is zero, infinite or NaN while max was 0: any scale holds it.
      if (k !== this.k && this.max > 0) this.rescale(pow2(k - this.k));
      this.k = k;
      this.max = max;
    }
    const f = pow2(this.k);
    const bits = this.bits;
    let j = this.filled;
    for (let i = 0; i < values.length; i++) bits[j++] = floatToHalfBits(values[i] * f);
    this.filled = j;
  }

  /** The rounded tensor; every value must have been pushed. */
  finish(): Half {
    if (this.filled !== this.bits.length)
      throw new Error(`StreamingHalfRounder: ${this.filled} of ${this.bits.length} values pushed`);
    return { bits: this.bits, scale: pow2(-this.k) };
  }

  private rescale(f: number): void {
    const table = halfTable();
    const bits = this.bits;
    for (let i = 0; i < this.filled; i++) {
      U32[0] = table[bits[i]];
      bits[i] = floatToHalfBits(F32[0] * f);
    }
  }
}

/** float32 values -> float16 bits of value / scale (scale a power of two), rounded to nearest. */
export function encodeHalf(values: Float32Array, scale: number): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = 1 / scale;
  for (let i = 0; i < values.length; i++) out[i] = floatToHalfBits(values[i] * f);
  return out;
}

/** The largest |value| a 16-bit tensor of this scale holds (float16's 65504 x scale). */
export function halfRange(scale: number): number {
  return 65504 * scale;
}
