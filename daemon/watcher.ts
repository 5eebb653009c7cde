// Which files changed, as hints (DESIGN.md §5.4-5.6): the engine decides what to rebuild from
// content hashes, so a spurious event costs a no-op build and a coalesced one loses nothing.
//
// chokidar watches the *directories* of the files of interest, one level deep, and events are
// filtered by path. Watching directories rather than files is what makes editors' atomic saves
// (write a temporary file, rename it over the original), deletes, re-creations and renames look
// like what they are. chokidar also gives every entry it reports in a watched directory an inotify
// watch of its own, so the other entries there are ignored: a source beside ten thousand data files
// costs two watches, not ten thousand (inotify's limit is per user, and ENOSPC when it is reached).
//
// Events are debounced: a build starts after `quietMs` without events, or `maxWaitMs` after the
// first one, whichever comes first. On a watcher error every file is reported changed and the
// watcher is rebuilt; ENOSPC (the inotify limit) gets the sysctl fix and a polling watcher.

import { FSWatcher, watch } from "chokidar";
import { existsSync } from "node:fs";
import { basename, dirname, sep } from "node:path";

export interface WatcherOptions {
  /** Called with the paths of interest that saw events (empty: "anything may have changed"). */
  onChange: (paths: string[]) => void;
  /** The watcher failed and was rebuilt; `fix` is a command that addresses the cause. */
  onError?: (message: string, fix: string | undefined, polling: boolean) => void;
  /** Quiet time before a batch is delivered (default 100 ms). */
  quietMs?: number;
  /** Longest delay of a batch after its first event (default 500 ms). */
  maxWaitMs?: number;
  /** Poll instead of inotify/FSEvents (also the fallback after ENOSPC). */
  polling?: boolean;
}

/** The sysctl that raises Linux's inotify watch limit, now and at every boot. */
export const INOTIFY_FIX =
  "sudo sysctl fs.inotify.max_user_watches=524288 && echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/60-tpu-build-inotify.conf";

/** Directories never worth descending into or reporting. */
const SKIPPED = new Set([".git", "node_modules", ".tpu-build"]);

export class SourceWatcher {
  private files = new Set<string>();
  private dirs = new Set<string>();
  private watcher: FSWatcher | undefined;
  private ready: Promise<void> = Promise.resolve();
  private pending = new Set<string>();
  private firstAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private polling: boolean;
  /** When set (an invalid manifest, say), any event in a watched directory counts. */
  broad = false;

  constructor(private readonly options: WatcherOptions) {
    this.polling = options.polling ?? false;
  }

  get isPolling(): boolean {
    return this.polling;
  }

  get fileCount(): number {
    return this.files.size;
  }

  /**
   * Makes the watched set exactly `files` (absolute paths). Resolves once the watches of new
   * directories are in place; when any were added, a catch-up batch follows, since a change made
   * while a directory was not yet watched would otherwise be lost.
   */
  async setFiles(files: Iterable<string>): Promise<void> {
    if (this.closed) return;
    this.files = new Set(files);
    const dirs = new Set<string>();
    for (const f of this.files) dirs.add(watchableDir(dirname(f)));
    const added = [...dirs].filter((d) => !this.dirs.has(d));
    const removed = [...this.dirs].filter((d) => !dirs.has(d));
    this.dirs = dirs;
    if (!this.watcher) {
      this.start();
      await this.ready;
      return;
    }
    if (removed.length) this.watcher.unwatch(removed);
    if (added.length) {
      this.watcher.add(added);
      // chokidar has no per-add ready event; its scans of a few directories take milliseconds.
      await new Promise((r) => setTimeout(r, 50));
      this.note(undefined);
    }
  }

  private start(): void {
    const watcher = watch([...this.dirs], {
      depth: 0,
      ignoreInitial: true,
      persistent: true,
      usePolling: this.polling,
      interval: 100,
      binaryInterval: 300,
      atomic: false,
      ignored: (path: string) => this.ignores(path),
    });
    this.watcher = watcher;
    this.ready = new Promise((resolve) => watcher.once("ready", () => resolve()));
    watcher.on("all", (event, path) => {
      // A new directory on the way to a file of interest (its watch follows after the next build).
      if (event === "addDir" && [...this.files].some((f) => f.startsWith(path + sep))) this.note(undefined);
      else this.note(path);
    });
    watcher.on("error", (e) => void this.fail(e as NodeJS.ErrnoException));
  }

  /**
   * Whether chokidar leaves `path` alone (no watch, no events): anything in a watched directory but
   * the files of interest and the directories on the way to one yet to be created, unless `broad`.
   */
  private ignores(path: string): boolean {
    if (this.dirs.has(path) || this.files.has(path)) return false;
    if (SKIPPED.has(basename(path))) return true;
    if (this.broad) return false;
    for (const f of this.files) if (f.startsWith(path + sep)) return false;
    return true;
  }

  private note(path: string | undefined): void {
    if (this.closed) return;
    // A file of interest is named in the batch; an unnamed change (a new directory on the way to
    // one, or anything while `broad`) only starts a build, which decides by content hashes.
    if (path !== undefined && this.files.has(path)) this.pending.add(path);
    else if (path !== undefined && !this.broad && !this.dirs.has(path)) return;
    const t = performance.now();
    if (!this.timer) this.firstAt = t;
    clearTimeout(this.timer);
    const quiet = this.options.quietMs ?? 100;
    const cap = this.options.maxWaitMs ?? 500;
    this.timer = setTimeout(() => this.flush(), Math.max(0, Math.min(quiet, cap - (t - this.firstAt))));
  }

  private flush(): void {
    this.timer = undefined;
    const paths = [...this.pending];
    this.pending.clear();
    if (!this.closed) this.options.onChange(paths);
  }

  /** Invalidate everything and rewatch; after ENOSPC, by polling. */
  private async fail(e: NodeJS.ErrnoException): Promise<void> {
    if (this.closed) return;
    const enospc = e.code === "ENOSPC" && !this.polling;
    if (enospc) this.polling = true;
    const message = enospc
      ? `the system's limit of inotify watches is reached (ENOSPC); falling back to polling, which is slower. Raise the limit with:\n  ${INOTIFY_FIX}`
      : `the file watcher failed (${e.message}); everything is invalidated and rewatched`;
    this.options.onError?.(message, enospc ? INOTIFY_FIX : undefined, this.polling);
    const old = this.watcher;
    this.watcher = undefined;
    await old?.close().catch(() => {});
    if (this.closed) return;
    this.start();
    await this.ready;
    this.note(undefined);
  }

  /** Test and recovery hook: behave as if the watcher had reported this error. */
  simulateError(e: NodeJS.ErrnoException): Promise<void> {
    return this.fail(e);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.watcher?.close().catch(() => {});
    this.watcher = undefined;
  }
}

/** The nearest existing directory: a file in a directory yet to be created is found from its parent. */
function watchableDir(dir: string): string {
  let d = dir;
  while (!existsSync(d)) {
    const parent = dirname(d);
    if (parent === d) return d;
    d = parent;
  }
  return d;
}
