// `tpu-build watch`'s live status: one line per entry (what is compiling or running, what failed
// and where, timings) redrawn in place on a terminal; plain progress lines otherwise.
//
// A frame is drawn from the top left corner over the previous one: each line ends with "erase to
// the end of the line" and the frame with "erase below". It never holds more lines than the
// terminal has rows, and no line is wider than the terminal (the view wraps or cuts its lines
// itself), so the terminal never scrolls and the next frame lands exactly on this one. The cursor
// is hidden while the view is live and shown again when the process exits, however it exits.

import type { DaemonEvent, EventDiagnostic } from "../build/events.js";
import { entryUpdate, type EntryStatus } from "./entry-status.js";
import { phaseStyle, style } from "./style.js";

type EntryState = EntryStatus & {
  /** The build (a count of build-started events) that last reported this entry. */
  build: number;
};

const CSI = "\x1b[";
const HIDE_CURSOR = `${CSI}?25l`;
const SHOW_CURSOR = `${CSI}?25h`;
/** Error messages without a structured diagnostic (a run's failure, an internal error) kept for the view. */
const MAX_MESSAGES = 5;

export class WatchView {
  private readonly entries = new Map<string, EntryState>();
  private manifestErrors: EventDiagnostic[] = [];
  /** Texts from `error()` that no event carries (shown under the entries until the next build). */
  private messages: string[] = [];
  private header = "starting";
  private lastBuild = "";
  private watched: { files: number; polling: boolean } | undefined;
  /** The watcher's last error; one with a fix (ENOSPC: polling from now on) stays on screen. */
  private watchError: { message: string; fix?: string; lasting: boolean } | undefined;
  /** A watch-error already printed in plain mode, which the session also sends as an error text. */
  private printedWatchError: string | undefined;
  private builds = 0;
  private expectedEntries: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;
  private stopped = false;

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
    if (!this.live) {
      if (text === this.printedWatchError) this.printedWatchError = undefined;
      else process.stderr.write(`${text}\n`);
      return;
    }
    // Rendered diagnostics and the watcher's errors are drawn from their events; anything else
    // (a run's failure, an internal error) would otherwise never reach a terminal user.
    const known = [...this.manifestErrors, ...[...this.entries.values()].flatMap((s) => s.diagnostics ?? [])].some((d) => d.rendered === text);
    if (known || text === `tpu-build watch: ${this.watchError?.message}` || /^tpu-build: \d+ errors? in /.test(text)) return;
    this.messages = [...this.messages, text].slice(-MAX_MESSAGES);
    this.schedule();
  }

  /** Folds one event into the view: one short case per event kind of build/events.ts, hence its length. */
  event(e: DaemonEvent): void {
    const entry = (name: string) => {
      let s = this.entries.get(name);
      if (!s) {
        s = { name, phase: "waiting", build: this.builds };
        this.entries.set(name, s);
      }
      s.build = this.builds;
      return s;
    };
    const changed = entryUpdate(e);
    if (changed) Object.assign(entry(changed.entry), changed.update);
    switch (e.event) {
      case "watch-started":
        this.watched = { files: e.files, polling: e.polling || this.watched?.polling === true };
        if (!this.live) this.out.write(`watching ${e.files} files${e.polling ? " by polling" : ""}; edit a source to rebuild (Ctrl-C to stop)\n`);
        break;
      case "watch-changed":
        if (!this.live) this.out.write(`changed  ${e.paths.length ? e.paths.join(", ") : "(rescanning)"}\n`);
        break;
      case "watch-error":
        this.watchError = { message: e.message, fix: e.fix, lasting: e.fix !== undefined };
        // The watcher can fall back to polling after it reported how many files it watches.
        if (this.watched) this.watched.polling = e.polling;
        if (!this.live) {
          this.printedWatchError = `tpu-build watch: ${e.message}`;
          process.stderr.write(`${this.printedWatchError}\n`);
        }
        break;
      case "manifest-invalid":
        this.manifestErrors = e.diagnostics;
        this.header = "manifest invalid: keeping the last good graph";
        if (!this.live) for (const d of e.diagnostics) process.stderr.write(`${d.rendered}\n`);
        break;
      case "build-started": {
        this.builds++;
        this.expectedEntries = e.entries;
        this.manifestErrors = [];
        this.messages = [];
        this.header = "building";
        for (const s of this.entries.values()) s.phase = "waiting";
        break;
      }
      case "remote-cache-warning":
        if (!this.live) process.stderr.write(`warning: ${e.message}\n`);
        break;
      case "remote-upload-finished":
        break;
      case "build-superseded":
        this.header = "superseded by a newer change";
        break;
      case "build-finished": {
        this.header = e.ok ? "up to date" : e.exitCode === 2 ? "manifest invalid: keeping the last good graph" : "failed";
        const counts = Object.entries({ compiled: e.compiled, cached: e.cached, ran: e.ran, "up to date": e.upToDate, failed: e.failed })
          .filter(([, n]) => n > 0)
          .map(([what, n]) => `${what} ${n}`);
        this.lastBuild = `${e.ok ? "ok" : "failed"} in ${Math.round(e.durationMs)} ms at ${new Date(e.at).toLocaleTimeString()}${counts.length ? ` (${counts.join(", ")})` : ""}`;
        if (this.watchError && !this.watchError.lasting) this.watchError = undefined;
        // Entries gone from the manifest: a complete build reported every entry it has.
        const seen = [...this.entries.values()].filter((s) => s.build === this.builds);
        if (e.exitCode !== 2 && seen.length === this.expectedEntries) for (const s of this.entries.values()) if (s.build !== this.builds) this.entries.delete(s.name);
        if (!this.live) this.out.write(`build    ${this.lastBuild}\n`);
        break;
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (!this.live || this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, 30);
  }

  /** The frame's lines: each at most `width` columns wide, at most `height` of them. */
  private frame(width: number, height: number): string[] {
    const lines: string[] = [];
    lines.push(cut(`${style.bold("tpu-build watch")}  ${this.config}`, width));
    if (this.watched) lines.push(cut(`${this.watched.files} files watched${this.watched.polling ? " (polling)" : ""}`, width));
    // Worth reading whole: wrapped, and a fix to copy is broken into lines the shell rejoins.
    if (this.watchError) {
      const { message, fix } = this.watchError;
      for (const l of message.split("\n")) lines.push(...(fix && l.trim() === fix ? wrapCommand(l, width) : wrap(l, width)));
    }
    const status = `${this.header}${this.lastBuild ? `  — last build ${this.lastBuild}` : ""}`;
    if ([...status].length <= width) lines.push(status);
    else lines.push(cut(this.header, width), ...(this.lastBuild ? wrap(`last build ${this.lastBuild}`, width) : []));
    lines.push("");
    const nameWidth = Math.max(8, ...[...this.entries.keys()].map((n) => n.length));
    const times = new Map([...this.entries.values()].map((s) => [s, [s.compileMs !== undefined ? `compile ${Math.round(s.compileMs)} ms` : "", s.runMs !== undefined ? `run ${Math.round(s.runMs)} ms` : ""].filter(Boolean).join(", ")]));
    const timesWidth = Math.max(0, ...[...times.values()].map((t) => t.length));
    for (const s of this.entries.values()) {
      const detail = (s.detail ?? "").split("\n")[0]!;
      lines.push(cut(`${s.name.padEnd(nameWidth)}  ${phaseStyle(s.phase)(s.phase.padEnd(14))}  ${timesWidth ? `${times.get(s)!.padEnd(timesWidth)}  ` : ""}${detail}`.trimEnd(), width));
    }
    const errors = [...this.manifestErrors, ...[...this.entries.values()].flatMap((s) => (s.phase === "compile failed" || s.phase === "expect failed" ? (s.diagnostics ?? []) : []))];
    for (const text of [...errors.slice(0, 5).map((d) => d.rendered), ...this.messages]) {
      lines.push("");
      for (const l of text.split("\n")) {
        // A source line and its caret line are cut, not wrapped, so the caret stays under its column.
        if (/^\s*\d*\s+\|/.test(l)) lines.push(cut(l, width));
        else lines.push(...wrap(l, width));
      }
    }
    if (lines.length > height) {
      const hidden = lines.length - (height - 1);
      lines.length = height - 1;
      lines.push(cut(style.dim(`… ${hidden} more lines (a taller terminal shows them)`), width));
    }
    return lines;
  }

  /**
   * Shows the cursor again when the process exits, and at once on a signal that ends the watch
   * (the command's own handler does the shutdown). A second such signal, a user's insistence
   * while a shutdown hangs, is let through: the process dies by it.
   */
  private restoreOnExit(): void {
    let restored = false;
    const restore = () => {
      if (restored) return;
      restored = true;
      // The last frame stays as the terminal's record of the watch; nothing is drawn over it.
      this.stopped = true;
      clearTimeout(this.timer);
      this.out.write(`${SHOW_CURSOR}\n`);
    };
    process.once("exit", restore);
    const seen = new Set<NodeJS.Signals>();
    const onSignal = (signal: NodeJS.Signals) => {
      restore();
      if (!seen.has(signal)) {
        seen.add(signal);
        return;
      }
      process.off(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    for (const signal of ENDING_SIGNALS) process.on(signal, onSignal);
  }

  render(): void {
    if (!this.live || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    // One column short of the terminal's: a character in the last column leaves the cursor on it,
    // where "erase to the end of the line" would take it away again (and some terminals wrap there).
    const width = Math.max(20, (this.out.columns || 100) - 1);
    const height = Math.max(4, this.out.rows || 24);
    let start = `${CSI}H`;
    if (!this.drawn) {
      this.drawn = true;
      // The first frame clears the screen; later ones overwrite it. The cursor would only flicker
      // over the frame, so it is hidden until the process exits.
      start = `${HIDE_CURSOR}${CSI}H${CSI}2J`;
      this.restoreOnExit();
      this.out.on("resize", () => this.render());
    }
    this.out.write(`${start}${this.frame(width, height).join(`${CSI}K\n`)}${CSI}K${CSI}J`);
  }
}

/**
 * Signals that end a watch, which the command handles; the terminal is given back first. (Not
 * SIGHUP: there is no terminal left to restore, and the process must die by it as before.)
 */
const ENDING_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

const ESCAPE = /\x1b\[[0-9;?]*[A-Za-z]/y;

/** `text` cut to `width` visible columns, ending in "…" when cut (escape sequences kept, styles reset). */
function cut(text: string, width: number): string {
  const tokens: { text: string; visible: boolean }[] = [];
  for (let i = 0; i < text.length; ) {
    ESCAPE.lastIndex = i;
    const m = ESCAPE.exec(text);
    const t = m ? m[0] : String.fromCodePoint(text.codePointAt(i)!);
    tokens.push({ text: t, visible: !m });
    i += t.length;
  }
  if (tokens.filter((t) => t.visible).length <= width) return text;
  let out = "";
  let visible = 0;
  for (const t of tokens) {
    if (t.visible && ++visible >= width) break;
    out += t.text;
  }
  return `${out}…${CSI}0m`;
}

/** `text` (no escape sequences) in lines of at most `width` columns, broken at spaces where it can be; continuations are indented like the first line, plus two. */
function wrap(text: string, width: number): string[] {
  const chars = [...text];
  if (chars.length <= width) return [text];
  const indent = " ".repeat(Math.min(text.length - text.trimStart().length + 2, Math.floor(width / 2)));
  const lines: string[] = [];
  let rest = chars;
  let prefix = "";
  while (prefix.length + rest.length > width) {
    const room = width - prefix.length;
    let at = rest.lastIndexOf(" ", room);
    if (at <= 0) at = room;
    lines.push(prefix + rest.slice(0, at).join("").trimEnd());
    rest = rest.slice(at);
    while (rest[0] === " ") rest = rest.slice(1);
    prefix = indent;
  }
  if (rest.length) lines.push(prefix + rest.join(""));
  return lines;
}

/** A shell command in lines of at most `width` columns, each but the last ending in " \". */
function wrapCommand(command: string, width: number): string[] {
  const lines = wrap(command, width - 2);
  return lines.map((l, i) => (i < lines.length - 1 ? `${l} \\` : l));
}
