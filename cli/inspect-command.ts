// `tpu-build inspect ENTRY` and `tpu-build graph`: what one entry's module is, and the build graph
// as a picture. Both work in this process (an inspect compiles at most what a build would, and
// caches it as a build does); the drawing is Graphviz's (report/graphviz.ts).

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { EXIT } from "../build/events.js";
import { ARTIFACT_FILES } from "../build/cache.js";
import type { BuildPlanReport } from "../build/plan.js";
import { loadEngine } from "./load-engine.js";
import { writeOutputFile } from "./output-file.js";

const say = (line: string) => process.stderr.write(`${line}\n`);

export interface InspectFlags {
  json: boolean;
  hlo: boolean;
  /** Where to draw the HLO graph. */
  svg?: string;
  profile?: string;
}

export async function inspectCommand(config: string, names: string[], flags: InspectFlags): Promise<number> {
  if (names.length !== 1) {
    say(`tpu-build inspect: name one entry (${names.length ? `got ${names.length}: ${names.join(", ")}` : "got none"})`);
    return EXIT.usage;
  }
  const { inspect } = await loadEngine();
  const { renderInspection } = await import("../build/inspect.js");
  const result = await inspect({ config, entry: names[0]!, hlo: flags.hlo, ...(flags.profile !== undefined ? { profile: flags.profile } : {}), error: say });
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!result.entry) return result.exitCode;
  if (!flags.json) process.stdout.write(`${renderInspection(result.entry)}\n`);
  if (flags.svg) {
    const [{ renderSvg }, { hloGraphDot }] = await Promise.all([import("../report/graphviz.js"), import("../report/hlo-graph.js")]);
    const svg = await renderSvg(hloGraphDot(readFileSync(join(resolve(result.entry.artifact), ARTIFACT_FILES.module))));
    if (!writeOutputFile(flags.svg, svg, "the HLO graph")) return EXIT.usage;
  }
  return result.exitCode;
}

export const GRAPH_FORMATS = ["dot", "mermaid", "svg"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** The build graph of a plan, in DOT, Mermaid or SVG, on stdout. */
export async function graphCommand(report: BuildPlanReport, format: GraphFormat): Promise<number> {
  if (!report.ok) return report.exitCode;
  const { buildGraphDot, buildGraphMermaid, graphOfPlan } = await import("../report/build-graph.js");
  const graph = graphOfPlan(report);
  if (format === "mermaid") process.stdout.write(buildGraphMermaid(graph));
  else if (format === "dot") process.stdout.write(buildGraphDot(graph));
  else process.stdout.write(await (await import("../report/graphviz.js")).renderSvg(buildGraphDot(graph)));
  return EXIT.ok;
}
