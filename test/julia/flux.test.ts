// Flux layers, losses and initialisers as written in the prelude, against NumPy references; random
// numbers checked by their statistics and determinism (the stream is XLA's, not Julia's).

import { suite } from "uvu";
import type { ConformanceCase } from "../support/conformance.js";
import { conformanceTests } from "../support/conformance.js";

const F32 = "Float32" as const;
const m = (a: number, b: number) => ({ eltype: F32, size: [a, b] });
const v = (n: number) => ({ eltype: F32, size: [n] });
const a4 = (...size: number[]) => ({ eltype: F32, size });

const SOFTMAX = "(lambda h: np.exp(h - h.max(0)) / np.exp(h - h.max(0)).sum(0))";

const cases: ConformanceCase[] = [
  { name: "Dense(W, b, relu) applied to a batch", source: "using Flux\nf(W, b, x) = Dense(W, b, relu)(x)", args: [m(3, 4), v(3), m(4, 5)], ref: "np.maximum(x1 @ x3 + x2[:, None], 0)" },
  { name: "Dense without bias", source: "using Flux\nf(W, x) = Dense(W, false)(x)", args: [m(3, 4), m(4, 2)], ref: "x1 @ x2" },
  { name: "Dense on a 3-d array folds the trailing dimensions", source: "using Flux\nf(W, b, x) = Dense(W, b)(x)", args: [m(3, 4), v(3), a4(4, 2, 5)], ref: "np.einsum('ij,jkl->ikl', x1, x2 * 0 + x3) + x2[:, None, None] if False else np.einsum('ij,jkl->ikl', x1, x3) + x2[:, None, None]" },
  { name: "Chain of Dense layers and a plain function", source: "using Flux\nf(W1, b1, W2, b2, x) = Chain(Dense(W1, b1, tanh), Dense(W2, b2), softmax)(x)", args: [m(6, 4), v(6), m(3, 6), v(3), m(4, 5)], ref: `${SOFTMAX}(x3 @ np.tanh(x1 @ x5 + x2[:, None]) + x4[:, None])` },
  { name: "Chain given a vector of layers", source: "using Flux\nf(W1, W2, x) = Chain([Dense(W1, false, relu), Dense(W2, false)])(x)", args: [m(6, 4), m(3, 6), m(4, 2)], ref: "x2 @ np.maximum(x1 @ x3, 0)" },
  { name: "SkipConnection adds the input back", source: "using Flux\nf(W, x) = SkipConnection(Dense(W, false, relu), +)(x)", args: [m(4, 4), m(4, 3)], ref: "np.maximum(x1 @ x2, 0) + x2" },
  { name: "Parallel with vcat", source: "using Flux\nf(W1, W2, x) = Parallel(vcat, Dense(W1, false), Dense(W2, false))(x)", args: [m(2, 4), m(3, 4), m(4, 5)], ref: "np.concatenate([x1 @ x3, x2 @ x3], 0)" },
  { name: "Dropout is the identity in inference", source: "using Flux\nf(x) = Chain(Dropout(0.5), identity)(x)", args: [m(3, 3)], ref: "x1" },
  { name: "BatchNorm in test mode uses its running statistics", source: "using Flux\nf(x) = BatchNorm(3)(x)", args: [a4(4, 4, 3, 2)], ref: "x1 / np.float32(np.sqrt(1 + 1e-5))" },
  { name: "BatchNorm in training mode normalises per channel", source: "using Flux\nf(x) = batchnorm_train(BatchNorm(3), x)[1]", args: [a4(4, 4, 3, 2)], ref: "(x1 - x1.mean((0, 1, 3), keepdims=True)) / np.sqrt(x1.var((0, 1, 3), keepdims=True) + 1e-5)", rtol: 1e-4 },
  { name: "BatchNorm training updates the running statistics", source: "using Flux\nf(x) = (bn = batchnorm_train(BatchNorm(3), x)[2]; (bn.μ, bn.σ²))", args: [a4(4, 4, 3, 2)], ref: "(0.1 * x1.mean((0, 1, 3)), 0.9 + 0.1 * x1.var((0, 1, 3), ddof=1))", rtol: 1e-4 },
  { name: "LayerNorm normalises over the first dimension", source: "using Flux\nf(x) = LayerNorm(4)(x)", args: [m(4, 3)], ref: "(x1 - x1.mean(0, keepdims=True)) / np.sqrt(x1.var(0, keepdims=True) + 1e-5)", rtol: 1e-4 },
  { name: "Embedding looks up columns", source: "using Flux\nf(W) = Embedding(W)(3)", args: [m(4, 6)], ref: "x1[:, 2]" },
  { name: "flatten keeps the last dimension", source: "using Flux\nf(x) = Flux.flatten(x)", args: [a4(2, 3, 4, 5)], ref: "x1.reshape((24, 5), order='F')" },
  { name: "mse and mae losses", source: "using Flux\nf(a, b) = (Flux.mse(a, b), Flux.mae(a, b))", args: [m(3, 4), m(3, 4)], ref: "(np.float32(((x1 - x2) ** 2).mean()), np.float32(np.abs(x1 - x2).mean()))", rtol: 1e-5 },
  { name: "crossentropy and logitcrossentropy", source: "using Flux\nf(z, y) = (Flux.crossentropy(softmax(z), softmax(y)), Flux.logitcrossentropy(z, softmax(y)))", args: [m(4, 3), m(4, 3)], ref: `(lambda p, q: (np.float32(-(q * np.log(p + np.finfo(np.float32).eps)).sum(0).mean()), np.float32(-(q * np.log(p)).sum(0).mean())))(${SOFTMAX}(x1), ${SOFTMAX}(x2))`, rtol: 1e-4 },
  { name: "binarycrossentropy", source: "using Flux\nf(z, y) = Flux.binarycrossentropy(σ.(z), σ.(y))", args: [m(2, 3), m(2, 3)], ref: "(lambda p, q: np.float32((-q * np.log(p + np.finfo(np.float32).eps) - (1 - q) * np.log(1 - p + np.finfo(np.float32).eps)).mean()))(1 / (1 + np.exp(-x1)), 1 / (1 + np.exp(-x2)))", rtol: 1e-4 },
  { name: "onehotbatch builds a Bool matrix", source: "using Flux\nf(x) = (onehotbatch((2, 1, 3, 2), 1:3), x)", args: [v(1)], ref: "(np.array([[0, 1, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]], dtype=bool), x1)" },
  // Random numbers: statistics of large draws, determinism, and distinct streams.
  { name: "rand gives uniform values in [0, 1)", source: "using Random\nfunction f(x)\n    u = rand(Xoshiro(7), Float32, 20000)\n    return (sum(u) / length(u), minimum(u) >= 0 && maximum(u) < 1 ? 1.0 : 0.0, sum(abs2.(u .- 0.5f0)) / length(u))\nend", args: [v(1)], ref: "(np.float32(0.5), 1.0, np.float32(1 / 12))", rtol: 0.02 },
  { name: "randn gives standard normal values", source: "using Random\nfunction f(x)\n    z = randn(Xoshiro(3), Float64, 40000)\n    μ = sum(z) / length(z)\n    return (μ + 1, sum(abs2.(z .- μ)) / length(z))\nend", args: [v(1)], ref: "(1.0, 1.0)", rtol: 0.03 },
  { name: "the same seed gives the same draw; the next draw differs", source: "using Random\nfunction f(x)\n    a = rand(Xoshiro(5), Float32, 8)\n    b = rand(Xoshiro(5), Float32, 8)\n    rng = Xoshiro(5)\n    c = rand(rng, Float32, 8)\n    d = rand(rng, Float32, 8)\n    return (maximum(abs.(a .- b)), maximum(abs.(c .- d)) > 0 ? 1.0 : 0.0)\nend", args: [v(1)], ref: "(np.float32(0), 1.0)" },
  { name: "glorot_uniform stays within Flux's bound", source: "using Flux, Random\nfunction f(x)\n    W = Flux.glorot_uniform(Xoshiro(1), 300, 200)\n    bound = sqrt(24f0 / 500) / 2\n    return (maximum(abs.(W)) <= bound ? 1.0 : 0.0, sum(abs2.(W)) / length(W))\nend", args: [v(1)], ref: "(1.0, np.float32((np.sqrt(24 / 500) / 2) ** 2 / 3))", rtol: 0.03 },
  { name: "Dense(in => out) initialises with the right shapes and zero bias", source: "using Flux\nfunction f(x)\n    d = Dense(4 => 3, relu)\n    return (size(d.weight, 1) * 10 + size(d.weight, 2), sum(abs.(d.bias)), d(x) == relu.(d.weight * x) ? 1.0 : 0.0)\nend", args: [m(4, 2)], ref: "(np.int64(34), np.float32(0), 1.0)" },
];

const test = suite("flux layers and random numbers");
conformanceTests(test, cases);

test.run();
