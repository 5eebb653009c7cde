// Starts and stops the runtime server (runtime/server.py in runtime/.venv) as a child process.
//
// No orphans (DESIGN.md §5.9): the server watches its stdin (a pipe only we hold, so it reaches end
// of file whenever this process dies, even by SIGKILL) and our pid; close() sends SIGTERM, then
// SIGKILL after a timeout; and while any server runs, process exit and SIGINT/SIGTERM/SIGHUP stop it.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { RuntimeClient } from "./runtime-client.js";
import { missingRuntime, runtimeLocation, type RuntimeLocation } from "./runtime-location.js";

export interface RuntimeProcessOptions {
  /** Directory of the on-disk executable cache; none: the server keeps executables in memory only. */
  cacheDir?: string;
  /** "unix" (default): a private socket in a fresh 0700 directory; "tcp": a free port on 127.0.0.1. */
  transport?: "unix" | "tcp";
  /** PJRT platform, "cpu" by default ("tpu", "cuda" on hosts with their jaxlib plugins). */
  platform?: string;
  /** Number of CPU devices XLA pretends to have (sets --xla_force_host_platform_device_count). */
  cpuDevices?: number;
  /**
   * XLA flags for the server, after any in the environment's XLA_FLAGS (XLA reads them in order,
   * so these win). They are part of the executable cache's fingerprint.
   */
  xlaFlags?: string;
  /** An interpreter other than runtime/.venv's (it needs runtime/requirements.txt installed). */
  python?: string;
  /**
   * false: the server opens no data channel and tensors stream over gRPC (default true: a socket
   * beside the gRPC one, in the same private directory, or a second port on 127.0.0.1).
   */
  dataChannel?: boolean;
  /** How long an unused data-channel ticket stays good, in seconds (default: the server's, 60). */
  dataTicketTtlSeconds?: number;
  /** Extra environment for the server. */
  env?: Record<string, string>;
  /** How long to wait for the ready line and a healthy reply (default 60 s). */
  startTimeoutMs?: number;
  /** Receives the server's stderr, line by line (it is kept in stderrTail() either way). */
  onLog?: (line: string) => void;
  location?: RuntimeLocation;
}

/** The JSON line the server prints once it serves. */
export interface ReadyLine {
  ready: true;
  address: string;
  /** The data channel's address; "" when the server has none. */
  data_address: string;
  pid: number;
  platform: string;
  devices: number;
  jaxlib: string;
  startup_ms: number;
}

const live = new Set<RuntimeProcess>();
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function killAllNow(): void {
  for (const p of live) p.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  uninstallHooks();
  // Keep the signal's meaning: if nobody else handles it, die by it as if we had not listened.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllNow);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstallHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off("exit", killAllNow);
  for (const s of SIGNALS) process.off(s, onSignal);
}

export class RuntimeProcess {
  private closing: Promise<void> | undefined;
  private startup = 0;
  private readonly stderrLines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly socketDir: string | undefined,
    readonly client: RuntimeClient,
    readonly ready: ReadyLine,
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
    stderrLines: string[],
  ) {
    this.exited = exited;
    this.stderrLines = stderrLines;
  }

  /** Wall-clock time from spawn to a healthy reply, in ms. */
  get startupMs(): number {
    return this.startup;
  }

  get pid(): number {
    return this.ready.pid;
  }

  get address(): string {
    return this.ready.address;
  }

  /** The last lines the server wrote to stderr (for error reports). */
  stderrTail(lines = 40): string {
    return this.stderrLines.slice(-lines).join("\n");
  }

  static async start(options: RuntimeProcessOptions = {}): Promise<RuntimeProcess> {
    const location = options.location ?? runtimeLocation();
    const missing = missingRuntime(location, options.python);
    if (missing) throw new Error(missing);
    const python = options.python ?? location.python;

    const transport = options.transport ?? "unix";
    const socketDir = transport === "unix" ? mkdtempSync(join(tmpdir(), "tpu-build-runtime-")) : undefined; // mkdtemp makes it 0700
    const args = [location.serverScript, "--parent-pid", String(process.pid), "--watch-stdin"];
    args.push(...(socketDir ? ["--socket", join(socketDir, "runtime.sock"), "--own-socket-dir"] : ["--port", "0"]));
    if (options.cacheDir) args.push("--cache-dir", options.cacheDir);
    if (options.platform) args.push("--platform", options.platform);
    if (options.dataChannel === false) args.push("--no-data-channel");
    if (options.dataTicketTtlSeconds !== undefined) args.push("--data-ticket-ttl", String(options.dataTicketTtlSeconds));
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: "1", ...options.env };
    if (options.xlaFlags?.trim()) env.XLA_FLAGS = [env.XLA_FLAGS, options.xlaFlags.trim()].filter(Boolean).join(" ");
    if (options.cpuDevices !== undefined) {
      const flags = (env.XLA_FLAGS ?? "").split(/\s+/).filter((f) => f && !f.startsWith("--xla_force_host_platform_device_count"));
      env.XLA_FLAGS = [...flags, `--xla_force_host_platform_device_count=${options.cpuDevices}`].join(" ");
    }

    const t0 = performance.now();
    const child = spawn(python, args, { stdio: ["pipe", "pipe", "pipe"], env, detached: false });
    const stderrLines: string[] = [];
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stderr! }).on("line", (line) => {
      stderrLines.push(line);
      if (stderrLines.length > 400) stderrLines.splice(0, stderrLines.length - 200);
      options.onLog?.(line);
    });
    const cleanup = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      if (socketDir) rmSync(socketDir, { recursive: true, force: true });
    };

    const timeoutMs = options.startTimeoutMs ?? 60_000;
    let ready: ReadyLine;
    try {
      ready = await new Promise<ReadyLine>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the runtime server did not become ready within ${timeoutMs} ms`)), timeoutMs);
        child.once("error", (e) => {
          clearTimeout(timer);
          reject(new Error(`cannot start the runtime server (${python}): ${e.message}`));
        });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`the runtime server exited before it was ready (${signal ?? `exit code ${code}`})`));
        });
        const lines = createInterface({ input: child.stdout! });
        lines.on("line", (line) => {
          try {
            const parsed: unknown = JSON.parse(line);
            if (parsed && typeof parsed === "object" && (parsed as { ready?: unknown }).ready === true) {
              clearTimeout(timer);
              lines.close();
              resolve(parsed as ReadyLine);
            }
          } catch {
            // not the ready line
          }
        });
      });
    } catch (e) {
      cleanup();
      // Give the stderr reader a moment to collect the server's last words.
      await new Promise((r) => setTimeout(r, 50));
      const tail = stderrLines.slice(-20).join("\n");
      throw new Error(`${(e as Error).message}${tail ? `\n--- runtime server stderr ---\n${tail}` : ""}`);
    }

    const client = new RuntimeClient(ready.address);
    const process_ = new RuntimeProcess(child, socketDir, client, ready, exited, stderrLines);
    live.add(process_);
    installHooks();
    try {
      await client.waitForReady(timeoutMs);
      await client.health();
    } catch (e) {
      await process_.close();
      throw e;
    }
    // The child must not keep Node alive by itself (a forgotten close() still ends at process exit,
    // where the exit hook kills it); an open session keeps the loop busy through its calls.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    process_.startup = performance.now() - t0;
    return process_;
  }

  /** Synchronous last resort (process exit): SIGKILL, no waiting. */
  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    live.delete(this);
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
  }

  /** Stops the server: SIGTERM, then SIGKILL after `timeoutMs`. Idempotent. */
  close(timeoutMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      this.client.close();
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.kill("SIGTERM");
        const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
        await this.exited;
        clearTimeout(timer);
      }
      live.delete(this);
      if (live.size === 0) uninstallHooks();
      if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
    })();
    return this.closing;
  }
}
