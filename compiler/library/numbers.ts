// Arithmetic on known numbers with Julia's semantics: the result type by promotion, and the
// value rounded to that type (Float32 via fround, Float16/BFloat16 by round-to-nearest-even,
// fixed-width integers wrapping as Julia's do).

import type { ElementType } from "../../plugins/api.js";
import type { NumType } from "../semantics/types.js";
import { concrete, isFloat, isInteger } from "../semantics/types.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds a double to the nearest BFloat16 (ties to even), returned as a double. */
function roundBFloat16(x: number): number {
  if (!Number.isFinite(x)) return x;
  f32[0] = x;
  const bits = u32[0]!;
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
  u32[0] = rounded >>> 0;
  return f32[0]!;
}

/** Rounds a double to the nearest IEEE half (ties to even), returned as a double. */
function roundFloat16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return Math.sign(x) * Infinity;
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  const ulp = 2 ** (e - 10);
  let q = a / ulp;
  const fl = Math.floor(q);
  const diff = q - fl;
  q = diff > 0.5 || (diff === 0.5 && fl % 2 === 1) ? fl + 1 : fl;
  return Math.sign(x) * q * ulp;
}

/** A value converted to type `t` as Julia's arithmetic would leave it (wrapping integers, rounding floats). */
export function roundTo(t: NumType, x: number | boolean): number | boolean {
  if (t === "Bool") return typeof x === "boolean" ? x : x !== 0;
  const v = typeof x === "boolean" ? (x ? 1 : 0) : x;
  switch (t) {
    case "Float64":
    case "Irrational":
      return v;
    case "Float32":
      return Math.fround(v);
    case "Float16":
      return roundFloat16(v);
    case "BFloat16":
      return roundBFloat16(v);
    case "Int64":
      return v;
    case "UInt64":
      return v < 0 ? Number(BigInt.asUintN(64, BigInt(v))) : v;
    default: {
      const bits = Number(/\d+/.exec(t)![0]);
      return Number(t.startsWith("U") ? BigInt.asUintN(bits, BigInt(Math.trunc(v))) : BigInt.asIntN(bits, BigInt(Math.trunc(v))));
    }
  }
}

export const toNumber = (x: number | boolean): number => (typeof x === "boolean" ? (x ? 1 : 0) : x);

/** `T(x)` for a known number: exact conversion or Julia's InexactError. */
export function convertExact(t: ElementType, x: number | boolean): number | boolean | undefined {
  const v = toNumber(x);
  if (t === "Bool") return v === 0 ? false : v === 1 ? true : undefined;
  if (isFloat(t)) return roundTo(t, v);
  if (!Number.isInteger(v)) return undefined;
  const r = roundTo(t, v);
  return r === v ? r : undefined;
}

export function isIntegral(t: NumType): boolean {
  return isInteger(concrete(t));
}
