// Syntax trees parsed ahead of time. The prelude (compiler/library/prelude.jl, ~500 lines) is parsed
// by every process that compiles anything; with V8 still cold that took 70-130 ms of a cold
// `tpu-build build`. The build (scripts/preparse-prelude.mjs) parses it once and writes the tree as
// JSON beside the compiled compiler; loading it back is a JSON.parse and one walk.
//
// A stored tree is used only for exactly the text it was parsed from, and only by the parser that
// made it (the file records the SHA-256 of both): a prelude edited, or a parser rebuilt, without
// running the build script just means the prelude is parsed again, never a stale tree.
//
// The encoding is JSON with a few repairs, so that a revived tree is deep-equal to a fresh parse
// (node:util's isDeepStrictEqual, which the build script checks): a property whose value is
// `undefined` is kept as `null` (syntax trees hold no null), and bigint literals and the numbers
// JSON cannot spell (NaN, ±Infinity, -0) are tagged objects. Spans, a third of the nodes, are
// stored as [start, end] (their file is the tree's path): that halves what JSON.parse reads.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Span } from "../diagnostics.js";
import type { ParseResult } from "./parser.js";

/** What a pre-parsed file holds. */
export interface PreparsedFile {
  format: typeof FORMAT;
  /** SHA-256 of the source text the tree was parsed from. */
  source: string;
  /** parserBuildId() of the parser that parsed it. */
  parser: string;
  /** The parse result, encoded by encodeParse(). */
  result: unknown;
}

const FORMAT = "tpu-build/preparsed/1";

const BIGINT = "$bigint";
const NUMBER = "$number";
/** The properties of syntax tree nodes that hold a Span. */
const SPAN_KEYS = new Set(["span", "opSpan", "nameSpan"]);

/** The JSON-ready form of a parse result (see the top of this file). */
export function encodeParse(result: ParseResult): unknown {
  const path = result.file.path;
  // Bottom-up with an explicit stack, so that trees deeper than the call stack (long `+` chains) encode too.
  const encoded = new Map<object, unknown>();
  const encode = (v: unknown, key?: string): unknown => {
    if (key !== undefined && SPAN_KEYS.has(key)) {
      const s = v as Span;
      if (Object.keys(s).join() !== "file,start,end" || s.file !== path) throw new Error(`internal error: a span outside ${path} in its syntax tree: ${JSON.stringify(s)}`);
      return [s.start, s.end];
    }
    if (v === undefined) return null;
    if (v === null) throw new Error("internal error: a syntax tree holds null, which the pre-parsed encoding reserves for undefined");
    if (typeof v === "bigint") return { [BIGINT]: v.toString() };
    if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0) ? v : { [NUMBER]: Object.is(v, -0) ? "-0" : String(v) };
    if (typeof v !== "object") return v;
    return encoded.get(v);
  };
  const containers = childContainers([result.file.body, result.diagnostics]);
  for (let k = containers.length - 1; k >= 0; k--) {
    const v = containers[k]!;
    if (Array.isArray(v)) {
      encoded.set(v, v.map((x) => encode(x)));
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new Error(`internal error: a syntax tree holds a ${proto?.constructor?.name ?? "class"} instance, which JSON cannot keep`);
    const out: Record<string, unknown> = {};
    for (const [key, x] of Object.entries(v)) out[key] = encode(x, key);
    encoded.set(v, out);
  }
  return { file: { path, body: encoded.get(result.file.body) }, diagnostics: encoded.get(result.diagnostics) };
}

/** The objects and arrays reachable from `roots` (spans excepted), each after the one holding it. */
function childContainers(roots: object[]): object[] {
  const pending: object[] = [...roots];
  const order: object[] = [];
  const seen = new Set<object>();
  while (pending.length) {
    const v = pending.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    order.push(v);
    if (Array.isArray(v)) {
      for (const x of v) if (typeof x === "object" && x !== null) pending.push(x);
    } else {
      for (const [key, x] of Object.entries(v)) if (typeof x === "object" && x !== null && !SPAN_KEYS.has(key)) pending.push(x);
    }
  }
  return order;
}

/** The parse result encodeParse() encoded (revived in place: `value` is what JSON.parse returned). */
export function decodeParse(value: unknown): ParseResult {
  const result = value as { file: { path: string; body: unknown }; diagnostics: unknown[] };
  const path = result.file.path;
  // In place, with an explicit stack of the containers still to revive (trees may be deeper than the call stack).
  const pending: (unknown[] | Record<string, unknown>)[] = [];
  const revive = (x: unknown, key: string | undefined): unknown => {
    if (x === null) return undefined;
    if (typeof x !== "object") return x;
    if (Array.isArray(x)) {
      if (key !== undefined && SPAN_KEYS.has(key)) return { file: path, start: x[0] as number, end: x[1] as number } satisfies Span;
    } else {
      const tagged = x as Record<string, unknown>;
      if (typeof tagged[BIGINT] === "string") return BigInt(tagged[BIGINT]);
      if (typeof tagged[NUMBER] === "string") return tagged[NUMBER] === "-0" ? -0 : Number(tagged[NUMBER]);
    }
    pending.push(x as unknown[] | Record<string, unknown>);
    return x;
  };
  result.file.body = revive(result.file.body, undefined);
  revive(result.diagnostics, undefined);
  while (pending.length) {
    const o = pending.pop()!;
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) o[i] = revive(o[i], undefined);
    } else {
      for (const k in o) o[k] = revive(o[k], k);
    }
  }
  return result as ParseResult;
}

/**
 * SHA-256 of the parser's own code (the lexer and parser modules beside this one, compiled or
 * source): a tree is only as good as the parser that made it.
 */
export function parserBuildId(): string {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const hash = createHash("sha256");
  for (const name of ["lexer", "parser"]) hash.update(readFileSync(join(dirname(here), `${name}${ext}`)));
  return hash.digest("hex");
}

export function sourceDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The text of a pre-parsed file for `result`, parsed from `text`. */
export function writePreparsed(text: string, result: ParseResult): string {
  const file: PreparsedFile = { format: FORMAT, source: sourceDigest(text), parser: parserBuildId(), result: encodeParse(result) };
  return JSON.stringify(file);
}

/** The tree stored in `path` for exactly `text` and this parser; undefined when absent, stale or unreadable. */
export function readPreparsed(path: string, text: string): ParseResult | undefined {
  let file: PreparsedFile;
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as PreparsedFile;
  } catch {
    return undefined;
  }
  if (file.format !== FORMAT || file.source !== sourceDigest(text) || file.parser !== parserBuildId()) return undefined;
  return decodeParse(file.result);
}
