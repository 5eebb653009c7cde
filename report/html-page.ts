// One build as a self-contained HTML page (`tpu-build build --report FILE.html`): the build graph as
// Graphviz drew it, a timeline bar per entry (its compile, and its run with the run's phases), and
// every diagnostic with its source line and caret. Everything is inline (styles, the SVG): the page
// names no URL and loads nothing, so it can be kept as a CI artifact and opened anywhere.

import { inlineSvg } from "./graphviz.js";
import { xml } from "./markup.js";
import type { Span, SpanKind } from "./timeline.js";

export interface PageDiagnostic {
  /** The entry it belongs to (none: the manifest's). */
  entry?: string;
  kind: "manifest" | "compile" | "run" | "expectation";
  code?: string;
  /** `file:line:col`. */
  location?: string;
  message: string;
  /** As a terminal shows it: the source line, the caret, notes, the call chain. */
  rendered: string;
}

export interface ReportPage {
  /** The manifest, as the build's messages name it. */
  config: string;
  /** The closing summary line (`3 entries: 1 compiled, …`). */
  summary: string;
  exitCode?: number;
  startedAt: string;
  /** The build graph as Graphviz drew it; undefined with a note when there is none (an invalid manifest). */
  graphSvg?: string;
  graphNote?: string;
  timeline: { totalMs: number; rows: { entry: string; spans: Span[] }[] };
  diagnostics: PageDiagnostic[];
}

const COLOURS: Record<SpanKind, string> = {
  compile: "#6b8fd6",
  run: "#d9d2ec",
  session: "#b9b9b9",
  load: "#9d7cd8",
  upload: "#e0a040",
  execute: "#4aa36b",
  download: "#d2691e",
  "up to date": "#3b7d33",
};

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #1d1d1f; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
.meta { color: #555; margin: 0; } .summary { font-weight: 600; margin: 6px 0; }
.exit-0 { color: #3b7d33; } .exit-fail { color: #b3261e; }
#build-graph svg { max-width: 100%; height: auto; }
.timeline { display: grid; grid-template-columns: max-content 1fr max-content; gap: 6px 12px; align-items: center; }
.timeline .label { font-family: ui-monospace, Menlo, Consolas, monospace; }
.timeline .track { position: relative; height: 18px; background: #f4f4f6; border-radius: 3px; }
.timeline .span { position: absolute; top: 2px; height: 14px; min-width: 2px; border-radius: 2px; }
.timeline .span.run, .timeline .span.compile { top: 0; height: 18px; }
.timeline .span.failed { outline: 2px solid #b3261e; }
.timeline .span.cached { opacity: 0.55; }
.timeline .span.up-to-date { width: 3px; }
.timeline .times { color: #555; font-size: 12px; }
.axis { display: flex; justify-content: space-between; color: #777; font-size: 12px; grid-column: 2; }
.legend { margin: 10px 0 0; font-size: 12px; color: #444; } .legend i { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: -2px; border-radius: 2px; }
.diagnostic { margin: 12px 0; } .diagnostic h3 { font-size: 14px; margin: 0 0 4px; }
.diagnostic pre { background: #fbf3f2; border-left: 3px solid #b3261e; padding: 8px 12px; overflow-x: auto; margin: 0; font: 13px/1.4 ui-monospace, Menlo, Consolas, monospace; }
.none { color: #555; }
`;

const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`);
const pct = (n: number) => `${(Math.round(n * 10000) / 100).toFixed(2)}%`;

function timelineHtml(t: ReportPage["timeline"]): string {
  if (!t.rows.length) return `<p class="none">Nothing was compiled or run.</p>`;
  const total = Math.max(t.totalMs, 1);
  const rows = t.rows.map(({ entry, spans }) => {
    const bars = spans.map((s) => {
      const cls = ["span", s.kind.replace(/ /g, "-"), ...(s.failed ? ["failed"] : []), ...(s.cached ? ["cached"] : [])].join(" ");
      const what = `${s.kind}${s.failed ? " (failed)" : ""}${s.cached ? " (cached)" : ""}: ${ms(s.durationMs)}, from ${ms(s.startMs)}`;
      return `<div class="${cls}" data-phase="${xml(s.kind)}" data-ms="${s.durationMs}" style="left:${pct(s.startMs / total)};width:${pct(s.durationMs / total)};background:${COLOURS[s.kind]}" title="${xml(what)}"></div>`;
    });
    const times = spans.filter((s) => s.kind === "compile" || s.kind === "run").map((s) => `${s.kind} ${ms(s.durationMs)}`);
    if (spans.some((s) => s.kind === "up to date")) times.push("run up to date");
    return `<div class="label">${xml(entry, false)}</div><div class="track" data-entry="${xml(entry)}">${bars.join("")}</div><div class="times">${xml(times.join(" · "), false)}</div>`;
  });
  const legend = (Object.keys(COLOURS) as SpanKind[]).map((k) => `<i style="background:${COLOURS[k]}"></i>${xml(k, false)}`).join("");
  return `<div class="timeline">${rows.join("\n")}<div class="axis"><span>0</span><span>${ms(total)}</span></div></div><p class="legend">${legend}</p>`;
}

function diagnosticsHtml(ds: PageDiagnostic[]): string {
  if (!ds.length) return `<p class="none">No diagnostics.</p>`;
  return ds
    .map((d) => {
      const head = `${d.entry ? `${d.entry}: ` : ""}${d.kind} error${d.code ? ` (${d.code})` : ""}`;
      return `<article class="diagnostic" data-kind="${xml(d.kind)}"${d.entry ? ` data-entry="${xml(d.entry)}"` : ""}${d.location ? ` data-location="${xml(d.location)}"` : ""}><h3>${xml(head, false)}</h3><pre>${xml(d.rendered, false)}</pre></article>`;
    })
    .join("\n");
}

export function reportHtml(page: ReportPage): string {
  const ok = page.exitCode === 0;
  const graph = page.graphSvg ? inlineSvg(page.graphSvg) : `<p class="none">${xml(page.graphNote ?? "No build graph.", false)}</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tpu-build: ${xml(page.config, false)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>tpu-build ${xml(page.config, false)}</h1>
<p class="meta">started ${xml(page.startedAt, false)}${page.exitCode === undefined ? "" : ` · <span class="${ok ? "exit-0" : "exit-fail"}">exit ${page.exitCode}</span>`}</p>
<p class="summary">${xml(page.summary, false)}</p>
</header>
<section id="build-graph">
<h2>Build graph</h2>
${graph}
</section>
<section id="timeline">
<h2>Timeline</h2>
${timelineHtml(page.timeline)}
</section>
<section id="diagnostics">
<h2>Diagnostics (${page.diagnostics.length})</h2>
${diagnosticsHtml(page.diagnostics)}
</section>
</body>
</html>
`;
}
