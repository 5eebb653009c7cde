// Base functions over known collections (tuples, NamedTuples, ranges) and higher-order functions:
// all of it runs at compile time, as Julia's inference would unroll it for small tuples.
// Over traced arrays, `map` is elementwise (broadcast) and `foldl`/`reduce` of + and friends
// defer to the reductions.

import type { Span } from "../diagnostics.js";
import { commonType, describeValue, printValue } from "../semantics/describe.js";
import type { CallArgs, Value } from "../semantics/values.js";
import { NOTHING, charsOf, num, tuple } from "../semantics/values.js";
import type { IntrinsicLibrary } from "./intrinsics.js";
import { toNumber } from "./numbers.js";

export function defineCollections(lib: IntrinsicLibrary): void {
  const { interp, fail, define, arity, methodError } = lib;

  /** The elements of a known collection, or undefined for anything else. */
  const elementsOf = (v: Value, span: Span): Value[] | undefined => {
    if (v.kind === "tuple" || v.kind === "namedtuple" || v.kind === "vector") return v.elements;
    if (v.kind === "range") return interp.rangeValues(v, span).map((x) => num(v.type, x));
    // A 1-d array of known length: its elements, each a traced number (enumerate, zip over an array).
    if (v.kind === "tensor" && !v.scalar && v.size.length === 1)
      return Array.from({ length: v.size[0]! }, (_, k) => interp.callNamed("getindex", [v, num("Int64", k + 1)], [span, span], span, false));
    return charsOf(v);
  };

  const call = (f: Value, positional: Value[], args: CallArgs, name: string): Value =>
    interp.call(f, { positional, keywords: new Map(), span: args.span, argSpans: positional.map(() => args.span) }, name);

  const knownInt = (v: Value | undefined, what: string, span: Span): number => {
    if (!v || v.kind !== "number" || !Number.isInteger(toNumber(v.value))) throw fail("argument-error", `${what} must be an integer known at compile time, got ${v ? describeValue(v) : "nothing"}`, span);
    return toNumber(v.value);
  };

  const tupleArg = (args: CallArgs, name: string): Value[] => {
    const xs = elementsOf(args.positional[0]!, args.span);
    if (!xs) throw methodError(name, args);
    return xs;
  };

  define("tail", (args) => {
    arity(args, "tail", 1);
    const xs = tupleArg(args, "tail");
    if (!xs.length) throw fail("argument-error", "ArgumentError: Cannot call tail on an empty tuple.", args.span);
    return tuple(xs.slice(1));
  });
  define("front", (args) => {
    arity(args, "front", 1);
    const xs = tupleArg(args, "front");
    if (!xs.length) throw fail("argument-error", "ArgumentError: Cannot call front on an empty tuple.", args.span);
    return tuple(xs.slice(0, -1));
  });
  define("isempty", (args) => {
    arity(args, "isempty", 1);
    const x = args.positional[0]!;
    if (x.kind === "tensor" && !x.scalar) return num("Bool", x.size.some((d) => d === 0));
    return num("Bool", tupleArg(args, "isempty").length === 0);
  }, "(built in)", true);

  define("ntuple", (args) => {
    arity(args, "ntuple", 2);
    const [f, n] = args.positional as [Value, Value];
    const count = knownInt(n, "ntuple's length", args.argSpans[1] ?? args.span);
    interp.holding(count, "ntuple's tuple", args.span);
    return tuple(Array.from({ length: count }, (_, i) => call(f, [num("Int64", i + 1)], args, "ntuple")));
  });

  define("map", (args) => {
    arity(args, "map", 2, Infinity);
    const [f, ...collections] = args.positional as [Value, ...Value[]];
    if (collections.some((c) => c.kind === "tensor")) return interp.broadcast(f, { ...args, positional: collections, argSpans: args.argSpans.slice(1) }, "map");
    const lists = collections.map((c) => elementsOf(c, args.span));
    if (lists.some((l) => !l)) throw methodError("map", args);
    const n = Math.min(...lists.map((l) => l!.length));
    const out = Array.from({ length: n }, (_, i) => call(f, lists.map((l) => l![i]!), args, "map"));
    const first = collections[0]!;
    if (first.kind === "vector") return { kind: "vector", eltype: commonType(out), elements: out };
    return first.kind === "namedtuple" ? { kind: "namedtuple", names: first.names.slice(0, n), elements: out } : tuple(out);
  });

  const fold = (name: string) =>
    define(name, (args) => {
      arity(args, name, 2);
      lib.keywords(args, name, ["init"]);
      const [op, itr] = args.positional as [Value, Value];
      const xs = elementsOf(itr, args.span);
      if (!xs) {
        if (itr.kind === "tensor" && op.kind === "function" && ["+", "*", "max", "min"].includes(op.fn.name)) {
          const reduction = { "+": "sum", "*": "prod", max: "maximum", min: "minimum" }[op.fn.name as "+" | "*" | "max" | "min"];
          return interp.callNamed(reduction, [itr], [args.argSpans[1] ?? args.span], args.span, false);
        }
        throw methodError(name, args, itr.kind === "tensor" ? "folding a traced array with an arbitrary function is not supported; use sum/prod/maximum/minimum or broadcasting" : undefined);
      }
      const init = args.keywords.get("init");
      if (!xs.length && !init) throw fail("argument-error", `ArgumentError: reducing over an empty collection is not allowed; consider supplying \`init\` to the reducer`, args.span);
      let acc = init ?? xs[0]!;
      for (const x of init ? xs : xs.slice(1)) acc = call(op, [acc, x], args, name);
      return acc;
    });
  fold("foldl");
  fold("reduce");

  define("foldr", (args) => {
    arity(args, "foldr", 2);
    lib.keywords(args, "foldr", ["init"]);
    const [op, itr] = args.positional as [Value, Value];
    const xs = elementsOf(itr, args.span);
    if (!xs) throw methodError("foldr", args);
    const init = args.keywords.get("init");
    if (!xs.length && !init) throw fail("argument-error", "ArgumentError: reducing over an empty collection is not allowed; consider supplying `init` to the reducer", args.span);
    let acc = init ?? xs[xs.length - 1]!;
    for (const x of (init ? xs : xs.slice(0, -1)).reverse()) acc = call(op, [x, acc], args, "foldr");
    return acc;
  });

  define("filter", (args) => {
    arity(args, "filter", 2);
    const [f, itr] = args.positional as [Value, Value];
    const xs = elementsOf(itr, args.span);
    if (!xs) throw methodError("filter", args, itr.kind === "tensor" ? "filtering a traced array gives a data-dependent shape, which XLA cannot express" : undefined);
    return tuple(
      xs.filter((x) => {
        const keep = call(f, [x], args, "filter");
        if (keep.kind !== "number" || keep.type !== "Bool") throw fail("traced-control-flow", `filter's predicate must give a Bool known at compile time, got ${describeValue(keep)}`, args.span);
        return keep.value as boolean;
      }),
    );
  }, "(built in)", true);


  define("enumerate", (args) => {
    arity(args, "enumerate", 1);
    return tuple(tupleArg(args, "enumerate").map((x, i) => tuple([num("Int64", i + 1), x])));
  }, "(built in)", true);

  define("zip", (args) => {
    const lists = args.positional.map((c) => elementsOf(c, args.span));
    if (lists.some((l) => !l)) throw methodError("zip", args);
    const n = Math.min(...lists.map((l) => l!.length));
    return tuple(Array.from({ length: n }, (_, i) => tuple(lists.map((l) => l![i]!))));
  }, "(built in)", true);

  /** collect of numbers is an array (a constant when they are known); of anything else, a tuple. */
  define("collect", (args) => {
    arity(args, "collect", 1);
    const x = args.positional[0]!;
    // A new array (a new handle: writing into it leaves x).
    if (x.kind === "tensor") return { ...x };
    const xs = tupleArg(args, "collect");
    if (xs.length && xs.every((e) => e.kind === "number" || (e.kind === "tensor" && e.scalar))) return interp.callNamed("vcat", xs, [], args.span, false);
    return tuple(xs);
  });

  // sort and unique of known collections (numbers, Chars, Strings, Symbols): a Vector, as Base's.
  // Numbers order by value, Chars by code point, Strings and Symbols by their code points.
  const sortKey = (v: Value, span: Span): number | string => {
    if (v.kind === "number") return toNumber(v.value);
    if (v.kind === "string") return v.char ? v.value.codePointAt(0)! : v.value;
    if (v.kind === "symbol") return v.name;
    throw fail("unsupported-argument", `sorting ${describeValue(v)} is not supported: only numbers, Chars, Strings and Symbols known at compile time`, span);
  };
  const order = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0);
  define("sort", (args) => {
    arity(args, "sort", 1);
    lib.keywords(args, "sort", ["rev", "by"]);
    const x = args.positional[0]!;
    if (x.kind === "tensor") throw fail("unsupported-argument", "sort of a traced array is not supported yet", args.span, ["sort a collection known at compile time"]);
    const xs = tupleArg(args, "sort");
    if (x.kind === "tuple") throw methodError("sort", args);
    const by = args.keywords.get("by");
    const keyed = xs.map((v) => ({ v, k: sortKey(by ? call(by, [v], args, "by") : v, args.span) }));
    const rev = args.keywords.get("rev");
    const sign = rev?.kind === "number" && rev.value === true ? -1 : 1;
    // Array.prototype.sort is stable, as Julia's default for vectors of non-numbers.
    const sorted = keyed.sort((a, b) => sign * order(a.k, b.k)).map((e) => e.v);
    return { kind: "vector", eltype: commonType(sorted), elements: sorted };
  }, "(built in, base/sort.jl)", true);
  lib.overload("unique", (args) => {
    arity(args, "unique", 1);
    const x = args.positional[0]!;
    const xs = elementsOf(x, args.span);
    if (!xs || x.kind === "namedtuple") return undefined;
    const seen = new Set<string>();
    const kept = xs.filter((v) => {
      const key = JSON.stringify([v.kind, v.kind === "number" ? toNumber(v.value) : sortKey(v, args.span)]);
      return seen.has(key) ? false : (seen.add(key), true);
    });
    return { kind: "vector", eltype: commonType(kept), elements: kept };
  }, "(built in, base/set.jl)");

  define("keys", (args) => {
    arity(args, "keys", 1);
    const x = args.positional[0]!;
    if (x.kind === "namedtuple") return tuple(x.names.map((n) => ({ kind: "symbol", name: n })));
    return tuple(tupleArg(args, "keys").map((_, i) => num("Int64", i + 1)));
  }, "(built in)", true);
  define("values", (args) => {
    arity(args, "values", 1);
    return tuple(tupleArg(args, "values"));
  }, "(built in)", true);
  define("haskey", (args) => {
    arity(args, "haskey", 2);
    const [x, k] = args.positional as [Value, Value];
    if (x.kind !== "namedtuple" || k.kind !== "symbol") throw methodError("haskey", args);
    return num("Bool", x.names.includes(k.name));
  });
  define("merge", (args) => {
    const out = { names: [] as string[], elements: [] as Value[] };
    for (const x of args.positional) {
      if (x.kind !== "namedtuple") throw methodError("merge", args);
      x.names.forEach((n, i) => {
        const at = out.names.indexOf(n);
        if (at >= 0) out.elements[at] = x.elements[i]!;
        else out.names.push(n), out.elements.push(x.elements[i]!);
      });
    }
    return { kind: "namedtuple", ...out };
  });

  define(["getfield", "getproperty"], (args) => {
    arity(args, "getfield", 2);
    const [x, f] = args.positional as [Value, Value];
    if (f.kind === "symbol") return interp.propertyOf(x, f.name, args.argSpans[1] ?? args.span);
    if (f.kind === "number" && (x.kind === "struct" || x.kind === "tuple" || x.kind === "namedtuple")) {
      const xs = x.kind === "struct" ? x.fields : x.elements;
      const i = knownInt(f, "a field index", args.span);
      if (i < 1 || i > xs.length) throw fail("bounds-error", `BoundsError: ${describeValue(x)} has ${xs.length} fields`, args.span);
      return xs[i - 1]!;
    }
    throw methodError("getfield", args);
  });
  define("fieldnames", (args) => {
    arity(args, "fieldnames", 1);
    const t = args.positional[0]!;
    const decl = t.kind === "type" && t.type.kind === "datatype" ? t.type.decl : undefined;
    if (!decl || !("fieldNames" in decl)) throw methodError("fieldnames", args);
    return tuple((decl as { fieldNames: string[] }).fieldNames.map((n) => ({ kind: "symbol", name: n })));
  });

  // Errors raised by user code on known paths end the compilation with the user's message.
  for (const exception of ["ArgumentError", "DimensionMismatch", "ErrorException", "DomainError", "AssertionError"]) {
    define(exception, (args) => ({ kind: "string", value: `${exception}: ${args.positional.map((v) => (v.kind === "string" ? v.value : describeValue(v))).join(", ")}` }));
  }
  define("error", (args) => {
    const text = args.positional.map((v) => (v.kind === "string" ? v.value : v.kind === "number" ? String(v.value) : describeValue(v))).join("");
    throw fail("user-error", `ErrorException: ${text}`, args.span);
  });
  define("throw", (args) => {
    arity(args, "throw", 1);
    const x = args.positional[0]!;
    throw fail("user-error", x.kind === "string" ? x.value : `thrown: ${describeValue(x)}`, args.span);
  });
  define("string", (args) => ({ kind: "string", value: args.positional.map(printValue).join("") }));
  define(["println", "print", "display", "show", "@show", "flush"], () => NOTHING);
  // `Symbol(parts...)`: the type Symbol called (Interpreter.call routes it here).
  define("Symbol#new", (args) => ({ kind: "symbol", name: args.positional.map((v) => (v.kind === "string" ? v.value : v.kind === "symbol" ? v.name : String(v.kind === "number" ? v.value : ""))).join("") }));
}

