// How costs grow with the work (issue 15; BENCHMARKS.md's "How costs grow", never asserted in tests):
//   depth   the front end's compile time and instructions against model depth: VGG 11/13/16/19 and
//           a GPT-style stack of 2/4/8/16 blocks (bench/depth.jl), in a warm process, and whether
//           the growth is linear;
//   noop    a no-op build through the daemon against the number of entries (200, 1,000, 5,000);
//   watch   the daemon's resident memory against the number of watched files (10,000, 100,000);
//   peak    peak memory of the CLI and of the runtime server running VGG19 at batch 100 (the
//           paper's largest batch), against the bytes of the tensors involved.
// Run with `npm run bench:scaling` (it builds dist/ first); BENCH_ONLY=depth,noop,watch,peak runs
// some parts, the others keep their figures in bench/scaling.json. Uses the compiled dist/.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ArgSpec, CompileResult, TypeTree } from "../plugins/api.js";
import { compileEntry } from "../dist/compiler/compile.js";
import { ensureDaemon, stopDaemon } from "../dist/daemon/client.js";
import { parseNpyHeader } from "../dist/build/npy.js";
import { RuntimeProcess } from "../dist/plugins/xla-local/index.js";
import { measureWatched, sleep } from "./daemon-workspaces.js";
import { type Spread, spread } from "./results.js";
import { writeSection } from "./sections.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PYTHON = process.env.TPU_BUILD_PYTHON ?? join(ROOT, "runtime", ".venv", "bin", "python");
const BIN = join(ROOT, "bin", "tpu-build.js");
const RESULTS = join(ROOT, "bench", "scaling.json");
const log = (line: string) => process.stderr.write(`${line}\n`);
const stamp = () => new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
const MiB = 2 ** 20;

interface Part {
  at: string;
  /** The 1-minute load average when the part ended. */
  load: number;
}

interface DepthRow {
  family: "VGG" | "GPT";
  /** Weight layers (VGG) or blocks (GPT). */
  depth: number;
  /** What one unit of depth is, for "per block". */
  blocks: number;
  ms: Spread;
  instructions: number;
}

interface Scaling {
  machine?: { cpus: number; model: string; memGiB: number; node: string };
  depth?: Part & { warmups: number; rows: DepthRow[] };
  noop?: Part & { rows: { entries: number; running: number; sourceFiles: number; rpcMs: Spread; engineMs: Spread; cpuMs?: number; firstBuildMs: number; rssMiB: number }[] };
  watch?: Part & { rows: { files: number; watched: number; rssMiB: number; startMs: number; editMs: number; rebuilt: string[] }[] };
  peak?: Part & { batch: number; parameterBytes: number; inputBytes: number; resultBytes: number; cliPeakBytes: number; serverPeakBytes: number; serverBaselineBytes: number; xlaTemporaryBytes?: number; direct?: { idleBytes: number; peakBytes: number }; wallMs: number };
}

// ---- depth: the front end against model depth

const DEPTH_WARMUPS = 10;
const DEPTH_SAMPLES = 10;

const readSource = (p: string) => {
  try {
    return readFileSync(join(ROOT, p), "utf8");
  } catch {
    return undefined;
  }
};

function compile(fn: string, args: ArgSpec[]): Extract<CompileResult, { ok: true }> {
  const r = compileEntry({ entry: fn, file: "bench/depth.jl", function: fn, args, readSource });
  if (!r.ok) throw new Error(`${fn}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r;
}

const consts = (...values: unknown[]): ArgSpec[] => values.map((value) => ({ kind: "const", value }) as ArgSpec);
const runtime = (type: TypeTree): ArgSpec => ({ kind: "runtime", type });

function depth(s: Scaling): void {
  const models = [
    ...[11, 13, 16, 19].map((d) => ({ family: "VGG" as const, depth: d, blocks: d, init: compile("vgg", consts(d, 1, 224, 1000)), input: [224, 224, 3, 1] })),
    ...[2, 4, 8, 16].map((d) => ({ family: "GPT" as const, depth: d, blocks: d, init: compile("gpt", consts(1, 64, 4, d)), input: [64, 32, 2] })),
  ].map((m) => ({ ...m, args: [runtime(m.init.signature.output), runtime({ kind: "array", eltype: "Float32", size: m.input })], times: [] as number[], instructions: 0 }));
  // Round the models, warm-ups first: every row measured in the same state of V8.
  for (let i = 0; i < DEPTH_WARMUPS; i++) for (const m of models) compile("forward", m.args);
  for (let i = 0; i < DEPTH_SAMPLES; i++)
    for (const m of models) {
      const t0 = performance.now();
      const r = compile("forward", m.args);
      m.times.push(performance.now() - t0);
      m.instructions = r.stats.instructions;
    }
  s.depth = { at: stamp(), load: loadavg()[0]!, warmups: DEPTH_WARMUPS, rows: models.map((m) => ({ family: m.family, depth: m.depth, blocks: m.blocks, ms: spread(m.times), instructions: m.instructions })) };
  for (const m of models) log(`depth ${m.family} ${m.depth}: ${spread(m.times).median.toFixed(1)} ms, ${m.instructions} instructions`);
}

// ---- noop: a no-op build through the daemon against the number of entries

const NOOP_SAMPLES = 10;

/**
 * `n` entries over n/10 source files; one entry in ten runs (the others are compile-only), and a
 * running entry past the first 20 takes the result of the running entry 200 before it.
 */
function noopWorkspace(dir: string, n: number): { running: number; sourceFiles: number } {
  const files = n / 10;
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `m${i}.jl`), `f${i}(x) = x .* ${i + 1}f0 .+ 1f0\n`);
  const entries: Record<string, unknown> = {};
  let running = 0;
  for (let i = 0; i < n; i++) {
    const m = i % files;
    const runs = i % 10 === 0;
    if (runs) running++;
    const input = runs && i >= 200 ? { from: `e${i - 200}` } : { eltype: "Float32", size: [8, 8], value: { fill: i % 7 } };
    entries[`e${i}`] = { file: `m${m}.jl`, function: `f${m}`, args: [input], run: runs };
  }
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries }));
  return { running, sourceFiles: files };
}

/** CPU time a process has used (user + system), in ms (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function noop(s: Scaling): Promise<void> {
  const rows: NonNullable<Scaling["noop"]>["rows"] = [];
  for (const n of [200, 1000, 5000]) {
    const dir = mkdtempSync(join(tmpdir(), `tpu-bench-noop-${n}-`));
    try {
      const { running, sourceFiles } = noopWorkspace(dir, n);
      const config = join(dir, "tpu.config.json");
      const c = await ensureDaemon(dir);
      const t0 = performance.now();
      if ((await c.build(config, undefined, {})) !== 0) throw new Error(`noop ${n}: the first build failed`);
      const firstBuildMs = performance.now() - t0;
      // One more build lets the daemon's idle collection and the watcher settle before sampling.
      await c.build(config, undefined, {});
      await sleep(1500);
      const rpc: number[] = [];
      const engine: number[] = [];
      // The daemon's CPU time (user + system, from /proc), which the machine's load does not inflate as it does wall time.
      const pid = Number((await c.status()).pid);
      const cpu0 = cpuMsOf(pid);
      for (let k = 0; k < NOOP_SAMPLES; k++) {
        let ms = 0;
        let ran = 0;
        const t = performance.now();
        const code = await c.build(config, undefined, { onEvent: (j) => { const e = JSON.parse(j); if (e.event === "build-finished") ms = e.durationMs; if (e.event === "run-started" || e.event === "compile-started") ran++; } });
        if (code !== 0 || ran) throw new Error(`noop ${n}: not a no-op (exit ${code}, ${ran} compiles or runs)`);
        rpc.push(performance.now() - t);
        engine.push(ms);
      }
      const cpuMs = (cpuMsOf(pid) - cpu0) / NOOP_SAMPLES;
      const rssMiB = Number((await c.status()).rssBytes) / MiB;
      c.close();
      rows.push({ entries: n, running, sourceFiles, rpcMs: spread(rpc), engineMs: spread(engine), cpuMs, firstBuildMs, rssMiB });
      log(`noop ${n}: Build RPC p50 ${spread(rpc).median.toFixed(1)} ms (engine ${spread(engine).median.toFixed(1)} ms, daemon CPU ${cpuMs.toFixed(1)} ms), first build ${(firstBuildMs / 1000).toFixed(1)} s`);
    } finally {
      await stopDaemon(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  s.noop = { at: stamp(), load: loadavg()[0]!, rows };
}

// ---- watch: the daemon's memory against the number of watched files

async function watch(s: Scaling): Promise<void> {
  const rows: NonNullable<Scaling["watch"]>["rows"] = [];
  for (const files of [10_000, 100_000]) {
    const dir = mkdtempSync(join(tmpdir(), `tpu-bench-watch-${files}-`));
    try {
      // The daemon collects garbage once idle for a second.
      const { startMs, status, editMs, rebuilt } = await measureWatched(dir, files, 2500);
      rows.push({ files, watched: status.sessions[0]?.watchedFiles ?? 0, rssMiB: Number(status.rssBytes) / MiB, startMs, editMs, rebuilt });
      log(`watch ${files}: ${(Number(status.rssBytes) / MiB).toFixed(0)} MiB, edit ${editMs.toFixed(0)} ms`);
    } finally {
      await stopDaemon(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  s.watch = { at: stamp(), load: loadavg()[0]!, rows };
}

// ---- peak: memory of the CLI and the runtime server running VGG19 at batch 100

const PEAK_BATCH = 100;

/** VmHWM (peak resident set) and VmRSS of a process, in bytes; undefined once it has exited. */
function memoryOf(pid: number): { hwm: number; rss: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { hwm: kb("VmHWM"), rss: kb("VmRSS") };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // The parent pid is the second field after the command's closing parenthesis.
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Bytes of the data in the .npy files under `dir` (headers excluded). */
function npyBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".npy")) continue;
    const bytes = readFileSync(join(dir, f));
    const h = parseNpyHeader(bytes);
    if (!h.ok) throw new Error(`${f}: not an .npy file`);
    n += bytes.length - h.value.dataOffset;
  }
  return n;
}

async function peak(s: Scaling): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-bench-peak-"));
  try {
    mkdirSync(join(dir, "examples"));
    writeFileSync(join(dir, "examples", "vgg19.jl"), readFileSync(join(ROOT, "examples", "vgg19.jl")));
    const size = [224, 224, 3, PEAK_BATCH];
    writeFileSync(
      join(dir, "tpu.config.json"),
      JSON.stringify({
        entries: {
          init: { file: "examples/vgg19.jl", function: "vgg19", args: [19, 224, 1000].map((c) => ({ const: c })), run: true },
          forward: { file: "examples/vgg19.jl", function: "vgg19_forward", args: [{ from: "init" }, { eltype: "Float32", size, value: { random: "uniform", seed: 1 } }], run: true },
        },
      }),
    );
    const t0 = performance.now();
    const cli = spawn(process.execPath, [BIN, "build"], { cwd: dir, env: { ...process.env, CI: "true" }, stdio: ["ignore", "inherit", "inherit"] });
    const exited = new Promise<number | null>((resolve) => cli.on("exit", resolve));
    let cliPeak = 0;
    let serverPeak = 0;
    let server: number | undefined;
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      const m = memoryOf(cli.pid!);
      if (m) cliPeak = Math.max(cliPeak, m.hwm);
      server ??= childrenOf(cli.pid!).find((p) => /python/.test(readFileSync(`/proc/${p}/cmdline`, "utf8")));
      const sm = server !== undefined ? memoryOf(server) : undefined;
      if (sm) serverPeak = Math.max(serverPeak, sm.hwm);
      await sleep(50);
    }
    const code = await exited;
    if (code !== 0) throw new Error(`peak: tpu-build build exited ${code}`);
    const out = join(dir, ".tpu-build", "out");
    const parameterBytes = npyBytes(join(out, "init"));
    const resultBytes = npyBytes(join(out, "forward"));
    const inputBytes = size.reduce((a, b) => a * b, 4);
    // What a runtime server holds before any tensor: Python, jax and XLA's CPU client, idle.
    const idle = await RuntimeProcess.start();
    const record = JSON.parse(readFileSync(join(dir, ".tpu-build", "state", "forward.json"), "utf8")) as { compile: { key: string } };
    const key = record.compile.key;
    const module = join(dir, ".tpu-build", "cache", "artifacts", key.slice(0, 2), key, "module.hlo.pb");
    let serverBaseline: number;
    let xlaTemporaryBytes: number;
    try {
      await sleep(1000);
      serverBaseline = memoryOf(idle.pid)?.rss ?? 0;
      // The memory XLA's executable itself needs while it runs (its buffers for activations), from
      // its compiled memory statistics: what is left of the device memory it asks for once its
      // arguments and results (the tensors above) are taken out.
      const compiled = await idle.client.compile(readFileSync(module), key);
      xlaTemporaryBytes = compiled.deviceMemoryBytes - parameterBytes - inputBytes - resultBytes;
    } finally {
      await idle.close();
    }
    // The same forward pass run by PJRT in a bare process (no server, no transfers): what XLA
    // itself peaks at, beside which the server's own share shows.
    log("peak: the forward pass run directly by PJRT (bench/peak_direct.py)");
    const run = spawnSync(PYTHON, [join(ROOT, "bench", "peak_direct.py"), module], { encoding: "utf8", env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" } });
    if (run.status !== 0) throw new Error(`peak_direct.py exited ${run.status}: ${run.stderr}`);
    const direct = JSON.parse(run.stdout) as { idleBytes: number; peakBytes: number };
    s.peak = { at: stamp(), load: loadavg()[0]!, batch: PEAK_BATCH, parameterBytes, inputBytes, resultBytes, cliPeakBytes: cliPeak, serverPeakBytes: serverPeak, serverBaselineBytes: serverBaseline, xlaTemporaryBytes, direct, wallMs: performance.now() - t0 };
    log(`peak: CLI ${(cliPeak / MiB).toFixed(0)} MiB, server ${(serverPeak / MiB).toFixed(0)} MiB, tensors ${((parameterBytes + inputBytes + resultBytes) / MiB).toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the section

/** Least-squares line through (x, y): slope, intercept and the largest residual relative to y. */
function fit(xs: number[], ys: number[]): { slope: number; intercept: number; worst: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const intercept = my - slope * mx;
  const worst = Math.max(...xs.map((x, i) => Math.abs(intercept + slope * x - ys[i]!) / ys[i]!));
  return { slope, intercept, worst };
}

const f1 = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const sp = (s: Spread) => `${f1(s.median)} (${f1(s.min)}–${f1(s.max)}, n=${s.n})`;
const mib = (bytes: number) => (bytes < MiB ? `${(bytes / 1024).toFixed(0)} KiB` : `${(bytes / MiB).toFixed(0)} MiB`);
/** Within how much of a line a measured cost must lie for the report to call its growth linear. */
const LINEAR_WITHIN = 0.15;

function render(s: Scaling): string[] {
  const m = s.machine;
  const cores = m?.cpus ?? 1;
  // A part measured with more runnable work than cores says so under its heading: its times are the load's.
  const loaded = (p: Part) => (p.load > cores ? [`The load (${p.load.toFixed(1)}) exceeded the ${cores} cores: the times here say more about the load than the code; rerun this part on a quiet machine.`, ``] : []);
  const out: string[] = [
    `Each part records when it ran and the 1-minute load average when it ended${m ? ` (${m.cpus} × ${m.model}, ${m.memGiB} GiB, Node ${m.node})` : ""}.`,
    `\`npm run bench:scaling\` reruns all of it (\`BENCH_ONLY=depth,noop,watch,peak\` some parts; the others keep their`,
    `figures in bench/scaling.json) and rewrites this section.`,
    ``,
  ];
  if (s.depth) {
    out.push(
      `### Front end against model depth (measured ${s.depth.at}, load ${s.depth.load.toFixed(1)})`,
      ``,
      ...loaded(s.depth),
      `Julia → HloModuleProto (\`compileEntry\` from dist/, the forward pass of each model, its type from its init entry) in a`,
      `warm process, ${s.depth.warmups} warm-up compiles of every model first and the samples taken round the models (bench/depth.jl:`,
      `VGG with 11, 13, 16 and 19 weight layers at 224×224, batch 1; a GPT-style stack of attention and feed-forward`,
      `blocks, 64 features, 4 heads, 32 tokens, batch 2). Per block: the growth from the smallest to the largest model,`,
      `divided by the blocks added.`,
      ``,
      `| model | blocks | compile, ms | instructions |`,
      `|---|---|---|---|`,
      ...s.depth.rows.map((r) => `| ${r.family}${r.family === "VGG" ? r.depth : `, ${r.depth} blocks`} | ${r.blocks} | ${sp(r.ms)} | ${r.instructions} |`),
      ``,
    );
    for (const family of ["VGG", "GPT"] as const) {
      const rows = s.depth.rows.filter((r) => r.family === family);
      if (rows.length < 2) continue;
      const first = rows[0]!;
      const last = rows.at(-1)!;
      const added = last.blocks - first.blocks;
      const time = fit(rows.map((r) => r.blocks), rows.map((r) => r.ms.median));
      const instr = fit(rows.map((r) => r.blocks), rows.map((r) => r.instructions));
      const linear = (w: number) => (w <= LINEAR_WITHIN ? "linear" : "not linear");
      out.push(
        `- **${family}**: ${f1((last.ms.median - first.ms.median) / added)} ms and ${((last.instructions - first.instructions) / added).toFixed(1)} instructions per block. Compile time is ${linear(time.worst)} in the blocks (a least-squares line leaves at most ${(time.worst * 100).toFixed(0)}% of a median off it; ${time.intercept.toFixed(1)} ms fixed), instructions ${linear(instr.worst)} (at most ${(instr.worst * 100).toFixed(1)}% off).`,
      );
    }
    out.push(``, `"Linear" means every median lies within ${LINEAR_WITHIN * 100}% of the least-squares line through them.`, ``);
  }
  if (s.noop) {
    const at1000 = s.noop.rows.find((r) => r.entries === 1000);
    out.push(
      `### A no-op build through the daemon against the number of entries (measured ${s.noop.at}, load ${s.noop.load.toFixed(1)})`,
      ``,
      ...loaded(s.noop),
      `A workspace of N entries over N/10 source files; one entry in ten runs (the rest compile only), and each running`,
      `entry past the first 20 takes the result of the one 200 before it. After the first build, the Build RPC of a`,
      `connected client (\`tpu-build build\` through the daemon, without Node's start) and the engine's own time in the`,
      `daemon (build-finished's duration), ${NOOP_SAMPLES} no-op builds each; every run up to date, nothing compiled. The`,
      `daemon's CPU time per no-op (user + system, /proc) is the figure the machine's load does not inflate.`,
      ``,
      `| entries | running | Build RPC, ms | engine, ms | daemon CPU per no-op, ms | per 1,000 entries, ms | daemon RSS | first build (compiles and runs), s |`,
      `|---|---|---|---|---|---|---|---|`,
      ...s.noop.rows.map((r) => `| ${r.entries.toLocaleString("en-US")} | ${r.running} | ${sp(r.rpcMs)} | ${sp(r.engineMs)} | ${r.cpuMs === undefined ? "—" : f1(r.cpuMs)} | ${f1((r.rpcMs.median / r.entries) * 1000)} | ${r.rssMiB.toFixed(0)} MiB | ${(r.firstBuildMs / 1000).toFixed(1)} |`),
      ``,
      `Target: under 100 ms at 1,000 entries: ${at1000 ? `${f1(at1000.rpcMs.median)} ms, ${at1000.rpcMs.median < 100 ? "**met**" : "**not met**"}` : "not measured"}.`,
      ``,
    );
  }
  if (s.watch) {
    const target = (files: number) => (files <= 10_000 ? 150 : 400);
    out.push(
      `### The daemon's memory against watched files (measured ${s.watch.at}, load ${s.watch.load.toFixed(1)})`,
      ``,
      ...loaded(s.watch),
      `100 compile-only entries, each including files/100 − 1 files of its own directory; the daemon's resident memory`,
      `(\`daemon status\`, no runtime server: nothing runs) once the first build is done, the watch set up and the daemon`,
      `idle, then one edit of an included file.`,
      ``,
      `| files | watched | daemon RSS | target | start, compile and watch, s | one edit rebuilt, ms |`,
      `|---|---|---|---|---|---|`,
      ...s.watch.rows.map((r) => `| ${r.files.toLocaleString("en-US")} | ${r.watched.toLocaleString("en-US")} | ${r.rssMiB.toFixed(0)} MiB | < ${target(r.files)} MB: ${r.rssMiB * MiB < target(r.files) * 1e6 ? "**met**" : "**not met**"} | ${(r.startMs / 1000).toFixed(1)} | ${r.editMs.toFixed(0)} (${r.rebuilt.join(", ") || "nothing"}) |`),
      ``,
    );
  }
  if (s.peak) {
    const p = s.peak;
    const tensors = p.parameterBytes + p.inputBytes + p.resultBytes;
    const ratio = (bytes: number) => (bytes / tensors).toFixed(2);
    out.push(
      `### Peak memory running VGG19 at batch ${p.batch} (measured ${p.at}, load ${p.load.toFixed(1)})`,
      ``,
      `\`tpu-build build\` (in-process, CI=true) of a workspace with VGG19's init entry (its parameters, run) and its forward`,
      `pass on ${p.batch} random 224×224 images (run, taking the parameters from init); peak resident memory (VmHWM, sampled every`,
      `50 ms) of the CLI and of its runtime server. The tensors involved: the parameters ${mib(p.parameterBytes)} (init's results, the`,
      `forward's input), the images ${mib(p.inputBytes)}, the class probabilities ${mib(p.resultBytes)}: ${mib(tensors)} in all.`,
      ``,
      `| process | peak | peak / tensors | target |`,
      `|---|---|---|---|`,
      `| CLI | ${mib(p.cliPeakBytes)} | ${ratio(p.cliPeakBytes)} | < 1.5: ${p.cliPeakBytes < 1.5 * tensors ? "**met**" : "**not met**"} |`,
      `| runtime server | ${mib(p.serverPeakBytes)} (an idle server holds ${mib(p.serverBaselineBytes)}) | ${ratio(p.serverPeakBytes)} (${ratio(p.serverPeakBytes - p.serverBaselineBytes)} above an idle one) | < 1.5: ${p.serverPeakBytes < 1.5 * tensors ? "**met**" : "**not met**"} |`,
      ``,
      ...(p.xlaTemporaryBytes === undefined
        ? []
        : [
            `Besides the tensors above, XLA's executable needs ${mib(p.xlaTemporaryBytes)} of its own while it runs (temporaries in its compiled`,
            `memory statistics: VGG19's activations; the first two convolutions' outputs alone, 224×224×64 per image, are ${mib(2 * 224 * 224 * 64 * p.batch * 4)}),`,
            `${ratio(p.xlaTemporaryBytes)}× the tensors, which no server holding them could go under. What the server holds beyond an idle`,
            `server and those temporaries is ${mib(p.serverPeakBytes - p.serverBaselineBytes - p.xlaTemporaryBytes)}: ${ratio(p.serverPeakBytes - p.serverBaselineBytes - p.xlaTemporaryBytes)}× the tensors (< 1.5: ${p.serverPeakBytes - p.serverBaselineBytes - p.xlaTemporaryBytes < 1.5 * tensors ? "**met**" : "**not met**"}).`,
          ]),
      ...(p.direct === undefined || p.xlaTemporaryBytes === undefined
        ? []
        : [
            ``,
            `Side by side, the same forward pass run by PJRT in a bare Python process (bench/peak_direct.py: the server's own`,
            `compile and placement calls, no gRPC, no transfers) peaked at ${mib(p.direct.peakBytes)} (${mib(p.direct.idleBytes)} idle): the server's peak is`,
            `${(p.serverPeakBytes / p.direct.peakBytes).toFixed(2)}× that, ${mib(p.serverPeakBytes - p.direct.peakBytes)} (${ratio(p.serverPeakBytes - p.direct.peakBytes)}× the tensors) more, of which ${mib(p.serverBaselineBytes - p.direct.idleBytes)} is an idle server's own (gRPC, threads).`,
            `The rest of the process's peak is XLA's: its arguments, its temporaries and what its CPU runtime allocates while`,
            `running (${mib(p.direct.peakBytes - p.direct.idleBytes - p.parameterBytes - p.inputBytes - p.xlaTemporaryBytes)} beyond the temporaries in the bare process).`,
          ]),
      ``,
      `This part took ${(p.wallMs / 1000).toFixed(0)} s (the build, ${p.direct ? "the idle server's compile and the bare run" : "the idle server"}).`,
      ``,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const parts = { depth, noop, watch, peak };
  const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
  const unknown = only?.filter((p) => !(p in parts) && p !== "report");
  if (unknown?.length) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(", ")}; parts are ${Object.keys(parts).join(", ")}`);
  const s = (existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, "utf8")) : {}) as Scaling;
  s.machine = { cpus: cpus().length, model: cpus()[0]?.model ?? "?", memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  process.env.CI = "";
  for (const [name, run] of Object.entries(parts)) {
    if (only && !only.includes(name)) continue;
    log(`bench:scaling ${name}`);
    await run(s);
    writeFileSync(RESULTS, `${JSON.stringify(s, null, 1)}\n`);
  }
  writeSection("scaling", "`npm run bench:scaling`; edit bench/scaling.ts", render(s), (report, section) => {
    const at = report.indexOf("\n## Watch daemon");
    const titled = `## How costs grow (\`npm run bench:scaling\`, bench/scaling.ts)\n\n${section}`;
    return at < 0 ? `${report.trimEnd()}\n\n${titled}\n` : `${report.slice(0, at + 1)}${titled}\n\n${report.slice(at + 1)}`;
  });
  log("bench:scaling: BENCHMARKS.md regenerated");
}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
