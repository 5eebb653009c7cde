// Array functions of Base, Statistics and LinearAlgebra over traced tensors: concatenation,
// permutations, repetition, constructors, statistics, arg-extrema, norms and array indexing.
// Each follows the Julia implementation it is named after (base/abstractarray.jl,
// base/abstractarraymath.jl, base/reducedim.jl, Statistics.jl, LinearAlgebra's generic.jl);
// where a traced value cannot carry a Julia type (CartesianIndex), the comment says what we return.

import type { ElementType } from "../../plugins/api.js";
import { ELTYPES } from "../eltypes.js";
import type { Span } from "../diagnostics.js";
import * as ops from "../hlo/ops.js";
import { showSize } from "../semantics/arrays.js";
import { describeValue } from "../semantics/describe.js";
import type { NumType } from "../semantics/types.js";
import { ELEMENT_TYPES, concrete, floatOf, isFloat, isInteger, promoteType } from "../semantics/types.js";
import type { CallArgs, Tensor, Value } from "../semantics/values.js";
import { num, tuple } from "../semantics/values.js";
import type { IntrinsicLibrary } from "./intrinsics.js";
import { elementType, isScalarish, typeOfScalar } from "./intrinsics.js";
import { roundTo, toNumber } from "./numbers.js";

export function defineArrayFunctions(lib: IntrinsicLibrary): void {
  const { interp, arrays, fail, define, arity, methodError, asTensor } = lib;

  // ---- argument helpers ----------------------------------------------------------------------

  const spanOf = (args: CallArgs, i: number): Span => args.argSpans[i] ?? args.span;

  const isArray = (v: Value): v is Tensor => v.kind === "tensor" && !v.scalar;

  const arrayArg = (args: CallArgs, name: string, i = 0): Tensor => {
    const x = args.positional[i];
    if (!x || !isArray(x)) throw methodError(name, args);
    return x;
  };

  /** A known integer (Int, Bool excluded), or a diagnostic naming what was expected. */
  const knownInt = (v: Value | undefined, what: string, span: Span): number => {
    if (!v || v.kind !== "number" || !isInteger(concrete(v.type)) || v.type === "Bool")
      throw fail("argument-error", `ArgumentError: ${what} must be an integer known at compile time, got ${v ? describeValue(v) : "nothing"}`, span);
    return toNumber(v.value);
  };

  /** A known integer or tuple/range of integers, as a list. */
  const knownInts = (v: Value, what: string, span: Span): number[] => {
    if (v.kind === "tuple") return v.elements.map((e) => knownInt(e, what, span));
    if (v.kind === "range") return interp.rangeValues(v, span);
    return [knownInt(v, what, span)];
  };

  /** Sizes given as `d1, d2, ...` or as one tuple `(d1, d2, ...)`. */
  const sizeArgs = (vs: Value[], name: string, span: Span): number[] => {
    const items = vs.length === 1 && vs[0]!.kind === "tuple" ? vs[0]!.elements : vs;
    return items.map((d) => {
      const n = knownInt(d, `${name}: a dimension`, span);
      if (n < 0) throw fail("argument-error", `ArgumentError: invalid Array dimensions: ${n} is negative`, span);
      return n;
    });
  };

  /** `dims` keyword values as 0-based Julia dimensions. */
  const dimsOf = (v: Value, name: string, span: Span): number[] =>
    knownInts(v, `${name}: dims`, span).map((d) => {
      if (d < 1) throw fail("argument-error", `ArgumentError: ${name}: dimension ${d} out of range; dims must be ≥ 1`, span);
      return d - 1;
    });

  const elementTypeArg = (v: Value | undefined): ElementType | undefined =>
    v && v.kind === "type" && v.type.kind === "datatype" && ELEMENT_TYPES.includes(v.type.name as ElementType) ? (v.type.name as ElementType) : undefined;

  /** A value as a tensor of at least the Julia size `()`: scalars become 0-d tensors. */
  const tensorOf = (v: Value, eltype: ElementType, span: Span): Tensor => {
    if (v.kind === "number") return arrays.known(v, eltype);
    if (v.kind === "tensor") {
      if (v.scalar && v.size.length) throw fail("unsupported-broadcast", "an array function was called on one element inside a broadcast; call it outside the broadcast", span);
      return { ...arrays.convert(v, eltype), rowVector: undefined };
    }
    throw fail("no-method", `MethodError: expected an array or a number, got ${describeValue(v)}`, span);
  };

  const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

  /** Julia's size extended with trailing 1s to `n` dimensions. */
  const padSize = (size: number[], n: number) => [...size, ...new Array<number>(Math.max(0, n - size.length)).fill(1)];

  const isNaNTensor = (t: Tensor, scalar: boolean): Tensor => arrays.compare("NE", t, t, scalar);

  // ---- concatenation -------------------------------------------------------------------------

  /** `cat(xs...; dims=k)`: arrays and numbers, each with trailing singleton dimensions up to max(ndims, k). */
  const cat = (values: Value[], k: number, args: CallArgs, name: string): Value => {
    if (!values.length) throw fail("argument-error", `ArgumentError: ${name} of no arrays is not supported; the result would have no element type`, args.span);
    const types = values.map((v, i) => {
      const t = elementType(v);
      if (t === undefined) throw fail("no-method", `MethodError: ${name} expects arrays and numbers, got ${describeValue(v)}`, spanOf(args, i));
      return t;
    });
    const eltype = concrete(types.reduce<NumType>((a, b) => promoteType(a, b), types[0]!));
    const ts = values.map((v, i) => tensorOf(v, eltype, spanOf(args, i)));
    const n = Math.max(k + 1, ...ts.map((t) => t.size.length));
    const padded = ts.map((t) => (t.size.length === n ? t : arrays.reshape(t, padSize(t.size, n))));
    return arrays.concatenate(padded, k);
  };

  define("cat", (args) => {
    lib.keywords(args, "cat", ["dims"]);
    const d = args.keywords.get("dims");
    if (!d) throw fail("missing-keyword", "UndefKeywordError: keyword argument `dims` not assigned", args.span, ["cat(xs...; dims=k) concatenates along dimension k"]);
    const dims = dimsOf(d, "cat", args.span);
    if (dims.length !== 1) throw fail("unsupported-cat", "cat with several dims (a block-diagonal result) is not supported yet", args.span);
    return cat(args.positional, dims[0]!, args, "cat");
  });
  define("vcat", (args) => {
    lib.keywords(args, "vcat");
    return cat(args.positional, 0, args, "vcat");
  });
  define("hcat", (args) => {
    lib.keywords(args, "hcat");
    return cat(args.positional, 1, args, "hcat");
  });

  // ---- permutations and shapes ---------------------------------------------------------------

  define("permutedims", (args) => {
    arity(args, "permutedims", 1, 2);
    lib.keywords(args, "permutedims");
    const x = arrayArg(args, "permutedims");
    if (args.positional.length === 1) {
      // permutedims(v) is the 1×n matrix; permutedims(m) is the (non-lazy) transpose.
      if (x.size.length === 1) return arrays.reshape(x, [1, x.size[0]!]);
      if (x.size.length === 2) return arrays.permute(x, [1, 0]);
      throw methodError("permutedims", args, "permutedims(x) without a permutation is defined for vectors and matrices; give perm for higher ranks");
    }
    const perm = knownInts(args.positional[1]!, "permutedims: perm", spanOf(args, 1)).map((p) => p - 1);
    const n = x.size.length;
    if (perm.length !== n || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
      throw fail("argument-error", `ArgumentError: no valid permutation of dimensions: (${perm.map((p) => p + 1).join(", ")}) for an array of size ${showSize(x.size)}`, spanOf(args, 1));
    return arrays.permute(x, perm);
  });

  define("dropdims", (args) => {
    arity(args, "dropdims", 1);
    lib.keywords(args, "dropdims", ["dims"]);
    const x = arrayArg(args, "dropdims");
    const d = args.keywords.get("dims");
    if (!d) throw fail("missing-keyword", "UndefKeywordError: keyword argument `dims` not assigned", args.span);
    const dims = knownInts(d, "dropdims: dims", args.span);
    dims.forEach((k, i) => {
      if (k < 1 || k > x.size.length) throw fail("argument-error", "ArgumentError: dropped dims must be in range 1:ndims(A)", args.span);
      if (x.size[k - 1] !== 1) throw fail("argument-error", `ArgumentError: dropped dims must all be size 1 (dimension ${k} of an array of size ${showSize(x.size)} has size ${x.size[k - 1]})`, args.span);
      if (dims.slice(0, i).includes(k)) throw fail("argument-error", "ArgumentError: dropped dims must be unique", args.span);
    });
    return arrays.reshape(x, x.size.filter((_, k) => !dims.includes(k + 1)));
  });

  define("vec", (args) => {
    arity(args, "vec", 1);
    const x = arrayArg(args, "vec");
    return x.size.length === 1 && !x.rowVector ? x : arrays.reshape(x, [product(x.size)]);
  });

  /**
   * `repeat(A; inner, outer)` (base/abstractarraymath.jl, _RepeatInnerOuter): each dimension d
   * becomes (inner[d], size[d], outer[d]) in Julia order — inner copies are adjacent, outer
   * copies are whole blocks — so one broadcast and one reshape do it.
   */
  const repeatArray = (x: Tensor, inner: number[] | undefined, outer: number[] | undefined, span: Span): Tensor => {
    for (const [what, reps] of [["inner", inner], ["outer", outer]] as const) {
      if (reps?.some((r) => r < 0)) throw fail("argument-error", `ArgumentError: Number of repetitions cannot be negative. Got ${what} = (${reps.join(", ")})`, span);
    }
    if (inner && inner.length < x.size.length)
      throw fail("argument-error", `ArgumentError: Number of dimensions of repetitions and array must match. Got inner = (${inner.join(", ")}), size(arr) = ${showSize(x.size)}`, span);
    if (outer && inner && outer.length < x.size.length)
      throw fail("argument-error", `ArgumentError: Number of dimensions of repetitions and array must match. Got outer = (${outer.join(", ")}), size(arr) = ${showSize(x.size)}`, span);
    const n = Math.max(x.size.length, inner?.length ?? 0, outer?.length ?? 0);
    const size = padSize(x.size, n);
    const inn = padSize(inner ?? [], n);
    const out = padSize(outer ?? [], n);
    const expanded: number[] = [];
    size.forEach((d, k) => expanded.push(inn[k]!, d, out[k]!));
    const base = arrays.reshape(x, size);
    // Broadcast the array into the middle slot of each (inner, size, outer) triple.
    const withOnes = arrays.reshape(base, size.flatMap((d) => [1, d, 1]));
    const spread = arrays.broadcastTo(withOnes, expanded);
    return arrays.reshape(spread, size.map((d, k) => inn[k]! * d * out[k]!));
  };

  define("repeat", (args) => {
    lib.keywords(args, "repeat", ["inner", "outer"]);
    const x = args.positional[0];
    if (!x) throw methodError("repeat", args);
    if (x.kind === "number") throw methodError("repeat", args, "repeat takes an array; for a scalar use fill(x, n)");
    const a = arrayArg(args, "repeat");
    const reps = (v: Value | undefined, what: string) => (v === undefined || v.kind === "nothing" ? undefined : knownInts(v, `repeat: ${what}`, args.span));
    if (args.positional.length > 1) {
      if (args.keywords.size) throw methodError("repeat", args, "give either counts or the inner/outer keywords");
      return repeatArray(a, undefined, args.positional.slice(1).map((c, i) => knownInt(c, "repeat: a count", spanOf(args, i + 1))), args.span);
    }
    return repeatArray(a, reps(args.keywords.get("inner"), "inner"), reps(args.keywords.get("outer"), "outer"), args.span);
  });

  define("reverse", (args) => {
    arity(args, "reverse", 1);
    lib.keywords(args, "reverse", ["dims"]);
    const x = args.positional[0]!;
    if (x.kind === "tuple") return tuple([...x.elements].reverse());
    if (!isArray(x)) throw methodError("reverse", args);
    const d = args.keywords.get("dims");
    // Julia 1.6+: reverse(A; dims=:) reverses every dimension.
    const dims = d === undefined || d.kind === "colon" ? x.size.map((_, k) => k) : dimsOf(d, "reverse", args.span);
    for (const k of dims) if (k >= x.size.length) throw fail("argument-error", `ArgumentError: dimension ${k + 1} is not 1 ≤ ${k + 1} ≤ ${x.size.length}`, args.span);
    return arrays.reverseDims(x, dims);
  });

  // ---- constructors --------------------------------------------------------------------------

  const filled = (eltype: ElementType, value: number | boolean, size: number[]): Tensor => ({ ...arrays.broadcastTo(arrays.constant(eltype, roundTo(eltype, value)), size), scalar: false });

  /** zeros/ones/trues/falses: `f(T, dims...)`, `f(T, dims)`, `f(dims...)` (Float64, or Bool for trues/falses). */
  const constantArray = (name: string, value: number | boolean, defaultType: ElementType, typed: boolean) =>
    define(name, (args) => {
      lib.keywords(args, name);
      let rest = args.positional;
      let eltype = defaultType;
      const t = elementTypeArg(rest[0]);
      if (t) {
        if (!typed) throw methodError(name, args);
        eltype = t;
        rest = rest.slice(1);
      } else if (rest[0]?.kind === "type") throw fail("unsupported-type", `${name}: element type ${describeValue(rest[0])} is not a supported number type`, spanOf(args, 0));
      return filled(eltype, value, sizeArgs(rest, name, args.span));
    });
  constantArray("zeros", 0, "Float64", true);
  constantArray("ones", 1, "Float64", true);
  constantArray("trues", true, "Bool", false);
  constantArray("falses", false, "Bool", false);

  define("fill", (args) => {
    lib.keywords(args, "fill");
    const v = args.positional[0];
    if (!v || !isScalarish(v)) throw methodError("fill", args, v?.kind === "tensor" ? "fill(v, dims) with an array v would make an array of arrays, which is not supported" : undefined);
    const size = sizeArgs(args.positional.slice(1), "fill", args.span);
    if (v.kind === "number") return filled(concrete(v.type), v.value, size);
    return { ...arrays.broadcastTo(tensorOf(v, v.eltype, spanOf(args, 0)), size), scalar: false };
  });

  // similar(x, [T], [dims...]): Julia leaves the memory uninitialized; here it is zeros, which is
  // one of the values Julia may return.
  // copy(x): a new array with x's values; a new handle, so writing into one leaves the other.
  define(["copy", "deepcopy"], (args) => (arity(args, "copy", 1), { ...arrayArg(args, "copy") }));

  define("similar", (args) => {
    lib.keywords(args, "similar");
    const x = arrayArg(args, "similar");
    let rest = args.positional.slice(1);
    let eltype: ElementType = x.eltype;
    const t = elementTypeArg(rest[0]);
    if (t) {
      eltype = t;
      rest = rest.slice(1);
    }
    return filled(eltype, 0, rest.length ? sizeArgs(rest, "similar", args.span) : x.size);
  });

  // typemin/typemax/floatmax of a number type or of a number's type (typemin(Float32) is -Inf32).
  const extremeOf = (name: string, value: (t: ElementType) => number | boolean) =>
    define(name, (args) => {
      arity(args, name, 1);
      const x = args.positional[0]!;
      const t = elementTypeArg(x) ?? (isScalarish(x) ? concrete(typeOfScalar(x)) : undefined);
      if (t === undefined) throw methodError(name, args);
      const v = value(t);
      if (Number.isNaN(v)) throw methodError(name, args);
      return num(t, roundTo(t, v));
    });
  extremeOf("typemin", (t) => (isFloat(t) ? -Infinity : t === "Bool" ? false : Number(ELTYPES[t].range![0])));
  extremeOf("typemax", (t) => (isFloat(t) ? Infinity : t === "Bool" ? true : Number(ELTYPES[t].range![1])));
  extremeOf("floatmax", (t) => ELTYPES[t].floatmax ?? NaN);

  // ---- clamp ---------------------------------------------------------------------------------

  // Base: clamp(x, lo, hi) = ifelse(x > hi, hi, ifelse(x < lo, lo, x)) in promote_type(x, lo, hi).
  // On arrays it is a MethodError in Julia too (`x > hi` is not defined); broadcast it.
  define("clamp", (args) => {
    arity(args, "clamp", 3);
    lib.keywords(args, "clamp");
    const [x, lo, hi] = args.positional as [Value, Value, Value];
    if (!isScalarish(x) || !isScalarish(lo) || !isScalarish(hi)) throw methodError("clamp", args, x.kind === "tensor" ? "clamp is defined on numbers; use clamp.(x, lo, hi) for an array" : undefined);
    const t = concrete(promoteType(promoteType(typeOfScalar(x), typeOfScalar(lo)), typeOfScalar(hi)));
    if (x.kind === "number" && lo.kind === "number" && hi.kind === "number") {
      const v = toNumber(x.value), l = toNumber(lo.value), h = toNumber(hi.value);
      return num(t, roundTo(t, v > h ? h : v < l ? l : v));
    }
    const [xt, lt, ht] = [asTensor(x, t), asTensor(lo, t), asTensor(hi, t)];
    return arrays.select(arrays.compare("GT", xt, ht, true), ht, arrays.select(arrays.compare("LT", xt, lt, true), lt, xt, true), true);
  });

  // ---- Statistics: mean, var, std --------------------------------------------------------------

  /** The tensor `f.(x)` (or x itself for identity), for `mean(f, x)`. */
  const mapped = (f: Value, x: Value, args: CallArgs, name: string): Value => {
    if (f.kind === "function" && f.fn.name === "identity") return x;
    return interp.broadcast(f, { ...args, positional: [x], keywords: new Map(), argSpans: [spanOf(args, 1)] }, name);
  };

  const reducedCount = (x: Tensor, dims: number[] | undefined) => (dims === undefined ? product(x.size) : product(dims.map((k) => x.size[k] ?? 1)));

  const statDims = (d: Value, name: string, span: Span): number[] | undefined => (d.kind === "colon" ? undefined : dimsOf(d, name, span));

  /** Statistics._mean(f, A, dims): the sum in float(eltype) divided by the count of reduced elements. */
  const mean = (x: Tensor, dims: number[] | undefined): Tensor => {
    const t = floatOf(x.eltype);
    const s = arrays.reduce("sum", arrays.convert(x, t), dims, t);
    const n = arrays.constant(t, reducedCount(x, dims));
    return arrays.elementwise(ops.divide, [s, n], dims === undefined);
  };

  define("_mean", (args) => {
    arity(args, "_mean", 3);
    const [f, a, d] = args.positional as [Value, Value, Value];
    const x = mapped(f, a, args, "mean");
    if (x.kind === "number") return num(floatOf(x.type), roundTo(floatOf(x.type), toNumber(x.value)));
    if (x.kind !== "tensor") throw fail("no-method", `MethodError: mean of ${describeValue(x)} is not supported; give an array`, spanOf(args, 1));
    if (x.scalar) return arrays.convert(x, floatOf(x.eltype));
    return mean(x, statDims(d, "mean", args.span));
  });

  /** Statistics.varm: sum(abs2, x .- m; dims) / (n - corrected), with m the mean unless given. */
  const variance = (x: Tensor, corrected: boolean, m: Value, dims: number[] | undefined, span: Span): Tensor => {
    const t = floatOf(x.eltype);
    const xf = arrays.convert(x, t);
    let mu: Tensor;
    if (m.kind === "nothing") mu = mean(x, dims);
    else if (isScalarish(m) || m.kind === "tensor") {
      mu = tensorOf(m.kind === "tensor" && m.scalar ? { ...m, scalar: true } : m, t, span);
      const expected = dims === undefined ? [] : x.size.map((d, k) => (dims.includes(k) ? 1 : d));
      if (!mu.scalar && !(mu.size.length === expected.length && mu.size.every((d, i) => d === expected[i])))
        throw fail("dimension-mismatch", `DimensionMismatch: mean has size ${showSize(mu.size)}, expected ${showSize(expected)} for dims of an array of size ${showSize(x.size)}`, span);
    } else throw fail("type-error", `TypeError: the mean keyword takes a number or an array, got ${describeValue(m)}`, span);
    const dev = arrays.elementwise(ops.subtract, [xf, mu], false);
    const ss = arrays.reduce("sum", arrays.elementwise(ops.multiply, [dev, dev], false), dims, t);
    const n = arrays.constant(t, reducedCount(x, dims) - (corrected ? 1 : 0));
    return arrays.elementwise(ops.divide, [ss, n], dims === undefined);
  };

  const varArgs = (args: CallArgs, name: string) => {
    arity(args, name, 4);
    const [a, c, m, d] = args.positional as [Value, Value, Value, Value];
    if (c.kind !== "number" || c.type !== "Bool") throw fail("type-error", `TypeError: ${name}: corrected must be a Bool known at compile time, got ${describeValue(c)}`, args.span);
    if (!isArray(a)) throw fail("no-method", `MethodError: ${name} of ${describeValue(a)} is not supported; give an array`, spanOf(args, 0));
    return { x: a, corrected: Boolean(c.value), m, dims: statDims(d, name, args.span) };
  };

  define("_var", (args) => {
    const { x, corrected, m, dims } = varArgs(args, "var");
    return variance(x, corrected, m, dims, args.span);
  });

  define("_std", (args) => {
    const { x, corrected, m, dims } = varArgs(args, "std");
    const v = variance(x, corrected, m, dims, args.span);
    return arrays.elementwise(ops.sqrt, [v], v.scalar);
  });

  // ---- argmax, argmin, findmax, findmin ------------------------------------------------------

  /**
   * findmax/findmin over `dims` (all when undefined). Julia's order: the first extremal element
   * wins, and NaN counts as the extremum (as `max`/`min` propagate it). The index is 1-based and
   * linear (LinearIndices(x)[I]); Julia returns CartesianIndex values for arrays of rank > 1,
   * which have no traced form here — see `cartesian` for the whole-array case.
   */
  const findExtremum = (x: Tensor, dims: number[] | undefined, which: "max" | "min"): { value: Tensor; index: Tensor } => {
    const kind = which === "max" ? "maximum" : "minimum";
    const value = arrays.reduce(kind, x, dims, x.eltype);
    const all = dims === undefined;
    const extreme = all ? { ...value, scalar: false } : value;
    let hit = arrays.compare("EQ", x, extreme, false);
    if (isFloat(x.eltype)) {
      const nanExtreme = isNaNTensor(extreme, false);
      hit = arrays.elementwise(ops.or, [arrays.elementwise(ops.and, [arrays.broadcastTo(nanExtreme, x.size), isNaNTensor(x, false)], false), hit], false);
    }
    const total = product(x.size);
    const linear = arrays.reshape(arrays.iota("Int64", [total], 0), x.size);
    const big = arrays.constant("Int64", BigInt(total));
    const candidates = arrays.select(hit, linear, big, false);
    const first = arrays.reduce("minimum", candidates, dims, "Int64");
    const index = arrays.elementwise(ops.add, [first, arrays.constant("Int64", 1n)], all);
    return { value, index };
  };

  /** A 1-based linear index into an array of `size` as a tuple of Cartesian components (CartesianIndex's fields). */
  const cartesian = (index: Tensor, size: number[]): Value => {
    const zeroBased = arrays.elementwise(ops.subtract, [index, arrays.constant("Int64", 1n)], true);
    let stride = 1;
    return tuple(size.map((d) => {
      const q = arrays.elementwise(ops.divide, [zeroBased, arrays.constant("Int64", BigInt(stride))], true);
      stride *= d;
      const r = arrays.elementwise(ops.remainder, [q, arrays.constant("Int64", BigInt(d))], true);
      return arrays.elementwise(ops.add, [r, arrays.constant("Int64", 1n)], true);
    }));
  };

  const extremum = (name: string, which: "max" | "min", result: "index" | "both") =>
    define(name, (args) => {
      arity(args, name, 1, 2);
      lib.keywords(args, name, args.positional.length === 1 ? ["dims"] : []);
      let x = args.positional[args.positional.length - 1]!;
      const f = args.positional.length === 2 ? args.positional[0]! : undefined;
      if (f) x = mapped(f, x, args, name);
      if (x.kind === "tuple" || x.kind === "number" || x.kind === "range") throw fail("unsupported-argument", `${name} of ${describeValue(x)} is not supported yet; give an array`, args.span);
      if (!isArray(x)) throw methodError(name, args);
      if (!product(x.size)) throw fail("argument-error", "ArgumentError: collection must be non-empty", args.span);
      const d = args.keywords.get("dims");
      const dims = d === undefined || d.kind === "colon" ? undefined : dimsOf(d, name, args.span);
      const { value, index } = findExtremum(x, dims, which);
      const original = args.positional[args.positional.length - 1] as Tensor;
      if (f && result === "index") {
        // argmax(f, A) returns the element of A at which f is extremal.
        const flat = arrays.reshape(original, [product(original.size)]);
        const zeroBased = arrays.elementwise(ops.subtract, [index, arrays.constant("Int64", 1n)], true);
        return { ...arrays.take(flat, 0, zeroBased), scalar: true };
      }
      const idx = dims === undefined && x.size.length > 1 ? cartesian(index, x.size) : index;
      return result === "index" ? idx : tuple([value, idx]);
    });
  extremum("argmax", "max", "index");
  extremum("argmin", "min", "index");
  extremum("findmax", "max", "both");
  extremum("findmin", "min", "both");

  // ---- LinearAlgebra: dot, norm --------------------------------------------------------------

  const dot = (args: CallArgs): Value => {
    arity(args, "dot", 2);
    lib.keywords(args, "dot");
    const [x, y] = args.positional as [Value, Value];
    if (isScalarish(x) && isScalarish(y)) return interp.callNamed("*", [x, y], args.argSpans, args.span, false);
    if (!isArray(x) || !isArray(y)) throw methodError("dot", args);
    const nx = product(x.size), ny = product(y.size);
    if (nx !== ny) throw fail("dimension-mismatch", `DimensionMismatch: first array has length ${nx} which does not match the length of the second, ${ny}.`, args.span);
    const t = concrete(promoteType(x.eltype, y.eltype));
    // dot of Bool arrays sums Bool products as Int in Julia; widen like sum does.
    const et = t === "Bool" ? "Int64" : t;
    return arrays.innerProduct(arrays.convert(x, et), arrays.convert(y, et));
  };
  define(["dot", "⋅"], dot);

  // LinearAlgebra.norm(x, p=2) over all elements: p=2 sqrt(sum(abs2)), p=1 sum(abs), p=Inf
  // maximum(abs), p=-Inf minimum(abs), p=0 the count of non-zeros, otherwise sum(abs.^p)^(1/p).
  // (Julia's p=2 rescales by the largest magnitude first to avoid overflow; this does not.)
  define("norm", (args) => {
    arity(args, "norm", 1, 2);
    lib.keywords(args, "norm");
    const x = args.positional[0]!;
    const pv = args.positional[1] ?? num("Int64", 2);
    if (pv.kind !== "number") throw fail("unsupported-argument", `norm: p must be a number known at compile time, got ${describeValue(pv)}`, spanOf(args, 1));
    const p = toNumber(pv.value);
    if (isScalarish(x) && p !== 0) return interp.callNamed("float", [interp.callNamed("abs", [x], args.argSpans, args.span, false)], args.argSpans, args.span, false);
    if (!isArray(x)) throw methodError("norm", args);
    const t = floatOf(x.eltype);
    const a = arrays.elementwise(ops.abs, [arrays.convert(x, t)], false);
    if (p === 2) return arrays.elementwise(ops.sqrt, [arrays.reduce("sum", arrays.elementwise(ops.multiply, [a, a], false), undefined, t)], true);
    if (p === 1) return arrays.reduce("sum", a, undefined, t);
    if (p === Infinity) return arrays.reduce("maximum", a, undefined, t);
    if (p === -Infinity) return arrays.reduce("minimum", a, undefined, t);
    if (p === 0) return arrays.reduce("sum", arrays.convert(arrays.compare("NE", a, arrays.constant(t, 0), false), t), undefined, t);
    const powered = arrays.elementwise(ops.power, [a, arrays.constant(t, p)], false);
    return arrays.elementwise(ops.power, [arrays.reduce("sum", powered, undefined, t), arrays.constant(t, 1 / p)], true);
  });

  // ---- indexing with integer arrays, view, selectdim ---------------------------------------------

  const base = lib.entries.get("getindex");
  const baseGetindex = base?.kind === "function" ? base.fn.methods[0]?.intrinsic : undefined;

  /**
   * `x[I, J, ...]` where some indices are traced integer arrays (or traced integer scalars): the
   * known ones (integers, ranges, `:`) slice first, then each array index becomes an XLA gather
   * along its dimension, so several array indices select their outer product, as in Julia.
   * Traced indices cannot be bounds-checked at compile time: XLA clamps them into range where
   * Julia would throw a BoundsError.
   */
  const gatherIndex = (x: Tensor, idx: Value[], args: CallArgs): Value => {
    for (const [i, ix] of idx.entries()) {
      if (ix.kind === "tensor" && !isInteger(ix.eltype)) throw fail("argument-error", `ArgumentError: invalid index of type ${ix.eltype === "Bool" ? "Bool array (logical indexing has a data-dependent size and is not supported)" : `${ix.eltype}`}; indices must be integers`, spanOf(args, i + 1));
      if (ix.kind === "tensor" && ix.eltype === "Bool") throw fail("unsupported-index", "logical indexing (a Bool mask) gives a data-dependent size and is not supported; use ifelse.(mask, x, 0) or sum(x .* mask)", spanOf(args, i + 1));
      if (ix.kind === "tensor" && ix.scalar && ix.size.length) throw fail("unsupported-index", "indexing with a traced element inside a broadcast is not supported", spanOf(args, i + 1));
    }
    let t = x;
    if (idx.length === 1 && x.size.length !== 1) t = arrays.reshape(x, [product(x.size)]);
    if (idx.length !== t.size.length) throw fail("unsupported-index", `indexing a ${t.size.length}-dimensional array with ${idx.length} indices is not supported yet`, args.span);
    // Known indices first, as one slice keeping every dimension.
    const known = idx.map((ix) => (ix.kind === "tensor" ? { kind: "colon" } as Value : ix));
    const sliced = baseGetindex!({ ...args, positional: [t, ...known.map((k) => (k.kind === "number" ? { kind: "range", start: toNumber(k.value), step: 1, stop: toNumber(k.value), type: "Int64", unit: true } as Value : k))] });
    if (sliced.kind !== "tensor") throw new Error("internal: slicing returned a non-tensor");
    let r = sliced;
    for (let k = idx.length - 1; k >= 0; k--) {
      const ix = idx[k]!;
      if (ix.kind !== "tensor") continue;
      const zeroBased = arrays.elementwise(ops.subtract, [arrays.convert(ix, "Int64"), arrays.constant("Int64", 1n)], ix.scalar);
      r = arrays.take(r, k, zeroBased);
    }
    const finalSize = idx.flatMap((ix, k) => (ix.kind === "tensor" ? (ix.scalar ? [] : ix.size) : ix.kind === "number" ? [] : [sliced.size[k]!]));
    const out = arrays.reshape(r, finalSize);
    return finalSize.length === 0 ? { ...out, scalar: true } : out;
  };

  if (baseGetindex) {
    define("getindex", (args) => {
      const [x, ...idx] = args.positional;
      if (x && isArray(x) && idx.some((ix) => ix.kind === "tensor")) return gatherIndex(x, idx, args);
      return baseGetindex(args);
    });
  }

  // ---- writing into arrays: x[I...] = v -------------------------------------------------------------

  /**
   * `setindex!(x, v, I...)`: the window the indices select is written with one
   * dynamic-update-slice (a known index is a constant start, a traced integer a traced one), into
   * the array every name bound to x shares (Interpreter.writeInPlace). A known index out of bounds
   * is Julia's BoundsError at compile time. A traced index cannot be checked: XLA clamps the window
   * into the array, so the write lands at the nearest valid position where Julia would throw.
   */
  define("setindex!", (args) => {
    const [x, v, ...idx] = args.positional;
    if (!x || !isArray(x) || !v || !isScalarish(v) && !isArray(v)) throw methodError("setindex!", args);
    const t = idx.length === 1 && x.size.length !== 1 ? arrays.reshape(x, [product(x.size)]) : x;
    if (idx.length !== t.size.length) throw fail("unsupported-index", `writing into a ${t.size.length}-dimensional array with ${idx.length} indices is not supported`, args.span, ["give one index per dimension, or one linear index"]);
    const starts: Tensor[] = [], window: number[] = [], reversed: number[] = [], gaps: number[] = idx.map(() => 0);
    let selectsOne = true;
    idx.forEach((ix, k) => {
      const n = t.size[k]!;
      const span = spanOf(args, k + 2);
      const outOfBounds = (at: string) => fail("bounds-error", `BoundsError: attempt to access ${showSize(t.size)} array at index ${at}${idx.length > 1 ? ` in dimension ${k + 1}` : ""}`, span);
      if (ix.kind === "colon") {
        starts.push(arrays.constant("Int64", 0)); window.push(n); selectsOne = false;
      } else if (ix.kind === "number" && isInteger(concrete(ix.type)) && ix.type !== "Bool") {
        const i = toNumber(ix.value);
        if (i < 1 || i > n) throw outOfBounds(`[${i}]`);
        starts.push(arrays.constant("Int64", i - 1)); window.push(1);
      } else if (ix.kind === "range" && isInteger(ix.type)) {
        const xs = interp.rangeValues(ix, span);
        selectsOne = false;
        const lo = xs.length ? Math.min(...xs) : 1, hi = xs.length ? Math.max(...xs) : 0;
        if (xs.length && (lo < 1 || hi > n)) throw outOfBounds(`[${ix.start}:${ix.unit ? "" : `${ix.step}:`}${ix.stop}]`);
        if (ix.step < 0 && xs.length > 1) reversed.push(k);
        if (xs.length > 1) gaps[k] = Math.abs(ix.step) - 1;
        starts.push(arrays.constant("Int64", lo - 1)); window.push(xs.length);
      } else if (ix.kind === "tensor" && ix.scalar && !ix.size.length && isInteger(ix.eltype) && ix.eltype !== "Bool") {
        starts.push(arrays.elementwise(ops.subtract, [arrays.convert(ix, "Int64"), arrays.constant("Int64", 1)], true)); window.push(1);
      } else if (ix.kind === "tensor" && isInteger(ix.eltype) && ix.eltype !== "Bool") {
        throw fail("unsupported-index", "writing at an array of traced indices (a scatter) is not supported yet", span, ["write at one traced integer at a time, or use a one-hot mask: x = ifelse.(mask, v, x)"]);
      } else throw fail("unsupported-index", `index ${describeValue(ix)} is not supported in an assignment (integers, ranges, : and traced integers are)`, span);
    });
    const valueSpan = spanOf(args, 1);
    const nonSingleton = (size: number[]) => size.filter((d) => d !== 1);
    if (!isArray(v)) {
      if (!selectsOne) throw fail("argument-error", "ArgumentError: indexed assignment with a single value to possibly many locations is not supported; perhaps use broadcasting `.=` instead?", valueSpan);
    } else {
      if (selectsOne) throw fail("no-method", `MethodError: cannot convert ${describeValue(v)} to an element of type ${x.eltype}`, valueSpan, ["write one element (x[i] = v[1]), or a one-element range (x[i:i] = v)"]);
      if (nonSingleton(v.size).join() !== nonSingleton(window).join())
        throw fail("dimension-mismatch", `DimensionMismatch: tried to assign an array of size ${showSize(v.size)} to a destination of size ${showSize(window)}`, valueSpan, ["use .= to broadcast into the destination"]);
    }
    if (product(window) === 0) return x;
    let update = arrays.reverseDims(arrays.reshape(v.kind === "number" ? arrays.known(v, x.eltype) : arrays.convert(v, x.eltype), window), reversed);
    // A strided range (x[1:2:end] = v): the update spread out with gaps, written over the span it
    // covers, the gaps keeping the array's own values.
    if (gaps.some((g) => g > 0)) {
      const spread = arrays.spread(update, gaps, arrays.constant(x.eltype, 0));
      const mask = arrays.spread({ ...arrays.broadcastTo(arrays.constant("Bool", true), window), scalar: false }, gaps, arrays.constant("Bool", false));
      update = arrays.select(mask, spread, arrays.dynamicSlice(t, starts, spread.size), false);
    }
    const written = arrays.updateSlice(t, update, starts);
    interp.writeInPlace(x, t === x ? written : arrays.reshape(written, x.size), args.span);
    return x;
  });

  // Views are values at compile time: view(x, I...) is x[I...].
  define("view", (args) => {
    const x = arrayArg(args, "view");
    return interp.callNamed("getindex", [x, ...args.positional.slice(1)], args.argSpans, args.span, false);
  });

  define("selectdim", (args) => {
    arity(args, "selectdim", 3);
    const x = arrayArg(args, "selectdim");
    const d = knownInt(args.positional[1], "selectdim: d", spanOf(args, 1));
    if (d < 1) throw fail("argument-error", `ArgumentError: dimension must be ≥ 1, got ${d}`, spanOf(args, 1));
    if (d > x.size.length) throw fail("bounds-error", `BoundsError: selectdim dimension ${d} of an array of size ${showSize(x.size)}`, spanOf(args, 1));
    const idx: Value[] = x.size.map((_, k) => (k === d - 1 ? args.positional[2]! : { kind: "colon" }));
    return interp.callNamed("getindex", [x, ...idx], [args.argSpans[0]!, ...idx.map(() => spanOf(args, 2))], args.span, false);
  });

}
