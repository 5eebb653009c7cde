// HloModule (ir.ts, plain data) -> HloModuleProto bytes, through protobufjs and our own
// proto/hlo.proto (XLA's field names and numbers): encoding uses the static encoders generated from
// it (generated/hlo-proto.ts), decoding (tests, tools) loads it by reflection when first asked.
// The bytes are a pure function of the module:
// protobufjs writes fields in field-number order and we add no maps, timestamps or random ids, so
// the same module always gives the same bytes (the cache key and early cutoff rely on that).
//
// Everything XLA needs to load a module without a client-side builder is filled in here: every
// instruction's shape carries a layout (row-major, minor_to_major = [rank-1 .. 0]), literal shapes
// too (XLA rejects a literal without a layout), each computation has its program shape, and the
// module has the entry's as host_program_shape (XLA derives the entry layout from it).

import { join } from "node:path";
import { createRequire } from "node:module";
import type protobuf from "protobufjs";
import { findPackageRoot } from "../../package-root.js";
import { xla } from "./generated/hlo-proto.js";
import type { HloComputation, HloInstruction, HloModule, HloSharding, InstructionAttributes, Literal, Shape, SourceMetadata } from "./ir.js";
import { PRIMITIVE_TYPE_NUMBER, elementCount } from "./ir.js";

// ---- loading proto/hlo.proto ----------------------------------------------------------------

let cachedModuleType: protobuf.Type | undefined;

function hloModuleProtoType(): protobuf.Type {
  if (!cachedModuleType) {
    // protobufjs' full build (its .proto parser) loads only here, off the compile path.
    const reflection = createRequire(import.meta.url)("protobufjs") as typeof protobuf;
    const root = reflection.loadSync(join(findPackageRoot(), "proto", "hlo.proto"));
    cachedModuleType = root.lookupType("xla.HloModuleProto");
  }
  return cachedModuleType;
}

// ---- HloModule -> HloModuleProto (as a plain object in protobufjs' camelCase form) --------------

/** Row-major: the last dimension varies fastest. */
export function defaultMinorToMajor(rank: number): number[] {
  const order: number[] = [];
  for (let d = rank - 1; d >= 0; d--) order.push(d);
  return order;
}

function shapeProto(shape: Shape): object {
  switch (shape.kind) {
    case "array":
      return { elementType: PRIMITIVE_TYPE_NUMBER[shape.element], dimensions: shape.dims, layout: { minorToMajor: defaultMinorToMajor(shape.dims.length) } };
    case "tuple":
      return { elementType: PRIMITIVE_TYPE_NUMBER.tuple, tupleShapes: shape.elements.map(shapeProto) };
    case "token":
      return { elementType: PRIMITIVE_TYPE_NUMBER.token };
  }
}

function metadataProto(m: SourceMetadata): object {
  return { opType: m.opType, opName: m.opName, sourceFile: m.sourceFile, sourceLine: m.sourceLine };
}

/** 64-bit integers go to protobufjs as decimal strings, so values beyond 2^53 stay exact. */
function int64Strings(values: Literal["values"]): string[] {
  return (values as (number | bigint | boolean)[]).map((v) => (typeof v === "bigint" ? v.toString() : BigInt(Math.trunc(Number(v))).toString()));
}

function numbers(values: Literal["values"]): number[] {
  return (values as (number | bigint | boolean)[]).map((v) => Number(v));
}

function littleEndianBytes(values: number[], bytesPerElement: number, write: (view: DataView, offset: number, v: number) => void): Uint8Array {
  const out = new Uint8Array(values.length * bytesPerElement);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => write(view, i * bytesPerElement, v));
  return out;
}

function literalProto(literal: Literal): object {
  const n = elementCount(literal.shape);
  if (literal.values.length !== n) {
    throw new Error(`internal: literal of shape ${literal.shape.element}[${literal.shape.dims.join(",")}] has ${literal.values.length} values, expected ${n}`);
  }
  const shape = shapeProto(literal.shape);
  const v = literal.values;
  switch (literal.shape.element) {
    case "pred": return { shape, preds: (v as unknown[]).map((x) => Boolean(x)) };
    case "s8": return { shape, s8s: new Uint8Array(Int8Array.from(numbers(v)).buffer) };
    case "u8": return { shape, u8s: Uint8Array.from(numbers(v)) };
    case "s16": return { shape, s16s: littleEndianBytes(numbers(v), 2, (d, o, x) => d.setInt16(o, x, true)) };
    case "u16": return { shape, u16s: littleEndianBytes(numbers(v), 2, (d, o, x) => d.setUint16(o, x, true)) };
    case "s32": return { shape, s32s: numbers(v) };
    case "u32": return { shape, u32s: numbers(v) };
    case "s64": return { shape, s64s: int64Strings(v) };
    case "u64": return { shape, u64s: int64Strings(v) };
    case "f16": return { shape, f16s: littleEndianBytes(numbers(v), 2, (d, o, x) => d.setUint16(o, f16Bits(x), true)) };
    case "bf16": return { shape, bf16s: littleEndianBytes(numbers(v), 2, (d, o, x) => d.setUint16(o, bf16Bits(x), true)) };
    case "f32": return { shape, f32s: numbers(v) };
    case "f64": return { shape, f64s: numbers(v) };
  }
}

/**
 * Our IR lists a while loop's computations as [condition, body] (the order of XLA's builder API and
 * of the HLO text); HloInstructionProto.called_computation_ids holds them as XLA's
 * HloInstruction::called_computations(): kBodyComputationIndex = 0, kConditionComputationIndex = 1.
 */
export function calledComputationIdsInProtoOrder(instr: HloInstruction): number[] {
  const called = instr.attributes.calledComputations ?? [];
  if (instr.opcode === "while") {
    if (called.length !== 2) throw new Error(`internal: while ${instr.name} needs [condition, body], got ${called.length} computations`);
    return [called[1]!, called[0]!];
  }
  return called;
}

/** OpSharding.Type numbers (xla_data.proto). */
const OP_SHARDING_TYPE = { replicated: 0, tuple: 2, tiled: 3 } as const;

function shardingProto(s: HloSharding): object {
  switch (s.kind) {
    case "replicated":
      return { type: OP_SHARDING_TYPE.replicated };
    case "tuple":
      return { type: OP_SHARDING_TYPE.tuple, tupleShardings: s.elements.map(shardingProto) };
    case "tiled":
      return { type: OP_SHARDING_TYPE.tiled, tileAssignmentDimensions: s.tileAssignmentDimensions, tileAssignmentDevices: s.tileAssignmentDevices, replicateOnLastTileDim: s.replicateOnLastTileDim };
  }
}

function attributeFields(a: InstructionAttributes): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  if (a.parameterNumber !== undefined) f.parameterNumber = a.parameterNumber;
  if (a.literal !== undefined) f.literal = literalProto(a.literal);
  if (a.tupleIndex !== undefined) f.tupleIndex = a.tupleIndex;
  if (a.dimensions !== undefined) f.dimensions = a.dimensions;
  if (a.comparisonDirection !== undefined) f.comparisonDirection = a.comparisonDirection;
  if (a.comparisonType !== undefined) f.comparisonType = a.comparisonType;
  if (a.dotDimensionNumbers !== undefined) f.dotDimensionNumbers = { ...a.dotDimensionNumbers };
  if (a.operandPrecision !== undefined) f.precisionConfig = { operandPrecision: a.operandPrecision };
  if (a.sliceDimensions !== undefined) f.sliceDimensions = a.sliceDimensions.map((s) => ({ start: s.start, limit: s.limit, stride: s.stride }));
  if (a.dynamicSliceSizes !== undefined) f.dynamicSliceSizes = a.dynamicSliceSizes;
  if (a.paddingConfig !== undefined) f.paddingConfig = { dimensions: a.paddingConfig.map((p) => ({ edgePaddingLow: p.edgePaddingLow, edgePaddingHigh: p.edgePaddingHigh, interiorPadding: p.interiorPadding })) };
  if (a.window !== undefined) f.window = { dimensions: a.window.map((w) => ({ ...w })) };
  if (a.convolutionDimensionNumbers !== undefined) f.convolutionDimensionNumbers = { ...a.convolutionDimensionNumbers };
  if (a.featureGroupCount !== undefined) f.featureGroupCount = a.featureGroupCount;
  if (a.batchGroupCount !== undefined) f.batchGroupCount = a.batchGroupCount;
  if (a.gatherDimensionNumbers !== undefined) f.gatherDimensionNumbers = { ...a.gatherDimensionNumbers };
  if (a.gatherSliceSizes !== undefined) f.gatherSliceSizes = a.gatherSliceSizes;
  if (a.scatterDimensionNumbers !== undefined) f.scatterDimensionNumbers = { ...a.scatterDimensionNumbers };
  if (a.indicesAreSorted !== undefined) f.indicesAreSorted = a.indicesAreSorted;
  if (a.uniqueIndices !== undefined) f.uniqueIndices = a.uniqueIndices;
  if (a.distribution !== undefined) f.distribution = a.distribution;
  if (a.rngAlgorithm !== undefined) f.rngAlgorithm = a.rngAlgorithm;
  if (a.isStable !== undefined) f.isStable = a.isStable;
  if (a.sharding !== undefined) f.sharding = shardingProto(a.sharding);
  if (a.customCallTarget !== undefined) {
    f.customCallTarget = a.customCallTarget;
    // API_VERSION_ORIGINAL: what XlaBuilder and the HLO text parser assume when none is given;
    // left unset, a proto-loaded custom call would differ from its own text.
    f.customCallApiVersion = 1;
  }
  return f;
}

function instructionProto(instr: HloInstruction): object {
  return {
    id: instr.id,
    name: instr.name,
    opcode: instr.opcode,
    shape: shapeProto(instr.shape),
    operandIds: instr.operands,
    calledComputationIds: calledComputationIdsInProtoOrder(instr),
    ...(instr.metadata ? { metadata: metadataProto(instr.metadata) } : {}),
    ...attributeFields(instr.attributes),
  };
}

/** A computation's signature: its parameters by parameter_number, and the root's shape. */
export function computationParameters(computation: HloComputation): HloInstruction[] {
  const params = computation.instructions.filter((i) => i.opcode === "parameter");
  params.sort((a, b) => (a.attributes.parameterNumber ?? 0) - (b.attributes.parameterNumber ?? 0));
  params.forEach((p, i) => {
    if (p.attributes.parameterNumber !== i) throw new Error(`internal: computation ${computation.name} has parameter numbers ${params.map((q) => q.attributes.parameterNumber).join(",")}, expected 0..${params.length - 1}`);
  });
  return params;
}

export function computationRoot(computation: HloComputation): HloInstruction {
  const root = computation.instructions.find((i) => i.id === computation.rootId);
  if (!root) throw new Error(`internal: computation ${computation.name} has no instruction with its root id ${computation.rootId}`);
  return root;
}

function programShapeProto(computation: HloComputation): object {
  const params = computationParameters(computation);
  return {
    parameters: params.map((p) => shapeProto(p.shape)),
    result: shapeProto(computationRoot(computation).shape),
    parameterNames: params.map((p) => p.name),
  };
}

function computationProto(computation: HloComputation): object {
  return {
    id: computation.id,
    name: computation.name,
    instructions: computation.instructions.map(instructionProto),
    programShape: programShapeProto(computation),
    rootId: computation.rootId,
  };
}

export function entryComputation(module: HloModule): HloComputation {
  const entry = module.computations.find((c) => c.id === module.entryComputationId);
  if (!entry) throw new Error(`internal: module ${module.name} has no computation with the entry id ${module.entryComputationId}`);
  return entry;
}

function moduleProto(module: HloModule): object {
  const entry = entryComputation(module);
  return {
    name: module.name,
    entryComputationName: entry.name,
    entryComputationId: entry.id,
    computations: module.computations.map(computationProto),
    hostProgramShape: programShapeProto(entry),
  };
}

/** What encoding needs of the generated module (it is generated JavaScript, unchecked). */
interface StaticEncoders {
  HloModuleProto: { encode(message: object): { finish(): Uint8Array } };
}

/** The module as HloModuleProto wire bytes; the same module always gives the same bytes. */
export function encodeHloModule(module: HloModule): Uint8Array {
  // protobufjs' static encoders (generated/hlo-proto.ts). The plain object already has their
  // run-time types: numbers, decimal strings for 64-bit integers, Uint8Array bytes.
  return (xla as unknown as StaticEncoders).HloModuleProto.encode(moduleProto(module)).finish();
}

// ---- HloModuleProto bytes -> plain objects (for tests and tools) ---------------------------------

// The decoded form mirrors proto/hlo.proto in protobufjs' camelCase: 64-bit integers as numbers
// (ids and dimensions are far below 2^53; literal s64s/u64s come back as numbers too, so only use
// decoding on such values when they are small), enums by name ("F32", "RNG_UNIFORM"), bytes as
// Uint8Array, unset repeated fields as [] and unset scalars absent.

export interface DecodedLayout { minorToMajor: number[] }
export interface DecodedShape { elementType?: string; dimensions: number[]; tupleShapes: DecodedShape[]; layout?: DecodedLayout }
export interface DecodedProgramShape { parameters: DecodedShape[]; result?: DecodedShape; parameterNames: string[] }
export interface DecodedLiteral {
  shape?: DecodedShape;
  preds: boolean[]; s32s: number[]; s64s: number[]; u32s: number[]; u64s: number[]; f32s: number[]; f64s: number[];
  u8s?: Uint8Array; s8s?: Uint8Array; s16s?: Uint8Array; u16s?: Uint8Array; f16s?: Uint8Array; bf16s?: Uint8Array;
  tupleLiterals: DecodedLiteral[];
}
export interface DecodedWindowDimension { size?: number; stride?: number; paddingLow?: number; paddingHigh?: number; windowDilation?: number; baseDilation?: number; windowReversal?: boolean }
export interface DecodedInstruction {
  id?: number; name?: string; opcode?: string; shape?: DecodedShape;
  metadata?: { opType?: string; opName?: string; sourceFile?: string; sourceLine?: number };
  literal?: DecodedLiteral; parameterNumber?: number; tupleIndex?: number; dimensions: number[];
  window?: { dimensions: DecodedWindowDimension[] };
  convolutionDimensionNumbers?: Record<string, number | number[]>;
  sliceDimensions: { start?: number; limit?: number; stride?: number }[];
  dynamicSliceSizes: number[];
  paddingConfig?: { dimensions: { edgePaddingLow?: number; edgePaddingHigh?: number; interiorPadding?: number }[] };
  distribution?: string; customCallTarget?: string;
  dotDimensionNumbers?: { lhsContractingDimensions: number[]; rhsContractingDimensions: number[]; lhsBatchDimensions: number[]; rhsBatchDimensions: number[] };
  gatherDimensionNumbers?: Record<string, number | number[]>; gatherSliceSizes: number[];
  operandIds: number[]; controlPredecessorIds: number[]; calledComputationIds: number[];
  scatterDimensionNumbers?: Record<string, number | number[]>;
  featureGroupCount?: number; precisionConfig?: { operandPrecision: string[] }; batchGroupCount?: number;
  isStable?: boolean; comparisonDirection?: string; indicesAreSorted?: boolean; uniqueIndices?: boolean;
  rngAlgorithm?: string; comparisonType?: string;
  sharding?: DecodedSharding;
}
export interface DecodedSharding { type?: string; tileAssignmentDimensions: number[]; tileAssignmentDevices: number[]; tupleShardings: DecodedSharding[]; replicateOnLastTileDim?: boolean }
export interface DecodedComputation { id?: number; name?: string; instructions: DecodedInstruction[]; programShape?: DecodedProgramShape; rootId?: number }
export interface DecodedHloModule { name?: string; entryComputationName?: string; entryComputationId?: number; computations: DecodedComputation[]; hostProgramShape?: DecodedProgramShape; id?: number }

/** Decodes HloModuleProto bytes (ours or XLA's) into plain objects; fields outside proto/hlo.proto are skipped. */
export function decodeHloModule(bytes: Uint8Array): DecodedHloModule {
  const type = hloModuleProtoType();
  // A parsed boundary: toObject follows proto/hlo.proto, which the Decoded* interfaces mirror.
  return type.toObject(type.decode(bytes), { longs: Number, enums: String, arrays: true }) as DecodedHloModule;
}

// ---- 16-bit floats ----------------------------------------------------------------------------

/** Bits of the IEEE binary16 nearest to `x` (round to nearest, ties to even). */
export function f16Bits(x: number): number {
  return smallFloatBits(x, 5, 10, 0x7e00);
}

/** Bits of the bfloat16 nearest to `x` (round to nearest, ties to even). */
export function bf16Bits(x: number): number {
  return smallFloatBits(x, 8, 7, 0x7fc0);
}

export function f16Value(bits: number): number {
  return smallFloatValue(bits, 5, 10);
}

export function bf16Value(bits: number): number {
  return smallFloatValue(bits, 8, 7);
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// Rounds the double directly (not through float32) so that there is one rounding, as in a
// correctly rounded conversion.
function smallFloatBits(x: number, exponentBits: number, mantissaBits: number, nanBits: number): number {
  if (Number.isNaN(x)) return nanBits;
  const sign = x < 0 || Object.is(x, -0) ? 1 << (exponentBits + mantissaBits) : 0;
  const a = Math.abs(x);
  const bias = (1 << (exponentBits - 1)) - 1;
  const infBits = ((1 << exponentBits) - 1) << mantissaBits;
  if (a === Infinity) return sign | infBits;
  const minNormalExp = 1 - bias;
  if (a < 2 ** minNormalExp) {
    // Subnormal: a multiple of 2^(minNormalExp - mantissaBits); rounding up to 2^mantissaBits gives the smallest normal.
    return sign | roundHalfEven(a / 2 ** (minNormalExp - mantissaBits));
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  let q = roundHalfEven(a / 2 ** (e - mantissaBits));
  if (q === 2 ** (mantissaBits + 1)) {
    q = 2 ** mantissaBits;
    e += 1;
  }
  if (e > bias) return sign | infBits;
  return sign | ((e + bias) << mantissaBits) | (q - 2 ** mantissaBits);
}

function smallFloatValue(bits: number, exponentBits: number, mantissaBits: number): number {
  const sign = bits >> (exponentBits + mantissaBits) & 1 ? -1 : 1;
  const e = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
  const m = bits & ((1 << mantissaBits) - 1);
  const bias = (1 << (exponentBits - 1)) - 1;
  if (e === (1 << exponentBits) - 1) return m === 0 ? sign * Infinity : NaN;
  if (e === 0) return sign * m * 2 ** (1 - bias - mantissaBits);
  return sign * (1 + m / 2 ** mantissaBits) * 2 ** (e - bias);
}
