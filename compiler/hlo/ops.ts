// The op table: every HLO operation the compiler emits is defined here exactly once, with its
// shape/type rule and the attributes its emission carries. The builder checks every emission
// against the rule, the Julia library lowers to these rules, and the encoder and printer read the
// resulting instructions. (Gradients — each rule's VJP — join the same records.)
//
// All dimensions here are XLA's (row-major); the Julia-order mapping happens in the lowering.

import type { ArrayShape, ComparisonDirection, DotDimensionNumbers, HloInstruction, HloSharding, InstructionAttributes, Literal, PrimitiveType, Shape, WindowDimension, ConvolutionDimensionNumbers, ScatterDimensionNumbers } from "./ir.js";
import { arrayShape, tupleShape, shapesEqual } from "./ir.js";
import { primitiveInfo } from "../eltypes.js";

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
  /**
   * The op only holds, moves or converts values, computing nothing with them (reshape, slice,
   * convert, select, while...): element types a platform can only store (Float64 on a TPU) may pass
   * through it. Every other op computes, and the compiler checks its element types against the
   * target platform's capability table (compiler/eltypes.ts).
   */
  movesData?: boolean;
  /** The op takes XLA's precision_config (dot, convolution): the module's matmul precision is set on it. */
  precisionConfig?: boolean;
  /**
   * The vector-Jacobian product: given the cotangent of the result, the cotangent of each operand
   * (null: zero or not differentiable), emitted through `ctx`. "none" marks an op whose result
   * carries no derivative (integer, predicate and bit operations; constants and parameters).
   * Every rule has one; the generic checker (test/autodiff/vjp.test.ts) compares each with finite
   * differences in Float64. `Unsupported` names ops the lowering never emits inside a derivative.
   */
  vjp: Vjp;
}

/** A cotangent: an instruction id for an array result, one entry per element for a tuple result, null for zero. */
export type Cotangent = number | null | Cotangent[];

export type Vjp = ((ctx: VjpContext, ct: Cotangent) => Cotangent[]) | "none" | Unsupported;

/** A VJP that is not implemented, with the reason (checked by name in the generic checker). */
export interface Unsupported {
  unsupported: string;
}

/**
 * What a VJP rule sees: the forward instruction (its attributes and shape), its operands and
 * result as ids in the computation the cotangents are emitted into, and a way to emit there.
 */
export interface VjpContext {
  instruction: HloInstruction;
  operands: number[];
  result: number;
  emit<P>(rule: OpRule<P>, operands: number[], params: P): number;
  shapeOf(id: number): Shape;
  /** The opcode at the root of a called scalar computation (a reduce's reducer). */
  calledRoot(computationId: number): string;
  /** The module's scalar computation applying `rule` (for reduce, reduce-window, scatter). */
  reducer(rule: OpRule<void>, element: PrimitiveType): number;
}

const REGISTRY = new Map<string, OpRule<unknown>>();

/**
 * Registers an op: its shape rule, emission attributes and VJP stand together in one record, one
 * call per op (as jax/_src/lax registers each primitive). The registry is the op table that
 * autodiff and the rule tests read; an opcode is registered once.
 */
function defineOp<P>(rule: OpRule<P>): OpRule<P> {
  if (REGISTRY.has(rule.opcode)) throw new Error(`internal: op ${rule.opcode} is registered twice`);
  REGISTRY.set(rule.opcode, rule as OpRule<unknown>);
  return rule;
}

/** Every registered op, by opcode. */
export function registeredOps(): ReadonlyMap<string, OpRule<unknown>> {
  return REGISTRY;
}

export const isFloatType = (t: PrimitiveType): boolean => primitiveInfo(t).kind === "float";
export const isIntegerType = (t: PrimitiveType): boolean => primitiveInfo(t).kind === "signed" || primitiveInfo(t).kind === "unsigned";

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

/** Each of `dims` names a distinct dimension of an array of rank `rank`. */
function checkDimensions(dims: readonly number[], rank: number, opcode: string, what = "dimension"): void {
  const seen = new Set<number>();
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d >= rank) throw new ShapeRuleError(`${opcode}: ${what} ${d} is out of range for rank ${rank}`);
    if (seen.has(d)) throw new ShapeRuleError(`${opcode}: ${what} ${d} is named twice`);
    seen.add(d);
  }
}

function checkLength(values: readonly unknown[], rank: number, opcode: string, what: string): void {
  if (values.length !== rank) throw new ShapeRuleError(`${opcode}: ${what} has ${values.length} entries, the operand has rank ${rank}`);
}

/** `s` is a scalar of element type `element` (init and padding values). */
function checkScalarOf(s: ArrayShape, element: PrimitiveType, opcode: string, what: string): void {
  if (s.dims.length !== 0 || s.element !== element) throw new ShapeRuleError(`${opcode}: ${what} ${fmtShape(s)} must be a scalar ${element}`);
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

function unary(opcode: string, kind: ElementKind, vjp: Vjp): OpRule<void> {
  return {
    opcode,
    pure: true,
    vjp,
    shape(operands) {
      checkArity(operands, 1, opcode);
      const a = asArray(operands[0], opcode);
      checkElement(a, kind, opcode);
      return a;
    },
    attributes: () => ({}),
  };
}

function binary(opcode: string, kind: ElementKind, vjp: Vjp): OpRule<void> {
  return {
    opcode,
    pure: true,
    vjp,
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

export const add: OpRule<void> = defineOp(binary("add", "any", (_c, ct) => [ct, ct]));
export const subtract: OpRule<void> = defineOp(binary("subtract", "numeric", (c, ct) => [ct, neg(c, ct)]));
export const multiply: OpRule<void> = defineOp(binary("multiply", "any", (c, ct) => [mul(c, ct, c.operands[1]!), mul(c, ct, c.operands[0]!)]));
export const divide: OpRule<void> = defineOp(binary("divide", "numeric", (c, ct) => [div(c, ct, c.operands[1]!), neg(c, mul(c, ct, div(c, c.result, c.operands[1]!)))]));
export const remainder: OpRule<void> = defineOp(binary("remainder", "numeric", (c, ct) => [ct, neg(c, mul(c, ct, trunc(c, div(c, c.operands[0]!, c.operands[1]!))))]));
export const power: OpRule<void> = defineOp(binary("power", "numeric", powerVjp));
export const maximum: OpRule<void> = defineOp(binary("maximum", "any", (c, ct) => chooseVjp(c, ct as number, true)));
export const minimum: OpRule<void> = defineOp(binary("minimum", "any", (c, ct) => chooseVjp(c, ct as number, false)));
export const atan2: OpRule<void> = defineOp(binary("atan2", "float", atan2Vjp));
export const and: OpRule<void> = defineOp(binary("and", "int-or-pred", "none"));
export const or: OpRule<void> = defineOp(binary("or", "int-or-pred", "none"));
export const xor: OpRule<void> = defineOp(binary("xor", "int-or-pred", "none"));
export const shiftLeft: OpRule<void> = defineOp(binary("shift-left", "int", "none"));
export const shiftRightArithmetic: OpRule<void> = defineOp(binary("shift-right-arithmetic", "int", "none"));

export const negate: OpRule<void> = defineOp(unary("negate", "numeric", (c, ct) => [neg(c, ct)]));
export const abs: OpRule<void> = defineOp(unary("abs", "numeric", (c, ct) => [mul(c, ct, c.emit(sign, [c.operands[0]!], undefined))]));
export const sign: OpRule<void> = defineOp(unary("sign", "numeric", () => [null]));
export const exp: OpRule<void> = defineOp(unary("exponential", "float", (c, ct) => [mul(c, ct, c.result)]));
export const expm1: OpRule<void> = defineOp(unary("exponential-minus-one", "float", (c, ct) => [mul(c, ct, add1(c, c.result))]));
export const log: OpRule<void> = defineOp(unary("log", "float", (c, ct) => [div(c, ct, c.operands[0]!)]));
export const log1p: OpRule<void> = defineOp(unary("log-plus-one", "float", (c, ct) => [div(c, ct, add1(c, c.operands[0]!))]));
export const sqrt: OpRule<void> = defineOp(unary("sqrt", "float", (c, ct) => [div(c, ct, mul(c, filled(c, c.result, 2), c.result))]));
export const rsqrt: OpRule<void> = defineOp(unary("rsqrt", "float", (c, ct) => [mul(c, ct, mul(c, filled(c, c.result, -0.5), div(c, c.result, c.operands[0]!)))]));
export const cbrt: OpRule<void> = defineOp(unary("cbrt", "float", (c, ct) => [div(c, ct, mul(c, filled(c, c.result, 3), mul(c, c.result, c.result)))]));
export const tanh: OpRule<void> = defineOp(unary("tanh", "float", (c, ct) => [mul(c, ct, c.emit(subtract, [filled(c, c.result, 1), mul(c, c.result, c.result)], undefined))]));
export const logistic: OpRule<void> = defineOp(unary("logistic", "float", (c, ct) => [mul(c, ct, mul(c, c.result, c.emit(subtract, [filled(c, c.result, 1), c.result], undefined)))]));
export const sin: OpRule<void> = defineOp(unary("sine", "float", (c, ct) => [mul(c, ct, c.emit(cos, [c.operands[0]!], undefined))]));
export const cos: OpRule<void> = defineOp(unary("cosine", "float", (c, ct) => [neg(c, mul(c, ct, c.emit(sin, [c.operands[0]!], undefined)))]));
export const tan: OpRule<void> = defineOp(unary("tan", "float", (c, ct) => [mul(c, ct, add1(c, mul(c, c.result, c.result)))]));
export const floor: OpRule<void> = defineOp(unary("floor", "float", () => [null]));
export const ceil: OpRule<void> = defineOp(unary("ceil", "float", () => [null]));
export const roundNearestEven: OpRule<void> = defineOp(unary("round-nearest-even", "float", () => [null]));
export const not: OpRule<void> = defineOp(unary("not", "int-or-pred", "none"));
export const isFinite: OpRule<void> = defineOp({
  opcode: "is-finite",
  pure: true,
  vjp: "none",
  shape(operands) {
    checkArity(operands, 1, "is-finite");
    const a = asArray(operands[0], "is-finite");
    checkElement(a, "float", "is-finite");
    return arrayShape("pred", a.dims);
  },
  attributes: () => ({}),
});

export interface CompareParams {
  direction: ComparisonDirection;
  /** FLOAT, SIGNED, UNSIGNED (pred compares as UNSIGNED): XLA's comparison_type. */
  type: "FLOAT" | "SIGNED" | "UNSIGNED";
}

export const compare: OpRule<CompareParams> = defineOp({
  opcode: "compare",
  pure: true,
  vjp: "none",
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
});

export const select: OpRule<void> = defineOp({
  opcode: "select",
  movesData: true,
  pure: true,
  vjp: (c, ct) => [null, selectCt(c, ct as number, true), selectCt(c, ct as number, false)],
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
});

export const clamp: OpRule<void> = defineOp({
  opcode: "clamp",
  pure: true,
  vjp: clampVjp,
  shape(operands) {
    checkArity(operands, 3, "clamp");
    const lo = asArray(operands[0], "clamp");
    const x = asArray(operands[1], "clamp");
    const hi = asArray(operands[2], "clamp");
    checkElement(x, "numeric", "clamp");
    for (const [bound, name] of [[lo, "min"], [hi, "max"]] as const) {
      if (bound.element !== x.element || (bound.dims.length !== 0 && !sameDims(bound.dims, x.dims)))
        throw new ShapeRuleError(`clamp: ${name} ${fmtShape(bound)} must be a scalar or shaped like the operand ${fmtShape(x)}`);
    }
    return x;
  },
  attributes: () => ({}),
});

export interface ConvertParams {
  element: PrimitiveType;
}

export const convert: OpRule<ConvertParams> = defineOp({
  opcode: "convert",
  movesData: true,
  pure: true,
  vjp: (c, ct) => (isFloatType(arrayOf(c, c.operands[0]!).element) && isFloatType(arrayOf(c, c.result).element) ? [c.emit(convert, [ct as number], { element: arrayOf(c, c.operands[0]!).element })] : [null]),
  shape(operands, p) {
    checkArity(operands, 1, "convert");
    return arrayShape(p.element, asArray(operands[0], "convert").dims);
  },
  attributes: () => ({}),
});

// ---- structural ----------------------------------------------------------------------------

export interface ParameterParams {
  number: number;
  shape: Shape;
}

export const parameter: OpRule<ParameterParams> = defineOp({
  opcode: "parameter",
  movesData: true,
  pure: false,
  vjp: "none",
  shape(operands, p) {
    checkArity(operands, 0, "parameter");
    if (!Number.isInteger(p.number) || p.number < 0) throw new ShapeRuleError(`parameter: number ${p.number} is not an index`);
    return p.shape;
  },
  attributes: (p) => ({ parameterNumber: p.number }),
});

export const constant: OpRule<{ literal: Literal }> = defineOp({
  opcode: "constant",
  movesData: true,
  pure: true,
  vjp: "none",
  shape(operands, p) {
    checkArity(operands, 0, "constant");
    const n = p.literal.shape.dims.reduce((x, y) => x * y, 1);
    if (p.literal.values.length !== n) throw new ShapeRuleError(`constant: ${p.literal.values.length} values for ${fmtShape(p.literal.shape)}`);
    return p.literal.shape;
  },
  attributes: (p) => ({ literal: p.literal }),
});

export const tuple: OpRule<void> = defineOp({
  opcode: "tuple",
  movesData: true,
  pure: true,
  vjp: (c, ct) => c.operands.map((_, i) => (Array.isArray(ct) ? ct[i] ?? null : null)),
  shape(operands) {
    // XLA's tuple takes operands of any shapes; each must have one.
    operands.forEach((o, i) => {
      if (!o) throw new ShapeRuleError(`tuple: operand ${i} has no shape`);
    });
    return tupleShape(operands);
  },
  attributes: () => ({}),
});

export const getTupleElement: OpRule<{ index: number }> = defineOp({
  opcode: "get-tuple-element",
  movesData: true,
  pure: true,
  vjp: (c, ct) => [tupleCotangent(c.shapeOf(c.operands[0]!), c.instruction.attributes.tupleIndex!, ct)],
  shape(operands, p) {
    checkArity(operands, 1, "get-tuple-element");
    const t = operands[0]!;
    if (t.kind !== "tuple" || !Number.isInteger(p.index) || p.index < 0 || p.index >= t.elements.length) throw new ShapeRuleError("get-tuple-element: index out of range");
    return t.elements[p.index]!;
  },
  attributes: (p) => ({ tupleIndex: p.index }),
});

/** XLA's `broadcast` is broadcast_in_dim: operand dimension i becomes result dimension dimensions[i]. */
export const broadcast: OpRule<{ dims: number[]; dimensions: number[] }> = defineOp({
  opcode: "broadcast",
  movesData: true,
  pure: true,
  vjp: broadcastVjp,
  shape(operands, p) {
    checkArity(operands, 1, "broadcast");
    const a = asArray(operands[0], "broadcast");
    if (p.dimensions.length !== a.dims.length) throw new ShapeRuleError("broadcast: dimensions must map every operand dimension");
    if (p.dims.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeRuleError(`broadcast: [${p.dims.join(",")}] is not a shape`);
    p.dimensions.forEach((d, i) => {
      if (d >= p.dims.length || (a.dims[i] !== p.dims[d] && a.dims[i] !== 1)) throw new ShapeRuleError(`broadcast: operand ${fmtShape(a)} does not fit [${p.dims.join(",")}] at ${d}`);
      if (i > 0 && d <= p.dimensions[i - 1]!) throw new ShapeRuleError("broadcast: dimensions must be increasing");
    });
    return arrayShape(a.element, p.dims);
  },
  attributes: (p) => ({ dimensions: p.dimensions }),
});

export const reshape: OpRule<{ dims: number[] }> = defineOp({
  opcode: "reshape",
  movesData: true,
  pure: true,
  vjp: (c, ct) => [c.emit(reshape, [ct as number], { dims: arrayOf(c, c.operands[0]!).dims })],
  shape(operands, p) {
    checkArity(operands, 1, "reshape");
    const a = asArray(operands[0], "reshape");
    const n = (ds: number[]) => ds.reduce((x, y) => x * y, 1);
    if (p.dims.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeRuleError(`reshape: [${p.dims.join(",")}] is not a shape`);
    if (n(a.dims) !== n(p.dims)) throw new ShapeRuleError(`reshape: ${fmtShape(a)} has ${n(a.dims)} elements, [${p.dims.join(",")}] needs ${n(p.dims)}`);
    return arrayShape(a.element, p.dims);
  },
  attributes: () => ({}),
});

/** Result dimension i is operand dimension permutation[i]. */
export const transpose: OpRule<{ permutation: number[] }> = defineOp({
  opcode: "transpose",
  movesData: true,
  pure: true,
  vjp: transposeVjp,
  shape(operands, p) {
    checkArity(operands, 1, "transpose");
    const a = asArray(operands[0], "transpose");
    if (p.permutation.length !== a.dims.length) throw new ShapeRuleError(`transpose: [${p.permutation.join(",")}] is not a permutation of ${fmtShape(a)}'s dimensions`);
    checkDimensions(p.permutation, a.dims.length, "transpose");
    return arrayShape(a.element, p.permutation.map((d) => a.dims[d]!));
  },
  attributes: (p) => ({ dimensions: p.permutation }),
});

export const reverse: OpRule<{ dimensions: number[] }> = defineOp({
  opcode: "reverse",
  movesData: true,
  pure: true,
  vjp: (c, ct) => [c.emit(reverse, [ct as number], { dimensions: c.instruction.attributes.dimensions! })],
  shape(operands, p) {
    checkArity(operands, 1, "reverse");
    const a = asArray(operands[0], "reverse");
    checkDimensions(p.dimensions, a.dims.length, "reverse");
    return a;
  },
  attributes: (p) => ({ dimensions: p.dimensions }),
});

export const iota: OpRule<{ shape: ArrayShape; dimension: number }> = defineOp({
  opcode: "iota",
  pure: true,
  vjp: "none",
  shape(operands, p) {
    checkArity(operands, 0, "iota");
    // XLA's verifier: iota has no scalar form, and its dimension is one of the result's.
    if (p.shape.dims.length === 0) throw new ShapeRuleError("iota: the shape must have at least one dimension");
    checkDimensions([p.dimension], p.shape.dims.length, "iota");
    checkElement(p.shape, "numeric", "iota");
    return p.shape;
  },
  attributes: (p) => ({ dimensions: [p.dimension] }),
});

export interface SliceParams {
  start: number[];
  limit: number[];
  stride: number[];
}

export const slice: OpRule<SliceParams> = defineOp({
  opcode: "slice",
  movesData: true,
  pure: true,
  vjp: sliceVjp,
  shape(operands, p) {
    checkArity(operands, 1, "slice");
    const a = asArray(operands[0], "slice");
    checkLength(p.start, a.dims.length, "slice", "start");
    checkLength(p.limit, a.dims.length, "slice", "limit");
    checkLength(p.stride, a.dims.length, "slice", "stride");
    const dims = a.dims.map((d, i) => {
      const lo = p.start[i]!, hi = p.limit[i]!, st = p.stride[i]!;
      if (lo < 0 || hi > d || lo > hi || st < 1) throw new ShapeRuleError(`slice: [${lo}:${hi}:${st}] out of bounds for dimension ${i} of ${fmtShape(a)}`);
      return Math.ceil((hi - lo) / st);
    });
    return arrayShape(a.element, dims);
  },
  attributes: (p) => ({ sliceDimensions: p.start.map((s, i) => ({ start: s, limit: p.limit[i]!, stride: p.stride[i]! })) }),
});

/** The start indices of a dynamic slice or update: one integer scalar per dimension, all of one type. */
function checkStartIndices(indices: Shape[], rank: number, opcode: string): void {
  if (indices.length !== rank) throw new ShapeRuleError(`${opcode}: ${indices.length} start indices for an operand of rank ${rank}`);
  const first = indices[0] ? asArray(indices[0], opcode) : undefined;
  for (const s of indices) {
    const a = asArray(s, opcode);
    checkElement(a, "int", opcode);
    if (a.dims.length !== 0 || a.element !== first!.element) throw new ShapeRuleError(`${opcode}: start index ${fmtShape(a)} must be a scalar ${first!.element}`);
  }
}

/**
 * XLA's dynamic-slice (operands: operand, then one scalar start index per dimension): a slice of
 * `sizes` at traced starts. XLA clamps each start into [0, dim - size], never an error.
 */
export const dynamicSlice: OpRule<{ sizes: number[] }> = defineOp({
  opcode: "dynamic-slice",
  movesData: true,
  pure: true,
  vjp: dynamicSliceVjp,
  shape(operands, p) {
    const a = asArray(operands[0], "dynamic-slice");
    checkStartIndices(operands.slice(1), a.dims.length, "dynamic-slice");
    checkLength(p.sizes, a.dims.length, "dynamic-slice", "slice sizes");
    p.sizes.forEach((s, i) => {
      if (!Number.isInteger(s) || s < 0 || s > a.dims[i]!) throw new ShapeRuleError(`dynamic-slice: size ${s} out of bounds for dimension ${i} of ${fmtShape(a)}`);
    });
    return arrayShape(a.element, [...p.sizes]);
  },
  attributes: (p) => ({ dynamicSliceSizes: p.sizes }),
});

/**
 * XLA's dynamic-update-slice (operands: operand, update, then one scalar start index per
 * dimension): the operand with the update written at the starts, each clamped as dynamic-slice's.
 */
export const dynamicUpdateSlice: OpRule<void> = defineOp({
  opcode: "dynamic-update-slice",
  movesData: true,
  pure: true,
  vjp: dynamicUpdateSliceVjp,
  shape(operands) {
    const a = asArray(operands[0], "dynamic-update-slice");
    const u = asArray(operands[1], "dynamic-update-slice");
    if (u.element !== a.element || u.dims.length !== a.dims.length || u.dims.some((d, i) => d > a.dims[i]!))
      throw new ShapeRuleError(`dynamic-update-slice: update ${fmtShape(u)} does not fit in ${fmtShape(a)}`);
    checkStartIndices(operands.slice(2), a.dims.length, "dynamic-update-slice");
    return a;
  },
  attributes: () => ({}),
});

export const concatenate: OpRule<{ dimension: number }> = defineOp({
  opcode: "concatenate",
  movesData: true,
  pure: true,
  vjp: concatenateVjp,
  shape(operands, p) {
    if (operands.length === 0) throw new ShapeRuleError("concatenate: no operands");
    const first = asArray(operands[0], "concatenate");
    checkDimensions([p.dimension], first.dims.length, "concatenate");
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
});

export const pad: OpRule<{ low: number[]; high: number[]; interior: number[] }> = defineOp({
  opcode: "pad",
  movesData: true,
  pure: true,
  vjp: padVjp,
  shape(operands, p) {
    checkArity(operands, 2, "pad");
    const a = asArray(operands[0], "pad");
    checkScalarOf(asArray(operands[1], "pad"), a.element, "pad", "padding value");
    checkLength(p.low, a.dims.length, "pad", "low padding");
    checkLength(p.high, a.dims.length, "pad", "high padding");
    checkLength(p.interior, a.dims.length, "pad", "interior padding");
    if (p.interior.some((i) => i < 0)) throw new ShapeRuleError(`pad: interior padding [${p.interior.join(",")}] must not be negative`);
    const dims = a.dims.map((d, i) => d + p.low[i]! + p.high[i]! + Math.max(0, d - 1) * p.interior[i]!);
    if (dims.some((d) => d < 0)) throw new ShapeRuleError(`pad: negative padding leaves ${fmtShape(a)} with dimensions [${dims.join(",")}]`);
    return arrayShape(a.element, a.dims.map((d, i) => d + p.low[i]! + p.high[i]! + Math.max(0, d - 1) * p.interior[i]!));
  },
  attributes: (p) => ({ paddingConfig: p.low.map((l, i) => ({ edgePaddingLow: l, edgePaddingHigh: p.high[i]!, interiorPadding: p.interior[i]! })) }),
});

// ---- contractions and reductions ------------------------------------------------------------

export const dot: OpRule<DotDimensionNumbers> = defineOp({
  opcode: "dot",
  precisionConfig: true,
  pure: true,
  vjp: dotVjp,
  shape(operands, p) {
    checkArity(operands, 2, "dot");
    const a = asArray(operands[0], "dot");
    const b = asArray(operands[1], "dot");
    if (a.element !== b.element) throw new ShapeRuleError(`dot: element types ${a.element} and ${b.element} differ`);
    checkDimensions([...p.lhsContractingDimensions, ...p.lhsBatchDimensions], a.dims.length, "dot", "lhs dimension");
    checkDimensions([...p.rhsContractingDimensions, ...p.rhsBatchDimensions], b.dims.length, "dot", "rhs dimension");
    if (p.lhsContractingDimensions.length !== p.rhsContractingDimensions.length || p.lhsBatchDimensions.length !== p.rhsBatchDimensions.length)
      throw new ShapeRuleError("dot: lhs and rhs must name as many contracting and as many batch dimensions");
    p.lhsBatchDimensions.forEach((d, i) => {
      if (a.dims[d] !== b.dims[p.rhsBatchDimensions[i]!]) throw new ShapeRuleError(`dot: batch sizes differ: ${fmtShape(a)} · ${fmtShape(b)}`);
    });
    p.lhsContractingDimensions.forEach((d, i) => {
      if (a.dims[d] !== b.dims[p.rhsContractingDimensions[i]!]) throw new ShapeRuleError(`dot: contracting sizes differ: ${fmtShape(a)} · ${fmtShape(b)}`);
    });
    const batch = p.lhsBatchDimensions.map((d) => a.dims[d]!);
    const lhsFree = a.dims.filter((_, i) => !p.lhsContractingDimensions.includes(i) && !p.lhsBatchDimensions.includes(i));
    const rhsFree = b.dims.filter((_, i) => !p.rhsContractingDimensions.includes(i) && !p.rhsBatchDimensions.includes(i));
    return arrayShape(a.element, [...batch, ...lhsFree, ...rhsFree]);
  },
  attributes: (p) => ({ dotDimensionNumbers: p }),
});

/** Reduce over `dimensions` with the scalar reducer computation `reducer` (operands: input, init value). */
export const reduce: OpRule<{ dimensions: number[]; reducer: number }> = defineOp({
  opcode: "reduce",
  pure: true,
  vjp: reduceVjp,
  calls: true,
  shape(operands, p) {
    checkArity(operands, 2, "reduce");
    const a = asArray(operands[0], "reduce");
    const init = asArray(operands[1], "reduce");
    if (init.dims.length !== 0 || init.element !== a.element) throw new ShapeRuleError("reduce: init must be a scalar of the operand's type");
    checkDimensions(p.dimensions, a.dims.length, "reduce");
    return arrayShape(a.element, a.dims.filter((_, i) => !p.dimensions.includes(i)));
  },
  attributes: (p) => ({ dimensions: p.dimensions, calledComputations: [p.reducer] }),
});

export const reduceWindow: OpRule<{ window: WindowDimension[]; reducer: number }> = defineOp({
  opcode: "reduce-window",
  pure: true,
  vjp: reduceWindowVjp,
  calls: true,
  shape(operands, p) {
    checkArity(operands, 2, "reduce-window");
    const a = asArray(operands[0], "reduce-window");
    checkScalarOf(asArray(operands[1], "reduce-window"), a.element, "reduce-window", "init value");
    checkLength(p.window, a.dims.length, "reduce-window", "the window");
    checkWindow(p.window, "reduce-window");
    return arrayShape(a.element, a.dims.map((d, i) => windowOutputSize(d, p.window[i]!)));
  },
  attributes: (p) => ({ window: p.window, calledComputations: [p.reducer] }),
});

/** XLA's window rule: positive sizes, strides and dilations. */
function checkWindow(window: readonly WindowDimension[], opcode: string): void {
  window.forEach((w, i) => {
    if (w.size < 1 || w.stride < 1 || w.windowDilation < 1 || w.baseDilation < 1)
      throw new ShapeRuleError(`${opcode}: window dimension ${i} needs a positive size, stride and dilations, got size ${w.size}, stride ${w.stride}`);
  });
}

export function windowOutputSize(size: number, w: WindowDimension): number {
  const dilatedBase = (size - 1) * w.baseDilation + 1;
  const padded = dilatedBase + w.paddingLow + w.paddingHigh;
  const dilatedWindow = (w.size - 1) * w.windowDilation + 1;
  return padded < dilatedWindow ? 0 : Math.floor((padded - dilatedWindow) / w.stride) + 1;
}

export const convolution: OpRule<{ window: WindowDimension[]; dimensionNumbers: ConvolutionDimensionNumbers; featureGroupCount: number; batchGroupCount: number }> = defineOp({
  opcode: "convolution",
  precisionConfig: true,
  pure: true,
  vjp: convolutionVjp,
  shape(operands, p) {
    checkArity(operands, 2, "convolution");
    const x = asArray(operands[0], "convolution");
    const k = asArray(operands[1], "convolution");
    const dn = p.dimensionNumbers;
    if (x.element !== k.element) throw new ShapeRuleError(`convolution: element types ${x.element} and ${k.element} differ`);
    if (x.dims.length !== k.dims.length || x.dims.length < 2) throw new ShapeRuleError(`convolution: input ${fmtShape(x)} and kernel ${fmtShape(k)} must have one rank, at least 2`);
    const spatial = x.dims.length - 2;
    if (dn.inputSpatialDimensions.length !== spatial || dn.kernelSpatialDimensions.length !== spatial || dn.outputSpatialDimensions.length !== spatial)
      throw new ShapeRuleError(`convolution: ${spatial} spatial dimensions expected in the dimension numbers`);
    checkDimensions([dn.inputBatchDimension, dn.inputFeatureDimension, ...dn.inputSpatialDimensions], x.dims.length, "convolution", "input dimension");
    checkDimensions([dn.kernelInputFeatureDimension, dn.kernelOutputFeatureDimension, ...dn.kernelSpatialDimensions], k.dims.length, "convolution", "kernel dimension");
    checkDimensions([dn.outputBatchDimension, dn.outputFeatureDimension, ...dn.outputSpatialDimensions], x.dims.length, "convolution", "output dimension");
    checkLength(p.window, spatial, "convolution", "the window");
    checkWindow(p.window, "convolution");
    dn.kernelSpatialDimensions.forEach((kd, i) => {
      if (k.dims[kd] !== p.window[i]!.size) throw new ShapeRuleError(`convolution: window size ${p.window[i]!.size} differs from kernel ${fmtShape(k)} along its dimension ${kd}`);
    });
    if (p.featureGroupCount < 1 || p.batchGroupCount < 1 || x.dims[dn.inputBatchDimension]! % p.batchGroupCount !== 0)
      throw new ShapeRuleError(`convolution: group counts ${p.featureGroupCount}, ${p.batchGroupCount} do not divide ${fmtShape(x)}`);
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
});

/** Logical right shift of unsigned bits (random-number generation turns bits into floats with it). */
export const shiftRightLogical: OpRule<void> = defineOp(binary("shift-right-logical", "int", "none"));

/** Reinterprets the bits of each element as another type of the same width. */
export const bitcastConvert: OpRule<ConvertParams> = defineOp({
  opcode: "bitcast-convert",
  movesData: true,
  pure: true,
  vjp: "none",
  shape(operands, p) {
    checkArity(operands, 1, "bitcast-convert");
    const a = asArray(operands[0], "bitcast-convert");
    if (primitiveInfo(a.element).bytes !== primitiveInfo(p.element).bytes) throw new ShapeRuleError(`bitcast-convert: ${a.element} and ${p.element} differ in width`);
    return arrayShape(p.element, a.dims);
  },
  attributes: () => ({}),
});

/**
 * A sharding constraint: the value itself, to be split over the partitions as `sharding` says
 * (XLA's `custom-call` with target "Sharding", as JAX's with_sharding_constraint emits it; the SPMD
 * partitioner reshards there, and a module on one device drops it). The only custom call we emit,
 * hence registered under the opcode. Its VJP constrains the cotangent the same way, as JAX's does.
 */
export const shardingConstraint: OpRule<{ sharding: HloSharding }> = defineOp({
  opcode: "custom-call",
  movesData: true,
  pure: true,
  vjp: (c, ct) => [ct === null ? null : c.emit(shardingConstraint, [ct as number], { sharding: c.instruction.attributes.sharding! })],
  shape(operands, p) {
    checkArity(operands, 1, "custom-call");
    const a = asArray(operands[0], "custom-call");
    const s = p.sharding;
    if (s.kind === "tuple") throw new ShapeRuleError("custom-call: a tuple sharding on an array");
    if (s.kind === "tiled") {
      const tiles = s.tileAssignmentDimensions;
      if (tiles.length !== a.dims.length + (s.replicateOnLastTileDim ? 1 : 0)) throw new ShapeRuleError(`custom-call: a sharding over ${tiles.length} dimensions for ${fmtShape(a)}`);
      if (tiles.reduce((n, d) => n * d, 1) !== s.tileAssignmentDevices.length) throw new ShapeRuleError(`custom-call: ${s.tileAssignmentDevices.length} devices for a tile grid of [${tiles.join(",")}]`);
    }
    return a;
  },
  attributes: (p) => ({ customCallTarget: "Sharding", sharding: p.sharding }),
});

// ---- control flow ---------------------------------------------------------------------------

export const whileLoop: OpRule<{ condition: number; body: number }> = defineOp({
  opcode: "while",
  movesData: true,
  pure: false,
  vjp: { unsupported: "a while loop is differentiated by the autodiff driver (compiler/autodiff), which unrolls a known trip count; the rule itself has no VJP" },
  calls: true,
  shape(operands) {
    checkArity(operands, 1, "while");
    return operands[0]!;
  },
  attributes: (p) => ({ calledComputations: [p.condition, p.body] }),
});

/** A called computation's signature: its parameter shapes and its result shape. */
export interface ProgramShape {
  parameters: Shape[];
  result: Shape;
}

function describeShape(s: Shape): string {
  return s.kind === "array" ? fmtShape(s) : s.kind === "tuple" ? `(${s.elements.map(describeShape).join(", ")})` : "token";
}

/** XLA's conditional: a pred selector picks of two branches, an s32 one of n; branch i takes operand i + 1; all branches return one shape. */
export const conditional: OpRule<{ branches: number[]; programs: ProgramShape[] }> = defineOp({
  opcode: "conditional",
  movesData: true,
  pure: false,
  vjp: { unsupported: "the lowering never emits conditional (a traced `if` becomes select)" },
  calls: true,
  shape(operands, p) {
    if (p.branches.length < 1 || p.programs.length !== p.branches.length) throw new ShapeRuleError("conditional: needs at least one branch, each with its signature");
    checkArity(operands, p.branches.length + 1, "conditional");
    const selector = asArray(operands[0], "conditional");
    const byPred = selector.element === "pred";
    if (selector.dims.length !== 0 || (!byPred && selector.element !== "s32")) throw new ShapeRuleError(`conditional: the branch selector ${fmtShape(selector)} must be a pred or s32 scalar`);
    if (byPred && p.branches.length !== 2) throw new ShapeRuleError(`conditional: a pred selector chooses between 2 branches, not ${p.branches.length}`);
    const result = p.programs[0]!.result;
    p.programs.forEach((program, i) => {
      if (program.parameters.length !== 1 || !shapesEqual(program.parameters[0]!, operands[i + 1]!))
        throw new ShapeRuleError(`conditional: branch ${i} must take one parameter shaped like its operand ${describeShape(operands[i + 1]!)}`);
      if (!shapesEqual(program.result, result)) throw new ShapeRuleError(`conditional: branch ${i} returns ${describeShape(program.result)}, branch 0 ${describeShape(result)}`);
    });
    return result;
  },
  attributes: (p) => ({ calledComputations: p.branches }),
});

export const call: OpRule<{ callee: number; program: ProgramShape }> = defineOp({
  opcode: "call",
  movesData: true,
  pure: false,
  vjp: { unsupported: "the lowering never emits call (every Julia call is inlined)" },
  calls: true,
  shape(operands, p) {
    checkArity(operands, p.program.parameters.length, "call");
    p.program.parameters.forEach((param, i) => {
      if (!shapesEqual(param, operands[i]!)) throw new ShapeRuleError(`call: operand ${i} ${describeShape(operands[i]!)} does not match the callee's parameter ${describeShape(param)}`);
    });
    return p.program.result;
  },
  attributes: (p) => ({ calledComputations: [p.callee] }),
});

/** Random bits from a key/state: (state, bits) = rng-bit-generator(state). */
export const rngBitGenerator: OpRule<{ algorithm: number; shape: ArrayShape }> = defineOp({
  opcode: "rng-bit-generator",
  pure: false,
  vjp: "none",
  shape(operands, p) {
    checkArity(operands, 1, "rng-bit-generator");
    const state = asArray(operands[0], "rng-bit-generator");
    if (state.element !== "u64" || state.dims.length !== 1) throw new ShapeRuleError(`rng-bit-generator: the state ${fmtShape(state)} must be a u64 vector`);
    checkElement(p.shape, "int", "rng-bit-generator");
    return tupleShape([operands[0]!, p.shape]);
  },
  attributes: (p) => ({ rngAlgorithm: p.algorithm }),
});

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
export const gather: OpRule<GatherParams> = defineOp({
  opcode: "gather",
  movesData: true,
  pure: true,
  vjp: gatherVjp,
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
    checkDimensions(p.collapsedSliceDims, a.dims.length, "gather", "collapsed slice dimension");
    checkDimensions(p.startIndexMap, a.dims.length, "gather", "start_index_map entry");
    if (!Number.isInteger(p.indexVectorDim) || p.indexVectorDim < 0 || p.indexVectorDim > idx.dims.length)
      throw new ShapeRuleError(`gather: index_vector_dim ${p.indexVectorDim} is out of range for indices ${fmtShape(idx)}`);
    const indexVectorSize = p.indexVectorDim === idx.dims.length ? 1 : idx.dims[p.indexVectorDim];
    if (indexVectorSize !== p.startIndexMap.length) throw new ShapeRuleError(`gather: start_index_map has ${p.startIndexMap.length} entries, index vectors have ${indexVectorSize}`);
    const batch = idx.dims.filter((_, i) => i !== p.indexVectorDim);
    const offsets = p.sliceSizes.filter((_, i) => !p.collapsedSliceDims.includes(i));
    if (offsets.length !== p.offsetDims.length) throw new ShapeRuleError(`gather: offset_dims must name ${offsets.length} result dimensions`);
    const rank = batch.length + offsets.length;
    checkDimensions(p.offsetDims, rank, "gather", "offset dimension");
    if (p.offsetDims.some((d, i) => i > 0 && d < p.offsetDims[i - 1]!)) throw new ShapeRuleError("gather: offset_dims must be sorted");
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
});

export interface ScatterParams {
  dimensionNumbers: ScatterDimensionNumbers;
  /** The scalar computation combining an existing element with an update (add, for gather's transpose). */
  updater: number;
  indicesAreSorted: boolean;
  uniqueIndices: boolean;
}

/**
 * XLA's scatter (operands: operand, scatter indices, updates): each update window is combined
 * into the operand at its index with `updater`. Gather's transpose is a scatter-add into zeros.
 */
export const scatter: OpRule<ScatterParams> = defineOp({
  opcode: "scatter",
  pure: true,
  calls: true,
  vjp: scatterVjp,
  shape(operands, p) {
    checkArity(operands, 3, "scatter");
    const a = asArray(operands[0], "scatter");
    const idx = asArray(operands[1], "scatter");
    const u = asArray(operands[2], "scatter");
    checkElement(idx, "int", "scatter");
    if (u.element !== a.element) throw new ShapeRuleError(`scatter: updates ${fmtShape(u)} and operand ${fmtShape(a)} differ in element type`);
    const dn = p.dimensionNumbers;
    const sorted = (ds: number[]) => ds.every((d, i) => i === 0 || d > ds[i - 1]!);
    checkDimensions(dn.updateWindowDims, u.dims.length, "scatter", "update window dimension");
    checkDimensions(dn.insertedWindowDims, a.dims.length, "scatter", "inserted window dimension");
    if (!sorted(dn.updateWindowDims) || !sorted(dn.insertedWindowDims)) throw new ShapeRuleError("scatter: update_window_dims and inserted_window_dims must be sorted");
    const windowRank = a.dims.length - dn.insertedWindowDims.length;
    if (dn.updateWindowDims.length !== windowRank) throw new ShapeRuleError(`scatter: update_window_dims must name ${windowRank} dimensions of the updates`);
    // The index vectors: along index_vector_dim (equal to the indices' rank for an implicit trailing 1).
    if (!Number.isInteger(dn.indexVectorDim) || dn.indexVectorDim < 0 || dn.indexVectorDim > idx.dims.length)
      throw new ShapeRuleError(`scatter: index_vector_dim ${dn.indexVectorDim} is out of range for indices ${fmtShape(idx)}`);
    const indexVectorSize = dn.indexVectorDim === idx.dims.length ? 1 : idx.dims[dn.indexVectorDim]!;
    if (dn.scatterDimsToOperandDims.length !== indexVectorSize)
      throw new ShapeRuleError(`scatter: scatter_dims_to_operand_dims has ${dn.scatterDimsToOperandDims.length} entries, index vectors have ${indexVectorSize}`);
    checkDimensions(dn.scatterDimsToOperandDims, a.dims.length, "scatter", "scatter_dims_to_operand_dims entry");
    // The updates: one window per index vector, the scatter dimensions in the indices' batch order.
    const batch = idx.dims.filter((_, i) => i !== dn.indexVectorDim);
    if (u.dims.length !== batch.length + windowRank) throw new ShapeRuleError(`scatter: updates ${fmtShape(u)} must have rank ${batch.length + windowRank} for indices ${fmtShape(idx)}`);
    const windowOperandDims = a.dims.filter((_, i) => !dn.insertedWindowDims.includes(i));
    dn.updateWindowDims.forEach((ud, j) => {
      if (u.dims[ud]! > windowOperandDims[j]!) throw new ShapeRuleError(`scatter: update window ${fmtShape(u)} is larger than operand ${fmtShape(a)}`);
    });
    const scatterDims = u.dims.filter((_, i) => !dn.updateWindowDims.includes(i));
    if (!sameDims(scatterDims, batch)) throw new ShapeRuleError(`scatter: updates ${fmtShape(u)} do not match the index batch [${batch.join(",")}] of ${fmtShape(idx)}`);
    return a;
  },
  attributes: (p) => ({ scatterDimensionNumbers: p.dimensionNumbers, calledComputations: [p.updater], indicesAreSorted: p.indicesAreSorted, uniqueIndices: p.uniqueIndices }),
});

// ---- vector-Jacobian products ----------------------------------------------------------------
// Each rule's VJP above is written with these. The derivations are the standard transposition
// rules (the ones JAX states for its lax primitives), re-derived for XLA's dimension numbers.
// Every cotangent is emitted through op rules that have VJPs themselves, so second derivatives
// come from differentiating the emitted cotangent graph again.

function arrayOf(c: VjpContext, id: number): ArrayShape {
  return asArray(c.shapeOf(id), "vjp");
}

function neg(c: VjpContext, x: Cotangent): number {
  return c.emit(negate, [x as number], undefined);
}

function mul(c: VjpContext, x: Cotangent, y: number): number {
  return c.emit(multiply, [x as number, y], undefined);
}

function div(c: VjpContext, x: Cotangent, y: number): number {
  return c.emit(divide, [x as number, y], undefined);
}

function scalarConst(c: VjpContext, element: PrimitiveType, value: number | boolean): number {
  const values = element === "pred" ? [Boolean(value)] : [Number(value)];
  return c.emit(constant, [], { literal: { shape: arrayShape(element, []), values: values as number[] | boolean[] } });
}

/** An array of `shape` filled with `value`. */
function fillShape(c: VjpContext, shape: ArrayShape, value: number | boolean): number {
  const s = scalarConst(c, shape.element, value);
  return shape.dims.length ? c.emit(broadcast, [s], { dims: shape.dims, dimensions: [] }) : s;
}

/** An array shaped like instruction `like`, filled with `value`. */
function filled(c: VjpContext, like: number, value: number): number {
  return fillShape(c, arrayOf(c, like), value);
}

function add1(c: VjpContext, x: number): number {
  return c.emit(add, [x, filled(c, x, 1)], undefined);
}

function trunc(c: VjpContext, q: number): number {
  return mul(c, c.emit(sign, [q], undefined), c.emit(floor, [c.emit(abs, [q], undefined)], undefined));
}

function cmp(c: VjpContext, direction: ComparisonDirection, a: number, b: number): number {
  const el = arrayOf(c, a).element;
  return c.emit(compare, [a, b], { direction, type: isFloatType(el) ? "FLOAT" : el === "pred" || el.startsWith("u") ? "UNSIGNED" : "SIGNED" });
}

function sumDims(c: VjpContext, x: number, dims: number[]): number {
  if (!dims.length) return x;
  const el = arrayOf(c, x).element;
  return c.emit(reduce, [x, scalarConst(c, el, 0)], { dimensions: [...dims].sort((p, q) => p - q), reducer: c.reducer(add, el) });
}

function sumAll(c: VjpContext, x: number): number {
  return sumDims(c, x, arrayOf(c, x).dims.map((_, i) => i));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function powerVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const [a, b] = c.operands as [number, number];
  const bMinus1 = c.emit(subtract, [b, filled(c, b, 1)], undefined);
  const da = mul(c, ct, mul(c, b, c.emit(power, [a, bMinus1], undefined)));
  // d/db a^b = a^b log(a), taken as 0 where a == 0 (as 0^b is constant in b there).
  const safeA = c.emit(select, [cmp(c, "EQ", a, filled(c, a, 0)), filled(c, a, 1), a], undefined);
  const db = mul(c, ct, mul(c, c.result, c.emit(log, [safeA], undefined)));
  return [da, db];
}

/** max/min with ChainRules' convention: on a tie the cotangent goes to the second argument (so relu(x) = max(x, 0) has derivative 0 at 0, as NNlib's). */
function chooseVjp(c: VjpContext, ct: number, isMax: boolean): Cotangent[] {
  const [a, b] = c.operands as [number, number];
  const firstWins = isMax ? cmp(c, "GT", a, b) : cmp(c, "LT", a, b);
  const zero = filled(c, ct, 0);
  return [c.emit(select, [firstWins, ct, zero], undefined), c.emit(select, [firstWins, zero, ct], undefined)];
}

function atan2Vjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const [a, b] = c.operands as [number, number];
  const d = c.emit(add, [mul(c, a, a), mul(c, b, b)], undefined);
  return [div(c, mul(c, ct, b), d), neg(c, div(c, mul(c, ct, a), d))];
}

function selectCt(c: VjpContext, ct: number, first: boolean): number {
  const zero = filled(c, ct, 0);
  return c.emit(select, first ? [c.operands[0]!, ct, zero] : [c.operands[0]!, zero, ct], undefined);
}

/** clamp(lo, x, hi): x's cotangent where lo < x < hi, lo's where x < lo, hi's where x > hi (lo and hi may be scalars). */
function clampVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const [lo, x, hi] = c.operands as [number, number, number];
  const xs = arrayOf(c, x);
  const wide = (id: number) => (arrayOf(c, id).dims.length === xs.dims.length ? id : c.emit(broadcast, [id], { dims: xs.dims, dimensions: [] }));
  const narrow = (id: number, like: number) => (arrayOf(c, like).dims.length === xs.dims.length ? id : sumAll(c, id));
  const zero = filled(c, x, 0);
  const inside = c.emit(and, [cmp(c, "GT", x, wide(lo)), cmp(c, "LT", x, wide(hi))], undefined);
  return [
    narrow(c.emit(select, [cmp(c, "LT", x, wide(lo)), ct as number, zero], undefined), lo),
    c.emit(select, [inside, ct as number, zero], undefined),
    narrow(c.emit(select, [cmp(c, "GT", x, wide(hi)), ct as number, zero], undefined), hi),
  ];
}

function tupleCotangent(shape: Shape, index: number, ct: Cotangent): Cotangent {
  if (shape.kind !== "tuple") throw new ShapeRuleError("get-tuple-element: operand is not a tuple");
  return shape.elements.map((_, i) => (i === index ? ct : null));
}

/** broadcast_in_dim's transpose: sum over the new dimensions and over the stretched size-1 ones. */
function broadcastVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const os = arrayOf(c, c.operands[0]!);
  const rs = arrayOf(c, c.result);
  const dims = c.instruction.attributes.dimensions!;
  const summed = range(rs.dims.length).filter((d) => !dims.includes(d) || (os.dims[dims.indexOf(d)] === 1 && rs.dims[d] !== 1));
  const s = sumDims(c, ct as number, summed);
  return [sameDims(arrayOf(c, s).dims, os.dims) ? s : c.emit(reshape, [s], { dims: os.dims })];
}

function transposeVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const perm = c.instruction.attributes.dimensions!;
  const inverse: number[] = [];
  perm.forEach((p, i) => (inverse[p] = i));
  return [c.emit(transpose, [ct as number], { permutation: inverse })];
}

function sliceVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const os = arrayOf(c, c.operands[0]!);
  const out = arrayOf(c, ct as number).dims;
  if (out.some((d) => d === 0)) return [null];
  const sd = c.instruction.attributes.sliceDimensions!;
  return [
    c.emit(pad, [ct as number, scalarConst(c, os.element, 0)], {
      low: sd.map((s) => s.start),
      high: sd.map((s, i) => os.dims[i]! - s.start - (out[i]! - 1) * s.stride - 1),
      interior: sd.map((s) => s.stride - 1),
    }),
  ];
}

/** dynamic-slice's transpose: the cotangent written into zeros at the same (equally clamped) starts. */
function dynamicSliceVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const [x, ...starts] = c.operands as [number, ...number[]];
  return [c.emit(dynamicUpdateSlice, [fillShape(c, arrayOf(c, x), 0), ct as number, ...starts], undefined), ...starts.map(() => null)];
}

/** dynamic-update-slice's transpose: the operand's cotangent with the overwritten window zeroed; the update's is that window. */
function dynamicUpdateSliceVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const [, u, ...starts] = c.operands as [number, number, ...number[]];
  const us = arrayOf(c, u);
  return [
    c.emit(dynamicUpdateSlice, [ct as number, fillShape(c, us, 0), ...starts], undefined),
    c.emit(dynamicSlice, [ct as number, ...starts], { sizes: us.dims }),
    ...starts.map(() => null),
  ];
}

function concatenateVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const k = c.instruction.attributes.dimensions![0]!;
  const rs = arrayOf(c, c.result);
  let offset = 0;
  return c.operands.map((o) => {
    const d = arrayOf(c, o).dims[k]!;
    const start = rs.dims.map((_, i) => (i === k ? offset : 0));
    const limit = rs.dims.map((n, i) => (i === k ? offset + d : n));
    offset += d;
    return c.emit(slice, [ct as number], { start, limit, stride: rs.dims.map(() => 1) });
  });
}

/** pad's transpose: undo the edge padding (negative padding crops), then take every (interior+1)-th element. */
function padVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const cfg = c.instruction.attributes.paddingConfig!;
  const el = arrayOf(c, c.result).element;
  let t = ct as number;
  if (cfg.some((p) => p.edgePaddingLow !== 0 || p.edgePaddingHigh !== 0))
    t = c.emit(pad, [t, scalarConst(c, el, 0)], { low: cfg.map((p) => -p.edgePaddingLow), high: cfg.map((p) => -p.edgePaddingHigh), interior: cfg.map(() => 0) });
  const ts = arrayOf(c, t);
  if (cfg.some((p) => p.interiorPadding !== 0)) t = c.emit(slice, [t], { start: ts.dims.map(() => 0), limit: ts.dims, stride: cfg.map((p) => p.interiorPadding + 1) });
  const padValue = c.emit(subtract, [sumAll(c, ct as number), sumAll(c, t)], undefined);
  return [t, padValue];
}

/**
 * dot's transpose for each operand: contract the cotangent's dimensions that came from the other
 * operand with that operand's free dimensions (batch dimensions stay batch), then transpose the
 * result — [batch, own free, contracted in the other's order] — back to the operand's layout.
 */
function dotVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const dn = c.instruction.attributes.dotDimensionNumbers!;
  const [a, b] = c.operands as [number, number];
  const as = arrayOf(c, a), bs = arrayOf(c, b);
  const nb = dn.lhsBatchDimensions.length;
  const free = (s: ArrayShape, contracting: number[], batch: number[]) => range(s.dims.length).filter((i) => !contracting.includes(i) && !batch.includes(i));
  const lhsFree = free(as, dn.lhsContractingDimensions, dn.lhsBatchDimensions);
  const rhsFree = free(bs, dn.rhsContractingDimensions, dn.rhsBatchDimensions);
  const ctBatch = range(nb);
  const ctLhsFree = lhsFree.map((_, i) => nb + i);
  const ctRhsFree = rhsFree.map((_, i) => nb + lhsFree.length + i);
  const one = (self: number[], selfBatch: number[], selfContracting: number[], other: number, otherFree: number[], otherBatch: number[], otherContracting: number[], ctOtherFree: number[], rank: number): number => {
    const product = c.emit(dot, [ct as number, other], { lhsContractingDimensions: ctOtherFree, rhsContractingDimensions: otherFree, lhsBatchDimensions: ctBatch, rhsBatchDimensions: otherBatch });
    const sortedOther = [...otherContracting].sort((p, q) => p - q);
    const perm = range(rank).map((j) => {
      const bi = selfBatch.indexOf(j);
      if (bi >= 0) return bi;
      const fi = self.indexOf(j);
      if (fi >= 0) return nb + fi;
      const ci = selfContracting.indexOf(j);
      return nb + self.length + sortedOther.indexOf(otherContracting[ci]!);
    });
    return perm.every((p, i) => p === i) ? product : c.emit(transpose, [product], { permutation: perm });
  };
  const da = one(lhsFree, dn.lhsBatchDimensions, dn.lhsContractingDimensions, b, rhsFree, dn.rhsBatchDimensions, dn.rhsContractingDimensions, ctRhsFree, as.dims.length);
  const db = one(rhsFree, dn.rhsBatchDimensions, dn.rhsContractingDimensions, a, lhsFree, dn.lhsBatchDimensions, dn.lhsContractingDimensions, ctLhsFree, bs.dims.length);
  return [da, db];
}

function reduceVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const x = c.operands[0]!;
  const xs = arrayOf(c, x);
  const dims = c.instruction.attributes.dimensions!;
  const kept = range(xs.dims.length).filter((d) => !dims.includes(d));
  const wide = (id: number) => c.emit(broadcast, [id], { dims: xs.dims, dimensions: kept });
  switch (c.calledRoot(c.instruction.attributes.calledComputations![0]!)) {
    case "add":
      return [wide(ct as number), null];
    case "multiply":
      return [div(c, wide(mul(c, ct, c.result)), x), null];
    case "maximum":
    case "minimum": {
      // The cotangent is shared among the positions that attain the extremum.
      const at = c.emit(convert, [cmp(c, "EQ", x, wide(c.result))], { element: xs.element });
      const counts = sumDims(c, at, dims);
      return [mul(c, wide(div(c, ct, counts)), at), null];
    }
    default:
      return [null, null];
  }
}

function reduceWindowVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const [x, init] = c.operands as [number, number];
  const xs = arrayOf(c, x);
  const out = arrayOf(c, ct as number).dims;
  const window = c.instruction.attributes.window!;
  const el = xs.element;
  const zero = scalarConst(c, el, 0);
  const root = c.calledRoot(c.instruction.attributes.calledComputations![0]!);
  if (root === "add") {
    // The transpose of a windowed sum is a windowed sum of the cotangent, dilated by the strides
    // and padded so every input position sees each window that covered it.
    const pads = window.map((w, i) => {
      const inDil = (xs.dims[i]! - 1) * w.baseDilation + 1;
      const wDil = (w.size - 1) * w.windowDilation + 1;
      const outDil = (out[i]! - 1) * w.stride + 1;
      const before = wDil - w.paddingLow - 1;
      return { before, after: inDil + wDil - 1 - outDil - before };
    });
    const padded = c.emit(pad, [ct as number, zero], { low: pads.map((p) => p.before), high: pads.map((p) => p.after), interior: window.map((w) => w.stride - 1) });
    const back: WindowDimension[] = window.map((w) => ({ size: w.size, stride: w.baseDilation, paddingLow: 0, paddingHigh: 0, windowDilation: w.windowDilation, baseDilation: 1, windowReversal: false }));
    return [c.emit(reduceWindow, [padded, zero], { window: back, reducer: c.reducer(add, el) }), null];
  }
  if (root !== "maximum" && root !== "minimum") return [null, null];
  if (window.some((w) => w.baseDilation !== 1 || w.paddingLow < 0 || w.paddingHigh < 0)) throw new ShapeRuleError("reduce-window: the gradient of max/min pooling with base dilation or negative padding is not supported");
  // Max/min pooling: the cotangent of each window goes to its first extremal element (the choice
  // of XLA's select-and-scatter). The windows are enumerated by offset: for each offset, one
  // strided slice of the padded input holds that element of every window.
  const xp = window.some((w) => w.paddingLow || w.paddingHigh)
    ? c.emit(pad, [x, init], { low: window.map((w) => w.paddingLow), high: window.map((w) => w.paddingHigh), interior: window.map(() => 0) })
    : x;
  const ps = arrayOf(c, xp).dims;
  const ctZero = fillShape(c, arrayShape(el, out), 0);
  let taken = fillShape(c, arrayShape("pred", out), false);
  let acc: number | null = null;
  const offsets: number[][] = [[]];
  for (const w of window) offsets.splice(0, offsets.length, ...offsets.flatMap((o) => range(w.size).map((k) => [...o, k])));
  for (const k of offsets) {
    const start = k.map((kd, i) => kd * window[i]!.windowDilation);
    const limit = start.map((s, i) => s + (out[i]! - 1) * window[i]!.stride + 1);
    const patch = c.emit(slice, [xp], { start, limit, stride: window.map((w) => w.stride) });
    const here = c.emit(and, [cmp(c, "EQ", patch, c.result), c.emit(not, [taken], undefined)], undefined);
    taken = c.emit(or, [taken, here], undefined);
    const part = c.emit(select, [here, ct as number, ctZero], undefined);
    const back = c.emit(pad, [part, zero], { low: start, high: limit.map((l, i) => ps[i]! - l), interior: window.map((w) => w.stride - 1) });
    acc = acc === null ? back : c.emit(add, [acc, back], undefined);
  }
  if (xp === x) return [acc, null];
  return [c.emit(slice, [acc!], { start: window.map((w) => w.paddingLow), limit: window.map((w, i) => w.paddingLow + xs.dims[i]!), stride: window.map(() => 1) }), null];
}

/** Splits dimension `src` of x into [size1, rest]. */
function axisOutOf(c: VjpContext, src: number, size1: number, x: number): number {
  const d = [...arrayOf(c, x).dims];
  d.splice(src, 1, size1, d[src]! / size1);
  return c.emit(reshape, [x], { dims: d });
}

/** Merges dimension `src` into `dst` (numbered after removing src), src major. */
function axisInto(c: VjpContext, src: number, dst: number, x: number): number {
  const dims = arrayOf(c, x).dims;
  const perm = range(dims.length).filter((i) => i !== src);
  perm.splice(dst, 0, src);
  const t = perm.every((p, i) => p === i) ? x : c.emit(transpose, [x], { permutation: perm });
  const nd = dims.filter((_, i) => i !== src);
  nd[dst] = nd[dst]! * dims[src]!;
  return c.emit(reshape, [t], { dims: nd });
}

/**
 * Convolution's transposes: the input's cotangent is a convolution of the output cotangent with
 * the spatially reversed kernel (strides become base dilation); the kernel's is a convolution of
 * the input with the output cotangent (strides become window dilation). Feature groups move
 * between the kernel's feature dimensions, or become batch groups for the kernel's cotangent.
 */
function convolutionVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const [x, k] = c.operands as [number, number];
  const a = c.instruction.attributes;
  const dn = a.convolutionDimensionNumbers!;
  const window = a.window!;
  const G = a.featureGroupCount ?? 1;
  const B = a.batchGroupCount ?? 1;
  if (window.some((w) => w.windowReversal)) throw new ShapeRuleError("convolution: the gradient of a convolution with window reversal is not supported");
  const xs = arrayOf(c, x).dims, ks = arrayOf(c, k).dims, os = arrayOf(c, ct as number).dims;
  const inSp = dn.inputSpatialDimensions.map((d) => xs[d]!);
  const kSp = dn.kernelSpatialDimensions.map((d) => ks[d]!);
  const oSp = dn.outputSpatialDimensions.map((d) => os[d]!);

  // Input cotangent.
  let kernel = k;
  if (G > 1 || B > 1) {
    kernel = axisOutOf(c, dn.kernelOutputFeatureDimension, G > 1 ? G : B, kernel);
    kernel = axisInto(c, dn.kernelOutputFeatureDimension, dn.kernelInputFeatureDimension, kernel);
  }
  const reversed = c.emit(reverse, [kernel], { dimensions: dn.kernelSpatialDimensions });
  const lhsWindow: WindowDimension[] = window.map((w, i) => {
    const inDil = (inSp[i]! - 1) * w.baseDilation + 1;
    const kDil = (kSp[i]! - 1) * w.windowDilation + 1;
    const outDil = (oSp[i]! - 1) * w.stride + 1;
    const before = kDil - w.paddingLow - 1;
    return { size: kSp[i]!, stride: w.baseDilation, paddingLow: before, paddingHigh: inDil + kDil - 1 - outDil - before, windowDilation: w.windowDilation, baseDilation: w.stride, windowReversal: false };
  });
  const lhsDn: ConvolutionDimensionNumbers = {
    inputBatchDimension: dn.outputBatchDimension,
    inputFeatureDimension: dn.outputFeatureDimension,
    inputSpatialDimensions: dn.outputSpatialDimensions,
    kernelOutputFeatureDimension: dn.kernelInputFeatureDimension,
    kernelInputFeatureDimension: dn.kernelOutputFeatureDimension,
    kernelSpatialDimensions: dn.kernelSpatialDimensions,
    outputBatchDimension: dn.inputBatchDimension,
    outputFeatureDimension: dn.inputFeatureDimension,
    outputSpatialDimensions: dn.inputSpatialDimensions,
  };
  let dx = c.emit(convolution, [ct as number, reversed], { window: lhsWindow, dimensionNumbers: lhsDn, featureGroupCount: G > 1 ? G : B, batchGroupCount: 1 });
  if (B > 1) {
    dx = axisOutOf(c, dn.inputFeatureDimension, B, dx);
    dx = axisInto(c, dn.inputFeatureDimension, dn.inputBatchDimension, dx);
  }

  // Kernel cotangent.
  const rhsWindow: WindowDimension[] = window.map((w, i) => {
    const inDil = (inSp[i]! - 1) * w.baseDilation + 1;
    const kDil = (kSp[i]! - 1) * w.windowDilation + 1;
    const outDil = (oSp[i]! - 1) * w.stride + 1;
    return { size: oSp[i]!, stride: w.windowDilation, paddingLow: w.paddingLow, paddingHigh: outDil - inDil + (kDil - w.paddingLow - 1), windowDilation: w.stride, baseDilation: w.baseDilation, windowReversal: false };
  });
  const rhsDn: ConvolutionDimensionNumbers = {
    inputBatchDimension: dn.inputFeatureDimension,
    inputFeatureDimension: dn.inputBatchDimension,
    inputSpatialDimensions: dn.inputSpatialDimensions,
    kernelOutputFeatureDimension: dn.outputFeatureDimension,
    kernelInputFeatureDimension: dn.outputBatchDimension,
    kernelSpatialDimensions: dn.outputSpatialDimensions,
    outputBatchDimension: dn.kernelInputFeatureDimension,
    outputFeatureDimension: dn.kernelOutputFeatureDimension,
    outputSpatialDimensions: dn.kernelSpatialDimensions,
  };
  const dk = c.emit(convolution, [x, ct as number], { window: rhsWindow, dimensionNumbers: rhsDn, featureGroupCount: B > 1 ? B : 1, batchGroupCount: G > 1 ? G : 1 });
  return [dx, dk];
}

/** gather's transpose: scatter-add the cotangent's slices into zeros of the operand's shape. */
function gatherVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const [x, idx] = c.operands as [number, number];
  const xs = arrayOf(c, x);
  const g = c.instruction.attributes.gatherDimensionNumbers!;
  const dimensionNumbers: ScatterDimensionNumbers = { updateWindowDims: g.offsetDims, insertedWindowDims: g.collapsedSliceDims, scatterDimsToOperandDims: g.startIndexMap, indexVectorDim: g.indexVectorDim };
  const zeros = fillShape(c, xs, 0);
  return [c.emit(scatter, [zeros, idx, ct as number], { dimensionNumbers, updater: c.reducer(add, xs.element), indicesAreSorted: false, uniqueIndices: false }), null];
}

/** scatter-add's transpose: the operand's cotangent passes through; each update's is gathered back. */
function scatterVjp(c: VjpContext, ct: Cotangent): Cotangent[] {
  const [, idx, u] = c.operands as [number, number, number];
  const a = c.instruction.attributes;
  if (c.calledRoot(a.calledComputations![0]!) !== "add") throw new ShapeRuleError("scatter: only scatter-add has a gradient");
  const s = a.scatterDimensionNumbers!;
  const us = arrayOf(c, u).dims;
  let pos = 0;
  const sliceSizes = arrayOf(c, ct as number).dims.map((_, i) => (s.insertedWindowDims.includes(i) ? 1 : us[s.updateWindowDims[pos++]!]!));
  const gathered = c.emit(gather, [ct as number, idx], { offsetDims: s.updateWindowDims, collapsedSliceDims: s.insertedWindowDims, startIndexMap: s.scatterDimsToOperandDims, indexVectorDim: s.indexVectorDim, sliceSizes, indicesAreSorted: false });
  return [ct, null, gathered];
}
