// Target settings are checked when the manifest is loaded (issue 16.6): wrong types, unbounded
// numbers (cpuDevices: 1e9) and unknown keys in `targets` and `watch.targets` are manifest errors
// (exit 2) at the setting, with the nearest valid key, before any runtime server starts.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import { MAX_CPU_DEVICES } from "../plugins/xla-local/settings.js";

let dir = "";
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "tpu-target-settings-"));
  writeFileSync(join(dir, "m.jl"), "f(x) = x .* 2\n");
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a manifest with these top-level fields beside one running entry; the manifest-invalid diagnostics and the exit code. */
async function buildWith(fields: Record<string, unknown>): Promise<{ exitCode: number; diagnostics: { code: string; message: string; location?: string }[]; text: string; events: string[] }> {
  const manifest = { ...fields, entries: { e: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [2], value: { fill: 1 } }], run: true } } };
  const text = JSON.stringify(manifest, null, 2);
  writeFileSync(join(dir, "tpu.config.json"), text);
  const events: BuildEvent[] = [];
  const summary = await build({ config: join(dir, "tpu.config.json"), cacheDir: join(dir, "cache"), onEvent: (e) => events.push(e) });
  const invalid = events.find((e) => e.event === "manifest-invalid") as { diagnostics: { code: string; message: string; location?: string }[] } | undefined;
  return { exitCode: summary.exitCode, diagnostics: invalid?.diagnostics ?? [], text, events: events.map((e) => e.event) };
}

/** "file:line:col" of the first occurrence of `needle` in the manifest text. */
function locationOf(text: string, needle: string): string {
  const at = text.indexOf(needle);
  const before = text.slice(0, at).split("\n");
  return `${join(dir, "tpu.config.json")}:${before.length}:${before.at(-1)!.length + 1}`;
}

test("cpuDevices: 1e9 is a manifest error at the setting, and no runtime server starts", async () => {
  const r = await buildWith({ targets: { local: { cpuDevices: 1e9 } } });
  assert.is(r.exitCode, 2);
  assert.is(r.diagnostics.length, 1);
  assert.is(r.diagnostics[0]!.code, "invalid-setting");
  assert.match(r.diagnostics[0]!.message, `settings.cpuDevices must be an integer from 1 to ${MAX_CPU_DEVICES}, got 1000000000`);
  assert.is(r.diagnostics[0]!.location, locationOf(r.text, "1000000000"));
  assert.not.ok(r.events.includes("run-started"));
});

test("wrong types in targets are manifest errors (exit 2), not run errors", async () => {
  for (const [key, value] of [["cpuDevices", "8"], ["device", -1], ["transport", 1], ["xlaFlags", 42], ["cacheDir", 5], ["cpuDevices", 2.5]] as const) {
    const r = await buildWith({ targets: { local: { [key]: value } } });
    assert.is(r.exitCode, 2, `${key}: ${JSON.stringify(value)}`);
    assert.is(r.diagnostics[0]!.code, "invalid-setting");
    assert.match(r.diagnostics[0]!.message, `settings.${key} must be`);
    assert.is(r.diagnostics[0]!.location, locationOf(r.text, `"${key}": `).replace(/:(\d+)$/, (_, c) => `:${Number(c) + `"${key}": `.length}`));
  }
});

test("an unknown setting, in targets or watch.targets, is an error at its key with the nearest valid one", async () => {
  const r = await buildWith({ targets: { local: { devices: 2 } }, watch: { targets: { local: { xlaflags: "--xla_cpu_enable_fast_math=false" } } } });
  assert.is(r.exitCode, 2);
  assert.equal(r.diagnostics.map((d) => d.code), ["unknown-setting", "unknown-setting"]);
  assert.match(r.diagnostics[0]!.message, 'unknown setting "devices" of the local target');
  assert.is(r.diagnostics[0]!.location, locationOf(r.text, '"devices"'));
  assert.match(r.diagnostics[1]!.location!, /:\d+:\d+$/);
  const rendered = r.diagnostics.map((d) => (d as { rendered?: string }).rendered ?? "").join("\n");
  assert.match(rendered, 'did you mean "device"?');
  assert.match(rendered, 'did you mean "xlaFlags"?');
});

/** "file:line:col" of the value after `"key": ` (its first occurrence). */
const valueLocation = (text: string, key: string) => locationOf(text, `"${key}": `).replace(/:(\d+)$/, (_, c) => `:${Number(c) + `"${key}": `.length}`);

test("target settings, the compiler, plugins and the remote cache are checked in one pass: every problem at once, each at its line and column", async () => {
  const remoteCache = { address: "grpc://127.0.0.1:9", tls: { ca: "ca.pem" } };
  const r = await buildWith({ compiler: "julya", targets: { local: { devices: 2 } }, remoteCache });
  assert.is(r.exitCode, 2);
  assert.equal(r.diagnostics.map((d) => d.code), ["unknown-compiler", "unknown-setting", "remote-cache-config"]);
  assert.equal(r.diagnostics.map((d) => d.location), [valueLocation(r.text, "compiler"), locationOf(r.text, '"devices"'), valueLocation(r.text, "tls")]);
  assert.match(r.diagnostics[2]!.message, '"tls" needs a grpcs:// address');
  // With a schema error besides (an element type), all of them still come in the same pass.
  writeFileSync(join(dir, "tpu.config.json"), r.text.replace('"eltype": "Float32"', '"eltype": "Float33"'));
  const events: BuildEvent[] = [];
  const both = await build({ config: join(dir, "tpu.config.json"), cacheDir: join(dir, "cache"), onEvent: (e) => events.push(e) });
  assert.is(both.exitCode, 2);
  const invalid = events.find((e) => e.event === "manifest-invalid") as { diagnostics: { code: string; location?: string }[] } | undefined;
  assert.equal(invalid?.diagnostics.map((d) => d.code).sort(), ["invalid-value", "remote-cache-config", "unknown-compiler", "unknown-setting"].sort());
  assert.ok(invalid?.diagnostics.every((d) => /:\d+:\d+$/.test(d.location ?? "")), "each at its line and column");
  // A plugin that fails to load leaves the targets unchecked (it may be the one that registers them), not the rest.
  const withPlugin = await buildWith({ plugins: ["./missing.mjs"], targets: { local: { devices: 2 } }, remoteCache });
  assert.equal(withPlugin.diagnostics.map((d) => d.code), ["plugin-load-failed", "remote-cache-config"]);
  assert.equal(withPlugin.diagnostics.map((d) => d.location), [locationOf(withPlugin.text, '"./missing.mjs"'), valueLocation(withPlugin.text, "tls")]);
});

test("settings for an unknown target name are an error with the nearest registered target", async () => {
  const r = await buildWith({ targets: { lokal: { cpuDevices: 2 } } });
  assert.is(r.exitCode, 2);
  assert.is(r.diagnostics[0]!.code, "unknown-target");
  assert.is(r.diagnostics[0]!.location, locationOf(r.text, '"lokal"'));
  assert.match((r.diagnostics[0] as { rendered?: string }).rendered ?? "", 'did you mean "local"?');
});

test("valid settings pass the check (and the entry compiles)", async () => {
  const r = await buildWith({ targets: { local: { cpuDevices: 2, device: 1, transport: "unix", xlaFlags: "--xla_backend_optimization_level=0 --xla_dump_to=dump", cacheDir: "executables" } } });
  assert.is(r.diagnostics.length, 0, JSON.stringify(r.diagnostics));
  assert.ok(r.events.includes("compile-finished"));
});

test.run();
