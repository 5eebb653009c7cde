// Base's growable Vector at compile time: `[]`, `T[]`, `Vector{T}()` grown and shrunk with push!,
// append!, pushfirst!, insert!, pop!, popfirst!, deleteat!, empty!, read with getindex, length,
// first/last, and written with setindex!. The vector is a mutable value (every name bound to it
// sees a push!), its length is always known, and its elements are any values: layers while a model
// is built, traced scalars or arrays while a forward pass collects them. Stored elements are
// converted to the element type (`push!(Float32[], 1)` stores 1.0f0), as Julia's setindex! does.
// Julia's semantics are those of base/array.jl.

import type { Span } from "../diagnostics.js";
import { describeValue, juliaTypeOf } from "../semantics/describe.js";
import { datatype, isSubtype, showType } from "../semantics/types.js";
import type { CallArgs, Intrinsic, Value, VectorValue } from "../semantics/values.js";
import { num } from "../semantics/values.js";
import type { IntrinsicLibrary } from "./intrinsics.js";
import { toNumber } from "./numbers.js";

const ANY = datatype("Any");

export function defineVectors(lib: IntrinsicLibrary): void {
  const { interp, fail, arity, methodError } = lib;

  /** Declares an intrinsic for vectors; other arguments go to the one it replaces, or to `otherwise`. */
  const define = (name: string, impl: (args: CallArgs, v: VectorValue) => Value, otherwise: "previous" | Intrinsic = (args) => { throw methodError(name, args); }) =>
    lib.overload(name, (args) => {
      const v = args.positional[0];
      if (v?.kind === "vector") return impl(args, v);
      return otherwise === "previous" ? undefined : otherwise(args);
    }, "(built in, base/array.jl)");

  /** `x` as an element of `v`: converted to the element type, or Julia's MethodError. */
  const element = (v: VectorValue, x: Value, span: Span): Value => {
    if (isSubtype(juliaTypeOf(x), v.eltype)) return x;
    return interp.callNamed("convert", [{ kind: "type", type: v.eltype }, x], [span, span], span, false);
  };

  const knownIndex = (v: VectorValue, i: Value | undefined, span: Span, extra = 0): number => {
    if (!i || i.kind !== "number" || i.type === "Bool" || !Number.isInteger(toNumber(i.value)))
      throw fail("unsupported-index", `a vector's index must be an integer known at compile time, got ${i ? describeValue(i) : "nothing"}`, span);
    const k = toNumber(i.value);
    if (k < 1 || k > v.elements.length + extra) throw fail("bounds-error", `BoundsError: attempt to access ${describeValue(v)} at index [${k}]`, span);
    return k - 1;
  };

  // On an array (a literal of numbers, an argument, a computed array) the values are traced and
  // another name may share it: growing it in place cannot be done faithfully, so it is an error.
  const notOnArrays = (name: string) => (args: CallArgs): Value => {
    const x = args.positional[0];
    if (x?.kind === "tensor" && !x.scalar)
      throw fail("unsupported-mutation", `${name} on an array (${describeValue(x)}) is not supported: its size is fixed once traced`, args.argSpans[0] ?? args.span, ["build it as a vector known at compile time: start from `T[]` or `Vector{T}()` and push! into that"]);
    throw methodError(name, args);
  };

  const mutating = (name: string, impl: (args: CallArgs, v: VectorValue) => Value) =>
    define(name, (args, v) => {
      interp.checkMutable(v, `${name} on a vector`, args.span);
      return impl(args, v);
    }, notOnArrays(name));

  /** The elements of a collection append! and vcat take: a vector, a tuple, a range or an array. */
  const items = (x: Value, span: Span): Value[] => {
    if (x.kind === "vector" || x.kind === "tuple") return x.elements;
    if (x.kind === "range") return interp.rangeValues(x, span).map((n) => num(x.type, n));
    if (x.kind === "tensor" && !x.scalar && x.size.length === 1)
      return Array.from({ length: x.size[0]! }, (_, k) => interp.callNamed("getindex", [x, num("Int64", k + 1)], [span, span], span, false));
    throw fail("no-method", `MethodError: cannot append ${describeValue(x)} to a vector: only vectors, tuples, ranges and known-length 1-d arrays`, span);
  };

  mutating("push!", (args, v) => {
    args.positional.slice(1).forEach((x, i) => v.elements.push(element(v, x, args.argSpans[i + 1] ?? args.span)));
    return v;
  });
  mutating("pushfirst!", (args, v) => {
    v.elements.unshift(...args.positional.slice(1).map((x, i) => element(v, x, args.argSpans[i + 1] ?? args.span)));
    return v;
  });
  mutating("append!", (args, v) => {
    args.positional.slice(1).forEach((c, i) => {
      const span = args.argSpans[i + 1] ?? args.span;
      v.elements.push(...items(c, span).map((x) => element(v, x, span)));
    });
    return v;
  });
  mutating("insert!", (args, v) => {
    arity(args, "insert!", 3);
    const k = knownIndex(v, args.positional[1], args.argSpans[1] ?? args.span, 1);
    v.elements.splice(k, 0, element(v, args.positional[2]!, args.argSpans[2] ?? args.span));
    return v;
  });
  const takeEnd = (name: string, take: (v: VectorValue) => Value) =>
    mutating(name, (args, v) => {
      arity(args, name, 1);
      if (!v.elements.length) throw fail("argument-error", "ArgumentError: array must be non-empty", args.span);
      return take(v);
    });
  takeEnd("pop!", (v) => v.elements.pop()!);
  takeEnd("popfirst!", (v) => v.elements.shift()!);
  mutating("deleteat!", (args, v) => {
    arity(args, "deleteat!", 2);
    const i = args.positional[1]!;
    const span = args.argSpans[1] ?? args.span;
    const ks = i.kind === "range" || i.kind === "tuple" || i.kind === "vector" ? items(i, span).map((k) => knownIndex(v, k, span)) : [knownIndex(v, i, span)];
    for (const k of [...new Set(ks)].sort((a, b) => b - a)) v.elements.splice(k, 1);
    return v;
  });
  mutating("empty!", (args, v) => {
    arity(args, "empty!", 1);
    v.elements.length = 0;
    return v;
  });

  define("setindex!", (args, v) => {
    arity(args, "setindex!", 3);
    interp.checkMutable(v, "setindex! on a vector", args.span);
    v.elements[knownIndex(v, args.positional[2], args.argSpans[2] ?? args.span)] = element(v, args.positional[1]!, args.argSpans[1] ?? args.span);
    return v;
  }, "previous");

  define("getindex", (args, v) => {
    arity(args, "getindex", 2);
    const i = args.positional[1]!;
    const span = args.argSpans[1] ?? args.span;
    if (i.kind === "range" || i.kind === "vector" || i.kind === "tuple") return { kind: "vector", eltype: v.eltype, elements: items(i, span).map((k) => v.elements[knownIndex(v, k, span)]!) };
    if (i.kind === "colon") return { kind: "vector", eltype: v.eltype, elements: [...v.elements] };
    if (i.kind === "tensor") {
      const array = interp.vectorAsArray(v, args.span);
      if (array) return interp.callNamed("getindex", [array, i], args.argSpans, args.span, false);
    }
    return v.elements[knownIndex(v, i, span)]!;
  }, "previous");

  define("length", (args, v) => (arity(args, "length", 1), num("Int64", v.elements.length)), "previous");
  define("size", (args, v) => {
    arity(args, "size", 1, 2);
    if (args.positional.length === 1) return { kind: "tuple", elements: [num("Int64", v.elements.length)] };
    const d = args.positional[1]!;
    if (d.kind !== "number" || toNumber(d.value) < 1) throw fail("argument-error", "size(x, d) needs a positive integer dimension", args.argSpans[1] ?? args.span);
    return num("Int64", toNumber(d.value) === 1 ? v.elements.length : 1);
  }, "previous");
  define("ndims", () => num("Int64", 1), "previous");
  define("isempty", (args, v) => num("Bool", v.elements.length === 0), "previous");
  define("eltype", (args, v) => ({ kind: "type", type: v.eltype }), "previous");
  const end = (name: "first" | "last") =>
    define(name, (args, v) => {
      arity(args, name, 1, 2);
      if (args.positional.length === 2) {
        const n = args.positional[1]!;
        if (n.kind !== "number" || toNumber(n.value) < 0) throw fail("argument-error", `${name}(v, n) needs a non-negative integer n known at compile time`, args.argSpans[1] ?? args.span);
        const k = Math.min(toNumber(n.value), v.elements.length);
        return { kind: "vector", eltype: v.eltype, elements: name === "first" ? v.elements.slice(0, k) : v.elements.slice(v.elements.length - k) };
      }
      if (!v.elements.length) throw fail("bounds-error", `BoundsError: attempt to access ${describeValue(v)} at index [${name === "first" ? 1 : 0}]`, args.span);
      return name === "first" ? v.elements[0]! : v.elements[v.elements.length - 1]!;
    }, "previous");
  end("first");
  end("last");
  define("copy", (args, v) => ({ kind: "vector", eltype: v.eltype, elements: [...v.elements] }), "previous");
  define("collect", (args, v) => ({ kind: "vector", eltype: v.eltype, elements: [...v.elements] }), "previous");

  // vcat of vectors of numbers is an array, as the other array functions see them; with a vector
  // of anything else (layers, arrays) it is a vector of all the elements.
  lib.overload("vcat", (args) => {
    const vectors = args.positional.filter((x): x is VectorValue => x.kind === "vector");
    const numeric = vectors.every((x) => x.elements.every((e) => e.kind === "number" || (e.kind === "tensor" && e.scalar)));
    if (!vectors.length || numeric) return undefined;
    const same = vectors.every((x) => showType(x.eltype) === showType(vectors[0]!.eltype)) && vectors.length === args.positional.length;
    return { kind: "vector", eltype: same ? vectors[0]!.eltype : ANY, elements: args.positional.flatMap((x) => (x.kind === "vector" ? x.elements : [x])) };
  }, "(built in)");
}
