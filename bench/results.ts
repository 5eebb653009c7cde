// The shape of bench/results.json: every figure `npm run bench` measured, with when and under what
// load, so that BENCHMARKS.md and the plot are rendered from data, and a part rerun alone
// (BENCH_ONLY) keeps the others' figures.

/** A sample's median and spread; times in the unit its field names. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** The 25th and 75th percentiles (nearest rank). */
  p25: number;
  p75: number;
  n: number;
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { median: mid, min: s[0]!, max: s[s.length - 1]!, p25: at(0.25), p75: at(0.75), n: s.length };
}

/** One model in bench/xla_compare.py's output (seconds). */
export interface PySpread {
  median: number;
  min: number;
  max: number;
  n: number;
  samples: number[];
}

export interface ExecutionCase {
  name: string;
  ours_hlo_to_mlir_s: number;
  ours_xla_compile_s: number;
  jax_first_lower_s: number;
  jax_xla_compile_s: number;
  jax_instructions: number;
  jax_entry_instructions: number;
  ours_optimized_instructions: number;
  jax_optimized_instructions: number;
  jax_lower_s: PySpread;
  max_relative_error: number;
  ours_vs_float64?: number;
  jax_vs_float64?: number;
  outputs: number;
  ours_s: PySpread;
  jax_s: PySpread;
  ratio: number;
  pair_ratio: PySpread;
}

/** One model in bench/xla_compile.py's output: XLA's compile of each side, several samples (seconds). */
export interface CompileCase {
  name: string;
  /** Before XLA's passes, and after them; keyed by side ("ours", "jax", and the variants of ours). */
  instructions: Record<string, number>;
  optimized_instructions: Record<string, number>;
  sides: Record<string, { wall_s: PySpread; cpu_s: PySpread }>;
  /** ours / JAX's of each pair of samples taken one after the other. */
  pair_ratio_wall: PySpread;
  pair_ratio_cpu: PySpread;
}

interface Part {
  /** When it was measured, and the 1-minute load average then (2 cores: 2.0 is both busy). */
  at: string;
  load: number;
}

/** A cold `tpu-build build` (VGG19's init and forward), one way of starting it; times from the spawn, by the build's event times. */
export interface ColdWay {
  totalMs: Spread;
  /** Spawn to build-started: Node's start, loading the CLI and the engine, the manifest. */
  startMs: Spread;
  initCompileMs: Spread;
  forwardCompileMs: Spread;
  /** Spawn to the forward's artifact on disk. */
  artifactMs: Spread;
}

export interface Results {
  machine: { cpus: number; model: string; memGiB: number; os: string; node: string; jax: string; jaxlib: string; python: string };
  /** vggSideBySide: VGG19's forward compile and JAX's trace-and-lower alternating in one run (speedup = JAX ÷ ours per pair). */
  frontend: Part & { warmups?: number; rows: { name: string; label: string; ms: Spread; instructions: number; entryInstructions: number; computations: number }[]; vggSideBySide?: { ours: Spread; jax: Spread; speedup: Spread } };
  /** cliTotalMs and the compiles: as users start it (snapshot when there is one); `plain`: `node bin/tpu-build.js`, alternating with it. */
  cold: Part & { cliTotalMs: Spread; forwardCompileMs: Spread; initCompileMs: Spread; nodeStartMs: Spread; jaxColdMs: Spread; pythonStartMs: Spread; snapshot?: ColdWay; plain?: ColdWay };
  /** jaxLowerMs: JAX's trace-and-lower between the daemon's builds; speedup: JAX ÷ ours per pair. */
  daemon: Part & { forwardCompileMs: Spread; buildMs: Spread; jaxLowerMs?: Spread; speedup?: Spread };
  execution: { at: string; load: Spread; jax: string; jaxlib: string; platform: string; platform_version: string; cases: ExecutionCase[] };
  compile: { at: string; load: Spread; reps: number; cases: CompileCase[] };
  runtime: Part & { rows: { name: string; compileMs: number; cachedLoadMs: number; cachedCompileRpcMs: number; firstRunMs: number; laterRunMs: Spread }[] };
  transfer: Part & { rows: { transport: "shm" | "tcp" | "unix"; bytes: number; leaves: number; rounds?: number; largeLeaves?: number; upGBps: Spread; downGBps: Spread }[];
    /** The CLI's peak RSS building an entry with a 1 GiB input: its sum (a small result), and x .* 2 (a result as large). */
    cliMemory?: { inputBytes: number; baselinePeakBytes: number; totalPeakBytes: number; twicePeakBytes: number };
  };
}
