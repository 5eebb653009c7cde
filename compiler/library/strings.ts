// Char and String operations on known values, as model files use them to build a vocabulary or
// parse a configuration (base/char.jl, base/strings/*.jl): Char arithmetic and tests, indexing,
// concatenation, search, split/join, parse. Strings index by character here, which is Julia's
// byte index for ASCII text; indexing non-ASCII text is an error rather than a different answer.

import type { Span } from "../diagnostics.js";
import { describeValue } from "../semantics/describe.js";
import { datatype, isFloat, isInteger } from "../semantics/types.js";
import type { CallArgs, StringValue, Value } from "../semantics/values.js";
import { char, charsOf, num } from "../semantics/values.js";
import type { IntrinsicLibrary } from "./intrinsics.js";
import { convertExact, toNumber } from "./numbers.js";

const isChar = (v: Value | undefined): v is StringValue => v?.kind === "string" && v.char === true;
const isString = (v: Value | undefined): v is StringValue => v?.kind === "string" && !v.char;
const str = (value: string): StringValue => ({ kind: "string", value });

export function defineStrings(lib: IntrinsicLibrary): void {
  const { fail, methodError, arity } = lib;
  const CHAR = datatype("Char");

  /** Replaces `name` for calls whose arguments `applies` accepts; others go to the previous method. */
  const on = (name: string, applies: (args: CallArgs) => boolean, impl: (args: CallArgs) => Value) =>
    lib.overload(name, (args) => (applies(args) ? impl(args) : undefined), "(built in, base/strings)");
  const define = (name: string, impl: (args: CallArgs) => Value) => lib.define(name, impl, "(built in, base/strings)");

  const code = (c: StringValue) => c.value.codePointAt(0)!;
  const fromCode = (n: number, span: Span): StringValue => {
    if (!Number.isInteger(n) || n < 0 || n > 0x10ffff) throw fail("argument-error", `InexactError: Char(${n})`, span);
    return char(String.fromCodePoint(n));
  };
  const knownInt = (v: Value | undefined, span: Span): number => {
    if (v?.kind !== "number" || !isInteger(v.type)) throw fail("argument-error", `expected an integer known at compile time, got ${v ? describeValue(v) : "nothing"}`, span);
    return toNumber(v.value);
  };
  const text = (v: Value, args: CallArgs, name: string): string => {
    if (v.kind !== "string") throw methodError(name, args);
    return v.value;
  };
  /** The characters of an ASCII string, for indexing by position. */
  const ascii = (s: StringValue, span: Span): string => {
    if (!/^[\x00-\x7f]*$/.test(s.value)) throw fail("unsupported-argument", `indexing the non-ASCII string ${JSON.stringify(s.value)} is not supported (Julia indexes strings by byte)`, span);
    return s.value;
  };

  // Char arithmetic: 'd' - 'a' is an Int, 'a' + 1 and 'b' - 1 are Chars.
  on("-", (a) => a.positional.length === 2 && isChar(a.positional[0]), (args) => {
    const [c, d] = args.positional as [StringValue, Value];
    if (isChar(d)) return num("Int64", code(c) - code(d));
    return fromCode(code(c) - knownInt(d, args.span), args.span);
  });
  on("+", (a) => a.positional.length === 2 && (isChar(a.positional[0]) || isChar(a.positional[1])), (args) => {
    const [c, n] = isChar(args.positional[0]) ? (args.positional as [StringValue, Value]) : ([args.positional[1], args.positional[0]] as [StringValue, Value]);
    return fromCode(code(c) + knownInt(n, args.span), args.span);
  });
  // `*` concatenates strings and chars.
  on("*", (a) => a.positional.length >= 2 && a.positional.every((v) => v.kind === "string"), (args) => str(args.positional.map((v) => (v as StringValue).value).join("")));
  // Chars compare by code point, strings lexicographically by code point.
  const compare = (a: StringValue, b: StringValue): number => (a.char ? code(a) - code(b) : a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
  const comparisons: Record<string, (c: number) => boolean> = { "<": (c) => c < 0, "<=": (c) => c <= 0, "≤": (c) => c <= 0, ">": (c) => c > 0, ">=": (c) => c >= 0, "≥": (c) => c >= 0, isless: (c) => c < 0 };
  for (const [name, test] of Object.entries(comparisons)) {
    on(name, (a) => a.positional.length === 2 && a.positional.every((v) => v.kind === "string") && isChar(a.positional[0]) === isChar(a.positional[1]), (args) =>
      num("Bool", test(compare(args.positional[0] as StringValue, args.positional[1] as StringValue))));
  }

  // Conversions: Int('a'), UInt32(c), Char(98), codepoint(c).
  lib.overload("convert", (args) => {
    const [T, x] = args.positional;
    if (T?.kind !== "type" || T.type.kind !== "datatype") return undefined;
    if (isChar(x) && T.type.name !== "Char" && T.type.name !== "Any" && T.type.name !== "AbstractChar") {
      const t = T.type.name === "Integer" || T.type.name === "Signed" ? "Int64" : T.type.name;
      if (isFloat(t as never) || isInteger(t as never)) {
        const v = convertExact(t as never, code(x));
        if (v === undefined) throw fail("inexact", `InexactError: ${t}(${describeValue(x)})`, args.span);
        return num(t as never, v);
      }
      return undefined;
    }
    if (T.type.name === "Char" && x?.kind === "number") return fromCode(toNumber(x.value), args.span);
    if (T.type.name === "String" && isChar(x)) return str(x.value);
    return undefined;
  }, "(built in, base/char.jl)");
  define("codepoint", (args) => {
    arity(args, "codepoint", 1);
    const c = args.positional[0];
    if (!isChar(c)) throw methodError("codepoint", args);
    return num("UInt32", code(c));
  });

  // Character classes (ASCII and Unicode letters/digits as JavaScript's regular expressions know them).
  const classes: Record<string, RegExp> = {
    isletter: /^\p{L}$/u, isdigit: /^[0-9]$/, isnumeric: /^\p{N}$/u, isspace: /^\s$/u, isuppercase: /^\p{Lu}$/u,
    islowercase: /^\p{Ll}$/u, isascii: /^[\x00-\x7f]$/, ispunct: /^\p{P}$/u, isxdigit: /^[0-9a-fA-F]$/, isalnum: /^[\p{L}\p{N}]$/u,
  };
  for (const [name, re] of Object.entries(classes)) {
    define(name, (args) => {
      arity(args, name, 1);
      const c = args.positional[0];
      if (!isChar(c)) throw methodError(name, args);
      return num("Bool", re.test(c.value));
    });
  }
  for (const [name, f] of [["uppercase", (s: string) => s.toUpperCase()], ["lowercase", (s: string) => s.toLowerCase()]] as const) {
    define(name, (args) => {
      arity(args, name, 1);
      const s = args.positional[0];
      if (s?.kind !== "string") throw methodError(name, args);
      return { ...s, value: f(s.value) };
    });
  }

  // Indexing by position: s[i] is a Char, s[a:b] a String; `end` is lastindex.
  on("getindex", (a) => isString(a.positional[0]) && a.positional.length === 2, (args) => {
    const s = ascii(args.positional[0] as StringValue, args.span);
    const i = args.positional[1]!;
    const at = (k: number) => {
      if (k < 1 || k > s.length) throw fail("bounds-error", `BoundsError: attempt to access ${s.length}-codeunit String at index [${k}]`, args.argSpans[1] ?? args.span);
      return s[k - 1]!;
    };
    if (i.kind === "range" && isInteger(i.type)) return str(lib.interp.rangeValues(i, args.span).map(at).join(""));
    return char(at(knownInt(i, args.argSpans[1] ?? args.span)));
  });
  on("lastindex", (a) => isString(a.positional[0]), (args) => num("Int64", ascii(args.positional[0] as StringValue, args.span).length));
  on("firstindex", (a) => isString(a.positional[0]), () => num("Int64", 1));
  on("collect", (a) => isString(a.positional[0]), (args) => ({ kind: "vector", eltype: CHAR, elements: charsOf(args.positional[0]!)! }));
  on("reverse", (a) => isString(a.positional[0]), (args) => str([...(args.positional[0] as StringValue).value].reverse().join("")));
  on("repeat", (a) => a.positional[0]?.kind === "string", (args) => {
    arity(args, "repeat", 2);
    return str((args.positional[0] as StringValue).value.repeat(Math.max(0, knownInt(args.positional[1], args.span))));
  });
  on("unique", (a) => isString(a.positional[0]), (args) => ({ kind: "vector", eltype: CHAR, elements: [...new Set((args.positional[0] as StringValue).value)].map(char) }));

  // Search.
  const search = (name: string, test: (s: string, t: string) => boolean, needleFirst: boolean) =>
    define(name, (args) => {
      arity(args, name, 2);
      const [a, b] = args.positional as [Value, Value];
      const [needle, hay] = needleFirst ? [a, b] : [b, a];
      return num("Bool", test(text(hay, args, name), text(needle, args, name)));
    });
  search("occursin", (s, t) => s.includes(t), true);
  search("contains", (s, t) => s.includes(t), false);
  search("startswith", (s, t) => s.startsWith(t), false);
  search("endswith", (s, t) => s.endsWith(t), false);

  define("split", (args) => {
    arity(args, "split", 1, 2);
    lib.keywords(args, "split", ["keepempty"]);
    const s = text(args.positional[0]!, args, "split");
    const sep = args.positional[1];
    const keepEmpty = args.keywords.get("keepempty");
    // split(s) splits on runs of whitespace and drops empty parts; split(s, sep) keeps them.
    const parts = sep === undefined ? s.split(/\s+/u) : s.split(text(sep, args, "split"));
    const keep = keepEmpty ? keepEmpty.kind === "number" && keepEmpty.value === true : sep !== undefined;
    return { kind: "vector", eltype: datatype("String"), elements: parts.filter((p) => keep || p !== "").map(str) };
  });
  define("join", (args) => {
    arity(args, "join", 1, 2);
    const items = lib.interp.iterate(args.positional[0]!, args.span);
    const sep = args.positional[1] === undefined ? "" : text(args.positional[1], args, "join");
    return str(items.map((v) => (v.kind === "string" ? v.value : v.kind === "number" ? String(v.value) : describeValue(v))).join(sep));
  });
  for (const [name, f] of [["strip", (s: string) => s.trim()], ["lstrip", (s: string) => s.trimStart()], ["rstrip", (s: string) => s.trimEnd()], ["chomp", (s: string) => s.replace(/\r?\n$/, "")]] as const) {
    define(name, (args) => {
      arity(args, name, 1);
      return str(f(text(args.positional[0]!, args, name)));
    });
  }
  define("parse", (args) => {
    arity(args, "parse", 2);
    const [T, s] = args.positional as [Value, Value];
    if (T.kind !== "type" || T.type.kind !== "datatype") throw methodError("parse", args);
    const t = T.type.name === "Int" ? "Int64" : T.type.name;
    const body = text(s, args, "parse").trim();
    const value = isInteger(t as never) && /^[+-]?\d+$/.test(body) ? Number(body) : isFloat(t as never) && body !== "" && !Number.isNaN(Number(body)) ? Number(body) : undefined;
    const v = value === undefined ? undefined : convertExact(t as never, value);
    if (v === undefined) throw fail("argument-error", `ArgumentError: cannot parse ${JSON.stringify(body)} as ${t}`, args.span);
    return num(t as never, v);
  });
}
