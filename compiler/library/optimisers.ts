// Optimisers.jl's tree walk: `setup(rule, model)` gives a state tree mirroring the model (a Leaf
// per trainable array, NamedTuples for structs, `nothing` elsewhere), `update(state, model, grad)`
// applies each Leaf's rule (written in Julia in the prelude: init, apply!) to the array and its
// gradient from Zygote's structural gradient, and returns (new state, new model). `update!` is
// Flux's in-place form read functionally: it returns the same pair and also rebinds the fields
// of the model's and the state's struct values, so later uses of them see the update.

import type { CallArgs, DictValue, NamedTupleValue, StructValue, Tensor, Value, VectorValue } from "../semantics/values.js";
import { datatype } from "../semantics/types.js";
import { NOTHING, tuple } from "../semantics/values.js";
import { isFloat } from "../semantics/types.js";
import { structuralMap, treeChildren, treeMap } from "../semantics/tree.js";
import { describeValue, juliaTypeOf } from "../semantics/describe.js";
import type { IntrinsicLibrary } from "./intrinsics.js";

export function defineOptimisers(lib: IntrinsicLibrary): void {
  const { interp } = lib;
  const callGlobal = (name: string, positional: Value[], args: CallArgs): Value =>
    interp.call(interp.globals.lookup(name)!, { positional, keywords: new Map(), span: args.span, argSpans: positional.map(() => args.span) }, name);

  const trainable = (v: Value): boolean => v.kind === "tensor" && !v.scalar && isFloat(v.eltype);

  /**
   * The model with what Optimisers does not train replaced by `nothing`: the fields a struct's
   * `@layer trainable=(...)`/`@functor` list leaves out, or its `trainable(m)` method does not return.
   */
  const trainableOnly = (v: Value, args: CallArgs): Value => {
    const children = treeChildren(v);
    if (!children) return v;
    let keep = (_: number) => true;
    if (v.kind === "struct") {
      if (interp.hasSourceMethod("trainable", [juliaTypeOf(v)])) {
        const t = callGlobal("trainable", [v], args);
        if (t.kind === "namedtuple") keep = (i) => t.names.includes(v.type.fieldNames[i]!);
        else if (t.kind === "tuple") keep = (i) => t.elements.includes(v.fields[i]!);
        else throw lib.fail("optimiser-tree", `trainable(::${v.type.name}) must return a NamedTuple of fields, got ${describeValue(t)}`, args.span);
      } else if (v.type.trainable) keep = (i) => v.type.trainable!.includes(v.type.fieldNames[i]!);
    }
    const sub = children.map((c, i) => (keep(i) ? trainableOnly(c, args) : NOTHING));
    if (v.kind === "struct") return { ...v, fields: sub };
    return v.kind === "tuple" ? tuple(sub) : { ...(v as NamedTupleValue | VectorValue), elements: sub };
  };

  // Optimisers.trainable(m): the children of m that are trained and walked (a struct's fields as a
  // NamedTuple, limited as trainableOnly says; a tuple or vector itself; nothing under a leaf).
  lib.define("trainable", (args) => {
    lib.arity(args, "trainable", 1);
    const m = args.positional[0]!;
    if (m.kind !== "struct") return treeChildren(m) ? m : tuple([]);
    const kept = trainableOnly(m, args) as StructValue;
    const names = m.type.fieldNames.filter((_, i) => kept.fields[i]!.kind !== "nothing" || m.fields[i]!.kind === "nothing");
    return { kind: "namedtuple", names, elements: names.map((n) => m.fields[m.type.fieldNames.indexOf(n)]!) };
  });

  // Flux's f16/f32/f64 (src/functor.jl): the model with every float array converted to that
  // precision (numbers, integer arrays and other fields kept), as Flux's _paramtype does.
  for (const [name, eltype] of [["f16", "Float16"], ["f32", "Float32"], ["f64", "Float64"]] as const) {
    lib.define(name, (args) => {
      lib.arity(args, name, 1);
      return treeMap(args.positional[0]!, (leaf) => {
        const t = leaf as Tensor;
        return !t.scalar && isFloat(t.eltype) ? lib.arrays.convert(t, eltype) : t;
      });
    });
  }

  lib.define("setup", (args) => {
    lib.arity(args, "setup", 2);
    const [rule, model] = args.positional as [Value, Value];
    return structuralMap(trainableOnly(model, args), (v) => (trainable(v) ? callGlobal("_leaf_init", [rule, v], args) : NOTHING));
  });

  const update = (name: string, inPlace: boolean) => (args: CallArgs): Value => {
    lib.arity(args, name, 3);
    const [state, model, grad] = args.positional as [Value, Value, Value];
    const walk = (s: Value, m: Value, g: Value): [Value, Value] => {
      if (s.kind === "nothing" || g.kind === "nothing") return [s, m];
      if (s.kind === "struct" && s.type.name === "Leaf") {
        const r = callGlobal("_leaf_update", [s, m, g], args);
        if (r.kind !== "tuple") throw new Error("internal: _leaf_update returns a tuple");
        const [s2, m2] = r.elements as [StructValue, Value];
        if (inPlace) s.fields.splice(0, s.fields.length, ...s2.fields);
        return [s2, m2];
      }
      const ss = treeChildren(s), ms = treeChildren(m), gs = treeChildren(g);
      if (!ss || !ms || !gs || ss.length !== ms.length) throw lib.fail("optimiser-tree", `${name}: the state, the model and the gradient do not have the same structure`, args.span);
      const pairs = ms.map((mc, i) => walk(ss[i]!, mc, gs[i] ?? NOTHING));
      const newState: Value = s.kind === "namedtuple" || s.kind === "vector" ? { ...s, elements: pairs.map((p) => p[0]) } : s.kind === "tuple" ? tuple(pairs.map((p) => p[0])) : s;
      let newModel: Value;
      if (m.kind === "struct") {
        if (inPlace) m.fields.splice(0, m.fields.length, ...pairs.map((p) => p[1]));
        newModel = { ...m, fields: pairs.map((p) => p[1]) };
      } else if (m.kind === "vector") {
        if (inPlace) m.elements.splice(0, m.elements.length, ...pairs.map((p) => p[1]));
        newModel = { ...m, elements: pairs.map((p) => p[1]) };
      } else newModel = m.kind === "namedtuple" ? { ...m, elements: pairs.map((p) => p[1]) } : tuple(pairs.map((p) => p[1]));
      return [newState, newModel];
    };
    const [s, m] = walk(state, model, grad);
    return tuple([s, m]);
  };
  // The state Flux.Optimise's mutable optimisers keep per parameter array (an IdDict), for the
  // implicit update! of the prelude: one per optimiser value, so reusing `opt` carries Adam's
  // moments from step to step, and a new `Adam()` starts afresh, as in Flux.
  const implicitStates = new WeakMap<object, DictValue>();
  lib.define("_implicit_state", (args) => {
    lib.arity(args, "_implicit_state", 1);
    const opt = args.positional[0]!;
    let state = implicitStates.get(opt);
    if (!state) implicitStates.set(opt, (state = { kind: "dict", identity: true, keyType: datatype("Any"), valueType: datatype("Any"), entries: new Map() }));
    return state;
  });

  lib.define("update", update("update", false));
  lib.define("update!", update("update!", true));
}

