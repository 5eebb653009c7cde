// Build events: one per step, the same for `build --json` (NDJSON on stdout) and the daemon's
// event stream (`tpu-build events`, `watch --json`). Times are milliseconds; `at` is an ISO timestamp.

import type { ExpectFailure } from "./expect.js";

export type BuildEvent =
  | { event: "build-started"; at: string; config: string; entries: number }
  | { event: "manifest-invalid"; at: string; diagnostics: EventDiagnostic[] }
  | { event: "compile-started"; at: string; entry: string; key: string }
  /** `layer`: which cache answered; `bytes`: what the remote cache moved (absent for the local one). */
  | { event: "compile-cache-hit"; at: string; entry: string; key: string; hash: string; durationMs: number; layer: CacheLayerName; bytes?: number }
  | { event: "compile-finished"; at: string; entry: string; key: string; hash: string; durationMs: number; instructions: number; computations: number }
  | { event: "compile-failed"; at: string; entry: string; key: string; durationMs: number; diagnostics: EventDiagnostic[] }
  | { event: "run-started"; at: string; entry: string; target: string; hash: string }
  | { event: "run-finished"; at: string; entry: string; target: string; hash: string; durationMs: number; outputs: string[] }
  | { event: "run-failed"; at: string; entry: string; target: string; durationMs: number; message: string }
  /** A run whose module, target, settings and input contents are unchanged since the last run (in this engine or recorded on disk) and whose output files still hold what it wrote: they stand, untouched. */
  | { event: "run-up-to-date"; at: string; entry: string; target: string; hash: string; outputs: string[] }
  /** A run with `"cache": "remote"` whose results the remote cache held: written out, not run. */
  | { event: "run-cache-hit"; at: string; entry: string; target: string; hash: string; durationMs: number; outputs: string[]; layer: "remote"; bytes: number }
  /** The remote cache could not be used, or refused an entry (corrupt, unsigned); the build goes on. */
  | { event: "remote-cache-warning"; at: string; message: string }
  /** An entry uploaded to the remote cache (in the background, possibly after build-finished, unless --wait-uploads). */
  /**
   * With a remote cache: how a run's executable was obtained (`remote`: fetched and deserialized,
   * not compiled by XLA), and how many modules the target's runtime has compiled with XLA so far.
   */
  | { event: "executable-loaded"; at: string; entry: string; target: string; hash: string; source: "compiled" | "memory" | "disk" | "remote"; digest?: string; bytes?: number; xlaCompilations?: number }
  | { event: "remote-upload-finished"; at: string; kind: "artifact" | "executable" | "run"; entry: string; key: string; bytes: number; blobs: number; durationMs: number }
  /** Every check of the entry's `expect` held. */
  | { event: "expect-passed"; at: string; entry: string; checks: number }
  /** A check of the entry's `expect` failed: each failure located at its expectation in the manifest. */
  | { event: "expect-failed"; at: string; entry: string; checks: number; failures: (ExpectFailure & Pick<EventDiagnostic, "location" | "rendered">)[] }
  | { event: "entry-skipped"; at: string; entry: string; reason: string }
  /** The local caches exceeded their size cap (`cache.maxSize`, TPU_BUILD_CACHE_MAX): the least recently used entries were removed. */
  | { event: "cache-evicted"; at: string; entries: number; freedBytes: number; keptBytes: number; maxBytes: number }
  /** A newer change arrived while this (watch) build ran; the next build starts at once. */
  | { event: "build-superseded"; at: string; durationMs: number }
  | { event: "build-finished"; at: string; ok: boolean; exitCode: number; durationMs: number; compiled: number; cached: number; ran: number; upToDate: number; failed: number };

/** What the watcher reports, on the same stream as the build events (`tpu-build events`, `watch --json`). */
export type WatchEvent =
  | { event: "watch-started"; at: string; config: string; files: number; polling: boolean }
  /** Paths whose events started a build (hints: the build decides by content hashes). */
  | { event: "watch-changed"; at: string; paths: string[] }
  /** The watcher failed; everything is invalidated and rewatched (polling after ENOSPC). */
  | { event: "watch-error"; at: string; message: string; fix?: string; polling: boolean };

export type CacheLayerName = "local" | "remote";

export type DaemonEvent = BuildEvent | WatchEvent;

export interface EventDiagnostic {
  code: string;
  message: string;
  /** `file:line:col` when known. */
  location?: string;
  /** The full human rendering (source line, caret, notes, call chain). */
  rendered: string;
}

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
