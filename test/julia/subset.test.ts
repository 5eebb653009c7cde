// The first Julia subset, compiled by our compiler and run on XLA's CPU client, against NumPy
// references written in the test (Julia-order arrays: `W @ x` is Julia's `W * x`).

import { suite } from "uvu";
import type { ConformanceCase } from "../support/conformance.js";
import { conformanceTests } from "../support/conformance.js";

const F32 = "Float32" as const;
const F64 = "Float64" as const;
const m = (a: number, b: number, eltype: "Float32" | "Float64" = F32) => ({ eltype, size: [a, b] });
const v = (n: number, eltype: "Float32" | "Float64" = F32) => ({ eltype, size: [n] });
const s = (eltype: "Float32" | "Float64" | "Int64" | "Int32" | "Bool" = F32) => ({ eltype });

const cases: ConformanceCase[] = [
  // Precedence and juxtaposition
  { name: "juxtaposition: 3x^2 + 2x is 3*(x^2) + 2*x", source: "f(x) = 3x^2 + 2x + 1", args: [s()], ref: "np.float32(3*x1**2 + 2*x1 + 1)" },
  { name: "unary minus binds looser than ^: -x^2", source: "f(x) = -x^2", args: [s()], ref: "np.float32(-(x1**2))" },
  { name: "power is right-associative: 2^3^2", source: "f(x) = x * 2^3^2", args: [s()], ref: "np.float32(x1 * 512)" },
  { name: "broadcast polynomial with @.", source: "f(x) = @. 3x^2 + 2x + 1", args: [v(7)], ref: "3*x1**2 + 2*x1 + 1" },
  { name: "dotted operators broadcast a column against a row", source: "f(a, b) = a .+ b'", args: [v(3), v(4)], ref: "x1[:, None] + x2[None, :]" },
  { name: "user scalar function broadcast with f.(x)", source: "g(x) = x > 0 ? x : 0.1f0 * x\nf(x) = g.(x)", args: [m(3, 4)], ref: "np.where(x1 > 0, x1, np.float32(0.1) * x1)" },
  { name: "broadcast of a two-argument user function over a matrix and a vector", source: "h(a, b) = a * b + exp(a - b)\nf(x, y) = h.(x, y)", args: [m(3, 4), v(3)], ref: "x1 * x2[:, None] + np.exp(x1 - x2[:, None])" },
  // Promotion
  { name: "Float32 times an Int stays Float32", source: "f(x) = x * 2", args: [v(4)], ref: "x1 * 2", eltypes: [F32] },
  { name: "Float32 array times a Float64 literal promotes to Float64", source: "f(x) = x .* 2.0", args: [v(4)], ref: "x1.astype(np.float64) * 2.0", eltypes: [F64] },
  { name: "1/2 is Float64 0.5", source: "f(x) = x .* (1/2)", args: [v(3, F64)], ref: "x1 * 0.5", eltypes: [F64] },
  { name: "integer ÷ truncates toward zero", source: "f(x) = x .÷ 3", args: [{ eltype: "Int64", size: [6], values: "int" }], ref: "np.trunc(x1 / 3).astype(np.int64)" },
  { name: "Int32 plus Int64 promotes to Int64", source: "f(x, y) = x + y", args: [{ eltype: "Int32", values: "int" }, { eltype: "Int64", values: "int" }], ref: "np.int64(x1) + np.int64(x2)", eltypes: ["Int64"] },
  { name: "π adopts Float32", source: "f(x) = x * π", args: [s()], ref: "np.float32(x1 * np.float32(np.pi))", eltypes: [F32] },
  { name: "literals 1f-3, 0x1p-2, -Inf32", source: "f(x) = (x + 1f-3, x * 0x1p-2, max(x, -Inf32))", args: [s()], ref: "(np.float32(x1 + np.float32(1e-3)), np.float64(x1) * 0.25, x1)", eltypes: [F32, F64, F32] },
  { name: "known arithmetic folds at compile time with Julia semantics", source: "f(x) = x .* (7 ÷ 2) .+ 2^10 .+ (5 % 3)", args: [v(3, F64)], ref: "x1 * 3 + 1024 + 2" },
  { name: "Bool plus Bool is Int64", source: "f(a, b) = a + b", args: [s("Bool"), s("Bool")], ref: "np.int64(x1) + np.int64(x2)", eltypes: ["Int64"] },
  // Comparisons and selection
  { name: "comparisons give Bool arrays", source: "f(x, y) = (x .< y, x .>= 0, x .== x)", args: [v(5), v(5)], ref: "(x1 < x2, x1 >= 0, x1 == x1)" },
  { name: "chained comparison", source: "f(x) = -1 .< x .< 1", args: [v(9)], ref: "(x1 > -1) & (x1 < 1)" },
  { name: "ifelse and ternary on traced values select", source: "f(x) = ifelse.(x .> 0, x, -x) .+ (sum(x) > 0 ? 1f0 : 2f0)", args: [v(6)], ref: "np.abs(x1) + (1 if x1.sum() > 0 else 2)" },
  // Math
  { name: "exp log sqrt abs tanh elementwise", source: "f(x) = (exp.(x), log.(abs.(x) .+ 1), sqrt.(abs.(x)), tanh.(x))", args: [m(2, 3)], ref: "(np.exp(x1), np.log(np.abs(x1) + 1), np.sqrt(np.abs(x1)), np.tanh(x1))" },
  { name: "max and min", source: "f(x, y) = (max.(x, y), min.(x, 0))", args: [v(5), v(5)], ref: "(np.maximum(x1, x2), np.minimum(x1, 0))" },
  // Linear algebra
  { name: "matrix product follows Julia's (m,k)*(k,n)", source: "f(A, B) = A * B", args: [m(3, 4), m(4, 5)], ref: "x1 @ x2" },
  { name: "matrix-vector product", source: "f(W, x, b) = W * x + b", args: [m(3, 4), v(4), v(3)], ref: "x1 @ x2 + x3" },
  { name: "adjoint and transpose of a matrix", source: "f(A) = (A', transpose(A), A' * A)", args: [m(3, 2)], ref: "(x1.T, x1.T, x1.T @ x1)" },
  { name: "x'y of vectors is a number", source: "f(x, y) = x'y", args: [v(6), v(6)], ref: "np.float32(x1 @ x2)" },
  { name: "vector times row vector is an outer product", source: "f(x, y) = x * y'", args: [v(3), v(4)], ref: "np.outer(x1, x2)" },
  // Reductions
  { name: "sum maximum minimum prod of a whole array", source: "f(x) = (sum(x), maximum(x), minimum(x), prod(x))", args: [m(3, 4)], ref: "(x1.sum(), x1.max(), x1.min(), x1.prod())", rtol: 1e-4 },
  { name: "reductions with dims keep the dimension", source: "f(x) = (sum(x; dims=1), maximum(x; dims=2), minimum(x, dims=(1, 2)), prod(x; dims=2))", args: [m(3, 4)], ref: "(x1.sum(0, keepdims=True), x1.max(1, keepdims=True), x1.min((0, 1), keepdims=True), x1.prod(1, keepdims=True))", rtol: 1e-4 },
  { name: "sum with dims on a 3-d array", source: "f(x) = sum(x; dims=(1, 3))", args: [{ eltype: F32, size: [2, 3, 4] }], ref: "x1.sum((0, 2), keepdims=True)", rtol: 1e-5 },
  { name: "sum of Int32 widens to Int64", source: "f(x) = sum(x)", args: [{ eltype: "Int32", size: [5], values: "int" }], ref: "np.int64(x1.sum())", eltypes: ["Int64"] },
  { name: "sum(f, x) applies f first", source: "f(x) = sum(abs2, x)", args: [v(5)], ref: "np.float32((x1 ** 2).sum())" },
  // Shapes
  { name: "reshape with : is column-major", source: "f(x) = reshape(x, 2, :)", args: [m(4, 3)], ref: "x1.reshape((2, 6), order='F')" },
  { name: "reshape to a tuple of sizes", source: "f(x) = reshape(x, (3, 2, 2))", args: [m(4, 3)], ref: "x1.reshape((3, 2, 2), order='F')" },
  { name: "size and length are known at compile time", source: "f(x) = x .* (size(x, 1) + 10 * size(x, 2) + 100 * length(x))", args: [m(2, 3)], ref: "x1 * (2 + 30 + 600)" },
  { name: "indexing with ranges, end and :", source: "f(x) = (x[2:end, :], x[1, :], x[:, 2], x[end, end])", args: [m(3, 4)], ref: "(x1[1:, :], x1[0, :], x1[:, 1], x1[-1, -1])" },
  // Functions and methods
  { name: "function, short form and lambda", source: "function sq(x)\n    return x * x\nend\ncube(x) = x * sq(x)\nf(x) = map_twice(y -> cube(y) + 1, x)\nmap_twice(g, x) = g(g(x))", args: [s(F64)], ref: "((x1**3 + 1)**3 + 1)" },
  { name: "methods chosen by arity", source: "g(x) = x + 1\ng(x, y) = x * y\nf(x) = g(x) + g(x, x)", args: [s(F64)], ref: "x1 + 1 + x1 * x1" },
  { name: "methods chosen by type annotation", source: "g(x::AbstractArray) = sum(x)\ng(x::Real) = 10x\ng(x::AbstractMatrix) = -sum(x)\nf(v, m, s) = (g(v), g(m), g(s))", args: [v(3), m(2, 2), s()], ref: "(x1.sum(), -x2.sum(), np.float32(10 * x3))" },
  { name: "where clause binds the element type", source: "g(x::AbstractArray{T}) where {T} = x .* T(2)\nf(x) = g(x)", args: [v(3)], ref: "x1 * 2", eltypes: [F32] },
  { name: "keyword arguments with defaults", source: "scale(x; by = 2, shift = 0) = x .* by .+ shift\nf(x) = (scale(x), scale(x; shift = 1), scale(x, by = 3))", args: [v(3, F64)], ref: "(x1 * 2, x1 * 2 + 1, x1 * 3)" },
  { name: "tuples, destructuring and multiple return values", source: "g(x) = (x, 2x)\nfunction f(x)\n    a, b = g(x)\n    x̄, = g(b)\n    return a + b, x̄\nend", args: [s(F64)], ref: "(3 * x1, 2 * x1)" },
  { name: "local variables and reassignment, += and a known loop", source: "function f(x)\n    acc = zero(x)\n    for i in 1:4\n        acc += i * x\n    end\n    acc .*= 2\n    return acc\nend", args: [v(3, F64)], ref: "x1 * 20" },
  { name: "constants from the manifest are compile-time values", source: "f(x, n) = x .* n .+ length(1:n)", args: [v(3, F64), { const: 4 }], ref: "x1 * 4 + 4" },
  { name: "softmax from the prelude (dims=1 default)", source: "f(x) = softmax(x)", args: [m(4, 3)], ref: "np.exp(x1 - x1.max(0)) / np.exp(x1 - x1.max(0)).sum(0)" },
  { name: "relu and sigmoid", source: "f(x) = (relu.(x), σ.(x))", args: [v(6)], ref: "(np.maximum(x1, 0), 1 / (1 + np.exp(-x1)))" },
  { name: "an MLP forward pass", source: "dense(W, b, x, act) = act.(W * x .+ b)\nf(W1, b1, W2, b2, x) = softmax(dense(W2, b2, dense(W1, b1, x, relu), identity))", args: [m(8, 5), v(8), m(3, 8), v(3), m(5, 4)], ref: "(lambda h: np.exp(h - h.max(0)) / np.exp(h - h.max(0)).sum(0))(x3 @ np.maximum(x1 @ x5 + x2[:, None], 0) + x4[:, None])", rtol: 1e-5 },
  { name: "NamedTuple results", source: "f(x) = (mean = sum(x) / length(x), top = maximum(x))", args: [v(5, F64)], ref: "(x1.mean(), x1.max())" },
];

const test = suite("julia subset");
conformanceTests(test, cases);

test.run();
