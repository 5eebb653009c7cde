// The engine bundle of cold starts (cli/load-engine.ts, scripts/bundle-engine.mjs): used only while
// every file it was made from is unchanged, and then the same engine as dist/'s modules.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ENGINE_BUNDLE, inputsDigest, loadEngineBundle } from "../cli/load-engine.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A dist/ with a stand-in bundle made from two files, as scripts/bundle-engine.mjs records them. */
function fakeDist(): string {
  const dist = mkdtempSync(join(tmpdir(), "tpu-bundle-"));
  mkdirSync(join(dist, "build"));
  writeFileSync(join(dist, "build", "a.js"), "export const a = 1;\n");
  writeFileSync(join(dist, "build", "b.js"), "export const b = 2;\n");
  writeFileSync(join(dist, ENGINE_BUNDLE.script), `module.exports = { marker: "bundled", dir: __dirname, same: require("node:path") === require("path") };\n`);
  const inputs = ["build/a.js", "build/b.js"];
  writeFileSync(join(dist, ENGINE_BUNDLE.inputs), JSON.stringify({ sha256: inputsDigest(dist, inputs), inputs }));
  return dist;
}

test("a bundle whose files are unchanged loads as a CommonJS script", () => {
  const dist = fakeDist();
  try {
    const loaded = loadEngineBundle({ dist });
    assert.ok(loaded);
    assert.equal(loaded!.engine as unknown, { marker: "bundled", dir: join(dist, "build"), same: true });
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});

test("a bundle is refused once a file it was made from changes, disappears, or its record is missing", () => {
  const dist = fakeDist();
  try {
    writeFileSync(join(dist, "build", "a.js"), "export const a = 3;\n"); // same length, other content
    assert.is(loadEngineBundle({ dist }), undefined);
    writeFileSync(join(dist, "build", "a.js"), "export const a = 1;\n");
    assert.ok(loadEngineBundle({ dist }), "the original content is accepted again");
    rmSync(join(dist, "build", "b.js"));
    assert.is(loadEngineBundle({ dist }), undefined);
    rmSync(join(dist, ENGINE_BUNDLE.inputs));
    assert.is(loadEngineBundle({ dist }), undefined);
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});

test("a code cache V8 cannot use is ignored, not trusted", () => {
  const dist = fakeDist();
  try {
    writeFileSync(join(dist, ENGINE_BUNDLE.cache), Buffer.from("not a V8 code cache"));
    const loaded = loadEngineBundle({ dist });
    assert.ok(loaded);
    assert.is(loaded!.script.cachedDataRejected, true);
    assert.is((loaded!.engine as unknown as { marker: string }).marker, "bundled");
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});

test("the built bundle, when current, compiles a workspace to the same artifacts as dist/'s modules", () => {
  const bundled = loadEngineBundle({ dist: join(ROOT, "dist") });
  if (!bundled) {
    // `npm test` builds first (npm run build makes the bundle); a bare tsc leaves none current.
    console.warn("  (no current engine bundle in dist/: run `npm run build`; skipped)");
    return;
  }
  const work = mkdtempSync(join(tmpdir(), "tpu-bundle-build-"));
  try {
    cpSync(join(ROOT, "examples"), join(work, "examples"), { recursive: true });
    const mlp = "examples/mlp.jl";
    const entries = { init: { file: mlp, function: "init_mlp", args: [{ const: 1 }, { const: 32 }] }, predict: { file: mlp, function: "predict", args: [{ from: "init" }, { eltype: "Float32", size: [16, 32] }] } };
    writeFileSync(join(work, "tpu.config.json"), JSON.stringify({ entries }));
    // Two processes: one loads the engine from the bundle, the other from dist/'s modules.
    const script = (viaBundle: boolean) => `
      const { loadEngineBundle } = await import(${JSON.stringify(join(ROOT, "dist", "cli", "load-engine.js"))});
      const engine = ${viaBundle ? `loadEngineBundle().engine` : `await import(${JSON.stringify(join(ROOT, "dist", "build", "engine.js"))})`};
      const hashes = {};
      const s = await engine.build({ config: ${JSON.stringify(join(work, "tpu.config.json"))}, cacheDir: process.argv[1], onEvent: (e) => { if (e.event === "compile-finished") hashes[e.entry] = [e.key, e.hash]; } });
      process.stdout.write(JSON.stringify({ ok: s.ok, hashes }));`;
    const run = (viaBundle: boolean) => {
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script(viaBundle), join(work, viaBundle ? "cache-bundle" : "cache-modules")], { encoding: "utf8", timeout: 120_000 });
      assert.is(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { ok: boolean; hashes: Record<string, [string, string]> };
    };
    const viaBundle = run(true);
    const viaModules = run(false);
    assert.ok(viaBundle.ok && viaModules.ok);
    assert.equal(Object.keys(viaBundle.hashes).sort(), ["init", "predict"]);
    assert.equal(viaBundle.hashes, viaModules.hashes, "same cache keys and module hashes");
    assert.equal(readFileSync(join(work, "cache-bundle", "artifacts", viaBundle.hashes.predict![0].slice(0, 2), viaBundle.hashes.predict![0], "module.hlo.txt"), "utf8"), readFileSync(join(work, "cache-modules", "artifacts", viaModules.hashes.predict![0].slice(0, 2), viaModules.hashes.predict![0], "module.hlo.txt"), "utf8"));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
