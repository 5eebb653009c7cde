// BENCHMARKS.md's `npm run bench` sections, rendered from bench/results.json. Only the text between
// the `bench:run` marker comments is replaced; other sections (the watch daemon's) stay as they are.

import type { ColdWay, CompileCase, ExecutionCase, PySpread, Results, Spread } from "./results.js";
import { withSection } from "./sections.js";

/** BENCHMARKS.md with its `bench:run` section rendered from `r`; the first time, before the watch daemon's section, after the file's introduction. */
export function renderReport(current: string, r: Results, plotted: boolean): string {
  return withSection(current, "run", "`npm run bench` from bench/results.json; edit bench/report.ts", sections(r, plotted), (report, section) => {
    const at = report.indexOf("\n## ");
    return at < 0 ? `${report.trimEnd()}\n\n${section}\n` : `${report.slice(0, at + 1)}${section}\n\n${report.slice(at + 1)}`;
  });
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const msSpread = (s: Spread) => `${ms(s.median)} (${ms(s.min)}–${ms(s.max)}, n=${s.n})`;
/** A Python sample in seconds, shown in ms (or s when long). */
const pyTime = (s: PySpread) => (s.median >= 2 ? `${s.median.toFixed(2)} s (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : `${ms(s.median * 1e3)} ms (${ms(s.min * 1e3)}–${ms(s.max * 1e3)})`);
const verdict = (ok: boolean | undefined) => (ok === undefined ? "not measured" : ok ? "**met**" : "**not met**");

const PAPER: Record<number, { flux: number; tpu: number }> = { 1: { flux: 0.79, tpu: 0.02 }, 10: { flux: 6.67, tpu: 0.04 }, 100: { flux: 52.4, tpu: 0.23 } };

function sections(r: Results, plotted: boolean): string[] {
  const m = r.machine;
  const ex = new Map((r.execution?.cases ?? []).map((c) => [c.name, c]));
  const fe = new Map((r.frontend?.rows ?? []).map((x) => [x.name, x]));
  const order = ["mlp", "lenet", "vgg19_b1", "vgg19_b8", "vgg19_grad_b1", "attention", "adam_step"];
  const label = (name: string) => fe.get(name)?.label ?? name;
  const out: string[] = [];

  out.push(
    `## Our artifacts against JAX on the same XLA runtime (\`npm run bench\`, bench/run.ts)`,
    ``,
    `Machine: ${m.cpus} × ${m.model}, ${m.memGiB} GiB, ${m.os}, Node ${m.node}, Python ${m.python}, jax/jaxlib ${m.jax}/${m.jaxlib} on the CPU`,
    `(runtime/.venv). The machine may be shared: each part records the 1-minute load average when it ended (${m.cpus}.0 =`,
    `all ${m.cpus} cores busy). Figures are medians with min–max and n;`,
    `ours and JAX's runs alternate (and which goes first alternates), so a burst of load hits both sides of a ratio.`,
    `\`npm run bench\` reruns everything and rewrites this section, bench/results.json and`,
    `bench/benchmarks.png; \`BENCH_ONLY=frontend,cold,daemon,execution,compile,runtime,transfer\` reruns some parts, the others`,
    `keep their recorded figures and dates; \`BENCH_ONLY=report\` only re-renders. The plot needs matplotlib, which the`,
    `first run installs into its own virtualenv, bench/.venv (bench/requirements.txt); the runtime's stays as pinned.`,
    `The watch daemon's own benchmark stays \`npm run bench:daemon\` (its section is below).`,
    ``,
  );
  if (plotted) out.push(`![execution, front end and the paper's VGG19 table](bench/benchmarks.png)`, ``);

  // ---- targets
  const ratios = order.map((n) => ex.get(n)).filter((c): c is ExecutionCase => !!c);
  const worst = ratios.reduce<ExecutionCase | undefined>((w, c) => (!w || c.ratio > w.ratio ? c : w), undefined);
  const vggFront = fe.get("vgg19_b1");
  const vggLower = ex.get("vgg19_b1")?.jax_lower_s;
  // Warm: in the benchmark process after every model (the compiler alone), and in the daemon (what a
  // user waits for after an edit); each against JAX's lowers taken in alternation with it, when the run has them.
  const side = r.frontend?.vggSideBySide;
  const speedup = side ? side.speedup.median : vggFront && vggLower ? (vggLower.median * 1e3) / vggFront.ms.median : undefined;
  const daemonSpeedup = r.daemon?.speedup ? r.daemon.speedup.median : vggLower && r.daemon ? (vggLower.median * 1e3) / r.daemon.forwardCompileMs.median : undefined;
  const frontMs = side ? side.ours.median : vggFront?.ms.median;
  const jaxMs = side ? side.jax.median : vggLower ? vggLower.median * 1e3 : undefined;
  const coldTotal = r.cold?.snapshot?.totalMs ?? r.cold?.cliTotalMs;
  const compileRatios = r.compile?.cases ?? [];
  const tcp = r.transfer?.rows.find((x) => x.transport === "tcp");
  const tcpMin = tcp ? Math.min(tcp.upGBps.median, tcp.downGBps.median) : undefined;
  const shm = r.transfer?.rows.find((x) => x.transport === "shm");
  const shmMin = shm ? Math.min(shm.upGBps.median, shm.downGBps.median) : undefined;
  out.push(
    `### Targets`,
    ``,
    `| target | measured | |`,
    `|---|---|---|`,
    `| execution ratio ours / JAX ≤ 1.05 on every model | ${worst ? `${ratios.map((c) => `${short(c.name)} ${c.ratio.toFixed(3)}`).join(", ")}; worst ${worst.ratio.toFixed(3)}` : "—"} | ${verdict(worst && worst.ratio <= 1.05)} |`,
    `| VGG19 forward, Julia → HLO ≥ 10× faster than JAX's trace-and-lower, warm (in the benchmark process and in the daemon) | ${speedup && frontMs && jaxMs ? `${speedup.toFixed(1)}× in the benchmark process (${ms(frontMs)} ms, JAX ${ms(jaxMs)} ms${side ? ", alternating" : ""})${daemonSpeedup ? `, ${daemonSpeedup.toFixed(1)}× in the daemon (${ms(r.daemon!.forwardCompileMs.median)} ms${r.daemon!.jaxLowerMs ? `, JAX ${ms(r.daemon!.jaxLowerMs.median)} ms between its builds` : ""})` : ""}` : "—"} | ${verdict(speedup === undefined ? undefined : speedup >= 10 && (daemonSpeedup ?? 10) >= 10)} |`,
    `| VGG19, cold process start → artifacts on disk < 250 ms (init and forward, compile-only) | ${r.cold && coldTotal ? `${ms(coldTotal.median)} ms (\`tpu-build build\`${r.cold.snapshot ? ` from the startup snapshot; ${ms(r.cold.plain!.totalMs.median)} ms as a plain \`node bin/tpu-build.js\`` : ""}; ${ms(r.cold.forwardCompileMs.median)} ms of it the forward's compile)` : "—"} | ${verdict(coldTotal ? coldTotal.median < 250 : undefined)} |`,
    `| XLA compile of our modules ≤ JAX's (VGG19 forward, VGG19 with gradient, training step; CPU seconds, ratio of the medians) | ${compileRatios.length ? compileRatios.map((k) => `${short(k.name)} ${cpuRatio(k).toFixed(3)}`).join(", ") : "—"} | ${compileVerdict(compileRatios)} |`,
    `| transfer on the same host ≥ 3 GB/s both ways (shared memory) | ${shm ? `to the server ${shm.upGBps.median.toFixed(2)} GB/s, back ${shm.downGBps.median.toFixed(2)} GB/s` : "—"} | ${verdict(shmMin === undefined ? undefined : shmMin >= 3)} |`,
    `| transfer over a socket ≥ 1 GB/s both ways | ${tcp ? `to the server ${tcp.upGBps.median.toFixed(2)} GB/s, back ${tcp.downGBps.median.toFixed(2)} GB/s (TCP 127.0.0.1)` : "—"} | ${verdict(tcpMin === undefined ? undefined : tcpMin >= 1)} |`,
    ``,
  );
  out.push(...targetNotes(r, { worst, speedup, daemonSpeedup, tcpMin, shmMin }), ``);

  // ---- execution
  if (r.execution) {
    out.push(
      `### Execution (measured ${r.execution.at}, load ${r.execution.load.min.toFixed(1)}–${r.execution.load.max.toFixed(1)})`,
      ``,
      `Our module (compiled as the runtime server compiles it: HloModuleProto → MLIR → PJRT) and \`jax.jit\` of the same`,
      `model written in JAX (bench/xla_compare.py), on one PJRT CPU client in one process, on the same device buffers:`,
      `weights Glorot-uniform from a fixed seed, images uniform. Every output leaf is checked against JAX's first`,
      `(largest difference relative to the leaf's largest magnitude, below). Both run through the same call,`,
      `\`LoadedExecutable.execute\` and \`block_until_ready\`, so per-call overhead is equal; for the tiny models it is most`,
      `of the time. Warm-up runs are discarded.`,
      ``,
      `| model | ours, ms | JAX jit, ms | ours / JAX | per-pair ratio, min–max | outputs equal to |`,
      `|---|---|---|---|---|---|`,
    );
    for (const n of order) {
      const c = ex.get(n);
      if (!c) continue;
      const t = (s: PySpread) => `${ms(s.median * 1e3)} (${ms(s.min * 1e3)}–${ms(s.max * 1e3)}, n=${s.n})`;
      const ref = c.ours_vs_float64 !== undefined ? `; vs float64: ours ${c.ours_vs_float64.toExponential(1)}, JAX ${c.jax_vs_float64!.toExponential(1)}` : "";
      out.push(`| ${label(n)} | ${t(c.ours_s)} | ${t(c.jax_s)} | **${c.ratio.toFixed(3)}** | ${c.pair_ratio.min.toFixed(2)}–${c.pair_ratio.max.toFixed(2)} | ${c.max_relative_error.toExponential(1)} (${c.outputs} leaves${ref}) |`);
    }
    out.push(``);
    const grad = ex.get("vgg19_grad_b1");
    if (grad?.ours_vs_float64 !== undefined) out.push(...gradientNote(grad, ex.get("vgg19_b1")), ``);
  }

  // ---- front end
  if (r.frontend && r.execution) {
    out.push(
      `### Front end: Julia → HloModuleProto against JAX's trace-and-lower (measured ${r.frontend.at}, load ${r.frontend.load.toFixed(1)})`,
      ``,
      `Ours: \`compileEntry\` from dist/ in a warm Node process (what the daemon runs; the model's type comes from its`,
      `init entry, compiled once), after ${r.frontend.warmups ? `${r.frontend.warmups} ` : ""}warm-up compiles of every model, the samples taken round the models. JAX:`,
      `\`jax.jit(f).lower(...)\` of a new function each time (nothing reused from earlier traces) and its HLO text, after as`,
      `many warm-up lowers, in the warm benchmark process of the execution part (its date and load above). Instructions: every`,
      `instruction of the module (the entry computation's in brackets), before XLA's passes; after them, from the`,
      `compiled executables' HLO.`,
      ``,
      `| model | ours, ms | JAX, ms | JAX / ours | instructions, ours | JAX | after XLA's passes, ours | JAX |`,
      `|---|---|---|---|---|---|---|---|`,
    );
    for (const n of order) {
      const f = fe.get(n);
      const c = ex.get(n);
      if (!f || !c) continue;
      out.push(`| ${f.label} | ${msSpread(f.ms)} | ${ms(c.jax_lower_s.median * 1e3)} (${ms(c.jax_lower_s.min * 1e3)}–${ms(c.jax_lower_s.max * 1e3)}, n=${c.jax_lower_s.n}) | ${((c.jax_lower_s.median * 1e3) / f.ms.median).toFixed(1)}× | ${f.instructions} (${f.entryInstructions}) | ${c.jax_instructions} (${c.jax_entry_instructions}) | ${c.ours_optimized_instructions} | ${c.jax_optimized_instructions} |`);
    }
    out.push(``);
    if (side)
      out.push(
        `Side by side (the front-end target's figure): after the rows above, in the same process, VGG19's forward compile and JAX's trace-and-lower of the same model (a new function each time, in a Python process kept beside this one, bench/xla_compare.py \`--lower-server\`) alternating, which goes first alternating: ours ${msSpread(side.ours)} ms, JAX ${msSpread(side.jax)} ms; JAX ÷ ours per pair ${side.speedup.median.toFixed(1)}× (${side.speedup.min.toFixed(1)}–${side.speedup.max.toFixed(1)}×).`,
        ``,
      );
  }
  if (r.cold || r.daemon) {
    out.push(`VGG19's forward pass (224×224, 1000 classes) end to end:`, ``);
    const coldWay = (w: ColdWay) =>
      `${msSpread(w.totalMs)} ms from spawn to exit; the build started at ${ms(w.startMs.median)} ms (Node's start, the CLI and engine loaded, the manifest read), the init entry's compile took ${ms(w.initCompileMs.median)} ms and the forward's ${ms(w.forwardCompileMs.median)} ms, the forward's artifact was on disk at ${ms(w.artifactMs.median)} ms`;
    if (r.cold?.snapshot && r.cold.plain)
      out.push(
        `- **cold \`tpu-build build\` process** (CI=true, \`--no-daemon\`, empty cache; a workspace with the init entry and the forward entry, both compile-only; medians of the build events' times; measured ${r.cold.at}, load ${r.cold.load.toFixed(1)}), two ways in alternation: started as users start it, \`bin/tpu-build.js\` as a program, from the startup snapshot (dist/cli/snapshot.blob, made by \`npm run build\`): ${coldWay(r.cold.snapshot)}; as a plain \`node bin/tpu-build.js\` (the engine bundle and its V8 code cache): ${coldWay(r.cold.plain)}. \`node -e 0\` alone takes ${msSpread(r.cold.nodeStartMs)} ms.`,
        `- **cold JAX** (a new Python process: import jax, trace and lower the same model to HLO text): ${msSpread(r.cold.jaxColdMs)} ms; \`python -c 0\` alone ${msSpread(r.cold.pythonStartMs)} ms.`,
      );
    else if (r.cold)
      out.push(
        `- **cold \`tpu-build build\` process** (CI=true, \`--no-daemon\`, empty cache; a workspace with the init entry and the forward entry, both compile-only; measured ${r.cold.at}, load ${r.cold.load.toFixed(1)}): ${msSpread(r.cold.cliTotalMs)} ms from spawn to exit with both artifacts on disk. Inside it the init entry's compile took ${msSpread(r.cold.initCompileMs)} ms and the forward's ${msSpread(r.cold.forwardCompileMs)} ms (cold JIT); \`node -e 0\` alone takes ${msSpread(r.cold.nodeStartMs)} ms.`,
        `- **cold JAX** (a new Python process: import jax, trace and lower the same model to HLO text): ${msSpread(r.cold.jaxColdMs)} ms; \`python -c 0\` alone ${msSpread(r.cold.pythonStartMs)} ms.`,
      );
    if (r.daemon)
      out.push(`- **warm in the watch daemon** (an edit to examples/vgg19.jl recompiles both entries; the forward's compile-finished duration; measured ${r.daemon.at}, load ${r.daemon.load.toFixed(1)}): ${msSpread(r.daemon.forwardCompileMs)} ms; the whole build (init + forward, artifacts written) ${msSpread(r.daemon.buildMs)} ms.${r.daemon.jaxLowerMs && r.daemon.speedup ? ` JAX's trace-and-lower of the same model, once between two edits: ${msSpread(r.daemon.jaxLowerMs)} ms; JAX ÷ ours per pair ${r.daemon.speedup.median.toFixed(1)}× (${r.daemon.speedup.min.toFixed(1)}–${r.daemon.speedup.max.toFixed(1)}×).` : ""}`);
    out.push(``);
  }

  // ---- XLA compile: ours against JAX's, several samples
  if (r.compile) out.push(...compileSection(r.compile, label));

  // ---- the runtime server's compile and its cache
  if (r.runtime) {
    out.push(
      `### A run whose executable comes from the cache (measured ${r.runtime.at}, load ${r.runtime.load.toFixed(1)})`,
      ``,
      `Through the runtime server: the Compile RPC's own time in a fresh server with an empty executable cache, then in a`,
      `second fresh server with the same cache directory, where the executable is deserialized from disk instead of`,
      `compiled, and that server's first Execute (inputs already on the device) and later ones. One sample each.`,
      ``,
      `| model | runtime server: compile | from the disk cache | first run after it, ms | later runs, ms |`,
      `|---|---|---|---|---|`,
    );
    for (const n of order) {
      const rt = r.runtime.rows.find((x) => x.name === n);
      if (!rt) continue;
      out.push(`| ${label(n)} | ${ms(rt.compileMs)} ms | ${ms(rt.cachedLoadMs)} ms (RPC ${ms(rt.cachedCompileRpcMs)} ms) | ${ms(rt.firstRunMs)} | ${msSpread(rt.laterRunMs)} |`);
    }
    out.push(``, `A cached executable loads in milliseconds instead of the compile's hundreds of milliseconds to seconds.`, ``);
  }

  // ---- transfer
  if (r.transfer) {
    const first = r.transfer.rows[0]!;
    out.push(
      `### Transfer (measured ${r.transfer.at}, load ${r.transfer.load.toFixed(1)})`,
      ``,
      `VGG19's parameter set at 224×224 (${first.leaves} arrays, ${(first.bytes / 1e6).toFixed(0)} MB) sent to a runtime server with`,
      `RuntimeClient.transferIn (one array after another, as a session uploads them) and back with transferOut, by`,
      `three routes, each to its own server: shared memory (memfds of the server's, what a local target uses), and the`,
      `data channel (raw bytes on a socket beside gRPC's, one gRPC ticket per array) over a Unix socket and over TCP`,
      `loopback (what a remote target uses). The ${first.leaves - (first.largeLeaves ?? first.leaves)} arrays of at most 64 KiB ride the gRPC connection on every route. The bytes that`,
      `come back are compared with those sent. Rounds alternate between the routes, which goes first rotating.`,
      `GB/s = 10⁹ bytes/s; median (min–max) of the rounds after a warm-up round; n in the table.` +
        (r.transfer.load > 2 ? ` This run's load (${r.transfer.load.toFixed(1)} on ${r.machine.cpus} cores) makes the figures follow CPU time rather than each route's cost: rerun \`BENCH_ONLY=transfer npm run bench\` on a quiet machine.` : ""),
      ``,
      `| route | to the server, GB/s | back, GB/s |`,
      `|---|---|---|`,
      ...r.transfer.rows.map((x) => `| ${TRANSFER_ROUTES[x.transport]} | ${gb(x.upGBps)} | ${gb(x.downGBps)} |`),
      ``,
    );
    const m = r.transfer.cliMemory;
    if (m) {
      const over = (peak: number) => `${(peak / 2 ** 30).toFixed(2)} GiB, ${((peak - m.baselinePeakBytes) / m.inputBytes).toFixed(2)}× the input above the baseline`;
      out.push(
        `The CLI's peak memory (maximum RSS, \`tpu-build build --force\` of one entry, shared memory to its own server) with a`,
        `${(m.inputBytes / 2 ** 30).toFixed(0)} GiB .npy input: ${over(m.totalPeakBytes)} for \`sum(x)\` (a scalar result); ${over(m.twicePeakBytes)} for`,
        `\`x .* 2f0\` (a result as large as the input). The baseline, the same build with 16 elements, is ${(m.baselinePeakBytes / 2 ** 20).toFixed(0)} MiB.`,
        `Target (issue 16.12): under 1.5× the largest tensor.`,
        ``,
      );
    }
  }

  // ---- the paper
  const paper = [1, 10, 100].filter((b) => ex.has(`vgg19_b${b}`));
  if (paper.length) {
    out.push(
      `### VGG19's forward pass beside the paper's table`,
      ``,
      `The paper (Fischer & Saba) ran VGG19's forward pass on 224×224 images with Flux on a 20-core CPU, and our way on a`,
      `Cloud TPU (compute time). Ours and JAX's here run on XLA's CPU backend on ${m.cpus} shared vCPUs: different`,
      `hardware, so the columns are not a speed comparison between the methods; the ours / JAX column is the one that`,
      `judges our compiler. Few runs at batch 10 and 100 (each is seconds to tens of seconds here): n is in the table.`,
      ``,
      `| batch | paper: Flux, 20-core CPU | paper: TPU compute | ours, XLA CPU, ${m.cpus} vCPU | JAX jit, same | ours / JAX |`,
      `|---|---|---|---|---|---|`,
      ...paper.map((b) => {
        const c = ex.get(`vgg19_b${b}`)!;
        return `| ${b} | ${PAPER[b]!.flux} s | ${PAPER[b]!.tpu} s | ${pyTime(c.ours_s)}, n=${c.ours_s.n} | ${pyTime(c.jax_s)}, n=${c.jax_s.n} | ${c.ratio.toFixed(3)} |`;
      }),
      ``,
      ...largestBatchNote(ex.get(`vgg19_b${paper.at(-1)}`)!, paper.at(-1)!, r.execution!.load),
      ``,
    );
  }
  return out;
}

/** What the gradient row's differences mean, from this run's figures: which side float64 puts nearer, and the backward pass's cost. */
function gradientNote(grad: ExecutionCase, forward: ExecutionCase | undefined): string[] {
  const ours = grad.ours_vs_float64!;
  const jax = grad.jax_vs_float64!;
  // Nearer only by more than a tenth: two float32 results 1.4862e-2 and 1.4863e-2 from float64 are a tie.
  const nearer = Math.abs(ours - jax) <= 0.1 * Math.max(ours, jax) ? "the two are equally near" : ours < jax ? "ours is the nearer" : "JAX's is the nearer";
  const lines = [
    `The gradients (\`withgradient\`) differ from JAX's by at most ${grad.max_relative_error.toExponential(1)} (relative to each leaf's largest magnitude), within`,
    `the row's tolerance (bench/run.ts). Against the same JAX model evaluated in float64, both float32 results are further`,
    `off, by rounding accumulated backwards through 19 layers: ours by ${ours.toExponential(2)}, JAX's by ${jax.toExponential(2)}; ${nearer}.`,
  ];
  if (forward)
    lines.push(`The forward and backward pass takes ${(grad.ours_s.median / forward.ours_s.median).toFixed(1)}× the forward's time for ours and ${(grad.jax_s.median / forward.jax_s.median).toFixed(1)}× for JAX: XLA's CPU convolution gradients on both sides.`);
  return lines;
}

/** Whether the largest batch's ratio is a finding: all its pairs on one side of 1, or not. */
function largestBatchNote(c: ExecutionCase, batch: number, load: Spread): string[] {
  const pairs = c.pair_ratio;
  const side = pairs.min > 1 ? "every pair has ours slower" : pairs.max < 1 ? "every pair has ours faster" : undefined;
  return [
    `Batch ${batch}'s ratio rests on ${pairs.n} pairs of runs of ${pyTime(c.ours_s)} (ours) and ${pyTime(c.jax_s)} (JAX), taken at load ${load.min.toFixed(1)}–${load.max.toFixed(1)};`,
    side
      ? `its per-pair ratios are ${pairs.min.toFixed(3)}–${pairs.max.toFixed(3)}: ${side}.`
      : `its per-pair ratios are ${pairs.min.toFixed(3)}–${pairs.max.toFixed(3)}, on both sides of 1: not a finding. Next step: rerun it (\`BENCH_ONLY=execution BENCH_CASES=vgg19_b${batch}\`) with more pairs on a quiet machine.`,
  ];
}

const gb = (s: Spread) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)}, n=${s.n})`;
/**
 * Met when every ratio is at most 1; a ratio a little above 1 whose pairs of samples fall on both
 * sides of 1 is not a measured difference: said as such, for a quiet rerun to decide.
 */
function compileVerdict(cases: CompileCase[]): string {
  if (!cases.length) return verdict(undefined);
  if (cases.every((k) => cpuRatio(k) <= 1)) return verdict(true);
  const unresolved = cases.filter((k) => cpuRatio(k) > 1 && cpuRatio(k) <= 1.02 && k.pair_ratio_cpu.min < 1);
  if (unresolved.length && cases.every((k) => cpuRatio(k) <= 1 || unresolved.includes(k))) return `**equal within the spread** (${unresolved.map((k) => short(k.name)).join(", ")}: pairs on both sides of 1)`;
  return verdict(false);
}

/** ours / JAX's median CPU seconds of XLA's compile (as the execution ratio: medians, the per-pair spread beside). */
const cpuRatio = (k: CompileCase) => k.sides.ours!.cpu_s.median / k.sides.jax!.cpu_s.median;
const short = (name: string) => ({ mlp: "MLP", lenet: "LeNet", vgg19_b1: "VGG19 b1", vgg19_b8: "VGG19 b8", vgg19_grad_b1: "VGG19 fwd+bwd b1", attention: "attention", adam_step: "Adam step" })[name] ?? name;

/** Per target: how a met one was met, or what an unmet one is short by, why, and the next step. */
function targetNotes(r: Results, t: { worst: ExecutionCase | undefined; speedup: number | undefined; daemonSpeedup: number | undefined; tcpMin: number | undefined; shmMin: number | undefined }): string[] {
  const notes: string[] = [];
  if (t.worst && t.worst.ratio > 1.05) notes.push(`- **Execution**: ${short(t.worst.name)} is at ${t.worst.ratio.toFixed(3)}, above 1.05. ${EXECUTION_FINDING}`);
  else if (t.worst) notes.push(`- **Execution**: every model is within 5% of JAX (worst ${short(t.worst.name)}, ${t.worst.ratio.toFixed(3)}). ${EXECUTION_NOTE}`);
  if (t.speedup !== undefined && (t.speedup < 10 || (t.daemonSpeedup ?? 10) < 10))
    notes.push(`- **Front end, warm**: ${t.speedup.toFixed(1)}× in a warm process${t.daemonSpeedup ? ` and ${t.daemonSpeedup.toFixed(1)}× in the daemon` : ""}, rather than 10×. ${FRONTEND_FINDING}`);
  else if (t.speedup !== undefined) notes.push(`- **Front end, warm**: ${t.speedup.toFixed(1)}×. ${FRONTEND_MET}`);
  if (r.cold && r.cold.cliTotalMs.median >= 250) {
    const c = r.cold;
    const rest = c.cliTotalMs.median - c.nodeStartMs.median - c.initCompileMs.median - c.forwardCompileMs.median;
    notes.push(`- **Cold start**: ${ms(c.cliTotalMs.median)} ms (medians): Node's own start ${ms(c.nodeStartMs.median)} ms, the init entry's compile ${ms(c.initCompileMs.median)} ms, the forward's ${ms(c.forwardCompileMs.median)} ms, and ${ms(rest)} ms besides. ${COLD_FINDING}`);
  }
  else if (r.cold) notes.push(`- **Cold start**: ${ms(r.cold.cliTotalMs.median)} ms. ${COLD_MET}`);
  if (r.compile?.cases.length) notes.push(`- **XLA compile**: ${compileNote(r.compile)}`);
  const slower = [t.shmMin === undefined ? "" : `${t.shmMin.toFixed(2)} GB/s through shared memory (target 3)`, t.tcpMin === undefined ? "" : `${t.tcpMin.toFixed(2)} GB/s over TCP (target 1)`].filter(Boolean).join(", ");
  if ((t.shmMin !== undefined && t.shmMin < 3) || (t.tcpMin !== undefined && t.tcpMin < 1)) notes.push(`- **Transfer**: at the slower direction, ${slower}. ${TRANSFER_FINDING}`);
  else if (slower) notes.push(`- **Transfer**: ${slower} at the slower direction. ${TRANSFER_MET}`);
  return notes;
}

// The findings behind the notes above, from comparing the optimized HLO of both sides (bench/xla_compare.py
// writes both to $TMPDIR/tpu-build-bench/optimized/), bench/conv_labels.py, and CPU profiles (2026-11-23/24).
const LABELS_FINDING =
  "This benchmark's first run found VGG19 at batch 1 slower than JAX, and the cause in the optimized HLO: our " +
  "convolutions listed their spatial dimensions in Julia's order (`dim_labels=bf10_oi10->bf10`), JAX's in XLA's " +
  "(`bf01_oi01->bf01`). XLA's CPU backend runs convolutions in NHWC and transposes each operand and result into it; " +
  "with our labels every such transpose reversed C, H and W instead of only moving C innermost " +
  "(`bench/conv_labels.py` isolates it). The compiler now emits a convolution's spatial dimensions, window and " +
  "padding in XLA's order (and the pools' windows, and both convolution gradients), so the optimized modules of both " +
  "sides have the same instructions and layouts; the remaining differences are within the per-pair spread.";
const EXECUTION_NOTE = LABELS_FINDING;
const EXECUTION_FINDING =
  `${LABELS_FINDING} A ratio above 1.05 after that fix has not been seen in a quiet run; compare the two optimized ` +
  "modules of the model in $TMPDIR/tpu-build-bench/optimized/ (instruction counts are in the front-end table).";
// Findings from profiles taken outside these runs say where the time goes, never how much: every figure in
// BENCHMARKS.md comes from the run it describes (bench/results.json).
const FRONTEND_FINDING =
  "The prelude is now evaluated once per process into a library image that every compile shares (compiler/" +
  "library-image.ts): a compile starts with an empty Main, a method it adds to a library function goes into a copy " +
  "of that function's table (copy on write), what it defines in the library is undone after it, and the dispatch " +
  "cache is kept across compiles (dispatch answers carry each struct type's identity, so one program's types never " +
  "answer for another's). With it, the check whether an object is callable is cached like dispatch, and the budget " +
  "reads V8's heap figures instead of process.memoryUsage() (which read /proc). The module's bytes are written " +
  "directly from the instructions (compiler/hlo/wire.ts, no protobufjs message objects: the bytes protobufjs wrote, " +
  "checked against it), the text printer makes each instruction's text once, and the watch daemon replays a build's " +
  "compiles while idle (32 per process, daemon/warm-up.ts): V8 optimizes the compiler over the first few dozen " +
  "compiles, which a daemon otherwise spent its first edits on. What is left, in a CPU profile of warm VGG19 " +
  "compiles, largest first: interpreting the model (the op rules' emission, then dispatch), garbage collection, " +
  "printing the HLO text (JAX's side also prints its text), encoding the module, rebuilding the model struct from " +
  "its signature.";
const FRONTEND_MET =
  "The prelude is evaluated once per process into a library image that compiles share (copy-on-write method " +
  "tables, the dispatch cache kept across compiles; compiler/library-image.ts), beside the parsed-source and method-key " +
  "work of earlier sessions, the module's bytes written directly (compiler/hlo/wire.ts) and the daemon's idle " +
  "replays of a build's compiles (daemon/warm-up.ts).";
const COLD_FINDING =
  "`npm run build` now also makes a V8 startup snapshot (scripts/build-snapshot.mjs, cli/snapshot.ts) holding the " +
  "compiler with its library image evaluated and VGG19 and the MLP compiled once (V8's code and the dispatch " +
  "answers kept); bin/tpu-build.js is a shell line that starts Node from it, else the plain script. What is left " +
  "(CPU profile of one snapshot start, 2026-12-03): Node's own start and pre-execution, evaluating the CLI and the " +
  "engine from the snapshot's bundle (they read the terminal, the environment and ajv's runtime when they load, so " +
  "they cannot be evaluated into the snapshot as they are), the manifest, the two compiles, garbage " +
  "collection of the larger heap, and the artifacts' fsyncs. Next steps: evaluate the engine " +
  "into the snapshot too (the ajv runtime and supports-color loaded lazily), and write the two artifacts concurrently.";
const COLD_MET =
  "`npm run build` makes a V8 startup snapshot with the compiler and its library image evaluated (bin/tpu-build.js " +
  "starts Node from it), beside lazy loading, the bundled engine with its code cache and the static proto encoders.";
const TRANSFER_ROUTES = { shm: "shared memory (a local target)", unix: "data channel, Unix socket", tcp: "data channel, TCP 127.0.0.1" } as const;

const TRANSFER_FINDING =
  "A local target's server now takes tensors through memfds of its own (one copy up: the client's write into the " +
  "server's memory, which XLA then uses as the device buffer; two back: the server's copy into a memfd and the " +
  "client's read), and a remote target's through the data channel (a ticket per array over gRPC, then a socket). " +
  "On sockets each tensor's SHA-256 (~0.55 CPU s/GB per side with SHA-NI) was computed before the first byte and " +
  "after the last, four times on the critical path of a round trip; since runtime 0.7.0 both sides hash while the " +
  "bytes move (the digest follows them), and the client reads straight into the result array. " +
  "What is left on both routes is fresh memory: each new tensor's pages are faulted in on first touch, on the server " +
  "for a tensor coming in and in the client for one coming back, which on this VM (probes alone: fresh pages filled " +
  "at a fraction of the speed of pages used before) costs more than the copies themselves. Next steps: write a result " +
  "from its region straight into its output file instead of a fresh array, keep regions' pages for the next transfer, " +
  "and on sockets ask for the next array's ticket while the current one streams.";
const TRANSFER_MET = "A local target's tensors go through memfds of its server's; a remote target's over the data channel beside gRPC.";
/** The compile-time comparison: per model, each side's wall and CPU seconds, and the variants of ours that isolate causes. */
function compileSection(c: Results["compile"], label: (name: string) => string): string[] {
  const sec = (s: PySpread) => (s.median >= 1 ? `${s.median.toFixed(2)} s (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : `${ms(s.median * 1e3)} ms (${ms(s.min * 1e3)}–${ms(s.max * 1e3)})`);
  const out = [
    `### XLA compile: our modules against JAX's (\`BENCH_ONLY=compile npm run bench\`; measured ${c.at}, load ${c.load.min.toFixed(1)}–${c.load.max.toFixed(1)})`,
    ``,
    `bench/xla_compile.py compiles each model's two modules ${c.reps} times each by the same call (PJRT's \`compile_and_load\` on one`,
    `CPU client, the same options): ours as the runtime server converts it (HloModuleProto → MLIR), JAX's as`,
    `\`jax.jit(...).lower()\` hands it over (StableHLO). The samples alternate between the sides (and which goes first`,
    `alternates). Wall seconds follow the machine's load; the process's CPU seconds (XLA's compile and its code`,
    `generation threads) are what load disturbs least, so the verdict is taken on them. The ratio is ours / JAX's`,
    `median, with the min–max of the ratios of the pairs of samples taken one after the other.`,
    ``,
    `| model | ours, CPU | JAX, CPU | ours / JAX, CPU | ours, wall | JAX, wall | ours / JAX, wall | instructions ours / JAX (after XLA's passes) |`,
    `|---|---|---|---|---|---|---|---|`,
  ];
  for (const k of c.cases) {
    const o = k.sides.ours!;
    const j = k.sides.jax!;
    const ratio = (a: PySpread, b: PySpread, pairs: PySpread) => `**${(a.median / b.median).toFixed(3)}** (${pairs.min.toFixed(2)}–${pairs.max.toFixed(2)})`;
    out.push(`| ${label(k.name)} | ${sec(o.cpu_s)} | ${sec(j.cpu_s)} | ${ratio(o.cpu_s, j.cpu_s, k.pair_ratio_cpu)} | ${sec(o.wall_s)} | ${sec(j.wall_s)} | ${ratio(o.wall_s, j.wall_s, k.pair_ratio_wall)} | ${k.instructions.ours} / ${k.instructions.jax} (${k.optimized_instructions.ours} / ${k.optimized_instructions.jax}) |`);
  }
  const variants = c.cases.filter((k) => k.sides["ours, no metadata"] && k.sides["jax via proto"]);
  if (variants.length) {
    out.push(
      ``,
      `The candidates for a difference, isolated (CPU seconds, median over the same alternating samples): our module with`,
      `every instruction's metadata removed (\`Chain\` nests \`applychain/\` once per level in VGG19's op_names), and JAX's module`,
      `taken as an HloModuleProto through our conversion route instead of as StableHLO.`,
      ``,
      `| model | ours | ours, no metadata | JAX | JAX via our route |`,
      `|---|---|---|---|---|`,
    );
    for (const k of variants) out.push(`| ${label(k.name)} | ${sec(k.sides.ours!.cpu_s)} | ${sec(k.sides["ours, no metadata"]!.cpu_s)} | ${sec(k.sides.jax!.cpu_s)} | ${sec(k.sides["jax via proto"]!.cpu_s)} |`);
  }
  out.push(``);
  return out;
}

/** What the compile comparison found, with this run's figures. */
function compileNote(c: Results["compile"]): string {
  const cpu = (k: CompileCase, side: string) => k.sides[side]!.cpu_s.median;
  const figures = c.cases.map((k) => `${short(k.name)} ${cpuRatio(k).toFixed(3)} (${ms(cpu(k, "ours") * 1e3)} against ${ms(cpu(k, "jax") * 1e3)} ms; per pair ${k.pair_ratio_cpu.min.toFixed(2)}–${k.pair_ratio_cpu.max.toFixed(2)})`).join(", ");
  const slower = c.cases.filter((k) => cpuRatio(k) > 1);
  const change = (k: CompileCase, variant: string, base: string) => `${cpu(k, variant) >= cpu(k, base) ? "+" : "−"}${Math.abs((cpu(k, variant) / cpu(k, base) - 1) * 100).toFixed(1)}% (${short(k.name)})`;
  const meta = c.cases.filter((k) => k.sides["ours, no metadata"]).map((k) => change(k, "ours, no metadata", "ours"));
  const route = c.cases.filter((k) => k.sides["jax via proto"]).map((k) => change(k, "jax via proto", "jax"));
  const counts = c.cases.map((k) => `${short(k.name)} ${k.optimized_instructions.ours} against ${k.optimized_instructions.jax}`).join(", ");
  return [
    `ours / JAX's median CPU seconds over ${c.reps} samples each: ${figures}.`,
    ...slower.map((k) =>
      cpuRatio(k) <= 1.02 && k.pair_ratio_cpu.min < 1
        ? `${short(k.name)} is above 1 by ${((cpuRatio(k) - 1) * 100).toFixed(1)}%, less than the per-pair spread (${k.pair_ratio_cpu.min.toFixed(2)}–${k.pair_ratio_cpu.max.toFixed(2)}): not a measured difference; a quiet rerun with more samples decides (\`BENCH_ONLY=compile BENCH_COMPILE_REPS=12 npm run bench\`).`
        : `${short(k.name)} is above 1; compare its optimized modules (bench/xla_compare.py writes them) and the variants below.`,
    ),
    "The earlier finding that XLA compiled our VGG19 forward module slower was one wall-clock sample per side on a loaded machine; wall seconds swing with the load by more than that, CPU seconds do not.",
    meta.length ? `Neither candidate costs anything beyond the per-pair spread: removing every instruction's metadata changes our CPU seconds by ${meta.join(", ")} (op_name depth is not what XLA spends its time on), and taking JAX's module through our proto → MLIR route changes its by ${route.join(", ")}.` : "",
    `Convolution labels are XLA's order on both sides since the execution fix (\`bf01_oi01->bf01\`). Instructions after XLA's passes: ${counts}; the gradient compiles faster than JAX's with fewer of them left to compile.`,
  ]
    .filter(Boolean)
    .join(" ");
}
