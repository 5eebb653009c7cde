// The language real model code is written in: structs, dispatch, closures, control flow on traced
// values. Each program is compiled by our compiler, run on XLA's CPU client, and compared with a
// NumPy reference written in the test (Julia-order arrays).

import { suite } from "uvu";
import type { ConformanceCase } from "../support/conformance.js";
import { conformanceTests } from "../support/conformance.js";

const F32 = "Float32" as const;
const F64 = "Float64" as const;
const m = (a: number, b: number, eltype: "Float32" | "Float64" = F32) => ({ eltype, size: [a, b] });
const v = (n: number, eltype: "Float32" | "Float64" = F32) => ({ eltype, size: [n] });
const s = (eltype: "Float32" | "Float64" | "Int64" = F32) => ({ eltype });

const LAYERS = `
abstract type AbstractLayer end
struct Affine{M<:AbstractMatrix, V<:AbstractVector, F} <: AbstractLayer
    weight::M
    bias::V
    act::F
end
Affine(W::AbstractMatrix, act = identity) = Affine(W, zero(W[:, 1]), act)
(a::Affine)(x) = a.act.(a.weight * x .+ a.bias)
struct Seq{T<:Tuple}
    layers::T
end
Seq(xs...) = Seq(xs)
runall(::Tuple{}, x) = x
runall(fs::Tuple, x) = runall(Base.tail(fs), first(fs)(x))
(s::Seq)(x) = runall(s.layers, x)
`;

const cases: ConformanceCase[] = [
  // Structs and callable structs
  { name: "parametric struct with a callable method", source: `${LAYERS}\nf(W, b, x) = Affine(W, b, relu)(x)`, args: [m(3, 4), v(3), m(4, 2)], ref: "np.maximum(x1 @ x3 + x2[:, None], 0)" },
  { name: "outer constructor with a default argument", source: `${LAYERS}\nf(W, x) = Affine(W)(x)`, args: [m(3, 4), v(4)], ref: "x1 @ x2" },
  { name: "a chain of layers through Base.tail recursion", source: `${LAYERS}\nf(W1, W2, x) = Seq(Affine(W1, tanh), Affine(W2))(x)`, args: [m(5, 3), m(2, 5), m(3, 4)], ref: "x2 @ np.tanh(x1 @ x3)" },
  { name: "field access, destructuring of struct properties", source: `${LAYERS}\nfunction f(W, b)\n    a = Affine(W, b, relu)\n    (; weight, bias) = a\n    return sum(weight) + sum(bias)\nend`, args: [m(2, 3), v(2)], ref: "np.float32(x1.sum() + x2.sum())", rtol: 1e-5 },
  { name: "mutable struct fields update in place", source: "mutable struct Acc\n    total\nend\nfunction f(x)\n    a = Acc(zero(x))\n    for i in 1:3\n        a.total = a.total .+ i .* x\n    end\n    return a.total\nend", args: [v(3, F64)], ref: "6 * x1" },
  { name: "struct fields convert to their declared number type", source: "struct Scale\n    k::Float32\nend\n(s::Scale)(x) = x .* s.k\nf(x) = Scale(2)(x)", args: [v(3)], ref: "2 * x1", eltypes: [F32] },
  { name: "a struct type is returned as a tree of leaves", source: `${LAYERS}\nf(W, b) = Affine(W .* 2, b, relu)`, args: [m(2, 3), v(2)], ref: "(2 * x1, x2)" },
  // Dispatch
  { name: "dispatch on abstract supertype vs concrete struct", source: `${LAYERS}\nstruct Noop <: AbstractLayer end\ndescribe(::AbstractLayer) = 1\ndescribe(::Affine) = 2\ndescribe(::Any) = 3\nf(x) = x .* (100describe(Noop()) + 10describe(Affine(x * x')) + describe(1.0))`, args: [v(2, F64)], ref: "x1 * 123" },
  { name: "where clauses with bounds pick the right method", source: "g(x::T) where {T<:Integer} = 1\ng(x::T) where {T<:AbstractFloat} = 2\nf(x) = x .* (10g(3) + g(1.5))", args: [v(2, F64)], ref: "x1 * 12" },
  { name: "NTuple and Vararg dispatch", source: "h(t::NTuple{2,Any}) = 2\nh(t::NTuple{3,Any}) = 3\nk(xs::Vararg{Any,N}) where {N} = N\nf(x) = x .* (h((1, 2)) * 10 + h((1, 2, 3)) + 100k(1, 2, 3, 4))", args: [v(2, F64)], ref: "x1 * 423" },
  { name: "Nothing dispatch for optional bias", source: "addbias(y, ::Nothing) = y\naddbias(y, b) = y .+ b\nf(x, b) = (addbias(x, nothing), addbias(x, b))", args: [v(3), v(3)], ref: "(x1, x1 + x2)" },
  { name: "Val dispatch", source: "pick(::Val{1}, x) = x\npick(::Val{2}, x) = 2x\nf(x) = pick(Val(2), x) .+ pick(Val(1), x)", args: [v(3, F64)], ref: "3 * x1" },
  // Functions as values, closures, keywords, splatting
  { name: "closures capture their environment", source: "function f(x)\n    k = 3\n    g = y -> y * k\n    return g.(x)\nend", args: [v(3, F64)], ref: "3 * x1" },
  { name: "do-block syntax passes a function", source: "apply(f, x) = f(x)\nf(x) = apply(x) do y\n    y .^ 2 .+ 1\nend", args: [v(3, F64)], ref: "x1 ** 2 + 1" },
  { name: "functions passed as values (an activation)", source: "layer(W, x, σ) = σ.(W * x)\nf(W, x) = (layer(W, x, relu), layer(W, x, tanh))", args: [m(2, 3), v(3)], ref: "(np.maximum(x1 @ x2, 0), np.tanh(x1 @ x2))" },
  { name: "kwargs... forwarded with a call-site shorthand", source: "inner(x; scale = 1, shift = 0) = x .* scale .+ shift\nouter(x; kws...) = inner(x; kws...)\nfunction f(x)\n    scale = 2\n    return outer(x; scale, shift = 1)\nend", args: [v(3, F64)], ref: "2 * x1 + 1" },
  { name: "splatting tuples into calls", source: "add3(a, b, c) = a + b + c\nf(x) = add3((x, 2x)..., 3x)", args: [v(3, F64)], ref: "6 * x1" },
  { name: "Pair syntax and ntuple", source: "dims(p::Pair) = (p.first, p.second)\nfunction f(x)\n    a, b = 2 => 3\n    t = ntuple(i -> i * x, 3)\n    return t[1] .+ t[3] .* (a + b)\nend", args: [v(2, F64)], ref: "x1 + 15 * x1" },
  { name: "map, foldl and filter over tuples", source: "f(x) = foldl(+, map(k -> k * x, filter(isodd, (1, 2, 3, 4, 5))))", args: [v(2, F64)], ref: "9 * x1" },
  { name: "let blocks and begin blocks", source: "function f(x)\n    y = let a = 2, b = 3\n        a * b\n    end\n    z = begin\n        x .+ y\n    end\n    return z\nend", args: [v(2, F64)], ref: "x1 + 6" },
  { name: "isa, typeof, eltype and ndims at compile time", source: "f(x) = isa(x, AbstractMatrix) && eltype(x) == Float32 && ndims(x) == 2 ? x .* 2 : x", args: [m(2, 2)], ref: "2 * x1" },
  { name: "const globals", source: "const SCALE = 4\nf(x) = x .* SCALE", args: [v(2, F64)], ref: "4 * x1" },
  // Control flow on traced values
  { name: "if/else on a traced scalar merges variables with select", source: "function f(x)\n    s = sum(x)\n    if s > 0\n        y = x .* 2\n    else\n        y = x .* -1\n    end\n    return y\nend", args: [v(5)], ref: "x1 * 2 if x1.sum() > 0 else -x1" },
  { name: "if/elseif/else chain on traced values", source: "function f(a)\n    if a > 1\n        r = 1.0\n    elseif a > 0\n        r = 2.0\n    else\n        r = 3.0\n    end\n    return r\nend", args: [s(F64)], ref: "1.0 if x1 > 1 else (2.0 if x1 > 0 else 3.0)" },
  { name: "return from both branches of a traced if", source: "function f(x)\n    if maximum(x) > 1\n        return x ./ maximum(x)\n    else\n        return x\n    end\nend", args: [v(4)], ref: "x1 / x1.max() if x1.max() > 1 else x1" },
  { name: "a user scalar function with an if, broadcast elementwise", source: "function g(t)\n    if t > 0\n        return t\n    else\n        return 0.5f0 * t\n    end\nend\nf(x) = g.(x)", args: [m(3, 3)], ref: "np.where(x1 > 0, x1, np.float32(0.5) * x1)" },
  { name: "&& and || on traced Bools", source: "f(a, b) = (a > 0 && b > 0) || a > 2 ? 1.0 : 0.0", args: [s(F64), s(F64)], ref: "1.0 if ((x1 > 0 and x2 > 0) or x1 > 2) else 0.0" },
  { name: "while on a traced condition becomes an XLA while", source: "function f(x)\n    n = 0\n    while sum(x) < 100\n        x = x .* 2\n        n += 1\n    end\n    return (x, n)\nend", args: [{ eltype: F64, size: [3], values: "positive" }], ref: "(lambda r: (r[0], np.int64(r[1])))((lambda x: (lambda loop: loop(loop, x, 0))(lambda loop, x, n: loop(loop, x * 2, n + 1) if x.sum() < 100 else (x, n)))(x1))" },
  { name: "a long known for loop becomes a while and reads outer values", source: "function f(x, w)\n    acc = zero(x)\n    for i in 1:50\n        acc = acc .+ w .* i\n    end\n    return acc .+ x\nend", args: [v(3, F64), v(3, F64)], ref: "x1 + x2 * (50 * 51 / 2)" },
  { name: "a for loop with a traced trip count", source: "function f(x, n)\n    y = x\n    for i in 1:n\n        y = y .+ 1\n    end\n    return y\nend", args: [v(3, F64), { eltype: "Int64", values: "int" }], ref: "x1 + max(int(x2), 0)" },
  { name: "nested traced loops", source: "function f(x)\n    total = zero(x)\n    i = 0\n    while i < 3 + sum(x) * 0\n        j = 0\n        while j < 2 + sum(x) * 0\n            total = total .+ x\n            j += 1\n        end\n        i += 1\n    end\n    return total\nend", args: [v(2, F64)], ref: "6 * x1" },
  { name: "a long loop whose body indexes a tuple is unrolled instead", source: "function f(x)\n    ks = ntuple(i -> i, 20)\n    acc = zero(x)\n    for i in 1:20\n        acc = acc .+ ks[i] .* x\n    end\n    return acc\nend", args: [v(2, F64)], ref: "210 * x1" },
  { name: "a training-style loop over a struct carried through a while", source: `${LAYERS}\nfunction f(W, b, x)\n    a = Affine(W, b, identity)\n    for step in 1:30\n        a = Affine(a.weight .* 0.5f0 .+ 0.5f0, a.bias, identity)\n    end\n    return a(x)\nend`, args: [m(2, 2), v(2), v(2)], ref: "(lambda W: W @ x3 + x2)(x1 * np.float32(0.5) ** 30 + (1 - np.float32(0.5) ** 30))", rtol: 1e-5 },
  // Half-precision element types
  { name: "Float16 arrays compute in Float16", source: "f(x) = Float16.(x) .* Float16(2) .+ one(Float16)", args: [v(4)], ref: "(x1.astype(np.float16) * np.float16(2) + np.float16(1))", eltypes: ["Float16"], rtol: 1e-3 },
  { name: "BFloat16 conversion and back", source: "f(x) = Float32.(BFloat16.(x) .* BFloat16(3))", args: [v(4)], ref: "x1 * 3", eltypes: [F32], rtol: 2e-2 },
];

const test = suite("julia language");
conformanceTests(test, cases);

test.run();
