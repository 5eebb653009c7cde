// Parser tests. Most trees are JuliaSyntax.jl's own expected forms (its test/parser.jl), translated by
// hand into our notation (see compiler/syntax/sexpr.ts): where JuliaSyntax flattens `a + b + c` into
// one call we nest left to right, keyword arguments print as `(kw name value)`, tuples lose the
// `-p` suffix, and a generator in parentheses prints without `(parens ...)`.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseJulia } from "../compiler/syntax/parser.js";
import { sexprFile } from "../compiler/syntax/sexpr.js";
import type * as A from "../compiler/syntax/ast.js";

function tree(src: string): string {
  const { file, diagnostics } = parseJulia("t.jl", src);
  if (diagnostics.length) throw new Error(`unexpected diagnostics for ${JSON.stringify(src)}: ${diagnostics.map((d) => d.message).join("; ")}`);
  return sexprFile(file.body);
}
function only(src: string): A.Node {
  const { file, diagnostics } = parseJulia("t.jl", src);
  assert.equal(diagnostics, [], `diagnostics for ${JSON.stringify(src)}`);
  assert.is(file.body.stmts.length, 1);
  return file.body.stmts[0]!;
}
function errors(src: string): { message: string; start: number; end: number }[] {
  const { diagnostics } = parseJulia("t.jl", src);
  return diagnostics.map((d) => ({ message: d.message, start: d.span!.start, end: d.span!.end }));
}
let treesChecked = 0;
function check(cases: [string, string][]): void {
  for (const [src, expected] of cases) {
    assert.is(tree(src), expected, `input: ${JSON.stringify(src)}`);
    treesChecked++;
  }
}

// ---- the traps listed in DESIGN.md §3 ----------------------------------------------------------

test("2x^2 is 2*(x^2): juxtaposition binds looser than ^", () => {
  check([
    ["2x^2", "(juxtapose 2 (call-i x ^ 2))"],
    ["3x^2 + 2x", "(call-i (juxtapose 3 (call-i x ^ 2)) + (juxtapose 2 x))"],
    ["2x'", "(juxtapose 2 (call-post x '))"],
    ["-2x", "(juxtapose -2 x)"],
  ]);
  const n = only("2x") as A.BinaryOp;
  assert.is(n.kind, "binary");
  assert.is(n.op, "*");
  assert.is(n.juxtaposed, true);
});

test("[a -b] is a two-element row but [a - b] and [a-b] are one subtraction", () => {
  check([
    ["[a -b]", "(hcat a (call-pre - b))"],
    ["[a - b]", "(vect (call-i a - b))"],
    ["[a-b]", "(vect (call-i a - b))"],
    ["[a- b]", "(vect (call-i a - b))"],
    ["[1 -1; -1 1]", "(vcat (row 1 -1) (row -1 1))"],
  ]);
});

test("x̄, = f() destructures into a 1-tuple", () => {
  check([["x̄, = f()", "(= (tuple x̄) (call f))"]]);
  const n = only("x̄, = f()") as A.Assign;
  assert.is(n.target.kind, "tuple");
});

test("x[begin+1] and x[end] use begin/end as identifiers inside indexing only", () => {
  check([
    ["x[begin+1]", "(ref x (call-i begin + 1))"],
    ["x[end]", "(ref x end)"],
    ["x[2:end-1, :]", "(ref x (call-i 2 : (call-i end - 1)) :)"],
    ["x[end÷2]", "(ref x (call-i end ÷ 2))"],
    ["x[f(end)]", "(ref x (call f end))"],
  ]);
});

test("$ is a binary operator (xor) between operands and interpolation in prefix position", () => {
  check([
    ["a $ b", "(call-i a $ b)"],
    ["a$b", "(call-i a $ b)"],
    ["[a $b]", "(hcat a ($ b))"],
    ["$x", "($ x)"],
  ]);
});

test("a:b:c is one range with a step; ranges bind looser than arithmetic", () => {
  check([
    ["a:b:c", "(call-i a : b c)"],
    ["1:n", "(call-i 1 : n)"],
    ["i:i+1", "(call-i i : (call-i i + 1))"],
    ["a:b:c:d:e", "(call-i (call-i a : b c) : d e)"],
    ["-1:1", "(call-i -1 : 1)"],
  ]);
  const r = only("1:2:10") as A.RangeExpr;
  assert.is(r.kind, "range");
  assert.is((r.step as A.NumberLit).value, 2);
});

test("x'y is x' * y", () => {
  check([
    ["x'y", "(juxtapose (call-post x ') y)"],
    ["A'B", "(juxtapose (call-post A ') B)"],
  ]);
});

test("dotted updating assignment .+= keeps the operator and the dot", () => {
  check([
    ["x .+= 1", "(.op= x + 1)"],
    ["x .= y", "(.= x y)"],
    ["x .*= 2", "(.op= x * 2)"],
  ]);
  const n = only("x .+= 1") as A.Assign;
  assert.is(n.op, "+");
  assert.is(n.dotted, true);
});

test("where without braces in a short function definition", () => {
  check([
    ["f(x::T) where T = x", "(function-= (where (call f (::-i x T)) T) x)"],
    ["f(x::T) where T<:Real = x", "(function-= (where (call f (::-i x T)) (<: T Real)) x)"],
    ["f(x::T, y::S) where {T, S} = x", "(function-= (where (call f (::-i x T) (::-i y S)) (braces T S)) x)"],
  ]);
  const f = only("f(x::T) where T<:Real = x") as A.FunctionDef;
  assert.is(f.kind, "function");
  assert.is(f.whereParams.length, 1);
  assert.is(f.whereParams[0]!.kind, "subtype");
});

// ---- JuliaSyntax test/parser.jl, translated ------------------------------------------------------

test("JuliaSyntax: assignment, tuples and pairs", () => {
  check([
    ["a = b", "(= a b)"],
    ["a .= b", "(.= a b)"],
    ["a += b", "(op= a + b)"],
    ["a .+= b", "(.op= a + b)"],
    ["a, b = c, d", "(= (tuple a b) (tuple c d))"],
    ["x, = xs", "(= (tuple x) xs)"],
    ["[a ~b]", "(hcat a (call-pre ~ b))"],
    ["a ~ b", "(call-i a ~ b)"],
    ["a .~ b", "(dotcall-i a ~ b)"],
    ["[a ~ b c]", "(hcat (call-i a ~ b) c)"],
    ["[a~b]", "(vect (call-i a ~ b))"],
    ["f(x) .= 1", "(.= (call f x) 1)"],
    ["f(x) = 1", "(function-= (call f x) 1)"],
    ["f(x)::T = 1", "(function-= (::-i (call f x) T) 1)"],
    ["f(x) where S where U = 1", "(function-= (where (call f x) (braces S U)) 1)"],
    ["(f(x)::T) where S = 1", "(function-= (where (::-i (call f x) T) S) 1)"],
    ["a => b", "(call-i a => b)"],
    ["a .=> b", "(dotcall-i a => b)"],
    ["a >>= b", "(op= a >> b)"],
    ["a ⊻= b", "(op= a ⊻ b)"],
  ]);
});

test("JuliaSyntax: conditional, arrows, lazy and/or", () => {
  check([
    ["a ? b : c", "(? a b c)"],
    ["a ?\nb : c", "(? a b c)"],
    ["a ? b :\nc", "(? a b c)"],
    ["a ? b : c:d", "(? a b (call-i c : d))"],
    ["A[x ? y : end]", "(ref A (? x y end))"],
    ["x → y", "(call-i x → y)"],
    ["x <--> y", "(call-i x <--> y)"],
    ["x --> y", "(call-i x --> y)"],
    ["x .--> y", "(dotcall-i x --> y)"],
    ["x || y || z", "(|| x (|| y z))"],
    ["x && y && z", "(&& x (&& y z))"],
    ["x .&& y", "(dotcall-i x && y)"],
    ["a || b && c", "(|| a (&& b c))"],
  ]);
});

test("JuliaSyntax: comparisons, chains, and syntactic <: / >:", () => {
  check([
    ["x <: y", "(<: x y)"],
    ["x >: y", "(>: x y)"],
    ["x < y", "(call-i x < y)"],
    ["x .< y", "(dotcall-i x < y)"],
    ["x .<: y", "(dotcall-i x <: y)"],
    ["x < y < z", "(comparison x < y < z)"],
    ["x == y < z", "(comparison x == y < z)"],
    ["x .< y .< z", "(comparison x (. <) y (. <) z)"],
    ["x .< y < z", "(comparison x (. <) y < z)"],
    ["x in y", "(call-i x in y)"],
    ["x isa T", "(call-i x isa T)"],
    ["a ∈ b", "(call-i a ∈ b)"],
    ["a ≤ b ≈ c", "(comparison a ≤ b ≈ c)"],
    ["a === b", "(call-i a === b)"],
    ["a != b", "(call-i a != b)"],
    ["a!=b", "(call-i a != b)"],
  ]);
});

test("JuliaSyntax: pipes, ranges, .. and splats", () => {
  check([
    ["x <| y <| z", "(call-i x <| (call-i y <| z))"],
    ["x |> y |> z", "(call-i (call-i x |> y) |> z)"],
    ["x .|> y", "(dotcall-i x |> y)"],
    ["1:2", "(call-i 1 : 2)"],
    ["1:2:3", "(call-i 1 : 2 3)"],
    ["a..b", "(call-i a .. b)"],
    ["a … b", "(call-i a … b)"],
    ["[1 :a]", "(hcat 1 (quote-: a))"],
    ["[1 2:3 :a]", "(hcat 1 (call-i 2 : 3) (quote-: a))"],
    ["x...", "(... x)"],
    ["x:y...", "(... (call-i x : y))"],
    ["(1:\n2)", "(parens (call-i 1 : 2))"],
  ]);
});

test("JuliaSyntax: plus and times levels, whitespace in arrays", () => {
  check([
    ["a - b - c", "(call-i (call-i a - b) - c)"],
    ["a + b + c", "(call-i (call-i a + b) + c)"],
    ["a + b .+ c", "(dotcall-i (call-i a + b) + c)"],
    ["[x +y]", "(hcat x (call-pre + y))"],
    ["[x+y +z]", "(hcat (call-i x + y) (call-pre + z))"],
    ["[x +₁y]", "(vect (call-i x +₁ y))"],
    ["[x+y+z]", "(vect (call-i (call-i x + y) + z))"],
    ["[x+y + z]", "(vect (call-i (call-i x + y) + z))"],
    ["a +₁ b +₁ c", "(call-i (call-i a +₁ b) +₁ c)"],
    ["a .+ b .+ c", "(dotcall-i (dotcall-i a + b) + c)"],
    ["a * b * c", "(call-i (call-i a * b) * c)"],
    ["a .* b", "(dotcall-i a * b)"],
    ["-2*x", "(call-i -2 * x)"],
    ["x // y // z", "(call-i (call-i x // y) // z)"],
    ["x >> y >> z", "(call-i (call-i x >> y) >> z)"],
    ["a ⊕ b ∪ c", "(call-i (call-i a ⊕ b) ∪ c)"],
    ["a ∘ b ⋅ c × d", "(call-i (call-i (call-i a ∘ b) ⋅ c) × d)"],
    ["a \\ b", "(call-i a \\ b)"],
    ["a % b ÷ c", "(call-i (call-i a % b) ÷ c)"],
    ["a + b * c ^ d", "(call-i a + (call-i b * (call-i c ^ d)))"],
    ["a | b & c", "(call-i a | (call-i b & c))"],
    ["a << 1 + 2", "(call-i (call-i a << 1) + 2)"],
  ]);
});

test("JuliaSyntax: juxtaposition", () => {
  check([
    ["2x", "(juxtapose 2 x)"],
    ["2(x)", "(juxtapose 2 (parens x))"],
    ["(2)(3)x", "(juxtapose (juxtapose (parens 2) (parens 3)) x)"],
    ["(x-1)y", "(juxtapose (parens (call-i x - 1)) y)"],
    ["x'y", "(juxtapose (call-post x ') y)"],
    ["1√x", "(juxtapose 1 (call-pre √ x))"],
    ["2(x+1)", "(juxtapose 2 (parens (call-i x + 1)))"],
    ["1e3x", "(juxtapose 1e3 x)"],
    ["2π*r", "(call-i (juxtapose 2 π) * r)"],
    ["x^2y", "(call-i x ^ (juxtapose 2 y))"],
    ["0.5x[1]", "(juxtapose 0.5 (ref x 1))"],
  ]);
});

test("JuliaSyntax: unary operators and signed literals", () => {
  check([
    [":T", "(quote-: T)"],
    ["in::T", "(::-i in T)"],
    ["isa::T", "(::-i isa T)"],
    ["-2^x", "(call-pre - (call-i 2 ^ x))"],
    ["-2[1, 3]", "(call-pre - (ref 2 1 3))"],
    ["-2", "-2"],
    ["+2.0", "+2.0"],
    ["-1.0f0", "-1.0f0"],
    ["+0x12", "+0x12"],
    ["-0x12", "(call-pre - 0x12)"],
    ["-0b10010", "(call-pre - 0b10010)"],
    ["-1::T", "(::-i -1 T)"],
    ["+{T}(x::T)", "(call (curly + T) (::-i x T))"],
    ["*(x)", "(call * x)"],
    [".*(x)", "(call .* x)"],
    ["+(a,b)", "(call + a b)"],
    ["+(a,)", "(call + a)"],
    [".+(a,)", "(call .+ a)"],
    ["(.+)(a)", "(call (parens .+) a)"],
    ["+(a...)", "(call + (... a))"],
    ["+(a;b,c)", "(call + a (parameters (kw b b) (kw c c)))"],
    ["+(;a)", "(call + (parameters (kw a a)))"],
    ["+()", "(call +)"],
    ["+(a,b)^2", "(call-i (call + a b) ^ 2)"],
    ["+(a,b)(x)^2", "(call-i (call (call + a b) x) ^ 2)"],
    [".+(a)", "(dotcall-pre + (parens a))"],
    ["+(a)^2", "(call-pre + (call-i (parens a) ^ 2))"],
    [".+(a)^2", "(dotcall-pre + (call-i (parens a) ^ 2))"],
    ["+(a)(x,y)^2", "(call-pre + (call-i (call (parens a) x y) ^ 2))"],
    ["<:(a)", "(<:-pre (parens a))"],
    ["+x", "(call-pre + x)"],
    ["√x", "(call-pre √ x)"],
    [".~x", "(dotcall-pre ~ x)"],
    ["-0x1", "(call-pre - 0x1)"],
    ["- 2", "(call-pre - 2)"],
    [".-2", "(dotcall-pre - 2)"],
    ["!x", "(call-pre ! x)"],
    ["-x^2", "(call-pre - (call-i x ^ 2))"],
    ["2^-3", "(call-i 2 ^ -3)"],
    ["x^-y", "(call-i x ^ (call-pre - y))"],
    ["-Inf32", "(call-pre - Inf32)"],
    ["¬a", "(call-pre ¬ a)"],
  ]);
});

test("JuliaSyntax: power, declarations and arrows", () => {
  check([
    ["x^y", "(call-i x ^ y)"],
    ["x^y^z", "(call-i x ^ (call-i y ^ z))"],
    ["x .^ y", "(dotcall-i x ^ y)"],
    ["begin x end::T", "(::-i (block x) T)"],
    ["a::b", "(::-i a b)"],
    ["a::b::c", "(::-i (::-i a b) c)"],
    ["a->b", "(-> (tuple a) b)"],
    ["(a,b)->c", "(-> (tuple a b) c)"],
    ["(a;b=1)->c", "(-> (tuple a (parameters (= b 1))) c)"],
    ["x::T->c", "(-> (tuple (::-i x T)) c)"],
    ["() -> 1", "(-> (tuple) 1)"],
    ["(x...) -> x", "(-> (tuple (... x)) x)"],
    ["x -> x + 1", "(-> (tuple x) (call-i x + 1))"],
  ]);
});

test("JuliaSyntax: unary subtype and where", () => {
  check([
    ["<:{T}(x::T)", "(call (curly <: T) (::-i x T))"],
    ["<:(x::T)", "(<:-pre (parens (::-i x T)))"],
    ["<: x", "(<:-pre x)"],
    ["<: <: x", "(<:-pre (<:-pre x))"],
    ["<: A where B", "(<:-pre (where A B))"],
    ["x where \n {T}", "(where x T)"],
    ["x where {T,S}", "(where x (braces T S))"],
    ["x where T", "(where x T)"],
    ["x where \n T", "(where x T)"],
    ["x where T<:S", "(where x (<: T S))"],
    ["Vector{<:Real}", "(curly Vector (<:-pre Real))"],
  ]);
});

test("JuliaSyntax: calls, fields, macros and brackets", () => {
  check([
    ["f(x)", "(call f x)"],
    ["$f(x)", "(call ($ f) x)"],
    ["f(a).g(b)", "(call (. (call f a) g) b)"],
    ["[f (x)]", "(hcat f (parens x))"],
    ["[f x]", "(hcat f x)"],
    ["@foo a b", "(macrocall @foo a b)"],
    ["@foo (x)", "(macrocall @foo (parens x))"],
    ["@foo (x,y)", "(macrocall @foo (tuple x y))"],
    ["A.@foo a b", "(macrocall (. A @foo) a b)"],
    ["@A.foo a b", "(macrocall (. A @foo) a b)"],
    ["[@foo x]", "(vect (macrocall @foo x))"],
    ["[@foo]", "(vect (macrocall @foo))"],
    ["A.@x y", "(macrocall (. A @x) y)"],
    ["f(a,b)", "(call f a b)"],
    ["f(a,)", "(call f a)"],
    ["f(a=1; b=2)", "(call f (parameters (kw a 1) (kw b 2)))"],
    ["(a=1)()", "(call (parens (= a 1)))"],
    ["@x(a, b)", "(macrocall @x a b)"],
    ["A.@x(y)", "(macrocall (. A @x) y)"],
    ["A.@x(y).z", "(. (macrocall (. A @x) y) z)"],
    ["f(y for x = xs; a)", "(call f (generator y (iteration (in x xs))) (parameters (kw a a)))"],
    ["f() do\nend", "(call f (do (tuple) (block)))"],
    ["f() do ; body end", "(call f (do (tuple) (block body)))"],
    ["f() do x, y\n body end", "(call f (do (tuple x y) (block body)))"],
    ["f(x) do y body end", "(call f x (do (tuple y) (block body)))"],
    ["@S[a,b]", "(macrocall @S (vect a b))"],
    ["a[i]", "(ref a i)"],
    ["a[i,j]", "(ref a i j)"],
    ["(a=1)[]", "(ref (parens (= a 1)))"],
    ["a[end]", "(ref a end)"],
    ["a[begin]", "(ref a begin)"],
    ["T[x   y]", "(typed_hcat T x y)"],
    ["T[x ; y]", "(typed_vcat T x y)"],
    ["T[a b; c d]", "(typed_vcat T (row a b) (row c d))"],
    ["T[x for x in xs]", "(typed_comprehension T (generator x (iteration (in x xs))))"],
    ["f.(a,b)", "(dotcall f a b)"],
    ["f.(a=1; b=2)", "(dotcall f (parameters (kw a 1) (kw b 2)))"],
    ["A.:+", "(. A +)"],
    ["A.:.+", "(. A .+)"],
    ["f.x.y", "(. (. f x) y)"],
    ["x.in", "(. x in)"],
    ["f'", "(call-post f ')"],
    ["S{a,b}", "(curly S a b)"],
    ["@. x", "(macrocall @. x)"],
    ["@end x", "(macrocall @end x)"],
    ["A.B.@x", "(macrocall (. (. A B) @x))"],
  ]);
});

test("JuliaSyntax: block keywords", () => {
  check([
    ["begin end", "(block)"],
    ["begin a ; b end", "(block a b)"],
    ["begin\na\nb\nend", "(block a b)"],
    ["quote end", "(quote (block))"],
    ["quote body end", "(quote (block body))"],
    ["while cond body end", "(while cond (block body))"],
    ["while x < y \n a \n b \n end", "(while (call-i x < y) (block a b))"],
    ["for x in xs end", "(for (iteration (in x xs)) (block))"],
    ["for x in xs, y in ys \n a \n end", "(for (iteration (in x xs) (in y ys)) (block a))"],
    ["let x=1\n end", "(let (block (= x 1)) (block))"],
    ["let x=1 ; end", "(let (block (= x 1)) (block))"],
    ["let x ; end", "(let (block x) (block))"],
    ["let x::1 ; end", "(let (block (::-i x 1)) (block))"],
    ["let x=1,y=2 end", "(let (block (= x 1) (= y 2)) (block))"],
    ["let x+=1 ; end", "(let (block (op= x + 1)) (block))"],
    ["let ; end", "(let (block) (block))"],
    ["let ; body end", "(let (block) (block body))"],
    ["let\na\nb\nend", "(let (block) (block a b))"],
    ["abstract type A end", "(abstract A)"],
    ["abstract type A ; end", "(abstract A)"],
    ["abstract type \n\n A \n\n end", "(abstract A)"],
    ["abstract type A <: B end", "(abstract (<: A B))"],
    ["abstract type A <: B{T,S} end", "(abstract (<: A (curly B T S)))"],
    ["struct A <: B \n a::X \n end", "(struct (<: A B) (block (::-i a X)))"],
    ["struct A \n a \n b \n end", "(struct A (block a b))"],
    ["struct A \n \"doca\" \n a \n \"docb\" \n b \n end", "(struct A (block a b))"],
    ["mutable struct A end", "(struct-mut A (block))"],
    ["struct A end", "(struct A (block))"],
    ["return\nx", "(toplevel (return) x)"],
    ["return x", "(return x)"],
    ["return x,y", "(return (tuple x y))"],
    ["break", "(break)"],
    ["continue", "(continue)"],
    ["module A end", "(module A (block))"],
    ["baremodule A end", "(module-bare A (block))"],
    ["module A \n a \n b \n end", "(module A (block a b))"],
    ["export a", "(export a)"],
    ["export a, \n @b", "(export a @b)"],
    ["export +, ==", "(export + ==)"],
  ]);
});

test("JuliaSyntax: if/elseif/else and declarations", () => {
  check([
    ["if a xx elseif b yy else zz end", "(if a (block xx) (elseif b (block yy) (block zz)))"],
    ["if a end", "(if a (block))"],
    ["if a xx end", "(if a (block xx))"],
    ["if a \n\n xx \n\n end", "(if a (block xx))"],
    ["if a xx elseif b yy end", "(if a (block xx) (elseif b (block yy)))"],
    ["if a xx else yy end", "(if a (block xx) (block yy))"],
    ["global x", "(global x)"],
    ["local x", "(local x)"],
    ["global x,y", "(global x y)"],
    ["global const x = 1", "(global (const (= x 1)))"],
    ["const x,y = 1,2", "(const (= (tuple x y) (tuple 1 2)))"],
    ["const x = 1", "(const (= x 1))"],
    ["global x += 1", "(global (op= x + 1))"],
  ]);
});

test("JuliaSyntax: function definitions", () => {
  check([
    ["function (x) body end", "(-> (tuple x) (block body))"],
    ["function (x,y) end", "(-> (tuple x y) (block))"],
    ["function (x=1) end", "(-> (tuple (= x 1)) (block))"],
    ["function (;x=1) end", "(-> (tuple (parameters (= x 1))) (block))"],
    ["function (x::T)() end", "(function (call (parens (::-i x T))) (block))"],
    ["function (::T)() end", "(function (call (parens (::-pre T))) (block))"],
    ["function (\n        x::T\n        )() end", "(function (call (parens (::-i x T))) (block))"],
    ["function (\n        x, y\n        ) x + y end", "(-> (tuple x y) (block (call-i x + y)))"],
    ["function f() end", "(function (call f) (block))"],
    ["function \n f() end", "(function (call f) (block))"],
    ["function (::Type{T})(x) end", "(function (call (parens (::-pre (curly Type T))) x) (block))"],
    ["function f end", "(function f)"],
    ["function f \n\n end", "(function f)"],
    ["function f(x,y) end", "(function (call f x y) (block))"],
    ["function A.f()   end", "(function (call (. A f)) (block))"],
    ["function f()::T    end", "(function (::-i (call f) T) (block))"],
    ["function f()::g(T) end", "(function (::-i (call f) (call g T)) (block))"],
    ["function f() where {T} end", "(function (where (call f) T) (block))"],
    ["function f() where T   end", "(function (where (call f) T) (block))"],
    ["function f()::S where T end", "(function (where (::-i (call f) S) T) (block))"],
    ["function (f() where T) end", "(function (where (call f) T) (block))"],
    ["function (f()) where T end", "(function (where (call f) T) (block))"],
    ["function (f()::S) end", "(function (::-i (call f) S) (block))"],
    ["function f() \n a \n b end", "(function (call f) (block a b))"],
  ]);
});

test("JuliaSyntax: try, imports and iteration specs", () => {
  check([
    ["try \n x \n catch e \n y \n finally \n z end", "(try (block x) (catch e (block y)) (finally (block z)))"],
    ["try x catch end", "(try (block x) (catch □ (block)))"],
    ["try x catch ; y end", "(try (block x) (catch □ (block y)))"],
    ["try x catch \n y end", "(try (block x) (catch □ (block y)))"],
    ["try x catch e y end", "(try (block x) (catch e (block y)))"],
    ["try x finally y end", "(try (block x) (finally (block y)))"],
    ["import A, y", "(import (importpath A) (importpath y))"],
    ["import A: +, ==", "(import (: (importpath A) (importpath +) (importpath ==)))"],
    ["import A: x, y", "(import (: (importpath A) (importpath x) (importpath y)))"],
    ["import A: x", "(import (: (importpath A) (importpath x)))"],
    ["using  A", "(using (importpath A))"],
    ["import A", "(import (importpath A))"],
    ["import A: x as y", "(import (: (importpath A) (as (importpath x) y)))"],
    ["import .A", "(import (importpath . A))"],
    ["import ..A", "(import (importpath . . A))"],
    ["import ...A", "(import (importpath . . . A))"],
    ["import A.B", "(import (importpath A B))"],
    ["import A.B.C", "(import (importpath A B C))"],
    ["import A.==", "(import (importpath A ==))"],
    ["for i = rhs end", "(for (iteration (in i rhs)) (block))"],
    ["for i in rhs end", "(for (iteration (in i rhs)) (block))"],
    ["for i ∈ rhs end", "(for (iteration (in i rhs)) (block))"],
    ["for i = 1:10 end", "(for (iteration (in i (call-i 1 : 10))) (block))"],
    ["for (i,j) in iter end", "(for (iteration (in (tuple i j) iter)) (block))"],
  ]);
});

test("JuliaSyntax: parentheses, tuples and named tuples", () => {
  check([
    ["()", "(tuple)"],
    ["(x,)", "(tuple x)"],
    ["(x,y)", "(tuple x y)"],
    ["(x=1, y=2)", "(namedtuple (= x 1) (= y 2))"],
    ["(;)", "(namedtuple)"],
    ["(; a=1)", "(namedtuple (= a 1))"],
    ["(a=1;)", "(parens (block (= a 1)))"],
    ["(a;b;;c)", "(parens (block a b c))"],
    ["(a=1; b=2)", "(parens (block (= a 1) (= b 2)))"],
    ["(a * b)", "(parens (call-i a * b))"],
    ["(a=1)", "(parens (= a 1))"],
    ["(x)", "(parens x)"],
    ["(a...)", "(tuple (... a))"],
    ["(x for a in as)", "(generator x (iteration (in a as)))"],
    ["(x \n\n for a in as)", "(generator x (iteration (in a as)))"],
    ["(1:2)", "(parens (call-i 1 : 2))"],
    ["(; a, b)", "(namedtuple a b)"],
    ["(; x.a, b = 2)", "(namedtuple (= a (. x a)) (= b 2))"],
    ["(x for a in as for b in bs)", "(generator x (iteration (in a as)) (iteration (in b bs)))"],
    ["(x for a in as, b in bs)", "(generator x (iteration (in a as) (in b bs)))"],
    ["(x for a in as, b in bs if z)", "(generator x (filter (iteration (in a as) (in b bs)) z))"],
  ]);
});

test("JuliaSyntax: atoms, symbols and quotes", () => {
  check([
    ["'a'", '(char "a")'],
    ["'α'", '(char "α")'],
    ["'\\u03b1'", '(char "α")'],
    ["'\\n'", '(char "\\n")'],
    [":foo", "(quote-: foo)"],
    [":+", "(quote-: +)"],
    [":end", "(quote-: end)"],
    [":(a + b)", "(quote-: (call-i a + b))"],
    ["xx", "xx"],
    ["x₁", "x₁"],
    ['var"x"', "x"],
    ["true", "true"],
    ["42", "42"],
    ["nothing", "nothing"],
    ["+", "+"],
    ["~", "~"],
    ["map(+, xs)", "(call map + xs)"],
    ["reduce(.+, xs)", "(call reduce .+ xs)"],
    ["x[:]", "(ref x :)"],
    ["(:)", "(parens :)"],
  ]);
});

test("JuliaSyntax: array literals and comprehensions", () => {
  check([
    ["[]", "(vect)"],
    ["[x,]", "(vect x)"],
    ["[x,y,]", "(vect x y)"],
    ["[x]", "(vect x)"],
    ["[x \n ]", "(vect x)"],
    ["[x \n, ]", "(vect x)"],
    ["[x \n\n ]", "(vect x)"],
    ["[x for a in as]", "(comprehension (generator x (iteration (in a as))))"],
    ["[x \n\n for a in as]", "(comprehension (generator x (iteration (in a as))))"],
    ["[x for a = as for b = bs if cond1]", "(comprehension (generator x (iteration (in a as)) (filter (iteration (in b bs)) cond1)))"],
    ["[x, y]", "(vect x y)"],
    ["[x,\n y]", "(vect x y)"],
    ["[x\n, y]", "(vect x y)"],
    ["[x=1, y=2]", "(vect (= x 1) (= y 2))"],
    ["[x y ; z w]", "(vcat (row x y) (row z w))"],
    ["[x y ; z w ; a b]", "(vcat (row x y) (row z w) (row a b))"],
    ["[x ; y ; z]", "(vcat x y z)"],
    ["[x;]", "(vcat x)"],
    ["[x y]", "(hcat x y)"],
    ["[x y ; z]", "(vcat (row x y) z)"],
    ["[a \n ;]", "(vcat a)"],
    ["[a ; \n]", "(vcat a)"],
    ["[a ; \n\n b]", "(vcat a b)"],
    ["[a b\n\n]", "(hcat a b)"],
    ["[a \n b]", "(vcat a b)"],
    ["[1 2\n 3 4]", "(vcat (row 1 2) (row 3 4))"],
    ["[f(i, j) for i in 1:2, j in 1:3]", "(comprehension (generator (call f i j) (iteration (in i (call-i 1 : 2)) (in j (call-i 1 : 3)))))"],
  ]);
});

test("JuliaSyntax: strings and interpolation", () => {
  check([
    ['"a $(x + y) b"', '(string "a " (call-i x + y) " b")'],
    ['"hi$("ho")"', '(string "hi" (string "ho"))'],
    ['"a $foo b"', '(string "a " foo " b")'],
    ['"$x$y$z"', "(string x y z)"],
    ['"$(x)"', "(string x)"],
    ['"str"', '(string "str")'],
    ['""', '(string "")'],
    ['"a\\\nb"', '(string "ab")'],
    ['"""\nx"""', '(string "x")'],
    ['"""\n x\n y"""', '(string "x\\ny")'],
    ['"""\n\tx\n\ty"""', '(string "x\\ny")'],
    ['"""\n x\n\n y"""', '(string "x\\n\\ny")'],
    ['""" x\n y"""', '(string " x\\ny")'],
    ['"""\n x\n y\n"""', '(string " x\\n y\\n")'],
    ['"\\$x"', '(string "$x")'],
    ['raw"a\\b$x"', '(string-raw "a\\\\b$x")'],
    ['r"\\d+"', '(string-r "\\\\d+")'],
  ]);
});

// ---- Flux / NNlib idioms ------------------------------------------------------------------------

test("function forms used by Flux layers", () => {
  check([
    ["function f(x::T, y=1; k=2, kw...) where {T<:Real}\n  x + y\nend", "(function (where (call f (::-i x T) (= y 1) (parameters (= k 2) (... kw))) (<: T Real)) (block (call-i x + y)))"],
    ["(m::Dense)(x) = m.σ.(m.weight * x .+ m.bias)", "(function-= (call (parens (::-i m Dense)) x) (dotcall (. m σ) (dotcall-i (call-i (. m weight) * x) + (. m bias))))"],
    ["Base.:+(a, b) = 1", "(function-= (call (. Base +) a b) 1)"],
    ["+(a::Foo, b::Foo) = 1", "(function-= (call + (::-i a Foo) (::-i b Foo)) 1)"],
    ["-(a::Foo) = 1", "(function-= (call - (::-i a Foo)) 1)"],
    ["a::Foo ⊕ b::Foo = 1", "(function-= (call ⊕ (::-i a Foo) (::-i b Foo)) 1)"],
    ["Base.show(io::IO, m::Dense) = print(io, \"Dense\")", '(function-= (call (. Base show) (::-i io IO) (::-i m Dense)) (call print io (string "Dense")))'],
    ["f(::Type{T}) where T = T", "(function-= (where (call f (::-pre (curly Type T))) T) T)"],
    ["f((a, b)) = a", "(function-= (call f (tuple a b)) a)"],
    ["f(xs::Vararg{Int}) = 1", "(function-= (call f (::-i xs (curly Vararg Int))) 1)"],
    ["f(xs::Int...) = 1", "(function-= (call f (... (::-i xs Int))) 1)"],
    ["Point{T}(x) where T = new{T}(x)", "(function-= (where (call (parens (::-pre (curly Type (curly Point T)))) x) T) (call (curly new T) x))"],
    ["f(x)::T where T = x", "(function-= (where (::-i (call f x) T) T) x)"],
  ]);
  const d = only("(m::Dense)(x) = x") as A.FunctionDef;
  assert.is(d.name, undefined);
  assert.is(d.functor?.name, "m");
  assert.is(d.short, true);
  const q = only("Base.:+(a, b) = 1") as A.FunctionDef;
  assert.is(q.name, "+");
  assert.is((q.qualifier as A.Ident).name, "Base");
});

test("keyword arguments at call sites, splats and do blocks", () => {
  check([
    ["f(x; stride)", "(call f x (parameters (kw stride stride)))"],
    ["f(; kws...)", "(call f (parameters (... kws)))"],
    ["f(xs...)", "(call f (... xs))"],
    ["Conv((3, 3), 1 => 16, relu; pad=1)", "(call Conv (tuple 3 3) (call-i 1 => 16) relu (parameters (kw pad 1)))"],
    ["softmax(x; dims=1)", "(call softmax x (parameters (kw dims 1)))"],
    ["sum(x, dims=2)", "(call sum x (parameters (kw dims 2)))"],
    ["gradient(m -> loss(m, x, y), model)", "(call gradient (-> (tuple m) (call loss m x y)) model)"],
    ["map(xs) do x\n  x + 1\nend", "(call map xs (do (tuple x) (block (call-i x + 1))))"],
    ["gradient(model) do m\n loss(m(x), y)\nend", "(call gradient model (do (tuple m) (block (call loss (call m x) y))))"],
    ["foreach(pairs(d)) do (k, v)\n k\nend", "(call foreach (call pairs d) (do (tuple (tuple k v)) (block k)))"],
  ]);
});

test("macro calls in Flux code: @assert with a message, @., @layer, @kwdef", () => {
  check([
    ['@assert x > 0 "msg"', '(macrocall @assert (call-i x > 0) (string "msg"))'],
    ["@. y = σ(W * x + b)", "(macrocall @. (= y (call σ (call-i (call-i W * x) + b))))"],
    ["Flux.@layer Dense", "(macrocall (. Flux @layer) Dense)"],
    ["Flux.@layer Dense trainable=(weight,)", "(macrocall (. Flux @layer) Dense (= trainable (tuple weight)))"],
    ["@functor Dense", "(macrocall @functor Dense)"],
    ["@inbounds for i in 1:n\n s += x[i]\nend", "(macrocall @inbounds (for (iteration (in i (call-i 1 : n))) (block (op= s + (ref x i)))))"],
    ["Base.@kwdef struct Opt\n  η::Float32 = 0.1f0\nend", "(macrocall (. Base @kwdef) (struct Opt (block (= (::-i η Float32) 0.1f0))))"],
    ["@views x[:, 1] .= 0", "(macrocall @views (.= (ref x : 1) 0))"],
    ["@show a b", "(macrocall @show a b)"],
  ]);
  const m = only("Flux.@layer Dense") as A.MacroCall;
  assert.is(m.name, "@layer");
  assert.is((m.qualifier as A.Ident).name, "Flux");
});

test("struct with parametric parameters, supertype, typed fields and inner constructors", () => {
  const s = only(`struct Dense{M<:AbstractMatrix, B, F} <: AbstractLayer
  weight::M
  bias::B
  σ::F
  function Dense(W::M, b::B = zeros(size(W, 1)), σ::F = identity) where {M<:AbstractMatrix, B, F}
    new{M,B,F}(W, b, σ)
  end
end`) as A.StructDef;
  assert.is(s.kind, "struct");
  assert.is(s.name, "Dense");
  assert.is(s.typeParams.length, 3);
  assert.is((s.supertype as A.Ident).name, "AbstractLayer");
  assert.equal(s.fields.map((f) => f.name), ["weight", "bias", "σ"]);
  assert.is(s.constructors.length, 1);
  assert.is(s.constructors[0]!.params[1]!.default?.kind, "call");
  assert.is(s.constructors[0]!.whereParams.length, 3);
});

test("statements: for variants, while, let, begin, ternary, continuation lines", () => {
  check([
    ["for i in 1:n, j in b\n s += i\nend", "(for (iteration (in i (call-i 1 : n)) (in j b)) (block (op= s + i)))"],
    ["for (i, x) in enumerate(xs) end", "(for (iteration (in (tuple i x) (call enumerate xs))) (block))"],
    ["while x < 3; x += 1; end", "(while (call-i x < 3) (block (op= x + 1)))"],
    ["x = a > 0 ? 1 : -1", "(= x (? (call-i a > 0) 1 -1))"],
    ["y = begin\n a\n b\nend", "(= y (block a b))"],
    ["a +\nb", "(call-i a + b)"],
    ["a\n+b", "(toplevel a (call-pre + b))"],
    ["f(a,\n  b)", "(call f a b)"],
    ["a = 1; b = 2", "(toplevel (= a 1) (= b 2))"],
    ["x = [1, 2,\n  3]", "(= x (vect 1 2 3))"],
    ["x = a ||\n  b", "(= x (|| a b))"],
    ["loss(x, y) = Flux.mse(model(x), y)", "(function-= (call loss x y) (call (. Flux mse) (call model x) y))"],
  ]);
});

test("dotted operators and typed array literals", () => {
  check([
    ["a ./ b", "(dotcall-i a / b)"],
    ["a .< b", "(dotcall-i a < b)"],
    ["a .^ 2", "(dotcall-i a ^ 2)"],
    ["a .== b", "(dotcall-i a == b)"],
    ["a .- b .* c", "(dotcall-i a - (dotcall-i b * c))"],
    [".!x", "(dotcall-pre ! x)"],
    ["x .|> f", "(dotcall-i x |> f)"],
    ["f.(x) .+ 1", "(dotcall-i (dotcall f x) + 1)"],
    ["Float32[1, 2]", "(typed_vect Float32 1 2)"],
    ["Vector{Float32}[]", "(typed_vect (curly Vector Float32))"],
    ["Float32[1 2; 3 4]", "(typed_vcat Float32 (row 1 2) (row 3 4))"],
    ["xs[1, 2]", "(ref xs 1 2)"],
  ]);
  const arr = only("Float32[1, 2]") as A.ArrayLit;
  assert.is(arr.kind, "array");
  assert.is((arr.eltype as A.Ident).name, "Float32");
});

test("idioms found in Flux, NNlib, Metalhead and JuliaSyntax sources", () => {
  check([
    [":(=)", "(quote-: =)"],
    [":(->)", "(quote-: ->)"],
    [":(.)", "(quote-: .)"],
    ["Meta.isexpr(ex, :.)", "(call (. Meta isexpr) ex (quote-: .))"],
    ["Base.:(==)(a, b) = true", "(function-= (call (. Base ==) a b) true)"],
    ["[1.0;2.0;3.0]", "(vcat 1.0 2.0 3.0)"],
    ["(1.:9.)", "(parens (call-i 1. : 9.))"],
    ["Zygote. gradient", "(. Zygote gradient)"],
    ["f(dst, @Const(src)) = 1", "(function-= (call f dst src) 1)"],
    ["[x for x in xs\n   if p(x)]", "(comprehension (generator x (filter (iteration (in x xs)) (call p x))))"],
    ["struct A\n  global g\n  x\nend", "(struct A (block x))"],
    ["Union{Tuple{}, @NamedTuple{}}", "(curly Union (curly Tuple) (macrocall @NamedTuple))"],
    ['"$((a, b))"', '(string (tuple a b))'],
  ]);
});

test("comments: line comments and nested block comments", () => {
  check([
    ["x # comment\ny", "(toplevel x y)"],
    ["#= a #= nested =# b =# x", "x"],
    ["a #= inline =# + b", "(call-i a + b)"],
    ["f(a, # first\n  b)", "(call f a b)"],
  ]);
});

// ---- literals -------------------------------------------------------------------------------------

test("number literals carry their Julia type", () => {
  const cases: [string, string, number | bigint][] = [
    ["1", "Int64", 1],
    ["1.0", "Float64", 1],
    ["1e3", "Float64", 1000],
    [".5", "Float64", 0.5],
    ["1f0", "Float32", 1],
    ["1f-3", "Float32", Math.fround(1e-3)],
    ["1.5f3", "Float32", 1500],
    ["0xff", "UInt8", 255],
    ["0x0ff", "UInt16", 255],
    ["0x1234567", "UInt32", 0x1234567],
    ["0x123456789", "UInt64", 0x123456789],
    ["0b101", "UInt8", 5],
    ["0o777", "UInt16", 511],
    ["0x1p-2", "Float64", 0.25],
    ["0x1.8p3", "Float64", 12],
    ["1_000", "Int64", 1000],
    ["9223372036854775807", "Int64", 9223372036854775807n],
    ["9223372036854775808", "Int128", 9223372036854775808n],
    ["170141183460469231731687303715884105728", "BigInt", 170141183460469231731687303715884105728n],
    ["-9223372036854775808", "Int64", -9223372036854775808n],
  ];
  for (const [src, type, value] of cases) {
    const n = only(src) as A.NumberLit;
    assert.is(n.kind, "number", src);
    assert.is(n.type, type, src);
    assert.is(n.value, value, src);
  }
  for (const name of ["Inf", "NaN", "Inf32", "NaN32"]) assert.is((only(name) as A.Ident).kind, "ident");
});

test("character literals vs adjoint", () => {
  check([
    ["x'", "(call-post x ')"],
    ["f(x)'", "(call-post (call f x) ')"],
    ["x[1]'", "(call-post (ref x 1) ')"],
    ["x.y'", "(call-post (. x y) ')"],
    ["x''", "(call-post (call-post x ') ')"],
    ["c = 'x'", '(= c (char "x"))'],
    ["[x 'y']", '(hcat x (char "y"))'],
    ["f('a', 'b')", '(call f (char "a") (char "b"))'],
    ["x in 'c'", '(call-i x in (char "c"))'],
  ]);
});

// ---- spans ----------------------------------------------------------------------------------------

test("spans are exact source offsets", () => {
  const src = "y = f(x, 2) + 3x^2";
  const a = only(src) as A.Assign;
  const slice = (n: { span: { start: number; end: number } }) => src.slice(n.span.start, n.span.end);
  assert.is(slice(a), src);
  assert.is(slice(a.target), "y");
  const plus = a.value as A.BinaryOp;
  assert.is(slice(plus), "f(x, 2) + 3x^2");
  assert.is(src.slice(plus.opSpan.start, plus.opSpan.end), "+");
  const call = plus.left as A.Call;
  assert.is(slice(call), "f(x, 2)");
  assert.is(slice(call.args[1]!), "2");
  const jux = plus.right as A.BinaryOp;
  assert.is(slice(jux), "3x^2");
  assert.is(src.slice(jux.opSpan.start, jux.opSpan.end), "3x^2");
  assert.is(slice(jux.right), "x^2");

  const fsrc = "function g(a::Int; k=1)\n  a + k\nend\n";
  const f = only(fsrc) as A.FunctionDef;
  assert.is(fsrc.slice(f.span.start, f.span.end), "function g(a::Int; k=1)\n  a + k\nend");
  assert.is(fsrc.slice(f.nameSpan.start, f.nameSpan.end), "g");
  assert.is(fsrc.slice(f.params[0]!.span.start, f.params[0]!.span.end), "a::Int");
  assert.is(fsrc.slice(f.kwparams[0]!.span.start, f.kwparams[0]!.span.end), "k=1");

  const m = "m.weight[1, end]";
  const ix = only(m) as A.Index;
  const fld = ix.target as A.FieldAccess;
  assert.is(m.slice(fld.nameSpan.start, fld.nameSpan.end), "weight");
  assert.is(m.slice(ix.indices[1]!.span.start, ix.indices[1]!.span.end), "end");

  const s = 'println("v = $(v + 1)")';
  const str = (only(s) as A.Call).args[0] as A.StringLit;
  const interp = str.parts[1] as A.BinaryOp;
  assert.is(s.slice(interp.span.start, interp.span.end), "v + 1");
});

// ---- errors ---------------------------------------------------------------------------------------

test("an unclosed function reports the missing end with the opening line", () => {
  const src = "x = 1\n\nfunction f(x)\n  x + 1\n";
  const errs = errors(src);
  assert.is(errs.length, 1);
  assert.match(errs[0]!.message, /expected `end` to close `function` at line 3/);
  assert.is(errs[0]!.start, src.length);
});

test("a stray closing parenthesis is reported at its position and parsing continues", () => {
  const src = "a = 1)\nb = 2\n";
  const { file, diagnostics } = parseJulia("t.jl", src);
  assert.is(diagnostics.length, 1);
  assert.is(diagnostics[0]!.message, "unexpected `)`");
  assert.equal([diagnostics[0]!.span!.start, diagnostics[0]!.span!.end], [5, 6]);
  assert.is(diagnostics[0]!.code, "parse-error");
  assert.is(file.body.stmts.length, 2);
  assert.is(sexprFile(file.body), "(toplevel (= a 1) (= b 2))");
});

test("malformed numbers are reported with their span", () => {
  const src = "x = 0xfg + 1";
  const errs = errors(src);
  assert.is(errs.length, 1);
  assert.match(errs[0]!.message, /invalid numeric literal `0xfg`/);
  assert.equal([errs[0]!.start, errs[0]!.end], [4, 8]);
  assert.match(errors("y = 1e999")[0]!.message, /out of range/);
  assert.match(errors("z = 0x1.8")[0]!.message, /exponent/);
});

test("unclosed brackets, strings and blocks report where they were opened", () => {
  assert.match(errors("f(a, b\n")[0]!.message, /expected `\)` to close `\(` at line 1/);
  assert.match(errors("x = [1, 2\ny = 3")[0]!.message, /expected `]`/);
  assert.match(errors('s = "abc\n')[0]!.message, /unterminated string/);
  assert.match(errors("if x\n  y\n")[0]!.message, /expected `end` to close `if` at line 1/);
  assert.match(errors("for i in 1:3\n")[0]!.message, /expected `end` to close `for` at line 1/);
  assert.match(errors("struct A\n  x::Int\n")[0]!.message, /expected `end` to close `struct` at line 1/);
});

test("a call left open at the end of a line is reported once and the next line parses", () => {
  const src = "m = Chain(Dense(2, 3),\n  Dense(3, 4)\nz = 1\n";
  const { file, diagnostics } = parseJulia("t.jl", src);
  assert.is(diagnostics.length, 1);
  assert.match(diagnostics[0]!.message, /expected `\)` to close `\(` at line 1, found `z`/);
  assert.equal(diagnostics[0]!.notes, ["`(` opened at line 1: m = Chain(Dense(2, 3),"]);
  assert.is(sexprFile(file.body), "(toplevel (= m (call Chain (call Dense 2 3) (call Dense 3 4))) (= z 1))");
});

test("two expressions on one line are an error that names the second", () => {
  const errs = errors("x y\nz = 1");
  assert.is(errs.length, 1);
  assert.match(errs[0]!.message, /unexpected `y`/);
  assert.equal([errs[0]!.start, errs[0]!.end], [2, 3]);
});

test("recovery resumes at the next statement inside a function body", () => {
  const { file, diagnostics } = parseJulia("t.jl", "function f(x)\n  y = )\n  return x\nend\ng() = 1\n");
  assert.ok(diagnostics.length >= 1);
  assert.is(file.body.stmts.length, 2);
  const f = file.body.stmts[0] as A.FunctionDef;
  assert.is(f.name, "f");
  assert.is((f.body as A.Block).stmts.at(-1)!.kind, "return");
  assert.is((file.body.stmts[1] as A.FunctionDef).name, "g");
});

test("the parser never throws, whatever the input", () => {
  const inputs = [
    "", ")", "(", "]", "end", "else", "function", "function f(", "x = ", "1 +", "[1 2", "\"", "'", "''", "'ab'",
    "@", "a ? b", "a ? b :", "struct", "mutable", "abstract type", "using", "import A:", "f(;", "x[", "x.", "x.(",
    "begin", "let", "for", "for i", "for i in", "while", "if", "elseif x", "try", "catch", ":", "::", "->", "=>",
    "$", "$(", "\"$(\"", "\"$(x\"", "#=", "0x", "0b2", "1e", "x..", "a .", "@.", "f() do", "[x for", "(x for x in",
    "x where", "x where {", "Base.:", "a = b = c = (", "((((((((((", "]]]]]", "end end end", "\u0000", "ζ ∀ ∃", "a ⊙ b",
    "primitive type A 8 end", "macro m(x) x end", "quote\n", "x -> ", "() ->", "import A as B", "(a=1, b)",
  ];
  for (const src of inputs) {
    let result: ReturnType<typeof parseJulia> | undefined;
    try {
      result = parseJulia("t.jl", src);
    } catch (e) {
      assert.unreachable(`parseJulia threw on ${JSON.stringify(src)}: ${(e as Error).message}`);
    }
    assert.ok(result!.file.body.kind === "block");
  }
  // Random fragments of valid code: no throws either.
  const pieces = ["f(", ")", "[", "]", "x", " ", "\n", "+", "-", "'", '"', "end", "function", "if", ";", ",", "=", "::", "@", "2", ".", ":", "$", "{", "}", "->", "do", "for", "in"];
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let k = 0; k < 500; k++) {
    let src = "";
    const len = Math.floor(rand() * 30);
    for (let j = 0; j < len; j++) src += pieces[Math.floor(rand() * pieces.length)];
    try {
      parseJulia("t.jl", src);
    } catch (e) {
      assert.unreachable(`parseJulia threw on ${JSON.stringify(src)}: ${(e as Error).message}`);
    }
  }
});

test("unsupported but valid constructs get their own diagnostic code", () => {
  const { diagnostics } = parseJulia("t.jl", "primitive type Bits8 8 end\nmacro m(x) x end\n");
  assert.equal(diagnostics.map((d) => d.code), ["unsupported-syntax", "unsupported-syntax"]);
});

// ---- realistic model files -------------------------------------------------------------------------

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "julia");

test("Flux-style model files parse without diagnostics", () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith(".jl"));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const text = readFileSync(join(fixtures, f), "utf8");
    const { file, diagnostics } = parseJulia(f, text);
    assert.equal(diagnostics.map((d) => `${f}:${d.span?.start}: ${d.message}`), [], f);
    assert.ok(file.body.stmts.length > 0, f);
  }
});

test("the VGG fixture has the structure its source says", () => {
  const text = readFileSync(join(fixtures, "vgg.jl"), "utf8");
  const { file } = parseJulia("vgg.jl", text);
  const kinds = file.body.stmts.map((s) => s.kind);
  assert.ok(kinds.includes("struct"));
  assert.ok(kinds.includes("using"));
  const functor = file.body.stmts.find((s): s is A.FunctionDef => s.kind === "function" && s.functor !== undefined);
  assert.ok(functor, "a callable-struct method");
});

test("parsing a 2,000-line file is fast (printed, not asserted)", () => {
  const unit = readFileSync(join(fixtures, "train.jl"), "utf8");
  let text = "";
  while (text.split("\n").length < 2000) text += unit + "\n";
  const lines = text.split("\n").length;
  const time = (): number => {
    const t0 = performance.now();
    const { diagnostics } = parseJulia("big.jl", text);
    assert.equal(diagnostics, []);
    return performance.now() - t0;
  };
  const cold = time();
  for (let k = 0; k < 5; k++) time();
  const warm = Array.from({ length: 5 }, time).sort((a, b) => a - b);
  console.log(`  parsed ${lines} lines: first parse ${cold.toFixed(1)} ms, warm median ${warm[2]!.toFixed(1)} ms`);
});

test.after(() => console.log(`  ${treesChecked} input/tree pairs checked`));

test.run();
