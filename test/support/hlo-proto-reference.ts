// A second encoder of HloModule, for tests: the module as a plain HloModuleProto object (protobufjs'
// camelCase form), encoded by protobufjs from proto/hlo.proto loaded by reflection. This is how
// compiler/hlo/encode.ts worked before it wrote the wire format itself; its bytes are what the direct
// encoder must reproduce.

import { bf16Bits, calledComputationIdsInProtoOrder, computationParameters, computationRoot, entryComputation, f16Bits, hloModuleProtoType } from "../../compiler/hlo/encode.js";
import type { HloComputation, HloInstruction, HloModule, HloSharding, InstructionAttributes, Literal, Shape, SourceMetadata } from "../../compiler/hlo/ir.js";
import { PRIMITIVE_TYPE_NUMBER } from "../../compiler/hlo/ir.js";

function shapeProto(shape: Shape): object {
  switch (shape.kind) {
    case "array":
      return { elementType: PRIMITIVE_TYPE_NUMBER[shape.element], dimensions: shape.dims, layout: { minorToMajor: shape.dims.map((_, i) => shape.dims.length - 1 - i) } };
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
const int64Strings = (values: unknown[]): string[] => values.map((v) => (typeof v === "bigint" ? v.toString() : BigInt(Math.trunc(Number(v))).toString()));

function sixteenBit(values: number[], put: (b: Buffer, v: number, offset: number) => void): Uint8Array {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => put(b, v, i * 2));
  return new Uint8Array(b);
}

function literalProto(literal: Literal): object {
  const shape = shapeProto(literal.shape);
  const v = literal.values as unknown[];
  const n = v.map(Number);
  switch (literal.shape.element) {
    case "pred": return { shape, preds: v.map(Boolean) };
    case "s8": return { shape, s8s: new Uint8Array(Int8Array.from(n).buffer) };
    case "u8": return { shape, u8s: Uint8Array.from(n) };
    case "s16": return { shape, s16s: sixteenBit(n, (b, x, o) => b.writeInt16LE(((x << 16) >> 16), o)) };
    case "u16": return { shape, u16s: sixteenBit(n, (b, x, o) => b.writeUint16LE(x & 0xffff, o)) };
    case "s32": return { shape, s32s: n };
    case "u32": return { shape, u32s: n };
    case "s64": return { shape, s64s: int64Strings(v) };
    case "u64": return { shape, u64s: int64Strings(v) };
    case "f16": return { shape, f16s: sixteenBit(n, (b, x, o) => b.writeUint16LE(f16Bits(x), o)) };
    case "bf16": return { shape, bf16s: sixteenBit(n, (b, x, o) => b.writeUint16LE(bf16Bits(x), o)) };
    case "f32": return { shape, f32s: n };
    case "f64": return { shape, f64s: n };
  }
}

function shardingProto(s: HloSharding): object {
  switch (s.kind) {
    case "replicated":
      return { type: 0 };
    case "tuple":
      return { type: 2, tupleShardings: s.elements.map(shardingProto) };
    case "tiled":
      return { type: 3, tileAssignmentDimensions: s.tileAssignmentDimensions, tileAssignmentDevices: s.tileAssignmentDevices, replicateOnLastTileDim: s.replicateOnLastTileDim };
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
  if (a.sliceDimensions !== undefined) f.sliceDimensions = a.sliceDimensions.map((s) => ({ ...s }));
  if (a.dynamicSliceSizes !== undefined) f.dynamicSliceSizes = a.dynamicSliceSizes;
  if (a.paddingConfig !== undefined) f.paddingConfig = { dimensions: a.paddingConfig.map((p) => ({ ...p })) };
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

function programShapeProto(computation: HloComputation): object {
  const params = computationParameters(computation);
  return { parameters: params.map((p) => shapeProto(p.shape)), result: shapeProto(computationRoot(computation).shape), parameterNames: params.map((p) => p.name) };
}

/** The module's HloModuleProto bytes as protobufjs writes them. */
export function referenceEncode(module: HloModule): Uint8Array {
  const entry = entryComputation(module);
  const message = {
    name: module.name,
    entryComputationName: entry.name,
    entryComputationId: entry.id,
    computations: module.computations.map((c) => ({ id: c.id, name: c.name, instructions: c.instructions.map(instructionProto), programShape: programShapeProto(c), rootId: c.rootId })),
    hostProgramShape: programShapeProto(entry),
  };
  return hloModuleProtoType().encode(message).finish();
}

/** protobufjs' decoding of `bytes` encoded again by protobufjs: the same bytes when `bytes` are in its canonical form. */
export function reencode(bytes: Uint8Array): Uint8Array {
  const type = hloModuleProtoType();
  return type.encode(type.decode(bytes)).finish();
}
