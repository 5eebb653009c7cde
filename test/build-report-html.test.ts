// `tpu-build build --report FILE.html` (issue 13, Inspecting): the page of a real build (two entries
// run on the real runtime server, one that fails to compile), opened in a real headless browser
// (Debian's chromium, test/support/chromium.ts), and read as it is rendered: the graph's nodes and
// edges as Graphviz laid them out, a timeline bar per entry whose widths follow the build's own
// events, and the failing entry's diagnostic with its caret. The page must load nothing else.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runCli } from "./support/cli.js";
import { chromiumUnavailable, openPage, type LoadedPage } from "./support/chromium.js";
import { testWhenAvailable } from "./support/outputs.js";

const test = suite("build --report");
const ws = mkdtempSync(join(tmpdir(), "tpu-build-html-"));
let page: LoadedPage | undefined;
test.after(async () => {
  await page?.close();
  rmSync(ws, { recursive: true, force: true });
});

const BROKEN_LINE = "broken(x) = sum(x .* unknwon_scale)";
writeFileSync(join(ws, "model.jl"), `init(W) = W .* 0.5f0\npredict(W, x) = tanh.(W * x)\n${BROKEN_LINE}\n`);
const entries = {
  init: { file: "model.jl", function: "init", args: [{ eltype: "Float32", size: [4, 3], value: { random: "normal", seed: 1 } }], run: true },
  predict: { file: "model.jl", function: "predict", args: [{ from: "init" }, { eltype: "Float32", size: [3, 2], value: { fill: 1 } }], run: true },
  broken: { file: "model.jl", function: "broken", args: [{ eltype: "Float32", size: [2] }] },
};
writeFileSync(join(ws, "tpu.config.json"), JSON.stringify({ entries }, null, 2));

const built = runCli(ws, ["build", "--json", "--report", "reports/build.html"]);
const html = existsSync(join(ws, "reports", "build.html")) ? readFileSync(join(ws, "reports", "build.html"), "utf8") : "";
const eventOf = (kind: string, entry?: string) => built.events.find((e) => e.event === kind && (entry === undefined || e.entry === entry)) as Record<string, unknown> | undefined;

test("the build writes its page (exit 3: broken does not compile) with no URL in it", () => {
  assert.is(built.code, 3, built.stderr);
  assert.ok(html.startsWith("<!DOCTYPE html>"), html.slice(0, 200));
  assert.not.match(html, /(?:https?:|\/\/[a-z])/i, "a self-contained page names no URL");
  assert.not.match(html, /<script|<link|<img|<iframe/i);
});

interface Rendered {
  nodes: { title: string; text: string[]; box: Box }[];
  edges: { title: string; box: Box }[];
  clusters: { text: string; box: Box }[];
  tracks: { entry: string; box: Box; spans: { phase: string; ms: number; classes: string; box: Box }[] }[];
  diagnostics: { entry?: string; kind?: string; location?: string; text: string }[];
}
interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

const READ_PAGE = `(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, top: r.top, width: r.width, height: r.height }; };
  const svg = document.querySelector("#build-graph svg");
  return {
    nodes: [...svg.querySelectorAll("g.node")].map((g) => ({ title: g.querySelector("title").textContent, text: [...g.querySelectorAll("text")].map((t) => t.textContent), box: box(g) })),
    edges: [...svg.querySelectorAll("g.edge")].map((g) => ({ title: g.querySelector("title").textContent, box: box(g) })),
    clusters: [...svg.querySelectorAll("g.cluster")].map((g) => ({ text: [...g.querySelectorAll("text")].map((t) => t.textContent).join(" "), box: box(g) })),
    tracks: [...document.querySelectorAll("#timeline .track")].map((t) => ({ entry: t.dataset.entry, box: box(t), spans: [...t.querySelectorAll(".span")].map((s) => ({ phase: s.dataset.phase, ms: Number(s.dataset.ms), classes: s.className, box: box(s) })) })),
    diagnostics: [...document.querySelectorAll("#diagnostics .diagnostic")].map((d) => ({ entry: d.dataset.entry, kind: d.dataset.kind, location: d.dataset.location, text: d.querySelector("pre").innerText })),
  };
})()`;

const withBrowser = testWhenAvailable(test, chromiumUnavailable());
let rendered: Rendered | undefined;
async function read(): Promise<Rendered> {
  if (!rendered) {
    page = await openPage(pathToFileURL(join(ws, "reports", "build.html")).href);
    rendered = await page.evaluate<Rendered>(READ_PAGE);
  }
  return rendered;
}

withBrowser("chromium draws a node per entry (labelled with its name) and an edge per `from`, runs grouped under their target", async () => {
  const r = await read();
  assert.equal(r.nodes.map((n) => n.title).sort(), Object.keys(entries).sort());
  for (const n of r.nodes) {
    assert.is(n.text[0], n.title, "the first line of a node's label is the entry's name");
    assert.ok(n.box.width > 10 && n.box.height > 10, `${n.title} is drawn: ${JSON.stringify(n.box)}`);
  }
  const fromEdges = Object.entries(entries).flatMap(([name, e]) => e.args.flatMap((a) => ("from" in a ? [`${a.from}->${name}`] : [])));
  assert.equal(r.edges.map((e) => e.title), fromEdges);
  assert.ok(r.edges.every((e) => e.box.width > 0), "edges are drawn");
  assert.match(r.nodes.find((n) => n.title === "broken")!.text.join(" "), /compile failed/);
  assert.match(r.nodes.find((n) => n.title === "predict")!.text.join(" "), /ran/);
  const local = r.clusters.find((c) => c.text === "target local");
  assert.ok(local, JSON.stringify(r.clusters));
  const inside = (b: Box, outer: Box) => b.left >= outer.left && b.top >= outer.top && b.left + b.width <= outer.left + outer.width && b.top + b.height <= outer.top + outer.height;
  for (const name of ["init", "predict"]) assert.ok(inside(r.nodes.find((n) => n.title === name)!.box, local!.box), `${name} is drawn inside target local`);
  assert.not.ok(inside(r.nodes.find((n) => n.title === "broken")!.box, local!.box), "broken ran nowhere");
});

withBrowser("a timeline bar per entry: compile, and the run with its session, load, upload, execute and download, sized as the events say", async () => {
  const r = await read();
  assert.equal(r.tracks.map((t) => t.entry).sort(), Object.keys(entries).sort());
  const started = Date.parse(eventOf("build-started")!.at as string);
  const total = Date.parse(eventOf("build-finished")!.at as string) - started;
  for (const name of ["init", "predict"]) {
    const track = r.tracks.find((t) => t.entry === name)!;
    const phases = track.spans.map((s) => s.phase);
    assert.equal(phases, ["compile", "run", "session", "load", "upload", "execute", "download"], name);
    const finished = eventOf("run-finished", name)!;
    const run = track.spans.find((s) => s.phase === "run")!;
    assert.is(run.ms, finished.durationMs);
    // Rendered to scale: the run's share of the bar is its share of the build (to a pixel or two).
    assert.ok(Math.abs(run.box.width - (track.box.width * (finished.durationMs as number)) / total) <= 2, `${name}: ${run.box.width} px of ${track.box.width} for ${finished.durationMs} of ${total} ms`);
    const runEnd = Date.parse(finished.at as string) - started;
    assert.ok(Math.abs(run.box.left + run.box.width - (track.box.left + (track.box.width * runEnd) / total)) <= 2, `${name}'s run ends where run-finished says`);
    // The phases follow each other, inside the run.
    const inRun = track.spans.filter((s) => !["compile", "run"].includes(s.phase));
    for (let k = 1; k < inRun.length; k++) assert.ok(inRun[k]!.box.left >= inRun[k - 1]!.box.left - 0.5, `${inRun[k]!.phase} after ${inRun[k - 1]!.phase}`);
    assert.ok(inRun.every((s) => s.box.left >= run.box.left - 1 && s.box.left <= run.box.left + run.box.width + 1));
    assert.ok(track.spans.every((s) => s.box.width >= 1), "even a short phase is visible");
  }
  const broken = r.tracks.find((t) => t.entry === "broken")!;
  assert.equal(broken.spans.map((s) => s.phase), ["compile"]);
  assert.match(broken.spans[0]!.classes, /\bfailed\b/);
});

withBrowser("the failing entry's diagnostic: located, with its source line and the caret under the unknown name; nothing but the page was loaded", async () => {
  const r = await read();
  assert.is(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
  const d = r.diagnostics[0]!;
  const col = BROKEN_LINE.indexOf("unknwon_scale") + 1;
  assert.is(d.entry, "broken");
  assert.is(d.kind, "compile");
  assert.is(d.location, `model.jl:3:${col}`);
  const lines = d.text.split("\n");
  const source = lines.findIndex((l) => l.endsWith(BROKEN_LINE));
  assert.ok(source >= 0, d.text);
  const caret = lines[source + 1]!;
  assert.is(caret.indexOf("^"), lines[source]!.indexOf(BROKEN_LINE) + col - 1, `the caret is under the name:\n${d.text}`);
  assert.equal(page!.requests, [pathToFileURL(join(ws, "reports", "build.html")).href]);
});

test("an invalid manifest still gets a page: no graph, and its errors", () => {
  writeFileSync(join(ws, "bad.json"), `{ "entries": { "x": { "file": "model.jl", "function": "init", "args": [ { "eltype": "Float33", "size": [2] } ] } } }`);
  const bad = runCli(ws, ["build", "--config", "bad.json", "--report", "reports/bad.html"]);
  assert.is(bad.code, 2, bad.stderr);
  const text = readFileSync(join(ws, "reports", "bad.html"), "utf8");
  assert.match(text, /The manifest is invalid: there is no build graph\./);
  assert.match(text, /data-kind="manifest" data-location="bad\.json:1:\d+"/);
  assert.match(text, /Float33/);
});

test.run();
