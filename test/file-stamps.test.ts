// A warm engine tells unchanged files by their stamps (build/file-stamps.ts): what it remembers must
// never hide a change. Real files in a fresh temporary directory; compile-only entries (no runtime).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BuildEngine } from "../build/engine.js";
import { FileMemo, fileStamp, RACY_MS } from "../build/file-stamps.js";
import { EntryRecords } from "../build/records.js";

let dir = "";
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "tpu-stamps-"));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A whole second, which utimes sets exactly (a tool restoring a file's time, say). */
const MTIME = 1_700_000_000;

/** Writes a file with its modification time at MTIME. */
function write(path: string, text: string): void {
  writeFileSync(path, text);
  utimesSync(path, MTIME, MTIME);
}

/** Rewrites a file with other bytes of the same length and puts its modification time back. */
function sneakyEdit(path: string, text: string): void {
  const before = statSync(path, { bigint: true });
  assert.is(BigInt(Buffer.byteLength(text)), before.size);
  write(path, text);
  assert.is(statSync(path, { bigint: true }).mtimeNs, before.mtimeNs);
}

test("a write that keeps the size and puts the modification time back still changes the stamp", () => {
  const f = join(dir, "a.jl");
  write(f, "f(x) = x .+ 1f0\n");
  const before = fileStamp(f);
  sneakyEdit(f, "f(x) = x .+ 2f0\n");
  assert.ok(before !== undefined);
  assert.is.not(fileStamp(f), before);
  assert.is(fileStamp(join(dir, "missing")), undefined);
});

test("a file changed less than RACY_MS ago is not remembered; one left alone longer is, until it changes", async () => {
  const f = join(dir, "a.jl");
  write(f, "one");
  const memo = new FileMemo<string>();
  memo.set(f, fileStamp(f), "one");
  assert.is(memo.get(f, fileStamp(f)), undefined, "racy: its timestamps could hide a next write");
  await sleep(RACY_MS + 100);
  memo.set(f, fileStamp(f), "one");
  assert.is(memo.get(f, fileStamp(f)), "one");
  sneakyEdit(f, "two");
  assert.is(memo.get(f, fileStamp(f)), undefined);
});

test("records: another process's replacement is read; this process's own writes are answered at once", async () => {
  const records = new EntryRecords(dir);
  assert.equal(records.read("e"), { format: 1, entry: "e" });
  const written = records.write({ format: 1, entry: "e", executable: { module: "m", target: "local", settings: "{}", digest: "d1" } });
  assert.is(records.read("e").executable?.digest, "d1", "a write in flight is what a read answers");
  await written;
  assert.is(records.read("e").executable?.digest, "d1");
  // Another process replaces the record whole (a rename), as builds do.
  const path = join(dir, ".tpu-build", "state", "e.json");
  const other = JSON.parse(readFileSync(path, "utf8"));
  other.executable.digest = "d2";
  writeFileSync(`${path}.tmp`, JSON.stringify(other, null, 2) + "\n");
  renameSync(`${path}.tmp`, path);
  assert.is(records.read("e").executable?.digest, "d2");
});

test("a warm engine's no-op build compiles nothing, and an edit that keeps size and mtime recompiles exactly what it touches", async () => {
  write(join(dir, "a.jl"), "fa(x) = x .+ 1f0\n");
  write(join(dir, "b.jl"), "fb(x) = x .* 2f0\n");
  const arg = [{ eltype: "Float32", size: [4] }];
  write(join(dir, "tpu.config.json"), JSON.stringify({ entries: { a: { file: "a.jl", function: "fa", args: arg }, b: { file: "b.jl", function: "fb", args: arg } } }));
  const engine = new BuildEngine({ config: join(dir, "tpu.config.json"), persistent: true });
  try {
    const compiled = async () => {
      const s = await engine.build({});
      assert.ok(s.ok);
      return Object.values(s.entries).filter((e) => e.status === "compiled").map((e) => e.entry);
    };
    assert.equal(await compiled(), ["a", "b"]);
    await sleep(RACY_MS + 100);
    assert.equal(await compiled(), [], "a no-op");
    assert.equal(await compiled(), [], "a no-op from what the engine remembers");
    sneakyEdit(join(dir, "a.jl"), "fa(x) = x .+ 3f0\n");
    assert.equal(await compiled(), ["a"]);
    // The manifest too: an edit that keeps its size and mtime is seen.
    const manifest = join(dir, "tpu.config.json");
    sneakyEdit(manifest, readFileSync(manifest, "utf8").replace('"size":[4]}]}', '"size":[5]}]}'));
    assert.equal(await compiled(), ["a"]);
  } finally {
    await engine.close();
  }
});

test.run();
