// HloModule -> HLO text. For modules covering every attribute kind the printer knows, XLA's own
// text parser (jaxlib 0.10.2) must accept our text, the parsed module must be the module our proto
// describes (XLA prints both the same way), and the two must compute the same outputs, which are
// also checked against NumPy/JAX where an op is new to the tests.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeHloModule } from "../compiler/hlo/encode.js";
import type { ArrayShape, HloModule, PrimitiveType, Shape, WindowDimension } from "../compiler/hlo/ir.js";
import { arrayShape, tupleShape } from "../compiler/hlo/ir.js";
import { binaryComputation, f32, hloModule, iota, scalar } from "./support/hlo-modules.js";
import type { Emit } from "./support/hlo-modules.js";
import { literalText, printHloModule } from "../compiler/hlo/text.js";
import { base64, runPython } from "./support/jax.js";

// ---- building modules by hand -------------------------------------------------------------------

const s32 = (...dims: number[]): ArrayShape => arrayShape("s32", dims);
const window = (size: number, extra: Partial<WindowDimension> = {}): WindowDimension => ({
  size, stride: 1, paddingLow: 0, paddingHigh: 0, windowDilation: 1, baseDilation: 1, windowReversal: false, ...extra,
});
const param = (e: Emit, n: number, shape: Shape) => e("parameter", shape, [], { parameterNumber: n });
const constant = (e: Emit, shape: ArrayShape, values: (number | bigint | boolean)[]) => e("constant", shape, [], { literal: { shape, values: values as number[] } });

interface ArraySpec { dtype: string; shape: number[]; data: (number | boolean | string)[] }
const arr = (dtype: string, shape: number[], data: (number | boolean | string)[]): ArraySpec => ({ dtype, shape, data });

interface Case {
  module: HloModule;
  /** Argument lists to execute with; none: parse and compare only. */
  runs: ArraySpec[][];
  /** Outputs of text and proto must be bit-identical (false for `rng`, which draws fresh numbers). */
  exact?: boolean;
  /** Python: from `xs` set `expected` (a list of arrays), or leave it unset. */
  reference?: string;
}

const cases: Record<string, Case> = {};

cases.elementwise = {
  module: hloModule("elementwise", (computation) =>
    computation("main", (e) => {
      const x = param(e, 0, f32(2, 3));
      const y = param(e, 1, f32(2, 3));
      const c = constant(e, f32(2, 3), [1, 2, 3, 4, 5, 6]);
      const sum = e("add", f32(2, 3), [x, c], {}, { opType: "+", opName: "predict/Dense/σ \"x̄\" \\ done", sourceFile: "models/mlp.jl", sourceLine: 12 });
      const prod = e("multiply", f32(2, 3), [sum, y]);
      const ge = e("compare", arrayShape("pred", [2, 3]), [x, y], { comparisonDirection: "GE", comparisonType: "TOTALORDER" });
      const sel = e("select", f32(2, 3), [ge, prod, x]);
      const wide = e("convert", arrayShape("f64", [2, 3]), [sel], {}, { opType: "Float64" });
      const ex = e("exponential", f32(2, 3), [e("negate", f32(2, 3), [x])]);
      return e("tuple", tupleShape([f32(2, 3), arrayShape("f64", [2, 3]), f32(2, 3)]), [sel, wide, ex]);
    }),
  ),
  runs: [[arr("float32", [2, 3], [-1, 0.5, 2, -3, 4, 1]), arr("float32", [2, 3], [0, 1, 2, 3, -4, 5])]],
  reference: `
x, y = xs
sel = np.where(x >= y, (x + np.arange(1, 7, dtype=np.float32).reshape(2, 3)) * y, x)
expected = [sel, sel.astype(np.float64), np.exp(-x)]`,
};

cases.shapes = {
  module: hloModule("shapes", (computation) =>
    computation("main", (e) => {
      const x = param(e, 0, f32(4, 3));
      const i = param(e, 1, scalar("s32"));
      const v = param(e, 2, f32(3));
      const t = e("transpose", f32(3, 4), [x], { dimensions: [1, 0] });
      const r = e("reshape", f32(2, 6), [t]);
      const strided = e("slice", f32(2, 3), [r], { sliceDimensions: [{ start: 0, limit: 2, stride: 1 }, { start: 1, limit: 6, stride: 2 }] });
      const plain = e("slice", f32(1, 2), [x], { sliceDimensions: [{ start: 3, limit: 4, stride: 1 }, { start: 0, limit: 2, stride: 1 }] });
      const cat = e("concatenate", f32(8, 3), [x, x], { dimensions: [0] });
      const zero = constant(e, scalar("f32"), [0]);
      const padded = e("pad", f32(8, 5), [x, zero], { paddingConfig: [{ edgePaddingLow: 1, edgePaddingHigh: 0, interiorPadding: 1 }, { edgePaddingLow: 0, edgePaddingHigh: 2, interiorPadding: 0 }] });
      const rev = e("reverse", f32(4, 3), [x], { dimensions: [0, 1] });
      const io = e("convert", f32(4, 3), [e("iota", s32(4, 3), [], { dimensions: [1] })]);
      const j = constant(e, scalar("s32"), [1]);
      const ds = e("dynamic-slice", f32(2, 2), [x, i, j], { dynamicSliceSizes: [2, 2] });
      const bv = e("broadcast", f32(4, 3), [v], { dimensions: [1] });
      const shapes = [f32(2, 3), f32(1, 2), f32(8, 3), f32(8, 5), f32(4, 3), f32(4, 3), f32(2, 2)];
      return e("tuple", tupleShape(shapes), [strided, plain, cat, padded, rev, e("add", f32(4, 3), [io, bv]), ds]);
    }),
  ),
  runs: [[arr("float32", [4, 3], iota(12)), arr("int32", [], [1]), arr("float32", [3], [10, 20, 30])]],
  reference: `
x, i, v = xs
padded = np.zeros((8, 5), np.float32); padded[1::2, 0:3] = x
expected = [x.T.reshape(2, 6)[0:2, 1:6:2], x[3:4, 0:2], np.concatenate([x, x]), padded, x[::-1, ::-1],
            np.tile(np.arange(3, dtype=np.float32), (4, 1)) + v, x[int(i):int(i) + 2, 1:3]]`,
};

cases.contractions = {
  module: hloModule("contractions", (computation) => {
    const add = binaryComputation(computation, "add", "f32");
    const max = binaryComputation(computation, "maximum", "f32");
    return computation("main", (e) => {
      const a = param(e, 0, f32(2, 3, 4));
      const b = param(e, 1, f32(2, 4, 5));
      const x = param(e, 2, f32(1, 7, 7, 4));
      const k = param(e, 3, f32(3, 3, 2, 6));
      const dot = e("dot", f32(2, 3, 5), [a, b], { dotDimensionNumbers: { lhsBatchDimensions: [0], lhsContractingDimensions: [2], rhsBatchDimensions: [0], rhsContractingDimensions: [1] }, operandPrecision: [2, 2] });
      const conv = e("convolution", f32(1, 3, 11, 6), [x, k], {
        window: [window(3, { stride: 2, paddingLow: 1, paddingHigh: 1, windowDilation: 2 }), window(3, { baseDilation: 2, windowReversal: true })],
        convolutionDimensionNumbers: {
          inputBatchDimension: 0, inputSpatialDimensions: [1, 2], inputFeatureDimension: 3,
          kernelSpatialDimensions: [0, 1], kernelInputFeatureDimension: 2, kernelOutputFeatureDimension: 3,
          outputBatchDimension: 0, outputSpatialDimensions: [1, 2], outputFeatureDimension: 3,
        },
        featureGroupCount: 2,
        batchGroupCount: 1,
      });
      const zero = constant(e, scalar("f32"), [0]);
      const sum = e("reduce", f32(3), [a, zero], { dimensions: [0, 2], calledComputations: [add.id] });
      const ninf = constant(e, scalar("f32"), [-Infinity]);
      const a2 = e("reshape", f32(4, 6), [a]);
      const pooled = e("reduce-window", f32(2, 2), [a2, ninf], { window: [window(2, { stride: 2 }), window(3, { stride: 3 })], calledComputations: [max.id] });
      return e("tuple", tupleShape([f32(2, 3, 5), f32(1, 3, 11, 6), f32(3), f32(2, 2)]), [dot, conv, sum, pooled]);
    });
  }),
  runs: [[arr("float32", [2, 3, 4], iota(24, 0.5, -6)), arr("float32", [2, 4, 5], iota(40, 0.25, -5)), arr("float32", [1, 7, 7, 4], iota(196, 0.01, -1)), arr("float32", [3, 3, 2, 6], iota(108, 0.02, -1))]],
  reference: `
import jax.numpy as jnp
a, b, x, k = xs
conv = jax.lax.conv_general_dilated(x, jnp.flip(k, axis=1), window_strides=(2, 1), padding=((1, 1), (0, 0)),
    lhs_dilation=(1, 2), rhs_dilation=(2, 1), dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=2,
    precision=jax.lax.Precision.HIGHEST)
expected = [np.einsum("bij,bjk->bik", a, b), np.asarray(conv), a.sum(axis=(0, 2)), a.reshape(4, 6).reshape(2, 2, 2, 3).max(axis=(1, 3))]`,
};

cases.indexing = {
  module: hloModule("indexing", (computation) => {
    const add = binaryComputation(computation, "add", "f32");
    const less = computation("less", (e) => e("compare", scalar("pred"), [param(e, 0, scalar("f32")), param(e, 1, scalar("f32"))], { comparisonDirection: "LT", comparisonType: "FLOAT" }));
    return computation("main", (e) => {
      const x = param(e, 0, f32(5, 3));
      const idx = param(e, 1, s32(2, 1));
      const upd = param(e, 2, f32(2, 3));
      const keys = param(e, 3, f32(6));
      const gathered = e("gather", f32(2, 3), [x, idx], {
        gatherDimensionNumbers: { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0], indexVectorDim: 1 },
        gatherSliceSizes: [1, 3],
        indicesAreSorted: true,
      });
      const scattered = e("scatter", f32(5, 3), [x, idx, upd], {
        scatterDimensionNumbers: { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0], indexVectorDim: 1 },
        indicesAreSorted: true,
        uniqueIndices: true,
        calledComputations: [add.id],
      });
      const sorted = e("sort", f32(6), [keys], { dimensions: [0], isStable: true, calledComputations: [less.id] });
      return e("tuple", tupleShape([f32(2, 3), f32(5, 3), f32(6)]), [gathered, scattered, sorted]);
    });
  }),
  runs: [[arr("float32", [5, 3], iota(15)), arr("int32", [2, 1], [1, 3]), arr("float32", [2, 3], [100, 200, 300, 400, 500, 600]), arr("float32", [6], [3, -1, 2, 8, 0.5, -7])]],
  reference: `
x, idx, upd, keys = xs
s = x.copy(); s[idx[:, 0]] += upd
expected = [x[idx[:, 0]], s, np.sort(keys)]`,
};

cases.control = {
  module: hloModule("control", (computation) => {
    const state = tupleShape([scalar("s32"), f32(2)]);
    const cond = computation("cond", (e) => {
      const i = e("get-tuple-element", scalar("s32"), [param(e, 0, state)], { tupleIndex: 0 });
      return e("compare", scalar("pred"), [i, constant(e, scalar("s32"), [3])], { comparisonDirection: "LT", comparisonType: "SIGNED" });
    });
    const body = computation("body", (e) => {
      const s = param(e, 0, state);
      const i = e("get-tuple-element", scalar("s32"), [s], { tupleIndex: 0 });
      const v = e("get-tuple-element", f32(2), [s], { tupleIndex: 1 });
      return e("tuple", state, [e("add", scalar("s32"), [i, constant(e, scalar("s32"), [1])]), e("multiply", f32(2), [v, v])]);
    });
    const double = computation("double", (e) => {
      const v = param(e, 0, f32(2));
      return e("add", f32(2), [v, v]);
    });
    const negate = computation("negate", (e) => e("negate", f32(2), [param(e, 0, f32(2))]));
    const square = computation("square", (e) => {
      const v = param(e, 0, f32(2));
      return e("multiply", f32(2), [v, v]);
    });
    return computation("main", (e) => {
      const x = param(e, 0, f32(2));
      const c = param(e, 1, scalar("pred"));
      const k = param(e, 2, scalar("s32"));
      const loop = e("while", state, [e("tuple", state, [constant(e, scalar("s32"), [0]), x])], { calledComputations: [cond.id, body.id] });
      const looped = e("get-tuple-element", f32(2), [loop], { tupleIndex: 1 });
      const chosen = e("conditional", f32(2), [c, x, x], { calledComputations: [double.id, negate.id] });
      const indexed = e("conditional", f32(2), [k, x, x, x], { calledComputations: [double.id, negate.id, square.id] });
      const called = e("call", f32(2), [x], { calledComputations: [square.id] });
      return e("tuple", tupleShape([f32(2), f32(2), f32(2), f32(2)]), [looped, chosen, indexed, called]);
    });
  }),
  runs: [
    [arr("float32", [2], [1.5, -2]), arr("bool", [], [true]), arr("int32", [], [2])],
    [arr("float32", [2], [1.5, -2]), arr("bool", [], [false]), arr("int32", [], [1])],
  ],
  reference: `
x, c, k = xs
expected = [x ** 8, 2 * x if c else -x, [2 * x, -x, x * x][int(k)], x * x]`,
};

cases.random = {
  module: hloModule("random", (computation) =>
    computation("main", (e) => {
      const lo = constant(e, scalar("f32"), [2]);
      const hi = constant(e, scalar("f32"), [3]);
      const u = e("rng", f32(3, 2), [lo, hi], { distribution: 1 });
      const key = param(e, 0, arrayShape("u64", [2]));
      const bits = e("rng-bit-generator", tupleShape([arrayShape("u64", [2]), arrayShape("u32", [4])]), [key], { rngAlgorithm: 1 });
      const newKey = e("get-tuple-element", arrayShape("u64", [2]), [bits], { tupleIndex: 0 });
      const drawn = e("get-tuple-element", arrayShape("u32", [4]), [bits], { tupleIndex: 1 });
      return e("tuple", tupleShape([f32(3, 2), arrayShape("u64", [2]), arrayShape("u32", [4])]), [u, newKey, drawn]);
    }),
  ),
  runs: [[arr("uint64", [2], [1, 42])]],
  exact: false,
  reference: "expected = None\nassert_in = lambda outs: bool(((outs[0] >= 2) & (outs[0] < 3)).all())",
};

const literalSpecs: [PrimitiveType, number[], (number | bigint | boolean)[]][] = [
  ["pred", [2, 2], [true, false, false, true]],
  ["s8", [3], [-128, 0, 127]],
  ["u8", [3], [0, 128, 255]],
  ["s16", [2], [-32768, 32767]],
  ["u16", [2], [0, 65535]],
  ["s32", [], [-7]],
  ["u32", [2], [0, 4294967295]],
  ["s64", [2], [-9223372036854775808n, 9007199254740993n]],
  ["u64", [2], [0n, 18446744073709551615n]],
  ["f16", [2, 2], [1 / 3, -65504, 6e-8, -Infinity]],
  ["bf16", [3], [1 / 3, 1e-40, NaN]],
  ["f32", [2, 1, 3], [0.1, -0, 1e-45, 3.4028234663852886e38, Infinity, NaN]],
  ["f64", [3], [0.1, 5e-324, -1.7976931348623157e308]],
  ["f32", [0], []],
  ["f32", [2, 0], []],
];
cases.literals = {
  module: hloModule("literals", (computation) =>
    computation("main", (e) => {
      const shapes = literalSpecs.map(([t, dims]) => arrayShape(t, dims));
      return e("tuple", tupleShape(shapes), literalSpecs.map(([, , values], i) => constant(e, shapes[i]!, values)));
    }),
  ),
  runs: [[]],
};

cases.custom_call = {
  module: hloModule("custom_call", (computation) =>
    computation("main", (e) => e("custom-call", f32(2), [param(e, 0, f32(2))], { customCallTarget: "tpu_build\"target\\x" })),
  ),
  runs: [],
};

// ---- checking them with XLA ---------------------------------------------------------------------

const RUNNER = `
results = {}
for name, case in INPUT["cases"].items():
    r = {"runs": []}
    results[name] = r
    try:
        text_proto = hlo_text_to_proto(case["text"])
    except Exception as e:
        r["parse_error"] = str(e); continue
    proto = b64(case["proto"])
    r["from_text"] = proto_to_text(text_proto)
    r["from_proto"] = proto_to_text(proto)
    for run in case["runs"]:
        xs = [array(spec) for spec in run]
        try:
            by_text, by_proto = run_hlo_proto(text_proto, xs), run_hlo_proto(proto, xs)
        except Exception as e:
            r["runs"].append({"ok": False, "message": "XLA failed: " + str(e)}); continue
        problems = []
        for i, (t, p) in enumerate(zip(by_text, by_proto)):
            same = t.shape == p.shape and t.dtype == p.dtype and (not case["exact"] or t.tobytes() == p.tobytes())
            if not same: problems.append(f"output {i}: text gives {t.dtype}{list(t.shape)} {t.tolist()}, proto {p.dtype}{list(p.shape)} {p.tolist()}")
        scope = {"np": np, "jax": jax, "xs": xs, "expected": None}
        if case["reference"]:
            exec(case["reference"], scope)
        if scope["expected"] is not None:
            for i, (g, want) in enumerate(zip(by_proto, scope["expected"])):
                want = np.asarray(want)
                if g.shape != want.shape or not np.allclose(g, want, rtol=1e-5, atol=1e-5):
                    problems.append(f"output {i}: {g.tolist()} != reference {want.tolist()}")
        if "assert_in" in scope and not scope["assert_in"](by_proto):
            problems.append("outputs out of range")
        r["runs"].append({"ok": not problems, "message": "; ".join(problems)})
emit(results)
`;

interface CaseResult { parse_error?: string; from_text?: string; from_proto?: string; runs: { ok: boolean; message: string }[] }
let results: Promise<Record<string, CaseResult>> | undefined;

function checkAll(): Promise<Record<string, CaseResult>> {
  results ??= runPython<Record<string, CaseResult>>(RUNNER, {
    cases: Object.fromEntries(
      Object.entries(cases).map(([name, c]) => [name, { text: printHloModule(c.module), proto: base64(encodeHloModule(c.module)), runs: c.runs, exact: c.exact ?? true, reference: c.reference ?? "" }]),
    ),
  });
  return results;
}

for (const name of Object.keys(cases)) {
  test(`${name}: XLA parses the text into the module the proto describes${cases[name]!.runs.length ? ", and both compute the same" : ""}`, async () => {
    const r = (await checkAll())[name]!;
    assert.not.ok(r.parse_error, `XLA's parser rejected:\n${printHloModule(cases[name]!.module)}\n${r.parse_error}`);
    assert.fixture(r.from_text!, r.from_proto!);
    r.runs.forEach((run, i) => assert.ok(run.ok, `run ${i}: ${run.message}`));
  });
}

// ---- the text itself -----------------------------------------------------------------------------

test("the header states the entry computation layout", () => {
  const text = printHloModule(cases.indexing!.module);
  assert.is(text.split("\n")[0], "HloModule indexing, entry_computation_layout={(f32[5,3]{1,0}, s32[2,1]{1,0}, f32[2,3]{1,0}, f32[6]{0})->(f32[2,3]{1,0}, f32[5,3]{1,0}, f32[6]{0})}");
  assert.match(text, /\nENTRY %main\.\d+ \(parameter\.\d+: f32\[5,3\], parameter\.\d+: s32\[2,1\], parameter\.\d+: f32\[2,3\], parameter\.\d+: f32\[6\]\) -> \(f32\[2,3\], f32\[5,3\], f32\[6\]\) \{\n/);
  assert.match(text, /\n%add_f32\.1 \(parameter\.2: f32\[\], parameter\.3: f32\[\]\) -> f32\[\] \{\n {2}%parameter\.2 = f32\[\] parameter\(0\)\n/);
  assert.ok(text.indexOf("%add_f32.1") < text.indexOf("ENTRY"), "callees come before the entry");
});

test("instructions print operand shapes, attributes and metadata as XLA does", () => {
  const lines = printHloModule(cases.contractions!.module).split("\n").map((l) => l.trim());
  const line = (opcode: string) => lines.find((l) => l.includes(` ${opcode}(`))!.replace(/\.\d+/g, "");
  assert.is(line("dot"), "%dot = f32[2,3,5]{2,1,0} dot(f32[2,3,4]{2,1,0} %parameter, f32[2,4,5]{2,1,0} %parameter), lhs_batch_dims={0}, lhs_contracting_dims={2}, rhs_batch_dims={0}, rhs_contracting_dims={1}, operand_precision={highest,highest}");
  assert.is(line("convolution"), "%convolution = f32[1,3,11,6]{3,2,1,0} convolution(f32[1,7,7,4]{3,2,1,0} %parameter, f32[3,3,2,6]{3,2,1,0} %parameter), window={size=3x3 stride=2x1 pad=1_1x0_0 lhs_dilate=1x2 rhs_dilate=2x1 rhs_reversal=0x1}, dim_labels=b01f_01io->b01f, feature_group_count=2");
  assert.is(line("reduce"), "%reduce = f32[3]{0} reduce(f32[2,3,4]{2,1,0} %parameter, f32[] %constant), dimensions={0,2}, to_apply=%add_f32");
  assert.is(line("reduce-window"), "%reduce-window = f32[2,2]{1,0} reduce-window(f32[4,6]{1,0} %reshape, f32[] %constant), window={size=2x3 stride=2x3}, to_apply=%maximum_f32");
  const shapes = printHloModule(cases.shapes!.module);
  assert.match(shapes, /slice\(f32\[2,6\]\{1,0\} %reshape\.\d+\), slice=\{\[0:2:1\], \[1:6:2\]\}/);
  assert.match(shapes, /slice\(f32\[4,3\]\{1,0\} %parameter\.\d+\), slice=\{\[3:4\], \[0:2\]\}/);
  assert.match(shapes, /pad\(f32\[4,3\]\{1,0\} %parameter\.\d+, f32\[\] %constant\.\d+\), padding=1_0_1x0_2_0/);
  assert.match(shapes, /iota\(\), iota_dimension=1/);
  assert.match(printHloModule(cases.control!.module), /while\(\(s32\[\], f32\[2\]\{0\}\) %tuple\.\d+\), condition=%cond\.\d+, body=%body\.\d+/);
  assert.match(printHloModule(cases.elementwise!.module), /add\(.*\), metadata=\{op_type="\+" op_name="predict\/Dense\/σ \\"x̄\\" \\\\ done" source_file="models\/mlp.jl" source_line=12\}/);
});

test("literals print in row-major nested braces with exact floats", () => {
  assert.is(literalText({ shape: f32(2, 3), values: [1, 2, 3, 4, 5, 6] }), "{ {1, 2, 3}, {4, 5, 6} }");
  assert.is(literalText({ shape: f32(3), values: [0.1, -0, NaN] }), "{0.1, -0.0, nan}");
  assert.is(literalText({ shape: scalar("f32"), values: [1 / 3] }), "0.33333334");
  assert.is(literalText({ shape: scalar("f64"), values: [1 / 3] }), "0.3333333333333333");
  assert.is(literalText({ shape: scalar("f16"), values: [1 / 3] }), "0.333251953125");
  assert.is(literalText({ shape: arrayShape("s64", [2]), values: [-9223372036854775808n, 5n] }), "{-9223372036854775808, 5}");
  assert.is(literalText({ shape: arrayShape("pred", [2, 1]), values: [true, false] }), "{ {true}, {false} }");
  assert.is(literalText({ shape: f32(2, 0), values: [] }), "{ {}, {} }");
});

test.run();
