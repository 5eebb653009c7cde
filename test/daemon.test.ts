// The daemon process end to end: the compiled CLI in child processes, a real daemon on its Unix
// socket, the real runtime server. CI=true is set as in CI, so every command asks for the daemon
// explicitly (TPU_BUILD_DAEMON=1). Every daemon started here is stopped in `after`, even on failure.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { float32Output } from "./support/outputs.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "tpu-build.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ENV = { ...process.env, CI: "true", TPU_BUILD_DAEMON: "1" };
delete (ENV as Record<string, string | undefined>).TPU_BUILD_BUILD_ID;

function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = ENV): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env, timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cliAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv = ENV): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const events = (r: Run) => r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);

function registry(dir: string): { pid: number; socket: string; buildId: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, ".tpu-build", "daemon", "registry.json"), "utf8"));
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-daemon-"));
  writeFileSync(join(dir, "m.jl"), "f(x) = x .* 2f0\ng(y) = y .+ 1f0\n");
  writeFileSync(
    join(dir, "tpu.config.json"),
    JSON.stringify({
      entries: {
        f: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [4], value: { fill: 3 } }], run: true },
        g: { file: "m.jl", function: "g", args: [{ from: "f" }], run: true },
      },
    }),
  );
  return dir;
}

const test = suite("tpu-build daemon");
const dirs: string[] = [];
let dir: string;

test.before(() => {
  dir = workspace();
  dirs.push(dir);
});

test.after(() => {
  for (const d of dirs) {
    const r = registry(d);
    cli(d, ["daemon", "stop"]);
    if (r && alive(r.pid)) process.kill(r.pid, "SIGKILL");
    rmSync(d, { recursive: true, force: true });
  }
});

test("under CI=true, build works in-process and starts no daemon", () => {
  const r = cli(dir, ["build", "--json"], { ...ENV, TPU_BUILD_DAEMON: "" });
  assert.is(r.code, 0, r.stderr);
  assert.is(registry(dir), undefined);
});

test("daemon start serves the workspace on an owner-only socket; build --json goes through it", () => {
  const started = cli(dir, ["daemon", "start"]);
  assert.is(started.code, 0, started.stderr);
  const reg = registry(dir)!;
  assert.ok(reg && alive(reg.pid), "registry names a live daemon");
  assert.is(statSync(join(dir, ".tpu-build", "daemon")).mode & 0o777, 0o700);
  assert.is(statSync(reg.socket).mode & 0o777, 0o600);
  const r = cli(dir, ["build", "--json"]);
  assert.is(r.code, 0, r.stderr);
  const last = events(r).at(-1)!;
  assert.equal([last.event, last.ok, last.exitCode], ["build-finished", true, 0]);
  const status = JSON.parse(cli(dir, ["daemon", "status"]).stdout);
  assert.is(status.pid, reg.pid);
  assert.is(status.sessions.length, 1);
  assert.ok(status.sessions[0].builds >= 1, "the build ran in the daemon");
  // A second build is a no-op there: every run is up to date.
  const again = events(cli(dir, ["build", "--json"]));
  assert.equal(again.filter((e) => e.event === "run-started"), []);
  assert.is(again.filter((e) => e.event === "run-up-to-date").length, 2);
});

test("builds into several --out directories through one daemon share one runtime server (issue 16.9)", () => {
  const outs = ["out-a", "out-b", "out-c"];
  for (const out of outs) {
    const r = cli(dir, ["build", "--json", "--out", out]);
    assert.is(r.code, 0, r.stderr);
    // g(f(x)) = 3 * 2 + 1 in every directory: each build ran into its own outputs.
    assert.equal(float32Output(dir, "g", out), [7, 7, 7, 7], out);
  }
  const status = JSON.parse(cli(dir, ["daemon", "status"]).stdout);
  assert.ok(status.sessions.length >= outs.length, "a session per output directory");
  const runtimes = new Set(status.sessions.flatMap((s: { runtimePids: number[] }) => s.runtimePids));
  assert.is(runtimes.size, 1, `one runtime server for the one target and settings, got pids ${[...runtimes].join(", ")}`);
});

test("exit codes are kept through the daemon (a compile error exits 3)", () => {
  writeFileSync(join(dir, "m.jl"), "f(x) = x * x\ng(y) = y .+ 1f0\n");
  const r = cli(dir, ["build"]);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, "m.jl:1:8");
  // From the workspace's parent, the daemon's paths are relative to the client's directory, as in-process ones are.
  const ws = basename(dir);
  const fromParent = cli(dirname(dir), ["build", "--config", `${ws}/tpu.config.json`, "--json"]);
  assert.is(fromParent.code, 3, fromParent.stderr);
  assert.ok(fromParent.stderr.startsWith(`${ws}/m.jl:1:8: error:`), fromParent.stderr);
  const failed = events(fromParent).find((e) => e.event === "compile-failed") as { diagnostics: { location: string }[] } | undefined;
  assert.is(failed?.diagnostics[0]?.location, `${ws}/m.jl:1:8`);
  assert.is(events(fromParent).find((e) => e.event === "build-started")?.config, `${ws}/tpu.config.json`);
  writeFileSync(join(dir, "m.jl"), "f(x) = x .* 2f0\ng(y) = y .+ 1f0\n");
  assert.is(cli(dir, ["build"]).code, 0);
});

test("two clients at once both get complete builds", async () => {
  writeFileSync(join(dir, "m.jl"), "f(x) = x .* 5f0\ng(y) = y .+ 1f0\n");
  const [a, b] = await Promise.all([cliAsync(dir, ["build", "--json"]), cliAsync(dir, ["build", "--json"])]);
  for (const r of [a, b]) {
    assert.is(r.code, 0, r.stderr);
    const last = events(r).at(-1)!;
    assert.equal([last.event, last.ok], ["build-finished", true]);
  }
  const out = readFileSync(join(dir, ".tpu-build", "out", "g", "0.npy"));
  const values = new Float32Array(out.buffer.slice(out.byteOffset + out.length - 16, out.byteOffset + out.length));
  assert.equal([...values], [16, 16, 16, 16]);
});

test("tpu-build events listens passively: no build of its own, then the watcher's rebuilds as NDJSON", async () => {
  const lines = (child: ReturnType<typeof spawn>) => {
    const seen: Record<string, unknown>[] = [];
    let buffer = "";
    child.stdout!.on("data", (d) => {
      buffer += d;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const l of parts) if (l.startsWith("{")) seen.push(JSON.parse(l));
    });
    return seen;
  };
  const watcher = spawn(process.execPath, [BIN, "watch", "--json"], { cwd: dir, env: ENV, timeout: 300_000, killSignal: "SIGKILL" });
  const events = spawn(process.execPath, [BIN, "events"], { cwd: dir, env: ENV, timeout: 300_000, killSignal: "SIGKILL" });
  const watched = lines(watcher);
  const seen = lines(events);
  try {
    await waitFor("the watcher's first build", () => watched.some((e) => e.event === "build-finished"), 60_000);
    // The listener's stream is open once its first batch could arrive; a passive listener gets no build of its own.
    await new Promise((r) => setTimeout(r, 1500));
    const before = seen.length;
    assert.not.ok(watched.filter((e) => e.event === "build-started").length > 1, "events started no build");
    writeFileSync(join(dir, "m.jl"), "f(x) = x .* 6f0\ng(y) = y .+ 1f0\n");
    await waitFor("the rebuild", () => seen.slice(before).some((e) => e.event === "build-finished"), 60_000);
    const after = seen.slice(before).map((e) => e.event);
    assert.ok(after.includes("watch-changed"), after.join(","));
    assert.ok(after.includes("compile-finished"), after.join(","));
    assert.ok(after.includes("run-finished"), after.join(","));
    assert.ok(seen.every((e) => e.schemaVersion === 1));
  } finally {
    events.kill("SIGINT");
    watcher.kill("SIGINT");
  }
});

test("watch ENTRY through the daemon keeps only that entry built: its own session, rebuilds of it alone", async () => {
  const sessionsBefore = JSON.parse(cli(dir, ["daemon", "status"]).stdout).sessions.length as number;
  const watcher = spawn(process.execPath, [BIN, "watch", "f", "--json"], { cwd: dir, env: ENV, timeout: 300_000, killSignal: "SIGKILL" });
  const seen: Record<string, unknown>[] = [];
  let buffer = "";
  watcher.stdout.on("data", (d) => {
    buffer += d;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const l of parts) if (l.startsWith("{")) seen.push(JSON.parse(l));
  });
  const entriesOf = (from: number) => [...new Set(seen.slice(from).flatMap((e) => (typeof e.entry === "string" ? [e.entry] : [])))];
  try {
    await waitFor("the first build of f", () => seen.some((e) => e.event === "build-finished"), 60_000);
    assert.equal(entriesOf(0), ["f"]);
    const status = JSON.parse(cli(dir, ["daemon", "status"]).stdout);
    assert.is(status.sessions.length, sessionsBefore + 1, "a session of its own in the daemon");
    assert.ok(status.clients >= 1, "the watcher is the daemon's client");
    const before = seen.length;
    writeFileSync(join(dir, "m.jl"), "f(x) = x .* 7f0\ng(y) = y .+ 2f0\n");
    await waitFor("the rebuild", () => seen.slice(before).some((e) => e.event === "build-finished"), 60_000);
    assert.equal(entriesOf(before), ["f"], "g reaches the edited file but was not asked for");
    assert.ok(seen.slice(before).some((e) => e.event === "run-finished" && e.entry === "f"));
    const out = readFileSync(join(dir, ".tpu-build", "out", "f", "0.npy"));
    assert.equal([...new Float32Array(out.buffer.slice(out.byteOffset + out.length - 16, out.byteOffset + out.length))], [21, 21, 21, 21]);
  } finally {
    watcher.kill("SIGINT");
  }
});

test("kill -9 of the daemon leaves no runtime server behind, and the next command recovers", async () => {
  const status = JSON.parse(cli(dir, ["daemon", "status"]).stdout);
  const runtimes: number[] = status.sessions.flatMap((s: { runtimePids: number[] }) => s.runtimePids);
  assert.ok(runtimes.length >= 1, "the daemon holds a runtime server");
  process.kill(status.pid, "SIGKILL");
  await waitFor("the runtime server to exit", () => runtimes.every((p) => !alive(p)));
  const r = cli(dir, ["build", "--json"]);
  assert.is(r.code, 0, r.stderr);
  assert.is(registry(dir), undefined, "the dead daemon's registry was cleaned up");
  const restarted = cli(dir, ["daemon", "start"]);
  assert.is(restarted.code, 0, restarted.stderr);
  assert.ok(registry(dir)!.pid !== status.pid);
});

test("a daemon of another version is replaced, never used", () => {
  cli(dir, ["daemon", "stop"]);
  const old = cli(dir, ["daemon", "start"], { ...ENV, TPU_BUILD_BUILD_ID: "an-older-install" });
  assert.is(old.code, 0, old.stderr);
  const oldReg = registry(dir)!;
  assert.is(oldReg.buildId, "an-older-install");
  const r = cli(dir, ["build", "--json"]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, "replacing the daemon of another version");
  assert.not.ok(alive(oldReg.pid), "the old daemon is gone");
  const reg = registry(dir)!;
  assert.ok(reg.pid !== oldReg.pid && reg.buildId !== "an-older-install");
});

test("SIGTERM shuts the daemon down cleanly: socket, registry and runtime server gone", async () => {
  assert.is(cli(dir, ["build"]).code, 0);
  const status = JSON.parse(cli(dir, ["daemon", "status"]).stdout);
  const runtimes: number[] = status.sessions.flatMap((s: { runtimePids: number[] }) => s.runtimePids);
  process.kill(status.pid, "SIGTERM");
  await waitFor("the daemon to exit", () => !alive(status.pid));
  await waitFor("the runtime server to exit", () => runtimes.every((p) => !alive(p)));
  assert.is(registry(dir), undefined);
  assert.not.ok(existsSync(status.socket));
});

test("an idle daemon exits by itself", async () => {
  const d = workspace();
  dirs.push(d);
  // Long enough that `daemon start` connects before the daemon is idle on a loaded machine.
  const started = cli(d, ["daemon", "start"], { ...ENV, TPU_BUILD_DAEMON_IDLE_MS: "5000" });
  assert.is(started.code, 0, started.stderr);
  const pid = registry(d)!.pid;
  await waitFor("the idle daemon to exit", () => !alive(pid), 90_000);
  assert.is(registry(d), undefined);
});

test.run();
