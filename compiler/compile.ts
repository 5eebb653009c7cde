// One entry in, one HLO module out: load the prelude and the entry's sources, bind the run-time
// arguments to HLO parameters (flattened depth-first), call the entry function, and return the
// result's leaves as the entry computation's tuple root. Pure: the same request gives the same bytes.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { createHash } from "node:crypto";
import { PLATFORMS } from "../plugins/api.js";
import type { ArgSpec, CompileOptions, CompileRequest, CompileResult, LeafSignature, MeshSpec, Platform, ShardSpec, Signature, TypeTree } from "../plugins/api.js";
import { uncomputableType } from "./capability.js";
import type { ElementTypeInfo } from "./eltypes.js";
import { CompileError, nearestNames } from "./diagnostics.js";
import { BudgetExceeded, CompileBudget } from "./budget.js";
import type { Diagnostic, Span } from "./diagnostics.js";
import { HloModuleBuilder, type ComputationBuilder, type ModuleOptions } from "./hlo/builder.js";
import { computationParameters, computationRoot, encodeHloModule } from "./hlo/encode.js";
import type { HloComputation } from "./hlo/ir.js";
import { printHloModule } from "./hlo/text.js";
import { LibraryImage } from "./library-image.js";
import { ArrayLowering, xlaSharding } from "./semantics/arrays.js";
import { describeValue } from "./semantics/describe.js";
import { Interpreter } from "./semantics/interpreter.js";
import type { FunctionValue, StructType, Tensor, Value } from "./semantics/values.js";
import type { Scope } from "./semantics/scope.js";
import { childKey, insideStruct, keyText, pathText, treeFlatten } from "./semantics/tree.js";
import type { TreeDef, TreeKey } from "./semantics/tree.js";
import { showType } from "./semantics/types.js";
import type { TypeParam } from "./semantics/types.js";
import { num, tuple } from "./semantics/values.js";
import * as ops from "./hlo/ops.js";
import { providePreparsed } from "./syntax/parser.js";
import { readPreparsed } from "./syntax/preparsed.js";

export const COMPILER_NAME = "tpu-build-julia";
export const COMPILER_VERSION = "0.1.0";

/** Workspace-relative name the prelude's diagnostics point to. */
export const PRELUDE_PATH = "<prelude>/prelude.jl";

const here = dirname(fileURLToPath(import.meta.url));
/** The prelude's text, read once: it is part of the compiler, like its code. */
export const PRELUDE_SOURCE = readFileSync(existsPrelude(join(here, "library", "prelude.jl")), "utf8");
/** Part of every cache key: a change to the prelude recompiles everything. */
export const PRELUDE_VERSION = createHash("sha256").update(PRELUDE_SOURCE).digest("hex").slice(0, 16);

function existsPrelude(path: string): string {
  // Compiled to dist/compiler/compile.js, the .jl file stays in the source tree.
  return existsSync(path) ? path : join(here, "..", "..", "compiler", "library", "prelude.jl");
}

/**
 * The prelude's syntax tree as the build leaves it beside this module (scripts/preparse-prelude.mjs
 * writes dist/compiler/library/prelude.tree.json): a cold process loads it instead of parsing the
 * prelude. Used only for this exact prelude text and parser (compiler/syntax/preparsed.ts).
 */
export const PRELUDE_TREE_FILE = join(here, "library", "prelude.tree.json");
providePreparsed(PRELUDE_PATH, PRELUDE_SOURCE, () => readPreparsed(PRELUDE_TREE_FILE, PRELUDE_SOURCE));

/** Compiles one entry, on the process's library image unless given another (a fresh one, in tests). */
export function compileEntry(request: CompileRequest, onImage?: LibraryImage): CompileResult {
  const options = targetOptions(request.options);
  if ("problem" in options) return failure([{ code: "bad-compile-options", severity: "error", message: options.problem }], []);
  const moduleOptions: ModuleOptions = { operandPrecision: OPERAND_PRECISION[options.matmulPrecision] };
  const module = new HloModuleBuilder(sanitize(request.entry), moduleOptions);
  const main = module.computation(sanitize(request.function));
  const read = (path: string) => (path === PRELUDE_PATH ? PRELUDE_SOURCE : request.readSource(path));
  const budget = new CompileBudget(request.limits);
  // Every instruction the module gains is charged to the budget (compileOnImage adds the platform's check before it).
  moduleOptions.onInstruction = (instr) => budget.instruction(instr.shape.kind === "array" ? instr.shape.dims.reduce((n, d) => n * d, 1) : 0, instr.opcode === "constant");
  let image: LibraryImage;
  try {
    image = onImage ?? libraryImage();
  } catch (e) {
    // The prelude itself does not load: a bug of the compiler, reported as its diagnostic says.
    if (e instanceof CompileError) return failure([e.diagnostic], []);
    throw e;
  }
  return image.compile(main, read, budget, options.float64 === "float32" ? { Float64: "Float32" } : {}, (interp, evaluatePrelude) => compileOnImage(request, options, module, main, moduleOptions, interp, evaluatePrelude));
}

let processImage: LibraryImage | undefined;

/** The process's library image, made by its first compile. */
export function libraryImage(): LibraryImage {
  return (processImage ??= freshLibraryImage());
}

/** A library image of its own (the prelude evaluated now). */
export function freshLibraryImage(): LibraryImage {
  return new LibraryImage(PRELUDE_PATH, PRELUDE_SOURCE);
}

type TargetOptions = Exclude<ReturnType<typeof targetOptions>, { problem: string }>;

function compileOnImage(request: CompileRequest, options: TargetOptions, module: HloModuleBuilder, main: ComputationBuilder, moduleOptions: ModuleOptions, interp: Interpreter, evaluatePrelude: () => void): CompileResult {
  interp.mesh = request.mesh;
  const platform = options.platform;
  if (platform) {
    // Every instruction the module gains: refused if the target platform cannot compute it, then charged to the budget.
    const charge = moduleOptions.onInstruction;
    moduleOptions.onInstruction = (instr, rule, operands) => {
      const unsupported = uncomputableType(platform, rule, operands, instr.shape);
      if (unsupported) {
        const [message, notes] = unsupportedMessage(unsupported, rule.opcode, platform, request.target);
        // A known number of that type among the call's arguments (the literal `0.5`) is where it came from.
        throw interp.failInUserCode("unsupported-on-platform", message, notes, (v) => v.kind === "number" && v.type === unsupported.julia);
      }
      charge?.(instr, rule, operands);
    };
  }
  const userSources = () => interp.sourcesRead.filter((p) => p !== PRELUDE_PATH);
  /** Where the entry function is defined: errors of the call itself and of its result point there. */
  let entrySpan: Span | undefined;
  try {
    evaluatePrelude();
    interp.loadFile(request.file);
    const fn = interp.main.lookup(request.function);
    if (!fn || fn.kind !== "function") {
      const near = nearestNames(request.function, interp.main.visibleNames());
      return failure([{ code: "unknown-function", severity: "error", message: `function \`${request.function}\` is not defined in ${request.file}${fn ? ` (it is ${describeValue(fn)})` : ""}`, notes: near.length ? [`did you mean \`${near[0]}\`?`] : undefined }], userSources());
    }
    main.metadata = undefined;
    const params = new ParameterBinder(interp, request.mesh);
    const args = request.args.map((a, i) => params.bind(a, `arg${i + 1}`));
    // The manifest's call has no place in the source: a MethodError for it (the wrong number or
    // kinds of arguments) points at the function's definition, in the entry's file if it is there.
    const defs = fn.fn.methods.flatMap((m) => (m.def ? [m.def.span] : []));
    const callSpan: Span = defs.find((d) => d.file === request.file) ?? defs[0] ?? { file: request.file, start: 0, end: 0 };
    entrySpan = callSpan;
    const result = interp.vectorsAsArraysIn(interp.call(fn, { positional: args, keywords: new Map(), span: callSpan, argSpans: args.map(() => callSpan) }, request.function), callSpan);
    main.metadata = undefined;
    const leaves: { id: number; leaf: LeafSignature }[] = [];
    const output = flattenResult(result, "result", interp.arrays, leaves, interp);
    const root = main.emit(ops.tuple, leaves.map((l) => l.id), undefined);
    const entry = main.finish(root);
    const results = leaves.map((l) => l.leaf);
    if (request.resultShards) keepResultsSharded(results, request.resultShards, request.mesh);
    if (request.mesh) shardEntry(entry, request.mesh, params.leaves, results);
    const hlo = module.finish(entry);
    const signature: Signature = {
      compiler: { name: COMPILER_NAME, version: COMPILER_VERSION },
      entry: request.entry,
      function: request.function,
      inputs: request.args.map((a) => (a.kind === "runtime" ? a.type : null)),
      parameters: params.leaves,
      output,
      results,
      ...(request.mesh ? { mesh: request.mesh } : {}),
    };
    return {
      ok: true,
      module: encodeHloModule(hlo),
      text: printHloModule(hlo),
      signature,
      sources: userSources(),
      stats: { instructions: hlo.computations.reduce((n, c) => n + c.instructions.length, 0), computations: hlo.computations.length },
    };
  } catch (e) {
    if (e instanceof CompileError) return failure([e.diagnostic], userSources());
    // Outside any Julia expression (binding the arguments, the result): at the entry function.
    if (e instanceof BudgetExceeded) return failure([{ code: "compile-budget", severity: "error", message: e.message, span: entrySpan, notes: e.notes() }], userSources());
    if (e instanceof ResultError) return failure([{ code: "unsupported-result", severity: "error", message: e.message, span: e.span ?? entrySpan, notes: e.notes }], userSources());
    if (e instanceof RangeError && interp.stackExhaustedAt)
      return failure(
        [{ code: "nesting-too-deep", severity: "error", message: "expressions or calls nested too deeply for the compiler: its stack ran out evaluating this", span: interp.stackExhaustedAt, notes: ["split the expression (a long sum into a loop or a sum over a tuple), or recurse less deeply"] }],
        userSources(),
      );
    const message = e instanceof Error ? `${e.message}` : String(e);
    return failure([{ code: "internal-error", severity: "error", message: `internal compiler error: ${message}. This is a bug in tpu-build; please report it with the smallest Julia program that shows it.`, notes: e instanceof Error && e.stack ? e.stack.split("\n").slice(1, 6).map((l) => l.trim()) : undefined }], userSources());
  }
}

/** XLA's PrecisionConfig.Precision numbers (xla_data.proto): DEFAULT 0, HIGH 1, HIGHEST 2. */
const OPERAND_PRECISION = { default: 0, high: 1, highest: 2 } as const;

/** The request's options with their defaults, or why they are not valid (a caller that skipped the target's checks). */
function targetOptions(o: CompileOptions = {}): Required<Omit<CompileOptions, "platform">> & { platform?: Platform } | { problem: string } {
  if (o.platform !== undefined && !(PLATFORMS as readonly string[]).includes(o.platform)) return { problem: `unknown platform ${JSON.stringify(o.platform)} in the compile options (known: ${PLATFORMS.join(", ")})` };
  const float64 = o.float64 ?? "error", matmulPrecision = o.matmulPrecision ?? "default";
  if (float64 !== "error" && float64 !== "float32") return { problem: `compile option float64 must be "error" or "float32", got ${JSON.stringify(float64)}` };
  if (!Object.hasOwn(OPERAND_PRECISION, matmulPrecision)) return { problem: `compile option matmulPrecision must be "default", "high" or "highest", got ${JSON.stringify(matmulPrecision)}` };
  return { platform: o.platform, float64, matmulPrecision };
}

/** The message and notes of an operation on an element type the platform cannot compute with. */
function unsupportedMessage(t: ElementTypeInfo, opcode: string, platform: Platform, target: string | undefined): [string, string[]] {
  const notes = [`${platform} can hold ${t.julia} arrays (as inputs, results, or converted) but has no ${t.julia} arithmetic; this is the first ${t.julia} computation in the entry`];
  if (t.julia === "Float64")
    notes.push(
      "Float64 usually comes from a Float64 literal meeting Float32 arrays (`x .* 0.5` is Float64 in Julia): write Float32 literals (`0.5f0`, `3f-4`) or convert (`Float32(…)`, `Float32.(x)`)",
      `or compile Float64 as Float32 for this target: "float64": "float32" in its settings (targets.${target ?? "<name>"}), as JAX does without x64`,
    );
  return [`${t.julia} arithmetic (${opcode}) is not supported on the target platform "${platform}"`, notes];
}

function failure(diagnostics: Diagnostic[], sources: string[]): CompileResult {
  return { ok: false, diagnostics, sources };
}

/**
 * Makes HLO parameters for run-time arguments, depth-first, recording each leaf: the inverse of
 * flattenResult, rebuilding a value tree from a signature's TypeTree (the tree definition that
 * crossed between entries) with parameters as its leaves.
 */
class ParameterBinder {
  readonly leaves: LeafSignature[] = [];
  private readonly arrays: ArrayLowering;
  constructor(
    private readonly interp: Interpreter,
    private readonly mesh: MeshSpec | undefined,
  ) {
    this.arrays = interp.arrays;
  }

  /** A `from` argument's leaf shardings (leafShards), by leaf from `first` on, while it is bound. */
  private inherited?: { shards: (ShardSpec | null)[]; first: number };

  bind(arg: ArgSpec, path: string): Value {
    if (arg.kind === "const") return arg.raw !== undefined ? constFromJsonText(arg.raw) : constValue(arg.value);
    if (arg.shard) checkSharding(this.mesh, arg.type, arg.shard, `the sharding of ${path}`);
    this.inherited = arg.leafShards ? { shards: arg.leafShards, first: this.leaves.length } : undefined;
    try {
      return this.tree(arg.type, path, arg.shard);
    } finally {
      this.inherited = undefined;
    }
  }

  private tree(t: TypeTree, path: string, shard?: ShardSpec): Value {
    switch (t.kind) {
      case "array": {
        if (this.inherited) {
          shard = this.inherited.shards[this.leaves.length - this.inherited.first] ?? undefined;
          if (shard) checkSharding(this.mesh, t, shard, `the sharding ${path} is kept with`);
        }
        const scalar = t.scalar ?? t.size.length === 0;
        const value = this.arrays.parameter(this.leaves.length, t.eltype, t.size, scalar, path.replace(/[^A-Za-z0-9_.]/g, "_"));
        // The parameter as the device holds it (a demoted Float64 input is uploaded as Float32).
        this.leaves.push({ path, eltype: this.arrays.deviceType(t.eltype), size: t.size, ...(shard?.some((a) => a !== null) ? { shard } : {}) });
        return value;
      }
      case "tuple":
        return tuple(t.elements.map((e, i) => this.tree(e, path + keyText({ kind: "index", index: i }))));
      case "namedtuple":
        return { kind: "namedtuple", names: t.names, elements: t.elements.map((e, i) => this.tree(e, path + keyText({ kind: "name", name: t.names[i]! }))) };
      case "struct":
        return this.struct(t, path);
      case "known":
        return this.interp.evalSource(t.julia);
    }
  }

  /** A struct input (a model from another entry) is rebuilt as the same struct of this program. */
  private struct(t: TypeTree & { kind: "struct" }, path: string): Value {
    const fields = t.elements.map((e, i) => this.tree(e, path + keyText({ kind: "field", name: t.names[i]! })));
    const type = this.interp.main.lookup(t.name);
    if (!type || type.kind !== "type" || type.type.kind !== "datatype" || !type.type.decl || !("fieldNames" in type.type.decl))
      throw new CompileError({ code: "unknown-struct", severity: "error", message: `the input ${path} is a ${t.name}, but no struct ${t.name} is defined in this entry's sources` });
    const decl = type.type.decl as StructType;
    if (decl.fieldNames.join(",") !== t.names.join(","))
      throw new CompileError({ code: "struct-mismatch", severity: "error", message: `the input ${path} is a ${t.name} with fields (${t.names.join(", ")}), but ${t.name} here has fields (${decl.fieldNames.join(", ")})` });
    const span: Span = { file: decl.span.file, start: decl.span.start, end: decl.span.start };
    const args = { positional: fields, keywords: new Map(), span, argSpans: fields.map(() => span) };
    try {
      return this.interp.instantiate(decl, undefined, args);
    } catch (e) {
      // A type parameter the fields do not determine (RNN{false, …}'s return_state) is the one the
      // producing entry's struct had, from the signature.
      if (!(e instanceof CompileError) || e.diagnostic.code !== "unbound-parameter" || !t.typeParams) throw e;
      return this.interp.instantiate(decl, t.typeParams.map((p) => this.typeParam(this.interp.evalSource(p))), args);
    }
  }

  private typeParam(v: Value): TypeParam {
    if (v.kind === "type") return v.type;
    if (v.kind === "number") return v.type === "Bool" ? String(v.value) : Number(v.value);
    if (v.kind === "symbol") return `:${v.name}`;
    throw new CompileError({ code: "struct-mismatch", severity: "error", message: `a type parameter ${describeValue(v)} of an input struct cannot be rebuilt` });
  }
}

/**
 * A sharding must name a mesh axis or null for each dimension of an array, each axis once, and
 * divide its dimension. The manifest checks arguments' at their place; this guards the results'
 * (whose sizes only the compile knows) and callers of the compiler that do not.
 */
function checkSharding(mesh: MeshSpec | undefined, t: TypeTree, shard: ShardSpec, what: string): void {
  const bad = (why: string) => new CompileError({ code: "invalid-sharding", severity: "error", message: `${what} ${JSON.stringify(shard)}: ${why}` });
  if (!mesh) throw bad("the entry has no mesh");
  if (t.kind !== "array" || t.scalar || t.size.length !== shard.length)
    throw bad(`it must name a mesh axis or null for each dimension of an array${t.kind === "array" ? `, and this one has size (${t.size.join(", ")})` : ""}`);
  shard.forEach((axis, k) => {
    if (axis === null) return;
    const a = mesh.axes.find((m) => m.name === axis);
    if (!a) throw bad(`the mesh has no axis ${axis}`);
    if (t.size[k]! % a.size !== 0) throw bad(`dimension ${k + 1} (${t.size[k]}) is not divisible by the size of ${axis} (${a.size})`);
    if (shard.indexOf(axis) !== k) throw bad(`${axis} splits two dimensions`);
  });
}

/** `resultShards` on the result leaves (depth-first): each checked against its leaf, which then carries it. */
function keepResultsSharded(leaves: LeafSignature[], resultShards: (ShardSpec | null)[], mesh: MeshSpec | undefined): void {
  if (resultShards.length > leaves.length)
    throw new CompileError({ code: "invalid-sharding", severity: "error", message: `"resultShards" lists ${resultShards.length} shardings, but the result has ${leaves.length} leaf (leaves): ${leaves.map((l) => l.path).join(", ")}` });
  resultShards.forEach((shard, k) => {
    if (!shard?.some((a) => a !== null)) return;
    const leaf = leaves[k]!;
    checkSharding(mesh, { kind: "array", eltype: leaf.eltype, size: leaf.size, ...(leaf.size.length === 0 ? { scalar: true } : {}) }, shard, `"resultShards"[${k}] for ${leaf.path}`);
    leaf.shard = shard;
  });
}

/** A manifest `{ "const": V }` as a Julia value: integers are Int64, other numbers Float64, arrays tuples, objects NamedTuples. */
function constValue(v: unknown): Value {
  if (typeof v === "number") return Number.isInteger(v) ? num("Int64", v) : num("Float64", v);
  if (typeof v === "boolean") return num("Bool", v);
  if (typeof v === "string") return v.startsWith(":") ? { kind: "symbol", name: v.slice(1) } : { kind: "string", value: v };
  if (v === null) return { kind: "nothing" };
  if (Array.isArray(v)) return tuple(v.map(constValue));
  const o = v as Record<string, unknown>;
  return { kind: "namedtuple", names: Object.keys(o), elements: Object.values(o).map(constValue) };
}

/**
 * A constant from its JSON text, so numbers keep Julia's literal types: `1` is an Int64, `1.0`
 * and `1e3` are Float64 (JSON.parse would make both the same number).
 */
export function constFromJsonText(text: string): Value {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const parse = (): Value => {
    ws();
    const c = text[i];
    if (c === "[") {
      i++;
      const items: Value[] = [];
      ws();
      if (text[i] === "]") return i++, tuple(items);
      for (;;) {
        items.push(parse());
        ws();
        if (text[i++] === "]") return tuple(items);
      }
    }
    if (c === "{") {
      i++;
      const names: string[] = [];
      const elements: Value[] = [];
      ws();
      if (text[i] === "}") return i++, { kind: "namedtuple", names, elements };
      for (;;) {
        ws();
        const key = parse();
        names.push(key.kind === "string" ? key.value : "?");
        ws();
        i++; // ':'
        elements.push(parse());
        ws();
        if (text[i++] === "}") return { kind: "namedtuple", names, elements };
      }
    }
    const m = /^(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) throw new Error(`internal: malformed constant ${text}`);
    i += m[0].length;
    const tok = m[0];
    if (tok.startsWith('"')) return constValue(JSON.parse(tok));
    if (tok === "true" || tok === "false") return num("Bool", tok === "true");
    if (tok === "null") return { kind: "nothing" };
    return /[.eE]/.test(tok) ? num("Float64", Number(tok)) : num("Int64", Number(tok));
  };
  return parse();
}

class ResultError extends Error {
  /** Where the value that cannot leave was made (a closure), when known; else the entry. */
  constructor(message: string, readonly span?: Span, readonly notes?: string[]) {
    super(message);
  }
}

/**
 * An anonymous function as Julia source for another entry: its text, inside a `let` that binds
 * the local variables it captures to their known values (`let k = Int64(3)\n x -> x .* k\nend`).
 * Its global names are the receiving program's. Undefined for a function that is not a closure.
 */
function closureSource(f: FunctionValue, path: string, interp: Interpreter): string | undefined {
  const method = f.fn.methods.length === 1 ? f.fn.methods[0] : undefined;
  const def = method?.def;
  if (def?.kind !== "lambda" || !method!.scope) return undefined;
  const text = interp.files.get(def.span.file)?.text.slice(def.span.start, def.span.end);
  if (text === undefined) return undefined;
  const own = new Set(def.params.map((p) => p.name));
  const bindings: string[] = [];
  for (const name of identifierNames(def)) {
    if (own.has(name)) continue;
    const value = capturedValue(method!.scope, name);
    if (value === undefined) continue;
    if (value.kind === "tensor")
      throw new ResultError(`the result holds a closure at ${path} that captures \`${name}\`, a traced value (${describeValue(value)}); a closure passed between entries may capture only values known at compile time`, def.span, ["pass the array as a field of the model (a struct or a layer) instead, or as an argument of the next entry"]);
    bindings.push(`${name} = ${knownSource(value, `${path} (its captured \`${name}\`)`, interp)}`);
  }
  return bindings.length ? `let ${bindings.join(", ")}\n${text}\nend` : `(${text})`;
}

/** The value of `name` in the local scopes around a closure; undefined for a global (or unbound) name. */
function capturedValue(scope: Scope, name: string): Value | undefined {
  for (let s: Scope | undefined = scope; s && s.kind !== "global"; s = s.parent) if (s.has(name)) return s.lookup(name);
  return undefined;
}

/** Every identifier an AST mentions (a superset of a function's free variables). */
function identifierNames(node: unknown, out = new Set<string>()): Set<string> {
  if (!node || typeof node !== "object") return out;
  if (Array.isArray(node)) {
    for (const n of node) identifierNames(n, out);
    return out;
  }
  const n = node as { kind?: string; name?: string };
  if (n.kind === "ident" && n.name) out.add(n.name);
  for (const [k, v] of Object.entries(node)) if (k !== "span" && v && typeof v === "object") identifierNames(v, out);
  return out;
}

/** Julia source that evaluates to a known value in another entry's program. */
function knownSource(v: Value, path: string, interp: Interpreter): string {
  switch (v.kind) {
    case "number":
      if (v.type === "Bool") return String(v.value);
      if (v.type === "Irrational") return v.value === Math.PI ? "π" : "ℯ";
      return `${v.type}(${Number.isNaN(v.value) ? "NaN" : v.value === Infinity ? "Inf" : v.value === -Infinity ? "-Inf" : String(v.value)})`;
    case "function": {
      const global = interp.main.lookup(v.fn.name);
      if (global?.kind === "function" && global.fn === v.fn) return v.fn.name;
      const closure = closureSource(v, path, interp);
      if (closure === undefined) throw new ResultError(`the result holds the function ${v.fn.name} at ${path}, which is neither a global function nor an anonymous one; only those can be passed between entries`);
      return closure;
    }
    case "tuple":
      return `(${v.elements.map((e, i) => knownSource(e, `${path}[${i + 1}]`, interp)).join(", ")}${v.elements.length === 1 ? "," : ""})`;
    case "symbol":
      return `:${v.name}`;
    case "string":
      return JSON.stringify(v.value);
    case "nothing":
      return "nothing";
    case "colon":
      return "(:)";
    case "type":
      return showType(v.type);
    default:
      throw new ResultError(`the result holds ${describeValue(v)} at ${path}, which cannot be passed between entries`);
  }
}

/**
 * The result tree and its leaves. Arrays and numbers are leaves (a known number becomes a
 * constant output); inside a struct, known values (an activation function, a stride) stay known
 * and travel in the signature as Julia source, so a model passed to another entry keeps them static.
 */
function flattenResult(v: Value, root: string, arrays: ArrayLowering, leaves: { id: number; leaf: LeafSignature }[], interp: Interpreter): TypeTree {
  const flat = treeFlatten(v, (x, path) => x.kind === "tensor" || (x.kind === "number" && !insideStruct(path)));
  const leafTypes = flat.leaves.map((x, i): TypeTree => {
    const path = pathText(root, flat.paths[i]!);
    if (x.kind === "number") {
      const t = arrays.known(x);
      const eltype = arrays.deviceType(t.eltype);
      leaves.push({ id: t.id, leaf: { path, eltype, size: [] } });
      return { kind: "array", eltype, size: [], scalar: true };
    }
    // A row vector (an Adjoint) is returned as the 1×n matrix it is. Results have the element
    // type the device computed them in (a demoted Float64 comes back as Float32).
    const t = x as Tensor;
    const eltype = arrays.deviceType(t.eltype);
    leaves.push({ id: t.id, leaf: { path, eltype, size: t.scalar ? [] : t.size } });
    return { kind: "array", eltype, size: t.scalar ? [] : t.size, scalar: t.scalar || undefined };
  });
  let next = 0;
  const typeTree = (d: TreeDef, path: TreeKey[]): TypeTree => {
    if (d.kind === "leaf") return leafTypes[next++]!;
    if (d.kind === "static") {
      const x = d.value;
      if (insideStruct(path) || x.kind === "function") return { kind: "known", julia: knownSource(x, pathText(root, path), interp) };
      if (x.kind === "nothing") return { kind: "tuple", elements: [] };
      throw new ResultError(`the entry's result contains ${describeValue(x)} at ${pathText(root, path)}; results must be numbers, arrays, tuples or NamedTuples`);
    }
    const n = d.node;
    const elements = d.children.map((c, i) => typeTree(c, [...path, childKey(n, i)]));
    if (n.kind === "vector") throw new ResultError(`the entry's result contains ${describeValue(n)} at ${pathText(root, path)}; a vector of anything but numbers cannot leave an entry yet (use a tuple)`);
    if (n.kind === "tuple") return { kind: "tuple", elements };
    if (n.kind === "namedtuple") return { kind: "namedtuple", names: n.names, elements };
    return { kind: "struct", name: n.type.name, typeParams: n.params.map((p) => showType(p)), names: n.type.fieldNames, elements };
  };
  return typeTree(flat.def, []);
}

/**
 * An SPMD entry: each parameter split as its argument's `shard` says (else replicated), each
 * result as `resultShards` keeps it (else replicated: it comes back whole, and feeds other entries
 * on the same mesh unmoved).
 */
function shardEntry(entry: HloComputation, mesh: MeshSpec, parameters: LeafSignature[], results: LeafSignature[]): void {
  for (const p of computationParameters(entry)) p.attributes = { ...p.attributes, sharding: xlaSharding(mesh, parameters[p.attributes.parameterNumber!]?.shard) };
  const root = computationRoot(entry);
  if (root.shape.kind !== "tuple") throw new Error("internal: the entry's root is not a tuple");
  root.attributes = { ...root.attributes, sharding: { kind: "tuple", elements: root.shape.elements.map((_, k) => xlaSharding(mesh, results[k]?.shard)) } };
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_") || "main";
}
