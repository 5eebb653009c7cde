// How `tpu-build build` reports to pipelines and people (issue 13, Reporting): NDJSON events valid
// against schema/events.schema.json, JUnit XML in the shape Jenkins and GitLab read, GitHub Actions'
// annotations and step summary, paths relative to the current directory, live lines and a summary
// line on a real terminal (nothing extra otherwise), NO_COLOR/FORCE_COLOR, a closed pipe, help,
// `daemon status --json` and a passive `events`. One workspace compiled once, the compiled CLI in
// child processes, the real runtime server.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { runPython } from "./support/python.js";
import { testWhenAvailable } from "./support/outputs.js";
import { PtySession, ptyUnavailable } from "./support/pty.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "tpu-build.js");
const test = suite("reporting");

// The workspace is ws/ under `top`, and the commands run in `top`: every path they print must start with ws/.
const top = mkdtempSync(join(tmpdir(), "tpu-build-report-"));
const ws = join(top, "ws");
mkdirSync(ws);
test.after(() => rmSync(top, { recursive: true, force: true }));

writeFileSync(join(ws, "model.jl"), `scale(x) = x .* 2f0 .+ 1f0\n`);
writeFileSync(join(ws, "broken.jl"), `# a typo in a call\nbroken(x) = sum(x .* unknwon_scale)\n`);
runPython(
  `
import sys, numpy as np
d = sys.argv[1]
x = (np.arange(6, dtype=np.float32).reshape(3, 2) / 2).astype(np.float32)
np.save(d + "/x.npy", x)
np.save(d + "/good.npy", x * np.float32(2) + np.float32(1))
np.save(d + "/bad.npy", x * np.float32(2))
`,
  [ws],
);
const X = { eltype: "Float32", size: [3, 2], value: { npy: "x.npy" } };
writeFileSync(
  join(ws, "tpu.config.json"),
  JSON.stringify(
    {
      entries: {
        good: { file: "model.jl", function: "scale", args: [X], run: true, expect: { result: { npy: "good.npy", finite: true } } },
        off: { file: "model.jl", function: "scale", args: [X], run: true, expect: { result: { npy: "bad.npy" } } },
        broken: { file: "broken.jl", function: "broken", args: [X] },
      },
    },
    null,
    2,
  ),
);

const ENV: NodeJS.ProcessEnv = { ...process.env, CI: "true", TERM: "xterm-256color", LANG: "C.UTF-8" };
for (const k of ["GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE", "NO_COLOR", "FORCE_COLOR", "TPU_BUILD_BUILD_ID"]) delete ENV[k];

function tpuBuild(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: top, encoding: "utf8", env: { ...ENV, ...env }, timeout: 240_000 });
}

const CONFIG = ["--config", "ws/tpu.config.json"];
const junitFile = join(top, "report.xml");
const summaryFile = join(top, "summary.md");
writeFileSync(summaryFile, "earlier steps' summary\n");
const first = tpuBuild(["build", ...CONFIG, "--json", "--junit", "report.xml"], { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summaryFile, GITHUB_WORKSPACE: top });
const events = first.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

test("a compile error outranks a failed expectation (exit 3); every NDJSON event has the schema's version and validates against schema/events.schema.json", () => {
  assert.is(first.status, 3, first.stderr);
  const schema = JSON.parse(readFileSync(join(ROOT, "schema", "events.schema.json"), "utf8")) as Record<string, unknown>;
  const validate = new Ajv({ strict: true, allErrors: true, formats: { "date-time": /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ } }).compile(schema);
  for (const e of events) assert.ok(validate(e), `${JSON.stringify(e)}: ${JSON.stringify(validate.errors)}`);
  assert.ok(events.every((e) => e.schemaVersion === 1));
  const kinds = new Set(events.map((e) => e.event));
  for (const k of ["build-started", "compile-failed", "expect-passed", "expect-failed", "run-finished", "build-finished"]) assert.ok(kinds.has(k), k);
  // A schema that accepts anything would pass the loop above.
  assert.not.ok(validate({ ...events[0], entries: "three" }));
  assert.not.ok(validate({ ...events[0], schemaVersion: 2 }));
});

test("paths in events and diagnostics are relative to the current directory", () => {
  const started = events.find((e) => e.event === "build-started")!;
  assert.is(started.config, join("ws", "tpu.config.json"));
  const ran = events.find((e) => e.event === "run-finished")!;
  for (const o of ran.outputs as string[]) assert.match(o, /^ws\/\.tpu-build\/out\//);
  const failed = events.find((e) => e.event === "compile-failed")! as { diagnostics: { location: string; rendered: string }[] };
  assert.match(failed.diagnostics[0]!.location, /^ws\/broken\.jl:2:\d+$/);
  assert.match(failed.diagnostics[0]!.rendered, /^ws\/broken\.jl:2:\d+: error/);
  assert.not.match(first.stderr, new RegExp(top.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "no absolute path inside the current directory");
});

test("JUnit XML: testsuites > testsuite > one testcase per entry with time, failures with their located message", () => {
  const parsed = JSON.parse(
    runPython(
      `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
def attrs(e): return dict(e.attrib)
print(json.dumps({"root": root.tag, "attrs": attrs(root), "suites": [{"attrs": attrs(s), "cases": [{"attrs": attrs(c), "children": [{"tag": x.tag, "attrs": attrs(x), "text": x.text or ""} for x in c]} for c in s]} for s in root]}))
`,
      [junitFile],
    ),
  ) as { root: string; attrs: Record<string, string>; suites: { attrs: Record<string, string>; cases: { attrs: Record<string, string>; children: { tag: string; attrs: Record<string, string>; text: string }[] }[] }[] };
  assert.is(parsed.root, "testsuites");
  assert.is(parsed.suites.length, 1);
  const [suiteEl] = parsed.suites;
  for (const a of [parsed.attrs, suiteEl!.attrs]) {
    assert.is(a.tests, "3");
    assert.is(a.failures, "2");
    assert.is(a.errors, "0");
    assert.ok(Number.isFinite(Number(a.time)));
  }
  const byName = new Map(suiteEl!.cases.map((c) => [c.attrs.name, c]));
  assert.equal([...byName.keys()].sort(), ["broken", "good", "off"]);
  for (const c of suiteEl!.cases) assert.ok(Number.isFinite(Number(c.attrs.time)) && c.attrs.classname);
  assert.is(byName.get("good")!.children.filter((x) => x.tag === "failure").length, 0);
  const broken = byName.get("broken")!.children.find((x) => x.tag === "failure")!;
  assert.is(broken.attrs.type, "compile error");
  assert.match(broken.attrs.message, /^ws\/broken\.jl:2:\d+: .*unknwon_scale/);
  assert.match(broken.text, /\^/, "the body has the source line and its caret");
  const off = byName.get("off")!.children.find((x) => x.tag === "failure")!;
  assert.is(off.attrs.type, "expectation failed");
  assert.match(off.attrs.message, /^ws\/tpu\.config\.json:\d+:\d+: .*Julia index, 1-based, column-major/, off.attrs.message);
});

test("GitHub Actions: ::error annotations with repository paths (on stderr beside NDJSON) and a Markdown table appended to the step summary", () => {
  const annotations = first.stderr.split("\n").filter((l) => l.startsWith("::error "));
  const compile = annotations.find((l) => l.includes("file=ws/broken.jl"));
  assert.ok(compile, first.stderr);
  assert.match(compile!, /^::error file=ws\/broken\.jl,line=2,col=\d+,title=tpu-build%3A [a-z-]+::.*unknwon_scale/);
  assert.ok(annotations.some((l) => /^::error file=ws\/tpu\.config\.json,line=\d+,col=\d+,title=tpu-build%3A expect-mismatch::/.test(l)));
  assert.ok(annotations.every((l) => !l.slice(2).includes("\n")));
  const summary = readFileSync(summaryFile, "utf8");
  assert.ok(summary.startsWith("earlier steps' summary\n"), "appended, not overwritten");
  assert.match(summary, /\| entry \| compile \| run \| expect \| problem \|/);
  assert.match(summary, /\| good \| .* \| ✅ 2 passed \|/);
  assert.match(summary, /\| off \| .* \| ❌ 1 of 1 failed \|/);
  assert.match(summary, /3 entries: \d+ compiled, \d+ cached, 2 ran, 0 up to date, 2 failed in \d+\.\d s/);
});

test("not on a terminal: the build's lines only, no escape codes and no summary line", () => {
  const r = tpuBuild(["build", ...CONFIG], { FORCE_COLOR: "0" });
  assert.is(r.status, 3);
  assert.not.match(r.stdout + r.stderr, /\x1b/);
  assert.not.match(r.stdout, /entries:/);
  assert.match(r.stdout, /^cached +good/m);
});

test("a closed pipe ends the command quietly", () => {
  const r = spawnSync("bash", ["-c", `set -o pipefail; "${process.execPath}" "${BIN}" build --config ws/tpu.config.json --json | head -c 1 >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`], { cwd: top, encoding: "utf8", env: ENV, timeout: 240_000 });
  assert.not.match(r.stderr, /EPIPE|Error|at /, r.stderr);
  assert.match(r.stderr, /status [03]\n/);
});

test("every command has its own --help; --version", () => {
  for (const [command, mention] of [["build", "--junit FILE"], ["watch", "rebuild exactly"], ["events", "never starts a daemon"], ["daemon", "{\"running\": false}"], ["runtime", "pack --out DIR"]] as const) {
    const r = tpuBuild([command, "--help"]);
    assert.is(r.status, 0, command);
    assert.ok(r.stdout.startsWith(`Usage: tpu-build ${command}`), r.stdout);
    assert.ok(r.stdout.includes(mention), `${command}: ${mention}`);
  }
  const v = tpuBuild(["--version"]);
  assert.is(v.stdout.trim(), `tpu-build ${(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version}`);
});

test("daemon status --json prints JSON with no daemon; events attaches passively and starts nothing", () => {
  const status = tpuBuild(["daemon", "status", ...CONFIG, "--json"]);
  assert.is(status.status, 0, status.stderr);
  assert.equal(JSON.parse(status.stdout), { running: false, workspace: ws });
  const events = tpuBuild(["events", ...CONFIG], { CI: "" });
  assert.is(events.status, 1);
  assert.match(events.stderr, /no tpu-build daemon is running for ws;/);
  assert.is(events.stdout, "");
  assert.not.ok(existsSync(join(ws, ".tpu-build", "daemon", "daemon.sock")), "no daemon was started");
});

testWhenAvailable(test, ptyUnavailable())("on a terminal: live lines with phase and elapsed time, then one summary line; NO_COLOR and FORCE_COLOR decide colours", async () => {
  const runOn = async (env: NodeJS.ProcessEnv) => {
    const term = new PtySession([process.execPath, BIN, "build", ...CONFIG], { cols: 100, rows: 30, cwd: top, env: { ...ENV, ...env } });
    const ended = await term.ended;
    return { term, ended };
  };
  const plain = await runOn({ NO_COLOR: "1" });
  assert.is(plain.ended.code, 3);
  assert.not.match(plain.term.raw, /\x1b\[3\dm/, "NO_COLOR");
  const lines = plain.term.screen.lines().map((l) => l.trimEnd()).filter(Boolean);
  assert.match(lines.at(-1)!, /^3 entries: 0 compiled, 2 cached, 2 ran, 0 up to date, 2 failed in \d+\.\d s$/, lines.join("\n"));
  // The live lines were drawn (and erased): a phase, an entry and its elapsed time.
  assert.match(plain.term.raw, /running +(good|off) +\d+\.\d s/);
  assert.not.ok(lines.some((l) => /^running /.test(l)), `no live line is left on the screen:\n${lines.join("\n")}`);
  const coloured = await runOn({ FORCE_COLOR: "1" });
  assert.match(coloured.term.raw, /\x1b\[31m3 entries: /, "the summary is red when something failed");
});

test.run();
