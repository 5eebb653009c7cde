// Building HLO modules by hand as plain compiler/hlo/ir.ts data, for the tests of the proto
// encoder and the text printer (which feed the same kind of modules to XLA).

import type { ArrayShape, HloComputation, HloInstruction, HloModule, InstructionAttributes, PrimitiveType, Shape, SourceMetadata } from "../../compiler/hlo/ir.js";
import { arrayShape } from "../../compiler/hlo/ir.js";

export type Emit = (opcode: string, shape: Shape, operands?: number[], attributes?: InstructionAttributes, metadata?: SourceMetadata) => number;
export type Computation = (name: string, body: (emit: Emit) => number) => HloComputation;

/** Builds an HloModule; ids are unique across the module, as XLA wants. `build` returns the entry computation. */
export function hloModule(name: string, build: (computation: Computation) => HloComputation): HloModule {
  let nextId = 1;
  const computations: HloComputation[] = [];
  const computation: Computation = (cname, body) => {
    const id = nextId++;
    const instructions: HloInstruction[] = [];
    const emit: Emit = (opcode, shape, operands = [], attributes = {}, metadata) => {
      const iid = nextId++;
      instructions.push({ id: iid, name: `${opcode}.${iid}`, opcode, shape, operands, attributes, ...(metadata ? { metadata } : {}) });
      return iid;
    };
    const rootId = body(emit);
    const c: HloComputation = { id, name: `${cname}.${id}`, instructions, rootId };
    computations.push(c);
    return c;
  };
  const entry = build(computation);
  return { name, computations, entryComputationId: entry.id };
}

export const f32 = (...dims: number[]): ArrayShape => arrayShape("f32", dims);
export const scalar = (t: PrimitiveType): ArrayShape => arrayShape(t, []);

/** A computation `(a, b) -> opcode(a, b)` over scalars of `t` (a reduction's or a scatter's combiner). */
export function binaryComputation(computation: Computation, opcode: string, t: PrimitiveType): HloComputation {
  return computation(`${opcode}_${t}`, (e) => {
    const a = e("parameter", scalar(t), [], { parameterNumber: 0 });
    const b = e("parameter", scalar(t), [], { parameterNumber: 1 });
    return e(opcode, scalar(t), [a, b]);
  });
}

/** `n` numbers `offset, offset + scale, ...`: test data. */
export const iota = (n: number, scale = 1, offset = 0): number[] => Array.from({ length: n }, (_, i) => offset + scale * i);
