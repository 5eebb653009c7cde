// Implicit parameters, the style of Flux before 0.14's explicit one: `ps = Flux.params(model)`,
// `gs = gradient(() -> loss(...), ps)` giving Zygote's Grads keyed by the parameter arrays,
// `Flux.Optimise.update!(opt, ps, gs)` and the implicit `train!`. Against jax.grad and the
// optimisers' updates written here in NumPy/JAX; then the constructs that are rejected, each with
// its located error.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ArgSpec } from "../../plugins/api.js";
import type { ConformanceCase } from "../support/conformance.js";
import { GRADIENT_COMPARISON, conformanceTests, renderedCompileError } from "../support/conformance.js";

const A = (...size: number[]) => ({ size });

const DENSE_JAX = `
def dense(W, b, x):
    return jnp.tanh(W @ x + b[:, None])
def mse(a, b):
    return jnp.mean((a - b) ** 2)
`;

const cases: ConformanceCase[] = [
  {
    name: "gradient(() -> loss, Flux.params(m)) gives Grads indexed by the layer's arrays",
    source: `
using Flux
function f(W, b, x, y)
    m = Dense(W, b, tanh)
    ps = Flux.params(m)
    gs = gradient(() -> Flux.mse(m(x), y), ps)
    return gs[m.weight], gs[m.bias], [g for g in gs][2], length(ps), length(gs), haskey(gs, m.weight), haskey(gs, x)
end`,
    args: [A(3, 4), A(3), A(4, 5), A(3, 5)],
    setup: `${DENSE_JAX}
def ref(W, b, x, y):
    gW, gb = jax.grad(lambda W, b: mse(dense(W, b, x), y), argnums=(0, 1))(W, b)
    return gW, gb, gb, 2, 2, True, False`,
  },
  {
    name: "Params of captured arrays; a parameter the loss does not read has the gradient nothing",
    source: `
using Flux
function f(W, b, V, x)
    ps = Flux.params(W, b, V)
    gs = gradient(ps) do
        sum(abs2, W * x .+ b)
    end
    return gs[W], gs[b], isnothing(gs[V]), isnothing(gs[W])
end`,
    args: [A(2, 3), A(2), A(4, 4), A(3, 2)],
    setup: `
def ref(W, b, V, x):
    gW, gb = jax.grad(lambda W, b: jnp.sum((W @ x + b[:, None]) ** 2), argnums=(0, 1))(W, b)
    return gW, gb, True, False`,
  },
  {
    name: "a layer used twice is one parameter whose gradient sums both uses",
    source: `
using Flux
function f(W, x)
    d = Dense(W, false, tanh)
    m = Chain(d, d)
    ps = Flux.params(m)
    gs = gradient(() -> sum(m(x)), ps)
    return gs[d.weight], length(ps)
end`,
    args: [A(3, 3), A(3, 2)],
    setup: "def ref(W, x):\n    return jax.grad(lambda W: jnp.sum(jnp.tanh(W @ jnp.tanh(W @ x))))(W), 1",
  },
  {
    name: "withgradient(f, ps) gives the loss and the Grads; Flux.params skips BatchNorm's running statistics and what @layer leaves untrained",
    source: `
using Flux
struct Affine
    W
    b
    frozen
end
Flux.@layer Affine trainable=(W, b)
(a::Affine)(x) = a.W * x .+ a.b .+ a.frozen
function f(W, b, c, x)
    m = Chain(Affine(W, b, c), BatchNorm(3))
    ps = Flux.params(m)
    l, gs = withgradient(() -> sum(abs2, m(x)), ps)
    return l, gs[W], gs[b], gs[m[2].γ], gs[m[2].β], length(ps)
end`,
    args: [A(3, 4), A(3), A(3), A(4, 6)],
    setup: `
def ref(W, b, c, x):
    def loss(W, b, g, be):
        h = W @ x + b[:, None] + c[:, None]
        mu = h.mean(1, keepdims=True); var = h.var(1, keepdims=True)
        y = (h - mu) / jnp.sqrt(var + 1e-5) * g[:, None] + be[:, None]
        return jnp.sum(y ** 2)
    args = (W, b, jnp.ones(3, jnp.float32), jnp.zeros(3, jnp.float32))
    l = loss(*args)
    g = jax.grad(loss, argnums=(0, 1, 2, 3))(*args)
    return (l,) + tuple(g) + (4,)`,
  },
  {
    name: "Flux.Optimise.update! with Descent, Momentum and Adam steps the parameters in place, the optimiser keeping each one's state",
    source: `
using Flux
function f(W, b, x, y)
    out = ()
    for opt in (Flux.Optimise.Descent(0.1), Flux.Optimise.Momentum(0.01, 0.9), Flux.Optimise.Adam(0.01))
        m = Dense(copy(W), copy(b), tanh)
        ps = Flux.params(m)
        for step in 1:3
            gs = gradient(() -> Flux.mse(m(x), y), ps)
            Flux.Optimise.update!(opt, ps, gs)
        end
        out = (out..., m.weight, m.bias)
    end
    return out
end`,
    args: [A(3, 4), A(3), A(4, 5), A(3, 5)],
    setup: `${DENSE_JAX}
def ref(W, b, x, y):
    grad = jax.grad(lambda p: mse(dense(p[0], p[1], x), y))
    out = []
    p = [W, b]
    for _ in range(3):
        p = [q - 0.1 * d for q, d in zip(p, grad(p))]
    out += p
    p = [W, b]; v = [0 * q for q in p]
    for _ in range(3):
        v = [0.9 * a + 0.01 * d for a, d in zip(v, grad(p))]
        p = [q - a for q, a in zip(p, v)]
    out += p
    p = [W, b]; m = [0 * q for q in p]; v = [0 * q for q in p]; b1 = 0.9; b2 = 0.999
    for _ in range(3):
        g = grad(p)
        m = [0.9 * a + 0.1 * d for a, d in zip(m, g)]
        v = [0.999 * a + 0.001 * d * d for a, d in zip(v, g)]
        p = [q - a / (1 - b1) / (jnp.sqrt(c / (1 - b2)) + 1e-8) * 0.01 for q, a, c in zip(p, m, v)]
        b1 *= 0.9; b2 *= 0.999
    out += p
    return tuple(out)`,
  },
  {
    name: "update! after a gradient through BatchNorm (whose forward pass reshapes γ and β) steps every parameter",
    source: `
using Flux
function f(W, x)
    m = Chain(Dense(W, false), BatchNorm(3, relu))
    ps = Flux.params(m)
    gs = gradient(() -> sum(abs2, m(x) .- 1), ps)
    Flux.Optimise.update!(Descent(0.1), ps, gs)
    return m[1].weight, m[2].γ, m[2].β, m[2].μ
end`,
    args: [A(3, 4), A(4, 6)],
    setup: `
def ref(W, x):
    def loss(W, g, b):
        h = W @ x
        mu = h.mean(1, keepdims=True); var = h.var(1, keepdims=True)
        return jnp.sum((jnp.maximum((h - mu) / jnp.sqrt(var + 1e-5) * g[:, None] + b[:, None], 0) - 1) ** 2)
    p = (W, jnp.ones(3, jnp.float32), jnp.zeros(3, jnp.float32))
    g = jax.grad(loss, argnums=(0, 1, 2))(*p)
    return tuple(q - 0.1 * d for q, d in zip(p, g)) + (0.1 * (W @ x).mean(1),)`,
  },
  {
    name: "twenty Momentum steps in a loop over a known range",
    source: `
using Flux
function f(W, x)
    m = Dense(W, false, tanh)
    ps = Flux.params(m)
    opt = Momentum(0.05)
    for i in 1:20
        gs = gradient(() -> sum(abs2, m(x)), ps)
        Flux.Optimise.update!(opt, ps, gs)
    end
    return m.weight
end`,
    args: [A(3, 3), A(3, 4)],
    setup: `
def ref(W, x):
    grad = jax.grad(lambda W: jnp.sum(jnp.tanh(W @ x) ** 2))
    v = 0 * W
    for _ in range(20):
        v = 0.9 * v + 0.05 * grad(W)
        W = W - v
    return W`,
  },
  {
    name: "the implicit Flux.train!(loss, ps, data, opt) takes one Adam step per batch (ADAM, the old name) and runs the callback",
    source: `
using Flux
function f(W, b, x1, y1, x2, y2)
    m = Dense(W, b, tanh)
    loss(x, y) = Flux.mse(m(x), y)
    opt = ADAM(0.01)
    Flux.train!(loss, Flux.params(m), [(x1, y1), (x2, y2)], opt; cb = () -> println("step"))
    Flux.train!(loss, Flux.params(m), [(x1, y1)], opt)
    return m.weight, m.bias
end`,
    args: [A(3, 4), A(3), A(4, 5), A(3, 5), A(4, 5), A(3, 5)],
    setup: `${DENSE_JAX}
def ref(W, b, x1, y1, x2, y2):
    p = [W, b]; m = [0 * q for q in p]; v = [0 * q for q in p]; b1 = 0.9; b2 = 0.999
    for x, y in ((x1, y1), (x2, y2), (x1, y1)):
        g = jax.grad(lambda p: mse(dense(p[0], p[1], x), y))(p)
        m = [0.9 * a + 0.1 * d for a, d in zip(m, g)]
        v = [0.999 * a + 0.001 * d * d for a, d in zip(v, g)]
        p = [q - a / (1 - b1) / (jnp.sqrt(c / (1 - b2)) + 1e-8) * 0.01 for q, a, c in zip(p, m, v)]
        b1 *= 0.9; b2 *= 0.999
    return tuple(p)`,
  },
];

const test = suite("implicit parameters");
conformanceTests(test, cases, GRADIENT_COMPARISON);

const f32 = (...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size } });

test("indexing Grads with an array that is not a parameter is a KeyError at the index", () => {
  const src = "using Flux\nfunction f(W, x)\n    gs = gradient(() -> sum(W * x), Flux.params(W))\n    return gs[x]\nend\n";
  const { d, text } = renderedCompileError(src, [f32(2, 3), f32(3)]);
  assert.is(d.code, "key-error");
  assert.match(text, "KeyError: key");
  assert.match(text, "in f at m.jl:4:");
});

test("an integer array in Params is an error at the gradient call, not a silent nothing", () => {
  const src = "using Flux\nfunction f(W, x)\n    k = round.(Int, W)\n    gs = gradient(() -> sum(W * x), Params([W, k]))\n    return gs[W]\nend\n";
  const { d, text } = renderedCompileError(src, [f32(2, 3), f32(3)]);
  assert.is(d.code, "implicit-parameter");
  assert.match(text, "Params holds an array of Int64; only arrays of floats are differentiated with Params");
  assert.match(text, "m.jl:4:");
});

test("an in-place update of a parameter that a live view shares is an error, not an update the view misses", () => {
  const src = "using Flux\nfunction f(W, x)\n    v = vec(W)\n    ps = Flux.params(W)\n    gs = gradient(() -> sum(W * x), ps)\n    Flux.Optimise.update!(Descent(0.1), ps, gs)\n    return v\nend\n";
  const { d, text } = renderedCompileError(src, [f32(2, 3), f32(3)]);
  assert.is(d.code, "unsupported-mutation");
  assert.match(text, "shares its memory with a reshape, vec, view");
  assert.match(text, "in f at m.jl:6:");
});

test("update! with an explicit gradient and implicit Params says they cannot be mixed", () => {
  const src = "using Flux\nfunction f(W, x)\n    ps = Flux.params(W)\n    gs = gradient(W -> sum(W * x), W)\n    Flux.Optimise.update!(Descent(0.1), ps, gs)\n    return W\nend\n";
  const { text } = renderedCompileError(src, [f32(2, 3), f32(3)]);
  assert.match(text, "can't mix implicit Params with explicit gradients");
  assert.match(text, "in f at m.jl:5:");
});

test.run();
