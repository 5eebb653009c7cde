// What each build event says about its entry: the one mapping from build/events.ts's events to an
// entry's phase, timings and problems, shared by every view of a build (the watch screen, the build
// progress lines, JUnit, the GitHub step summary).

import type { DaemonEvent, EventDiagnostic } from "../build/events.js";

export type EntryPhase = "waiting" | "compiling" | "compiled" | "cached" | "compile failed" | "running" | "ran" | "up to date" | "run failed" | "expect failed" | "skipped";

export interface EntryStatus {
  name: string;
  phase: EntryPhase;
  /** Where this build's module came from. */
  module?: "compiled" | "cached";
  /** The target it runs on (once its run started or was found up to date). */
  target?: string;
  compileMs?: number;
  runMs?: number;
  /** One line on the entry's state: instructions, the first error, why it was skipped. */
  detail?: string;
  /** A compile failure's diagnostics, or a failed expectation's (located in the manifest). */
  diagnostics?: EventDiagnostic[];
  /** The run's error message. */
  runError?: string;
  /** Checks of `expect` made on this build's run. */
  expectChecks?: number;
}

/** The phases an entry is busy in (a live view shows their elapsed time). */
export const BUSY: ReadonlySet<EntryPhase> = new Set(["compiling", "running"]);

/** The change an event makes to its entry's status, or undefined for an event about no entry. */
export function entryUpdate(e: DaemonEvent): { entry: string; update: Partial<EntryStatus> } | undefined {
  switch (e.event) {
    case "compile-started":
      return { entry: e.entry, update: { phase: "compiling", module: undefined, compileMs: undefined, runMs: undefined, detail: undefined, diagnostics: undefined, runError: undefined, expectChecks: undefined } };
    case "compile-finished":
      return { entry: e.entry, update: { phase: "compiled", module: "compiled", compileMs: e.durationMs, detail: `${e.instructions} instructions` } };
    case "compile-cache-hit":
      return { entry: e.entry, update: { phase: "cached", module: "cached", compileMs: e.durationMs, detail: undefined, diagnostics: undefined, runError: undefined, expectChecks: undefined } };
    case "compile-failed": {
      const first = e.diagnostics[0];
      return { entry: e.entry, update: { phase: "compile failed", compileMs: e.durationMs, runMs: undefined, detail: first ? `${first.location ? `${first.location}: ` : ""}${first.message}` : undefined, diagnostics: e.diagnostics } };
    }
    case "run-started":
      return { entry: e.entry, update: { phase: "running", target: e.target } };
    case "run-finished":
    case "run-cache-hit":
      return { entry: e.entry, update: { phase: "ran", runMs: e.durationMs, target: e.target } };
    case "run-up-to-date":
      return { entry: e.entry, update: { phase: "up to date", target: e.target } };
    case "run-failed":
      return { entry: e.entry, update: { phase: "run failed", runMs: e.durationMs, detail: e.message, runError: e.message, target: e.target } };
    case "expect-passed":
      return { entry: e.entry, update: { expectChecks: e.checks } };
    case "expect-failed": {
      const first = e.failures[0];
      const diagnostics = e.failures.map((f) => ({ code: f.code, message: f.message, location: f.location, rendered: f.rendered }));
      return { entry: e.entry, update: { phase: "expect failed", expectChecks: e.checks, detail: first ? `${first.location ? `${first.location}: ` : ""}${first.message}` : undefined, diagnostics } };
    }
    case "entry-skipped":
      return { entry: e.entry, update: { phase: "skipped", compileMs: undefined, runMs: undefined, detail: e.reason } };
    default:
      return undefined;
  }
}
