// The daemon's warm-up (daemon/warm-up.ts): a persistent engine keeps each entry's last compile to
// replay, a replay is the same compile (the same module bytes as the build's artifact), and replays
// run one at a time while idle, never while a build is busy, and stop at the budget.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, copyFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildEngine } from "../build/engine.js";
import { artifactHash } from "../build/cache.js";
import type { CompileResult } from "../plugins/api.js";
import { CompilerWarmUp } from "../daemon/warm-up.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const idle = () => new Promise((resolve) => setTimeout(resolve, 20));
/** Waits (at most 10 s, the machine may be loaded) until `done()`. */
async function until(done: () => boolean): Promise<void> {
  for (const t0 = Date.now(); !done() && Date.now() - t0 < 10_000; ) await idle();
}

test("replays run round-robin while idle, one per turn of the event loop, and stop at the budget", async () => {
  const warmUp = new CompilerWarmUp(5);
  const calls: string[] = [];
  let spent = 0;
  let busy = true;
  warmUp.whileIdle([() => calls.push("a"), () => calls.push("b")], () => busy, () => spent++);
  await idle();
  assert.equal(calls, [], "nothing while a build is busy");
  busy = false;
  warmUp.whileIdle([() => calls.push("a"), () => calls.push("b")], () => busy, () => spent++);
  assert.equal(calls, [], "nothing before the event loop turns");
  await until(() => spent > 0);
  assert.equal(calls, ["a", "b", "a", "b", "a"]);
  assert.is(spent, 1);
  warmUp.whileIdle([() => calls.push("c")], () => busy, () => spent++);
  await idle();
  assert.is(calls.length, 5, "the budget is the process's, spent once");
});

test("a persistent engine's replay of an entry's compile gives the module of its artifact", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-warm-up-"));
  try {
    mkdirSync(join(dir, "examples"));
    for (const f of ["mlp.jl", "layers.jl"]) copyFileSync(join(ROOT, "examples", f), join(dir, "examples", f));
    const config = join(dir, "tpu.config.json");
    const entries = {
      init: { file: "examples/mlp.jl", function: "init_mlp", args: [{ const: 1 }, { const: 32 }] },
      predict: { file: "examples/mlp.jl", function: "predict", args: [{ from: "init" }, { eltype: "Float32", size: [16, 32] }] },
    };
    writeFileSync(config, JSON.stringify({ entries }));
    const engine = new BuildEngine({ config, persistent: true, cacheDir: join(dir, "cache"), outDir: join(dir, "out") });
    try {
      assert.equal(engine.replayableCompiles, []);
      const errors: string[] = [];
      const summary = await engine.build({ error: (t) => errors.push(t) });
      assert.ok(summary.ok, errors.join("\n"));
      const replays = engine.replayableCompiles.map((replay) => replay() as CompileResult);
      assert.is(replays.length, 2);
      const hashes = replays.map((r) => (r.ok ? artifactHash(r.module) : "failed"));
      assert.equal(hashes.sort(), [summary.entries.init!.hash, summary.entries.predict!.hash].sort());
      assert.not.ok(engine.building);
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
