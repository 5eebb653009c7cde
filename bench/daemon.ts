// Benchmarks of the watch daemon (BENCHMARKS.md's "Watch daemon" section; never asserted in tests):
//   editToOutputs  edit -> new outputs on disk for the MLP example, warm daemon, XLA compile
//                  included, with tiered compilation (first outputs and optimized outputs) and
//                  without, edits in turn, and when each step of the first build happened;
//   noopBuild      a no-op build through the daemon with 200 entries (RPC from a warm client, and
//                  the whole `tpu-build build` process), against the in-process one-shot build;
//   memory         the daemon's resident memory while watching 10,000 files, and one edit.
// Run with `npm run bench:daemon` (it builds dist/ first). BENCH_ONLY=editToOutputs,noopBuild,memory
// runs some parts, the others keep their figures in bench/daemon.json (BENCH_ONLY=report: none, the
// section is re-rendered); BENCH_EDITS (default 25 per side) and BENCH_NOOP_BUILDS (default 30)
// shrink the samples for a quick look. Uses the compiled dist/, like the CLI.

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDaemon, stopDaemon } from "../dist/daemon/client.js";
import { build } from "../dist/build/engine.js";
import { attach, measureWatched, quantile, sleep } from "./daemon-workspaces.js";
import { writeSection } from "./sections.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "tpu-build.js");
const RESULTS = join(ROOT, "bench", "daemon.json");
const log = (line: string) => process.stderr.write(`${line}\n`);
const stamp = () => new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
/** Edits per side; the first EDIT_WARMUPS are not counted. */
const EDITS = Number(process.env.BENCH_EDITS ?? 25);
const EDIT_WARMUPS = Math.min(5, Math.floor(EDITS / 2));
/** No-op Build RPCs; a third as many whole CLI processes, and up to 3 in-process builds. */
const NOOP_BUILDS = Number(process.env.BENCH_NOOP_BUILDS ?? 30);
/** The issue's targets (issue 15). */
const TARGET = { editP50Ms: 250, noopRpcP50Ms: 100, memoryMB: 150 };

interface Part {
  at: string;
  /** The 1-minute load average when the part ended. */
  load: number;
}

/** One side of the edit benchmark; samples in ms after the write, warm-up edits left out. */
interface EditSide {
  tiered: boolean;
  firstMs: number[];
  /** Tiered: the optimized tier's outputs in place (only edits that went through the fast tier). */
  optimizedMs: number[];
  /** Julia -> HLO compile of predict (compile-finished's duration). */
  compileMs: number[];
  /** Each step of the first build by the daemon's timestamp (1 ms resolution), in the order seen. */
  phases: { step: string; msAfterWrite: number[] }[];
}

interface DaemonBench {
  machine?: { cpus: number; model: string; memGiB: number; node: string };
  editToOutputs?: Part & { edits: number; warmups: number; sides: EditSide[] };
  noopBuild?: Part & { entries: number; running: number; sourceFiles: number; firstBuildMs: number; engineMs: number[]; rpcMs: number[]; cliMs: number[]; inProcessMs: number[] };
  memory?: Part & { files: number; watched: number; rssMiB: number; rssAfterEditMiB: number; startMs: number; editMs: number; rebuilt: string[] };
}

/**
 * Edit -> outputs with tiered compilation (the default for watch builds) and without it: two
 * daemons on two copies of the workspace, edited in turn, so a burst of load on this shared machine
 * hits both sides.
 */
async function editToOutputs(r: DaemonBench): Promise<void> {
  const sides = [await editSide(true), await editSide(false)];
  try {
    for (let i = 1; i <= EDITS; i++) for (const side of i % 2 ? sides : [...sides].reverse()) await side.edit(i);
    r.editToOutputs = { at: stamp(), load: loadavg()[0]!, edits: EDITS - EDIT_WARMUPS, warmups: EDIT_WARMUPS, sides: sides.map((side) => side.result) };
  } finally {
    for (const side of sides) await side.close();
  }
}

async function editSide(tiered: boolean): Promise<{ edit(i: number): Promise<void>; result: EditSide; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-bench-mlp-"));
  mkdirSync(join(dir, "examples", "data"), { recursive: true });
  for (const f of ["mlp.jl", "layers.jl", "data/x.npy", "data/labels.npy"]) cpSync(join(ROOT, "examples", f), join(dir, "examples", f));
  const config = JSON.parse(spawnSync("git", ["show", "HEAD:tpu.config.json"], { cwd: ROOT, encoding: "utf8" }).stdout) as { entries: Record<string, unknown> };
  const entries = Object.fromEntries(["init", "predict", "evaluate"].map((k) => [k, config.entries[k]]));
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ watch: { tieredCompilation: tiered }, entries }, null, 2));
  const original = readFileSync(join(dir, "examples", "mlp.jl"), "utf8");
  if (!original.includes("predict(model, x) = softmax(model(x))")) throw new Error("examples/mlp.jl changed: update the benchmark's edit");
  const a = await attach(dir);
  const result: EditSide = { tiered, firstMs: [], optimizedMs: [], compileMs: [], phases: [] };
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
      let firstMs = 0;
      let optimizedMs: number | undefined;
      for (;;) {
        // From the first build that started after the write (the end of one already running is not this edit's).
        const all = a.events.slice(mark);
        const since = all.slice(Math.max(0, all.findIndex((e) => e.event === "build-started")));
        const built = all.some((e) => e.event === "build-started") ? since.find((e) => e.event === "build-finished") : undefined;
        if (!first && built) {
          if (!built.ok || !since.some((e) => e.event === "run-finished" && e.entry === "evaluate")) throw new Error(`edit ${i} did not rebuild: ${JSON.stringify(since.map((e) => e.event))}`);
          firstMs = performance.now() - t0;
          first = since.slice(0, since.indexOf(built) + 1);
          if (!tiered || !first.some((e) => finished(e, "fast"))) break;
        }
        const tierUp = first ? since.slice(first.length).findIndex((e) => finished(e, "optimized")) + first.length : -1;
        const tieredUp = first !== undefined && tierUp >= first.length;
        if (tieredUp && optimizedMs === undefined) optimizedMs = performance.now() - t0;
        if (tieredUp && since.slice(tierUp).some((e) => e.event === "build-finished")) break;
        await sleep(2);
      }
      const firstBuild = first!; // the loop ends only once it is set
      const compiled = firstBuild.find((e) => e.event === "compile-finished" && e.entry === "predict");
      if (i <= EDIT_WARMUPS) return;
      result.firstMs.push(firstMs);
      if (optimizedMs !== undefined) result.optimizedMs.push(optimizedMs);
      if (compiled) result.compileMs.push(compiled.durationMs as number);
      for (const e of firstBuild) {
        const step = `${e.event}${e.entry ? ` ${e.entry}` : ""}${e.tier ? ` (${e.tier})` : ""}`;
        let phase = result.phases.find((p) => p.step === step);
        if (!phase) result.phases.push((phase = { step, msAfterWrite: [] }));
        // The daemon's own timestamp (same clock): an event reaches us only when the daemon's
        // event loop is free, e.g. `compile-started` after that compile has finished.
        phase.msAfterWrite.push(Date.parse(e.at as string) - wroteAt);
      }
    },
    result,
    async close() {
      a.cancel();
      a.connection.close();
      await stopDaemon(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function noopBuild(r: DaemonBench): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-bench-200-"));
  const [entryCount, sourceFiles] = [200, 20];
  try {
    for (let i = 0; i < sourceFiles; i++) writeFileSync(join(dir, `m${i}.jl`), `f${i}(x) = x .* ${i + 1}f0 .+ 1f0\n`);
    const entries: Record<string, unknown> = {};
    for (let i = 0; i < entryCount; i++) {
      const m = i % sourceFiles;
      entries[`e${i}`] = i < sourceFiles ? { file: `m${m}.jl`, function: `f${m}`, args: [{ eltype: "Float32", size: [8, 8], value: { fill: i } }], run: true } : { file: `m${m}.jl`, function: `f${m}`, args: [{ from: `e${i - sourceFiles}` }], run: true };
    }
    writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries }));
    const config = join(dir, "tpu.config.json");
    const inProcessMs: number[] = [];
    for (let k = 0; k < Math.min(3, Math.ceil(NOOP_BUILDS / 3)); k++) {
      const t0 = performance.now();
      const s = await build({ config });
      if (!s.ok) throw new Error("in-process build failed");
      inProcessMs.push(performance.now() - t0);
    }
    const c = await ensureDaemon(dir);
    const first = performance.now();
    if ((await c.build(config, undefined, {})) !== 0) throw new Error("daemon build failed");
    const firstBuildMs = performance.now() - first;
    const rpcMs: number[] = [];
    const engineMs: number[] = [];
    for (let k = 0; k < NOOP_BUILDS; k++) {
      const t0 = performance.now();
      let ms = 0;
      const code = await c.build(config, undefined, { onEvent: (j) => { const e = JSON.parse(j); if (e.event === "build-finished") ms = e.durationMs; } });
      if (code !== 0) throw new Error("no-op build failed");
      rpcMs.push(performance.now() - t0);
      engineMs.push(ms);
    }
    c.close();
    const cliMs: number[] = [];
    for (let k = 0; k < Math.ceil(NOOP_BUILDS / 3); k++) {
      const t0 = performance.now();
      const p = spawnSync(process.execPath, [BIN, "build"], { cwd: dir, env: { ...process.env, CI: "", TPU_BUILD_DAEMON: "1" } });
      if (p.status !== 0) throw new Error(`cli: ${p.stderr}`);
      cliMs.push(performance.now() - t0);
    }
    r.noopBuild = { at: stamp(), load: loadavg()[0]!, entries: entryCount, running: entryCount, sourceFiles, firstBuildMs, engineMs, rpcMs, cliMs, inProcessMs };
  } finally {
    await stopDaemon(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function memory(r: DaemonBench): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-bench-10k-"));
  const files = 10_000;
  try {
    // One edit among them, to show the watch is live.
    const { startMs, status, statusAfterEdit: status2, editMs, rebuilt } = await measureWatched(dir, files, 2000);
    const mib = (bytes: unknown) => Number(bytes) / 2 ** 20;
    r.memory = { at: stamp(), load: loadavg()[0]!, files, watched: status.sessions[0]?.watchedFiles ?? 0, rssMiB: mib(status.rssBytes), rssAfterEditMiB: mib(status2.rssBytes), startMs, editMs, rebuilt };
  } finally {
    await stopDaemon(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the section

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const p50 = (xs: number[]) => quantile(xs, 0.5);
/** p50 with p95, min and max: the table's way of giving a sample. */
const dist = (xs: number[]) => (xs.length ? `p50 **${ms(p50(xs))} ms**, p95 ${ms(quantile(xs, 0.95))} (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))}; n = ${xs.length})` : "no samples");
/** MiB as MB (10^6 bytes), the unit of the target. */
const mb = (mib: number) => ((mib * 2 ** 20) / 1e6).toFixed(0);
const verdict = (met: boolean) => (met ? "**met**" : "**not met**");

function render(r: DaemonBench): string[] {
  const m = r.machine;
  const cores = m?.cpus ?? 1;
  const when = (p: Part) => `measured ${p.at}, load ${p.load.toFixed(1)}${p.load > cores ? ` on ${cores} cores: the load's figures more than the code's` : ""}`;
  const edit = r.editToOutputs;
  const tiered = edit?.sides.find((s) => s.tiered);
  const untiered = edit?.sides.find((s) => !s.tiered);
  const noop = r.noopBuild;
  const mem = r.memory;
  const out: string[] = [
    "",
    `Each part records when it ran and the 1-minute load average when it ended${m ? ` (${m.cpus} × ${m.model}, ${m.memGiB} GiB, Node ${m.node})` : ""}.`,
    "`npm run bench:daemon` reruns all of it (`BENCH_ONLY=editToOutputs,noopBuild,memory` some parts; the others keep",
    "their figures in bench/daemon.json) and rewrites this section. Samples are given as p50 with p95, min and max.",
    "",
    "| what | target | measured |",
    "|---|---|---|",
  ];
  if (tiered && untiered && edit) {
    const t = p50(tiered.firstMs);
    const u = p50(untiered.firstMs);
    out.push(
      `| edit → new outputs on disk, MLP example, warm daemon, XLA compile included, default XLA settings, tiered compilation (the default; ${when(edit)}) | p50 < ${TARGET.editP50Ms} ms | first outputs ${dist(tiered.firstMs)}: ${verdict(t < TARGET.editP50Ms)}; ${(t / u).toFixed(2)}× the untiered side's p50 |`,
      `| the optimized tier's outputs in place (the tier-up build after the background compile) | — | ${tiered.optimizedMs.length ? dist(tiered.optimizedMs) : "no edit went through the fast tier"} |`,
      `| the same edits with \`watch.tieredCompilation: false\`, the two daemons edited in turn | — | ${dist(untiered.firstMs)} |`,
    );
  }
  if (noop) {
    const rpc = p50(noop.rpcMs);
    out.push(
      `| no-op \`build\` through the daemon, ${noop.entries} entries: Build RPC from a connected client (${when(noop)}) | p50 < ${TARGET.noopRpcP50Ms} ms | ${dist(noop.rpcMs)}; engine time inside the daemon p50 ${ms(p50(noop.engineMs))} ms: ${verdict(rpc < TARGET.noopRpcP50Ms)} |`,
      `| the same, measured as the whole \`tpu-build build\` process | — | ${dist(noop.cliMs)} |`,
      `| the same workspace built in-process without a daemon, a fresh engine each time (the first build compiles and runs everything; the later ones find every run up to date from the records on disk) | — | ${dist(noop.inProcessMs)} |`,
    );
  }
  if (mem) {
    out.push(
      `| daemon resident memory while watching ${mem.watched.toLocaleString("en-US")} files (100 compile-only entries, 100 directories; ${when(mem)}) | < ${TARGET.memoryMB} MB | **${mb(mem.rssMiB)} MB** after the first build, ${mb(mem.rssAfterEditMiB)} MB after one more edit: ${verdict(mem.rssMiB * 2 ** 20 < TARGET.memoryMB * 1e6)} |`,
    );
  }
  out.push("", "Details:", "");
  if (tiered && untiered && edit) {
    const at = (side: EditSide, step: string) => {
      const phase = side.phases.find((p) => p.step === step) ?? side.phases.find((p) => p.step.startsWith(step));
      return phase ? p50(phase.msAfterWrite) : undefined;
    };
    /** From `predict`'s run start to its executable loaded: XLA's compile of the new module, as the daemon stamped it. */
    const xla = (side: EditSide) => {
      const [started, loaded] = [at(side, "run-started predict"), at(side, "executable-loaded predict")];
      return started !== undefined && loaded !== undefined ? `${ms(loaded - started)} ms` : "not seen";
    };
    // The steps of both sides in the order they happened (a step one side lacks, e.g. a tier, slots in at its place in the other's).
    const place = (step: string) => {
      const found = [tiered, untiered].map((s) => s.phases.findIndex((p) => p.step === step)).filter((i) => i >= 0);
      return found.reduce((x, y) => x + y, 0) / found.length;
    };
    const steps = [...new Set([...tiered.phases, ...untiered.phases].map((p) => p.step))].sort((x, y) => place(x) - place(y));
    const cell = (side: EditSide, step: string) => {
      const phase = side.phases.find((p) => p.step === step);
      return phase ? ms(p50(phase.msAfterWrite)) : "—";
    };
    const juliaDone = at(untiered, "compile-finished evaluate") ?? at(untiered, "compile-finished predict");
    const predictRun = at(untiered, "run-finished predict");
    const gain = p50(untiered.firstMs) - p50(tiered.firstMs);
    out.push(
      "- **Edit → outputs.** The edit changes a constant in `predict` of examples/mlp.jl (a new constant",
      "  each time, so every edit is a new module and a real XLA compile); `predict` reruns, `init` and",
      "  `evaluate` recompile to the same module hashes (`evaluate` reruns on `predict`'s new result with",
      "  its loaded executable). The time is from the write to the daemon's `build-finished` (the outputs",
      `  are renamed into place before it). Two daemons on two copies of the workspace, edited in turn, ${edit.edits} edit(s)`,
      `  each after ${edit.warmups} warm-up edit(s). The Julia → HLO compile of \`predict\` took p50 ${ms(p50(tiered.compileMs))} ms (tiered side) and`,
      `  ${ms(p50(untiered.compileMs))} ms (untiered). Each step of the first build, by the daemon's timestamp, ms after the write (p50):`,
      "",
      "  | step | tiered | untiered |",
      "  |---|---|---|",
      ...steps.map((step) => `  | ${step} | ${cell(tiered, step)} | ${cell(untiered, step)} |`),
      "",
      ...(juliaDone !== undefined && predictRun !== undefined
        ? [
            `  Untiered, the Julia compiles were done ${ms(juliaDone)} ms after the write and \`predict\`'s run finished at ${ms(predictRun)}:`,
            `  ${ms(predictRun - juliaDone)} ms of XLA's CPU compile of the new module, execute, download and the \`.npy\` writes. From \`predict\`'s`,
            `  run start to its executable loaded (XLA's compile): ${xla(tiered)} with the fast tier, ${xla(untiered)} optimized.`,
          ]
        : []),
      "- **Tiered compilation (the choice, and why).** Of the two ways the issue named, passing the",
      "  constants that differ between edits as parameters would remove the XLA compile for an edit that",
      "  changes only a literal, but would change the module (what XLA folds, hence `build`'s outputs) and",
      "  help no other edit; compiling fast first helps every edit and leaves the modules as they are. So a",
      "  watch build runs a module whose optimized executable the runtime does not hold with one compiled",
      "  at backend optimization level 0, and a later build of the watch loop replaces its outputs with the",
      "  optimized executable's (README, Watching; docs/DESIGN.md §5); `build` never uses the fast tier.",
      `  In this run the tiered side's first outputs came ${ms(Math.abs(gain))} ms (p50) ${gain >= 0 ? "sooner" : "later"} than the untiered side's,`,
      `  ${p50(tiered.firstMs) < TARGET.editP50Ms ? `${ms(TARGET.editP50Ms - p50(tiered.firstMs))} ms under` : `${ms(p50(tiered.firstMs) - TARGET.editP50Ms)} ms over`} the ${TARGET.editP50Ms} ms target. Besides XLA, what is left is the watcher's debounce`,
      "  and the sequential Julia compiles, two of which (`init`, `evaluate`) recompile to the same module.",
      "  Next steps: skip the Julia compile of an entry whose reached definitions did not change (front",
      "  end), and lift literals that differ between edits into parameters for the fast tier only (its",
      "  executable is replaced by the optimized one anyway), which would take XLA's compile out of a",
      "  literal-only edit. Rerun this part alone: `BENCH_ONLY=editToOutputs npm run bench:daemon`.",
    );
  }
  if (noop) {
    out.push(
      `- **No-op build.** ${noop.entries} entries over ${noop.sourceFiles} source files, ${noop.running === noop.entries ? "all" : noop.running} running, ${noop.entries - noop.sourceFiles} taking another entry's`,
      "  result. A no-op build stats each source, record and output file, and reads and hashes only those",
      "  whose stamp (device, inode, size, mode, mtime and ctime in ns; build/file-stamps.ts) changed; it",
      "  keeps the manifest, the include graphs, the cache keys and the artifacts while what they were",
      "  taken over is the same, and skips every run whose fingerprint (module hash, target, input content",
      "  digests, output dir) is unchanged and whose files still hold what it wrote. The daemon sends what",
      "  one turn of its event loop produces as one stream message, and collects garbage when it goes idle",
      `  rather than after every build. The first build in the daemon took ${ms(noop.firstBuildMs)} ms (compiles cached from the in-process`,
      `  builds); the whole process's p50 exceeds the RPC's by ${ms(p50(noop.cliMs) - p50(noop.rpcMs))} ms: Node's start and loading the daemon client and gRPC.`,
    );
  }
  if (mem) {
    out.push(
      "- **Memory.** RSS of the daemon process (`daemon status`), the runtime server excluded (compile-only",
      "  entries start none). The daemon holds one fs.watch on each of the 100 directories (one inotify",
      "  watch each, and none per file: a directory's watch reports writes to the files in it),",
      `  the include graphs of 100 entries and their artifacts. Starting, compiling the 100 entries and watching took`,
      `  ${(mem.startMs / 1000).toFixed(1)} s; an edit to one of the ${mem.files.toLocaleString("en-US")} files rebuilt ${mem.rebuilt.length ? `[${mem.rebuilt.join(", ")}]` : "nothing"} in ${ms(mem.editMs)} ms (debounce included).`,
    );
  }
  out.push("");
  return out;
}

async function main(): Promise<void> {
  const parts = { editToOutputs, noopBuild, memory };
  const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
  const unknown = only?.filter((p) => !(p in parts) && p !== "report");
  if (unknown?.length) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(", ")}; parts are ${Object.keys(parts).join(", ")}`);
  const r = (existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, "utf8")) : {}) as DaemonBench;
  process.env.CI = "";
  for (const [name, run] of Object.entries(parts)) {
    if (only && !only.includes(name)) continue;
    r.machine = { cpus: cpus().length, model: cpus()[0]?.model ?? "?", memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
    log(`bench:daemon ${name}`);
    await run(r);
    writeFileSync(RESULTS, `${JSON.stringify(r, null, 1)}\n`);
  }
  const section = render(r);
  console.log(section.join("\n"));
  writeSection("daemon", "`npm run bench:daemon`; edit bench/daemon.ts", section, (report, body) => `${report.trimEnd()}\n\n## Watch daemon (\`npm run bench:daemon\`, bench/daemon.ts)\n\n${body}\n`);
}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
