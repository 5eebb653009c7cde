// Flux's layers with a training mode (Dropout, BatchNorm, InstanceNorm, GroupNorm) and LayerNorm,
// as Flux 0.15-0.16 defines them: `active = nothing` trains exactly within a gradient, and
// trainmode!/testmode! set it; a norm layer training inside a gradient updates the caller's
// running statistics. Each program runs on XLA's CPU client against NumPy or jax.grad here.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ArgSpec } from "../../plugins/api.js";
import { juliaCompiler } from "../../plugins/julia/index.js";
import type { ConformanceCase } from "../support/conformance.js";
import { conformanceTests } from "../support/conformance.js";

const a = (...size: number[]) => ({ size });

// Batch statistics of WHCN input in Julia order: over every dimension but the channels (axis 2).
const NORM = `
def bn_train(x, g=None, b=None, axes=(0, 1, 3), eps=1e-5):
    mu = x.mean(axes, keepdims=True); var = x.var(axes, keepdims=True)
    y = (x - mu) / jnp.sqrt(var + eps)
    return y if g is None else y * g.reshape(1, 1, -1, 1) + b.reshape(1, 1, -1, 1)
def running(x, axes=(0, 1, 3)):
    m = np.prod([x.shape[i] for i in axes])
    return 0.1 * x.mean(axes), 0.9 + 0.1 * x.var(axes) * m / (m - 1)
`;

const cases: ConformanceCase[] = [
  {
    name: "BatchNorm: test mode by default, trainmode! uses the batch statistics and updates the running ones, testmode! then uses those",
    source: `using Flux
function f(x)
    m = Chain(BatchNorm(3, relu))
    y0 = m(x)
    trainmode!(m)
    y = m(x)
    testmode!(m)
    return y0, y, m[1].μ, m[1].σ², m(x)
end`,
    args: [a(4, 4, 3, 2)],
    setup: `${NORM}
def ref(x):
    mu, var = running(x)
    test = lambda mu, var: jnp.maximum((x - mu.reshape(1, 1, 3, 1)) / jnp.sqrt(var.reshape(1, 1, 3, 1) + 1e-5), 0)
    return test(jnp.zeros(3, jnp.float32), jnp.ones(3, jnp.float32)), jnp.maximum(bn_train(x), 0), mu, var, test(mu, var)`,
    rtol: 1e-4,
  },
  {
    name: "BatchNorm within a gradient trains: gradients of γ, β and the input match jax.grad, and the caller's model has new running statistics",
    source: `using Flux
function f(x)
    m = Chain(BatchNorm(3))
    g, gx = gradient((m, x) -> sum(sin.(m(x))), m, x)
    bn = g.layers[1]
    return bn.γ, bn.β, gx, m[1].μ, m[1].σ², isnothing(bn.μ)
end`,
    args: [a(4, 4, 3, 2)],
    setup: `${NORM}
def ref(x):
    loss = lambda g, b, x: jnp.sum(jnp.sin(bn_train(x, g, b)))
    gg, gb, gx = jax.grad(loss, (0, 1, 2))(jnp.ones(3, jnp.float32), jnp.zeros(3, jnp.float32), x)
    mu, var = running(x)
    return gg, gb, gx, mu, var, True`,
    rtol: 1e-4,
  },
  {
    name: "BatchNorm(active = false) and testmode! keep the running statistics within a gradient; affine=false and track_stats=false as Flux defines them",
    source: `using Flux
function f(x)
    m = testmode!(BatchNorm(3))
    g = gradient(x -> sum(sin.(m(x))), x)[1]
    n = BatchNorm(3; affine = false, track_stats = false)
    return g, m.μ, n(x), BatchNorm(3; active = false)(x)
end`,
    args: [a(2, 3, 3, 2)],
    setup: `${NORM}
def ref(x):
    s = np.float32(1 / np.sqrt(1 + 1e-5))
    return jnp.cos(x * s) * s, jnp.zeros(3, jnp.float32), bn_train(x), x * s`,
    rtol: 1e-4,
  },
  {
    name: "LayerNorm normalises with ε² as Flux's normalise does, applies its activation through the affine Scale, and affine=false",
    source: "using Flux\nf(x) = (LayerNorm(4, relu)(x), LayerNorm(4; affine = false, eps = 0.1)(x), LayerNorm((4, 3))(x), Flux.normalise(x; dims = 1))",
    args: [a(4, 3, 2)],
    setup: `def ref(x):
    n = lambda x, axes, eps: (x - x.mean(axes, keepdims=True)) / jnp.sqrt(x.var(axes, keepdims=True) + jnp.float32(eps) ** 2)
    return jnp.maximum(n(x, 0, 1e-5), 0), n(x, 0, 0.1), n(x, (0, 1), 1e-5), n(x, 0, 1e-5)`,
    rtol: 1e-4,
  },
  {
    name: "GroupNorm normalises each group of channels per sample; its gradients match jax.grad",
    source: `using Flux
function f(x)
    m = GroupNorm(4, 2, tanh)
    g, gx = gradient((m, x) -> sum(abs2.(m(x) .- 0.5f0)), m, x)
    return m(x), g.γ, g.β, gx
end`,
    args: [a(3, 3, 4, 2)],
    setup: `def ref(x):
    def gn(g, b, x):
        x5 = x.reshape(2, 2, 2, 3, 3)  # XLA order (N, G, C/G, H, W) of Julia's (W, H, C/G, G, N)
        x5 = jnp.transpose(x, (3, 2, 1, 0)).reshape(2, 2, 2, 3, 3)
        mu = x5.mean((2, 3, 4), keepdims=True); var = x5.var((2, 3, 4), keepdims=True)
        y = ((x5 - mu) / jnp.sqrt(var + 1e-5)).reshape(2, 4, 3, 3) * g.reshape(1, 4, 1, 1) + b.reshape(1, 4, 1, 1)
        return jnp.transpose(jnp.tanh(y), (3, 2, 1, 0))
    loss = lambda g, b, x: jnp.sum((gn(g, b, x) - 0.5) ** 2)
    g0, b0 = jnp.ones(4, jnp.float32), jnp.zeros(4, jnp.float32)
    return (gn(g0, b0, x),) + tuple(jax.grad(loss, (0, 1, 2))(g0, b0, x))`,
    rtol: 1e-4,
  },
  {
    name: "InstanceNorm normalises each channel of each sample; affine with tracked statistics trains within a gradient",
    source: `using Flux
function f(x)
    m = InstanceNorm(3; affine = true, track_stats = true)
    g = gradient(m -> sum(sin.(m(x))), m)[1]
    return InstanceNorm(3)(x), g.γ, m.μ, m.σ², testmode!(m)(x)
end`,
    args: [a(4, 4, 3, 2)],
    setup: `${NORM}
def ref(x):
    loss = lambda g: jnp.sum(jnp.sin(bn_train(x, g, jnp.zeros(3), axes=(0, 1))))
    m = 16
    mu = 0.1 * x.mean((0, 1)).mean(1)
    var = 0.9 + 0.1 * (x.var((0, 1)) * m / (m - 1)).mean(1)
    test = (x - mu.reshape(1, 1, 3, 1)) / jnp.sqrt(var.reshape(1, 1, 3, 1) + 1e-5)
    return bn_train(x, axes=(0, 1)), jax.grad(loss)(jnp.ones(3, jnp.float32)), mu, var, test`,
    rtol: 1e-4,
  },
  {
    name: "Dropout is the identity in test mode; within a gradient and after trainmode! it zeroes about p of the elements and scales the rest by 1/(1-p); dims drops whole slices",
    source: `using Flux
function f(x)
    d = Dropout(0.5)
    y0 = d(x)
    g = gradient(x -> sum(d(x)), x)[1]
    trainmode!(d)
    y = d(x)
    d2 = Dropout(0.5; dims = 2, active = true)
    y2 = d2(ones(Float32, 3, 1000))
    return y0, count(g .== 0) + count(g .== 2), count(g .== 0) / 1000, count((y .== 0) .| (y .== 2 .* x)), count(y .== 0) / 1000, count(y .== g .* x) < 900, all(y2[1, :] .== y2[2, :]), count(y2 .== 0) / 3000
end`,
    args: [a(1000)],
    ref: "(x1, 1000, 0.5, 1000, 0.5, True, True, 0.5)",
    rtol: 0.1,
  },
  {
    name: "in, ∈ and ∉ over tuples, ranges, arrays and numbers",
    source: "f() = (2 in (1, 2), 3 in 1:2, 2 ∈ [1, 2], :a ∉ (:b,), 2.0 in (1, 2), 1 in 1, Symbol(\"a\", 1) === :a1)",
    args: [],
    ref: "(True, False, True, True, True, True, True)",
  },
];

const test = suite("flux layers with a training mode");
conformanceTests(test, cases);

const f32 = (...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size } });
const compileError = (source: string, args: ArgSpec[]) => {
  const read = (p: string) => (p === "m.jl" ? source : undefined);
  const r = juliaCompiler.compile({ entry: "e", file: "m.jl", function: "f", args, readSource: read });
  assert.ok(!r.ok, "expected a compile error");
  return r.ok ? "" : juliaCompiler.render(r.diagnostics[0]!, read);
};

test("a norm layer given the wrong number of channels is a located DimensionMismatch", () => {
  const text = compileError("using Flux\nf(x) = BatchNorm(4)(x)\n", [f32(5, 3, 2)]);
  assert.match(text, /DimensionMismatch: layer BatchNorm\{.*\} expects size\(input, 2\) == 4, but got 3 \(input of size \(5, 3, 2\)\)/);
  assert.match(text, "in f at m.jl:2:8");
});

test("GroupNorm with groups that do not divide the channels, and testmode! with a mode that is not a Bool, nothing or :auto, are errors", () => {
  assert.match(compileError("using Flux\nf(x) = GroupNorm(6, 4)(x)\n", [f32(2, 6, 1)]), "The number of groups (4) must divide the number of channels (6)");
  assert.match(compileError("using Flux\nf(x) = testmode!(Dropout(0.1), :yes)(x)\n", [f32(2)]), "ArgumentError: active = yes is not accepted, must be true/false/nothing or :auto");
});

test.run();
