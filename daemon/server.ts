// The daemon: a gRPC server (proto/daemon.proto) on the workspace's owner-only Unix socket,
// holding one WatchSession per manifest and output directory, and one BuildEngine per manifest that
// its sessions share: runtime servers are kept per target and settings, never per output
// directory. It adds watching and warmth to the engine the CLI uses, nothing else (STYLE.md).
//
// Lifecycle (DESIGN.md §5): listens, then writes the registry; exits after `idleMs` without a
// request or an attached client; on SIGTERM/SIGINT, on Shutdown, or when idle, it stops serving,
// closes every session (whose runtime servers stop with them), and removes its socket and registry.
// If it is killed outright, its runtime servers still exit (they watch their stdin pipe and our
// pid), and the next client finds the registry's pid gone and cleans up.

import * as grpc from "@grpc/grpc-js";
import { chmodSync, rmSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { BuildOutput } from "./generated/tpubuild/daemon/BuildOutput.js";
import type { BuildOutputs } from "./generated/tpubuild/daemon/BuildOutputs.js";
import type { BuildRequest__Output } from "./generated/tpubuild/daemon/BuildRequest.js";
import type { ClientIdentity__Output } from "./generated/tpubuild/daemon/ClientIdentity.js";
import type { DaemonHandlers } from "./generated/tpubuild/daemon/Daemon.js";
import type { StatusResponse } from "./generated/tpubuild/daemon/StatusResponse.js";
import type { WatchRequest__Output } from "./generated/tpubuild/daemon/WatchRequest.js";
import { daemonPaths, daemonService, grpcAddress, selfIdentity, type DaemonPaths } from "./protocol.js";
import { privateDir, privateSharedDir, removeRegistry, writeRegistry } from "./registry.js";
import { WatchSession, type WatchListener } from "./watch.js";
import { BuildEngine } from "../build/engine.js";
import { eventLine, type DaemonEvent } from "../build/events.js";

export interface DaemonServerOptions {
  workspace: string;
  /** Exit after this long without requests or attached clients (default one hour). */
  idleMs?: number;
  log?: (line: string) => void;
}

export const DEFAULT_IDLE_MS = 60 * 60 * 1000;

export class DaemonServer {
  readonly paths: DaemonPaths;
  private readonly server = new grpc.Server();
  private readonly sessions = new Map<string, WatchSession>();
  /** The engine of each manifest, shared by its sessions. */
  private readonly engines = new Map<string, BuildEngine>();
  private readonly startedAt = new Date();
  private attached = 0;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private readonly log: (line: string) => void;
  /** Resolves once the daemon has stopped. */
  readonly stopped: Promise<void>;
  private markStopped!: () => void;

  constructor(readonly options: DaemonServerOptions) {
    this.paths = daemonPaths(options.workspace);
    this.log = options.log ?? (() => {});
    this.stopped = new Promise((r) => (this.markStopped = r));
  }

  get idleMs(): number {
    return this.options.idleMs ?? DEFAULT_IDLE_MS;
  }

  async listen(): Promise<void> {
    privateDir(this.paths.dir);
    if (this.paths.sharedBase) {
      privateSharedDir(this.paths.sharedBase);
      privateSharedDir(dirname(this.paths.socket));
    } else privateDir(dirname(this.paths.socket));
    // Whoever started us holds the start lock and found no live daemon: a socket left here is stale.
    rmSync(this.paths.socket, { force: true });
    this.server.addService(daemonService().Daemon.service, this.handlers());
    await new Promise<void>((ok, fail) => this.server.bindAsync(grpcAddress(this.paths.socket), grpc.ServerCredentials.createInsecure(), (e) => (e ? fail(e) : ok())));
    chmodSync(this.paths.socket, 0o600);
    const me = selfIdentity();
    writeRegistry(this.paths, { pid: process.pid, socket: this.paths.socket, version: me.version, buildId: me.buildId, workspace: this.paths.workspace, startedAt: this.startedAt.toISOString() });
    const tick = Math.max(50, Math.min(this.idleMs / 4, 30_000));
    this.idleTimer = setInterval(() => {
      if (this.attached === 0 && Date.now() - this.lastActivity > this.idleMs) void this.stop(`idle for ${Math.round(this.idleMs / 1000)} s`);
    }, tick);
    this.log(`tpu-build daemon ${me.version} (${me.buildId}) pid ${process.pid} serving ${this.paths.workspace} on ${this.paths.socket}`);
  }

  /** Stops serving and closes every session; idempotent. */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log(`stopping: ${reason}`);
      clearInterval(this.idleTimer);
      await new Promise<void>((r) => {
        const force = setTimeout(() => {
          this.server.forceShutdown();
          r();
        }, 2000);
        this.server.tryShutdown(() => {
          clearTimeout(force);
          r();
        });
      });
      await Promise.all([...this.sessions.values()].map((s) => s.close().catch((e: Error) => this.log(`closing a session: ${e.message}`))));
      this.sessions.clear();
      await Promise.all([...this.engines.values()].map((e) => e.close().catch((err: Error) => this.log(`closing an engine: ${err.message}`))));
      this.engines.clear();
      rmSync(this.paths.socket, { force: true });
      removeRegistry(this.paths, process.pid);
      this.log("stopped");
      this.markStopped();
    })();
    return this.stopping;
  }

  /** The session of a manifest and output directory, and of a set of entries for a `watch ENTRY…` (empty: all). */
  private session(config: string, outDir: string, entries: string[], cwd: string): WatchSession {
    const key = `${config}\0${outDir}\0${entries.join("\0")}`;
    let s = this.sessions.get(key);
    if (!s) {
      let engine = this.engines.get(config);
      if (!engine) this.engines.set(config, (engine = new BuildEngine({ config, persistent: true })));
      s = new WatchSession({ config, engine, outDir: outDir || undefined, entries: entries.length ? entries : undefined, polling: process.env.TPU_BUILD_WATCH_POLL === "1", cwd });
      this.sessions.set(key, s);
      this.log(`session ${config}${outDir ? ` -> ${outDir}` : ""}${entries.length ? ` (${entries.join(", ")})` : ""}`);
    }
    return s;
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private mismatch(client: ClientIdentity__Output | null | undefined): string | undefined {
    const me = selfIdentity();
    if (client?.version === me.version && client.buildId === me.buildId) return undefined;
    return `version mismatch: this daemon is ${me.version} (${me.buildId}), the client ${client?.version ?? "?"} (${client?.buildId ?? "?"})`;
  }

  private handlers(): DaemonHandlers {
    return {
      Handshake: (call, callback) => {
        this.touch();
        const me = selfIdentity();
        const compatible = !this.mismatch(call.request.client) && resolve(call.request.workspace || this.paths.workspace) === this.paths.workspace;
        callback(null, { compatible, version: me.version, buildId: me.buildId, pid: process.pid, workspace: this.paths.workspace });
      },
      Status: (call, callback) => {
        this.touch();
        const bad = this.mismatch(call.request.client);
        if (bad) return callback({ code: grpc.status.FAILED_PRECONDITION, details: bad });
        callback(null, this.status());
      },
      Shutdown: (call, callback) => {
        callback(null, { pid: process.pid });
        setImmediate(() => void this.stop(call.request.reason || "asked to shut down").then(() => process.exit(0)));
      },
      Build: (call) => {
        this.touch();
        const bad = this.mismatch(call.request.client);
        if (bad) return call.destroy({ name: "VersionMismatch", message: bad, code: grpc.status.FAILED_PRECONDITION } as Error & { code: number });
        void this.runBuild(call);
      },
      Watch: (call) => {
        this.touch();
        const bad = this.mismatch(call.request.client);
        if (bad) return call.destroy({ name: "VersionMismatch", message: bad, code: grpc.status.FAILED_PRECONDITION } as Error & { code: number });
        this.attachWatch(call);
      },
    };
  }

  private async runBuild(call: grpc.ServerWritableStream<BuildRequest__Output, BuildOutputs>): Promise<void> {
    const { config, outDir, entries, force } = call.request;
    const cwd = clientDirectory(call.request.cwd, this.paths.workspace);
    const write = batchedWriter(call);
    this.attached++;
    try {
      const session = this.session(resolve(config), outDir ? resolve(outDir) : "", [], cwd);
      const hooks = {
        entries: entries.length ? entries : undefined,
        force,
        onEvent: (e: DaemonEvent) => write({ eventJson: eventLine(e) }),
        log: (line: string) => write({ log: line }),
        error: (text: string) => write({ error: text }),
      };
      const summary = (await session.start(hooks, cwd)) ?? (await session.build(hooks, cwd));
      write({ exitCode: summary.exitCode }, { end: true });
    } catch (e) {
      this.log(`build failed: ${(e as Error).stack ?? e}`);
      call.destroy({ name: "InternalError", message: `internal error in the daemon: ${(e as Error).message}`, code: grpc.status.INTERNAL } as Error & { code: number });
    } finally {
      this.attached--;
      this.touch();
    }
  }

  private attachWatch(call: grpc.ServerWritableStream<WatchRequest__Output, BuildOutputs>): void {
    const { config, outDir, entries, passive } = call.request;
    const cwd = clientDirectory(call.request.cwd, this.paths.workspace);
    const session = this.session(resolve(config), outDir ? resolve(outDir) : "", entries, cwd);
    // Watch builds show paths relative to the directory of the client that watches (the last to attach).
    if (!passive) session.cwd = cwd;
    const write = batchedWriter(call);
    const listener: WatchListener = { onEvent: (e) => write({ eventJson: eventLine(e) }), log: (line) => write({ log: line }), error: (text) => write({ error: text }) };
    this.attached++;
    let detached = false;
    const detach = () => {
      if (detached) return;
      detached = true;
      unsubscribe();
      this.attached--;
      this.touch();
    };
    const unsubscribe = session.subscribe(listener);
    call.on("cancelled", detach);
    call.on("close", detach);
    call.on("error", detach);
    if (passive) return;
    void (async () => {
      // The first build of a new session is the one the watcher sees; an attached session shows its
      // current state through a build that finds everything up to date.
      const first = await session.start({ watch: true });
      if (!first && !detached) await session.build({ watch: true });
    })().catch((e: Error) => write({ error: `internal error in the daemon: ${e.message}` }));
  }

  private status(): StatusResponse {
    const me = selfIdentity();
    return {
      pid: process.pid,
      version: me.version,
      buildId: me.buildId,
      workspace: this.paths.workspace,
      socket: this.paths.socket,
      startedAt: this.startedAt.toISOString(),
      uptimeSeconds: (Date.now() - this.startedAt.getTime()) / 1000,
      rssBytes: process.memoryUsage.rss(),
      clients: this.attached,
      idleTimeoutSeconds: this.idleMs / 1000,
      sessions: [...this.sessions.values()].map((s) => ({
        config: s.options.config,
        outDir: s.options.outDir ?? "",
        watchedFiles: s.watchedFiles,
        polling: s.polling,
        builds: s.builds,
        lastExitCode: s.last?.exitCode ?? -1,
        lastFinishedAt: s.lastFinishedAt ?? "",
        runtimePids: s.engine.runtimePids(),
      })),
    };
  }
}

/** The client's directory as it sent it; the workspace when it sent none (or a relative one). */
function clientDirectory(cwd: string, workspace: string): string {
  return cwd && isAbsolute(cwd) ? cwd : workspace;
}

/**
 * Writes a stream's outputs in batches: what one turn of the event loop produces goes out as one
 * message at the end of that turn (order kept). `end` flushes and ends the stream.
 */
function batchedWriter(call: grpc.ServerWritableStream<unknown, BuildOutputs>): (m: BuildOutput, options?: { end?: boolean }) => void {
  let pending: BuildOutput[] = [];
  const flush = () => {
    const outputs = pending;
    pending = [];
    if (outputs.length && !call.cancelled && !call.writableEnded) call.write({ outputs });
  };
  return (m, options = {}) => {
    if (call.cancelled || call.writableEnded) return;
    if (pending.length === 0 && !options.end) setImmediate(flush);
    pending.push(m);
    if (options.end) {
      flush();
      call.end();
    }
  };
}
