// Loops under differentiation. A `while` the lowering emitted for a loop with a trip count known at
// compile time (a `for` over a known range: a counter starting from a constant and stepped by
// constants) is unrolled before the reverse pass: its body is inlined once per iteration, so
// every iteration's forward values are ordinary instructions that the backward pass can read
// (storage, no recomputation) and the op rules' VJPs apply unchanged. The trip count is found by
// running the loop's scalar integer bookkeeping at compile time. A loop whose trip count depends
// on traced values is left alone; differentiating through it is reported as unsupported.

import type { HloModuleBuilder } from "../hlo/builder.js";
import type { HloComputation, HloInstruction } from "../hlo/ir.js";
import { registeredOps } from "../hlo/ops.js";

/** At most this many iterations are unrolled for a derivative. */
export const UNROLL_LIMIT = 1000;

type Known = number | bigint | boolean | Known[] | undefined;

/** `comp` with every while of known trip count unrolled (new instructions; `comp` is unchanged). */
export function unrollLoops(comp: HloComputation, module: HloModuleBuilder): HloComputation {
  if (!comp.instructions.some((i) => i.opcode === "while")) return comp;
  const computations = new Map(module.computations.map((c) => [c.id, c]));
  const out: HloInstruction[] = [];
  const byId = new Map<number, HloInstruction>();
  const alias = new Map<number, number>();
  const mapped = (id: number): number => alias.get(id) ?? id;

  const push = (instr: HloInstruction): number => {
    // get-tuple-element of a tuple we built is that tuple's operand.
    if (instr.opcode === "get-tuple-element") {
      const t = byId.get(instr.operands[0]!);
      if (t?.opcode === "tuple") return t.operands[instr.attributes.tupleIndex!]!;
    }
    out.push(instr);
    byId.set(instr.id, instr);
    return instr.id;
  };

  const copy = (instr: HloInstruction, operands: number[]): number => {
    const id = module.id();
    const made = { ...instr, id, name: `${instr.opcode}.${id}`, operands };
    module.options.onInstruction?.(made, registeredOps().get(made.opcode)!, operands.map((o) => byId.get(o)!.shape));
    return push(made);
  };

  const emitAll = (instrs: HloInstruction[], local: Map<number, number>, original: boolean): void => {
    for (const instr of instrs) {
      const operands = instr.operands.map((o) => local.get(o) ?? mapped(o));
      if (instr.opcode === "while") {
        const result = unroll(instr, operands[0]!);
        if (result !== undefined) {
          local.set(instr.id, result);
          continue;
        }
      }
      if (original && instr.opcode === "parameter") {
        push(instr);
        continue;
      }
      const same = original && operands.every((o, i) => o === instr.operands[i]);
      local.set(instr.id, same ? push(instr) : copy(instr, operands));
    }
  };

  /** Inlines the loop's body once per iteration; undefined when the trip count is not known. */
  const unroll = (loop: HloInstruction, init: number): number | undefined => {
    const [condId, bodyId] = loop.attributes.calledComputations!;
    const cond = computations.get(condId!), body = computations.get(bodyId!);
    if (!cond || !body) return undefined;
    const trips = tripCount(cond, body, knownValue(init, byId));
    if (trips === undefined) return undefined;
    let state = init;
    for (let k = 0; k < trips; k++) {
      const local = new Map<number, number>();
      const param = body.instructions.find((i) => i.opcode === "parameter")!;
      local.set(param.id, state);
      emitAll(body.instructions.filter((i) => i.opcode !== "parameter"), local, false);
      state = local.get(body.rootId)!;
    }
    return state;
  };

  const top = new Map<number, number>();
  emitAll(comp.instructions, top, true);
  for (const [from, to] of top) if (from !== to) alias.set(from, to);
  return { ...comp, instructions: out, rootId: top.get(comp.rootId) ?? comp.rootId };
}

/** The compile-time value of an instruction built from constants and tuples, where there is one. */
function knownValue(id: number, byId: Map<number, HloInstruction>): Known {
  const instr = byId.get(id);
  if (!instr) return undefined;
  if (instr.opcode === "constant" && instr.shape.kind === "array" && instr.shape.dims.length === 0) return instr.attributes.literal!.values[0] as Known;
  if (instr.opcode === "tuple") return instr.operands.map((o) => knownValue(o, byId));
  return undefined;
}

function tripCount(cond: HloComputation, body: HloComputation, init: Known): number | undefined {
  let state = init;
  for (let k = 0; k <= UNROLL_LIMIT; k++) {
    const go = evaluate(cond, state);
    if (typeof go !== "boolean") return undefined;
    if (!go) return k;
    state = evaluate(body, state);
  }
  return undefined;
}

/** Runs a computation on known scalars; anything it cannot compute is undefined. */
function evaluate(comp: HloComputation, param: Known): Known {
  const env = new Map<number, Known>();
  const arith = (a: Known, b: Known, f: (x: number, y: number) => number, g: (x: bigint, y: bigint) => bigint): Known => {
    if (typeof a === "bigint" && typeof b === "bigint") return g(a, b);
    if (typeof a === "number" && typeof b === "number") return f(a, b);
    return undefined;
  };
  for (const instr of comp.instructions) {
    const [a, b] = instr.operands.map((o) => env.get(o));
    let v: Known;
    switch (instr.opcode) {
      case "parameter": v = param; break;
      case "constant": v = instr.shape.kind === "array" && instr.shape.dims.length === 0 ? (instr.attributes.literal!.values[0] as Known) : undefined; break;
      case "get-tuple-element": v = Array.isArray(a) ? a[instr.attributes.tupleIndex!] : undefined; break;
      case "tuple": v = instr.operands.map((o) => env.get(o)); break;
      case "add": v = arith(a, b, (x, y) => x + y, (x, y) => x + y); break;
      case "subtract": v = arith(a, b, (x, y) => x - y, (x, y) => x - y); break;
      case "multiply": v = arith(a, b, (x, y) => x * y, (x, y) => x * y); break;
      case "not": v = typeof a === "boolean" ? !a : undefined; break;
      case "and": v = typeof a === "boolean" && typeof b === "boolean" ? a && b : undefined; break;
      case "or": v = typeof a === "boolean" && typeof b === "boolean" ? a || b : undefined; break;
      case "convert": v = typeof a === "bigint" && instr.shape.kind === "array" && !instr.shape.element.startsWith("s") && !instr.shape.element.startsWith("u") ? Number(a) : typeof a === "number" && instr.shape.kind === "array" && (instr.shape.element === "s64" || instr.shape.element === "u64") ? BigInt(Math.trunc(a)) : a; break;
      case "compare": {
        if ((typeof a !== "number" && typeof a !== "bigint") || (typeof b !== "number" && typeof b !== "bigint")) { v = undefined; break; }
        const d = instr.attributes.comparisonDirection;
        v = d === "LT" ? a < b : d === "LE" ? a <= b : d === "GT" ? a > b : d === "GE" ? a >= b : d === "EQ" ? a === b : a !== b;
        break;
      }
      default: v = undefined;
    }
    env.set(instr.id, v);
  }
  return env.get(comp.rootId);
}
