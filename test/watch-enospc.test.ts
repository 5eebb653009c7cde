// A real ENOSPC from inotify, not a simulated one. Linux counts inotify watches per user
// namespace (since 5.11, /proc/sys/user/max_inotify_watches, on top of every ancestor's limit), and
// inside a new user namespace, where we are root, that limit can be lowered. So the watch and its
// daemon are started in `unshare --user --map-root-user` with a limit of LIMIT watches, on a
// workspace whose include graph spans more directories than that: chokidar's watches of them fail
// with ENOSPC, and the watcher must say the sysctl fix and go on by polling.
//
// Where the kernel or the container allows no user namespace, or no lowering of the limit there,
// the tests print why and pass without running.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { float32Output, testWhenAvailable } from "./support/outputs.js";
import { INOTIFY_FIX } from "../daemon/watcher.js";
import { processGone, PtySession, ptyUnavailable } from "./support/pty.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "tpu-build.js");
/** inotify watches allowed in the namespace: fewer than the workspace's directories. */
const LIMIT = 20;
const DIRS = 40;

const ENV: NodeJS.ProcessEnv = { ...process.env, CI: "true", TERM: "xterm-256color", LANG: "C.UTF-8" };
delete ENV.TPU_BUILD_BUILD_ID;
delete ENV.TPU_BUILD_WATCH_POLL;
delete ENV.TPU_BUILD_DAEMON;

/** `argv` in a new user namespace whose inotify watch limit is `limit`. */
const inNamespace = (argv: string[], limit = LIMIT) => [
  "unshare",
  "--user",
  "--map-root-user",
  "sh",
  "-c",
  `echo ${limit} > /proc/sys/user/max_inotify_watches && exec "$@"`,
  "sh",
  ...argv,
];

/** Why a real ENOSPC cannot be made here, or undefined when a probe in a namespace got one. */
function enospcUnavailable(): string | undefined {
  if (process.platform !== "linux") return `inotify is Linux's (this is ${process.platform})`;
  // More fs.watch calls than the limit allows, on directories: the first one over must fail with ENOSPC.
  const probe = `
    const fs = require("fs"), os = require("os"), path = require("path");
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "tpu-build-enospc-probe-"));
    let code = "none";
    try {
      for (let i = 0; i < ${LIMIT + 10}; i++) {
        const d = path.join(base, String(i));
        fs.mkdirSync(d);
        fs.watch(d);
      }
    } catch (e) { code = e.code; }
    fs.rmSync(base, { recursive: true, force: true });
    console.log(code);
    process.exit(0);`;
  const [cmd, ...args] = inNamespace([process.execPath, "-e", probe]);
  const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 60_000 });
  if (r.error) return `unshare cannot run: ${r.error.message}`;
  if (r.status !== 0) return `no user namespace with a lowered inotify limit here (unshare --user --map-root-user; echo ${LIMIT} > /proc/sys/user/max_inotify_watches): ${(r.stderr || r.stdout).trim()}`;
  if (r.stdout.trim() !== "ENOSPC") return `${LIMIT + 10} inotify watches in a namespace limited to ${LIMIT} did not fail with ENOSPC (got ${r.stdout.trim() || r.stderr.trim()})`;
  return undefined;
}

/** An entry whose include graph spans DIRS directories; f(1) = (1 + k) * 2 with k from the last. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-enospc-"));
  const includes: string[] = [];
  for (let i = 1; i <= DIRS; i++) {
    mkdirSync(join(dir, `d${i}`));
    writeFileSync(join(dir, `d${i}`, "k.jl"), `k${i}(x) = x .+ ${i}f0\n`);
    includes.push(`include("d${i}/k.jl")`);
  }
  writeFileSync(join(dir, "m.jl"), `${includes.join("\n")}\nf(x) = k${DIRS}(x) .* 2f0\n`);
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries: { f: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [3], value: { fill: 1 } }], run: true } } }));
  return dir;
}


async function waitFor(what: string, probe: () => boolean, context: () => string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Watch {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function watchIn(dir: string, args: string[], env: NodeJS.ProcessEnv): Watch {
  const [cmd, ...rest] = inNamespace([process.execPath, BIN, "watch", ...args]);
  const child = spawn(cmd!, rest, { cwd: dir, env, timeout: 600_000, killSignal: "SIGKILL" });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
  children.push(child);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

const events = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });

const unavailable = enospcUnavailable();
const test = suite("watcher: a real inotify ENOSPC");
const dirs: string[] = [];
const children: ChildProcess[] = [];
const daemons: string[] = [];
const terminals: PtySession[] = [];

test.after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of daemons) {
    spawnSync(process.execPath, [BIN, "daemon", "stop"], { cwd: d, env: ENV, timeout: 60_000 });
    try {
      const { pid } = JSON.parse(readFileSync(join(d, ".tpu-build", "daemon", "registry.json"), "utf8")) as { pid: number };
      if (!processGone(pid)) process.kill(pid, "SIGKILL");
    } catch {
      // no registry: the daemon is gone
    }
  }
  for (const t of terminals) await t.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const real = testWhenAvailable(test, unavailable);

real("through the daemon: the watch-error event carries the exact sysctl fix, polling takes over, and an edit still rebuilds right", async () => {
  const dir = workspace();
  dirs.push(dir);
  daemons.push(dir);
  const w = watchIn(dir, ["--json"], { ...ENV, TPU_BUILD_DAEMON: "1" });
  const context = () => `${w.stdout()}\n${w.stderr()}`;
  try {
    // The failed watcher is replaced by a polling one, whose catch-up build follows the error.
    await waitFor("the watcher's ENOSPC and the build after it", () => {
      const es = events(w.stdout());
      const at = es.findIndex((e) => e.event === "watch-error");
      return at >= 0 && es.some((e) => e.event === "watch-started") && es.slice(at).some((e) => e.event === "build-finished");
    }, context);
    const es = events(w.stdout());
    const error = es.find((e) => e.event === "watch-error")!;
    assert.is(error.fix, INOTIFY_FIX);
    assert.match(INOTIFY_FIX, /^sudo sysctl fs\.inotify\.max_user_watches=\d+ /);
    assert.ok((error.message as string).includes("ENOSPC") && (error.message as string).includes(INOTIFY_FIX), error.message as string);
    assert.is(error.polling, true);
    assert.is(es.filter((e) => e.event === "watch-error").length, 1, "one ENOSPC, one message");
    // (watch-started may come before the error: the failing watches are set up asynchronously.)
    assert.is(es.find((e) => e.event === "watch-started")!.files, DIRS + 2, "every source and the manifest are watched");
    assert.equal(float32Output(dir, "f"), [82, 82, 82]);

    // A file in a directory whose inotify watch failed: seen by polling, rebuilt, right outputs.
    const mark = w.stdout().length;
    writeFileSync(join(dir, `d${DIRS}`, "k.jl"), `k${DIRS}(x) = x .+ 100f0\n`);
    // As the watching client sees it: relative to its directory, the workspace.
    const edited = join(`d${DIRS}`, "k.jl");
    /** The events from the batch that names the edited file on (none before it is seen). */
    const afterEdit = () => {
      const es = events(w.stdout().slice(mark));
      const at = es.findIndex((e) => e.event === "watch-changed" && (e.paths as string[]).includes(edited));
      return at < 0 ? [] : es.slice(at);
    };
    await waitFor("the edit seen by polling, and the rebuild", () => afterEdit().some((e) => e.event === "build-finished"), context);
    assert.ok(afterEdit().some((e) => e.event === "run-finished"));
    assert.equal(float32Output(dir, "f"), [202, 202, 202]);
  } finally {
    w.child.kill("SIGINT");
    await w.exited;
  }
});

real("in the command itself, without a terminal: the message with the fix is printed once, and polling rebuilds", async () => {
  const dir = workspace();
  dirs.push(dir);
  const w = watchIn(dir, ["--no-daemon"], ENV);
  const context = () => `${w.stdout()}\n${w.stderr()}`;
  try {
    // The error, then the polling watcher's catch-up build ("changed (rescanning)").
    await waitFor("the ENOSPC message and the build after it", () => w.stderr().includes(INOTIFY_FIX) && /^changed +\(rescanning\)\n(.*\n)*build +ok/m.test(w.stdout()), context);
    assert.match(w.stdout(), /^watching \d+ files/m);
    assert.match(w.stderr(), /^tpu-build watch: the system's limit of inotify watches is reached \(ENOSPC\); falling back to polling/m);
    assert.is(w.stderr().split(INOTIFY_FIX).length - 1, 1, `the fix, once:\n${w.stderr()}`);
    const mark = w.stdout().length;
    writeFileSync(join(dir, `d${DIRS}`, "k.jl"), `k${DIRS}(x) = x .+ 7f0\n`);
    await waitFor("the rebuild", () => /^changed +\S*k\.jl\n(.*\n)*build +ok/m.test(w.stdout().slice(mark)), context);
    assert.equal(float32Output(dir, "f"), [16, 16, 16]);
  } finally {
    w.child.kill("SIGINT");
    await w.exited;
  }
});

real("files beside the sources that the build does not read cost no watches: many of them stay under the limit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-enospc-"));
  dirs.push(dir);
  for (let i = 0; i < 5 * LIMIT; i++) writeFileSync(join(dir, `data${i}.txt`), `${i}\n`);
  writeFileSync(join(dir, "m.jl"), "f(x) = x .* 2f0\n");
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries: { f: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [3], value: { fill: 1 } }], run: true } } }));
  const w = watchIn(dir, ["--no-daemon"], ENV);
  const context = () => `${w.stdout()}\n${w.stderr()}`;
  try {
    await waitFor("the first build", () => /^watching 2 files;/m.test(w.stdout()), context);
    const mark = w.stdout().length;
    writeFileSync(join(dir, "m.jl"), "f(x) = x .* 3f0\n");
    await waitFor("the rebuild", () => /^changed +\S*m\.jl\n(.*\n)*build +ok/m.test(w.stdout().slice(mark)), context);
    assert.equal(float32Output(dir, "f"), [3, 3, 3]);
    assert.not.match(w.stderr(), /ENOSPC|inotify/, w.stderr());
  } finally {
    w.child.kill("SIGINT");
    await w.exited;
  }
});

real("on a terminal: the view says it is polling and keeps the fix on screen, whole, after the build", async () => {
  const reason = ptyUnavailable();
  if (reason) {
    console.log(`  skipped: ${reason}`);
    return;
  }
  const dir = workspace();
  dirs.push(dir);
  const term = new PtySession(inNamespace([process.execPath, BIN, "watch", "--no-daemon"]), { cols: 80, rows: 30, cwd: dir, env: ENV });
  terminals.push(term);
  const pid = await term.pid;
  try {
    const lines = await term.waitForScreen("the polling note and a finished build", (ls) => ls.some((l) => /files watched \(polling\)$/.test(l)) && ls.some((l) => l.startsWith("up to date")));
    const text = lines.join("\n");
    assert.ok(text.includes("(ENOSPC)"), text);
    // The fix may be wrapped with shell continuations: rejoined, it is the command.
    const at = lines.findIndex((l) => l.trimStart().startsWith("sudo sysctl"));
    assert.ok(at >= 0, text);
    let command = "";
    for (let i = at; ; i++) {
      const l = lines[i]!.trim();
      command += l.endsWith(" \\") ? `${l.slice(0, -2)} ` : l;
      if (!l.endsWith(" \\")) break;
    }
    assert.is(command, INOTIFY_FIX);
    assert.is(term.screen.scrolls, 0);
    term.type("\x03");
    assert.equal(await term.ended, { code: 0, signal: null });
  } finally {
    if (!processGone(pid)) process.kill(pid, "SIGKILL");
  }
});

test.run();
