// Compile-time budgets (issue 16, item 5): every resource a Julia source can make the compiler
// spend is bounded, and running out is a located error naming the budget and how to raise it,
// never a hang or a fatal out-of-memory. Each budget is lowered in the test's manifest so that a
// small hostile source hits it at once; one compile-only build through the real engine holds
// them all. Include cycles (item 4) are located errors showing the cycle.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../build/engine.js";
import { loadManifest } from "../build/manifest.js";
import { DEFAULT_COMPILE_LIMITS } from "../compiler/budget.js";
import type { CompileLimits } from "../compiler/budget.js";
import { juliaCompiler } from "../plugins/julia/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

let dir = "";
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "tpu-budgets-"));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Failure {
  code: string;
  message: string;
  location?: string;
  rendered: string;
}

/** A compile-only build of `entries` (each a source, its function and its limits); the compile failures by entry. */
async function compileAll(sources: Record<string, string>, entries: Record<string, { file: string; function: string; compileLimits?: Partial<CompileLimits> }>, top?: Partial<CompileLimits>) {
  for (const [path, text] of Object.entries(sources)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const manifest = { ...(top ? { compileLimits: top } : {}), entries: Object.fromEntries(Object.entries(entries).map(([n, e]) => [n, { ...e, args: [{ eltype: "Float32", size: [3] }] }])) };
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify(manifest, null, 2));
  const failures: Record<string, Failure> = {};
  const compiled: string[] = [];
  const summary = await build({
    config: join(dir, "tpu.config.json"),
    cacheDir: join(dir, "cache"),
    error: () => {},
    onEvent: (e) => {
      const ev = e as { event: string; entry?: string; diagnostics?: Failure[] };
      // Messages name files relative to the current directory (absolute outside it, as this
      // temporary workspace is): the workspace's prefix is cut to compare with its own paths.
      const inWorkspace = (text: string) => text.replaceAll(`${dir}/`, "");
      const first = ev.diagnostics?.[0];
      if (ev.event === "compile-failed" && first) failures[ev.entry!] = { ...first, rendered: inWorkspace(first.rendered), ...(first.location ? { location: inWorkspace(first.location) } : {}) };
      if (ev.event === "compile-finished") compiled.push(ev.entry!);
    },
  });
  return { summary, failures, compiled };
}

/** The error is at `location`, names the budget and how to raise it, and shows the Julia call chain. */
function assertBudget(f: Failure | undefined, limit: keyof CompileLimits, location: string, message: RegExp | string, chain?: string) {
  assert.ok(f, `expected the ${limit} budget to stop this entry`);
  assert.is(f!.code, "compile-budget", f!.rendered);
  assert.is(f!.location, location, f!.rendered);
  assert.match(f!.message, message);
  assert.match(f!.rendered, `(compileLimits.${limit})`);
  assert.match(f!.rendered, `"compileLimits": { "${limit}": `);
  assert.match(f!.rendered, /\n1? ?\d* \| .*\n\s+\| +\^/);
  if (chain) assert.match(f!.rendered, chain);
}

const HOSTILE = `
deep(x) = deep((x, x))
countdown(x, n) = n == 0 ? x : countdown(x, n - 1)
pick(i) = (1.0f0, 2.0f0)[1 + i % 2]

doubling(x) = deep(x)
recursion(x) = countdown(x, 50)
products(x) = sum(ntuple(i -> x .* i, 200))
function unrolled(x)
  s = 0.0f0
  for i in 1:1000
    s += pick(i)
  end
  x .+ s
end
function counting(x)
  i = 0
  while i < 10^8
    i += 1
  end
  x .+ i
end
function growing(x)
  t = ()
  i = 0
  while i < 10^6
    t = (t, i, (i, i))
    i += 1
  end
  x .+ length(t)
end
big(x) = x .+ sum(zeros(Float32, 2000, 2000))
huge(x) = x .+ sum(zeros(10^6, 10^6))
billion(x) = x .+ sum(collect(1:10^9))
function loop_billion(x)
  s = 0.0f0
  for i in 1:10^9
    s += pick(i)
  end
  x .+ s
end
`;

test("each compile budget, lowered in the manifest, stops a hostile source with a located error naming it", async () => {
  const e = (fn: string, compileLimits?: Partial<CompileLimits>) => ({ file: "hostile.jl", function: fn, compileLimits });
  const { summary, failures, compiled } = await compileAll({ "hostile.jl": HOSTILE }, {
    doubling: e("doubling", { knownElements: 1000 }),
    recursion: e("recursion", { callDepth: 20 }),
    products: e("products", { instructions: 100 }),
    unrolled: e("unrolled", { unrolledIterations: 100 }),
    counting: e("counting", { seconds: 0.3, unrolledIterations: 10 ** 9 }),
    growing: e("growing", { memoryMiB: 4, unrolledIterations: 10 ** 9, knownElements: 10 ** 9 }),
    big: e("big", { arrayElements: 1_000_000 }),
    // At the default budgets: nothing of these is ever made (a range of 10^9 is not materialized).
    huge: e("huge"),
    billion: e("billion"),
    loop_billion: e("loop_billion"),
  });
  assert.is(summary.exitCode, 3);
  assert.equal(compiled, []);
  // `deep((x, x))` doubles its argument with every call: stopped at 2^10 nodes, in the recursion.
  assertBudget(failures.doubling, "knownElements", "hostile.jl:2:16", "a tuple of 1,023 elements would be held at compile time, more than 1,000", "in deep at hostile.jl:2:11 (repeated 8 times)");
  assertBudget(failures.recursion, "callDepth", "hostile.jl:3:32", "recursion deeper than 20 calls while inlining countdown", "in recursion at hostile.jl:7:16");
  assertBudget(failures.products, "instructions", "hostile.jl:8:31", "this entry emits more than 100 HLO instructions", "in products at hostile.jl:8:19");
  assertBudget(failures.unrolled, "unrolledIterations", "hostile.jl:11:12", "loops run at compile time take more than 100 iterations in total", "in unrolled at hostile.jl:11:12");
  // Where the clock is read depends on the machine's speed: somewhere in the loop.
  assertBudget(failures.counting, "seconds", failures.counting!.location!, "the compile took longer than 0.3 s", "in counting at hostile.jl:");
  assert.match(failures.counting!.location!, /^hostile\.jl:(18|19):/);
  assertBudget(failures.growing, "memoryMiB", failures.growing!.location!, /the compiler's memory grew by [\d.]+ MiB compiling this entry/, "in growing at hostile.jl:");
  assert.match(failures.growing!.location!, /^hostile\.jl:(26|27|28):/);
  assertBudget(failures.big, "arrayElements", "hostile.jl:32:19", "this makes an array of 4,000,000 elements, more than 1,000,000", "in big at hostile.jl:32:19");
  assertBudget(failures.huge, "arrayElements", "hostile.jl:33:20", "this makes an array of 1,000,000,000,000 elements, more than 34,359,738,368");
  assertBudget(failures.billion, "knownElements", "hostile.jl:34:23", "the range 1:1000000000 of 1,000,000,000 elements would be held at compile time");
  assertBudget(failures.loop_billion, "unrolledIterations", "hostile.jl:37:12", "(this loop alone takes 1,000,000,000)");
});

test("an entry's compileLimits replace the manifest's, and a raised budget compiles the same source", async () => {
  const { summary, failures, compiled } = await compileAll(
    { "hostile.jl": HOSTILE },
    { low: { file: "hostile.jl", function: "recursion" }, raised: { file: "hostile.jl", function: "recursion", compileLimits: { callDepth: 60 } }, products: { file: "hostile.jl", function: "products", compileLimits: { instructions: 1000 } } },
    { callDepth: 20 },
  );
  assert.is(summary.exitCode, 3);
  assertBudget(failures.low, "callDepth", "hostile.jl:3:32", "recursion deeper than 20 calls");
  assert.equal(compiled.sort(), ["products", "raised"]);
});

test("the loop unroll threshold: a known loop of 16 iterations is unrolled, one of 17 becomes an XLA while", () => {
  // README: loops over known ranges longer than 16 become a while. Both sides of the threshold.
  const src = "function f(x, ::Val{N}) where N\n  for i in 1:N\n    x = x .* 2.0f0 .+ i\n  end\n  x\nend\nat16(x) = f(x, Val(16))\nat17(x) = f(x, Val(17))\n";
  const text = (fn: string) => {
    const r = juliaCompiler.compile({ entry: fn, file: "loops.jl", function: fn, args: [{ kind: "runtime", type: { kind: "array", eltype: "Float32", size: [3] } }], readSource: (p) => (p === "loops.jl" ? src : undefined) });
    if (!r.ok) throw new Error(juliaCompiler.render(r.diagnostics[0]!, () => src));
    return r.text;
  };
  const at16 = text("at16");
  const at17 = text("at17");
  assert.not.match(at16, / while\(/, "16 iterations are unrolled");
  assert.is((at16.match(/ multiply\(/g) ?? []).length, 16, "one multiply per unrolled iteration");
  assert.match(at17, / while\(/, "17 iterations become a while");
  assert.is((at17.match(/ multiply\(/g) ?? []).length, 1, "the while's body holds the one multiply");
});

test("an include cycle is a located error that shows the cycle, include by include", async () => {
  const { summary, failures } = await compileAll(
    { "main.jl": 'include("lib/a.jl")\nf(x) = g(x)\n', "lib/a.jl": '# a\ninclude("b.jl")\ng(x) = x\n', "lib/b.jl": '\ninclude("a.jl")\n' },
    { f: { file: "main.jl", function: "f" } },
  );
  assert.is(summary.exitCode, 3);
  const f = failures.f!;
  assert.is(f.code, "include-cycle");
  assert.is(f.location, "lib/b.jl:2:1");
  assert.is(f.message, "include cycle: lib/a.jl → lib/b.jl → lib/a.jl");
  assert.match(f.rendered, "note: lib/a.jl:2:1: lib/a.jl includes lib/b.jl");
  assert.match(f.rendered, "note: lib/b.jl:2:1: lib/b.jl includes lib/a.jl");
});

test("the manifest's compileLimits are checked when it loads, and the schema's defaults are the compiler's", async () => {
  const schema = JSON.parse(readFileSync(join(ROOT, "schema", "tpu.config.schema.json"), "utf8"));
  const props = schema.definitions.compileLimits.properties as Record<string, { default: number }>;
  assert.equal(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.default])), { ...DEFAULT_COMPILE_LIMITS });
  writeFileSync(join(dir, "m.jl"), "f(x) = x\n");
  const bad = async (limits: unknown, pointer: string) => {
    writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries: { e: { file: "m.jl", function: "f", compileLimits: limits } } }, null, 2));
    const r = await loadManifest(join(dir, "tpu.config.json"));
    assert.ok(!r.ok, `${JSON.stringify(limits)} should be refused`);
    if (!r.ok) assert.is(r.diagnostics[0]!.pointer, pointer, r.diagnostics[0]!.message);
    return r.ok ? undefined : r.diagnostics[0]!;
  };
  await bad({ seconds: 0 }, "/entries/e/compileLimits/seconds");
  await bad({ callDepth: 1.5 }, "/entries/e/compileLimits/callDepth");
  const misspelt = await bad({ instrucions: 10 }, "/entries/e/compileLimits/instrucions");
  assert.is(misspelt!.suggestion, "instructions");
});

test.run();
