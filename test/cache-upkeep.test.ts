// Cache upkeep (build/cache-upkeep.ts, `tpu-build cache`): least-recently-used eviction under a
// size cap over artifacts and executables, sizes with units, and removal while a real build
// process compiles and runs against the same cache.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ArtifactStore } from "../build/cache.js";
import { cleanCache, collectGarbage, listCache, type CacheLocations } from "../build/cache-upkeep.js";
import { parseByteSize } from "../build/limits.js";
import { loadManifest } from "../build/manifest.js";
import type { Signature } from "../plugins/api.js";
import { runPython } from "./support/jax.js";
import { float32Output } from "./support/outputs.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "tpu-build.js");

const test = suite("cache upkeep");
const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-cache-upkeep-"));
  dirs.push(dir);
  return dir;
}

const SIGNATURE = { entry: "e" } as unknown as Signature;

test("sizes: bytes, powers of 1000 and of 1024, any case; anything else is not a size", () => {
  assert.is(parseByteSize("2GB"), 2_000_000_000);
  assert.is(parseByteSize("500mb"), 500_000_000);
  assert.is(parseByteSize("1.5GiB"), 1.5 * 2 ** 30);
  assert.is(parseByteSize(" 512 KiB "), 512 * 1024);
  assert.is(parseByteSize("42"), 42);
  assert.is(parseByteSize(4096), 4096);
  for (const bad of ["", "lots", "2 GBs", "-1MB", "1e3", "0x10"]) assert.is(parseByteSize(bad), undefined, bad);
  assert.is(parseByteSize(-1), undefined);
  assert.is(parseByteSize(1.5), undefined);
});

test("cache.maxSize that is not a size is a manifest error at its value", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "m.jl"), "f(x) = x\n");
  const text = `{\n  "cache": { "maxSize": "lots" },\n  "entries": { "f": { "file": "m.jl", "function": "f" } }\n}\n`;
  writeFileSync(join(dir, "tpu.config.json"), text);
  const r = await loadManifest(join(dir, "tpu.config.json"));
  assert.ok(!r.ok);
  if (r.ok) return;
  assert.is(r.diagnostics.length, 1);
  const d = r.diagnostics[0]!;
  assert.is(d.pointer, "/cache/maxSize");
  assert.is(d.line, 2);
  assert.is(d.col, text.split("\n")[1]!.indexOf(`"lots"`) + 1);
  assert.match(d.message, /not a size/);
  writeFileSync(join(dir, "tpu.config.json"), text.replace(`"lots"`, `"3 MiB"`));
  const ok = await loadManifest(join(dir, "tpu.config.json"));
  assert.ok(ok.ok && ok.manifest.cacheMaxBytes === 3 * 2 ** 20);
});

test("gc removes the least recently used artifacts and executables first; a hit counts as a use", async () => {
  const dir = tempDir();
  const locations: CacheLocations = { artifacts: join(dir, "cache"), executables: [join(dir, "executables")] };
  const store = new ArtifactStore(locations.artifacts);
  mkdirSync(locations.executables[0]!, { recursive: true });
  const keys = ["a", "b", "c"].map((c) => c.repeat(64));
  for (const [k, key] of keys.entries()) await store.put(key, { module: new Uint8Array(1000 * (k + 1)), text: "", signature: SIGNATURE });
  const exes = ["1", "2"].map((c) => join(locations.executables[0]!, `${c.repeat(64)}.exe`));
  for (const exe of exes) writeFileSync(exe, new Uint8Array(1500));
  // Last uses, oldest first: artifact a, exe 1, artifact b, exe 2, artifact c (an hour apart).
  const base = Date.now() / 1000 - 10 * 3600;
  const order = [join(store.pathOf(keys[0]!), "meta.json"), exes[0]!, join(store.pathOf(keys[1]!), "meta.json"), exes[1]!, join(store.pathOf(keys[2]!), "meta.json")];
  order.forEach((path, k) => utimesSync(path, base + k * 3600, base + k * 3600));
  // A hit on the oldest artifact makes it the most recent.
  assert.ok(await store.get(keys[0]!));
  const listed = await listCache(locations);
  assert.equal(
    listed.map((e) => e.key.slice(0, 1)),
    ["1", "b", "2", "c", "a"],
  );
  const total = listed.reduce((sum, e) => sum + e.bytes, 0);
  // A cap that forces out exactly the two least recently used (exe 1 and artifact b).
  const cap = total - listed[0]!.bytes - listed[1]!.bytes;
  // A staging directory of a writer that died an hour ago goes; one being written now stays.
  const stale = join(locations.artifacts, "tmp", "dead-writer");
  const fresh = join(locations.artifacts, "tmp", "live-writer");
  mkdirSync(stale, { recursive: true });
  mkdirSync(fresh, { recursive: true });
  utimesSync(stale, base, base);
  const gc = await collectGarbage(locations, cap);
  assert.equal(gc.removed.map((e) => e.key.slice(0, 1)), ["1", "b"]);
  assert.is(gc.keptBytes, cap);
  assert.is(gc.staleTemporaries, 1);
  assert.ok(!existsSync(stale) && existsSync(fresh));
  assert.ok(!existsSync(exes[0]!) && existsSync(exes[1]!));
  assert.is(await store.get(keys[1]!), undefined);
  assert.ok(await store.get(keys[0]!));
  assert.ok(await store.get(keys[2]!));
  // Under the cap: nothing more goes.
  assert.is((await collectGarbage(locations, cap)).removed.length, 0);
});

// --- with a real build process -----------------------------------------------------------------

const MODEL = `scaled(W, x, c) = tanh.(W * x) .* Float32(c)\n`;
const SCALES = [1, 2, 3, 4];

async function workspace(): Promise<string> {
  const dir = tempDir();
  writeFileSync(join(dir, "model.jl"), MODEL);
  const entries: Record<string, unknown> = {};
  for (const c of SCALES) entries[`scaled${c}`] = { file: "model.jl", function: "scaled", args: [{ eltype: "Float32", size: [4, 3], value: { npy: "W.npy" } }, { eltype: "Float32", size: [3, 2], value: { npy: "x.npy" } }, { const: c }], run: true };
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries }, null, 2));
  await runPython(`np.save(INPUT + "/W.npy", (np.arange(12, dtype=np.float32).reshape(4, 3) - 6) / 5)\nnp.save(INPUT + "/x.npy", np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2))\nemit(None)`, dir);
  return dir;
}

/** NumPy's tanh(W x) c for every scale, in Julia's column-major order (as the .npy outputs hold it). */
async function reference(dir: string): Promise<number[][]> {
  return runPython<number[][]>(`W = np.load(INPUT + "/W.npy"); x = np.load(INPUT + "/x.npy")\nemit([(np.tanh(W @ x) * np.float32(c)).astype(np.float32).flatten(order="F").tolist() for c in ${JSON.stringify(SCALES)}])`, dir);
}

function assertOutputs(dir: string, expected: number[][]): void {
  SCALES.forEach((c, k) => {
    const got = float32Output(dir, `scaled${c}`);
    assert.ok(got, `scaled${c} wrote no output`);
    got!.forEach((v, i) => assert.ok(Math.abs(v - expected[k]![i]!) <= 1e-6 * (1 + Math.abs(expected[k]![i]!)), `scaled${c}[${i}]: ${v} vs NumPy ${expected[k]![i]}`));
  });
}

function buildProcess(dir: string, env: Record<string, string> = {}, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "build", "--no-daemon", "--json", ...args], { cwd: dir, env: { ...process.env, CI: "true", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const deadline = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    });
  });
}

test("clean, run over and over while another process builds, never breaks that build; the cap holds after a build", async () => {
  assert.ok(existsSync(join(ROOT, "dist", "cli", "main.js")), "run `npm run build` first (npm test does)");
  const dir = await workspace();
  const expected = await reference(dir);
  const locations: CacheLocations = { artifacts: join(dir, ".tpu-build", "cache"), executables: [join(dir, ".tpu-build", "executables")] };

  // Another process builds (compiles 4 entries, starts a runtime, runs them) while this one keeps
  // removing every cache entry it finds, artifacts and executables alike.
  const building = buildProcess(dir);
  let finished = false;
  void building.then(() => (finished = true));
  let removedWhileBuilding = 0;
  while (!finished) {
    removedWhileBuilding += (await cleanCache(locations)).removed.length;
    await new Promise((r) => setTimeout(r, 2));
  }
  const first = await building;
  assert.is(first.code, 0, first.stderr);
  assert.ok(removedWhileBuilding > 0, "the cleaning loop never overlapped the build's cache writes");
  assertOutputs(dir, expected);

  // A build that fills the cache again (--force: its runs are up to date, and a run loads its
  // executable into the runtime's cache), then one under a cap of half of it: it removes the least
  // recently used entries at its end and says so.
  const second = await buildProcess(dir, {}, ["--force"]);
  assert.is(second.code, 0, second.stderr);
  const full = await listCache(locations);
  const total = full.reduce((sum, e) => sum + e.bytes, 0);
  assert.ok(full.some((e) => e.kind === "executable") && full.some((e) => e.kind === "artifact"), JSON.stringify(full.map((e) => e.kind)));
  const cap = Math.floor(total / 2);
  const capped = await buildProcess(dir, { TPU_BUILD_CACHE_MAX: String(cap) });
  assert.is(capped.code, 0, capped.stderr);
  const evicted = capped.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === "cache-evicted");
  assert.ok(evicted, capped.stdout);
  assert.is(evicted!.maxBytes, cap);
  const kept = await listCache(locations);
  assert.ok(kept.reduce((sum, e) => sum + e.bytes, 0) <= cap);
  assert.ok(kept.length < full.length);
  assertOutputs(dir, expected);

  // The command line: a bad cap is a usage error; `cache ls --json` lists what is there.
  const bad = spawnSync(process.execPath, [BIN, "build", "--no-daemon"], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "true", TPU_BUILD_CACHE_MAX: "lots" }, timeout: 120_000 });
  assert.is.not(bad.status, 0);
  assert.match(bad.stderr, /TPU_BUILD_CACHE_MAX="lots" is not a size/);
  const ls = spawnSync(process.execPath, [BIN, "cache", "ls", "--json"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  assert.is(ls.status, 0, ls.stderr);
  assert.equal((JSON.parse(ls.stdout) as { key: string }[]).map((e) => e.key).sort(), kept.map((e) => e.key).sort());
  const clean = spawnSync(process.execPath, [BIN, "cache", "clean"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  assert.is(clean.status, 0, clean.stderr);
  assert.equal(await listCache(locations), []);
  assert.equal(readdirSync(join(dir, ".tpu-build", "executables")).filter((n) => n.endsWith(".exe")), []);
  assert.ok(statSync(join(dir, ".tpu-build", "cache")).isDirectory());
});

test.run();
