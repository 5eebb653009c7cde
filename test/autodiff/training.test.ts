// Training compiled into the build graph (examples/train.jl): STEPS Adam steps on a synthetic,
// learnable regression task run on the device as one HLO while, and the loss falls below a stated
// level. Also: every Optimisers.jl rule's update matches the rule's formula computed in NumPy.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { compileEntry } from "../../compiler/compile.js";
import { juliaCompiler } from "../../plugins/julia/index.js";
import { base64, runPython } from "../support/jax.js";
import type { ConformanceCase } from "../support/conformance.js";
import { GRADIENT_COMPARISON, runConformance } from "../support/conformance.js";

const TRAIN = readFileSync(new URL("../../examples/train.jl", import.meta.url), "utf8");

const test = suite("training steps in one module");

test("300 Adam steps run as one HLO while and bring the loss below 0.05", async () => {
  const source = `${TRAIN}
function whole(seed)
    m = init_regressor(seed)
    before = train_evaluate(m, 5).loss
    m = train(m, 5)
    return before, train_evaluate(m, 5).loss
end
`;
  const read = (p: string) => (p === "main.jl" ? source : undefined);
  const r = compileEntry({ entry: "train", file: "main.jl", function: "whole", args: [{ kind: "const", value: 1 }], readSource: read });
  assert.ok(r.ok, r.ok ? "" : r.diagnostics.map((d) => juliaCompiler.render(d, read)).join("\n"));
  if (!r.ok) return;
  assert.is((r.text.match(/ while\(/g) ?? []).length, 1, "the training loop is one HLO while");
  const [before, after] = await runPython<[number, number]>("emit([float(np.asarray(o)) for o in run_hlo_proto(b64(INPUT), [])])", base64(r.module));
  assert.ok(after < 0.05, `loss after training ${after} (before ${before})`);
  assert.ok(after < before / 5, `loss fell from ${before} to ${after}`);
});

const rule = (name: string, julia: string, numpy: string): ConformanceCase => ({
  name,
  source: `
using Optimisers
function f(W, b, dW, db)
    model = (weight = W, bias = b, act = tanh)
    state = Optimisers.setup(${julia}, model)
    state, model = Optimisers.update(state, model, (weight = dW, bias = db, act = nothing))
    state, model = Optimisers.update(state, model, (weight = dW .* 2f0, bias = db .* 2f0, act = nothing))
    return model.weight, model.bias
end`,
  args: [{ size: [3, 2] }, { size: [3] }, { size: [3, 2] }, { size: [3] }],
  setup: `
def step(x, gs):
${numpy}
def ref(W, b, dW, db):
    return step(W, [dW, 2 * dW]), step(b, [db, 2 * db])`,
  rtol: 1e-5,
});

const RULES: ConformanceCase[] = [
  rule("Descent", "Descent(0.1f0)", "    for g in gs:\n        x = x - 0.1 * g\n    return x"),
  rule("Momentum", "Momentum(0.01f0, 0.9f0)", "    v = 0 * x\n    for g in gs:\n        v = 0.9 * v + 0.01 * g\n        x = x - v\n    return x"),
  rule("Nesterov", "Nesterov(0.01f0, 0.9f0)", "    v = 0 * x\n    for g in gs:\n        d = -(0.9 ** 2) * v + 1.9 * 0.01 * g\n        v = 0.9 * v - 0.01 * g\n        x = x - d\n    return x"),
  rule("RMSProp", "RMSProp(0.01f0, 0.9f0, 1f-8)", "    q = 0 * x\n    for g in gs:\n        q = 0.9 * q + 0.1 * g * g\n        x = x - g * 0.01 / (np.sqrt(q) + 1e-8)\n    return x"),
  rule("Adam", "Adam(0.01f0, (0.9f0, 0.999f0), 1f-8)", "    m = 0 * x; v = 0 * x; b1 = 0.9; b2 = 0.999\n    for g in gs:\n        m = 0.9 * m + 0.1 * g\n        v = 0.999 * v + 0.001 * g * g\n        x = x - m / (1 - b1) / (np.sqrt(v / (1 - b2)) + 1e-8) * 0.01\n        b1 *= 0.9; b2 *= 0.999\n    return x"),
  rule("WeightDecay then Descent in an OptimiserChain", "OptimiserChain(WeightDecay(0.1f0), Descent(0.5f0))", "    for g in gs:\n        x = x - 0.5 * (g + 0.1 * x)\n    return x"),
  rule("AdamW (Adam, then decoupled weight decay)", "AdamW(0.01f0, (0.9f0, 0.999f0), 0.1f0)", "    m = 0 * x; v = 0 * x; b1 = 0.9; b2 = 0.999\n    for g in gs:\n        m = 0.9 * m + 0.1 * g\n        v = 0.999 * v + 0.001 * g * g\n        x = x - (m / (1 - b1) / (np.sqrt(v / (1 - b2)) + 1e-8) * 0.01 + 0.1 * x)\n        b1 *= 0.9; b2 *= 0.999\n    return x"),
  {
    name: "Flux.update! (read functionally: the model's fields are rebound in place)",
    source: `
using Flux, Optimisers
function f(W, b, dW, db)
    model = Dense(W, b, tanh)
    state = Optimisers.setup(Descent(0.1f0), model)
    Flux.update!(state, model, (weight = dW, bias = db, σ = nothing))
    return model.weight, model.bias
end`,
    args: [{ size: [3, 2] }, { size: [3] }, { size: [3, 2] }, { size: [3] }],
    setup: `
def ref(W, b, dW, db):
    return W - 0.1 * dW, b - 0.1 * db`,
    rtol: 1e-6,
  },
];

let outcomes: Map<string, { ok: boolean; message: string }>;
test.before(async () => {
  outcomes = await runConformance(RULES, GRADIENT_COMPARISON);
});
for (const c of RULES) {
  test(`Optimisers.update with ${c.name} follows the rule`, () => {
    const o = outcomes.get(c.name)!;
    assert.ok(o.ok, o.message);
  });
}

test.run();
