// The abstract interpreter: runs Julia code at compile time. Known values are computed here, as
// Julia's constant propagation did for XLA.jl; operations on traced tensors emit HLO through the
// array lowering. Every function call is inlined, so the entry becomes one HLO computation.

import type { MeshSpec } from "../../plugins/api.js";
import type * as A from "../syntax/ast.js";
import type { ElementType } from "../eltypes.js";
import type { CallFrame, Span } from "../diagnostics.js";
import { CompileError, nearestNames, SourceFile } from "../diagnostics.js";
import { BudgetExceeded, CompileBudget } from "../budget.js";
import { parsedFile, parsedKnownValue } from "../syntax/parse-cache.js";
import type { ComputationBuilder } from "../hlo/builder.js";
import { ArrayLowering, DimensionMismatch } from "./arrays.js";
import { Scope, undoWrites } from "./scope.js";
import type { ArmOutcome } from "./control.js";
import { assignedNames, tracedIf, tracedWhile } from "./control.js";
import type { InPlaceWrite } from "./control.js";
import type { CallArgs, FunctionValue, GenericFunction, KnownNumber, Method, MutableContainer, RangeValue, StructType, StructValue, Tensor, Value, VectorValue } from "./values.js";
import { ELEMENT_TYPES } from "../eltypes.js";
import { NOTHING, char, charsOf, num, treeSize, tuple } from "./values.js";
import { commonType, describeValue, juliaTypeOf, printValue } from "./describe.js";
import { Dispatcher, allParams, isVararg, signatureMoreSpecific, sourceText } from "./dispatch.js";
import type { MethodMatch } from "./dispatch.js";
import type { Bindings, DataType, JuliaType, TypeParam } from "./types.js";
import { concrete, datatype, expandAlias, hasTypeVars, isFloat, isKnownTypeName, isSubtype, showType } from "./types.js";
import * as ops from "../hlo/ops.js";

/** Reads a source file by workspace-relative path. */
export type SourceReader = (path: string) => string | undefined;

class ReturnSignal {
  constructor(readonly value: Value) {}
}
class BreakSignal {}
class ContinueSignal {}

interface Frame {
  function: string;
  /** Where this frame was called from (in the caller). */
  callSite: Span;
  /** Current position inside this frame, updated as statements run. */
  at: Span;
  /** The call chain down to this frame, `outer/inner`: HLO metadata's op_name, built once per call. */
  chain: string;
}

/** Known `for` loops longer than this become an HLO while (unless the body needs the index known). */
const UNROLL_THRESHOLD = 16;

/** Library modules a program may `using`/`import`; their names all resolve in the prelude. */
export const LIBRARY_MODULES = new Set(["Base", "Core", "Flux", "Optimise", "NNlib", "Statistics", "LinearAlgebra", "Random", "Zygote", "Optimisers", "Functors", "MLUtils", "Losses", "Iterators", "ChainRulesCore"]);

export class Interpreter {
  /** The library's global scope: intrinsics and the prelude (Base, NNlib, Flux...). */
  readonly globals: Scope;
  /**
   * The program's own global scope (Julia's Main), inside the library's: a user's `struct Scale`
   * or `relu(x) = ...` shadows the library's without changing what library code means.
   */
  main: Scope;
  files = new Map<string, SourceFile>();
  private knownValues = new Map<string, Value>();
  /** Method tables, specificity and the dispatch cache (kept across compiles by a library image). */
  private readonly dispatcher = new Dispatcher(this);
  /** Every source file read, in order (the cache key hashes these). */
  sourcesRead: string[] = [];
  readonly arrays: ArrayLowering;
  private stack: Frame[] = [];
  /** Library functions that Main may extend: those named in `import M: f` or `import M.f`. */
  private extendable = new Set<string>();
  /** While a compile runs on a library image: how to put back the image's objects it changed (see beginCompile). */
  private restores: (() => void)[] | undefined;
  /** Generic functions whose method table this compile has already copied. */
  private ownTables = new WeakSet<GenericFunction>();
  /** Methods that make values callable: `(m::Dense)(x) = ...`; the functor is the first parameter. */
  readonly callables: GenericFunction = { name: "(callable)", methods: [] };
  /** The device mesh the entry is partitioned over (with_sharding_constraint reads it); absent: one device. */
  mesh: MeshSpec | undefined;

  /** The Julia code being compiled most recently: where a budget that runs out is reported. */
  private at: Span | undefined;

  /** The intrinsic call being lowered last (its arguments, for errors found while emitting it). */
  private lowering: CallArgs | undefined;
  /** Files loaded into the library's scope (the prelude): errors found in them are reported where user code calls them. */
  private readonly libraryFiles = new Set<string>();

  /** `storedAs`: Julia element types the device holds as another (ArrayLowering). */
  constructor(
    builder: ComputationBuilder,
    private read: SourceReader,
    intrinsics: (interp: Interpreter) => Map<string, Value>,
    public budget: CompileBudget = new CompileBudget(),
    storedAs: Partial<Record<ElementType, ElementType>> = {},
  ) {
    this.arrays = new ArrayLowering(builder, storedAs);
    this.globals = new Scope("global");
    for (const [name, value] of intrinsics(this)) this.globals.define(name, value);
    this.main = new Scope("global", this.globals);
  }

  // ---- compiles on a library image ------------------------------------------------------------

  /**
   * Starts one entry's compile on this interpreter after an earlier one (compiler/library-image.ts):
   * the library's scope, its method tables and the dispatch cache are kept; everything of the
   * program (Main, its files, the call stack) starts empty. Until endCompile, what the program
   * changes in the library is recorded to be undone: a global it defines there, and a method it
   * adds to a library function, which goes into a copy of that function's table (copy on write),
   * so the kept table and its cached dispatch answers never see it.
   */
  beginCompile(builder: ComputationBuilder, read: SourceReader, budget: CompileBudget, storedAs: Partial<Record<ElementType, ElementType>>, libraryFiles: ReadonlyMap<string, SourceFile>): void {
    this.arrays.retarget(builder, storedAs);
    this.read = read;
    this.budget = budget;
    this.main = new Scope("global", this.globals);
    this.files = new Map(libraryFiles);
    this.sourcesRead = [];
    this.knownValues = new Map();
    this.extendable = new Set();
    this.ownTables = new WeakSet();
    // What a program marks or declares (views, @non_differentiable, type aliases) is its own.
    this.sharesMemory = new WeakSet();
    this.nonDifferentiable = new Set();
    this.typeAliases = new Map();
    this.mutated = undefined;
    this.differentiating = undefined;
    this.restores = [];
    const constants = new Set(this.globals.constants);
    this.globals.undoLog = [];
    this.restores.push(() => {
      undoWrites(this.globals.undoLog!);
      this.globals.undoLog = undefined;
      this.globals.constants.clear();
      for (const c of constants) this.globals.constants.add(c);
    });
  }

  /** Puts back what the compile changed in the library (newest first) and drops the program's state. */
  endCompile(): void {
    const restores = this.restores ?? [];
    this.restores = undefined;
    for (let i = restores.length - 1; i >= 0; i--) restores[i]!();
    this.stack = [];
    this.including.length = 0;
    this.tracedDepth = 0;
    this.at = this.lowering = this.stackExhaustedAt = undefined;
    this.mesh = undefined;
    this.main = new Scope("global", this.globals);
    this.knownValues = new Map();
  }

  /** `fn`'s method table, to add a method to: during a compile on an image, this compile's own copy of it. */
  private methodTable(fn: GenericFunction): Method[] {
    if (this.restores && !this.ownTables.has(fn)) {
      this.ownTables.add(fn);
      const kept = fn.methods;
      fn.methods = kept.slice();
      this.restores.push(() => (fn.methods = kept));
    }
    return fn.methods;
  }

  /** Records how to undo a change of a library object's field (during a compile on an image). */
  private changing<T extends object, K extends keyof T>(target: T, key: K): void {
    const old = target[key];
    this.restores?.push(() => (target[key] = old));
  }

  // ---- diagnostics -------------------------------------------------------------------------

  /** A user-facing compile error at `span`, with the current Julia call chain (from frame `top` outwards). */
  fail(code: string, message: string, span: Span, notes?: string[], top = this.stack.length - 1): CompileError {
    const chain: CallFrame[] = [];
    for (let i = top; i >= 0; i--) {
      const frame: CallFrame = { function: this.stack[i]!.function, span: i === top ? span : this.stack[i + 1]!.callSite };
      const last = chain[chain.length - 1];
      if (last && last.function === frame.function && last.span.file === frame.span.file && last.span.start === frame.span.start) last.repeated = (last.repeated ?? 1) + 1;
      else chain.push(frame);
    }
    return new CompileError({ code, severity: "error", message, span, notes, callChain: chain.length ? chain : undefined });
  }

  /**
   * A compile error about the operation being lowered now (found below the interpreter, e.g. by
   * the HLO builder), at the innermost place in the program's own code it is reached from: inside
   * a library function (a Flux layer, an optimiser rule), that is the user's call of it.
   */
  failInUserCode(code: string, message: string, notes?: string[], culprit?: (argument: Value) => boolean): CompileError {
    // i = -1 is a file's top level, outside every call: where it is evaluating now, or its call into the library.
    for (let i = this.stack.length - 1; i >= -1; i--) {
      let span = i === this.stack.length - 1 ? (i >= 0 ? this.stack[i]!.at : this.at) : this.stack[i + 1]!.callSite;
      if (!span || this.libraryFiles.has(span.file)) continue;
      // In the user's own call, an argument the caller blames (a Float64 literal) is the place.
      const args = this.lowering;
      if (culprit && args && args.span === span) {
        const k = args.positional.findIndex(culprit);
        const at = args.argSpans[k];
        if (k >= 0 && at && !this.libraryFiles.has(at.file)) span = at;
      }
      return this.fail(code, message, span, notes, i);
    }
    return new CompileError({ code, severity: "error", message, notes });
  }

  /** Runs `f`, turning a DimensionMismatch from the array lowering into a diagnostic at `span`. */
  atSpan<T>(span: Span, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof DimensionMismatch) throw this.fail("dimension-mismatch", `DimensionMismatch: ${e.message}`, span);
      throw e;
    }
  }

  /** Sets the HLO metadata (source file/line, call chain) for instructions emitted at `span`. */
  private locate(span: Span, opType?: string): void {
    const file = this.files.get(span.file);
    const frame = this.stack[this.stack.length - 1];
    if (frame) frame.at = span;
    this.at = span;
    this.arrays.b.metadata = {
      opType,
      opName: frame?.chain,
      sourceFile: span.file,
      sourceLine: file ? file.position(span.start).line : undefined,
    };
  }

  // ---- files -------------------------------------------------------------------------------

  /** The files being loaded, outermost first, each with the `include` call that opened it. */
  private readonly including: { path: string; span?: Span }[] = [];

  /** Loads a file into a global scope: the library's for the prelude, Main for the program (the default). */
  loadFile(path: string, span?: Span, into: Scope = this.main): void {
    const open = this.including.findIndex((f) => f.path === path);
    if (open >= 0 && span) {
      // Julia would include forever (until its stack ran out); the cycle is shown include by include.
      const cycle = [...this.including.slice(open + 1), { path, span }];
      const notes = cycle.map((f) => `${this.where(f.span!)}: ${f.span!.file} includes ${f.path}`);
      throw this.fail("include-cycle", `include cycle: ${[...this.including.slice(open).map((f) => f.path), path].join(" → ")}`, span, notes);
    }
    this.including.push({ path, span });
    try {
      this.loadSource(path, span, into);
    } finally {
      this.including.pop();
    }
  }

  /** `file:line:col` of a span in a loaded file. */
  private where(span: Span): string {
    const file = this.files.get(span.file);
    if (!file) return span.file;
    const { line, col } = file.position(span.start);
    return `${span.file}:${line}:${col}`;
  }

  private loadSource(path: string, span: Span | undefined, into: Scope): void {
    this.evalBlock(this.openSource(path, span, into), into);
  }

  /** Reads and parses a file to be evaluated into `into` (the library's scope or Main), registering it. */
  openSource(path: string, span: Span | undefined, into: Scope): A.Block {
    const text = this.read(path);
    if (text === undefined) {
      if (span) throw this.fail("missing-include", `cannot include "${path}": no such file`, span);
      throw new CompileError({ code: "missing-source", severity: "error", message: `source file not found: ${path}` });
    }
    this.sourcesRead.push(path);
    if (into === this.globals) this.libraryFiles.add(path);
    const { parsed: { file, diagnostics }, source } = parsedFile(path, text);
    this.files.set(path, source);
    if (diagnostics.length) throw new CompileError(diagnostics[0]!);
    return file.body;
  }

  /** Evaluates a Julia expression given as text in the global scope (known values in signatures). */
  evalSource(text: string): Value {
    // A model repeats a few known values (`relu`, `Int64(1)`) hundreds of times; they are
    // constants and names, so each text has one value per program.
    const known = this.knownValues.get(text);
    if (known) return known;
    const { parsed: { file, diagnostics }, source } = parsedKnownValue(text);
    this.files.set(source.path, source);
    if (diagnostics.length || file.body.stmts.length !== 1) throw new CompileError({ code: "bad-signature", severity: "error", message: `cannot read the known value \`${text}\` of an input` });
    const value = this.eval(file.body.stmts[0]!, this.main);
    this.knownValues.set(text, value);
    return value;
  }

  // ---- evaluation --------------------------------------------------------------------------

  evalBlock(block: A.Block, scope: Scope): Value {
    let last: Value = NOTHING;
    for (const stmt of block.stmts) last = this.eval(stmt, scope);
    return last;
  }

  /**
   * The innermost expression being evaluated when JavaScript's stack ran out (a 2,000-term sum, a
   * thousand nested calls): compile.ts reports a located error there instead of an internal one.
   */
  stackExhaustedAt: Span | undefined;

  eval(node: A.Node, scope: Scope): Value {
    try {
      this.at = node.span;
      this.budget.step();
      return this.evalNode(node, scope);
    } catch (e) {
      // The innermost expression turns a budget that ran out into a located error, while the
      // call chain is still on the stack.
      if (e instanceof BudgetExceeded) throw this.fail("compile-budget", e.message, this.at ?? node.span, e.notes());
      // The innermost frame that can still run a handler records its node (the one nearer the
      // overflow may have no stack left even for this).
      if (this.stackExhaustedAt === undefined && e instanceof RangeError && e.message.includes("call stack")) this.stackExhaustedAt = node.span;
      throw e;
    }
  }

  /** Values and operations; definitions, declarations and control flow are in evalStatement. */
  private evalNode(node: A.Node, scope: Scope): Value {
    switch (node.kind) {
      case "number":
        if (typeof node.value === "bigint" || !["Int64", "Float64", "Float32", "Float16", "UInt8", "UInt16", "UInt32", "UInt64"].includes(node.type))
          throw this.fail("unsupported-literal", `the literal ${node.text} (${node.type}) is outside the supported numeric types`, node.span);
        return num(node.type as KnownNumber["type"], node.value);
      case "bool":
        return num("Bool", node.value);
      case "nothing":
        return NOTHING;
      case "string":
        return { kind: "string", value: node.parts.map((p) => (typeof p === "string" ? p : printValue(this.eval(p, scope)))).join("") };
      case "char":
        return char(node.value);
      case "symbol":
        return { kind: "symbol", name: node.name };
      case "ident":
        // `:` as a value is Julia's Colon() (in `reshape(x, 2, :)`, `x[:, 1]`); called, it makes ranges.
        if (node.name === ":") return { kind: "colon" };
        return this.lookup(node.name, scope, node.span);
      case "paren":
        return this.eval(node.expr, scope);
      case "block":
        return this.evalBlock(node, scope);
      case "begin":
        return this.evalBlock(node.body, scope);
      case "tuple":
        return this.held(tuple(this.evalList(node.elements, scope)), "a tuple", node.span);
      case "namedtuple":
        return this.held({ kind: "namedtuple", names: node.fields.map((f) => f.name), elements: node.fields.map((f) => this.eval(f.value, scope)) }, "a NamedTuple", node.span);
      case "call":
        return this.evalCall(node, scope);
      case "binary":
        return this.evalBinary(node, scope);
      case "unary": {
        const arg = this.eval(node.arg, scope);
        return this.callNamed(node.op, [arg], [node.arg.span], node.span, node.dotted);
      }
      case "comparison":
        return this.evalComparison(node, scope);
      case "and":
      case "or":
        return this.evalShortCircuit(node, scope);
      case "ternary":
        return this.evalTernary(node, scope);
      case "adjoint":
        return this.callNamed("adjoint", [this.eval(node.arg, scope)], [node.arg.span], node.span, false);
      case "range": {
        const start = this.eval(node.start, scope);
        const stop = this.eval(node.stop, scope);
        const args = node.step ? [start, this.eval(node.step, scope), stop] : [start, stop];
        return this.callNamed(":", args, [], node.span, false);
      }
      case "field":
        return this.evalField(node, scope);
      case "index":
        return this.evalIndex(node, scope);
      case "lambda":
        return { kind: "function", fn: { name: "#anonymous", methods: [{ def: node, scope }] } };
      case "typeassert":
        return this.evalTypeAssert(node, scope);
      case "curly":
      case "where":
        return { kind: "type", type: this.evalType(node, scope) };
      case "pair":
        return this.evalPair(node, scope);
      case "array":
        return this.evalArrayLiteral(node, scope);
      case "comprehension":
        return this.evalComprehension(node, scope);
      case "splat":
        throw this.fail("unsupported-syntax", "`...` is only allowed in a call or a tuple", node.span);
      default:
        return this.evalStatement(node, scope);
    }
  }

  /** Julia's statements are expressions too: each gives a value (often `nothing`). */
  private evalStatement(node: A.Node, scope: Scope): Value {
    switch (node.kind) {
      case "function":
        return this.defineFunction(node, scope);
      case "assign":
        return this.evalAssign(node, scope);
      case "if":
        return this.evalIf(node, scope);
      case "for":
        return this.evalFor(node, scope);
      case "while":
        return this.evalWhile(node, scope);
      case "return":
        throw new ReturnSignal(node.value ? this.eval(node.value, scope) : NOTHING);
      case "break":
        throw new BreakSignal();
      case "continue":
        throw new ContinueSignal();
      case "let":
        return this.evalLet(node, scope);
      case "local":
      case "global":
      case "const":
        return this.evalDeclaration(node, scope);
      case "macrocall":
        return this.evalMacro(node, scope);
      case "using":
      case "import":
        return this.evalImport(node);
      case "module":
        // Modules share the global scope of the program (names are resolved at compile time);
        // the module's name qualifies them (`Layers.Dense`).
        scope.define(node.name, { kind: "module", name: node.name });
        return this.evalBlock(node.body, scope);
      case "struct":
        return this.defineStruct(node, scope);
      case "abstracttype": {
        const t = datatype(node.name, [], { name: node.name, abstract: true, super: node.supertype ? this.evalDataType(node.supertype, scope) : datatype("Any") });
        scope.define(node.name, { kind: "type", type: t });
        return NOTHING;
      }
      case "export":
        return NOTHING;
      default:
        throw this.fail("unsupported-syntax", `${describeNode(node)} is not supported yet`, node.span);
    }
  }

  /** `x::T` checks the value's type. */
  private evalTypeAssert(node: A.TypeAssert, scope: Scope): Value {
    const v = this.eval(node.expr, scope);
    const t = this.evalType(node.type, scope);
    if (!isSubtype(juliaTypeOf(v), t)) throw this.fail("type-error", `TypeError: expected ${showType(t)}, got a value of type ${showType(juliaTypeOf(v))}`, node.span);
    return v;
  }

  /** `a => b` constructs Base.Pair (declared in the prelude). */
  private evalPair(node: A.Pair, scope: Scope): Value {
    const pair = this.globals.lookup("Pair");
    const args = [this.eval(node.left, scope), this.eval(node.right, scope)];
    if (pair?.kind !== "type") return tuple(args);
    return this.call(pair, { positional: args, keywords: new Map(), span: node.span, argSpans: [node.left.span, node.right.span] }, "Pair");
  }

  private evalLet(node: A.Let, scope: Scope): Value {
    const inner = new Scope("block", scope);
    for (const b of node.bindings) {
      if (b.kind === "assign") this.bind(b.target, this.eval(b.value, scope), inner, true);
      else if (b.kind === "ident") inner.define(b.name, this.lookup(b.name, scope, b.span));
      else this.eval(b, inner);
    }
    return this.evalBlock(node.body, inner);
  }

  /** `using M`, `import M: f`: only the library's modules exist; imported names may be extended. */
  private evalImport(node: A.Using): Value {
    if (node.kind === "import") {
      for (const n of node.names ?? []) this.extendable.add(n.name);
      for (const path of node.modules) if (path.length > 1 && LIBRARY_MODULES.has(path[0]!)) this.extendable.add(path[path.length - 1]!);
    }
    for (const path of node.modules) {
      const root = path.find((p) => p !== ".");
      if (root && !LIBRARY_MODULES.has(root))
        throw this.fail("unknown-package", `package ${path.join(".")} is not available to tpu-build`, node.span, [`available: ${[...LIBRARY_MODULES].join(", ")}`]);
    }
    // `using Flux: name` brings in a name the library must have: one it lacks is an error here,
    // not at its first use. (`import M: f` may name a function the program is about to define.)
    const from = node.modules.length === 1 ? node.modules[0]! : undefined;
    if (from && LIBRARY_MODULES.has(from[0]!)) {
      for (const n of node.names ?? []) {
        if (n.name.startsWith("@")) continue;
        const value = this.globals.lookup(n.name);
        if (value === undefined) {
          if (node.kind === "import" && !n.alias) continue;
          const near = nearestNames(n.name, this.globals.visibleNames());
          throw this.fail("undefined-import", `UndefVarError: \`${n.name}\` not defined in \`${from.join(".")}\`: tpu-build's ${from.join(".")} does not provide it`, n.span, near.length ? [`did you mean ${near.map((s) => `\`${s}\``).join(" or ")}?`] : undefined);
        }
        if (n.alias) this.main.define(n.alias, value);
      }
    }
    return NOTHING;
  }

  evalList(nodes: A.Node[], scope: Scope): Value[] {
    const out: Value[] = [];
    for (const n of nodes) {
      if (n.kind === "splat") out.push(...this.splat(this.eval(n.arg, scope), n.span));
      else out.push(this.eval(n, scope));
    }
    return out;
  }

  private splat(v: Value, span: Span): Value[] {
    if (v.kind === "tuple" || v.kind === "namedtuple" || v.kind === "vector") return v.elements;
    if (v.kind === "range") return this.rangeValues(v, span).map((x) => num(v.type, x));
    const chars = charsOf(v);
    if (chars) return chars;
    throw this.fail("unsupported-splat", `cannot splat ${describeValue(v)}: only tuples and known ranges can be splatted`, span);
  }

  lookup(name: string, scope: Scope, span: Span): Value {
    const v = scope.lookup(name);
    if (v !== undefined) return v;
    const suggestions = nearestNames(name, scope.visibleNames());
    throw this.fail("undefined-variable", `UndefVarError: \`${name}\` not defined`, span, suggestions.length ? [`did you mean ${suggestions.map((s) => `\`${s}\``).join(" or ")}?`] : undefined);
  }

  private evalField(node: A.FieldAccess, scope: Scope): Value {
    const target = this.eval(node.target, scope);
    if (target.kind === "module") return this.lookup(node.name, LIBRARY_MODULES.has(target.name) ? this.globals : this.main, node.nameSpan);
    return this.propertyOf(target, node.name, node.nameSpan);
  }

  private evalIndex(node: A.Index, scope: Scope): Value {
    const target = this.eval(node.target, scope);
    if (target.kind === "type") {
      // `T[a, b]` where the parser could not tell a type from an array: a typed vector literal.
      const lit: A.ArrayLit = { kind: "array", form: "vect", rows: [node.indices], eltype: node.target, span: node.span };
      return this.evalArrayLiteral(lit, scope);
    }
    const indices = this.evalIndices(target, node.indices, scope);
    return this.callInScope("getindex", scope, [target, ...indices], [node.target.span, ...node.indices.map((i) => i.span)], node.span);
  }

  /** The indices of `target[...]`, with `begin` and `end` bound where an index mentions them. */
  private evalIndices(target: Value, nodes: A.Node[], scope: Scope): Value[] {
    const inner = new Scope("block", scope);
    return nodes.map((ix, d) => {
      if (mentionsEnd(ix)) inner.define("end", this.lastIndex(target, d, nodes.length, ix.span, scope));
      inner.define("begin", num("Int64", 1));
      return this.eval(ix, inner);
    });
  }

  /** `end` in an index: Julia's `lastindex(a)` (one index) or `lastindex(a, d)`. */
  private lastIndex(target: Value, d: number, count: number, span: Span, scope: Scope): Value {
    if (target.kind === "tuple" || target.kind === "namedtuple" || target.kind === "vector") return num("Int64", target.elements.length);
    if (target.kind === "tensor" && !target.scalar) {
      if (count === 1) return num("Int64", target.size.reduce((a, b) => a * b, 1));
      return num("Int64", target.size[d] ?? 1);
    }
    if (target.kind === "range") return num("Int64", rangeLength(target));
    const args = count === 1 ? [target] : [target, num("Int64", d + 1)];
    return this.callInScope("lastindex", scope, args, args.map(() => span), span);
  }

  /**
   * Calls the function `name` as seen from `scope`: what `x[i]`, `x[i] = v` and `for` lower to
   * (getindex, setindex!, iterate), so a program's own methods, or its own function of that name,
   * are the ones called.
   */
  callInScope(name: string, scope: Scope, positional: Value[], argSpans: Span[], span: Span): Value {
    const f = scope.lookup(name) ?? this.globals.lookup(name);
    if (!f) throw this.fail("undefined-function", `UndefVarError: \`${name}\` not defined`, span);
    this.locate(span, name);
    return this.call(f, { positional, keywords: new Map(), span, argSpans }, name);
  }

  // ---- calls -------------------------------------------------------------------------------

  private evalCall(node: A.Call, scope: Scope): Value {
    if (node.callee.kind === "ident" && node.callee.name === "include" && !node.dotted) {
      const arg = node.args[0];
      if (node.args.length !== 1 || !arg || arg.kind !== "string" || arg.parts.some((p) => typeof p !== "string"))
        throw this.fail("unsupported-include", "include takes one literal path string", node.span);
      this.loadFile(resolveInclude(node.span.file, arg.parts.join("")), node.span);
      return NOTHING;
    }
    const callee = node.callee.kind === "curly" && node.callee.target.kind === "ident" && node.callee.target.name === "new"
      ? { kind: "type" as const, type: this.newType(node.callee, scope) }
      : this.eval(node.callee, scope);
    const positional = this.evalList(node.args, scope);
    const argSpans = node.args.map((a) => a.span);
    if (node.doBlock) {
      positional.unshift(this.eval(node.doBlock, scope));
      argSpans.unshift(node.doBlock.span);
    }
    const keywords = new Map<string, Value>();
    for (const kw of node.kwargs) {
      const v = this.eval(kw.value, scope);
      if (kw.splat) {
        if (v.kind !== "namedtuple") throw this.fail("bad-kwargs", `keyword splatting needs a NamedTuple, got ${describeValue(v)}`, kw.span);
        v.names.forEach((n, i) => keywords.set(n, v.elements[i]!));
      } else keywords.set(kw.name, v);
    }
    const args: CallArgs = { positional, keywords, span: node.span, argSpans };
    if (node.dotted) return this.broadcast(callee, args, calleeName(node.callee));
    return this.call(callee, args, calleeName(node.callee));
  }

  private evalBinary(node: A.BinaryOp, scope: Scope): Value {
    if (node.op === "|>") {
      const left = this.eval(node.left, scope);
      const f = this.eval(node.right, scope);
      const args: CallArgs = { positional: [left], keywords: new Map(), span: node.span, argSpans: [node.left.span] };
      return node.dotted ? this.broadcast(f, args, calleeName(node.right)) : this.call(f, args, calleeName(node.right));
    }
    // `a + b + c + …` nests to the left as deep as it is long: its left spine is walked with a
    // loop (a 100,000-term sum compiles), in the same order as the recursion would.
    const spine: A.BinaryOp[] = [];
    let leftmost: A.Node = node;
    while (leftmost.kind === "binary" && leftmost.op !== "|>") {
      spine.push(leftmost);
      leftmost = leftmost.left;
    }
    let value = this.eval(leftmost, scope);
    for (let k = spine.length - 1; k >= 0; k--) {
      const b = spine[k]!;
      const right = this.eval(b.right, scope);
      value = this.callNamed(b.op, [value, right], [b.left.span, b.right.span], b.opSpan, b.dotted, b.span);
    }
    return value;
  }

  /** Calls the function bound to `name` in the global scope (operators, `getindex`, `adjoint`...). */
  callNamed(name: string, positional: Value[], argSpans: Span[], span: Span, dotted: boolean, wholeSpan?: Span): Value {
    const f = this.globals.lookup(name);
    if (!f) throw this.fail("undefined-function", `the operator \`${name}\` is not supported yet`, span);
    const args: CallArgs = { positional, keywords: new Map(), span: wholeSpan ?? span, argSpans };
    this.locate(span, name);
    return dotted ? this.broadcast(f, args, name) : this.call(f, args, name);
  }

  private evalComparison(node: A.Comparison, scope: Scope): Value {
    const values = node.operands.map((o) => this.eval(o, scope));
    let result: Value | undefined;
    for (let i = 0; i < node.ops.length; i++) {
      const { op, dotted, span } = node.ops[i]!;
      const r = this.callNamed(op, [values[i]!, values[i + 1]!], [node.operands[i]!.span, node.operands[i + 1]!.span], span, dotted);
      result = result === undefined ? r : this.callNamed(dotted ? "&" : "&", [result, r], [], span, dotted);
      if (!dotted && r.kind === "number" && r.value === false) return r;
    }
    return result!;
  }

  private evalShortCircuit(node: A.ShortCircuit, scope: Scope): Value {
    const left = this.eval(node.left, scope);
    if (left.kind === "number" && left.type === "Bool") {
      if (node.kind === "and" ? !left.value : left.value) return left;
      return this.eval(node.right, scope);
    }
    if (left.kind === "tensor" && left.eltype === "Bool" && left.scalar) {
      const right = this.eval(node.right, scope);
      return this.callNamed(node.kind === "and" ? "&" : "|", [left, right], [node.left.span, node.right.span], node.span, false);
    }
    throw this.fail("type-error", `TypeError: non-boolean (${describeValue(left)}) used in boolean context`, node.left.span);
  }

  private evalTernary(node: A.Ternary, scope: Scope): Value {
    const cond = this.eval(node.cond, scope);
    const known = this.knownCondition(cond, node.cond.span);
    if (known !== undefined) return this.eval(known ? node.then : node.else, scope);
    return this.branchOnTraced(cond as Tensor, () => this.eval(node.then, scope), () => this.eval(node.else, scope), node.cond.span, true);
  }

  /** true/false for a known Bool, undefined for a traced Bool scalar; an error otherwise. */
  knownCondition(cond: Value, span: Span): boolean | undefined {
    if (cond.kind === "number" && cond.type === "Bool") return cond.value as boolean;
    if (cond.kind === "tensor" && cond.eltype === "Bool" && cond.scalar) return undefined;
    throw this.fail("type-error", `TypeError: non-boolean (${describeValue(cond)}) used in boolean context`, span);
  }

  /** Whether the program or library defines a method of `name` (in Julia source) for arguments of these types. */
  hasSourceMethod(name: string, argTypes: JuliaType[]): boolean {
    const f = this.main.lookup(name);
    return f?.kind === "function" && f.fn.methods.some((m) => m.def !== undefined && this.dispatcher.matchMethod(m, argTypes) !== undefined);
  }

  /** Calls a function value with evaluated arguments, inlining the chosen method. */
  call(callee: Value, args: CallArgs, name = "function"): Value {
    if (callee.kind === "type") {
      const t = callee.type;
      if (t.kind === "datatype" && t.decl) return this.construct(t, args);
      // `Dict(pairs...)`, `Dict{K,V}()`, `IdDict(...)`: compiler/library/dicts.ts.
      if (t.kind === "datatype" && (t.name === "Dict" || t.name === "IdDict")) return this.callNamed("Dict#new", [callee, ...args.positional], [args.span, ...args.argSpans], args.span, false);
      if (t.kind === "datatype" && t.name === "Symbol") return this.callNamed("Symbol#new", args.positional, args.argSpans, args.span, false);
      // `Vector{T}()`: an empty vector to grow.
      if (t.kind === "datatype" && t.name === "Array" && t.params[1] === 1 && typeof t.params[0] === "object" && t.params[0].kind !== "typevar" && args.positional.length === 0 && args.keywords.size === 0)
        return { kind: "vector", eltype: t.params[0], elements: [] };
      // `Array{T}(undef, dims...)`, `Vector{T}(undef, n)`, `Matrix{T}(undef, m, n)`: uninitialized
      // memory in Julia, zeros here (as similar's), then written element by element or by slices.
      const first = args.positional[0];
      if (t.kind === "datatype" && t.name === "Array" && first?.kind === "struct" && first.type.name === "UndefInitializer") {
        const eltype = t.params[0];
        if (typeof eltype !== "object" || eltype.kind === "typevar") throw this.fail("argument-error", `${showType(t)}(undef, dims...) needs the element type: write Array{Float32}(undef, dims...)`, args.span);
        const dims = args.positional.length === 2 && args.positional[1]!.kind === "tuple" ? args.positional[1]!.elements : args.positional.slice(1);
        const rank = t.params[1];
        if (typeof rank === "number" && rank !== dims.length) throw this.fail("no-method", `MethodError: no method matching ${showType(t)}(::UndefInitializer, ${dims.map((d) => `::${showType(juliaTypeOf(d))}`).join(", ")}): ${dims.length} dimensions for a ${rank}-dimensional array`, args.span);
        return this.callNamed("zeros", [{ kind: "type", type: eltype }, ...dims], [args.span, ...dims.map(() => args.span)], args.span, false);
      }
      const converted = this.callNamed("convert", [callee, ...args.positional], args.argSpans, args.span, false);
      // `Array(x)`, `Vector{T}(x)` construct a new array, where convert may return x itself.
      return t.kind === "datatype" && t.name === "Array" && converted === args.positional[0] && converted.kind === "tensor" ? { ...converted } : converted;
    }
    if (callee.kind !== "function") {
      // Callable objects: `(m::Dense)(x)` methods take the object as their first argument.
      const withSelf: CallArgs = { ...args, positional: [callee, ...args.positional], argSpans: [args.span, ...args.argSpans] };
      if (this.dispatcher.anyApplies(this.callables.methods, withSelf))
        return this.callFunction({ name: callee.kind === "struct" ? callee.type.name : showType(juliaTypeOf(callee)), methods: this.callables.methods }, withSelf);
      const argTypes = withSelf.positional.map(juliaTypeOf);
      // The object's type has call methods, but none for these arguments: Julia's MethodError, with them as candidates.
      const own = this.callables.methods.filter((m) => this.dispatcher.functorApplies(m, argTypes[0]!));
      if (own.length) throw this.dispatcher.methodError({ name: `(::${showType(argTypes[0]!)})`, methods: own }, argTypes.slice(1), args.span);
      throw this.fail("not-callable", `MethodError: objects of type ${showType(juliaTypeOf(callee))} are not callable`, args.span, callee.kind === "struct" ? [`define a method \`(m::${callee.type.name})(x) = ...\` to make it callable`] : undefined);
    }
    return this.callFunction(callee.fn, args);
  }

  private callFunction(fn: GenericFunction, args: CallArgs): Value {
    if (this.mutated !== undefined && this.nonDifferentiable.has(fn)) {
      this.nonDifferentiable.delete(fn);
      try {
        return this.callNamed("ignore_derivatives", [this.callFunction(fn, args)], [args.span], args.span, false);
      } finally {
        this.nonDifferentiable.add(fn);
      }
    }
    const { method, bindings } = this.dispatcher.dispatch(fn, args);
    if (method.intrinsic) {
      this.locate(args.span, fn.name);
      this.lowering = args;
      const actual = method.takesVectors ? args : this.vectorsAsArrays(args);
      const result = this.atSpan(args.span, () => this.callIntrinsic(method.intrinsic!, actual));
      const x = actual.positional[0];
      if (VIEWS.has(fn.name) && x?.kind === "tensor" && result.kind === "tensor") {
        this.sharesMemory.add(x);
        this.sharesMemory.add(result);
      }
      return result;
    }
    return this.invoke(fn, method, bindings, args);
  }

  /**
   * A range is an AbstractVector: a library function with no method of its own for ranges (its
   * MethodError at this call) takes the array of the range's values, as Julia's generic
   * AbstractArray methods do.
   */
  private callIntrinsic(intrinsic: (args: CallArgs) => Value, args: CallArgs): Value {
    try {
      return intrinsic(args);
    } catch (e) {
      const at = e instanceof CompileError ? e.diagnostic.span : undefined;
      if (!at || (e as CompileError).diagnostic.code !== "no-method" || ![args.span, ...args.argSpans].some((s) => s.start === at.start && s.file === at.file)) throw e;
      if (!args.positional.some((a) => a.kind === "range")) throw e;
      this.lowering = args;
      return intrinsic({ ...args, positional: args.positional.map((a) => (a.kind === "range" ? this.rangeAsArray(a) : a)) });
    }
  }

  private invoke(fn: GenericFunction, method: Method, bindings: Bindings, args: CallArgs): Value {
    const def = method.def!;
    this.at = args.span;
    this.budget.depth(this.stack.length + 1, fn.name);
    const scope = new Scope("function", method.scope);
    for (const [name, value] of bindings) scope.define(name, typeParamValue(value));
    this.bindParameters(def, scope, args);
    const caller = this.stack[this.stack.length - 1];
    this.stack.push({ function: fn.name, callSite: args.span, at: def.span, chain: caller ? `${caller.chain}/${fn.name}` : fn.name });
    try {
      return def.kind === "lambda" && def.body.kind !== "block" ? this.eval(def.body, scope) : this.eval(def.body, scope);
    } catch (e) {
      if (e instanceof ReturnSignal) return e.value;
      if (e instanceof BreakSignal || e instanceof ContinueSignal) throw this.fail("syntax", "break or continue outside a loop", def.span);
      throw e;
    } finally {
      this.stack.pop();
    }
  }

  private bindParameters(def: A.FunctionDef | A.Lambda, scope: Scope, args: CallArgs): void {
    const positional = args.positional;
    let i = 0;
    for (const p of allParams(def)) {
      if (isVararg(p)) {
        const rest = positional.slice(i);
        i = positional.length;
        if (p.name) scope.define(p.name, tuple(rest));
        continue;
      }
      const value = i < positional.length ? positional[i++]! : this.eval(p.default!, scope);
      if (p.pattern) this.bind(p.pattern, value, scope, true);
      else if (p.name) scope.define(p.name, value);
    }
    const used = new Set<string>();
    for (const k of def.kwparams) {
      if (k.vararg) {
        const rest = [...args.keywords].filter(([n]) => !def.kwparams.some((q) => q.name === n));
        scope.define(k.name!, { kind: "namedtuple", names: rest.map(([n]) => n), elements: rest.map(([, v]) => v) });
        rest.forEach(([n]) => used.add(n));
        continue;
      }
      const given = args.keywords.get(k.name!);
      if (given !== undefined) {
        used.add(k.name!);
        scope.define(k.name!, given);
      } else if (k.default) scope.define(k.name!, this.eval(k.default, scope));
      else throw this.fail("missing-keyword", `UndefKeywordError: keyword argument \`${k.name}\` not assigned`, args.span);
    }
    for (const name of args.keywords.keys()) {
      if (!used.has(name)) {
        const valid = def.kwparams.map((k) => k.name!).filter(Boolean);
        const near = nearestNames(name, valid);
        throw this.fail("unknown-keyword", `MethodError: no method accepts the keyword argument \`${name}\``, args.span, near.length ? [`did you mean \`${near[0]}\`?`] : valid.length ? [`keywords: ${valid.join(", ")}`] : undefined);
      }
    }
  }

  /** A `where` variable: `T` or `T<:Real`. */
  typeVar(node: A.Node, scope: Scope): JuliaType & { kind: "typevar" } {
    if (node.kind === "ident") return { kind: "typevar", name: node.name };
    if (node.kind === "subtype" && node.left?.kind === "ident") return { kind: "typevar", name: node.left.name, upper: node.op === "<:" ? this.evalType(node.right, scope) : undefined };
    throw this.fail("unsupported-where", "unsupported `where` parameter", node.span);
  }

  /** A type parameter: a type, `<:T`, or a known integer, Bool or symbol (`Val{3}`, `Array{T,N}` with N bound, `RNN{false}`). */
  evalTypeParam(a: A.Node, scope: Scope): TypeParam {
    // `<:T` is an anonymous type variable; each one is distinct.
    if (a.kind === "subtype" && !a.left) return { kind: "typevar", name: `#${a.span.start}`, upper: this.evalType(a.right, scope) };
    const v = this.eval(a, scope);
    if (v.kind === "type") return v.type;
    if (v.kind === "number" && typeof v.value === "number" && Number.isInteger(v.value)) return v.value;
    if (v.kind === "symbol") return `:${v.name}`;
    // A Bool parameter (`RNN{false}`) is kept as its text, as Julia prints it.
    if (v.kind === "number" && v.type === "Bool") return String(v.value);
    if (v.kind === "function") return datatype("Function");
    throw this.fail("not-a-type", `${describeValue(v)} cannot be a type parameter`, a.span);
  }

  /** Evaluates a type expression (`Float32`, `AbstractMatrix{T}`, `Array{Float32,2}`, `Vector{<:Real}`). */
  evalType(node: A.Node, scope: Scope): JuliaType {
    if (node.kind === "curly" && node.target.kind === "ident") {
      const params: TypeParam[] = node.args.map((a) => this.evalTypeParam(a, scope));
      // `Tuple{}` is the empty tuple type, not `Tuple` (any tuple).
      if (node.target.name === "Tuple") return datatype("Tuple", params);
      if (node.target.name === "Union") return { kind: "union", types: params.filter((p): p is JuliaType => typeof p === "object") };
      const alias = expandAlias(node.target.name, params);
      if (alias) return alias;
      const own = this.typeAliases.get(node.target.name);
      if (own) {
        const inner = new Scope("block", own.scope);
        own.params.forEach((p, i) => params[i] !== undefined && inner.define(this.typeVar(p, own.scope).name, typeParamValue(params[i]!)));
        return this.evalType(own.body, inner);
      }
      const base = this.evalType(node.target, scope);
      if (base.kind !== "datatype") throw this.fail("bad-type", "type parameters on a non-datatype", node.span);
      return datatype(base.name, params, base.decl);
    }
    if (node.kind === "where") {
      const inner = new Scope("block", scope);
      for (const p of node.params) {
        const v = this.typeVar(p, scope);
        inner.define(v.name, { kind: "type", type: v });
      }
      return this.evalType(node.body, inner);
    }
    const v = this.eval(node, scope);
    if (v.kind === "type") return v.type;
    throw this.fail("not-a-type", `${describeValue(v)} is not a type`, node.span);
  }

  /**
   * `f.(args...)`: calls `f` once with every array argument lifted to a traced scalar over its own
   * size, so the body's scalar operations become elementwise HLO over the broadcast shape.
   */
  broadcast(callee: Value, args: CallArgs, name: string): Value {
    args = this.vectorsAsArrays(args);
    // A range is an AbstractVector: with arrays it is broadcast as the array of its values; with
    // only numbers, elementwise at compile time into a vector of known numbers.
    if (args.positional.some((a) => a.kind === "range")) {
      const withArrays = args.positional.some((a) => a.kind === "tensor");
      args = { ...args, positional: args.positional.map((a) => (a.kind !== "range" ? a : withArrays ? this.rangeAsArray(a) : { kind: "vector", eltype: datatype(concrete(a.type)), elements: this.rangeValues(a, args.span).map((x) => num(a.type, x)) })) };
    }
    // Tuples with numbers (known or traced) broadcast to a tuple; only arrays make an array.
    if (args.positional.some((a) => a.kind === "tuple" || a.kind === "vector") && !args.positional.some((a) => a.kind === "tensor" && !a.scalar)) return this.broadcastTuples(callee, args, name);
    let size: number[] = [];
    let anyArray = false;
    for (const [i, a] of args.positional.entries()) {
      if (a.kind === "tensor") {
        if (!a.scalar) anyArray = true;
        size = this.atSpan(args.argSpans[i] ?? args.span, () => this.arrays.broadcastSize(size, a.size));
      } else if (a.kind === "tuple" || a.kind === "range") {
        throw this.fail("unsupported-broadcast", `broadcasting over ${describeValue(a)} is not supported yet; use an array`, args.argSpans[i] ?? args.span);
      }
    }
    const lifted = args.positional.map((a) => (a.kind === "tensor" ? { ...a, scalar: true, rowVector: undefined } : a));
    const result = this.call(callee, { ...args, positional: lifted }, name);
    if (!anyArray) return result;
    return this.atSpan(args.span, () => this.unlift(result, size, args.span));
  }

  /**
   * Broadcasting over tuples (`(a, b) .* 2`) gives a tuple, over vectors of non-numbers
   * (`sum.(arrays)`) a vector: elementwise, with length-1 collections and scalars stretched.
   */
  private broadcastTuples(callee: Value, args: CallArgs, name: string): Value {
    const lengths = args.positional.map((a) => (a.kind === "tuple" || a.kind === "vector" ? a.elements.length : 1));
    const n = Math.max(...lengths);
    if (lengths.some((l) => l !== 1 && l !== n)) throw this.fail("dimension-mismatch", `DimensionMismatch: collections of lengths ${lengths.join(" and ")} cannot be broadcast together`, args.span);
    const results = Array.from({ length: n }, (_, i) =>
      this.call(callee, { ...args, positional: args.positional.map((a) => (a.kind === "tuple" || a.kind === "vector" ? a.elements[a.elements.length === 1 ? 0 : i]! : a)) }, name),
    );
    return args.positional.some((a) => a.kind === "vector") ? { kind: "vector", eltype: commonType(results), elements: results } : tuple(results);
  }

  /** The values of a range as an array (Julia's ranges are AbstractVectors): start + (i-1)*step, computed in Float64 for float ranges, as Julia's are. */
  rangeAsArray(r: RangeValue): Tensor {
    const t = concrete(r.type);
    const work: ElementType = isFloat(t) ? "Float64" : t;
    const n = rangeLength(r);
    const a = this.arrays;
    const steps = a.elementwise(ops.multiply, [a.iota(work, [n], 0), a.broadcastTo(a.constant(work, r.step), [n])], false);
    const values = a.elementwise(ops.add, [steps, a.broadcastTo(a.constant(work, r.start), [n])], false);
    return work === t ? values : a.convert(values, t);
  }

  /** A value with every vector of numbers inside it (in tuples, NamedTuples, structs) as its array: what an entry returns. */
  vectorsAsArraysIn(v: Value, span: Span): Value {
    if (v.kind === "vector") return this.vectorAsArray(v, span) ?? v;
    if (v.kind === "tuple" || v.kind === "namedtuple") return { ...v, elements: v.elements.map((e) => this.vectorsAsArraysIn(e, span)) };
    if (v.kind === "struct") return { ...v, fields: v.fields.map((e) => this.vectorsAsArraysIn(e, span)) };
    return v;
  }

  private unlift(v: Value, size: number[], span: Span): Value {
    if (v.kind === "number") return { ...this.arrays.broadcastTo(this.arrays.known(v), size), scalar: false };
    if (v.kind === "tensor") {
      if (!v.scalar) throw this.fail("unsupported-broadcast", "the broadcast function returned an array for one element; nested arrays are not supported", span);
      return { ...this.arrays.broadcastTo(v, size), scalar: false };
    }
    throw this.fail("unsupported-broadcast", `the broadcast function returned ${describeValue(v)}; only numbers are supported as elements`, span);
  }

  /**
   * A vector of numbers passed where Julia sees an array (an intrinsic, a broadcast) becomes the
   * traced array of its elements, in its element type.
   */
  vectorsAsArrays(args: CallArgs): CallArgs {
    if (!args.positional.some((v) => v.kind === "vector")) return args;
    return { ...args, positional: args.positional.map((v, i) => (v.kind === "vector" ? (this.vectorAsArray(v, args.argSpans[i] ?? args.span) ?? v) : v)) };
  }

  /** The array a vector of numbers is (undefined for a vector of anything else). */
  vectorAsArray(v: VectorValue, span: Span): Tensor | undefined {
    const t = v.eltype;
    const numberType = t.kind === "datatype" && (ELEMENT_TYPES as readonly string[]).includes(t.name) ? (t.name as ElementType) : undefined;
    if (v.elements.length === 0) return numberType ? { ...this.arrays.broadcastTo(this.arrays.constant(numberType, 0), [0]), scalar: false } : undefined;
    if (!v.elements.every(isNumeric)) return undefined;
    const array = this.callNamed("vcat", v.elements, [], span, false) as Tensor;
    return numberType && array.eltype !== numberType ? this.arrays.convert(array, numberType) : array;
  }

  /**
   * Nesting depth of traced control flow being traced (the arms of an `if` on a traced condition,
   * the body of an XLA while): code there runs once symbolically, so mutating a known container
   * (push! on a vector, a mutable struct's field) cannot mean what Julia means and is an error.
   */
  private tracedDepth = 0;

  /** The traced regions being traced, innermost last: an `if` arm or an XLA while's body (see writeInPlace). */
  private tracedRegions: ("if" | "while")[] = [];

  inTraced<T>(region: "if" | "while", f: () => T): T {
    this.tracedDepth++;
    this.tracedRegions.push(region);
    try {
      return f();
    } finally {
      this.tracedDepth--;
      this.tracedRegions.pop();
    }
  }

  /**
   * The known containers mutated while a function is traced for a gradient (library/autodiff.ts):
   * what they now hold was computed in the scratch computation and is brought back to the current
   * one when the trace ends (a BatchNorm's running statistics, a random generator's state).
   * Set exactly while a gradient is traced (NNlib's within_gradient).
   */
  mutated: Set<MutableContainer> | undefined;

  /**
   * While a gradient is traced: what tells the arrays the function made (which it may write into:
   * their writes are dynamic-update-slices, differentiated exactly) from those it was given or
   * reads from outside (Zygote's "Mutating arrays is not supported"): every instruction of the
   * trace has an id from `firstId` on, and `arguments` are its lifted arguments' arrays.
   */
  differentiating: { firstId: number; arguments: WeakSet<Tensor> } | undefined;

  /**
   * Called before a known container is mutated: fails under traced control flow (see
   * tracedDepth), and records the container while a gradient is traced (see mutated).
   */
  checkMutable(container: MutableContainer, what: string, span: Span): void {
    if (this.tracedDepth > 0)
      throw this.fail("traced-mutation", `${what} inside a loop compiled to an XLA while or under a condition on traced values is not supported: its effect would depend on data`, span, ["loop over a known range of at most 16 iterations (it is unrolled), or build the values without mutation"]);
    this.mutated?.add(container);
  }

  // ---- definitions and assignment -------------------------------------------------------------

  private defineFunction(node: A.FunctionDef, scope: Scope): Value {
    if (node.functor) {
      this.methodTable(this.callables).push({ def: node, scope });
      return NOTHING;
    }
    if (!node.name) throw this.fail("unsupported-syntax", "a method needs a name", node.span);
    const existing = scope.lookup(node.name);
    if (existing?.kind === "type" && existing.type.kind === "datatype" && isStruct(existing.type)) {
      // An outer constructor: a method of the struct's constructor function.
      this.methodTable(existing.type.decl.constructors).push({ def: node, scope });
      return existing;
    }
    if (node.qualifier) {
      // `Base.f(...) = ...` extends a library function: methods go on the library's generic function.
      const q = node.qualifier;
      const library = q.kind === "ident" && LIBRARY_MODULES.has(q.name);
      return this.addMethod(node.name, { def: node, scope }, library ? this.globals : this.main, node.nameSpan);
    }
    return this.addMethod(node.name, { def: node, scope }, scope.kind === "global" ? scope : scope, node.nameSpan);
  }

  /**
   * Adds a method to the function `name` of `scope`. In Main, a library function is extended only
   * when it was imported for that (`import Base: +`); otherwise, as in Julia, the definition makes a
   * new function of Main that shadows the library's.
   */
  private addMethod(name: string, method: Method, scope: Scope, span: Span): Value {
    const inherited = scope === this.main ? (this.extendable.has(name) ? scope.lookup(name) : undefined) : scope.kind === "global" ? scope.lookup(name) : undefined;
    const existing = scope.has(name) ? scope.lookup(name) : inherited;
    if (existing && existing.kind === "function") {
      this.methodTable(existing.fn);
      this.dispatcher.addMethod(existing.fn, method);
      if (!scope.has(name)) scope.define(name, existing);
      return existing;
    }
    if (existing && scope.has(name)) throw this.fail("redefinition", `invalid redefinition of ${name}: it is a ${describeValue(existing)}`, span);
    const fn: FunctionValue = { kind: "function", fn: { name, methods: [method] } };
    scope.define(name, fn);
    return fn;
  }

  private evalAssign(node: A.Assign, scope: Scope): Value {
    if (node.dotted && node.target.kind === "index") {
      // `x[I] .= v` and `x[I] .+= v`: Julia broadcasts into the view x[I]; here the window's new
      // values are broadcast to its size, then written with setindex!.
      const obj = this.eval(node.target.target, scope);
      if (obj.kind === "tensor" && !obj.scalar) {
        const current = this.evalIndex(node.target, scope);
        const rhs = this.eval(node.value, scope);
        const value = this.callNamed(node.op ?? "identity", node.op !== undefined ? [current, rhs] : [rhs], node.op !== undefined ? [node.target.span, node.value.span] : [node.value.span], node.span, true);
        const into = current.kind === "tensor" && !current.scalar && (value.kind === "number" || value.kind === "tensor") ? this.atSpan(node.span, () => ({ ...this.arrays.broadcastTo(value.kind === "number" ? this.arrays.known(value) : value, current.size), scalar: false })) : value;
        this.bind(node.target, into, scope, false);
        return into;
      }
    }
    if (!node.dotted || node.target.kind === "index") {
      const value = node.op !== undefined ? this.callNamed(node.op, [this.eval(node.target, scope), this.eval(node.value, scope)], [node.target.span, node.value.span], node.span, node.dotted) : this.eval(node.value, scope);
      this.bind(node.target, value, scope, false);
      return value;
    }
    // `x .= y` and `x .+= y` write into the array x is bound to (`x .+= y` is `x .= x .+ y`).
    const current = this.eval(node.target, scope);
    const rhs = this.eval(node.value, scope);
    const value = node.op !== undefined ? this.callNamed(node.op, [current, rhs], [node.target.span, node.value.span], node.span, true) : this.callNamed("identity", [rhs], [node.value.span], node.span, true);
    if (current.kind === "tensor" && !current.scalar) return this.writeInPlace(current, value, node.span);
    this.bind(node.target, value, scope, false);
    return value;
  }

  /**
   * Arrays that share their memory with another (a reshape, vec, view, selectdim, transpose or
   * adjoint of it, and the array itself): a write into one would show through the other in Julia.
   */
  private sharesMemory = new WeakSet<Tensor>();

  /** Whether `t` shares its memory with a view of it, or is one (a write into it is refused). */
  hasViews(t: Tensor): boolean {
    return this.sharesMemory.has(t);
  }

  /** Forgets that `t` shares its memory, when every view made of it is known to be gone. */
  forgetViews(t: Tensor): void {
    this.sharesMemory.delete(t);
  }

  /**
   * Writes `value` into the traced array `target` in place (`x .= y`, `x .+= y`, `fill!`,
   * `copyto!`), converted to its element type and broadcast to its size: every name bound to that
   * array sees the write, as in Julia. Where that cannot be exact it is an error: in code being
   * differentiated (Zygote rejects mutation), under traced control flow, and on an array that
   * shares its memory with a view.
   */
  writeInPlace(target: Tensor, value: Value, span: Span): Tensor {
    const g = this.differentiating;
    if (g && (target.id < g.firstId || g.arguments.has(target)))
      throw this.fail("mutation-in-gradient", "Mutating arrays is not supported (Zygote's rule): this writes in place into an array the differentiated function did not create (an argument, or an array from outside it)", span, ["copy it first (`y = copy(x)`) and write into the copy, or build a new array: `x = x .+ y` rather than `x .+= y`"]);
    // In an XLA while's body, the arrays it carries by name (`y[t] = v`, `y .= ...` make y carried)
    // and those it makes are its own (see tracedWhile); an `if` arm on a traced condition has none.
    const region = this.tracedRegions[this.tracedRegions.length - 1];
    if (region === "if")
      throw this.fail("traced-mutation", "writing into an array in place under a condition on traced values is not supported: which elements change would depend on data", span, ["select instead: `y = ifelse.(cond, new, y)`, or compute the new value and write it unconditionally"]);
    if (region === "while" && !this.arrays.b.owns(target.id))
      throw this.fail("traced-mutation", "writing in place, inside a loop compiled to an XLA while, into an array the loop does not carry by name (a struct's field, an element of a collection): the loop's state could not hold the write", span, ["bind the array to a variable before the loop and write through that name (`buf = m.buf; buf[t] = v`), or loop over a known range of at most 16 iterations (it is unrolled)"]);
    if (this.sharesMemory.has(target))
      throw this.fail("unsupported-mutation", `writing in place into an array that shares its memory with a reshape, vec, view, selectdim, transpose or adjoint (${describeValue(target)}) is not supported: the other would not see the write`, span, ["copy it first (`copy(x)`), or build a new array"]);
    if (value.kind !== "tensor" && value.kind !== "number") throw this.fail("type-error", `cannot write ${describeValue(value)} into an array`, span);
    const t = value.kind === "number" ? this.arrays.known(value, target.eltype) : value;
    const written = this.arrays.convert(this.atSpan(span, () => this.arrays.broadcastTo(t, target.size)), target.eltype);
    target.id = written.id;
    return target;
  }

  /** Binds an assignment target: a name, a tuple pattern (`a, b = t`, `x̄, = t`), `(; a, b) = nt`, or `x::T`. */
  bind(target: A.Node, value: Value, scope: Scope, define: boolean): void {
    switch (target.kind) {
      case "ident":
        if (scope.global().constants.has(target.name) && scope.kind === "global") throw this.fail("const-reassign", `invalid redefinition of constant ${target.name}`, target.span);
        if (define) scope.define(target.name, value);
        else scope.assign(target.name, value);
        return;
      case "tuple": {
        const items = this.destructure(value, target.elements.length, target.span);
        target.elements.forEach((t, i) => this.bind(t, items[i]!, scope, define));
        return;
      }
      case "paren":
        return this.bind(target.expr, value, scope, define);
      case "namedtuple":
        for (const f of target.fields) {
          const field = this.propertyOf(value, f.name, f.span);
          this.bind(f.value, field, scope, define);
        }
        return;
      case "field": {
        const obj = this.eval(target.target, scope);
        if (obj.kind !== "struct") throw this.fail("unsupported-assignment", `cannot set a field of ${describeValue(obj)}`, target.span);
        if (!obj.type.mutable) throw this.fail("immutable-struct", `setfield!: immutable struct of type ${obj.type.name} cannot be changed`, target.span, ["declare it `mutable struct`, or build a new value"]);
        this.checkMutable(obj, `setting the field ${target.name} of a ${obj.type.name}`, target.span);
        const i = obj.type.fieldNames.indexOf(target.name);
        if (i < 0) throw this.fail("no-field", `type ${obj.type.name} has no field ${target.name}`, target.nameSpan);
        obj.fields[i] = this.fieldValue(obj, i, value, target.span);
        return;
      }
      case "index": {
        // `x[i] = v` is `setindex!(x, v, i)`.
        const obj = this.eval(target.target, scope);
        const indices = this.evalIndices(obj, target.indices, scope);
        this.callInScope("setindex!", scope, [obj, value, ...indices], [target.target.span, target.span, ...target.indices.map((i) => i.span)], target.span);
        return;
      }
      case "typeassert": {
        const t = this.evalType(target.type, scope);
        if (!isSubtype(juliaTypeOf(value), t)) throw this.fail("type-error", `TypeError: cannot assign a ${showType(juliaTypeOf(value))} to a variable declared ${showType(t)}`, target.span);
        return this.bind(target.expr, value, scope, define);
      }
      default:
        throw this.fail("unsupported-assignment", `assignment to ${describeNode(target)} is not supported (arrays are immutable at compile time; build a new array instead)`, target.span);
    }
  }

  private destructure(value: Value, count: number, span: Span): Value[] {
    if (value.kind === "tuple" || value.kind === "namedtuple" || value.kind === "vector") {
      if (value.elements.length < count) throw this.fail("bounds-error", `BoundsError: cannot destructure a ${value.elements.length}-element tuple into ${count} variables`, span);
      return value.elements;
    }
    if (value.kind === "range") return this.rangeValues(value, span).map((x) => num(value.type, x));
    // A Pair iterates as (first, second).
    if (value.kind === "struct" && value.type.name === "Pair") return value.fields;
    if (value.kind === "struct") {
      const items = this.iterateProtocol(value, span);
      if (items.length < count) throw this.fail("bounds-error", `BoundsError: cannot destructure ${describeValue(value)} of ${items.length} elements into ${count} variables`, span);
      return items;
    }
    throw this.fail("unsupported-destructure", `cannot destructure ${describeValue(value)}`, span);
  }

  /** `x.name` on a NamedTuple or a struct. */
  propertyOf(value: Value, name: string, span: Span): Value {
    const names = value.kind === "namedtuple" ? value.names : value.kind === "struct" ? value.type.fieldNames : undefined;
    const elements = value.kind === "namedtuple" ? value.elements : value.kind === "struct" ? value.fields : undefined;
    if (!names || !elements) throw this.fail("no-field", `${describeValue(value)} has no fields (looking for ${name})`, span);
    const i = names.indexOf(name);
    if (i >= 0) return elements[i]!;
    const near = nearestNames(name, names);
    const typeName = value.kind === "struct" ? showType(juliaTypeOf(value)) : "NamedTuple";
    throw this.fail("no-field", `type ${typeName} has no field ${name}`, span, [near.length ? `did you mean \`${near[0]}\`?` : `fields: ${names.join(", ") || "(none)"}`]);
  }

  private evalDeclaration(node: A.Declaration, scope: Scope): Value {
    let last: Value = NOTHING;
    for (const t of node.targets) {
      if (t.kind === "assign" && node.kind === "const" && t.target.kind === "curly" && t.target.target.kind === "ident") {
        last = this.defineTypeAlias(t.target.target.name, t.target.args, t.value, scope);
      } else if (t.kind === "assign") {
        last = this.eval(t.value, scope);
        this.bind(t.target, last, node.kind === "global" ? scope.global() : scope, node.kind !== "global");
        if (node.kind === "const" && t.target.kind === "ident") scope.global().constants.add(t.target.name);
      } else if (t.kind === "ident") {
        if (node.kind === "local") scope.define(t.name, NOTHING);
      } else throw this.fail("unsupported-syntax", `unsupported ${node.kind} declaration`, t.span);
    }
    return last;
  }

  /**
   * A parametric type alias, `const AA3{T} = AbstractArray{T, 3}`: the name alone is the type with
   * T free (`x::AA3` matches any element type), and `AA3{Float32}` evaluates the right side with
   * T bound (see evalType).
   */
  private typeAliases = new Map<string, { params: A.Node[]; body: A.Node; scope: Scope }>();

  private defineTypeAlias(name: string, params: A.Node[], body: A.Node, scope: Scope): Value {
    this.typeAliases.set(name, { params, body, scope });
    const inner = new Scope("block", scope);
    for (const p of params) {
      const v = this.typeVar(p, scope);
      inner.define(v.name, { kind: "type", type: v });
    }
    const value: Value = { kind: "type", type: this.evalType(body, inner) };
    scope.global().define(name, value);
    scope.global().constants.add(name);
    return value;
  }

  // ---- array literals and comprehensions ---------------------------------------------------

  /**
   * `[a, b]`, `[a b]`, `[a; b]`, `[a b; c d]` and `T[...]` are Julia's vect/hcat/vcat/hvcat: numbers
   * become a traced array (a constant when all are known). A vector of non-numbers (arrays,
   * layers) is a tuple at compile time: its length and element types are known.
   */
  private evalArrayLiteral(node: A.ArrayLit, scope: Scope): Value {
    const rows = node.rows.map((r) => this.evalList(r, scope));
    const span = node.span;
    let value: Value;
    if (node.form === "vect") {
      const elements = rows[0] ?? [];
      // `[]` is a Vector{Any} and `T[]` a Vector{T}, to be grown with push!.
      if (elements.length === 0) return { kind: "vector", eltype: node.eltype ? this.evalType(node.eltype, scope) : datatype("Any"), elements: [] };
      // A vector of anything but numbers (layers, tuples, arrays) is a Vector of the type Julia
      // infers for them; `T[...]` converts them to T.
      const eltype = node.eltype ? this.evalType(node.eltype, scope) : undefined;
      const numericType = eltype?.kind === "datatype" && (ELEMENT_TYPES as readonly string[]).includes(eltype.name);
      if (!elements.every(isNumeric) || (eltype && !numericType)) {
        if (!eltype) return { kind: "vector", eltype: commonType(elements), elements };
        const to = { kind: "type" as const, type: eltype };
        return { kind: "vector", eltype, elements: elements.map((e, i) => (isSubtype(juliaTypeOf(e), eltype) ? e : this.callNamed("convert", [to, e], [node.rows[0]![i]!.span, node.rows[0]![i]!.span], node.rows[0]![i]!.span, false))) };
      }
      value = this.callNamed("vcat", elements, [], span, false);
    } else if (node.form === "hcat") {
      value = this.callNamed("hcat", rows[0]!, [], span, false);
    } else {
      const parts = rows.map((r) => (r.length === 1 ? r[0]! : this.callNamed("hcat", r, [], span, false)));
      value = this.callNamed("vcat", parts, [], span, false);
    }
    if (!node.eltype) return value;
    const t = this.evalType(node.eltype, scope);
    return this.broadcast({ kind: "type", type: t }, { positional: [value], keywords: new Map(), span, argSpans: [span] }, showType(t));
  }

  /** Comprehensions over known iterators; `for i in a, j in b` gives a matrix (i varies fastest, as in Julia). */
  private evalComprehension(node: A.Comprehension, scope: Scope): Value {
    const results: Value[] = [];
    let shape: number[] | undefined;
    const runGroup = (g: number, outer: Scope): void => {
      if (g === node.iterations.length) {
        if (node.filter) {
          const keep = this.knownCondition(this.eval(node.filter, outer), node.filter.span);
          if (keep === undefined) throw this.fail("traced-control-flow", "a comprehension's filter must be known at compile time (the result's length would depend on data)", node.filter.span);
          if (!keep) return;
        }
        this.unrolled(1, node.span);
        results.push(this.eval(node.body, outer));
        return;
      }
      const specs = node.iterations[g]!;
      const lists = specs.map((it) => this.iterate(this.eval(it.iter, outer), it.iter.span));
      if (node.iterations.length === 1 && specs.length > 1) shape = lists.map((l) => l.length);
      // Column-major: the first iterator varies fastest.
      const total = lists.reduce((n, l) => n * l.length, 1);
      for (let k = 0; k < total; k++) {
        const inner = new Scope("block", outer);
        let rest = k;
        specs.forEach((it, d) => {
          const len = lists[d]!.length;
          this.bind(it.target, lists[d]![rest % len]!, inner, true);
          rest = Math.floor(rest / len);
        });
        runGroup(g + 1, inner);
      }
    };
    runGroup(0, scope);
    if (node.generator) return tuple(results);
    if (!results.every(isNumeric)) return { kind: "vector", eltype: commonType(results), elements: results };
    if (results.length === 0) throw this.fail("unsupported-syntax", "an empty comprehension is not supported (its result would have no elements)", node.span);
    let value = this.callNamed("vcat", results, [], node.span, false);
    if (shape && shape.length > 1) value = this.callNamed("reshape", [value, tuple(shape.map((d) => num("Int64", d)))], [], node.span, false);
    if (!node.eltype) return value;
    const t = this.evalType(node.eltype, scope);
    return this.broadcast({ kind: "type", type: t }, { positional: [value], keywords: new Map(), span: node.span, argSpans: [node.span] }, showType(t));
  }

  // ---- structs ------------------------------------------------------------------------------

  private defineStruct(node: A.StructDef, scope: Scope): Value {
    const decl: StructType = {
      name: node.name,
      abstract: false,
      super: node.supertype ? this.evalDataType(node.supertype, scope) : datatype("Any"),
      fieldNames: node.fields.map((f) => f.name),
      fieldTypes: node.fields.map((f) => f.type),
      typeParams: node.typeParams,
      mutable: node.mutable,
      scope,
      constructors: { name: node.name, methods: [] },
      hasInner: node.constructors.length > 0,
      span: node.span,
    };
    const type: DataType = datatype(node.name, [], decl);
    scope.define(node.name, { kind: "type", type });
    // Inner constructors see `new`, which builds the instance without calling constructors again.
    const inner = new Scope("block", scope);
    inner.define("new", { kind: "function", fn: { name: "new", methods: [{ intrinsic: (args) => this.instantiate(decl, undefined, args), description: `new for ${node.name}` }] } });
    for (const c of node.constructors) decl.constructors.methods.push({ def: c, scope: inner });
    return NOTHING;
  }

  /** `new{T}` inside an inner constructor: the struct type with explicit parameters. */
  private newType(node: A.Curly, scope: Scope): DataType {
    const newFn = scope.lookup("new");
    const method = newFn?.kind === "function" ? newFn.fn.methods[0] : undefined;
    const owner = method?.description?.replace(/^new for /, "");
    const structType = owner ? scope.lookup(owner) : undefined;
    if (!structType || structType.kind !== "type" || structType.type.kind !== "datatype" || !isStruct(structType.type)) throw this.fail("bad-new", "`new` is only available inside an inner constructor", node.span);
    return datatype(structType.type.name, node.args.map((a) => this.evalTypeParam(a, scope)), structType.type.decl);
  }

  /** Calling a struct type: its constructor methods, else (without inner constructors) the default one. */
  private construct(t: DataType, args: CallArgs): Value {
    const decl = t.decl;
    if (!decl || decl.abstract || !isStruct(t)) throw this.fail("no-method", `MethodError: cannot construct the abstract type ${t.name}`, args.span);
    const s = t.decl;
    const explicit = t.params.length ? t.params : undefined;
    if (s.kwdefaults && args.positional.length === 0 && (args.keywords.size > 0 || s.fieldNames.length > 0)) return this.constructFromKeywords(s, explicit, args);
    if (explicit) return this.instantiate(s, explicit, args);
    const argTypes = args.positional.map(juliaTypeOf);
    const user = s.constructors.methods.map((m) => this.dispatcher.matchMethod(m, argTypes)).filter((m) => m !== undefined);
    // Julia's default constructor is a method too: `Chain(layers::T) where T<:Tuple` beats `Chain(xs...)`.
    const defaultSig = s.hasInner ? undefined : this.defaultConstructorSignature(s, argTypes);
    // An outer method with the default's own signature replaces it, as a later definition does in Julia.
    const replaces = (u: MethodMatch) => signatureMoreSpecific(u.sig, defaultSig!) || (!u.vararg && u.sig.length === defaultSig!.length && u.sig.every((t, i) => isSubtype(t, defaultSig![i]!) && isSubtype(defaultSig![i]!, t)));
    if (user.length && !(defaultSig && user.every((u) => !replaces(u)))) return this.callFunction(s.constructors, args);
    if (defaultSig || !s.hasInner) return this.instantiate(s, undefined, args);
    throw this.methodErrorFor(s.constructors, args);
  }

  /**
   * `T(; a = 1, b = a + 1)` of a `@kwdef` struct: each field from its keyword or its default,
   * evaluated in order with the earlier fields in scope, then the default constructor.
   */
  private constructFromKeywords(s: StructType, explicit: TypeParam[] | undefined, args: CallArgs): Value {
    const scope = new Scope("function", s.scope);
    const values = s.fieldNames.map((name, i) => {
      const given = args.keywords.get(name);
      const dflt = s.kwdefaults![i];
      if (given === undefined && !dflt) throw this.fail("missing-keyword", `UndefKeywordError: keyword argument \`${name}\` not assigned`, args.span);
      const v = given ?? this.eval(dflt!, scope);
      scope.define(name, v);
      return v;
    });
    for (const k of args.keywords.keys()) {
      if (!s.fieldNames.includes(k)) {
        const near = nearestNames(k, s.fieldNames);
        throw this.fail("unknown-keyword", `MethodError: no method of ${s.name} accepts the keyword argument \`${k}\``, args.span, [near.length ? `did you mean \`${near[0]}\`?` : `keywords: ${s.fieldNames.join(", ")}`]);
      }
    }
    return this.instantiate(s, explicit, { ...args, positional: values, keywords: new Map(), argSpans: values.map(() => args.span) });
  }

  /** The field types of the default constructor when it applies to `argTypes`. */
  private defaultConstructorSignature(s: StructType, argTypes: JuliaType[]): JuliaType[] | undefined {
    if (argTypes.length !== s.fieldNames.length) return undefined;
    const scope = new Scope("block", s.scope);
    for (const p of s.typeParams) {
      const v = this.typeVar(p, s.scope);
      scope.define(v.name, { kind: "type", type: v });
    }
    const bindings: Bindings = new Map();
    const sig = s.fieldTypes.map((ft) => (ft ? this.evalType(ft, scope) : datatype("Any")));
    return sig.every((t, i) => isSubtype(argTypes[i]!, t, bindings)) ? sig : undefined;
  }

  /** Julia's default constructor / `new`: converts fields to their declared types and infers the type parameters. */
  instantiate(s: StructType, explicit: TypeParam[] | undefined, args: CallArgs): StructValue {
    if (args.positional.length !== s.fieldNames.length)
      throw this.fail("no-method", `MethodError: no method matching ${s.name}(${args.positional.map((v) => `::${showType(juliaTypeOf(v))}`).join(", ")})`, args.span, [`the default constructor takes the ${s.fieldNames.length} field${s.fieldNames.length === 1 ? "" : "s"} (${s.fieldNames.join(", ")})`]);
    const scope = new Scope("block", s.scope);
    const vars = s.typeParams.map((p) => this.typeVar(p, s.scope));
    vars.forEach((v, i) => scope.define(v.name, explicit?.[i] !== undefined ? typeParamValue(explicit[i]!) : { kind: "type", type: v }));
    const bindings: Bindings = new Map();
    const fields = args.positional.map((value, i) => {
      const annotation = s.fieldTypes[i];
      if (!annotation) return value;
      const ft = this.evalType(annotation, scope);
      if (isSubtype(juliaTypeOf(value), ft, bindings)) return value;
      // Julia's default constructor converts each argument to its field's type (`convert(fieldtype, v)`)
      // once that type is known: always for a number, and for tuples and arrays when the type has no
      // parameter left to infer (`Adam{Float64}(η, (0.9f0, 0.999f0), ϵ)`).
      const numeric = ft.kind === "datatype" && !ft.decl && (value.kind === "number" || (value.kind === "tensor" && value.scalar));
      if (numeric || !hasTypeVars(ft)) return this.callNamed("convert", [{ kind: "type", type: ft }, value], [args.argSpans[i] ?? args.span], args.argSpans[i] ?? args.span, false);
      throw this.fail("type-error", `MethodError: ${s.name} field \`${s.fieldNames[i]}\` is declared ::${showType(ft)}, got ${describeValue(value)}`, args.argSpans[i] ?? args.span);
    });
    const params = vars.map((v, i) => {
      const p = explicit?.[i] ?? bindings.get(v.name);
      if (p === undefined) throw this.fail("unbound-parameter", `cannot infer the type parameter ${v.name} of ${s.name} from its fields; give it explicitly (${s.name}{...}(...))`, args.span);
      return p;
    });
    return this.held({ kind: "struct", type: s, params, fields }, `a ${s.name}`, args.span);
  }

  /** `setfield!`: converts the value to the field's declared type, with the struct's parameters bound, as Julia does. */
  private fieldValue(obj: StructValue, i: number, value: Value, span: Span): Value {
    const annotation = obj.type.fieldTypes[i];
    if (!annotation) return value;
    const scope = new Scope("block", obj.type.scope);
    obj.type.typeParams.forEach((p, k) => scope.define(this.typeVar(p, obj.type.scope).name, typeParamValue(obj.params[k]!)));
    const ft = this.evalType(annotation, scope);
    if (isSubtype(juliaTypeOf(value), ft) || hasTypeVars(ft)) return value;
    return this.callNamed("convert", [{ kind: "type", type: ft }, value], [span, span], span, false);
  }

  private methodErrorFor(fn: GenericFunction, args: CallArgs): CompileError {
    return this.dispatcher.methodError(fn, args.positional.map(juliaTypeOf), args.span);
  }

  /** A type expression that must name a datatype (a supertype, a struct parameter bound). */
  private evalDataType(node: A.Node, scope: Scope): DataType {
    const t = this.evalType(node, scope);
    if (t.kind !== "datatype") throw this.fail("not-a-type", `${showType(t)} is not a data type`, node.span);
    return t;
  }

  // ---- control flow ---------------------------------------------------------------------------

  /** `if` runs the known branch; on a traced condition both branches run and their results merge (control.ts). */
  private evalIf(node: A.If, scope: Scope): Value {
    // An `if` is not a scope in Julia: variables assigned in a branch are visible after it.
    const chain = (i: number): Value => {
      if (i >= node.branches.length) return node.else ? this.evalBlock(node.else, scope) : NOTHING;
      const branch = node.branches[i]!;
      const cond = this.eval(branch.cond, scope);
      const known = this.knownCondition(cond, branch.cond.span);
      if (known === true) return this.evalBlock(branch.body, scope);
      if (known === false) return chain(i + 1);
      return this.branchOnTraced(cond as Tensor, () => this.evalBlock(branch.body, scope), () => chain(i + 1), branch.cond.span);
    };
    return chain(0);
  }

  /** Both arms of a traced condition, merged with select; a `return` in both arms returns the merged value. */
  private branchOnTraced(cond: Tensor, thenArm: () => Value, elseArm: () => Value, span: Span, valueNeeded = false): Value {
    const arm = (f: () => Value) => (): ArmOutcome => {
      try {
        return { kind: "value", value: f() };
      } catch (e) {
        if (e instanceof ReturnSignal) return { kind: "return", value: e.value };
        if (e instanceof BreakSignal || e instanceof ContinueSignal) throw this.fail("traced-control-flow", "`break` and `continue` under a traced condition are not supported", span);
        throw e;
      }
    };
    const out = this.inTraced("if", () => tracedIf(this, cond, arm(thenArm), arm(elseArm), span, valueNeeded));
    if (out.kind === "return") throw new ReturnSignal(out.value);
    return out.value;
  }

  private evalFor(node: A.For, scope: Scope): Value {
    const only = node.iterations.length === 1 ? node.iterations[0]! : undefined;
    if (only && only.iter.kind === "range") {
      const start = this.eval(only.iter.start, scope);
      const step = only.iter.step ? this.eval(only.iter.step, scope) : num("Int64", 1);
      const stop = this.eval(only.iter.stop, scope);
      const traced = [start, step, stop].some((v) => v.kind === "tensor");
      if (traced) {
        if (step.kind !== "number") throw this.fail("traced-control-flow", "a loop's step must be known at compile time", only.iter.span);
        this.forAsWhile(node, only, start, step, stop, scope);
        return NOTHING;
      }
      const range = this.callNamed(":", only.iter.step ? [start, step, stop] : [start, stop], [], only.iter.span, false);
      if (range.kind === "range" && rangeLength(range) > UNROLL_THRESHOLD) {
        // A long known loop becomes an HLO while; if its body needs the index known (say, to pick
        // a tuple element), it is unrolled instead.
        // tracedWhile assigns the loop's variables only once the loop is built, so a failed
        // attempt leaves nothing behind.
        try {
          this.forAsWhile(node, only, start, step, stop, scope);
          return NOTHING;
        } catch (e) {
          // A budget that ran out stays out: unrolling would not fit in it either.
          if (!(e instanceof CompileError) || e.diagnostic.code === "compile-budget") throw e;
        }
      }
    }
    const run = (level: number, outer: Scope): void => {
      const it = node.iterations[level]!;
      const items = this.iterate(this.eval(it.iter, outer), it.iter.span);
      for (const item of items) {
        this.unrolled(1, it.iter.span);
        const inner = new Scope("block", outer);
        this.bind(it.target, item, inner, true);
        if (level + 1 < node.iterations.length) run(level + 1, inner);
        else {
          try {
            this.evalBlock(node.body, inner);
          } catch (e) {
            if (e instanceof BreakSignal) return;
            if (e instanceof ContinueSignal) continue;
            throw e;
          }
        }
      }
    };
    run(0, scope);
    return NOTHING;
  }

  /** `for i in a:s:b` as an HLO while: a hidden counter and the variables the body assigns are carried. */
  private forAsWhile(node: A.For, it: A.For["iterations"][number], start: Value, step: Value, stop: Value, scope: Scope): void {
    const counter = "#counter";
    const loopScope = new Scope("block", scope);
    const first = start.kind === "number" ? num(start.type === "Irrational" ? "Float64" : start.type, start.value) : start;
    loopScope.define(counter, first);
    const positive = step.kind === "number" && Number(step.value) > 0;
    const carried = [counter, ...this.carriedNames(node.body, scope)];
    const written = this.inTraced("while", () => tracedWhile(
      this,
      loopScope,
      carried,
      (state) => this.callNamed(positive ? "<=" : ">=", [state.lookup(counter)!, stop], [], it.iter.span, false),
      (state) => {
        const inner = new Scope("block", state);
        this.bind(it.target, state.lookup(counter)!, inner, true);
        this.loopBody(node.body, inner, node.span);
        state.assign(counter, this.callNamed("+", [state.lookup(counter)!, step], [], it.iter.span, false));
      },
      node.span,
      it.iter.span,
    ));
    this.writeBack(written, loopScope, node.span);
  }

  /** The arrays a loop compiled to an XLA while wrote in place: their final values go into the arrays themselves, which every name bound to them sees. */
  private writeBack(written: InPlaceWrite[], scope: Scope, span: Span): void {
    for (const w of written) this.writeInPlace(scope.lookup(w.name) as Tensor, w.value, span);
  }

  /** The variables a loop body assigns that exist before the loop and hold values (not functions or types). */
  private carriedNames(body: A.Node, scope: Scope): string[] {
    return assignedNames(body).filter((name) => {
      if (name.startsWith("#")) return false;
      for (let s: Scope | undefined = scope; s && s.kind !== "global"; s = s.parent) {
        if (s.has(name)) {
          const v = s.lookup(name)!;
          return v.kind === "number" || v.kind === "tensor" || v.kind === "tuple" || v.kind === "namedtuple" || v.kind === "struct";
        }
      }
      return false;
    });
  }

  /** A loop body traced into an HLO while: `break`/`continue` cannot be expressed there. */
  private loopBody(body: A.Block, scope: Scope, span: Span): void {
    try {
      this.evalBlock(body, scope);
    } catch (e) {
      if (e instanceof BreakSignal || e instanceof ContinueSignal) throw this.fail("traced-control-flow", "`break` and `continue` are not supported in a loop compiled to an XLA while", span);
      if (e instanceof ReturnSignal) throw this.fail("traced-control-flow", "`return` inside a loop compiled to an XLA while is not supported", span);
      throw e;
    }
  }

  /** `count` more iterations of a loop run at compile time, at `span`. */
  private unrolled(count: number, span: Span): void {
    this.at = span;
    this.budget.iterations(count);
  }

  /** A range's elements, made into an array: a known value the compiler holds, so within its budget. */
  rangeValues(r: RangeValue, span: Span): number[] {
    this.holding(rangeLength(r), `the range ${showRange(r)}`, span);
    return rangeValues(r);
  }

  /** A tuple, NamedTuple or struct built at compile time, within the budget of known values. */
  held<T extends Value>(v: T, what: string, span: Span): T {
    this.holding(treeSize(v), what, span);
    return v;
  }

  /** `elements` of a known value (`what`) about to be made at `span`: within the budget of known values. */
  holding(elements: number, what: string, span: Span): void {
    if (elements <= this.budget.limits.knownElements) return;
    this.at = span;
    this.budget.known(elements, what);
  }

  iterate(v: Value, span: Span): Value[] {
    if (v.kind === "range") {
      // Charged before the range is made an array: `for i in 1:10^9` must not allocate first.
      this.at = span;
      this.budget.iterations(0, rangeLength(v));
      return this.rangeValues(v, span).map((x) => num(v.type, x));
    }
    if (v.kind === "tuple" || v.kind === "namedtuple") return v.elements;
    // A loop over a vector sees the elements it had when the loop started.
    if (v.kind === "vector") return [...v.elements];
    const chars = charsOf(v);
    if (chars) return chars;
    // A Dict iterates as its `k => v` pairs.
    if (v.kind === "dict") return [...v.entries.values()].map(([k, x]) => this.call(this.globals.lookup("Pair")!, { positional: [k, x], keywords: new Map(), span, argSpans: [span, span] }, "Pair"));
    if (v.kind === "tensor") throw this.fail("traced-control-flow", "iterating over the elements of a traced array is not supported; use broadcasting or reductions", span);
    if (v.kind === "struct" && v.type.name !== "Pair") return this.iterateProtocol(v, span);
    throw this.fail("not-iterable", `${describeValue(v)} is not iterable`, span);
  }

  /**
   * Julia's iteration protocol on a value of a program's type: `iterate(x)`, then
   * `iterate(x, state)` until it returns `nothing`; each step must be known at compile time.
   */
  private iterateProtocol(v: Value, span: Span): Value[] {
    const iterate = this.main.lookup("iterate");
    if (iterate?.kind !== "function" || !iterate.fn.methods.some((m) => m.def && this.dispatcher.matchMethod(m, [juliaTypeOf(v)]) !== undefined || m.def && this.dispatcher.matchMethod(m, [juliaTypeOf(v), datatype("Any")]) !== undefined))
      throw this.fail("not-iterable", `MethodError: no method matching iterate(::${showType(juliaTypeOf(v))}): ${describeValue(v)} is not iterable`, span, ["define `Base.iterate(x::T, state...)` to make it iterable"]);
    const items: Value[] = [];
    let step = this.call(iterate, { positional: [v], keywords: new Map(), span, argSpans: [span] }, "iterate");
    while (step.kind !== "nothing") {
      if (step.kind !== "tuple" || step.elements.length !== 2)
        throw this.fail("bad-iterate", `iterate returned ${describeValue(step)}; it must return \`nothing\` or a tuple (item, state) known at compile time`, span);
      this.unrolled(1, span);
      items.push(step.elements[0]!);
      step = this.call(iterate, { positional: [v, step.elements[1]!], keywords: new Map(), span, argSpans: [span, span] }, "iterate");
    }
    return items;
  }

  private evalWhile(node: A.While, scope: Scope): Value {
    for (let n = 0; ; n++) {
      this.unrolled(1, node.span);
      const cond = this.eval(node.cond, scope);
      const known = this.knownCondition(cond, node.cond.span);
      if (known === undefined) {
        if (n > 0) throw this.fail("traced-control-flow", "this loop's condition became traced after some iterations ran at compile time; make the loop variables traced before the loop", node.cond.span);
        const written = this.inTraced("while", () => tracedWhile(this, scope, this.carriedNames(node.body, scope), (state) => this.eval(node.cond, state), (state) => this.loopBody(node.body, new Scope("block", state), node.span), node.span, node.cond.span));
        this.writeBack(written, scope, node.span);
        return NOTHING;
      }
      if (!known) return NOTHING;
      try {
        this.evalBlock(node.body, new Scope("block", scope));
      } catch (e) {
        if (e instanceof BreakSignal) return NOTHING;
        if (e instanceof ContinueSignal) continue;
        throw e;
      }
    }
  }

  /**
   * `Flux.@layer T trainable=(a, b)` and `@functor T (a, b)`: Optimisers trains only those fields
   * of T. (Without a list every array field is a leaf already; `:expand` and the like change only printing.)
   */
  private markTrainable(node: A.MacroCall, scope: Scope): void {
    const typeArg = node.args.find((a) => a.kind === "ident" || a.kind === "curly");
    const t = typeArg ? this.eval(typeArg, scope) : undefined;
    if (t?.kind !== "type" || t.type.kind !== "datatype" || !isStruct(t.type)) throw this.fail("unsupported-macro", `${node.name} needs a struct type`, typeArg?.span ?? node.span);
    const list = node.name === "@layer" ? node.args.find((a): a is A.Assign => a.kind === "assign" && a.target.kind === "ident" && a.target.name === "trainable")?.value : node.args.find((a) => a !== typeArg && (a.kind === "tuple" || a.kind === "paren"));
    if (!list) return;
    const items = list.kind === "tuple" ? list.elements : list.kind === "paren" ? [list.expr] : [list];
    const decl = t.type.decl;
    this.changing(decl, "trainable");
    decl.trainable = items.map((n) => {
      const name = n.kind === "ident" ? n.name : n.kind === "symbol" ? n.name : undefined;
      if (!name || !decl.fieldNames.includes(name)) throw this.fail("no-field", `${node.name}: type ${decl.name} has no field ${name ?? sourceText(this.files.get(n.span.file), n.span)}`, n.span, [`fields: ${decl.fieldNames.join(", ")}`]);
      return name;
    });
  }

  /**
   * Functions marked `@non_differentiable f(::Any...)` (ChainRulesCore, Flux) or `Zygote.@nograd f`:
   * within a gradient their results carry no derivative (whatever the signature given).
   */
  private nonDifferentiable = new Set<GenericFunction>();

  private markNonDifferentiable(node: A.MacroCall, scope: Scope): void {
    for (const arg of node.args) {
      const callee = arg.kind === "call" ? arg.callee : arg;
      const f = this.eval(callee, scope);
      if (f.kind !== "function") throw this.fail("unsupported-macro", `${node.name} needs a function, got ${describeValue(f)}`, callee.span);
      this.nonDifferentiable.add(f.fn);
    }
  }

  /**
   * Flux.@autosize (src/outputsize.jl): `@autosize (dims...) Chain(Dense(_ => 2), BatchNorm(_))`.
   * Each call with a `_` among its own arguments (Flux's "underscore depth" 2) is a site. Flux makes
   * each site a LazyLayer, built on its first call from `autosizefor(T, x)` (the input's channel
   * dimension; the first for Dense and LayerNorm), runs outputsize, then strips the wrappers. Here
   * the lazy model records each site's size as outputsize runs it, and the model is then built
   * again with each site's `_` replaced by its size, so it holds the layers' own types and no
   * wrapper. outputsize traces on zeros: nothing of that run stays in the module.
   */
  private evalAutosize(node: A.MacroCall, scope: Scope): Value {
    const [sizeNode, model] = node.args;
    if (node.args.length !== 2 || sizeNode!.kind !== "tuple")
      throw this.fail("unsupported-macro", "@autosize's first argument must be a tuple, the size of the input", (sizeNode ?? node).span);
    if (!["call", "binary", "unary", "pair", "comparison"].includes(model!.kind)) throw this.fail("unsupported-macro", "@autosize's second argument must be something like Chain(layers...)", model!.span);
    const inner = new Scope("block", scope);
    inner.define(AUTOSIZE_SIZES, this.callInScope("Dict", scope, [], [], node.span));
    const sites = autosizeSites(model!, (span) => this.fail("unsupported-macro", "@autosize doesn't expect an underscore here: it must be an argument of a layer's constructor", span));
    const lazy = this.eval(sites.lazy, inner);
    const inputSize = this.eval(sizeNode!, scope);
    this.callInScope("outputsize", inner, [lazy, inputSize], [model!.span, sizeNode!.span], node.span);
    return this.eval(sites.sized, inner);
  }

  private evalMacro(node: A.MacroCall, scope: Scope): Value {
    switch (node.name) {
      case "@.":
        return this.eval(dotAll(node.args[0]!), scope);
      case "@kwdef": {
        // Base.@kwdef: the struct, plus a constructor taking every field as a keyword.
        const def = node.args[0];
        if (def?.kind !== "struct") throw this.fail("unsupported-macro", "@kwdef applies to a struct definition", node.span);
        this.defineStruct(def, scope);
        const t = scope.lookup(def.name);
        if (t?.kind === "type" && t.type.kind === "datatype" && isStruct(t.type)) t.type.decl.kwdefaults = def.fields.map((f) => f.default);
        return NOTHING;
      }
      case "@layer":
      case "@functor":
      case "@treelike":
        this.markTrainable(node, scope);
        return NOTHING;
      case "@doc":
        return NOTHING;
      case "@non_differentiable":
      case "@nograd":
        this.markNonDifferentiable(node, scope);
        return NOTHING;
      // Printing at compile time is a no-op: the compiler is pure (its output would reach whoever
      // compiled, a daemon perhaps), and traced values have no value yet. @show still returns its value.
      case "@show":
        return node.args.length ? this.eval(node.args[node.args.length - 1]!, scope) : NOTHING;
      case "@info":
      case "@warn":
      case "@debug":
      case "@error":
      case "@printf":
        return NOTHING;
      case "@view": {
        // `@view x[i, j]` is `view(x, i, j)`: a view shares x's memory (writes through it are tracked).
        const e = node.args[0];
        if (e?.kind !== "index") throw this.fail("unsupported-macro", "@view applies to an indexing expression x[...]", node.span);
        const obj = this.eval(e.target, scope);
        const indices = this.evalIndices(obj, e.indices, scope);
        return this.callInScope("view", scope, [obj, ...indices], [e.target.span, ...e.indices.map((i) => i.span)], e.span);
      }
      case "@autosize":
        return this.evalAutosize(node, scope);
      case "@inbounds":
      case "@views":
      case "@fastmath":
      case "@inline":
      case "@noinline":
        return node.args.length ? this.eval(node.args[node.args.length - 1]!, scope) : NOTHING;
      case "@assert": {
        const cond = this.eval(node.args[0]!, scope);
        const known = this.knownCondition(cond, node.args[0]!.span);
        // A traced condition cannot be checked at compile time; XLA has no assertions, so it is dropped.
        if (known === false) {
          const msg = node.args[1] ? printValue(this.eval(node.args[1], scope)) : sourceText(this.files.get(node.span.file), node.args[0]!.span);
          throw this.fail("assertion-failed", `AssertionError: ${msg}`, node.span);
        }
        return NOTHING;
      }
      default:
        throw this.fail("unsupported-macro", `the macro ${node.name} is not supported`, node.span, ["supported: @., @assert, @autosize, @inbounds, @view, @views, @kwdef, @layer, @functor, @non_differentiable, @show, @info"]);
    }
  }
}

// ---- Flux.@autosize's rewriting (Interpreter.evalAutosize) ---------------------------------------

/** The dictionary of each site's size while an @autosize runs (not a name a program can write). */
const AUTOSIZE_SIZES = "#autosize_sizes";
/** The lazy layer's input inside its builder. */
const AUTOSIZE_INPUT = "#autosize_input";
/** Kinds that are calls in Julia's Expr (call, kw, ->, block heads): they count in the depth. */
const CALL_LIKE = new Set(["call", "binary", "unary", "comparison", "pair", "lambda", "block"]);

/** The child nodes of a node, in source order (keyword values are one level deeper, as Julia's :kw). */
function childNodes(n: A.Node): { node: A.Node; kw: boolean }[] {
  const out: { node: A.Node; kw: boolean }[] = [];
  const visit = (v: unknown, kw: boolean): void => {
    if (!v || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach((x) => visit(x, kw));
    if ("kind" in v) out.push({ node: v as A.Node, kw });
    else for (const [k, x] of Object.entries(v)) if (!k.endsWith("pan")) visit(x, kw);
  };
  for (const [k, v] of Object.entries(n)) {
    if (k.endsWith("pan")) continue;
    if (k === "kwargs") (v as A.Keyword[]).forEach((kw) => visit(kw.value, true));
    else visit(v, false);
  }
  return out;
}

/** Flux's _underscoredepth: 1 for `_` (or `_ => …`), then one more per enclosing call. */
function underscoreDepth(n: A.Node): number {
  if (n.kind === "ident") return n.name === "_" ? 1 : 0;
  if (n.kind === "paren") return underscoreDepth((n as { expr: A.Node }).expr);
  if (!CALL_LIKE.has(n.kind)) return 0;
  if (n.kind === "pair" && n.left.kind === "ident" && n.left.name === "_") return 1;
  let m = 0;
  for (const c of childNodes(n)) {
    const d = underscoreDepth(c.node);
    m = Math.max(m, c.kw && d > 0 ? d + 1 : d);
  }
  return m === 0 ? 0 : m + 1;
}

/** A copy of `n` with each child node replaced by `f(child)`. */
function mapChildren(n: A.Node, f: (c: A.Node) => A.Node): A.Node {
  const map = (v: unknown): unknown => {
    if (!v || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(map);
    if ("kind" in v) return f(v as A.Node);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k.endsWith("pan") ? x : map(x)]));
  };
  return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, k.endsWith("pan") ? v : map(v)])) as unknown as A.Node;
}

/** `n` with every `_` replaced by `by`. */
function replaceUnderscore(n: A.Node, by: A.Node): A.Node {
  if (n.kind === "ident" && n.name === "_") return by;
  return mapChildren(n, (c) => replaceUnderscore(c, by));
}

/**
 * The @autosize model twice: `lazy`, where site k is a lazy layer whose builder records
 * `autosizefor(T, x)` as size k and builds the layer with it; `sized`, where site k's `_` is size k.
 */
function autosizeSites(model: A.Node, misplaced: (span: Span) => Error): { lazy: A.Node; sized: A.Node } {
  let k = 0;
  const rewrite = (n: A.Node): { lazy: A.Node; sized: A.Node } => {
    const d = underscoreDepth(n);
    if (d === 0) return { lazy: n, sized: n };
    if (d === 1) throw misplaced(n.span);
    if (d > 2) {
      const rewritten = new Map<A.Node, { lazy: A.Node; sized: A.Node }>();
      const lazy = mapChildren(n, (c) => {
        const r = rewrite(c);
        rewritten.set(c, r);
        return r.lazy;
      });
      return { lazy, sized: mapChildren(n, (c) => rewritten.get(c)!.sized) };
    }
    const span = n.span;
    const id = (name: string): A.Node => ({ kind: "ident", name, span });
    const site: A.Node = { kind: "number", text: String(++k), value: k, type: "Int64", span };
    const size: A.Node = { kind: "index", target: id(AUTOSIZE_SIZES), indices: [site], span };
    const call = (callee: string, args: A.Node[]): A.Node => ({ kind: "call", callee: id(callee), args, kwargs: [], dotted: false, span });
    // Flux passes the constructor's type (or Type for a site that is not a call) to autosizefor.
    const layerType = n.kind === "call" ? n.callee : ({ kind: "nothing", span } as A.Node);
    const build: A.Node = {
      kind: "block",
      span,
      stmts: [{ kind: "assign", target: size, value: call("autosizefor", [layerType, id(AUTOSIZE_INPUT)]), dotted: false, span }, replaceUnderscore(n, size)],
    };
    const maker: A.Node = { kind: "lambda", params: [{ name: AUTOSIZE_INPUT, span }], kwparams: [], body: build, span };
    return { lazy: call("_AutosizeLazyLayer", [maker, { kind: "nothing", span }]), sized: replaceUnderscore(n, call("_autosize_size", [id(AUTOSIZE_SIZES), site])) };
  };
  return rewrite(model);
}

// ---- helpers ------------------------------------------------------------------------------------

/** A range's elements; callers with a budget go through Interpreter.rangeValues. */
export function rangeValues(r: { start: number; step: number; stop: number }): number[] {
  const n = rangeLength(r);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = r.start + i * r.step;
  return out;
}

/** `length(r)`, without making the range's elements. */
export function rangeLength(r: { start: number; step: number; stop: number }): number {
  if (r.step === 0) return 0;
  return Math.max(0, Math.floor((r.stop - r.start) / r.step + 1e-10) + 1);
}

function showRange(r: { start: number; step: number; stop: number }): string {
  return r.step === 1 ? `${r.start}:${r.stop}` : `${r.start}:${r.step}:${r.stop}`;
}

/** Whether an index expression uses `end` (not counting the indices of an inner `y[end]`). */
function mentionsEnd(node: unknown): boolean {
  if (!node || typeof node !== "object") return false;
  if (Array.isArray(node)) return node.some(mentionsEnd);
  const n = node as A.Node;
  if (n.kind === "ident") return n.name === "end";
  if (n.kind === "index") return mentionsEnd(n.target);
  for (const [k, v] of Object.entries(n)) if (k !== "span" && v && typeof v === "object" && mentionsEnd(v)) return true;
  return false;
}

function calleeName(node: A.Node): string {
  if (node.kind === "ident") return node.name;
  if (node.kind === "field") return node.name;
  return "anonymous function";
}

function resolveInclude(from: string, path: string): string {
  const dir = from.includes("/") ? from.slice(0, from.lastIndexOf("/") + 1) : "";
  const parts = (dir + path).split("/");
  const out: string[] = [];
  for (const p of parts) {
    if (p === "..") out.pop();
    else if (p !== "." && p !== "") out.push(p);
  }
  return out.join("/");
}
export { resolveInclude };

/** `@.`: every call and operator in the expression becomes a dotted one, and `=` becomes `.=`. */
function dotAll(node: A.Node): A.Node {
  const walk = (n: A.Node): A.Node => {
    switch (n.kind) {
      case "call":
        return { ...n, callee: n.callee, args: n.args.map(walk), dotted: !isTypeLike(n.callee) };
      case "binary":
        return { ...n, left: walk(n.left), right: walk(n.right), dotted: n.op !== "|>" };
      case "unary":
        return { ...n, arg: walk(n.arg), dotted: true };
      case "comparison":
        return { ...n, operands: n.operands.map(walk), ops: n.ops.map((o) => ({ ...o, dotted: true })) };
      case "paren":
        return { ...n, expr: walk(n.expr) };
      case "assign":
        return { ...n, value: walk(n.value), dotted: true };
      case "tuple":
        return { ...n, elements: n.elements.map(walk) };
      default:
        return n;
    }
  };
  return walk(node);
}

function isTypeLike(n: A.Node): boolean {
  return n.kind === "ident" && isKnownTypeName(n.name) && /^[A-Z]/.test(n.name);
}

function describeNode(n: A.Node): string {
  const names: Partial<Record<A.Node["kind"], string>> = {
    struct: "`struct`", abstracttype: "`abstract type`", quote: "quoted code", interpolation: "`$` interpolation",
    array: "an array literal", comprehension: "a comprehension", index: "indexed assignment", field: "field assignment",
    subtype: "a subtype expression",
  };
  return names[n.kind] ?? `\`${n.kind}\``;
}

function isNumeric(v: Value): boolean {
  return v.kind === "number" || (v.kind === "tensor" && v.scalar);
}

function isStruct(t: DataType): t is DataType & { decl: StructType } {
  return t.decl !== undefined && !t.decl.abstract && "fieldNames" in t.decl;
}

/** A bound type parameter as a value in a method body (`T` is a type, `N` an Int, `:s` a Symbol). */
/** Functions whose result shares the argument's memory in Julia (see Interpreter.sharesMemory). */
const VIEWS = new Set(["reshape", "vec", "view", "selectdim", "transpose", "adjoint", "PermutedDimsArray", "dropdims"]);

export function typeParamValue(p: TypeParam): Value {
  if (typeof p === "number") return num("Int64", p);
  if (p === "true" || p === "false") return num("Bool", p === "true");
  if (typeof p === "string") return { kind: "symbol", name: p.replace(/^:/, "") };
  return { kind: "type", type: p };
}
