// HloModule (ir.ts, plain data) -> HloModuleProto bytes, in the wire format of our own
// proto/hlo.proto (XLA's field names and numbers). Encoding writes the bytes directly from the
// instructions (wire.ts: no message objects in between); decoding (tests, tools) loads
// proto/hlo.proto into protobufjs by reflection when first asked.
// The bytes are a pure function of the module: fields go in field-number order and we add no maps,
// timestamps or random ids, so the same module always gives the same bytes (the cache key and
// early cutoff rely on that). They are the bytes protobufjs writes for the same fields
// (test/hlo-encode.test.ts compares the two on every kind of attribute and on the examples).
//
// Everything XLA needs to load a module without a client-side builder is filled in here: every
// instruction's shape carries a layout (row-major, minor_to_major = [rank-1 .. 0]), literal shapes
// too (XLA rejects a literal without a layout), each computation has its program shape, and the
// module has the entry's as host_program_shape (XLA derives the entry layout from it).

import { join } from "node:path";
import { createRequire } from "node:module";
import type protobuf from "protobufjs";
import { findPackageRoot } from "../../package-root.js";
import type { ConvolutionDimensionNumbers, DotDimensionNumbers, GatherDimensionNumbers, HloComputation, HloInstruction, HloModule, HloSharding, Literal, ScatterDimensionNumbers, Shape, SourceMetadata, WindowDimension } from "./ir.js";
import { PRIMITIVE_TYPE_NUMBER, elementCount } from "./ir.js";
import { WireWriter } from "./wire.js";

// ---- loading proto/hlo.proto ----------------------------------------------------------------

let cachedModuleType: protobuf.Type | undefined;

/** HloModuleProto as protobufjs reads proto/hlo.proto (for decoding, and tests' reference encoding). */
export function hloModuleProtoType(): protobuf.Type {
  if (!cachedModuleType) {
    // protobufjs' full build (its .proto parser) loads only here, off the compile path.
    const reflection = createRequire(import.meta.url)("protobufjs") as typeof protobuf;
    const root = reflection.loadSync(join(findPackageRoot(), "proto", "hlo.proto"));
    cachedModuleType = root.lookupType("xla.HloModuleProto");
  }
  return cachedModuleType;
}

// ---- HloModule -> HloModuleProto bytes ---------------------------------------------------------

// Field numbers of proto/hlo.proto (XLA's). Each message's fields are written in field-number
// order, as protobufjs and XLA's own serializer write them; a field is left out only when our IR
// has nothing for it (absent scalars, empty repeated fields), never because it holds a default.

/** Row-major: the last dimension varies fastest. */
export function defaultMinorToMajor(rank: number): number[] {
  const order: number[] = [];
  for (let d = rank - 1; d >= 0; d--) order.push(d);
  return order;
}

/** ShapeProto: element_type 2, dimensions 3, tuple_shapes 4, layout 5 (LayoutProto: minor_to_major 1). */
function writeShape(w: WireWriter, shape: Shape): void {
  switch (shape.kind) {
    case "array": {
      w.int32(2, PRIMITIVE_TYPE_NUMBER[shape.element]);
      w.packedInt64(3, shape.dims);
      const layout = w.begin(5);
      const rank = shape.dims.length;
      if (rank > 0) {
        const minorToMajor = w.begin(1);
        for (let d = rank - 1; d >= 0; d--) w.int64Value(d);
        w.end(minorToMajor);
      }
      w.end(layout);
      return;
    }
    case "tuple":
      w.int32(2, PRIMITIVE_TYPE_NUMBER.tuple);
      for (const e of shape.elements) message(w, 4, e, writeShape);
      return;
    case "token":
      w.int32(2, PRIMITIVE_TYPE_NUMBER.token);
      return;
  }
}

/** `value` as the nested message `field`. */
function message<T>(w: WireWriter, field: number, value: T, write: (w: WireWriter, value: T) => void): void {
  const start = w.begin(field);
  write(w, value);
  w.end(start);
}

/** OpMetadata: op_type 1, op_name 2, source_file 3, source_line 4. */
function writeMetadata(w: WireWriter, m: SourceMetadata): void {
  if (m.opType != null) w.string(1, m.opType);
  if (m.opName != null) w.string(2, m.opName);
  if (m.sourceFile != null) w.string(3, m.sourceFile);
  if (m.sourceLine != null) w.int32(4, m.sourceLine);
}

/** Instructions emitted by one call share their metadata object, so each is encoded once (as text.ts prints it once). */
const metadataMessages = new WeakMap<SourceMetadata, Uint8Array>();
const metadataWriter = new WireWriter(256);

function metadataMessage(m: SourceMetadata): Uint8Array {
  let bytes = metadataMessages.get(m);
  if (!bytes) {
    writeMetadata(metadataWriter, m);
    bytes = metadataWriter.finish();
    metadataMessages.set(m, bytes);
  }
  return bytes;
}

function numbers(values: readonly (number | bigint | boolean)[]): number[] {
  return values.map((v) => Number(v));
}

function littleEndianBytes(values: number[], bytesPerElement: number, write: (view: DataView, offset: number, v: number) => void): Uint8Array {
  const out = new Uint8Array(values.length * bytesPerElement);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => write(view, i * bytesPerElement, v));
  return out;
}

/** A packed repeated field of `values`, each written by `write`; nothing when there are none. */
function packed<T>(w: WireWriter, field: number, values: readonly T[], write: (value: T) => void): void {
  if (values.length === 0) return;
  const start = w.begin(field);
  for (const v of values) write(v);
  w.end(start);
}

/**
 * LiteralProto: shape 1, then the values' field: preds 2, u8s 3, s32s 4, s64s 5, u32s 6, u64s 7,
 * f32s 8, f64s 9, f16s 11, bf16s 13, s8s 15, u16s 16, s16s 17. 8- and 16-bit values are bytes
 * (16-bit ones little-endian); 64-bit integers are written from exact values (bigints).
 */
function writeLiteral(w: WireWriter, literal: Literal): void {
  const n = elementCount(literal.shape);
  if (literal.values.length !== n) {
    throw new Error(`internal: literal of shape ${literal.shape.element}[${literal.shape.dims.join(",")}] has ${literal.values.length} values, expected ${n}`);
  }
  message(w, 1, literal.shape, writeShape);
  const v = literal.values as (number | bigint | boolean)[];
  const exact = (x: number | bigint | boolean) => w.int64BigValue(typeof x === "bigint" ? x : BigInt(Math.trunc(Number(x))));
  switch (literal.shape.element) {
    case "pred": return packed(w, 2, v, (x) => w.boolValue(Boolean(x)));
    case "s8": return w.bytes(15, new Uint8Array(Int8Array.from(numbers(v)).buffer));
    case "u8": return w.bytes(3, Uint8Array.from(numbers(v)));
    case "s16": return w.bytes(17, littleEndianBytes(numbers(v), 2, (d, o, x) => d.setInt16(o, x, true)));
    case "u16": return w.bytes(16, littleEndianBytes(numbers(v), 2, (d, o, x) => d.setUint16(o, x, true)));
    case "s32": return packed(w, 4, numbers(v), (x) => w.int32Value(x));
    case "u32": return packed(w, 6, numbers(v), (x) => w.uint32Value(x));
    case "s64": return packed(w, 5, v, exact);
    case "u64": return packed(w, 7, v, exact);
    case "f16": return w.bytes(11, littleEndianBytes(numbers(v), 2, (d, o, x) => d.setUint16(o, f16Bits(x), true)));
    case "bf16": return w.bytes(13, littleEndianBytes(numbers(v), 2, (d, o, x) => d.setUint16(o, bf16Bits(x), true)));
    case "f32": return packed(w, 8, numbers(v), (x) => w.floatValue(x));
    case "f64": return packed(w, 9, numbers(v), (x) => w.doubleValue(x));
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

/** OpSharding: type 1, tile_assignment_dimensions 3, tile_assignment_devices 4, tuple_shardings 5, replicate_on_last_tile_dim 6. */
function writeSharding(w: WireWriter, s: HloSharding): void {
  w.int32(1, OP_SHARDING_TYPE[s.kind]);
  switch (s.kind) {
    case "replicated":
      return;
    case "tuple":
      for (const e of s.elements) message(w, 5, e, writeSharding);
      return;
    case "tiled":
      w.packedInt64(3, s.tileAssignmentDimensions);
      w.packedInt64(4, s.tileAssignmentDevices);
      w.bool(6, s.replicateOnLastTileDim);
      return;
  }
}

/** WindowDimension: size 1, stride 2, padding_low 3, padding_high 4, window_dilation 5, base_dilation 6, window_reversal 7. */
function writeWindowDimension(w: WireWriter, d: WindowDimension): void {
  if (d.size != null) w.int64(1, d.size);
  if (d.stride != null) w.int64(2, d.stride);
  if (d.paddingLow != null) w.int64(3, d.paddingLow);
  if (d.paddingHigh != null) w.int64(4, d.paddingHigh);
  if (d.windowDilation != null) w.int64(5, d.windowDilation);
  if (d.baseDilation != null) w.int64(6, d.baseDilation);
  if (d.windowReversal != null) w.bool(7, d.windowReversal);
}

/**
 * ConvolutionDimensionNumbers, in field-number order: kernel_input_feature_dimension 3,
 * kernel_output_feature_dimension 4, kernel_spatial_dimensions 6, input_batch_dimension 7,
 * input_feature_dimension 8, output_batch_dimension 9, output_feature_dimension 10,
 * input_spatial_dimensions 11, output_spatial_dimensions 12.
 */
function writeConvolutionDimensionNumbers(w: WireWriter, c: ConvolutionDimensionNumbers): void {
  w.int64(3, c.kernelInputFeatureDimension);
  w.int64(4, c.kernelOutputFeatureDimension);
  w.packedInt64(6, c.kernelSpatialDimensions);
  w.int64(7, c.inputBatchDimension);
  w.int64(8, c.inputFeatureDimension);
  w.int64(9, c.outputBatchDimension);
  w.int64(10, c.outputFeatureDimension);
  w.packedInt64(11, c.inputSpatialDimensions);
  w.packedInt64(12, c.outputSpatialDimensions);
}

/** DotDimensionNumbers: lhs_contracting 1, rhs_contracting 2, lhs_batch 3, rhs_batch 4. */
function writeDotDimensionNumbers(w: WireWriter, d: DotDimensionNumbers): void {
  w.packedInt64(1, d.lhsContractingDimensions);
  w.packedInt64(2, d.rhsContractingDimensions);
  w.packedInt64(3, d.lhsBatchDimensions);
  w.packedInt64(4, d.rhsBatchDimensions);
}

/** GatherDimensionNumbers: offset_dims 1, collapsed_slice_dims 2, start_index_map 3, index_vector_dim 4. */
function writeGatherDimensionNumbers(w: WireWriter, g: GatherDimensionNumbers): void {
  w.packedInt64(1, g.offsetDims);
  w.packedInt64(2, g.collapsedSliceDims);
  w.packedInt64(3, g.startIndexMap);
  w.int64(4, g.indexVectorDim);
}

/** ScatterDimensionNumbers: update_window_dims 1, inserted_window_dims 2, scatter_dims_to_operand_dims 3, index_vector_dim 4. */
function writeScatterDimensionNumbers(w: WireWriter, s: ScatterDimensionNumbers): void {
  w.packedInt64(1, s.updateWindowDims);
  w.packedInt64(2, s.insertedWindowDims);
  w.packedInt64(3, s.scatterDimsToOperandDims);
  w.int64(4, s.indexVectorDim);
}

/** HloInstructionProto, its fields in field-number order (proto/hlo.proto has each number). */
function writeInstruction(w: WireWriter, instr: HloInstruction): void {
  const a = instr.attributes;
  w.string(1, instr.name);
  w.string(2, instr.opcode);
  message(w, 3, instr.shape, writeShape);
  // A nested message is its bytes as a length-delimited field.
  if (instr.metadata) w.bytes(7, metadataMessage(instr.metadata));
  if (a.literal !== undefined) message(w, 8, a.literal, writeLiteral);
  if (a.parameterNumber !== undefined) w.int64(9, a.parameterNumber);
  if (a.tupleIndex !== undefined) w.int64(13, a.tupleIndex);
  if (a.dimensions !== undefined) w.packedInt64(14, a.dimensions);
  if (a.window !== undefined) {
    const window = w.begin(15);
    for (const d of a.window) message(w, 1, d, writeWindowDimension);
    w.end(window);
  }
  if (a.convolutionDimensionNumbers !== undefined) message(w, 16, a.convolutionDimensionNumbers, writeConvolutionDimensionNumbers);
  if (a.sliceDimensions !== undefined)
    for (const s of a.sliceDimensions)
      message(w, 17, s, () => {
        w.int64(1, s.start);
        w.int64(2, s.limit);
        w.int64(3, s.stride);
      });
  if (a.dynamicSliceSizes !== undefined) w.packedInt64(20, a.dynamicSliceSizes);
  if (a.paddingConfig !== undefined) {
    const padding = w.begin(21);
    for (const p of a.paddingConfig)
      message(w, 1, p, () => {
        w.int64(1, p.edgePaddingLow);
        w.int64(2, p.edgePaddingHigh);
        w.int64(3, p.interiorPadding);
      });
    w.end(padding);
  }
  if (a.distribution !== undefined) w.int32(23, a.distribution);
  if (a.customCallTarget !== undefined) w.string(28, a.customCallTarget);
  if (a.dotDimensionNumbers !== undefined) message(w, 30, a.dotDimensionNumbers, writeDotDimensionNumbers);
  if (a.gatherDimensionNumbers !== undefined) message(w, 33, a.gatherDimensionNumbers, writeGatherDimensionNumbers);
  if (a.gatherSliceSizes !== undefined) w.packedInt64(34, a.gatherSliceSizes);
  w.int64(35, instr.id);
  w.packedInt64(36, instr.operands);
  w.packedInt64(38, calledComputationIdsInProtoOrder(instr));
  if (a.sharding !== undefined) message(w, 40, a.sharding, writeSharding);
  if (a.scatterDimensionNumbers !== undefined) message(w, 48, a.scatterDimensionNumbers, writeScatterDimensionNumbers);
  if (a.featureGroupCount !== undefined) w.int64(50, a.featureGroupCount);
  if (a.operandPrecision !== undefined) message(w, 51, a.operandPrecision, (_, precisions) => packed(w, 1, precisions, (p) => w.int32Value(p)));
  if (a.batchGroupCount !== undefined) w.int64(58, a.batchGroupCount);
  if (a.isStable !== undefined) w.bool(60, a.isStable);
  if (a.comparisonDirection !== undefined) w.string(63, a.comparisonDirection);
  if (a.indicesAreSorted !== undefined) w.bool(67, a.indicesAreSorted);
  if (a.uniqueIndices !== undefined) w.bool(69, a.uniqueIndices);
  if (a.rngAlgorithm !== undefined) w.int32(70, a.rngAlgorithm);
  if (a.comparisonType !== undefined) w.string(72, a.comparisonType);
  // custom_call_api_version: API_VERSION_ORIGINAL, what XlaBuilder and the HLO text parser assume
  // when none is given; left unset, a proto-loaded custom call would differ from its own text.
  if (a.customCallTarget !== undefined) w.int32(77, 1);
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

/** ProgramShapeProto: parameters 1, result 2, parameter_names 3. */
function writeProgramShape(w: WireWriter, computation: HloComputation): void {
  const params = computationParameters(computation);
  for (const p of params) message(w, 1, p.shape, writeShape);
  message(w, 2, computationRoot(computation).shape, writeShape);
  for (const p of params) w.string(3, p.name);
}

/** HloComputationProto: name 1, instructions 2, program_shape 4, id 5, root_id 6. */
function writeComputation(w: WireWriter, computation: HloComputation): void {
  w.string(1, computation.name);
  for (const instr of computation.instructions) message(w, 2, instr, writeInstruction);
  message(w, 4, computation, writeProgramShape);
  w.int64(5, computation.id);
  w.int64(6, computation.rootId);
}

export function entryComputation(module: HloModule): HloComputation {
  const entry = module.computations.find((c) => c.id === module.entryComputationId);
  if (!entry) throw new Error(`internal: module ${module.name} has no computation with the entry id ${module.entryComputationId}`);
  return entry;
}

/** One writer per process, kept between modules: its buffer has grown to a module's size once. */
let moduleWriter: WireWriter | undefined;

/**
 * The module as HloModuleProto wire bytes (name 1, entry_computation_name 2, computations 3,
 * host_program_shape 4, entry_computation_id 6); the same module always gives the same bytes.
 */
export function encodeHloModule(module: HloModule): Uint8Array {
  const entry = entryComputation(module);
  const w = (moduleWriter ??= new WireWriter());
  w.string(1, module.name);
  w.string(2, entry.name);
  for (const c of module.computations) message(w, 3, c, writeComputation);
  message(w, 4, entry, writeProgramShape);
  w.int64(6, entry.id);
  return w.finish();
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
