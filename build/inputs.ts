// Run-time input values: a manifest argument's `value` ({"npy"}, {"random"}, {"fill"}, a number)
// materialized as a host Tensor (column-major bytes, Julia size).
//
// Random numbers are our own and reproducible everywhere:
// - the generator is splitmix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
//   generators", 2014; the reference code is public domain): state += 0x9e3779b97f4a7c15, output =
//   mix(state). Element k of an argument (Julia linear index, column-major, 0-based) uses the k-th
//   output for "uniform", and outputs 2m, 2m+1 feed elements 2m, 2m+1 for "normal";
// - "uniform" is in [0, 1) like Julia's `rand`: the top p bits of an output times 2^-p, where p is the
//   element type's significand width (53 Float64, 24 Float32, 11 Float16, 8 BFloat16), so every value
//   is exact in the element type and 1.0 never occurs;
// - "normal" is N(0, 1) like `randn`: Box–Muller on two 53-bit uniforms, u1 in (0, 1] and u2,
//   giving r·cos(2πu2) and r·sin(2πu2) with r = sqrt(-2 ln u1), computed in Float64 then rounded
//   to the element type (round to nearest, ties to even);
// - the seed is `"seed"` when given (the initial state; the same seed gives the same stream).
//   Otherwise it is the first 8 bytes of SHA-256("<entry name>\0<argument index>"): different
//   arguments differ, and every build of the same manifest draws the same numbers.

import { createHash } from "node:crypto";
import { endianness } from "node:os";
import type { ElementType, Tensor } from "../plugins/api.js";
import type { ResolvedValue } from "./manifest.js";
import { ELTYPES, isFloatEltype as isFloatType, scalarProblem } from "../compiler/eltypes.js";
import { elementCount, ELEMENT_SIZE, formatNpyShape, readNpy } from "./npy.js";

if (endianness() !== "LE") throw new Error("internal error: tpu-build assumes a little-endian host (typed arrays hold tensor bytes)");

export type InputResult = { ok: true; tensor: Tensor } | { ok: false; message: string };

// --- Float16 / BFloat16 ---------------------------------------------------------------------

/**
 * Rounds a double to a binary floating-point format with `p` explicit significand bits and minimum
 * normal exponent `emin`, returning its bit pattern (round to nearest, ties to even; overflow to ±Inf).
 * With q the exponent of one unit in the last place and r the rounded significand, the bits are
 * ((q - qmin) << p) + r for normal and subnormal numbers alike, and a carry into the next binade
 * falls out of the same formula.
 */
function roundToBits(x: number, p: number, emin: number, exponentBits: number): number {
  const signBit = 1 << (p + exponentBits);
  const inf = ((1 << exponentBits) - 1) << p;
  if (Number.isNaN(x)) return inf | (1 << (p - 1)); // quiet NaN
  const sign = x < 0 || Object.is(x, -0) ? signBit : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | inf;
  if (a === 0) return sign;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const qmin = emin - p;
  const q = Math.max(e, emin) - p;
  const m = a * 2 ** -q; // exact: scaling by a power of two, m < 2^(p+1)
  let r = Math.floor(m);
  const frac = m - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  const bits = (q - qmin) * 2 ** p + r;
  return sign | (bits >= inf ? inf : bits);
}

function bitsToValue(bits: number, p: number, emin: number, exponentBits: number): number {
  const sign = bits & (1 << (p + exponentBits)) ? -1 : 1;
  const E = (bits >>> p) & ((1 << exponentBits) - 1);
  const mant = bits & ((1 << p) - 1);
  if (E === (1 << exponentBits) - 1) return mant ? NaN : sign * Infinity;
  if (E === 0) return sign * mant * 2 ** (emin - p);
  return sign * (2 ** p + mant) * 2 ** (E - 1 + emin - p);
}

/** IEEE binary16 bits of a double, rounded to nearest even. */
export const float16Bits = (x: number): number => roundToBits(x, 10, -14, 5);
export const float16Value = (bits: number): number => bitsToValue(bits, 10, -14, 5);
/** bfloat16 bits (Float32's exponent, 7 significand bits) of a double, rounded to nearest even. */
export const bfloat16Bits = (x: number): number => roundToBits(x, 7, -126, 8);
export const bfloat16Value = (bits: number): number => bitsToValue(bits, 7, -126, 8);

// --- tensors from numbers -------------------------------------------------------------------

/** A tensor whose elements (column-major order) are `values`, converted to `eltype`. */
export function tensorFromValues(eltype: ElementType, size: number[], values: ArrayLike<number | boolean | bigint>): Tensor {
  const n = elementCount(size);
  if (values.length !== n) throw new Error(`internal error: ${values.length} values for size (${size.join(", ")})`);
  const data = new Uint8Array(n * ELEMENT_SIZE[eltype]);
  const buf = data.buffer;
  const num = (v: number | boolean | bigint) => Number(v);
  const big = (v: number | boolean | bigint) => (typeof v === "bigint" ? v : BigInt(Number(v)));
  switch (eltype) {
    case "Float16": { const a = new Uint16Array(buf); for (let k = 0; k < n; k++) a[k] = float16Bits(num(values[k]!)); break; }
    case "BFloat16": { const a = new Uint16Array(buf); for (let k = 0; k < n; k++) a[k] = bfloat16Bits(num(values[k]!)); break; }
    case "Float32": { const a = new Float32Array(buf); for (let k = 0; k < n; k++) a[k] = num(values[k]!); break; }
    case "Float64": { const a = new Float64Array(buf); for (let k = 0; k < n; k++) a[k] = num(values[k]!); break; }
    case "Int8": { const a = new Int8Array(buf); for (let k = 0; k < n; k++) a[k] = num(values[k]!); break; }
    case "Int16": { const a = new Int16Array(buf); for (let k = 0; k < n; k++) a[k] = num(values[k]!); break; }
    case "Int32": { const a = new Int32Array(buf); for (let k = 0; k < n; k++) a[k] = num(values[k]!); break; }
    case "Int64": { const a = new BigInt64Array(buf); for (let k = 0; k < n; k++) a[k] = big(values[k]!); break; }
    case "UInt8": { const a = new Uint8Array(buf); for (let k = 0; k < n; k++) a[k] = num(values[k]!); break; }
    case "UInt16": { const a = new Uint16Array(buf); for (let k = 0; k < n; k++) a[k] = num(values[k]!); break; }
    case "UInt32": { const a = new Uint32Array(buf); for (let k = 0; k < n; k++) a[k] = num(values[k]!); break; }
    case "UInt64": { const a = new BigUint64Array(buf); for (let k = 0; k < n; k++) a[k] = big(values[k]!); break; }
    case "Bool": { for (let k = 0; k < n; k++) data[k] = num(values[k]!) ? 1 : 0; break; }
  }
  return { eltype, size, data };
}

/** The elements of a tensor in column-major order, as numbers (Int64/UInt64 as bigint, Bool as boolean). */
export function tensorValues(t: Tensor): (number | bigint | boolean)[] {
  const n = elementCount(t.size);
  const bytes = t.data.byteOffset % 8 === 0 ? t.data : t.data.slice();
  const buf = bytes.buffer;
  const o = bytes.byteOffset;
  switch (t.eltype) {
    case "Float16": return Array.from(new Uint16Array(buf, o, n), float16Value);
    case "BFloat16": return Array.from(new Uint16Array(buf, o, n), bfloat16Value);
    case "Float32": return Array.from(new Float32Array(buf, o, n));
    case "Float64": return Array.from(new Float64Array(buf, o, n));
    case "Int8": return Array.from(new Int8Array(buf, o, n));
    case "Int16": return Array.from(new Int16Array(buf, o, n));
    case "Int32": return Array.from(new Int32Array(buf, o, n));
    case "Int64": return Array.from(new BigInt64Array(buf, o, n));
    case "UInt8": return Array.from(new Uint8Array(buf, o, n));
    case "UInt16": return Array.from(new Uint16Array(buf, o, n));
    case "UInt32": return Array.from(new Uint32Array(buf, o, n));
    case "UInt64": return Array.from(new BigUint64Array(buf, o, n));
    case "Bool": return Array.from(bytes.subarray(0, n), (b) => b !== 0);
  }
}

/**
 * A host tensor as the device holds it: a Float64 argument of an entry compiled with
 * `"float64": "float32"` is rounded to Float32 (to nearest) before it is uploaded.
 */
export function demotedTensor(t: Tensor, eltype: ElementType): Tensor {
  if (!isFloatType(t.eltype) || !isFloatType(eltype)) throw new Error(`internal error: a ${t.eltype} value cannot be converted to ${eltype} at the module boundary`);
  return tensorFromValues(eltype, t.size, tensorValues(t));
}

/** `fill(value, size...)` of `eltype`. */
export function fillTensor(eltype: ElementType, size: number[], value: number | boolean): Tensor {
  const one = tensorFromValues(eltype, [], [value]);
  const n = elementCount(size);
  const w = ELEMENT_SIZE[eltype];
  const data = new Uint8Array(n * w);
  for (let k = 0; k < n; k++) data.set(one.data, k * w);
  return { eltype, size, data };
}

// --- splitmix64 -----------------------------------------------------------------------------

/** (hi, lo) 32-bit halves of a 64-bit unsigned integer. */
type U64 = [number, number];

/** a * b mod 2^64 on 32-bit halves (16-bit limbs keep every partial product exact in a double). */
function mul64(ah: number, al: number, bh: number, bl: number): U64 {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const lo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + Math.floor(mid / 0x10000);
  const hi = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
  return [hi, lo];
}

/** A splitmix64 stream; `next()` returns the next 64-bit output as (hi, lo). */
export class SplitMix64 {
  private hi: number;
  private lo: number;
  constructor(seed: U64) {
    [this.hi, this.lo] = [seed[0] >>> 0, seed[1] >>> 0];
  }
  next(): U64 {
    // state += 0x9e3779b97f4a7c15
    const lo = this.lo + 0x7f4a7c15;
    this.lo = lo >>> 0;
    this.hi = (this.hi + 0x9e3779b9 + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    let h = this.hi, l = this.lo;
    // z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
    l = (l ^ ((l >>> 30) | (h << 2))) >>> 0;
    h = (h ^ (h >>> 30)) >>> 0;
    [h, l] = mul64(h, l, 0xbf58476d, 0x1ce4e5b9);
    // z = (z ^ (z >> 27)) * 0x94d049bb133111eb
    l = (l ^ ((l >>> 27) | (h << 5))) >>> 0;
    h = (h ^ (h >>> 27)) >>> 0;
    [h, l] = mul64(h, l, 0x94d049bb, 0x133111eb);
    // z ^ (z >> 31)
    l = (l ^ ((l >>> 31) | (h << 1))) >>> 0;
    h = (h ^ (h >>> 31)) >>> 0;
    return [h, l];
  }
  /** The top `p` bits of the next output times 2^-p: a uniform value in [0, 1) exact in p bits. */
  uniform(p = 53): number {
    const [h, l] = this.next();
    const top53 = h * 2 ** 21 + (l >>> 11);
    return Math.floor(top53 / 2 ** (53 - p)) * 2 ** -p;
  }
}

/** The generator's initial state: the explicit seed, or SHA-256("<entry>\0<index>")'s first 8 bytes. */
export function randomSeed(seed: number | undefined, entry: string, index: number): U64 {
  if (seed !== undefined) return [Math.floor(seed / 2 ** 32) >>> 0, seed >>> 0];
  const digest = createHash("sha256").update(`${entry}\0${index}`).digest();
  return [digest.readUInt32BE(0), digest.readUInt32BE(4)];
}

/** Random numbers of a floating-point type (see the top of this file for the exact definition). */
export function randomTensor(eltype: ElementType, size: number[], distribution: "normal" | "uniform", seed: U64): Tensor {
  const p = ELTYPES[eltype].significandBits;
  if (p === undefined) throw new Error(`internal error: random values of ${eltype} (the manifest allows floating-point types only)`);
  const n = elementCount(size);
  const rng = new SplitMix64(seed);
  const values = new Float64Array(n);
  if (distribution === "uniform") {
    for (let k = 0; k < n; k++) values[k] = rng.uniform(p);
  } else {
    for (let k = 0; k < n; k += 2) {
      const u1 = 1 - rng.uniform(53);
      const u2 = rng.uniform(53);
      const r = Math.sqrt(-2 * Math.log(u1));
      values[k] = r * Math.cos(2 * Math.PI * u2);
      if (k + 1 < n) values[k + 1] = r * Math.sin(2 * Math.PI * u2);
    }
  }
  return tensorFromValues(eltype, size, values);
}

// --- manifest values ------------------------------------------------------------------------

export interface ValueTarget {
  eltype: ElementType;
  /** Julia size; [] for a scalar or a 0-d array. */
  size: number[];
  /** Entry name and argument index: they derive the default random seed. */
  entry: string;
  index: number;
}

/**
 * Materializes one manifest value for an argument. A .npy file is checked again against the
 * declaration (it may have changed since the manifest was loaded).
 */
export async function materializeValue(value: ResolvedValue, target: ValueTarget): Promise<InputResult> {
  const { eltype, size } = target;
  switch (value.kind) {
    case "scalar":
    case "fill": {
      const problem = scalarProblem(eltype, value.value);
      if (problem) return { ok: false, message: problem };
      if (value.kind === "scalar" && size.length > 0) return { ok: false, message: `a number is the value of a scalar; an array of size (${size.join(", ")}) needs {"fill": ${value.value}}` };
      return { ok: true, tensor: fillTensor(eltype, size, value.value) };
    }
    case "random": {
      if (!isFloatType(eltype)) return { ok: false, message: `random values need a floating-point element type, not ${eltype}` };
      return { ok: true, tensor: randomTensor(eltype, size, value.distribution, randomSeed(value.seed, target.entry, target.index)) };
    }
    case "npy": {
      let read;
      try {
        read = await readNpy(value.path, eltype, "the file");
      } catch (e) {
        return { ok: false, message: `cannot read ${value.relative}: ${(e as Error).message}` };
      }
      if (!read.ok) return { ok: false, message: `${value.relative}: ${read.message}` };
      const t = read.value;
      if (t.eltype !== eltype) return { ok: false, message: `${value.relative} holds ${t.eltype} values, but the argument is declared ${eltype}` };
      if (t.size.length !== size.length || t.size.some((d, k) => d !== size[k]))
        return { ok: false, message: `${value.relative} has shape ${formatNpyShape(t.size)}, but the argument is declared with size [${size.join(", ")}]` };
      return { ok: true, tensor: t };
    }
  }
}
