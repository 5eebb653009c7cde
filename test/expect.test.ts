// `expect` in an entry: a run's result leaves checked against NumPy references (numpy.allclose's
// rule), for finiteness and for their size; a failure is exit code 6 naming the worst element by its
// Julia index. One workspace, one engine build per case on the real runtime; the references and the
// expected worst elements are computed by NumPy in the test.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import { EXIT } from "../build/events.js";
import { allclose } from "../build/expect.js";
import { runPython } from "./support/python.js";

const test = suite("expect");
const dir = mkdtempSync(join(tmpdir(), "tpu-build-expect-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(join(dir, "model.jl"), `scale(x) = x .* 2f0 .+ 1f0\nshifted_log(x) = log.(x .- 5f0)\nstats(x) = (total = sum(x), peak = maximum(x))\n`);

// x is (4, 3) in Julia order; the references are what NumPy computes from the same values.
const reference = JSON.parse(
  runPython(
    `
import json, sys, numpy as np
d = sys.argv[1]
x = (np.arange(12, dtype=np.float32).reshape(4, 3) / 2).astype(np.float32)
np.save(d + "/x.npy", x)
good = x * np.float32(2) + np.float32(1)
np.save(d + "/good.npy", good)
bad = good.astype(np.float64)
bad[1, 2] += 0.5      # the worst: Julia's x[2, 3]
bad[0, 0] += 1e-3     # also beyond the default tolerance, by less
np.save(d + "/bad.npy", bad)
np.save(d + "/wrong-shape.npy", good.T.copy())
logs = np.log(x - np.float32(5))
flat = logs.flatten(order="F")
first = int(np.flatnonzero(~np.isfinite(flat))[0])
print(json.dumps({
  "bad": {"actual": float(good[1, 2]), "expected": float(bad[1, 2]), "failing": int((~np.isclose(good, bad)).sum())},
  "nonfinite": {"count": int((~np.isfinite(logs)).sum()), "index": [int(i) + 1 for i in np.unravel_index(first, logs.shape, order="F")]},
}))
`,
    [dir],
  ),
) as { bad: { actual: number; expected: number; failing: number }; nonfinite: { count: number; index: number[] } };

const X = { eltype: "Float32", size: [4, 3], value: { npy: "x.npy" } };

async function buildWith(entries: Record<string, unknown>, top: Record<string, unknown> = {}): Promise<{ exitCode: number; events: BuildEvent[]; errors: string[] }> {
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries, ...top }, null, 2));
  const events: BuildEvent[] = [];
  const errors: string[] = [];
  const summary = await build({ config: join(dir, "tpu.config.json"), cacheDir: join(dir, "cache"), onEvent: (e) => events.push(e), error: (t) => errors.push(t) });
  return { exitCode: summary.exitCode, events, errors };
}

const failuresOf = (events: BuildEvent[], entry: string) => events.flatMap((e) => (e.event === "expect-failed" && e.entry === entry ? e.failures : []));

test("allclose follows numpy.isclose element by element (tolerance edges, infinities, NaN)", () => {
  const cases = JSON.parse(
    runPython(`
import json, numpy as np
rng = np.random.default_rng(3)
b = rng.normal(size=200)
a = b + rng.normal(size=200) * 1e-5
a[:5] = [np.inf, -np.inf, np.nan, 1.0, 1.0]
b[:5] = [np.inf, np.inf, 1.0, np.nan, 1.1]
out = []
# (0.095, 0): the fifth pair is close only because the tolerance scales with |expected| (1.1), not |actual|.
for rtol, atol in [(1e-5, 1e-8), (1e-4, 0.0), (0.0, 1e-5), (0.095, 0.0)]:
    close = np.isclose(a, b, rtol=rtol, atol=atol)
    out.append({"rtol": rtol, "atol": atol, "failing": int((~close).sum())})
print(json.dumps({"a": [repr(float(v)) for v in a], "b": [repr(float(v)) for v in b], "cases": out}))
`),
  ) as { a: string[]; b: string[]; cases: { rtol: number; atol: number; failing: number }[] };
  const num = (s: string) => (s === "nan" ? NaN : s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s));
  const a = cases.a.map(num);
  const b = cases.b.map(num);
  for (const c of cases.cases) assert.is(allclose(a, b, c.rtol, c.atol)?.failing ?? 0, c.failing, `rtol ${c.rtol}, atol ${c.atol}`);
});

test("a failed comparison is exit 6 and names the worst element by its Julia index with both values; a passing one is reported", async () => {
  const r = await buildWith({
    ok: { file: "model.jl", function: "scale", args: [X], run: true, expect: { result: { npy: "good.npy" } } },
    off: { file: "model.jl", function: "scale", args: [X], run: true, expect: { "0": { npy: "bad.npy", finite: true, shape: [4, 3] } } },
  });
  assert.is(r.exitCode, EXIT.expectationFailed, r.errors.join("\n"));
  assert.ok(r.events.some((e) => e.event === "expect-passed" && e.entry === "ok" && e.checks === 1));
  const [f, ...rest] = failuresOf(r.events, "off");
  assert.is(rest.length, 0, "finite and shape hold");
  assert.is(f!.check, "npy");
  assert.equal(f!.worst!.index, [2, 3]);
  assert.is(f!.worst!.actual, reference.bad.actual);
  assert.is(f!.worst!.expected, reference.bad.expected);
  assert.is(f!.failing, reference.bad.failing);
  assert.match(f!.message, /\[2, 3\] \(Julia index, 1-based, column-major\)/);
  assert.match(f!.message, /numpy\.allclose: \|actual - expected\| <= atol \+ rtol/);
  // Located at the expectation in the manifest.
  assert.match(f!.location!, /tpu\.config\.json:\d+:\d+$/);
  assert.match(f!.rendered, /"npy": "bad\.npy"/);
  const finished = r.events.at(-1)!;
  assert.ok(finished.event === "build-finished" && finished.failed === 1 && finished.ran === 2);
});

test("tolerances, finiteness, sizes and unknown leaves", async () => {
  const r = await buildWith({
    loose: { file: "model.jl", function: "scale", args: [X], run: true, expect: { result: { npy: "bad.npy", atol: 0.6 } } },
    logs: { file: "model.jl", function: "shifted_log", args: [X], run: true, expect: { result: { finite: true, shape: [3, 4] } } },
    stats: { file: "model.jl", function: "stats", args: [X], run: true, expect: { "result.total": { finite: true }, "result.peek": { finite: true }, "result.peak": { npy: "wrong-shape.npy" } } },
  });
  assert.is(r.exitCode, EXIT.expectationFailed);
  assert.not.ok(r.events.some((e) => e.event === "expect-failed" && e.entry === "loose"));
  const logs = failuresOf(r.events, "logs");
  assert.equal(logs.map((f) => f.check).sort(), ["finite", "shape"]);
  const finite = logs.find((f) => f.check === "finite")!;
  assert.is(finite.failing, reference.nonfinite.count);
  assert.equal(finite.worst!.index, reference.nonfinite.index);
  assert.match(logs.find((f) => f.check === "shape")!.message, /has size \(4, 3\), expected \(3, 4\)/);
  const stats = failuresOf(r.events, "stats");
  assert.equal(stats.map((f) => f.code).sort(), ["expect-npy-shape", "expect-unknown-leaf"]);
  assert.match(stats.find((f) => f.code === "expect-unknown-leaf")!.message, /result\.peak \(1\)/);
});

test("expect without run, a tolerance without npy and a missing reference are manifest errors, all reported at once", async () => {
  const r = await buildWith(
    {
      a: { file: "model.jl", function: "scale", args: [X], expect: { result: { finite: true } } },
      b: { file: "model.jl", function: "scale", args: [X], run: true, expect: { result: { rtol: 0.1, finite: true }, "0": {} } },
      c: { file: "model.jl", function: "scale", args: [X], run: true, expect: { result: { npy: "god.npy" } } },
    },
  );
  assert.is(r.exitCode, EXIT.invalidManifest);
  const invalid = r.events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid && invalid.event === "manifest-invalid");
  assert.equal(invalid.diagnostics.map((d) => d.code), ["expect-without-run", "empty-expectation", "tolerance-without-npy", "npy-not-found"]);
  assert.match(invalid.diagnostics[3]!.rendered, /did you mean "good\.npy"\?/);
  assert.is(r.events.filter((e) => e.event === "manifest-invalid").length, 1);
});

test.run();
