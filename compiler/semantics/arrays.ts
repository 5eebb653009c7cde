// Lowering of Julia array semantics onto the op table. Tensors carry Julia-order sizes; an XLA
// array of a Julia array of size (d1, ..., dN) has dimensions [dN, ..., d1] with the default
// row-major layout, so the bytes are identical and Julia dimension k (0-based) is XLA dimension
// N-1-k. That mapping lives here and nowhere else in the compiler.

import type { ElementType } from "../../plugins/api.js";
import type { ComputationBuilder } from "../hlo/builder.js";
import type { ComparisonDirection, WindowDimension } from "../hlo/ir.js";
import { arrayShape } from "../hlo/ir.js";
import * as ops from "../hlo/ops.js";
import type { OpRule } from "../hlo/ops.js";
import { PRIMITIVE_OF, isFloat, isUnsigned, concrete } from "./types.js";
import type { KnownNumber, Tensor } from "./values.js";

export const xlaDims = (size: number[]): number[] => [...size].reverse();
/** XLA dimension of 0-based Julia dimension `k` in an array of rank `n`. */
export const xlaDim = (k: number, n: number): number => n - 1 - k;

export function showSize(size: number[]): string {
  return size.length === 1 ? `(${size[0]},)` : `(${size.join(", ")})`;
}

/** Raised for a user-facing shape error; the interpreter attaches the span and call chain. */
export class DimensionMismatch extends Error {}

export type ReductionKind = "sum" | "prod" | "maximum" | "minimum" | "any" | "all";

export class ArrayLowering {
  constructor(readonly b: ComputationBuilder) {}

  tensor(id: number, eltype: ElementType, size: number[], scalar = false): Tensor {
    return { kind: "tensor", id, eltype, size, scalar };
  }

  parameter(number: number, eltype: ElementType, size: number[], scalar: boolean, name: string): Tensor {
    return this.tensor(this.b.parameter(number, arrayShape(PRIMITIVE_OF[eltype], xlaDims(size)), name), eltype, size, scalar);
  }

  /** A 0-d constant of the given element type. */
  constant(eltype: ElementType, value: number | bigint | boolean): Tensor {
    return this.tensor(this.b.scalarConstant(PRIMITIVE_OF[eltype], value), eltype, [], true);
  }

  known(n: KnownNumber, eltype: ElementType = concrete(n.type)): Tensor {
    return this.constant(eltype, n.value);
  }

  convert(t: Tensor, eltype: ElementType): Tensor {
    if (t.eltype === eltype) return t;
    // XLA's float->int conversion truncates like Julia's `trunc`; Julia's `Int32(x)` additionally
    // throws InexactError for non-integral x, which a traced value cannot check.
    return { ...t, id: this.b.emit(ops.convert, [t.id], { element: PRIMITIVE_OF[eltype] }), eltype };
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
    const el = PRIMITIVE_OF[eltype];
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
    const el = PRIMITIVE_OF[t.eltype];
    const { rule, init } = reductionRule(kind, t.eltype);
    const reducer = this.b.module.reducer(rule, el);
    const initId = this.b.scalarConstant(el, init);
    const id = this.b.emit(ops.reduceWindow, [t.id, initId], { window: [...window].reverse(), reducer });
    const shape = this.b.arrayShapeOf(id);
    return this.tensor(id, t.eltype, xlaDims(shape.dims), false);
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
