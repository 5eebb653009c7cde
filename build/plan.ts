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
}

export interface BuildPlanReport {
  ok: boolean;
  exitCode: ExitCode;
  /** The manifest and the output directory. */
  config: string;
  outDir: string;
  entries: EntryPlan[];
  diagnostics: EventDiagnostic[];
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
    const compile = e.compile.status === "hit" ? `cached ${e.hash?.slice(0, 12) ?? ""}`.trim() : e.compile.status === "miss" ? "compile" : "compile?";
    const why = (reasons: string[]) => (reasons.length ? ` (${reasons.join("; ")})` : "");
    const run = !e.run ? "no run" : e.run.status === "up-to-date" ? `up to date on ${e.run.target}` : e.run.status === "run" ? `run on ${e.run.target}${why(e.run.reasons)}` : `may run on ${e.run.target}${why(e.run.reasons)}`;
    out.push(`${e.entry.padEnd(width)}  ${compile}${e.compile.status === "hit" ? "" : why(e.compile.reasons)}; ${run}`);
  }
  const count = (f: (e: EntryPlan) => boolean) => plan.entries.filter(f).length;
  out.push(
    `${plan.entries.length} entries: ${count((e) => e.compile.status !== "hit")} to compile, ${count((e) => e.run !== null && e.run.status !== "up-to-date")} to run, ${count((e) => e.run?.status === "up-to-date")} up to date`,
  );
  return out.join("\n");
}
