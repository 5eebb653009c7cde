// What a daemon and its clients agree on: the service (proto/daemon.proto), who they are (the
// package version and a build id), and where a workspace's daemon lives.

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { findPackageRoot } from "../package-root.js";
import type { ProtoGrpcType } from "./generated/daemon.js";
import type { ClientIdentity } from "./generated/tpubuild/daemon/ClientIdentity.js";

export const DAEMON_LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

let loaded: ProtoGrpcType | undefined;

export function daemonService(): ProtoGrpcType["tpubuild"]["daemon"] {
  if (!loaded) {
    const definition = protoLoader.loadSync(join(findPackageRoot(), "proto", "daemon.proto"), DAEMON_LOADER_OPTIONS);
    loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return loaded.tpubuild.daemon;
}

let identity: Required<ClientIdentity> | undefined;

/**
 * This installation: package.json's version and a build id, the SHA-256 of every compiled file
 * under dist/ (so a rebuilt tree never talks to a daemon started from the previous one).
 * TPU_BUILD_BUILD_ID overrides the build id (tests use it to fake an older install).
 */
export function selfIdentity(): Required<ClientIdentity> {
  if (identity) return identity;
  const root = findPackageRoot();
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  identity = { version: pkg.version, buildId: process.env.TPU_BUILD_BUILD_ID || distHash(join(root, "dist")) };
  return identity;
}

function distHash(dist: string): string {
  const hash = createHash("sha256");
  const files: string[] = [];
  const walk = (dir: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (name.endsWith(".js")) files.push(r);
      else if (!name.includes(".")) walk(path, r);
    }
  };
  walk(dist, "");
  for (const f of files) {
    hash.update(f + "\0");
    hash.update(readFileSync(join(dist, f)));
  }
  return hash.digest("hex").slice(0, 16);
}

/** The daemon's files for a workspace: its directory (0700) holds the socket, registry, lock and log. */
export interface DaemonPaths {
  workspace: string;
  dir: string;
  socket: string;
  /**
   * Set when the socket lives outside the workspace: the per-user directory that holds the
   * socket's own directory (it must be ours and private before we listen or connect).
   */
  sharedBase?: string;
  registry: string;
  lock: string;
  log: string;
}

export function daemonPaths(workspace: string): DaemonPaths {
  const ws = resolve(workspace);
  const dir = join(ws, ".tpu-build", "daemon");
  let socket = join(dir, "daemon.sock");
  let sharedBase: string | undefined;
  // A Unix socket path has ~107 bytes; a deep workspace gets its socket in a per-user directory
  // outside it: $XDG_RUNTIME_DIR (private to the user by design) or else a directory of the system's
  // temporary directory, which other users can write to — see privateSharedDir for the checks.
  if (Buffer.byteLength(socket) > 100) {
    const tag = createHash("sha256").update(ws).digest("hex").slice(0, 16);
    sharedBase = socketBaseDir();
    socket = join(sharedBase, tag, "daemon.sock");
  }
  return { workspace: ws, dir, socket, sharedBase, registry: join(dir, "registry.json"), lock: join(dir, "start.lock"), log: join(dir, "daemon.log") };
}

/** Where sockets of deep workspaces go: `$XDG_RUNTIME_DIR/tpu-build`, else `<tmpdir>/tpu-build-<uid>`. */
export function socketBaseDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg && isAbsolute(xdg)) return join(xdg, "tpu-build");
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return join(tmpdir(), `tpu-build-${uid}`);
}

/** The daemon's program: dist/daemon/main.js of this installation. */
export function daemonProgram(): string {
  return join(findPackageRoot(), "dist", "daemon", "main.js");
}

export const grpcAddress = (socket: string) => `unix://${socket}`;
