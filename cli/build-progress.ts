// `tpu-build build`'s progress on a terminal: the build's lines scroll as usual, and under them one
// live line per entry being compiled or run (its phase and elapsed time), redrawn in place; the
// build ends with one summary line. Not on a terminal, none of this is drawn (build/ lines only).

import type { DaemonEvent } from "../build/events.js";
import type { BuildReport } from "./build-report.js";
import { BUSY, entryUpdate, type EntryPhase } from "./entry-status.js";
import { phaseStyle, style } from "./style.js";

const CSI = "\x1b[";

export class BuildProgress {
  /** Entries compiling or running, with when this process heard they started. */
  private readonly busy = new Map<string, { phase: EntryPhase; since: number }>();
  /** Live lines on screen now (under the cursor's line). */
  private drawn = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly report: BuildReport,
  ) {
    this.timer = setInterval(() => this.busy.size && this.redraw(), 100);
    this.timer.unref();
  }

  event(e: DaemonEvent): void {
    const changed = entryUpdate(e);
    if (!changed) return;
    const { phase } = changed.update;
    if (phase === undefined) return;
    if (BUSY.has(phase)) this.busy.set(changed.entry, { phase, since: Date.now() });
    else this.busy.delete(changed.entry);
    this.redraw();
  }

  /** A line of the build's own output, printed above the live lines. */
  line(text: string, stream: NodeJS.WritableStream = this.out): void {
    this.clear();
    stream.write(`${text}\n`);
    this.redraw();
  }

  /** The live lines go; the summary line stays. */
  finish(): void {
    clearInterval(this.timer);
    this.clear();
    const f = this.report.finished;
    const summary = this.report.summaryLine();
    this.out.write(`${f && f.failed > 0 ? style.red(summary) : f?.ok ? style.green(summary) : summary}\n`);
  }

  private clear(): void {
    // Up to the first live line (the cursor is at the start of the line under the last one), then erase everything below.
    if (this.drawn) this.out.write(`\r${CSI}${this.drawn}A${CSI}J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const width = Math.max(20, (this.out.columns || 80) - 1);
    const room = Math.max(1, (this.out.rows || 24) - 2);
    const now = Date.now();
    const lines = [...this.busy].map(([name, b]) => `${phaseStyle(b.phase)(b.phase.padEnd(9))} ${name}  ${style.dim(`${((now - b.since) / 1000).toFixed(1)} s`)}`);
    if (lines.length > room) lines.splice(room - 1, lines.length, style.dim(`… and ${lines.length - room + 1} more`));
    for (const l of lines) this.out.write(`${fit(l, width)}${CSI}K\n`);
    this.drawn = lines.length;
  }
}

const ESCAPE = /\x1b\[[0-9;]*m/g;

/** A line cut to `width` visible columns (it must not wrap, or the redraw would miss a row). */
function fit(line: string, width: number): string {
  if (line.replace(ESCAPE, "").length <= width) return line;
  return `${line.replace(ESCAPE, "").slice(0, width - 1)}…`;
}
