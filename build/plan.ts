// What a build would do, said beforehand (`tpu-build plan`, `build --dry-run`): per entry, the files
// it reads and writes, its cache key, and whether it would compile and run, with the reasons (the
// key's parts and the run's fingerprint compared with the last recorded ones, build/records.ts, as
// Turborepo's run summary explains a cache miss). The engine computes it (BuildEngine.plan); this
// module holds its shape and the two ways it is written out besides JSON: text and a Make depfile.

import type { EventDiagnostic, ExitCode } from "./events.js";

export interface EntryPlan {
  entry: string;
  function: string;
  /** Every source file the entry reaches (its file and what it includes). */
  sources: string[];
  /** The `.npy` files its arguments read. */
  inputs: string[];
  /** The entries whose results it takes (`from`). */
  from: string[];
  /** The files a run writes: one `.npy` per result leaf (when the signature is known: cached or recorded) and result.json; none for an entry that only compiles. */
  outputs: string[];
  /** The cache key; null while it depends on the result type of an entry that must compile first. */
  key: string | null;
  /** SHA-256 of the module, when the artifact is in the cache. */
  hash: string | null;
  /** hit: in the cache; miss: would compile; maybe: the key is known only once an input entry compiles. */
  compile: { status: "hit" | "miss" | "maybe"; reasons: string[] };
  /**
   * null: compile only. up-to-date: its outputs stand; run: would run; maybe: would run only if a
   * module or input that is rebuilt first comes out different.
   */
  run: { status: "up-to-date" | "run" | "maybe"; target: string; reasons: string[] } | null;
  /**
   * What the remote cache would answer, asked of its ActionCache (no blob read); null without a
   * remote cache. Each is asked only when the build would need it: `artifact` on a local miss,
   * `run` for a run that shares its results (`"cache": "remote"`), `executable` for a run that
   * is not answered, when the last load of the same module on the same target named its digest
   * (the runtime's: it covers jax, jaxlib, the platform and XLA flags). true: it would answer;
   * false: it would not; absent: not asked, or the server did not answer (a warning says so).
   */
  remote: { artifact?: boolean; executable?: boolean; run?: boolean } | null;
}

export interface BuildPlanReport {
  ok: boolean;
  exitCode: ExitCode;
  /** The manifest and the output directory. */
  config: string;
  outDir: string;
  entries: EntryPlan[];
  diagnostics: EventDiagnostic[];
  /** Warnings (the remote cache unavailable, an entry of it not usable); the plan stands without them. */
  warnings: string[];
}

/** A path escaped for a Make rule: `$` doubled; spaces, `#` and `:` behind a backslash. */
export function makeEscape(path: string): string {
  return path.replace(/\$/g, "$$$$").replace(/([ #:])/g, "\\$1");
}

/**
 * Make-format dependencies (`make`'s own `-include` format, as `gcc -MD` writes): for each entry
 * that runs, its output files depend on the manifest, its sources, its `.npy` inputs and the
 * result.json of each entry it takes results from.
 */
export function depfile(plan: BuildPlanReport): string {
  const byName = new Map(plan.entries.map((e) => [e.entry, e]));
  const lines: string[] = [];
  for (const e of plan.entries) {
    if (!e.run) continue;
    const upstream = e.from.map((d) => byName.get(d)?.outputs.find((o) => o.endsWith("result.json"))).filter((o): o is string => o !== undefined);
    const prerequisites = [plan.config, ...e.sources, ...e.inputs, ...upstream];
    lines.push(`${e.outputs.map(makeEscape).join(" ")}: ${prerequisites.map(makeEscape).join(" ")}`);
  }
  return lines.join("\n") + (lines.length ? "\n" : "");
}

/** The plan for a terminal: one line per entry, with the reasons. */
export function renderPlan(plan: BuildPlanReport): string {
  const width = Math.max(0, ...plan.entries.map((e) => e.entry.length));
  const out: string[] = [];
  for (const e of plan.entries) {
    const why = (reasons: string[]) => (reasons.length ? ` (${reasons.join("; ")})` : "");
    const compile =
      e.compile.status === "hit" ? `cached ${e.hash?.slice(0, 12) ?? ""}`.trim() : e.remote?.artifact ? `from the remote cache${why(e.compile.reasons)}` : `${e.compile.status === "miss" ? "compile" : "compile?"}${why(e.compile.reasons)}`;
    const executable = e.remote?.executable ? ", its executable from the remote cache" : "";
    const run = !e.run
      ? "no run"
      : e.run.status === "up-to-date"
        ? `up to date on ${e.run.target}`
        : e.remote?.run
          ? `results of ${e.run.target} from the remote cache`
          : `${e.run.status === "run" ? "run" : "may run"} on ${e.run.target}${why(e.run.reasons)}${executable}`;
    out.push(`${e.entry.padEnd(width)}  ${compile}; ${run}`);
  }
  const count = (f: (e: EntryPlan) => boolean) => plan.entries.filter(f).length;
  const remote = plan.entries.some((e) => e.remote) ? `, ${count((e) => Boolean(e.remote?.artifact || e.remote?.executable || e.remote?.run))} answered by the remote cache` : "";
  out.push(
    `${plan.entries.length} entries: ${count((e) => e.compile.status !== "hit")} to compile, ${count((e) => e.run !== null && e.run.status !== "up-to-date")} to run, ${count((e) => e.run?.status === "up-to-date")} up to date${remote}`,
  );
  return out.join("\n");
}
