// The Node API of tpu-build (package.json `exports`, `import { build, watch, loadManifest } from
// "tpu-build"`). The `tpu-build` command is a client of it: an in-process build and an in-process
// watch go through `build` and `watch` below (the CLI loads this module from its pre-built bundle,
// cli/load-engine.ts). Everything here is the engine's own; this file only chooses what is public.

import type { BuildSummary } from "./build/engine.js";
import type { DaemonEvent } from "./build/events.js";
import type { WatchSession, WatchSessionOptions } from "./daemon/watch.js";

/**
 * One build of a manifest, in this process: validate it, compile every entry (or take it from the
 * cache), run the entries that have `run`, write their outputs. Resolves with the summary (its
 * `exitCode` is the CLI's); never throws for a user's mistake: those are diagnostics, reported to
 * `error` and as events to `onEvent`.
 */
export { build } from "./build/engine.js";
export type { BuildHooks, BuildOptions, BuildSummary, EngineOptions, EntryOutcome } from "./build/engine.js";

/**
 * What a build (of `entries`, else every entry) would do, compiling and running nothing: per entry,
 * its sources, `.npy` inputs, output files, cache key, and whether it would compile and run, with
 * the reasons (`tpu-build plan --json` prints this). `depfile` turns it into Make rules.
 */
export { plan } from "./build/engine.js";
export { depfile } from "./build/plan.js";
export type { BuildPlanReport, EntryPlan } from "./build/plan.js";

/**
 * One entry looked at closely, compiling it (and the entries it takes results from) when the cache
 * does not hold it, running nothing: its signature, cache key parts, instruction count and opcode
 * histogram, and with `hlo: true` its HLO text (`tpu-build inspect --json`).
 */
export { inspect } from "./build/engine.js";
export type { EntryInspection, InspectedEntry, KeyPartsView, ModuleCensus } from "./build/inspect.js";

/** The manifest, parsed, validated and resolved into its build graph; or its located diagnostics. */
export { loadManifest, renderManifestDiagnostic } from "./build/manifest.js";
export type { ManifestDiagnostic, ManifestLoadResult, ManifestOptions, ResolvedArg, ResolvedEntry, ResolvedManifest, ResolvedValue } from "./build/manifest.js";

export { EXIT } from "./build/events.js";
export type { BuildEvent, DaemonEvent, EventDiagnostic, ExitCode, WatchEvent } from "./build/events.js";

/** Extension points: a target or compiler plugin (plugins/api.ts), registered in a PluginRegistry. */
export { PluginRegistry } from "./plugins/registry.js";
export type { Plugin, PluginRegistrar } from "./plugins/registry.js";
export { builtinRegistry } from "./plugins/builtin.js";
export type {
  ArgSpec,
  ArtifactRef,
  CompileRequest,
  CompileResult,
  CompilerPlugin,
  DeviceInfo,
  ElementType,
  SettingProblem,
  Signature,
  TargetPlugin,
  TargetSession,
  Tensor,
  TypeTree,
} from "./plugins/api.js";

export interface WatchOptions extends WatchSessionOptions {
  /** Every build event and watcher event, as `tpu-build watch --json` prints them. */
  onEvent?: (event: DaemonEvent) => void;
  /** Human progress lines. */
  log?: (line: string) => void;
  /** Human error reports (diagnostics with source lines and carets). */
  error?: (text: string) => void;
}

/** A running watch: rebuilds what each edit touches until `close()`. */
export interface Watch {
  /** The first build's summary. */
  readonly first: BuildSummary;
  /** The last build that ran to its end. */
  readonly last: BuildSummary | undefined;
  /** Resolves when no build is running or due. */
  settled(): Promise<void>;
  /** Stops watching, waits for a build in flight, closes the runtime servers. */
  close(): Promise<void>;
}

/**
 * Builds, then watches every file the build reached (sources, includes, `.npy` inputs, the
 * manifest) and rebuilds exactly what each change affects, in this process with a warm engine (what
 * `tpu-build watch --no-daemon` does). Resolves after the first build.
 */
export async function watch(options: WatchOptions): Promise<Watch> {
  const { onEvent, log, error, ...sessionOptions } = options;
  // The watcher (chokidar) is loaded only by a watch. Compiled to ESM this is import(); under
  // tsx's CommonJS transform (the tests) and in the CLI's bundle, require.
  type WatchModule = typeof import("./daemon/watch.js");
  const { WatchSession: Session } = typeof require === "function" ? (require("./daemon/watch.js") as WatchModule) : await import("./daemon/watch.js");
  const session: WatchSession = new Session(sessionOptions);
  session.subscribe({ ...(onEvent ? { onEvent } : {}), ...(log ? { log } : {}), ...(error ? { error } : {}) });
  let first: BuildSummary | undefined;
  try {
    first = await session.start({ watch: true });
  } catch (e) {
    await session.close();
    throw e;
  }
  return {
    first: first!,
    get last() {
      return session.last;
    },
    settled: () => session.settled(),
    close: () => session.close(),
  };
}
