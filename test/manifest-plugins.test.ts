// The manifest's `plugins` (build/manifest-plugins.ts): the example target plugin of
// examples/plugins/ loaded from its manifest and used for a real run (checked against NumPy), and
// every way a plugin can fail to load reported at its own item of `plugins`, all at once.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import { loadManifest } from "../build/manifest.js";
import { withManifestPlugins } from "../build/manifest-plugins.js";
import { builtinRegistry } from "../plugins/builtin.js";
import { runPython } from "./support/python.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLE = join(ROOT, "examples", "plugins");
const test = suite("manifest plugins");
const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  rmSync(join(EXAMPLE, ".tpu-build"), { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-manifest-plugins-"));
  dirs.push(dir);
  return dir;
}

test("examples/plugins: the manifest's target plugin runs the entry and logs it; the result is NumPy's", async () => {
  assert.ok(existsSync(join(ROOT, "dist", "index.js")), "run `npm run build` first (the example imports the package by its name)");
  const out = tempDir();
  const errors: string[] = [];
  const summary = await build({ config: join(EXAMPLE, "tpu.config.json"), outDir: out, cacheDir: join(out, "cache"), error: (t) => errors.push(t) });
  assert.is(summary.exitCode, 0, errors.join("\n"));
  const log = readFileSync(join(EXAMPLE, ".tpu-build", "timings.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { entry: string; outputs: [string, number[]][] });
  assert.is(log.length, 1);
  assert.is(log[0]!.entry, "affine");
  assert.equal(log[0]!.outputs, [["Float32", [4, 32]]]);
  const close = runPython(
    "import sys, numpy as np\nx = np.load(sys.argv[1]); y = np.load(sys.argv[2])\nexpected = np.full((4, 16), 0.25, np.float32) @ x + np.float32(0.5)\nprint(y.shape == expected.shape and bool(np.allclose(y, expected, rtol=1e-5, atol=1e-5)))",
    [join(ROOT, "examples", "data", "x.npy"), join(out, "affine", "0.npy")],
  );
  assert.is(close.trim(), "True");
});

test("a plugin that is missing, throws, exports nothing or takes a registered name is an error at its item, all at once", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "m.jl"), "f(x) = x\n");
  writeFileSync(join(dir, "throws.mjs"), `throw new Error("cannot start: no licence");\n`);
  writeFileSync(join(dir, "empty.mjs"), `export const unrelated = 1;\n`);
  writeFileSync(join(dir, "local-again.mjs"), `export default { name: "impostor", register(r) { r.registerTarget({ name: "local", open: async () => { throw new Error("x"); } }); } };\n`);
  writeFileSync(join(dir, "fine.mjs"), `export const plugin = { name: "fine", register(r) { r.registerTarget({ name: "fine", open: async () => { throw new Error("x"); } }); } };\n`);
  const items = ["./missing.mjs", "./throws.mjs", "./empty.mjs", "./local-again.mjs", "no-such-tpu-build-plugin", "./fine.mjs"];
  const text = `{\n  "plugins": [\n${items.map((i) => `    ${JSON.stringify(i)}`).join(",\n")}\n  ],\n  "entries": { "f": { "file": "m.jl", "function": "f" } }\n}\n`;
  const config = join(dir, "tpu.config.json");
  writeFileSync(config, text);
  const loaded = await loadManifest(config);
  assert.ok(loaded.ok);
  if (!loaded.ok) return;
  const r = await withManifestPlugins(loaded.manifest, builtinRegistry());
  assert.ok(!r.ok);
  if (r.ok) return;
  const lines = text.split("\n");
  const expected: [number, RegExp][] = [
    [0, /plugin module "\.\/missing\.mjs" not found/],
    [1, /plugin "\.\/throws\.mjs" failed to load: cannot start: no licence/],
    [2, /plugin "\.\/empty\.mjs" exports no plugin/],
    [3, /could not register: .*target named "local".*already registered/],
    [4, /plugin package "no-such-tpu-build-plugin" not found/],
  ];
  assert.is(r.diagnostics.length, expected.length, r.diagnostics.map((d) => d.message).join("\n"));
  r.diagnostics.forEach((d, k) => {
    const [item, message] = expected[k]!;
    assert.is(d.pointer, `/plugins/${item}`);
    assert.is(d.code, "plugin-load-failed");
    assert.match(d.message, message);
    assert.is(d.line, 3 + item);
    assert.is(d.col, lines[2 + item]!.indexOf('"') + 1);
  });
  // A build reports them as an invalid manifest (exit 2).
  const events: BuildEvent[] = [];
  const summary = await build({ config, onEvent: (e) => events.push(e) });
  assert.is(summary.exitCode, 2);
  const invalid = events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid && invalid.event === "manifest-invalid" && invalid.diagnostics.length === expected.length);
});

test("a compiler a manifest plugin registers is chosen by the manifest's \"compiler\"; an unknown one is an error at that field", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "m.jl"), "double(x) = 2f0 .* x\n");
  const julia = pathToFileURL(join(ROOT, "dist", "plugins", "julia", "index.js")).href;
  // A compiler of its own name that logs each entry it compiles, then compiles it as the Julia compiler does.
  writeFileSync(
    join(dir, "logging-compiler.mjs"),
    `import { appendFileSync } from "node:fs";\nimport { juliaCompiler } from ${JSON.stringify(julia)};\n` +
      `export default { name: "logging", register(r) { r.registerCompiler({ ...juliaCompiler, name: "logging-julia", compile(request) { appendFileSync(${JSON.stringify(join(dir, "compiled.log"))}, request.entry + "\\n"); return juliaCompiler.compile(request); } }); } };\n`,
  );
  const manifest = (compiler: string) => `{\n  "plugins": ["./logging-compiler.mjs"],\n  "compiler": ${JSON.stringify(compiler)},\n  "entries": { "double": { "file": "m.jl", "function": "double", "args": [{ "eltype": "Float32", "size": [3] }] } }\n}\n`;
  const config = join(dir, "tpu.config.json");
  writeFileSync(config, manifest("logging-julia"));
  const chosen = await build({ config, cacheDir: join(dir, "cache") });
  assert.is(chosen.exitCode, 0);
  assert.is(readFileSync(join(dir, "compiled.log"), "utf8"), "double\n", "the manifest's compiler compiled the entry");

  writeFileSync(config, manifest("loging-julia"));
  const events: BuildEvent[] = [];
  const refused = await build({ config, cacheDir: join(dir, "cache"), onEvent: (e) => events.push(e) });
  assert.is(refused.exitCode, 2);
  const invalid = events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid && invalid.event === "manifest-invalid");
  assert.is(invalid.diagnostics.length, 1);
  assert.match(invalid.diagnostics[0]!.location!, /tpu\.config\.json:3:15$/);
  assert.match(invalid.diagnostics[0]!.message, 'unknown compiler "loging-julia"');
  assert.match(invalid.diagnostics[0]!.rendered, 'did you mean "logging-julia"?');
});

test.run();
