// The generic VJP checker: walks every rule of the op table (compiler/hlo/ops.ts) and checks its
// vector-Jacobian product against central finite differences in Float64 on XLA's CPU client. A
// rule without an example here fails, so no op can skip the check. For each example f with float
// inputs x, random cotangent w and direction v: <VJP(w), v> must equal
// (<w, f(x + hv)> - <w, f(x - hv)>) / 2h. The VJP is built by the autodiff driver itself (replay +
// backward), so the driver's accumulation and tuple handling are checked with every rule.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ComputationBuilder, HloModuleBuilder } from "../../compiler/hlo/builder.js";
import type { ArrayShape, Literal, PrimitiveType, Shape, WindowDimension } from "../../compiler/hlo/ir.js";
import { arrayShape } from "../../compiler/hlo/ir.js";
import * as ops from "../../compiler/hlo/ops.js";
import { encodeHloModule } from "../../compiler/hlo/encode.js";
import { backward, differentiable, opRules, replay } from "../../compiler/autodiff/reverse.js";
import { unrollLoops } from "../../compiler/autodiff/unroll.js";
import { base64, runPython } from "../support/jax.js";

type Values = "normal" | "positive" | "small";

interface Example {
  name: string;
  /** Float64 inputs (XLA dims) and how to draw them. */
  inputs: { dims: number[]; values?: Values; element?: PrimitiveType }[];
  /** Builds the function from the inputs' ids (in a scratch computation). */
  build: (b: ComputationBuilder, xs: number[]) => number;
  h?: number;
  tol?: number;
}

const f64 = (...dims: number[]) => arrayShape("f64", dims);
const lit = (element: PrimitiveType, dims: number[], values: number[]): Literal => ({ shape: arrayShape(element, dims), values: element === "pred" ? values.map(Boolean) : element === "s64" ? values.map((v) => BigInt(v)) : values } as Literal);
const w = (size: number, o: Partial<WindowDimension> = {}): WindowDimension => ({ size, stride: 1, paddingLow: 0, paddingHigh: 0, windowDilation: 1, baseDilation: 1, windowReversal: false, ...o });
const unary = (rule: ops.OpRule<void>, values: Values = "normal"): Example => ({ name: rule.opcode, inputs: [{ dims: [3, 4], values }], build: (b, [x]) => b.emit(rule, [x!], undefined) });
const binary = (rule: ops.OpRule<void>, a: Values = "normal", c: Values = "normal"): Example => ({ name: rule.opcode, inputs: [{ dims: [3, 4], values: a }, { dims: [3, 4], values: c }], build: (b, [x, y]) => b.emit(rule, [x!, y!], undefined) });
/** NCHW input, OIHW kernel: XLA dimension numbers of the Julia (W, H, C, N) layout the lowering uses. */
const nchw = { inputBatchDimension: 0, inputFeatureDimension: 1, inputSpatialDimensions: [2, 3], kernelOutputFeatureDimension: 0, kernelInputFeatureDimension: 1, kernelSpatialDimensions: [2, 3], outputBatchDimension: 0, outputFeatureDimension: 1, outputSpatialDimensions: [2, 3] };
const conv = (name: string, x: number[], k: number[], window: WindowDimension[], featureGroupCount = 1, batchGroupCount = 1): Example => ({
  name,
  inputs: [{ dims: x }, { dims: k }],
  build: (b, [a, c]) => b.emit(ops.convolution, [a!, c!], { window, dimensionNumbers: nchw, featureGroupCount, batchGroupCount }),
});

const EXAMPLES: Example[] = [
  binary(ops.add), binary(ops.subtract), binary(ops.multiply), binary(ops.divide, "normal", "positive"), binary(ops.remainder, "normal", "positive"),
  binary(ops.power, "positive"), binary(ops.maximum), binary(ops.minimum), binary(ops.atan2),
  unary(ops.negate), unary(ops.abs), unary(ops.sign), unary(ops.exp), unary(ops.expm1), unary(ops.log, "positive"), unary(ops.log1p, "positive"),
  unary(ops.sqrt, "positive"), unary(ops.rsqrt, "positive"), unary(ops.cbrt, "positive"), unary(ops.tanh), unary(ops.logistic), unary(ops.sin), unary(ops.cos),
  unary(ops.tan, "small"), unary(ops.floor), unary(ops.ceil), unary(ops.roundNearestEven),
  { name: "select", inputs: [{ dims: [2, 3] }, { dims: [2, 3] }], build: (b, [x, y]) => b.emit(ops.select, [b.constant(lit("pred", [2, 3], [1, 0, 0, 1, 1, 0])), x!, y!], undefined) },
  { name: "clamp (array bounds)", inputs: [{ dims: [2, 3] }, { dims: [2, 3] }, { dims: [2, 3] }], build: (b, [lo, x, hi]) => b.emit(ops.clamp, [lo!, b.emit(ops.multiply, [x!, b.constant(lit("f64", [2, 3], [3, 3, 3, 3, 3, 3]))], undefined), b.emit(ops.add, [hi!, b.constant(lit("f64", [2, 3], [4, 4, 4, 4, 4, 4]))], undefined)], undefined) },
  { name: "clamp (scalar bounds)", inputs: [{ dims: [] }, { dims: [4, 3] }, { dims: [] }], build: (b, [lo, x, hi]) => b.emit(ops.clamp, [b.emit(ops.subtract, [lo!, b.scalarConstant("f64", 0.5)], undefined), x!, b.emit(ops.add, [hi!, b.scalarConstant("f64", 0.5)], undefined)], undefined) },
  { name: "convert", inputs: [{ dims: [3] }], build: (b, [x]) => b.emit(ops.convert, [b.emit(ops.convert, [x!], { element: "f32" })], { element: "f64" }), h: 1e-2, tol: 1e-5 },
  { name: "tuple", inputs: [{ dims: [2] }, { dims: [3] }], build: (b, [x, y]) => b.emit(ops.tuple, [x!, y!], undefined) },
  { name: "get-tuple-element", inputs: [{ dims: [2] }, { dims: [3] }], build: (b, [x, y]) => b.emit(ops.getTupleElement, [b.emit(ops.tuple, [x!, b.emit(ops.sin, [y!], undefined)], undefined)], { index: 1 }) },
  { name: "broadcast (new and stretched dimensions)", inputs: [{ dims: [3, 1] }], build: (b, [x]) => b.emit(ops.broadcast, [x!], { dims: [2, 3, 4], dimensions: [1, 2] }) },
  { name: "reshape", inputs: [{ dims: [3, 4] }], build: (b, [x]) => b.emit(ops.reshape, [x!], { dims: [2, 6] }) },
  { name: "transpose", inputs: [{ dims: [2, 3, 4] }], build: (b, [x]) => b.emit(ops.transpose, [x!], { permutation: [2, 0, 1] }) },
  { name: "reverse", inputs: [{ dims: [2, 3] }], build: (b, [x]) => b.emit(ops.reverse, [x!], { dimensions: [1] }) },
  { name: "slice (strided)", inputs: [{ dims: [7, 5] }], build: (b, [x]) => b.emit(ops.slice, [x!], { start: [1, 0], limit: [7, 4], stride: [2, 3] }) },
  { name: "concatenate", inputs: [{ dims: [2, 3] }, { dims: [2, 1] }], build: (b, [x, y]) => b.emit(ops.concatenate, [x!, y!, x!], { dimension: 1 }) },
  { name: "pad (edge, negative and interior)", inputs: [{ dims: [4, 3] }, { dims: [] }], build: (b, [x, v]) => b.emit(ops.pad, [x!, v!], { low: [2, -1], high: [-1, 1], interior: [1, 2] }) },
  { name: "dot (matrix product)", inputs: [{ dims: [3, 4] }, { dims: [4, 5] }], build: (b, [x, y]) => b.emit(ops.dot, [x!, y!], { lhsContractingDimensions: [1], rhsContractingDimensions: [0], lhsBatchDimensions: [], rhsBatchDimensions: [] }) },
  { name: "dot (batched, contracting out of order)", inputs: [{ dims: [2, 3, 4, 5] }, { dims: [2, 5, 6, 3] }], build: (b, [x, y]) => b.emit(ops.dot, [x!, y!], { lhsContractingDimensions: [3, 1], rhsContractingDimensions: [1, 3], lhsBatchDimensions: [0], rhsBatchDimensions: [0] }) },
  { name: "reduce (sum)", inputs: [{ dims: [3, 4, 2] }], build: (b, [x]) => b.emit(ops.reduce, [x!, b.scalarConstant("f64", 0)], { dimensions: [0, 2], reducer: b.module.reducer(ops.add, "f64") }) },
  { name: "reduce (max)", inputs: [{ dims: [3, 4] }], build: (b, [x]) => b.emit(ops.reduce, [x!, b.scalarConstant("f64", -Infinity)], { dimensions: [1], reducer: b.module.reducer(ops.maximum, "f64") }) },
  { name: "reduce (min)", inputs: [{ dims: [3, 4] }], build: (b, [x]) => b.emit(ops.reduce, [x!, b.scalarConstant("f64", Infinity)], { dimensions: [0], reducer: b.module.reducer(ops.minimum, "f64") }) },
  { name: "reduce (product)", inputs: [{ dims: [3, 4] }], build: (b, [x]) => b.emit(ops.reduce, [x!, b.scalarConstant("f64", 1)], { dimensions: [1], reducer: b.module.reducer(ops.multiply, "f64") }) },
  { name: "reduce-window (sum, strided, padded, dilated)", inputs: [{ dims: [2, 7, 6] }], build: (b, [x]) => b.emit(ops.reduceWindow, [x!, b.scalarConstant("f64", 0)], { window: [w(1), w(3, { stride: 2, paddingLow: 1, paddingHigh: 1 }), w(2, { windowDilation: 2 })], reducer: b.module.reducer(ops.add, "f64") }) },
  { name: "reduce-window (max pooling, overlapping, padded)", inputs: [{ dims: [2, 7, 6] }], build: (b, [x]) => b.emit(ops.reduceWindow, [x!, b.scalarConstant("f64", -Infinity)], { window: [w(1), w(3, { stride: 2, paddingLow: 1, paddingHigh: 1 }), w(2, { stride: 2 })], reducer: b.module.reducer(ops.maximum, "f64") }) },
  { name: "reduce-window (min, dilated)", inputs: [{ dims: [6, 5] }], build: (b, [x]) => b.emit(ops.reduceWindow, [x!, b.scalarConstant("f64", Infinity)], { window: [w(2, { windowDilation: 2 }), w(2)], reducer: b.module.reducer(ops.minimum, "f64") }) },
  conv("convolution", [2, 3, 6, 5], [4, 3, 3, 2], [w(3), w(2)]),
  conv("convolution (stride, padding, dilation)", [2, 3, 9, 8], [4, 3, 3, 2], [w(3, { stride: 2, paddingLow: 1, paddingHigh: 2 }), w(2, { windowDilation: 2, paddingLow: 1, stride: 3 })]),
  conv("convolution (feature groups)", [2, 4, 6, 5], [6, 2, 3, 3], [w(3, { paddingLow: 1, paddingHigh: 1 }), w(3, { stride: 2 })], 2),
  conv("convolution (batch groups)", [4, 3, 5, 5], [4, 3, 2, 2], [w(2), w(2, { stride: 2 })], 1, 2),
  conv("convolution (base dilation)", [2, 3, 4, 4], [2, 3, 3, 3], [w(3, { baseDilation: 2, paddingLow: 2, paddingHigh: 2 }), w(3, { baseDilation: 2, stride: 2 })]),
  { name: "gather", inputs: [{ dims: [5, 3] }], build: (b, [x]) => b.emit(ops.gather, [x!, b.constant(lit("s64", [4, 1], [0, 2, 0, 4]))], { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0], indexVectorDim: 1, sliceSizes: [1, 3], indicesAreSorted: false }) },
  { name: "scatter (add)", inputs: [{ dims: [5, 3] }, { dims: [4, 3] }], build: (b, [x, u]) => b.emit(ops.scatter, [x!, b.constant(lit("s64", [4, 1], [0, 2, 0, 4])), u!], { dimensionNumbers: { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0], indexVectorDim: 1 }, updater: b.module.reducer(ops.add, "f64"), indicesAreSorted: false, uniqueIndices: false }) },
  // Starts (3, 2) of a 2x3 window in 5x4: the second is clamped to 1, as XLA clamps.
  { name: "dynamic-slice (one start clamped)", inputs: [{ dims: [5, 4] }], build: (b, [x]) => b.emit(ops.dynamicSlice, [x!, b.scalarConstant("s32", 3), b.scalarConstant("s32", 2)], { sizes: [2, 3] }) },
  { name: "dynamic-update-slice (one start clamped)", inputs: [{ dims: [5, 4] }, { dims: [2, 3] }], build: (b, [x, u]) => b.emit(ops.dynamicUpdateSlice, [x!, u!, b.scalarConstant("s32", 3), b.scalarConstant("s32", 2)], undefined) },
  { name: "custom-call (a Sharding constraint, dropped on one device)", inputs: [{ dims: [3, 4] }], build: (b, [x]) => b.emit(ops.sin, [b.emit(ops.shardingConstraint, [x!], { sharding: { kind: "replicated" } })], undefined) },
  { name: "while (known trip count, unrolled)", inputs: [{ dims: [3] }, { dims: [3] }], build: (b, [x, y]) => countedLoop(b, x!, y!) },
];

/** for i in 1:5: x = sin(x) * y + x; as an HLO while over (i, x, y). */
function countedLoop(b: ComputationBuilder, x: number, y: number): number {
  const m = b.module;
  const state = { kind: "tuple", elements: [arrayShape("s64", []), f64(3), f64(3)] } as Shape;
  const cond = m.computation("cond");
  const cp = cond.parameter(0, state);
  const ci = cond.emit(ops.getTupleElement, [cp], { index: 0 });
  const condComp = cond.finish(cond.emit(ops.compare, [ci, cond.scalarConstant("s64", 5n)], { direction: "LE", type: "SIGNED" }));
  const body = m.computation("body");
  const bp = body.parameter(0, state);
  const [bi, bx, by] = [0, 1, 2].map((index) => body.emit(ops.getTupleElement, [bp], { index })) as [number, number, number];
  const nx = body.emit(ops.add, [body.emit(ops.multiply, [body.emit(ops.sin, [bx], undefined), by], undefined), bx], undefined);
  const bodyComp = body.finish(body.emit(ops.tuple, [body.emit(ops.add, [bi, body.scalarConstant("s64", 1n)], undefined), nx, by], undefined));
  m.add(condComp);
  m.add(bodyComp);
  const loop = b.emit(ops.whileLoop, [b.emit(ops.tuple, [b.scalarConstant("s64", 1n), x, y], undefined)], { condition: condComp.id, body: bodyComp.id });
  return b.emit(ops.getTupleElement, [loop], { index: 1 });
}

/** Ops whose VJP is "none", with an example showing no float cotangent can flow through them. */
const NON_DIFFERENTIABLE: Record<string, (b: ComputationBuilder) => number> = {
  "is-finite": (b) => b.emit(ops.isFinite, [b.parameter(0, f64(3))], undefined),
  compare: (b) => b.emit(ops.compare, [b.parameter(0, f64(3)), b.parameter(1, f64(3))], { direction: "LT", type: "FLOAT" }),
  and: (b) => b.emit(ops.and, [b.parameter(0, arrayShape("pred", [2])), b.parameter(1, arrayShape("pred", [2]))], undefined),
  or: (b) => b.emit(ops.or, [b.parameter(0, arrayShape("pred", [2])), b.parameter(1, arrayShape("pred", [2]))], undefined),
  xor: (b) => b.emit(ops.xor, [b.parameter(0, arrayShape("s32", [2])), b.parameter(1, arrayShape("s32", [2]))], undefined),
  not: (b) => b.emit(ops.not, [b.parameter(0, arrayShape("pred", [2]))], undefined),
  "shift-left": (b) => b.emit(ops.shiftLeft, [b.parameter(0, arrayShape("u32", [2])), b.parameter(1, arrayShape("u32", [2]))], undefined),
  "shift-right-arithmetic": (b) => b.emit(ops.shiftRightArithmetic, [b.parameter(0, arrayShape("s32", [2])), b.parameter(1, arrayShape("s32", [2]))], undefined),
  "shift-right-logical": (b) => b.emit(ops.shiftRightLogical, [b.parameter(0, arrayShape("u32", [2])), b.parameter(1, arrayShape("u32", [2]))], undefined),
  "bitcast-convert": (b) => b.emit(ops.bitcastConvert, [b.parameter(0, arrayShape("u64", [2]))], { element: "f64" }),
  "rng-bit-generator": (b) => b.emit(ops.rngBitGenerator, [b.parameter(0, arrayShape("u64", [2]))], { algorithm: 1, shape: arrayShape("u32", [4]) }),
  iota: (b) => b.emit(ops.iota, [], { shape: f64(3), dimension: 0 }),
  constant: (b) => b.scalarConstant("f64", 1),
  parameter: (b) => b.parameter(0, f64(3)),
};

/** Rules without a VJP, each with its reason stated in the rule; nothing else may be here. */
const UNSUPPORTED = new Set(["while", "conditional", "call"]);

const opcodesUsed = (ex: Example): Set<string> => {
  const m = new HloModuleBuilder("probe");
  const b = m.computation("probe");
  const xs = ex.inputs.map((s, i) => b.parameter(i, arrayShape(s.element ?? "f64", s.dims)));
  const root = ex.build(b, xs);
  const used = new Set(b.finish(root).instructions.map((i) => i.opcode));
  for (const c of m.computations) for (const i of c.instructions) used.add(i.opcode);
  return used;
};

const test = suite("VJP rules against finite differences");

test("every rule of the op table has a VJP and an example in this checker", () => {
  const covered = new Set<string>([...EXAMPLES.flatMap((e) => [...opcodesUsed(e)]), ...Object.keys(NON_DIFFERENTIABLE)]);
  const missing: string[] = [];
  for (const [opcode, rule] of opRules()) {
    if (rule.vjp === undefined) missing.push(`${opcode}: no vjp field`);
    else if (typeof rule.vjp === "object" && !UNSUPPORTED.has(opcode)) missing.push(`${opcode}: unsupported (${rule.vjp.unsupported})`);
    else if (!covered.has(opcode) && !UNSUPPORTED.has(opcode)) missing.push(`${opcode}: no example in the checker`);
    if (rule.vjp === "none" && !(opcode in NON_DIFFERENTIABLE)) missing.push(`${opcode}: "none" without a non-differentiability example`);
  }
  assert.equal(missing, []);
});

test("a VJP of \"none\" is only declared where no float operand reaches a float result", () => {
  for (const [opcode, build] of Object.entries(NON_DIFFERENTIABLE)) {
    const m = new HloModuleBuilder("probe");
    const b = m.computation("probe");
    const root = build(b);
    const comp = b.finish(root);
    const instr = comp.instructions.find((i) => i.id === root)!;
    assert.is(instr.opcode, opcode);
    const floatOperand = instr.operands.some((o) => differentiable(comp.instructions.find((i) => i.id === o)!.shape));
    assert.ok(!(floatOperand && differentiable(instr.shape)), `${opcode} passes a float operand to a float result`);
  }
});

const SCRIPT = `
results = []
for case in INPUT:
    rng = np.random.default_rng(7)
    def draw(spec):
        shape = tuple(spec["dims"])
        if spec["values"] == "positive":
            return rng.random(shape) + 0.5
        if spec["values"] == "small":
            return 0.3 * rng.standard_normal(shape)
        return rng.standard_normal(shape)
    xs = [draw(s) for s in case["inputs"]]
    ws = [rng.standard_normal(tuple(d)) for d in case["outputs"]]
    vs = [rng.standard_normal(x.shape) for x in xs]
    n = len(ws)
    proto = b64(case["module"])
    run = lambda inputs: run_hlo_proto(proto, [np.asarray(a, dtype=np.float64) for a in inputs] + ws)
    outs = run(xs)
    analytic = sum(float(np.sum(g * v)) for g, v in zip(outs[n:], vs))
    h = case["h"]
    plus = run([x + h * v for x, v in zip(xs, vs)])[:n]
    minus = run([x - h * v for x, v in zip(xs, vs)])[:n]
    fd = sum(float(np.sum(wi * (p - m))) for wi, p, m in zip(ws, plus, minus)) / (2 * h)
    results.append({"name": case["name"], "analytic": analytic, "fd": fd})
emit(results)
`;

test("each VJP matches central finite differences in Float64", async () => {
  const cases = EXAMPLES.map((ex) => {
    const m = new HloModuleBuilder("vjp_check");
    const inner = m.computation("forward");
    const xs = ex.inputs.map((s, i) => inner.parameter(i, arrayShape(s.element ?? "f64", s.dims)));
    const forward = unrollLoops(inner.finish(ex.build(inner, xs)), m);
    const entry = m.computation("entry");
    const outer = ex.inputs.map((s, i) => entry.parameter(i, arrayShape(s.element ?? "f64", s.dims)));
    const inputs = new Map(xs.map((x, i) => [x, outer[i]!]));
    const values = replay(entry, forward, inputs);
    const y = values.get(forward.rootId)!;
    const yShape = entry.shapeOf(y);
    const leaves: ArrayShape[] = yShape.kind === "tuple" ? (yShape.elements as ArrayShape[]) : [yShape as ArrayShape];
    const ws = leaves.map((s, i) => entry.parameter(outer.length + i, s));
    const yLeaves = yShape.kind === "tuple" ? leaves.map((_, i) => entry.emit(ops.getTupleElement, [y], { index: i })) : [y];
    const grads = backward(entry, forward, values, xs, yShape.kind === "tuple" ? ws : ws[0]!);
    const gradIds = grads.map((g, i) => (typeof g === "number" ? g : entry.emit(ops.broadcast, [entry.scalarConstant("f64", 0)], { dims: ex.inputs[i]!.dims, dimensions: [] })));
    const module = m.finish(entry.finish(entry.emit(ops.tuple, [...yLeaves, ...gradIds], undefined)));
    return { name: ex.name, module: base64(encodeHloModule(module)), inputs: ex.inputs.map((s) => ({ dims: s.dims, values: s.values ?? "normal" })), outputs: leaves.map((s) => s.dims), h: ex.h ?? 1e-6, tol: ex.tol ?? 1e-6 };
  });
  const results = await runPython<{ name: string; analytic: number; fd: number }[]>(SCRIPT, cases);
  const failures = results.filter((r, i) => !(Math.abs(r.analytic - r.fd) <= cases[i]!.tol * (1 + Math.abs(r.fd))) || !Number.isFinite(r.analytic)).map((r) => `${r.name}: VJP gives ${r.analytic}, finite differences ${r.fd}`);
  assert.equal(failures, []);
});

test.run();
