// What the target hardware supports, checked at compile time (issue 10): the target's platform and
// its `float64` and `matmulPrecision` settings reach the compiler and the cache key. No TPU is
// reachable here and a platform mismatch is a run error, so the TPU checks are compile-only (the
// compiler API, and builds whose default target is a remote `"platform": "tpu"` that nothing runs
// on); the Float64 demotion runs end to end on the local CPU target against NumPy in float32.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import { decodeHloModule } from "../compiler/hlo/encode.js";
import type { ArgSpec, CompileOptions, ElementType } from "../plugins/api.js";
import { juliaCompiler } from "../plugins/julia/index.js";
import { runPython } from "./support/python.js";

const array = (eltype: ElementType, ...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype, size } });

function compile(source: string, fn: string, args: ArgSpec[], options: CompileOptions) {
  const read = (p: string) => (p === "m.jl" ? source : undefined);
  const r = juliaCompiler.compile({ entry: "e", file: "m.jl", function: fn, args, readSource: read, options });
  return { r, render: () => (r.ok ? "" : juliaCompiler.render(r.diagnostics[0]!, read)) };
}

/** "line:col" (1-based) of the `nth` occurrence of `needle` in `source`. */
function lineCol(source: string, needle: string, nth = 1): string {
  let at = -1;
  for (let k = 0; k < nth; k++) at = source.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`${needle} is not in the source`);
  const before = source.slice(0, at).split("\n");
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

// ---- the capability table: Float64 on a TPU ------------------------------------------------------

const SCALE = `scale(x) = x .* 0.5

function f(x)
    y = x .+ 1f0
    return scale(y)
end
`;

test("Float64 arithmetic on a tpu target is an error at the Float64 literal, with the call chain and both fixes", () => {
  const { r, render } = compile(SCALE, "f", [array("Float32", 3)], { platform: "tpu" });
  assert.ok(!r.ok);
  const text = render();
  assert.is(r.ok ? "" : r.diagnostics[0]!.code, "unsupported-on-platform");
  assert.match(text, `m.jl:${lineCol(SCALE, "0.5")}: error: Float64 arithmetic (multiply) is not supported on the target platform "tpu"`);
  assert.match(text, "1 | scale(x) = x .* 0.5\n  |                 ^~~\n");
  assert.match(text, "`0.5f0`");
  assert.match(text, `"float64": "float32"`);
  assert.match(text, `in scale at m.jl:${lineCol(SCALE, "0.5")}`);
  assert.match(text, `in f at m.jl:${lineCol(SCALE, "scale(y)")}`);
});

test("Float64 computed at a file's top level, outside any function, is an error at that line; the hint names the target", () => {
  const source = "using Flux\n\nconst layer = Dense(3 => 2)\nconst y = layer(ones(Float64, 3))\nf(x) = x .+ 1f0\n";
  const read = (p: string) => (p === "m.jl" ? source : undefined);
  const r = juliaCompiler.compile({ entry: "e", file: "m.jl", function: "f", args: [array("Float32", 3)], readSource: read, options: { platform: "tpu" }, target: "pod" });
  assert.ok(!r.ok);
  const text = r.ok ? "" : juliaCompiler.render(r.diagnostics[0]!, read);
  // Inside Flux's Dense the first Float64 product is the library's: the place is the user's call of it.
  assert.match(text, `m.jl:${lineCol(source, "layer(ones")}: error: Float64 arithmetic (dot)`);
  assert.match(text, "4 | const y = layer(ones(Float64, 3))");
  assert.match(text, `"float64": "float32" in its settings (targets.pod)`);
});

test("the same program compiles for cpu, cuda, rocm and for a target that declares no platform", () => {
  for (const platform of ["cpu", "cuda", "rocm", undefined] as const) {
    const { r } = compile(SCALE, "f", [array("Float32", 3)], { platform });
    assert.ok(r.ok, `platform ${platform}`);
    if (r.ok) assert.match(r.text, "f64[");
  }
});

test("Float64 that first computes inside a library function is reported at the user's call of it", () => {
  const source = "using Flux\n\nloss(ŷ, y) = Flux.mse(ŷ, y)\n";
  const { r, render } = compile(source, "loss", [array("Float32", 4), array("Float64", 4)], { platform: "tpu" });
  assert.ok(!r.ok);
  assert.match(render(), `m.jl:${lineCol(source, "Flux.mse(ŷ, y)")}: error: Float64 arithmetic (subtract)`);
});

test("Float64 inputs may be held and converted on a tpu target; Int64 (emulated there) computes", () => {
  const source = "f(x) = Float32.(x) .* 2f0\ncount(n) = sum(n .+ 1)\n";
  const converted = compile(source, "f", [array("Float64", 3)], { platform: "tpu" }).r;
  assert.ok(converted.ok, "a Float64 input converted to Float32 has no Float64 arithmetic");
  const counted = compile(source, "count", [array("Int64", 3)], { platform: "tpu" }).r;
  assert.ok(counted.ok, "Int64 arithmetic is emulated on a TPU, not refused");
});

test("bad compile options from a caller that skipped the target's checks are a diagnostic, not a crash", () => {
  const { r } = compile(SCALE, "f", [array("Float32", 3)], { platform: "ipu" as never });
  assert.ok(!r.ok);
  assert.is(r.ok ? "" : r.diagnostics[0]!.code, "bad-compile-options");
});

// ---- "float64": "float32" in the compiler ------------------------------------------------------------

const MIXED = `using Random

function mixed(x, W)
    rng = Xoshiro(7)
    noise = randn(rng, 3)
    z = zeros(3) .+ 0.25
    return sum(W * x .* 0.1 .+ noise .+ z), W * x
end
`;

test("float64: float32 leaves no F64 anywhere in the module (literals, inputs, zeros, randn, reducers)", () => {
  const { r } = compile(MIXED, "mixed", [array("Float64", 3), array("Float64", 3, 3)], { platform: "tpu", float64: "float32" });
  assert.ok(r.ok, r.ok ? "" : r.diagnostics[0]!.message);
  if (!r.ok) return;
  assert.not.match(r.text, /f64/);
  const elementTypes = new Set<string>();
  const visit = (s: { elementType?: string; tupleShapes?: unknown[] } | undefined | null): void => {
    if (!s) return;
    if (s.elementType) elementTypes.add(s.elementType);
    for (const t of s.tupleShapes ?? []) visit(t as never);
  };
  for (const c of decodeHloModule(r.module).computations) for (const i of c.instructions) visit(i.shape as never);
  assert.ok(elementTypes.has("F32"));
  assert.not.ok(elementTypes.has("F64"), `element types: ${[...elementTypes].join(", ")}`);
  // The boundary says what the device holds: Float64 inputs are uploaded as Float32, results come back Float32.
  assert.equal(r.signature.parameters.map((p) => p.eltype), ["Float32", "Float32"]);
  assert.equal(r.signature.results.map((p) => p.eltype), ["Float32", "Float32"]);
});

// ---- matmulPrecision -------------------------------------------------------------------------------

const PRODUCTS = "using NNlib\n\nf(W, x, k) = (W * x, conv(reshape(x, 4, 1, 1), k))\n";
const PRODUCT_ARGS = [array("Float32", 2, 4), array("Float32", 4), array("Float32", 2, 1, 1)];

test("matmulPrecision is the precision_config of every dot and convolution, in the HLO text and the proto", () => {
  for (const [precision, number, name] of [["high", 1, "high"], ["highest", 2, "highest"]] as const) {
    const { r } = compile(PRODUCTS, "f", PRODUCT_ARGS, { platform: "tpu", matmulPrecision: precision });
    assert.ok(r.ok);
    if (!r.ok) return;
    const lines = r.text.split("\n").filter((l) => / (dot|convolution)\(/.test(l));
    assert.is(lines.length, 2);
    for (const l of lines) assert.match(l, `operand_precision={${name},${name}}`);
    const products = decodeHloModule(r.module).computations.flatMap((c) => c.instructions).filter((i) => i.opcode === "dot" || i.opcode === "convolution");
    assert.is(products.length, 2);
    for (const p of products) assert.equal((p as { precisionConfig?: { operandPrecision?: string[] } }).precisionConfig?.operandPrecision, [name.toUpperCase(), name.toUpperCase()], `${p.opcode} (${number})`);
  }
  const { r } = compile(PRODUCTS, "f", PRODUCT_ARGS, { platform: "tpu", matmulPrecision: "default" });
  assert.ok(r.ok);
  if (r.ok) {
    assert.not.match(r.text, "operand_precision");
    for (const i of decodeHloModule(r.module).computations.flatMap((c) => c.instructions)) assert.not.ok((i as { precisionConfig?: unknown }).precisionConfig, "XLA's default is written as no precision_config");
  }
});

// ---- through the engine: the cache key, a compile-only tpu build, demotion end to end ---------------

let dir = "";
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "tpu-capability-"));
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

const TPU = (extra: Record<string, unknown> = {}) => ({ kind: "remote", address: "127.0.0.1:9", platform: "tpu", token: { env: "TPU_BUILD_CAPABILITY_TEST_TOKEN" }, ...extra });

/** A build of `entries` (compile-only unless one runs) with these top-level fields; events and exit code. */
async function buildManifest(fields: Record<string, unknown>, entries: Record<string, unknown>) {
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ ...fields, entries }, null, 2));
  const events: BuildEvent[] = [];
  const summary = await build({ config: join(dir, "tpu.config.json"), cacheDir: join(dir, "cache"), onEvent: (e) => events.push(e) });
  const of = (name: string) => events.filter((e) => e.event === name) as (BuildEvent & Record<string, unknown>)[];
  return { exitCode: summary.exitCode, events, of, keys: summary.entries };
}

test("the cache key has the target's platform and compile settings: same platform hits, another platform or setting misses", async () => {
  writeFileSync(join(dir, "m.jl"), "f(W, x) = W * x .+ 1f0\n");
  const entries = { e: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [2, 2] }, { eltype: "Float32", size: [2] }] } };
  const statusOf = async (fields: Record<string, unknown>) => {
    const b = await buildManifest(fields, entries);
    assert.is(b.exitCode, 0);
    return { status: b.keys.e!.status, key: b.keys.e!.key! };
  };
  const local = await statusOf({});
  assert.is(local.status, "compiled");
  assert.is((await statusOf({})).status, "cached");
  // A remote CPU server is the same platform as local: the same artifact.
  const remoteCpu = await statusOf({ target: "gpuhost", targets: { gpuhost: TPU({ platform: "cpu" }) } });
  assert.equal(remoteCpu, { status: "cached", key: local.key });
  const tpu = await statusOf({ target: "tpu", targets: { tpu: TPU() } });
  assert.is(tpu.status, "compiled");
  assert.is.not(tpu.key, local.key);
  const highest = await statusOf({ target: "tpu", targets: { tpu: TPU({ matmulPrecision: "highest" }) } });
  assert.is(highest.status, "compiled");
  assert.is.not(highest.key, tpu.key);
  const demoting = await statusOf({ target: "tpu", targets: { tpu: TPU({ float64: "float32" }) } });
  assert.is(demoting.status, "compiled");
  assert.is.not(demoting.key, tpu.key);
  // Settings the compiler does not see (the address) leave the key alone.
  assert.equal(await statusOf({ target: "tpu", targets: { tpu: TPU({ address: "10.0.0.2:8470" }) } }), { status: "cached", key: tpu.key });
});

test("a compile-only build for a tpu target fails (exit 3) at the line of the Float64 literal; nothing connects", async () => {
  const source = "function step(w, g)\n    lr = 0.01\n    return w .- lr .* g\nend\n";
  writeFileSync(join(dir, "m.jl"), source);
  const args = [{ eltype: "Float32", size: [3] }, { eltype: "Float32", size: [3] }];
  const b = await buildManifest({ target: "tpu", targets: { tpu: TPU() } }, { step: { file: "m.jl", function: "step", args } });
  assert.is(b.exitCode, 3);
  const failed = b.of("compile-failed")[0] as unknown as { diagnostics: { code: string; location?: string; rendered: string }[] };
  assert.is(failed.diagnostics[0]!.code, "unsupported-on-platform");
  // `lr` is a known Float64 bound on line 2; the first Float64 arithmetic is `lr .* g` on line 3, at `lr`.
  // The workspace lies outside the current directory, so the message names the file by its absolute path.
  assert.is(failed.diagnostics[0]!.location, `${join(dir, "m.jl")}:${lineCol(source, "lr .* g")}`);
  assert.match(failed.diagnostics[0]!.rendered, "3 |     return w .- lr .* g");
  // The hint names the entry's target as the manifest does.
  assert.match(failed.diagnostics[0]!.rendered, `"float64": "float32" in its settings (targets.tpu)`);
  assert.is(b.of("run-started").length, 0);
  // The same entry with the setting compiles.
  const demoted = await buildManifest({ target: "tpu", targets: { tpu: TPU({ float64: "float32" }) } }, { step: { file: "m.jl", function: "step", args } });
  assert.is(demoted.exitCode, 0);
});

test("bad float64 and matmulPrecision settings are manifest errors at the setting (exit 2)", async () => {
  writeFileSync(join(dir, "m.jl"), "f(x) = x\n");
  const entries = { e: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [2] }] } };
  const b = await buildManifest({ targets: { local: { float64: "Float32", matmulPrecision: "max" } } }, entries);
  assert.is(b.exitCode, 2);
  const invalid = b.of("manifest-invalid")[0] as unknown as { diagnostics: { message: string; rendered: string }[] };
  const messages = invalid.diagnostics.map((d) => d.message).join("\n");
  assert.match(messages, `"float64" must be one of "error", "float32"`);
  assert.match(messages, `"matmulPrecision" must be one of "default", "high", "highest"`);
  assert.match(invalid.diagnostics.map((d) => d.rendered).join("\n"), `did you mean "float32"`);
});

test("float64: float32 end to end: Float64 inputs, literals and matmul computed in Float32 match NumPy float32", async () => {
  const source = "f(W, x) = tanh.(W * x .* 0.1 .+ 1.0 / 3)\n";
  writeFileSync(join(dir, "m.jl"), source);
  // Float64 data in .npy files (Julia order: fortran_order), written by NumPy.
  runPython(
    `import numpy as np, sys
rng = np.random.default_rng(3)
np.save(sys.argv[1], np.asfortranarray(rng.standard_normal((5, 4))))
np.save(sys.argv[2], rng.standard_normal(4))`,
    [join(dir, "W.npy"), join(dir, "x.npy")],
  );
  const entries = { e: { file: "m.jl", function: "f", args: [{ eltype: "Float64", size: [5, 4], value: { npy: "W.npy" } }, { eltype: "Float64", size: [4], value: { npy: "x.npy" } }], run: true } };
  const b = await buildManifest({ targets: { local: { float64: "float32" } } }, entries);
  assert.is(b.exitCode, 0, JSON.stringify(b.of("run-failed")));
  const out = join(dir, ".tpu-build", "out", "e", "0.npy");
  const report = JSON.parse(
    runPython(
      `import numpy as np, sys, json
W = np.load(sys.argv[1]).astype(np.float32); x = np.load(sys.argv[2]).astype(np.float32)
y = np.load(sys.argv[3])
ref32 = np.tanh((W @ x) * np.float32(0.1) + np.float32(1.0 / 3))
ref64 = np.tanh((np.load(sys.argv[1]) @ np.load(sys.argv[2])) * 0.1 + 1.0 / 3)
print(json.dumps({"dtype": str(y.dtype), "shape": list(y.shape), "err32": float(np.max(np.abs(y - ref32))), "err64": float(np.max(np.abs(y.astype(np.float64) - ref64)))}))`,
      [join(dir, "W.npy"), join(dir, "x.npy"), out],
    ),
  ) as { dtype: string; shape: number[]; err32: number; err64: number };
  assert.is(report.dtype, "float32", "a demoted Float64 result comes back as Float32");
  assert.equal(report.shape, [5]);
  assert.ok(report.err32 <= 2e-7, `max |y - NumPy float32| = ${report.err32}`);
  // Computed in Float32, not Float64: the difference from the Float64 result is Float32 rounding.
  assert.ok(report.err64 > 1e-9 && report.err64 < 1e-5, `max |y - NumPy float64| = ${report.err64}`);
});

test.run();
