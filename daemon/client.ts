// Finding, starting, replacing and talking to a workspace's daemon (DESIGN.md §5.1-5.3).
//
// A daemon is trusted only after its registry's pid is checked to be that daemon and a handshake
// on the connection finds the same version and build id. One of another version is asked to shut
// down (and killed if it does not, after checking the pid again): it is replaced, never used. A
// registry whose pid is gone is cleaned up. Starting takes the workspace's start lock, so two
// clients never start two daemons.

import * as grpc from "@grpc/grpc-js";
import { spawn } from "node:child_process";

/**
 * The daemon collects garbage after each build (--expose-gc), and a small young generation keeps
 * its resident memory down while idle (watching 10,000 files: 198 MB without these, 147 MB with).
 */
const DAEMON_NODE_FLAGS = ["--expose-gc", "--max-semi-space-size=2"];
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import type { DaemonClient as GeneratedClient } from "./generated/tpubuild/daemon/Daemon.js";
import type { BuildOutput__Output } from "./generated/tpubuild/daemon/BuildOutput.js";
import type { BuildOutputs__Output } from "./generated/tpubuild/daemon/BuildOutputs.js";
import type { HandshakeResponse__Output } from "./generated/tpubuild/daemon/HandshakeResponse.js";
import type { StatusResponse__Output } from "./generated/tpubuild/daemon/StatusResponse.js";
import { daemonPaths, daemonProgram, daemonService, grpcAddress, selfIdentity, type DaemonPaths } from "./protocol.js";
import { checkSocketOwner, isDaemonProcess, pidAlive, privateDir, privateSharedDir, readRegistry, removeRegistry, StartLock, UnsafeSocketError } from "./registry.js";

export interface OutputHandlers {
  onEvent?: (json: string) => void;
  log?: (line: string) => void;
  error?: (text: string) => void;
}

export class DaemonConnection {
  private constructor(
    private readonly client: GeneratedClient,
    readonly paths: DaemonPaths,
    readonly handshake: HandshakeResponse__Output,
  ) {}

  /** Connects and handshakes; rejects when nothing answers within `timeoutMs`. */
  static async open(paths: DaemonPaths, timeoutMs = 5000): Promise<DaemonConnection> {
    checkSocketOwner(paths, paths.socket);
    const Client = daemonService().Daemon;
    const client = new Client(grpcAddress(paths.socket), grpc.credentials.createInsecure()) as unknown as GeneratedClient;
    try {
      await new Promise<void>((ok, fail) => client.waitForReady(Date.now() + timeoutMs, (e) => (e ? fail(e) : ok())));
      const handshake = await new Promise<HandshakeResponse__Output>((ok, fail) =>
        client.Handshake({ client: selfIdentity(), workspace: paths.workspace }, { deadline: Date.now() + timeoutMs }, (e, r) => (e || !r ? fail(e ?? new Error("no handshake")) : ok(r))),
      );
      return new DaemonConnection(client, paths, handshake);
    } catch (e) {
      client.close();
      throw e;
    }
  }

  get compatible(): boolean {
    return this.handshake.compatible;
  }

  /** One build in the daemon (of `entries` only, when given); resolves with its exit code (rejects if the daemon goes away first). */
  build(config: string, outDir: string | undefined, handlers: OutputHandlers, options: { entries?: string[]; force?: boolean } = {}): Promise<number> {
    const stream = this.client.Build({ client: selfIdentity(), config, outDir: outDir ?? "", entries: options.entries ?? [], force: options.force ?? false, cwd: process.cwd() });
    return new Promise((resolve, reject) => {
      let code: number | undefined;
      stream.on("data", (batch: BuildOutputs__Output) => {
        for (const m of batch.outputs) {
          if (m.kind === "exitCode") code = m.exitCode;
          else deliver(m, handlers);
        }
      });
      stream.on("error", reject);
      stream.on("end", () => (code === undefined ? reject(new Error("the daemon ended the build without an exit code")) : resolve(code)));
    });
  }

  /**
   * Attaches to a manifest's watch session (of `entries` only, when given); events flow until
   * cancel() or the daemon stops. `passive`: only listen (`tpu-build events`), never start the
   * session or a build.
   */
  watch(config: string, outDir: string | undefined, handlers: OutputHandlers, entries: string[] = [], options: { passive?: boolean } = {}): { done: Promise<void>; cancel: () => void } {
    const stream = this.client.Watch({ client: selfIdentity(), config, outDir: outDir ?? "", entries, passive: options.passive ?? false, cwd: process.cwd() });
    let cancelled = false;
    const done = new Promise<void>((resolve, reject) => {
      stream.on("data", (batch: BuildOutputs__Output) => {
        for (const m of batch.outputs) deliver(m, handlers);
      });
      stream.on("error", (e: grpc.ServiceError) => (cancelled && e.code === grpc.status.CANCELLED ? resolve() : reject(e)));
      stream.on("end", () => resolve());
    });
    return {
      done,
      cancel: () => {
        cancelled = true;
        stream.cancel();
      },
    };
  }

  status(): Promise<StatusResponse__Output> {
    return new Promise((ok, fail) => this.client.Status({ client: selfIdentity() }, { deadline: Date.now() + 10_000 }, (e, r) => (e || !r ? fail(e ?? new Error("no status")) : ok(r))));
  }

  shutdown(reason: string): Promise<void> {
    return new Promise((ok, fail) => this.client.Shutdown({ reason }, { deadline: Date.now() + 10_000 }, (e) => (e ? fail(e) : ok())));
  }

  close(): void {
    this.client.close();
  }
}

function deliver(m: BuildOutput__Output, h: OutputHandlers): void {
  if (m.kind === "eventJson") h.onEvent?.(m.eventJson!);
  else if (m.kind === "log") h.log?.(m.log!);
  else if (m.kind === "error") h.error?.(m.error!);
}

export type Found = { connection: DaemonConnection } | { connection?: undefined; replaced: boolean };

/**
 * The workspace's running daemon if it is ours and of this version. A daemon of another version
 * is stopped (`replaced: true`: the caller should start a fresh one); a dead or unresponsive one
 * is cleaned up.
 */
export async function findDaemon(workspace: string, say: (line: string) => void = () => {}): Promise<Found> {
  const paths = daemonPaths(workspace);
  const record = readRegistry(paths);
  if (!record) return { replaced: false };
  if (!isDaemonProcess(record.pid, paths.workspace)) {
    removeRegistry(paths, record.pid);
    rmSync(record.socket, { force: true });
    return { replaced: false };
  }
  let connection: DaemonConnection;
  try {
    connection = await DaemonConnection.open({ ...paths, socket: record.socket });
  } catch (e) {
    if (e instanceof UnsafeSocketError) throw e;
    say(`tpu-build: the daemon (pid ${record.pid}) does not answer; stopping it`);
    await terminate(record.pid, paths);
    return { replaced: true };
  }
  if (connection.compatible) return { connection };
  say(`tpu-build: replacing the daemon of another version (${connection.handshake.version} ${connection.handshake.buildId}, pid ${record.pid})`);
  await connection.shutdown("replaced by a client of another version").catch(() => {});
  connection.close();
  await terminate(record.pid, paths);
  return { replaced: true };
}

/** Waits for the daemon to exit, then SIGTERM, then SIGKILL, each only while the pid is still that daemon. */
async function terminate(pid: number, paths: DaemonPaths): Promise<void> {
  const gone = async (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (!pidAlive(pid)) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return !pidAlive(pid);
  };
  if (!(await gone(5000)) && isDaemonProcess(pid, paths.workspace)) {
    process.kill(pid, "SIGTERM");
    if (!(await gone(5000)) && isDaemonProcess(pid, paths.workspace)) {
      process.kill(pid, "SIGKILL");
      await gone(5000);
    }
  }
  removeRegistry(paths, pid);
}

/** The running daemon, or a new one (started under the workspace's start lock). */
export async function ensureDaemon(workspace: string, say: (line: string) => void = () => {}): Promise<DaemonConnection> {
  const first = await findDaemon(workspace, say);
  if (first.connection) return first.connection;
  const paths = daemonPaths(workspace);
  const lock = await StartLock.acquire(paths.lock);
  try {
    // Another client may have started one while we waited for the lock.
    const again = await findDaemon(workspace, say);
    if (again.connection) return again.connection;
    return await startDaemon(paths);
  } finally {
    lock.release();
  }
}

async function startDaemon(paths: DaemonPaths): Promise<DaemonConnection> {
  privateDir(paths.dir);
  if (paths.sharedBase) privateSharedDir(paths.sharedBase); // refused here, before a daemon is spawned to fail on it

  const program = daemonProgram();
  if (!existsSync(program)) throw new Error(`the daemon program ${program} is missing; run \`npm run build\``);
  const logFd = openSync(paths.log, "a", 0o600);
  let exited: string | undefined;
  try {
    // TPU_BUILD_DAEMON_NODE_FLAGS adds Node flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p` to profile it).
    const extra = (process.env.TPU_BUILD_DAEMON_NODE_FLAGS ?? "").split(/\s+/).filter(Boolean);
    const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, ...extra, program, "--workspace", paths.workspace], { detached: true, stdio: ["ignore", logFd, logFd], cwd: paths.workspace, env: process.env });
    child.once("exit", (code, signal) => (exited = signal ?? `exit code ${code}`));
    child.unref();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (exited) break;
      const record = readRegistry(paths);
      if (record && record.pid === child.pid) {
        const connection = await DaemonConnection.open({ ...paths, socket: record.socket }, 10_000);
        if (!connection.compatible) throw new Error(`internal error: the daemon just started reports another version (${connection.handshake.version} ${connection.handshake.buildId})`);
        return connection;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    if (!exited && child.pid) process.kill(child.pid, "SIGKILL");
    throw new Error(`the daemon did not start (${exited ?? "no answer within 60 s"}); its log:\n${tail(paths.log)}`);
  } finally {
    closeSync(logFd);
  }
}

/** Stops the workspace's daemon, whatever its version; false when none was running. */
export async function stopDaemon(workspace: string): Promise<boolean> {
  const paths = daemonPaths(workspace);
  const record = readRegistry(paths);
  if (!record) return false;
  if (!isDaemonProcess(record.pid, paths.workspace)) {
    removeRegistry(paths, record.pid);
    return false;
  }
  try {
    const c = await DaemonConnection.open({ ...paths, socket: record.socket });
    await c.shutdown("tpu-build daemon stop").catch(() => {});
    c.close();
  } catch {
    // not answering: terminate() signals it
  }
  await terminate(record.pid, paths);
  return true;
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
