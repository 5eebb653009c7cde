// The library image (compiler/library-image.ts): every compile in a process shares the prelude
// evaluated once. A compile on it must give the bytes a compile on a fresh image gives, and what
// one program defines (its functions, methods it adds to the library's, globals, the random
// generator's state) must never reach the next program compiled in the same process.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ArgSpec, CompileRequest, CompileResult, TypeTree } from "../plugins/api.js";
import { compileEntry, freshLibraryImage } from "../compiler/compile.js";
import { findPackageRoot } from "../package-root.js";

const f32 = (...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size } });

/** The module, text and signature, or the diagnostics' codes and messages. */
function outcome(r: CompileResult): string {
  if (!r.ok) return `error ${r.diagnostics.map((d) => `${d.code}: ${d.message}`).join("; ")}`;
  return `${Buffer.from(r.module).toString("base64")}\n${r.text}\n${JSON.stringify(r.signature)}`;
}

/** The request compiled on the process's image and on a fresh one: the two outcomes. */
function bothWays(request: CompileRequest): [shared: string, fresh: string] {
  return [outcome(compileEntry(request)), outcome(compileEntry(request, freshLibraryImage()))];
}

test("every example entry compiles on the shared image to the bytes a fresh image gives", () => {
  const root = findPackageRoot();
  const manifest = JSON.parse(readFileSync(join(root, "tpu.config.json"), "utf8")) as { entries: Record<string, { file: string; function: string; args: Record<string, unknown>[] }> };
  const readSource = (p: string) => readFileSync(join(root, p), "utf8");
  const outputs = new Map<string, TypeTree>();
  // Entries in manifest order take results only from earlier ones.
  for (const [entry, e] of Object.entries(manifest.entries)) {
    const args = e.args.map((a): ArgSpec => {
      if (typeof a.from === "string") return { kind: "runtime", type: outputs.get(a.from)! };
      if ("const" in a) return { kind: "const", value: a.const };
      const size = a.size as number[] | undefined;
      return { kind: "runtime", type: { kind: "array", eltype: a.eltype as "Float32", size: size ?? [], scalar: size ? undefined : true } };
    });
    const request: CompileRequest = { entry, file: e.file, function: e.function, args, readSource };
    const [shared, fresh] = bothWays(request);
    assert.ok(shared.startsWith("error") === false, `${entry}: ${shared.slice(0, 300)}`);
    assert.ok(shared === fresh, `${entry}: the module compiled on the shared image differs from a fresh image's`);
    const r = compileEntry(request);
    if (r.ok) outputs.set(entry, r.signature.output);
  }
});

// Program A changes everything of the library a program can change; B, compiled after it in the
// same process, uses the same names and must see the library as the prelude defines it.
const programA = `
import NNlib: relu
relu(x::Float32) = x * 2f0
struct Scale
    s
end
(m::Scale)(x) = x .* m.s
Dense(s::Scale) = Dense(fill(s.s, 2, 2), zeros(Float32, 2), identity)
Base.newfn(x) = x .+ 1f0
Flux.@layer Dense trainable=(weight,)
const K = 3f0
helper(x) = x .* K
f(x) = helper(relu.(x)) .+ Base.newfn(x) .+ rand(Float32, 2) .+ Scale(2f0)(x) .+ Dense(Scale(1f0))(x)
`;
const programB = `
struct Scale
    s
end
const K = 5f0
helper(x) = x .- K
f(x) = helper(relu.(x)) .+ rand(Float32, 2) .+ Dense(2 => 2)(x)
g(x) = Base.newfn(x)
h(x) = Scale(2f0)(x)
k(x) = Dense(Scale(1f0))(x)
`;

test("what one program defines never reaches the next program compiled in the process", () => {
  const request = (source: string, fn: string): CompileRequest => ({ entry: fn, file: "m.jl", function: fn, args: [f32(2)], readSource: (p) => (p === "m.jl" ? source : undefined) });
  const a = bothWays(request(programA, "f"));
  assert.ok(!a[0].startsWith("error"), a[0].slice(0, 400));
  assert.is(a[0], a[1]);
  // A's own methods are there in A: its relu doubles, its functor and outer constructor work.
  assert.match(a[0], "multiply(");
  for (const fn of ["f", "g", "h", "k"]) {
    const [shared, fresh] = bothWays(request(programB, fn));
    assert.is(shared, fresh, `B's ${fn} compiled after A differs from a fresh image's`);
  }
  // B sees the library's relu, not A's, and none of A's additions.
  assert.not.match(outcome(compileEntry(request(programB, "f"))), "error");
  assert.match(outcome(compileEntry(request(programB, "g"))), "`newfn`");
  assert.match(outcome(compileEntry(request(programB, "h"))), "not-callable");
  assert.match(outcome(compileEntry(request(programB, "k"))), "no-method");
  // And A again, after B, as the first time.
  assert.is(outcome(compileEntry(request(programA, "f"))), a[0]);
});

test.run();
