// The watch session end to end, in this process: real files in a temporary directory, the real
// chokidar watcher, the real runtime server. No event is mocked: every change is a file system
// operation, and every expectation is read back from the outputs on disk.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "../build/engine.js";
import type { DaemonEvent } from "../build/events.js";
import { float32Output } from "./support/outputs.js";
import { ROOT } from "./support/cli.js";
import { WatchSession } from "../daemon/watch.js";

const MANIFEST = {
  entries: {
    a: { file: "model.jl", function: "f", args: [{ eltype: "Float32", size: [3], value: { fill: 1 } }], run: true },
    b: { file: "model.jl", function: "g", args: [{ from: "a" }], run: true },
    c: { file: "other.jl", function: "h", args: [{ eltype: "Float32", size: [3], value: { fill: 2 } }], run: true },
  },
};

const model = (include = "layers.jl", g = 2) => `include("${include}")\nf(x) = scale(x) .+ 1f0\ng(y) = y .* ${g}f0\n`;
const layers = (k: number, comment = "") => `scale(x) = x .* ${k}f0\n${comment}`;
const other = (k: number) => `h(x) = x .- ${k}f0\n`;

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-watch-"));
  writeFileSync(join(dir, "model.jl"), model());
  writeFileSync(join(dir, "layers.jl"), layers(2));
  writeFileSync(join(dir, "other.jl"), other(1));
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify(MANIFEST, null, 2));
  return dir;
}

/** Float32 values of an output leaf, or undefined when it is not there. */

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const same = (xs: number[] | undefined, v: number) => xs !== undefined && xs.length === 3 && xs.every((x) => x === v);

interface Harness {
  dir: string;
  session: WatchSession;
  events: DaemonEvent[];
  /** Events since the last mark(). */
  since(): DaemonEvent[];
  mark(): void;
  /** Waits until a build that started after the last mark() has finished, and no change is pending. */
  settle(): Promise<DaemonEvent[]>;
}

async function harness(dir: string): Promise<Harness> {
  const session = new WatchSession({ config: join(dir, "tpu.config.json") });
  const events: DaemonEvent[] = [];
  session.subscribe({ onEvent: (e) => events.push(e) });
  let markAt = 0;
  const h: Harness = {
    dir,
    session,
    events,
    since: () => events.slice(markAt),
    mark: () => (markAt = events.length),
    settle: async () => {
      await waitFor("a build after the change", () => h.since().some((e) => e.event === "build-finished"));
      // Quiet: no new event for longer than the debounce cap, and no build running.
      for (;;) {
        const n = events.length;
        await new Promise((r) => setTimeout(r, 700));
        await session.settled();
        if (events.length === n) break;
      }
      return h.since();
    },
  };
  await session.start({ watch: true });
  return h;
}

const kinds = (events: DaemonEvent[], kind: DaemonEvent["event"]) => events.filter((e) => e.event === kind).map((e) => (e as { entry?: string }).entry ?? "");

const test = suite("tpu-build watch (in-process session, real watcher)");
let h: Harness;
const dirs: string[] = [];
const sessions: WatchSession[] = [];

test.before(async () => {
  const dir = workspace();
  dirs.push(dir);
  h = await harness(dir);
  sessions.push(h.session);
});

test.after(async () => {
  for (const s of sessions) await s.close().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("the first build runs every entry and writes its outputs", () => {
  assert.ok(same(float32Output(h.dir, "a"), 3), `a = ${float32Output(h.dir, "a")}`);
  assert.ok(same(float32Output(h.dir, "b"), 6));
  assert.ok(same(float32Output(h.dir, "c"), 1));
});

test("an edit to an included file recompiles and reruns exactly the entries that reach it", async () => {
  h.mark();
  writeFileSync(join(h.dir, "layers.jl"), layers(3));
  const events = await h.settle();
  assert.ok(same(float32Output(h.dir, "a"), 4), `a = ${float32Output(h.dir, "a")}`);
  assert.ok(same(float32Output(h.dir, "b"), 8));
  assert.equal(kinds(events, "compile-started").sort(), ["a", "b"]);
  // Each ran once per tier (tiered compilation: fast, then optimized).
  assert.equal([...new Set(kinds(events, "run-started"))].sort(), ["a", "b"]);
  assert.not.ok(kinds(events, "compile-started").includes("c"));
  assert.ok(kinds(events, "run-up-to-date").includes("c"));
});

test("an editor's atomic save (write a temporary file, rename it over) is seen", async () => {
  h.mark();
  writeFileSync(join(h.dir, ".layers.jl.swp"), layers(5));
  renameSync(join(h.dir, ".layers.jl.swp"), join(h.dir, "layers.jl"));
  await h.settle();
  assert.ok(same(float32Output(h.dir, "a"), 6), `a = ${float32Output(h.dir, "a")}`);
  assert.ok(same(float32Output(h.dir, "b"), 12));
});

test("touching a file without changing it rebuilds nothing", async () => {
  h.mark();
  writeFileSync(join(h.dir, "layers.jl"), layers(5));
  const events = await h.settle();
  assert.ok(events.some((e) => e.event === "watch-changed"), "the watcher saw the write");
  assert.equal(kinds(events, "compile-started"), []);
  assert.equal(kinds(events, "run-started"), []);
});

test("early cutoff: a recompiled module with the same hash reruns nothing", async () => {
  h.mark();
  writeFileSync(join(h.dir, "layers.jl"), layers(5, "# a trailing comment changes the key, not the module (line numbers stay)\n"));
  const events = await h.settle();
  assert.equal(kinds(events, "compile-finished").sort(), ["a", "b"]);
  assert.equal(kinds(events, "run-started"), []);
  assert.equal(kinds(events, "run-up-to-date").sort(), ["a", "b", "c"]);
});

test("deleting an included file fails what reaches it (no stale outputs), and re-creating it recovers", async () => {
  h.mark();
  unlinkSync(join(h.dir, "layers.jl"));
  let events = await h.settle();
  assert.ok(kinds(events, "compile-failed").includes("a"), JSON.stringify(events.map((e) => e.event)));
  assert.is(float32Output(h.dir, "a"), undefined, "a's old outputs are gone");
  assert.is(float32Output(h.dir, "b"), undefined, "b's old outputs are gone");
  assert.ok(same(float32Output(h.dir, "c"), 1), "an unaffected entry keeps going");
  h.mark();
  writeFileSync(join(h.dir, "layers.jl"), layers(7));
  events = await h.settle();
  assert.ok(same(float32Output(h.dir, "a"), 8), `a = ${float32Output(h.dir, "a")}`);
  assert.ok(same(float32Output(h.dir, "b"), 16));
});

test("the watch set follows the include graph", async () => {
  h.mark();
  writeFileSync(join(h.dir, "layers2.jl"), layers(10));
  writeFileSync(join(h.dir, "model.jl"), model("layers2.jl"));
  await h.settle();
  assert.ok(same(float32Output(h.dir, "a"), 11), `a = ${float32Output(h.dir, "a")}`);
  // The new include is watched...
  h.mark();
  writeFileSync(join(h.dir, "layers2.jl"), layers(20));
  await h.settle();
  assert.ok(same(float32Output(h.dir, "a"), 21), `a = ${float32Output(h.dir, "a")}`);
  // ...and the old one no longer starts builds.
  h.mark();
  writeFileSync(join(h.dir, "layers.jl"), layers(99));
  await new Promise((r) => setTimeout(r, 1200));
  await h.session.settled();
  assert.equal(kinds(h.since(), "build-started"), []);
});

test("a manifest typo keeps the last good graph and its outputs; the fix rebuilds", async () => {
  const good = readFileSync(join(h.dir, "tpu.config.json"), "utf8");
  h.mark();
  writeFileSync(join(h.dir, "tpu.config.json"), good.replace(`"function": "h"`, `"fucntion": "h"`));
  let events = await h.settle();
  assert.ok(events.some((e) => e.event === "manifest-invalid"));
  assert.ok(same(float32Output(h.dir, "c"), 1), "outputs of the last good graph stay");
  assert.ok(h.session.engine.manifest, "the last good graph is kept");
  // While invalid, sources are still watched: an edit re-validates (and still fails).
  h.mark();
  writeFileSync(join(h.dir, "other.jl"), other(3));
  events = await h.settle();
  assert.ok(events.some((e) => e.event === "manifest-invalid"));
  h.mark();
  writeFileSync(join(h.dir, "tpu.config.json"), good);
  events = await h.settle();
  assert.ok(events.some((e) => e.event === "build-finished" && e.ok), JSON.stringify(events.map((e) => e.event)));
  assert.ok(same(float32Output(h.dir, "c"), -1), `c = ${float32Output(h.dir, "c")}`);
});

test("a compile error in one entry does not stop the others, and its fix recovers the graph", async () => {
  h.mark();
  writeFileSync(join(h.dir, "other.jl"), "h(x) = x * x\n");
  let events = await h.settle();
  assert.ok(kinds(events, "compile-failed").includes("c"));
  assert.is(float32Output(h.dir, "c"), undefined);
  assert.ok(same(float32Output(h.dir, "a"), 21));
  h.mark();
  writeFileSync(join(h.dir, "other.jl"), other(4));
  events = await h.settle();
  assert.ok(same(float32Output(h.dir, "c"), -2), `c = ${float32Output(h.dir, "c")}`);
});

/** A small seeded generator (mulberry32): the same sequence on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function listOutputs(out: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!existsSync(out)) return files;
  for (const entry of readdirSync(out)) {
    if (entry.startsWith(".")) continue;
    for (const f of readdirSync(join(out, entry))) if (f.endsWith(".npy")) files.set(`${entry}/${f}`, readFileSync(join(out, entry, f)));
  }
  return files;
}

test("after 200 seeded random edits, every output equals a clean build's", async () => {
  const dir = workspace();
  dirs.push(dir);
  const w = await harness(dir);
  sessions.push(w.session);
  const random = rng(20251123);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const save = (name: string, text: string) => {
    if (random() < 0.4) {
      const tmp = join(dir, `.${name}.tmp${Math.floor(random() * 1e6)}`);
      writeFileSync(tmp, text);
      renameSync(tmp, join(dir, name));
    } else writeFileSync(join(dir, name), text);
  };
  let include = "layers.jl";
  for (let i = 0; i < 200; i++) {
    const op = random();
    if (op < 0.35) save(include, layers(pick([1, 2, 3, 4])));
    else if (op < 0.5) save("model.jl", model(include, pick([2, 3])));
    else if (op < 0.65) save("other.jl", pick([other(1), other(2), "h(x) = x * x\n"]));
    else if (op < 0.72) {
      include = include === "layers.jl" ? "layers2.jl" : "layers.jl";
      save(include, layers(pick([5, 6])));
      save("model.jl", model(include, pick([2, 3])));
    } else if (op < 0.8) {
      const victim = join(dir, include);
      if (existsSync(victim)) unlinkSync(victim);
    } else if (op < 0.86) {
      const m = { ...MANIFEST, entries: { ...MANIFEST.entries } } as { entries: Record<string, unknown> };
      if (random() < 0.5) delete m.entries.c;
      save("tpu.config.json", random() < 0.3 ? JSON.stringify(m).replace(`"function"`, `"fucntion"`) : JSON.stringify(m, null, 2));
    } else save(include, layers(pick([1, 2, 3, 4])));
    if (random() < 0.2) await new Promise((r) => setTimeout(r, Math.floor(random() * 150)));
  }
  // The last word is a valid state; then wait for the watcher to go quiet.
  save(include, layers(pick([1, 2, 3])));
  save("tpu.config.json", JSON.stringify(MANIFEST, null, 2));
  w.mark();
  await w.settle();
  const clean = mkdtempSync(join(tmpdir(), "tpu-build-clean-"));
  dirs.push(clean);
  const reference = await build({ config: join(dir, "tpu.config.json"), outDir: join(clean, "out"), cacheDir: join(clean, "cache") });
  const watched = listOutputs(join(dir, ".tpu-build", "out"));
  const expected = listOutputs(join(clean, "out"));
  assert.equal([...watched.keys()].sort(), [...expected.keys()].sort(), `clean build exit ${reference.exitCode}`);
  for (const [file, bytes] of expected) assert.ok(bytes.equals(watched.get(file)!), `${file} differs from a clean build's`);
  assert.ok(w.events.filter((e) => e.event === "build-finished").length > 5, "the edits caused builds");
});

test("watch builds take the manifest's watch.targets settings over targets; an explicit build keeps the declared ones", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-watch-settings-"));
  dirs.push(dir);
  writeFileSync(join(dir, "m.jl"), "f(x) = x .* 2f0\n");
  const manifest = {
    targets: { local: { cacheDir: "exe-declared" } },
    watch: { targets: { local: { cacheDir: "exe-watch" } } },
    entries: { f: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [3], value: { fill: 1 } }], run: true } },
  };
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify(manifest, null, 2));
  const executables = (sub: string) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).filter((f) => f.endsWith(".exe")).length : 0);
  const w = await harness(dir);
  sessions.push(w.session);
  assert.equal(float32Output(dir, "f"), [2, 2, 2]);
  assert.is(executables("exe-watch"), 1, "the watch build compiled with the watch settings");
  assert.is(executables("exe-declared"), 0);
  const [watchRuntime] = w.session.engine.runtimePids();
  assert.ok(watchRuntime, "a runtime server for the watch settings");

  const explicit = await w.session.build();
  assert.is(explicit.exitCode, 0);
  assert.ok(explicit.entries.f?.ran, "other settings: the entry reruns");
  assert.is(executables("exe-declared"), 1, "the explicit build compiled with the declared settings");
  assert.is(w.session.engine.runtimePids().length, 2, "each kind of build keeps its own runtime session");

  w.mark();
  writeFileSync(join(dir, "m.jl"), "f(x) = x .* 3f0\n");
  await w.settle();
  assert.equal(float32Output(dir, "f"), [3, 3, 3]);
  assert.is(executables("exe-watch"), 2, "the edit's watch build compiled with the watch settings again");
  assert.is(executables("exe-declared"), 1);
  assert.ok(w.session.engine.runtimePids().includes(watchRuntime!), "the watch builds' runtime server was not restarted");
});

test("an edit to a plugin module of the workspace reloads it: what ran on its target runs again with the new code, the rest stays up to date", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-watch-plugin-"));
  dirs.push(dir);
  writeFileSync(join(dir, "m.jl"), "f(x) = x .* 2f0\n");
  const builtin = pathToFileURL(join(ROOT, "dist", "plugins", "builtin.js")).href;
  const log = join(dir, "runs.log");
  // A target that runs on the local one and logs its version with each run.
  const plugin = (version: string) =>
    `import { appendFileSync } from "node:fs";\nimport { builtinRegistry } from ${JSON.stringify(builtin)};\nconst local = builtinRegistry().target("local");\n` +
    `export default { name: "tagged", register(r) { r.registerTarget({ name: "tagged", async open(o) { const s = await local.open(o);\n` +
    `  return { info: () => s.info(), load: (a, x) => s.load(a, x), run: (h, i) => (appendFileSync(${JSON.stringify(log)}, "${version}\\n"), s.run(h, i)), close: () => s.close() }; } }); } };\n`;
  writeFileSync(join(dir, "tagged.mjs"), plugin("v1"));
  const run = (target: string) => ({ file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [3], value: { fill: 1 } }], run: { target } });
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ plugins: ["./tagged.mjs"], entries: { tagged: run("tagged"), plain: run("local") } }, null, 2));
  const w = await harness(dir);
  sessions.push(w.session);
  assert.is(readFileSync(log, "utf8"), "v1\n");
  assert.ok(w.session.engine.watchedFiles().includes(join(dir, "tagged.mjs")), "the plugin module is watched");

  w.mark();
  writeFileSync(join(dir, "tagged.mjs"), plugin("v2"));
  const events = await w.settle();
  assert.equal(kinds(events, "run-finished"), ["tagged"]);
  assert.equal(kinds(events, "run-up-to-date"), ["plain"]);
  assert.is(readFileSync(log, "utf8"), "v1\nv2\n", "the new version ran it");
  assert.equal(float32Output(dir, "tagged"), [2, 2, 2]);
});

test.run();
