// A fuzz campaign: generates cases from a seed (manifest and Julia mutators), runs them in batches
// in worker processes (worker.ts) with a deadline per case, and collects findings. A finding names
// its case (kind, seed, index), the mutations that made it, and a file holding the mutated text to
// reproduce it with. Used by test/fuzz.test.ts (a fixed seed and budget, in CI) and by
// `npm run fuzz -- --seed N --cases M` (a longer run on demand).

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { juliaSeeds, manifestSeeds, REPO, type JuliaSeed, type ManifestSeed } from "./corpus.js";
import { mutateJulia, type MutatedJulia } from "./julia-mutator.js";
import { mutateManifest } from "./manifest-mutator.js";
import { Prng } from "./prng.js";
import type { CaseResult, FuzzCase } from "./worker.js";

/** Julia cases draw from another stream than manifest cases of the same seed and index. */
const JULIA_STREAM = 0x5bd1e995;

export interface CampaignOptions {
  seed: number;
  manifestCases: number;
  juliaCases: number;
  /** A case still running after this long is a hang (ms). */
  caseDeadlineMs: number;
  /** Worker processes at a time. */
  parallel: number;
  batchSize: number;
  /** Where reproduction files go. */
  outDir: string;
  /** Run only these indices (reproducing a finding). */
  only?: { kind: "manifest" | "julia"; index: number };
  /** Julia mutation kinds to use (default: all). */
  juliaMutations?: readonly string[];
  /** A finding that belongs to a class fixed elsewhere: the issue item that owns it, else undefined. */
  excluded?: (finding: Finding) => string | undefined;
  log?: (line: string) => void;
}

export interface Finding {
  kind: "manifest" | "julia";
  seed: number;
  index: number;
  outcome: CaseResult["outcome"] | "hang" | "worker-died";
  detail: string;
  mutations: string[];
  /** Julia: mutation kinds applied (for exclusions). */
  mutationKinds: string[];
  origin: string;
  /** The mutated text, written for reproduction. */
  reproduction: string;
  /** Set when the finding is excluded: the issue item that owns its class. */
  excludedBy?: string;
}

export interface CampaignReport {
  seed: number;
  counts: Record<string, number>;
  findings: Finding[];
  excluded: Finding[];
  durationMs: number;
}

interface PlannedCase {
  kase: FuzzCase;
  mutations: string[];
  mutationKinds: string[];
  origin: string;
}

function planManifest(seed: number, index: number, seeds: ManifestSeed[]): PlannedCase {
  const rng = new Prng(seed, index);
  const origin = rng.pick(seeds);
  const m = mutateManifest(origin.text, rng);
  return { kase: { kind: "manifest", index, text: m.text }, mutations: m.mutations, mutationKinds: [], origin: origin.name };
}

function planJulia(seed: number, index: number, seeds: JuliaSeed[], allowed?: readonly string[]): PlannedCase {
  const rng = new Prng(seed ^ JULIA_STREAM, index);
  const origin = rng.pick(seeds);
  const m: MutatedJulia = mutateJulia(origin.text, rng, allowed);
  return {
    kase: { kind: "julia", index, text: m.text, file: origin.file, function: origin.function, args: origin.args },
    mutations: m.mutations,
    mutationKinds: m.kinds,
    origin: origin.name,
  };
}

/** Runs one batch in a worker; resolves with a result per case (a hang or a dead worker is a result too). */
function runBatch(batch: PlannedCase[], options: CampaignOptions, scratch: string, id: number): Promise<Map<number, { outcome: Finding["outcome"]; detail: string }>> {
  return new Promise((resolveBatch) => {
    const results = new Map<number, { outcome: Finding["outcome"]; detail: string }>();
    const remaining = [...batch];
    const startWorker = () => {
      if (!remaining.length) return resolveBatch(results);
      const file = join(scratch, `batch-${id}-${remaining[0]!.kase.index}.json`);
      writeFileSync(file, JSON.stringify(remaining.map((p) => p.kase)));
      // The old-space cap makes a runaway allocation a quick worker death (a finding), not a swapped machine.
      const child = spawn(process.execPath, ["--max-old-space-size=2048", join(__dirname, "worker-entry.cjs"), file], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
      let current: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      let stderr = "";
      let buffered = "";
      const arm = (ms: number, what: () => void) => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(what, ms);
      };
      let hung = false;
      const hang = () => {
        hung = true;
        child.kill("SIGKILL");
      };
      arm(options.caseDeadlineMs * 3, hang); // start-up (loading the compiler) gets longer than a case
      child.stderr.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child.stdout.on("data", (d: Buffer) => {
        buffered += d.toString();
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const message = JSON.parse(line) as { started: number } | CaseResult;
          if ("started" in message) {
            current = message.started;
            arm(options.caseDeadlineMs, hang);
            continue;
          }
          results.set(message.index, { outcome: message.outcome, detail: message.detail ?? "" });
          const k = remaining.findIndex((p) => p.kase.index === message.index);
          if (k >= 0) remaining.splice(k, 1);
          current = undefined;
        }
      });
      child.on("exit", (code, signal) => {
        if (timer) clearTimeout(timer);
        rmSync(file, { force: true });
        if (current !== undefined) {
          const outcome = hung ? "hang" : "worker-died";
          const detail = hung ? `still running after ${options.caseDeadlineMs} ms` : `the worker died (exit ${code}, signal ${signal}): ${stderr.trim().slice(-1500)}`;
          results.set(current, { outcome, detail });
          const k = remaining.findIndex((p) => p.kase.index === current);
          if (k >= 0) remaining.splice(k, 1);
        } else if (remaining.length && (code !== 0 || hung)) {
          // Died before its first case: every case left is reported, not retried forever.
          for (const p of remaining) results.set(p.kase.index, { outcome: "worker-died", detail: `the worker did not start (exit ${code}, signal ${signal}): ${stderr.trim().slice(-1500)}` });
          remaining.length = 0;
        }
        startWorker();
      });
    };
    startWorker();
  });
}

function extension(kind: Finding["kind"]): string {
  return kind === "manifest" ? "json" : "jl";
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const planned: PlannedCase[] = [];
  const mSeeds = manifestSeeds();
  const jSeeds = options.juliaCases > 0 || options.only?.kind === "julia" ? await juliaSeeds() : [];
  if (options.only) {
    planned.push(options.only.kind === "manifest" ? planManifest(options.seed, options.only.index, mSeeds) : planJulia(options.seed, options.only.index, jSeeds, options.juliaMutations));
  } else {
    for (let i = 0; i < options.manifestCases; i++) planned.push(planManifest(options.seed, i, mSeeds));
    for (let i = 0; i < options.juliaCases; i++) planned.push(planJulia(options.seed, i, jSeeds, options.juliaMutations));
  }
  // Batches hold one kind each: a case's index is unique within its kind.
  const batches: PlannedCase[][] = [];
  for (const kind of ["manifest", "julia"] as const) {
    const ofKind = planned.filter((p) => p.kase.kind === kind);
    for (let i = 0; i < ofKind.length; i += options.batchSize) batches.push(ofKind.slice(i, i + options.batchSize));
  }
  const scratch = mkdtempSync(join(tmpdir(), "tpu-fuzz-batches-"));
  const counts: Record<string, number> = {};
  const findings: Finding[] = [];
  const excluded: Finding[] = [];
  mkdirSync(options.outDir, { recursive: true });
  try {
    let next = 0;
    const lane = async (lane: number) => {
      while (next < batches.length) {
        const id = next++;
        const batch = batches[id]!;
        const results = await runBatch(batch, options, scratch, lane * 100000 + id);
        for (const p of batch) {
          const r = results.get(p.kase.index) ?? { outcome: "worker-died" as const, detail: "no result" };
          counts[`${p.kase.kind} ${r.outcome}`] = (counts[`${p.kase.kind} ${r.outcome}`] ?? 0) + 1;
          if (r.outcome === "ok" || r.outcome === "located") continue;
          const base = join(options.outDir, `${p.kase.kind}-seed${options.seed}-case${p.kase.index}`);
          const reproduction = `${base}.${extension(p.kase.kind)}`;
          writeFileSync(reproduction, p.kase.text);
          const finding: Finding = { kind: p.kase.kind, seed: options.seed, index: p.kase.index, outcome: r.outcome, detail: r.detail, mutations: p.mutations, mutationKinds: p.mutationKinds, origin: p.origin, reproduction };
          const owner = options.excluded?.(finding);
          if (owner) finding.excludedBy = owner;
          writeFileSync(`${base}.txt`, describeFinding(finding) + (p.kase.kind === "julia" ? `\nfunction: ${(p.kase as { function: string }).function}\nargs: ${JSON.stringify((p.kase as { args: unknown }).args)}\n` : "\n"));
          (owner ? excluded : findings).push(finding);
          log(describeFinding(finding));
        }
        log(`batch ${id + 1}/${batches.length} done`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, (_, k) => lane(k)));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { seed: options.seed, counts, findings, excluded, durationMs: performance.now() - started };
}

export function describeFinding(f: Finding): string {
  return [
    `${f.kind} case (seed ${f.seed}, index ${f.index}): ${f.outcome}${f.excludedBy ? ` [excluded: ${f.excludedBy}]` : ""}`,
    `  from ${f.origin}; mutations: ${f.mutations.join("; ") || "none"}`,
    `  mutated text: ${f.reproduction}`,
    `  reproduce: npm run fuzz -- --seed ${f.seed} --only ${f.kind}:${f.index}`,
    ...f.detail.split("\n").slice(0, 12).map((l) => `  | ${l}`),
  ].join("\n");
}

/** `npm run fuzz -- --seed N --cases M [--julia-share 0.5] [--deadline-ms D] [--parallel P] [--out DIR] [--only manifest:I|julia:I]` */
export async function main(argv: string[]): Promise<number> {
  const flag = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  const seed = Number(flag("seed", String(Date.now() % 100000)));
  const cases = Number(flag("cases", "1000"));
  const share = Number(flag("julia-share", "0.5"));
  const only = flag("only", "");
  const m = /^(manifest|julia):(\d+)$/.exec(only);
  if (only && !m) {
    process.stderr.write("fuzz: --only takes manifest:INDEX or julia:INDEX\n");
    return 1;
  }
  const outDir = flag("out", join(tmpdir(), `tpu-build-fuzz-${seed}`));
  const report = await runCampaign({
    seed,
    manifestCases: Math.round(cases * (1 - share)),
    juliaCases: Math.round(cases * share),
    caseDeadlineMs: Number(flag("deadline-ms", "30000")),
    parallel: Number(flag("parallel", "2")),
    batchSize: Number(flag("batch", "50")),
    outDir,
    only: m ? { kind: m[1] as "manifest" | "julia", index: Number(m[2]) } : undefined,
    log: (line) => process.stdout.write(line + "\n"),
  });
  process.stdout.write(`\nseed ${seed}: ${JSON.stringify(report.counts)} in ${Math.round(report.durationMs / 1000)} s; ${report.findings.length} findings (files in ${outDir})\n`);
  return report.findings.length ? 1 : 0;
}
