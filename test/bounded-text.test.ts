// Every event field and error report that carries text a user, a plugin or a server supplied shows
// a bounded excerpt of it (issue 16.7): a megabyte name or message never becomes a megabyte of
// NDJSON or stderr. Each case feeds one such text through a real build and measures every
// `--json` line (eventLine) and every human report. None needs a runtime server.
// Run: npx uvu -r tsx/cjs test bounded-text

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build, type BuildOptions } from "../build/engine.js";
import { eventLine, type BuildEvent } from "../build/events.js";
import { builtinRegistry } from "../plugins/builtin.js";
import type { Plugin } from "../plugins/registry.js";

/** Longer than any excerpt, message or line we show. */
const HUGE = 1_000_000;
/** What one event line or one report may take for one error (an excerpt, a message, notes). */
const BOUND = 4000;

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function workspace(entries: Record<string, unknown>, source = "double(x) = 2f0 .* x\n"): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-bounded-"));
  dirs.push(dir);
  writeFileSync(join(dir, "m.jl"), source);
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries }));
  return join(dir, "tpu.config.json");
}

const entry = (extra: Record<string, unknown> = {}) => ({ file: "m.jl", function: "double", args: [{ eltype: "Float32", size: [3], value: { fill: 1 } }], ...extra });

/** A build's NDJSON lines and human reports; every one of them is within BOUND. */
async function boundedBuild(options: BuildOptions): Promise<{ exitCode: number; events: BuildEvent[]; reports: string[] }> {
  const events: BuildEvent[] = [];
  const reports: string[] = [];
  const summary = await build({ ...options, onEvent: (e) => events.push(e), error: (t) => reports.push(t) });
  for (const e of events) assert.ok(eventLine(e).length < BOUND, `a ${e.event} event of ${eventLine(e).length} characters: ${eventLine(e).slice(0, 300)}…`);
  for (const r of reports) assert.ok(r.length < BOUND, `a report of ${r.length} characters: ${r.slice(0, 300)}…`);
  return { exitCode: summary.exitCode, events, reports };
}

test("an unknown ENTRY a megabyte long: the manifest-invalid diagnostic quotes it in part", async () => {
  const config = workspace({ double: entry() });
  const r = await boundedBuild({ config, entries: ["e".repeat(HUGE)] });
  assert.is(r.exitCode, 2);
  const invalid = r.events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid?.event === "manifest-invalid" && invalid.diagnostics[0]!.code === "unknown-entry");
  assert.match(invalid.diagnostics[0]!.message, "characters left out");
});

test("an entry name longer than a file name may be is a located manifest error, not a thrown ENAMETOOLONG", async () => {
  const config = workspace({ ["e".repeat(HUGE)]: entry({ run: true }) });
  const r = await boundedBuild({ config });
  assert.is(r.exitCode, 2);
  const invalid = r.events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid?.event === "manifest-invalid");
  assert.match(invalid.diagnostics[0]!.location ?? "", /tpu\.config\.json:1:\d+$/);
  assert.match(invalid.diagnostics[0]!.message, /128/);
  // 128 characters are a valid name (the limit is inclusive) and make files.
  const ok = await boundedBuild({ config: workspace({ ["e".repeat(128)]: entry() }) });
  assert.is(ok.exitCode, 0, ok.reports.join("\n"));
});

test("a run error whose message is a megabyte (a target plugin's, a server's) is reported in part, in the event and on stderr", async () => {
  const plugin: Plugin = { name: "wordy", register: (r) => r.registerTarget({ name: "wordy", open: () => Promise.reject(new Error(`refused: ${"w".repeat(HUGE)} (the end)`)) }) };
  const config = workspace({ double: entry({ run: { target: "wordy" } }) });
  const r = await boundedBuild({ config, plugins: builtinRegistry().use(plugin) });
  assert.is(r.exitCode, 4);
  const failed = r.events.find((e) => e.event === "run-failed");
  assert.ok(failed?.event === "run-failed");
  // The head and the tail of the message stay: what failed and how it ended.
  assert.match(failed.message, /^refused: w+… \([\d,]+ characters left out\) …w+ \(the end\)$/);
});

test("a compile error at a megabyte identifier on a megabyte line: message, excerpt and caret bounded", async () => {
  const name = "v".repeat(HUGE);
  const config = workspace({ double: entry() }, `double(x) = 2f0 .* x .+ ${name}\n`);
  const r = await boundedBuild({ config });
  assert.is(r.exitCode, 3);
  const failed = r.events.find((e) => e.event === "compile-failed");
  assert.ok(failed?.event === "compile-failed");
  const d = failed.diagnostics[0]!;
  assert.match(d.location ?? "", /m\.jl:1:25$/);
  assert.match(d.rendered, "1 | double(x) = 2f0 .* x .+ vvv");
});

test.run();
