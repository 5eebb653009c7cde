// The seeded fuzz test (issue 16): a fixed seed and a bounded number of mutated manifests and Julia
// programs (test/fuzz/), each batch in a worker process with a deadline per case. A manifest ends in
// a manifest or in located, bounded diagnostics (exit 2 from the CLI, checked on a sample); a Julia
// program ends in a module or in located diagnostics — never a thrown exception, an internal error,
// a JavaScript stack trace or a hang. A finding names its case (seed and index), its mutations and
// the file holding the mutated text; `npm run fuzz -- --seed N --only julia:I` reruns one case, and
// `npm run fuzz -- --seed N --cases M` runs a longer campaign.
//
// No class is excluded: the parser's stack overflow on deep nesting (issue 16.4) was the one class
// excluded until the parser's nesting limit reached main. Should a class owned by another item need
// excluding again, `excludedClass` names it with its issue item, and the test prints each case.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeFinding, runCampaign, type Finding } from "./fuzz/campaign.js";
import { juliaSeeds, manifestSeeds, REPO } from "./fuzz/corpus.js";
import { mutateJulia } from "./fuzz/julia-mutator.js";
import { mutateManifest } from "./fuzz/manifest-mutator.js";
import { Prng } from "./fuzz/prng.js";

const SEED = 20261203;
const MANIFEST_CASES = 160;
const JULIA_CASES = 120;

/** The issue item that owns a finding's class, when that class is being fixed elsewhere (none now). */
function excludedClass(_finding: Finding): string | undefined {
  return undefined;
}

const outDir = mkdtempSync(join(tmpdir(), "tpu-fuzz-findings-"));
let findings: Finding[] = [];
let excluded: Finding[] = [];
let counts: Record<string, number> = {};

test.before(async () => {
  const report = await runCampaign({
    seed: SEED,
    manifestCases: MANIFEST_CASES,
    juliaCases: JULIA_CASES,
    caseDeadlineMs: 30_000,
    parallel: 2,
    batchSize: 55,
    outDir,
    excluded: excludedClass,
  });
  findings = report.findings;
  excluded = report.excluded;
  counts = report.counts;
  console.log(`  fuzz seed ${SEED}: ${JSON.stringify(counts)} in ${Math.round(report.durationMs / 1000)} s`);
  for (const f of excluded) console.log(`  excluded (${f.excludedBy}): ${f.kind} case ${f.index}`);
});

test.after(() => {
  if (!findings.length) rmSync(outDir, { recursive: true, force: true });
});

const report = (fs: Finding[]) => fs.map(describeFinding).join("\n\n");

test(`${MANIFEST_CASES} mutated manifests end in a manifest or in located, bounded diagnostics (no crash, hang or internal error)`, () => {
  const bad = findings.filter((f) => f.kind === "manifest");
  assert.is(bad.length, 0, `\n${report(bad)}`);
  assert.is((counts["manifest ok"] ?? 0) + (counts["manifest located"] ?? 0), MANIFEST_CASES, JSON.stringify(counts));
});

test(`${JULIA_CASES} mutated Julia programs compile or end in located diagnostics (no exception, internal error or hang)`, () => {
  const bad = findings.filter((f) => f.kind === "julia");
  assert.is(bad.length, 0, `\n${report(bad)}`);
  assert.is((counts["julia ok"] ?? 0) + (counts["julia located"] ?? 0) + excluded.length, JULIA_CASES, JSON.stringify(counts));
});

test("the CLI exits 2 with a located error for mutated manifests the loader rejects", () => {
  // A sample through the real command: exit 2 (never 1, an internal error), located, no stack trace.
  const ws = mkdtempSync(join(tmpdir(), "tpu-fuzz-cli-"));
  try {
    cpSync(join(REPO, "examples"), join(ws, "examples"), { recursive: true });
    const manifests = [
      '{"entries": {"a": {"file": "examples/mlp.jl", "function": "init_mlp", "args": [{"const": 18446744073709551616}]}}}',
      '{"entries": {"a": {"file": "/proc/self/environ", "function": "f"}}}',
      `{"entries": {"a": {"file": "examples/mlp.jl", "function": "f", "args": [{"eltype": "Float32", "size": [${Array(100).fill(1).join(",")}]}]}}}`,
      `{"entries": {"a": {"file": "examples/mlp.jl", "function": "f", "${"k".repeat(1_000_000)}": 1}}}`,
      '{"entries": {"a": {"file": "examples/mlp.jl", "function": "f", "args": [' + "[".repeat(5000),
    ];
    for (const text of manifests) {
      writeFileSync(join(ws, "tpu.config.json"), text);
      const r = spawnSync(process.execPath, [join(REPO, "bin", "tpu-build.js"), "build", "--no-daemon"], { cwd: ws, encoding: "utf8", timeout: 60_000 });
      assert.is(r.status, 2, `${text.slice(0, 120)}\n${r.stderr.slice(0, 2000)}`);
      assert.match(r.stderr, /tpu\.config\.json:\d+:\d+: error: /);
      assert.not.match(r.stderr, /\n\s+at .+:\d+:\d+\)?\n/);
      assert.ok(r.stderr.length < 8000, `${r.stderr.length} characters of stderr`);
    }
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test("the generators are deterministic: the same seed and index give the same case, other indices other cases", async () => {
  // Reproduction depends on it: a finding is rerun from (seed, index) alone.
  const mSeed = manifestSeeds()[0]!.text;
  const jSeed = (await juliaSeeds())[0]!.text;
  const manifest = (i: number) => mutateManifest(mSeed, new Prng(SEED, i)).text;
  const julia = (i: number) => mutateJulia(jSeed, new Prng(SEED, i)).text;
  for (const i of [0, 7, 99]) {
    assert.is(manifest(i), manifest(i));
    assert.is(julia(i), julia(i));
  }
  assert.is(new Set([0, 1, 2, 3, 4, 5].map(manifest)).size > 3, true);
  assert.is(new Set([0, 1, 2, 3, 4, 5].map(julia)).size > 3, true);
});

test.run();
