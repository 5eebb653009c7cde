// A model whose layers hold anonymous functions passes from one entry to the next like one of
// named functions: a closure travels in the signature as its source, with the local values it
// captures bound around it; one that captures a traced value is an error that says so. Built and
// run by the real engine on the local target, checked against NumPy from the first entry's weights.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArgSpec } from "../../plugins/api.js";
import { renderedCompileError } from "../support/conformance.js";
import { build } from "../../build/engine.js";
import { runPython } from "../support/jax.js";

const MODEL = `using Flux
function init(scale)
    k = scale + 1
    shape = (3, 2)
    return Chain(Dense(4 => 6, relu), x -> reshape(x, shape..., :), x -> x .* k, Flux.flatten, Dense(6 => 2))
end
apply(m, x) = m(x)
`;

const work = mkdtempSync(join(tmpdir(), "tpu-build-closures-"));
test.after(() => rmSync(work, { recursive: true, force: true }));

test("a Chain holding closures with captured known values runs in the next entry as it would in the first", async () => {
  writeFileSync(join(work, "m.jl"), MODEL);
  await runPython("np.save(INPUT, np.random.default_rng(7).standard_normal((4, 5)).astype(np.float32)); emit(0)", join(work, "x.npy"));
  const manifest = {
    entries: {
      init: { file: "m.jl", function: "init", args: [{ const: 2 }], run: true },
      apply: { file: "m.jl", function: "apply", args: [{ from: "init" }, { eltype: "Float32", size: [4, 5], value: { npy: "x.npy" } }], run: true },
    },
  };
  writeFileSync(join(work, "tpu.config.json"), JSON.stringify(manifest));
  const out = join(work, "out");
  const summary = await build({ config: join(work, "tpu.config.json"), outDir: out, cacheDir: join(work, "cache"), error: (t) => process.stderr.write(`${t}\n`) });
  assert.is(summary.exitCode, 0);
  // Dense, reshape to (3, 2, 5), times k = 3, flatten back to (6, 5), Dense.
  const err = await runPython<number>(
    `
W1, b1, W2, b2 = (np.load(f"{INPUT}/out/init/{i}.npy").astype(np.float64) for i in range(4))
x = np.load(f"{INPUT}/x.npy").astype(np.float64)
want = W2 @ (np.maximum(W1 @ x + b1[:, None], 0) * 3) + b2[:, None]
emit(float(np.abs(np.load(f"{INPUT}/out/apply/0.npy") - want).max()))`,
    work,
  );
  assert.ok(err < 1e-5, `max error ${err}`);
});

const f32 = (...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size } });

test("a closure that captures a traced value cannot leave its entry, and the error says which variable", () => {
  const src = "using Flux\nfunction f(s)\n    return Chain(Dense(2 => 2), x -> x .* s)\nend\n";
  const { d, text } = renderedCompileError(src, [f32(2)]);
  assert.is(d.code, "unsupported-result");
  assert.match(text, "m.jl:3:33: error: the result holds a closure at result.layers[2] that captures `s`, a traced value");
  assert.match(text, "a closure passed between entries may capture only values known at compile time");
});

test.run();
