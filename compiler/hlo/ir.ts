// The in-memory HLO module: plain data, built by `HloBuilder`, serialized by `encode.ts` into an
// HloModuleProto and printed by `text.ts`. Names and fields follow XLA's own (hlo.proto,
// xla_data.proto), so a reader can look each one up. Dimensions here are XLA's (row-major order);
// the Julia-order mapping happened before anything reached this file.

import { ELTYPES, type PrimitiveType } from "../eltypes.js";

export type { PrimitiveType };

/** PrimitiveType enum numbers (xla_data.proto): the element types' own, and the two non-array kinds. */
export const PRIMITIVE_TYPE_NUMBER: Record<PrimitiveType | "tuple" | "token", number> = {
  ...(Object.fromEntries(Object.values(ELTYPES).map((e) => [e.primitive, e.xlaNumber])) as Record<PrimitiveType, number>),
  tuple: 13, token: 17,
};

export const BYTES_PER_ELEMENT = Object.fromEntries(Object.values(ELTYPES).map((e) => [e.primitive, e.bytes])) as Record<PrimitiveType, number>;

export type Shape = ArrayShape | TupleShape | TokenShape;

/** A dense array with the default (row-major, minor_to_major = [rank-1 .. 0]) layout. */
export interface ArrayShape {
  kind: "array";
  element: PrimitiveType;
  dims: number[];
}

export interface TupleShape {
  kind: "tuple";
  elements: Shape[];
}

export interface TokenShape {
  kind: "token";
}

/** Literal values in row-major order. Integers of 64 bits are kept as bigint to stay exact. */
export interface Literal {
  shape: ArrayShape;
  values: number[] | bigint[] | boolean[];
}

export interface WindowDimension {
  size: number;
  stride: number;
  paddingLow: number;
  paddingHigh: number;
  windowDilation: number;
  baseDilation: number;
  windowReversal: boolean;
}

export interface ConvolutionDimensionNumbers {
  inputBatchDimension: number;
  inputFeatureDimension: number;
  inputSpatialDimensions: number[];
  kernelInputFeatureDimension: number;
  kernelOutputFeatureDimension: number;
  kernelSpatialDimensions: number[];
  outputBatchDimension: number;
  outputFeatureDimension: number;
  outputSpatialDimensions: number[];
}

export interface DotDimensionNumbers {
  lhsContractingDimensions: number[];
  rhsContractingDimensions: number[];
  lhsBatchDimensions: number[];
  rhsBatchDimensions: number[];
}

export interface GatherDimensionNumbers {
  offsetDims: number[];
  collapsedSliceDims: number[];
  startIndexMap: number[];
  indexVectorDim: number;
}

export interface ScatterDimensionNumbers {
  updateWindowDims: number[];
  insertedWindowDims: number[];
  scatterDimsToOperandDims: number[];
  indexVectorDim: number;
}

/**
 * OpSharding (xla_data.proto): how an SPMD module splits a value over its partitions. `tiled`:
 * the array is cut into a grid of tileAssignmentDimensions tiles (one entry per dimension, plus a
 * trailing count of copies when replicateOnLastTileDim), tile k going to partition
 * tileAssignmentDevices[k] (row-major over the grid). `tuple`: one per leaf of a tuple shape.
 */
export type HloSharding =
  | { kind: "replicated" }
  | { kind: "tiled"; tileAssignmentDimensions: number[]; tileAssignmentDevices: number[]; replicateOnLastTileDim: boolean }
  | { kind: "tuple"; elements: HloSharding[] };

export type ComparisonDirection = "EQ" | "NE" | "GE" | "GT" | "LE" | "LT";

/**
 * The attributes an instruction may carry; each maps to one HloInstructionProto field of the same
 * name. Which ones an opcode uses is decided by its rule in the op table, not here.
 */
export interface InstructionAttributes {
  parameterNumber?: number;
  literal?: Literal;
  tupleIndex?: number;
  /** broadcast, reduce, transpose, reverse, concatenate (one entry), iota (one entry). */
  dimensions?: number[];
  comparisonDirection?: ComparisonDirection;
  /** "FLOAT", "TOTALORDER", "SIGNED", "UNSIGNED". */
  comparisonType?: string;
  dotDimensionNumbers?: DotDimensionNumbers;
  /** operand_precision per operand (0 DEFAULT, 1 HIGH, 2 HIGHEST). */
  operandPrecision?: number[];
  sliceDimensions?: { start: number; limit: number; stride: number }[];
  dynamicSliceSizes?: number[];
  paddingConfig?: { edgePaddingLow: number; edgePaddingHigh: number; interiorPadding: number }[];
  window?: WindowDimension[];
  convolutionDimensionNumbers?: ConvolutionDimensionNumbers;
  featureGroupCount?: number;
  batchGroupCount?: number;
  gatherDimensionNumbers?: GatherDimensionNumbers;
  gatherSliceSizes?: number[];
  scatterDimensionNumbers?: ScatterDimensionNumbers;
  indicesAreSorted?: boolean;
  uniqueIndices?: boolean;
  /** rng distribution (RandomDistribution: 1 RNG_UNIFORM, 2 RNG_NORMAL). */
  distribution?: number;
  /** rng-bit-generator algorithm: 0 default, 1 three-fry, 2 philox. */
  rngAlgorithm?: number;
  /** Computations this instruction calls: reduce's reducer, while's [condition, body], call's callee, conditional's branches. */
  calledComputations?: number[];
  isStable?: boolean;
  customCallTarget?: string;
  /** SPMD modules: the value's split over the partitions (entry parameters, the root, Sharding custom calls). */
  sharding?: HloSharding;
}

export interface SourceMetadata {
  /** The Julia function or operator this instruction comes from (`op_type`). */
  opType?: string;
  /** The call chain, outermost first (`op_name`), e.g. "predict/Dense/+" . */
  opName?: string;
  sourceFile?: string;
  sourceLine?: number;
}

export interface HloInstruction {
  /** Unique within the module. */
  id: number;
  /** Unique within the module, e.g. "add.12". */
  name: string;
  opcode: string;
  shape: Shape;
  operands: number[];
  attributes: InstructionAttributes;
  metadata?: SourceMetadata;
}

export interface HloComputation {
  id: number;
  name: string;
  /** In definition order: operands always come before their users. */
  instructions: HloInstruction[];
  rootId: number;
}

export interface HloModule {
  name: string;
  /** Callees before callers; the entry computation is last, as XLA prints them. */
  computations: HloComputation[];
  entryComputationId: number;
}

export function arrayShape(element: PrimitiveType, dims: number[]): ArrayShape {
  return { kind: "array", element, dims: [...dims] };
}

export function tupleShape(elements: Shape[]): TupleShape {
  return { kind: "tuple", elements };
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "array" && b.kind === "array") return a.element === b.element && a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);
  if (a.kind === "tuple" && b.kind === "tuple") return a.elements.length === b.elements.length && a.elements.every((e, i) => shapesEqual(e, b.elements[i]!));
  return true;
}

export function elementCount(shape: ArrayShape): number {
  return shape.dims.reduce((n, d) => n * d, 1);
}
