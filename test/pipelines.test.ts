// tpu-build inside other build systems: building the entries asked for, saying beforehand what a
// build reads and writes (`plan`, `--depfile`), skipping what is up to date in a new process,
// byte-identical outputs, and the Makefile of examples/pipelines/ run twice by the real GNU Make.
// Each step is the compiled CLI in its own process, on one temporary workspace, in order.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNpy } from "../build/npy.js";
import { tensorFromValues } from "../build/inputs.js";
import type { BuildPlanReport } from "../build/plan.js";
import { BIN, ROOT, runCli, type CliResult } from "./support/cli.js";

const cli = (cwd: string, ...args: string[]): CliResult => runCli(cwd, args);
const entriesOf = (r: CliResult, kind: string) => r.events.filter((e) => e.event === kind).map((e) => e.entry as string);

function plan(dir: string, ...args: string[]): BuildPlanReport {
  const r = cli(dir, "plan", "--json", ...args);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as BuildPlanReport;
}

/** The small MLP of test/cli.test.ts (model.jl includes layers.jl). */
const FIXTURE = join(ROOT, "test", "fixtures", "workspace");

/** W in Julia order (4, 3), under a directory whose name has a space (the depfile must escape it). */
async function writeWeights(dir: string, scale: number): Promise<void> {
  mkdirSync(join(dir, "data dir"), { recursive: true });
  await writeNpy(join(dir, "data dir", "W.npy"), tensorFromValues("Float32", [4, 3], Array.from({ length: 12 }, (_, i) => i * scale)));
}

async function workspace(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-pipelines-"));
  for (const f of ["model.jl", "layers.jl"]) copyFileSync(join(FIXTURE, f), join(dir, f));
  await writeWeights(dir, 0.1);
  const manifest = {
    entries: {
      init: { file: "model.jl", function: "init", args: [{ eltype: "Float32", size: [4, 3], value: { npy: "data dir/W.npy" } }, { const: 0.5 }], run: true },
      predict: { file: "model.jl", function: "predict", args: [{ from: "init" }, { eltype: "Float32", size: [3, 5], value: { random: "normal", seed: 7 } }], run: true },
      loss: { file: "model.jl", function: "loss", args: [{ from: "predict" }, { eltype: "Float32", size: [4, 5], value: { fill: 0.25 } }], run: true },
      alone: { file: "layers.jl", function: "zeros_like", args: [{ eltype: "Float32", size: [2] }] },
    },
  };
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify(manifest, null, 2));
  return dir;
}

/** Every file under `dir` with its bytes and mtime. */
function snapshot(dir: string): Record<string, [string, number]> {
  const out: Record<string, [string, number]> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1)] = [readFileSync(path).toString("base64"), statSync(path).mtimeMs];
  }
  return out;
}

/** Make's own reading of a depfile: rules `targets: prerequisites`, with `\ ` an escaped space. */
function parseDepfile(text: string): Map<string, string[]> {
  const split = (s: string) => (s.match(/(?:\\.|[^\s\\])+/g) ?? []).map((w) => w.replace(/\\(.)/g, "$1").replace(/\$\$/g, "$"));
  const rules = new Map<string, string[]>();
  for (const line of text.split("\n").filter(Boolean)) {
    const colon = line.search(/(?<!\\):/);
    for (const target of split(line.slice(0, colon))) rules.set(target, split(line.slice(colon + 1)));
  }
  return rules;
}

const test = suite("pipelines");
let dir = "";
/** Cache keys the plan predicted, checked against the build's. */
const keys: Record<string, string> = {};
test.before(async () => {
  assert.ok(existsSync(join(ROOT, "dist", "cli", "main.js")), "run `npm run build` first (npm test does)");
  dir = await workspace();
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

test("plan says what a first build reads, writes and does, and compiles and runs nothing", () => {
  const p = plan(dir, "predict");
  assert.equal(p.entries.map((e) => e.entry), ["init", "predict"], "predict and the entry it takes results from");
  const [init, predict] = p.entries;
  assert.equal(init!.sources, ["model.jl", "layers.jl"]);
  assert.equal(init!.inputs, ["data dir/W.npy"]);
  assert.equal(init!.compile, { status: "miss", reasons: ["no compile recorded"] });
  assert.equal(init!.run, { status: "run", target: "local", reasons: ["no run recorded"] });
  assert.match(init!.key!, /^[0-9a-f]{64}$/);
  // predict's argument types are init's result type: its key waits for init's compile.
  assert.is(predict!.key, null);
  assert.is(predict!.compile.status, "maybe");
  assert.equal(predict!.from, ["init"]);
  assert.ok(!existsSync(join(dir, ".tpu-build", "cache")), "nothing compiled");
  assert.ok(!existsSync(join(dir, ".tpu-build", "out")), "nothing ran");
  keys.init = init!.key!;
  const [alone] = plan(dir, "alone").entries;
  assert.equal([alone!.run, alone!.outputs], [null, []], "a compile-only entry writes no output files");
});

test("build ENTRY builds it and what it takes results from, with the cache key plan predicted", () => {
  const r = cli(dir, "build", "predict", "--json");
  assert.is(r.code, 0, r.stderr);
  assert.equal(entriesOf(r, "compile-finished"), ["init", "predict"]);
  assert.equal(entriesOf(r, "run-finished"), ["init", "predict"]);
  assert.is(r.events.find((e) => e.event === "build-started")!.entries, 2, "build-started counts the selected entries, not the manifest's four");
  assert.is(r.events.find((e) => e.event === "compile-finished" && e.entry === "init")!.key, keys.init);
  assert.ok(!existsSync(join(dir, ".tpu-build", "out", "loss")), "loss was not asked for");
});

test("an unknown entry name exits 2 and names the nearest entries, for build and watch", () => {
  for (const command of ["build", "watch"]) {
    const r = cli(dir, command, "predcit");
    assert.is(r.code, 2, `${command}: ${r.stderr}`);
    assert.match(r.stderr, 'no entry named "predcit"');
    assert.match(r.stderr, 'did you mean "predict"?');
  }
});

test("a new process finds the runs up to date and rewrites nothing; --force reruns and still leaves identical files alone", () => {
  const out = join(dir, ".tpu-build", "out");
  const before = snapshot(out);
  const again = cli(dir, "build", "predict", "--json");
  assert.is(again.code, 0, again.stderr);
  assert.equal(entriesOf(again, "run-up-to-date"), ["init", "predict"]);
  assert.equal(entriesOf(again, "run-finished"), []);
  assert.equal(snapshot(out), before);
  const forced = cli(dir, "build", "predict", "--force", "--json");
  assert.is(forced.code, 0, forced.stderr);
  assert.equal(entriesOf(forced, "run-finished"), ["init", "predict"]);
  assert.equal(snapshot(out), before, "same module, same inputs: the same bytes, so the files stay as they were");
});

test("plan names what changed: a source, an input's content, an output file", async () => {
  const fresh = plan(dir, "predict");
  assert.equal(fresh.entries.map((e) => [e.compile.status, e.run?.status]), [["hit", "up-to-date"], ["hit", "up-to-date"]]);
  assert.equal(fresh.entries[1]!.outputs, [".tpu-build/out/predict/0.npy", ".tpu-build/out/predict/result.json"]);

  const layers = readFileSync(join(dir, "layers.jl"), "utf8");
  writeFileSync(join(dir, "layers.jl"), `${layers}# a comment\n`);
  const edited = plan(dir, "predict").entries[0]!;
  assert.equal(edited.compile, { status: "miss", reasons: ["source layers.jl"] });
  assert.is(edited.run!.status, "maybe", "the module may come out the same");
  writeFileSync(join(dir, "layers.jl"), layers);

  await writeWeights(dir, 0.2);
  const [init, predict] = plan(dir, "predict").entries;
  assert.equal(init!.run, { status: "run", target: "local", reasons: ["argument 1 (data dir/W.npy)"] });
  assert.is(predict!.run!.status, "maybe");
  await writeWeights(dir, 0.1);

  writeFileSync(join(dir, ".tpu-build", "out", "predict", "0.npy"), "not what was written");
  assert.equal(plan(dir, "predict").entries[1]!.run!.reasons, ["its output files changed or are missing"]);
  const repaired = cli(dir, "build", "predict", "--json");
  assert.equal(entriesOf(repaired, "run-finished"), ["predict"]);
});

test("--depfile writes Make rules: each run's outputs depend on the manifest, its sources, .npy inputs and upstream results", () => {
  const r = cli(dir, "plan", "loss", "--depfile", "deps/loss.d");
  assert.is(r.code, 0, r.stderr);
  const text = readFileSync(join(dir, "deps", "loss.d"), "utf8");
  assert.match(text, "data\\ dir/W.npy", "the space is escaped");
  const rules = parseDepfile(text);
  const out = ".tpu-build/out";
  assert.equal(rules.get(`${out}/init/result.json`), ["tpu.config.json", "model.jl", "layers.jl", "data dir/W.npy"]);
  assert.equal(rules.get(`${out}/init/1.npy`), rules.get(`${out}/init/result.json`));
  assert.equal(rules.get(`${out}/predict/0.npy`), ["tpu.config.json", "model.jl", "layers.jl", `${out}/init/result.json`]);
  assert.equal(rules.get(`${out}/loss/result.json`), ["tpu.config.json", "model.jl", "layers.jl", `${out}/predict/result.json`]);
  assert.ok(![...rules.keys()].some((t) => t.includes("alone")), "compile-only entries write nothing");
});

test("result.json is byte-identical across two clean builds, with no timings or paths; the timings are in the run summary", () => {
  const results = () => Object.fromEntries(["init", "predict", "loss"].map((e) => [e, readFileSync(join(dir, ".tpu-build", "out", e, "result.json"), "utf8")]));
  rmSync(join(dir, ".tpu-build"), { recursive: true, force: true });
  assert.is(cli(dir, "build").code, 0);
  const first = results();
  rmSync(join(dir, ".tpu-build"), { recursive: true, force: true });
  const r = cli(dir, "build");
  assert.is(r.code, 0, r.stderr);
  assert.equal(results(), first);
  for (const text of Object.values(first)) {
    assert.not.match(text, dir);
    assert.not.match(text, "durationMs");
  }
  const summaries = readdirSync(join(dir, ".tpu-build", "runs"));
  assert.is(summaries.length, 1);
  const summary = JSON.parse(readFileSync(join(dir, ".tpu-build", "runs", summaries[0]!), "utf8")) as { exitCode: number; entries: Record<string, { run?: string; runMs?: number }> };
  assert.is(summary.exitCode, 0);
  assert.is(summary.entries.loss!.run, "ran");
  assert.ok((summary.entries.loss!.runMs ?? -1) >= 0);
});

test("examples/pipelines/Makefile: make builds through --depfile, and a second make does nothing", async () => {
  const make = spawnSync("make", ["--version"], { encoding: "utf8" });
  assert.is(make.status, 0, "GNU Make is needed (apt-get install make)");
  copyFileSync(join(ROOT, "examples", "pipelines", "Makefile"), join(dir, "Makefile"));
  const run = () => spawnSync("make", [`TPU_BUILD=${process.execPath} ${BIN}`, "ENTRIES=loss"], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "true" }, timeout: 240_000 });
  // The outputs of the last test stand: the first make plans (to learn the dependencies) and builds nothing.
  const first = run();
  assert.is(first.status, 0, first.stderr + first.stdout);
  assert.ok(existsSync(join(dir, ".tpu-build", "deps", "loss.d")), first.stdout);
  const out = join(dir, ".tpu-build", "out");
  const before = snapshot(out);
  const second = run();
  assert.is(second.status, 0, second.stderr);
  assert.not.match(second.stdout, "tpu-build", `make ran something: ${second.stdout}`);
  assert.equal(snapshot(out), before);
  // A changed input makes Make call tpu-build again, which reruns what takes it.
  await writeWeights(dir, 0.3);
  const third = run();
  assert.is(third.status, 0, third.stderr);
  assert.match(third.stdout, "build loss");
  assert.not.equal(readFileSync(join(out, "init", "0.npy")), Buffer.from(before["init/0.npy"]![0], "base64"));
});


/** The `tpu-build` command lines of a pipeline file (after `npx`), as words; none of them quote. */
function tpuBuildCommands(lines: string[]): string[][] {
  return lines.flatMap((l) => l.split("\n")).map((l) => l.trim().split(/\s+/)).filter((w) => w[0] === "npx" && w[1] === "tpu-build").map((w) => w.slice(2));
}

/** Every `--flag` of a command line is one its own `--help` lists. */
function assertKnownFlags(words: string[]): void {
  const help = cli(dir, words[0]!, "--help");
  assert.is(help.code, 0, `tpu-build ${words[0]} --help: ${help.stderr}`);
  for (const flag of words.filter((w) => w.startsWith("--"))) assert.match(help.stdout, new RegExp(`^\\s+${flag}\\b`, "m"), `tpu-build ${words.join(" ")}: ${flag} is not an option of ${words[0]}`);
}

test("examples/pipelines/github-workflow.yml: its tpu-build steps are real commands and flags, run, and write what it uploads", () => {
  // js-yaml comes with json-schema-to-typescript (a dev dependency); its API is one function here.
  const { load } = createRequire(import.meta.url)("js-yaml") as { load: (text: string) => unknown };
  type Step = { run?: string; uses?: string; if?: string; with?: Record<string, string> };
  const workflow = load(readFileSync(join(ROOT, "examples", "pipelines", "github-workflow.yml"), "utf8")) as { on: unknown; jobs: Record<string, { "runs-on": string; steps: Step[] }> };
  assert.ok(workflow.on, "a trigger");
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
  const commands = tpuBuildCommands(steps.flatMap((s) => (s.run ? [s.run] : [])));
  assert.ok(commands.some((w) => w[0] === "build" && w.includes("--junit")), "a build with --junit");
  const summary = join(dir, "step-summary.md");
  for (const words of commands) {
    assertKnownFlags(words);
    const r = runCli(dir, words, { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: dir, GITHUB_STEP_SUMMARY: summary });
    assert.is(r.code, 0, `tpu-build ${words.join(" ")}: ${r.stderr}`);
  }
  assert.match(readFileSync(summary, "utf8"), "loss", "the step summary has the entries' table");
  const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
  assert.ok(upload, "an upload-artifact step");
  assert.ok(upload.if?.includes("cancelled()") || upload.if?.includes("always()"), "the report is uploaded when the build failed too");
  const paths = upload.with!.path!.split("\n").map((p) => p.trim()).filter(Boolean);
  const junit = commands.find((w) => w[0] === "build")!;
  assert.ok(paths.includes(junit[junit.indexOf("--junit") + 1]!), "the JUnit file the build writes is uploaded");
  assert.ok(paths.some((p) => p.replace(/\/$/, "") === ".tpu-build/out"), "the run outputs are uploaded");
  for (const p of paths) assert.ok(existsSync(join(dir, p)), `${p} was written`);
  assert.match(readFileSync(join(dir, junit[junit.indexOf("--junit") + 1]!), "utf8"), /<testcase [^>]*name="loss"/);
});

test("examples/pipelines turbo.json and Nx project.json: inputs and outputs are those plan --json gives, their commands real", () => {
  const p = plan(dir);
  const unique = (xs: string[]) => [...new Set(xs)].sort();
  const inputs = unique([p.config, ...p.entries.flatMap((e) => [...e.sources, ...e.inputs])]);
  // Compile-only entries write nothing (as in the depfile).
  const outputs = unique(p.entries.flatMap((e) => (e.run ? e.outputs : [])));
  assert.ok(outputs.includes(".tpu-build/out/loss/0.npy"), "the plan knows every output (all were built)");
  const example = (name: string) => JSON.parse(readFileSync(join(ROOT, "examples", "pipelines", name), "utf8")) as Record<string, Record<string, { inputs: string[]; outputs: string[]; command?: string }>>;

  const turbo = example("turbo.json").tasks!["tpu-build"]!;
  assert.equal(unique(turbo.inputs), inputs, "turbo.json inputs");
  assert.equal(unique(turbo.outputs), outputs, "turbo.json outputs");

  const nx = example("project.json").targets!["tpu-build"]!;
  const inProject = (xs: string[]) => unique(xs.map((x) => x.replace(/^\{projectRoot\}\//, "")));
  assert.ok([...nx.inputs, ...nx.outputs].every((x) => x.startsWith("{projectRoot}/")), "Nx paths are under {projectRoot}");
  assert.equal(inProject(nx.inputs), inputs, "project.json inputs");
  assert.equal(inProject(nx.outputs), outputs, "project.json outputs");
  for (const words of tpuBuildCommands([nx.command!])) assertKnownFlags(words);
  assert.is(tpuBuildCommands([nx.command!]).length, 1, "Nx runs tpu-build");
});

test.run();
