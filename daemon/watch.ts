// A watch session: one BuildEngine kept warm, a SourceWatcher on every file it reaches, and the
// listeners (terminals, `tpu-build events`) that see its events. The daemon holds one per
// manifest and output directory, all of a manifest's sharing one engine (and so its runtime
// servers); `tpu-build watch` without a daemon runs one in-process.
//
// A batch of file events marks the session dirty and aborts a watch build in flight (it stops at
// its next step; what it finished is kept); the loop then builds again until nothing is dirty.
// After each build the watched set becomes what the engine now reaches, so it follows edits to
// `include`s and to the manifest. Watch builds are tiered (build/engine.ts, `tiered`): a changed
// module runs first with a fast-compiled executable; once the optimized ones are compiled, and
// unless another change came first, one more build reruns those entries with them and replaces
// their outputs. Every write happens in a build of the loop, so a build for an older edit can
// never write after a newer edit's build. An invalid manifest keeps the last good graph (and its watched
// set) and widens the watcher to any event in those directories until the manifest is fixed.

import { BuildEngine, type BuildHooks, type BuildSummary, type EngineOptions } from "../build/engine.js";
import type { BuildEvent, DaemonEvent } from "../build/events.js";
import { EXIT, now } from "../build/events.js";
import { displayPath, withDisplayBase } from "../build/display-path.js";
import { SourceWatcher } from "./watcher.js";
import { compilerWarmUp } from "./warm-up.js";

export interface WatchSessionOptions extends EngineOptions {
  /** The entries this session keeps built (with those whose results they take); default: all. */
  entries?: string[];
  /**
   * An engine of the same manifest shared with other sessions (the daemon's, one per manifest, so
   * that sessions writing to different output directories share runtime servers); its owner closes
   * it. Default: an engine of this session's own.
   */
  engine?: BuildEngine;
  polling?: boolean;
  quietMs?: number;
  maxWaitMs?: number;
  /** The directory paths in events and messages are relative to (default: the process's); `cwd` may change it later. */
  cwd?: string;
}

export interface WatchListener {
  onEvent?: (event: DaemonEvent) => void;
  log?: (line: string) => void;
  error?: (text: string) => void;
}

export class WatchSession {
  readonly engine: BuildEngine;
  private readonly watcher: SourceWatcher;
  private readonly listeners = new Set<WatchListener>();
  private dirty = false;
  private running: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private closed = false;
  private started: Promise<BuildSummary> | undefined;
  private settledWaiters: (() => void)[] = [];
  /** Wakes the loop while it waits for optimized executables: a change came, or the session closes. */
  private wake: (() => void) | undefined;
  /** The last build that ran to its end (not superseded). */
  last: BuildSummary | undefined;
  lastFinishedAt: string | undefined;
  builds = 0;
  /** The directory the session's watch builds show paths relative to: its watching client's. */
  cwd: string;

  constructor(readonly options: WatchSessionOptions) {
    this.engine = options.engine ?? new BuildEngine({ ...options, persistent: true });
    this.cwd = options.cwd ?? process.cwd();
    this.watcher = new SourceWatcher({
      polling: options.polling,
      quietMs: options.quietMs,
      maxWaitMs: options.maxWaitMs,
      onChange: (paths) => this.changed(paths),
      onError: (message, fix, polling) => {
        this.broadcast({ event: "watch-error", at: now(), message, fix, polling });
        for (const l of this.listeners) l.error?.(`tpu-build watch: ${message}`);
      },
    });
  }

  get watchedFiles(): number {
    return this.watcher.fileCount;
  }

  get polling(): boolean {
    return this.watcher.isPolling;
  }

  subscribe(listener: WatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts watching and runs the first build, reported to `hooks` too; resolves with that
   * build's summary, or undefined when the session had already started (idempotent).
   */
  async start(hooks: BuildHooks = {}, cwd = this.cwd): Promise<BuildSummary | undefined> {
    if (this.started) {
      await this.started;
      return undefined;
    }
    this.started = (async () => {
      await this.watcher.setFiles([this.options.config]);
      const summary = await this.build(hooks, cwd);
      this.broadcast({ event: "watch-started", at: now(), config: this.options.config, files: this.watcher.fileCount, polling: this.watcher.isPolling });
      return summary;
    })();
    return this.started;
  }

  /**
   * One complete build for a client (`tpu-build build` through the daemon): never superseded,
   * reported to `hooks` and to every listener.
   */
  async build(hooks: BuildHooks = {}, cwd = this.cwd): Promise<BuildSummary> {
    const summary = await withDisplayBase(cwd, () => this.engine.build(this.hooks(hooks)));
    this.afterBuild();
    this.record(summary);
    this.watcher.broad = summary.exitCode === EXIT.invalidManifest;
    await this.watcher.setFiles(this.engine.watchedFiles());
    return summary;
  }

  /** Idle after a build: the garbage goes, and the compiler is warmed on the build's compiles (daemon/warm-up.ts). */
  private afterBuild(): void {
    releaseMemory();
    compilerWarmUp.whileIdle(this.engine.replayableCompiles, () => this.engine.building || this.closed, releaseMemory);
  }

  /** Resolves when no build is running or due (the watcher may still hold a batch in its debounce). */
  settled(): Promise<void> {
    if (!this.running && !this.dirty) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.controller?.abort();
    await this.watcher.close();
    await this.running;
    if (!this.options.engine) await this.engine.close();
  }

  private changed(paths: string[]): void {
    if (this.closed) return;
    this.broadcast({ event: "watch-changed", at: now(), paths: withDisplayBase(this.cwd, () => paths.map(displayPath)) });
    this.dirty = true;
    this.controller?.abort();
    this.wake?.();
    this.kick();
  }

  private kick(): void {
    if (this.running || this.closed) return;
    this.running = (async () => {
      let tiered = true;
      while (this.dirty && !this.closed) {
        this.dirty = false;
        const controller = new AbortController();
        this.controller = controller;
        try {
          const summary = await withDisplayBase(this.cwd, () => this.engine.build(this.hooks({ signal: controller.signal, watch: true, tiered })));
          this.afterBuild();
          this.record(summary);
          this.watcher.broad = summary.exitCode === EXIT.invalidManifest;
          await this.watcher.setFiles(this.engine.watchedFiles());
          // The optimized tier: a build without fast executables once they are compiled, unless a
          // change comes first (its own build is tiered again, and is followed by its own tier-up).
          tiered = true;
          if (summary.fastTier?.length && !this.dirty && !this.closed) {
            const woken = new Promise<"woken">((resolve) => (this.wake = () => resolve("woken")));
            const ready = await Promise.race([this.engine.optimizedTier(), woken]);
            this.wake = undefined;
            if (ready !== "woken" && !this.dirty && !this.closed) {
              this.dirty = true;
              tiered = false;
            }
          }
        } catch (e) {
          for (const l of this.listeners) l.error?.(`internal error in the watch build: ${(e as Error).stack ?? e}; please report this bug`);
        } finally {
          this.controller = undefined;
        }
      }
    })().finally(() => {
      this.running = undefined;
      // A batch that arrived between the loop's last check and here.
      if (this.dirty && !this.closed) return this.kick();
      const waiters = this.settledWaiters;
      this.settledWaiters = [];
      for (const w of waiters) w();
    });
  }

  private record(summary: BuildSummary): void {
    if (summary.superseded) return;
    this.last = summary;
    this.lastFinishedAt = now();
    this.builds++;
  }

  private hooks(extra: BuildHooks): BuildHooks {
    return {
      signal: extra.signal,
      watch: extra.watch,
      tiered: extra.tiered,
      entries: extra.entries ?? this.options.entries,
      force: extra.force,
      outDir: this.options.outDir,
      onEvent: (e: BuildEvent) => {
        extra.onEvent?.(e);
        this.broadcast(e);
      },
      log: (line) => {
        extra.log?.(line);
        for (const l of this.listeners) l.log?.(line);
      },
      error: (text) => {
        extra.error?.(text);
        for (const l of this.listeners) l.error?.(text);
      },
    };
  }

  private broadcast(e: DaemonEvent): void {
    for (const l of this.listeners) {
      try {
        l.onEvent?.(e);
      } catch {
        // a listener's failure (a closed stream) is its own business
      }
    }
  }
}

/**
 * A build parses and compiles everything it touches, then keeps only small results; collecting the
 * garbage once the daemon goes idle (it runs with --expose-gc) keeps its resident memory low.
 * Not after every build: back-to-back builds (an editor saving several files, a script calling
 * `build` in a loop) would each pay a full collection.
 */
let idleCollection: NodeJS.Timeout | undefined;
const IDLE_COLLECTION_MS = 1000;

function releaseMemory(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  if (idleCollection) clearTimeout(idleCollection);
  idleCollection = setTimeout(() => {
    idleCollection = undefined;
    gc();
  }, IDLE_COLLECTION_MS).unref();
}
