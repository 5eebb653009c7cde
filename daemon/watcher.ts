// Which files changed, as hints (DESIGN.md §5.4-5.6): the engine decides what to rebuild from
// content hashes, so a spurious event costs a no-op build and a coalesced one loses nothing.
//
// The *directories* of the files of interest are watched, one level deep, and events are filtered
// by path. Watching directories rather than files is what makes editors' atomic saves (write a
// temporary file, rename it over the original), deletes, re-creations and renames look like what
// they are. A directory's watch (fs.watch: one inotify watch) reports writes to the files in it
// too, so a file of interest costs no watch and no memory of its own beyond its path: ten thousand
// sources in a hundred directories are a hundred watches (inotify's limit is per user, and ENOSPC
// when it is reached). chokidar, which gave every file it reported a watch (and kept its Stats) of
// its own, is used only to poll.
//
// Events are debounced: a build starts after `quietMs` without events, or `maxWaitMs` after the
// first one, whichever comes first. On a watcher error every file is reported changed and the
// watcher is rebuilt; ENOSPC (the inotify limit) gets the sysctl fix and a polling watcher.

import { FSWatcher, watch } from "chokidar";
import { existsSync, statSync, watch as watchDirectory, type FSWatcher as DirectoryWatch } from "node:fs";
import { basename, dirname, join, sep } from "node:path";

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
  /** Directories between a watched directory and files of interest whose own directory does not exist yet. */
  private waypoints = new Set<string>();
  /** The directory watches (inotify), with the inode each watch follows. */
  private readonly watches = new Map<string, { watch: DirectoryWatch; ino: number }>();
  /** The polling watcher (chokidar), instead of `watches`. */
  private watcher: FSWatcher | undefined;
  /** Directory watches were set up once (later additions are followed by a catch-up batch). */
  private watching = false;
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
    const waypoints = new Set<string>();
    const watchable = new Map<string, string>();
    for (const f of this.files) {
      const dir = dirname(f);
      let watched = watchable.get(dir);
      if (watched === undefined) watchable.set(dir, (watched = watchableDir(dir)));
      dirs.add(watched);
      for (let d = dir; d !== watched && d.startsWith(watched + sep); d = dirname(d)) waypoints.add(d);
    }
    const added = [...dirs].filter((d) => !this.dirs.has(d) || (!this.polling && !this.watches.has(d)));
    const removed = [...this.dirs].filter((d) => !dirs.has(d));
    this.dirs = dirs;
    this.waypoints = waypoints;
    if (this.polling) {
      if (!this.watcher) {
        this.startPolling();
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
      return;
    }
    const first = !this.watching;
    this.watching = true;
    for (const d of removed) this.unwatchDirectory(d);
    for (const d of added) {
      const failed = this.watchDirectory(d);
      if (failed) return this.fail(failed);
    }
    // A change made while a new directory was not yet watched would otherwise be lost.
    if (added.length && !first) this.note(undefined);
  }

  /** Watches one directory (undefined), or the error that refused it (ENOSPC, say). */
  private watchDirectory(dir: string): NodeJS.ErrnoException | undefined {
    let ino: number;
    let w: DirectoryWatch;
    try {
      ino = statSync(dir).ino;
      w = watchDirectory(dir, { persistent: true }, (event, name) => this.directoryEvent(dir, event, name));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // Gone since it was found: the next build's watched set finds its nearest existing parent.
      if (err.code === "ENOENT" || err.code === "ENOTDIR") return void this.note(undefined);
      return err;
    }
    w.on("error", (e) => void this.fail(e as NodeJS.ErrnoException));
    this.watches.set(dir, { watch: w, ino });
    return undefined;
  }

  private unwatchDirectory(dir: string): void {
    this.watches.get(dir)?.watch.close();
    this.watches.delete(dir);
  }

  private directoryEvent(dir: string, event: string, name: string | Buffer | null): void {
    if (this.closed) return;
    // The directory itself deleted, moved or replaced: its watch no longer sees what is at its path.
    if (event === "rename" && this.watches.has(dir) && statSync(dir, { throwIfNoEntry: false })?.ino !== this.watches.get(dir)!.ino) {
      this.unwatchDirectory(dir);
      this.dirs.delete(dir);
      return this.note(undefined);
    }
    if (name === null) return this.note(undefined);
    const path = join(dir, name.toString());
    if (this.files.has(path)) return this.note(path);
    // A directory on the way to a file of interest appeared (its watch follows after the next build).
    if (this.waypoints.has(path) || (this.broad && !SKIPPED.has(name.toString()))) this.note(undefined);
  }

  private startPolling(): void {
    const watcher = watch([...this.dirs], {
      depth: 0,
      ignoreInitial: true,
      persistent: true,
      usePolling: true,
      interval: 100,
      binaryInterval: 300,
      atomic: false,
      ignored: (path: string) => this.ignores(path),
    });
    this.watcher = watcher;
    this.ready = new Promise((resolve) => watcher.once("ready", () => resolve()));
    watcher.on("all", (event, path) => {
      // A new directory on the way to a file of interest (its watch follows after the next build).
      if (event === "addDir" && this.waypoints.has(path)) this.note(undefined);
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
    return !this.broad && !this.waypoints.has(path);
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
    for (const d of [...this.watches.keys()]) this.unwatchDirectory(d);
    await old?.close().catch(() => {});
    if (this.closed) return;
    // A directory that cannot be watched again right after a failure is polled, with the rest.
    if (!this.polling)
      for (const d of this.dirs) {
        if (!this.watchDirectory(d)) continue;
        for (const w of [...this.watches.keys()]) this.unwatchDirectory(w);
        this.polling = true;
        break;
      }
    if (this.polling) {
      this.startPolling();
      await this.ready;
    }
    this.note(undefined);
  }

  /** Test and recovery hook: behave as if the watcher had reported this error. */
  simulateError(e: NodeJS.ErrnoException): Promise<void> {
    return this.fail(e);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const d of [...this.watches.keys()]) this.unwatchDirectory(d);
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
