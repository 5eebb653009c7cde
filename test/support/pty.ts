// Runs a command on a real pseudo-terminal (test/support/pty.py, Python's standard library: no
// native npm module) and keeps a model of the screen a user would see (test/support/terminal.ts).

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";
import { Screen } from "./terminal.js";

const HELPER = fileURLToPath(new URL("./pty.py", import.meta.url));

/** Why a pseudo-terminal cannot be had here, or undefined when it can. */
export function ptyUnavailable(): string | undefined {
  if (process.platform !== "linux") return `pseudo-terminal tests run on Linux only (this is ${process.platform})`;
  const r = spawnSync("python3", ["-c", "import pty, termios, fcntl; pty.openpty()"], { encoding: "utf8" });
  if (r.error) return `no python3 on PATH (${r.error.message})`;
  if (r.status !== 0) return `python3 cannot open a pseudo-terminal: ${r.stderr.trim()}`;
  return undefined;
}

export interface Ended {
  code: number | null;
  signal: number | null;
}

export class PtySession {
  readonly screen: Screen;
  /** Everything the command wrote to the terminal. */
  raw = "";
  readonly pid: Promise<number>;
  readonly ended: Promise<Ended>;
  private readonly helper: ChildProcessWithoutNullStreams;
  private lastOutput = Date.now();
  private endedValue: Ended | undefined;

  constructor(argv: string[], options: { cols: number; rows: number; cwd: string; env: NodeJS.ProcessEnv }) {
    this.screen = new Screen(options.cols, options.rows);
    this.helper = spawn("python3", [HELPER, String(options.cols), String(options.rows), "--", ...argv], { cwd: options.cwd, env: options.env, timeout: 600_000, killSignal: "SIGKILL" });
    const decoder = new StringDecoder("utf8");
    this.helper.stdout.on("data", (d: Buffer) => {
      const text = decoder.write(d);
      this.raw += text;
      this.screen.write(text);
      this.lastOutput = Date.now();
    });
    let reports = "";
    let pid: (p: number) => void = () => {};
    let ended: (e: Ended) => void = () => {};
    this.pid = new Promise((r) => (pid = r));
    this.ended = new Promise((r) => (ended = r));
    this.helper.stderr.on("data", (d: Buffer) => {
      reports += d;
      for (const m of reports.matchAll(/^(pid|exit|signal) (\d+)$/gm)) {
        const n = Number(m[2]);
        if (m[1] === "pid") pid(n);
        else {
          this.endedValue = m[1] === "exit" ? { code: n, signal: null } : { code: null, signal: n };
          ended(this.endedValue);
        }
      }
    });
    this.helper.on("exit", () => ended(this.endedValue ?? { code: null, signal: null }));
  }

  private send(command: object): void {
    this.helper.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** Keys typed at the terminal ("\x03" is Ctrl-C). */
  type(text: string): void {
    this.send({ write: text });
  }

  resize(cols: number, rows: number): void {
    this.screen.resize(cols, rows);
    this.send({ resize: [cols, rows] });
  }

  /** Waits until the screen satisfies `probe`; the error names `what` and shows the screen. */
  async waitForScreen(what: string, probe: (lines: string[]) => boolean, timeoutMs = 120_000): Promise<string[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.screen.lines();
      if (probe(lines)) return lines;
      if (Date.now() > end || this.endedValue) throw new Error(`${this.endedValue ? "the command ended" : "timed out"} waiting for ${what}; the screen:\n${this.screen.text()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until nothing has been written for `ms` (the view's redraws have settled). */
  async quiet(ms = 400): Promise<void> {
    while (Date.now() - this.lastOutput < ms) await new Promise((r) => setTimeout(r, 50));
  }

  /** Ends the helper: the terminal is closed (what is still on it gets SIGHUP). */
  async close(): Promise<void> {
    if (this.helper.exitCode !== null || this.helper.signalCode !== null) return;
    const exited = new Promise((r) => this.helper.once("exit", r));
    this.helper.stdin.end();
    const timer = setTimeout(() => this.helper.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A process is gone when /proc no longer has it or it is a zombie waiting to be reaped. */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

/** The live descendants of `pid`, with their command lines. */
export function descendants(pid: number): { pid: number; cmdline: string }[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; cmdline: string }[] = [];
  const walk = (p: number) => {
    for (const [child, ppid] of parent) {
      if (ppid !== p) continue;
      let cmdline = "";
      try {
        cmdline = existsSync(`/proc/${child}/cmdline`) ? readFileSync(`/proc/${child}/cmdline`, "utf8").replaceAll("\0", " ") : "";
      } catch {
        // gone meanwhile
      }
      found.push({ pid: child, cmdline });
      walk(child);
    }
  };
  walk(pid);
  return found;
}
