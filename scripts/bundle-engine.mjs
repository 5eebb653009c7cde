// Part of the build (after tsc and preparse-prelude): the Node API (dist/index.js: the build engine
// and everything it loads for a compile, the compiler) as one CommonJS script, with a V8 code cache, for cold starts.
//
// A cold `tpu-build build` spent ~100-150 ms loading ~90 modules (resolving, reading and compiling
// each: our ESM files and protobufjs' CommonJS ones) and more compiling the compiler's functions
// lazily as they first ran. One script loaded through vm.Script with the cache made here skips both:
// the cache holds the bytecode of every function a representative build ran (cli/load-engine.ts).
//
// Writes, beside dist/build/engine.js:
//   engine.bundle.cjs      esbuild's bundle of dist/index.js; `import.meta.url` of each
//                          module is rewritten to that module's own file URL, so every path the code
//                          derives from it (the prelude, proto/, its pre-parsed tree) is unchanged;
//   engine.bundle.json     the files bundled and one SHA-256 of them all: the loader uses the bundle
//                          only while it still matches (a later bare `tsc` makes it fall back to dist/'s
//                          modules, never run stale code);
//   engine.bundle.v8cache  V8's code cache for the bundle after compiling examples/ in a temporary
//                          workspace (V8 ignores a cache made by another V8 version or flags).
//
//   node scripts/bundle-engine.mjs

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleDist } from "./bundle-dist.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const entry = join(dist, "index.js");
const { ENGINE_BUNDLE, inputsDigest } = await import("../dist/cli/load-engine.js");
const out = join(dist, ENGINE_BUNDLE.script);

for (const f of [ENGINE_BUNDLE.script, ENGINE_BUNDLE.inputs, ENGINE_BUNDLE.cache]) rmSync(join(dist, f), { force: true });

const result = await bundleDist(entry, out);

// One SHA-256 over every bundled file (names and contents, in order): the loader reads and hashes
// them all again, so one digest is the cheapest exact check (~1 MB, a few ms).
const inputs = Object.keys(result.metafile.inputs)
  .sort()
  .map((input) => relative(dist, join(root, input)).split("\\").join("/"));
writeFileSync(join(dist, ENGINE_BUNDLE.inputs), JSON.stringify({ sha256: inputsDigest(dist, inputs), inputs }, null, 1) + "\n");

// The code cache: load the bundle as the CLI does, build the examples, then save what V8 compiled.
const { loadEngineBundle } = await import("../dist/cli/load-engine.js");
const loaded = loadEngineBundle({ forCache: true });
if (!loaded) throw new Error("bundle-engine: the bundle just written does not load");
const work = mkdtempSync(join(tmpdir(), "tpu-build-bundle-"));
try {
  cpSync(join(root, "examples"), join(work, "examples"), { recursive: true });
  const entries = {
    vgg19_init: { file: "examples/vgg19.jl", function: "vgg19", args: [{ const: 19 }, { const: 224 }, { const: 1000 }] },
    vgg19_forward: { file: "examples/vgg19.jl", function: "vgg19_forward", args: [{ from: "vgg19_init" }, { eltype: "Float32", size: [224, 224, 3, 1] }] },
    mlp_init: { file: "examples/mlp.jl", function: "init_mlp", args: [{ const: 1 }, { const: 32 }] },
    mlp_predict: { file: "examples/mlp.jl", function: "predict", args: [{ from: "mlp_init" }, { eltype: "Float32", size: [16, 32] }] },
  };
  writeFileSync(join(work, "tpu.config.json"), JSON.stringify({ entries }));
  const errors = [];
  const summary = await loaded.engine.build({ config: join(work, "tpu.config.json"), cacheDir: join(work, "cache"), error: (e) => errors.push(e) });
  if (!summary.ok) throw new Error(`bundle-engine: the warm-up build failed:\n${errors.join("\n")}`);
  const cache = loaded.script.createCachedData();
  writeFileSync(join(dist, ENGINE_BUNDLE.cache), cache);
  console.log(`bundle-engine: wrote ${relative(root, out)} (${(readFileSync(out).length / 1024).toFixed(0)} KiB, ${inputs.length} files) and its code cache (${(cache.length / 1024).toFixed(0)} KiB)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
