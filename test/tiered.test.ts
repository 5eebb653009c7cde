// Tiered compilation in watch builds, end to end with the real runtime server: a changed module runs
// first with a fast-compiled executable (XLA's backend optimization level 0), its optimized
// executable compiles in the background, and a later build reruns the entry with it and replaces
// the outputs. Expected values come from NumPy; module hashes and tiers from the events.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildEngine } from "../build/engine.js";
import type { BuildEvent, DaemonEvent } from "../build/events.js";
import { WatchSession } from "../daemon/watch.js";
import { runPython } from "./support/jax.js";
import { float32Output } from "./support/outputs.js";

const test = suite("tiered compilation");

const model = (c: string) => `scaled(W, x) = tanh.(W * x) .* ${c}f0\nshifted(y) = y .+ 1f0\n`;
const MANIFEST = {
  entries: {
    scaled: { file: "model.jl", function: "scaled", args: [{ eltype: "Float32", size: [4, 3], value: { npy: "W.npy" } }, { eltype: "Float32", size: [3, 2], value: { npy: "x.npy" } }], run: true },
    shifted: { file: "model.jl", function: "shifted", args: [{ from: "scaled" }], run: true },
  },
};

async function workspace(c: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-tiered-"));
  writeFileSync(join(dir, "model.jl"), model(c));
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify(MANIFEST, null, 2));
  await runPython(`np.save(INPUT + "/W.npy", (np.arange(12, dtype=np.float32).reshape(4, 3) - 6) / 5)\nnp.save(INPUT + "/x.npy", np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2))\nemit(None)`, dir);
  return dir;
}

/** NumPy's scaled and shifted for the constant c, in Julia's column-major order (as the .npy outputs hold them). */
function reference(dir: string, c: string): Promise<{ scaled: number[]; shifted: number[] }> {
  return runPython(
    `W = np.load(INPUT["dir"] + "/W.npy"); x = np.load(INPUT["dir"] + "/x.npy")\ny = (np.tanh(W @ x) * np.float32(INPUT["c"])).astype(np.float32)\nemit({"scaled": y.flatten(order="F").tolist(), "shifted": (y + np.float32(1)).flatten(order="F").tolist()})`,
    { dir, c: Number(c) },
  );
}

function assertOutputs(dir: string, expected: { scaled: number[]; shifted: number[] }, when: string): void {
  for (const entry of ["scaled", "shifted"] as const) {
    const got = float32Output(dir, entry);
    assert.ok(got, `${when}: ${entry} wrote no output`);
    assert.is(got!.length, expected[entry].length);
    got!.forEach((v, i) => assert.ok(Math.abs(v - expected[entry][i]!) <= 1e-6 * (1 + Math.abs(expected[entry][i]!)), `${when}: ${entry}[${i}] is ${v}, NumPy ${expected[entry][i]}`));
  }
}

type RunFinished = Extract<BuildEvent, { event: "run-finished" }>;
const runs = (events: (BuildEvent | DaemonEvent)[]) => events.filter((e): e is RunFinished => e.event === "run-finished");

test("a tiered build runs fast-compiled executables; `build` reruns them optimized, and the files hold the optimized run's values", async () => {
  const dir = await workspace("1.5");
  const engine = new BuildEngine({ config: join(dir, "tpu.config.json"), persistent: true });
  try {
    const expected = await reference(dir, "1.5");
    const first: BuildEvent[] = [];
    const tiered = await engine.build({ watch: true, tiered: true, onEvent: (e) => first.push(e) });
    assert.ok(tiered.ok, "the tiered build failed");
    // A fresh workspace: no optimized executable exists yet, so both entries ran the fast tier.
    assert.equal(runs(first).map((e) => [e.entry, e.tier]), [["scaled", "fast"], ["shifted", "fast"]]);
    assert.equal(tiered.fastTier, ["scaled", "shifted"]);
    assertOutputs(dir, expected, "after the fast tier");
    assert.is(await engine.optimizedTier(), true);

    // An explicit build never takes a fast-tier run for its own: it reruns both with the optimized executables.
    const second: BuildEvent[] = [];
    const explicit = await engine.build({ onEvent: (e) => second.push(e) });
    assert.ok(explicit.ok);
    assert.equal(runs(second).map((e) => [e.entry, e.tier]), [["scaled", "optimized"], ["shifted", "optimized"]]);
    assert.is(explicit.fastTier, undefined);
    assertOutputs(dir, expected, "after the optimized tier");

    // Those are the build's outputs: a tiered watch build now finds them up to date, and runs nothing fast.
    const third: BuildEvent[] = [];
    await engine.build({ watch: true, tiered: true, onEvent: (e) => third.push(e) });
    assert.is(runs(third).length, 0);
    assert.equal(third.filter((e) => e.event === "run-up-to-date").map((e) => (e as { entry: string }).entry), ["scaled", "shifted"]);
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an edit during the optimized compile: the newer edit's outputs win, optimized, and no older module's run comes after them", async () => {
  const dir = await workspace("1.5");
  const session = new WatchSession({ config: join(dir, "tpu.config.json") });
  const events: DaemonEvent[] = [];
  let onFastRun: (() => void) | undefined;
  session.subscribe({
    onEvent: (e) => {
      events.push(e);
      // The second edit is written the moment the first edit's fast run finishes: before its build
      // ends, so the optimized compile it starts runs while the second edit is built.
      if (e.event === "run-finished" && e.entry === "scaled" && e.tier === "fast" && onFastRun) {
        const f = onFastRun;
        onFastRun = undefined;
        f();
      }
    },
  });
  try {
    await session.start();
    await session.settled();
    const expected = await reference(dir, "2.5");
    const mark = events.length;
    let secondWritten = -1;
    onFastRun = () => {
      writeFileSync(join(dir, "model.jl"), model("2.5"));
      secondWritten = events.length;
    };
    writeFileSync(join(dir, "model.jl"), model("0.5"));
    // Both edits, each fast tier and tier-up, until nothing is left to do.
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the edits' builds");
      await new Promise((r) => setTimeout(r, 700));
      await session.settled();
      const last = runs(events.slice(mark)).filter((e) => e.entry === "shifted").at(-1);
      if (secondWritten >= 0 && last?.tier === "optimized" && events.length > secondWritten) {
        const n = events.length;
        await new Promise((r) => setTimeout(r, 700));
        await session.settled();
        if (events.length === n) break;
      }
    }
    const after = events.slice(mark);
    const hashes = new Map<string, string>();
    for (const e of after) if (e.event === "compile-finished" || e.event === "compile-cache-hit") hashes.set(e.entry, e.hash);
    const newest = hashes.get("scaled")!;
    const scaledRuns = runs(after).filter((e) => e.entry === "scaled");
    assert.ok(scaledRuns.some((e) => e.tier === "fast"), "the first edit ran no fast tier");
    // Once the newest module has written outputs, no run of an older module of that entry follows.
    const firstNewest = scaledRuns.findIndex((e) => e.hash === newest);
    assert.ok(firstNewest >= 0, "the second edit's module never ran");
    assert.equal(scaledRuns.slice(firstNewest).filter((e) => e.hash !== newest), []);
    for (const entry of ["scaled", "shifted"]) assert.is(runs(after).filter((e) => e.entry === entry).at(-1)!.tier, "optimized", `${entry}'s last outputs are not the optimized tier's`);
    assertOutputs(dir, expected, "after both edits");
    // And they are what `build` makes: an explicit build through the session finds every run up to date.
    const explicit: BuildEvent[] = [];
    await session.build({ onEvent: (e) => explicit.push(e) });
    assert.is(runs(explicit).length, 0);
  } finally {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
