// Zygote-style gradients compiled into the module, against jax.grad of the same model written in
// JAX in the test. Arrays are in Julia order on both sides (a Dense weight is (out, in); images
// are WHCN and are transposed to NCHW for lax.conv_general_dilated).

import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ConformanceCase } from "../support/conformance.js";
import { GRADIENT_COMPARISON, runConformance } from "../support/conformance.js";

// A Float32 argument of this Julia size; A() is a scalar.
const A = (...size: number[]) => (size.length ? { size } : {});

const MLP_JAX = `
def mlp(p, x):
    W1, b1, W2, b2 = p
    h = jnp.maximum(W1 @ x + b1[:, None], 0)
    return W2 @ h + b2[:, None]
`;

const CONV_JAX = `
def conv(x, k, stride=1, pad=0):
    # Julia WHCN / (kw, kh, cin, cout), NNlib's flipped (true) convolution.
    y = lax.conv_general_dilated(x.T, k.T[:, :, ::-1, ::-1], (stride, stride), [(pad, pad), (pad, pad)], dimension_numbers=("NCHW", "OIHW", "NCHW"))
    return y.T
def maxpool(x, k):
    return lax.reduce_window(x, -jnp.inf, lax.max, (k, k, 1, 1), (k, k, 1, 1), "VALID")
`;

const cases: ConformanceCase[] = [
  {
    // Small integers tie often, within a window and between overlapping windows. The cotangent of
    // a window goes to one element, the first maximum in XLA's row-major order over its (reversed)
    // dimensions, which is Julia's column-major order: NNlib's ∇maxpool and JAX's select-and-scatter
    // agree. jax.grad runs on the same layout (x.T), so giving a tie's cotangent to every maximum,
    // or to the last one, fails here.
    name: "the gradient of maxpool with ties goes to the first maximum of each window, as jax.grad's",
    source: `
using NNlib
f(x, c) = (gradient(x -> sum(maxpool(x, (3, 3); pad = 1, stride = 1) .* c), x)[1],
           gradient(x -> sum(maxpool(x, (2, 2)) .* c[1:4, 1:4, :, :]), x)[1])`,
    args: [{ size: [8, 8, 4, 2], values: "int" }, A(8, 8, 4, 2)],
    setup: `
def pool(x, k, s, p):
    return lax.reduce_window(x.T, -jnp.inf, lax.max, (1, 1, k, k), (1, 1, s, s), [(0, 0), (0, 0), (p, p), (p, p)]).T
def ref(x, c):
    w = np.asarray(x).reshape(4, 2, 4, 2, 4, 2)
    assert ((w == w.max(axis=(1, 3), keepdims=True)).sum(axis=(1, 3)) > 1).any(), "no window has a tie"
    return (jax.grad(lambda x: jnp.sum(pool(x, 3, 1, 1) * c))(x),
            jax.grad(lambda x: jnp.sum(pool(x, 2, 2, 0) * c[:4, :4]))(x))`,
  },
  {
    name: "gradient of a scalar function of a number and of an array",
    source: "f(x, v) = (gradient(x -> sin(x) * x^2, x)[1], gradient(v -> sum(exp.(v) .* v), v)[1])",
    args: [A(), A(5)],
    setup: "def ref(x, v):\n    return jax.grad(lambda x: jnp.sin(x) * x**2)(x), jax.grad(lambda v: jnp.sum(jnp.exp(v) * v))(v)",
  },
  {
    name: "gradient with several arguments and a do block",
    source: `
function f(a, b)
    ga, gb = gradient(a, b) do x, y
        sum(tanh.(x * y))
    end
    return ga, gb
end`,
    args: [A(3, 4), A(4, 2)],
    setup: "def ref(a, b):\n    return jax.grad(lambda a, b: jnp.sum(jnp.tanh(a @ b)), argnums=(0, 1))(a, b)",
  },
  {
    name: "Flux.gradient of an MLP's loss is a NamedTuple mirroring the Chain and its Dense layers",
    source: `
using Flux
function f(W1, b1, W2, b2, x, y)
    model = Chain(Dense(W1, b1, relu), Dense(W2, b2))
    g = Flux.gradient(m -> Flux.mse(m(x), y), model)[1]
    l1, l2 = g.layers
    return l1.weight, l1.bias, l2.weight, l2.bias, (isnothing(l1.σ) ? 1f0 : 0f0)
end`,
    args: [A(8, 4), A(8), A(3, 8), A(3), A(4, 6), A(3, 6)],
    setup: MLP_JAX + "def ref(W1, b1, W2, b2, x, y):\n    g = jax.grad(lambda p: jnp.mean((mlp(p, x) - y) ** 2))((W1, b1, W2, b2))\n    return (*g, np.float32(1))",
  },
  {
    name: "withgradient gives the loss and the gradient; logitcrossentropy through logsoftmax",
    source: `
using Flux
function f(W, b, x, y)
    r = withgradient(Dense(W, b, tanh)) do m
        Flux.logitcrossentropy(m(x), y)
    end
    return r.val, r.grad[1].weight, r.grad[1].bias
end`,
    args: [A(5, 3), A(5), A(3, 4), A(5, 4)],
    setup: "def ref(W, b, x, y):\n    def loss(W, b):\n        z = jnp.tanh(W @ x + b[:, None])\n        return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(z, axis=0), axis=0))\n    return (loss(W, b), *jax.grad(loss, argnums=(0, 1))(W, b))",
  },
  {
    name: "pullback of a vector-valued function with a given cotangent",
    source: `
function f(x, dy)
    y, back = pullback(x -> softmax(x .* 2f0), x)
    return y, back(dy)[1]
end`,
    args: [A(4, 3), A(4, 3)],
    setup: "def ref(x, dy):\n    y, vjp = jax.vjp(lambda x: jax.nn.softmax(x * 2, axis=0), x)\n    return y, vjp(dy)[0]",
  },
  {
    name: "second derivative of a scalar function (gradient of gradient)",
    source: "f(x, z) = (gradient(x -> gradient(sin, x)[1], x)[1], gradient(x -> gradient(y -> y^3 * exp(y), x)[1], z)[1])",
    args: [A(), A()],
    setup: "def ref(x, y):\n    return jax.grad(jax.grad(jnp.sin))(x), jax.grad(jax.grad(lambda y: y**3 * jnp.exp(y)))(y)",
  },
  {
    name: "an unused argument's gradient is nothing; an integer argument is differentiated as a real (Zygote)",
    source: `
function f(x, y)
    g = gradient((a, b, n) -> sum(a .* n), x, y, 3)
    return (isnothing(g[2]) ? g[1] : g[1] .* 0f0), g[3]
end`,
    args: [A(3), A(3)],
    setup: "def ref(x, y):\n    return np.full(3, 3, np.float32), jnp.sum(x.astype(jnp.float64))",
  },
  {
    name: "a small CNN: conv with padding and stride, maxpool, dense, against jax.grad",
    source: `
using Flux
function f(k1, c1, k2, c2, W, b, x, y)
    model = Chain(Conv(k1, c1, relu; pad = 1), MaxPool((2, 2)), Conv(k2, c2, relu; stride = 2), Flux.flatten, Dense(W, b))
    g = gradient(m -> Flux.logitcrossentropy(m(x), y), model)[1]
    return g.layers[1].weight, g.layers[1].bias, g.layers[3].weight, g.layers[3].bias, g.layers[5].weight, g.layers[5].bias
end`,
    args: [A(3, 3, 2, 4), A(4), A(3, 3, 4, 6), A(6), A(5, 6), A(5), A(8, 8, 2, 3), A(5, 3)],
    setup: CONV_JAX + `
def ref(k1, c1, k2, c2, W, b, x, y):
    def loss(p):
        k1, c1, k2, c2, W, b = p
        h = jnp.maximum(conv(x, k1, pad=1) + c1[None, None, :, None], 0)
        h = maxpool(h, 2)
        h = jnp.maximum(conv(h, k2, stride=2) + c2[None, None, :, None], 0)
        h = h.reshape(-1, h.shape[-1], order="F")
        z = W @ h + b[:, None]
        return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(z, axis=0), axis=0))
    return jax.grad(loss)((k1, c1, k2, c2, W, b))`,
    rtol: 2e-4,
  },
  {
    name: "a loop over a known range is differentiated (unrolled): repeated layer application",
    source: `
function f(W, x)
    g = gradient(W) do W
        h = x
        for i in 1:20
            h = tanh.(W * h)
        end
        sum(h)
    end
    return g[1]
end`,
    args: [{ size: [4, 4], values: "small" as const }, A(4, 2)],
    setup: "def ref(W, x):\n    def loss(W):\n        h = x\n        for i in range(20):\n            h = jnp.tanh(W @ h)\n        return jnp.sum(h)\n    return jax.grad(loss)(W)",
  },
];

const test = suite("gradients against jax.grad");
let outcomes: Map<string, { ok: boolean; message: string }>;
test.before(async () => {
  outcomes = await runConformance(cases, GRADIENT_COMPARISON);
});
for (const c of cases) {
  test(c.name, () => {
    const o = outcomes.get(c.name)!;
    assert.ok(o.ok, o.message);
  });
}
test.run();
