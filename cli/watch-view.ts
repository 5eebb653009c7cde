// `tpu-build watch`'s live status: one line per entry (what is compiling or running, what failed
// and where, timings) redrawn in place on a terminal; plain progress lines otherwise.

import type { DaemonEvent, EventDiagnostic } from "../daemon/events.js";

type EntryState = {
  name: string;
  phase: "waiting" | "compiling" | "compiled" | "cached" | "compile failed" | "running" | "ran" | "up to date" | "run failed" | "skipped";
  compileMs?: number;
  runMs?: number;
  detail?: string;
  diagnostics?: EventDiagnostic[];
};

const COLORS: Record<EntryState["phase"], string> = {
  waiting: "2",
  compiling: "33",
  compiled: "32",
  cached: "32",
  "compile failed": "31",
  running: "36",
  ran: "32",
  "up to date": "32",
  "run failed": "31",
  skipped: "2",
};

export class WatchView {
  private readonly entries = new Map<string, EntryState>();
  private manifestErrors: EventDiagnostic[] = [];
  private header = "starting";
  private lastBuild = "";
  private watchNote = "";
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly config: string,
  ) {}

  get live(): boolean {
    return this.out.isTTY === true;
  }

  /** Plain mode prints the engine's progress lines as they come. */
  line(text: string): void {
    if (!this.live) this.out.write(`${text}\n`);
  }

  error(text: string): void {
    if (!this.live) process.stderr.write(`${text}\n`);
  }

  event(e: DaemonEvent): void {
    const entry = (name: string) => {
      let s = this.entries.get(name);
      if (!s) {
        s = { name, phase: "waiting" };
        this.entries.set(name, s);
      }
      return s;
    };
    switch (e.event) {
      case "watch-started":
        this.watchNote = `${e.files} files watched${e.polling ? " (polling)" : ""}`;
        if (!this.live) this.out.write(`watching ${e.files} files${e.polling ? " by polling" : ""}; edit a source to rebuild (Ctrl-C to stop)\n`);
        break;
      case "watch-changed":
        if (!this.live) this.out.write(`changed  ${e.paths.length ? e.paths.join(", ") : "(rescanning)"}\n`);
        break;
      case "watch-error":
        this.watchNote = e.message;
        if (!this.live) process.stderr.write(`tpu-build watch: ${e.message}\n`);
        break;
      case "manifest-invalid":
        this.manifestErrors = e.diagnostics;
        this.header = "manifest invalid: keeping the last good graph";
        if (!this.live) for (const d of e.diagnostics) process.stderr.write(`${d.rendered}\n`);
        break;
      case "build-started": {
        this.manifestErrors = [];
        this.header = "building";
        for (const s of this.entries.values()) s.phase = "waiting";
        break;
      }
      case "compile-started":
        Object.assign(entry(e.entry), { phase: "compiling", detail: undefined, diagnostics: undefined });
        break;
      case "compile-finished":
        Object.assign(entry(e.entry), { phase: "compiled", compileMs: e.durationMs, detail: `${e.instructions} instructions` });
        break;
      case "compile-cache-hit":
        Object.assign(entry(e.entry), { phase: "cached", compileMs: e.durationMs, detail: undefined, diagnostics: undefined });
        break;
      case "compile-failed":
        Object.assign(entry(e.entry), { phase: "compile failed", compileMs: e.durationMs, detail: e.diagnostics[0] ? `${e.diagnostics[0].location ?? ""} ${e.diagnostics[0].message}` : undefined, diagnostics: e.diagnostics });
        break;
      case "run-started":
        Object.assign(entry(e.entry), { phase: "running" });
        break;
      case "run-finished":
        Object.assign(entry(e.entry), { phase: "ran", runMs: e.durationMs });
        break;
      case "run-up-to-date":
        Object.assign(entry(e.entry), { phase: "up to date" });
        break;
      case "run-failed":
        Object.assign(entry(e.entry), { phase: "run failed", runMs: e.durationMs, detail: e.message });
        break;
      case "entry-skipped":
        Object.assign(entry(e.entry), { phase: "skipped", detail: e.reason });
        break;
      case "build-superseded":
        this.header = "superseded by a newer change";
        break;
      case "build-finished": {
        this.header = e.ok ? "up to date" : e.exitCode === 2 ? "manifest invalid: keeping the last good graph" : "failed";
        this.lastBuild = `${e.ok ? "ok" : "failed"} in ${Math.round(e.durationMs)} ms at ${new Date(e.at).toLocaleTimeString()} (compiled ${e.compiled}, cached ${e.cached}, ran ${e.ran}, up to date ${e.upToDate}, failed ${e.failed})`;
        if (!this.live) this.out.write(`build    ${this.lastBuild}\n`);
        break;
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (!this.live || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, 30);
  }

  render(): void {
    if (!this.live) return;
    const width = this.out.columns || 100;
    const lines: string[] = [];
    lines.push(`\x1b[1mtpu-build watch\x1b[0m  ${this.config}  ${this.watchNote}`);
    lines.push(`${this.header}${this.lastBuild ? `  — last build ${this.lastBuild}` : ""}`);
    lines.push("");
    const nameWidth = Math.max(8, ...[...this.entries.keys()].map((n) => n.length));
    for (const s of this.entries.values()) {
      const times = [s.compileMs !== undefined ? `compile ${Math.round(s.compileMs)} ms` : "", s.runMs !== undefined ? `run ${Math.round(s.runMs)} ms` : ""].filter(Boolean).join(", ");
      const text = `${s.name.padEnd(nameWidth)}  \x1b[${COLORS[s.phase]}m${s.phase.padEnd(14)}\x1b[0m  ${times.padEnd(28)} ${s.detail ?? ""}`;
      lines.push(text.length > width + 9 ? text.slice(0, width + 9) : text);
    }
    const errors = [...this.manifestErrors, ...[...this.entries.values()].flatMap((s) => (s.phase === "compile failed" ? (s.diagnostics ?? []) : []))];
    if (errors.length) {
      lines.push("");
      for (const d of errors.slice(0, 5)) lines.push(d.rendered, "");
    }
    this.out.write(`\x1b[H\x1b[2J${lines.join("\n")}\n`);
  }
}
