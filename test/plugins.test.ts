// The plugin registry (plugins/registry.ts): the engine finds compilers and targets by name, a
// plugin registered from outside is used exactly as a built-in one, and a name is never taken twice.
// Real builds: the Julia compiler and the real runtime server, results checked against NumPy.
// Run: npx uvu -r tsx/cjs test plugins.test.ts

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build, BuildEngine } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import type { CompilerPlugin, TargetPlugin } from "../plugins/api.js";
import { builtinRegistry, DEFAULT_COMPILER } from "../plugins/builtin.js";
import { PluginRegistry, type Plugin } from "../plugins/registry.js";
import { runPython } from "./support/python.js";

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A workspace with one entry, `double(x) = 2x` on an .npy NumPy writes, run on `target`. */
function workspace(target: string, settings: Record<string, unknown> = {}): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-plugins-"));
  dirs.push(dir);
  writeFileSync(join(dir, "double.jl"), "double(x) = 2f0 .* x\n");
  runPython("import sys, numpy as np\nnp.save(sys.argv[1], np.asfortranarray(np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)))", [join(dir, "x.npy")]);
  const manifest = {
    targets: { [target]: settings },
    entries: { double: { file: "double.jl", function: "double", args: [{ eltype: "Float32", size: [3, 4], value: { npy: "x.npy" } }], run: { target } } },
  };
  const config = join(dir, "tpu.config.json");
  writeFileSync(config, JSON.stringify(manifest));
  return { dir, config };
}

/** Whether the run's output is exactly NumPy's 2x of the input (doubling a float32 is exact). */
function outputIsDoubledInput(dir: string): boolean {
  const r = runPython(
    "import sys, numpy as np\ny, x = np.load(sys.argv[1]), np.load(sys.argv[2])\nprint(y.shape == x.shape and bool(np.array_equal(y, 2 * x)))",
    [join(dir, ".tpu-build", "out", "double", "0.npy"), join(dir, "x.npy")],
  );
  return r.trim() === "True";
}

test("a target from a third-party plugin runs the entries that name it, with its settings from the manifest", async () => {
  const opened: Record<string, unknown>[] = [];
  const local = builtinRegistry().target("local")!;
  // Another name for XLA's CPU client: what a plugin wrapping a runtime server would register.
  const secondCpu: TargetPlugin = {
    name: "second-cpu",
    open(options) {
      opened.push(options.settings ?? {});
      return local.open(options);
    },
  };
  const plugin: Plugin = { name: "second-cpu-plugin", register: (r) => r.registerTarget(secondCpu) };
  const { dir, config } = workspace("second-cpu", { cacheDir: "exe" });
  const errors: string[] = [];
  const summary = await build({ config, plugins: builtinRegistry().use(plugin), error: (e) => errors.push(e) });
  assert.is(summary.exitCode, 0, errors.join("\n"));
  assert.equal(opened, [{ cacheDir: "exe" }]);
  assert.ok(outputIsDoubledInput(dir), "the output is NumPy's 2x");
});

test("an unknown target is a manifest error that lists the registered targets", async () => {
  const { config } = workspace("tpu-v9");
  const errors: string[] = [];
  const events: BuildEvent[] = [];
  const plugin: Plugin = { name: "p", register: (r) => r.registerTarget({ name: "second-cpu", open: () => Promise.reject(new Error("never opened")) }) };
  const summary = await build({ config, plugins: builtinRegistry().use(plugin), error: (e) => errors.push(e), onEvent: (e) => events.push(e) });
  assert.is(summary.exitCode, 2);
  const invalid = events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid && invalid.event === "manifest-invalid" && invalid.diagnostics[0]!.code === "unknown-target");
  assert.match(errors.join("\n"), /unknown target "tpu-v9"/);
  assert.match(errors.join("\n"), /available targets: local, remote, second-cpu/);
});

test("the engine compiles with the compiler registered under the name it is given", async () => {
  const julia = builtinRegistry().compiler(DEFAULT_COMPILER)!;
  let compiles = 0;
  const counting: CompilerPlugin = { ...julia, name: "counting-julia", compile: (request) => (compiles++, julia.compile(request)) };
  const plugins = new PluginRegistry().use({ name: "counting", register: (r) => r.registerCompiler(counting) }).use({ name: "targets", register: (r) => r.registerTarget(builtinRegistry().target("local")!) });
  const { dir, config } = workspace("local");
  const engine = new BuildEngine({ config, plugins, compiler: "counting-julia", persistent: true });
  try {
    const first = await engine.build();
    assert.is(first.exitCode, 0);
    assert.is(compiles, 1);
    assert.ok(outputIsDoubledInput(dir));
    // The compiler's name is part of the cache key: the default compiler does not reuse its artifact.
    const key = first.entries.double!.key!;
    const other = await build({ config });
    assert.is(other.entries.double!.status, "compiled");
    assert.is.not(other.entries.double!.key, key);
    assert.is(first.entries.double!.hash, other.entries.double!.hash, "the same module bytes");
  } finally {
    await engine.close();
  }
  assert.throws(() => new BuildEngine({ config, plugins, compiler: "fortran" }), /no compiler named "fortran" is registered \(registered: counting-julia\)/);
});

test("a name already registered is refused, naming both plugins", () => {
  const impostor: Plugin = { name: "impostor", register: (r) => r.registerTarget({ name: "local", open: () => Promise.reject(new Error("never opened")) }) };
  assert.throws(() => builtinRegistry().use(impostor), /plugin "impostor" registered a target named "local", but plugin "xla-local" already registered one/);
  const registry = new PluginRegistry();
  registry.registerCompiler({ ...builtinRegistry().compiler(DEFAULT_COMPILER)! });
  assert.throws(() => registry.use({ name: "again", register: (r) => r.registerCompiler(builtinRegistry().compiler(DEFAULT_COMPILER)!) }), new RegExp(`plugin "again" registered a compiler named "${DEFAULT_COMPILER}", but the caller already registered one`));
});

test("the built-in plugins register a Julia compiler, the local target and the remote target kind, and nothing else", () => {
  const registry = builtinRegistry();
  assert.equal(registry.compilerNames(), [DEFAULT_COMPILER]);
  assert.equal(registry.targetNames(), ["local", "remote"]);
});

test.run();
