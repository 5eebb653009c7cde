// The local target's `xlaFlags` setting: real builds on the real runtime server. The flags reach
// XLA (an executable compiled with them is a different cache entry), the results stay right
// (checked against NumPy), a value that is not a list of XLA flags is refused with its name, and a
// flag that writes files (--xla_dump_to) writes only inside the workspace (issue 16.14).
// Run: npx uvu -r tsx/cjs test xla-flags.test.ts

import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build } from "../build/engine.js";
import { runPython } from "./support/python.js";

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SOURCE = `
softsign_layer(W, x) = (W * x) ./ (1f0 .+ abs.(W * x))
`;

/** A workspace whose entry runs softsign(W x) on inputs NumPy writes, with `xlaFlags` for the local target. */
function workspace(xlaFlags: string | undefined): { dir: string; config: string; manifest: { targets: { local: Record<string, unknown> } } } {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-xla-flags-"));
  dirs.push(dir);
  writeFileSync(join(dir, "layer.jl"), SOURCE);
  runPython(
    `
import sys, numpy as np
rng = np.random.default_rng(7)
np.save(sys.argv[1], np.asfortranarray(rng.standard_normal((5, 4)).astype(np.float32)))
np.save(sys.argv[2], np.asfortranarray(rng.uniform(size=(4, 6)).astype(np.float32)))
`,
    [join(dir, "W.npy"), join(dir, "x.npy")],
  );
  const manifest = {
    targets: { local: { cacheDir: "executables", ...(xlaFlags === undefined ? {} : { xlaFlags }) } },
    entries: {
      layer: {
        file: "layer.jl",
        function: "softsign_layer",
        args: [
          { eltype: "Float32", size: [5, 4], value: { npy: "W.npy" } },
          { eltype: "Float32", size: [4, 6], value: { npy: "x.npy" } },
        ],
        run: true,
      },
    },
  };
  const config = join(dir, "tpu.config.json");
  writeFileSync(config, JSON.stringify(manifest, null, 2));
  return { dir, config, manifest };
}

/** The largest difference between the run's output and NumPy's softsign(W x) (in float64) of the same inputs. */
function differenceFromNumpy(dir: string): number {
  const script = `
import sys, numpy as np
y, W, x = (np.load(p) for p in sys.argv[1:])
z = W.astype(np.float64) @ x.astype(np.float64)
print(float(np.max(np.abs(y - z / (1 + np.abs(z))))))
`;
  return Number(runPython(script, [join(dir, ".tpu-build", "out", "layer", "0.npy"), join(dir, "W.npy"), join(dir, "x.npy")]).trim());
}

test("xlaFlags reach XLA, key the executable cache, and keep results right", async () => {
  const { dir, config: manifestPath, manifest } = workspace(undefined);
  const plain = await build({ config: manifestPath });
  assert.is(plain.exitCode, 0, "the build without flags");
  assert.ok(differenceFromNumpy(dir) < 1e-5, "results without flags match NumPy");
  const executables = () => readdirSync(join(dir, "executables")).filter((f) => f.endsWith(".exe")).sort();
  const before = executables();
  assert.is(before.length, 1, "one executable compiled");

  manifest.targets.local.xlaFlags = "--xla_backend_optimization_level=0";
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  const fast = await build({ config: manifestPath });
  assert.is(fast.exitCode, 0, "the build with flags");
  assert.ok(fast.entries.layer?.ran, "a change of target settings reruns the entry");
  assert.ok(differenceFromNumpy(dir) < 1e-5, "results with flags match NumPy");
  const after = executables();
  assert.is(after.length, 2, `the flags are part of the executable's cache key (${after.join(", ")})`);
  assert.ok(before.every((f) => after.includes(f)), "the executable without flags is kept");
});

test("xlaFlags that are not XLA flags are a manifest error, naming the setting", async () => {
  const { config } = workspace("-O3 --fast");
  const errors: string[] = [];
  const summary = await build({ config, error: (t) => errors.push(t) });
  assert.is(summary.exitCode, 2);
  assert.match(errors.join("\n"), /settings\.xlaFlags must be a string of XLA flags/);
});

test("--xla_dump_to writes only inside the workspace: a path there is used, one outside (or a symlink out) is a manifest error", async () => {
  const { dir, config, manifest } = workspace("--xla_dump_to=dump");
  const summary = await build({ config });
  assert.is(summary.exitCode, 0);
  assert.ok(readdirSync(join(dir, "dump")).some((f) => f.endsWith(".txt")), "XLA dumped its HLO into <workspace>/dump");
  const outside = mkdtempSync(join(tmpdir(), "tpu-build-xla-dump-outside-"));
  dirs.push(outside);
  symlinkSync(outside, join(dir, "escape"));
  for (const flags of [`--xla_dump_to=${outside}`, "--xla_dump_to=../elsewhere", "--xla_dump_to=escape/dump", "--xla_dump_to"]) {
    manifest.targets.local.xlaFlags = flags;
    writeFileSync(config, JSON.stringify(manifest, null, 2));
    const errors: string[] = [];
    const refused = await build({ config, error: (t) => errors.push(t) });
    assert.is(refused.exitCode, 2, `${flags}: ${errors.join("\n")}`);
    assert.match(errors.join("\n"), /tpu\.config\.json:\d+:\d+: error: --xla_dump_to writes or reads files/);
  }
  assert.equal(readdirSync(outside), [], "nothing was written outside the workspace");
});

test.run();
