// Reverse-mode differentiation of a traced HLO computation. Every Julia call is inlined, so a
// function's derivative is the transpose of its HLO graph, as JAX transposes a jaxpr:
// - `replay` re-emits the traced (forward) computation into the computation being built, where
//   hash-consing merges it with anything already computed there;
// - `backward` walks the forward instructions in reverse and asks each op rule for its VJP
//   (ops.ts; nothing is differentiated from a separate list), emitting cotangents next to the
//   forward values. What no cotangent uses is dropped by the builder's dead-code elimination, so
//   forward values are kept exactly when the backward pass reads them (stored, not recomputed).
// Loops: a while whose trip count is known at compile time is unrolled before differentiation
// (see unroll.ts); a while with a traced trip count has no derivative and says so.

import type { ComputationBuilder } from "../hlo/builder.js";
import type { HloComputation, HloInstruction, Shape } from "../hlo/ir.js";
import * as ops from "../hlo/ops.js";
import type { Cotangent, OpRule, VjpContext } from "../hlo/ops.js";
import { isFloatType } from "../hlo/ops.js";

/** Raised when a program asks for a derivative the op table cannot give; the caller turns it into a diagnostic. */
export class NotDifferentiable extends Error {}

/** Every rule of the op table, by opcode. */
export function opRules(): ReadonlyMap<string, OpRule<unknown>> {
  return ops.registeredOps();
}

function ruleOf(opcode: string): OpRule<unknown> {
  const r = opRules().get(opcode);
  if (!r) throw new Error(`internal: no op rule for ${opcode}`);
  return r;
}

/** Emits one instruction like `instr` (same opcode, attributes, shape) on new operands. */
export function reemit(b: ComputationBuilder, instr: HloInstruction, operands: number[]): number {
  const rule = ruleOf(instr.opcode);
  // The attributes as emitted the first time (with the module's operand precision, if any).
  const same: OpRule<void> = { ...rule, shape: () => instr.shape, attributes: () => instr.attributes, precisionConfig: false };
  return b.emit(same, operands, undefined);
}

/**
 * Re-emits `forward` into `b`: its parameters are the ids `inputs` maps them to, every other
 * instruction is emitted again on mapped operands. Returns the forward id -> `b` id map.
 */
export function replay(b: ComputationBuilder, forward: HloComputation, inputs: Map<number, number>): Map<number, number> {
  const values = new Map<number, number>();
  for (const instr of forward.instructions) {
    if (instr.opcode === "parameter") {
      const v = inputs.get(instr.id);
      if (v === undefined) throw new Error(`internal: parameter ${instr.name} of a traced function has no value`);
      values.set(instr.id, v);
      continue;
    }
    values.set(instr.id, reemit(b, instr, instr.operands.map((o) => values.get(o)!)));
  }
  return values;
}

/** Whether a value of this shape can carry a derivative (a float array, or a tuple holding one). */
export function differentiable(shape: Shape): boolean {
  if (shape.kind === "array") return isFloatType(shape.element);
  if (shape.kind === "tuple") return shape.elements.some(differentiable);
  return false;
}

function isZero(ct: Cotangent): boolean {
  return ct === null || (Array.isArray(ct) && ct.every(isZero));
}

function accumulate(b: ComputationBuilder, x: Cotangent, y: Cotangent): Cotangent {
  if (isZero(x)) return y;
  if (isZero(y)) return x;
  if (typeof x === "number" && typeof y === "number") return b.emit(ops.add, [x, y], undefined);
  if (Array.isArray(x) && Array.isArray(y)) return x.map((e, i) => accumulate(b, e, y[i] ?? null));
  throw new Error("internal: cotangents of different structure");
}

/**
 * The cotangents of `wrt` (parameters of `forward`) given the cotangent `seed` of its root,
 * emitted into `b`; `values` maps forward ids to their values in `b` (from `replay`).
 */
export function backward(b: ComputationBuilder, forward: HloComputation, values: Map<number, number>, wrt: number[], seed: Cotangent): Cotangent[] {
  // Active: depends on an input through differentiable ops.
  const active = new Set<number>(wrt);
  for (const instr of forward.instructions) {
    if (active.has(instr.id)) continue;
    const rule = ruleOf(instr.opcode);
    if (rule.vjp !== "none" && differentiable(instr.shape) && instr.operands.some((o) => active.has(o))) active.add(instr.id);
  }
  const cts = new Map<number, Cotangent>([[forward.rootId, seed]]);
  const computations = new Map(b.module.computations.map((c) => [c.id, c]));
  const ctx = (instr: HloInstruction): VjpContext => ({
    instruction: instr,
    operands: instr.operands.map((o) => values.get(o)!),
    result: values.get(instr.id)!,
    emit: (rule, operands, params) => b.emit(rule, operands, params),
    shapeOf: (id) => b.shapeOf(id),
    calledRoot: (id) => {
      const comp = computations.get(id) ?? b.module.computations.find((c) => c.id === id);
      const root = comp?.instructions.find((i) => i.id === comp.rootId);
      if (!root) throw new Error(`internal: computation ${id} is not in the module`);
      return root.opcode;
    },
    reducer: (rule, element) => b.module.reducer(rule, element),
  });
  for (let i = forward.instructions.length - 1; i >= 0; i--) {
    const instr = forward.instructions[i]!;
    if (!active.has(instr.id) || instr.opcode === "parameter") continue;
    const ct = cts.get(instr.id) ?? null;
    if (isZero(ct)) continue;
    const rule = ruleOf(instr.opcode);
    if (rule.vjp === "none") continue;
    if (typeof rule.vjp !== "function") throw new NotDifferentiable(`${instr.opcode}: ${rule.vjp.unsupported}`);
    let operandCts: Cotangent[];
    try {
      operandCts = rule.vjp(ctx(instr), ct);
    } catch (e) {
      if (e instanceof ops.ShapeRuleError) throw new NotDifferentiable(e.message);
      throw e;
    }
    instr.operands.forEach((o, k) => {
      if (!active.has(o)) return;
      const c = operandCts[k] ?? null;
      if (isZero(c)) return;
      cts.set(o, accumulate(b, cts.get(o) ?? null, c));
    });
  }
  return wrt.map((w) => cts.get(w) ?? null);
}
