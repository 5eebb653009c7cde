// The Julia Base that model files use (issue 12), one construct per program as model code writes
// it: ranges as arrays, Dict at compile time, Char and String operations on known values, Dims,
// all/any/count, triu/tril, factorial, floor/ceil to a type, enumerate/zip/pairs,
// isnothing/something. Each program runs on XLA's CPU client against NumPy computed here.

import { suite } from "uvu";
import type { ConformanceCase } from "../support/conformance.js";
import { conformanceTests } from "../support/conformance.js";

const F32 = "Float32" as const;
const F64 = "Float64" as const;
const I64 = "Int64" as const;
const a = (...size: number[]) => ({ size });
const a64 = (...size: number[]) => ({ eltype: F64, size });
const ints = (...size: number[]) => ({ eltype: I64, size, values: "int" as const });

const cases: ConformanceCase[] = [
  // ---- ranges as arrays ------------------------------------------------------------------------
  { name: "a matrix times a row range (1:n)' broadcasts column-wise", source: "f(x) = x .* (1:4)'", args: [a(3, 4)], ref: "x1 * np.arange(1, 5, dtype=np.float32)[None, :]", eltypes: [F32] },
  { name: "reshape(1:6, 2, 3) is an Int matrix in column-major order", source: "f(x) = x .+ reshape(1:6, 2, 3)", args: [a(2, 3)], ref: "x1 + np.arange(1, 7, dtype=np.float32).reshape(2, 3, order='F')" },
  { name: "collect of unit, step, negative-step and float ranges", source: "f() = (collect(1:5), collect(1:2:9), collect(10:-3:1), collect(0.0:0.25:1.0), collect(range(0, 1; length = 5)))", args: [], ref: "(np.arange(1, 6), np.arange(1, 10, 2), np.array([10, 7, 4, 1]), np.arange(0, 1.01, 0.25), np.linspace(0, 1, 5))" },
  { name: "reversed ranges in indexing: x[end:-1:1], x[:, end:-1:1], x[1:2:end]", source: "f(v, x) = (v[end:-1:1], x[:, end:-1:1], v[1:2:end], x[end:-1:2, 1])", args: [a(5), a(3, 4)], ref: "(x1[::-1], x2[:, ::-1], x1[::2], x2[:0:-1, 0])" },
  { name: "a range indexed by a range is a range: (1:10)[2:3], (2:2:20)[3:4]", source: "f(x) = (collect((1:10)[2:3]), (2:2:20)[3:4] .* x, (1:5)[end], length((1:10)[2:2:end]))", args: [a(2)], ref: "(np.array([2, 3]), np.array([6, 8], np.float32) * x1, np.int64(5), np.int64(5))" },
  { name: "sinusoidal positional encoding from ranges, as transformer code writes it", source: "function f(x)\n    d, T = size(x)\n    pos = (1:T)'\n    freq = 10000f0 .^ (-(0:2:d-1) ./ d)\n    pe = vcat(sin.(pos .* freq), cos.(pos .* freq))\n    return x .+ pe\nend", args: [a(4, 6)], ref: "(lambda fr, pos: x1 + np.concatenate([np.sin(pos * fr), np.cos(pos * fr)]))(10000.0 ** (-np.arange(0, 4, 2) / 4)[:, None], np.arange(1, 7)[None, :])", eltypes: [F64] },
  { name: "a causal mask from comparing ranges, applied with ifelse", source: "function f(s)\n    T = size(s, 1)\n    mask = (1:T) .<= (1:T)'\n    return ifelse.(mask, s, -Inf32), mask\nend", args: [a(4, 4)], ref: "(np.where(np.triu(np.ones((4, 4), bool)), x1, -np.inf), np.triu(np.ones((4, 4), bool)))" },
  { name: "sum, maximum, first, last, step and length of ranges fold", source: "f(x) = x .* (sum(1:10), maximum(3:-1:1), first(2:5), last(2:3:11), step(10:-2:1), length(1:3:10), minimum(0.5:0.5:2))", args: [{ eltype: F64 }], ref: "tuple(x1 * k for k in (55, 3, 2, 11, -2, 4, 0.5))" },
  { name: "x[2:end], x[begin:end-1] and x[range(2; step = 2, length = 2)]", source: "f(x) = (x[2:end] .- x[begin:end-1], x[range(2; step = 2, length = 2)])", args: [a(5)], ref: "(x1[1:] - x1[:-1], x1[[1, 3]])" },
  { name: "vcat and [a; b] of ranges and numbers are vectors", source: "f(x) = (vcat(1:3, 7), [1:2; 5:6], [0:1;] .+ x)", args: [a(2)], ref: "(np.array([1, 2, 3, 7]), np.array([1, 2, 5, 6]), x1 + np.arange(2, dtype=np.float32))" },
  { name: "Float32.(1:4) and float(1:3) convert ranges", source: "f(x) = (Float32.(1:4) .* x, float(1:3))", args: [a(4)], ref: "(np.arange(1, 5, dtype=np.float32) * x1, np.arange(1.0, 4.0))" },
  { name: "isempty, in and reverse of ranges", source: "f(x) = (isempty(1:0), 3 in 1:5, 4 in 1:2:9, collect(reverse(1:4)) .* x)", args: [a(4)], ref: "(True, True, False, np.arange(4, 0, -1, dtype=np.float32) * x1)" },
  { name: "a range as the second argument of a matrix product", source: "f(W) = W * (1:3)", args: [a(2, 3)], ref: "x1 @ np.arange(1, 4, dtype=np.float32)" },
  { name: "LinRange and range with stop and length", source: "f() = (collect(LinRange(0, 1, 3)), collect(range(1, 10; length = 4)), collect(range(2; stop = 8, step = 3)))", args: [], ref: "(np.linspace(0, 1, 3), np.linspace(1, 10, 4), np.array([2, 5, 8]))" },
  // ---- Dict at compile time ------------------------------------------------------------------------
  {
    name: "a character vocabulary as Dict(c => i for (i, c) in enumerate(vocab)) encodes a string into embedding columns",
    source: "function f(W)\n    text = \"hello\"\n    vocab = sort(unique(collect(text)))\n    stoi = Dict(c => i for (i, c) in enumerate(vocab))\n    itos = Dict(i => c for (c, i) in stoi)\n    idx = [stoi[c] for c in text]\n    return W[:, idx], length(vocab), itos[1] == 'e'\nend",
    args: [a(3, 4)],
    ref: "(x1[:, [1, 0, 2, 2, 3]], np.int64(4), True)",
  },
  {
    name: "a VGG configuration table Dict(:A => [64, :M, ...]) drives a layer loop",
    source: "const CFG = Dict(:A => [2, :M, 3], :B => [2, 2, :M])\nfunction f(x)\n    h = x\n    c = 1\n    for v in CFG[:A]\n        if v == :M\n            h = h[1:2:end, :]\n        else\n            h = h .* v .+ c\n            c += 1\n        end\n    end\n    return h, length(CFG[:B])\nend",
    args: [a(4, 2)],
    ref: "((x1 * 2 + 1)[::2, :] * 3 + 2, np.int64(3))",
  },
  { name: "keys, values, delete! and pop! on a Dict; sorted keys", source: "function f(x)\n    d = Dict(\"b\" => 2, \"a\" => 1, \"c\" => 3)\n    delete!(d, \"c\")\n    p = pop!(d, \"b\")\n    d[\"z\"] = 10\n    ks = sort(collect(keys(d)))\n    return x .* (sum(values(d)) + p), length(ks), ks[1] == \"a\", haskey(d, \"c\")\nend", args: [a(2)], ref: "(x1 * 13, np.int64(2), True, False)" },
  { name: "a NamedTuple of hyperparameters and a Dict of them merged with defaults", source: "const DEFAULTS = Dict(:lr => 0.1, :decay => 0.0)\nfunction f(w, g)\n    hp = merge(DEFAULTS, Dict(:decay => 0.5))\n    return w .- Float32(hp[:lr]) .* (g .+ Float32(hp[:decay]) .* w)\nend", args: [a(3), a(3)], ref: "x1 - np.float32(0.1) * (x2 + np.float32(0.5) * x1)" },
  // ---- Char and String on known values -------------------------------------------------------
  { name: "Char arithmetic: c - 'a' + 1, Int(c), Char(98), isletter, isdigit, uppercase", source: "f() = ('d' - 'a' + 1, Int('A'), Char(98) == 'b', isletter('x'), isdigit('7'), uppercase('q') == 'Q', 'a' < 'b', codepoint('z'))", args: [], ref: "(np.int64(4), np.int64(65), True, True, True, True, True, np.uint32(122))" },
  { name: "String length, indexing, concatenation, repeat, join and split", source: "function f(x)\n    s = \"ab\" * \"cd\"\n    parts = split(\"a,b,c\", \",\")\n    return x .* length(s), s[2] == 'b', length(repeat(\"xy\", 3)), join([\"a\", \"b\"], \"-\") == \"a-b\", length(parts), parts[3] == \"c\", string(\"n=\", 3) == \"n=3\"\nend", args: [a(2)], ref: "(x1 * 4, True, np.int64(6), True, np.int64(3), True, True)" },
  { name: "collect(s), unique and sort of a string's characters; occursin, startswith, endswith; parse", source: "f() = (length(collect(\"banana\")), length(unique(\"banana\")), sort(collect(\"cab\"))[1] == 'a', occursin(\"an\", \"banana\"), startswith(\"banana\", \"ba\"), endswith(\"banana\", \"nx\"), parse(Int, \"42\") + 1, parse(Float64, \"2.5\"), lowercase(\"AbC\") == \"abc\", reverse(\"abc\") == \"cba\")", args: [], ref: "(np.int64(6), np.int64(3), True, True, True, False, np.int64(43), 2.5, True, True)" },
  { name: "characters of a text mapped to one-hot columns with a comprehension", source: "function f(W)\n    chars = ['a', 'b', 'c']\n    x = Float32[c == d for c in chars, d in \"cab\"]\n    return W * x\nend", args: [a(2, 3)], ref: "x1 @ np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], np.float32)" },
  // ---- Dims ------------------------------------------------------------------------------------
  { name: "Dims{N} annotations dispatch on tuples of Ints; reshape, zeros and prod take them", source: "g(d::Dims{2}) = 2\ng(d::Dims) = 0\nfunction f(x)\n    d::Dims = (3, 2)\n    return reshape(x, d), zeros(Float32, d) .+ 1, prod(d), g(d), g((1, 2, 3)), size(x) isa Dims{1}\nend", args: [a(6)], ref: "(x1.reshape(3, 2, order='F'), np.ones((3, 2), np.float32), np.int64(6), np.int64(2), np.int64(0), True)" },
  { name: "a layer's output size from size(x)[1:end-1] and a new batch size", source: "function f(x)\n    spatial = size(x)[1:end-1]\n    n = size(x)[end]\n    return reshape(x, prod(spatial), n), (spatial..., 1)\nend", args: [a(2, 3, 4)], ref: "(x1.reshape(6, 4, order='F'), np.int64(2), np.int64(3), np.int64(1))" },
  // ---- all, any, count -----------------------------------------------------------------------------
  { name: "all(isfinite, x), any(isnan, x), count(>(0), x) on traced arrays", source: "f(x) = (all(isfinite, x), any(isnan, x), count(>(0), x), all(>(-10), x))", args: [a(3, 4)], ref: "(True, False, np.int64((x1 > 0).sum()), True)" },
  { name: "all, any and count with dims keep the dimension", source: "f(x) = (all(x .> -1; dims = 1), any(x .> 1; dims = 2), count(x .> 0; dims = 1))", args: [a(3, 4)], ref: "((x1 > -1).all(0, keepdims=True), (x1 > 1).any(1, keepdims=True), (x1 > 0).sum(0, keepdims=True))" },
  { name: "accuracy as count of equal predictions over the batch", source: "using Flux\nf(yhat, y) = count(Flux.onecold(yhat) .== Flux.onecold(y)) / size(y, 2)", args: [a(3, 8), a(3, 8)], ref: "float((np.argmax(x1, 0) == np.argmax(x2, 0)).sum()) / 8" },
  // ---- triu, tril ------------------------------------------------------------------------------
  { name: "triu and tril with offsets, on square and rectangular matrices", source: "f(x, y) = (triu(x, 1), tril(x, -1), triu(y), tril(y, 1))", args: [a(4, 4), a(3, 5)], ref: "(np.triu(x1, 1), np.tril(x1, -1), np.triu(x2), np.tril(x2, 1))" },
  { name: "a causal attention mask from tril(ones) applied to scores", source: "using Flux\nfunction f(s)\n    T = size(s, 1)\n    m = tril(ones(Float32, T, T))\n    return softmax(s .+ (1 .- m') .* -1f9; dims = 1)\nend", args: [a(4, 4)], setup: "def ref(s):\n    m = np.tril(np.ones((4, 4), np.float32))\n    z = s + (1 - m.T) * np.float32(-1e9)\n    return jax.nn.softmax(z, axis=0)" },
  // ---- factorial, floor/ceil to types -----------------------------------------------------------
  { name: "factorial, binomial and factorial over a range", source: "f(x) = (factorial(10), binomial(5, 2), factorial.(0:4), x ./ factorial(3))", args: [a(2)], ref: "(np.int64(3628800), np.int64(10), np.array([1, 1, 2, 6, 24]), x1 / np.float32(6))" },
  { name: "floor, ceil, round and trunc to Int and Int32 of traced arrays", source: "f(x) = (floor.(Int, x), ceil.(Int32, x), round.(Int, x), trunc.(Int, x))", args: [a(6)], ref: "(np.floor(x1).astype(np.int64), np.ceil(x1).astype(np.int32), np.round(x1).astype(np.int64), np.trunc(x1).astype(np.int64))" },
  { name: "ceil(Int, n / 2), cld, fld, div, rem and mod on known numbers give a layer's sizes", source: "f(x) = (x[1:ceil(Int, 5 / 2)], x[1] .* (cld(7, 2), fld(-7, 2), div(7, 2), rem(-7, 3), mod(-7, 3), floor(Int, 2.7), ceil(Int, -2.5)))", args: [a(5)], ref: "(x1[:3], *(x1[0] * np.float32(k) for k in (4, -4, 3, -1, 2, 2, -2)))" },
  { name: "floor and round of a traced scalar to Int", source: "f(x) = (floor(Int, x * 10), round(Int, x), ceil(x))", args: [{ eltype: F64 }], ref: "(np.int64(np.floor(x1 * 10)), np.int64(np.round(x1)), np.ceil(x1))" },
  // ---- enumerate, zip, pairs --------------------------------------------------------------------
  { name: "for (i, W) in enumerate(weights) scales each layer by its depth", source: "function f(W1, W2, x)\n    h = x\n    for (i, W) in enumerate((W1, W2))\n        h = tanh.(W * h) .* i\n    end\n    return h\nend", args: [a(3, 3), a(2, 3), a(3)], ref: "np.tanh(x2 @ np.tanh(x1 @ x3)) * 2" },
  { name: "for (x, y) in zip(xs, ys) sums a loss over batches; zip stops at the shorter", source: "function f(x1, x2, y1, y2)\n    l = 0f0\n    for (x, y) in zip((x1, x2), (y1, y2, y1))\n        l += sum(abs2, x .- y)\n    end\n    return l, length(collect(zip(1:3, 1:5)))\nend", args: [a(3), a(3), a(3), a(3)], ref: "(np.float32(((x1 - x3) ** 2).sum() + ((x2 - x4) ** 2).sum()), np.int64(3))" },
  { name: "pairs of a NamedTuple and of a vector give keys with values", source: "function f(x)\n    t = 0f0\n    for (k, v) in pairs((a = 1, b = 2))\n        t += k == :b ? v * 10 : v\n    end\n    s = 0\n    for (i, v) in pairs([10, 20, 30])\n        s += i * v\n    end\n    return x .* t, s\nend", args: [a(2)], ref: "(x1 * 21, np.int64(140))" },
  { name: "enumerate(zip(...)) and eachindex", source: "function f(x)\n    acc = zero(x)\n    for (i, (a, b)) in enumerate(zip((1, 2), (3, 4)))\n        acc = acc .+ i * a * b\n    end\n    return acc, sum(eachindex(x))\nend", args: [a(3)], ref: "(np.full(3, 19, np.float32) + 0 * x1, np.int64(6))" },
  // ---- isnothing, something -----------------------------------------------------------------------
  { name: "an optional bias: isnothing(b) ? y : y .+ b, for nothing and an array", source: "apply(W, b, x) = (y = W * x; isnothing(b) ? y : y .+ b)\nf(W, b, x) = (apply(W, nothing, x), apply(W, b, x))", args: [a(2, 3), a(2), a(3)], ref: "(x1 @ x3, x1 @ x3 + x2)" },
  { name: "something picks the first value that is not nothing", source: "f(x, b) = (something(nothing, b) .+ x, something(2, nothing) * x, something(nothing, nothing, 3))", args: [a(3), a(3)], ref: "(x2 + x1, 2 * x1, np.int64(3))" },
  { name: "findfirst on known tuples and vectors gives an index or nothing", source: "f(x) = (x .* findfirst(==(3), (1, 3, 5)), isnothing(findfirst(==(7), 1:2)), findfirst(isodd, (2, 4, 5)), findlast(iseven, (2, 4, 5)))", args: [a(2)], ref: "(2 * x1, True, np.int64(3), np.int64(2))" },
  // ---- the same constructs as model code combines them ---------------------------------------------
  { name: "a loop over a StepRange of columns: for j in 1:2:size(x, 2)", source: "function f(x)\n    acc = zero(x[:, 1])\n    for j in 1:2:size(x, 2)\n        acc = acc .+ x[:, j]\n    end\n    return acc\nend", args: [a(3, 5)], ref: "x1[:, 0] + x1[:, 2] + x1[:, 4]" },
  { name: "strided and trailing slices: x[:, 2:2:end] and x[end-1:end, :]", source: "f(x) = (x[:, 2:2:end], x[end-1:end, :])", args: [a(4, 5)], ref: "(x1[:, 1::2], x1[2:, :])" },
  { name: "collect(1:n)' times a matrix is a row vector", source: "f(W) = collect(1:3)' * W", args: [a(3, 2)], ref: "(np.arange(1, 4, dtype=np.float32) @ x1)[None, :]" },
  { name: "a generator over a range: sum(x[i] * i for i in 1:length(x))", source: "f(x) = sum(x[i] * i for i in 1:length(x))", args: [a(4)], ref: "np.float32((x1 * np.arange(1, 5)).sum())" },
  { name: "layer sizes from a Dict build the weights' shapes", source: "const SIZES = Dict(\"hidden\" => 4, \"out\" => 2)\nfunction f(x)\n    W1 = ones(Float32, SIZES[\"hidden\"], size(x, 1)) ./ 10\n    W2 = ones(Float32, SIZES[\"out\"], SIZES[\"hidden\"]) ./ 10\n    return W2 * relu.(W1 * x)\nend", args: [a(3, 2)], ref: "np.full((2, 4), 0.1, np.float32) @ np.maximum(np.full((4, 3), 0.1, np.float32) @ x1, 0)", rtol: 1e-5 },
  { name: "an activation chosen by a Symbol from a Dict of functions", source: "const ACT = Dict(:relu => relu, :tanh => tanh, :id => identity)\nf(x) = (ACT[:relu].(x), ACT[:tanh].(x), map(k -> ACT[k](2), (:id,))[1])", args: [a(3)], ref: "(np.maximum(x1, 0), np.tanh(x1), np.int64(2))" },
  { name: "a Dict of arrays summed over its values", source: "f(x) = (d = Dict(:a => x, :b => 2 .* x); sum(sum(v) for v in values(d)))", args: [a(3)], ref: "np.float32(3 * x1.sum())", rtol: 1e-5 },
  { name: "a word tokenizer: split, unique, findfirst ids, then embedding columns", source: "function f(W)\n    words = split(\"the cat saw the dog\")\n    vocab = unique(words)\n    ids = [findfirst(==(w), vocab) for w in words]\n    return W[:, ids], length(vocab)\nend", args: [a(2, 4)], ref: "(x1[:, [0, 1, 2, 0, 3]], np.int64(4))" },
  { name: "layer names from string interpolation as Dict keys", source: "function f(x)\n    scales = Dict(\"layer$(i)\" => i for i in 1:3)\n    h = x\n    for i in 1:3\n        h = h .* scales[\"layer$i\"]\n    end\n    return h, haskey(scales, \"layer2\")\nend", args: [a(3)], ref: "(x1 * 6, True)" },
  { name: "a character dataset: Int(c) - Int('a') + 1 one-hot encoded", source: "using Flux\nfunction f(W)\n    idx = [Int(c) - Int('a') + 1 for c in \"bad\"]\n    return W * Flux.onehotbatch(idx, 1:4), idx[2]\nend", args: [a(2, 4)], ref: "(x1[:, [1, 0, 3]], np.int64(1))" },
  { name: "a size kept as Dims{3} from size(x) and reused for reshape", source: "function f(x)\n    sz::Dims{3} = size(x)\n    flat = reshape(x, :, sz[3])\n    return reshape(2 .* flat, sz), prod(sz[1:2])\nend", args: [a(2, 3, 4)], ref: "(2 * x1, np.int64(6))" },
  { name: "all(isfinite, x) as a traced condition selecting a fallback", source: "f(x) = all(isfinite, x) ? x .* 2 : zero(x)", args: [a(4)], ref: "x1 * 2" },
  { name: "a Taylor series with factorial(n) in the denominators", source: "f(x) = sum(x .^ n ./ factorial(n) for n in 0:8)", args: [a64(4)], ref: "sum(x1 ** n / float(np.prod(np.arange(1, n + 1))) for n in range(9))", rtol: 1e-12 },
  { name: "a conv's output size: floor(Int, (n + 2p - k) / s) + 1", source: "convout(n, k, s, p) = floor(Int, (n + 2p - k) / s) + 1\nf(x) = reshape(x, convout(7, 3, 2, 1), :)", args: [a(4, 3)], ref: "x1.reshape(4, 3, order='F')" },
  { name: "an MLP built from zip(sizes[1:end-1], sizes[2:end])", source: "using Flux\nfunction f(x)\n    sizes = (3, 4, 2)\n    layers = [Dense(ones(Float32, o, i) ./ (i * o), zeros(Float32, o), tanh) for (i, o) in zip(sizes[1:end-1], sizes[2:end])]\n    return Chain(layers...)(x), length(layers)\nend", args: [a(3, 2)], setup: "def ref(x):\n    h = jnp.tanh(jnp.full((4, 3), 1 / 12, jnp.float32) @ x)\n    return jnp.tanh(jnp.full((2, 4), 1 / 8, jnp.float32) @ h), np.int64(2)", rtol: 1e-5 },
  { name: "enumerate over a Chain's layers scales each output by its position", source: "using Flux\nfunction f(W1, W2, x)\n    m = Chain(Dense(W1, false), Dense(W2, false))\n    h = x\n    for (i, l) in enumerate(m.layers)\n        h = l(h) .* i\n    end\n    return h\nend", args: [a(3, 3), a(2, 3), a(3)], ref: "(x2 @ (x1 @ x3)) * 2" },
  { name: "an optional activation: something(act, identity)", source: "layer(W, x; act = nothing) = something(act, identity).(W * x)\nf(W, x) = (layer(W, x), layer(W, x; act = relu))", args: [a(2, 3), a(3)], ref: "(x1 @ x2, np.maximum(x1 @ x2, 0))" },
  { name: "sliding windows with @views in a loop", source: "function f(x)\n    acc = zero(x[1:2])\n    @views for i in 1:3\n        acc = acc .+ x[i:i+1]\n    end\n    return acc\nend", args: [a(4)], ref: "x1[0:2] + x1[1:3] + x1[2:4]" },
];

const test = suite("julia base, more");
conformanceTests(test, cases);
test.run();
