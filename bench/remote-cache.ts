// Benchmark of the remote cache (reported in BENCHMARKS.md; never asserted in tests): a cold build of
// the repository's examples (compile only, so no executable is loaded or shared) in a fresh workspace,
// without a remote cache and with a warm one (BuildGrid on loopback, filled by a first workspace).
// Run with `npm run bench:remote-cache` (it builds dist/ first).

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

/** A fresh workspace with the examples, every entry compile-only, and the remote cache at `address` (if any). */
function workspace(address: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-bench-remote-"));
  cpSync(join(ROOT, "examples"), join(dir, "examples"), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(ROOT, "tpu.config.json"), "utf8")) as { entries: Record<string, { run?: unknown }>; remoteCache?: unknown; $schema?: string };
  delete manifest.$schema;
  for (const e of Object.values(manifest.entries)) delete e.run;
  if (address) manifest.remoteCache = { address };
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify(manifest, null, 2));
  return dir;
}

async function coldBuild(address: string | undefined): Promise<{ ms: number; compiled: number; remoteHits: number; bytes: number; compileMs: number }> {
  const dir = workspace(address);
  const events: BuildEvent[] = [];
  const t0 = performance.now();
  const summary = await build({ config: join(dir, "tpu.config.json"), cacheDir: join(dir, ".tpu-build", "cache"), waitUploads: true, onEvent: (e) => events.push(e) });
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  if (!summary.ok) throw new Error(`bench build failed (exit ${summary.exitCode})`);
  let compiled = 0, remoteHits = 0, bytes = 0, compileMs = 0;
  for (const e of events) {
    if (e.event === "compile-finished") (compiled++, (compileMs += e.durationMs));
    if (e.event === "compile-cache-hit" && e.layer === "remote") (remoteHits++, (bytes += e.bytes ?? 0));
  }
  return { ms, compiled, remoteHits, bytes, compileMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const serverDir = mkdtempSync(join(tmpdir(), "tpu-build-bench-buildgrid-"));
const server = await startBuildGrid(serverDir);
try {
  await coldBuild(server.address); // fills the remote cache
  const without: number[] = [], withRemote: number[] = [];
  let last: Awaited<ReturnType<typeof coldBuild>> | undefined, cold: Awaited<ReturnType<typeof coldBuild>> | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    cold = await coldBuild(undefined);
    without.push(cold.ms);
    last = await coldBuild(server.address);
    withRemote.push(last.ms);
  }
  const load = loadavg()[0]!.toFixed(1);
  const saved = Math.round(median(without)) - Math.round(median(withRemote)); // from the figures the table shows
  const section = [
    "",
    "A cold build of the repository's examples (the entries of `tpu.config.json`, compile only) in a",
    "fresh workspace directory, in-process, with `--wait-uploads` semantics; the remote cache is",
    `BuildGrid on loopback with its disk store, filled by a first workspace. Median of ${ROUNDS}; the`,
    `machine's 1-minute load average at the end of the run was ${load} on ${cpus} cores.`,
    "",
    `| cold build of the examples (compile only), fresh workspace | median of ${ROUNDS} |`,
    "|---|---|",
    `| without a remote cache (${cold!.compiled} entries compiled, ${cold!.compileMs.toFixed(0)} ms in the compiler) | ${median(without).toFixed(0)} ms |`,
    `| with a warm remote cache (${last!.remoteHits} remote hits, ${(last!.bytes / 1024).toFixed(0)} KiB moved, ${last!.compiled} compiled) | ${median(withRemote).toFixed(0)} ms |`,
    "",
    `The warm remote cache ${saved > 0 ? `saved ${saved} ms` : `saved nothing (${-saved} ms slower)`} of the cold build.`,
    "XLA's compile of each module into an executable is not part of either row: nothing runs, so no",
    "executable is loaded (shared executables, README \"Remote cache\", are not measured here yet).",
    "",
  ];
  console.log(section.join("\n"));
  writeSection("remote-cache", "`npm run bench:remote-cache`; edit bench/remote-cache.ts", section);
} finally {
  await server.stop();
  rmSync(serverDir, { recursive: true, force: true });
}
