// The build graph as a picture (`tpu-build graph`, the report's figure): entries as nodes, grouped
// by the target they run on, `from` edges from the entry whose results are taken, and each entry's
// state (what a plan says it would do, or what a build did). Written as DOT (drawn by Graphviz,
// report/graphviz.ts) or as Mermaid (which GitHub and GitLab draw in Markdown).

import type { BuildPlanReport, EntryPlan } from "../build/plan.js";
import { dotString } from "./graphviz.js";

/** How an entry stands: nothing to do, work to do (or done by this build), failed, or skipped. */
export type EntryTone = "current" | "work" | "failed" | "skipped";

export interface GraphEntry {
  entry: string;
  function: string;
  /** The entries whose results it takes. */
  from: string[];
  /** The target it runs on; null when it only compiles. */
  target: string | null;
  /** Its state in a few words (`cached, up to date`, `compile, run`, `compile failed`). */
  state: string;
  tone: EntryTone;
}

/** The graph a plan describes: what each entry would do. */
export function graphOfPlan(plan: BuildPlanReport): GraphEntry[] {
  return plan.entries.map((e) => ({ entry: e.entry, function: e.function, from: e.from, target: e.run?.target ?? null, state: planState(e), tone: e.compile.status === "hit" && (!e.run || e.run.status === "up-to-date") ? "current" : "work" }));
}

function planState(e: EntryPlan): string {
  const compile = { hit: "cached", miss: "compile", maybe: "compile?" }[e.compile.status];
  const run = !e.run ? undefined : { "up-to-date": "up to date", run: "run", maybe: "run?" }[e.run.status];
  return run ? `${compile}, ${run}` : compile;
}

const FILL: Record<EntryTone, string> = { current: "#e3f1e0", work: "#fdf0d2", failed: "#f8d7d5", skipped: "#e8e8e8" };
const STROKE: Record<EntryTone, string> = { current: "#3b7d33", work: "#9a6a00", failed: "#b3261e", skipped: "#777777" };

/** Entries grouped by target, in the graph's order; compile-only entries under null. */
function byTarget(entries: GraphEntry[]): Map<string | null, GraphEntry[]> {
  const groups = new Map<string | null, GraphEntry[]>();
  for (const e of entries) groups.set(e.target, [...(groups.get(e.target) ?? []), e]);
  return groups;
}

/** `from` edges between entries of the graph, as [from, to] in the graph's order. */
export function graphEdges(entries: GraphEntry[]): [string, string][] {
  const present = new Set(entries.map((e) => e.entry));
  return entries.flatMap((e) => e.from.filter((d) => present.has(d)).map((d): [string, string] => [d, e.entry]));
}

/** The graph in DOT: node names are entry names, each target a cluster. */
export function buildGraphDot(entries: GraphEntry[]): string {
  const lines = ["digraph build {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];', '  edge [color="#555555"];'];
  const node = (e: GraphEntry, indent: string) =>
    `${indent}${dotString(e.entry)} [label=${dotString(`${e.entry}\n${e.function}\n${e.state}`)}, fillcolor=${dotString(FILL[e.tone])}, color=${dotString(STROKE[e.tone])}, class=${dotString(`entry ${e.tone}`)}];`;
  let cluster = 0;
  for (const [target, group] of byTarget(entries)) {
    if (target === null) {
      lines.push(...group.map((e) => node(e, "  ")));
      continue;
    }
    lines.push(`  subgraph cluster_${cluster++} {`, `    label=${dotString(`target ${target}`)}; style="dashed"; color="#8888aa"; fontname="Helvetica"; fontsize=10;`, ...group.map((e) => node(e, "    ")), "  }");
  }
  for (const [from, to] of graphEdges(entries)) lines.push(`  ${dotString(from)} -> ${dotString(to)};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Text inside a Mermaid label: its entity codes for what would end or break the label. */
function mermaidText(text: string): string {
  return text.replace(/#/g, "#35;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

/** The graph in Mermaid (`flowchart LR`): nodes e0, e1, … labelled with the entry's name first. */
export function buildGraphMermaid(entries: GraphEntry[]): string {
  const id = new Map(entries.map((e, k) => [e.entry, `e${k}`]));
  const lines = ["flowchart LR"];
  const node = (e: GraphEntry, indent: string) => `${indent}${id.get(e.entry)}["${mermaidText(e.entry)}<br/>${mermaidText(e.function)}<br/>${mermaidText(e.state)}"]:::${e.tone}`;
  let cluster = 0;
  for (const [target, group] of byTarget(entries)) {
    if (target === null) lines.push(...group.map((e) => node(e, "  ")));
    else lines.push(`  subgraph t${cluster++}["target ${mermaidText(target)}"]`, ...group.map((e) => node(e, "    ")), "  end");
  }
  for (const [from, to] of graphEdges(entries)) lines.push(`  ${id.get(from)} --> ${id.get(to)}`);
  for (const tone of Object.keys(FILL) as EntryTone[]) lines.push(`  classDef ${tone} fill:${FILL[tone]},stroke:${STROKE[tone]}`);
  return `${lines.join("\n")}\n`;
}
