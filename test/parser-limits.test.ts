// Deep and unterminated input: the parser, the S-expression printer and the pre-parsed encoding
// survive whatever they are given — a correct tree, or one located error — and never overflow the
// stack. The depth limit itself is MAX_NESTING (its choice is measured and explained beside it).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MAX_NESTING, parseJulia, type ParseResult } from "../compiler/syntax/parser.js";
import type * as A from "../compiler/syntax/ast.js";
import { sexprFile } from "../compiler/syntax/sexpr.js";
import { decodeParse, encodeParse } from "../compiler/syntax/preparsed.js";
import { formatLocation, SourceFile } from "../compiler/diagnostics.js";

/** Parses `src`, which must not throw, and returns its diagnostics as `file:line:col: message`. */
function diagnose(src: string): { tree: string; diagnostics: string[] } {
  const source = new SourceFile("deep.jl", src);
  const result = parseJulia("deep.jl", src);
  // The walks over the tree must survive it too.
  const tree = sexprFile(result.file.body);
  // (Not through JSON text: V8's JSON.stringify recurses. The pre-parsed files are the prelude's.)
  const revived = decodeParse(encodeParse(result));
  assert.is(sexprFile(revived.file.body), tree, "the pre-parsed encoding round-trips the tree");
  assert.equal(revived.diagnostics.map((d) => d.span), result.diagnostics.map((d) => d.span));
  const diagnostics = result.diagnostics.map((d) => `${formatLocation(d.span!, () => source)}: ${d.message}`);
  return { tree, diagnostics };
}

const nested = (open: string, inner: string, close: string, n: number): string => open.repeat(n) + inner + close.repeat(n);

test("10,000 nested parentheses, calls and array literals: one error at the first level past the limit", () => {
  const cases: [string, string, string, number][] = [
    // [open, inner, close, width of one `open`]
    ["(", "x", ")", 1],
    ["f(", "x", ")", 2],
    ["[", "1", "]", 1],
  ];
  for (const [open, inner, close, width] of cases) {
    const { diagnostics } = diagnose(nested(open, inner, close, 10_000));
    // The statement is level 0; the contents of bracket number MAX_NESTING + 1 are one level too deep.
    const col = (MAX_NESTING + 1) * width + 1;
    assert.equal(diagnostics, [`deep.jl:1:${col}: nesting deeper than ${MAX_NESTING} levels: brackets, blocks and operators nested this deep are not supported; give parts of the expression names`], `${open}...${close}`);
  }
});

test("nesting up to the limit parses: 256 parentheses, and 200 calls, arrays, blocks and functions", () => {
  assert.is(MAX_NESTING >= 200, true);
  assert.is(diagnose(nested("(", "x", ")", MAX_NESTING)).tree, nested("(parens ", "x", ")", MAX_NESTING));
  assert.is(diagnose(nested("f(", "x", ")", 200)).tree, nested("(call f ", "x", ")", 200));
  assert.is(diagnose(nested("[", "1", "]", 200)).tree, nested("(vect ", "1", ")", 200));
  assert.is(diagnose(nested("begin\n", "x\n", "end\n", 200)).tree, nested("(block ", "x", ")", 200));
  assert.equal(diagnose(nested("function f()\n", "x\n", "end\n", 200)).diagnostics, []);
});

test("deep prefix operators, right-associative chains and string interpolations get the located error", () => {
  const n = 10_000;
  const inputs = [
    "- ".repeat(n) + "x",
    Array(n).fill("x").join("^"),
    Array(n).fill("x").join(" = "),
    Array(n).fill("x").join(" => "),
    "<: ".repeat(n) + "T",
    "$".repeat(n) + "x",
    nested('"$(', "x", ')"', n),
    nested("begin\n", "x\n", "end\n", n),
    nested("x -> ", "x", "", n),
  ];
  for (const src of inputs) {
    const { diagnostics } = diagnose(src);
    assert.is(diagnostics.length, 1, `${src.slice(0, 12)}...: ${diagnostics.join("; ")}`);
    assert.match(diagnostics[0]!, new RegExp(`^deep\\.jl:\\d+:\\d+: nesting deeper than ${MAX_NESTING} levels`));
  }
});

test("a 2,000-term sum parses (left-associative chains are a loop, not recursion), and so do 100,000 terms", () => {
  const { tree, diagnostics } = diagnose("y = " + Array(2000).fill("1").join(" + "));
  assert.equal(diagnostics, []);
  // Nested to the left: `(call-i (call-i 1 + 1) + 1)` ...
  assert.is(tree, "(= y " + "(call-i ".repeat(1999) + "1" + " + 1)".repeat(1999) + ")");
  // 100,000 terms: the tree is 100,000 deep (printing it as text would take quadratic time, so its
  // spine is measured instead), and the pre-parsed encoding walks it without recursion.
  const product = parseJulia("deep.jl", "y = " + Array(100_000).fill("a").join("*"));
  assert.equal(product.diagnostics, []);
  const spine = (n: A.Node): number => {
    let depth = 0;
    while (n.kind === "binary" && n.op === "*") (n = n.left), depth++;
    return depth;
  };
  const value = (r: ParseResult): A.Node => (r.file.body.stmts[0] as A.Assign).value;
  assert.is(spine(value(product)), 99_999);
  assert.is(spine(value(decodeParse(encodeParse(product)))), 99_999);
  // Long chains of fields, calls and indexing are loops too.
  assert.equal(parseJulia("deep.jl", "x" + ".f".repeat(50_000) + "()".repeat(50_000) + "[1]".repeat(50_000)).diagnostics, []);
});

test("an unterminated #= comment is a located lexer error at the #=, not a missing definition", () => {
  const { tree, diagnostics } = diagnose("f(x) = 1\n  #= g(x) = 2\nh(x) = 3\n");
  assert.equal(diagnostics, ["deep.jl:2:3: unterminated multi-line comment: this `#=` has no closing `=#`, so the rest of the file is a comment"]);
  assert.is(tree, "(function-= (call f x) 1)");
  // Nested comments must all close.
  assert.equal(diagnose("x = 1 #= a #= b =# c\n").diagnostics, ["deep.jl:1:7: unterminated multi-line comment: this `#=` has no closing `=#`, so the rest of the file is a comment"]);
  assert.equal(diagnose("x = 1 #= a #= b =# c =#\n").diagnostics, []);
  assert.equal(diagnose("f(x, #= y\n").diagnostics[0], "deep.jl:1:6: unterminated multi-line comment: this `#=` has no closing `=#`, so the rest of the file is a comment");
});

test("unterminated strings and character literals are located where they open", () => {
  assert.equal(diagnose('x = "abc\ny = 1\n').diagnostics, ['deep.jl:1:5: unterminated string literal: expected a closing "']);
  assert.equal(diagnose('f(x) = 1\nx = """abc\ny = 1\n').diagnostics, ['deep.jl:2:5: unterminated string literal: expected a closing """']);
  assert.equal(diagnose("c = 'a\nd = 2\n").diagnostics, ["deep.jl:1:5: unterminated character literal"]);
});

test.run();
