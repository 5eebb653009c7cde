// The CLI's V8 startup snapshot (cli/snapshot.ts, made by `npm run build`): bin/tpu-build.js,
// run as a program, starts Node from it. A build started from it must write the modules a plain
// Node process writes, byte for byte (the snapshot's warm-up compiles and the library image leave
// nothing behind), also for two files that define the same function differently, compiled one
// after the other in the one process; and a snapshot that does not match its package is not used.

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SNAPSHOT, snapshotStamp } from "../cli/snapshot-stamp.js";
import { BIN, ROOT } from "./support/cli.js";

const DIST = join(ROOT, "dist");

const a = `
import NNlib: relu
relu(x::Float32) = x * 2f0
const K = 3f0
f(x) = relu.(x) .* K
`;
const b = `
const K = 5f0
f(x) = relu.(x) .- K
`;

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-snapshot-"));
  mkdirSync(join(dir, "src"));
  for (const f of ["vgg19.jl", "mlp.jl", "layers.jl"]) cpSync(join(ROOT, "examples", f), join(dir, "src", f));
  writeFileSync(join(dir, "src", "a.jl"), a);
  writeFileSync(join(dir, "src", "b.jl"), b);
  const x = { eltype: "Float32", size: [4] };
  const entries = {
    vgg_init: { file: "src/vgg19.jl", function: "vgg19", args: [{ const: 19 }, { const: 32 }, { const: 10 }] },
    vgg: { file: "src/vgg19.jl", function: "vgg19_forward", args: [{ from: "vgg_init" }, { eltype: "Float32", size: [32, 32, 3, 2] }] },
    mlp_init: { file: "src/mlp.jl", function: "init_mlp", args: [{ const: 1 }, { const: 32 }] },
    mlp: { file: "src/mlp.jl", function: "predict", args: [{ from: "mlp_init" }, { eltype: "Float32", size: [16, 32] }] },
    a: { file: "src/a.jl", function: "f", args: [x] },
    b: { file: "src/b.jl", function: "f", args: [x] },
  };
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries }));
  return dir;
}

/** `tpu-build build --json` started as a program (the shell launcher), with the snapshot unless `off`; the module hash per entry and the debug events. */
function build(dir: string, snapshot: "on" | "off"): { hashes: Record<string, string>; debug: Record<string, unknown>[] } {
  const r = spawnSync(BIN, ["build", "--json", "--no-daemon"], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "true", TPU_BUILD_DEBUG: "1", TPU_BUILD_SNAPSHOT: snapshot, NODE_OPTIONS: "" }, timeout: 240_000 });
  assert.is(r.status, 0, r.stderr);
  const hashes: Record<string, string> = {};
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const e = JSON.parse(line) as { event: string; entry?: string; hash?: string };
    if (e.event === "compile-finished") hashes[e.entry!] = e.hash!;
  }
  const debug = r.stderr.split("\n").filter((l) => l.startsWith('{"event":"debug"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { hashes, debug };
}

test("a build started from the snapshot writes the modules a plain Node process writes", () => {
  assert.ok(existsSync(join(DIST, SNAPSHOT.blob)), "npm run build made no startup snapshot (see build-snapshot's warning)");
  const dirs = [workspace(), workspace()];
  try {
    const fromSnapshot = build(dirs[0]!, "on");
    assert.equal(fromSnapshot.debug, [{ event: "debug", topic: "startup-snapshot", used: true }]);
    const plain = build(dirs[1]!, "off");
    assert.equal(plain.debug, []);
    assert.equal(Object.keys(fromSnapshot.hashes).sort(), ["a", "b", "mlp", "mlp_init", "vgg", "vgg_init"]);
    assert.equal(fromSnapshot.hashes, plain.hashes);
    // a's relu and K did not reach b, compiled after it in the same process.
    assert.is.not(fromSnapshot.hashes.a, fromSnapshot.hashes.b);
    const text = (entry: string) => {
      const record = readFileSync(join(dirs[0]!, ".tpu-build", "state", `${entry}.json`), "utf8");
      const key = (JSON.parse(record) as { compile: { key: string } }).compile.key;
      return readFileSync(join(dirs[0]!, ".tpu-build", "cache", "artifacts", key.slice(0, 2), key, "module.hlo.txt"), "utf8");
    };
    assert.match(text("b"), "maximum(");
    assert.match(text("b"), "subtract(");
    assert.not.match(text("b"), "multiply(");
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test("a snapshot in a copied package is not used: the command runs without it and says so", () => {
  const copy = mkdtempSync(join(tmpdir(), "tpu-snapshot-copy-"));
  try {
    for (const p of ["bin", "dist", "package.json", join("compiler", "library", "prelude.jl")]) cpSync(join(ROOT, p), join(copy, p), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
    const r = spawnSync(join(copy, "bin", "tpu-build.js"), ["--version"], { encoding: "utf8", env: { ...process.env, TPU_BUILD_DEBUG: "1", NODE_OPTIONS: "" }, timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
    const debug = JSON.parse(r.stderr.split("\n").find((l) => l.includes('"startup-snapshot"'))!) as { used: boolean; reason: string };
    assert.is(debug.used, false);
    assert.match(debug.reason, "not " + join(copy, "dist"));
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test("the snapshot's stamp changes when a file it holds is rebuilt", () => {
  const dist = mkdtempSync(join(tmpdir(), "tpu-snapshot-stamp-"));
  try {
    mkdirSync(join(dist, "cli"));
    writeFileSync(join(dist, "one.js"), "1");
    writeFileSync(join(dist, "two.js"), "2");
    writeFileSync(join(dist, SNAPSHOT.inputs), JSON.stringify({ inputs: ["one.js", "two.js"] }));
    const before = snapshotStamp(dist);
    assert.is(snapshotStamp(dist), before);
    // Rewritten with the same bytes, as tsc rewrites every file: a newer time.
    writeFileSync(join(dist, "two.js"), "2");
    utimesSync(join(dist, "two.js"), new Date(), new Date(Date.now() + 5000));
    assert.is.not(snapshotStamp(dist), before);
    rmSync(join(dist, "one.js"));
    assert.is(snapshotStamp(dist), "");
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});

test.run();
