// Base's Dict at compile time (base/dict.jl): built from pairs, read with d[k], get, haskey, keys,
// values, iterated as `k => v` pairs, and changed with d[k] = v, get! and delete!. Keys must be
// known (numbers, symbols, strings, tuples of them); values are anything, known or traced.
// Keys are compared as Julia's isequal compares them: 1 and 1.0 are the same key, 0.0 and -0.0 not.
// An IdDict compares keys with === instead: arrays (traced or not) and mutable values by identity,
// numbers by type and value; so its keys may be arrays, as Zygote's Grads and Flux's old optimisers
// key theirs by the parameter arrays.

import type { Span } from "../diagnostics.js";
import { commonType, describeValue, juliaTypeOf } from "../semantics/describe.js";
import type { JuliaType } from "../semantics/types.js";
import { datatype, isSubtype, typeKey } from "../semantics/types.js";
import type { CallArgs, DictValue, Value } from "../semantics/values.js";
import { num } from "../semantics/values.js";
import type { IntrinsicLibrary } from "./intrinsics.js";
import { toNumber } from "./numbers.js";

/** Numbers the objects used as IdDict keys, for their identity's text. */
const objectNumbers = new WeakMap<object, number>();
let nextObjectNumber = 1;

function objectKey(k: object): string {
  let n = objectNumbers.get(k);
  if (n === undefined) objectNumbers.set(k, (n = nextObjectNumber++));
  return `o:${n}`;
}

/** A key's identity under === (an IdDict's keys), as text; undefined for a traced number. */
function identityKeyText(k: Value): string | undefined {
  if (k.kind === "tensor") return k.scalar ? undefined : objectKey(k);
  if (k.kind === "vector" || k.kind === "dict" || (k.kind === "struct" && k.type.mutable)) return objectKey(k);
  if (k.kind === "number") return `${k.type}:${keyText(k)}`;
  return keyText(k);
}

/** A key's identity under isequal, as text; undefined for a value that cannot be a known key. */
function keyText(k: Value): string | undefined {
  switch (k.kind) {
    case "number": {
      const x = toNumber(k.value);
      return Object.is(x, -0) ? "n:-0" : `n:${x}`;
    }
    case "symbol":
      return `s:${k.name}`;
    case "string":
      return `t:${k.value}`;
    case "nothing":
      return "nothing";
    case "type":
      return `T:${typeKey(k.type)}`;
    case "tuple": {
      const parts = k.elements.map(keyText);
      return parts.every((p) => p !== undefined) ? `(${parts.join(",")})` : undefined;
    }
    default:
      return undefined;
  }
}

export function defineDicts(lib: IntrinsicLibrary): void {
  const { interp, fail, arity } = lib;
  const ANY = datatype("Any");

  const keyOf = (d: DictValue, k: Value, span: Span): string => {
    const text = d.identity ? identityKeyText(k) : keyText(k);
    if (text === undefined)
      throw fail("unsupported-dict-key", d.identity ? `an IdDict key must be known at compile time or an array, got ${describeValue(k)}` : `a Dict key must be known at compile time (a number, symbol, string or a tuple of them), got ${describeValue(k)}`, span, d.identity ? undefined : ["an IdDict keys arrays by identity"]);
    return text;
  };
  const as = (t: JuliaType, x: Value, span: Span): Value => (isSubtype(juliaTypeOf(x), t) ? x : interp.callNamed("convert", [{ kind: "type", type: t }, x], [span, span], span, false));
  const store = (d: DictValue, k: Value, v: Value, span: Span): void => {
    const key = as(d.keyType, k, span);
    d.entries.set(keyOf(d, key, span), [key, as(d.valueType, v, span)]);
  };
  const pairParts = (p: Value, span: Span): [Value, Value] => {
    if (p.kind === "struct" && p.type.name === "Pair") return [p.fields[0]!, p.fields[1]!];
    if (p.kind === "tuple" && p.elements.length === 2) return [p.elements[0]!, p.elements[1]!];
    throw fail("no-method", `MethodError: a Dict is built from pairs k => v, got ${describeValue(p)}`, span);
  };
  const missingKey = (k: Value, span: Span) => fail("key-error", `KeyError: key ${k.kind === "symbol" ? `:${k.name}` : k.kind === "string" ? JSON.stringify(k.value) : k.kind === "number" ? String(k.value) : describeValue(k)} not found`, span);

  /** `Dict(pairs...)`, `Dict(collection of pairs)`, `Dict{K,V}(...)`, and the same for `IdDict`. */
  lib.define("Dict#new", (args) => {
    const [T, ...rest] = args.positional as [Value, ...Value[]];
    const params = T.kind === "type" && T.type.kind === "datatype" ? T.type.params : [];
    const only = rest.length === 1 ? rest[0]! : undefined;
    const given = only && (only.kind === "tuple" || only.kind === "vector") ? only.elements : rest;
    const pairs = given.map((p, i) => pairParts(p, args.argSpans[i + 1] ?? args.span));
    const declared = (p: unknown): JuliaType | undefined => (typeof p === "object" && p !== null && (p as JuliaType).kind !== "typevar" ? (p as JuliaType) : undefined);
    const d: DictValue = {
      kind: "dict",
      identity: T.kind === "type" && T.type.kind === "datatype" && T.type.name === "IdDict" ? true : undefined,
      keyType: declared(params[0]) ?? (pairs.length ? commonType(pairs.map((p) => p[0])) : ANY),
      valueType: declared(params[1]) ?? (pairs.length ? commonType(pairs.map((p) => p[1])) : ANY),
      entries: new Map(),
    };
    pairs.forEach(([k, v], i) => store(d, k, v, args.argSpans[i + 1] ?? args.span));
    return d;
  }, "(built in, base/dict.jl)");

  const overload = (name: string, impl: (args: CallArgs, d: DictValue) => Value) =>
    lib.overload(name, (args) => {
      const d = args.positional[0];
      return d?.kind === "dict" ? impl(args, d) : undefined;
    }, "(built in, base/dict.jl)");

  overload("getindex", (args, d) => {
    arity(args, "getindex", 2);
    const k = args.positional[1]!;
    const span = args.argSpans[1] ?? args.span;
    const entry = d.entries.get(keyOf(d, k, span));
    if (!entry) throw missingKey(k, span);
    return entry[1];
  });
  overload("setindex!", (args, d) => {
    arity(args, "setindex!", 3);
    interp.checkMutable(d, "setting a Dict entry", args.span);
    store(d, args.positional[2]!, args.positional[1]!, args.argSpans[2] ?? args.span);
    return d;
  });
  overload("haskey", (args, d) => (arity(args, "haskey", 2), num("Bool", d.entries.has(keyOf(d, args.positional[1]!, args.argSpans[1] ?? args.span)))));
  overload("get", (args, d) => {
    arity(args, "get", 3);
    return d.entries.get(keyOf(d, args.positional[1]!, args.argSpans[1] ?? args.span))?.[1] ?? args.positional[2]!;
  });
  overload("get!", (args, d) => {
    arity(args, "get!", 3);
    const span = args.argSpans[1] ?? args.span;
    const found = d.entries.get(keyOf(d, args.positional[1]!, span));
    if (found) return found[1];
    interp.checkMutable(d, "get! on a Dict", args.span);
    store(d, args.positional[1]!, args.positional[2]!, span);
    return d.entries.get(keyOf(d, args.positional[1]!, span))![1];
  });
  overload("delete!", (args, d) => {
    arity(args, "delete!", 2);
    interp.checkMutable(d, "delete! on a Dict", args.span);
    d.entries.delete(keyOf(d, args.positional[1]!, args.argSpans[1] ?? args.span));
    return d;
  });
  overload("pop!", (args, d) => {
    arity(args, "pop!", 2, 3);
    interp.checkMutable(d, "pop! on a Dict", args.span);
    const span = args.argSpans[1] ?? args.span;
    const key = keyOf(d, args.positional[1]!, span);
    const found = d.entries.get(key);
    if (!found) {
      if (args.positional[2] !== undefined) return args.positional[2];
      throw missingKey(args.positional[1]!, span);
    }
    d.entries.delete(key);
    return found[1];
  });
  overload("keys", (args, d) => ({ kind: "vector", eltype: d.keyType, elements: [...d.entries.values()].map((e) => e[0]) }));
  overload("values", (args, d) => ({ kind: "vector", eltype: d.valueType, elements: [...d.entries.values()].map((e) => e[1]) }));
  overload("length", (args, d) => num("Int64", d.entries.size));
  overload("isempty", (args, d) => num("Bool", d.entries.size === 0));
  overload("merge", (args, d) => {
    const out: DictValue = { ...d, entries: new Map(d.entries) };
    for (const [i, other] of args.positional.slice(1).entries()) {
      if (other.kind !== "dict") throw lib.methodError("merge", args);
      for (const [k, v] of other.entries.values()) store(out, k, v, args.argSpans[i + 1] ?? args.span);
    }
    return out;
  });
}
