// .npy files and run-time input values, checked against NumPy (the runtime's Python environment or
// any python3 with numpy; see test/support/python.ts) as the independent reference.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ElementType, Tensor } from "../plugins/api.js";
import { decodeNpy, encodeNpy, readNpy, readNpyHeader, writeNpy } from "../build/npy.js";
import {
  bfloat16Bits,
  bfloat16Value,
  fillTensor,
  float16Bits,
  float16Value,
  materializeValue,
  randomSeed,
  randomTensor,
  SplitMix64,
  tensorFromValues,
  tensorValues,
} from "../build/inputs.js";
import { runPython } from "./support/python.js";

let dir = "";
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "tpu-npy-"));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const py = (code: string, ...args: string[]): unknown => JSON.parse(runPython(`import json, sys, numpy as np\n${code}`, args));

const hasMlDtypes = (() => {
  try {
    return py("import ml_dtypes\nprint(json.dumps(True))") === true;
  } catch {
    return false;
  }
})();

/** Element k of a test array, chosen to be exact in every element type. */
function sampleValue(eltype: ElementType, k: number): number | boolean | bigint {
  switch (eltype) {
    case "Bool": return k % 3 === 0;
    case "Int8": return (k % 200) - 100;
    case "UInt8": return k % 250;
    case "Int16": return k * 37 - 500;
    case "UInt16": return k * 37;
    case "Int32": return k * 100003 - 7;
    case "UInt32": return (k * 100003 + 4000000000) % 4294967296;
    case "Int64": return BigInt(k) * 3000000000000n - 5n;
    case "UInt64": return BigInt(k) * 3000000000000n + 18000000000000000000n;
    default: return (k - 5) * 0.25; // exact in Float16 and BFloat16
  }
}

const ALL: ElementType[] = ["Float16", "BFloat16", "Float32", "Float64", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Bool"];
const SIZES: number[][] = [[], [5], [3, 4], [2, 3, 4]];

const READ_WITH_NUMPY = `
a = np.load(sys.argv[1], allow_pickle=False)
bf = sys.argv[2] == "BFloat16"
if bf:
    import ml_dtypes
    a = a.view(ml_dtypes.bfloat16)
with open(sys.argv[1], "rb") as f:
    version = np.lib.format.read_magic(f)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read_header(f)
vals = a.flatten(order="F")
out = [bool(v) if a.dtype == np.bool_ else (int(v) if a.dtype.kind in "iu" else float(v)) for v in vals]
print(json.dumps({"descr": np.lib.format.dtype_to_descr(dtype), "shape": list(a.shape), "fortran": bool(fortran), "values": [str(v) if type(v) is int else v for v in out]}))
`;

for (const eltype of ALL) {
  test(`${eltype}: our .npy is read by np.load with the Julia size, fortran_order and the same values`, () => {
    if (eltype === "BFloat16" && !hasMlDtypes) return;
    for (const size of SIZES) {
      const n = size.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, (_, k) => sampleValue(eltype, k));
      const t = tensorFromValues(eltype, size, values);
      const path = join(dir, `${eltype}-${size.length}.npy`);
      writeFileSync(path, encodeNpy(t));
      const got = py(READ_WITH_NUMPY, path, eltype) as { descr: string; shape: number[]; fortran: boolean; values: (number | string | boolean)[] };
      assert.equal(got.shape, size);
      assert.is(got.fortran, true);
      const expected = values.map((v) => (typeof v === "bigint" ? String(v) : eltype.startsWith("Int") || eltype.startsWith("UInt") ? String(v) : v));
      assert.equal(got.values, expected, `${eltype} size ${JSON.stringify(size)}`);
      // And back: our reader gives the identical tensor.
      const back = decodeNpy(readFileSync(path), eltype);
      assert.ok(back.ok);
      if (back.ok) {
        assert.equal(back.value.size, size);
        assert.equal(Buffer.from(back.value.data).equals(Buffer.from(t.data)), true);
      }
    }
  });
}

const WRITE_WITH_NUMPY = `
spec = json.loads(sys.argv[2])
dtype = np.dtype(spec["dtype"])
n = int(np.prod(spec["shape"])) if spec["shape"] else 1
# Distinct values in C (row-major) order; what matters is which index each one sits at.
flat = (np.arange(n) % 120 + 1)
a = flat.astype(dtype).reshape(spec["shape"], order="C")
if spec["order"] == "F":
    a = np.asfortranarray(a)
if spec.get("version"):
    with open(sys.argv[1], "wb") as f:
        np.lib.format.write_array(f, a, version=tuple(spec["version"]))
else:
    np.save(sys.argv[1], a)
vals = a.flatten(order="F")
print(json.dumps([bool(v) if dtype == np.bool_ else (int(v) if dtype.kind in "iu" else float(v)) for v in vals]))
`;

const NUMPY_CASES: { dtype: string; eltype: ElementType; shape: number[]; order: "C" | "F"; version?: [number, number] }[] = [
  { dtype: "<f4", eltype: "Float32", shape: [3, 4], order: "C" },
  { dtype: "<f4", eltype: "Float32", shape: [3, 4], order: "F" },
  { dtype: "<f8", eltype: "Float64", shape: [2, 3, 4], order: "C" },
  { dtype: "<i4", eltype: "Int32", shape: [2, 3, 4, 5], order: "C" },
  { dtype: "<i8", eltype: "Int64", shape: [4, 5], order: "C" },
  { dtype: "|b1", eltype: "Bool", shape: [3, 2], order: "C" },
  { dtype: "<f2", eltype: "Float16", shape: [5, 3], order: "C" },
  { dtype: ">f8", eltype: "Float64", shape: [3, 2], order: "C" },
  { dtype: ">i4", eltype: "Int32", shape: [2, 5], order: "F" },
  { dtype: "<u2", eltype: "UInt16", shape: [7], order: "C" },
  { dtype: "<f4", eltype: "Float32", shape: [], order: "C" },
  { dtype: "<f4", eltype: "Float32", shape: [3, 0], order: "C" },
  { dtype: "<f4", eltype: "Float32", shape: [3, 4], order: "C", version: [2, 0] },
  { dtype: "<i4", eltype: "Int32", shape: [4, 3], order: "F", version: [3, 0] },
];

for (const c of NUMPY_CASES) {
  test(`reads NumPy's ${c.order}-order ${c.dtype} of shape (${c.shape.join(", ")}) ${c.version ? `(format ${c.version.join(".")}) ` : ""}as the column-major array of Julia size [${c.shape.join(", ")}]`, async () => {
    const path = join(dir, "np.npy");
    const expected = py(WRITE_WITH_NUMPY, path, JSON.stringify(c)) as (number | boolean)[];
    const r = await readNpy(path);
    assert.ok(r.ok, r.ok ? "" : r.message);
    if (!r.ok) return;
    assert.is(r.value.eltype, c.eltype);
    assert.equal(r.value.size, c.shape);
    assert.equal(tensorValues(r.value).map((v) => (typeof v === "bigint" ? Number(v) : v)), expected);
  });
}

test("a header too long for format 1.0 is written as 2.0, which NumPy's header reader accepts", () => {
  // NumPy arrays have at most 64 dimensions, so only the header is checked with NumPy here.
  const size = Array.from({ length: 30000 }, () => 1);
  const bytes = encodeNpy(tensorFromValues("Float32", size, [1.5]));
  assert.is(bytes[6], 2);
  const back = decodeNpy(bytes);
  assert.ok(back.ok && back.value.size.length === 30000 && tensorValues(back.value)[0] === 1.5);
  const path = join(dir, "big-header.npy");
  writeFileSync(path, bytes);
  const got = py(`f = open(sys.argv[1], "rb")\nv = np.lib.format.read_magic(f)\nshape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=10**7)\nprint(json.dumps([list(v), len(shape), fortran, str(dtype)]))`, path);
  assert.equal(got, [[2, 0], 30000, true, "float32"]);
});

test("the data section starts on a 64-byte boundary, as NumPy aligns it", () => {
  for (const size of [[], [1], [784, 64], [2, 3, 4, 5, 6]]) {
    const bytes = encodeNpy(fillTensor("Float32", size, 0));
    const h = decodeNpy(bytes);
    assert.ok(h.ok);
    const headerLen = bytes[8]! | (bytes[9]! << 8);
    assert.is((10 + headerLen) % 64, 0);
  }
});

test("BFloat16 is written as '<V2', the dtype np.save uses for ml_dtypes.bfloat16", async () => {
  const path = join(dir, "bf.npy");
  await writeNpy(path, tensorFromValues("BFloat16", [2], [1.5, -2]));
  const h = await readNpyHeader(path);
  assert.ok(h.ok && h.value.descr === "<V2");
  // Without a BFloat16 declaration, two raw bytes have no element type.
  const plain = await readNpy(path);
  assert.not.ok(plain.ok);
  const typed = await readNpy(path, "BFloat16");
  assert.ok(typed.ok && tensorValues(typed.value).join() === "1.5,-2");
});

test("writeNpy replaces the file atomically and leaves no temporary files", async () => {
  const path = join(dir, "x.npy");
  await writeNpy(path, fillTensor("Int32", [3], 1));
  await writeNpy(path, fillTensor("Int32", [3], 2));
  assert.equal(readdirSync(dir), ["x.npy"]);
  const r = await readNpy(path);
  assert.ok(r.ok && tensorValues(r.value).join() === "2,2,2");
});

test("malformed files are errors with a reason, not exceptions", () => {
  const good = encodeNpy(fillTensor("Float64", [4], 1));
  const truncated = decodeNpy(good.subarray(0, good.length - 3));
  assert.ok(!truncated.ok && /truncated/.test(truncated.message));
  const notNpy = decodeNpy(new TextEncoder().encode("hello world, not a numpy file"));
  assert.ok(!notNpy.ok && /not a \.npy file/.test(notNpy.message));
  const complex = new TextDecoder("latin1").decode(good).replace("'<f8'", "'<c8'");
  const c = decodeNpy(Uint8Array.from(complex, (ch) => ch.charCodeAt(0)));
  assert.ok(!c.ok && /unsupported \.npy dtype/.test(c.message));
});

// --- Float16 / BFloat16 rounding ---------------------------------------------------------------

// Zeros' signs and infinities do not survive JSON; they are checked separately below.
const HALF_CASES = [
  0, 1, -1, 0.1, 1 / 3, 65504, 65519.99, 65520, 65536, 1e10, -1e10, 6.1035156e-5, 5.9604645e-8, 2.98e-8, 2.9802322387695312e-8,
  2.9802322387695313e-8, 1e-9, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -40, 2049, 2051, 3.14159, -7.75e-6,
];

test("Float16 conversion from Float64 rounds to nearest even, as NumPy's astype(float16)", () => {
  const xs = [...HALF_CASES];
  for (let k = 0; k < 300; k++) xs.push(Math.sin(k * 12.9898) * 10 ** ((k % 14) - 9));
  const expected = py(
    `import warnings\nwarnings.simplefilter("ignore")\nxs = np.array(json.loads(sys.argv[1]), dtype=np.float64)\nprint(json.dumps(xs.astype(np.float16).view(np.uint16).tolist()))`,
    JSON.stringify(xs),
  ) as number[];
  assert.equal(xs.map(float16Bits), expected);
  assert.equal([float16Bits(-0), float16Bits(Infinity), float16Bits(-Infinity)], [0x8000, 0x7c00, 0xfc00]);
  // NaN stays NaN, and every bit pattern decodes to the value NumPy gives it.
  assert.ok(Number.isNaN(float16Value(float16Bits(NaN))));
  const table = py(
    `b = np.arange(65536, dtype=np.uint32).astype(np.uint16)\nv = b.view(np.float16).astype(np.float64)\nok = ~np.isnan(v)\nprint(json.dumps([b[ok].tolist(), [str(x) for x in v[ok].tolist()]]))`,
  ) as [number[], string[]];
  assert.is(table[0].length, 65536 - 2046);
  assert.equal(table[0].map((b) => float16Value(b)), table[1].map((s) => (s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s))));
});

test("BFloat16 conversion rounds to nearest even, as ml_dtypes does for Float32-exact values", () => {
  if (!hasMlDtypes) return;
  const xs: number[] = [0, 1, -1.5, 3.0e38, 3.4e38, 1e-40, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 255.5, 256.5];
  for (let k = 0; k < 300; k++) xs.push(Math.fround(Math.cos(k * 78.233) * 10 ** ((k % 20) - 10)));
  const expected = py(
    `import ml_dtypes\nxs = np.array(json.loads(sys.argv[1]), dtype=np.float32)\nprint(json.dumps(xs.astype(ml_dtypes.bfloat16).view(np.uint16).tolist()))`,
    JSON.stringify(xs),
  ) as number[];
  assert.equal(xs.map(bfloat16Bits), expected);
  assert.equal([bfloat16Bits(-0), bfloat16Bits(Infinity), bfloat16Bits(3.4e38 * 2)], [0x8000, 0x7f80, 0x7f80]);
  assert.is(bfloat16Value(0x3fc0), 1.5);
});

test("BFloat16 rounds a Float64 once (no double rounding through Float32)", () => {
  // 1 + 2^-8 + 2^-30 is just above the midpoint of 1 and 1 + 2^-7: it rounds up. Through Float32
  // (as ml_dtypes and BFloat16s.jl convert) the 2^-30 is lost first and the tie goes to even, 1.0.
  assert.is(bfloat16Bits(1 + 2 ** -8 + 2 ** -30), 0x3f81);
  assert.is(bfloat16Bits(1 + 2 ** -8), 0x3f80);
});

// --- random values -----------------------------------------------------------------------------

const SPLITMIX_PY = `
M = (1 << 64) - 1
def splitmix(state, n):
    out = []
    for _ in range(n):
        state = (state + 0x9e3779b97f4a7c15) & M
        z = state
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
        out.append(z ^ (z >> 31))
    return out
`;

test("splitmix64 matches the reference algorithm (arbitrary-precision Python)", () => {
  const seeds: [number, number][] = [[0, 0], [0, 1234567], [0xffffffff, 0xffffffff], [0x9e3779b9, 0x7f4a7c15]];
  for (const seed of seeds) {
    const rng = new SplitMix64(seed);
    const ours = Array.from({ length: 200 }, () => {
      const [h, l] = rng.next();
      return ((BigInt(h) << 32n) | BigInt(l)).toString();
    });
    const ref = py(`${SPLITMIX_PY}\nprint(json.dumps([str(x) for x in splitmix(int(sys.argv[1]), 200)]))`, String((BigInt(seed[0]) << 32n) | BigInt(seed[1]))) as string[];
    assert.equal(ours, ref);
  }
});

test('{"random": "uniform"} is the top bits of splitmix64 outputs, in [0, 1) and exact in the element type', () => {
  const seed = randomSeed(42, "e", 0);
  assert.equal(seed, [0, 42]);
  const t64 = randomTensor("Float64", [50, 4], "uniform", seed);
  const t32 = randomTensor("Float32", [200], "uniform", seed);
  const ref = py(`${SPLITMIX_PY}\nxs = splitmix(42, 200)\nprint(json.dumps([[(x >> 11) * 2.0**-53 for x in xs], [float(np.float32((x >> 40) * 2.0**-24)) for x in xs]]))`) as number[][];
  assert.equal(tensorValues(t64), ref[0]);
  assert.equal(tensorValues(t32), ref[1]);
  for (const v of tensorValues(randomTensor("Float16", [5000], "uniform", seed)) as number[]) assert.ok(v >= 0 && v < 1);
});

test('{"random": "normal"} is Box-Muller over splitmix64 uniforms: NumPy gets the same numbers, mean 0 and variance 1', () => {
  const t = randomTensor("Float64", [1001], "normal", [0, 7]);
  const ref = py(
    `${SPLITMIX_PY}\nxs = splitmix(7, 1002)\nu = [(x >> 11) * 2.0**-53 for x in xs]\nout = []\nfor m in range(0, 1002, 2):\n    r = np.sqrt(-2 * np.log(1 - u[m]))\n    out += [r * np.cos(2 * np.pi * u[m + 1]), r * np.sin(2 * np.pi * u[m + 1])]\nprint(json.dumps([float(v) for v in out[:1001]]))`,
  ) as number[];
  const ours = tensorValues(t) as number[];
  for (let k = 0; k < ours.length; k++) assert.ok(Math.abs(ours[k]! - ref[k]!) <= 1e-12 * Math.max(1, Math.abs(ref[k]!)), `element ${k}`);
  const big = tensorValues(randomTensor("Float32", [200000], "normal", randomSeed(undefined, "init", 0))) as number[];
  const mean = big.reduce((a, b) => a + b, 0) / big.length;
  const variance = big.reduce((a, b) => a + (b - mean) ** 2, 0) / big.length;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
});

test("the default seed differs per entry and argument and is the same on every build", () => {
  const a = randomSeed(undefined, "init", 0), b = randomSeed(undefined, "init", 1), c = randomSeed(undefined, "train", 0);
  assert.not.equal(a, b);
  assert.not.equal(a, c);
  assert.equal(randomSeed(undefined, "init", 0), a);
});

// --- materializing manifest values ---------------------------------------------------------------

test("materializeValue: fill, scalar, random and a validated .npy", async () => {
  const fill = await materializeValue({ kind: "fill", value: 0.5 }, { eltype: "Float32", size: [2, 2], entry: "e", index: 0 });
  assert.ok(fill.ok && tensorValues(fill.tensor).join() === "0.5,0.5,0.5,0.5");
  const bools = await materializeValue({ kind: "fill", value: true }, { eltype: "Bool", size: [3], entry: "e", index: 0 });
  assert.ok(bools.ok && bools.tensor.data.join() === "1,1,1");
  const scalar = await materializeValue({ kind: "scalar", value: 7 }, { eltype: "Int64", size: [], entry: "e", index: 1 });
  assert.ok(scalar.ok && scalar.tensor.size.length === 0 && tensorValues(scalar.tensor)[0] === 7n);
  const inexact = await materializeValue({ kind: "scalar", value: 1.5 }, { eltype: "Int32", size: [], entry: "e", index: 1 });
  assert.ok(!inexact.ok && /not a whole number/.test(inexact.message));
  const r1 = await materializeValue({ kind: "random", distribution: "normal" }, { eltype: "Float32", size: [4], entry: "e", index: 0 });
  const r2 = await materializeValue({ kind: "random", distribution: "normal" }, { eltype: "Float32", size: [4], entry: "e", index: 0 });
  assert.ok(r1.ok && r2.ok && Buffer.from(r1.tensor.data).equals(Buffer.from(r2.tensor.data)));
  const path = join(dir, "v.npy");
  py(`np.save(sys.argv[1], np.arange(6, dtype=np.float32).reshape(2, 3))\nprint(1)`, path);
  const npy = await materializeValue({ kind: "npy", path, relative: "v.npy" }, { eltype: "Float32", size: [2, 3], entry: "e", index: 0 });
  assert.ok(npy.ok);
  if (npy.ok) assert.equal(tensorValues(npy.tensor), [0, 3, 1, 4, 2, 5]); // column-major: x[1,1], x[2,1], x[1,2], ...
  const wrong = await materializeValue({ kind: "npy", path, relative: "v.npy" }, { eltype: "Float32", size: [3, 2], entry: "e", index: 0 });
  assert.ok(!wrong.ok && /shape \(2, 3\)/.test(wrong.message));
});

test("tensorFromValues and tensorValues agree for every element type", () => {
  for (const eltype of ALL) {
    const values = Array.from({ length: 6 }, (_, k) => sampleValue(eltype, k));
    const t: Tensor = tensorFromValues(eltype, [2, 3], values);
    assert.equal(tensorValues(t), values, eltype);
  }
});

test.run();
