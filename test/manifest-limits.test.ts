// Hostile manifests (issue 16: items 6, 7, 8 and "Smaller"): every number a manifest gives is
// bounded with a located error, sources are regular files inside the workspace, nothing a manifest
// names can hang the build (a FIFO), an error echoes a bounded excerpt, and huge or deep manifests
// neither overflow the stack nor take minutes. Real files in a fresh temporary directory; the cases
// that could hang run in a child process with a deadline, so a hang fails the test by name.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../build/engine.js";
import { MAX_DIMENSIONS, MAX_JSON_DEPTH, MAX_REPORTED_ERRORS } from "../build/limits.js";
import { loadManifest, renderManifestDiagnostic, type ManifestDiagnostic, type ResolvedManifest } from "../build/manifest.js";
import { writeNpy } from "../build/npy.js";
import { fillTensor } from "../build/inputs.js";

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, "fixtures", "manifest");
const ROOT = join(here, "..");

let dir = "";
let outside = "";
test.before.each(async () => {
  dir = mkdtempSync(join(tmpdir(), "tpu-limits-"));
  outside = mkdtempSync(join(tmpdir(), "tpu-limits-outside-"));
  for (const f of ["model.jl", "layers.jl"]) cpSync(join(FIXTURE, f), join(dir, f));
  await writeNpy(join(dir, "x.npy"), fillTensor("Float32", [4, 3], 1));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const manifestPath = () => join(dir, "tpu.config.json");

async function load(text: string) {
  writeFileSync(manifestPath(), text);
  return loadManifest(manifestPath());
}

async function errorsOf(text: string): Promise<ManifestDiagnostic[]> {
  const r = await load(text);
  if (r.ok) assert.unreachable("expected the manifest to be rejected");
  return r.ok ? [] : r.diagnostics;
}

async function only(text: string): Promise<ManifestDiagnostic> {
  const ds = await errorsOf(text);
  assert.is(ds.length, 1, ds.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`).join("\n"));
  return ds[0]!;
}

async function loaded(text: string): Promise<ResolvedManifest> {
  const r = await load(text);
  if (!r.ok) assert.unreachable(r.diagnostics.map((d) => renderManifestDiagnostic(d, r.text)).join("\n"));
  return (r as { manifest: ResolvedManifest }).manifest;
}

const withArg = (arg: unknown, run = false) => JSON.stringify({ entries: { e: { file: "model.jl", function: "init", args: [arg], run } } }, null, 2);

/** Line and column of the first occurrence of `needle` in `text` (1-based), to check a location independently. */
function positionOf(text: string, needle: string): { line: number; col: number } {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} not in the manifest`);
  const before = text.slice(0, at).split("\n");
  return { line: before.length, col: before.at(-1)!.length + 1 };
}

/** Loads the manifest in a child process with a deadline: a hang is a failure that says so. */
function loadInChild(path: string): { code: string; message: string }[] {
  const script = `require(${JSON.stringify(join(ROOT, "build", "manifest.ts"))}).loadManifest(${JSON.stringify(path)}).then((r) => {
    process.stdout.write(JSON.stringify(r.ok ? [] : r.diagnostics.map((d) => ({ code: d.code, message: d.message }))));
  });`;
  const child = spawnSync(process.execPath, ["-r", "tsx/cjs", "-e", script], { cwd: ROOT, timeout: 60_000, encoding: "utf8" });
  assert.ok(child.error === undefined && child.signal === null, `loading ${path} did not finish within 60 s (it hangs): ${child.error?.message ?? child.signal}`);
  assert.is(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { code: string; message: string }[];
}

// --- item 6: every number bounded at manifest time ------------------------------------------------

test(`a size with more than ${MAX_DIMENSIONS} dimensions is a located manifest error`, async () => {
  const text = withArg({ eltype: "Float32", size: Array.from({ length: 1000 }, () => 1) });
  const d = await only(text);
  assert.is(d.code, "too-many-dimensions");
  assert.is(d.pointer, "/entries/e/args/0/size");
  const at = positionOf(text, '"size": [');
  assert.equal({ line: d.line, col: d.col }, { line: at.line, col: at.col + '"size": '.length });
  assert.match(d.message, `at most ${MAX_DIMENSIONS} dimensions; this size has 1000`);
});

test("a run-time value larger than memory allows is refused at the manifest, not at run time", async () => {
  const text = withArg({ eltype: "Float32", size: [100000, 100000, 100000], value: { random: "normal" } }, true);
  const d = await only(text);
  assert.is(d.code, "array-too-large");
  assert.is(d.pointer, "/entries/e/args/0/size");
  assert.match(d.message, "a Float32 array of size [100000, 100000, 100000] takes 3.6 PiB; a run-time value holds at most");
});

test("a compile-only array with more than 2^53 elements is a manifest error; a large one without a value is fine", async () => {
  const d = await only(withArg({ eltype: "Float32", size: [1e6, 1e6, 1e6] }));
  assert.is(d.code, "array-too-large");
  assert.match(d.message, "at most 2^53 - 1");
  await loaded(withArg({ eltype: "Float32", size: [100000, 100000, 100000] }));
});

test(`JSON nested deeper than ${MAX_JSON_DEPTH} is a located error, not a stack overflow`, async () => {
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  const text = `{"entries": {"e": {"file": "model.jl", "function": "init", "args": [{"const": ${deep}}]}}}`;
  const d = await only(text);
  assert.is(d.code, "invalid-json");
  assert.match(d.message, `nested deeper than ${MAX_JSON_DEPTH}`);
  assert.is(d.line, 1);
  // The root object, "entries", "e", "args" and the argument are five levels: the error is at the bracket that makes one more than the limit.
  assert.is(d.col, text.indexOf("[[") + (MAX_JSON_DEPTH - 5) + 1);
});

test("a constant of 2^64 is a located manifest error, not an internal compiler error; 2^63 - 1 and 1.8e19 are fine", async () => {
  const text = withArg({ const: [1, { scale: 0 }] }).replace('"scale": 0', '"scale": 18446744073709551616');
  const d = await only(text);
  assert.is(d.code, "const-out-of-range");
  assert.is(d.pointer, "/entries/e/args/0/const/1/scale");
  assert.equal({ line: d.line, col: d.col }, positionOf(text, "18446744073709551616"));
  assert.match(d.message, "the integer constant 18446744073709551616 does not fit in an Int64");
  const overflow = await only(withArg({ const: 1 }).replace('"const": 1', '"const": 1e400'));
  assert.match(overflow.message, "the constant 1e400 overflows Float64");
  await loaded(withArg({ const: 0 }).replace('"const": 0', '"const": [9223372036854775807, -9223372036854775808, 1.8e19]'));
});

// --- item 7: sources inside the workspace, bounded echoes -------------------------------------------

test("an entry file outside the workspace (/proc/self/environ) is refused without reading it", async () => {
  process.env.TPU_BUILD_TEST_SECRET = "do-not-print-me";
  try {
    const text = JSON.stringify({ entries: { e: { file: "/proc/self/environ", function: "f" } } });
    const d = await only(text);
    assert.is(d.code, "source-outside-workspace");
    assert.is(d.pointer, "/entries/e/file");
    assert.equal({ line: d.line, col: d.col }, positionOf(text, `"/proc/self/environ"`));
    const r = await load(text);
    const rendered = r.ok ? "" : r.diagnostics.map((x) => renderManifestDiagnostic(x, r.text)).join("\n");
    assert.not.match(rendered, "do-not-print-me");
  } finally {
    delete process.env.TPU_BUILD_TEST_SECRET;
  }
});

test("an entry file that is a symlink out of the workspace is refused; one inside it is followed", async () => {
  writeFileSync(join(outside, "secret.jl"), "f(x) = x\n");
  symlinkSync(join(outside, "secret.jl"), join(dir, "escape.jl"));
  symlinkSync(join(dir, "model.jl"), join(dir, "alias.jl"));
  const d = await only(JSON.stringify({ entries: { e: { file: "escape.jl", function: "f" } } }));
  assert.is(d.code, "source-outside-workspace");
  assert.match(d.message, "outside the workspace");
  const m = await loaded(JSON.stringify({ entries: { e: { file: "alias.jl", function: "init" } } }));
  assert.is(m.entries.e!.file, "alias.jl");
});

test("an include of a symlink out of the workspace is a located compile error that says so, and the file is not read", async () => {
  writeFileSync(join(outside, "secret.jl"), "this is the secret line\n");
  symlinkSync(join(outside, "secret.jl"), join(dir, "helpers.jl"));
  writeFileSync(join(dir, "main.jl"), 'include("helpers.jl")\nf(x) = x\n');
  writeFileSync(manifestPath(), JSON.stringify({ entries: { e: { file: "main.jl", function: "f", args: [{ eltype: "Float32", size: [2] }] } } }));
  const errors: string[] = [];
  const summary = await build({ config: manifestPath(), cacheDir: join(dir, "cache"), error: (t) => errors.push(t) });
  assert.is(summary.exitCode, 3);
  const text = errors.join("\n");
  assert.match(text, 'main.jl:1:1: error: cannot include "helpers.jl": helpers.jl is outside the workspace');
  assert.not.match(text, "secret line");
});

test("an error in a 10 MB single-line manifest echoes a bounded excerpt of the line", async () => {
  const text = JSON.stringify({ entries: { e: { file: "model.jl", function: "init", bogus: "x".repeat(10_000_000) } } });
  const ds = await errorsOf(text);
  const rendered = ds.map((d) => renderManifestDiagnostic(d, text)).join("\n");
  assert.ok(rendered.length < 1000, `${rendered.length} characters of error for one unknown key`);
  assert.match(rendered, 'unknown key "bogus"');
  // The caret still points at the key inside the excerpt.
  const lines = rendered.split("\n");
  const source = lines.find((l) => l.startsWith("1 | "))!;
  const caret = lines.find((l) => /^\s+\| +\^/.test(l))!;
  assert.is(source.slice(caret.indexOf("^"), caret.indexOf("^") + 7), '"bogus"');
});

test("a key megabytes long is quoted in part, and no nearest-name search runs over it", async () => {
  const key = "k".repeat(5_000_000);
  const d = await only(`{"entries": {"e": {"file": "model.jl", "function": "init", "${key}": 1}}}`);
  assert.is(d.code, "unknown-key");
  assert.ok(d.message.length < 300, d.message.slice(0, 300));
  assert.match(d.message, "(5000002 characters)");
  // The pointer shown with the message is cut too.
  const rendered = renderManifestDiagnostic(d, `{"entries": {"e": {"file": "model.jl", "function": "init", "${key}": 1}}}`);
  assert.ok(rendered.length < 1000, `${rendered.length} characters`);
});

test("5,000 unknown target settings: at most a bounded number of errors reported", async () => {
  const settings = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, 1]));
  writeFileSync(manifestPath(), JSON.stringify({ targets: { local: settings }, entries: { e: { file: "model.jl", function: "init" } } }));
  const events: { event: string; diagnostics?: unknown[] }[] = [];
  const summary = await build({ config: manifestPath(), cacheDir: join(dir, "cache"), onEvent: (e) => events.push(e as { event: string }) });
  assert.is(summary.exitCode, 2);
  const invalid = events.find((e) => e.event === "manifest-invalid")!;
  assert.is(invalid.diagnostics!.length, MAX_REPORTED_ERRORS + 1);
});

// --- item 8: nothing a manifest names can hang the build ---------------------------------------

test("a FIFO as an .npy value, an entry file or an include is refused at once", async () => {
  execFileSync("mkfifo", [join(dir, "x-fifo.npy"), join(dir, "fifo.jl")], { timeout: 10_000 });
  writeFileSync(
    manifestPath(),
    JSON.stringify({
      entries: {
        a: { file: "model.jl", function: "init", args: [{ eltype: "Float32", size: [4, 3], value: { npy: "x-fifo.npy" } }], run: true },
        b: { file: "fifo.jl", function: "f" },
      },
    }),
  );
  const ds = loadInChild(manifestPath());
  assert.equal(
    ds.map((d) => d.code),
    ["npy-invalid", "source-not-regular-file"],
  );
  assert.match(ds[0]!.message, "is a FIFO (named pipe); only regular files are read");
  writeFileSync(join(dir, "main.jl"), 'include("fifo.jl")\nf(x) = x\n');
  writeFileSync(manifestPath(), JSON.stringify({ entries: { e: { file: "main.jl", function: "f", args: [{ eltype: "Float32", size: [2] }] } } }));
  const script = `require(${JSON.stringify(join(ROOT, "build", "engine.ts"))}).build({ config: ${JSON.stringify(manifestPath())}, cacheDir: ${JSON.stringify(join(dir, "cache"))}, error: (t) => process.stdout.write(t + "\\n") }).then((s) => process.stdout.write("exit " + s.exitCode));`;
  const child = spawnSync(process.execPath, ["-r", "tsx/cjs", "-e", script], { cwd: ROOT, timeout: 120_000, encoding: "utf8" });
  assert.ok(child.error === undefined && child.signal === null, `a build including a FIFO did not finish within 120 s (it hangs): ${child.error?.message ?? child.signal}`);
  assert.match(child.stdout, 'cannot include "fifo.jl": fifo.jl is a FIFO (named pipe)');
  assert.match(child.stdout, "exit 3");
});

// --- "Smaller": huge manifests ------------------------------------------------------------------

test("300,000 unknown keys: no stack overflow, and at most a bounded number of errors reported", async () => {
  const keys = Array.from({ length: 300_000 }, (_, i) => `"k${i}": 1`).join(", ");
  const ds = await errorsOf(`{"entries": {"e": {"file": "model.jl", "function": "init", ${keys}}}}`);
  assert.is(ds.length, MAX_REPORTED_ERRORS + 1);
  assert.is(ds[0]!.message.startsWith('unknown key "k0"'), true, ds[0]!.message);
  assert.is(ds.at(-1)!.code, "too-many-errors");
  assert.match(ds.at(-1)!.message, `and ${(300_000 - MAX_REPORTED_ERRORS).toLocaleString("en-US")} more errors`);
});

test("a `from` chain of 20,001 entries loads in dependency order, and a build over it reports its error", async () => {
  const n = 20_001;
  const entries: Record<string, unknown> = {};
  // Declared last to first, so the order must come from the graph.
  for (let i = n - 1; i >= 0; i--) entries[`e${i}`] = { file: "model.jl", function: i === 0 ? "no_such_function" : "init", args: i === 0 ? [] : [{ from: `e${i - 1}` }], run: true };
  const text = JSON.stringify({ entries });
  const m = await loaded(text);
  assert.is(m.order.length, n);
  assert.is(m.order[0], "e0");
  assert.is(m.order[n - 1], `e${n - 1}`);
  const events: string[] = [];
  const summary = await build({ config: manifestPath(), cacheDir: join(dir, "cache"), onEvent: (e) => events.push(e.event) });
  assert.is(summary.exitCode, 3);
  assert.is(events.filter((e) => e === "entry-skipped").length, n - 1);
});

test("a file name too long for the file system is a located error, not a thrown ENAMETOOLONG (found by the fuzz test)", async () => {
  const d = await only(JSON.stringify({ entries: { e: { file: "x".repeat(1000), function: "f" } } }));
  assert.is(d.code, "source-unreadable");
  assert.match(d.message, "cannot be read (ENAMETOOLONG)");
});

test("a dependency cycle through 20,001 entries is reported with its ends and length, not every name (found by the fuzz test)", async () => {
  const n = 20_001;
  const entries: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) entries[`e${i}`] = { file: "model.jl", function: "init", args: [{ from: `e${(i + 1) % n}` }] };
  const d = await only(JSON.stringify({ entries }));
  assert.is(d.code, "dependency-cycle");
  assert.ok(d.message.length < 300, d.message.slice(0, 400));
  assert.match(d.message, "(19995 more)");
});

test("60,000 entries validate (each argument checked, one shared source file)", async () => {
  const entries: Record<string, unknown> = {};
  for (let i = 0; i < 60_000; i++) entries[`e${i}`] = { file: "model.jl", function: "init", args: [{ eltype: "Float32", size: [2, 2], value: { fill: 1 } }] };
  const m = await loaded(JSON.stringify({ entries }));
  assert.is(m.order.length, 60_000);
});

test("an unknown `from` among many entries lists a dozen names, not all of them", async () => {
  const entries: Record<string, unknown> = { taker: { file: "model.jl", function: "init", args: [{ from: "nowhere" }] } };
  for (let i = 0; i < 5000; i++) entries[`e${i}`] = { file: "model.jl", function: "init" };
  const d = await only(JSON.stringify({ entries }));
  assert.is(d.code, "unknown-entry");
  assert.match(d.message, "and 4989 more)");
});

test.run();
