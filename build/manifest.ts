// The manifest (tpu.config.json): text → located JSON → schema check → semantic checks → the
// resolved build graph. Plain data in, plain data out: errors are ManifestDiagnostic values that
// point at a line, a column and a JSON pointer of the manifest, rendered in one place
// (renderManifestDiagnostic, through compiler/diagnostics.ts's renderer).
//
// The schema (schema/tpu.config.schema.json, draft-07) is the source of truth for the shape; ajv's
// raw errors for a union (an argument, a value, `run`) list every branch's complaints, so we pick the
// branch the user meant by its keys (or a near-miss spelling of them) and report only that branch's
// errors, or, when no branch fits, say which forms are accepted. The validators are ajv's standalone
// code, generated from the schema by scripts/gen-schema-types.mjs (schema/manifest-validate.ts, kept
// in sync by a test): compiling the schema at start-up cost every cold build ~60-100 ms.

import type { ErrorObject, ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { editDistance, renderDiagnostic, SourceFile, type Diagnostic } from "../compiler/diagnostics.js";
import type { ArgSpec, ElementType, MeshSpec, ShardSpec, Signature, TypeTree } from "../plugins/api.js";
import { changedAtMs, fileStamp, RACY_MS, type FileStamp } from "./file-stamps.js";
import { canonicalJson } from "./hash.js";
import type { CompileLimits, Entry, Expectation, RemoteCache, TpuConfig } from "../schema/manifest.js";
import * as generatedValidators from "../schema/manifest-validate.js";
import { isFloatEltype as isFloatType, scalarProblem } from "../compiler/eltypes.js";
import { escapePointerToken, jsonPointer, parseJsonWithLocations, pointerTokens, type JsonDocument } from "./json-locations.js";
import { describeDescr, elementCount, ELEMENT_SIZE, eltypeOfDescr, formatNpyShape, readNpyHeader, type NpyHeader } from "./npy.js";
import { workspaceFile, type FileRefusal } from "./workspace.js";
import { displayPath } from "./display-path.js";
import { layerManifest, type Origin } from "./manifest-layers.js";
import { formatBytes, MAX_DIMENSIONS, MAX_JSON_DEPTH, MAX_ELEMENTS, MAX_REPORTED_ERRORS, MAX_VALUE_BYTES, parseByteSize, SIZE_EXAMPLES } from "./limits.js";

export type { TpuConfig } from "../schema/manifest.js";

/** Default output directory (relative to the manifest) and default target of `"run": true`. */
export const DEFAULT_OUT = ".tpu-build/out";
export const DEFAULT_TARGET = "local";

// --- diagnostics ----------------------------------------------------------------------------

export interface ManifestDiagnostic {
  /**
   * Stable code: invalid-json, duplicate-key, unknown-key, missing-key, wrong-type, invalid-value,
   * invalid-argument, invalid-entry-name, source-not-found, unknown-entry, dependency-cycle,
   * from-not-run, missing-value, scalar-value, value-not-representable, random-eltype,
   * npy-not-found, npy-invalid, npy-eltype-mismatch, npy-shape-mismatch, manifest-not-found,
   * source-outside-workspace, source-not-regular-file, source-unreadable, too-many-dimensions,
   * array-too-large, const-out-of-range, expect-without-run, empty-expectation, tolerance-without-npy, too-many-errors, or (through manifestDiagnosticAt) a code
   * of the engine's, such as unknown-function, unknown-target, unknown-setting, invalid-setting.
   */
  code: string;
  message: string;
  /** JSON pointer of the offending value or key ("" for the whole file). */
  pointer: string;
  /** Absolute path of the manifest. */
  file: string;
  /** 1-based line and column (UTF-16 code units) of `start`. */
  line: number;
  col: number;
  /** Offsets [start, end) of the text the caret underlines. */
  start: number;
  end: number;
  /** The nearest valid key, name or value for a misspelt one. */
  suggestion?: string;
  notes?: string[];
  /** The text of `file` when it is not the manifest that was loaded (a base it `extends`), to render the line. */
  sourceText?: string;
}

export interface ResolvedManifest {
  /** Absolute path of tpu.config.json and its directory (paths in it are relative to that). */
  path: string;
  dir: string;
  text: string;
  document: JsonDocument;
  config: TpuConfig;
  /** Absolute output directory. */
  outDir: string;
  defaultTarget: string;
  targets: Record<string, Record<string, unknown>>;
  /** `watch.targets`: settings merged over `targets` in watch builds. */
  watchTargets: Record<string, Record<string, unknown>>;
  /** `watch.tieredCompilation` (default true): watch builds run fast-compiled executables first. */
  watchTiered: boolean;
  /** The `remoteCache` section as written (secrets unresolved; build/remote-cache/config.ts resolves it). */
  remoteCache?: RemoteCache;
  /** `cache.maxSize` in bytes (TPU_BUILD_CACHE_MAX, read by the engine, overrides it). */
  cacheMaxBytes?: number;
  /** Every manifest file read: this one, then the bases it `extends` (a change to any changes the build). */
  files: string[];
  /** The profile applied (`--profile`). */
  profile?: string;
  /** Where a value came from, when the manifest has layers (`extends`, a profile); else this file, same pointer. */
  originOf?: (pointer: string) => Origin;
  /** Entries by name, in declaration order. */
  entries: Record<string, ResolvedEntry>;
  /** Entry names, dependencies before dependents (declaration order among independent ones). */
  order: string[];
}

export interface ResolvedEntry {
  name: string;
  /** "/entries/<name>" */
  pointer: string;
  /** Source file relative to the manifest's directory, with '/' separators (as the compiler wants it). */
  file: string;
  /** Absolute path of the source file. */
  filePath: string;
  function: string;
  args: ResolvedArg[];
  /** null: compile only. */
  /** `cache: "remote"`: the run's results are shared through the remote cache. */
  run: { target: string; cache: "local" | "remote" } | null;
  /** `run.mesh`: the entry is one SPMD program over this mesh of its target's devices. */
  mesh?: MeshSpec;
  /** `run.resultShards`: how each result leaf stays split over the mesh (null: whole on each device). */
  resultShards?: (ShardSpec | null)[];
  /** Names of the entries whose results this one takes (`from`), each once, in argument order. */
  dependencies: string[];
  /** The compile budgets given: the manifest's `compileLimits` with the entry's own over them (the rest default). */
  compileLimits: CompileLimits;
  /** `expect`: checks of result leaves after each run, in the manifest's order. */
  expect: ResolvedExpectation[];
}

/** One `expect` item: which leaf (as written), where it is, and its checks (tolerances defaulted as numpy.allclose's). */
export interface ResolvedExpectation {
  /** The key as written: a leaf's path in result.json ("result.loss") or its index ("0"). */
  leaf: string;
  /** "/entries/<name>/expect/<leaf>" */
  pointer: string;
  npy?: { path: string; relative: string; rtol: number; atol: number };
  finite?: boolean;
  /** Julia size. */
  shape?: number[];
}

/** numpy.allclose's default tolerances, the defaults of `expect`'s `rtol` and `atol`. */
export const DEFAULT_RTOL = 1e-5;
export const DEFAULT_ATOL = 1e-8;

export type ResolvedArg =
  | {
      kind: "array";
      pointer: string;
      eltype: ElementType;
      /** Julia size; [] for a scalar. */
      size: number[];
      /** No `size` in the manifest: a scalar (Float32), not a 0-dimensional array. */
      scalar: boolean;
      /** Absent for compile-only entries that give none. */
      value?: ResolvedValue;
      /** How it is split over the entry's mesh (Julia order), when it is. */
      shard?: ShardSpec;
    }
  | { kind: "from"; pointer: string; entry: string }
  | {
      kind: "const";
      pointer: string;
      value: unknown;
      /** The value's exact JSON text: `1.0` (Float64) and `1` (Int64) parse to the same number. */
      raw: string;
    };

export type ResolvedValue =
  | { kind: "npy"; path: string; relative: string }
  | { kind: "random"; distribution: "normal" | "uniform"; seed?: number }
  | { kind: "fill"; value: number | boolean }
  | { kind: "scalar"; value: number | boolean };

/**
 * What the checks after loading read of a manifest (its plugins, the targets' settings, the
 * compiler, the remote cache: build/engine.ts): those of a resolved manifest, or, when loading
 * failed after the JSON parsed, the sections that passed the schema, so one pass reports both.
 */
export interface ManifestSections extends Pick<ResolvedManifest, "path" | "dir" | "text" | "document" | "originOf" | "targets" | "watchTargets" | "remoteCache"> {
  config: Pick<TpuConfig, "plugins" | "compiler">;
  /** The target each running entry names (with its entry, for the error's place). */
  runs: { entry: string; target: string }[];
}

/** A resolved manifest's sections. */
export function manifestSections(m: ResolvedManifest): ManifestSections {
  const runs = m.order.flatMap((entry) => {
    const run = m.entries[entry]!.run;
    return run ? [{ entry, target: run.target }] : [];
  });
  return { path: m.path, dir: m.dir, text: m.text, document: m.document, ...(m.originOf ? { originOf: m.originOf } : {}), targets: m.targets, watchTargets: m.watchTargets, ...(m.remoteCache ? { remoteCache: m.remoteCache } : {}), config: { plugins: m.config.plugins, compiler: m.config.compiler }, runs };
}

export type ManifestLoadResult =
  | { ok: true; manifest: ResolvedManifest }
  | { ok: false; path: string; text?: string; diagnostics: ManifestDiagnostic[]; sections?: ManifestSections };

// --- nearest names --------------------------------------------------------------------------

/** The candidate closest to `word` (ignoring case), if it is close enough to be a likely misspelling. */
export function nearestName(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(word.length / 3));
  for (const c of candidates) {
    // The distance is at least the difference in length: a key megabytes long is no misspelling.
    if (c === word || Math.abs(c.length - word.length) > limit) continue;
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) (best = c), (bestDistance = d);
  }
  return bestDistance <= limit ? best : undefined;
}

// --- locations ------------------------------------------------------------------------------

interface Located {
  path: string;
  source: SourceFile;
  document?: JsonDocument;
  /** A layered manifest's origins: the file and pointer a merged value came from. */
  originOf?: (pointer: string) => Origin;
}

/** The text range of `pointer` (its key when `at` is "key"), or of its nearest ancestor that exists. */
function rangeOf(doc: JsonDocument | undefined, pointer: string, at: "value" | "key" = "value"): { start: number; end: number } {
  if (!doc) return { start: 0, end: 0 };
  let p = pointer;
  for (;;) {
    const loc = doc.locations.get(p);
    if (loc) {
      if (at === "key" && loc.key) return loc.key;
      return { start: loc.start, end: loc.end };
    }
    if (p === "") return { start: 0, end: 0 };
    p = p.slice(0, p.lastIndexOf("/"));
    at = "value";
  }
}

function diagnostic(
  where: Located,
  code: string,
  message: string,
  pointer: string,
  options: { at?: "value" | "key"; range?: { start: number; end: number }; suggestion?: string; notes?: string[] } = {},
): ManifestDiagnostic {
  // In a layered manifest, the value's own file and its pointer there.
  const origin = where.originOf && !options.range ? where.originOf(pointer) : undefined;
  const at: Located = origin ? origin.file : where;
  if (origin) pointer = origin.pointer;
  const range = options.range ?? rangeOf(at.document, pointer, options.at);
  // Underline at most the first line of a multi-line value (an object's "{", say). The line's end
  // comes from the line index: searching the text for it costs a pass over a one-line manifest per error.
  const { line, col } = at.source.position(range.start);
  const nextLine = at.source.lineStarts[line];
  const firstLineEnd = nextLine === undefined ? -1 : nextLine - 1;
  const end = firstLineEnd >= 0 && firstLineEnd < range.end ? Math.max(range.start + 1, firstLineEnd) : range.end;
  const d: ManifestDiagnostic = { code, message, pointer, file: at.path, line, col, start: range.start, end };
  if (at.path !== where.path) d.sourceText = at.source.text;
  if (options.suggestion !== undefined) d.suggestion = options.suggestion;
  if (options.notes?.length) d.notes = options.notes;
  return d;
}

/** The pointer of an entry's field: entryPointer("mlp", "function") → "/entries/mlp/function". */
export function entryPointer(entry: string, ...path: (string | number)[]): string {
  return jsonPointer(["entries", entry, ...path]);
}

/** Line, column and range of a pointer in a loaded manifest (its nearest existing ancestor if absent). */
export function manifestLocation(manifest: ResolvedManifest, pointer: string, at: "value" | "key" = "value"): { line: number; col: number; start: number; end: number } {
  const origin = manifest.originOf?.(pointer);
  if (origin) {
    const range = rangeOf(origin.file.document, origin.pointer, at);
    return { ...origin.file.source.position(range.start), ...range };
  }
  const range = rangeOf(manifest.document, pointer, at);
  return { ...new SourceFile(manifest.path, manifest.text).position(range.start), ...range };
}

/**
 * A diagnostic at a place in a loaded manifest, for errors found after loading, e.g. the compiler's
 * unknown function: manifestDiagnosticAt(m, entryPointer("mlp", "function"), "unknown-function",
 * "no function `predcit` in examples/mlp.jl", { suggestion: "predict" }).
 */
export function manifestDiagnosticAt(
  manifest: Pick<ResolvedManifest, "path" | "text" | "document" | "originOf">,
  pointer: string,
  code: string,
  message: string,
  options: { at?: "value" | "key"; suggestion?: string; notes?: string[] } = {},
): ManifestDiagnostic {
  const where: Located = { path: manifest.path, source: new SourceFile(manifest.path, manifest.text), document: manifest.document };
  if (manifest.originOf) where.originOf = manifest.originOf;
  return diagnostic(where, code, message, pointer, options);
}

/** The compiler's Diagnostic for a manifest diagnostic (span in `displayPath`), to render or collect alongside compile errors. */
export function toDiagnostic(d: ManifestDiagnostic, displayPath = displayPathOf(d.file)): Diagnostic {
  // A structured suggestion ({"fill": 2}) is shown as written; a key, name or path is quoted.
  const shown = d.suggestion === undefined ? undefined : /^[{[]/.test(d.suggestion) ? d.suggestion : JSON.stringify(d.suggestion);
  const notes = [...(shown !== undefined ? [`did you mean ${shown}?`] : []), ...(d.notes ?? [])];
  const out: Diagnostic = {
    code: d.code,
    severity: "error",
    message: d.pointer === "" ? d.message : `${d.message} (at ${shownPointer(d.pointer)})`,
    span: { file: displayPath, start: d.start, end: d.end },
  };
  if (notes.length) out.notes = notes;
  return out;
}

/** A pointer for a message: each key cut to QUOTED_LIMIT characters (a key can be megabytes long). */
function shownPointer(pointer: string): string {
  if (pointer.length <= QUOTED_LIMIT * 2) return pointer;
  return pointer
    .split("/")
    .map((t) => (t.length > QUOTED_LIMIT ? `${t.slice(0, QUOTED_LIMIT - 1)}…` : t))
    .join("/");
}

/** A path as the user sees it: relative to the current directory, absolute when outside it (build/display-path.ts). */
export const displayPathOf = displayPath;

/**
 * `tpu.config.json:12:7: error: message (at /entries/mlp/args/0/eltype)`, the source line, a caret,
 * and `note: did you mean "Float32"?`. `text` is the manifest's text (for the source line).
 */
export function renderManifestDiagnostic(d: ManifestDiagnostic, text: string | undefined, displayPath = displayPathOf(d.file)): string {
  const diag = toDiagnostic(d, displayPath);
  const shownText = d.sourceText ?? text;
  const source = shownText === undefined ? undefined : new SourceFile(displayPath, shownText);
  return renderDiagnostic(diag, (p) => (p === displayPath ? source : undefined));
}

// --- schema validation ----------------------------------------------------------------------

/** The whole manifest's validator, and one per definition a union's branch names (ajv's ValidateFunction contract). */
const validators = generatedValidators as unknown as { root: ValidateFunction } & Record<string, ValidateFunction | undefined>;

function definitionValidator(name: string): ValidateFunction {
  const v = validators[name];
  if (!v) throw new Error(`internal error: no generated validator for the schema definition "${name}" (see VALIDATED_DEFINITIONS in scripts/gen-schema-types.mjs)`);
  return v;
}

/** The unions of the schema, found by where they sit, and how to tell their branches apart. */
interface Union {
  pattern: RegExp;
  what: string;
  forms: string;
  /** Object branches: the definition validating it and the keys that announce it. */
  branches: { definition: string; keys: string[] }[];
  /** Whether a JSON number or boolean is one of the forms. */
  scalar?: "number-or-boolean" | "boolean";
}

const UNIONS: Union[] = [
  {
    pattern: /^\/entries\/[^/]+\/args\/\d+$/,
    what: "an argument",
    forms: `{"eltype": ..., "size": [...], "value": ...} (an array or scalar), {"from": "<entry>"} (another entry's result) or {"const": <value>} (a compile-time constant)`,
    branches: [
      { definition: "arrayArgument", keys: ["eltype", "size", "value", "shard"] },
      { definition: "fromArgument", keys: ["from"] },
      { definition: "constArgument", keys: ["const"] },
    ],
  },
  {
    pattern: /^\/entries\/[^/]+\/args\/\d+\/value$/,
    what: "a value",
    forms: `{"npy": "file.npy"}, {"random": "normal" | "uniform", "seed": n}, {"fill": x} or a number (for a scalar)`,
    branches: [
      { definition: "npyValue", keys: ["npy"] },
      { definition: "randomValue", keys: ["random", "seed"] },
      { definition: "fillValue", keys: ["fill"] },
    ],
    scalar: "number-or-boolean",
  },
  {
    pattern: /^\/entries\/[^/]+\/run$/,
    what: `"run"`,
    forms: `true, false or {"target": "<name>"}`,
    branches: [{ definition: "runOptions", keys: ["target", "cache", "mesh", "resultShards"] }],
    scalar: "boolean",
  },
  {
    pattern: /^\/remoteCache\/(token|apiKey|signingKey)$/,
    what: "a secret",
    forms: `{"env": "NAME"} (an environment variable) or {"file": "path"} (a file); secrets are never written in the manifest`,
    branches: [
      { definition: "envSecret", keys: ["env"] },
      { definition: "fileSecret", keys: ["file"] },
    ],
  },
];

/** Unknown keys that get a nearest-name suggestion (the first in the document). */
const MAX_SUGGESTED_KEYS = 1000;

/** At most this many characters of a user's value are quoted in a message (a key or a string may be megabytes long). */
export const QUOTED_LIMIT = 80;

/** A value as JSON text for a message, cut to QUOTED_LIMIT characters. */
export function quoted(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Array.isArray(v) ? "[...]" : "{...}";
  }
  return text.length <= QUOTED_LIMIT ? text : `${text.slice(0, QUOTED_LIMIT - 1)}… (${text.length} characters)`;
}

function jsonTypeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `a string (${quoted(v)})`;
  if (typeof v === "number") return `a number (${v})`;
  return `${typeof v} (${String(v)})`;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const t of pointerTokens(pointer)) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[t] : undefined;
  return v;
}

function pickBranch(union: Union, data: unknown): Union["branches"][number] | undefined {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return undefined;
  const keys = Object.keys(data);
  for (const b of union.branches) if (keys.some((k) => b.keys.includes(k))) return b;
  for (const b of union.branches) if (keys.some((k) => nearestName(k, b.keys) !== undefined)) return b;
  return undefined;
}

interface RawIssue {
  pointer: string;
  error: ErrorObject;
}

/** The pointer of a value's container ("" for the root's members; undefined for the root). */
function parentPointer(pointer: string): string | undefined {
  return pointer === "" ? undefined : pointer.slice(0, pointer.lastIndexOf("/"));
}

/** Whether `pointer` or one of its ancestors is in `set`. */
function atOrUnder(pointer: string | undefined, set: Set<string>): boolean {
  for (let p = pointer; p !== undefined; p = parentPointer(p)) if (set.has(p)) return true;
  return false;
}

/** ajv's errors for `data` at `base`, with every union's errors narrowed to the branch the user meant. */
function explain(validate: ValidateFunction, data: unknown, base: string, out: (RawIssue | { pointer: string; union: Union; data: unknown })[]): void {
  if (validate(data)) return;
  const errors = (validate.errors ?? []).map((error) => ({ pointer: base + error.instancePath, error }));
  // Unions that failed, outermost first; everything at or under one is replaced by its explanation.
  const unions: { pointer: string; union: Union }[] = [];
  const unionPointers = new Set<string>();
  for (const { pointer, error } of errors) {
    if (error.keyword !== "oneOf") continue;
    const union = UNIONS.find((u) => u.pattern.test(pointer));
    if (union && !atOrUnder(pointer, unionPointers)) unions.push({ pointer, union }), unionPointers.add(pointer);
  }
  unions.sort((a, b) => a.pointer.length - b.pointer.length);
  // By set lookups of each pointer's ancestors: a manifest can have tens of thousands of failing
  // unions and millions of errors, and comparing every pair took minutes.
  const outerPointers = new Set<string>();
  const outer = unions.filter((u) => {
    if (atOrUnder(parentPointer(u.pointer), outerPointers)) return false;
    outerPointers.add(u.pointer);
    return true;
  });
  const inside = (p: string) => atOrUnder(p, outerPointers);
  for (const issue of errors) if (!inside(issue.pointer) && issue.error.keyword !== "propertyNames") out.push(issue);
  for (const { pointer, union } of outer) {
    const sub = valueAt(data, pointer.slice(base.length));
    const branch = pickBranch(union, sub);
    if (branch) explain(definitionValidator(branch.definition), sub, pointer, out);
    else out.push({ pointer, union, data: sub });
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string", number: "a number", integer: "an integer", boolean: "true or false", object: "an object", array: "an array", null: "null",
};

function schemaIssues(doc: JsonDocument, where: Located): ManifestDiagnostic[] {
  const raw: (RawIssue | { pointer: string; union: Union; data: unknown })[] = [];
  explain(validators.root, doc.value, "", raw);
  const out: ManifestDiagnostic[] = [];
  // A misspelt key also makes its correct spelling "missing"; report it once, as the misspelling.
  const suggestedKeys = new Set<string>();
  const unknownKeys: ManifestDiagnostic[] = [];
  for (const issue of raw) {
    if (!("error" in issue) || issue.error.keyword !== "additionalProperties") continue;
    const key = issue.error.params.additionalProperty as string;
    const allowed = Object.keys((issue.error.parentSchema?.properties ?? {}) as Record<string, unknown>);
    // Suggestions for the first keys only: at most MAX_REPORTED_ERRORS are shown, and a manifest
    // with millions of unknown keys spent most of a minute finding near names for them.
    const suggestion = unknownKeys.length < MAX_SUGGESTED_KEYS ? nearestName(key, allowed) : undefined;
    const pointer = `${issue.pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    if (suggestion !== undefined) suggestedKeys.add(`${issue.pointer}\0${suggestion}`);
    unknownKeys.push(
      diagnostic(where, "unknown-key", `unknown key ${quoted(key)}; expected one of: ${allowed.join(", ")}`, pointer, { at: "key", suggestion }),
    );
  }
  // A loop, not push(...): a manifest can have hundreds of thousands of unknown keys.
  for (const d of unknownKeys) out.push(d);
  for (const issue of raw) {
    if (!("error" in issue)) {
      const { union, data, pointer } = issue;
      const got = jsonTypeOf(data);
      let suggestion: string | undefined;
      if (union.what === "a value" && typeof data === "string" && data.endsWith(".npy")) suggestion = `{"npy": ${quoted(data)}}`;
      out.push(diagnostic(where, union.what === "an argument" ? "invalid-argument" : "wrong-type", `expected ${union.what}: ${union.forms}; got ${got}`, pointer, { suggestion }));
      continue;
    }
    const { error, pointer } = issue;
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case "additionalProperties":
        break;
      case "required": {
        const missing = params.missingProperty as string;
        if (suggestedKeys.has(`${pointer}\0${missing}`)) break;
        const loc = doc.locations.get(pointer);
        out.push(diagnostic(where, "missing-key", `missing required key ${quoted(missing)}`, pointer, { at: loc?.key ? "key" : "value" }));
        break;
      }
      case "type": {
        const types = ([] as string[]).concat(params.type as string | string[]);
        out.push(diagnostic(where, "wrong-type", `expected ${types.map((t) => TYPE_NAMES[t] ?? t).join(" or ")}, got ${jsonTypeOf(error.data)}`, pointer));
        break;
      }
      case "enum": {
        const allowed = params.allowedValues as unknown[];
        const strings = allowed.filter((a): a is string => typeof a === "string");
        const suggestion = typeof error.data === "string" ? nearestName(error.data, strings) : undefined;
        const what = pointer.endsWith("/eltype") ? "element type" : "value";
        out.push(diagnostic(where, "invalid-value", `${quoted(error.data)} is not a valid ${what}; expected one of: ${strings.join(", ")}`, pointer, { suggestion }));
        break;
      }
      case "pattern": {
        if (error.propertyName !== undefined) {
          const name = error.propertyName;
          out.push(
            diagnostic(where, "invalid-entry-name", `invalid entry name ${quoted(name)}: use letters, digits, '_', '-' and '.', starting with a letter or '_'`, `${pointer}/${name}`, { at: "key" }),
          );
        } else {
          out.push(diagnostic(where, "invalid-value", `${quoted(error.data)} does not match ${String(params.pattern)}`, pointer));
        }
        break;
      }
      case "minLength":
        out.push(diagnostic(where, "invalid-value", "expected a non-empty string", pointer));
        break;
      case "minimum":
      case "maximum":
        out.push(diagnostic(where, "invalid-value", `expected a number ${params.comparison} ${params.limit}, got ${quoted(error.data)}`, pointer));
        break;
      default:
        out.push(diagnostic(where, "invalid-value", error.message ?? `invalid (${error.keyword})`, pointer));
    }
  }
  return out;
}

// --- loading --------------------------------------------------------------------------------

/** Runs `f` over `items`, at most `limit` at a time (thousands of entries must not open thousands of files at once). */
export async function forEachLimited<T>(items: T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await f(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A path for a message: a manifest can name a path megabytes long. */
function quotedPath(path: string): string {
  return path.length <= QUOTED_LIMIT * 2 ? path : `${path.slice(0, QUOTED_LIMIT * 2 - 1)}…`;
}

async function nearestFile(path: string): Promise<string | undefined> {
  const dir = dirname(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  const base = path.slice(dir.length + 1);
  const near = nearestName(base, names);
  return near === undefined ? undefined : near;
}

const toPosix = (p: string) => p.split(sep).join("/");

export interface ManifestOptions {
  /** A profile of the manifest's `profiles` to merge over it (`--profile`). */
  profile?: string;
}

/** Reads, validates and resolves a manifest (with its bases and a profile). Never throws for a user's mistake. */
export async function loadManifest(path: string, options: ManifestOptions = {}): Promise<ManifestLoadResult> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === "ENOENT" ? `manifest not found: ${abs}` : `cannot read the manifest: ${(e as Error).message}`;
    return { ok: false, path: abs, diagnostics: [{ code: "manifest-not-found", message, pointer: "", file: abs, line: 1, col: 1, start: 0, end: 0 }] };
  }
  return resolveManifest(abs, text, options);
}

/**
 * Loads a manifest as loadManifest does, for a warm engine: while the manifest's files hold the
 * same text and every other file the last load consulted (sources, .npy values and references) has
 * the same stamp (build/file-stamps.ts), the last valid result stands, unparsed and unchecked again.
 */
export class ManifestLoader {
  private last: { profile: string | undefined; texts: Map<string, string>; stamps: Map<string, FileStamp>; manifest: ResolvedManifest } | undefined;

  async load(path: string, options: ManifestOptions = {}): Promise<ManifestLoadResult> {
    const last = this.last;
    if (last && last.profile === options.profile && this.unchanged(last.texts, last.stamps)) return { ok: true, manifest: last.manifest };
    this.last = undefined;
    const readAt = Date.now();
    const loaded = await loadManifest(path, options);
    if (!loaded.ok) return loaded;
    const manifest = loaded.manifest;
    const texts = new Map<string, string>();
    for (const f of manifest.files) {
      const text = f === manifest.path ? manifest.text : readText(f);
      if (text === undefined) return loaded;
      texts.set(f, text);
    }
    // Stamps taken after the load stand for what it read only when nothing changed the files since
    // before it started (their ctime is older, by the timestamps' granularity and more).
    const stamps = new Map<string, FileStamp>();
    for (const f of consultedFiles(manifest)) {
      const stamp = fileStamp(f);
      if (stamp === undefined || changedAtMs(stamp) > readAt - RACY_MS) return loaded;
      stamps.set(f, stamp);
    }
    this.last = { profile: options.profile, texts, stamps, manifest };
    return loaded;
  }

  private unchanged(texts: Map<string, string>, stamps: Map<string, FileStamp>): boolean {
    for (const [f, text] of texts) if (readText(f) !== text) return false;
    for (const [f, stamp] of stamps) if (fileStamp(f) !== stamp) return false;
    return true;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The files besides its own that resolving a manifest looked at: sources, .npy values and expectations' references. */
function consultedFiles(manifest: ResolvedManifest): Set<string> {
  const files = new Set<string>();
  for (const name of manifest.order) {
    const e = manifest.entries[name]!;
    files.add(e.filePath);
    for (const a of e.args) if (a.kind === "array" && a.value?.kind === "npy") files.add(a.value.path);
    for (const x of e.expect) if (x.npy) files.add(x.npy.path);
  }
  return files;
}

/** Validates and resolves manifest text (`path` locates relative paths and names the file in messages). */
export async function resolveManifest(path: string, text: string, options: ManifestOptions = {}): Promise<ManifestLoadResult> {
  const abs = resolve(path);
  const source = new SourceFile(abs, text);
  const parsed = parseJsonWithLocations(text, { maxDepth: MAX_JSON_DEPTH });
  if (!parsed.ok) {
    const where: Located = { path: abs, source };
    const at = parsed.error.offset;
    const d = diagnostic(where, "invalid-json", `invalid JSON: ${parsed.error.message}`, "", { range: { start: at, end: at + 1 } });
    return { ok: false, path: abs, text, diagnostics: [d] };
  }
  let doc = parsed.document;
  const where: Located & { document: JsonDocument } = { path: abs, source, document: doc };
  const diagnostics: ManifestDiagnostic[] = [];
  for (const dup of doc.duplicateKeys) {
    const first = source.position(dup.first.start);
    diagnostics.push(
      diagnostic(where, "duplicate-key", `duplicate key ${quoted(pointerTokens(dup.pointer).at(-1))} (first defined at line ${first.line}, column ${first.col})`, dup.pointer, { range: dup.key }),
    );
  }
  // `extends` and a profile: the merged manifest, every value located in the file it came from.
  const layers = await layerManifest({ path: abs, source, document: doc }, options.profile, (w, names) => nearestName(w, names));
  let files = [abs];
  if (layers && !layers.ok) {
    for (const p of layers.problems) {
      const d = diagnostic({ path: p.file.path, source: p.file.source, ...("document" in p.file ? { document: p.file.document } : {}) }, p.code, p.message, p.pointer, { ...(p.range ? { range: p.range } : {}), ...(p.suggestion !== undefined ? { suggestion: p.suggestion } : {}), ...(p.notes ? { notes: p.notes } : {}) });
      if (p.file.path !== abs) d.sourceText = p.file.source.text;
      diagnostics.push(d);
    }
    return fail(abs, text, diagnostics);
  }
  if (layers) {
    doc = where.document = layers.layered.document;
    where.originOf = layers.layered.originOf;
    files = layers.layered.files.map((f) => f.path);
  }
  for (const d of schemaIssues(doc, where)) diagnostics.push(d);
  if (diagnostics.length) return fail(abs, text, diagnostics, validSections(where, dirname(abs), diagnostics));
  const config = doc.value as TpuConfig;
  const dir = dirname(abs);
  const names = Object.keys(config.entries);
  const defaultTarget = config.target ?? DEFAULT_TARGET;

  // Each distinct source file is checked once, all at once: entries share files, and one awaited
  // stat after another cost a no-op build of 200 entries ~15 ms of waiting.
  const sourceFiles = new Map<string, string>();
  for (const name of names) {
    const file = config.entries[name]!.file;
    const path = resolve(dir, file);
    if (!sourceFiles.has(path)) sourceFiles.set(path, file);
  }
  const refusals = new Map<string, FileRefusal>();
  await forEachLimited([...sourceFiles], 32, async ([path, file]) => {
    const checked = await workspaceFile(dir, path, `source file ${quoted(file)}`);
    if (!checked.ok) refusals.set(path, checked);
  });
  const entries: Record<string, ResolvedEntry> = {};
  for (const name of names) entries[name] = await resolveEntry(where, dir, name, config.entries[name]!, defaultTarget, config.compileLimits ?? {}, refusals, diagnostics);
  const order = graphOrder(where, entries, names, diagnostics);
  const maxSize = config.cache?.maxSize;
  const cacheMaxBytes = maxSize === undefined ? undefined : parseByteSize(maxSize);
  if (maxSize !== undefined && cacheMaxBytes === undefined) diagnostics.push(diagnostic(where, "invalid-value", `cache.maxSize ${quoted(maxSize)} is not a size: give ${SIZE_EXAMPLES}`, "/cache/maxSize"));
  if (diagnostics.length) return fail(abs, text, diagnostics, validSections(where, dir, diagnostics));

  const targets = (config.targets ?? {}) as Record<string, Record<string, unknown>>;
  const watchTargets = (config.watch?.targets ?? {}) as Record<string, Record<string, unknown>>;
  return {
    ok: true,
    manifest: { path: abs, dir, text, document: doc, config, outDir: resolve(dir, config.out ?? DEFAULT_OUT), defaultTarget, targets, watchTargets, watchTiered: config.watch?.tieredCompilation ?? true, entries, order, files, ...(config.remoteCache ? { remoteCache: config.remoteCache } : {}), ...(cacheMaxBytes !== undefined ? { cacheMaxBytes } : {}), ...(options.profile !== undefined ? { profile: options.profile } : {}), ...(where.originOf ? { originOf: where.originOf } : {}) },
  };
}

/** One entry with its arguments resolved and checked (source file present, values valid); problems go to `diagnostics`. */
async function resolveEntry(where: Located & { document: JsonDocument }, dir: string, name: string, e: Entry, defaultTarget: string, limits: CompileLimits, refusals: Map<string, FileRefusal>, diagnostics: ManifestDiagnostic[]): Promise<ResolvedEntry> {
  const doc = where.document;
  const text = where.source.text;
  const pointer = entryPointer(name);
  const filePath = resolve(dir, e.file);
  const refusal = refusals.get(filePath);
  if (refusal?.code === "not-found") {
    const near = await nearestFile(filePath);
    const suggestion = near === undefined ? undefined : toPosix(relative(dir, join(dirname(filePath), near)));
    diagnostics.push(diagnostic(where, "source-not-found", `source file ${quoted(e.file)} not found (looked for ${quotedPath(filePath)})`, `${pointer}/file`, { suggestion }));
  } else if (refusal) {
    diagnostics.push(diagnostic(where, `source-${refusal.code}`, refusal.message, `${pointer}/file`));
  }
  const run = e.run === undefined || e.run === false ? null : e.run === true ? { target: defaultTarget, cache: "local" as const } : { target: e.run.target, cache: e.run.cache ?? "local" };
  const mesh = typeof e.run === "object" && e.run.mesh ? { axes: Object.entries(e.run.mesh).map(([name, size]) => ({ name, size: size ?? 1 })) } : undefined;
  const resultShards = typeof e.run === "object" ? e.run.resultShards : undefined;
  if (resultShards) {
    const rp = `${pointer}/run/resultShards`;
    if (!mesh) diagnostics.push(diagnostic(where, "shard-without-mesh", `"resultShards" keeps results split over the entry's device mesh, but the entry has none; give one in "run": {"target": ..., "mesh": {"data": N}}`, rp));
    else
      resultShards.forEach((shard, k) => {
        const problem = shard && axesProblem(shard, mesh);
        if (problem) diagnostics.push(diagnostic(where, problem.code, problem.message, `${rp}/${k}/${problem.index}`, { suggestion: problem.suggestion }));
      });
  }
  const args: ResolvedArg[] = [];
  const dependencies: string[] = [];
  for (const [index, a] of (e.args ?? []).entries()) {
    const ap = entryPointer(name, "args", index);
    if ("from" in a) {
      args.push({ kind: "from", pointer: ap, entry: a.from });
      if (!dependencies.includes(a.from)) dependencies.push(a.from);
    } else if ("const" in a) {
      const loc = doc.locations.get(`${ap}/const`)!;
      const problem = constProblem(doc, a.const, `${ap}/const`);
      if (problem) diagnostics.push(diagnostic(where, "const-out-of-range", problem.message, problem.pointer));
      // The constant's exact text, from the file it was written in.
      const written = where.originOf?.(`${ap}/const`).file.source.text ?? text;
      args.push({ kind: "const", pointer: ap, value: a.const, raw: written.slice(loc.start, loc.end) });
    } else {
      const arg: ResolvedArg & { kind: "array" } = { kind: "array", pointer: ap, eltype: a.eltype, size: a.size ?? [], scalar: a.size === undefined };
      if (a.shard !== undefined) {
        const problem = shardProblem(arg, a.shard, mesh);
        if (problem) diagnostics.push(diagnostic(where, problem.code, problem.message, problem.index === undefined ? `${ap}/shard` : `${ap}/shard/${problem.index}`, { suggestion: problem.suggestion }));
        else if (a.shard.some((axis) => axis !== null)) arg.shard = a.shard;
      }
      const tooLarge = sizeProblem(arg, a.value !== undefined);
      if (tooLarge) {
        diagnostics.push(diagnostic(where, tooLarge.code, tooLarge.message, `${ap}/size`));
        args.push(arg);
        continue;
      }
      if (a.value !== undefined) {
        const checked = await checkValue(where, dir, arg, a.value, `${ap}/value`);
        for (const d of checked.diagnostics) diagnostics.push(d);
        if (checked.value) arg.value = checked.value;
      } else if (run) {
        diagnostics.push(
          diagnostic(where, "missing-value", `argument ${index + 1} of ${quoted(name)} has no "value", but the entry runs; give one ({"npy": ...}, {"random": "normal"}, {"fill": 0}, or a number for a scalar)`, ap),
        );
      }
      args.push(arg);
    }
  }
  const expect = await resolveExpectations(where, dir, name, e, run !== null, diagnostics);
  const kept = mesh && resultShards?.some((r) => r?.some((axis) => axis !== null)) ? { resultShards: resultShards.map((r) => (r?.some((axis) => axis !== null) ? r : null)) } : {};
  return { name, pointer, file: toPosix(relative(dir, filePath)), filePath, function: e.function, args, run, ...(mesh ? { mesh } : {}), ...kept, dependencies, compileLimits: { ...limits, ...e.compileLimits }, expect };
}

/** What is wrong with an argument's `shard` (at the whole list, or at one of its entries), if anything. */
function shardProblem(arg: { size: number[]; scalar: boolean }, shard: ShardSpec, mesh: MeshSpec | undefined): { code: string; message: string; index?: number; suggestion?: string } | undefined {
  if (!mesh) return { code: "shard-without-mesh", message: `"shard" splits an argument over the entry's device mesh, but the entry has none; give one in "run": {"target": ..., "mesh": {"data": N}}` };
  if (arg.scalar || arg.size.length === 0) return { code: "shard-scalar", message: `a scalar cannot be split over devices; remove "shard" (a scalar is copied to every device)` };
  if (shard.length !== arg.size.length)
    return { code: "shard-rank", message: `"shard" names ${shard.length} dimension(s), but the argument has size [${arg.size.join(", ")}] (${arg.size.length}); give a mesh axis or null for each dimension` };
  const axes = axesProblem(shard, mesh);
  if (axes) return axes;
  for (const [k, axis] of shard.entries()) {
    const a = mesh.axes.find((m) => m.name === axis);
    if (a && arg.size[k]! % a.size !== 0)
      return { code: "shard-not-divisible", message: `dimension ${k + 1} of the argument has length ${arg.size[k]}, which mesh axis ${quoted(axis!)} of size ${a.size} does not divide; every device must get an equal part`, index: k };
  }
  return undefined;
}

/** A sharding's axis names that the mesh lacks, or that split two dimensions. */
function axesProblem(shard: ShardSpec, mesh: MeshSpec): { code: string; message: string; index: number; suggestion?: string } | undefined {
  const names = mesh.axes.map((a) => a.name);
  for (const [k, axis] of shard.entries()) {
    if (axis === null) continue;
    if (!names.includes(axis)) return { code: "unknown-mesh-axis", message: `the entry's mesh has no axis ${quoted(axis)} (its axes: ${names.map((n) => quoted(n)).join(", ")})`, index: k, suggestion: nearestName(axis, names) };
    if (shard.indexOf(axis) !== k) return { code: "shard-axis-repeated", message: `mesh axis ${quoted(axis)} already splits dimension ${shard.indexOf(axis) + 1}; an axis splits at most one dimension`, index: k };
  }
  return undefined;
}

/** An entry's `expect`: it needs `run`, each item at least one check, tolerances only with `npy`, and every `npy` a readable .npy file. */
async function resolveExpectations(where: Located, dir: string, name: string, e: Entry, runs: boolean, diagnostics: ManifestDiagnostic[]): Promise<ResolvedExpectation[]> {
  if (e.expect === undefined) return [];
  if (!runs) {
    diagnostics.push(diagnostic(where, "expect-without-run", `entry ${quoted(name)} has "expect" but does not run; give it "run": true`, entryPointer(name, "expect"), { at: "key" }));
    return [];
  }
  const out: ResolvedExpectation[] = [];
  for (const [leaf, x] of Object.entries(e.expect) as [string, Expectation][]) {
    const pointer = entryPointer(name, "expect", leaf);
    if (x.npy === undefined && x.finite === undefined && x.shape === undefined) {
      diagnostics.push(diagnostic(where, "empty-expectation", `an expectation needs at least one check: "npy" (with "rtol", "atol"), "finite" or "shape"`, pointer));
      continue;
    }
    for (const tol of ["rtol", "atol"] as const)
      if (x[tol] !== undefined && x.npy === undefined) diagnostics.push(diagnostic(where, "tolerance-without-npy", `"${tol}" is the tolerance of a comparison with "npy", which this expectation has not`, `${pointer}/${tol}`, { at: "key" }));
    const r: ResolvedExpectation = { leaf, pointer };
    if (x.finite !== undefined) r.finite = x.finite;
    if (x.shape !== undefined) r.shape = x.shape;
    if (x.npy !== undefined) {
      const path = resolve(dir, x.npy);
      const read = await manifestNpyHeader(where, dir, path, x.npy, `${pointer}/npy`);
      if (!read.ok) diagnostics.push(read.problem);
      r.npy = { path, relative: toPosix(relative(dir, path)), rtol: x.rtol ?? DEFAULT_RTOL, atol: x.atol ?? DEFAULT_ATOL };
    }
    out.push(r);
  }
  return out;
}

/** The header of a .npy file a manifest names, or why it cannot be used (missing, with the nearest name; not a .npy file). */
async function manifestNpyHeader(where: Located, dir: string, path: string, written: string, pointer: string): Promise<{ ok: true; header: NpyHeader & { fileSize: number } } | { ok: false; problem: ManifestDiagnostic }> {
  const header = await readNpyHeader(path, "the file").catch((e: NodeJS.ErrnoException) => e);
  if (header instanceof Error) return { ok: false, problem: diagnostic(where, "npy-invalid", `cannot read ${quoted(written)}: ${header.message}`, pointer) };
  if (!header.ok && header.missing) {
    const near = await nearestFile(path);
    const suggestion = near === undefined ? undefined : toPosix(relative(dir, join(dirname(path), near)));
    return { ok: false, problem: diagnostic(where, "npy-not-found", `.npy file ${quoted(written)} not found (looked for ${quotedPath(path)})`, pointer, { suggestion }) };
  }
  if (!header.ok) return { ok: false, problem: diagnostic(where, "npy-invalid", `${quotedPath(written)}: ${header.message}`, pointer) };
  return { ok: true, header: header.value };
}

/** The entries in dependency order; unknown `from` names, `from` entries that do not run, and cycles go to `diagnostics`. */
function graphOrder(where: Located, entries: Record<string, ResolvedEntry>, names: string[], diagnostics: ManifestDiagnostic[]): string[] {
  // Graph edges: every `from` names an entry, which must run when the taker runs.
  for (const entry of Object.values(entries))
    for (const arg of entry.args) {
      if (arg.kind !== "from") continue;
      const target = entries[arg.entry];
      if (!target) {
        diagnostics.push(
          diagnostic(where, "unknown-entry", `no entry named ${quoted(arg.entry)}; "from" must name an entry of this manifest (${listed(names)})`, `${arg.pointer}/from`, {
            suggestion: nearestName(arg.entry, names.filter((n) => n !== entry.name)),
          }),
        );
      } else if (entry.run && !target.run && target.name !== entry.name) {
        diagnostics.push(
          diagnostic(where, "from-not-run", `entry ${quoted(entry.name)} runs and takes the result of ${quoted(target.name)}, which does not run; give ${quoted(target.name)} "run": true`, `${arg.pointer}/from`),
        );
      }
    }

  const { order, cycles } = topologicalOrder(names, (n) => entries[n]!.dependencies.filter((d) => d in entries));
  for (const cycle of cycles) {
    const [a, b] = [cycle[0]!, cycle[1]!];
    const arg = entries[a]!.args.find((x) => x.kind === "from" && x.entry === b)!;
    diagnostics.push(diagnostic(where, "dependency-cycle", `dependency cycle: ${cyclePath(cycle)}`, `${arg.pointer}/from`));
  }
  return order;
}

/** A target's settings for a build: `targets.<name>`, with `watch.targets.<name>` over it in watch builds. */
export function targetSettings(manifest: Pick<ResolvedManifest, "targets" | "watchTargets">, target: string, watch: boolean): Record<string, unknown> {
  const { kind: _kind, ...declared } = manifest.targets[target] ?? {};
  return watch && manifest.watchTargets[target] ? { ...declared, ...manifest.watchTargets[target] } : declared;
}

/**
 * The target plugin a target name stands for: its `targets.<name>.kind` (e.g. "remote"), else the
 * name itself ("local"). The plugin gets the settings without `kind`.
 */
export function targetKind(manifest: Pick<ResolvedManifest, "targets">, target: string): string {
  const kind = manifest.targets[target]?.kind;
  return typeof kind === "string" ? kind : target;
}

/** Target names an entry may use: those the manifest declares and the registered plugins' own. */
export function targetNames(manifest: Pick<ResolvedManifest, "targets">, registered: string[]): string[] {
  return [...new Set([...Object.keys(manifest.targets), ...registered])];
}

function fail(path: string, text: string, diagnostics: ManifestDiagnostic[], sections?: ManifestSections): ManifestLoadResult {
  return { ok: false, path, text, diagnostics: reportedDiagnostics(diagnostics), ...(sections ? { sections } : {}) };
}

/**
 * The sections of a manifest that failed to load which no diagnostic points into (so the checks
 * after loading report nothing twice); a section with one is left out, as if not written.
 */
function validSections(where: Located & { document: JsonDocument }, dir: string, diagnostics: ManifestDiagnostic[]): ManifestSections {
  const flagged = (pointer: string) => diagnostics.some((d) => d.pointer === pointer || d.pointer.startsWith(`${pointer}/`));
  const value = (where.document.value ?? {}) as Record<string, unknown>;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  const section = (pointer: string, v: unknown) => (!flagged(pointer) && isObject(v) ? v : undefined);
  const objectsIn = (v: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(v ?? {}).filter((e): e is [string, Record<string, unknown>] => isObject(e[1])));
  const plugins = !flagged("/plugins") && Array.isArray(value.plugins) && value.plugins.every((p) => typeof p === "string") ? (value.plugins as string[]) : undefined;
  const compiler = !flagged("/compiler") && typeof value.compiler === "string" ? value.compiler : undefined;
  const defaultTarget = !flagged("/target") && typeof value.target === "string" ? value.target : DEFAULT_TARGET;
  const runs = Object.entries(section("/entries", value.entries) ?? {}).flatMap(([entry, e]) => {
    const run = isObject(e) && !flagged(entryPointer(entry, "run")) ? e.run : undefined;
    const target = run === true ? defaultTarget : isObject(run) ? (typeof run.target === "string" ? run.target : defaultTarget) : undefined;
    return target === undefined ? [] : [{ entry, target }];
  });
  const remoteCache = section("/remoteCache", value.remoteCache) as RemoteCache | undefined;
  return {
    path: where.path,
    dir,
    text: where.source.text,
    document: where.document,
    ...(where.originOf ? { originOf: where.originOf } : {}),
    targets: objectsIn(section("/targets", value.targets)),
    watchTargets: objectsIn(section("/watch/targets", section("/watch", value.watch)?.targets)),
    ...(remoteCache ? { remoteCache } : {}),
    config: { ...(plugins ? { plugins } : {}), ...(compiler !== undefined ? { compiler } : {}) },
    runs,
  };
}

/** The diagnostics in text order; past MAX_REPORTED_ERRORS, one more says how many were left out. */
export function reportedDiagnostics(diagnostics: ManifestDiagnostic[]): ManifestDiagnostic[] {
  diagnostics.sort((a, b) => a.start - b.start);
  if (diagnostics.length > MAX_REPORTED_ERRORS) {
    const rest = diagnostics.length - MAX_REPORTED_ERRORS;
    const next = diagnostics[MAX_REPORTED_ERRORS]!;
    diagnostics.length = MAX_REPORTED_ERRORS;
    diagnostics.push({ ...next, code: "too-many-errors", message: `and ${rest.toLocaleString("en-US")} more errors (the first of them here: ${next.message})`, suggestion: undefined, notes: undefined });
  }
  return diagnostics;
}

/** A cycle for a message: a long one (a `from` chain closed on itself) shows its ends and its length. */
function cyclePath(cycle: string[]): string {
  const names = cycle.map((n) => (n.length > QUOTED_LIMIT ? quoted(n) : n));
  if (names.length <= 12) return names.join(" -> ");
  return `${names.slice(0, 5).join(" -> ")} -> … (${names.length - 7} more) -> ${names.slice(-2).join(" -> ")}`;
}

/** Names for a message: the first dozen, then how many more. */
function listed(names: string[], max = 12): string {
  const shown = names.slice(0, max).map((n) => (n.length > QUOTED_LIMIT ? quoted(n) : n));
  return names.length > max ? `${shown.join(", ")} and ${names.length - max} more` : shown.join(", ");
}

/**
 * Dependencies first, otherwise in the given order; each cycle once, as a closed path
 * ["a", "b", "a"] starting from the entry declared first.
 */
export function topologicalOrder(names: string[], dependencies: (name: string) => string[]): { order: string[]; cycles: string[][] } {
  const state = new Map<string, "visiting" | "done">();
  const order: string[] = [];
  const cycles: string[][] = [];
  // An explicit stack (a `from` chain can be tens of thousands of entries long): each frame is an
  // entry and the index of the next dependency to visit.
  const path: string[] = [];
  const frames: { name: string; deps: string[]; next: number }[] = [];
  const enter = (n: string) => {
    state.set(n, "visiting");
    path.push(n);
    frames.push({ name: n, deps: dependencies(n), next: 0 });
  };
  for (const root of names) {
    if (state.has(root)) continue;
    enter(root);
    while (frames.length) {
      const top = frames[frames.length - 1]!;
      if (top.next < top.deps.length) {
        const d = top.deps[top.next++]!;
        const s = state.get(d);
        if (s === "visiting") cycles.push([...path.slice(path.indexOf(d)), d]);
        else if (s === undefined) enter(d);
        continue;
      }
      frames.pop();
      path.pop();
      state.set(top.name, "done");
      order.push(top.name);
    }
  }
  return { order, cycles };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The first number in a constant that Julia would not read as an Int64 (written without '.' or an
 * exponent) or a finite Float64, with its pointer. Iterative: a constant can be nested deeply.
 */
function constProblem(doc: JsonDocument, value: unknown, pointer: string): { pointer: string; message: string } | undefined {
  const stack: [unknown, string][] = [[value, pointer]];
  while (stack.length) {
    const [v, p] = stack.pop()!;
    if (typeof v === "number") {
      const raw = doc.locations.get(p)?.raw ?? String(v);
      const shown = raw.length > 40 ? `${raw.slice(0, 39)}… (${raw.length} characters)` : raw;
      if (/[.eE]/.test(raw)) {
        if (!Number.isFinite(v)) return { pointer: p, message: `the constant ${shown} overflows Float64 (the largest is 1.7976931348623157e308)` };
      } else if (BigInt(raw) < INT64_MIN || BigInt(raw) > INT64_MAX) {
        return { pointer: p, message: `the integer constant ${shown} does not fit in an Int64 (-2^63 to 2^63 - 1); write it with a '.' or an exponent for a Float64` };
      }
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) stack.push([x, `${p}/${escapePointerToken(k)}`]);
    }
  }
  return undefined;
}

/** Whether an array's size is within the limits (build/limits.ts): dimensions, elements, and the bytes of a run-time value. */
function sizeProblem(arg: { eltype: ElementType; size: number[] }, hasValue: boolean): { code: string; message: string } | undefined {
  const { eltype, size } = arg;
  if (size.length > MAX_DIMENSIONS) return { code: "too-many-dimensions", message: `an array has at most ${MAX_DIMENSIONS} dimensions; this size has ${size.length}` };
  const count = size.reduce((n, d) => n * d, 1);
  const shownSize = `[${size.join(", ")}]`;
  if (count > MAX_ELEMENTS) return { code: "array-too-large", message: `size ${shownSize} has ${count.toPrecision(3)} elements; an array has at most 2^53 - 1` };
  const bytes = count * ELEMENT_SIZE[eltype];
  if (hasValue && bytes > MAX_VALUE_BYTES)
    return {
      code: "array-too-large",
      message: `a ${eltype} array of size ${shownSize} takes ${formatBytes(bytes)}; a run-time value holds at most ${formatBytes(MAX_VALUE_BYTES)} here (what one buffer holds, and at most a quarter of this machine's memory)`,
    };
  return undefined;
}

/** Checks a run-time value against its argument's declaration; resolves paths. */
async function checkValue(
  where: Located,
  dir: string,
  arg: { eltype: ElementType; size: number[]; scalar: boolean },
  value: NonNullable<import("../schema/manifest.js").ArrayArgument["value"]>,
  pointer: string,
): Promise<{ value?: ResolvedValue; diagnostics: ManifestDiagnostic[] }> {
  const { eltype, size } = arg;
  const sizeText = arg.scalar ? "a scalar" : `size [${size.join(", ")}]`;
  if (typeof value === "number" || typeof value === "boolean") {
    if (size.length > 0)
      return { diagnostics: [diagnostic(where, "scalar-value", `a plain number is the value of a scalar, but this argument has ${sizeText}; write {"fill": ${value}} to fill the array`, pointer, { suggestion: `{"fill": ${value}}` })] };
    const problem = scalarProblem(eltype, value);
    if (problem) return { diagnostics: [diagnostic(where, "value-not-representable", problem, pointer)] };
    return { value: { kind: "scalar", value }, diagnostics: [] };
  }
  if ("fill" in value) {
    const problem = scalarProblem(eltype, value.fill);
    if (problem) return { diagnostics: [diagnostic(where, "value-not-representable", problem, `${pointer}/fill`)] };
    return { value: { kind: "fill", value: value.fill }, diagnostics: [] };
  }
  if ("random" in value) {
    if (!isFloatType(eltype))
      return { diagnostics: [diagnostic(where, "random-eltype", `random values need a floating-point element type (Float16, BFloat16, Float32, Float64), not ${eltype}; use {"fill": ...} or {"npy": ...}`, `${pointer}/random`)] };
    const v: ResolvedValue = { kind: "random", distribution: value.random };
    if (value.seed !== undefined) v.seed = value.seed;
    return { value: v, diagnostics: [] };
  }
  const npyPointer = `${pointer}/npy`;
  const path = resolve(dir, value.npy);
  const resolved: ResolvedValue = { kind: "npy", path, relative: toPosix(relative(dir, path)) };
  const read = await manifestNpyHeader(where, dir, path, value.npy, npyPointer);
  if (!read.ok) return { diagnostics: [read.problem] };
  const h = read.header;
  const t = eltypeOfDescr(h.descr, eltype);
  if (!t || t.eltype !== eltype)
    return { diagnostics: [diagnostic(where, "npy-eltype-mismatch", `${quotedPath(value.npy)} holds ${describeDescr(h.descr)} values, but the argument is declared ${eltype}`, npyPointer)] };
  const sameShape = h.shape.length === size.length && h.shape.every((d, k) => d === size[k]);
  if (!sameShape) {
    const notes: string[] = [];
    const reversed = [...h.shape].reverse();
    if (reversed.length === size.length && reversed.every((d, k) => d === size[k]) && h.shape.length > 1)
      notes.push(`NumPy shape ${formatNpyShape(h.shape)} is the Julia size [${h.shape.join(", ")}] whatever the memory order; the file holds the transpose of the declared array`);
    return {
      diagnostics: [diagnostic(where, "npy-shape-mismatch", `${quotedPath(value.npy)} has shape ${formatNpyShape(h.shape)}, but the argument is declared with ${sizeText}`, npyPointer, { notes })],
    };
  }
  const needed = h.dataOffset + elementCount(h.shape) * ELEMENT_SIZE[eltype];
  if (h.fileSize < needed)
    return { diagnostics: [diagnostic(where, "npy-invalid", `${quotedPath(value.npy)} is truncated: its header promises ${needed} bytes, the file has ${h.fileSize}`, npyPointer)] };
  return { value: resolved, diagnostics: [] };
}

// --- for the compiler -----------------------------------------------------------------------

/**
 * The compiler's view of an entry's arguments. `outputOf` gives the result type of an entry this
 * one takes (`from`), known once that entry is compiled.
 */
export function argSpecs(entry: ResolvedEntry, outputOf: (entry: string) => Pick<Signature, "output" | "results" | "mesh">): ArgSpec[] {
  return entry.args.map((a): ArgSpec => {
    switch (a.kind) {
      case "array": {
        const type: TypeTree = { kind: "array", eltype: a.eltype, size: a.size };
        if (a.scalar) type.scalar = true;
        return a.shard ? { kind: "runtime", type, shard: a.shard } : { kind: "runtime", type };
      }
      case "from": {
        // On the mesh its results were kept split over, an argument takes them as they are.
        const from = outputOf(a.entry);
        const split = entry.mesh && from.mesh && canonicalJson(from.mesh) === canonicalJson(entry.mesh) && from.results.some((r) => r.shard);
        return split ? { kind: "runtime", type: from.output, leafShards: from.results.map((r) => r.shard ?? null) } : { kind: "runtime", type: from.output };
      }
      case "const":
        return { kind: "const", value: a.value };
    }
  });
}
