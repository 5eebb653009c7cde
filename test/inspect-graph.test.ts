// `tpu-build inspect ENTRY` and `tpu-build graph` (issue 13, Inspecting): what inspect says of a
// module is checked against the module's own HLO text, parsed here independently of our printer's
// and encoder's code; the cache key parts against the files' SHA-256 and plan's key; the graph's
// DOT and Mermaid against plan's `from` edges and targets. The compiled CLI in child processes;
// nothing runs on a device.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./support/cli.js";

const test = suite("inspect-graph");
const ws = mkdtempSync(join(tmpdir(), "tpu-build-inspect-"));
test.after(() => rmSync(ws, { recursive: true, force: true }));

writeFileSync(join(ws, "layers.jl"), `dense(W, x) = tanh.(W * x)\n`);
writeFileSync(join(ws, "model.jl"), `include("layers.jl")\ninit(W) = W .* 0.5f0\npredict(W, x) = sum(dense(W, x); dims=1) .+ maximum(x)\n`);
writeFileSync(join(ws, "broken.jl"), `# a typo\nbroken(x) = sum(x .* unknwon_scale)\n`);
const X = { eltype: "Float32", size: [3, 2], value: { fill: 1 } };
writeFileSync(
  join(ws, "tpu.config.json"),
  JSON.stringify({
    targets: { wide: { kind: "local", cpuDevices: 2 } },
    entries: {
      init: { file: "model.jl", function: "init", args: [{ eltype: "Float32", size: [4, 3], value: { random: "normal", seed: 1 } }], run: true },
      predict: { file: "model.jl", function: "predict", args: [{ from: "init" }, X], run: { target: "wide" } },
      again: { file: "model.jl", function: "predict", args: [{ from: "init" }, { from: "init" }], run: true },
      lonely: { file: "model.jl", function: "init", args: [X] },
      broken: { file: "broken.jl", function: "broken", args: [X] },
    },
  }),
);

const sha256 = (bytes: string | Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Instructions per opcode in HLO text, read line by line: `%name = shape opcode(…)`. */
function textCensus(hlo: string): { instructions: number; entry: number; opcodes: Record<string, number> } {
  const opcodes: Record<string, number> = {};
  let instructions = 0;
  let entry = 0;
  let inEntry = false;
  for (const line of hlo.split("\n")) {
    if (/^ENTRY /.test(line)) inEntry = true;
    else if (line === "}") inEntry = false;
    const m = /^\s+(?:ROOT\s+)?%\S+\s*=\s*(?:\(.*?\)|\S+)\s+([a-z][\w-]*)\(/.exec(line);
    if (!m) continue;
    instructions++;
    if (inEntry) entry++;
    opcodes[m[1]!] = (opcodes[m[1]!] ?? 0) + 1;
  }
  return { instructions, entry, opcodes };
}

interface Inspection {
  ok: boolean;
  exitCode: number;
  entry: {
    entry: string;
    key: string;
    hash: string;
    artifact: string;
    target: string;
    keyParts: { sources: { path: string; sha256: string }[]; options: Record<string, unknown>; signature: { function: string; args: { kind: string }[] } };
    signature: { output: unknown; parameters: { size: number[] }[] };
    module: { instructions: number; computations: number; entryComputation: { instructions: number }; opcodes: Record<string, number> };
    hlo?: string;
  };
}

const inspected = runCli(ws, ["inspect", "predict", "--json", "--hlo", "--svg", "hlo/predict.svg"]);
const plan = runCli(ws, ["plan", "--json"]);
interface Plan {
  entries: { entry: string; from: string[]; key: string | null; run: { target: string } | null }[];
}
const planned = JSON.parse(plan.stdout) as Plan;

test("inspect counts the module's instructions and opcodes as its HLO text has them", () => {
  assert.is(inspected.code, 0, inspected.stderr);
  const r = JSON.parse(inspected.stdout) as Inspection;
  const m = r.entry.module;
  const file = readFileSync(join(ws, r.entry.artifact, "module.hlo.txt"), "utf8");
  assert.is(r.entry.hlo, file, "--hlo gives module.hlo.txt");
  const census = textCensus(file);
  assert.is(m.instructions, census.instructions);
  assert.is(m.entryComputation.instructions, census.entry);
  assert.equal(m.opcodes, census.opcodes);
  assert.ok(m.opcodes.dot === 1 && m.opcodes.tanh === 1 && m.opcodes.reduce === 2, JSON.stringify(m.opcodes));
  assert.is(m.computations, (file.match(/^(?:ENTRY )?%\S+ .*\{$/gm) ?? []).length);
  assert.is(r.entry.hash, sha256(readFileSync(join(ws, r.entry.artifact, "module.hlo.pb"))));
});

test("inspect gives the cache key's parts: the sources reached with their SHA-256, the signature, the target's options, and plan's key", () => {
  const r = JSON.parse(inspected.stdout) as Inspection;
  const k = r.entry.keyParts;
  assert.equal(
    k.sources,
    ["layers.jl", "model.jl"].map((path) => ({ path, sha256: sha256(readFileSync(join(ws, path))) })),
  );
  assert.is(k.signature.function, "predict");
  assert.equal(k.signature.args.map((a) => a.kind), ["runtime", "runtime"]);
  assert.is(k.options.platform, "cpu");
  assert.is(r.entry.target, "wide");
  assert.is(r.entry.key, planned.entries.find((e) => e.entry === "predict")!.key, "plan now finds the key inspect compiled");
  // The first parameter is init's result: its size, W's.
  assert.equal(r.entry.signature.parameters[0]!.size, [4, 3]);
  const text = runCli(ws, ["inspect", "predict"]);
  assert.is(text.code, 0, text.stderr);
  for (const line of [`cache key ${r.entry.key}`, "source      layers.jl", `${r.entry.module.instructions} instructions`]) assert.ok(text.stdout.includes(line), `${line} in:\n${text.stdout}`);
  assert.ok(/predict: predict\(Float32\[4, 3\], Float32\[3, 2\]\) -> Float32\[1, 2\]/.test(text.stdout), text.stdout);
});

test("inspect --svg draws one Graphviz node per instruction, with the operand edges", () => {
  const r = JSON.parse(inspected.stdout) as Inspection;
  const svg = readFileSync(join(ws, "hlo", "predict.svg"), "utf8");
  assert.ok(svg.includes("<svg") && svg.includes("Generated by graphviz"), svg.slice(0, 300));
  assert.is((svg.match(/<g id="node\d+" class="node">/g) ?? []).length, r.entry.module.instructions);
  const operands = (r.entry.hlo!.match(/(?<!to_apply=)%[\w.-]+(?=[,)])/g) ?? []).length;
  const calls = (r.entry.hlo!.match(/to_apply=/g) ?? []).length;
  assert.is((svg.match(/class="edge"/g) ?? []).length, operands + calls);
});

test("inspect: an unknown entry is exit 2 with the nearest names, a compile error exit 3 located in the source, no entry a usage error", () => {
  const unknown = runCli(ws, ["inspect", "predikt"]);
  assert.is(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /no entry named "predikt"[\s\S]*predict/);
  const broken = runCli(ws, ["inspect", "broken", "--json"]);
  assert.is(broken.code, 3, broken.stderr);
  assert.match(broken.stderr, /broken\.jl:2:\d+: error: .*unknwon_scale/);
  const r = JSON.parse(broken.stdout) as { ok: boolean; diagnostics: { location?: string }[]; entry?: unknown };
  assert.is(r.ok, false);
  assert.is(r.entry, undefined);
  assert.match(r.diagnostics[0]!.location ?? "", /^broken\.jl:2:/);
  const none = runCli(ws, ["inspect"]);
  assert.is(none.code, 1);
  assert.match(none.stderr, /name one entry/);
});

/** `"a" -> "b"` edges and the clusters' entries of our DOT. */
function dotGraph(dot: string): { nodes: string[]; edges: string[]; clusters: Record<string, string[]> } {
  const nodes: string[] = [];
  const clusters: Record<string, string[]> = {};
  let cluster: string | undefined;
  for (const line of dot.split("\n")) {
    const label = /^\s+label="target ([^"]*)";/.exec(line);
    if (label) clusters[(cluster = label[1]!)] = [];
    if (/^\s+}$/.test(line)) cluster = undefined;
    const node = /^\s+"([^"]+)" \[label=/.exec(line);
    if (node) {
      nodes.push(node[1]!);
      if (cluster) clusters[cluster]!.push(node[1]!);
    }
  }
  const edges = [...dot.matchAll(/^\s+"([^"]+)" -> "([^"]+)";$/gm)].map((m) => `${m[1]}->${m[2]}`);
  return { nodes, edges, clusters };
}

const planEdges = () => planned.entries.flatMap((e) => e.from.map((d) => `${d}->${e.entry}`)).sort();

test("graph --format dot: a node per planned entry, clustered by the target it runs on, and plan's from edges", () => {
  assert.is(plan.code, 0, plan.stderr);
  const r = runCli(ws, ["graph", "--format", "dot"]);
  assert.is(r.code, 0, r.stderr);
  const g = dotGraph(r.stdout);
  assert.equal(g.nodes.sort(), planned.entries.map((e) => e.entry).sort());
  assert.equal(g.edges.sort(), planEdges());
  assert.equal(g.edges.filter((e) => e === "init->again").length, 1, "an entry taking two results of one entry has one edge from it");
  for (const e of planned.entries) if (e.run) assert.ok(g.clusters[e.run.target]?.includes(e.entry), `${e.entry} in target ${e.run.target}: ${JSON.stringify(g.clusters)}`);
  assert.ok(!Object.values(g.clusters).flat().includes("lonely"), "a compile-only entry is in no target");
  // What the plan says of each entry: predict's module was compiled by inspect, lonely's was not.
  assert.match(r.stdout, /"predict" \[label="predict\\npredict\\ncached, run"/);
  assert.match(r.stdout, /"lonely" \[label="lonely\\ninit\\ncompile"/);
  // With ENTRY names, those and what they take results from.
  const one = dotGraph(runCli(ws, ["graph", "predict"]).stdout);
  assert.equal(one.nodes.sort(), ["init", "predict"]);
  assert.equal(one.edges, ["init->predict"]);
});

test("graph --format mermaid: the same nodes, targets and edges as a Mermaid flowchart", () => {
  const r = runCli(ws, ["graph", "--format", "mermaid"]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith("flowchart LR\n"));
  const names = new Map([...r.stdout.matchAll(/^\s+(e\d+)\["([^"<]+)<br\/>/gm)].map((m) => [m[1]!, m[2]!]));
  assert.equal([...names.values()].sort(), planned.entries.map((e) => e.entry).sort());
  const edges = [...r.stdout.matchAll(/^\s+(e\d+) --> (e\d+)$/gm)].map((m) => `${names.get(m[1]!)}->${names.get(m[2]!)}`);
  assert.equal(edges.sort(), planEdges());
  assert.match(r.stdout, /subgraph t\d+\["target wide"\]\n\s+e\d+\["predict<br\/>/);
});

test("graph --format svg is Graphviz's drawing; an unknown format is a usage error; both commands have their own --help", () => {
  const svg = runCli(ws, ["graph", "--format", "svg"]);
  assert.is(svg.code, 0, svg.stderr);
  const titles = [...svg.stdout.matchAll(/<g id="node\d+" class="node[^"]*">\s*<title>([^<]+)<\/title>/g)].map((m) => m[1]);
  assert.equal(titles.sort(), planned.entries.map((e) => e.entry).sort());
  const png = runCli(ws, ["graph", "--format", "png"]);
  assert.is(png.code, 1);
  assert.match(png.stderr, /--format must be dot, mermaid, svg/);
  for (const command of ["inspect", "graph"]) {
    const help = runCli(ws, [command, "--help"]);
    assert.is(help.code, 0);
    assert.ok(help.stdout.startsWith(`Usage: tpu-build ${command}`), help.stdout);
  }
});

test.run();
