// Build events: one per step, the same for `build --json` (NDJSON on stdout) and the daemon's
// event stream (`tpu-build events`, `watch --json`). Times are milliseconds; `at` is an ISO timestamp.

// The events' shape is schema/events.schema.json's: the types below are derived from the ones
// generated from it (schema/events.ts, `npm run schema:types`), so the schema and what the engine
// emits cannot drift apart. The engine emits events without `schemaVersion`; `eventLine` adds it.

import type { Diagnostic, TpuBuildEvent } from "../schema/events.js";

/** An event as the engine and the watcher emit it: the schema's, without the version `eventLine` adds. */
type Unversioned<T> = T extends unknown ? Omit<T, "schemaVersion"> : never;

export type DaemonEvent = Unversioned<TpuBuildEvent>;

/** What the watcher reports, on the same stream as the build events (`tpu-build events`, `watch --json`). */
export type WatchEvent = Extract<DaemonEvent, { event: "watch-started" | "watch-changed" | "watch-error" }>;

export type BuildEvent = Exclude<DaemonEvent, WatchEvent>;

export type CacheLayerName = "local" | "remote";

/** A diagnostic in an event: code, message, `file:line:col` when known, and the full human rendering. */
export type EventDiagnostic = Diagnostic;

/** Exit codes of `tpu-build`, distinct per failure class so pipelines can tell them apart. */
export const EXIT = {
  ok: 0,
  /** Bad command line or an internal error. */
  usage: 1,
  invalidManifest: 2,
  compileError: 3,
  runError: 4,
  /** The runtime environment is missing or broken (e.g. no Python virtualenv). */
  environment: 5,
  /** Everything ran, but a check of an entry's `expect` failed. */
  expectationFailed: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const now = (): string => new Date().toISOString();

/** The version of schema/events.schema.json the NDJSON lines follow (a change that is not backward compatible increments it). */
export const EVENTS_SCHEMA_VERSION = 1;

/** An event as one NDJSON line (without the newline): its kind first, then the schema version, then the rest. */
export function eventLine(e: DaemonEvent): string {
  const { event, ...rest } = e;
  return JSON.stringify({ event, schemaVersion: EVENTS_SCHEMA_VERSION, ...rest });
}
