// Julia's multiple dispatch, resolved at compile time: which methods of a generic function apply
// to the argument types (arity, annotations, `where` variables, varargs), the most specific of
// them, the answers kept per method table, and the MethodErrors that list the candidates.

import type * as A from "../syntax/ast.js";
import type { CompileError, SourceFile, Span } from "../diagnostics.js";
import { Scope } from "./scope.js";
import type { CallArgs, GenericFunction, Method } from "./values.js";
import { juliaTypeOf, valueTypeKey } from "./describe.js";
import type { Bindings, JuliaType } from "./types.js";
import { datatype, isSubtype, showType } from "./types.js";

/**
 * What dispatch needs of the interpreter: evaluating a signature's type annotations and `where`
 * variables in the method's scope, its diagnostics, and the source files (for candidates' locations).
 */
export interface DispatchContext {
  evalType(node: A.Node, scope: Scope): JuliaType;
  typeVar(node: A.Node, scope: Scope): JuliaType & { kind: "typevar" };
  fail(code: string, message: string, span: Span, notes?: string[]): CompileError;
  readonly files: ReadonlyMap<string, SourceFile>;
}

export interface Dispatched {
  method: Method;
  /** The method's `where` variables, as the argument types bind them. */
  bindings: Bindings;
}

/** A method that applies to given argument types: its bindings, the signature it matched with, whether it takes varargs. */
export interface MethodMatch {
  bindings: Bindings;
  sig: JuliaType[];
  vararg: boolean;
}

/** What dispatch answered for one method table, by the arguments' type key. */
interface TableAnswers {
  methodCount: number;
  chosen: Map<string, Dispatched>;
  applies: Map<string, boolean>;
}

/** Dispatch answers kept per method table (a few hundred in a large model). */
const MAX_ANSWERS = 4096;

function remember<T>(answers: Map<string, T>, key: string, answer: T): void {
  // Kept across compiles (a library image), a table would also keep the answers for every
  // program's own struct types (each compile's are new types): start again past a bound.
  if (answers.size >= MAX_ANSWERS) answers.clear();
  answers.set(key, answer);
}

export class Dispatcher {
  /**
   * Dispatch depends only on the argument types and the function's methods: a model calls the
   * same functions with the same types layer after layer, so each answer is kept per method table
   * (until a method is added or replaced).
   */
  private readonly cache = new WeakMap<Method[], TableAnswers>();

  constructor(private readonly ctx: DispatchContext) {}

  private answers(methods: Method[]): TableAnswers {
    let cache = this.cache.get(methods);
    if (!cache || cache.methodCount !== methods.length) {
      cache = { methodCount: methods.length, chosen: new Map(), applies: new Map() };
      this.cache.set(methods, cache);
    }
    return cache;
  }

  /** The most specific applicable method, or a MethodError. */
  dispatch(fn: GenericFunction, args: CallArgs): Dispatched {
    const cache = this.answers(fn.methods);
    const key = args.positional.map(valueTypeKey).join(";");
    let chosen = cache.chosen.get(key);
    if (!chosen) {
      chosen = this.dispatchUncached(fn, args, args.positional.map(juliaTypeOf));
      remember(cache.chosen, key, chosen);
    }
    return chosen;
  }

  /** Whether any of the source methods `methods` applies to the arguments (callable objects' call methods). */
  anyApplies(methods: Method[], args: CallArgs): boolean {
    const cache = this.answers(methods);
    const key = args.positional.map(valueTypeKey).join(";");
    let applies = cache.applies.get(key);
    if (applies === undefined) {
      const argTypes = args.positional.map(juliaTypeOf);
      applies = methods.some((m) => this.matchMethod(m, argTypes) !== undefined);
      remember(cache.applies, key, applies);
    }
    return applies;
  }

  /**
   * Adds a method to a function's table. A method with the same parameter types replaces the
   * earlier one, as in Julia (and the table's kept answers are dropped).
   */
  addMethod(fn: GenericFunction, method: Method): void {
    const key = methodKey(method);
    const i = fn.methods.findIndex((m) => m.def && methodKey(m) === key);
    if (i < 0) {
      fn.methods.push(method);
      return;
    }
    fn.methods[i] = method;
    this.cache.delete(fn.methods);
  }

  private dispatchUncached(fn: GenericFunction, args: CallArgs, argTypes: JuliaType[]): Dispatched {
    const applicable: (MethodMatch & { method: Method })[] = [];
    let intrinsic: Method | undefined;
    for (const m of fn.methods) {
      if (m.intrinsic) {
        intrinsic ??= m;
        continue;
      }
      const match = this.matchMethod(m, argTypes);
      if (match) applicable.push({ method: m, ...match });
    }
    if (applicable.length === 0) {
      if (intrinsic) return { method: intrinsic, bindings: new Map() };
      throw this.methodError(fn, argTypes, args.span);
    }
    // Most specific: a method whose signature is a subtype of every other applicable one; with equal
    // signatures, a fixed-arity method beats a vararg one (`f(a, b)` over `f(xs...)`).
    const moreSpecific = (a: (typeof applicable)[number], b: (typeof applicable)[number]) =>
      signatureMoreSpecific(a.sig, b.sig) || (!a.vararg && b.vararg && signatureMoreSpecific(b.sig, a.sig) === false && a.sig.every((t, i) => isSubtype(t, b.sig[i]!)));
    const best = applicable.filter((a) => applicable.every((b) => a === b || moreSpecific(a, b)));
    if (best.length !== 1) {
      const candidates = applicable.map((a) => this.methodSignature(fn.name, a.method));
      throw this.ctx.fail("ambiguous-method", `MethodError: ${fn.name}(${argTypes.map((t) => `::${showType(t)}`).join(", ")}) is ambiguous`, args.span, ["candidates:", ...candidates.map((c) => `  ${c}`)]);
    }
    return best[0]!;
  }

  /** Whether the source method `m` applies to `argTypes`, and how. */
  matchMethod(m: Method, argTypes: JuliaType[]): MethodMatch | undefined {
    const def = m.def!;
    const params = allParams(def);
    const required = params.filter((p) => !p.default && !isVararg(p)).length;
    const vararg = params.some(isVararg);
    const maxArgs = vararg ? Infinity : params.length;
    if (argTypes.length < required || argTypes.length > maxArgs) return undefined;
    const scope = new Scope("block", m.scope);
    const whereVars = def.kind === "function" ? def.whereParams.map((w) => this.ctx.typeVar(w, scope)) : [];
    for (const v of whereVars) scope.define(v.name, { kind: "type", type: v });
    const bindings: Bindings = new Map();
    const sig: JuliaType[] = [];
    let i = 0;
    for (const p of params) {
      if (isVararg(p)) {
        // `xs::T...` or `xs::Vararg{T,N}`: match the rest against T, and bind N to their count.
        const declared = p.type ? this.ctx.evalType(p.type, scope) : datatype("Any");
        const isVarargType = declared.kind === "datatype" && declared.name === "Vararg";
        const t = isVarargType ? ((declared.params[0] as JuliaType | undefined) ?? datatype("Any")) : declared;
        const n = isVarargType ? declared.params[1] : undefined;
        if (n !== undefined && !isSubtype(datatype("Tuple", argTypes.slice(i)), datatype("Tuple", [datatype("Vararg", [t, n])]), bindings)) return undefined;
        for (; i < argTypes.length; i++) {
          if (!isSubtype(argTypes[i]!, t, bindings)) return undefined;
          sig.push(t);
        }
        continue;
      }
      if (i >= argTypes.length) break;
      const t = p.type ? this.ctx.evalType(p.type, scope) : datatype("Any");
      if (!isSubtype(argTypes[i]!, t, bindings)) return undefined;
      sig.push(t);
      i++;
    }
    // Bindings keep only the method's own where-variables.
    const own = new Map([...bindings].filter(([k]) => whereVars.some((v) => v.name === k)));
    return { bindings: own, sig, vararg };
  }

  /** Whether a call method `(m::T)(...)` is one of type `t`'s, whatever its other parameters. */
  functorApplies(m: Method, t: JuliaType): boolean {
    const def = m.def;
    if (def?.kind !== "function" || !def.functor) return false;
    const scope = new Scope("block", m.scope);
    for (const w of def.whereParams) {
      const v = this.ctx.typeVar(w, scope);
      scope.define(v.name, { kind: "type", type: v });
    }
    return isSubtype(t, def.functor.type ? this.ctx.evalType(def.functor.type, scope) : datatype("Any"));
  }

  /** `MethodError: no method matching f(::T, ...)`, listing the source methods as candidates. */
  methodError(fn: GenericFunction, argTypes: JuliaType[], span: Span): CompileError {
    const candidates = fn.methods.filter((m) => !m.intrinsic).map((m) => this.methodSignature(fn.name, m));
    return this.ctx.fail("no-method", `MethodError: no method matching ${fn.name}(${argTypes.map((t) => `::${showType(t)}`).join(", ")})`, span, candidates.length ? ["candidates:", ...candidates.map((c) => `  ${c}`)] : undefined);
  }

  private methodSignature(name: string, m: Method): string {
    if (m.intrinsic) return `${name}(...) ${m.description ?? "(built in)"}`;
    const def = m.def!;
    const file = this.ctx.files.get(def.span.file);
    const show = (p: A.Param) => `${p.name ?? ""}${p.type ? `::${sourceText(file, p.type.span)}` : ""}${p.vararg ? "..." : ""}`;
    const loc = file ? `${def.span.file}:${file.position(def.span.start).line}` : def.span.file;
    // A call method shows as Julia writes it: `(m::Dense)(x)`.
    const callee = def.kind === "function" && def.functor ? `(${show(def.functor)})` : name;
    return `${callee}(${def.params.map(show).join(", ")}) at ${loc}`;
  }
}

/** Whether signature `a` is strictly more specific than `b` (more parameters, or each a subtype and one strictly). */
export function signatureMoreSpecific(a: JuliaType[], b: JuliaType[]): boolean {
  if (a.length !== b.length) return a.length > b.length;
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if (!isSubtype(a[i]!, b[i]!)) return false;
    if (!isSubtype(b[i]!, a[i]!)) strictly = true;
  }
  return strictly;
}

/** A method's positional parameters, with a callable struct's functor first. */
export function allParams(def: A.FunctionDef | A.Lambda): A.Param[] {
  return def.kind === "function" && def.functor ? [def.functor, ...def.params] : def.params;
}

/** `xs...` and `xs::Vararg{T,N}` both take the remaining arguments. */
export function isVararg(p: A.Param): boolean {
  return Boolean(p.vararg) || (p.type?.kind === "curly" && p.type.target.kind === "ident" && p.type.target.name === "Vararg");
}

/** The source text a span covers ("?" when the file is unknown). */
export function sourceText(file: SourceFile | undefined, span: Span): string {
  return file ? file.text.slice(span.start, span.end) : "?";
}

/**
 * Methods with the same key replace each other, as redefining a method does in Julia. Keys are kept
 * per definition: syntax trees are cached and never mutated.
 */
const methodKeys = new WeakMap<object, string>();

function methodKey(m: Method): string {
  const def = m.def!;
  let key = methodKeys.get(def);
  if (key === undefined) {
    const where = def.kind === "function" ? def.whereParams.map(stripSpans) : [];
    key = JSON.stringify([allParams(def).map((p) => [p.type ? stripSpans(p.type) : "Any", Boolean(p.vararg), Boolean(p.default)]), where]);
    methodKeys.set(def, key);
  }
  return key;
}

function stripSpans(n: unknown): unknown {
  return JSON.parse(JSON.stringify(n, (k, v) => (k === "span" || k === "opSpan" || k === "nameSpan" ? undefined : v)));
}
