// `extends` and `profiles` (build/manifest-layers.ts): layers merged in order, and every error
// located in the file, and at the place, its value came from.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../build/engine.js";
import { loadManifest, renderManifestDiagnostic, targetSettings, type ManifestDiagnostic } from "../build/manifest.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const test = suite("manifest layers");
const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A workspace with the given files (JSON values are written pretty-printed). */
function workspace(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-layers-"));
  dirs.push(dir);
  writeFileSync(join(dir, "m.jl"), "f(x) = x .* 2f0\ng(x, c) = x .* Float32(c)\n");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; col: number } {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} not in ${text}`);
  const before = text.slice(0, at).split("\n");
  return { line: before.length, col: before.at(-1)!.length + 1 };
}

function assertAt(d: ManifestDiagnostic, file: string, text: string, needle: string): void {
  assert.is(d.file, file);
  const { line, col } = positionOf(text, needle);
  assert.is(`${d.line}:${d.col}`, `${line}:${col}`, d.message);
}

const BASE = `{
  "targets": { "local": { "cpuDevices": 2 } },
  "profiles": { "ci": { "targets": { "local": { "cpuDevices": 8 } }, "out": "ci-out" } },
  "entries": {
    "scaled": { "file": "m.jl", "function": "g", "args": [{ "eltype": "Float32", "size": [3] }, { "const": 1.0 }] },
    "doubled": { "file": "m.jl", "function": "f", "args": [{ "eltype": "Float32", "size": [3] }] }
  }
}
`;

test("extends: the base's entries and settings, the extending file's keys over them; a constant keeps its text from the base", async () => {
  const child = { extends: "shared/base.json", targets: { local: { device: 1 } }, entries: { doubled: { run: false }, tripled: { file: "m.jl", function: "g", args: [{ eltype: "Float32", size: [3] }, { const: 3 }] } } };
  const dir = workspace({ "shared/base.json": BASE, "tpu.config.json": child });
  const r = await loadManifest(join(dir, "tpu.config.json"));
  assert.ok(r.ok, r.ok ? "" : r.diagnostics.map((d) => d.message).join("\n"));
  if (!r.ok) return;
  const m = r.manifest;
  assert.equal(m.files, [join(dir, "tpu.config.json"), join(dir, "shared", "base.json")]);
  assert.equal(m.order, ["scaled", "doubled", "tripled"]);
  assert.equal(targetSettings(m, "local", false), { cpuDevices: 2, device: 1 });
  // `1.0` (a Float64 in Julia) read from the base's text, `3` (an Int64) from the child's.
  const raw = (entry: string) => m.entries[entry]!.args.map((a) => (a.kind === "const" ? a.raw : a.kind));
  assert.equal(raw("scaled"), ["array", "1.0"]);
  assert.equal(raw("tripled"), ["array", "3"]);
  // Paths in every layer are the workspace's: the base's "m.jl" is the root's m.jl.
  assert.is(m.entries.scaled!.filePath, join(dir, "m.jl"));
  assert.equal(m.outDir, join(dir, ".tpu-build", "out"));

  const ci = await loadManifest(join(dir, "tpu.config.json"), { profile: "ci" });
  assert.ok(ci.ok);
  if (!ci.ok) return;
  assert.equal(targetSettings(ci.manifest, "local", false), { cpuDevices: 8, device: 1 });
  assert.is(ci.manifest.outDir, join(dir, "ci-out"));
});

test("errors point into the file of the value: a base's bad value, a profile's bad setting, the extending file's own", async () => {
  const base = BASE.replace(`"eltype": "Float32", "size": [3] }, { "const"`, `"eltype": "Float23", "size": [3] }, { "const"`);
  const childText = `{\n  "extends": "shared/base.json",\n  "entries": { "extra": { "file": "m.jl", "function": "f", "args": [{ "eltype": "Float32", "size": [-1] }] } }\n}\n`;
  const dir = workspace({ "shared/base.json": base, "tpu.config.json": childText });
  const basePath = join(dir, "shared", "base.json");
  const r = await loadManifest(join(dir, "tpu.config.json"));
  assert.ok(!r.ok);
  if (r.ok) return;
  assert.is(r.diagnostics.length, 2, r.diagnostics.map((d) => d.message).join("\n"));
  const [inBase, inChild] = [r.diagnostics.find((d) => d.file === basePath)!, r.diagnostics.find((d) => d.file !== basePath)!];
  assertAt(inBase, basePath, base, `"Float23"`);
  assert.is(inBase.pointer, "/entries/scaled/args/0/eltype");
  assert.match(renderManifestDiagnostic(inBase, r.text), /"scaled": \{ "file": "m\.jl", "function": "g", "args": \[\{ "eltype": "Float23"/);
  assertAt(inChild, join(dir, "tpu.config.json"), childText, "-1");

  // A profile's setting, checked by the target plugin when the build starts: at the profile.
  const profiled = BASE.replace(`"cpuDevices": 8`, `"cpuDevices": 0`);
  const dir2 = workspace({ "tpu.config.json": profiled });
  const errors: string[] = [];
  const events: { event: string; diagnostics?: { location?: string }[] }[] = [];
  const s = await build({ config: join(dir2, "tpu.config.json"), profile: "ci", cacheDir: join(dir2, "cache"), error: (t) => errors.push(t), onEvent: (e) => events.push(e) });
  assert.is(s.exitCode, 2);
  const { line, col } = positionOf(profiled, `0 } }, "out"`);
  assert.equal(events.find((e) => e.event === "manifest-invalid")!.diagnostics!.map((d) => d.location), [`${join(dir2, "tpu.config.json")}:${line}:${col}`]);
  assert.match(errors.join("\n"), /at \/profiles\/ci\/targets\/local\/cpuDevices/);
  // The same manifest without the profile is fine: a profile applies only when chosen...
  assert.is((await build({ config: join(dir2, "tpu.config.json"), cacheDir: join(dir2, "cache") })).exitCode, 0);
  // ...but its shape is checked always, like every other key.
  writeFileSync(join(dir2, "tpu.config.json"), BASE.replace(`"out": "ci-out"`, `"otu": "ci-out"`));
  const shape = await loadManifest(join(dir2, "tpu.config.json"));
  assert.ok(!shape.ok && shape.diagnostics[0]!.pointer === "/profiles/ci/otu" && shape.diagnostics[0]!.suggestion === "out");
});

test("a missing base, a cycle of bases and an unknown profile are errors where they are named", async () => {
  const childText = `{\n  "extends": "nowhere.json",\n  "entries": {}\n}\n`;
  const dir = workspace({ "tpu.config.json": childText });
  const missing = await loadManifest(join(dir, "tpu.config.json"));
  assert.ok(!missing.ok);
  if (missing.ok) return;
  assert.is(missing.diagnostics[0]!.code, "base-not-found");
  assertAt(missing.diagnostics[0]!, join(dir, "tpu.config.json"), childText, `"nowhere.json"`);

  // Not a manifest: refused before it is read, so no line of it is ever quoted.
  for (const other of ["/proc/self/environ", "/dev/zero", "."]) {
    writeFileSync(join(dir, "tpu.config.json"), childText.replace("nowhere.json", other));
    const refused = await loadManifest(join(dir, "tpu.config.json"));
    assert.ok(!refused.ok && refused.diagnostics.length === 1 && refused.diagnostics[0]!.code === "base-not-manifest", other);
    assert.is(refused.ok ? "" : refused.diagnostics[0]!.file, join(dir, "tpu.config.json"));
  }

  const aText = `{ "extends": "b.json", "entries": {} }`;
  const bText = `{\n  "extends": "./a.json"\n}\n`;
  const cyc = workspace({ "a.json": aText, "b.json": bText });
  const cycle = await loadManifest(join(cyc, "a.json"));
  assert.ok(!cycle.ok);
  if (cycle.ok) return;
  assert.is(cycle.diagnostics.length, 1);
  assert.is(cycle.diagnostics[0]!.code, "extends-cycle");
  assertAt(cycle.diagnostics[0]!, join(cyc, "b.json"), bText, `"./a.json"`);
  assert.match(cycle.diagnostics[0]!.message, /a\.json" → ".*b\.json" → ".*a\.json"/);

  const prof = workspace({ "tpu.config.json": BASE });
  const unknown = await loadManifest(join(prof, "tpu.config.json"), { profile: "cl" });
  assert.ok(!unknown.ok);
  if (unknown.ok) return;
  assert.is(unknown.diagnostics[0]!.code, "unknown-profile");
  assert.is(unknown.diagnostics[0]!.suggestion, "ci");
  assertAt(unknown.diagnostics[0]!, join(prof, "tpu.config.json"), BASE, `{ "ci"`);
  // The command line: --profile reaches the manifest (exit 2, the message on stderr).
  const cli = spawnSync(process.execPath, [join(ROOT, "bin", "tpu-build.js"), "build", "--profile", "cl"], { cwd: prof, encoding: "utf8", env: { ...process.env, CI: "true" }, timeout: 120_000 });
  assert.is(cli.status, 2, cli.stderr);
  assert.match(cli.stderr, /unknown profile "cl"/);
});

test.run();
