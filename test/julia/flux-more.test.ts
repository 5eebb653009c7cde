// The rest of Flux's API that model files use (issue 12), one construct per program: macros
// (Base.@kwdef, Flux.@layer/@functor with trainable fields, @views, Flux.@autosize), Embedding,
// Chain indexing and named Chains, Flux.Losses, the older constructors, Flux.outputsize,
// AdaptiveMeanPool, Upsample, PixelShuffle, GroupNorm, InstanceNorm; and the bugs the issue names.
// Each program runs on XLA's CPU client against NumPy or jax computed here.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ConformanceCase } from "../support/conformance.js";
import { compileErrorText, conformanceTests } from "../support/conformance.js";

const F32 = "Float32" as const;
const F64 = "Float64" as const;
const a = (...size: number[]) => ({ size });
const pos = (...size: number[]) => ({ size, values: "positive" as const });

// A deterministic initialiser, so a layer built by the older constructors has weights the reference knows.
const INIT = "ramp(dims...) = reshape(Float32.(1:prod(dims)), dims...) ./ 100f0";
const RAMP = "def ramp(*dims):\n    return (np.arange(1, np.prod(dims) + 1, dtype=np.float32) / np.float32(100)).reshape(dims, order='F')\n";
// NNlib's conv (flipped kernel) as jax computes it, WHCN in Julia order.
const CONV = `
def conv(x, w, stride=1, pad=0):
    T = jnp.transpose
    y = lax.conv_general_dilated(T(x), jnp.flip(T(w), (2, 3)), (stride, stride), [(pad, pad), (pad, pad)], dimension_numbers=("NCHW", "OIHW", "NCHW"), precision=lax.Precision.HIGHEST)
    return T(y)
`;

const cases: ConformanceCase[] = [
  // ---- macros ----------------------------------------------------------------------------------
  { name: "Flux.@autosize fills each _ from the input size (Dense's first dimension, _ ÷ 2, BatchNorm's channels)", source: `using Flux\n${INIT}\nfunction f(x)\n    m = Flux.@autosize (size(x)...,) Chain(Dense(_ => 5, relu; init = ramp), Dense(_ => _ ÷ 2; init = ramp), BatchNorm(_), Dense(_ => 3; init = ramp))\n    return (size(m[1].weight)..., size(m[2].weight)..., length(m[3].β), size(m[4].weight)..., m(x))\nend`, args: [a(4, 6)], setup: `${RAMP}def ref(x):\n    h = np.maximum(ramp(5, 4) @ np.asarray(x), 0)\n    h = ramp(2, 5) @ h\n    h = h / np.sqrt(np.float32(1 + 1e-5))\n    return (5, 4, 2, 5, 2, 3, 2) + (ramp(3, 2) @ h,)`, rtol: 1e-4 },
  { name: "Flux.@autosize through convolutions, a named inner Chain, flatten and a SkipConnection", source: `using Flux\n${INIT}\nfunction f(x)\n    m = @autosize (size(x)...,) Chain(Chain(c = Conv((3, 3), _ => 2; init = ramp), p = MeanPool((2, 2))), Flux.flatten, Dense(_ => _ ÷ 2; init = ramp), SkipConnection(Dense(_ => _; init = ramp), +))\n    return (size(m[1][:c].weight)..., size(m[3].weight)..., size(m[4].layers.weight)..., m(x))\nend`, args: [a(6, 6, 3, 2)], setup: `${RAMP}${CONV}def ref(x):\n    y = np.asarray(conv(x, ramp(3, 3, 3, 2)))\n    y = y.reshape(2, 2, 2, 2, 2, 2, order='F').mean((0, 2))\n    y = y.reshape(8, 2, order='F')\n    h = ramp(4, 8) @ y\n    return (3, 3, 3, 2, 4, 8, 4, 4) + (ramp(4, 4) @ h + h,)`, rtol: 1e-4 },
  { name: "Base.@kwdef mutable struct of hyperparameters, changed after construction", source: "Base.@kwdef mutable struct Args\n    η::Float32 = 3f-4\n    epochs::Int = 10\n    hidden = 2 * epochs\nend\nfunction f(w, g)\n    args = Args(epochs = 2)\n    args.η = 0.5\n    return w .- args.η .* g, args.hidden, args.η\nend", args: [a(3), a(3)], ref: "(x1 - np.float32(0.5) * x2, np.int64(4), np.float32(0.5))" },
  { name: "@kwdef without the Base prefix, with a typed parametric field", source: "@kwdef struct Conf{T}\n    scale::T = 2.0\n    shift::T = 1.0\nend\nf(x) = (c = Conf(scale = 3.0); x .* c.scale .+ c.shift)", args: [a(3)], ref: "x1.astype(np.float64) * 3 + 1", eltypes: [F64] },
  {
    name: "a custom layer declared with Flux.@layer trains inside a Chain (gradients against jax.grad)",
    source: "using Flux\nstruct Affine\n    W\n    b\nend\nFlux.@layer Affine\n(m::Affine)(x) = m.W * x .+ m.b\nfunction f(W, b, x)\n    m = Chain(Affine(W, b), h -> tanh.(h))\n    g = gradient(m -> sum(m(x)), m)[1]\n    return g.layers[1].W, g.layers[1].b\nend",
    args: [a(2, 3), a(2), a(3, 4)],
    setup: "def ref(W, b, x):\n    return jax.grad(lambda W, b: jnp.sum(jnp.tanh(W @ x + b[:, None])), (0, 1))(W, b)",
    rtol: 1e-4,
  },
  { name: "Functors.@functor with a field list leaves the other fields out of the update", source: "using Flux\nstruct Scale2\n    s\n    fixed\nend\nFunctors.@functor Scale2 (s,)\n(m::Scale2)(x) = m.s .* x .+ m.fixed\nfunction f(s, c, x)\n    m = Scale2(s, c)\n    g = gradient(m -> sum(m(x)), m)[1]\n    st = Optimisers.setup(Descent(1), m)\n    st, m2 = Optimisers.update(st, m, g)\n    return m2.s, m2.fixed\nend", args: [a(3), a(3), a(3)], ref: "(x1 - x3, x2)" },
  { name: "@views on a function and @view on one slice read like indexing", source: "@views function g(x)\n    return x[1:2, :] .+ x[2:3, :]\nend\nf(x) = (g(x), sum(@view x[:, 1]), @views x[end, :] .* 2)", args: [a(3, 4)], ref: "(x1[0:2] + x1[1:3], np.float32(x1[:, 0].sum()), x1[2] * 2)" },
  // ---- Embedding, Chain indexing, named Chain ------------------------------------------------------
  { name: "Embedding(vocab => dim) with a known weight on a batch of token sequences (index matrix)", source: "using Flux\nfunction f(W)\n    emb = Embedding(W)\n    tokens = [1 2; 4 4; 3 1]\n    h = emb(tokens)\n    return h, size(h)\nend", args: [a(5, 4)], ref: "(x1[:, np.array([[1, 2], [4, 4], [3, 1]]) - 1], np.int64(5), np.int64(3), np.int64(2))" },
  { name: "Embedding on a one-hot matrix from onehotbatch and on a single one-hot vector", source: "using Flux\nf(W) = (Embedding(W)(Flux.onehotbatch([3, 1, 3], 1:4)), Embedding(W)(Flux.onehot(2, 1:4)))", args: [a(3, 4)], ref: "(x1[:, [2, 0, 2]], x1[:, 1])" },
  { name: "Chain indexing: m[1], m[end], m[1:end-1] and m[2:end] are layers and Chains", source: "using Flux\nfunction f(W1, W2, W3, x)\n    m = Chain(Dense(W1, false, relu), Dense(W2, false, tanh), Dense(W3, false))\n    return m[1](x), m[end](m[1:end-1](x)), m[2:end](m[1](x)), length(m[1:2])\nend", args: [a(4, 3), a(4, 4), a(2, 4), a(3, 2)], ref: "(np.maximum(x1 @ x4, 0), x3 @ np.tanh(x2 @ np.maximum(x1 @ x4, 0)), x3 @ np.tanh(x2 @ np.maximum(x1 @ x4, 0)), np.int64(2))" },
  { name: "a named Chain(enc = ..., dec = ...): m[:enc], m.layers.dec and the whole", source: "using Flux\nfunction f(We, Wd, x)\n    m = Chain(enc = Dense(We, false, relu), dec = Dense(Wd, false))\n    z = m[:enc](x)\n    return z, m.layers.dec(z), m(x), keys(m.layers)[2] == :dec\nend", args: [a(2, 4), a(4, 2), a(4, 3)], ref: "(np.maximum(x1 @ x3, 0), x2 @ np.maximum(x1 @ x3, 0), x2 @ np.maximum(x1 @ x3, 0), True)" },
  {
    name: "a named Chain is differentiated into a NamedTuple of its layers' gradients",
    source: "using Flux\nfunction f(We, Wd, x)\n    m = Chain(enc = Dense(We, false, tanh), dec = Dense(Wd, false))\n    g = gradient(m -> sum(abs2, m(x)), m)[1]\n    return g.layers.enc.weight, g.layers.dec.weight\nend",
    args: [a(2, 4), a(4, 2), a(4, 3)],
    setup: "def ref(We, Wd, x):\n    return jax.grad(lambda We, Wd: jnp.sum((Wd @ jnp.tanh(We @ x)) ** 2), (0, 1))(We, Wd)",
    rtol: 1e-4,
  },
  // ---- Flux.Losses -----------------------------------------------------------------------------------
  { name: "Flux.Losses.msle and huber_loss", source: "using Flux\nf(p, y) = (Flux.Losses.msle(p, y), Flux.Losses.huber_loss(p, y), Flux.huber_loss(p, y; δ = 0.5f0))", args: [pos(3, 4), pos(3, 4)], setup: "def ref(p, y):\n    eps = np.finfo(np.float32).eps\n    e = jnp.abs(p - y)\n    h = lambda d: jnp.mean(jnp.where(e < d, 0.5 * e ** 2, d * (e - 0.5 * d)))\n    return jnp.mean(jnp.log((p + eps) / (y + eps)) ** 2), h(1.0), h(0.5)" },
  { name: "Flux.Losses.kldivergence and label_smoothing of one-hot targets", source: "using Flux\nfunction f(z, w)\n    y = softmax(w)\n    t = Flux.Losses.label_smoothing(Float32.(Flux.onehotbatch([1, 3, 2], 1:3)), 0.1f0)\n    return Flux.Losses.kldivergence(softmax(z), y), t\nend", args: [a(3, 3), a(3, 3)], setup: "def ref(z, w):\n    eps = np.finfo(np.float32).eps\n    p, y = jax.nn.softmax(z, 0), jax.nn.softmax(w, 0)\n    kl = jnp.mean(jnp.sum(y * jnp.log(y), 0)) + jnp.mean(-jnp.sum(y * jnp.log(p + eps), 0))\n    t = np.eye(3, dtype=np.float32)[:, [0, 2, 1]] * np.float32(0.9) + np.float32(0.1) / 3\n    return kl, t", rtol: 1e-4 },
  { name: "Flux.Losses.poisson_loss, hinge_loss and squared_hinge_loss", source: "using Flux\nf(p, y, s) = (Flux.Losses.poisson_loss(p, y), Flux.Losses.hinge_loss(s, sign.(y .- 1)), Flux.Losses.squared_hinge_loss(s, sign.(y .- 1)))", args: [pos(4, 3), pos(4, 3), a(4, 3)], setup: "def ref(p, y, s):\n    t = jnp.sign(y - 1)\n    return jnp.mean(p - y * jnp.log(p)), jnp.mean(jnp.maximum(0, 1 - s * t)), jnp.mean(jnp.maximum(0, 1 - s * t) ** 2)", rtol: 1e-5 },
  { name: "Flux.Losses.dice_coeff_loss and tversky_loss on segmentation masks", source: "using Flux\nf(z, m) = (Flux.Losses.dice_coeff_loss(σ.(z), Float32.(m .> 0)), Flux.Losses.tversky_loss(σ.(z), Float32.(m .> 0)))", args: [a(4, 4), a(4, 4)], setup: "def ref(z, m):\n    p = jax.nn.sigmoid(z); y = (m > 0).astype(np.float32)\n    dice = 1 - (2 * jnp.sum(y * p) + 1) / (jnp.sum(y ** 2) + jnp.sum(p ** 2) + 1)\n    b = np.float32(0.7)\n    tv = 1 - (jnp.sum(y * p) + 1) / (jnp.sum(y * p + b * (1 - y) * p + (1 - b) * y * (1 - p)) + 1)\n    return dice, tv", rtol: 1e-5 },
  { name: "Flux.Losses.logitcrossentropy and logitbinarycrossentropy with agg = sum", source: "using Flux\nusing Flux.Losses: logitcrossentropy, logitbinarycrossentropy\nf(z, y) = (logitcrossentropy(z, softmax(y); agg = sum), logitbinarycrossentropy(z, σ.(y); agg = sum))", args: [a(3, 4), a(3, 4)], setup: "def ref(z, y):\n    q = jax.nn.softmax(y, 0); s = jax.nn.sigmoid(y)\n    return -jnp.sum(q * jax.nn.log_softmax(z, 0)), jnp.sum((1 - s) * z - jax.nn.log_sigmoid(z))", rtol: 1e-4 },
  // ---- the older constructors ------------------------------------------------------------------
  { name: "Dense(10, 5, relu) with an initialiser, as older Flux code writes it", source: `using Flux\n${INIT}\nfunction f(x)\n    d = Dense(3, 2, relu; init = ramp)\n    return d(x), size(d.weight)\nend`, args: [a(3, 4)], setup: `${RAMP}def ref(x):\n    return np.maximum(ramp(2, 3) @ x, 0), np.int64(2), np.int64(3)` },
  { name: "Conv((3, 3), 1 => 4, relu; stride = 2, pad = 1) with an initialiser", source: `using Flux\n${INIT}\nfunction f(x)\n    c = Conv((3, 3), 1 => 4, relu; stride = 2, pad = 1, init = ramp)\n    return c(x), size(c.weight)\nend`, args: [a(7, 7, 1, 2)], setup: `${RAMP}${CONV}def ref(x):\n    return jnp.maximum(conv(x, ramp(3, 3, 1, 4), 2, 1), 0), np.int64(3), np.int64(3), np.int64(1), np.int64(4)`, rtol: 1e-4 },
  { name: "Flux.outputsize of a conv stack, with padbatch", source: "using Flux\nf() = (Flux.outputsize(Chain(Conv((3, 3), 1 => 4; pad = 1), MaxPool((2, 2)), Conv((3, 3), 4 => 8)), (28, 28, 1, 5)), Flux.outputsize(Chain(Conv((5, 5), 3 => 6), Flux.flatten), (32, 32, 3); padbatch = true))", args: [], ref: "(np.int64(12), np.int64(12), np.int64(8), np.int64(5), np.int64(28 * 28 * 6), np.int64(1))" },
  // ---- pooling, upsampling, norms ------------------------------------------------------------------
  { name: "AdaptiveMeanPool((2, 3)) and AdaptiveMaxPool((1, 1)) pick Flux's window and stride", source: "using Flux\nf(x) = (AdaptiveMeanPool((2, 3))(x), AdaptiveMaxPool((1, 1))(x))", args: [a(4, 6, 2, 2)], ref: "(x1.reshape(2, 2, 2, 3, 2, 2, order='F').mean((0, 2)), x1.max((0, 1), keepdims=True))" },
  { name: "Upsample(:nearest; scale = 2), Upsample(2) and Upsample(; size) repeat pixels", source: "using Flux\nf(x) = (Upsample(:nearest; scale = 2)(x), Upsample(2)(x), Upsample(:nearest; size = (6, 3))(x), Upsample(scale = (1, 3))(x))", args: [a(3, 3, 2, 1)], ref: "(np.repeat(np.repeat(x1, 2, 0), 2, 1), np.repeat(np.repeat(x1, 2, 0), 2, 1), np.repeat(x1, 2, 0), np.repeat(x1, 3, 1))" },
  { name: "PixelShuffle(2) moves channels into space as NNlib's pixel_shuffle", source: "using Flux\nf(x) = PixelShuffle(2)(x)", args: [a(3, 2, 8, 2)], ref: "x1.reshape(3, 2, 2, 2, 2, 2, order='F').transpose(2, 0, 3, 1, 4, 5).reshape(6, 4, 2, 2, order='F')" },
  { name: "GroupNorm(4, 2) and InstanceNorm(2) in a Chain after a conv", source: `using Flux\n${INIT}\nf(x) = Chain(Conv((1, 1), 2 => 4; init = ramp), GroupNorm(4, 2), h -> h[:, :, 1:2, :], InstanceNorm(2))(x)`, args: [a(3, 3, 2, 2)], setup: `${RAMP}${CONV}def ref(x):\n    h = conv(x, ramp(1, 1, 2, 4))\n    g = h.reshape(3, 3, 2, 2, 2, order='F')\n    g = (g - g.mean((0, 1, 2), keepdims=True)) / jnp.sqrt(g.var((0, 1, 2), keepdims=True) + 1e-5)\n    h = g.reshape(3, 3, 4, 2, order='F')[:, :, 0:2, :]\n    return (h - h.mean((0, 1), keepdims=True)) / jnp.sqrt(h.var((0, 1), keepdims=True) + 1e-5)`, rtol: 1e-4 },
  // ---- the bugs the issue names --------------------------------------------------------------------
  { name: "field conversion in a program's constructor: an Int and a Float64 stored in Float32 fields", source: "mutable struct Opt\n    lr::Float32\n    steps::Int32\nend\nfunction f(w, g)\n    o = Opt(0.1, 3)\n    o.lr = 1\n    return w .- o.lr .* g .* o.steps, typeof(o.lr) == Float32, o.steps\nend", args: [a(3), a(3)], ref: "(x1 - x2 * 3, True, np.int32(3))", eltypes: [F32, "Bool", "Int32"] },
  { name: "gradient at integer points: gradient(x -> x^3, 2) and withgradient(x -> 2x, 3)", source: "using Flux\nf() = (gradient(x -> x^3, 2)[1], withgradient(x -> 2x, 3).grad[1], gradient((a, b) -> a^2 * b, 3, 2.0)...)", args: [], ref: "(12.0, 2.0, 12.0, 9.0)", eltypes: [F64, F64, F64, F64] },
  { name: "size, axes and eachindex on a program's type call its size method", source: "struct Grid\n    data\nend\nBase.size(g::Grid) = (2, length(g.data) ÷ 2)\nBase.size(g::Grid, d::Int) = size(g)[d]\nBase.getindex(g::Grid, i::Int, j::Int) = g.data[(j - 1) * 2 + i]\nBase.length(g::Grid) = prod(size(g))\nf(x) = (g = Grid(x); (size(g, 2), g[2, 3], length(g), sum(g[1, j] for j in 1:size(g, 2))))", args: [a(6)], ref: "(np.int64(3), x1[5], np.int64(6), np.float32(x1[0] + x1[2] + x1[4]))" },
  { name: "a data loader type with iterate and length: for (x, y) in loader", source: "struct Loader\n    xs\n    ys\n    n\nend\nBase.length(d::Loader) = d.n\nBase.iterate(d::Loader, i = 1) = i > d.n ? nothing : ((d.xs[:, i], d.ys[i]), i + 1)\nfunction f(X, Y)\n    l = 0f0\n    for (x, y) in Loader(X, Y, 3)\n        l += sum(x) * y\n    end\n    return l, length(Loader(X, Y, 3))\nend", args: [a(2, 3), a(3)], ref: "(np.float32((x1.sum(0) * x2).sum()), np.int64(3))" },
  // ---- more of the layer API as model files call it ---------------------------------------------
  { name: "Dense(3 => 2; bias = false, init) has no bias", source: `using Flux\n${INIT}\nf(x) = (d = Dense(3 => 2; bias = false, init = ramp); (d(x), d.bias == false))`, args: [a(3, 2)], setup: `${RAMP}def ref(x):\n    return ramp(2, 3) @ x, True` },
  { name: "Conv((3, 3), 2 => 3; pad = SamePad()) keeps the spatial size", source: `using Flux\n${INIT}\nf(x) = (c = Conv((3, 3), 2 => 3; pad = SamePad(), init = ramp); y = c(x); (y, size(y)))`, args: [a(5, 5, 2, 1)], setup: `${RAMP}${CONV}def ref(x):\n    return conv(x, ramp(3, 3, 2, 3), 1, 1), np.int64(5), np.int64(5), np.int64(3), np.int64(1)`, rtol: 1e-4 },
  { name: "Conv, MaxPool, GlobalMeanPool, flatten and Dense in one Chain, all initialised by init", source: `using Flux\n${INIT}\nf(x) = Chain(Conv((3, 3), 1 => 2, relu; init = ramp), MaxPool((2, 2)), GlobalMeanPool(), Flux.flatten, Dense(2 => 3; init = ramp))(x)`, args: [a(6, 6, 1, 2)], setup: `${RAMP}${CONV}def ref(x):\n    h = jnp.maximum(conv(x, ramp(3, 3, 1, 2)), 0)\n    h = h.reshape(2, 2, 2, 2, 2, 2, order='F').max((0, 2))\n    g = h.mean((0, 1))\n    return ramp(3, 2) @ g`, rtol: 1e-4 },
  { name: "Flux.Losses.mse with agg = sum and mae of Float64 arrays", source: "using Flux\nf(a, b) = (Flux.Losses.mse(a, b; agg = sum), Flux.Losses.mae(a, b))", args: [{ eltype: F64, size: [3, 2] }, { eltype: F64, size: [3, 2] }], ref: "(((x1 - x2) ** 2).sum(), np.abs(x1 - x2).mean())" },
  { name: "Embedding(4 => 3; init) on a vector of token ids", source: `using Flux\n${INIT}\nf(x) = (e = Embedding(4 => 3; init = ramp); e([2, 4, 2]) .+ x)`, args: [a(3, 3)], setup: `${RAMP}def ref(x):\n    return ramp(3, 4)[:, [1, 3, 1]] + x` },
  { name: "a Base.@kwdef struct with a Float32 field given an Int converts it", source: "Base.@kwdef struct Hp\n    lr::Float32 = 1\n    steps::Int = 2\nend\nf(w, g) = (h = Hp(lr = 1); (w .- h.lr .* g, typeof(h.lr) == Float32, Hp().lr))", args: [a(2), a(2)], ref: "(x1 - x2, True, np.float32(1))", eltypes: [F32, "Bool", F32] },
];

const test = suite("flux, more");
conformanceTests(test, cases);

// ---- constructs that are errors, each located --------------------------------------------------

const errors: [string, string, number[][], RegExp][] = [
  ["Upsample with bilinear interpolation is a located error", "using Flux\nf(x) = Upsample(:bilinear; scale = 2)(x)", [[4, 4, 1, 1]], /bilinear or trilinear interpolation is not supported yet/],
  ["PixelShuffle with channels not divisible by r^2 is an ArgumentError", "using Flux\nf(x) = PixelShuffle(2)(x)", [[3, 3, 6, 1]], /ArgumentError: expected channels divisible by 4, got 6/],
  ["range with only a start is Base's ArgumentError", "f(x) = range(1)", [[1]], /At least one of `length` or `stop` must be specified/],
  ["sort of a traced array is a located error", "f(x) = sort(x)", [[3]], /sort of a traced array is not supported yet/],
  ["indexing a non-ASCII string by position is an error, not a different character", "f(x) = (\"héllo\"[3] == 'l') * x", [[1]], /indexing the non-ASCII string "héllo" is not supported/],
  ["Dims{2} and NTuple{2, Int} print as Julia prints them: Tuple{Int64, Int64}", "g(d::String) = 1\nf(x) = g((1, 2))", [[1]], /no method matching g\(::Tuple\{Int64, Int64\}\)/],
  ["Flux.@autosize with an underscore that is not inside a layer's constructor is a located error", "using Flux\nf(x) = (Flux.@autosize (3, 2) _ => 3)(x)", [[3, 2]], /@autosize doesn't expect an underscore here/],
  ["Flux.@autosize of a layer the model never calls is an error naming the macro", "using Flux\nstruct Bypass\n    inner\nend\n(b::Bypass)(x) = x\nf(x) = (Flux.@autosize (3, 2) Chain(Bypass(Dense(_ => 2)), Dense(_ => 1)))(x)", [[3, 2]], /@autosize: this layer never ran on the input/],
  ["a Chain with a layer named `layers` is Flux's ArgumentError", "using Flux\nf(x) = Chain(layers = identity)(x)", [[3]], /a Chain cannot have a named layer called `layers`/],
  ["try/catch is a located error", "function f(x)\n    try\n        return x\n    catch e\n        return x\n    end\nend", [[2]], /`try` is not supported yet/],
  ["an if on a traced condition whose arms give a variable different types is a located error", "function f(x)\n    if sum(x) > 0\n        y = 1\n    else\n        y = 2.0\n    end\n    return y\nend", [[2]], /`y` has a different type in the two branches of an `if` on a traced condition/],
  ["collect of a program's own iterable is a MethodError naming the type", "struct L\n    n\nend\nBase.iterate(d::L, i = 1) = i > d.n ? nothing : (i, i + 1)\nf(x) = collect(L(2))", [[2]], /no method matching collect\(::L\)/],
  ["a Char prints as a Char in a MethodError", "g(x::Int) = x\nf(x) = g('a')", [[1]], /no method matching g\(::Char\)/],
];
for (const [name, source, sizes, pattern] of errors) test(name, () => assert.match(compileErrorText(source, sizes), pattern));

test.run();
