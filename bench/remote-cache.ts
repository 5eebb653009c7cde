// Benchmark of the remote cache (reported in BENCHMARKS.md; never asserted in tests): a cold build of
// the repository's examples (compiled and run, as `tpu-build build` does) in a fresh workspace,
// without a remote cache and with a warm one (BuildGrid on loopback, filled by a first workspace),
// alternately in one run. Runs do not share their results (no `"cache": "remote"`), so every entry
// runs on both sides: what the warm cache saves is the Julia compile (artifacts) and XLA's compile
// (shared executables, deserialized instead of compiled), which the `executable-loaded` events time.
// Run with `npm run bench:remote-cache` (it builds dist/ first); BENCH_ROUNDS=1 for a quick look.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../dist/build/engine.js";
import type { BuildEvent } from "../dist/build/events.js";
import { startBuildGrid } from "../test/support/buildgrid.js";
import { writeSection } from "./sections.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const cpus = availableParallelism();

/** A fresh workspace with the examples and the repository's manifest, and the remote cache at `address` (if any). */
function workspace(address: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-bench-remote-"));
  cpSync(join(ROOT, "examples"), join(dir, "examples"), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(ROOT, "tpu.config.json"), "utf8")) as { remoteCache?: unknown; $schema?: string };
  delete manifest.$schema;
  if (address) manifest.remoteCache = { address };
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify(manifest, null, 2));
  return dir;
}

interface ColdBuild {
  ms: number;
  /** Entries compiled by our compiler, and its time. */
  compiled: number;
  compileMs: number;
  /** Artifacts the remote cache answered, and their bytes. */
  remoteHits: number;
  remoteBytes: number;
  ran: number;
  /** Executables XLA compiled, and its time. */
  xlaCompiled: number;
  xlaMs: number;
  /** Executables deserialized from the remote cache, their time and bytes. */
  shared: number;
  sharedMs: number;
  sharedBytes: number;
}

async function coldBuild(address: string | undefined): Promise<ColdBuild> {
  const dir = workspace(address);
  const events: BuildEvent[] = [];
  const t0 = performance.now();
  const summary = await build({ config: join(dir, "tpu.config.json"), cacheDir: join(dir, ".tpu-build", "cache"), waitUploads: true, onEvent: (e) => events.push(e) });
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  const warnings = events.flatMap((e) => (e.event === "remote-cache-warning" ? [e.message] : []));
  if (!summary.ok || warnings.length) throw new Error(`bench build failed (exit ${summary.exitCode}) ${warnings.join("; ")}`);
  const b: ColdBuild = { ms, compiled: 0, compileMs: 0, remoteHits: 0, remoteBytes: 0, ran: 0, xlaCompiled: 0, xlaMs: 0, shared: 0, sharedMs: 0, sharedBytes: 0 };
  for (const e of events) {
    if (e.event === "compile-finished") (b.compiled++, (b.compileMs += e.durationMs));
    if (e.event === "compile-cache-hit" && e.layer === "remote") (b.remoteHits++, (b.remoteBytes += e.bytes ?? 0));
    if (e.event === "run-finished") b.ran++;
    if (e.event === "executable-loaded" && e.source === "compiled") (b.xlaCompiled++, (b.xlaMs += e.loadMs ?? 0));
    if (e.event === "executable-loaded" && e.source === "remote") (b.shared++, (b.sharedMs += e.loadMs ?? 0), (b.sharedBytes += e.bytes ?? 0));
  }
  return b;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const serverDir = mkdtempSync(join(tmpdir(), "tpu-build-bench-buildgrid-"));
const server = await startBuildGrid(serverDir);
try {
  await coldBuild(server.address); // fills the remote cache
  const rounds: { without: ColdBuild; warm: ColdBuild }[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push({ without: await coldBuild(undefined), warm: await coldBuild(server.address) });
  const load = loadavg()[0]!.toFixed(1);
  const med = (side: "without" | "warm", f: (b: ColdBuild) => number) => median(rounds.map((r) => f(r[side])));
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const s = (x: number) => `${(x / 1000).toFixed(2)} s`;
  const last = rounds.at(-1)!;
  const wall = { without: med("without", (b) => b.ms), warm: med("warm", (b) => b.ms) };
  const xlaAvoided = med("without", (b) => b.xlaMs) - med("warm", (b) => b.xlaMs);
  const section = [
    "",
    "A cold build of the repository's examples (the entries of `tpu.config.json`, compiled and run) in",
    "a fresh workspace directory, in-process, with `--wait-uploads` semantics, each side starting its",
    "own runtime server with an empty executable cache; the remote cache is BuildGrid on loopback with",
    "its disk store, filled by a first workspace. Runs do not share results, so every entry runs on",
    "both sides; the warm cache answers the compiles (artifacts) and XLA's compiles (shared",
    `executables, deserialized instead). The two sides alternate; median of ${ROUNDS}. The machine's`,
    `1-minute load average at the end of the run was ${load} on ${cpus} cores.`,
    "",
    `| cold build of the examples, fresh workspace (median of ${ROUNDS}) | without a remote cache | with a warm remote cache |`,
    "|---|---|---|",
    `| wall time | ${ms(wall.without)} | ${ms(wall.warm)} (${(wall.warm / wall.without).toFixed(2)}×) |`,
    `| entries compiled by tpu-build (its time) | ${last.without.compiled} (${ms(med("without", (b) => b.compileMs))}) | ${last.warm.compiled} (${ms(med("warm", (b) => b.compileMs))}); ${last.warm.remoteHits} artifacts fetched, ${(last.warm.remoteBytes / 1024).toFixed(0)} KiB |`,
    `| executables compiled by XLA (its time) | ${last.without.xlaCompiled} (${s(med("without", (b) => b.xlaMs))}) | ${last.warm.xlaCompiled} (${s(med("warm", (b) => b.xlaMs))}) |`,
    `| executables deserialized from the remote cache (their time) | ${last.without.shared} | ${last.warm.shared} (${s(med("warm", (b) => b.sharedMs))}), ${(last.warm.sharedBytes / 1024 / 1024).toFixed(1)} MiB fetched |`,
    `| entries run | ${last.without.ran} | ${last.warm.ran} |`,
    "",
    `XLA compile time avoided by the shared executables: ${s(xlaAvoided)} per cold build (median XLA`,
    `time without the cache minus with it); the whole build ${wall.warm < wall.without ? `took ${ms(wall.without - wall.warm)} less` : `took ${ms(wall.warm - wall.without)} more`} with the warm cache.`,
    "",
  ];
  console.log(section.join("\n"));
  writeSection("remote-cache", "`npm run bench:remote-cache`; edit bench/remote-cache.ts", section);
} finally {
  await server.stop();
  rmSync(serverDir, { recursive: true, force: true });
}
