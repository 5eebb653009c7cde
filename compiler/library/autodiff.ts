// Zygote's API: gradient, withgradient, pullback (also as Flux.gradient, Zygote.gradient).
// The function is traced on its arguments into a scratch computation whose parameters are the
// arguments' differentiable leaves (float arrays and numbers; outer values it reads arrive as
// further parameters), then differentiated by compiler/autodiff: replayed into the current
// computation and transposed there op by op. Gradients are structural, as Zygote returns them:
// a NamedTuple per struct (field names kept), tuples for tuples, `nothing` for what has no
// gradient (integers, functions, known fields of structs, leaves the result does not depend on).

import { ComputationBuilder } from "../hlo/builder.js";
import type { HloComputation } from "../hlo/ir.js";
import * as ops from "../hlo/ops.js";
import type { Cotangent } from "../hlo/ops.js";
import { NotDifferentiable, backward, replay } from "../autodiff/reverse.js";
import { unrollLoops } from "../autodiff/unroll.js";
import { isFloat, isInteger, showType } from "../semantics/types.js";
import { describeValue, juliaTypeOf } from "../semantics/describe.js";
import { isFloatType } from "../hlo/ops.js";
import type { PrimitiveType } from "../hlo/ir.js";
import { primitiveInfo } from "../eltypes.js";
import { CompileError } from "../diagnostics.js";
import type { CallArgs, MutableContainer, StructValue, Tensor, Value } from "../semantics/values.js";
import { NOTHING, num, tuple } from "../semantics/values.js";
import { insideStruct, structuralMap, tensorLeaves, treeChildren, treeMap } from "../semantics/tree.js";
import type { TreePath } from "../semantics/tree.js";
import type { IntrinsicLibrary } from "./intrinsics.js";

interface Traced {
  forward: HloComputation;
  /** The arguments with their differentiable leaves as parameters of `forward`. */
  lifted: Value[];
  /** Parameter ids of `forward` that are differentiated, in leaf order. */
  wrt: number[];
  /** The result's structure with its tensor leaves as ids of `forward` (a tuple root holds them). */
  result: Value;
  resultLeaves: Tensor[];
  /** How many values stored in mutated containers follow the result leaves in `forward`'s root (no cotangent reaches them). */
  written: number;
  /** `forward`'s ids -> values in the computation being built. */
  values: Map<number, number>;
  /**
   * For each integer array argument the function turns into floats: the argument's position and
   * the `convert` instructions of `forward` that do it (Zygote would differentiate through them).
   */
  integerArrays: { position: number; converts: number[] }[];
}

const UNSIGNED_OF_WIDTH: Record<number, PrimitiveType> = { 2: "u16", 4: "u32", 8: "u64" };

/** Ops that carry integer values through unchanged in kind (arithmetic, layout): an integer array's values flow on through them. */
const INTEGER_FLOW = new Set(["add", "subtract", "multiply", "negate", "abs", "maximum", "minimum", "broadcast", "reshape", "transpose", "reverse", "slice", "concatenate", "pad", "select", "reduce"]);

export function defineAutodiff(lib: IntrinsicLibrary): void {
  const { arrays } = lib;

  /** The traced result with its leaves replaced by their replayed values. */
  const resultValue = (t: Traced): Value => {
    const ids = new Map(t.resultLeaves.map((l) => [l.id, t.values.get(l.id)!]));
    return treeMap(t.result, (x) => ({ ...x, id: ids.get((x as Tensor).id) ?? (x as Tensor).id }));
  };

  const scalarSeed = (name: string, t: Traced, args: CallArgs): Cotangent[] => {
    const r = t.result;
    if (r.kind === "number") return [];
    if (r.kind !== "tensor" || !(r.scalar || r.size.length === 0))
      throw lib.fail("not-scalar", `${name}: the function must return a number to be differentiated, got ${r.kind === "tensor" ? `an array of size (${r.size.join(", ")})` : "a " + r.kind}`, args.span, ["use pullback for functions returning arrays or tuples"]);
    if (!isFloat(r.eltype)) return [null];
    return [arrays.b.scalarConstant(arrays.primitive(r.eltype), 1)];
  };

  // NNlib.within_gradient(x): true while a gradient is being taken (ChainRules' rrule makes it so
  // in Zygote); Flux's layers with `active = nothing` train (Dropout, BatchNorm) exactly then.
  lib.define("within_gradient", (args) => (lib.arity(args, "within_gradient", 1), num("Bool", lib.interp.mutated !== undefined)));

  // ChainRulesCore.ignore_derivatives(x) (Zygote.dropgrad): x's value, through which no derivative
  // flows. Its float arrays pass as their bits (bitcast to an unsigned integer of their width and
  // back), which XLA folds away and no cotangent crosses. Given a function, its result.
  lib.define(["ignore_derivatives", "dropgrad"], (args) => {
    lib.arity(args, "ignore_derivatives", 1);
    const x = args.positional[0]!;
    const value = x.kind === "function" ? lib.interp.call(x, { ...args, positional: [], argSpans: [] }, "ignore_derivatives") : x;
    return treeMap(value, (leaf) => {
      const t = leaf as Tensor;
      if (!isFloat(t.eltype)) return t;
      const b = arrays.b;
      const element = arrays.primitive(t.eltype);
      const bits = b.emit(ops.bitcastConvert, [t.id], { element: UNSIGNED_OF_WIDTH[primitiveInfo(element).bytes]! });
      return { ...t, id: b.emit(ops.bitcastConvert, [bits], { element }) };
    });
  });

  // Zygote's gradient(f, ps::Params): the zero-argument f differentiated with respect to the
  // arrays of ps wherever it reads them. Gives f's value and Zygote's Grads (made by the prelude's
  // _grads from the gradients in ps's order): `nothing` where the result does not depend on a
  // parameter, as Zygote's cache starts each parameter at nothing.
  const implicitGradient = (name: string, args: CallArgs): { val: Value; grads: Value } | undefined => {
    const ps = args.positional[1];
    const order = ps?.kind === "struct" && ps.type.name === "Params" ? ps.fields[0] : undefined;
    if (order?.kind !== "vector") return undefined;
    lib.arity(args, name, 2);
    const implicit = order.elements.map((p) => {
      if (p.kind === "tensor" && !p.scalar && isFloat(p.eltype)) return p;
      const what = p.kind === "tensor" && !p.scalar ? `an array of ${p.eltype}` : describeValue(p);
      throw lib.fail("implicit-parameter", `${name}(f, ::Params): Params holds ${what}; only arrays of floats are differentiated with Params`, args.argSpans[1] ?? args.span, ["Zygote differentiates only reference types with Params; leave integer arrays and numbers out of Params (Flux.params(m) takes the trainable arrays)"]);
    });
    const t = traceWith(lib, name, { ...args, positional: args.positional.slice(0, 1), argSpans: args.argSpans.slice(0, 1) }, false, implicit);
    const cts = cotangents(lib, t, scalarSeed(name, t, args), args.span, []);
    const grads = implicit.map((p, i): Value => {
      const g = cts[i];
      return typeof g === "number" ? { kind: "tensor", id: g, eltype: p.eltype, size: p.size, scalar: false } : NOTHING;
    });
    const makeGrads = lib.interp.globals.lookup("_grads")!;
    return { val: resultValue(t), grads: lib.interp.call(makeGrads, { positional: [ps!, tuple(grads)], keywords: new Map(), span: args.span, argSpans: [args.span, args.span] }, "_grads") };
  };

  lib.define("gradient", (args) => {
    const implicit = implicitGradient("gradient", args);
    if (implicit) return implicit.grads;
    const t = traceForward(lib, "gradient", args);
    return tuple(pullBack(lib, t, scalarSeed("gradient", t, args), args.span, args.argSpans.slice(1)));
  });

  lib.define("withgradient", (args) => {
    const implicit = implicitGradient("withgradient", args);
    if (implicit) return { kind: "namedtuple", names: ["val", "grad"], elements: [implicit.val, implicit.grads] };
    const t = traceForward(lib, "withgradient", args);
    const grad = tuple(pullBack(lib, t, scalarSeed("withgradient", t, args), args.span, args.argSpans.slice(1)));
    return { kind: "namedtuple", names: ["val", "grad"], elements: [resultValue(t), grad] };
  });

  lib.define("pullback", (args) => {
    const t = traceForward(lib, "pullback", args);
    const y = resultValue(t);
    const back = (bargs: CallArgs): Value => {
      if (bargs.positional.length !== 1) throw lib.methodError("pullback", bargs, "the pullback takes one cotangent, shaped like the result");
      const seeds = seedLeaves(bargs.positional[0]!, t.result);
      const b = arrays.b;
      const ids = seeds.map((s, i) => {
        if (s === null) return null;
        const leaf = t.resultLeaves[i]!;
        const tensor = s.kind === "number" ? arrays.known(s, leaf.eltype) : arrays.convert(s, leaf.eltype);
        const want = leaf.scalar ? [] : leaf.size;
        return tensor.size.length === want.length ? b.resolve(tensor.id) : arrays.broadcastTo(tensor, want).id;
      });
      return tuple(pullBack(lib, t, ids, bargs.span, []));
    };
    return tuple([y, { kind: "function", fn: { name: "pullback", methods: [{ intrinsic: back, description: "(the pullback of a traced function)" }] } }]);
  });
}

/**
 * Traces `f(xs...)` (the call's arguments) into a scratch computation whose parameters are the
 * arguments' differentiable leaves and the outer values `f` reads, then replays it into the
 * current computation.
 */
function traceForward(lib: IntrinsicLibrary, name: string, args: CallArgs): Traced {
  if (args.positional.length < 1) throw lib.methodError(name, args);
  // Zygote differentiates an integer argument as a real number (`gradient(x -> 3x^2 + 2x + 1, 5)`
  // is (32.0,)): it is traced as a Float64. When the function needs it known (an index, a size),
  // it is traced again with the integer known, and its gradient is `nothing`, as Zygote's is
  // for an index.
  const hasIntegers = args.positional.slice(1).some((x) => x.kind === "number" && isInteger(x.type) && x.type !== "Bool");
  if (!hasIntegers) return traceWith(lib, name, args, false);
  try {
    return traceWith(lib, name, args, true);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    return traceWith(lib, name, args, false);
  }
}

/**
 * Traces `f(xs...)` (args.positional is f and xs). The arrays `implicit` (Zygote's Params) are
 * differentiated too, wherever f reads them: while f is traced, each of those array objects holds
 * a parameter of the scratch computation, so every name bound to it (a model's field, a captured
 * variable) reads the parameter; they get their own values back when the trace ends.
 */
function traceWith(lib: IntrinsicLibrary, name: string, args: CallArgs, integersAsReals: boolean, implicit: Tensor[] = []): Traced {
  const { interp, arrays } = lib;
  const [f, ...xs] = args.positional;
  const outer = arrays.b;
  const inner = new ComputationBuilder(outer.module, name);
  inner.metadata = outer.metadata;
  const inputs = new Map<number, number>();
  let count = 0;
  const wrt: number[] = [];
  const param = (outerId: number): number => {
    const p = inner.parameter(count++, outer.shapeOf(outerId), `p${count}`);
    inputs.set(p, outerId);
    return p;
  };
  inner.capture = (outerId) => param(outer.resolve(outerId));
  // Differentiable leaves: float arrays and float numbers anywhere (a struct's float field has a
  // gradient in Zygote too), and integers passed as arguments themselves (not struct fields: a
  // layer's stride or size is not differentiated).
  const liftable = (v: Value, path: TreePath) => v.kind === "tensor" || (v.kind === "number" && (isFloat(v.type) || (integersAsReals && v.type !== "Bool" && !insideStruct(path))));
  const lift = (v: Value): Value => {
    if (v.kind === "number") return lift({ ...arrays.known(v, isFloat(v.type) ? undefined : "Float64"), scalar: true });
    const t = v as Tensor;
    if (!isFloat(t.eltype)) return t;
    const p = param(outer.resolve(t.id));
    wrt.push(p);
    return { ...t, id: p };
  };
  const lifted = xs.map((x) => treeMap(x, lift, liftable));
  const implicitIds = implicit.map((p) => p.id);
  const viewedBefore = implicit.map((p) => interp.hasViews(p));
  // Implicit parameters are the function's arguments too: writing into one is Zygote's error.
  const argumentArrays = new WeakSet([...lifted.flatMap(tensorLeaves), ...implicit]);
  // Lifting copies the arguments' structs; what the function stores in a mutable one (a model's
  // BatchNorm statistics) is stored in the caller's original, as Zygote's caller would see it.
  const originals = new Map<StructValue, StructValue>();
  xs.forEach((x, i) => pairMutableCopies(lifted[i]!, x, originals));
  const before = new Map([...originals.keys()].map((c) => [c, [...c.fields]]));
  let result: Value;
  const enclosing = interp.mutated;
  const enclosingTrace = interp.differentiating;
  const mutated = new Set<MutableContainer>();
  for (const p of implicit) {
    p.id = param(outer.resolve(p.id));
    wrt.push(p.id);
  }
  arrays.b = inner;
  interp.mutated = mutated;
  interp.differentiating = { firstId: inner.id, arguments: argumentArrays };
  try {
    result = interp.call(f!, { positional: lifted, keywords: new Map(), span: args.span, argSpans: args.argSpans.slice(1) }, "function");
  } finally {
    arrays.b = outer;
    interp.mutated = enclosing;
    implicit.forEach((p, i) => (p.id = implicitIds[i]!));
    interp.differentiating = enclosingTrace;
  }
  const resultLeaves = tensorLeaves(result).map((t) => ({ ...t, id: inner.resolve(t.id) }));
  // What the function stored in known containers (a layer's running statistics, a generator's
  // state) is computed here too, as extra outputs that no cotangent reaches (Flux's
  // `@non_differentiable _track_stats!`), and the containers then hold the replayed values.
  const slots = [...mutated].flatMap(containerSlots);
  const written = slots.flatMap((s) => tensorLeaves(s.get()).filter((l) => inner.owns(l.id)));
  // The views f made of an implicit parameter (a layer's reshape of its bias) live in the scratch
  // computation and are gone with it, unless f left one behind (in its result or a container): only
  // then may a later in-place update of the parameter (Flux.Optimise.update!) miss an alias.
  if (![...tensorLeaves(result), ...written].some((l) => !implicit.includes(l) && interp.hasViews(l)))
    implicit.forEach((p, i) => !viewedBefore[i] && interp.forgetViews(p));
  const root = inner.emit(ops.tuple, [...resultLeaves, ...written].map((t) => t.id), undefined);
  const forward = unrollLoops(inner.finish(root), outer.module);
  const values = replay(outer, forward, inputs);
  const replayed = (v: Value) => treeMap(v, (l) => (inner.owns((l as Tensor).id) ? { ...(l as Tensor), id: values.get((l as Tensor).id)! } : l));
  for (const c of mutated) {
    const original = c.kind === "struct" ? originals.get(c) : undefined;
    if (original) (c as StructValue).fields.forEach((f, i) => f !== before.get(c as StructValue)![i] && (original.fields[i] = replayed(f)));
    else for (const s of containerSlots(c)) s.set(replayed(s.get()));
    enclosing?.add(original ?? c);
  }
  const integerArrays = xs.flatMap((x, position) => {
    if (x.kind !== "tensor" || isFloat(x.eltype) || x.eltype === "Bool") return [];
    const outerId = outer.resolve(x.id);
    const reached = new Set(forward.instructions.filter((i) => i.opcode === "parameter" && inputs.get(i.id) === outerId).map((i) => i.id));
    const converts: number[] = [];
    for (const instr of forward.instructions) {
      if (!instr.operands.some((o) => reached.has(o))) continue;
      if (instr.opcode === "convert" && instr.shape.kind === "array" && isFloatType(instr.shape.element)) converts.push(instr.id);
      else if (INTEGER_FLOW.has(instr.opcode)) reached.add(instr.id);
    }
    return converts.length ? [{ position, converts }] : [];
  });
  return { forward, lifted, wrt, result, resultLeaves, written: written.length, values, integerArrays };
}

/** Pairs each mutable struct of a lifted copy with the argument's struct it copies. */
function pairMutableCopies(copy: Value, original: Value, out: Map<StructValue, StructValue>): void {
  if (copy === original) return;
  if (copy.kind === "struct" && original.kind === "struct" && original.type.mutable) out.set(copy, original);
  const a = treeChildren(copy);
  const b = treeChildren(original);
  if (a && b) a.forEach((c, i) => b[i] !== undefined && pairMutableCopies(c, b[i]!, out));
}

/** The places of a mutated container that hold values, read and written. */
function containerSlots(c: MutableContainer): { get: () => Value; set: (v: Value) => void }[] {
  if (c.kind === "struct") return c.fields.map((_, i) => ({ get: () => c.fields[i]!, set: (v) => (c.fields[i] = v) }));
  if (c.kind === "vector") return c.elements.map((_, i) => ({ get: () => c.elements[i]!, set: (v) => (c.elements[i] = v) }));
  return [...c.entries.values()].map((entry) => ({ get: () => entry[1], set: (v) => (entry[1] = v) }));
}

/** The structural gradients of the arguments, given one cotangent id per result leaf. */
function pullBack(lib: IntrinsicLibrary, t: Traced, seeds: Cotangent[], span: CallArgs["span"], argSpans: CallArgs["argSpans"]): Value[] {
  const cts = cotangents(lib, t, seeds, span, argSpans);
  const grads = new Map(t.wrt.map((p, i) => [p, cts[i] ?? null]));
  const gradient = (v: Value): Value => {
    const g = v.kind === "tensor" ? grads.get(v.id) : undefined;
    if (v.kind !== "tensor" || typeof g !== "number") return NOTHING;
    return { kind: "tensor", id: g, eltype: v.eltype, size: v.size, scalar: v.scalar };
  };
  return t.lifted.map((v) => structuralMap(v, gradient));
}

/** The cotangents of the differentiated leaves (`t.wrt`, in order), given one cotangent id per result leaf. */
function cotangents(lib: IntrinsicLibrary, t: Traced, seeds: Cotangent[], span: CallArgs["span"], argSpans: CallArgs["argSpans"]): Cotangent[] {
  const arrays = lib.arrays;
  let cts: Cotangent[];
  const converts = t.integerArrays.flatMap((a) => a.converts);
  try {
    cts = backward(arrays.b, t.forward, t.values, [...t.wrt, ...converts], [...seeds, ...Array<Cotangent>(t.written).fill(null)]);
  } catch (e) {
    if (e instanceof NotDifferentiable) throw lib.fail("not-differentiable", `cannot differentiate this function: ${e.message}`, span, ["a loop whose trip count depends on traced values cannot be differentiated; loop over a known range"]);
    throw e;
  }
  // An integer array whose values reach the result as floats: Zygote would differentiate it as
  // reals; rather than answer `nothing`, say so.
  const reaching = new Set(converts.filter((_, k) => cts[t.wrt.length + k] !== null && cts[t.wrt.length + k] !== undefined));
  for (const a of t.integerArrays) {
    if (!a.converts.some((c) => reaching.has(c))) continue;
    const x = t.lifted[a.position] as Tensor;
    throw lib.fail("integer-gradient", `cannot differentiate with respect to argument ${a.position + 1}, an integer array (${showType(juliaTypeOf(x))}): the result depends on its values, which Zygote would differentiate as real numbers`, argSpans[a.position] ?? span, ["pass it as floats (Float32.(x)) to get its gradient, or capture it in a closure (gradient(m -> loss(m, x), model)) if it is data"]);
  }
  return cts.slice(0, t.wrt.length);
}

/** The cotangent's leaves matched to the result's tensor leaves (`nothing` is a zero cotangent). */
function seedLeaves(ct: Value, result: Value): (Tensor | { kind: "number"; type: Tensor["eltype"]; value: number | boolean } | null)[] {
  if (result.kind === "tensor") return [ct.kind === "tensor" ? ct : ct.kind === "number" ? (ct as never) : null];
  if ((result.kind === "tuple" || result.kind === "namedtuple") && (ct.kind === "tuple" || ct.kind === "namedtuple"))
    return result.elements.flatMap((e, i) => seedLeaves(ct.elements[i] ?? NOTHING, e));
  if (result.kind === "struct" && ct.kind === "namedtuple") return result.fields.flatMap((e, i) => seedLeaves(ct.elements[i] ?? NOTHING, e));
  return tensorLeaves(result).map(() => null);
}
