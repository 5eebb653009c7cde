// One build as reporting sees it, folded from its events (the same from an in-process build and from
// the daemon), and what CI systems read from it: JUnit XML (--junit), GitHub Actions' annotations
// and step summary (GITHUB_ACTIONS=true), and the closing summary line of a terminal.

import { isAbsolute, relative, resolve } from "node:path";
import { displayPath } from "../build/display-path.js";
import type { DaemonEvent, EventDiagnostic } from "../build/events.js";
import { entryUpdate, type EntryStatus } from "./entry-status.js";
import { xml } from "../report/markup.js";
import type { ResolvedManifest } from "../build/manifest.js";
import type { EntryTone, GraphEntry } from "../report/build-graph.js";
import type { PageDiagnostic } from "../report/html-page.js";
import { BuildTimeline } from "../report/timeline.js";

type Finished = Extract<DaemonEvent, { event: "build-finished" }>;

export class BuildReport {
  readonly entries = new Map<string, EntryStatus>();
  manifestErrors: EventDiagnostic[] = [];
  /** Entries this build selected (from build-started): ENTRY arguments and what they take results from, or all. */
  selected: number | undefined;
  finished: Finished | undefined;
  readonly startedAt = new Date();
  /** When each entry compiled and ran, for the HTML page. */
  readonly timeline = new BuildTimeline();

  constructor(readonly config: string) {}

  event(e: DaemonEvent): void {
    this.timeline.event(e);
    if (e.event === "build-started") this.selected = e.entries;
    else if (e.event === "manifest-invalid") this.manifestErrors = [...this.manifestErrors, ...e.diagnostics];
    else if (e.event === "build-finished") this.finished = e;
    const changed = entryUpdate(e);
    if (!changed) return;
    let s = this.entries.get(changed.entry);
    if (!s) this.entries.set(changed.entry, (s = { name: changed.entry, phase: "waiting" }));
    Object.assign(s, changed.update);
  }

  /** `19 entries: 3 compiled, 16 cached, 5 ran, 11 up to date, 0 failed in 2.1 s` */
  summaryLine(): string {
    const f = this.finished;
    if (!f) return "the build did not finish";
    const n = this.selected ?? this.entries.size;
    const head = this.manifestErrors.length && this.selected === undefined ? `manifest invalid: ${plural(this.manifestErrors.length, "error")}` : `${plural(n, "entry", "entries")}`;
    return `${head}: ${f.compiled} compiled, ${f.cached} cached, ${f.ran} ran, ${f.upToDate} up to date, ${f.failed} failed in ${(f.durationMs / 1000).toFixed(1)} s`;
  }

  // ---- JUnit XML ------------------------------------------------------------------------------

  /**
   * JUnit XML as Jenkins' junit step and GitLab's `artifacts:reports:junit` read it: <testsuites>
   * holding one <testsuite> (the manifest) with one <testcase> per entry (its compile, run and
   * expectations; `time` in seconds), a <failure> with the located message for a failed one, and
   * <skipped> for an entry that could not be built. An invalid manifest is one failed test case.
   */
  junit(): string {
    const suite = displayPath(this.config);
    const cases: string[] = [];
    let failures = 0;
    let skipped = 0;
    if (this.manifestErrors.length) {
      failures++;
      const first = this.manifestErrors[0]!;
      cases.push(testcase("manifest", suite, suite, 0, failure("manifest error", located(first), this.manifestErrors.map((d) => d.rendered).join("\n\n"))));
    }
    for (const s of this.entries.values()) {
      const seconds = ((s.compileMs ?? 0) + (s.runMs ?? 0)) / 1000;
      let body = "";
      if (s.phase === "compile failed" || s.phase === "expect failed") {
        const type = s.phase === "compile failed" ? "compile error" : "expectation failed";
        const ds = s.diagnostics ?? [];
        body = failure(type, ds[0] ? located(ds[0]) : s.phase, ds.map((d) => d.rendered).join("\n\n"));
      } else if (s.phase === "run failed") {
        body = failure("run error", s.runError ?? "the run failed", s.runError ?? "");
      } else if (s.phase === "skipped") {
        body = `<skipped message="${xml(s.detail ?? "skipped")}"/>`;
      } else {
        body = `<system-out>${xml(passedText(s), false)}</system-out>`;
      }
      if (body.startsWith("<failure")) failures++;
      if (body.startsWith("<skipped")) skipped++;
      cases.push(testcase(s.name, suite, suite, seconds, body));
    }
    const total = this.finished ? this.finished.durationMs / 1000 : 0;
    const counts = `tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${total.toFixed(3)}"`;
    return [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<testsuites name="tpu-build" ${counts}>`,
      `  <testsuite name="${xml(suite)}" ${counts} timestamp="${this.startedAt.toISOString().slice(0, 19)}">`,
      ...cases.map((c) => `    ${c}`),
      `  </testsuite>`,
      `</testsuites>`,
      ``,
    ].join("\n");
  }

  // ---- HTML --------------------------------------------------------------------------------

  /**
   * The build as one self-contained HTML page (--report): the graph of its entries as Graphviz draws
   * it (their `from` edges from `manifest`; none without one), the timeline, every diagnostic.
   */
  async html(manifest: ResolvedManifest | undefined): Promise<string> {
    const [{ reportHtml }, { buildGraphDot }, { renderSvg }] = await Promise.all([import("../report/html-page.js"), import("../report/build-graph.js"), import("../report/graphviz.js")]);
    const graph = manifest ? this.graph(manifest) : [];
    return reportHtml({
      config: displayPath(this.config),
      summary: this.summaryLine(),
      ...(this.finished ? { exitCode: this.finished.exitCode } : {}),
      startedAt: this.startedAt.toISOString(),
      ...(graph.length ? { graphSvg: await renderSvg(buildGraphDot(graph)) } : { graphNote: manifest ? "No entry was built." : "The manifest is invalid: there is no build graph." }),
      timeline: { totalMs: this.timeline.totalMs, rows: [...this.timeline.entries].map(([entry, spans]) => ({ entry, spans })) },
      diagnostics: this.diagnostics(),
    });
  }

  /** The entries this build saw, as the build graph shows them: what happened to each. */
  private graph(manifest: ResolvedManifest): GraphEntry[] {
    return manifest.order.flatMap((name) => {
      const s = this.entries.get(name);
      const entry = manifest.entries[name]!;
      return s ? [{ entry: name, function: entry.function, from: entry.dependencies, target: s.target ?? null, ...buildState(s) }] : [];
    });
  }

  /** Every problem of the build, the manifest's first, then each entry's in the order the entries were built. */
  private diagnostics(): PageDiagnostic[] {
    const out: PageDiagnostic[] = this.manifestErrors.map((d) => ({ kind: "manifest", ...d }));
    for (const s of this.entries.values()) {
      if (s.phase === "compile failed" || s.phase === "expect failed") out.push(...(s.diagnostics ?? []).map((d): PageDiagnostic => ({ entry: s.name, kind: s.phase === "compile failed" ? "compile" : "expectation", ...d })));
      else if (s.phase === "run failed") out.push({ entry: s.name, kind: "run", message: s.runError ?? "", rendered: `error: running ${s.name}${s.target ? ` on ${s.target}` : ""} failed: ${s.runError ?? ""}` });
    }
    return out;
  }

  // ---- GitHub Actions -------------------------------------------------------------------------

  /**
   * `::error file=…,line=…,col=…,title=…::message` for every located manifest, compile and
   * expectation error, the path relative to the repository's root (GITHUB_WORKSPACE), as GitHub
   * needs it to annotate the file in a pull request.
   */
  githubAnnotations(root = process.env.GITHUB_WORKSPACE ?? process.cwd()): string[] {
    const out: string[] = [];
    const all = [...this.manifestErrors, ...[...this.entries.values()].flatMap((s) => (s.phase === "compile failed" || s.phase === "expect failed" ? (s.diagnostics ?? []) : []))];
    for (const d of all) {
      const at = d.location === undefined ? undefined : /^(.*):(\d+):(\d+)$/.exec(d.location);
      const props = at ? [`file=${escapeProperty(repositoryPath(at[1]!, root))}`, `line=${at[2]}`, `col=${at[3]}`] : [];
      props.push(`title=${escapeProperty(`tpu-build: ${d.code}`)}`);
      out.push(`::error ${props.join(",")}::${escapeData(d.message)}`);
    }
    for (const s of this.entries.values()) if (s.phase === "run failed") out.push(`::error title=${escapeProperty(`tpu-build: ${s.name} failed to run`)}::${escapeData(s.runError ?? "")}`);
    return out;
  }

  /** A Markdown table of the entries (for $GITHUB_STEP_SUMMARY), under the summary line. */
  markdownSummary(): string {
    const rows = [...this.entries.values()].map((s) => {
      const compile = s.phase === "compile failed" ? "❌ failed" : s.phase === "skipped" ? "skipped" : s.compileMs === undefined ? "" : `${cacheWord(s)} ${ms(s.compileMs)}`;
      const run = s.phase === "run failed" ? "❌ failed" : s.phase === "up to date" ? "up to date" : s.runMs !== undefined ? `ran ${ms(s.runMs)}` : "";
      const expect = s.phase === "expect failed" ? `❌ ${(s.diagnostics ?? []).length} of ${s.expectChecks ?? "?"} failed` : s.expectChecks !== undefined ? `✅ ${s.expectChecks} passed` : "";
      const problem = ["compile failed", "run failed", "expect failed", "skipped"].includes(s.phase) ? (s.detail ?? "").split("\n")[0]! : "";
      return `| ${cell(s.name)} | ${compile} | ${run} | ${expect} | ${cell(problem)} |`;
    });
    const lines = [`### tpu-build ${displayPath(this.config)}`, "", this.summaryLine(), ""];
    if (this.manifestErrors.length) lines.push(...this.manifestErrors.map((d) => `- ❌ ${cell(located(d))}`), "");
    if (rows.length) lines.push("| entry | compile | run | expect | problem |", "|---|---|---|---|---|", ...rows, "");
    return lines.join("\n");
  }
}

/** What a build did with an entry, in the build graph's words and tone. */
function buildState(s: EntryStatus): { state: string; tone: EntryTone } {
  const module = s.module ?? "compiled";
  switch (s.phase) {
    case "compile failed":
      return { state: "compile failed", tone: "failed" };
    case "skipped":
      return { state: "skipped", tone: "skipped" };
    case "run failed":
    case "expect failed":
      return { state: `${module}, ${s.phase}`, tone: "failed" };
    case "ran":
      return { state: `${module}, ran`, tone: "work" };
    case "up to date":
      return { state: `${module}, up to date`, tone: s.module === "cached" ? "current" : "work" };
    default:
      return { state: s.phase, tone: s.phase === "cached" ? "current" : "work" };
  }
}

function repositoryPath(path: string, root: string): string {
  const rel = relative(root, resolve(path));
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split("\\").join("/") : resolve(path);
}

const located = (d: EventDiagnostic) => (d.location ? `${d.location}: ${d.message}` : d.message);

function passedText(s: EntryStatus): string {
  const parts: string[] = [cacheWord(s)];
  if (s.detail) parts.push(s.detail);
  if (s.phase === "ran" || s.phase === "up to date") parts.push(s.phase === "ran" ? `ran in ${ms(s.runMs ?? 0)}` : "run up to date");
  if (s.expectChecks !== undefined) parts.push(`${plural(s.expectChecks, "expectation")} held`);
  return parts.join("; ");
}

const cacheWord = (s: EntryStatus) => s.module ?? "compiled";

function testcase(name: string, classname: string, file: string, seconds: number, body: string): string {
  return `<testcase name="${xml(name)}" classname="${xml(classname)}" file="${xml(file)}" time="${seconds.toFixed(3)}">${body}</testcase>`;
}

function failure(type: string, message: string, text: string): string {
  return `<failure type="${xml(type)}" message="${xml(message.split("\n")[0]!)}">${xml(text, false)}</failure>`;
}

/** A workflow command's message: GitHub decodes %25, %0D and %0A (a message can span lines). */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** A workflow command's property value: as its message, and ':' and ',' that would end it. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);
const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;
