// `tpu-build build` end to end, as a pipeline would run it: a temporary workspace, the compiled
// CLI in a child process, the real runtime server, outputs checked against NumPy.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPython } from "./support/jax.js";
import { ROOT, runCli, type CliResult } from "./support/cli.js";

const tpuBuild = (cwd: string, ...args: string[]): CliResult => runCli(cwd, ["build", ...args]);

/** A small MLP over two files (model.jl includes layers.jl), shared with test/pipelines.test.ts. */
const FIXTURE = join(ROOT, "test", "fixtures", "workspace");
const MODEL = readFileSync(join(FIXTURE, "model.jl"), "utf8");
const LAYERS = readFileSync(join(FIXTURE, "layers.jl"), "utf8");

function manifest(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      $schema: join(ROOT, "schema", "tpu.config.schema.json"),
      entries: {
        init: { file: "model.jl", function: "init", args: [{ eltype: "Float32", size: [4, 3], value: { npy: "W.npy" } }, { const: 0.5 }], run: true },
        predict: { file: "model.jl", function: "predict", args: [{ from: "init" }, { eltype: "Float32", size: [3, 5], value: { random: "normal", seed: 7 } }], run: true },
        loss: { file: "model.jl", function: "loss", args: [{ from: "predict" }, { eltype: "Float32", size: [4, 5], value: { fill: 0.25 } }], run: { target: "local" } },
        ...overrides,
      },
    },
    null,
    2,
  );
}

async function workspace(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-cli-"));
  writeFileSync(join(dir, "model.jl"), MODEL);
  writeFileSync(join(dir, "layers.jl"), LAYERS);
  writeFileSync(join(dir, "tpu.config.json"), manifest());
  // W in Julia order (4, 3), stored C-order by NumPy: the reader must transpose it correctly.
  await runPython(`np.save(INPUT + "/W.npy", np.arange(12, dtype=np.float32).reshape(4, 3) / 10)\nemit(None)`, dir);
  return dir;
}

const test = suite("tpu-build build");
const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("builds, runs in dependency order and writes Julia-order .npy outputs that match NumPy", async () => {
  assert.ok(existsSync(join(ROOT, "dist", "cli", "main.js")), "run `npm run build` first (npm test does)");
  const dir = await workspace();
  dirs.push(dir);
  const r = tpuBuild(dir);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = join(dir, ".tpu-build", "out");
  assert.equal(readdirSync(join(out, "predict")).sort(), ["0.npy", "result.json"]);
  const result = JSON.parse(readFileSync(join(out, "loss", "result.json"), "utf8"));
  assert.equal(result.outputs.map((o: { path: string }) => o.path), ["result.total", "result.n"]);
  const check = await runPython<{ ok: boolean; detail: string }>(
    `
d = INPUT
W = np.load(d + "/W.npy") * np.float32(0.5)
init0 = np.load(d + "/.tpu-build/out/init/0.npy")
init1 = np.load(d + "/.tpu-build/out/init/1.npy")
x = None
probs = np.load(d + "/.tpu-build/out/predict/0.npy")
total = np.load(d + "/.tpu-build/out/loss/0.npy")
n = np.load(d + "/.tpu-build/out/loss/1.npy")
ok = True
detail = []
def need(c, m):
    global ok
    if not c:
        ok = False
        detail.append(m)
need(np.allclose(init0, W), "init[1] != 0.5 W")
need(np.isfortran(init0) and init0.shape == (4, 3), "init[1] not Fortran-order (4, 3)")
need(np.all(init1 == 0), "init[2] not zeros")
need(probs.shape == (4, 5) and np.allclose(probs.sum(0), 1, atol=1e-6), "predict columns do not sum to 1")
need(np.allclose(total, -(0.25 * np.log(probs)).sum(), rtol=1e-5), "loss total mismatch")
need(n.shape == () and n.dtype == np.int64 and int(n) == 5, "n should be a 0-d Int64 5")
emit({"ok": ok, "detail": "; ".join(detail)})
`,
    dir,
  );
  assert.ok(check.ok, check.detail);
});

test("a second build in a new process compiles and runs nothing, and leaves the outputs untouched", () => {
  const dir = dirs[0]!;
  const out = join(dir, ".tpu-build", "out");
  const files = ["init", "predict", "loss"].flatMap((e) => readdirSync(join(out, e)).map((f) => join(out, e, f)));
  const before = files.map((f) => [statSync(f).mtimeMs, readFileSync(f).toString("base64")]);
  const r = tpuBuild(dir, "--json");
  assert.is(r.code, 0, r.stderr);
  const kinds = r.events.map((e) => e.event);
  assert.is(kinds.filter((k) => k === "compile-started").length, 0);
  assert.is(kinds.filter((k) => k === "compile-cache-hit").length, 3);
  assert.is(kinds.filter((k) => k === "run-finished").length, 0);
  assert.is(kinds.filter((k) => k === "run-up-to-date").length, 3);
  const last = r.events[r.events.length - 1]!;
  assert.equal([last.event, last.ok, last.exitCode, last.compiled, last.cached, last.upToDate], ["build-finished", true, 0, 0, 3, 3]);
  assert.equal(files.map((f) => [statSync(f).mtimeMs, readFileSync(f).toString("base64")]), before);
});

test("a corrupt cache entry is detected and rebuilt", () => {
  const dir = dirs[0]!;
  const first = tpuBuild(dir, "--json");
  const hit = first.events.find((e) => e.event === "compile-cache-hit" && e.entry === "predict")!;
  const key = hit.key as string;
  truncateSync(join(dir, ".tpu-build", "cache", "artifacts", key.slice(0, 2), key, "module.hlo.pb"), 10);
  const r = tpuBuild(dir, "--json");
  assert.is(r.code, 0, r.stderr);
  const predict = r.events.filter((e) => e.entry === "predict").map((e) => e.event);
  assert.ok(predict.includes("compile-finished"), `predict events: ${predict.join(", ")}`);
  assert.is(r.events.find((e) => e.event === "compile-finished")!.hash, hit.hash);
});

test("editing an included file recompiles exactly the entries that reach it", () => {
  const dir = dirs[0]!;
  writeFileSync(join(dir, "layers.jl"), `zeros_like(W) = W .* 0f0 .+ 1f0\n`);
  const r = tpuBuild(dir, "--json");
  assert.is(r.code, 0, r.stderr);
  const compiled = r.events.filter((e) => e.event === "compile-finished").map((e) => e.entry);
  assert.equal(compiled.sort(), ["init", "loss", "predict"]);
  const rebuilt = tpuBuild(dir, "--json");
  assert.is(rebuilt.events.filter((e) => e.event === "compile-finished").length, 0);
});

test("--out writes outputs where asked", () => {
  const dir = dirs[0]!;
  const r = tpuBuild(dir, "--out", "elsewhere");
  assert.is(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dir, "elsewhere", "loss", "0.npy")));
});

test("an invalid manifest exits 2 with line, column and a suggestion", () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-cli-"));
  dirs.push(dir);
  writeFileSync(join(dir, "model.jl"), MODEL);
  writeFileSync(join(dir, "layers.jl"), LAYERS);
  writeFileSync(join(dir, "tpu.config.json"), `{\n  "entries": {\n    "p": { "file": "model.jl", "fucntion": "predict" }\n  }\n}\n`);
  const r = tpuBuild(dir);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /tpu\.config\.json:3:32/);
  assert.match(r.stderr, /fucntion/);
  assert.match(r.stderr, /"function"/);
});

test("a compile error exits 3 with file:line:col, a caret and the call chain", () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-cli-"));
  dirs.push(dir);
  writeFileSync(join(dir, "bad.jl"), "inner(x) = x * x\nf(x) = inner(x) .+ 1\n");
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries: { bad: { file: "bad.jl", function: "f", args: [{ eltype: "Float32", size: [3] }] } } }));
  const r = tpuBuild(dir, "--json");
  assert.is(r.code, 3);
  assert.match(r.stderr, "bad.jl:1:12: error: MethodError: no method matching *(::Vector{Float32}, ::Vector{Float32})");
  assert.match(r.stderr, "1 | inner(x) = x * x");
  assert.match(r.stderr, "in inner at bad.jl:1:12");
  assert.match(r.stderr, "in f at bad.jl:2:8");
  const failed = r.events.find((e) => e.event === "compile-failed")!;
  assert.is((failed.diagnostics as { location: string }[])[0]!.location, "bad.jl:1:12");
});

test("an unknown function is reported at the manifest's function field", () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-cli-"));
  dirs.push(dir);
  writeFileSync(join(dir, "m.jl"), "predict(x) = x\n");
  writeFileSync(join(dir, "tpu.config.json"), `{\n  "entries": {\n    "p": { "file": "m.jl", "function": "predcit", "args": [] }\n  }\n}\n`);
  const r = tpuBuild(dir);
  assert.is(r.code, 3);
  assert.match(r.stderr, /tpu\.config\.json:3:40/);
  assert.match(r.stderr, "did you mean `predict`?");
});

test("a run error exits 4 and names the entry", () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-cli-"));
  dirs.push(dir);
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "m.jl"), "f(x) = x .+ 1\n");
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ targets: { local: { device: 7 } }, entries: { f: { file: "src/m.jl", function: "f", args: [{ eltype: "Float32", size: [2], value: { fill: 1 } }], run: true } } }));
  const r = tpuBuild(dir, "--json");
  assert.is(r.code, 4, r.stderr);
  const failed = r.events.find((e) => e.event === "run-failed");
  assert.ok(failed, "a run-failed event");
  assert.match(r.stderr, "running f on local failed");
});

test.run();
