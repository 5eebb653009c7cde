// What bench/daemon.ts and bench/scaling.ts share: a client attached to a workspace's daemon (its
// events collected), and the generated workspaces they measure.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DaemonConnection, ensureDaemon } from "../dist/daemon/client.js";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

export interface Attached {
  connection: DaemonConnection;
  events: Record<string, unknown>[];
  cancel: () => void;
}

/** Watches the workspace through its daemon (started if need be) until the first build has finished. */
export async function attach(dir: string): Promise<Attached> {
  const connection = await ensureDaemon(dir);
  const events: Record<string, unknown>[] = [];
  const w = connection.watch(join(dir, "tpu.config.json"), undefined, { onEvent: (json) => events.push(JSON.parse(json)) });
  w.done.catch(() => {});
  const end = Date.now() + 1_800_000;
  while (!events.some((e) => e.event === "watch-started" || e.event === "build-finished")) {
    if (Date.now() > end) throw new Error("no first build");
    await sleep(20);
  }
  return { connection, events, cancel: w.cancel };
}

/**
 * A workspace of `files` watched source files: 100 compile-only entries, each in its own directory
 * of `files / 100 - 1` included files (one inotify watch per directory). An edit to
 * lib/p7/f1.jl rebuilds entry e7 alone. Returns the path of that file.
 */
export function watchedWorkspace(dir: string, files: number): string {
  const perEntry = Math.round(files / 100) - 1;
  const entries: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) {
    mkdirSync(join(dir, "lib", `p${i}`), { recursive: true });
    const includes: string[] = [];
    for (let j = 0; j < perEntry; j++) {
      writeFileSync(join(dir, "lib", `p${i}`, `f${j}.jl`), `h${i}_${j}(x) = x .+ ${j}f0\n`);
      includes.push(`include("lib/p${i}/f${j}.jl")`);
    }
    writeFileSync(join(dir, `e${i}.jl`), `${includes.join("\n")}\nf(x) = h${i}_1(x) .* 2f0\n`);
    entries[`e${i}`] = { file: `e${i}.jl`, function: "f", args: [{ eltype: "Float32", size: [4] }] };
  }
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries }));
  return join(dir, "lib", "p7", "f1.jl");
}

export interface WatchedMeasure {
  /** From asking for the watch to the daemon's first watch-started, ms. */
  startMs: number;
  /** The daemon's status once idle (it collects garbage after a second idle), and after one edit. */
  status: Awaited<ReturnType<DaemonConnection["status"]>>;
  statusAfterEdit: Awaited<ReturnType<DaemonConnection["status"]>>;
  /** From writing the edit to the build it caused finishing, ms, and the entries that build compiled. */
  editMs: number;
  rebuilt: string[];
}

/**
 * Watches a generated workspace of `files` sources (watchedWorkspace) through its daemon, measures
 * its memory once idle and one edit's rebuild. The caller stops the daemon and removes `dir`.
 */
export async function measureWatched(dir: string, files: number, idleMs: number): Promise<WatchedMeasure> {
  const edited = watchedWorkspace(dir, files);
  const t0 = performance.now();
  const a = await attach(dir);
  while (!a.events.some((e) => e.event === "watch-started")) await sleep(20);
  const startMs = performance.now() - t0;
  await sleep(idleMs);
  const status = await a.connection.status();
  const mark = a.events.length;
  const e0 = performance.now();
  writeFileSync(edited, `h7_1(x) = x .+ 100f0\n`);
  while (!a.events.slice(mark).some((e) => e.event === "build-finished")) await sleep(5);
  const editMs = performance.now() - e0;
  const rebuilt = a.events.slice(mark).filter((e) => e.event === "compile-finished").map((e) => String(e.entry));
  const statusAfterEdit = await a.connection.status();
  a.cancel();
  a.connection.close();
  return { startMs, status, statusAfterEdit, editMs, rebuilt };
}
