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

// The example's own train_step (Flux.withgradient, then Optimisers.update with Adam) for a few
// steps, against the same steps in JAX: a loss that falls is not enough (it still falls with the
// gradient of one sample, or with the gradients of the batch summed instead of averaged).
const STEPS = 5;
const TRAINING: ConformanceCase = {
  name: "the example's train_step, run 5 times, gives JAX's parameters",
  source: `${TRAIN}
function f(W1, b1, W2, b2, x, y)
    model = Chain(Dense(W1, b1, tanh), Dense(W2, b2, identity))
    state = Optimisers.setup(Adam(1f-2), model)
    for i in 1:${STEPS}
        model, state, l = train_step(model, state, x, y)
    end
    return model.layers[1].weight, model.layers[1].bias, model.layers[2].weight, model.layers[2].bias
end`,
  args: [{ size: [8, 4], values: "small" }, { size: [8], values: "small" }, { size: [1, 8], values: "small" }, { size: [1], values: "small" }, { size: [4, 16] }, { size: [1, 16] }],
  setup: `
def ref(W1, b1, W2, b2, x, y):
    def loss(p):
        h = jnp.tanh(p[0] @ x + p[1][:, None])
        return jnp.mean((p[2] @ h + p[3][:, None] - y) ** 2)
    p = [W1, b1, W2, b2]
    m = [0 * q for q in p]; v = [0 * q for q in p]; b1t = 0.9; b2t = 0.999
    for _ in range(${STEPS}):
        g = jax.grad(loss)(p)
        m = [0.9 * a + 0.1 * d for a, d in zip(m, g)]
        v = [0.999 * a + 0.001 * d * d for a, d in zip(v, g)]
        p = [q - a / (1 - b1t) / (jnp.sqrt(c / (1 - b2t)) + 1e-8) * 0.01 for q, a, c in zip(p, m, v)]
        b1t *= 0.9; b2t *= 0.999
    return tuple(p)`,
};

let outcomes: Map<string, { ok: boolean; message: string }>;
test.before(async () => {
  outcomes = await runConformance([...RULES, TRAINING], GRADIENT_COMPARISON);
});

test(TRAINING.name, () => {
  const o = outcomes.get(TRAINING.name)!;
  assert.ok(o.ok, o.message);
});
for (const c of RULES) {
  test(`Optimisers.update with ${c.name} follows the rule`, () => {
    const o = outcomes.get(c.name)!;
    assert.ok(o.ok, o.message);
  });
}

test.run();
