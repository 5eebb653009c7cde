// The compiler's own code is part of every cache key (issue 16.0): an install whose compiler was
// built from other code must compile again, never take an artifact of another compiler from the
// cache, while the same code installed elsewhere still hits. Real CLI processes on a shared cache.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { codeDigest } from "../plugins/julia/code-digest.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let dir = "";
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "tpu-digest-"));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("the code digest covers every code file's path and bytes, and nothing else", () => {
  const src = join(dir, "compiler");
  mkdirSync(join(src, "hlo"), { recursive: true });
  writeFileSync(join(src, "compile.js"), "export const a = 1;\n");
  writeFileSync(join(src, "hlo", "ops.js"), "export const b = 2;\n");
  const d0 = codeDigest({ compiler: src });
  assert.is(codeDigest({ compiler: src }), d0, "stable");
  writeFileSync(join(src, "compile.js.map"), "{}");
  writeFileSync(join(src, "compile.d.ts"), "export declare const a: number;\n");
  assert.is(codeDigest({ compiler: src }), d0, "maps and declarations are not code");
  appendFileSync(join(src, "hlo", "ops.js"), " ");
  const d1 = codeDigest({ compiler: src });
  assert.is.not(d1, d0, "one byte more in one module");
  writeFileSync(join(src, "hlo", "new.js"), "");
  assert.is.not(codeDigest({ compiler: src }), d1, "a new module");
});

/** A copy of this installation (compiled code, proto files, launcher) at `at`, sharing node_modules. */
function install(at: string): string {
  mkdirSync(at);
  for (const part of ["bin", "dist", "proto", "schema", "package.json", "compiler/library/prelude.jl"]) cpSync(join(ROOT, part), join(at, part), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(at, "node_modules"));
  return join(at, "bin", "tpu-build.js");
}

test("a compiler built from other code misses the cache; the same code elsewhere hits", () => {
  const ws = join(dir, "ws");
  mkdirSync(ws);
  writeFileSync(join(ws, "m.jl"), "f(x) = sum(x .* 2f0)\n");
  writeFileSync(join(ws, "tpu.config.json"), JSON.stringify({ entries: { f: { file: "m.jl", function: "f", args: [{ eltype: "Float32", size: [4] }] } } }));
  const env = { ...process.env, CI: "true", TPU_BUILD_DAEMON: "", TPU_BUILD_CACHE_DIR: join(dir, "cache") };
  const firstEvent = (bin: string) => {
    const r = spawnSync(process.execPath, [bin, "build", "--json"], { cwd: ws, env, encoding: "utf8", timeout: 120_000 });
    assert.is(r.status, 0, r.stderr);
    const events = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { event: string; entry?: string });
    return events.find((e) => e.entry === "f" && e.event.startsWith("compile-"))!.event;
  };
  assert.is(firstEvent(join(ROOT, "bin", "tpu-build.js")), "compile-started");
  const copy = install(join(dir, "copy"));
  assert.is(firstEvent(copy), "compile-cache-hit", "the same compiler installed elsewhere");
  // The copy's compiler now differs by one statement in the HLO builder, as a patched or upgraded one would.
  appendFileSync(join(dir, "copy", "dist", "compiler", "hlo", "builder.js"), "\nexport const patched = true;\n");
  assert.is(firstEvent(copy), "compile-started", "a changed compiler must not reuse the artifact");
  assert.is(firstEvent(copy), "compile-cache-hit");
});

test.run();
