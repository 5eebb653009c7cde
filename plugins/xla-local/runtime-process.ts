// Starts and stops the runtime server (runtime/server.py in runtime/.venv) as a child process.
//
// No orphans (DESIGN.md §5.9): the server watches its stdin (a pipe only we hold, so it reaches end
// of file whenever this process dies, even by SIGKILL) and our pid; close() sends SIGTERM, then
// SIGKILL after a timeout; and while any server runs, process exit and SIGINT/SIGTERM/SIGHUP stop it.
// The server removes its private socket directory itself however it ends, even when this process
// dies before the server is ready.
//
// No stranger either: the same pipe first carries a random per-server token, which the server then
// asks of every call (another local user who finds the socket or port can do nothing with it).

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { RuntimeClient, type RuntimeClientOptions } from "./runtime-client.js";
import { missingRuntime, runtimeLocation, type RuntimeLocation } from "./runtime-location.js";

export interface RuntimeProcessOptions {
  /** Directory of the on-disk executable cache; none: the server keeps executables in memory only. */
  cacheDir?: string;
  /** "unix" (default): a private socket in a fresh 0700 directory; "tcp": a free port on 127.0.0.1. */
  transport?: "unix" | "tcp";
  /** For transport "tcp": the address to listen on (default 127.0.0.1:0). */
  listen?: string;
  /** Serve over TLS (PEM files; clientCa asks for client certificates). Give `client.tls` to reach it. */
  tls?: { cert: string; key: string; clientCa?: string };
  /** Read the token from this file instead of handing the server a random one through its stdin. */
  tokenFile?: string;
  /** Device bytes one session may hold (the server's --max-session-bytes). */
  maxSessionBytes?: number;
  /** Free sessions unused this long (the server's --idle-timeout; default never, the parent is its only client). */
  idleTimeoutSeconds?: number;
  /** Device memory to assume where PJRT reports none (the CPU's): what the memory check compares with. */
  deviceMemoryBytes?: number;
  /** Options of this process's own client (TLS to reach a TLS server, timeouts); the token is added. */
  client?: RuntimeClientOptions;
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
  /**
   * false: no shared memory (default true: tensors to and from this server, our own child on this
   * host, go through memfds it holds; plugins/xla-local/shared-memory.ts).
   */
  sharedMemory?: boolean;
  /** How long an unused data-channel ticket or shared-memory region stays good, in seconds (default: the server's, 60). */
  dataTicketTtlSeconds?: number;
  /** Join JAX's distributed runtime as process `processId` of `numProcesses` (several servers acting as one; start them together). */
  distributed?: { coordinator: string; numProcesses: number; processId: number; /** Seconds without a peer's heartbeat before the group fails (JAX's default: 100). */ heartbeatTimeoutSeconds?: number };
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
  /** The server offers shared memory. */
  shared_memory: boolean;
  pid: number;
  platform: string;
  devices: number;
  jaxlib: string;
  startup_ms: number;
  /** The server serves gRPC (and its data channel) over TLS. */
  tls: boolean;
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
    /** The server's token: what another client of this server must present. */
    readonly token: string,
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

    const transport = options.transport ?? (options.listen || options.tls ? "tcp" : "unix");
    const token = options.tokenFile ? readFileSync(options.tokenFile, "utf8").trim() : randomBytes(32).toString("base64url");
    const socketDir = transport === "unix" ? mkdtempSync(join(tmpdir(), "tpu-build-runtime-")) : undefined; // mkdtemp makes it 0700
    const args = [location.serverScript, "--parent-pid", String(process.pid), "--watch-stdin", "--allow-shutdown"];
    args.push(...(socketDir ? ["--socket", join(socketDir, "runtime.sock"), "--own-socket-dir"] : ["--listen", options.listen ?? "127.0.0.1:0"]));
    args.push(...(options.tokenFile ? ["--token-file", options.tokenFile] : ["--token-stdin"]));
    if (options.tls) args.push("--tls-cert", options.tls.cert, "--tls-key", options.tls.key, ...(options.tls.clientCa ? ["--client-ca", options.tls.clientCa] : []));
    if (options.maxSessionBytes !== undefined) args.push("--max-session-bytes", String(options.maxSessionBytes));
    // A child serves only its parent, which keeps its session as long as it likes (a warm daemon).
    args.push("--idle-timeout", String(options.idleTimeoutSeconds ?? 0));
    if (options.deviceMemoryBytes !== undefined) args.push("--device-memory", String(options.deviceMemoryBytes));
    if (options.cacheDir) args.push("--cache-dir", options.cacheDir);
    if (options.platform) args.push("--platform", options.platform);
    if (options.distributed) {
      const d = options.distributed;
      args.push("--coordinator", d.coordinator, "--num-processes", String(d.numProcesses), "--process-id", String(d.processId));
      if (d.heartbeatTimeoutSeconds !== undefined) args.push("--heartbeat-timeout", String(d.heartbeatTimeoutSeconds));
    }
    if (options.dataChannel === false) args.push("--no-data-channel");
    if (options.sharedMemory !== false) args.push("--shared-memory");
    if (options.dataTicketTtlSeconds !== undefined) args.push("--data-ticket-ttl", String(options.dataTicketTtlSeconds));
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: "1", ...options.env };
    if (options.xlaFlags?.trim()) env.XLA_FLAGS = [env.XLA_FLAGS, options.xlaFlags.trim()].filter(Boolean).join(" ");
    if (options.cpuDevices !== undefined) {
      const flags = (env.XLA_FLAGS ?? "").split(/\s+/).filter((f) => f && !f.startsWith("--xla_force_host_platform_device_count"));
      env.XLA_FLAGS = [...flags, `--xla_force_host_platform_device_count=${options.cpuDevices}`].join(" ");
    }

    const t0 = performance.now();
    const child = spawn(python, args, { stdio: ["pipe", "pipe", "pipe"], env, detached: false });
    // The token's line; the pipe then stays open, as the server's sign that we live.
    if (!options.tokenFile) child.stdin!.write(`${token}\n`);
    child.stdin!.on("error", () => {}); // a server that exits early closes its end: seen as its exit
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

    const client = new RuntimeClient(ready.address, { ...options.client, token, ...(ready.shared_memory ? { sharedMemory: { serverPid: ready.pid } } : {}) });
    const process_ = new RuntimeProcess(child, socketDir, client, token, ready, exited, stderrLines);
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
