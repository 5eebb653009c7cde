// Lowering of Julia array semantics onto the op table. Tensors carry Julia-order sizes; an XLA
// array of a Julia array of size (d1, ..., dN) has dimensions [dN, ..., d1] with the default
// row-major layout, so the bytes are identical and Julia dimension k (0-based) is XLA dimension
// N-1-k. That mapping lives here and nowhere else in the compiler.

import type { ElementType, MeshSpec, ShardSpec } from "../../plugins/api.js";
import type { ComputationBuilder } from "../hlo/builder.js";
import type { ComparisonDirection, ConvolutionDimensionNumbers, HloSharding, PrimitiveType, WindowDimension } from "../hlo/ir.js";
import { arrayShape } from "../hlo/ir.js";
import * as ops from "../hlo/ops.js";
import { meshSharding } from "../hlo/sharding.js";
import type { OpRule } from "../hlo/ops.js";
import { PRIMITIVE_OF, isFloat, isUnsigned, concrete } from "./types.js";
import type { KnownNumber, Tensor } from "./values.js";

export const xlaDims = (size: number[]): number[] => [...size].reverse();
/** XLA dimension of 0-based Julia dimension `k` in an array of rank `n`. */
export const xlaDim = (k: number, n: number): number => n - 1 - k;

/** The OpSharding of an array split as `shard` says (Julia order; absent: replicated) over `mesh`. */
export function xlaSharding(mesh: MeshSpec, shard: ShardSpec | undefined): HloSharding {
  const axisIndex = (name: string | null) => (name === null ? -1 : mesh.axes.findIndex((a) => a.name === name));
  return meshSharding(mesh.axes.map((a) => a.size), [...(shard ?? [])].reverse().map(axisIndex));
}

export function showSize(size: number[]): string {
  return size.length === 1 ? `(${size[0]},)` : `(${size.join(", ")})`;
}

/** Raised for a user-facing shape error; the interpreter attaches the span and call chain. */
export class DimensionMismatch extends Error {}

export type ReductionKind = "sum" | "prod" | "maximum" | "minimum" | "any" | "all";

export class ArrayLowering {
  /**
   * The computation being built; the interpreter switches it while tracing a loop body or a branch.
   * `storedAs` maps a Julia element type to the one its values are computed and stored as on the
   * device, when they differ (`Float64` -> `Float32` under the target setting `"float64": "float32"`):
   * the program keeps Julia's types (dispatch, `eltype`), only the HLO element type changes.
   */
  constructor(
    public b: ComputationBuilder,
    private storedAs: Partial<Record<ElementType, ElementType>> = {},
  ) {}

  /** Lowers into another module from now on (the next compile on a library image). */
  retarget(b: ComputationBuilder, storedAs: Partial<Record<ElementType, ElementType>>): void {
    this.b = b;
    this.storedAs = storedAs;
  }

  /** The element type a value of Julia element type `eltype` has on the device. */
  deviceType(eltype: ElementType): ElementType {
    return this.storedAs[eltype] ?? eltype;
  }

  /** The HLO primitive type of Julia element type `eltype` in this module. */
  primitive(eltype: ElementType): PrimitiveType {
    return PRIMITIVE_OF[this.deviceType(eltype)];
  }

  /** `t` constrained to be split over the partitions as `sharding` says (a Sharding custom call). */
  shardingConstraint(t: Tensor, sharding: HloSharding): Tensor {
    return this.tensor(this.b.emit(ops.shardingConstraint, [t.id], { sharding }), t.eltype, t.size, t.scalar);
  }

  tensor(id: number, eltype: ElementType, size: number[], scalar = false): Tensor {
    return { kind: "tensor", id, eltype, size, scalar };
  }

  parameter(number: number, eltype: ElementType, size: number[], scalar: boolean, name: string): Tensor {
    return this.tensor(this.b.parameter(number, arrayShape(this.primitive(eltype), xlaDims(size)), name), eltype, size, scalar);
  }

  /** A 0-d constant of the given element type. */
  constant(eltype: ElementType, value: number | bigint | boolean): Tensor {
    return this.tensor(this.b.scalarConstant(this.primitive(eltype), value), eltype, [], true);
  }

  known(n: KnownNumber, eltype: ElementType = concrete(n.type)): Tensor {
    return this.constant(eltype, n.value);
  }

  convert(t: Tensor, eltype: ElementType): Tensor {
    if (t.eltype === eltype) return t;
    // Two Julia types stored alike (Float64 demoted to Float32) differ in type only, not in bits.
    if (this.primitive(t.eltype) === this.primitive(eltype)) return { ...t, eltype };
    // XLA's float->int conversion truncates like Julia's `trunc`; Julia's `Int32(x)` additionally
    // throws InexactError for non-integral x, which a traced value cannot check.
    return { ...t, id: this.b.emit(ops.convert, [t.id], { element: this.primitive(eltype) }), eltype };
  }

  /** Julia broadcast shape of two sizes (missing trailing dimensions are 1). */
  broadcastSize(a: number[], b: number[]): number[] {
    const n = Math.max(a.length, b.length);
    const out: number[] = [];
    for (let k = 0; k < n; k++) {
      const x = a[k] ?? 1, y = b[k] ?? 1;
      if (x !== y && x !== 1 && y !== 1)
        throw new DimensionMismatch(`arrays could not be broadcast to a common size: a has axes of length ${x} and b has length ${y} in dimension ${k + 1} (sizes ${showSize(a)} and ${showSize(b)})`);
      out.push(x === 1 ? y : x);
    }
    return out;
  }

  /** Expands `t` (Julia size s) to Julia size `size` by Julia's broadcasting rule. */
  broadcastTo(t: Tensor, size: number[]): Tensor {
    if (t.size.length === size.length && t.size.every((d, i) => d === size[i])) return t;
    const n = size.length;
    // Drop the dimensions that are stretched (size 1 -> d), keep the rest, then broadcast_in_dim.
    const keptJulia: number[] = [];
    t.size.forEach((d, k) => {
      if (d === size[k]) keptJulia.push(k);
      else if (d !== 1) throw new DimensionMismatch(`cannot broadcast size ${showSize(t.size)} to ${showSize(size)}`);
    });
    let id = t.id;
    const keptSize = keptJulia.map((k) => t.size[k]!);
    if (keptSize.length !== t.size.length) id = this.b.emit(ops.reshape, [id], { dims: xlaDims(keptSize) });
    const dimensions = [...keptJulia].reverse().map((k) => xlaDim(k, n));
    id = this.b.emit(ops.broadcast, [id], { dims: xlaDims(size), dimensions });
    return { ...t, id, size: [...size], rowVector: undefined };
  }

  /** Applies an elementwise rule to operands of one element type, broadcasting their sizes together. */
  elementwise(rule: OpRule<void>, operands: Tensor[], scalarResult: boolean): Tensor {
    const size = operands.reduce<number[]>((s, o) => this.broadcastSize(s, o.size), []);
    const ids = operands.map((o) => this.broadcastTo(o, size).id);
    const id = this.b.emit(rule, ids, undefined);
    return this.tensor(id, operands[0]!.eltype, size, scalarResult);
  }

  compare(direction: ComparisonDirection, x: Tensor, y: Tensor, scalarResult: boolean): Tensor {
    const size = this.broadcastSize(x.size, y.size);
    const type = isFloat(x.eltype) ? "FLOAT" : isUnsigned(x.eltype) || x.eltype === "Bool" ? "UNSIGNED" : "SIGNED";
    const id = this.b.emit(ops.compare, [this.broadcastTo(x, size).id, this.broadcastTo(y, size).id], { direction, type });
    return this.tensor(id, "Bool", size, scalarResult);
  }

  select(pred: Tensor, x: Tensor, y: Tensor, scalarResult: boolean): Tensor {
    const size = this.broadcastSize(this.broadcastSize(pred.size, x.size), y.size);
    const id = this.b.emit(ops.select, [this.broadcastTo(pred, size).id, this.broadcastTo(x, size).id, this.broadcastTo(y, size).id], undefined);
    return this.tensor(id, x.eltype, size, scalarResult);
  }

  reshape(t: Tensor, size: number[]): Tensor {
    const id = this.b.emit(ops.reshape, [t.id], { dims: xlaDims(size) });
    return this.tensor(id, t.eltype, size, false);
  }

  /** Reverses the Julia dimensions of a matrix (or a vector into a 1×n row). */
  transpose(t: Tensor): Tensor {
    if (t.size.length === 1) return { ...this.reshape(t, [1, t.size[0]!]), rowVector: true };
    if (t.rowVector) return this.reshape(t, [t.size[1]!]);
    if (t.size.length !== 2) throw new DimensionMismatch(`transpose is defined for vectors and matrices; got an array of size ${showSize(t.size)}`);
    const id = this.b.emit(ops.transpose, [t.id], { permutation: [1, 0] });
    return this.tensor(id, t.eltype, [t.size[1]!, t.size[0]!], false);
  }

  /**
   * Julia's `A * B` for matrices and vectors. In XLA order A (m,k) is [k,m] and B (k,n) is [n,k];
   * dot(B, A) contracting B's dimension 1 with A's dimension 0 gives [n,m], which is Julia's (m,n).
   */
  matmul(a: Tensor, bt: Tensor): Tensor {
    if (a.eltype !== bt.eltype) throw new Error("internal: matmul operands must be promoted first");
    const la = a.size.length, lb = bt.size.length;
    if (la === 1 && lb === 2) a = this.reshape(a, [a.size[0]!, 1]);
    const m = a.size, n = bt.size;
    if (a.size.length > 2 || n.length > 2) throw new DimensionMismatch(`matrix multiplication needs vectors or matrices; got sizes ${showSize(m)} and ${showSize(n)}`);
    const k = m[m.length - 1]!;
    if (a.size.length === 1) throw new DimensionMismatch(`a vector cannot be multiplied by a vector of size ${showSize(n)}; use dot(x, y) or x' * y`);
    if (n[0] !== k) throw new DimensionMismatch(`matrix A has dimensions ${showSize(m)}, matrix B has dimensions ${showSize(n)}`);
    const rhsContracting = [0];
    const lhsContracting = [n.length - 1];
    const id = this.b.emit(ops.dot, [bt.id, a.id], { lhsContractingDimensions: lhsContracting, rhsContractingDimensions: rhsContracting, lhsBatchDimensions: [], rhsBatchDimensions: [] });
    const size = [...m.slice(0, -1), ...n.slice(1)];
    const result = this.tensor(id, a.eltype, size, false);
    // A row vector times a column vector is a number in Julia (`x'y`); times a matrix it stays a row.
    if (a.rowVector && n.length === 1) return { ...this.reshape(result, []), scalar: true };
    if (a.rowVector) return { ...result, rowVector: true };
    return result;
  }

  /** Reduces the given 0-based Julia dimensions (all when undefined); `keepDims` keeps them as size 1 (Julia's `dims=`). */
  reduce(kind: ReductionKind, t: Tensor, juliaDims: number[] | undefined, eltype: ElementType): Tensor {
    const n = t.size.length;
    const x = this.convert(t, eltype);
    const dims = (juliaDims ?? t.size.map((_, k) => k)).filter((k) => k < n);
    const el = this.primitive(eltype);
    const { rule, init } = reductionRule(kind, eltype);
    const reducer = this.b.module.reducer(rule, el);
    const initId = this.b.scalarConstant(el, init);
    const id = this.b.emit(ops.reduce, [x.id, initId], { dimensions: dims.map((k) => xlaDim(k, n)).sort((p, q) => p - q), reducer });
    if (juliaDims === undefined) return this.tensor(id, eltype, [], true);
    const kept = t.size.map((d, k) => (dims.includes(k) ? 1 : d));
    return this.reshape(this.tensor(id, eltype, t.size.filter((_, k) => !dims.includes(k)), false), kept);
  }

  /** Windowed reduction over Julia-order windows (pooling). */
  reduceWindow(kind: ReductionKind, t: Tensor, window: WindowDimension[]): Tensor {
    const el = this.primitive(t.eltype);
    const { rule, init } = reductionRule(kind, t.eltype);
    const reducer = this.b.module.reducer(rule, el);
    const initId = this.b.scalarConstant(el, init);
    const id = this.b.emit(ops.reduceWindow, [t.id, initId], { window: [...window].reverse(), reducer });
    const shape = this.b.arrayShapeOf(id);
    return this.tensor(id, t.eltype, xlaDims(shape.dims), false);
  }

  // ---- array functions and NNlib primitives (library/array-functions.ts, library/nnlib.ts) ----

  /** `permutedims(t, perm)` with a 0-based Julia permutation: result dimension k is operand dimension perm[k]. */
  permute(t: Tensor, perm: number[]): Tensor {
    const n = t.size.length;
    if (perm.every((p, k) => p === k)) return t;
    // Result XLA dimension i is Julia dimension n-1-i, taken from operand Julia dimension perm[n-1-i].
    const permutation = t.size.map((_, i) => xlaDim(perm[n - 1 - i]!, n));
    const id = this.b.emit(ops.transpose, [t.id], { permutation });
    return this.tensor(id, t.eltype, perm.map((p) => t.size[p]!), false);
  }

  /** Concatenates tensors of one rank and element type along 0-based Julia dimension `k`. */
  concatenate(ts: Tensor[], k: number): Tensor {
    const n = ts[0]!.size.length;
    const size = [...ts[0]!.size];
    for (const t of ts.slice(1)) {
      t.size.forEach((d, i) => {
        if (i !== k && d !== size[i]) throw new DimensionMismatch(`mismatch in dimension ${i + 1} (expected ${size[i]} got ${d})`);
      });
      size[k] = size[k]! + t.size[k]!;
    }
    if (ts.length === 1) return { ...ts[0]!, scalar: false, rowVector: undefined };
    const id = this.b.emit(ops.concatenate, ts.map((t) => t.id), { dimension: xlaDim(k, n) });
    return this.tensor(id, ts[0]!.eltype, size, false);
  }

  /** Reverses the given 0-based Julia dimensions. */
  reverseDims(t: Tensor, dims: number[]): Tensor {
    const n = t.size.length;
    const dimensions = dims.filter((k) => t.size[k]! > 1).map((k) => xlaDim(k, n)).sort((p, q) => p - q);
    if (!dimensions.length) return t;
    return this.tensor(this.b.emit(ops.reverse, [t.id], { dimensions }), t.eltype, t.size, false);
  }

  /** 0, 1, 2, ... along 0-based Julia dimension `k` of a new tensor of Julia size `size`. */
  iota(eltype: ElementType, size: number[], k: number): Tensor {
    const id = this.b.emit(ops.iota, [], { shape: arrayShape(this.primitive(eltype), xlaDims(size)), dimension: xlaDim(k, size.length) });
    return this.tensor(id, eltype, size, false);
  }

  /**
   * Julia's `x[:, ..., I, ..., :]` with an integer array `I` of 0-based positions in Julia dimension
   * `k`: the result has size (size[1:k-1]..., size(I)..., size[k+1:end]...). One XLA gather.
   */
  take(t: Tensor, k: number, index: Tensor): Tensor {
    const n = t.size.length;
    const a = xlaDim(k, n);
    const r = index.scalar ? 0 : index.size.length;
    const sliceSizes = xlaDims(t.size);
    sliceSizes[a] = 1;
    const offsetDims: number[] = [];
    for (let i = 0; i < n - 1; i++) offsetDims.push(i < a ? i : i + r);
    const id = this.b.emit(ops.gather, [t.id, index.id], { offsetDims, collapsedSliceDims: [a], startIndexMap: [a], indexVectorDim: r, sliceSizes, indicesAreSorted: false });
    const size = [...t.size.slice(0, k), ...(index.scalar ? [] : index.size), ...t.size.slice(k + 1)];
    return this.tensor(id, t.eltype, size, false);
  }

  /**
   * `t` with `update` (of t's rank) written at the 0-based Julia-order `starts` (Int64 scalars, known or traced):
   * one dynamic-update-slice. XLA clamps each start so the window fits inside `t`.
   */
  updateSlice(t: Tensor, update: Tensor, starts: Tensor[]): Tensor {
    const id = this.b.emit(ops.dynamicUpdateSlice, [t.id, update.id, ...[...starts].reverse().map((s) => s.id)], undefined);
    return this.tensor(id, t.eltype, t.size, false);
  }

  /** The window of Julia size `size` at 0-based Julia-order `starts` (Int64 scalars): one dynamic-slice, clamped as XLA clamps. */
  dynamicSlice(t: Tensor, starts: Tensor[], size: number[]): Tensor {
    const id = this.b.emit(ops.dynamicSlice, [t.id, ...[...starts].reverse().map((s) => s.id)], { sizes: xlaDims(size) });
    return this.tensor(id, t.eltype, size, false);
  }

  /** `t` with `gaps[k]` copies of the scalar `value` between neighbours along Julia dimension k (XLA's interior padding). */
  spread(t: Tensor, gaps: number[], value: Tensor): Tensor {
    const id = this.b.emit(ops.pad, [t.id, value.id], { low: gaps.map(() => 0), high: gaps.map(() => 0), interior: xlaDims(gaps) });
    return this.tensor(id, t.eltype, t.size.map((d, k) => d + Math.max(0, d - 1) * gaps[k]!), false);
  }

  /**
   * Batched matrix product over the last Julia dimension: a (m, k, B) times b (k, n, B) is
   * (m, n, B). In XLA order a is [B, k, m] and b is [B, n, k]; dot(b, a) with batch dimension 0
   * gives [B, n, m], which is Julia's (m, n, B).
   */
  batchedMatmul(a: Tensor, bt: Tensor): Tensor {
    const [m, k, B] = a.size as [number, number, number];
    const [k2, n] = bt.size as [number, number, number];
    if (k !== k2) throw new DimensionMismatch(`A has dimensions ${showSize(a.size)} but B has dimensions ${showSize(bt.size)}`);
    const id = this.b.emit(ops.dot, [bt.id, a.id], { lhsContractingDimensions: [2], rhsContractingDimensions: [1], lhsBatchDimensions: [0], rhsBatchDimensions: [0] });
    return this.tensor(id, a.eltype, [m, n, B], false);
  }

  /** The inner product of two tensors of one element type and length (both flattened, column-major). */
  innerProduct(x: Tensor, y: Tensor): Tensor {
    const n = x.size.reduce((p, q) => p * q, 1);
    const xv = x.size.length === 1 ? x : this.reshape(x, [n]);
    const yv = y.size.length === 1 ? y : this.reshape(y, [n]);
    const id = this.b.emit(ops.dot, [xv.id, yv.id], { lhsContractingDimensions: [0], rhsContractingDimensions: [0], lhsBatchDimensions: [], rhsBatchDimensions: [] });
    return this.tensor(id, x.eltype, [], true);
  }

  /** reduce-window with an explicit reducer and initial value (padding takes the initial value). Windows in Julia order. */
  reduceWindowWith(rule: OpRule<void>, init: number | bigint | boolean, t: Tensor, window: WindowDimension[]): Tensor {
    const el = this.primitive(t.eltype);
    const reducer = this.b.module.reducer(rule, el);
    const initId = this.b.scalarConstant(el, init);
    const id = this.b.emit(ops.reduceWindow, [t.id, initId], { window: [...window].reverse(), reducer });
    return this.tensor(id, t.eltype, xlaDims(this.b.arrayShapeOf(id).dims), false);
  }

  /**
   * An XLA convolution stated in Julia dimensions. Each layout names the 0-based Julia dimensions
   * of its operand (input: batch, feature; kernel: output and input feature; output: batch,
   * feature) and the spatial dimensions in window order; `window` is in that order too.
   */
  convolution(x: Tensor, w: Tensor, layout: ConvLayout, window: WindowDimension[], featureGroupCount: number, batchGroupCount: number): Tensor {
    const n = x.size.length;
    const xd = (k: number) => xlaDim(k, n);
    // List the spatial dimensions in XLA's order (b01f, not b10f): the same convolution, but XLA's
    // CPU layout assignment then only moves the feature dimension, as for JAX's modules, instead of
    // reversing every spatial dimension around each convolution (measured in bench/conv_labels.py).
    const order = layout.input.spatial.map((_, i) => i).sort((a, b) => xd(layout.input.spatial[a]!) - xd(layout.input.spatial[b]!));
    const inXlaOrder = <T>(xs: T[]): T[] => order.map((i) => xs[i]!);
    const dimensionNumbers: ConvolutionDimensionNumbers = {
      inputBatchDimension: xd(layout.input.batch),
      inputFeatureDimension: xd(layout.input.feature),
      inputSpatialDimensions: inXlaOrder(layout.input.spatial.map(xd)),
      kernelOutputFeatureDimension: xd(layout.kernel.output),
      kernelInputFeatureDimension: xd(layout.kernel.input),
      kernelSpatialDimensions: inXlaOrder(layout.kernel.spatial.map(xd)),
      outputBatchDimension: xd(layout.output.batch),
      outputFeatureDimension: xd(layout.output.feature),
      outputSpatialDimensions: inXlaOrder(layout.output.spatial.map(xd)),
    };
    const id = this.b.emit(ops.convolution, [x.id, w.id], { window: inXlaOrder(window), dimensionNumbers, featureGroupCount, batchGroupCount });
    return this.tensor(id, x.eltype, xlaDims(this.b.arrayShapeOf(id).dims), false);
  }
}

function reductionRule(kind: ReductionKind, eltype: ElementType): { rule: OpRule<void>; init: number | bigint | boolean } {
  const float = isFloat(eltype);
  const [lowest, highest] = float ? [-Infinity, Infinity] : integerRange(eltype);
  switch (kind) {
    case "sum": return { rule: ops.add, init: 0 };
    case "prod": return { rule: ops.multiply, init: 1 };
    case "maximum": return { rule: ops.maximum, init: lowest };
    case "minimum": return { rule: ops.minimum, init: highest };
    case "any": return { rule: ops.or, init: false };
    case "all": return { rule: ops.and, init: true };
  }
}

/** typemin and typemax, exact (as bigint) for 64-bit integers. */
function integerRange(t: ElementType): [number | bigint, number | bigint] {
  if (t === "Bool") return [0, 1];
  const bits = BigInt(/\d+/.exec(t)![0]);
  const [lo, hi] = t.startsWith("U") ? [0n, 2n ** bits - 1n] : [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n];
  return bits === 64n ? [lo, hi] : [Number(lo), Number(hi)];
}

/** The 0-based Julia dimensions of a convolution's operands (see ArrayLowering.convolution). */
export interface ConvLayout {
  input: { batch: number; feature: number; spatial: number[] };
  kernel: { output: number; input: number; spatial: number[] };
  output: { batch: number; feature: number; spatial: number[] };
}
