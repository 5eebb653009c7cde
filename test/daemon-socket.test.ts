// Where a deep workspace's daemon socket lives, and that no other user can take it over
// (issue 16.3). A Unix socket path has ~107 bytes, so a deep workspace's socket goes to
// $XDG_RUNTIME_DIR/tpu-build or <tmpdir>/tpu-build-<uid>; a directory another user created there
// first, or one open to others, is refused, and a client never sends a build to a socket that is
// not ours. TMPDIR points each test at its own temporary directory, so nothing here touches the
// machine's real /tmp/tpu-build-<uid>. Creating files owned by another user needs root.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { testWhenAvailable } from "./support/outputs.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "tpu-build.js");
const NOBODY = 65534;
const uid = process.getuid?.() ?? -1;

function env(tmp: string, xdg?: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, CI: "true", TPU_BUILD_DAEMON: "1", TMPDIR: tmp };
  delete e.TPU_BUILD_BUILD_ID;
  if (xdg) e.XDG_RUNTIME_DIR = xdg;
  else delete e.XDG_RUNTIME_DIR;
  return e;
}

function cli(cwd: string, args: string[], e: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: e, timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const roots: string[] = [];
const started: { ws: string; env: NodeJS.ProcessEnv }[] = [];

/** A fresh root with its own TMPDIR and a workspace deep enough that its socket must go elsewhere. */
function setup() {
  const root = mkdtempSync(join(tmpdir(), "tpu-build-sock-"));
  roots.push(root);
  const tmp = join(root, "tmp");
  mkdirSync(tmp, { mode: 0o1777 });
  chmodSync(tmp, 0o1777);
  const ws = join(root, "a-workspace-whose-path-is-long-enough", "that-its-daemon-socket-would-not-fit", "in-a-unix-socket-address");
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, "m.jl"), "f(x) = x .* 2f0\n");
  writeFileSync(join(ws, "tpu.config.json"), JSON.stringify({ entries: { f: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [4], value: { fill: 3 } }], run: true } } }));
  return { root, tmp, ws };
}

function registry(ws: string): { pid: number; socket: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(ws, ".tpu-build", "daemon", "registry.json"), "utf8"));
  } catch {
    return undefined;
  }
}

const test = suite("daemon socket outside the workspace");
const whenRoot = testWhenAvailable(test, uid === 0 ? undefined : "creating files owned by another user needs root");

test.after(() => {
  for (const s of started) {
    cli(s.ws, ["daemon", "stop"], s.env);
    const r = registry(s.ws);
    if (r) {
      try {
        process.kill(r.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

whenRoot("a socket directory another user created first is refused; the build still runs in-process", () => {
  const { tmp, ws } = setup();
  const hostile = join(tmp, `tpu-build-${uid}`);
  mkdirSync(hostile, { mode: 0o777 });
  chmodSync(hostile, 0o777);
  chownSync(hostile, NOBODY, NOBODY);
  const e = env(tmp);
  started.push({ ws, env: e });
  const start = cli(ws, ["daemon", "start"], e);
  assert.is.not(start.code, 0, "daemon start must refuse");
  assert.match(start.stderr, `${hostile} belongs to another user (uid ${NOBODY})`);
  assert.match(start.stderr, "refusing to use it");
  const build = cli(ws, ["build"], e);
  assert.is(build.code, 0, build.stderr);
  assert.is(registry(ws), undefined, "no daemon serves the workspace");
  assert.equal(spawnSync("find", [hostile, "-mindepth", "1"], { encoding: "utf8", timeout: 120_000 }).stdout, "", "nothing of ours was put in the hostile directory");
});

test("a socket directory of ours that is open to others is refused, not silently adopted", () => {
  const { tmp, ws } = setup();
  const loose = join(tmp, `tpu-build-${uid}`);
  mkdirSync(loose, { mode: 0o777 });
  chmodSync(loose, 0o777);
  const e = env(tmp);
  started.push({ ws, env: e });
  const start = cli(ws, ["daemon", "start"], e);
  assert.is.not(start.code, 0);
  assert.match(start.stderr, "is open to other users (mode 777)");
});

test("with XDG_RUNTIME_DIR the socket goes there, owner-only, and builds go through it", () => {
  const { root, tmp, ws } = setup();
  const xdg = join(root, "run-user");
  mkdirSync(xdg, { mode: 0o700 });
  const e = env(tmp, xdg);
  started.push({ ws, env: e });
  const start = cli(ws, ["daemon", "start"], e);
  assert.is(start.code, 0, start.stderr);
  const reg = registry(ws)!;
  assert.ok(reg.socket.startsWith(join(xdg, "tpu-build") + "/"), reg.socket);
  assert.is(statSync(join(xdg, "tpu-build")).mode & 0o777, 0o700);
  assert.is(statSync(reg.socket).mode & 0o777, 0o600);
  assert.not.ok(existsSync(join(tmp, `tpu-build-${uid}`)), "nothing was made in the shared temporary directory");
  const build = cli(ws, ["build"], e);
  assert.is(build.code, 0, build.stderr);
  assert.not.match(build.stderr, "building in this process");
});

whenRoot("a client refuses a daemon socket that is not ours and builds in-process instead", () => {
  const { tmp, ws } = setup();
  const e = env(tmp);
  started.push({ ws, env: e });
  assert.is(cli(ws, ["daemon", "start"], e).code, 0);
  const reg = registry(ws)!;
  assert.ok(reg.socket.startsWith(join(tmp, `tpu-build-${uid}`) + "/"), reg.socket);
  // Another user's socket in its place (as if swapped in): the owner check is what stops us.
  chownSync(reg.socket, NOBODY, NOBODY);
  const build = cli(ws, ["build"], e);
  assert.is(build.code, 0, build.stderr);
  assert.match(build.stderr, "is not a socket of yours");
  assert.match(build.stderr, "building in this process");
  chownSync(reg.socket, uid, uid);
});

test.run();
