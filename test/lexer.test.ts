// Lexer tests: token boundaries, literal types, the `'` and `"` decisions, whitespace flags.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tokenize, type Token } from "../compiler/syntax/lexer.js";

const kinds = (src: string): string[] => tokenize(src).filter((t) => t.kind !== "eof").map((t) => `${t.kind}:${t.dotted ? "." : ""}${t.text}`);
const first = (src: string): Token => tokenize(src)[0]!;

test("identifiers include unicode letters, combining marks, primes and a trailing !", () => {
  assert.equal(kinds("x̄ σ² ∇f x′ push! x₁ ŷ"), ["ident:x̄", "ident:σ²", "ident:∇f", "ident:x′", "ident:push!", "ident:x₁", "ident:ŷ"]);
  assert.equal(kinds("a!=b"), ["ident:a", "op:!=", "ident:b"]);
  assert.equal(kinds("ɛµ"), ["ident:εμ"]);
});

test("keywords are distinguished from contextual words", () => {
  assert.equal(kinds("function end mutable struct where in"), ["keyword:function", "keyword:end", "ident:mutable", "keyword:struct", "ident:where", "ident:in"]);
});

test("operators take the longest match and keep their dot", () => {
  assert.equal(kinds("a .+= b"), ["ident:a", "op:.+=", "ident:b"]);
  assert.equal(kinds("x>>>=1"), ["ident:x", "op:>>>=", "number:1"]);
  assert.equal(kinds("a===b !== c"), ["ident:a", "op:===", "ident:b", "op:!==", "ident:c"]);
  assert.equal(kinds("x->x"), ["ident:x", "op:->", "ident:x"]);
  assert.equal(kinds("a.&&b"), ["ident:a", "op:.&&", "ident:b"]);
  assert.equal(kinds("x ⊻= y"), ["ident:x", "op:⊻=", "ident:y"]);
  assert.equal(kinds("a − b · c"), ["ident:a", "op:-", "ident:b", "op:⋅", "ident:c"]);
  assert.equal(kinds("a +₁ b"), ["ident:a", "op:+₁", "ident:b"]);
  assert.equal(kinds("1..2 xs..."), ["number:1", "op:..", "number:2", "ident:xs", "op:..."]);
  assert.equal(kinds("Base.:+"), ["ident:Base", ".:.", "op::", "op:+"]);
});

test("a dot after a number is a decimal point unless an operator follows", () => {
  assert.equal(kinds("1.+x"), ["number:1", "op:.+", "ident:x"]);
  assert.equal(kinds("[1. 2.]"), ["[:[", "number:1.", "number:2.", "]:]"]);
  assert.equal(kinds("1.5"), ["number:1.5"]);
});

test("number literal types follow Julia's rules", () => {
  const ty = (s: string) => first(s).number!.type;
  assert.is(ty("1"), "Int64");
  assert.is(ty("1.0"), "Float64");
  assert.is(ty("1e-3"), "Float64");
  assert.is(ty("1f-3"), "Float32");
  assert.is(ty("2.5f0"), "Float32");
  assert.is(ty("0x1"), "UInt8");
  assert.is(ty("0x001"), "UInt16");
  assert.is(ty("0xffffffff"), "UInt32");
  assert.is(ty("0x1ffffffff"), "UInt64");
  assert.is(ty("0x1ffffffffffffffff"), "UInt128");
  assert.is(ty("0b1"), "UInt8");
  assert.is(ty("0b111111111"), "UInt16");
  assert.is(ty("0o377"), "UInt8");
  assert.is(ty("0o400"), "UInt16");
  assert.is(ty("0x1p0"), "Float64");
  assert.is(ty("170141183460469231731687303715884105727"), "Int128");
  assert.is(first("1_000_000").number!.value, 1000000);
  assert.is(first("0x10").number!.value, 16);
  assert.is(first("12345678901234567890").number!.value, 12345678901234567890n);
});

test("juxtaposed identifiers after numbers are separate tokens", () => {
  assert.equal(kinds("2x"), ["number:2", "ident:x"]);
  assert.equal(kinds("1e3x"), ["number:1e3", "ident:x"]);
  assert.equal(kinds("2ex"), ["number:2", "ident:ex"]);
  assert.equal(kinds("2f"), ["number:2", "ident:f"]);
});

test("' is the adjoint right after a value and a character literal elsewhere", () => {
  assert.equal(kinds("x'"), ["ident:x", "op:'"]);
  assert.equal(kinds("x''"), ["ident:x", "op:'", "op:'"]);
  assert.equal(kinds("f(x)'"), ["ident:f", "(:(", "ident:x", "):)", "op:'"]);
  assert.equal(kinds("x 'y'"), ["ident:x", "char:'y'"]);
  assert.equal(kinds("['a']"), ["[:[", "char:'a'", "]:]"]);
  assert.is(first("'\\n'").char, "\n");
  assert.is(first("'\\u03b1'").char, "α");
  assert.is(first("'\\''").char, "'");
  assert.is(first("'ab'").error, "character literal contains more than one character");
});

test("strings: interpolation, escapes, raw string macros and triple-quote dedent", () => {
  const parts = (src: string) => tokenize(src).find((t) => t.kind === "string")!.parts!.map((p) => (p.kind === "text" ? p.value : `$(${p.tokens.map((t) => t.text).join(" ").trim()})`));
  assert.equal(parts('"a $x b"'), ["a ", "$(x)", " b"]);
  assert.equal(parts('"$(f(y)) and $(a[1])"'), ["$(f ( y ))", " and ", "$(a [ 1 ])"]);
  assert.equal(parts('"$(")")"'), ['$(")")']);
  assert.equal(parts('"tab\\tnl\\n\\$"'), ["tab\tnl\n$"]);
  assert.equal(parts('raw"a\\b $x"'), ["a\\b $x"]);
  assert.equal(parts('r"\\d+"'), ["\\d+"]);
  assert.equal(parts('"""\n    a\n      b\n    """'), ["a\n  b\n"]);
  assert.is(tokenize('"abc').find((t) => t.kind === "string")!.error, 'unterminated string literal: expected a closing "');
});

test("comments are skipped and whitespace before a token is recorded", () => {
  const toks = tokenize("a #= x #= y =# =# b # c\nc");
  assert.equal(toks.map((t) => t.kind), ["ident", "ident", "nl", "ident", "eof"]);
  assert.equal(toks.slice(0, 4).map((t) => t.spaceBefore), [true, true, true, true]);
  const [a, minus, b] = tokenize("a -b");
  assert.is(minus!.spaceBefore, true);
  assert.is(b!.spaceBefore, false);
  assert.is(a!.start, 0);
  assert.equal([minus!.start, minus!.end], [2, 3]);
});

test("token offsets cover the source exactly", () => {
  const src = 'f(x) = 2x^2 + "s$(y)" # c\n';
  for (const t of tokenize(src)) if (t.kind !== "eof" && t.kind !== "nl") assert.ok(src.slice(t.start, t.end).length === t.end - t.start && t.end > t.start, t.text);
  const str = tokenize(src).find((t) => t.kind === "string")!;
  assert.is(src.slice(str.start, str.end), '"s$(y)"');
});

test.run();
