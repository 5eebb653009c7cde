// The artifact cache and the run outputs are owner-only (issue 16.13): under the usual umask (022)
// every directory a build creates there is 0700 and every file 0600, as the runtime's executable
// cache is, and what older versions left open is tightened. A real build on the real runtime
// server, in a fresh temporary directory.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../build/engine.js";
import { testWhenAvailable } from "./support/outputs.js";

test("cache artifacts, outputs, build records and run summaries are created owner-only under umask 022", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-permissions-"));
  const umask = process.umask(0o022);
  try {
    writeFileSync(join(dir, "m.jl"), "f(x) = x .* 2\n");
    writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries: { e: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [3], value: { fill: 1 } }], run: true } } }));
    const errors: string[] = [];
    const summary = await build({ config: join(dir, "tpu.config.json"), error: (t) => errors.push(t) });
    assert.is(summary.exitCode, 0, errors.join("\n"));
    const open: string[] = [];
    const walk = (path: string) => {
      const s = statSync(path);
      const mode = s.mode & 0o777;
      if (s.isDirectory()) {
        if (mode !== 0o700) open.push(`${path} ${mode.toString(8)}`);
        for (const f of readdirSync(path)) walk(join(path, f));
      } else if (mode & 0o077) open.push(`${path} ${mode.toString(8)}`);
    };
    for (const root of [".tpu-build/cache", ".tpu-build/out", ".tpu-build/state", ".tpu-build/runs"]) walk(join(dir, root));
    assert.ok(readdirSync(join(dir, ".tpu-build", "cache", "artifacts")).length > 0, "the build wrote an artifact");
    assert.equal(open, [], "directories 0700, files without group or other bits");
    assert.is(statSync(join(dir, ".tpu-build")).mode & 0o777, 0o700);
  } finally {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  }
});

const whenRoot = testWhenAvailable(test, process.getuid?.() === 0 ? undefined : "making a cache directory owned by another user needs root");

whenRoot("a cache, outputs and executables left open to others by an older version are made owner-only with a warning; another user's cache is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-permissions-old-"));
  try {
    // What versions before issue 16.13 left under umask 022: directories 0755, files 0644.
    for (const d of ["cache/artifacts/ab", "out/e", "executables"]) mkdirSync(join(dir, ".tpu-build", d), { recursive: true, mode: 0o755 });
    for (const d of ["", "cache", "cache/artifacts", "cache/artifacts/ab", "out", "out/e", "executables"]) chmodSync(join(dir, ".tpu-build", d), 0o755);
    writeFileSync(join(dir, "m.jl"), "f(x) = x .* 2\n");
    writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries: { e: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [3], value: { fill: 1 } }], run: true } } }));
    const config = join(dir, "tpu.config.json");
    const errors: string[] = [];
    const summary = await build({ config, error: (t) => errors.push(t) });
    assert.is(summary.exitCode, 0, errors.join("\n"));
    const text = errors.join("\n");
    for (const d of ["cache", "out"]) {
      assert.match(text, `${join(dir, ".tpu-build", d)} was open to other users (mode 755`);
      assert.is(statSync(join(dir, ".tpu-build", d)).mode & 0o777, 0o700, d);
    }
    assert.is(statSync(join(dir, ".tpu-build", "executables")).mode & 0o777, 0o700, "the runtime tightens its executable cache");
    // A second build has nothing to tighten.
    const again: string[] = [];
    assert.is((await build({ config, error: (t) => again.push(t) })).exitCode, 0);
    assert.not.match(again.join("\n"), "open to other users");
    // Another user's cache: its owner could read or replace the artifacts.
    chownSync(join(dir, ".tpu-build", "cache"), 65534, 65534);
    const refused: string[] = [];
    assert.is((await build({ config, error: (t) => refused.push(t) })).exitCode, 1);
    assert.match(refused.join("\n"), `${join(dir, ".tpu-build", "cache")} belongs to another user (uid 65534)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
