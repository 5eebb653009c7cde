// Control flow on traced values. Known conditions and ranges run at compile time in the
// interpreter; here a traced condition or trip count becomes structured HLO:
// - `if`/`elseif`/`else` and `?:` on a traced Bool: both arms are traced (they are pure) and every
//   variable they assign is merged with `select`;
// - `while` on a traced condition, and `for` over a long or traced range: an HLO `while` whose
//   loop-carried tuple holds the variables the body assigns, plus any outer value the body reads
//   (XLA computations see values only through their parameters).
// A variable that changes type or shape between arms or across iterations is an error naming it.

import type * as A from "../syntax/ast.js";
import type { CompileError, Span } from "../diagnostics.js";
import { ComputationBuilder } from "../hlo/builder.js";
import type { HloComputation, TupleShape } from "../hlo/ir.js";
import { arrayShape } from "../hlo/ir.js";
import * as ops from "../hlo/ops.js";
import { concrete, showType } from "./types.js";
import { showSize, xlaDims } from "./arrays.js";
import type { ArrayLowering } from "./arrays.js";
import { describeValue, juliaTypeOf } from "./describe.js";
import { Scope, recordWrites, undoWrites } from "./scope.js";
import type { ScopeWrite } from "./scope.js";
import { treeFlatten, treeMap, treeUnflatten } from "./tree.js";
import type { TreeDef } from "./tree.js";
import type { Tensor, Value } from "./values.js";
import { NOTHING } from "./values.js";

/**
 * What control flow needs of the interpreter: the array lowering it emits into, its diagnostics
 * and its reading of conditions. Narrower than the Interpreter, so this module does not import it.
 */
export interface ControlContext {
  readonly arrays: ArrayLowering;
  fail(code: string, message: string, span: Span, notes?: string[]): CompileError;
  /** Runs `f`, reporting a DimensionMismatch it throws as a diagnostic at `span`. */
  atSpan<T>(span: Span, f: () => T): T;
  /** The condition's Bool when known at compile time; undefined when traced (errors on non-Bools). */
  knownCondition(cond: Value, span: Span): boolean | undefined;
}

// ---- if ------------------------------------------------------------------------------------------

/** The outcome of running one arm: its value, or the value it `return`s from the function. */
export type ArmOutcome = { kind: "value"; value: Value } | { kind: "return"; value: Value };

/**
 * Runs each arm with its writes recorded and undone, then merges: every variable either arm
 * assigned becomes `select(cond, then, else)`. Returns the merged outcome of the arms; when
 * `valueNeeded` (a `?:`), arms whose values cannot merge are an error.
 */
export function tracedIf(interp: ControlContext, cond: Tensor, thenArm: () => ArmOutcome, elseArm: () => ArmOutcome, span: Span, valueNeeded = false): ArmOutcome {
  const a = recordWrites(thenArm);
  const aFinal = finalValues(a.writes);
  undoWrites(a.writes);
  const b = recordWrites(elseArm);
  const bFinal = finalValues(b.writes);
  undoWrites(b.writes);

  if (a.result.kind !== b.result.kind)
    throw interp.fail("traced-control-flow", "a `return` inside an `if` on a traced condition needs a `return` in the other branch too", span, ["move the return after the `if`, or return from both branches"]);

  // Variables: each one written in either arm, keyed by its scope.
  const keys = new Map<Scope, Set<string>>();
  for (const w of [...a.writes, ...b.writes]) {
    if (!keys.has(w.scope)) keys.set(w.scope, new Set());
    keys.get(w.scope)!.add(w.name);
  }
  for (const [scope, names] of keys) {
    for (const name of names) {
      const before = scope.has(name) ? scope.lookup(name) : undefined;
      const va = aFinal.get(scope)?.get(name) ?? before;
      const vb = bFinal.get(scope)?.get(name) ?? before;
      // Assigned on one path only and not defined before: it stays undefined after the `if`.
      if (va === undefined || vb === undefined) continue;
      scope.define(name, mergeValues(interp, cond, va, vb, `\`${name}\``, span));
    }
  }
  if (a.result.kind === "return") return { kind: "return", value: mergeValues(interp, cond, a.result.value, b.result.value, "the returned value", span) };
  // The value of an `if` statement is often unused (`if c; y = 1; end` has nothing in its other
  // arm): when the arms' values do not merge, the `if` is `nothing`, and only its variables count.
  // A `?:` is always used for its value: arms that do not merge are an error, not `nothing`.
  if (valueNeeded) return { kind: "value", value: mergeValues(interp, cond, a.result.value, b.result.value, "the value of `?:`", span) };
  return { kind: "value", value: mergeable(a.result.value, b.result.value) ? mergeValues(interp, cond, a.result.value, b.result.value, "the value of the `if`", span) : NOTHING };
}

function finalValues(writes: ScopeWrite[]): Map<Scope, Map<string, Value>> {
  const out = new Map<Scope, Map<string, Value>>();
  for (const w of writes) {
    if (!out.has(w.scope)) out.set(w.scope, new Map());
    out.get(w.scope)!.set(w.name, w.scope.lookup(w.name)!);
  }
  // lookup() walks outward; read each scope's own binding instead.
  for (const [scope, vars] of out) for (const name of vars.keys()) vars.set(name, ownValue(scope, name)!);
  return out;
}

function ownValue(scope: Scope, name: string): Value | undefined {
  return scope.has(name) ? scope.lookup(name) : undefined;
}

/** `select(cond, a, b)` through values of the same structure and types. */
export function mergeValues(interp: ControlContext, cond: Tensor, a: Value, b: Value, what: string, span: Span): Value {
  if (a === b) return a;
  const arrays = interp.arrays;
  const mismatch = (detail: string) => interp.fail("type-instability", `${what} has a different type in the two branches of an \`if\` on a traced condition: ${detail}`, span, ["XLA needs one type and shape per value; convert both branches to the same type"]);
  const isNumeric = (v: Value) => v.kind === "number" || v.kind === "tensor";
  if (isNumeric(a) && isNumeric(b)) {
    if (a.kind === "number" && b.kind === "number" && a.type === b.type && Object.is(a.value, b.value)) return a;
    const ta = a.kind === "number" ? concrete(a.type) : (a as Tensor).eltype;
    const tb = b.kind === "number" ? concrete(b.type) : (b as Tensor).eltype;
    if (ta !== tb) throw mismatch(`${describeValue(a)} and ${describeValue(b)}`);
    const xa = a.kind === "number" ? arrays.known(a) : (a as Tensor);
    const xb = b.kind === "number" ? arrays.known(b) : (b as Tensor);
    const scalarA = a.kind === "number" || (a as Tensor).scalar;
    const scalarB = b.kind === "number" || (b as Tensor).scalar;
    if (scalarA !== scalarB || (!scalarA && !sameSize(xa.size, xb.size))) throw mismatch(`sizes ${scalarA ? "(scalar)" : showSize(xa.size)} and ${scalarB ? "(scalar)" : showSize(xb.size)}`);
    return interp.atSpan(span, () => arrays.select(cond, xa, xb, scalarA));
  }
  if (a.kind === "tuple" && b.kind === "tuple" && a.elements.length === b.elements.length)
    return { kind: "tuple", elements: a.elements.map((x, i) => mergeValues(interp, cond, x, b.elements[i]!, `${what}[${i + 1}]`, span)) };
  if (a.kind === "namedtuple" && b.kind === "namedtuple" && a.names.join() === b.names.join())
    return { kind: "namedtuple", names: a.names, elements: a.elements.map((x, i) => mergeValues(interp, cond, x, b.elements[i]!, `${what}.${a.names[i]}`, span)) };
  if (a.kind === "struct" && b.kind === "struct" && a.type === b.type)
    return { kind: "struct", type: a.type, params: a.params, fields: a.fields.map((x, i) => mergeValues(interp, cond, x, b.fields[i]!, `${what}.${a.type.fieldNames[i]}`, span)) };
  if (a.kind === "function" && b.kind === "function" && a.fn === b.fn) return a;
  if (a.kind === b.kind && JSON.stringify(a) === JSON.stringify(b)) return a;
  throw mismatch(`${describeValue(a)} and ${describeValue(b)}`);
}

/** Whether mergeValues can merge `a` and `b` (same structure, element types and sizes). */
function mergeable(a: Value, b: Value): boolean {
  if (a === b) return true;
  const numeric = (v: Value) => v.kind === "number" || v.kind === "tensor";
  if (numeric(a) && numeric(b)) {
    const type = (v: Value) => (v.kind === "number" ? concrete(v.type) : (v as Tensor).eltype);
    const size = (v: Value) => (v.kind === "number" || (v as Tensor).scalar ? undefined : (v as Tensor).size);
    const sa = size(a), sb = size(b);
    return type(a) === type(b) && (sa === undefined) === (sb === undefined) && (!sa || sameSize(sa, sb!));
  }
  if ((a.kind === "tuple" || a.kind === "namedtuple") && b.kind === a.kind) return a.elements.length === b.elements.length && a.elements.every((x, i) => mergeable(x, b.elements[i]!));
  if (a.kind === "struct" && b.kind === "struct") return a.type === b.type && a.fields.every((x, i) => mergeable(x, b.fields[i]!));
  if (a.kind === "function" && b.kind === "function") return a.fn === b.fn;
  return a.kind === b.kind && JSON.stringify(a) === JSON.stringify(b);
}

function sameSize(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// ---- while ---------------------------------------------------------------------------------------

/** A loop-carried variable: its name, its value with every numeric leaf traced, and that value's tree. */
interface Carried {
  name: string;
  template: Value;
  def: TreeDef;
  leaves: Tensor[];
}

/** A carried array the loop wrote in place (`y[t] = v`, `y .= ...`), and its value after the loop. */
export interface InPlaceWrite {
  name: string;
  value: Tensor;
}

/**
 * Builds an HLO `while`. `carried` are the variables the body assigns that exist before the loop
 * (an array written in place, `y[t] = v`, counts as assigned);
 * `cond` and `body` run with them bound to the loop state (in a fresh scope over `scope`).
 * After the loop, the variables the body rebinds hold the loop's results; the arrays it wrote in
 * place are returned instead, for the caller to write into the arrays themselves (so that every
 * name bound to one sees the write, as in Julia).
 */
export function tracedWhile(
  interp: ControlContext,
  scope: Scope,
  carriedNames: string[],
  cond: (state: Scope) => Value,
  body: (state: Scope) => void,
  span: Span,
  condSpan: Span,
): InPlaceWrite[] {
  const arrays = interp.arrays;
  const outer = arrays.b;
  // Loop state: each carried variable's leaves as tensors (known numbers become traced).
  const carried: Carried[] = carriedNames.map((name) => {
    const template = toTraced(interp, scope.lookup(name)!);
    const { leaves, def } = treeFlatten(template);
    return { name, template, def, leaves: leaves as Tensor[] };
  });
  const state = new LoopState(outer, scope, carried, arrays);

  const c = state.computation("while_condition");
  const condId = emittingInto(arrays, c.builder, () => {
    const v = cond(c.state);
    const known = interp.knownCondition(v, condSpan);
    if (known !== undefined) return arrays.constant("Bool", known).id;
    const t = v as Tensor;
    if (t.size.length) throw interp.fail("traced-control-flow", "a loop condition must be one Bool, not an array of them", condSpan);
    return t.id;
  });

  const bd = state.computation("while_body");
  const entering = carried.map((cv) => bd.state.lookup(cv.name)!);
  const enteringIds = entering.map((v) => (v.kind === "tensor" ? v.id : undefined));
  const next = emittingInto(arrays, bd.builder, () => {
    body(bd.state);
    return carried.flatMap((cv) => matchTemplate(interp, cv.template, bd.state.lookup(cv.name)!, cv.name, span).map((t) => bd.builder.resolve(t.id)));
  });
  // Carried arrays the body wrote in place: still bound to the array the iteration began with.
  const inPlace = carried.map((cv, i) => {
    const v = entering[i]!;
    if (v.kind !== "tensor" || v.id === enteringIds[i]) return false;
    if (bd.state.lookup(cv.name) !== v)
      throw interp.fail("traced-mutation", `\`${cv.name}\` is both written in place and rebound in this loop compiled to an XLA while: the array it named before the loop would see only some of the writes`, span, ["either write into it (`y[t] = v`) or rebind it (`y = ...`), not both"]);
    return true;
  });
  // The body is finished first: captures it makes widen the condition's parameter too.
  const bodyComputation = state.finishBody(bd.builder, next);
  const condComputation = c.builder.finish(condId);
  outer.module.add(condComputation);
  outer.module.add(bodyComputation);

  // The loop itself, in the outer computation.
  const init = outer.emit(ops.tuple, [...carried.flatMap((cv) => cv.leaves.map((t) => outer.resolve(t.id))), ...state.captures], undefined);
  const loop = outer.emit(ops.whileLoop, [init], { condition: condComputation.id, body: bodyComputation.id });
  let k = 0;
  const written: InPlaceWrite[] = [];
  carried.forEach((cv, i) => {
    const leaves = cv.leaves.map((t) => ({ ...t, id: outer.emit(ops.getTupleElement, [loop], { index: k++ }) }));
    const value = treeUnflatten(cv.def, leaves);
    if (inPlace[i]) written.push({ name: cv.name, value: value as Tensor });
    else scope.assign(cv.name, value);
  });
  return written;
}

/**
 * The state tuple of an HLO while loop as its condition and body see it: the carried variables'
 * leaves, then the outer values the loop reads, captured as they are met (XLA computations see
 * values only through their parameters).
 */
class LoopState {
  /** Outer values the loop reads, in capture order (ids local to `outer`). */
  readonly captures: number[] = [];
  private readonly shape: TupleShape;
  private readonly carriedLeaves: number;

  constructor(
    private readonly outer: ComputationBuilder,
    private readonly scope: Scope,
    private readonly carried: Carried[],
    arrays: ArrayLowering,
  ) {
    const leaves = carried.flatMap((c) => c.leaves);
    this.carriedLeaves = leaves.length;
    this.shape = { kind: "tuple", elements: leaves.map((t) => arrayShape(arrays.primitive(t.eltype), xlaDims(t.size))) };
  }

  /** A computation whose parameter is the state, and a scope binding the carried variables to it. */
  computation(name: string): { builder: ComputationBuilder; state: Scope } {
    const outer = this.outer;
    const builder = new ComputationBuilder(outer.module, name);
    builder.metadata = outer.metadata;
    // The parameter shares `shape`, so captures appended later widen every user of it.
    const param = builder.parameter(0, this.shape, "state");
    builder.capture = (outerId) => {
      const local = outer.resolve(outerId);
      let index = this.captures.indexOf(local);
      if (index < 0) {
        this.captures.push(local);
        this.shape.elements.push(outer.shapeOf(local));
        index = this.captures.length - 1;
      }
      return builder.emit(ops.getTupleElement, [param], { index: this.carriedLeaves + index });
    };
    const state = new Scope("block", this.scope);
    let k = 0;
    // One array carried under several names, or read under a name the loop does not assign, is
    // one array in the loop too: a write through one name shows through the others.
    const arrays = new Map<Value, Value>();
    for (const c of this.carried) {
      const leaves = c.leaves.map((t) => ({ ...t, id: builder.emit(ops.getTupleElement, [param], { index: k++ }) }));
      const before = this.scope.lookup(c.name)!;
      const value = before.kind === "tensor" ? arrays.get(before) ?? treeUnflatten(c.def, leaves) : treeUnflatten(c.def, leaves);
      if (before.kind === "tensor") arrays.set(before, value);
      state.define(c.name, value);
    }
    for (const [before, value] of arrays) for (const alias of this.scope.localNamesOf(before)) if (!state.has(alias)) state.define(alias, value);
    return { builder, state };
  }

  /** The body's root: the new carried leaves, then every capture passed through unchanged. */
  finishBody(builder: ComputationBuilder, next: number[]): HloComputation {
    const param = builder.parameterId(0);
    const passed = this.captures.map((_, i) => builder.emit(ops.getTupleElement, [param], { index: this.carriedLeaves + i }));
    return builder.finish(builder.emit(ops.tuple, [...next, ...passed], undefined));
  }
}

/** Runs `f` with the array lowering emitting into `b` (a loop's computation) instead of the current one. */
function emittingInto<T>(arrays: ArrayLowering, b: ComputationBuilder, f: () => T): T {
  const outer = arrays.b;
  arrays.b = b;
  try {
    return f();
  } finally {
    arrays.b = outer;
  }
}

/** A carried value with every numeric leaf traced (a known counter `i = 1` becomes a traced Int64). */
function toTraced(interp: ControlContext, v: Value): Value {
  const numeric = (x: Value) => x.kind === "number" || x.kind === "tensor";
  return treeMap(v, (x) => (x.kind === "number" ? { ...interp.arrays.known(x), scalar: true } : x), numeric);
}

/** The leaves of a variable's new value, checked against the loop state's types and shapes. */
function matchTemplate(interp: ControlContext, template: Value, value: Value, name: string, span: Span): Tensor[] {
  const out: Tensor[] = [];
  const fail = (detail: string): never => {
    throw interp.fail("type-instability", `the loop variable \`${name}\` changes ${detail} inside the loop`, span, ["a value carried by an XLA while loop keeps one type and shape; convert it before the loop"]);
  };
  const walk = (t: Value, v: Value): void => {
    if (t.kind === "tensor") {
      const x = v.kind === "number" ? interp.arrays.known(v, t.eltype) : v;
      if (x.kind !== "tensor") return fail(`from ${describeValue(t)} to ${describeValue(v)}`);
      if (v.kind === "number" && concrete(v.type) !== t.eltype) fail(`type from ${t.eltype} to ${v.type}`);
      if (x.eltype !== t.eltype) fail(`type from ${t.eltype} to ${x.eltype}`);
      if (!sameSize(x.size, t.size) || x.scalar !== t.scalar) fail(`size from ${t.scalar ? "(scalar)" : showSize(t.size)} to ${x.scalar ? "(scalar)" : showSize(x.size)}`);
      out.push(x);
      return;
    }
    if ((t.kind === "tuple" || t.kind === "namedtuple") && v.kind === t.kind && v.elements.length === t.elements.length) return t.elements.forEach((e, i) => walk(e, v.elements[i]!));
    if (t.kind === "struct" && v.kind === "struct" && v.type === t.type) return t.fields.forEach((e, i) => walk(e, v.fields[i]!));
    if (t.kind === v.kind && (t.kind !== "function" || (v.kind === "function" && t.fn === v.fn))) return;
    fail(`from ${showType(juliaTypeOf(t))} to ${showType(juliaTypeOf(v))}`);
  };
  walk(template, value);
  return out;
}

// ---- which variables a loop carries ------------------------------------------------------------------

/** Names assigned anywhere in `body` (not inside nested functions), in first-assignment order. */
export function assignedNames(body: A.Node): string[] {
  const names: string[] = [];
  const add = (n: string) => {
    if (!names.includes(n)) names.push(n);
  };
  const targets = (t: A.Node): void => {
    if (t.kind === "ident") add(t.name);
    // `y[i] = v` writes into the array y names: a loop carries it like a rebound variable.
    else if (t.kind === "index") targets(t.target);
    else if (t.kind === "tuple") t.elements.forEach(targets);
    else if (t.kind === "paren") targets(t.expr);
    else if (t.kind === "typeassert") targets(t.expr);
    else if (t.kind === "namedtuple") t.fields.forEach((f) => targets(f.value));
  };
  const walk = (n: unknown): void => {
    if (!n || typeof n !== "object") return;
    if (Array.isArray(n)) return n.forEach(walk);
    const node = n as A.Node;
    if (node.kind === "function" || node.kind === "lambda" || node.kind === "struct") return;
    if (node.kind === "assign") targets(node.target);
    if (node.kind === "for") node.iterations.forEach((it) => targets(it.target));
    for (const [k, v] of Object.entries(node)) if (k !== "span" && v && typeof v === "object") walk(v);
  };
  walk(body);
  return names;
}

