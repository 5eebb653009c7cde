// The op table: every HLO operation the compiler emits is defined here exactly once, with its
// shape/type rule and the attributes its emission carries. The builder checks every emission
// against the rule, the Julia library lowers to these rules, and the encoder and printer read the
// resulting instructions. (Gradients — each rule's VJP — join the same records.)
//
// All dimensions here are XLA's (row-major); the Julia-order mapping happens in the lowering.

import type { ArrayShape, ComparisonDirection, DotDimensionNumbers, InstructionAttributes, Literal, PrimitiveType, Shape, WindowDimension, ConvolutionDimensionNumbers } from "./ir.js";
import { arrayShape, tupleShape, shapesEqual } from "./ir.js";

/** A shape rule violation: the lowering produced operands this op cannot take. Always a compiler bug or a user shape error caught earlier. */
export class ShapeRuleError extends Error {}

export interface OpRule<P> {
  opcode: string;
  /** Result shape from operand shapes and parameters; throws ShapeRuleError when they do not fit. */
  shape(operands: Shape[], params: P): Shape;
  /** The instruction attributes that encode `params`. */
  attributes(params: P): InstructionAttributes;
  /** Pure ops may be deduplicated (CSE) by the builder. */
  pure: boolean;
  /** How many computations the op calls (reduce: 1; while: 2; conditional: n). */
  calls?: boolean;
}

const FLOAT_TYPES: ReadonlySet<PrimitiveType> = new Set(["f16", "bf16", "f32", "f64"]);
const INT_TYPES: ReadonlySet<PrimitiveType> = new Set(["s8", "s16", "s32", "s64", "u8", "u16", "u32", "u64"]);

export const isFloatType = (t: PrimitiveType): boolean => FLOAT_TYPES.has(t);
export const isIntegerType = (t: PrimitiveType): boolean => INT_TYPES.has(t);

function asArray(shape: Shape | undefined, opcode: string): ArrayShape {
  if (!shape || shape.kind !== "array") throw new ShapeRuleError(`${opcode}: expected an array operand`);
  return shape;
}

function sameDims(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fmtShape(s: ArrayShape): string {
  return `${s.element}[${s.dims.join(",")}]`;
}

function checkArity(operands: Shape[], n: number, opcode: string): void {
  if (operands.length !== n) throw new ShapeRuleError(`${opcode}: expected ${n} operands, got ${operands.length}`);
}

type ElementKind = "float" | "int" | "pred" | "any" | "numeric" | "int-or-pred";

function checkElement(s: ArrayShape, kind: ElementKind, opcode: string): void {
  const ok =
    kind === "any" ||
    (kind === "float" && isFloatType(s.element)) ||
    (kind === "int" && isIntegerType(s.element)) ||
    (kind === "pred" && s.element === "pred") ||
    (kind === "numeric" && s.element !== "pred") ||
    (kind === "int-or-pred" && (s.element === "pred" || isIntegerType(s.element)));
  if (!ok) throw new ShapeRuleError(`${opcode}: element type ${s.element} is not ${kind}`);
}

function unary(opcode: string, kind: ElementKind): OpRule<void> {
  return {
    opcode,
    pure: true,
    shape(operands) {
      checkArity(operands, 1, opcode);
      const a = asArray(operands[0], opcode);
      checkElement(a, kind, opcode);
      return a;
    },
    attributes: () => ({}),
  };
}

function binary(opcode: string, kind: ElementKind): OpRule<void> {
  return {
    opcode,
    pure: true,
    shape(operands) {
      checkArity(operands, 2, opcode);
      const a = asArray(operands[0], opcode);
      const b = asArray(operands[1], opcode);
      if (a.element !== b.element || !sameDims(a.dims, b.dims)) throw new ShapeRuleError(`${opcode}: operands ${fmtShape(a)} and ${fmtShape(b)} differ`);
      checkElement(a, kind, opcode);
      return a;
    },
    attributes: () => ({}),
  };
}

// ---- elementwise -------------------------------------------------------------------------

export const add = binary("add", "any");
export const subtract = binary("subtract", "numeric");
export const multiply = binary("multiply", "any");
export const divide = binary("divide", "numeric");
export const remainder = binary("remainder", "numeric");
export const power = binary("power", "numeric");
export const maximum = binary("maximum", "any");
export const minimum = binary("minimum", "any");
export const atan2 = binary("atan2", "float");
export const and = binary("and", "int-or-pred");
export const or = binary("or", "int-or-pred");
export const xor = binary("xor", "int-or-pred");
export const shiftLeft = binary("shift-left", "int");
export const shiftRightArithmetic = binary("shift-right-arithmetic", "int");

export const negate = unary("negate", "numeric");
export const abs = unary("abs", "numeric");
export const sign = unary("sign", "numeric");
export const exp = unary("exponential", "float");
export const expm1 = unary("exponential-minus-one", "float");
export const log = unary("log", "float");
export const log1p = unary("log-plus-one", "float");
export const sqrt = unary("sqrt", "float");
export const rsqrt = unary("rsqrt", "float");
export const cbrt = unary("cbrt", "float");
export const tanh = unary("tanh", "float");
export const logistic = unary("logistic", "float");
export const sin = unary("sine", "float");
export const cos = unary("cosine", "float");
export const tan = unary("tan", "float");
export const floor = unary("floor", "float");
export const ceil = unary("ceil", "float");
export const roundNearestEven = unary("round-nearest-even", "float");
export const not = unary("not", "int-or-pred");
export const isFinite: OpRule<void> = {
  opcode: "is-finite",
  pure: true,
  shape(operands) {
    checkArity(operands, 1, "is-finite");
    const a = asArray(operands[0], "is-finite");
    checkElement(a, "float", "is-finite");
    return arrayShape("pred", a.dims);
  },
  attributes: () => ({}),
};

export interface CompareParams {
  direction: ComparisonDirection;
  /** FLOAT, SIGNED, UNSIGNED (pred compares as UNSIGNED): XLA's comparison_type. */
  type: "FLOAT" | "SIGNED" | "UNSIGNED";
}

export const compare: OpRule<CompareParams> = {
  opcode: "compare",
  pure: true,
  shape(operands) {
    checkArity(operands, 2, "compare");
    const a = asArray(operands[0], "compare");
    const b = asArray(operands[1], "compare");
    if (a.element !== b.element || !sameDims(a.dims, b.dims)) throw new ShapeRuleError(`compare: operands ${fmtShape(a)} and ${fmtShape(b)} differ`);
    return arrayShape("pred", a.dims);
  },
  // XLA infers the comparison type from the element type when it is absent; we state it so the
  // printed text and the proto agree.
  attributes: (p) => ({ comparisonDirection: p.direction, comparisonType: p.type }),
};

export const select: OpRule<void> = {
  opcode: "select",
  pure: true,
  shape(operands) {
    checkArity(operands, 3, "select");
    const p = asArray(operands[0], "select");
    const a = asArray(operands[1], "select");
    const b = asArray(operands[2], "select");
    if (p.element !== "pred") throw new ShapeRuleError("select: predicate must be pred");
    if (a.element !== b.element || !sameDims(a.dims, b.dims) || !sameDims(p.dims, a.dims)) throw new ShapeRuleError(`select: shapes ${fmtShape(p)}, ${fmtShape(a)}, ${fmtShape(b)} differ`);
    return a;
  },
  attributes: () => ({}),
};

export const clamp: OpRule<void> = {
  opcode: "clamp",
  pure: true,
  shape(operands) {
    checkArity(operands, 3, "clamp");
    const x = asArray(operands[1], "clamp");
    return x;
  },
  attributes: () => ({}),
};

export interface ConvertParams {
  element: PrimitiveType;
}

export const convert: OpRule<ConvertParams> = {
  opcode: "convert",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 1, "convert");
    return arrayShape(p.element, asArray(operands[0], "convert").dims);
  },
  attributes: () => ({}),
};

// ---- structural ----------------------------------------------------------------------------

export interface ParameterParams {
  number: number;
  shape: Shape;
}

export const parameter: OpRule<ParameterParams> = {
  opcode: "parameter",
  pure: false,
  shape: (_operands, p) => p.shape,
  attributes: (p) => ({ parameterNumber: p.number }),
};

export const constant: OpRule<{ literal: Literal }> = {
  opcode: "constant",
  pure: true,
  shape: (_operands, p) => p.literal.shape,
  attributes: (p) => ({ literal: p.literal }),
};

export const tuple: OpRule<void> = {
  opcode: "tuple",
  pure: true,
  shape: (operands) => tupleShape(operands),
  attributes: () => ({}),
};

export const getTupleElement: OpRule<{ index: number }> = {
  opcode: "get-tuple-element",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 1, "get-tuple-element");
    const t = operands[0]!;
    if (t.kind !== "tuple" || p.index >= t.elements.length) throw new ShapeRuleError("get-tuple-element: index out of range");
    return t.elements[p.index]!;
  },
  attributes: (p) => ({ tupleIndex: p.index }),
};

/** XLA's `broadcast` is broadcast_in_dim: operand dimension i becomes result dimension dimensions[i]. */
export const broadcast: OpRule<{ dims: number[]; dimensions: number[] }> = {
  opcode: "broadcast",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 1, "broadcast");
    const a = asArray(operands[0], "broadcast");
    if (p.dimensions.length !== a.dims.length) throw new ShapeRuleError("broadcast: dimensions must map every operand dimension");
    p.dimensions.forEach((d, i) => {
      if (d >= p.dims.length || (a.dims[i] !== p.dims[d] && a.dims[i] !== 1)) throw new ShapeRuleError(`broadcast: operand ${fmtShape(a)} does not fit [${p.dims.join(",")}] at ${d}`);
      if (i > 0 && d <= p.dimensions[i - 1]!) throw new ShapeRuleError("broadcast: dimensions must be increasing");
    });
    return arrayShape(a.element, p.dims);
  },
  attributes: (p) => ({ dimensions: p.dimensions }),
};

export const reshape: OpRule<{ dims: number[] }> = {
  opcode: "reshape",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 1, "reshape");
    const a = asArray(operands[0], "reshape");
    const n = (ds: number[]) => ds.reduce((x, y) => x * y, 1);
    if (n(a.dims) !== n(p.dims)) throw new ShapeRuleError(`reshape: ${fmtShape(a)} has ${n(a.dims)} elements, [${p.dims.join(",")}] needs ${n(p.dims)}`);
    return arrayShape(a.element, p.dims);
  },
  attributes: () => ({}),
};

/** Result dimension i is operand dimension permutation[i]. */
export const transpose: OpRule<{ permutation: number[] }> = {
  opcode: "transpose",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 1, "transpose");
    const a = asArray(operands[0], "transpose");
    if (p.permutation.length !== a.dims.length || new Set(p.permutation).size !== a.dims.length) throw new ShapeRuleError("transpose: not a permutation");
    return arrayShape(a.element, p.permutation.map((d) => a.dims[d]!));
  },
  attributes: (p) => ({ dimensions: p.permutation }),
};

export const reverse: OpRule<{ dimensions: number[] }> = {
  opcode: "reverse",
  pure: true,
  shape: (operands) => asArray(operands[0], "reverse"),
  attributes: (p) => ({ dimensions: p.dimensions }),
};

export const iota: OpRule<{ shape: ArrayShape; dimension: number }> = {
  opcode: "iota",
  pure: true,
  shape: (_operands, p) => p.shape,
  attributes: (p) => ({ dimensions: [p.dimension] }),
};

export interface SliceParams {
  start: number[];
  limit: number[];
  stride: number[];
}

export const slice: OpRule<SliceParams> = {
  opcode: "slice",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 1, "slice");
    const a = asArray(operands[0], "slice");
    const dims = a.dims.map((d, i) => {
      const lo = p.start[i]!, hi = p.limit[i]!, st = p.stride[i]!;
      if (lo < 0 || hi > d || lo > hi || st < 1) throw new ShapeRuleError(`slice: [${lo}:${hi}:${st}] out of bounds for dimension ${i} of ${fmtShape(a)}`);
      return Math.ceil((hi - lo) / st);
    });
    return arrayShape(a.element, dims);
  },
  attributes: (p) => ({ sliceDimensions: p.start.map((s, i) => ({ start: s, limit: p.limit[i]!, stride: p.stride[i]! })) }),
};

export const concatenate: OpRule<{ dimension: number }> = {
  opcode: "concatenate",
  pure: true,
  shape(operands, p) {
    if (operands.length === 0) throw new ShapeRuleError("concatenate: no operands");
    const first = asArray(operands[0], "concatenate");
    let total = 0;
    for (const o of operands) {
      const a = asArray(o, "concatenate");
      if (a.element !== first.element || a.dims.length !== first.dims.length || a.dims.some((d, i) => i !== p.dimension && d !== first.dims[i]))
        throw new ShapeRuleError(`concatenate: ${fmtShape(a)} does not fit ${fmtShape(first)} along ${p.dimension}`);
      total += a.dims[p.dimension]!;
    }
    const dims = [...first.dims];
    dims[p.dimension] = total;
    return arrayShape(first.element, dims);
  },
  attributes: (p) => ({ dimensions: [p.dimension] }),
};

export const pad: OpRule<{ low: number[]; high: number[]; interior: number[] }> = {
  opcode: "pad",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 2, "pad");
    const a = asArray(operands[0], "pad");
    return arrayShape(a.element, a.dims.map((d, i) => d + p.low[i]! + p.high[i]! + Math.max(0, d - 1) * p.interior[i]!));
  },
  attributes: (p) => ({ paddingConfig: p.low.map((l, i) => ({ edgePaddingLow: l, edgePaddingHigh: p.high[i]!, interiorPadding: p.interior[i]! })) }),
};

// ---- contractions and reductions ------------------------------------------------------------

export const dot: OpRule<DotDimensionNumbers> = {
  opcode: "dot",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 2, "dot");
    const a = asArray(operands[0], "dot");
    const b = asArray(operands[1], "dot");
    if (a.element !== b.element) throw new ShapeRuleError(`dot: element types ${a.element} and ${b.element} differ`);
    p.lhsContractingDimensions.forEach((d, i) => {
      if (a.dims[d] !== b.dims[p.rhsContractingDimensions[i]!]) throw new ShapeRuleError(`dot: contracting sizes differ: ${fmtShape(a)} · ${fmtShape(b)}`);
    });
    const batch = p.lhsBatchDimensions.map((d) => a.dims[d]!);
    const lhsFree = a.dims.filter((_, i) => !p.lhsContractingDimensions.includes(i) && !p.lhsBatchDimensions.includes(i));
    const rhsFree = b.dims.filter((_, i) => !p.rhsContractingDimensions.includes(i) && !p.rhsBatchDimensions.includes(i));
    return arrayShape(a.element, [...batch, ...lhsFree, ...rhsFree]);
  },
  attributes: (p) => ({ dotDimensionNumbers: p }),
};

/** Reduce over `dimensions` with the scalar reducer computation `reducer` (operands: input, init value). */
export const reduce: OpRule<{ dimensions: number[]; reducer: number }> = {
  opcode: "reduce",
  pure: true,
  calls: true,
  shape(operands, p) {
    checkArity(operands, 2, "reduce");
    const a = asArray(operands[0], "reduce");
    const init = asArray(operands[1], "reduce");
    if (init.dims.length !== 0 || init.element !== a.element) throw new ShapeRuleError("reduce: init must be a scalar of the operand's type");
    return arrayShape(a.element, a.dims.filter((_, i) => !p.dimensions.includes(i)));
  },
  attributes: (p) => ({ dimensions: p.dimensions, calledComputations: [p.reducer] }),
};

export const reduceWindow: OpRule<{ window: WindowDimension[]; reducer: number }> = {
  opcode: "reduce-window",
  pure: true,
  calls: true,
  shape(operands, p) {
    checkArity(operands, 2, "reduce-window");
    const a = asArray(operands[0], "reduce-window");
    return arrayShape(a.element, a.dims.map((d, i) => windowOutputSize(d, p.window[i]!)));
  },
  attributes: (p) => ({ window: p.window, calledComputations: [p.reducer] }),
};

export function windowOutputSize(size: number, w: WindowDimension): number {
  const dilatedBase = (size - 1) * w.baseDilation + 1;
  const padded = dilatedBase + w.paddingLow + w.paddingHigh;
  const dilatedWindow = (w.size - 1) * w.windowDilation + 1;
  return padded < dilatedWindow ? 0 : Math.floor((padded - dilatedWindow) / w.stride) + 1;
}

export const convolution: OpRule<{ window: WindowDimension[]; dimensionNumbers: ConvolutionDimensionNumbers; featureGroupCount: number; batchGroupCount: number }> = {
  opcode: "convolution",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 2, "convolution");
    const x = asArray(operands[0], "convolution");
    const k = asArray(operands[1], "convolution");
    const dn = p.dimensionNumbers;
    if (x.dims[dn.inputFeatureDimension] !== k.dims[dn.kernelInputFeatureDimension]! * p.featureGroupCount)
      throw new ShapeRuleError(`convolution: input features ${x.dims[dn.inputFeatureDimension]} do not match kernel ${fmtShape(k)}`);
    const out: number[] = new Array(x.dims.length).fill(0);
    out[dn.outputBatchDimension] = x.dims[dn.inputBatchDimension]! / p.batchGroupCount;
    out[dn.outputFeatureDimension] = k.dims[dn.kernelOutputFeatureDimension]!;
    dn.outputSpatialDimensions.forEach((od, i) => {
      out[od] = windowOutputSize(x.dims[dn.inputSpatialDimensions[i]!]!, p.window[i]!);
    });
    return arrayShape(x.element, out);
  },
  attributes: (p) => ({ window: p.window, convolutionDimensionNumbers: p.dimensionNumbers, featureGroupCount: p.featureGroupCount, batchGroupCount: p.batchGroupCount }),
};

/** Logical right shift of unsigned bits (random-number generation turns bits into floats with it). */
export const shiftRightLogical = binary("shift-right-logical", "int");

/** Reinterprets the bits of each element as another type of the same width. */
export const bitcastConvert: OpRule<ConvertParams> = {
  opcode: "bitcast-convert",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 1, "bitcast-convert");
    const a = asArray(operands[0], "bitcast-convert");
    if (BITS[a.element] !== BITS[p.element]) throw new ShapeRuleError(`bitcast-convert: ${a.element} and ${p.element} differ in width`);
    return arrayShape(p.element, a.dims);
  },
  attributes: () => ({}),
};

const BITS: Record<PrimitiveType, number> = { pred: 8, s8: 8, u8: 8, s16: 16, u16: 16, f16: 16, bf16: 16, s32: 32, u32: 32, f32: 32, s64: 64, u64: 64, f64: 64 };

// ---- control flow ---------------------------------------------------------------------------

export const whileLoop: OpRule<{ condition: number; body: number }> = {
  opcode: "while",
  pure: false,
  calls: true,
  shape(operands) {
    checkArity(operands, 1, "while");
    return operands[0]!;
  },
  attributes: (p) => ({ calledComputations: [p.condition, p.body] }),
};

export const conditional: OpRule<{ branches: number[]; resultShape: Shape }> = {
  opcode: "conditional",
  pure: false,
  calls: true,
  shape: (_operands, p) => p.resultShape,
  attributes: (p) => ({ calledComputations: p.branches }),
};

export const call: OpRule<{ callee: number; resultShape: Shape }> = {
  opcode: "call",
  pure: false,
  calls: true,
  shape: (_operands, p) => p.resultShape,
  attributes: (p) => ({ calledComputations: [p.callee] }),
};

/** Random bits from a key/state: (state, bits) = rng-bit-generator(state). */
export const rngBitGenerator: OpRule<{ algorithm: number; shape: ArrayShape }> = {
  opcode: "rng-bit-generator",
  pure: false,
  shape(operands, p) {
    checkArity(operands, 1, "rng-bit-generator");
    return tupleShape([operands[0]!, p.shape]);
  },
  attributes: (p) => ({ rngAlgorithm: p.algorithm }),
};

export { shapesEqual };

// ---- indexing (array-functions.ts) -----------------------------------------------------------

export interface GatherParams {
  offsetDims: number[];
  collapsedSliceDims: number[];
  startIndexMap: number[];
  indexVectorDim: number;
  sliceSizes: number[];
  indicesAreSorted: boolean;
}

/**
 * XLA's gather: for every index vector of `start_indices` (batch dimensions: all but
 * index_vector_dim, which may equal its rank for an implicit trailing 1), a slice of
 * `slice_sizes` from `operand`. The result holds the batch dimensions, in order, around the
 * `offset_dims` (the slice dimensions not in `collapsed_slice_dims`). Out-of-range starts are
 * clamped by XLA, never an error.
 */
export const gather: OpRule<GatherParams> = {
  opcode: "gather",
  pure: true,
  shape(operands, p) {
    checkArity(operands, 2, "gather");
    const a = asArray(operands[0], "gather");
    const idx = asArray(operands[1], "gather");
    checkElement(idx, "int", "gather");
    if (p.sliceSizes.length !== a.dims.length) throw new ShapeRuleError(`gather: slice_sizes [${p.sliceSizes.join(",")}] must have one size per dimension of ${fmtShape(a)}`);
    p.sliceSizes.forEach((s, i) => {
      if (s < 0 || s > a.dims[i]!) throw new ShapeRuleError(`gather: slice size ${s} out of bounds for dimension ${i} of ${fmtShape(a)}`);
    });
    for (const d of p.collapsedSliceDims) if (p.sliceSizes[d] !== 1) throw new ShapeRuleError(`gather: collapsed dimension ${d} must have slice size 1`);
    const indexVectorSize = p.indexVectorDim === idx.dims.length ? 1 : idx.dims[p.indexVectorDim];
    if (indexVectorSize !== p.startIndexMap.length) throw new ShapeRuleError(`gather: start_index_map has ${p.startIndexMap.length} entries, index vectors have ${indexVectorSize}`);
    const batch = idx.dims.filter((_, i) => i !== p.indexVectorDim);
    const offsets = p.sliceSizes.filter((_, i) => !p.collapsedSliceDims.includes(i));
    if (offsets.length !== p.offsetDims.length) throw new ShapeRuleError(`gather: offset_dims must name ${offsets.length} result dimensions`);
    const rank = batch.length + offsets.length;
    const out: number[] = [];
    let b = 0, o = 0;
    for (let i = 0; i < rank; i++) out.push(p.offsetDims.includes(i) ? offsets[o++]! : batch[b++]!);
    return arrayShape(a.element, out);
  },
  attributes: (p) => ({
    gatherDimensionNumbers: { offsetDims: p.offsetDims, collapsedSliceDims: p.collapsedSliceDims, startIndexMap: p.startIndexMap, indexVectorDim: p.indexVectorDim },
    gatherSliceSizes: p.sliceSizes,
    indicesAreSorted: p.indicesAreSorted,
  }),
};
