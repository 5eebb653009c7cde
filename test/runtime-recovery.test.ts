// The local runtime server's faults between and during builds: a server that died while idle is
// replaced before the next build uses it (issue 16.10), and a CLI killed while its server is still
// starting leaves no private socket directory and no process behind (issue 16.11).
// Run: npx uvu -r tsx/cjs test runtime-recovery

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BuildEngine } from "../build/engine.js";
import { runtimeLocation } from "../plugins/xla-local/index.js";
import { descendants, processGone } from "./support/pty.js";
import { runPython } from "./support/python.js";

const location = runtimeLocation();
// Made when the tests start, not when the file loads (uvu loads every file first).
let work = "";

test.before(() => {
  work = mkdtempSync(join(tmpdir(), "tpu-build-runtime-recovery-test-"));
});

test.after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function eventually(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.unreachable(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every process whose command line mentions `text` (found through /proc, whoever its parent is). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(text) && !processGone(Number(name))) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test("a runtime server that died while idle is noticed and replaced: the next build succeeds", async () => {
  const dir = join(work, "idle-death");
  mkdirSync(dir);
  writeFileSync(join(dir, "m.jl"), "affine(x) = x .* 2f0 .+ 1f0\n");
  const config = join(dir, "tpu.config.json");
  writeFileSync(config, JSON.stringify({ entries: { f: { file: "m.jl", function: "affine", args: [{ eltype: "Float32", size: [5], value: { npy: "x.npy" } }], run: true } } }));
  const input = (seed: number) => runPython(`import sys, numpy as np\nnp.save(sys.argv[1], np.random.default_rng(${seed}).standard_normal(5).astype(np.float32))`, [join(dir, "x.npy")]);
  const engine = new BuildEngine({ config, persistent: true });
  try {
    input(1);
    const first = await engine.build({ config });
    assert.is(first.exitCode, 0);
    const servers = descendants(process.pid).filter((p) => p.cmdline.includes("server.py"));
    assert.is(servers.length, 1, "one runtime server for the persistent engine");
    process.kill(servers[0]!.pid, "SIGKILL");
    await eventually("the server is gone", () => processGone(servers[0]!.pid));
    input(2); // a new input, so the entry runs again
    const errors: string[] = [];
    const second = await engine.build({ config, error: (e) => errors.push(e) });
    assert.is(second.exitCode, 0, errors.join("\n"));
    const replaced = descendants(process.pid).filter((p) => p.cmdline.includes("server.py"));
    assert.is(replaced.length, 1);
    assert.is.not(replaced[0]!.pid, servers[0]!.pid);
    // The result is NumPy's, on the new input.
    const out = join(dir, ".tpu-build", "out", "f", readdirSync(join(dir, ".tpu-build", "out", "f")).find((n) => n.endsWith(".npy"))!);
    const diff = Number(runPython(`import sys, numpy as np\nx = np.load(sys.argv[1]); y = np.load(sys.argv[2])\nprint(float(np.abs(y - (x * np.float32(2) + np.float32(1))).max()))`, [join(dir, "x.npy"), out]));
    assert.ok(diff <= 1e-6, `the output differs from NumPy's by ${diff}`);
  } finally {
    await engine.close();
  }
});

for (const moment of ["as soon as it spawns the server", "while the server imports jax"] as const) {
  test(`a CLI killed ${moment} leaves no /tmp/tpu-build-runtime-* directory and no server`, async () => {
    const tmp = mkdtempSync(join(work, "tmp-"));
    const parent = spawn(process.execPath, ["--import", "tsx", join(location.root, "test", "fixtures", "runtime", "starting-parent.ts")], {
      cwd: location.root,
      env: { ...process.env, TMPDIR: tmp },
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 600_000,
      killSignal: "SIGKILL",
    });
    try {
      const socketDirs = () => readdirSync(tmp).filter((n) => n.startsWith("tpu-build-runtime-"));
      await eventually("the runtime's socket directory appears", () => socketDirs().length === 1, 30_000);
      if (moment === "while the server imports jax") await eventually("the server process runs", () => processesMentioning(tmp).length > 0);
      parent.kill("SIGKILL");
      // The server notices its parent's death only once Python runs its code, after importing jax:
      // seconds, and far more on a loaded CI machine.
      await eventually("the socket directory is removed", () => socketDirs().length === 0, 120_000);
      await eventually("no server process is left", () => processesMentioning(tmp).length === 0, 120_000);
    } finally {
      parent.kill("SIGKILL");
      for (const pid of processesMentioning(tmp)) process.kill(pid, "SIGKILL");
    }
  });
}

test.run();
