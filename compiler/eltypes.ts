// Element types: every fact about a tensor element type, one record per type (as JAX's dtypes.py).
// The compiler (promotion, HLO primitive types, floatmax/eps), the build (npy files, manifest
// values, random inputs) and the local target (the runtime's PrimitiveType names and byte sizes)
// all read these records; nothing else keeps a table keyed by element type.

import type { ElementType, Platform } from "../plugins/api.js";
export type { ElementType, Platform };

/** XLA's PrimitiveType of an array element, by its lower-case HLO-text name. */
export type PrimitiveType = "pred" | "s8" | "s16" | "s32" | "s64" | "u8" | "u16" | "u32" | "u64" | "f16" | "bf16" | "f32" | "f64";

/**
 * What a platform does with an element type: "native" arithmetic; "emulated" (correct but built
 * from narrower operations, e.g. Int64 on TPU); "storage" (arrays can be held and moved, but there
 * is no arithmetic, e.g. Float64 on TPU). This is the capability table: the compiler refuses an
 * instruction that computes with a "storage" type of the target's platform (compiler/capability.ts),
 * and lets "emulated" ones through (correct, only slower; Int64 is Julia's default integer).
 */
export type Support = "native" | "emulated" | "storage";

export type ElementKind = "float" | "signed" | "unsigned" | "bool";

export interface ElementTypeInfo {
  /** Julia's name, as in the manifest and in source. */
  julia: ElementType;
  kind: ElementKind;
  /** The HLO text / IR name (f32, s64, pred). */
  primitive: PrimitiveType;
  /** The runtime proto's PrimitiveType enum name (F32, S64, PRED). */
  xlaName: string;
  /** xla::PrimitiveType's number (HloModuleProto shapes carry it). */
  xlaNumber: number;
  /** The little-endian .npy descriptor we write. */
  npy: string;
  /** Storage width. Bool is one byte (as in XLA's pred and NumPy's bool). */
  bytes: number;
  /** Significand bits including the implicit one (Float32: 24); floats only. */
  significandBits?: number;
  /** floatmax(T): the largest finite value; floats only. */
  floatmax?: number;
  /** eps(T): the distance from 1 to the next representable value; floats only. */
  eps?: number;
  /** typemin/typemax for integers and Bool (Int64/UInt64 bounds are exact only as bigint). */
  range?: [bigint, bigint];
  platforms: Record<Platform, Support>;
}

const EVERYWHERE: Record<Platform, Support> = { cpu: "native", cuda: "native", rocm: "native", tpu: "native" };
const TPU_EMULATED: Record<Platform, Support> = { ...EVERYWHERE, tpu: "emulated" };
const TPU_STORAGE: Record<Platform, Support> = { ...EVERYWHERE, tpu: "storage" };

function float(julia: ElementType, primitive: PrimitiveType, xlaNumber: number, npy: string, bytes: number, significandBits: number, floatmax: number, platforms = EVERYWHERE): ElementTypeInfo {
  return { julia, kind: "float", primitive, xlaName: primitive.toUpperCase(), xlaNumber, npy, bytes, significandBits, floatmax, eps: 2 ** (1 - significandBits), platforms };
}

function integer(julia: ElementType, primitive: PrimitiveType, xlaNumber: number, npy: string, bytes: number, platforms = EVERYWHERE): ElementTypeInfo {
  const bits = BigInt(bytes * 8);
  const signed = primitive.startsWith("s");
  const range: [bigint, bigint] = signed ? [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n] : [0n, 2n ** bits - 1n];
  return { julia, kind: signed ? "signed" : "unsigned", primitive, xlaName: primitive.toUpperCase(), xlaNumber, npy, bytes, range, platforms };
}

/** Every element type, in the order of Julia's numeric tower as we list it. */
export const ELTYPES: Readonly<Record<ElementType, ElementTypeInfo>> = {
  Float16: float("Float16", "f16", 10, "<f2", 2, 11, 65504),
  // NumPy has no bfloat16: np.save of an ml_dtypes.bfloat16 array writes two raw bytes ('<V2').
  BFloat16: float("BFloat16", "bf16", 16, "<V2", 2, 8, 3.3895313892515355e38),
  Float32: float("Float32", "f32", 11, "<f4", 4, 24, 3.4028234663852886e38),
  Float64: float("Float64", "f64", 12, "<f8", 8, 53, Number.MAX_VALUE, TPU_STORAGE),
  Int8: integer("Int8", "s8", 2, "|i1", 1),
  Int16: integer("Int16", "s16", 3, "<i2", 2),
  Int32: integer("Int32", "s32", 4, "<i4", 4),
  Int64: integer("Int64", "s64", 5, "<i8", 8, TPU_EMULATED),
  UInt8: integer("UInt8", "u8", 6, "|u1", 1),
  UInt16: integer("UInt16", "u16", 7, "<u2", 2),
  UInt32: integer("UInt32", "u32", 8, "<u4", 4),
  UInt64: integer("UInt64", "u64", 9, "<u8", 8, TPU_EMULATED),
  Bool: { julia: "Bool", kind: "bool", primitive: "pred", xlaName: "PRED", xlaNumber: 1, npy: "|b1", bytes: 1, range: [0n, 1n], platforms: EVERYWHERE },
};

export const ELEMENT_TYPES = Object.keys(ELTYPES) as ElementType[];

const BY_PRIMITIVE = new Map<PrimitiveType, ElementTypeInfo>(Object.values(ELTYPES).map((e) => [e.primitive, e]));

export function eltypeInfo(t: ElementType): ElementTypeInfo {
  return ELTYPES[t];
}

/** The record of an HLO primitive type (every PrimitiveType we emit is some element type's). */
export function primitiveInfo(p: PrimitiveType): ElementTypeInfo {
  const e = BY_PRIMITIVE.get(p);
  if (!e) throw new Error(`internal: no element type for primitive ${p}`);
  return e;
}

export const isFloatEltype = (t: ElementType): boolean => ELTYPES[t]?.kind === "float";

/**
 * Why a JSON scalar cannot be a value of `eltype`, or undefined when it can. Julia's conversion
 * rules: an integer type takes only whole numbers in range (`Int32(1.5)` is an InexactError), Bool
 * takes true/false (or 0/1); floating-point types take any number (rounded to nearest).
 */
export function scalarProblem(eltype: ElementType, value: number | boolean): string | undefined {
  const info = ELTYPES[eltype];
  if (info.kind === "bool") {
    if (typeof value === "boolean" || value === 0 || value === 1) return undefined;
    return `${value} is not a Bool (expected true, false, 0 or 1)`;
  }
  if (typeof value === "boolean") return `${value} is a Bool, not a ${eltype} (write a number)`;
  if (info.kind === "float") return undefined;
  if (!Number.isInteger(value)) return `${value} is not a whole number, so it is not exactly representable as ${eltype}`;
  // JSON numbers are doubles: beyond ±2^53 they are no longer exact integers.
  const lo = Math.max(Number(info.range![0]), -Number.MAX_SAFE_INTEGER), hi = Math.min(Number(info.range![1]), Number.MAX_SAFE_INTEGER);
  if (value < lo || value > hi) {
    if (info.bytes === 8)
      return value < 0 && eltype === "UInt64"
        ? `${value} is negative, outside UInt64`
        : `${value} is beyond ±2^53, where JSON numbers lose precision; give such ${eltype} values in a .npy file`;
    return `${value} is outside ${eltype}'s range ${lo}..${hi}`;
  }
  return undefined;
}
