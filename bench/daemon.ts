// Benchmarks of the watch daemon (reported in BENCHMARKS.md; never asserted in tests):
//   1. edit -> new outputs on disk for the MLP example, warm daemon, XLA compile included, with
//      tiered compilation (first outputs and optimized outputs) and without, edits in turn;
//   2. a no-op build through the daemon with 200 entries (RPC from a warm client, and the whole
//      `tpu-build build` process), against the in-process one-shot build;
//   3. the daemon's resident memory while watching 10,000 files.
// Run with `npm run bench:daemon` (it builds dist/ first). Uses the compiled dist/, like the CLI.

import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDaemon, stopDaemon } from "../dist/daemon/client.js";
import { build } from "../dist/build/engine.js";
import { attach, quantile, sleep, watchedWorkspace } from "./daemon-workspaces.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "tpu-build.js");
const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p95 ${quantile(xs, 0.95).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} (n=${xs.length})`;

/**
 * Edit -> outputs with tiered compilation (the default for watch builds) and without it: two
 * daemons on two copies of the workspace, edited in turn, so a burst of load on this shared machine
 * hits both sides.
 */
async function editToOutputs(): Promise<string> {
  const sides = [await editSide(true), await editSide(false)];
  try {
    for (let i = 1; i <= 25; i++) for (const side of i % 2 ? sides : [...sides].reverse()) await side.edit(i);
    return sides.map((side) => side.report()).join("\n");
  } finally {
    for (const side of sides) await side.close();
  }
}

async function editSide(tiered: boolean): Promise<{ edit(i: number): Promise<void>; report(): string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-bench-mlp-"));
  mkdirSync(join(dir, "examples", "data"), { recursive: true });
  for (const f of ["mlp.jl", "layers.jl", "data/x.npy", "data/labels.npy"]) cpSync(join(ROOT, "examples", f), join(dir, "examples", f));
  const config = JSON.parse(spawnSync("git", ["show", "HEAD:tpu.config.json"], { cwd: ROOT, encoding: "utf8" }).stdout) as { entries: Record<string, unknown> };
  const entries = Object.fromEntries(["init", "predict", "evaluate"].map((k) => [k, config.entries[k]]));
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ watch: { tieredCompilation: tiered }, entries }, null, 2));
  const original = readFileSync(join(dir, "examples", "mlp.jl"), "utf8");
  if (!original.includes("predict(model, x) = softmax(model(x))")) throw new Error("examples/mlp.jl changed: update the benchmark's edit");
  const a = await attach(dir);
  const times: number[] = [];
  const optimized: number[] = [];
  const compileMs: number[] = [];
  // Per edit, when the daemon stamped each step (ms after the write): where the time goes.
  const phases = new Map<string, number[]>();
  // evaluate's module does not change with the edit (its optimized executable is loaded): predict's run says the tier.
  const finished = (e: Record<string, unknown>, tier: string) => e.event === "run-finished" && e.entry === "predict" && e.tier === tier;
  return {
    async edit(i: number) {
      await sleep(300);
      const mark = a.events.length;
      // A new constant each time: a new module, so the XLA compile is part of every measurement.
      const edited = original.replace("predict(model, x) = softmax(model(x))", `predict(model, x) = softmax(model(x) .* ${(1 + i * 1e-3).toFixed(3)}f0)`);
      const t0 = performance.now();
      const wroteAt = Date.now();
      writeFileSync(join(dir, "examples", "mlp.jl"), edited);
      // The first outputs (the fast tier's when tiered); then, when tiered, the optimized tier's, and the end of that build.
      let first: Record<string, unknown>[] | undefined;
      for (;;) {
        // From the first build that started after the write (the end of one already running is not this edit's).
        const all = a.events.slice(mark);
        const since = all.slice(Math.max(0, all.findIndex((e) => e.event === "build-started")));
        const built = all.some((e) => e.event === "build-started") ? since.find((e) => e.event === "build-finished") : undefined;
        if (!first && built) {
          if (!built.ok || !since.some((e) => e.event === "run-finished" && e.entry === "evaluate")) throw new Error(`edit ${i} did not rebuild: ${JSON.stringify(since.map((e) => e.event))}`);
          times.push(performance.now() - t0);
          first = since.slice(0, since.indexOf(built) + 1);
          if (!tiered || !first.some((e) => finished(e, "fast"))) break;
        }
        const tierUp = first ? since.slice(first.length).findIndex((e) => finished(e, "optimized")) + first.length : -1;
        const tieredUp = first !== undefined && tierUp >= first.length;
        if (tieredUp && optimized.length < times.length) optimized.push(performance.now() - t0);
        if (tieredUp && since.slice(tierUp).some((e) => e.event === "build-finished")) break;
        await sleep(2);
      }
      const firstBuild = first!; // the loop ends only once it is set
      const compiled = firstBuild.find((e) => e.event === "compile-finished" && e.entry === "predict");
      if (compiled) compileMs.push(compiled.durationMs as number);
      if (i <= 5) return;
      for (const e of firstBuild) {
        const name = `${e.event}${e.entry ? ` ${e.entry}` : ""}${e.tier ? ` (${e.tier})` : ""}`;
        if (!phases.has(name)) phases.set(name, []);
        // The daemon's own timestamp (same clock): an event reaches us only when the daemon's
        // event loop is free, e.g. `compile-started` after that compile has finished.
        phases.get(name)!.push(Date.parse(e.at as string) - wroteAt);
      }
    },
    report: () =>
      [
        `edit -> new outputs on disk (MLP: predict + evaluate recompiled and rerun, XLA compile included), warm daemon, first 5 edits discarded, default XLA settings, watch.tieredCompilation ${tiered}:`,
        `  first outputs${tiered ? " (predict's from its fast-compiled executable)" : ""}: ${fmt(times.slice(5))}`,
        ...(tiered ? [`  optimized outputs in place (the tier-up build after the background compile): ${optimized.length > 5 ? fmt(optimized.slice(5)) : `only ${optimized.length} edits went through the fast tier`}`] : []),
        `  of which the debounce is 100 ms; Julia->HLO compile of predict ${fmt(compileMs.slice(5))}`,
        `  each step of the first build, by the daemon's timestamp, ms after the write (p50; timestamps have 1 ms resolution):`,
        ...[...phases].map(([name, at]) => `    ${name.padEnd(38)} ${quantile(at, 0.5).toFixed(1)}`),
      ].join("\n"),
    async close() {
      a.cancel();
      a.connection.close();
      await stopDaemon(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function noopBuild(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-bench-200-"));
  try {
    const lines: string[] = [];
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `m${i}.jl`), `f${i}(x) = x .* ${i + 1}f0 .+ 1f0\n`);
    const entries: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) {
      const m = i % 20;
      entries[`e${i}`] = i < 20 ? { file: `m${m}.jl`, function: `f${m}`, args: [{ eltype: "Float32", size: [8, 8], value: { fill: i } }], run: true } : { file: `m${m}.jl`, function: `f${m}`, args: [{ from: `e${i - 20}` }], run: true };
    }
    writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries }));
    const config = join(dir, "tpu.config.json");
    const oneShot: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const s = await build({ config });
      if (!s.ok) throw new Error("in-process build failed");
      oneShot.push(performance.now() - t0);
    }
    const c = await ensureDaemon(dir);
    const first = performance.now();
    if ((await c.build(config, undefined, {})) !== 0) throw new Error("daemon build failed");
    lines.push(`200 entries (each runs; 180 take another's result): first build in the daemon ${(performance.now() - first).toFixed(0)} ms (compiles cached from the in-process builds)`);
    const rpc: number[] = [];
    const inDaemon: number[] = [];
    for (let k = 0; k < 30; k++) {
      const t0 = performance.now();
      let ms = 0;
      const code = await c.build(config, undefined, { onEvent: (j) => { const e = JSON.parse(j); if (e.event === "build-finished") ms = e.durationMs; } });
      if (code !== 0) throw new Error("no-op build failed");
      rpc.push(performance.now() - t0);
      inDaemon.push(ms);
    }
    c.close();
    const cli: number[] = [];
    for (let k = 0; k < 10; k++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [BIN, "build"], { cwd: dir, env: { ...process.env, CI: "", TPU_BUILD_DAEMON: "1" } });
      if (r.status !== 0) throw new Error(`cli: ${r.stderr}`);
      cli.push(performance.now() - t0);
    }
    lines.push(`  no-op build, engine time inside the daemon:          ${fmt(inDaemon)}`);
    lines.push(`  no-op build, Build RPC from a connected client:      ${fmt(rpc)}`);
    lines.push(`  no-op build, whole \`tpu-build build\` process:       ${fmt(cli)}`);
    lines.push(`  same workspace, in-process one-shot build (no daemon; every run reruns, runtime server started each time): ${fmt(oneShot)}`);
    return lines.join("\n");
  } finally {
    await stopDaemon(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function memory(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-bench-10k-"));
  try {
    const edited = watchedWorkspace(dir, 10_000);
    const t0 = performance.now();
    const a = await attach(dir);
    while (!a.events.some((e) => e.event === "watch-started")) await sleep(20);
    const ready = performance.now() - t0;
    await sleep(2000);
    const status = await a.connection.status();
    const files = status.sessions[0]?.watchedFiles ?? 0;
    const rss = Number(status.rssBytes) / 2 ** 20;
    // One edit among them, to show the watch is live.
    const mark = a.events.length;
    const e0 = performance.now();
    writeFileSync(edited, `h7_1(x) = x .+ 100f0\n`);
    while (!a.events.slice(mark).some((e) => e.event === "build-finished")) await sleep(5);
    const editMs = performance.now() - e0;
    const compiled = a.events.slice(mark).filter((e) => e.event === "compile-finished").map((e) => e.entry);
    const status2 = await a.connection.status();
    a.cancel();
    a.connection.close();
    return [
      `daemon watching ${files} files (100 compile-only entries, each including 99 files in its own directory):`,
      `  resident memory ${rss.toFixed(0)} MB after the first build and watch (${(ready / 1000).toFixed(1)} s to start, compile 100 entries and watch); ${(Number(status2.rssBytes) / 2 ** 20).toFixed(0)} MB after one more edit`,
      `  an edit to one of the 10,000 files rebuilt [${compiled.join(", ")}] in ${editMs.toFixed(0)} ms (debounce included)`,
    ].join("\n");
  } finally {
    await stopDaemon(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`);
  process.env.CI = "";
  // BENCH_ONLY=memory (or a comma list of editToOutputs, noopBuild, memory) runs a subset.
  const only = process.env.BENCH_ONLY?.split(",");
  for (const run of [editToOutputs, noopBuild, memory].filter((f) => !only || only.includes(f.name))) {
    console.log(await run());
  }
}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
