// `tpu-build watch` as a user sees it: the compiled CLI on a real pseudo-terminal (Python's pty,
// test/support/pty.py), its output replayed on a model of the screen (test/support/terminal.ts),
// a real workspace edited on disk. And the same command with pipes, where it prints plain lines.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { float32Output, testWhenAvailable } from "./support/outputs.js";
import { descendants, processGone, PtySession, ptyUnavailable } from "./support/pty.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "tpu-build.js");

const GOOD = (k: number) => `f(x) = x .* ${k}f0\ng(y) = y .+ 1f0\n`;
/** `x * x` of two vectors: a MethodError at 1:8, with a message wider than the terminals below. */
const BROKEN = "f(x) = x * x\ng(y) = y .+ 1f0\n";

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-watch-tty-"));
  writeFileSync(join(dir, "m.jl"), GOOD(2));
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


/** The compile error's first line as `build --json` reports it, from a copy of the workspace. */
function referenceError(): { location: string; firstLine: string } {
  const dir = workspace();
  try {
    writeFileSync(join(dir, "m.jl"), BROKEN);
    const r = spawnSync(process.execPath, [BIN, "build", "--no-daemon", "--json"], { cwd: dir, encoding: "utf8", env: ENV, timeout: 180_000 });
    const failed = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { event: string; diagnostics?: { location: string; rendered: string }[] })
      .find((e) => e.event === "compile-failed");
    assert.ok(failed?.diagnostics?.[0], `build --json reports the compile error: ${r.stdout}${r.stderr}`);
    return { location: failed.diagnostics[0].location, firstLine: failed.diagnostics[0].rendered.split("\n")[0]! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ENV: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color", LANG: "C.UTF-8" };
delete ENV.TPU_BUILD_BUILD_ID;
delete ENV.TPU_BUILD_WATCH_POLL;

/** The row of `entry` on the screen. */
const row = (lines: string[], entry: string) => lines.find((l) => l.startsWith(`${entry} `));
const runtimeServers = (pid: number) => descendants(pid).filter((p) => p.cmdline.includes("server.py"));

const unavailable = ptyUnavailable();
const test = suite("tpu-build watch on a terminal");
const dirs: string[] = [];
let dir: string;
let term: PtySession;
let pid: number;
const COLS = 72;
const ROWS = 30;
let reference: { location: string; firstLine: string };
let servers: number[] = [];

test.before(async () => {
  if (unavailable) return;
  reference = referenceError();
  dir = workspace();
  dirs.push(dir);
  term = new PtySession([process.execPath, BIN, "watch", "--no-daemon"], { cols: COLS, rows: ROWS, cwd: dir, env: ENV });
  pid = await term.pid;
});

test.after(async () => {
  if (unavailable) return;
  if (pid && !processGone(pid)) process.kill(pid, "SIGKILL");
  for (const p of servers) if (!processGone(p)) process.kill(p, "SIGKILL");
  await term?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const live = testWhenAvailable(test, unavailable);

live("the first build shows every entry ran, with its compile and run times, under a header that says all is up to date", async () => {
  const lines = await term.waitForScreen("both entries to have run", (ls) => /\bran\b/.test(row(ls, "g") ?? "") && ls.some((l) => l.startsWith("up to date")));
  assert.match(lines[0]!, /^tpu-build watch\s+\S*tpu\.config\.json/);
  assert.ok(lines.some((l) => /^\d+ files watched$/.test(l)), lines.join("\n"));
  for (const e of ["f", "g"]) assert.match(row(lines, e)!, /^\w\s+ran\s+compile \d+ ms, run \d+ ms\s+\d+ instructions$/);
  assert.ok(lines.some((l) => /last build ok in \d+ ms/.test(l)), lines.join("\n"));
  assert.equal(float32Output(dir, "g"), [7, 7, 7, 7]);
  servers = runtimeServers(pid).map((p) => p.pid);
  assert.ok(servers.length >= 1, `the watch holds a runtime server: ${JSON.stringify(descendants(pid))}`);
});

live("the view is redrawn in place: the cursor is hidden, moved home and lines erased, and the screen never scrolls", async () => {
  await term.quiet();
  assert.not.ok(term.screen.cursorVisible, "the cursor is hidden while the view is live");
  assert.ok(term.screen.moves >= 3, `frames are drawn from the top left corner (${term.screen.moves} moves)`);
  assert.is(term.screen.clears, 1, "the screen is cleared once, before the first frame");
  assert.is(term.screen.scrolls, 0, "nothing scrolled");
  assert.is(term.screen.autowraps, 0, "no line ran past the right margin");
  assert.equal(term.screen.unknown, []);
});

live("a compile error: the entry failed, its dependent is skipped, and the error shows at file:line:col with the source line and a caret under that column", async () => {
  writeFileSync(join(dir, "m.jl"), BROKEN);
  const lines = await term.waitForScreen("the compile error", (ls) => /compile failed/.test(row(ls, "f") ?? "") && ls.some((l) => /^failed\b/.test(l)) && ls.some((l) => l.includes("^")));
  await term.quiet();
  assert.match(row(lines, "f")!, new RegExp(`^f\\s+compile failed\\s+compile \\d+ ms\\s+${reference.location.replace(/[.]/g, "\\.")}`));
  assert.ok(row(lines, "f")!.endsWith("…"), `the row is cut to the width, visibly: ${row(lines, "f")}`);
  assert.match(row(lines, "g")!, /^g\s+skipped\s+its input f did not compile$/);
  // The message is wider than the terminal: wrapped at spaces by the view, every word kept.
  const at = lines.findIndex((l) => l.startsWith(`${reference.location}: error:`));
  assert.ok(at > 0, `the error's location starts a line:\n${lines.join("\n")}`);
  const source = lines.findIndex((l) => /^1 \| f\(x\) = x \* x$/.test(l));
  assert.ok(source > at, `the source line is shown:\n${lines.join("\n")}`);
  const message = lines.slice(at, source - 1).map((l) => l.trim()).join(" ");
  assert.is(message.replace(/\s+/g, ""), reference.firstLine.replace(/\s+/g, ""));
  assert.ok(lines.slice(at, source).every((l) => l.length < COLS));
  const [, col] = reference.location.match(/:\d+:(\d+)$/)!;
  const caret = lines[source + 1]!;
  assert.match(caret, /^\s*\|\s*\^/);
  assert.is(caret.indexOf("^") - lines[source]!.indexOf("f(x)"), Number(col) - 1, "the caret is under the error's column");
  assert.is(float32Output(dir, "f"), undefined, "no stale output of the failed entry");
  assert.is(term.screen.scrolls, 0);
  assert.is(term.screen.autowraps, 0);
});

live("a terminal resized smaller than the error: the frame is redrawn to fit, lines cut to the width and the height, never scrolled", async () => {
  term.resize(50, 12);
  const lines = await term.waitForScreen("the frame for 50x12", (ls) => ls.some((l) => /more lines/.test(l)));
  await term.quiet();
  assert.ok(lines.every((l) => l.length < 50), lines.join("\n"));
  assert.match(lines[11]!, /^… \d+ more lines/);
  assert.match(row(lines, "f")!, /^f\s+compile failed/);
  assert.is(term.screen.scrolls, 0);
  assert.is(term.screen.autowraps, 0);
  term.resize(COLS, ROWS);
  await term.waitForScreen("the frame for the full size again", (ls) => !ls.some((l) => /more lines/.test(l)) && ls.some((l) => l.includes("^")));
});

live("the fix recovers: both entries run again with the new code, and the error is gone from the screen", async () => {
  writeFileSync(join(dir, "m.jl"), GOOD(5));
  await term.waitForScreen("the recovery", (ls) => /\bran\b/.test(row(ls, "g") ?? "") && /\bran\b/.test(row(ls, "f") ?? "") && ls.some((l) => l.startsWith("up to date")));
  await term.quiet();
  assert.not.ok(term.screen.text().includes("error"), term.screen.text());
  assert.not.ok(term.screen.text().includes("^"), term.screen.text());
  assert.equal(float32Output(dir, "f"), [15, 15, 15, 15]);
  assert.equal(float32Output(dir, "g"), [16, 16, 16, 16]);
  assert.is(term.screen.scrolls, 0);
  assert.equal(term.screen.unknown, []);
});

live("Ctrl-C exits 0 with the cursor shown again, the last frame kept, and no runtime server left", async () => {
  const before = term.screen.lines();
  term.type("\x03");
  const ended = await term.ended;
  assert.equal(ended, { code: 0, signal: null });
  await term.quiet(300);
  assert.ok(term.screen.cursorVisible, "the cursor is shown again");
  assert.is(term.screen.scrolls, 0, "the last frame stays where it was");
  const after = term.screen.lines();
  assert.is(row(after, "f"), row(before, "f"));
  assert.not.match(term.raw, /Traceback|KeyboardInterrupt|node:internal/, "no stack trace on the way out");
  for (const p of servers) assert.ok(processGone(p), `runtime server ${p} is gone`);
  assert.equal(descendants(pid), []);
});

live("without a terminal, watch prints plain lines: no escape sequences, errors on stderr with their caret", async () => {
  const d = workspace();
  dirs.push(d);
  const child = spawn(process.execPath, [BIN, "watch", "--no-daemon"], { cwd: d, env: ENV, timeout: 600_000, killSignal: "SIGKILL" });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (x) => (stdout += x));
  child.stderr.on("data", (x) => (stderr += x));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
  const waitFor = async (what: string, probe: () => boolean) => {
    const end = Date.now() + 120_000;
    while (!probe()) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`waiting for ${what}:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await waitFor("the first build", () => /^watching \d+ files/m.test(stdout));
    assert.match(stdout, /^ran +f /m);
    assert.match(stdout, /^build +ok in \d+ ms/m);
    const servers = runtimeServers(child.pid!).map((p) => p.pid);
    assert.ok(servers.length >= 1);
    let mark = stdout.length;
    writeFileSync(join(d, "m.jl"), BROKEN);
    await waitFor("the failed build", () => /^build +failed/m.test(stdout.slice(mark)));
    assert.match(stdout.slice(mark), /^changed +\S*m\.jl$/m);
    assert.match(stdout.slice(mark), /^FAILED +f$/m);
    assert.match(stdout.slice(mark), /^skip +g \(its input f did not compile\)$/m);
    assert.ok(stderr.includes(`${reference.firstLine}\n`), stderr);
    assert.match(stderr, /^1 \| f\(x\) = x \* x\n\s+\|\s+\^/m);
    mark = stdout.length;
    writeFileSync(join(d, "m.jl"), GOOD(5));
    await waitFor("the recovery", () => /^build +ok/m.test(stdout.slice(mark)));
    assert.equal(float32Output(d, "g"), [16, 16, 16, 16]);
    assert.not.ok(stdout.includes("\x1b") || stderr.includes("\x1b"), "no escape sequences");
    child.kill("SIGINT");
    const ended = await exited;
    // The command's SIGINT handler closes the session and exits 0 (the runtime's own signal hook
    // re-raises a signal only when nobody else listens for it).
    assert.is(ended.code, 0, JSON.stringify(ended));
    for (const p of servers) assert.ok(processGone(p), `runtime server ${p} is gone`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

test.run();
