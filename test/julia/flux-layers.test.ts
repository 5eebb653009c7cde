// Flux's ConvTranspose, MultiHeadAttention and recurrent layers (cells, RNN/LSTM/GRU, Recurrence), and the layers with
// a training mode (Dropout, BatchNorm, InstanceNorm, GroupNorm) and LayerNorm, as Flux 0.15-0.16
// defines them: `active = nothing` trains exactly within a gradient, and
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

// The recurrent cells as Flux 0.15-0.16 writes them (gates stacked in Wi's rows: LSTM input,
// forget, cell, output; GRU reset, update, candidate), over x of size (in, len[, batch]).
const RECURRENT = `
sig = lambda v: 1 / (1 + jnp.exp(-v))
def lstm(Wi, Wh, b, xs, h, c):
    ys, n = [], Wh.shape[1]
    bb = b[:, None] if xs.ndim == 3 else b
    for t in range(xs.shape[1]):
        g = Wi @ xs[:, t] + Wh @ h + bb
        i, f, cc, o = g[:n], g[n:2*n], g[2*n:3*n], g[3*n:]
        c = sig(f) * c + sig(i) * jnp.tanh(cc); h = sig(o) * jnp.tanh(c); ys.append(h)
    return jnp.stack(ys, 1), h, c
lstm = jax.jit(lstm)
def gru(Wi, Wh, b, xs, h):
    ys, n = [], Wh.shape[1]
    bb = b[:, None] if xs.ndim == 3 else b
    for t in range(xs.shape[1]):
        gx = Wi @ xs[:, t]; gh = Wh @ h
        r = sig(gx[:n] + gh[:n] + bb[:n]); z = sig(gx[n:2*n] + gh[n:2*n] + bb[n:2*n])
        hh = jnp.tanh(gx[2*n:] + r * gh[2*n:] + bb[2*n:]); h = (1 - z) * hh + z * h; ys.append(h)
    return jnp.stack(ys, 1), h
gru = jax.jit(gru)
`;

// Flux's ConvTranspose is ∇conv_data of a true convolution: jax's conv_transpose of the kernel
// spatially flipped, as the forward conv's (O, I, H, W) with transpose_kernel.
const CONV_TRANSPOSE = `
T = jnp.transpose
def conv_t(w, b, x, stride, pad):
    y = lax.conv_transpose(T(x), jnp.flip(T(w), (2, 3)), (stride, stride), [(pad, pad), (pad, pad)], dimension_numbers=("NCHW", "OIHW", "NCHW"), transpose_kernel=True, precision=lax.Precision.HIGHEST)
    return T(y) + b.reshape(1, 1, -1, 1)
`;

const cases: ConformanceCase[] = [
  {
    name: "ConvTranspose with stride and pad (the conv's data gradient, kernel (k, k, out, in)), its output size with SamePad, and its gradients against jax.grad",
    source: `using Flux
function f(w, b, x)
    m = ConvTranspose(w, b, relu; stride = 2, pad = 1)
    g, gx = gradient((m, x) -> sum(sin.(m(x))), m, x)
    return m(x), size(ConvTranspose((3, 3), 2 => 5; stride = 2, pad = SamePad())(x)), g.weight, g.bias, gx
end`,
    args: [a(3, 3, 4, 2), a(4), a(5, 5, 2, 2)],
    setup: `${CONV_TRANSPOSE}
def ref(w, b, x):
    y = lambda w, b, x: jnp.maximum(conv_t(w, b, x, 2, 1), 0)
    gw, gb, gx = jax.jit(jax.grad(lambda w, b, x: jnp.sum(jnp.sin(y(w, b, x))), (0, 1, 2)))(w, b, x)
    return (y(w, b, x), np.int64(10), np.int64(10), np.int64(5), np.int64(2), gw, gb, gx)`,
    rtol: 1e-4,
  },
  {
    name: "LSTM over a batch of sequences with return_state, and over one sequence; its gradients match jax.grad",
    source: `using Flux
function f(Wi, Wh, b, x)
    m = LSTM(LSTMCell(Wi, Wh, b); return_state = true)
    y, (h, c) = m(x)
    g = gradient(m -> sum(sin.(m(x)[1])), m)[1].cell
    return y, h, c, LSTM(LSTMCell(Wi, Wh, b))(x[:, :, 1]), g.Wi, g.Wh, g.bias
end`,
    args: [a(8, 3), a(8, 2), a(8), a(3, 5, 4)],
    setup: `${RECURRENT}
def ref(Wi, Wh, b, x):
    z = lambda *s: jnp.zeros(s, jnp.float32)
    y, h, c = lstm(Wi, Wh, b, x, z(2, 4), z(2, 4))
    y1, _, _ = lstm(Wi, Wh, b, x[:, :, 0], z(2), z(2))
    grads = jax.jit(jax.grad(lambda Wi, Wh, b: jnp.sum(jnp.sin(lstm(Wi, Wh, b, x, z(2, 4), z(2, 4))[0])), (0, 1, 2)))(Wi, Wh, b)
    return (y, h, c, y1) + tuple(grads)`,
    rtol: 1e-4,
  },
  {
    name: "GRU (v1: the reset gate scales Wh*h before the bias), RNN and Recurrence of an RNNCell; GRU's gradients match jax.grad",
    source: `using Flux
function f(Wi, Wh, b, x, Wr, Ur)
    m = GRU(GRUCell(Wi, Wh, b))
    g = gradient(m -> sum(abs2.(m(x))), m)[1].cell
    cell = RNNCell(tanh, Wr, Ur, false)
    y, h = Recurrence(cell; return_state = true)(x)
    return m(x), RNN(cell)(x), y, h, g.Wi, g.Wh, g.b, size(LSTM(3 => 4).cell.Wh), size(RNN(3 => 4)(x))
end`,
    args: [a(6, 3), a(6, 2), a(6), a(3, 5, 4), a(2, 3), a(2, 2)],
    setup: `${RECURRENT}
def ref(Wi, Wh, b, x, Wr, Ur):
    h = jnp.zeros((2, 4), jnp.float32); rs = []
    for t in range(5):
        h = jnp.tanh(Wr @ x[:, t] + Ur @ h); rs.append(h)
    r = jnp.stack(rs, 1)
    grads = jax.jit(jax.grad(lambda Wi, Wh, b: jnp.sum(gru(Wi, Wh, b, x, jnp.zeros((2, 4), jnp.float32))[0] ** 2), (0, 1, 2)))(Wi, Wh, b)
    return (gru(Wi, Wh, b, x, jnp.zeros((2, 4), jnp.float32))[0], r, r, h) + tuple(grads) + (np.int64(16), np.int64(4), np.int64(4), np.int64(5), np.int64(4))`,
    rtol: 1e-4,
  },
  {
    name: "MultiHeadAttention (2 heads, causal mask from make_causal_mask, dropout_prob 0 active within the gradient): output and scores, and gradients against jax.grad; the constructor's dims forms",
    source: `using Flux
function f(Wq, Wk, Wv, Wo, x)
    m = MultiHeadAttention(2, Dense(Wq, false), Dense(Wk, false), Dense(Wv, false), Dropout(0.0), Dense(Wo, false))
    y, α = m(x; mask = make_causal_mask(x))
    g = gradient(m -> sum(sin.(m(x; mask = make_causal_mask(x))[1])), m)[1]
    m2 = MultiHeadAttention((3, 4, 5) => (6, 8) => 7; nheads = 2)
    return y, α, g.q_proj.weight, g.out_proj.weight, size(MultiHeadAttention(8; nheads = 2).q_proj.weight), size(m2(ones(Float32, 3, 2, 1), ones(Float32, 4, 5, 1), ones(Float32, 5, 5, 1))[2])
end`,
    args: [a(4, 4), a(4, 4), a(4, 4), a(4, 4), a(4, 3, 2)],
    setup: `def ref(Wq, Wk, Wv, Wo, x):
    def mha(Wq, Wk, Wv, Wo, x):
        q, k, v = (jnp.einsum('ij,jtb->itb', W, x) for W in (Wq, Wk, Wv))
        sp = lambda a: jnp.reshape(a.T, (2, 3, 2, 2)).T  # (d, h, t, b) Julia order
        q, k, v = sp(q), sp(k), sp(v)
        s = jnp.einsum('dhkb,dhqb->kqhb', k, q) / jnp.sqrt(jnp.float32(2))
        mask = np.triu(np.ones((3, 3), bool))[:, :, None, None]
        s = jnp.where(mask, s, -jnp.inf)
        a = jax.nn.softmax(s, axis=0)
        o = jnp.reshape(jnp.einsum('dhkb,kqhb->dhqb', v, a).T, (2, 3, 4)).T
        return jnp.einsum('ij,jtb->itb', Wo, o), a
    y, a = jax.jit(mha)(Wq, Wk, Wv, Wo, x)
    gq, go = jax.jit(jax.grad(lambda Wq, Wo: jnp.sum(jnp.sin(mha(Wq, Wk, Wv, Wo, x)[0])), (0, 1)))(Wq, Wo)
    return y, a, gq, go, np.int64(8), np.int64(8), np.int64(5), np.int64(2), np.int64(2), np.int64(1)`,
    rtol: 1e-4,
  },
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
    name: "AlphaDropout is the identity in test mode; trained, a fraction p of the elements become A·α′ + B and the rest A·x + B (Flux's constants); p = 0 keeps x and p = 1 gives zeros",
    source: `using Flux
function f(x)
    d = AlphaDropout(0.2)
    y0 = d(x)
    trainmode!(d)
    y = d(x)
    α′ = -1.7580993408473766f0
    A = Float32(1 / sqrt(0.8 * (1 + 0.2 * α′^2)))
    B = -A * α′ * 0.2f0
    dropped = abs.(y .- (A * α′ + B)) .< 1f-5
    kept = abs.(y .- (A .* x .+ B)) .< 1f-5
    return y0, count(dropped .| kept), count(dropped) / 4000, AlphaDropout(0.0; active = true)(x), AlphaDropout(1.0; active = true)(x), testmode!(d)(x)
end`,
    args: [a(4000)],
    ref: "(x1, 4000, 0.2, x1, np.zeros_like(x1), x1)",
    rtol: 0.1,
  },
  {
    name: "WeightNorm computes the layer with g .* v ./ ‖v‖ over dims (the last by default, as Flux), g starting at ‖v‖; gradients reach g and v",
    source: `using Flux
function f(W, b, x, c, xc)
    d = WeightNorm(Dense(W, b, tanh))
    wc = WeightNorm(Conv(c, false), :weight; dims = (1, 2))
    g = gradient(m -> sum(m(x)), d)[1]
    return d(x), d.g, wc(xc) .- Conv(c, false)(xc), size(wc.g) == (1, 1, 5), g.g, g.layer.weight
end`,
    args: [a(3, 4), a(3), a(4, 2), a(3, 2, 5), a(7, 2, 1)],
    setup: `def ref(W, b, x, c, xc):
    eps = np.finfo(np.float32).eps
    def loss(g, v):
        w = g * v / jnp.sqrt(jnp.sum(v ** 2, axis=1, keepdims=True) + eps)
        return jnp.sum(jnp.tanh(w @ x + b[:, None]))
    g0 = jnp.sqrt(jnp.sum(W ** 2, axis=1, keepdims=True) + eps)
    gg, gv = jax.grad(loss, argnums=(0, 1))(g0, W)
    return jnp.tanh(W @ x + b[:, None]), g0, np.zeros((5, 5, 1), np.float32), True, gg, gv`,
    rtol: 1e-4,
  },
  // Flux's adaptive pools: stride = in ÷ out, window = in - (out - 1) × stride (7×6 to 3×2: window 3×3, stride 2×3).
  {
    name: "AdaptiveMaxPool and AdaptiveMeanPool choose the window that gives the output size",
    source: "using Flux\nf(x) = (AdaptiveMaxPool((3, 2))(x), AdaptiveMeanPool((3, 2))(x), AdaptiveMeanPool((1, 1))(x))",
    args: [a(7, 6, 2, 2)],
    setup: `def ref(x):
    w = np.lib.stride_tricks.sliding_window_view(np.asarray(x), (3, 3), axis=(0, 1))[::2, ::3]
    return w.max(axis=(-2, -1)), w.mean(axis=(-2, -1)), np.asarray(x).mean((0, 1), keepdims=True)`,
    rtol: 1e-5,
  },
  {
    name: "AdaptiveMeanPool on 1-d features",
    source: "using Flux\nf(x) = AdaptiveMeanPool((2,))(x)",
    args: [a(9, 3, 2)],
    setup: "def ref(x):\n    return np.lib.stride_tricks.sliding_window_view(np.asarray(x), 5, axis=0)[::4].mean(-1)",
    rtol: 1e-5,
  },
  {
    name: "in, ∈ and ∉ over tuples, ranges, arrays and numbers",
    source: "f() = (2 in (1, 2), 3 in 1:2, 2 ∈ [1, 2], :a ∉ (:b,), 2.0 in (1, 2), 1 in 1, Symbol(\"a\", 1) === :a1)",
    args: [],
    ref: "(True, False, True, True, True, True, True)",
  },
];

const test = suite("flux layers: ConvTranspose, recurrent, training mode");
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

test("WeightNorm of a field the layer lacks and AlphaDropout with p outside [0, 1] are errors at the call", () => {
  const weightNorm = compileError("using Flux\nf(x) = WeightNorm(Dense(2 => 2), :kernel)(x)\n", [f32(2)]);
  assert.match(weightNorm, "does not have field `:kernel`");
  assert.match(weightNorm, "in f at m.jl:2:8");
  assert.match(compileError("using Flux\nf(x) = AlphaDropout(1.5)(x)\n", [f32(2)]), "ArgumentError: AlphaDropout expects 0 ≤ p ≤ 1, got p = 1.5");
});

test.run();
