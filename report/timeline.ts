// A build's timeline, folded from its events (the same from an in-process build and the daemon):
// per entry, when its compile and its run happened, relative to the build's start, and the phases of
// a run (run-finished's `phases`: session, load, upload, execute, download, in that order from
// run-started). Events carry their time (`at`, ms) and durations; nothing here reads a clock.

import type { DaemonEvent } from "../build/events.js";

export type SpanKind = "compile" | "run" | "session" | "load" | "upload" | "execute" | "download" | "up to date";

/** Phases of a run, drawn over its span, in the order they happen. */
export const RUN_PHASES = ["session", "load", "upload", "execute", "download"] as const;

export interface Span {
  kind: SpanKind;
  /** Milliseconds from the build's start. */
  startMs: number;
  durationMs: number;
  /** A compile or run that failed. */
  failed?: boolean;
  /** Its result came from a cache (a compile) or the remote cache (a run). */
  cached?: boolean;
}

export class BuildTimeline {
  private startedAt: number | undefined;
  private finishedAt: number | undefined;
  /** Spans by entry, entries in the order they first appear. */
  readonly entries = new Map<string, Span[]>();

  event(e: DaemonEvent): void {
    const at = Date.parse(e.at);
    switch (e.event) {
      case "build-started":
        this.startedAt = at;
        return;
      case "build-finished":
        this.finishedAt = at;
        return;
      case "compile-finished":
      case "compile-failed":
      case "compile-cache-hit":
        return this.span(e.entry, { kind: "compile", at, durationMs: e.durationMs, failed: e.event === "compile-failed", cached: e.event === "compile-cache-hit" });
      case "run-failed":
      case "run-cache-hit":
        return this.span(e.entry, { kind: "run", at, durationMs: e.durationMs, failed: e.event === "run-failed", cached: e.event === "run-cache-hit" });
      case "run-up-to-date":
        return this.span(e.entry, { kind: "up to date", at, durationMs: 0 });
      case "run-finished": {
        this.span(e.entry, { kind: "run", at, durationMs: e.durationMs });
        if (!e.phases) return;
        // The phases are laid out from the start of the run's own bar (run-finished's time less its
        // duration), so they always lie inside it: run-started's time and the run's clock are read at
        // different moments, and laid out from run-started a phase was once drawn outside its bar.
        let start = at - e.durationMs;
        for (const kind of RUN_PHASES) {
          const durationMs = e.phases[kind];
          this.span(e.entry, { kind, at: start + durationMs, durationMs });
          start += durationMs;
        }
        return;
      }
      default:
        return;
    }
  }

  /** The build's length in milliseconds (to its last event when it did not finish); 0 before it started. */
  get totalMs(): number {
    if (this.startedAt === undefined) return 0;
    const ends = [...this.entries.values()].flat().map((s) => s.startMs + s.durationMs);
    return Math.max(this.finishedAt === undefined ? 0 : this.finishedAt - this.startedAt, ...ends);
  }

  /** A span that ended at `at` after `durationMs`; before build-started (no time origin) nothing is kept. */
  private span(entry: string, s: { kind: SpanKind; at: number; durationMs: number; failed?: boolean; cached?: boolean }): void {
    if (this.startedAt === undefined) return;
    const spans = this.entries.get(entry) ?? [];
    this.entries.set(entry, spans);
    // `at` has millisecond resolution and a duration is measured apart from it: never before the start.
    const startMs = Math.max(0, s.at - s.durationMs - this.startedAt);
    spans.push({ kind: s.kind, startMs, durationMs: s.durationMs, ...(s.failed ? { failed: true } : {}), ...(s.cached ? { cached: true } : {}) });
  }
}
