// The direct HloModuleProto encoder (compiler/hlo/encode.ts over compiler/hlo/wire.ts) writes the
// bytes protobufjs writes for the same message: on a hand-built module with every attribute and
// literal type it emits, and on the examples' compiled modules (which protobufjs must decode and
// encode again to the same bytes). Its callers' modules are unchanged by that, byte for byte.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileEntry } from "../compiler/compile.js";
import { decodeHloModule, encodeHloModule } from "../compiler/hlo/encode.js";
import type { HloModule, Literal, PrimitiveType, WindowDimension } from "../compiler/hlo/ir.js";
import { arrayShape, tupleShape } from "../compiler/hlo/ir.js";
import type { ArgSpec, CompileOptions } from "../plugins/api.js";
import { f32, hloModule, scalar } from "./support/hlo-modules.js";
import { reencode, referenceEncode } from "./support/hlo-proto-reference.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Where two byte strings first differ, for a readable failure. */
function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const a = Buffer.from(actual);
  const b = Buffer.from(expected);
  if (a.equals(b)) return;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  assert.unreachable(`${what}: ${a.length} bytes against protobufjs' ${b.length}, first difference at byte ${i}: ${a.subarray(i, i + 12).toString("hex")} vs ${b.subarray(i, i + 12).toString("hex")}`);
}

const literal = (element: PrimitiveType, values: Literal["values"]): Literal => ({ shape: arrayShape(element, [values.length]), values });

const everyAttribute: HloModule = hloModule("every_attribute", (computation) => {
  const add = computation("add", (e) => e("add", scalar("f32"), [e("parameter", scalar("f32"), [], { parameterNumber: 0 }), e("parameter", scalar("f32"), [], { parameterNumber: 1 })]));
  const cond = computation("cond", (e) => {
    e("parameter", scalar("s32"), [], { parameterNumber: 0 });
    return e("constant", scalar("pred"), [], { literal: { shape: scalar("pred"), values: [false] } });
  });
  const body = computation("body", (e) => e("parameter", scalar("s32"), [], { parameterNumber: 0 }));
  return computation("main", (e) => {
    // A name beyond 127 bytes (a two-byte length) with a non-ASCII character (UTF-8 of its own).
    const x = e("parameter", f32(4, 3), [], { parameterNumber: 0 }, { opName: `θ/${"layer/".repeat(24)}x`, sourceFile: "models/ü.jl", sourceLine: 0 });
    const idx = e("parameter", arrayShape("s32", [2, 1]), [], { parameterNumber: 1 });
    const big = e("parameter", arrayShape("f32", [5_000_000_000]), [], { parameterNumber: 2 });
    const window: WindowDimension[] = [
      { size: 3, stride: 2, paddingLow: -1, paddingHigh: 1, windowDilation: 2, baseDilation: 1, windowReversal: true },
      { size: 1, stride: 1, paddingLow: 0, paddingHigh: 0, windowDilation: 1, baseDilation: 3, windowReversal: false },
    ];
    const constants = [
      literal("pred", [true, false]), literal("s8", [-1, 127, 200]), literal("u8", [255, 0, 256]), literal("s16", [-2, 300, 70000]), literal("u16", [65535, -1]),
      literal("s32", [-5, 2147483647, 0]), literal("u32", [4294967295, 0, -1]), literal("s64", [-1n, 9007199254740993n, -9223372036854775808n, 3n]),
      literal("u64", [18446744073709551615n, 0n, 12n]), literal("f16", [1.5, -0, 65520, Number.NaN]), literal("bf16", [1 / 3, -Infinity]),
      literal("f32", [1.1, -0, Infinity, Number.NaN, 1e-45]), literal("f64", [Math.PI, -1e300, 5e-324]), literal("f32", []), literal("u8", []),
      // 20 000 bytes of values: a three-byte length.
      literal("f32", Array.from({ length: 5000 }, (_, i) => i / 7)),
    ].map((l) => e("constant", l.shape, [], { literal: l }));
    const conv = e("convolution", f32(2, 2), [x, x], {
      window,
      convolutionDimensionNumbers: { inputBatchDimension: 0, inputFeatureDimension: 1, inputSpatialDimensions: [2, 3], kernelInputFeatureDimension: 1, kernelOutputFeatureDimension: 0, kernelSpatialDimensions: [2, 3], outputBatchDimension: 0, outputFeatureDimension: 1, outputSpatialDimensions: [2, 3] },
      featureGroupCount: 1, batchGroupCount: 2, operandPrecision: [2, 2],
    }, { opType: "conv", opName: "main/conv", sourceFile: "m.jl", sourceLine: 12 });
    const dot = e("dot", f32(3, 3), [x, x], { dotDimensionNumbers: { lhsContractingDimensions: [0], rhsContractingDimensions: [0], lhsBatchDimensions: [], rhsBatchDimensions: [] }, operandPrecision: [0, 1] });
    const bcast = e("broadcast", f32(4, 3), [constants[0]!], { dimensions: [] });
    const iota = e("iota", arrayShape("s32", [7]), [], { dimensions: [0] });
    const cmp = e("compare", arrayShape("pred", [4, 3]), [x, bcast], { comparisonDirection: "GE", comparisonType: "TOTALORDER" });
    const slice = e("slice", f32(2, 2), [x], { sliceDimensions: [{ start: 0, limit: 4, stride: 2 }, { start: 1, limit: 3, stride: 1 }] });
    const dyn = e("dynamic-slice", f32(1, 3), [x, iota, iota], { dynamicSliceSizes: [1, 3] });
    const pad = e("pad", f32(6, 3), [x, constants[11]!], { paddingConfig: [{ edgePaddingLow: -1, edgePaddingHigh: 2, interiorPadding: 1 }, { edgePaddingLow: 0, edgePaddingHigh: 0, interiorPadding: 0 }] });
    const gather = e("gather", f32(2, 3), [x, idx], { gatherDimensionNumbers: { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0], indexVectorDim: 1 }, gatherSliceSizes: [1, 3], indicesAreSorted: true });
    const scatter = e("scatter", f32(4, 3), [x, idx, gather], { scatterDimensionNumbers: { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0], indexVectorDim: 1 }, calledComputations: [add.id], indicesAreSorted: false, uniqueIndices: true });
    const reduce = e("reduce", f32(3), [x, constants[11]!], { dimensions: [0], calledComputations: [add.id] });
    const rng = e("rng", f32(4, 3), [constants[11]!, constants[11]!], { distribution: 2 });
    const bits = e("rng-bit-generator", tupleShape([arrayShape("u64", [2]), arrayShape("u32", [4])]), [constants[8]!], { rngAlgorithm: 2 });
    const gte = e("get-tuple-element", arrayShape("u32", [4]), [bits], { tupleIndex: 1 });
    const sort = e("sort", f32(4, 3), [x], { dimensions: [0], isStable: true, calledComputations: [add.id] });
    const loop = e("while", scalar("s32"), [constants[5]!], { calledComputations: [cond.id, body.id] });
    const token = e("after-all", { kind: "token" }, []);
    const custom = e("custom-call", f32(4, 3), [x], { customCallTarget: "Sharding", sharding: { kind: "tiled", tileAssignmentDimensions: [2, 1, 2], tileAssignmentDevices: [0, 2, 1, 3], replicateOnLastTileDim: true } });
    const leaves = [conv, dot, cmp, slice, dyn, pad, scatter, reduce, rng, gte, sort, loop, token, custom, big, ...constants];
    return e("tuple", tupleShape([]), leaves, { sharding: { kind: "tuple", elements: [{ kind: "replicated" }, { kind: "tiled", tileAssignmentDimensions: [4, 1], tileAssignmentDevices: [3, 2, 1, 0], replicateOnLastTileDim: false }] } });
  });
});

test("every attribute and literal type is written as protobufjs writes it", () => {
  sameBytes(encodeHloModule(everyAttribute), referenceEncode(everyAttribute), "every_attribute");
  // And it decodes to what it says: a spot check through protobufjs' decoding.
  const main = decodeHloModule(encodeHloModule(everyAttribute)).computations.at(-1)!;
  const x = main.instructions[0]!;
  assert.is(x.metadata?.opName, `θ/${"layer/".repeat(24)}x`);
  assert.equal(main.instructions.find((i) => i.opcode === "pad")?.paddingConfig?.dimensions[0], { edgePaddingLow: -1, edgePaddingHigh: 2, interiorPadding: 1 });
  // XLA's order: body, then condition.
  const [, cond, body] = everyAttribute.computations;
  assert.equal(main.instructions.find((i) => i.opcode === "while")?.calledComputationIds, [body!.id, cond!.id]);
});

const readSource = (p: string) => {
  try {
    return readFileSync(join(ROOT, p), "utf8");
  } catch {
    return undefined;
  }
};

function compiled(file: string, fn: string, args: ArgSpec[], options: CompileOptions = {}): Uint8Array {
  const r = compileEntry({ entry: fn, file, function: fn, args, readSource, options });
  if (!r.ok) throw new Error(`${file}: ${fn}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.module;
}

const consts = (...values: number[]): ArgSpec[] => values.map((value) => ({ kind: "const", value }));
const array = (...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size } });

test("the examples' modules are in protobufjs' form: decoded and encoded again by it, the same bytes", () => {
  const model = (file: string, fn: string, args: ArgSpec[]): ArgSpec => {
    const r = compileEntry({ entry: fn, file, function: fn, args, readSource });
    if (!r.ok) throw new Error(`${file}: ${fn}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    return { kind: "runtime", type: r.signature.output };
  };
  const mlp = model("examples/mlp.jl", "init_mlp", consts(1, 32));
  const lenet = model("examples/lenet5.jl", "lenet5", consts(7));
  const gpt = model("examples/gpt.jl", "init_gpt", consts(11, 16, 8, 2, 2, 6));
  const modules: [string, Uint8Array][] = [
    ["mlp predict", compiled("examples/mlp.jl", "predict", [mlp, array(16, 32)])],
    ["mlp predict, highest precision", compiled("examples/mlp.jl", "predict", [mlp, array(16, 32)], { matmulPrecision: "highest" })],
    ["lenet classify, tpu", compiled("examples/lenet5.jl", "classify", [lenet, array(28, 28, 1, 8)], { platform: "tpu", float64: "float32" })],
    ["gpt train step", compiled("examples/gpt.jl", "gpt_train_step", [gpt, { kind: "runtime", type: { kind: "array", eltype: "Int64", size: [6, 2] } }, { kind: "runtime", type: { kind: "array", eltype: "Int64", size: [6, 2] } }])],
  ];
  for (const [what, bytes] of modules) sameBytes(bytes, reencode(bytes), what);
});

test.run();
