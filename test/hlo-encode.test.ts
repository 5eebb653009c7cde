// HloModule -> HloModuleProto: hand-built modules are encoded, loaded into jaxlib 0.10.2 and
// executed on CPU, and their outputs compared with NumPy computed in the same Python run. Arrays
// follow DESIGN §3: a Julia array of size (d1, ..., dN) is the XLA shape [dN, ..., d1] with the same
// bytes, so inputs are written as Julia arrays (size + column-major data) and the NumPy references
// are written in Julia terms on `jl(x)` (= x.T, the Julia view of an XLA-order array).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { bf16Bits, bf16Value, decodeHloModule, encodeHloModule, f16Bits, f16Value } from "../compiler/hlo/encode.js";
import type { HloModule, PrimitiveType, WindowDimension } from "../compiler/hlo/ir.js";
import { arrayShape, tupleShape } from "../compiler/hlo/ir.js";
import { binaryComputation, f32, hloModule, iota, scalar } from "./support/hlo-modules.js";
import { base64, runPython } from "./support/jax.js";

// ---- building modules by hand -------------------------------------------------------------------

const window = (size: number, stride = 1, lo = 0, hi = 0, extra: Partial<WindowDimension> = {}): WindowDimension => ({
  size, stride, paddingLow: lo, paddingHigh: hi, windowDilation: 1, baseDilation: 1, windowReversal: false, ...extra,
});

/** A Julia array: its size in Julia order and its elements in column-major order. */
interface ArraySpec { dtype: string; shape: number[]; data: (number | boolean)[] }
function julia(dtype: string, size: number[], data: (number | boolean)[]): ArraySpec {
  return { dtype, shape: [...size].reverse(), data };
}

// ---- the modules ----------------------------------------------------------------------------------

interface Case {
  module: HloModule;
  /** One list of arguments per execution. */
  runs: ArraySpec[][];
  /** Python: from `xs` (XLA-order arrays) set `expected`, a list of XLA-order arrays. */
  reference: string;
}

const cases: Record<string, Case> = {};

// Julia: y = 2 .* (W * x .+ b), W :: 3×4, x :: 4×2, b :: 3. XLA: W [4,3], x [2,4], b [3], y [2,3].
// W * x contracts W's Julia dim 2 (XLA 0) with x's Julia dim 1 (XLA 1): dot(x, W) gives [2,3] directly.
cases.dense = {
  module: hloModule("dense", (computation) =>
    computation("main", (e) => {
      const W = e("parameter", f32(4, 3), [], { parameterNumber: 0 });
      const x = e("parameter", f32(2, 4), [], { parameterNumber: 1 });
      const b = e("parameter", f32(3), [], { parameterNumber: 2 });
      const Wx = e("dot", f32(2, 3), [x, W], { dotDimensionNumbers: { lhsContractingDimensions: [1], rhsContractingDimensions: [0], lhsBatchDimensions: [], rhsBatchDimensions: [] } }, { opType: "*", opName: "dense/*", sourceFile: "models/dense.jl", sourceLine: 3 });
      const bb = e("broadcast", f32(2, 3), [b], { dimensions: [1] });
      const sum = e("add", f32(2, 3), [Wx, bb]);
      const two = e("constant", scalar("f32"), [], { literal: { shape: scalar("f32"), values: [2] } });
      const twos = e("broadcast", f32(2, 3), [two], { dimensions: [] });
      return e("multiply", f32(2, 3), [twos, sum]);
    }),
  ),
  runs: [[julia("float32", [3, 4], iota(12, 0.5, -2)), julia("float32", [4, 2], iota(8, 0.25, -1)), julia("float32", [3], [1, -2, 3])]],
  reference: "W, x, b = (jl(a) for a in xs); expected = [xla(2 * (W @ x + b[:, None]))]",
};

// Julia: relu(x) = ifelse.(x .> 0, x, 0), x :: 3×2.
cases.relu = {
  module: hloModule("relu", (computation) =>
    computation("main", (e) => {
      const x = e("parameter", f32(2, 3), [], { parameterNumber: 0 });
      const zero = e("constant", scalar("f32"), [], { literal: { shape: scalar("f32"), values: [0] } });
      const zeros = e("broadcast", f32(2, 3), [zero], { dimensions: [] });
      const positive = e("compare", arrayShape("pred", [2, 3]), [x, zeros], { comparisonDirection: "GT", comparisonType: "FLOAT" });
      return e("select", f32(2, 3), [positive, x, zeros]);
    }),
  ),
  runs: [[julia("float32", [3, 2], [-1, 2, -3, 4, 0, 6])]],
  reference: "x = jl(xs[0]); expected = [xla(np.where(x > 0, x, 0).astype(np.float32))]",
};

// Julia: sum(x; dims=1) keeps the reduced dimension: 3×2 -> 1×2. XLA: reduce [2,3] over 1 -> [2], reshape -> [2,1].
cases.sum_dims1 = {
  module: hloModule("sum_dims1", (computation) => {
    const add = binaryComputation(computation, "add", "f32");
    return computation("main", (e) => {
      const x = e("parameter", f32(2, 3), [], { parameterNumber: 0 });
      const zero = e("constant", scalar("f32"), [], { literal: { shape: scalar("f32"), values: [0] } });
      const r = e("reduce", f32(2), [x, zero], { dimensions: [1], calledComputations: [add.id] });
      return e("reshape", f32(2, 1), [r]);
    });
  }),
  runs: [[julia("float32", [3, 2], iota(6, 1.5, 1))]],
  reference: "x = jl(xs[0]); expected = [xla(np.sum(x, axis=0, keepdims=True))]",
};

// Julia: (permutedims(x, (2, 1)), vec(x)) with x :: 3×2; a tuple root is two outputs.
cases.transpose_reshape = {
  module: hloModule("transpose_reshape", (computation) =>
    computation("main", (e) => {
      const x = e("parameter", f32(2, 3), [], { parameterNumber: 0 });
      const t = e("transpose", f32(3, 2), [x], { dimensions: [1, 0] });
      const v = e("reshape", f32(6), [x]);
      return e("tuple", tupleShape([f32(3, 2), f32(6)]), [t, v]);
    }),
  ),
  runs: [[julia("float32", [3, 2], iota(6))]],
  reference: "x = jl(xs[0]); expected = [xla(x.T.copy()), xla(x.reshape(-1, order='F'))]",
};

// Julia: x[2:3, 1:2:4] with x :: 3×4 -> 2×2. Julia dim 1 is XLA dim 1, Julia dim 2 is XLA dim 0.
cases.slice = {
  module: hloModule("slice", (computation) =>
    computation("main", (e) => {
      const x = e("parameter", f32(4, 3), [], { parameterNumber: 0 });
      return e("slice", f32(2, 2), [x], { sliceDimensions: [{ start: 0, limit: 4, stride: 2 }, { start: 1, limit: 3, stride: 1 }] });
    }),
  ),
  runs: [[julia("float32", [3, 4], iota(12))]],
  reference: "x = jl(xs[0]); expected = [xla(x[1:3, 0:4:2])]",
};

// Julia (NNlib layout): x :: W×H×C×N = 5×6×2×1, w :: kW×kH×Cin×Cout = 3×3×2×4, stride (1, 2) and
// pad (1, 0), flipped kernel (NNlib's default is a true convolution) via window_reversal.
// XLA: x [1,2,6,5] (b f 0 1 with 0 = H, 1 = W), kernel [4,2,3,3] (o i 0 1), output [1,4,2,5].
cases.conv = {
  module: hloModule("conv", (computation) =>
    computation("main", (e) => {
      const x = e("parameter", f32(1, 2, 6, 5), [], { parameterNumber: 0 });
      const w = e("parameter", f32(4, 2, 3, 3), [], { parameterNumber: 1 });
      return e("convolution", f32(1, 4, 2, 5), [x, w], {
        window: [window(3, 2, 0, 0, { windowReversal: true }), window(3, 1, 1, 1, { windowReversal: true })],
        convolutionDimensionNumbers: {
          inputBatchDimension: 0, inputFeatureDimension: 1, inputSpatialDimensions: [2, 3],
          kernelOutputFeatureDimension: 0, kernelInputFeatureDimension: 1, kernelSpatialDimensions: [2, 3],
          outputBatchDimension: 0, outputFeatureDimension: 1, outputSpatialDimensions: [2, 3],
        },
        featureGroupCount: 1,
        batchGroupCount: 1,
      });
    }),
  ),
  runs: [[julia("float32", [5, 6, 2, 1], iota(60, 0.1, -3)), julia("float32", [3, 3, 2, 4], iota(72, 0.05, -1.8))]],
  reference: `
x, w = jl(xs[0]), jl(xs[1])                         # x[w, h, c, n], w[kw, kh, ci, co]
xp = np.pad(x, ((1, 1), (0, 0), (0, 0), (0, 0)))    # pad W by 1 on both sides
wf = w[::-1, ::-1, :, :]                            # true convolution: flipped kernel
W_out, H_out = (xp.shape[0] - 3) // 1 + 1, (xp.shape[1] - 3) // 2 + 1
y = np.zeros((W_out, H_out, 4, 1), np.float32)
for ow in range(W_out):
    for oh in range(H_out):
        patch = xp[ow:ow + 3, oh * 2:oh * 2 + 3, :, :]  # kw, kh, ci, n
        y[ow, oh, :, :] = np.einsum("abcn,abco->on", patch, wf)
expected = [xla(y)]`,
};

// Julia: i = 0; acc = zeros(3); while i < 5; acc = 2acc + x; i += 1; end; acc
cases.while_loop = {
  module: hloModule("while_loop", (computation) => {
    const state = tupleShape([scalar("s32"), f32(3), f32(3)]);
    const cond = computation("cond", (e) => {
      const s = e("parameter", state, [], { parameterNumber: 0 });
      const i = e("get-tuple-element", scalar("s32"), [s], { tupleIndex: 0 });
      const five = e("constant", scalar("s32"), [], { literal: { shape: scalar("s32"), values: [5] } });
      return e("compare", scalar("pred"), [i, five], { comparisonDirection: "LT", comparisonType: "SIGNED" });
    });
    const body = computation("body", (e) => {
      const s = e("parameter", state, [], { parameterNumber: 0 });
      const i = e("get-tuple-element", scalar("s32"), [s], { tupleIndex: 0 });
      const acc = e("get-tuple-element", f32(3), [s], { tupleIndex: 1 });
      const x = e("get-tuple-element", f32(3), [s], { tupleIndex: 2 });
      const one = e("constant", scalar("s32"), [], { literal: { shape: scalar("s32"), values: [1] } });
      const twice = e("add", f32(3), [acc, acc]);
      return e("tuple", state, [e("add", scalar("s32"), [i, one]), e("add", f32(3), [twice, x]), x]);
    });
    return computation("main", (e) => {
      const x = e("parameter", f32(3), [], { parameterNumber: 0 });
      const zero = e("constant", scalar("s32"), [], { literal: { shape: scalar("s32"), values: [0] } });
      const zeros = e("constant", f32(3), [], { literal: { shape: f32(3), values: [0, 0, 0] } });
      const init = e("tuple", state, [zero, zeros, x]);
      const loop = e("while", state, [init], { calledComputations: [cond.id, body.id] });
      return e("get-tuple-element", f32(3), [loop], { tupleIndex: 1 });
    });
  }),
  runs: [[julia("float32", [3], [1, -0.5, 0.25])]],
  reference: `
x = jl(xs[0]); acc = np.zeros(3, np.float32); i = 0
while i < 5:
    acc = 2 * acc + x; i += 1
expected = [xla(acc)]`,
};

// Julia: c ? 2x : x .+ 1 on a traced Bool -> conditional with branches [true, false].
cases.conditional_pred = {
  module: hloModule("conditional_pred", (computation) => {
    const onTrue = computation("on_true", (e) => {
      const x = e("parameter", f32(2), [], { parameterNumber: 0 });
      return e("add", f32(2), [x, x]);
    });
    const onFalse = computation("on_false", (e) => {
      const x = e("parameter", f32(2), [], { parameterNumber: 0 });
      const one = e("constant", f32(2), [], { literal: { shape: f32(2), values: [1, 1] } });
      return e("add", f32(2), [x, one]);
    });
    return computation("main", (e) => {
      const c = e("parameter", scalar("pred"), [], { parameterNumber: 0 });
      const x = e("parameter", f32(2), [], { parameterNumber: 1 });
      return e("conditional", f32(2), [c, x, x], { calledComputations: [onTrue.id, onFalse.id] });
    });
  }),
  runs: [
    [julia("bool", [], [true]), julia("float32", [2], [3, 4])],
    [julia("bool", [], [false]), julia("float32", [2], [3, 4])],
  ],
  reference: "c, x = jl(xs[0]), jl(xs[1]); expected = [xla(2 * x if c else x + 1)]",
};

// An index conditional (s32 selector, three branches), each branch with its own operand.
cases.conditional_index = {
  module: hloModule("conditional_index", (computation) => {
    const branch = (name: string, opcode: string) =>
      computation(name, (e) => {
        const x = e("parameter", f32(2), [], { parameterNumber: 0 });
        return opcode === "negate" ? e("negate", f32(2), [x]) : e(opcode, f32(2), [x, x]);
      });
    const b0 = branch("b0", "negate"), b1 = branch("b1", "add"), b2 = branch("b2", "multiply");
    return computation("main", (e) => {
      const k = e("parameter", scalar("s32"), [], { parameterNumber: 0 });
      const x = e("parameter", f32(2), [], { parameterNumber: 1 });
      return e("conditional", f32(2), [k, x, x, x], { calledComputations: [b0.id, b1.id, b2.id] });
    });
  }),
  runs: [0, 1, 2].map((k) => [julia("int32", [], [k]), julia("float32", [2], [3, -4])]),
  reference: "k, x = int(xs[0]), xs[1]; expected = [[-x, x + x, x * x][k]]",
};

// Every literal element type, 2-D constants in row-major order, as separate outputs.
const literalValues: [PrimitiveType, string, (number | bigint | boolean)[]][] = [
  ["pred", "bool", [true, false, false, true, true, false]],
  ["s8", "int8", [-128, -1, 0, 1, 2, 127]],
  ["u8", "uint8", [0, 1, 2, 128, 254, 255]],
  ["s16", "int16", [-32768, -2, 0, 3, 300, 32767]],
  ["u16", "uint16", [0, 1, 255, 256, 40000, 65535]],
  ["s32", "int32", [-2147483648, -5, 0, 7, 65536, 2147483647]],
  ["u32", "uint32", [0, 1, 65535, 65536, 3000000000, 4294967295]],
  ["s64", "int64", [-9223372036854775808n, -5n, 0n, 7n, 9007199254740993n, 9223372036854775807n]],
  ["u64", "uint64", [0n, 1n, 4294967296n, 9007199254740993n, 18446744073709551614n, 18446744073709551615n]],
  ["f16", "float16", [0.5, -2, 65504, 6e-8, 1 / 3, Infinity]],
  ["bf16", "bfloat16", [0.5, -2, 3.0e38, 1e-40, 1 / 3, -Infinity]],
  ["f32", "float32", [0.1, -2.5, 3.4e38, 1e-45, 1 / 3, NaN]],
  ["f64", "float64", [0.1, -2.5, 1.7e308, 5e-324, 1 / 3, -Infinity]],
];
cases.literals = {
  module: hloModule("literals", (computation) =>
    computation("main", (e) => {
      const shapes = literalValues.map(([t]) => arrayShape(t, [2, 3]));
      const consts = literalValues.map(([t, , values], i) => e("constant", shapes[i]!, [], { literal: { shape: arrayShape(t, [2, 3]), values: values as number[] } }));
      return e("tuple", tupleShape(shapes), consts);
    }),
  ),
  runs: [[]],
  reference: `
import ml_dtypes
def decode(dtype, v):
    if isinstance(v, str):  # non-finite floats and integers beyond 2^53
        return float(v) if v.lstrip("-") in ("inf", "NaN") else int(v)
    return v
expected = []
for dtype, values in INPUT["literal_values"]:
    dt = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    values = [decode(dtype, v) for v in values]
    expected.append((np.array(values, dtype=np.float64) if "float" in dtype else np.array(values, dtype=dt)).astype(dt).reshape(2, 3))`,
};

// ---- running them ---------------------------------------------------------------------------------

const RUNNER = `
def jl(a): return np.asarray(a).T
def xla(a): return np.asarray(a).T
results = {}
for name, case in INPUT["cases"].items():
    proto = b64(case["proto"])
    out = []
    for run in case["runs"]:
        xs = [array(spec) for spec in run]
        try:
            got = run_hlo_proto(proto, xs)
        except Exception as e:
            out.append({"ok": False, "message": "XLA rejected the module: " + str(e)}); continue
        scope = {"np": np, "xs": xs, "jl": jl, "xla": xla, "INPUT": INPUT}
        exec(case["reference"], scope)
        expected = scope["expected"]
        problems = []
        if len(got) != len(expected):
            problems.append(f"{len(got)} outputs, expected {len(expected)}")
        for i, (g, want) in enumerate(zip(got, expected)):
            want = np.asarray(want)
            if g.shape != want.shape or g.dtype != want.dtype:
                problems.append(f"output {i}: {g.dtype}{list(g.shape)}, expected {want.dtype}{list(want.shape)}")
            elif g.dtype.kind == "f" or str(g.dtype) == "bfloat16":
                if not np.allclose(g.astype(np.float64), want.astype(np.float64), rtol=1e-5, atol=1e-6, equal_nan=True):
                    problems.append(f"output {i}: {g.tolist()} != {want.tolist()}")
            elif not np.array_equal(g, want):
                problems.append(f"output {i}: {g.tolist()} != {want.tolist()}")
        out.append({"ok": not problems, "message": "; ".join(problems)})
    results[name] = out
emit(results)
`;

type RunResult = { ok: boolean; message: string }[];
let results: Record<string, RunResult> | undefined;

async function executeAll(): Promise<Record<string, RunResult>> {
  if (!results) {
    const input = {
      cases: Object.fromEntries(Object.entries(cases).map(([name, c]) => [name, { proto: base64(encodeHloModule(c.module)), runs: c.runs, reference: c.reference }])),
      // Non-finite floats and 64-bit integers do not survive JSON as numbers.
      literal_values: literalValues.map(([, dtype, values]) => [dtype, values.map((v) => (typeof v === "number" && !Number.isFinite(v) ? String(v).replace("Infinity", "inf") : typeof v === "bigint" ? Number.isSafeInteger(Number(v)) ? Number(v) : v.toString() : v))]),
    };
    results = await runPython<Record<string, RunResult>>(RUNNER, input);
  }
  return results;
}

for (const name of Object.keys(cases)) {
  test(`${name}: the encoded module runs in XLA and matches NumPy`, async () => {
    const runs = (await executeAll())[name]!;
    runs.forEach((r, i) => assert.ok(r.ok, `run ${i}: ${r.message}`));
  });
}

// ---- structure of the bytes ---------------------------------------------------------------------

test("instructions keep their ids, names, operand ids and attributes", () => {
  const decoded = decodeHloModule(encodeHloModule(cases.dense!.module));
  const main = decoded.computations[0]!;
  const dot = main.instructions.find((i) => i.opcode === "dot")!;
  const x = main.instructions.find((i) => i.opcode === "parameter" && i.parameterNumber === 1)!;
  const W = main.instructions.find((i) => i.opcode === "parameter" && (i.parameterNumber ?? 0) === 0)!;
  assert.equal(dot.operandIds, [x.id, W.id]);
  assert.equal(dot.name, `dot.${dot.id}`);
  assert.equal(dot.dotDimensionNumbers, { lhsContractingDimensions: [1], rhsContractingDimensions: [0], lhsBatchDimensions: [], rhsBatchDimensions: [] });
  assert.equal(dot.metadata, { opType: "*", opName: "dense/*", sourceFile: "models/dense.jl", sourceLine: 3 });
  const broadcasts = main.instructions.filter((i) => i.opcode === "broadcast");
  assert.equal(broadcasts.map((b) => b.dimensions), [[1], []]);
  assert.is(main.rootId, main.instructions[main.instructions.length - 1]!.id);
});

test("every shape carries a row-major layout", () => {
  const decoded = decodeHloModule(encodeHloModule(cases.conv!.module));
  const shapes = decoded.computations[0]!.instructions.map((i) => i.shape!);
  for (const s of shapes) assert.equal(s.layout?.minorToMajor, [...s.dimensions.keys()].reverse(), `layout of ${s.elementType}[${s.dimensions}]`);
  assert.equal(shapes[0]!.layout!.minorToMajor, [3, 2, 1, 0]);
  const scalarConstant = decodeHloModule(encodeHloModule(cases.relu!.module)).computations[0]!.instructions.find((i) => i.opcode === "constant")!;
  assert.ok(scalarConstant.shape!.layout, "a scalar still has a (empty) layout");
  assert.ok(scalarConstant.literal!.shape!.layout, "literal shapes carry a layout too");
});

test("computations and the module carry program shapes with parameter names", () => {
  const module = cases.dense!.module;
  const decoded = decodeHloModule(encodeHloModule(module));
  const main = decoded.computations[0]!;
  assert.equal(main.programShape!.parameterNames, ["parameter.2", "parameter.3", "parameter.4"]);
  assert.equal(main.programShape!.parameters.map((p) => p.dimensions), [[4, 3], [2, 4], [3]]);
  assert.equal(main.programShape!.result!.dimensions, [2, 3]);
  assert.equal(decoded.hostProgramShape, main.programShape);
  assert.is(decoded.entryComputationId, module.entryComputationId);
  assert.is(decoded.entryComputationName, "main.1");
  assert.is(decoded.name, "dense");
});

test("a tuple shape lists its elements, each with its layout", () => {
  const decoded = decodeHloModule(encodeHloModule(cases.transpose_reshape!.module));
  const root = decoded.computations[0]!.instructions.at(-1)!;
  assert.is(root.shape!.elementType, "TUPLE");
  assert.equal(root.shape!.tupleShapes.map((s) => [s.elementType, s.dimensions, s.layout!.minorToMajor]), [["F32", [3, 2], [1, 0]], ["F32", [6], [0]]]);
});

test("while lists its computations as XLA does: body first, then condition", () => {
  const module = cases.while_loop!.module;
  const [cond, body] = module.computations;
  const decoded = decodeHloModule(encodeHloModule(module));
  const loop = decoded.computations.at(-1)!.instructions.find((i) => i.opcode === "while")!;
  assert.equal(loop.calledComputationIds, [body!.id, cond!.id]);
  const reduce = decodeHloModule(encodeHloModule(cases.sum_dims1!.module)).computations[1]!.instructions.find((i) => i.opcode === "reduce")!;
  assert.equal(reduce.calledComputationIds, [cases.sum_dims1!.module.computations[0]!.id]);
  assert.equal(reduce.dimensions, [1]);
});

test("literals: 16-bit floats are little-endian bytes, 64-bit integers exact", () => {
  const decoded = decodeHloModule(encodeHloModule(cases.literals!.module));
  const byType = new Map(decoded.computations[0]!.instructions.filter((i) => i.opcode === "constant").map((i) => [i.literal!.shape!.elementType!, i.literal!]));
  const f16 = byType.get("F16")!.f16s!;
  assert.equal([...f16.slice(0, 4)], [0x00, 0x38, 0x00, 0xc0]); // 0.5 = 0x3800, -2 = 0xc000
  assert.equal([...byType.get("BF16")!.bf16s!.slice(0, 4)], [0x00, 0x3f, 0x00, 0xc0]); // 0.5 = 0x3f00, -2 = 0xc000
  assert.equal(byType.get("S32")!.s32s, [-2147483648, -5, 0, 7, 65536, 2147483647]);
  assert.equal([...byType.get("S8")!.s8s!], [128, 255, 0, 1, 2, 127]);
  assert.equal(byType.get("PRED")!.preds, [true, false, false, true, true, false]);
});

test("f16 and bf16 rounding is to nearest, ties to even", () => {
  assert.is(f16Bits(1), 0x3c00);
  assert.is(f16Bits(1 + 2 ** -11), 0x3c00); // a tie between 1 and 1+2^-10 goes to the even 1
  assert.is(f16Bits(1 + 3 * 2 ** -11), 0x3c02); // a tie between odd and even goes up to the even
  assert.is(f16Bits(65520), 0x7c00); // halfway past the largest finite rounds to infinity
  assert.is(f16Bits(2 ** -25), 0x0000);
  assert.is(f16Bits(2 ** -24), 0x0001);
  assert.is(f16Bits(-0), 0x8000);
  assert.ok(Number.isNaN(f16Value(f16Bits(NaN))));
  assert.is(f16Value(0x7bff), 65504);
  assert.is(bf16Bits(1 / 3), 0x3eab);
  assert.is(bf16Value(bf16Bits(3.0e38)), (226 / 128) * 2 ** 127); // 3e38 / 2^127 = 1.7633.. -> 226/128
});

test("the same module always encodes to the same bytes", () => {
  for (const c of Object.values(cases)) {
    const a = encodeHloModule(c.module);
    const b = encodeHloModule(structuredClone(c.module));
    assert.equal(Buffer.from(a).toString("hex"), Buffer.from(b).toString("hex"));
  }
  const changed = structuredClone(cases.dense!.module);
  changed.computations[0]!.instructions[0]!.metadata = { sourceLine: 4 };
  assert.is.not(Buffer.from(encodeHloModule(changed)).toString("hex"), Buffer.from(encodeHloModule(cases.dense!.module)).toString("hex"));
});

test.run();
