// Each class of bad Julia produces its documented message: file:line:col, the source line with a
// caret under the offending text, notes, and the Julia call chain. The compiler never throws.

import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ArgSpec } from "../plugins/api.js";
import { juliaCompiler } from "../plugins/julia/index.js";

const f32 = (...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size } });

function compileError(files: Record<string, string>, fn: string, args: ArgSpec[]) {
  const read = (p: string) => files[p];
  const r = juliaCompiler.compile({ entry: "e", file: Object.keys(files)[0]!, function: fn, args, readSource: read });
  assert.ok(!r.ok, "expected a compile error");
  if (r.ok) throw new Error("unreachable");
  const d = r.diagnostics[0]!;
  return { d, text: juliaCompiler.render(d, read) };
}

test("an undefined name points at it and suggests the nearest one", () => {
  const { d, text } = compileError({ "m.jl": "dense(W, x) = W * x\nf(W, x) = relu.(dense(W, x)) .+ sigmod.(x)\n" }, "f", [f32(2, 2), f32(2)]);
  assert.is(d.code, "undefined-variable");
  assert.match(text, "m.jl:2:33: error: UndefVarError: `sigmod` not defined");
  assert.match(text, "2 | f(W, x) = relu.(dense(W, x)) .+ sigmod.(x)");
  assert.match(text, /\|\s{33}\^~~~~~\n/);
  assert.match(text, "did you mean `sigmoid`?");
  assert.match(text, "in f at m.jl:2:33");
});

test("a shape error reads like Julia's DimensionMismatch with Julia-order sizes and the call chain", () => {
  const src = "layer(W, x) = W * x\nmodel(W1, W2, x) = layer(W2, layer(W1, x))\nf(W1, W2, x) = model(W1, W2, x)\n";
  const { d, text } = compileError({ "net.jl": src }, "f", [f32(4, 3), f32(5, 6), f32(3, 2)]);
  assert.is(d.code, "dimension-mismatch");
  assert.match(text, "DimensionMismatch: matrix A has dimensions (5, 6), matrix B has dimensions (4, 2)");
  assert.match(text, "net.jl:1:15");
  assert.match(text, "in layer at net.jl:1:15");
  assert.match(text, "in model at net.jl:2:20");
  assert.match(text, "in f at net.jl:3:16");
});

test("broadcasting incompatible sizes names both sizes", () => {
  const { d, text } = compileError({ "b.jl": "f(x, y) = x .+ y\n" }, "f", [f32(3, 2), f32(4)]);
  assert.is(d.code, "dimension-mismatch");
  assert.match(text, "sizes (3, 2) and (4,)");
});

test("no matching method lists the candidates", () => {
  const src = "g(x::AbstractMatrix) = x\ng(x::Integer, y) = y\nf(x) = g(x)\n";
  const { d, text } = compileError({ "g.jl": src }, "f", [f32(3)]);
  assert.is(d.code, "no-method");
  assert.match(text, "MethodError: no method matching g(::Vector{Float32})");
  assert.match(text, "g(x::AbstractMatrix) at g.jl:1");
  assert.match(text, "g(x::Integer, y) at g.jl:2");
});

test("elementwise functions on arrays without a dot suggest broadcasting", () => {
  const { text } = compileError({ "e.jl": "f(x) = exp(x)\n" }, "f", [f32(3)]);
  assert.match(text, "MethodError: no method matching exp(::Vector{Float32})");
  assert.match(text, "use exp.(x)");
});

test("a parse error points at the offending token", () => {
  const { d, text } = compileError({ "p.jl": "function f(x)\n    y = (x + 1\n    return y\nend\n" }, "f", [f32(3)]);
  assert.is(d.code, "parse-error");
  assert.match(text, /p\.jl:\d+:\d+: error: /);
});

test("an unknown entry function is its own error with a suggestion", () => {
  const { d } = compileError({ "u.jl": "predict(x) = x\n" }, "predcit", [f32(3)]);
  assert.is(d.code, "unknown-function");
  assert.match(d.message, "`predcit` is not defined in u.jl");
  assert.equal(d.notes, ["did you mean `predict`?"]);
});

test("an unknown keyword argument suggests the nearest keyword", () => {
  const { d, text } = compileError({ "k.jl": "s(x; dims = 1) = sum(x; dims)\nf(x) = s(x; dimz = 2)\n" }, "f", [f32(3, 2)]);
  assert.is(d.code, "unknown-keyword");
  assert.match(text, "did you mean `dims`?");
});

test("a missing include is reported at the include call", () => {
  const { d, text } = compileError({ "i.jl": 'include("layers.jl")\nf(x) = x\n' }, "f", [f32(3)]);
  assert.is(d.code, "missing-include");
  assert.match(text, 'i.jl:1:1: error: cannot include "layers.jl": no such file');
});

test("if on a traced value is a clear unsupported-construct error", () => {
  const { d, text } = compileError({ "c.jl": "function f(x)\n    if sum(x) > 0\n        return x\n    end\n    return -x\nend\n" }, "f", [f32(3)]);
  assert.is(d.code, "traced-control-flow");
  assert.match(text, "c.jl:2:8");
});

test("an index out of bounds is a BoundsError at compile time", () => {
  const { d } = compileError({ "x.jl": "f(x) = x[5]\n" }, "f", [f32(3)]);
  assert.is(d.code, "bounds-error");
});

test("a failed @assert on known values reports the condition", () => {
  const { text } = compileError({ "a.jl": "f(x) = (@assert size(x, 1) == 4 \"need 4 rows\"; x)\n" }, "f", [f32(3)]);
  assert.match(text, "AssertionError: need 4 rows");
});

test("the compiler never throws on garbage input", () => {
  for (const src of ["f(x) = ]", "function", "f(x) = x +", "@@@", "f(x) = x[[[", "struct end end", "f(x) = 1 + \"a\""]) {
    const r = juliaCompiler.compile({ entry: "e", file: "g.jl", function: "f", args: [f32(2)], readSource: () => src });
    assert.ok(!r.ok || r.ok, "returned a result");
    if (!r.ok) assert.ok(r.diagnostics.every((d) => d.code !== "internal-error"), `internal error for ${JSON.stringify(src)}: ${r.diagnostics[0]?.message}`);
  }
});

test("a variable whose type differs between traced branches is an error naming it", () => {
  const src = "function f(x)\n    if sum(x) > 0\n        y = x\n    else\n        y = Float64.(x)\n    end\n    return y\nend\n";
  const { d, text } = compileError({ "t.jl": src }, "f", [f32(3)]);
  assert.is(d.code, "type-instability");
  assert.match(text, "`y` has a different type in the two branches");
  assert.match(text, "t.jl:2:8");
});

test("a loop variable that changes shape inside a traced loop is an error naming it", () => {
  const src = "function f(x)\n    while sum(x) < 10\n        x = vcat(x, x)\n    end\n    return x\nend\n";
  const { d, text } = compileError({ "w.jl": src }, "f", [f32(3)]);
  assert.is(d.code, "type-instability");
  assert.match(text, "the loop variable `x` changes size from (3,) to (6,) inside the loop");
});

test("a return in only one branch of a traced if says how to fix it", () => {
  const src = "function f(x)\n    if sum(x) > 0\n        return x\n    end\n    return -x .+ 0\nend\n";
  const { d } = compileError({ "r.jl": src }, "f", [f32(3)]);
  assert.is(d.code, "traced-control-flow");
  assert.match(d.message, "needs a `return` in the other branch");
});

test("a user struct shadows a library struct of the same name without breaking library code", () => {
  const src = "struct Dense\n    w\nend\n(d::Dense)(x) = d.w .* x\nf(x) = (Dense(2f0)(x), Flux.Dense(ones(Float32, 2, 3), false)(x))\n";
  const r = juliaCompiler.compile({ entry: "e", file: "s.jl", function: "f", args: [f32(3)], readSource: () => src });
  assert.ok(r.ok, r.ok ? "" : juliaCompiler.render(r.diagnostics[0]!, () => src));
});

test("a missing field names the fields that exist", () => {
  const { d, text } = compileError({ "n.jl": "struct P\n    weight\nend\nf(x) = P(x).wieght\n" }, "f", [f32(3)]);
  assert.is(d.code, "no-field");
  assert.match(text, "type P has no field wieght");
  assert.match(text, "did you mean `weight`?");
});

test("a manifest passing the wrong number of arguments gets an error at the function's definition, not at line 1, column 1", () => {
  const source = "# a model\n\nfunction f(x, y)\n    return x .+ y\nend\n";
  const { d, text } = compileError({ "m.jl": source }, "f", [f32(2)]);
  assert.is(d.code, "no-method");
  assert.match(text, "m.jl:3:1: error: MethodError: no method matching f(::Vector{Float32})");
  assert.match(text, "3 | function f(x, y)");
});

test("a 20,000-term sum compiles (its chain is walked with a loop), and expressions nested past the stack get a located error, not an internal one", () => {
  const sum = `f(x) = ${Array(20_000).fill("x").join(" + ")}\n`;
  const r = juliaCompiler.compile({ entry: "e", file: "m.jl", function: "f", args: [f32(2)], readSource: (p) => (p === "m.jl" ? sum : undefined) });
  assert.ok(r.ok, r.ok ? "" : r.diagnostics[0]!.message);
  const { d, text } = compileError({ "m.jl": `f(x) = x${"'".repeat(20_000)}\n` }, "f", [f32(2, 2)]);
  assert.is(d.code, "nesting-too-deep");
  assert.match(text, "m.jl:1:8: error: expressions or calls nested too deeply for the compiler");
});

test("a result that cannot leave the module (a Colon) is reported at the entry function's definition (found by the fuzz test)", () => {
  const { d, text } = compileError({ "m.jl": "# model\nf(x) = (x, :)\n" }, "f", [f32(2)]);
  assert.is(d.code, "unsupported-result");
  assert.match(text, "m.jl:2:1: error: the entry's result contains `:` at result[2]");
});

test("`using Flux: name` of a name tpu-build lacks is an error at the name in the using line", () => {
  const { d, text } = compileError({ "u.jl": "using Flux: Dense, Bilinear\nf(x) = x\n" }, "f", [f32(2)]);
  assert.is(d.code, "undefined-import");
  assert.match(text, "u.jl:1:20: error: UndefVarError: `Bilinear` not defined in `Flux`");
});

test("calling an object whose type has call methods, none matching, is a MethodError listing them", () => {
  const src = "struct Emb\n    w\nend\n(e::Emb)(i::Integer) = e.w[:, i]\n(e::Emb)(x::AbstractVector) = e.w\nf(w) = Emb(w)(1.5)\n";
  const { d, text } = compileError({ "c.jl": src }, "f", [f32(2, 3)]);
  assert.is(d.code, "no-method");
  assert.match(text, "c.jl:6:8: error: MethodError: no method matching (::Emb)(::Float64)");
  assert.match(text, "(e::Emb)(i::Integer) at c.jl:4");
  assert.match(text, "(e::Emb)(x::AbstractVector) at c.jl:5");
});

test("`end` on a program's type without lastindex is a MethodError for lastindex", () => {
  const { d, text } = compileError({ "l.jl": "struct S\n    xs\nend\nBase.getindex(s::S, i) = s.xs[i]\nf(x) = S(x)[end]\n" }, "f", [f32(3)]);
  assert.is(d.code, "no-method");
  assert.match(text, "l.jl:5:13: error: MethodError: no method matching lastindex(::S)");
});

test("a field value that cannot convert to the declared type is Julia's convert MethodError at the argument", () => {
  const { text } = compileError({ "p.jl": "struct P\n    t::Tuple{Float64, Float64}\nend\nf(x) = P((1, \"a\"))\n" }, "f", [f32(3)]);
  assert.match(text, "p.jl:4:10: error: MethodError: Cannot `convert` an object of type Tuple{Int64, String} to an object of type Tuple{Float64, Float64}");
});

test("ranges print with Julia's type names in MethodErrors", () => {
  const { text } = compileError({ "r.jl": "g(x::AbstractMatrix) = x\nf(x) = (g(1:3), g(1:2:5), g(0.0:0.5:1.0))\n" }, "f", [f32(3)]);
  assert.match(text, "no method matching g(::UnitRange{Int64})");
  const t2 = compileError({ "r.jl": "g(x::AbstractMatrix) = x\nf(x) = g(1:2:5)\n" }, "f", [f32(3)]).text;
  assert.match(t2, "no method matching g(::StepRange{Int64, Int64})");
  const t3 = compileError({ "r.jl": "g(x::AbstractMatrix) = x\nf(x) = g(0.0:0.5:1.0)\n" }, "f", [f32(3)]).text;
  assert.match(t3, "no method matching g(::StepRangeLen{Float64, Base.TwicePrecision{Float64}, Base.TwicePrecision{Float64}, Int64})");
});

test("a gradient through an integer array argument's values is an error, not a silent nothing", () => {
  const i64 = (...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype: "Int64", size } });
  const { d, text } = compileError({ "i.jl": "f(x, k) = gradient((a, n) -> sum(a .* n), x, k)[1]\n" }, "f", [f32(3), i64(3)]);
  assert.is(d.code, "integer-gradient");
  assert.match(text, "i.jl:1:46: error: cannot differentiate with respect to argument 2, an integer array (Vector{Int64})");
  // As an index it has no gradient, as in Zygote: no error.
  const r = juliaCompiler.compile({ entry: "e", file: "j.jl", function: "f", args: [f32(3), i64(3)], readSource: (p) => (p === "j.jl" ? "f(x, k) = gradient((a, n) -> sum(a[n]), x, k)[1]\n" : undefined) });
  assert.ok(r.ok);
});

test("push! under a condition on traced values is an error (the vector's length would depend on data)", () => {
  const { d, text } = compileError({ "v.jl": "function f(x)\n    v = []\n    if sum(x) > 0\n        push!(v, x)\n    end\n    return x\nend\n" }, "f", [f32(3)]);
  assert.is(d.code, "traced-mutation");
  assert.match(text, "v.jl:4:9: error: push! on a vector inside a loop compiled to an XLA while or under a condition on traced values is not supported");
});

test("pop! of an empty vector, an index past its end, and a value that cannot convert to its element type are Julia's errors", () => {
  assert.match(compileError({ "p.jl": "f(x) = pop!(Float32[])\n" }, "f", [f32(3)]).text, "p.jl:1:8: error: ArgumentError: array must be non-empty");
  assert.match(compileError({ "b.jl": "f(x) = (v = Any[1, 2]; v[3])\n" }, "f", [f32(3)]).text, "b.jl:1:26: error: BoundsError: attempt to access a 2-element Vector{Any} at index [3]");
  assert.match(compileError({ "c.jl": "f(x) = push!(Float32[], \"a\")\n" }, "f", [f32(3)]).text, "c.jl:1:25: error: MethodError: Cannot `convert` an object of type String to an object of type Float32");
});

test("a @kwdef struct without a field's keyword or default is Julia's UndefKeywordError", () => {
  const { text } = compileError({ "k.jl": "@kwdef struct Cfg\n    n::Int\n    lr = 0.1\nend\nf(x) = Cfg(lr = 1).n\n" }, "f", [f32(3)]);
  assert.match(text, "k.jl:5:8: error: UndefKeywordError: keyword argument `n` not assigned");
});

test("a ?: on a traced condition whose arms have different types is an error, not a silent nothing", () => {
  const { text } = compileError({ "t.jl": "f(x) = sum(x) > 0 ? 1 : 2.0\n" }, "f", [f32(3)]);
  assert.match(text, "t.jl:1:8: error: the value of `?:` has a different type in the two branches");
});

test("@layer trainable=(...) naming a field the struct lacks is an error at the name", () => {
  const { text } = compileError({ "l.jl": "using Flux\nstruct A; w; b; end\nFlux.@layer A trainable=(wt,)\nf(x) = x\n" }, "f", [f32(3)]);
  assert.match(text, "l.jl:3:26: error: @layer: type A has no field wt");
});

test("a missing Dict key is Julia's KeyError at the index, and a traced key is an error", () => {
  assert.match(compileError({ "d.jl": "f(x) = Dict(:a => 1)[:b]\n" }, "f", [f32(3)]).text, "d.jl:1:22: error: KeyError: key :b not found");
  assert.match(compileError({ "e.jl": "f(x) = Dict(:a => 1)[sum(x)]\n" }, "f", [f32(3)]).text, "a Dict key must be known at compile time");
});

test.run();
