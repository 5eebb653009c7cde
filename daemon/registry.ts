// The daemon's registry and start lock (DESIGN.md §5.2).
//
// registry.json says which process serves a workspace (pid, socket, version, build id, start
// time). It is written atomically by the daemon once it listens and removed when it exits; a
// registry left by a killed daemon is recognised because its pid is gone or is no longer that
// daemon (checked in /proc/<pid>/cmdline, so a recycled pid is never trusted or killed).
//
// start.lock is taken with O_EXCL by whoever starts a daemon, and holds the starter's pid: a lock
// whose holder died is taken over. Only one starter at a time, so two clients never start two
// daemons for the same workspace.

import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { keepPrivate } from "../build/cache.js";
import type { DaemonPaths } from "./protocol.js";

export interface RegistryRecord {
  pid: number;
  socket: string;
  version: string;
  buildId: string;
  workspace: string;
  startedAt: string;
}

/** Creates a directory owned by us with mode 0700 (and tightens an existing one). */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  keepPrivate(dir);
}

/** A socket or directory that another user could control: never listened on or connected to. */
export class UnsafeSocketError extends Error {}

const myUid = () => (typeof process.getuid === "function" ? process.getuid() : undefined);

/**
 * The per-user base directory for sockets outside the workspace (`$XDG_RUNTIME_DIR/tpu-build` or
 * `/tmp/tpu-build-<uid>`). Anyone can create a name in /tmp before us, so unlike privateDir this
 * never adopts what it finds: an existing one must be a real directory (not a symlink), owned by
 * us, with no group or other permission bits; otherwise another user could swap the socket and
 * receive the build's requests.
 */
export function privateSharedDir(dir: string, create = true): void {
  if (create) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  const st = lstatSync(dir);
  const uid = myUid();
  const problem = !st.isDirectory()
    ? "is not a directory"
    : uid !== undefined && st.uid !== uid
      ? `belongs to another user (uid ${st.uid})`
      : (st.mode & 0o077) !== 0
        ? `is open to other users (mode ${(st.mode & 0o777).toString(8)})`
        : undefined;
  if (problem) {
    throw new UnsafeSocketError(
      `${dir} ${problem}, so the daemon's socket there could be taken over; refusing to use it. ` +
        `Remove it (\`rm -rf ${dir}\`) or set XDG_RUNTIME_DIR to a private directory of yours.`,
    );
  }
}

/** Before connecting: the socket (and its private directory outside the workspace) must be ours. */
export function checkSocketOwner(paths: DaemonPaths, socket: string): void {
  if (paths.sharedBase) {
    privateSharedDir(paths.sharedBase, false);
    privateSharedDir(dirname(socket), false);
  }
  const st = lstatSync(socket, { throwIfNoEntry: false });
  if (!st) return; // nothing listens: the connection attempt fails by itself
  const uid = myUid();
  if (!st.isSocket() || (uid !== undefined && st.uid !== uid)) {
    throw new UnsafeSocketError(`${socket} is not a socket of yours (owner uid ${st.uid}); refusing to send the build there.`);
  }
}

export function readRegistry(paths: DaemonPaths): RegistryRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(paths.registry, "utf8")) as Partial<RegistryRecord>;
    if (typeof r.pid !== "number" || typeof r.socket !== "string" || typeof r.version !== "string" || typeof r.buildId !== "string") return undefined;
    return r as RegistryRecord;
  } catch {
    return undefined;
  }
}

export function writeRegistry(paths: DaemonPaths, record: RegistryRecord): void {
  const tmp = `${paths.registry}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(record, null, 2) + "\n");
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, paths.registry);
}

/** Removes the registry if it still names `pid` (a successor's record is left alone). */
export function removeRegistry(paths: DaemonPaths, pid: number): void {
  const r = readRegistry(paths);
  if (r && r.pid !== pid) return;
  rmSync(paths.registry, { force: true });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether `pid` is the tpu-build daemon of this workspace: alive, and (where /proc exists) running
 * daemon/main.js with this workspace. Without /proc, being alive is all we can check; the
 * handshake then decides.
 */
export function isDaemonProcess(pid: number, workspace: string): boolean {
  if (!pidAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return process.platform !== "linux";
  }
  const args = cmdline.split("\0");
  return args.some((a) => a.endsWith("daemon/main.js")) && args.includes(workspace);
}

export class StartLock {
  private constructor(
    private readonly path: string,
    private fd: number | undefined,
  ) {}

  /** Takes the lock, waiting up to `timeoutMs` for a live holder; a dead holder's lock is taken over. */
  static async acquire(path: string, timeoutMs = 60_000): Promise<StartLock> {
    privateDir(dirname(path));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const fd = openSync(path, "wx", 0o600);
        writeSync(fd, String(process.pid));
        return new StartLock(path, fd);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      let holder = NaN;
      try {
        holder = Number(readFileSync(path, "utf8").trim());
      } catch {
        continue; // released meanwhile
      }
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
        // The holder died: take the lock over (rename first, so two takers cannot both remove it).
        try {
          renameSync(path, `${path}.stale-${process.pid}`);
          rmSync(`${path}.stale-${process.pid}`, { force: true });
        } catch {
          // someone else took it over
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another tpu-build process (pid ${holder || "?"}) is starting the daemon and has not finished; remove ${path} if that process is gone`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  release(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }
}
