// The artifact cache and the run outputs are owner-only (issue 16.13): under the usual umask (022)
// every directory a build creates there is 0700 and every file 0600, as the runtime's executable
// cache is. A real build on the real runtime server, in a fresh temporary directory.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../build/engine.js";

test("cache artifacts and outputs are created owner-only under umask 022", async () => {
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
    for (const root of [".tpu-build/cache", ".tpu-build/out"]) walk(join(dir, root));
    assert.ok(readdirSync(join(dir, ".tpu-build", "cache", "artifacts")).length > 0, "the build wrote an artifact");
    assert.equal(open, [], "directories 0700, files without group or other bits");
    assert.is(statSync(join(dir, ".tpu-build")).mode & 0o777, 0o700);
  } finally {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
