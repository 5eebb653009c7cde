// Base, Statistics and LinearAlgebra array functions compiled by our compiler and run on XLA's CPU
// client, against NumPy references written in the test (Julia-order arrays: a Julia (3, 4)
// matrix is a NumPy (3, 4) array; Julia's column-major reshapes are `order='F'`). Then the
// diagnostics for misuse: Julia-style messages with Julia-order sizes.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ArgCase, ConformanceCase } from "../support/conformance.js";
import { compileErrorText, conformanceTests } from "../support/conformance.js";

const F32 = "Float32" as const;
const F64 = "Float64" as const;
const a = (...size: number[]): ArgCase => ({ eltype: F32, size });
const a64 = (...size: number[]): ArgCase => ({ eltype: F64, size });
const ints = (...size: number[]): ArgCase => ({ eltype: "Int64", size, values: "int" });

/** Julia's 1-based LinearIndices of NumPy's argmax/argmin down each column, as a 1×n row. */
const columnwise = (fn: "argmax" | "argmin") => `(np.${fn}(x1, axis=0) + x1.shape[0] * np.arange(x1.shape[1]) + 1)[None, :]`;

const cases: ConformanceCase[] = [
  // ---- cat, vcat, hcat --------------------------------------------------------------------------
  { name: "cat along dims=1 stacks rows", source: "f(x, y) = cat(x, y; dims = 1)", args: [a(3, 4), a(2, 4)], ref: "np.concatenate([x1, x2], axis=0)" },
  { name: "cat along dims=2 stacks columns", source: "f(x, y) = cat(x, y, x; dims = 2)", args: [a(3, 4), a(3, 1)], ref: "np.concatenate([x1, x2, x1], axis=1)" },
  { name: "cat of matrices along dims=3 adds a dimension", source: "f(x, y) = cat(x, y; dims = 3)", args: [a(3, 4), a(3, 4)], ref: "np.stack([x1, x2], axis=2)" },
  { name: "cat of 3-d arrays along dims=3", source: "f(x, y) = cat(x, y; dims = 3)", args: [a(2, 3, 2), a(2, 3, 4)], ref: "np.concatenate([x1, x2], axis=2)" },
  { name: "vcat of vectors and a number is a vector", source: "f(x, y) = vcat(x, 1f0, y)", args: [a(3), a(2)], ref: "np.concatenate([x1, np.float32([1]), x2])" },
  { name: "hcat of vectors is a matrix; hcat of a matrix and a vector", source: "f(x, y, m) = (hcat(x, y), hcat(m, x))", args: [a(3), a(3), a(3, 2)], ref: "(np.stack([x1, x2], axis=1), np.concatenate([x3, x1[:, None]], axis=1))" },
  { name: "vcat promotes element types (Float32 with Int stays Float32, with Float64 widens)", source: "f(x, y) = (vcat(x, 2), vcat(x, y))", args: [a(2), a64(2)], ref: "(np.concatenate([x1, [2]]), np.concatenate([x1.astype(np.float64), x2]))", eltypes: [F32, F64] },
  // ---- permutedims, dropdims, vec --------------------------------------------------------------
  { name: "permutedims of a 3-d array", source: "f(x) = permutedims(x, (3, 1, 2))", args: [a(2, 3, 4)], ref: "np.transpose(x1, (2, 0, 1))" },
  { name: "permutedims of a 4-d array", source: "f(x) = permutedims(x, (4, 2, 1, 3))", args: [a(2, 3, 4, 5)], ref: "np.transpose(x1, (3, 1, 0, 2))" },
  { name: "permutedims of a vector is a 1×n matrix, of a matrix its transpose", source: "f(v, m) = (permutedims(v), permutedims(m))", args: [a(4), a(2, 3)], ref: "(x1[None, :], x2.T)" },
  { name: "dropdims removes singleton dimensions", source: "f(x) = (dropdims(x; dims = (2, 4)), dropdims(x; dims = 2))", args: [a(3, 1, 4, 1)], ref: "(x1[:, 0, :, 0], x1[:, 0, :, :])" },
  { name: "vec flattens in column-major order", source: "f(x) = vec(x)", args: [a(2, 3, 4)], ref: "x1.ravel(order='F')" },
  // ---- repeat ----------------------------------------------------------------------------------
  { name: "repeat(x, 2, 3) tiles a matrix", source: "f(x) = repeat(x, 2, 3)", args: [a(3, 2)], ref: "np.tile(x1, (2, 3))" },
  { name: "repeat(v, 2) tiles a vector; repeat(x, 1, 1, 2) adds a dimension", source: "f(v, x) = (repeat(v, 2), repeat(x, 1, 1, 2))", args: [a(3), a(2, 3)], ref: "(np.tile(x1, 2), np.tile(x2[:, :, None], (1, 1, 2)))" },
  { name: "repeat with inner and outer", source: "f(x) = repeat(x; inner = (2, 1), outer = (1, 3))", args: [a(2, 3)], ref: "np.tile(np.repeat(x1, 2, axis=0), (1, 3))" },
  { name: "repeat of a vector with inner = 2 and with inner and outer integers", source: "f(v) = (repeat(v; inner = 2), repeat(v; inner = 3, outer = 2))", args: [a(3)], ref: "(np.repeat(x1, 2), np.tile(np.repeat(x1, 3), 2))" },
  { name: "repeat with inner over a new dimension", source: "f(x) = repeat(x; inner = (1, 2, 2))", args: [a(2, 3)], ref: "np.repeat(np.repeat(x1, 2, axis=1)[:, :, None], 2, axis=2)" },
  // ---- reverse ---------------------------------------------------------------------------------
  { name: "reverse of a vector; reverse along dims", source: "f(v, x) = (reverse(v), reverse(x; dims = 2), reverse(x; dims = (1, 3)))", args: [a(5), a(2, 3, 4)], ref: "(x1[::-1], x2[:, ::-1, :], x2[::-1, :, ::-1])" },
  { name: "reverse of an array without dims reverses every dimension", source: "f(x) = reverse(x)", args: [a(3, 4)], ref: "x1[::-1, ::-1]" },
  // ---- constructors ----------------------------------------------------------------------------
  { name: "zeros and ones with and without an element type", source: "f(x) = (zeros(Float32, 3, 4), ones(3), zeros(Float32, (2, 3)) .+ x, ones(Int32, 2))", args: [a(2, 3)], ref: "(np.zeros((3, 4)), np.ones(3), x1, np.ones(2))", eltypes: [F32, F64, F32, "Int32"] },
  { name: "fill with a known and a traced value; trues and falses", source: "f(x) = (fill(2.5f0, 2, 3), fill(sum(x), (2,)), sum(trues(3, 2)), falses(2))", args: [a(3)], ref: "(np.full((2, 3), 2.5), np.full(2, x1.sum()), 6, np.zeros(2, dtype=bool))", eltypes: [F32, F32, "Int64", "Bool"] },
  { name: "similar and zero are arrays of zeros with the same size and type", source: "f(x) = (similar(x) .+ x, zero(x), similar(x, Float64, 2))", args: [a(2, 2)], ref: "(x1, np.zeros((2, 2)), np.zeros(2))", eltypes: [F32, F32, F64] },
  { name: "typemin, typemax and floatmax of types and values", source: "f(x) = (x .+ typemin(Int32), max.(x, typemin(Float32)), floatmax(x))", args: [{ eltype: F32 }], ref: "(np.float32(x1 - 2**31), x1, np.finfo(np.float32).max)" },
  // ---- clamp -----------------------------------------------------------------------------------
  { name: "clamp broadcasts elementwise and keeps Float32", source: "f(x) = clamp.(x, -0.5f0, 0.5f0)", args: [a(3, 4)], ref: "np.clip(x1, -0.5, 0.5)", eltypes: [F32] },
  { name: "clamp of Ints with Float64 bounds promotes; clamp of known numbers folds", source: "f(x) = (clamp.(x, 0.5, 2.0), x .+ clamp(7, 1, 3))", args: [ints(6)], ref: "(np.clip(x1, 0.5, 2.0), x1 + 3)", eltypes: [F64, "Int64"] },
  // ---- Statistics ------------------------------------------------------------------------------
  { name: "mean of an array and along dims", source: "f(x) = (mean(x), mean(x; dims = 1), mean(x; dims = (1, 3)))", args: [a(3, 4, 2)], ref: "(x1.mean(), x1.mean(0, keepdims=True), x1.mean((0, 2), keepdims=True))" },
  { name: "mean of an Int array is Float64; mean(f, x) maps first", source: "f(x, y) = (mean(x), mean(abs2, y))", args: [ints(5), a(4)], ref: "(x1.mean(), (x2 ** 2).mean())", eltypes: [F64, F32] },
  { name: "var is corrected by default; corrected=false divides by n", source: "f(x) = (var(x), var(x; dims = 2), var(x; corrected = false), var(x; dims = 1, corrected = false))", args: [a64(4, 5)], ref: "(x1.var(ddof=1), x1.var(1, ddof=1, keepdims=True), x1.var(), x1.var(0, keepdims=True))" },
  { name: "std along dims, corrected", source: "f(x) = (std(x), std(x; dims = 1), std(x; dims = (1, 2)))", args: [a(3, 4, 2)], ref: "(x1.std(ddof=1), x1.std(0, ddof=1, keepdims=True), x1.std((0, 1), ddof=1, keepdims=True))", rtol: 1e-4 },
  { name: "var with a given mean uses it", source: "f(x) = (var(x; mean = 0), var(x; mean = mean(x; dims = 1), dims = 1))", args: [a64(6, 2)], ref: "((x1 ** 2).sum() / 11, x1.var(0, ddof=1, keepdims=True))" },
  // ---- argmax, argmin, findmax, findmin ----------------------------------------------------------
  { name: "argmax and argmin of a vector are 1-based Int64 indices", source: "f(v) = (argmax(v), argmin(v))", args: [a(7)], ref: "(np.argmax(x1) + 1, np.argmin(x1) + 1)", eltypes: ["Int64", "Int64"] },
  { name: "argmax of a matrix gives the Cartesian components", source: "f(x) = argmax(x)", args: [a(3, 4)], ref: "tuple(int(i) + 1 for i in np.unravel_index(np.argmax(x1.ravel(order='F')), x1.shape, order='F'))" },
  { name: "argmax and argmin with dims are linear indices keeping the dimension", source: "f(x) = (argmax(x; dims = 1), argmin(x; dims = 2))", args: [a(3, 4)], ref: `(${columnwise("argmax")}, (np.argmin(x1, axis=1) * x1.shape[0] + np.arange(x1.shape[0]) + 1)[:, None])` },
  { name: "findmax and findmin return value and index", source: "f(x, v) = (findmax(x; dims = 2)..., findmin(v)...)", args: [a(3, 4), a(5)], ref: "(x1.max(1, keepdims=True), (np.argmax(x1, axis=1) * 3 + np.arange(3) + 1)[:, None], x2.min(), np.argmin(x2) + 1)" },
  { name: "findmax treats NaN as the maximum and takes the first of ties", source: "f(v) = (argmax(ifelse.(v .> 0.5f0, NaN32, v)), argmax(round.(v)), argmin(ifelse.(v .> 0.5f0, NaN32, v)))", args: [a(12)], ref: "(np.argmax(np.where(x1 > 0.5, np.nan, x1)) + 1, np.argmax(np.round(x1)) + 1, np.argmin(np.where(x1 > 0.5, np.nan, x1)) + 1)" },
  { name: "argmax(f, x) returns the element where f is largest", source: "f(v) = argmax(abs, v)", args: [a(6)], ref: "x1[np.argmax(np.abs(x1))]" },
  // ---- dot, norm -------------------------------------------------------------------------------
  { name: "dot of vectors and of matrices (all elements)", source: "f(x, y, A, B) = (dot(x, y), dot(A, B), x ⋅ y)", args: [a(5), a(5), a(2, 3), a(2, 3)], ref: "(np.dot(x1, x2), np.vdot(x3, x4), np.dot(x1, x2))" },
  { name: "norm with p = 2, 1, Inf and 3", source: "f(x) = (norm(x), norm(x, 1), norm(x, Inf), norm(x, 3))", args: [a(3, 4)], ref: "(np.linalg.norm(x1.ravel()), np.abs(x1).sum(), np.abs(x1).max(), (np.abs(x1) ** 3).sum() ** (1 / 3))", rtol: 1e-4 },
  { name: "norm of an Int vector is Float64", source: "f(x) = norm(x)", args: [ints(4)], ref: "np.linalg.norm(x1.astype(np.float64))", eltypes: [F64] },
  // ---- indexing with integer arrays, view, selectdim -------------------------------------------------
  { name: "indexing rows with an integer vector gathers them", source: "f(x, i) = x[abs.(i) .% 3 .+ 1, :]", args: [a(3, 4), ints(5)], ref: "x1[np.abs(x2) % 3, :]" },
  { name: "two integer vectors select their outer product", source: "f(x, i, j) = x[abs.(i) .% 3 .+ 1, abs.(j) .% 4 .+ 1]", args: [a(3, 4), ints(2), ints(3)], ref: "x1[np.ix_(np.abs(x2) % 3, np.abs(x3) % 4)]" },
  { name: "an integer vector with a known index and a range", source: "f(x, i) = x[2, abs.(i) .% 4 .+ 1, 2:3]", args: [a(3, 4, 3), ints(5)], ref: "x1[1, np.abs(x2) % 4, 1:3]" },
  { name: "linear indexing of a matrix with an integer matrix", source: "f(x, i) = x[abs.(i) .% 12 .+ 1]", args: [a(3, 4), ints(2, 2)], ref: "x1.ravel(order='F')[np.abs(x2) % 12]" },
  { name: "a traced integer index picks one element", source: "f(v, x) = v[argmax(x)] + v[argmin(x)]", args: [a(5), a(5)], ref: "x1[np.argmax(x2)] + x1[np.argmin(x2)]" },
  { name: "view and selectdim slice like getindex", source: "f(x) = (view(x, 2:3, :), selectdim(x, 2, 3), selectdim(x, 1, 1:2))", args: [a(3, 4)], ref: "(x1[1:3, :], x1[:, 2], x1[0:2, :])" },
];

const test = suite("julia arrays");
conformanceTests(test, cases);

// ---- diagnostics -------------------------------------------------------------------------------

const compileError = compileErrorText;

const errors: [string, string, number[][], RegExp][] = [
  ["cat with mismatched sizes is a DimensionMismatch naming the dimension", "f(x, y) = cat(x, y; dims = 1)", [[3, 4], [2, 5]], /DimensionMismatch: mismatch in dimension 2 \(expected 4 got 5\)/],
  ["an unknown keyword of cat lists the accepted ones", "f(x) = cat(x, x; dim = 1)", [[3]], /no keyword argument `dim`.*keywords: dims/],
  ["permutedims with a non-permutation is an ArgumentError", "f(x) = permutedims(x, (1, 1, 2))", [[2, 3, 4]], /ArgumentError: no valid permutation of dimensions: \(1, 1, 2\) for an array of size \(2, 3, 4\)/],
  ["dropdims of a dimension that is not 1 is an ArgumentError", "f(x) = dropdims(x; dims = 1)", [[2, 1]], /ArgumentError: dropped dims must all be size 1/],
  ["dot of different lengths is a DimensionMismatch", "f(x, y) = dot(x, y)", [[3], [4]], /DimensionMismatch: first array has length 3 which does not match the length of the second, 4/],
];

for (const [name, source, sizes, pattern] of errors) {
  test(name, () => {
    const message = compileError(source, sizes);
    assert.match(message, pattern);
  });
}

test.run();
