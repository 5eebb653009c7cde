// Constructs that unmodified model files and training scripts use (issue 12): Julia's conversion of
// struct fields, Zygote on integers and on structs' number fields, a program's own indexing and
// iteration methods. Each program runs on XLA's CPU client against a NumPy reference in the test.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ArgSpec } from "../../plugins/api.js";
import { juliaCompiler } from "../../plugins/julia/index.js";
import type { ConformanceCase } from "../support/conformance.js";
import { conformanceTests } from "../support/conformance.js";

const F32 = "Float32" as const;
const F64 = "Float64" as const;
const v = (n: number, eltype: "Float32" | "Float64" = F32) => ({ eltype, size: [n] });

// One Adam step from zero state, as Optimisers.jl computes it in Float32: m = (1-β1)g, v = (1-β2)g²,
// step = m/(1-β1) / (sqrt(v/(1-β2)) + ϵ) * η.
const ADAM_STEP = `
def adam(w, g, eta, b1=np.float32(0.9), b2=np.float32(0.999), eps=np.float32(1e-8)):
    w, g = np.float32(w), np.float32(g)
    m = (1 - b1) * g
    v = (1 - b2) * g * g
    return w - m / (1 - b1) / (np.sqrt(v / (1 - b2)) + eps) * np.float32(eta)
`;

const SEQ = `
struct Seq
    xs
end
Base.getindex(s::Seq, i) = s.xs[i] * 2
Base.length(s::Seq) = 3
Base.lastindex(s::Seq) = length(s)
Base.iterate(s::Seq, i = 1) = i > length(s) ? nothing : (s.xs[i], i + 1)
mutable struct Box
    value
end
Base.setindex!(b::Box, v, i) = (b.value = v .* i; b)
`;

const cases: ConformanceCase[] = [
  // Field conversion (Julia's default constructors convert to the declared field types)
  {
    name: "Adam(3e-4) with a Float64 literal converts its Float32 default betas to the Float64 field type",
    source: "f() = (o = Adam(3e-4); (o.eta, o.beta[1], o.beta[2], o.epsilon))",
    args: [],
    ref: "(3e-4, float(np.float32(0.9)), float(np.float32(0.999)), float(np.float32(1e-8)))",
    eltypes: [F64, F64, F64, F64],
  },
  {
    name: "an Adam(3e-4) step on a Float32 parameter stays Float32",
    source: "function f(w, g)\n    st = Optimisers.setup(Adam(3e-4), w)\n    st, w = Optimisers.update(st, w, g)\n    return w\nend",
    args: [v(4), v(4)],
    setup: `${ADAM_STEP}\ndef ref(w, g):\n    return adam(np.asarray(w), np.asarray(g), 3e-4)`,
    eltypes: [F32],
  },
  {
    name: "keyword constructors of the rules: Adam(eta = 0.01), Momentum(0.01, 0.9), Descent(0.1)",
    source: `
function f(w, g)
    s1 = Optimisers.setup(Adam(eta = 0.01), w)
    s2 = Optimisers.setup(Momentum(0.01, 0.9), w)
    s3 = Optimisers.setup(Descent(0.1), w)
    s4 = Optimisers.setup(Momentum(rho = 0.5), w)
    return Optimisers.update(s1, w, g)[2], Optimisers.update(s2, w, g)[2], Optimisers.update(s3, w, g)[2], Optimisers.update(s4, w, g)[2]
end`,
    args: [v(3), v(3)],
    setup: `${ADAM_STEP}\ndef ref(w, g):\n    w, g = np.asarray(w), np.asarray(g)\n    return adam(w, g, 0.01), w - np.float32(0.01) * g, w - g * np.float32(0.1), w - np.float32(0.01) * g`,
    eltypes: [F32, F32, F32, F32],
  },
  {
    name: "tuple and array fields convert elementwise once the type parameters are given",
    source: "struct P{T}\n    a::T\n    t::Tuple{T, Int}\n    w::Vector{T}\nend\nstruct Q\n    t::NTuple{2, Float64}\nend\nf(x) = (p = P{Float64}(1, (2f0, 3), x); (p.a, p.t[1], p.t[2], p.w, Q((1, 2f0)).t[2]))",
    args: [v(3)],
    ref: "(1.0, 2.0, np.int64(3), x1.astype(np.float64), 2.0)",
    eltypes: [F64, F64, "Int64", F64, F64],
  },
  // Zygote on integers and number fields
  {
    name: "gradient(x -> 3x^2 + 2x + 1, 5) is 32.0 (an integer differentiated as a real)",
    source: "f() = (gradient(x -> 3x^2 + 2x + 1, 5)[1], gradient((a, b) -> a * b, 2, 3)...)",
    args: [],
    ref: "(32.0, 3.0, 2.0)",
    eltypes: [F64, F64, F64],
  },
  {
    name: "an integer used as an index has no gradient (nothing), as in Zygote",
    source: "function f(x)\n    g = gradient((v, i) -> v[i]^2, x, 2)\n    return isnothing(g[2]) ? g[1] : g[1] .* 0\nend",
    args: [v(3)],
    ref: "np.array([0, 2 * x1[1], 0], np.float32)",
  },
  {
    name: "float fields of a struct get their gradients (Zygote's Point example)",
    source: "import Base: +\nstruct Point\n    x::Float64\n    y::Float64\nend\na::Point + b::Point = Point(a.x + b.x, a.y + b.y)\ndist(p::Point) = sqrt(p.x^2 + p.y^2)\nfunction f()\n    g = gradient(a -> dist(a + Point(3, 4)), Point(1, 2))[1]\n    return g.x, g.y\nend",
    args: [],
    ref: "(4 / np.sqrt(52), 6 / np.sqrt(52))",
    eltypes: [F64, F64],
  },
  // A program's own indexing and iteration methods
  {
    name: "x[k], x[end], length and iterate on a program's type call its methods",
    source: `${SEQ}\nfunction f(x)\n    s = Seq(x)\n    t = zero(x[1])\n    for e in s\n        t += e\n    end\n    a, b = s\n    return s[2], s[end], t, a * b, length(s)\nend`,
    args: [v(3, F64)],
    ref: "(2 * x1[1], 2 * x1[2], x1.sum(), x1[0] * x1[1], np.int64(3))",
  },
  {
    name: "x[i] = v on a program's type calls its setindex!",
    source: `${SEQ}\nfunction f(x)\n    b = Box(x)\n    b[3] = x .+ 1\n    return b.value\nend`,
    args: [v(3, F64)],
    ref: "(x1 + 1) * 3",
  },
  // Arrays that grow: at compile time, on known values and on traced elements
  {
    name: "[] grown with push! in a loop holds the layers a builder makes, splatted into a Chain",
    source: "using Flux\nfunction f(W1, W2, x)\n    layers = []\n    for (W, act) in ((W1, relu), (W2, identity))\n        push!(layers, Dense(W, false, act))\n    end\n    return Chain(layers...)(x), Chain(layers)(x), length(layers)\nend",
    args: [{ size: [5, 3] }, { size: [2, 5] }, { size: [3, 4] }],
    ref: "(x2 @ np.maximum(x1 @ x3, 0), x2 @ np.maximum(x1 @ x3, 0), np.int64(2))",
  },
  {
    name: "Float32[] through push!, pushfirst!, pop!, insert!, deleteat!, append! and empty!, then used as an array",
    source: `
function f(x)
    v = Float32[]
    for i in 1:3
        push!(v, x[i] * 2)
    end
    push!(v, 1)
    w = v
    pushfirst!(w, 5.0)
    a = pop!(v)
    insert!(v, 2, 7f0)
    deleteat!(v, 1)
    u = Vector{Float32}()
    append!(u, (1, 2))
    append!(u, 3:4)
    b = copy(u)
    empty!(u)
    return sum(v) + a, v .* 2, length(v), b, length(u), v[end]
end`,
    args: [v(3)],
    ref: "(np.float32(7 + 2 * x1.sum() + 1), 2 * np.array([7, *(2 * x1)], np.float32), np.int64(4), np.array([1, 2, 3, 4], np.float32), np.int64(0), np.float32(2 * x1[2]))",
    eltypes: [F32, F32, "Int64", F32, "Int64", F32],
  },
  {
    name: "a vector collects a forward pass's traced activations; read by index, by a range and splatted",
    source: "function f(W, x)\n    acts = Vector{Any}()\n    h = x\n    for i in 1:3\n        h = tanh.(W * h)\n        push!(acts, h)\n    end\n    return acts[2], hcat(acts...), sum(sum.(acts[2:3])), reduce(+, acts)\nend",
    args: [{ size: [3, 3] }, v(3)],
    setup: "def ref(W, x):\n    a1 = jnp.tanh(W @ x); a2 = jnp.tanh(W @ a1); a3 = jnp.tanh(W @ a2)\n    return a2, jnp.stack([a1, a2, a3], axis=1), jnp.sum(a2) + jnp.sum(a3), a1 + a2 + a3",
  },
  {
    name: "a long known loop (20 iterations) that pushes is unrolled rather than made an XLA while",
    source: "function f(x)\n    v = Float32[]\n    for i in 1:20\n        push!(v, i * x[1])\n    end\n    return sum(v), length(v)\nend",
    args: [v(2)],
    ref: "(np.float32(210 * x1[0]), np.int64(20))",
  },
  {
    name: "vector literals of non-numbers are Vector{T}: tuples of Ints, Vector{Any}, typed Any[...], arrays",
    source: `
g(v::Vector{Tuple{Int, Int}}) = 1
g(v::AbstractVector{<:Tuple}) = 2
g(v::Vector{Any}) = 3
g(v) = 4
function f(x, y)
    cfg = [(3, 64), (3, 128)]
    total = 0
    for (k, c) in cfg
        total += k * c
    end
    xs = [x, y]
    return g(cfg), g(Any[(1, 2)]), g([x, y]), total, length(xs), xs[2], map(a -> 2a, xs)[1], [2z for z in xs][2]
end`,
    args: [v(2), v(2)],
    ref: "(np.int64(1), np.int64(3), np.int64(4), np.int64(576), np.int64(2), x2, 2 * x1, 2 * x2)",
  },
  {
    name: "vcat of vectors of layers is a vector of layers; of vectors of numbers an array",
    source: "using Flux\nfunction f(W, x)\n    a = Any[Dense(W, false)]\n    b = vcat(a, [h -> relu.(h)])\n    return Chain(b...)(x), vcat(Float32[1, 2], Float32[3]), length(b)\nend",
    args: [{ size: [2, 2] }, v(2)],
    ref: "(np.maximum(x1 @ x2, 0), np.array([1, 2, 3], np.float32), np.int64(2))",
  },
  {
    name: "a Chain over a Vector of layers is differentiated and updated through the vector (gradients vs jax.grad)",
    source: "using Flux\nfunction f(W1, W2, x, y)\n    m = Chain(Any[Dense(W1, false, tanh), Dense(W2, false)])\n    g = gradient(m -> sum(abs2.(m(x) .- y)), m)[1]\n    st = Optimisers.setup(Descent(0.1), m)\n    st, m2 = Optimisers.update(st, m, g)\n    return g.layers[1].weight, m2.layers[2].weight\nend",
    args: [{ size: [4, 3] }, { size: [2, 4] }, { size: [3, 5] }, { size: [2, 5] }],
    setup: "def ref(W1, W2, x, y):\n    loss = lambda p: jnp.sum((p[1] @ jnp.tanh(p[0] @ x) - y) ** 2)\n    g1, g2 = jax.grad(loss)((W1, W2))\n    return g1, W2 - jnp.float32(0.1) * g2",
    rtol: 1e-4,
  },
  // Ranges as arrays, all/any/count, and Flux API that older model code uses
  {
    name: "ranges broadcast as the arrays they are; all, any and count over arrays and known collections",
    source: "f(x) = (x .+ (1:3), (1:3) .* 2, x .* (0.5:0.5:1.5), all(x .> -100), any(x .> 100), count(x .> 0), all(t -> t > 0, (1, 2)), any(isodd, (2, 4)), count(isodd, (1, 2, 3)), all(Bool[]), any(t -> t > 0, x))",
    args: [v(3)],
    ref: "(x1 + np.arange(1, 4, dtype=np.float32), np.arange(1, 4) * 2, x1.astype(np.float64) * np.array([0.5, 1.0, 1.5]), True, False, np.int64((x1 > 0).sum()), True, False, np.int64(2), True, bool((x1 > 0).any()))",
  },
  {
    name: "a range indexed by a range is a range: (1:5)[2:3] is 2:3, (1:2:9)[2:3] is 3:2:5, and it indexes arrays",
    source: "f(x) = (collect((1:5)[2:3]), (1:5)[2:3] isa UnitRange, collect((1:2:9)[2:3]), (1:2:9)[2:3] == 3:2:5, collect((10:-1:1)[end-1:end]), collect((1:10)[1:3:7]), x[(1:5)[2:3]], length((1:5)[3:2]))",
    args: [v(6)],
    ref: "(np.array([2, 3]), True, np.array([3, 5]), True, np.array([2, 1]), np.array([1, 4, 7]), x1[1:3], np.int64(0))",
  },
  {
    name: "Flux.Losses, Dense(in, out, σ), Chain indexing with ranges and end, gpu/cpu and testmode!",
    source: "using Flux\nfunction f(x, y)\n    c = Chain(h -> relu.(h), h -> tanh.(h), h -> 2h)\n    d = Dense(3, 2, relu)\n    return Flux.Losses.mse(x, y), c[1:end-1](x), c[end](x), cpu(gpu(x)), testmode!(c)(x), size(d.weight), length(c[2:3])\nend",
    args: [v(3), v(3)],
    ref: "(np.float32(((x1 - x2) ** 2).mean()), np.tanh(np.maximum(x1, 0)), 2 * x1, x1, 2 * np.tanh(np.maximum(x1, 0)), np.int64(2), np.int64(3), np.int64(2))",
  },
  {
    name: "Base.@kwdef structs: keyword construction with defaults that see earlier fields, and positional construction converting fields",
    source: "Base.@kwdef struct Cfg\n    n::Int = 3\n    lr::Float64 = 0.1\n    lr2 = 2lr\n    act = relu\nend\nf(x) = (c = Cfg(n = 2); d = Cfg(); (c.act.(x) .* c.n .* c.lr, d.lr2, Cfg(4, 1, 2, tanh).lr, d.n))",
    args: [v(3)],
    ref: "(np.maximum(x1, 0).astype(np.float64) * 2 * 0.1, 0.2, 1.0, np.int64(3))",
  },
  {
    name: "Embedding on an index matrix (batch of sequences) and on one-hot columns, as Flux defines them",
    source: "using Flux\nfunction f(W)\n    m = Embedding(W)\n    idx = [1 3 4; 2 2 1]\n    return m(idx), m(Flux.onehotbatch([2, 4], 1:4)), m([4, 1]), m(3)\nend",
    args: [{ size: [3, 4] }],
    ref: "(x1[:, np.array([[1, 3, 4], [2, 2, 1]]) - 1], x1[:, [1, 3]], x1[:, [3, 0]], x1[:, 2])",
  },
  {
    name: "Flux.@layer trainable=(...), @functor T (fields) and a trainable method limit what Optimisers updates",
    source: `
using Flux
struct A; w; b; end
Flux.@layer A trainable=(w,)
struct B; w; b; end
Flux.@functor B (b,)
struct C; w; b; end
Flux.trainable(c::C) = (w = c.w,)
(m::A)(x) = m.w .* x .+ m.b
(m::B)(x) = m.w .* x .+ m.b
(m::C)(x) = m.w .* x .+ m.b
function f(w, b, x)
    out = ()
    for m in (A(w, b), B(w, b), C(w, b))
        g = gradient(m -> sum(m(x)), m)[1]
        st = Optimisers.setup(Descent(0.5), m)
        st, m2 = Optimisers.update(st, m, g)
        out = (out..., m2.w, m2.b)
    end
    return out
end`,
    args: [v(3), v(3), v(3)],
    ref: "(x1 - np.float32(0.5) * x3, x2, x1, x2 - np.float32(0.5), x1 - np.float32(0.5) * x3, x2)",
  },
  {
    name: "factorial, floor/ceil/round to a type, triu/tril, pairs and Flux.outputsize",
    source: "using Flux\nf(x) = (factorial(5), factorial(0), floor(Int, 2.7), ceil(Int, 2.1), round(Int, 2.5), floor.(Int, reshape(x, 3, 3)), triu(reshape(x, 3, 3)), tril(reshape(x, 3, 3), -1), [p.second for p in pairs((a = 1, b = 2))], Flux.outputsize(Chain(Dense(ones(Float32, 5, 9)), Dense(ones(Float32, 2, 5))), (9, 4)))",
    args: [v(9)],
    ref: "(np.int64(120), np.int64(1), np.int64(2), np.int64(3), np.int64(2), np.floor(x1.reshape(3, 3, order='F')).astype(np.int64), np.triu(x1.reshape(3, 3, order='F')), np.tril(x1.reshape(3, 3, order='F'), -1), np.array([1, 2]), np.int64(2), np.int64(4))",
  },
  {
    name: "Dict at compile time: a config read with d[k], get, haskey, iterated as pairs, changed with d[k] = v and get!",
    source: `function f(x)
    cfg = Dict(:width => 4, :depth => 2)
    d = Dict{String, Any}()
    d["scale"] = 2
    d["scale"] = 3
    acts = Dict("relu" => relu, "tanh" => tanh)
    h = x
    for i in 1:cfg[:depth]
        h = acts["tanh"].(h) .* d["scale"]
    end
    total = 0
    for (k, v) in cfg
        total += v
    end
    return h, total, haskey(cfg, :width), get(cfg, :nope, 7), length(d), Dict(1 => 2)[1.0], get!(d, "n", 5), length(keys(merge(cfg, Dict(:z => 1))))
end
`,
    args: [v(3)],
    ref: "(np.tanh(np.tanh(x1) * 3) * 3, np.int64(6), True, np.int64(7), np.int64(1), np.int64(2), np.int64(5), np.int64(3))",
  },
  {
    name: "IdDict keys arrays by identity (equal arrays are different keys, a name bound to the same array the same key) and numbers by type and value",
    source: `function f(x)
    y = copy(x)
    z = x
    d = IdDict{Any, Any}()
    d[x] = 1
    d[y] = 2
    d[1] = :int
    d[1.0] = :float
    s = get!(d, z, 3) .+ get(d, 2, 10)
    return d[z] + d[y], s, length(d), haskey(d, x), haskey(d, x .+ 0), d[1] === :int
end
`,
    args: [v(3)],
    ref: "(np.int64(3), np.int64(11), np.int64(4), True, False, True)",
  },
  // Base and Flux utilities that model files use
  {
    name: "type aliases, plain and parametric (const AA3{T} = AbstractArray{T, 3}), in signatures and applied",
    source: "const Vec32 = Vector{Float32}\nconst AA3{T} = AbstractArray{T, 3}\ng(x::AA3) = 3\ng(x) = 1\nh(x::AA3{Float64}) = 5\nh(x) = 6\nf(x) = (g(x), x isa Vec32, g(reshape(x, 1, 1, 3)), h(reshape(x, 1, 1, 3)), h(zeros(1, 1, 1)))",
    args: [v(3)],
    ref: "(np.int64(1), True, np.int64(3), np.int64(6), np.int64(5))",
  },
  {
    name: "Iterators.take, drop, partition, product (first index fastest), flatten and repeated over known collections; zip and enumerate",
    source: "f() = (collect(zip(1:3, 4:6))[2], [i * v for (i, v) in enumerate((5, 6))], collect(Iterators.take(1:10, 3)), collect(Iterators.drop(1:5, 3)), collect(Iterators.partition(1:5, 2))[3], length(collect(Iterators.product(1:2, 1:3))), collect(Iterators.product(1:2, 1:3))[2], collect(Iterators.flatten(((1, 2), (3,)))), collect(Iterators.take(Iterators.repeated(7), 2)))",
    args: [],
    ref: "(np.int64(2), np.int64(5), np.array([5, 12]), np.array([1, 2, 3]), np.array([4, 5]), np.array([5]), np.int64(6), np.int64(2), np.int64(1), np.array([1, 2, 3]), np.array([7, 7]))",
  },
  {
    name: "round(x; digits) and round(x; sigdigits) as Base rounds (half to even after scaling), on known and traced numbers",
    source: "f(x) = (round(3.14159; digits = 2), round(1234.5; sigdigits = 2), round(x; digits = 1), round(0.125; digits = 2), round(-2.5))",
    args: [{}],
    ref: "(3.14, 1200.0, np.round(x1, 1), 0.12, -2.0)",
  },
  {
    name: "f32, f16 and f64 convert a model's float arrays; @non_differentiable stops the gradient through a function; @show, @info and println are no-ops",
    source: `using Flux
scale(x) = 2 .* x
Flux.@non_differentiable scale(::Any)
function f(x)
    m = f32(Dense(ones(3, 2), zeros(3)))
    println("m = ", m)
    @info "compiling" size(x)
    y = @show m(Float32.(x))
    return y, eltype(f64(x)) == Float64, eltype(f16(m).weight) == Float16, gradient(x -> sum(scale(x) .* x), x)[1]
end`,
    args: [v(2, F64)],
    ref: "(np.ones((3, 2), np.float32) @ x1.astype(np.float32), True, True, 2 * x1)",
  },
  {
    name: "Flux.train!(loss, model, data, opt_state) over a vector of batches updates the model in place, as steps of jax.grad and SGD do",
    source: `using Flux
function f(W, b, x1, y1, x2, y2)
    model = Dense(W, b)
    opt = Flux.setup(Descent(0.1), model)
    loss(m, x, y) = Flux.mse(m(x), y)
    Flux.train!(loss, model, [(x1, y1), (x2, y2)], opt)
    return model.weight, model.bias
end`,
    args: [{ size: [2, 3] }, v(2), { size: [3, 4] }, { size: [2, 4] }, { size: [3, 4] }, { size: [2, 4] }],
    setup: "def ref(W, b, x1, y1, x2, y2):\n    loss = lambda p, x, y: jnp.mean((p[0] @ x + p[1][:, None] - y) ** 2)\n    p = (W, b)\n    for x, y in ((x1, y1), (x2, y2)):\n        g = jax.grad(loss)(p, x, y)\n        p = (p[0] - jnp.float32(0.1) * g[0], p[1] - jnp.float32(0.1) * g[1])\n    return p",
  },
  // In-place writes into traced arrays, with Julia's aliasing
  {
    name: "x .= y, x .+= y, fill!, copyto! write into the array: every name bound to it (another variable, a struct's field, a caller's argument) sees the write; copies do not",
    source: `function step!(b, d)
    b .-= 0.5f0 .* d
    return nothing
end
struct S
    w
end
function f(x, y)
    z = x
    c = copy(x)
    x .+= y
    s = S(y .+ 0)
    s.w .*= 2
    step!(c, y)
    w = similar(x)
    fill!(w, 3)
    u = zeros(Float32, 3)
    copyto!(u, y)
    k = collect(x)
    k .= 1.5
    x .+= 1.0
    return z, c, s.w, w, u, k, x
end`,
    args: [v(3), v(3)],
    ref: "(x1 + x2 + np.float32(1), x1 - np.float32(0.5) * x2, 2 * x2, np.full(3, 3, np.float32), x2, np.full(3, 1.5, np.float32), x1 + x2 + np.float32(1))",
    eltypes: [F32, F32, F32, F32, F32, F32, F32],
  },
];

const test = suite("model code constructs");
conformanceTests(test, cases);

const f32 = (...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size } });
const compileError = (source: string) => {
  const read = (p: string) => (p === "m.jl" ? source : undefined);
  const r = juliaCompiler.compile({ entry: "e", file: "m.jl", function: "f", args: [f32(3)], readSource: read });
  assert.ok(!r.ok, "expected a compile error");
  return r.ok ? "" : juliaCompiler.render(r.diagnostics[0]!, read);
};

test("an in-place write that could not be exact is a located error: in differentiated code (as Zygote), under a traced condition, into an array a view shares", () => {
  assert.match(compileError("f(x) = gradient(x -> (x .+= 1; sum(x)), x)[1]\n"), "m.jl:1:23: error: Mutating arrays is not supported");
  assert.match(compileError("function f(x)\n    if sum(x) > 0\n        x .*= 2\n    end\n    return x\nend\n"), "m.jl:3:9: error: writing into an array in place under a condition on traced values is not supported");
  assert.match(compileError("function f(x)\n    r = reshape(x, 3, 1)\n    x .= 0\n    return r\nend\n"), "m.jl:3:5: error: writing in place into an array that shares its memory with a reshape");
});

test.run();
