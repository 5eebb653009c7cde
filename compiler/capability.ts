// What the target platform can compute, checked on every HLO instruction as it is emitted (the
// builder's ModuleOptions.onInstruction): the capability table is the element-type records' `platforms`
// (compiler/eltypes.ts), and the op table says which ops only move data (`movesData`). Nothing
// here names a platform: a TPU rejects Float64 arithmetic because its record says "storage".

import { primitiveInfo, type ElementTypeInfo, type Platform } from "./eltypes.js";
import type { Shape } from "./hlo/ir.js";
import type { OpRule } from "./hlo/ops.js";

/**
 * The element type, among an instruction's operands and result, that `platform` can only store
 * while the instruction computes with it; undefined when the platform can run the instruction.
 * "emulated" types (Int64 on a TPU) are computed correctly, only slower, so they pass.
 */
export function uncomputableType(platform: Platform, rule: OpRule<unknown>, operands: Shape[], result: Shape): ElementTypeInfo | undefined {
  if (rule.movesData) return undefined;
  for (const shape of [result, ...operands]) {
    const found = storageOnly(platform, shape);
    if (found) return found;
  }
  return undefined;
}

function storageOnly(platform: Platform, shape: Shape): ElementTypeInfo | undefined {
  if (shape.kind === "token") return undefined;
  if (shape.kind === "tuple") {
    for (const e of shape.elements) {
      const found = storageOnly(platform, e);
      if (found) return found;
    }
    return undefined;
  }
  const info = primitiveInfo(shape.element);
  return info.platforms[platform] === "storage" ? info : undefined;
}
