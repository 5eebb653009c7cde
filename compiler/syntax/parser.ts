// A hand-written parser for Julia with exact source spans.
//
// Julia's precedence levels, lowest first, as laid out by JuliaSyntax.jl (the reference parser):
// assignment, comma (bare tuples), then the infix levels `=>`, `?:`, arrows, `||`, `&&`, comparisons
// (chained), `<|`, `|>`, ranges `:`, plus, times, `//`, bitshifts, which one precedence-climbing loop
// reads from the table OPERATOR_LEVELS (parseBinary); then unary `<:`, `where`, juxtaposition
// (`2x`), unary operators, `^`, `::`/`->`, calls/indexing/fields, by recursive descent.
// A few context flags change the grammar the way Julia's parser does: inside `[ ]` and macro
// arguments whitespace separates elements (`[a -b]` is two elements), inside parentheses newlines
// are whitespace, inside indexing `end`/`begin` are identifiers, inside the middle of `?:` the
// range colon is off.
//
// The parser never throws on bad input: problems become "parse-error" diagnostics with precise
// spans, and parsing resumes at the next statement boundary. Nesting is bounded (MAX_NESTING), so
// that deep input gets a located error instead of overflowing the stack.

import type * as A from "./ast.js";
import { SourceFile, type Diagnostic, type Span } from "../diagnostics.js";
import { MAX_NESTING, NESTING_TOO_DEEP, Prec, tokenize, updateOperator, UNTERMINATED_COMMENT, type Token, type StringInterp } from "./lexer.js";

export { MAX_NESTING };

export interface ParseResult {
  file: A.ParsedFile;
  diagnostics: Diagnostic[];
}

/** Parses one Julia source file. Never throws on malformed input; errors are returned as diagnostics. */
export function parseJulia(path: string, text: string): ParseResult {
  const pre = provided.get(path);
  if (pre !== undefined && pre.text === text) {
    if (pre.result === undefined) pre.result = pre.load() ?? null;
    if (pre.result) return pre.result;
  }
  const shared = new SharedState(path, text);
  const tokens = tokenize(text);
  const comment = tokens[tokens.length - 2];
  if (comment?.kind === "error" && comment.error === UNTERMINATED_COMMENT) {
    // Not part of any expression: report it where the comment opens, and parse what precedes it.
    shared.error(UNTERMINATED_COMMENT, comment.start, comment.end);
    tokens.splice(tokens.length - 2, 1);
  }
  const parser = new Parser(tokens, shared);
  let body: A.Block;
  try {
    body = parser.parseFile(text.length);
  } catch (e) {
    // MAX_NESTING leaves a wide margin, but a parse started with little stack left can still run out.
    if (!(e instanceof RangeError && /call stack/.test(e.message))) throw e;
    const at = parser.position();
    shared.fatal(`nesting too deep for the stack left to the parser (at most ${MAX_NESTING} levels, fewer here)`, at, at);
    body = { kind: "block", stmts: [], span: shared.span(0, text.length) };
  }
  return { file: { path, body }, diagnostics: shared.finish() };
}

/** Trees parsed ahead of time (preparsed.ts), by path; each stands for exactly one text. */
const provided = new Map<string, { text: string; load: () => ParseResult | undefined; result?: ParseResult | null }>();

/**
 * Offers a tree parsed ahead of time for `path` (the compiler does it for the prelude). The first
 * parse of exactly `text` at `path` calls `load` and returns its tree, shared by every later parse
 * of it (syntax trees are never mutated); when `load` finds none, the text is parsed as usual.
 */
export function providePreparsed(path: string, text: string, load: () => ParseResult | undefined): void {
  provided.set(path, { text, load });
}

interface Context {
  /** Whitespace separates expressions: inside `[ ]` and space-separated macro arguments. */
  spaceSensitive: boolean;
  /** Newlines are plain whitespace: inside `( )`, `{ }`, and between `[ ]` elements separated by commas. */
  newlineWs: boolean;
  /** `a:b` is a range (off between `?` and `:`). */
  rangeColon: boolean;
  /** `end` and `begin` are identifiers (inside indexing brackets). */
  endSymbol: boolean;
  /** `x where T` may be parsed (off while parsing the `T` of a where clause). */
  whereEnabled: boolean;
  /** A `for` ends the current expression (it starts a generator). */
  forGenerator: boolean;
}

const CONTEXT_KEYS = ["spaceSensitive", "newlineWs", "rangeColon", "endSymbol", "whereEnabled", "forGenerator"] as const;
const CONTEXTS: Context[] = [];

/** Contexts are six flags: each combination is one shared object, so entering a bracket allocates nothing. */
function internContext(base: Context, patch: Partial<Context>): Context {
  let bits = 0;
  for (let k = 0; k < CONTEXT_KEYS.length; k++) {
    const key = CONTEXT_KEYS[k]!;
    if (patch[key] ?? base[key]) bits |= 1 << k;
  }
  let ctx = CONTEXTS[bits];
  if (!ctx) {
    ctx = { spaceSensitive: !!(bits & 1), newlineWs: !!(bits & 2), rangeColon: !!(bits & 4), endSymbol: !!(bits & 8), whereEnabled: !!(bits & 16), forGenerator: !!(bits & 32) };
    CONTEXTS[bits] = ctx;
  }
  return ctx;
}

const NORMAL: Context = internContext({ spaceSensitive: false, newlineWs: false, rangeColon: true, endSymbol: false, whereEnabled: true, forGenerator: false }, {});
const IN_PARENS: Partial<Context> = { newlineWs: true, spaceSensitive: false, rangeColon: true, whereEnabled: true, forGenerator: true };
const IN_BRACES: Partial<Context> = { newlineWs: true, spaceSensitive: false, rangeColon: true, whereEnabled: true };
const SPACE_SENSITIVE: Partial<Context> = { spaceSensitive: true };

/** The node a right-associative operator makes: `a => b`, `a || b`, `a && b`, or a plain binary call. */
type RightNode = "pair" | "or" | "and" | "binary";

/**
 * How the operators of one infix level combine (JuliaSyntax's parse_RtoL, parse_LtoR,
 * parse_with_chains, parse_comparison, parse_cond and parse_range). The lexer gives each operator
 * its level (lexer.ts, PREC). Julia also folds a run of the same `+`, `++` or `*` into one n-ary
 * call (`a + b + c` is `+(a, b, c)`); this tree keeps such runs as nested left-associative binary
 * nodes, which is why Plus and Times read "left" here.
 */
interface OperatorLevel {
  combine: "left" | "right" | "chain" | "ternary" | "range";
  /** For "right": the node it makes. */
  node: RightNode;
}
const OPERATOR_LEVELS: (OperatorLevel | undefined)[] = [];
OPERATOR_LEVELS[Prec.Pair] = { combine: "right", node: "pair" }; // a => b => c  is  a => (b => c)
OPERATOR_LEVELS[Prec.Conditional] = { combine: "ternary", node: "binary" }; // a ? b : c
OPERATOR_LEVELS[Prec.Arrow] = { combine: "right", node: "binary" }; // a → b → c
OPERATOR_LEVELS[Prec.LazyOr] = { combine: "right", node: "or" }; // a || b || c  (a dotted `.||` is a call)
OPERATOR_LEVELS[Prec.LazyAnd] = { combine: "right", node: "and" };
OPERATOR_LEVELS[Prec.Comparison] = { combine: "chain", node: "binary" }; // a < b <= c  is one comparison
OPERATOR_LEVELS[Prec.PipeLt] = { combine: "right", node: "binary" }; // f <| g <| x
OPERATOR_LEVELS[Prec.PipeGt] = { combine: "left", node: "binary" }; // x |> f |> g
OPERATOR_LEVELS[Prec.Colon] = { combine: "range", node: "binary" }; // a:b, a:s:b, a..b, then `...`
OPERATOR_LEVELS[Prec.Plus] = { combine: "left", node: "binary" };
OPERATOR_LEVELS[Prec.Times] = { combine: "left", node: "binary" };
OPERATOR_LEVELS[Prec.Rational] = { combine: "left", node: "binary" };
OPERATOR_LEVELS[Prec.Bitshift] = { combine: "left", node: "binary" };


/** What a bracketed list held before it was turned into a call, tuple, or parameter list. */
interface BracketContents {
  /** Items before the first `;`. */
  items: A.Node[];
  /** Items after each `;` (one group per semicolon). */
  params: A.Node[][];
  hadComma: boolean;
  hadSplat: boolean;
  initialSemicolon: boolean;
  closeEnd: number;
}

// Keywords that begin a construct when they appear at the start of an expression.
const BLOCK_KEYWORDS = new Set([
  "begin", "quote", "while", "for", "let", "if", "function", "macro", "struct", "module", "baremodule", "return", "break",
  "continue", "local", "global", "const", "using", "import", "export", "try", "do",
]);
// Keywords that continue or close an enclosing block.
const BLOCK_CONTINUATIONS = new Set(["end", "else", "elseif", "catch", "finally"]);

const UNARY_OPS = new Set(["+", "-", "!", "~", "¬", "√", "∛", "∜", "⋆", "±", "∓"]);
const BOTH_UNARY_BINARY = new Set(["+", "-", "⋆", "±", "∓"]);
const RADICALS = new Set(["√", "∛", "∜"]);
/** Operators that are syntax, not functions: they cannot start an expression as a unary operator or stand alone. */
const SYNTACTIC_OPS = new Set(["=", ":=", "->", "&&", "||", "?", "...", "=>" /* pair is a call, but never unary */]);

// Base types that make `T[a, b]` a typed array literal rather than indexing.
const BASE_ELTYPES = new Set([
  "Float16", "Float32", "Float64", "BigFloat", "Int", "Int8", "Int16", "Int32", "Int64", "Int128", "UInt", "UInt8", "UInt16",
  "UInt32", "UInt64", "UInt128", "Bool", "Any", "Real", "Number", "Integer", "AbstractFloat", "String", "Symbol", "Char",
  "ComplexF16", "ComplexF32", "ComplexF64", "Complex", "Function", "Tuple", "Vector", "Matrix", "Array",
]);

class SharedState {
  readonly diagnostics: Diagnostic[] = [];
  readonly source: SourceFile;
  /** Raw bracket contents of calls and parenthesized expressions, for reinterpreting them as signatures. */
  readonly raw = new WeakMap<A.Node, BracketContents>();
  /**
   * Errors in a call's keyword arguments, held back until the end of the file: if the call turns
   * out to be a function signature (`f(x; k::Int = 1) = ...`), its "keywords" are parameters.
   */
  readonly pendingKeywordErrors = new Map<A.Call, Diagnostic[]>();
  private lastErrorAt = -1;
  /** Current nesting depth, shared with the parsers of string interpolations. */
  depth = 0;
  /** Set when nesting passed MAX_NESTING: the rest of the file is not parsed, and no more errors are reported. */
  abandoned = false;
  constructor(readonly path: string, readonly text: string) {
    this.source = new SourceFile(path, text);
  }
  span(start: number, end: number): Span {
    return { file: this.path, start, end };
  }
  line(offset: number): number {
    return this.source.position(offset).line;
  }
  error(message: string, start: number, end: number, notes?: string[]): void {
    // One error per position: a single mistake should not produce a cascade.
    if (start === this.lastErrorAt || this.abandoned) return;
    this.lastErrorAt = start;
    this.diagnostics.push({ code: "parse-error", severity: "error", message, span: this.span(start, end), notes });
  }
  /** Reports an error after which the rest of the file is not parsed (and reports nothing more). */
  fatal(message: string, start: number, end: number): void {
    this.diagnostics.push({ code: "parse-error", severity: "error", message, span: this.span(start, end) });
    this.abandoned = true;
  }
  /** Diagnostics in source order, with held-back keyword errors of calls that stayed calls. */
  finish(): Diagnostic[] {
    for (const errs of this.pendingKeywordErrors.values()) this.diagnostics.push(...errs);
    return this.diagnostics.sort((a, b) => (a.span?.start ?? 0) - (b.span?.start ?? 0));
  }
  unsupported(message: string, start: number, end: number): void {
    if (this.abandoned) return;
    this.diagnostics.push({ code: "unsupported-syntax", severity: "error", message, span: this.span(start, end) });
  }
}

function describeToken(t: Token): string {
  if (t.kind === "eof") return "end of file";
  if (t.kind === "nl") return "newline";
  if (t.kind === "string") return "string literal";
  if (t.kind === "op") return `\`${t.dotted ? "." : ""}${t.text}\``;
  return `\`${t.text}\``;
}

class Parser {
  private i = 0;
  private ctx: Context = NORMAL;
  /** End offset of the last consumed token. */
  private lastEnd = 0;

  // The next-lower precedence levels, bound once (allocating a closure per call is measurable).
  private readonly downJuxtapose = (): A.Node => this.parseJuxtapose();
  private readonly downUnary = (): A.Node => this.parseUnary();
  private readonly downUnarySubtype = (): A.Node => this.parseUnarySubtype();
  private readonly downFactorAfter = (): A.Node => this.parseFactorAfter();
  private readonly downUnaryPrefix = (): A.Node => this.parseUnaryPrefix();
  private readonly downWhereCall = (): A.Node => this.parseWhere(this.downCall);
  private readonly downCall = (): A.Node => this.parseCall();
  private readonly downPipeLt = (): A.Node => this.parsePipeLt();

  constructor(private readonly toks: Token[], private readonly s: SharedState) {}

  // ---- token access ------------------------------------------------------------------------------

  /** Offset of the next token (where a parse that had to stop, stopped). */
  position(): number {
    return this.toks[Math.min(this.i, this.toks.length - 1)]!.start;
  }

  private peek(n = 0): Token {
    let i = this.i;
    const skip = this.ctx.newlineWs;
    for (;;) {
      const t = this.toks[i]!;
      if (t.kind === "eof") return t;
      if (skip && t.kind === "nl") {
        i++;
        continue;
      }
      if (n === 0) return t;
      n--;
      i++;
    }
  }
  /** The next token, newlines included whatever the context. */
  private peekRaw(): Token {
    return this.toks[this.i]!;
  }
  private bump(): Token {
    if (this.ctx.newlineWs) this.skipNewlines();
    const t = this.toks[this.i]!;
    if (t.kind !== "eof") this.i++;
    this.lastEnd = t.end;
    return t;
  }
  private skipNewlines(): void {
    while (this.toks[this.i]!.kind === "nl") this.i++;
  }
  private with<T>(patch: Partial<Context>, fn: () => T): T {
    const saved = this.ctx;
    this.ctx = internContext(saved, patch);
    try {
      return fn();
    } finally {
      this.ctx = saved;
    }
  }
  private isOp(t: Token, text?: string, allowDotted = false): boolean {
    return t.kind === "op" && (text === undefined || t.text === text) && (allowDotted || !t.dotted);
  }
  private isKw(t: Token, text: string): boolean {
    return t.kind === "keyword" && t.text === text;
  }
  private isIdent(t: Token, text: string): boolean {
    return t.kind === "ident" && t.text === text;
  }
  /** Operator precedence of `t` in infix position (word operators `in`/`isa` included). */
  private prec(t: Token): Prec | undefined {
    if (t.kind === "op") return t.prec;
    if (t.kind === "ident" && (t.text === "in" || t.text === "isa")) return Prec.Comparison;
    return undefined;
  }
  private isClosing(t: Token): boolean {
    if (t.kind === "eof" || t.kind === ")" || t.kind === "]" || t.kind === "}" || t.kind === "," || t.kind === ";") return true;
    if (t.kind === "keyword" && BLOCK_CONTINUATIONS.has(t.text)) return !(t.text === "end" && this.ctx.endSymbol);
    return false;
  }
  /** A note quoting the line where a construct was opened. */
  private openedAt(opener: Token): string[] {
    const line = this.s.line(opener.start);
    return [`\`${opener.text}\` opened at line ${line}: ${this.s.source.lineText(line).trim()}`];
  }
  private span(start: number, end = this.lastEnd): Span {
    return this.s.span(start, end);
  }
  private errorNode(start: number, end = start): A.Ident {
    return { kind: "ident", name: "<error>", span: this.span(start, end) };
  }
  /**
   * Enters one more level of nesting. Past MAX_NESTING it reports the error at the next token,
   * abandons the rest of the file (every parsing loop stops at the end of file) and returns false:
   * the caller then returns an error node without recursing.
   */
  private enter(): boolean {
    if (this.s.abandoned || this.s.depth > MAX_NESTING) {
      if (!this.s.abandoned) {
        const t = this.peek();
        this.s.fatal(NESTING_TOO_DEEP, t.start, t.kind === "eof" ? t.start : t.end);
      }
      this.i = this.toks.length - 1;
      return false;
    }
    this.s.depth++;
    return true;
  }
  private leave(): void {
    this.s.depth--;
  }
  /** `parse()` one nesting level deeper (the operand of a prefix operator, the right side of `^`). */
  private nested(parse: () => A.Node): A.Node {
    const start = this.peek().start;
    if (!this.enter()) return this.errorNode(start);
    try {
      return parse();
    } finally {
      this.leave();
    }
  }

  private expect(kind: Token["kind"], what: string, opener?: Token): Token | undefined {
    const t = this.peek();
    if (t.kind === kind) return this.bump();
    const closes = opener ? ` to close \`${opener.text}\` at line ${this.s.line(opener.start)}` : "";
    this.s.error(`expected ${what}${closes}, found ${describeToken(t)}`, t.start, t.kind === "eof" ? t.start : t.end);
    return undefined;
  }

  // ---- blocks and statements ---------------------------------------------------------------------

  parseFile(textLength: number): A.Block {
    const stmts: A.Node[] = [];
    for (;;) {
      this.skipSeparators();
      const t = this.peek();
      if (t.kind === "eof") break;
      if (this.isClosing(t) || t.kind === ",") {
        this.s.error(`unexpected ${describeToken(t)}`, t.start, t.end);
        this.bump();
        continue;
      }
      stmts.push(this.parseStatementRecovering(new Set()));
    }
    return { kind: "block", stmts, span: this.s.span(0, textLength) };
  }

  private skipSeparators(): void {
    for (;;) {
      const k = this.peekRaw().kind;
      if (k === "nl" || k === ";") this.i++;
      else return;
    }
  }

  /** Parses one statement, then checks that a statement boundary follows; skips junk up to it if not. */
  private parseStatementRecovering(terminators: Set<string>): A.Node {
    const before = this.i;
    const stmt = this.parseEq();
    const t = this.peekRaw();
    const ok = t.kind === "nl" || t.kind === ";" || t.kind === "eof" || (t.kind === "keyword" && terminators.has(t.text));
    if (!ok) {
      this.s.error(`unexpected ${describeToken(t)}${t.kind === ")" || t.kind === "]" || t.kind === "}" ? "" : " after an expression; put statements on separate lines or separate them with `;`"}`, t.start, t.end);
      this.recoverToStatementEnd(terminators);
    }
    if (this.i === before) this.bump(); // always make progress
    return stmt;
  }

  /** Skips tokens to the end of the statement: a newline or `;` outside brackets, a block terminator, or the end of file. */
  private recoverToStatementEnd(terminators: Set<string>): void {
    let depth = 0;
    for (;;) {
      const t = this.peekRaw();
      if (t.kind === "eof") return;
      if (depth === 0 && (t.kind === "nl" || t.kind === ";")) return;
      if (depth === 0 && t.kind === "keyword" && terminators.has(t.text)) return;
      if (t.kind === "(" || t.kind === "[" || t.kind === "{") depth++;
      if ((t.kind === ")" || t.kind === "]" || t.kind === "}") && depth > 0) depth--;
      this.i++;
    }
  }

  /**
   * Statements until one of `terminators` (`end`, `else` ...) or the end of file. The caller checks
   * the terminator. Bodies always parse in the normal context, whatever surrounds the construct.
   */
  private parseBlockBody(terminators: Set<string>): A.Block {
    // Context switched inline rather than through with(): one bracket level is then two stack frames fewer.
    const saved = this.ctx;
    this.ctx = internContext(saved, NORMAL);
    try {
      const stmts: A.Node[] = [];
      const start = this.peek().start;
      let end = start;
      for (;;) {
        this.skipSeparators();
        const t = this.peekRaw();
        if (t.kind === "eof") break;
        if (t.kind === "keyword" && terminators.has(t.text)) break;
        if (t.kind === "keyword" && BLOCK_CONTINUATIONS.has(t.text)) {
          // An `else` where only `end` fits (or similar): report it and let the enclosing block decide.
          this.s.error(`unexpected \`${t.text}\``, t.start, t.end);
          break;
        }
        if (t.kind === ")" || t.kind === "]" || t.kind === "}" || t.kind === ",") {
          this.s.error(`unexpected ${describeToken(t)}`, t.start, t.end);
          this.bump();
          continue;
        }
        stmts.push(this.parseStatementRecovering(terminators));
        end = this.lastEnd;
      }
      return { kind: "block", stmts, span: this.span(stmts.length ? stmts[0]!.span.start : start, stmts.length ? end : start) };
    } finally {
      this.ctx = saved;
    }
  }

  /** Consumes the `end` closing `opener`, or reports that it is missing. */
  private closeBlock(opener: Token, what = opener.text): number {
    const t = this.peekRaw();
    if (this.isKw(t, "end")) {
      this.bump();
      return t.end;
    }
    this.s.error(`expected \`end\` to close \`${what}\` at line ${this.s.line(opener.start)}, found ${describeToken(t)}`, t.start, t.kind === "eof" ? t.start : t.end, this.openedAt(opener));
    return this.lastEnd;
  }

  // ---- assignment level --------------------------------------------------------------------------

  /** A full expression statement: assignment with bare tuples (`a, b = b, a`). */
  parseEq(): A.Node {
    return this.parseAssignment(true);
  }
  /** An expression where commas are separators (arguments, array elements): assignment without bare tuples. */
  private parseEqStar(): A.Node {
    return this.parseAssignment(false);
  }

  /** Right-associative `=` and the updating assignments; `bareTuples`: the left side may be `a, b`. */
  private parseAssignment(bareTuples: boolean): A.Node {
    const start = this.peek().start;
    if (!this.enter()) return this.errorNode(start);
    try {
      const lhs = bareTuples ? this.parseComma() : this.parseBinary(Prec.Pair);
      const t = this.peek();
      if (t.kind !== "op" || this.prec(t) !== Prec.Assignment) return lhs;
      if (t.text === "~" && this.ctx.spaceSensitive && t.spaceBefore && !this.peek(1).spaceBefore) return lhs; // [a ~b]
      this.bump();
      const rhs = this.parseAssignment(bareTuples);
      const span = this.span(lhs.span.start);
      if (t.text === "~" || t.text === ":=" || t.text === "≔" || t.text === "⩴" || t.text === "≕") {
        return { kind: "binary", op: t.text, left: lhs, right: rhs, dotted: !!t.dotted, opSpan: this.span(t.start, t.end), span };
      }
      if (t.text === "=" && !t.dotted && this.isEventuallyCall(lhs)) return this.shortFunction(lhs, rhs, span);
      const op = updateOperator(t.text);
      return { kind: "assign", target: lhs, value: rhs, op, dotted: !!t.dotted, span };
    } finally {
      this.leave();
    }
  }

  private parseComma(): A.Node {
    const first = this.parseBinary(Prec.Pair);
    if (!(this.peek().kind === ",")) return first;
    const elements = [first];
    while (this.peek().kind === ",") {
      this.bump();
      const n = this.peek();
      // `x, = f()`: a trailing comma before `=` makes a 1-tuple target.
      if (this.isOp(n, "=")) break;
      if (this.isClosing(n) || n.kind === "nl") break;
      elements.push(this.parseBinary(Prec.Pair));
    }
    return { kind: "tuple", elements, span: this.span(first.span.start) };
  }

  /** `x < y`, `a in b`, `T <: S` and everything binding tighter (a `where` clause's parameters). */
  private parseComparison(): A.Node {
    return this.parseBinary(Prec.Comparison);
  }
  /** Everything binding tighter than comparisons (iteration specifications: `i in 1:n`). */
  private parsePipeLt(): A.Node {
    return this.parseBinary(Prec.PipeLt);
  }

  /**
   * The infix operators from `=>` up to the bit shifts, by precedence climbing over OPERATOR_LEVELS:
   * an operand, then every operator of level `min` or above, each taking as its right operand what
   * binds tighter than it (left-associative), at least as tight (right-associative), or what its
   * level's own rule reads (chains, `?:`, ranges). `ceiling` is the highest level that may still
   * follow: after `a < b` or `a ? b : c` only looser operators can, as in Julia.
   */
  private parseBinary(min: Prec): A.Node {
    let left = this.parseUnarySubtype();
    let ceiling: Prec = Prec.Bitshift;
    for (;;) {
      const t = this.peek();
      const level = this.infixLevel(t);
      if (level === undefined || level < min || level > ceiling) return left;
      const rule = OPERATOR_LEVELS[level]!;
      switch (rule.combine) {
        case "left":
          if (this.startsSpacedElement(t)) return left;
          this.bump();
          left = this.binary(left, t, this.parseBinary(level + 1));
          ceiling = level;
          break;
        case "right": {
          this.bump();
          if (!this.enter()) return this.errorNode(t.end);
          let right: A.Node;
          try {
            right = this.parseBinary(level);
          } finally {
            this.leave();
          }
          left = this.combineRight(rule.node, left, t, right);
          ceiling = level - 1;
          break;
        }
        case "chain":
          left = this.parseChain(left);
          ceiling = level - 1;
          break;
        case "ternary":
          left = this.parseTernary(left, t);
          ceiling = level - 1;
          break;
        case "range": {
          const before = this.i;
          left = this.parseRangeLevel(left, t);
          if (this.i === before) return left; // `[1 :a]`: the `:` starts the next element
          ceiling = level - 1;
          break;
        }
      }
    }
  }

  /** The level at which `t` continues an expression as an infix (or `...` postfix) operator here. */
  private infixLevel(t: Token): Prec | undefined {
    if (t.kind === "ident") return t.text === "in" || t.text === "isa" ? Prec.Comparison : undefined;
    if (t.kind !== "op") return undefined;
    if (t.text === "...") return t.dotted ? undefined : Prec.Colon;
    if (t.text === "?" || t.text === ":") return t.dotted || (t.text === ":" && !this.ctx.rangeColon) ? undefined : t.prec;
    return t.prec;
  }

  /** Julia's whitespace rule inside `[ ]`: `[x +y]` is two elements; `[x + y]`, `[x+y]` and `[x +₁y]` are one. */
  private startsSpacedElement(t: Token): boolean {
    return this.ctx.spaceSensitive && t.spaceBefore && !t.suffixed && isPrefixToo(t) && !this.peek(1).spaceBefore;
  }

  private combineRight(node: RightNode, left: A.Node, t: Token, right: A.Node): A.Node {
    if (node === "pair") return { kind: "pair", left, right, dotted: !!t.dotted, span: this.span(left.span.start) };
    if (node === "binary" || t.dotted) return this.binary(left, t, right);
    return { kind: node, left, right, span: this.span(left.span.start) };
  }

  /** `a < b <= c`: one comparison node, whose operands bind tighter than comparisons. */
  private parseChain(first: A.Node): A.Node {
    const operands = [first];
    const ops: A.Comparison["ops"] = [];
    while (this.infixLevel(this.peek()) === Prec.Comparison) {
      const t = this.bump();
      ops.push({ op: t.text, dotted: !!t.dotted, span: this.span(t.start, t.end) });
      operands.push(this.parseBinary(Prec.Comparison + 1));
    }
    const span = this.span(first.span.start);
    const op0 = ops[0]!;
    if (ops.length === 1 && !op0.dotted && (op0.op === "<:" || op0.op === ">:")) {
      return { kind: "subtype", op: op0.op, left: first, right: operands[1]!, span };
    }
    return { kind: "comparison", operands, ops, span };
  }

  /** `cond ? a : b`, after `cond`; both branches are full expressions without bare tuples. */
  private parseTernary(cond: A.Node, q: Token): A.Node {
    if (!q.spaceBefore) this.s.error("space required before `?` in a ternary expression", q.start, q.end);
    this.bump();
    this.skipNewlines();
    const then = this.with({ rangeColon: false }, () => this.parseEqStar());
    this.skipNewlinesIf(() => this.isOp(this.peekAfterNewlines(), ":"));
    const colon = this.peek();
    if (!this.isOp(colon, ":")) {
      this.s.error(`expected \`:\` in the ternary expression \`?:\`, found ${describeToken(colon)}`, colon.start, colon.end);
      return { kind: "ternary", cond, then, else: this.errorNode(colon.start), span: this.span(cond.span.start) };
    }
    this.bump();
    this.skipNewlines();
    const otherwise = this.parseEqStar();
    return { kind: "ternary", cond, then, else: otherwise, span: this.span(cond.span.start) };
  }

  private peekAfterNewlines(): Token {
    let i = this.i;
    while (this.toks[i]!.kind === "nl") i++;
    return this.toks[i]!;
  }
  private skipNewlinesIf(cond: () => boolean): void {
    if (cond()) this.skipNewlines();
  }

  /**
   * The range level, non-associative: `a:b`, `a:s:b` (operands bind at `+` or tighter), `a..b`,
   * then an optional splat `...`, which also applies without a range (`xs...`).
   */
  private parseRangeLevel(result: A.Node, t: Token): A.Node {
    if (t.text === ":") {
      const start = result.span.start;
      let args: A.Node[] = [];
      while (this.isOp(this.peek(), ":")) {
        const colon = this.peek();
        // `[1 :a]` is two elements; `[1 : a]` and `[1:a]` are ranges.
        if (this.ctx.spaceSensitive && colon.spaceBefore && !this.peek(1).spaceBefore) break;
        this.bump();
        const next = this.peekRaw();
        if (next.kind === "nl" && !this.ctx.newlineWs) {
          this.s.error("line break after `:` in a range expression; wrap the range in parentheses to continue it on the next line", colon.start, colon.end);
          args.push(this.errorNode(colon.end));
          break;
        }
        if (this.isClosing(this.peek())) {
          this.s.error("missing the last argument of the range expression", colon.start, colon.end);
          args.push(this.errorNode(colon.end));
          break;
        }
        args.push(this.parseBinary(Prec.Plus));
        if (args.length === 2) {
          result = { kind: "range", start: result, step: args[0], stop: args[1]!, span: this.span(start) };
          args = [];
        }
      }
      if (args.length === 1) result = { kind: "range", start: result, stop: args[0]!, span: this.span(start) };
    } else if (t.text !== "...") {
      // `a..b`, `a … b`
      this.bump();
      result = this.binary(result, t, this.parseBinary(Prec.Plus));
    }
    if (this.isOp(this.peek(), "...")) {
      this.bump();
      result = { kind: "splat", arg: result, span: this.span(result.span.start) };
    }
    return result;
  }

  private binary(left: A.Node, t: Token, right: A.Node): A.BinaryOp {
    return { kind: "binary", op: t.text, left, right, dotted: !!t.dotted, opSpan: this.span(t.start, t.end), span: this.span(left.span.start) };
  }

  /** `<: T` as a prefix (in `Vector{<:Real}`), binding looser than `where`. */
  private parseUnarySubtype(): A.Node {
    const t = this.peek();
    if (t.kind === "op" && !t.dotted && (t.text === "<:" || t.text === ">:")) {
      const k2 = this.peek(1);
      if (this.isClosing(k2) || k2.kind === "nl" || this.isOp(k2, "=")) {
        this.bump();
        return { kind: "ident", name: t.text, operator: true, span: this.span(t.start) };
      }
      if (k2.kind !== "(" && k2.kind !== "{") {
        this.bump();
        const right = this.nested(this.downUnarySubtype);
        return { kind: "subtype", op: t.text as "<:" | ">:", right, span: this.span(t.start) };
      }
    }
    return this.parseWhere(this.downJuxtapose);
  }

  private parseWhere(down: () => A.Node): A.Node {
    let body = down();
    if (!this.ctx.whereEnabled) return body;
    while (this.isIdent(this.peek(), "where")) {
      this.bump();
      const params = this.parseWhereParams();
      body = { kind: "where", body, params, span: this.span(body.span.start) };
    }
    return body;
  }

  /** The parameters after `where`: `T`, `T<:Real`, or `{T, N}`. */
  private parseWhereParams(): A.Node[] {
    return this.with({ whereEnabled: false }, () => {
      this.skipNewlines();
      const t = this.peek();
      if (t.kind === "{") {
        this.bump();
        return this.with(IN_BRACES, () => this.parseCommaList("}", t));
      }
      return [this.parseComparison()];
    });
  }

  /** Comma-separated expressions up to `closer` (consumed). */
  private parseCommaList(closer: "}" | ")" | "]", opener: Token): A.Node[] {
    const out: A.Node[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === closer) {
        this.bump();
        return out;
      }
      if (t.kind === "eof" || (this.isClosing(t) && t.kind !== ",")) {
        this.expect(closer, `\`${closer}\``, opener);
        return out;
      }
      out.push(this.parseEqStar());
      const n = this.peek();
      if (n.kind === ",") this.bump();
      else if (n.kind !== closer) {
        this.expect(closer, `\`,\` or \`${closer}\``, opener);
        if (n.kind === "eof" || this.isClosing(n)) return out;
      }
    }
  }

  // ---- juxtaposition, unary, power ---------------------------------------------------------------

  private parseJuxtapose(): A.Node {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peekRaw();
      if (!this.juxtaposes(left, t)) return left;
      if (t.kind === "string" || t.kind === "char") {
        this.s.error("cannot juxtapose a string literal", t.start, t.end);
      }
      const right = RADICALS.has(t.text) && t.kind === "op" ? this.parseUnary() : this.parseFactorWithInitialEx(this.parseCall());
      const span = this.span(left.span.start);
      left = { kind: "binary", op: "*", left, right, dotted: false, juxtaposed: true, opSpan: span, span };
    }
  }

  /** `2x`, `2(x+1)`, `(a+b)c`, `x'y`, `2√x`: an expression directly followed (no space) by another. */
  private juxtaposes(left: A.Node, t: Token): boolean {
    if (t.spaceBefore) return false;
    const leftIsNumber = isNumberish(left);
    if (t.kind === "number") return leftIsNumber;
    if (t.kind === "op") return RADICALS.has(t.text) && !t.dotted;
    if (t.kind === "ident") return !(t.text === "in" || t.text === "isa" || t.text === "where");
    if (t.kind === "(") return true;
    if (t.kind === "string" || t.kind === "char") return !leftIsNumber || t.kind === "string";
    return false;
  }

  private parseUnary(): A.Node {
    this.skipNewlines();
    const t = this.peek();
    if (t.kind !== "op" || !this.isInitialOperator(t)) return this.parseFactorWithInitialEx(this.parseCall());
    const t2 = this.peek(1);
    if ((t.text === "-" || t.text === "+") && !t.dotted && !t.suffixed && t2.kind === "number" && !t2.spaceBefore && !t2.error) {
      const decimal = !/^[+-]?0[xbo]/.test(t2.text);
      if (decimal || t.text === "+") {
        const t3 = this.peek(2);
        if ((t3.kind === "op" && this.prec(t3) === Prec.Power && !t3.spaceBefore) || ((t3.kind === "[" || t3.kind === "{") && !t3.spaceBefore)) {
          // `-2^x` is `-(2^x)`; `-2[1]` is `-(2[1])`.
          this.bump();
          const arg = this.parseFactorWithInitialEx(this.parseCall());
          return { kind: "unary", op: t.text, arg, dotted: false, span: this.span(t.start) };
        }
        // A signed literal: `-2`, `+2.0`, `-1f0`.
        this.bump();
        const num = this.bump();
        const lit = signedLiteral(num, t.text === "-", this.span(t.start, num.end), this.s.text.slice(t.start, num.end));
        return this.parseFactorWithInitialEx(lit);
      }
    }
    if (this.isClosing(t2) || t2.kind === "nl" || this.isOp(t2, "=")) {
      // A standalone operator used as a value: `map(-, xs)`, `reduce(+, xs)`.
      return this.parseFactorWithInitialEx(this.parseCall());
    }
    if (t2.kind === "{" || (!isUnaryOp(t) && t2.kind === "(")) return this.parseFactorWithInitialEx(this.parseCall());
    if (t2.kind === "(" && !t2.spaceBefore) return this.parseUnaryCall(t);
    if (!isUnaryOp(t)) {
      this.s.error(`\`${t.dotted ? "." : ""}${t.text}\` is not a unary operator`, t.start, t.end);
      this.bump();
      return this.nested(this.downUnary);
    }
    this.bump();
    const arg = this.nested(this.downUnary);
    if (!t.dotted && (t.text === "<:" || t.text === ">:")) return { kind: "subtype", op: t.text, right: arg, span: this.span(t.start) };
    return { kind: "unary", op: t.text, arg, dotted: !!t.dotted, span: this.span(t.start) };
  }

  /** Operators that may begin an expression as a prefix operator (not `:`, `'`, `$`, `&`, `::`, or syntax). */
  private isInitialOperator(t: Token): boolean {
    if (t.text === ":" || t.text === "'") return false;
    if (!t.dotted && (t.text === "$" || t.text === "&" || t.text === "::")) return false;
    if (SYNTACTIC_OPS.has(t.text) || updateOperator(t.text) !== undefined) return false;
    return true;
  }

  /** `+(a, b)` is a call of `+`; `+(a)` is unary `+` applied to `(a)`, binding looser than `^`. */
  private parseUnaryCall(op: Token): A.Node {
    this.bump(); // operator
    const open = this.bump(); // (
    const contents = this.parseBracketContents(")", open);
    const isCall = contents.hadComma || contents.hadSplat || (contents.initialSemicolon && (contents.items.length + contents.params.flat().length > 0 || contents.params.length === 1))
      || (contents.params.length === 0 && contents.items.length === 0);
    const opIdent: A.Ident = { kind: "ident", name: (op.dotted ? "." : "") + op.text, operator: true, span: this.span(op.start, op.end) };
    if (isCall) {
      const call = this.makeCall(opIdent, contents, false, this.span(op.start, contents.closeEnd));
      return this.parseFactorWithInitialEx(this.parseCallChain(call));
    }
    const inner = this.parenFromContents(open, contents);
    const arg = this.parseFactorWithInitialEx(this.parseCallChain(inner));
    if (!op.dotted && (op.text === "<:" || op.text === ">:")) return { kind: "subtype", op: op.text, right: arg, span: this.span(op.start) };
    return { kind: "unary", op: op.text, arg, dotted: !!op.dotted, span: this.span(op.start) };
  }

  private parseFactorWithInitialEx(e: A.Node): A.Node {
    e = this.parseDeclWithInitialEx(e);
    const t = this.peek();
    if (t.kind === "op" && this.prec(t) === Prec.Power) {
      this.bump();
      return this.binary(e, t, this.nested(this.downFactorAfter));
    }
    return e;
  }

  /** The right operand of `^`: right-associative, and may itself be juxtaposed or negative (`2^-3`). */
  private parseFactorAfter(): A.Node {
    const left = this.parseJuxtapose();
    const t = this.peek();
    if (t.kind === "op" && this.prec(t) === Prec.Power) {
      this.bump();
      return this.binary(left, t, this.nested(this.downFactorAfter));
    }
    return left;
  }

  /** `x::T` and `x -> body` (the arrow binds tightly on the left and loosely on the right). */
  private parseDeclWithInitialEx(e: A.Node): A.Node {
    while (this.isOp(this.peek(), "::")) {
      this.bump();
      const type = this.parseWhere(this.downCall);
      e = { kind: "typeassert", expr: e, type, span: this.span(e.span.start) };
    }
    if (this.isOp(this.peek(), "->")) {
      this.bump();
      this.skipNewlines();
      const body = this.parseEqStar();
      const { params, kwparams } = this.lambdaParams(e);
      return { kind: "lambda", params, kwparams, body, span: this.span(e.span.start) };
    }
    return e;
  }

  // ---- calls, indexing, fields -------------------------------------------------------------------

  private parseCall(): A.Node {
    const t = this.peek();
    if (this.startsReservedWord(t)) return this.parseResword();
    return this.parseCallChain(this.parseUnaryPrefix());
  }

  private startsReservedWord(t: Token): boolean {
    if (t.kind === "keyword") {
      if ((t.text === "begin" || t.text === "end") && this.ctx.endSymbol) return false;
      return BLOCK_KEYWORDS.has(t.text);
    }
    if (t.kind === "ident" && (t.text === "mutable" || t.text === "abstract" || t.text === "primitive")) {
      const n = this.toks[this.indexOfPeek() + 1]!;
      return t.text === "mutable" ? this.isKw(n, "struct") : this.isIdent(n, "type");
    }
    return false;
  }
  private indexOfPeek(): number {
    let i = this.i;
    if (this.ctx.newlineWs) while (this.toks[i]!.kind === "nl") i++;
    return i;
  }

  /** `$x` (interpolation), `::T` (anonymous typed parameter), `&x`. */
  private parseUnaryPrefix(): A.Node {
    const t = this.peek();
    if (t.kind === "op" && !t.dotted && (t.text === "$" || t.text === "&" || t.text === "::") && this.peek(1).kind !== ")") {
      const k2 = this.peek(1);
      if ((t.text === "$" || t.text === "&") && (this.isClosing(k2) || k2.kind === "nl")) {
        this.bump();
        return { kind: "ident", name: t.text, operator: true, span: this.span(t.start) };
      }
      this.bump();
      if (t.text === "$") {
        const expr = this.nested(this.downUnaryPrefix);
        return { kind: "interpolation", expr, span: this.span(t.start) };
      }
      const arg = this.nested(this.downWhereCall);
      // `::T` only means something as a parameter (`f(::Int)`); it is kept as a unary `::`.
      return { kind: "unary", op: t.text, arg, dotted: false, span: this.span(t.start) };
    }
    return this.parseAtom();
  }

  private parseCallChain(e: A.Node): A.Node {
    for (;;) {
      const t = this.peek();
      // `2(x)` is multiplication, handled by juxtaposition.
      if (t.kind === "(" && isNumberish(e)) return e;
      if (this.ctx.spaceSensitive && t.spaceBefore && (t.kind === "(" || t.kind === "[" || t.kind === "{" || t.kind === "string")) return e;
      if (t.kind === "(") {
        if (t.spaceBefore) this.s.error("whitespace is not allowed between a function and the `(` of its arguments", this.lastEnd, t.start);
        this.bump();
        const contents = this.parseBracketContents(")", t);
        const call = this.makeCall(e, contents, false, this.span(e.span.start, contents.closeEnd));
        if (this.isKw(this.peek(), "do")) call.doBlock = this.parseDo();
        call.span = this.span(e.span.start);
        e = call;
      } else if (t.kind === "[") {
        if (t.spaceBefore) this.s.error("whitespace is not allowed before the `[` of an indexing expression", this.lastEnd, t.start);
        this.bump();
        e = this.parseIndexOrTyped(e, t);
      } else if (t.kind === ".") {
        const n = this.toks[this.indexOfPeek() + 1]!;
        if (t.spaceBefore) this.s.error("whitespace is not allowed before `.` in a field access", this.lastEnd, t.start);
        this.bump();
        e = this.parseDotSuffix(e, t, n);
        if (e.kind === "macrocall") return e;
      } else if (this.isOp(t, "'") && !t.spaceBefore) {
        this.bump();
        e = { kind: "adjoint", arg: e, span: this.span(e.span.start) };
      } else if (t.kind === "{") {
        if (t.spaceBefore) this.s.error("whitespace is not allowed before the `{` of type parameters", this.lastEnd, t.start);
        this.bump();
        const args = this.with(IN_BRACES, () => this.parseCommaList("}", t));
        e = { kind: "curly", target: e, args, span: this.span(e.span.start) };
      } else if (t.kind === "string" && !t.spaceBefore && t.raw && e.kind === "ident") {
        this.bump();
        if (e.name === "var") e = { kind: "ident", name: this.stringText(t), span: this.span(e.span.start) };
        else e = { kind: "string", parts: [this.stringText(t)], prefix: e.name, span: this.span(e.span.start) };
        this.reportTokenError(t);
      } else return e;
    }
  }

  private parseDotSuffix(e: A.Node, dot: Token, n: Token): A.Node {
    if (n.kind === "(") {
      // f.(x): broadcast call
      const open = this.bump();
      const contents = this.parseBracketContents(")", open);
      return this.makeCall(e, contents, true, this.span(e.span.start, contents.closeEnd));
    }
    if (this.isOp(n, ":")) {
      // Base.:+ and x.:name
      this.bump();
      const paren = this.peekRaw();
      if (paren.kind === "(" && !paren.spaceBefore) {
        // Base.:(==)
        this.bump();
        const inner = this.parseParen(paren);
        const op = inner.kind === "paren" && inner.expr.kind === "ident" ? inner.expr : undefined;
        if (!op) this.s.error("expected an operator or a name in `.:( )`", inner.span.start, inner.span.end);
        return { kind: "field", target: e, name: op ? op.name : "<error>", nameSpan: inner.span, span: this.span(e.span.start) };
      }
      const name = this.bump();
      if (name.kind === "op" || name.kind === "ident" || name.kind === "keyword") {
        return { kind: "field", target: e, name: (name.dotted ? "." : "") + name.text, nameSpan: this.span(name.start, name.end), span: this.span(e.span.start) };
      }
      this.s.error(`expected a name after \`.:\`, found ${describeToken(name)}`, name.start, name.end);
      return e;
    }
    if (n.kind === "@") {
      return this.parseMacroCall(e);
    }
    if (this.isOp(n, "$")) {
      // `M.$(name)` in quoted code: the field name is an interpolation, kept as its source text.
      const interp = this.parseUnaryPrefix();
      return { kind: "field", target: e, name: this.s.text.slice(interp.span.start, interp.span.end), nameSpan: interp.span, span: this.span(e.span.start) };
    }
    if (n.kind === "ident" || n.kind === "keyword") {
      this.bump();
      return { kind: "field", target: e, name: n.text, nameSpan: this.span(n.start, n.end), span: this.span(e.span.start) };
    }
    if (this.isOp(n, "'")) {
      this.bump();
      this.s.error("the `.'` transpose operator is discontinued; use `transpose(x)`", dot.start, n.end);
      return e;
    }
    this.s.error(`expected a field name after \`.\`, found ${describeToken(n)}`, n.start, n.end);
    return e;
  }

  private parseIndexOrTyped(target: A.Node, open: Token): A.Node {
    const result = this.parseCat(open, true);
    const span = this.span(target.span.start);
    if (result.kind === "comprehension") return { ...result, eltype: target, span };
    if (result.kind === "array" && result.form === "vect") {
      if (isBaseEltype(target)) return { ...result, eltype: target, span };
      return { kind: "index", target, indices: result.rows[0]!, span };
    }
    return { ...(result as A.ArrayLit), eltype: target, span };
  }

  /** `f(x) do y ... end`: the do-block becomes a lambda. */
  private parseDo(): A.Lambda {
    const kw = this.bump();
    const params: A.Param[] = [];
    const items: A.Node[] = [];
    this.with(NORMAL, () => {
      const t = this.peekRaw();
      if (t.kind === "nl" || t.kind === ";") return;
      const e = this.parseComma();
      if (e.kind === "tuple" && !(this.s.raw.has(e))) items.push(...e.elements);
      else items.push(e);
    });
    for (const it of items) {
      const p = this.toParam(it);
      if (p) params.push(p);
    }
    const body = this.parseBlockBody(new Set(["end"]));
    this.closeBlock(kw);
    return { kind: "lambda", params, kwparams: [], body, span: this.span(kw.start) };
  }

  /**
   * The inside of `( ... )` after the opening bracket, through the closing one: comma- and
   * semicolon-separated items, with `for` making a generator.
   */
  private parseBracketContents(closer: ")", open: Token): BracketContents {
    // Context switched inline rather than through with(): one bracket level is then two stack frames fewer.
    const saved = this.ctx;
    this.ctx = internContext(saved, IN_PARENS);
    try {
      const out: BracketContents = { items: [], params: [], hadComma: false, hadSplat: false, initialSemicolon: false, closeEnd: open.end };
      let group = out.items;
      let first = true;
      for (;;) {
        const t = this.peek();
        if (t.kind === closer) {
          this.bump();
          out.closeEnd = t.end;
          return out;
        }
        if (t.kind === ";") {
          this.bump();
          if (first) out.initialSemicolon = true;
          group = [];
          out.params.push(group);
          first = false;
          continue;
        }
        if (t.kind === "eof" || t.kind === "]" || t.kind === "}" || (t.kind === "keyword" && BLOCK_CONTINUATIONS.has(t.text) && !(t.text === "end" && this.ctx.endSymbol))) {
          this.s.error(`expected \`)\` to close \`(\` at line ${this.s.line(open.start)}, found ${describeToken(t)}`, t.start, t.kind === "eof" ? t.start : t.end);
          out.closeEnd = this.lastEnd;
          return out;
        }
        if (t.kind === ",") {
          this.s.error("unexpected `,`", t.start, t.end);
          this.bump();
          continue;
        }
        first = false;
        let item = this.parseEqStar();
        if (this.isKw(this.peek(), "for")) item = this.parseGenerator(item, false);
        if (item.kind === "splat") out.hadSplat = true;
        group.push(item);
        const n = this.peek();
        if (n.kind === ",") {
          this.bump();
          out.hadComma = true;
        } else if (n.kind !== closer && n.kind !== ";" && n.kind !== "eof" && n.kind !== "]" && n.kind !== "}" && !(n.kind === "keyword" && BLOCK_CONTINUATIONS.has(n.text))) {
          if (this.toks[this.indexOfPeek() - 1]!.kind === "nl") {
            // The list probably lacks its `)`: stop here and let the next line be a statement again.
            this.s.error(`expected \`)\` to close \`(\` at line ${this.s.line(open.start)}, found ${describeToken(n)}`, n.start, n.end, this.openedAt(open));
            out.closeEnd = this.lastEnd;
            return out;
          }
          this.s.error(`expected \`,\` or \`)\`, found ${describeToken(n)}`, n.start, n.end);
        }
      }
    } finally {
      this.ctx = saved;
    }
  }

  private makeCall(callee: A.Node, c: BracketContents, dotted: boolean, span: Span): A.Call {
    const args: A.Node[] = [];
    const kwargs: A.Keyword[] = [];
    for (const item of c.items) {
      if (item.kind === "assign" && item.op === undefined && !item.dotted && item.target.kind === "ident") {
        kwargs.push({ name: item.target.name, value: item.value, span: item.span });
      } else args.push(item);
    }
    const pending: Diagnostic[] = [];
    for (const group of c.params) {
      for (const item of group) {
        const kw = this.toKeyword(item, pending);
        if (kw) kwargs.push(kw);
      }
    }
    const call: A.Call = { kind: "call", callee, args, kwargs, dotted, span };
    if (pending.length) this.s.pendingKeywordErrors.set(call, pending);
    this.s.raw.set(call, c);
    return call;
  }

  private toKeyword(item: A.Node, pending?: Diagnostic[]): A.Keyword | undefined {
    if (item.kind === "assign" && item.op === undefined && !item.dotted && item.target.kind === "ident") return { name: item.target.name, value: item.value, span: item.span };
    if (item.kind === "ident") return { name: item.name, value: item, span: item.span };
    if (item.kind === "field") return { name: item.name, value: item, span: item.span };
    if (item.kind === "splat") return { name: "", value: item.arg, splat: true, span: item.span };
    const message = "invalid keyword argument: expected `name = value`, `name`, or `kws...`";
    if (pending) pending.push({ code: "parse-error", severity: "error", message, span: item.span });
    else this.s.error(message, item.span.start, item.span.end);
    return undefined;
  }

  // ---- atoms -------------------------------------------------------------------------------------

  private parseAtom(): A.Node {
    const t = this.peek();
    switch (t.kind) {
      case "ident": {
        this.bump();
        if (t.text === "nothing") return { kind: "nothing", span: this.span(t.start) };
        return { kind: "ident", name: t.text, span: this.span(t.start) };
      }
      case "number":
        this.bump();
        this.reportTokenError(t);
        return { kind: "number", text: t.text, value: t.number!.value, type: t.number!.type, span: this.span(t.start) };
      case "string":
        this.bump();
        return this.stringLiteral(t);
      case "char":
        this.bump();
        this.reportTokenError(t);
        return { kind: "char", value: t.char ?? "", span: this.span(t.start) };
      case "(":
        this.bump();
        return this.parseParen(t);
      case "[": {
        this.bump();
        return this.parseCat(t, false);
      }
      case "{": {
        this.bump();
        this.s.error("`{ }` braces are only valid after a type name (`Vector{Float32}`) or `where`", t.start, t.end);
        const args = this.with({ newlineWs: true, spaceSensitive: false }, () => this.parseCommaList("}", t));
        return { kind: "tuple", elements: args, span: this.span(t.start) };
      }
      case "@":
        return this.parseMacroCall(undefined);
      case "keyword":
        if (t.text === "true" || t.text === "false") {
          this.bump();
          return { kind: "bool", value: t.text === "true", span: this.span(t.start) };
        }
        if ((t.text === "end" || t.text === "begin") && this.ctx.endSymbol) {
          this.bump();
          return { kind: "ident", name: t.text, span: this.span(t.start) };
        }
        this.s.error(`unexpected \`${t.text}\``, t.start, t.end);
        return this.errorNode(t.start);
      case "op":
        return this.parseOperatorAtom(t);
      case "error":
        this.bump();
        this.s.error(t.error ?? `unexpected \`${t.text}\``, t.start, t.end);
        return this.errorNode(t.start, t.end);
      case ".":
        if (this.peek(1).kind === ")") {
          // `:(.)`: the field-access operator named on its own
          this.bump();
          return { kind: "ident", name: ".", operator: true, span: this.span(t.start) };
        }
        this.s.error("unexpected `.`", t.start, t.end);
        return this.errorNode(t.start);
      case "eof":
        this.s.error("unexpected end of file: expected an expression", t.start, t.start);
        return this.errorNode(t.start);
      case "nl":
        this.s.error("unexpected end of line: expected an expression", t.start, t.start);
        return this.errorNode(t.start);
      default:
        this.s.error(`unexpected ${describeToken(t)}`, t.start, t.end);
        return this.errorNode(t.start);
    }
  }

  /** `:name` symbols, `:(expr)` quotes, a lone `:` (all of a dimension), and operators used as values (`+`). */
  private parseOperatorAtom(t: Token): A.Node {
    if (this.isOp(t, ":")) {
      this.bump();
      const n = this.peekRaw();
      if (!n.spaceBefore && n.kind !== "eof") {
        if (n.kind === "ident" || n.kind === "keyword" || n.kind === "." || (n.kind === "op" && n.text !== "'")) {
          this.bump();
          return { kind: "symbol", name: (n.dotted ? "." : "") + n.text, span: this.span(t.start) };
        }
        if (n.kind === "(") {
          const open = this.bump();
          const inner = this.parseParen(open);
          return { kind: "quote", body: inner.kind === "paren" ? inner.expr : inner, span: this.span(t.start) };
        }
        if (n.kind === "number" || n.kind === "string" || n.kind === "char") return this.parseAtom();
      }
      return { kind: "ident", name: ":", operator: true, span: this.span(t.start) };
    }
    const next = this.toks[this.indexOfPeek() + 1]!;
    if ((SYNTACTIC_OPS.has(t.text) || updateOperator(t.text) !== undefined || t.text === "::" || t.text === "$" || t.text === "&") && next.kind === ")") {
      // `:(=)`, `:(->)`: a syntactic operator named on its own inside parentheses.
      this.bump();
      return { kind: "ident", name: (t.dotted ? "." : "") + t.text, operator: true, span: this.span(t.start) };
    }
    if (SYNTACTIC_OPS.has(t.text) && t.text !== "=>" || updateOperator(t.text) !== undefined) {
      this.s.error(`unexpected ${describeToken(t)}`, t.start, t.end);
      this.bump();
      return this.errorNode(t.start, t.end);
    }
    this.bump();
    return { kind: "ident", name: (t.dotted ? "." : "") + t.text, operator: true, span: this.span(t.start) };
  }

  private reportTokenError(t: Token): void {
    if (t.error === NESTING_TOO_DEEP) this.s.fatal(t.error, t.start, t.end);
    else if (t.error) this.s.error(t.error, t.start, t.end);
  }

  private stringText(t: Token): string {
    return (t.parts ?? []).map((p) => (p.kind === "text" ? p.value : "")).join("");
  }

  private stringLiteral(t: Token): A.StringLit {
    this.reportTokenError(t);
    const parts: (string | A.Node)[] = [];
    for (const p of t.parts ?? []) {
      if (p.kind === "text") parts.push(p.value);
      else parts.push(this.parseInterpolation(p));
    }
    if (t.cmd) this.s.unsupported("command literals (backticks) are not supported", t.start, t.end);
    return { kind: "string", parts, span: this.span(t.start, t.end) };
  }

  private parseInterpolation(p: StringInterp): A.Node {
    const sub = new Parser(p.tokens, this.s);
    if (p.tokens[0]!.kind === "eof") return this.errorNode(p.start, p.end);
    const e = sub.with({ ...NORMAL, newlineWs: true }, () => sub.parseEq());
    const rest = sub.peek();
    if (rest.kind !== "eof") this.s.error(`unexpected ${describeToken(rest)} in string interpolation`, rest.start, rest.end);
    if (e.kind === "tuple" && !this.s.raw.has(e)) this.s.error("a tuple cannot be interpolated into a string; interpolate each element", e.span.start, e.span.end);
    return e;
  }

  /** After `(`: `()`, `(x)`, `(a, b)`, `(a=1, b=2)`, `(; a, b)`, `(x for x in xs)`, `(a; b)`. */
  private parseParen(open: Token): A.Node {
    const contents = this.parseBracketContents(")", open);
    return this.parenFromContents(open, contents);
  }

  private parenFromContents(open: Token, c: BracketContents): A.Node {
    const span = this.span(open.start, c.closeEnd);
    let node: A.Node;
    const isNamed = (n: A.Node): boolean => n.kind === "assign" && n.op === undefined && !n.dotted && n.target.kind === "ident";
    if (c.initialSemicolon) {
      // (; a, b), (; a=1): a named tuple
      const fields: A.NamedTupleExpr["fields"] = [];
      for (const item of c.params.flat()) {
        const kw = this.toKeyword(item);
        if (kw && !kw.splat) fields.push({ name: kw.name, value: kw.value, span: kw.span });
        else if (kw?.splat) this.s.unsupported("splatting into a named tuple is not supported", item.span.start, item.span.end);
      }
      node = { kind: "namedtuple", fields, span };
    } else if (c.params.length > 0) {
      if (c.hadComma) {
        // (x; y): only meaningful as a lambda's parameter list; elsewhere Julia rejects it too.
        node = { kind: "tuple", elements: c.items, span };
      } else {
        // (a; b): a block in parentheses
        const stmts = [...c.items, ...c.params.flat()];
        const block: A.Block = { kind: "block", stmts, span: this.span(open.end, c.closeEnd - 1) };
        node = { kind: "paren", expr: { kind: "begin", body: block, span }, span };
      }
    } else if (c.items.length === 0) {
      node = { kind: "tuple", elements: [], span };
    } else if (c.items.length === 1 && !c.hadComma) {
      const only = c.items[0]!;
      if (only.kind === "splat") node = { kind: "tuple", elements: [only], span };
      else if (only.kind === "comprehension" && only.generator) node = { ...only, span };
      else node = { kind: "paren", expr: only, span };
    } else if (c.items.every(isNamed)) {
      node = {
        kind: "namedtuple",
        fields: c.items.map((n) => {
          const a = n as A.Assign;
          return { name: (a.target as A.Ident).name, value: a.value, span: a.span };
        }),
        span,
      };
    } else {
      if (c.items.some(isNamed)) {
        const bad = c.items.find(isNamed)!;
        this.s.error("cannot mix named (`a = 1`) and positional elements in a tuple", bad.span.start, bad.span.end);
      }
      node = { kind: "tuple", elements: c.items, span };
    }
    this.s.raw.set(node, c);
    return node;
  }

  /**
   * After `[`: `[]`, `[a, b]` (vect), `[a b]` (hcat), `[a; b]` / newline-separated (vcat),
   * `[a b; c d]`, `[f(x) for x in xs]`. Whitespace separates elements; newlines separate rows.
   */
  private parseCat(open: Token, indexing: boolean): A.ArrayLit | A.Comprehension {
    // Context switched inline rather than through with(): one bracket level is then two stack frames fewer.
    const saved = this.ctx;
    this.ctx = internContext(saved, { spaceSensitive: true, newlineWs: false, rangeColon: true, whereEnabled: true, forGenerator: true, endSymbol: indexing || this.ctx.endSymbol });
    try {
      const rows: A.Node[][] = [[]];
      let form: A.ArrayLit["form"] = "vect";
      const done = (): A.ArrayLit => ({ kind: "array", form, rows, span: this.span(open.start) });
      this.skipNewlines();
      if (this.peek().kind === "]") {
        this.bump();
        return done();
      }
      const first = this.parseEqStar();
      if (this.isKw(this.peekAfterNewlines(), "for")) {
        this.skipNewlines();
        const gen = this.parseGenerator(first, true);
        this.skipNewlines();
        this.expect("]", "`]`", open);
        return { ...gen, generator: false, span: this.span(open.start) };
      }
      rows[0]!.push(first);
      if (this.peekAfterNewlines().kind === ",") {
        this.skipNewlines();
        this.with({ newlineWs: true }, () => {
          while (this.peek().kind === ",") {
            this.bump();
            if (this.peek().kind === "]") break;
            rows[0]!.push(this.parseEqStar());
          }
          const t = this.peek();
          if (t.kind === ";") {
            this.s.error("unexpected `;` after comma-separated array elements", t.start, t.end);
            this.recoverToCloser("]");
          }
          this.closeBracket(open);
        });
        return done();
      }
      let rowSep = false;
      let afterSeparator = false;
      for (;;) {
        const t = this.peekRaw();
        if (t.kind === "]") {
          this.bump();
          break;
        }
        if (t.kind === "nl" || t.kind === ";") {
          let semi = t.kind === ";";
          this.skipNewlines();
          if (this.peekRaw().kind === ";") {
            semi = true;
            this.bump();
            if (this.peekRaw().kind === ";") {
              const u = this.peekRaw();
              this.s.unsupported("`;;` (n-dimensional array concatenation) is not supported", t.start, u.end);
              while (this.peekRaw().kind === ";") this.bump();
            }
          } else if (semi) {
            this.bump();
          }
          this.skipNewlines();
          if (this.peekRaw().kind === "]") {
            if (semi || rowSep) rowSep = true;
            continue;
          }
          rowSep = true;
          rows.push([]);
          afterSeparator = true;
          continue;
        }
        if (t.kind === "eof" || t.kind === ")" || t.kind === "}" || t.kind === "," || (t.kind === "keyword" && BLOCK_CONTINUATIONS.has(t.text) && !(t.text === "end" && this.ctx.endSymbol))) {
          if (t.kind === ",") {
            this.s.error("unexpected `,` in a matrix expression: separate elements of a row with spaces only", t.start, t.end);
            this.bump();
            continue;
          }
          this.expect("]", "`]`", open);
          break;
        }
        if (!t.spaceBefore && !afterSeparator) this.s.error(`unexpected ${describeToken(t)}: separate array elements with a space or a comma`, t.start, t.end);
        afterSeparator = false;
        const before = this.i;
        rows[rows.length - 1]!.push(this.parseEqStar());
        if (this.i === before) this.bump();
      }
      if (rowSep) form = "vcat";
      else if (rows[0]!.length > 1) form = "hcat";
      if (rows.length > 1 && rows[rows.length - 1]!.length === 0) rows.pop();
      return done();
    } finally {
      this.ctx = saved;
    }
  }

  private closeBracket(open: Token): void {
    const t = this.peek();
    if (t.kind === "]") this.bump();
    else {
      this.expect("]", "`]`", open);
      this.recoverToCloser("]");
    }
  }

  private recoverToCloser(closer: "]" | ")"): void {
    let depth = 0;
    for (;;) {
      const t = this.peekRaw();
      if (t.kind === "eof") return;
      if (t.kind === "(" || t.kind === "[" || t.kind === "{") depth++;
      else if (t.kind === ")" || t.kind === "]" || t.kind === "}") {
        if (depth === 0) {
          if (t.kind === closer) this.bump();
          return;
        }
        depth--;
      }
      this.i++;
    }
  }

  /** `body for x in xs, y in ys if cond for z in zs`: a generator (or the inside of a comprehension). */
  private parseGenerator(body: A.Node, inBrackets: boolean): A.Comprehension {
    return this.with({ newlineWs: inBrackets ? false : this.ctx.newlineWs, spaceSensitive: false, forGenerator: false }, () => {
      const iterations: A.Comprehension["iterations"] = [];
      let filter: A.Node | undefined;
      while (this.isKw(this.peek(), "for")) {
        this.bump();
        iterations.push(this.parseIterationSpecs());
        if (inBrackets && this.isKw(this.peekAfterNewlines(), "if")) this.skipNewlines();
        if (this.isKw(this.peek(), "if")) {
          this.bump();
          const cond = this.parseEqStar();
          filter = filter ? { kind: "and", left: filter, right: cond, span: this.span(filter.span.start) } : cond;
        }
        if (inBrackets) {
          // newlines are allowed inside the brackets before another `for`
          if (this.isKw(this.peekAfterNewlines(), "for")) this.skipNewlines();
        }
      }
      return { kind: "comprehension", body, iterations, filter, generator: true, span: this.span(body.span.start) };
    });
  }

  private parseIterationSpecs(): { target: A.Node; iter: A.Node; span: Span }[] {
    const specs = [this.parseIterationSpec()];
    while (this.peek().kind === ",") {
      this.bump();
      specs.push(this.parseIterationSpec());
    }
    return specs;
  }

  /** `i in xs`, `i = 1:n`, `i ∈ xs`, `(i, x) in pairs`. */
  private parseIterationSpec(): { target: A.Node; iter: A.Node; span: Span } {
    this.skipNewlines();
    const target = this.with(SPACE_SENSITIVE, this.downPipeLt);
    const t = this.peek();
    if (this.isIdent(t, "in") || this.isOp(t, "∈") || this.isOp(t, "=")) {
      this.bump();
      const iter = this.parsePipeLt();
      return { target, iter, span: this.span(target.span.start) };
    }
    this.s.error(`invalid iteration specification: expected \`in\`, \`=\` or \`∈\`, found ${describeToken(t)}`, t.start, t.end);
    return { target, iter: this.errorNode(t.start), span: this.span(target.span.start) };
  }

  // ---- macros ------------------------------------------------------------------------------------

  /** `@name args...`, `@name(args)`, `@.`, `Mod.@name` (qualifier already parsed, `.` consumed). */
  private parseMacroCall(qualifier: A.Node | undefined): A.Node {
    const at = this.bump(); // @
    const start = qualifier ? qualifier.span.start : at.start;
    const n = this.peekRaw();
    let name: string;
    if (n.kind === "ident" || n.kind === "keyword") {
      if (n.spaceBefore) this.s.error("whitespace is not allowed after `@` in a macro name", at.start, n.start);
      this.bump();
      name = "@" + n.text;
      // @A.foo: a qualified macro name written with the `@` first
      while (!qualifier && this.peekRaw().kind === "." && !this.peekRaw().spaceBefore && this.toks[this.i + 1]!.kind === "ident" && !this.toks[this.i + 1]!.spaceBefore) {
        const q: A.Node = qualifier ?? { kind: "ident", name: name.slice(1), span: this.span(n.start, n.end) };
        this.bump();
        const part = this.bump();
        qualifier = q;
        name = "@" + part.text;
      }
    } else if (n.kind === ".") {
      this.bump();
      name = "@.";
    } else if (n.kind === "op" && !n.spaceBefore) {
      this.bump();
      name = "@" + (n.dotted ? "." : "") + n.text;
    } else {
      this.s.error(`expected a macro name after \`@\`, found ${describeToken(n)}`, n.start, n.end);
      return this.errorNode(at.start);
    }
    const args: A.Node[] = [];
    const next = this.peekRaw();
    if (next.kind === "(" && !next.spaceBefore) {
      // @foo(a, b): parenthesized arguments
      this.bump();
      const c = this.parseBracketContents(")", next);
      args.push(...c.items, ...c.params.flat());
      const call: A.MacroCall = { kind: "macrocall", name, qualifier, args, span: this.span(start) };
      return this.parseCallChain(call);
    }
    if (next.kind === "{" && !next.spaceBefore) {
      // @NamedTuple{a::Int}: the braces' contents are the arguments
      this.bump();
      args.push(...this.with(IN_BRACES, () => this.parseCommaList("}", next)));
      return this.parseCallChain({ kind: "macrocall", name, qualifier, args, span: this.span(start) });
    }
    if (next.kind === "[" && !next.spaceBefore) {
      this.bump();
      args.push(this.parseCat(next, false));
      return this.parseCallChain({ kind: "macrocall", name, qualifier, args, span: this.span(start) });
    }
    // Space-separated arguments up to the end of the line (or a closing bracket).
    this.with({ spaceSensitive: true, newlineWs: false }, () => {
      for (;;) {
        const t = this.peekRaw();
        if (t.kind === "nl" || this.isClosing(t) || (this.ctx.forGenerator && this.isKw(t, "for"))) break;
        const before = this.i;
        args.push(this.parseEq());
        if (this.i === before) break;
      }
    });
    return { kind: "macrocall", name, qualifier, args, span: this.span(start) };
  }

  // ---- keywords ----------------------------------------------------------------------------------

  private parseResword(): A.Node {
    const t = this.peek();
    const word = t.text;
    switch (word) {
      case "begin": {
        this.bump();
        const body = this.parseBlockBody(new Set(["end"]));
        this.closeBlock(t);
        return { kind: "begin", body, span: this.span(t.start) };
      }
      case "quote": {
        this.bump();
        const body = this.parseBlockBody(new Set(["end"]));
        this.closeBlock(t);
        return { kind: "quote", body, span: this.span(t.start) };
      }
      case "while": {
        this.bump();
        const cond = this.with(NORMAL, () => this.parseEqStar());
        const body = this.parseBlockBody(new Set(["end"]));
        this.closeBlock(t);
        return { kind: "while", cond, body, span: this.span(t.start) };
      }
      case "for": {
        this.bump();
        const iterations = this.with(NORMAL, () => this.parseIterationSpecs());
        const body = this.parseBlockBody(new Set(["end"]));
        this.closeBlock(t);
        return { kind: "for", iterations, body, span: this.span(t.start) };
      }
      case "let":
        return this.parseLet(t);
      case "if":
        return this.parseIf(t);
      case "function":
      case "macro":
        return this.parseFunction(t);
      case "struct":
        return this.parseStruct(t, t, false);
      case "mutable": {
        this.bump();
        const kw = this.peek();
        return this.parseStruct(t, kw, true);
      }
      case "abstract":
      case "primitive":
        return this.parseAbstract(t);
      case "module":
      case "baremodule": {
        this.bump();
        const nameTok = this.peek();
        let name = "";
        if (nameTok.kind === "ident") {
          this.bump();
          name = nameTok.text;
        } else this.s.error(`expected a module name after \`${word}\`, found ${describeToken(nameTok)}`, nameTok.start, nameTok.end);
        const body = this.parseBlockBody(new Set(["end"]));
        this.closeBlock(t);
        return { kind: "module", name, body, bare: word === "baremodule", span: this.span(t.start) };
      }
      case "return": {
        this.bump();
        const n = this.peekRaw();
        if (n.kind === "nl" || this.isClosing(n)) return { kind: "return", span: this.span(t.start) };
        const value = this.parseEq();
        return { kind: "return", value, span: this.span(t.start) };
      }
      case "break":
        this.bump();
        return { kind: "break", span: this.span(t.start) };
      case "continue":
        this.bump();
        return { kind: "continue", span: this.span(t.start) };
      case "local":
      case "global":
      case "const": {
        this.bump();
        const e = this.parseEq();
        const targets = e.kind === "tuple" ? e.elements : [e];
        if (word === "const" && !(e.kind === "assign" || e.kind === "local" || e.kind === "global")) {
          this.s.error("expected an assignment after `const`", e.span.start, e.span.end);
        }
        return { kind: word, targets, span: this.span(t.start) };
      }
      case "using":
      case "import":
        return this.parseUsing(t);
      case "export":
        return this.parseExport(t);
      case "try":
        return this.parseTry(t);
      default:
        this.s.error(`unexpected \`${word}\``, t.start, t.end);
        this.bump();
        return this.errorNode(t.start, t.end);
    }
  }

  private parseLet(kw: Token): A.Let {
    this.bump();
    const bindings: A.Node[] = [];
    this.with(NORMAL, () => {
      const first = this.peekRaw();
      if (first.kind === "nl" || first.kind === ";") return;
      bindings.push(this.parseEqStar());
      while (this.peek().kind === ",") {
        this.bump();
        bindings.push(this.parseEqStar());
      }
    });
    const body = this.parseBlockBody(new Set(["end"]));
    this.closeBlock(kw);
    return { kind: "let", bindings, body, span: this.span(kw.start) };
  }

  private parseIf(kw: Token): A.If {
    this.bump();
    const branches: A.If["branches"] = [];
    let elseBlock: A.Block | undefined;
    let clause = kw;
    const terms = new Set(["end", "else", "elseif"]);
    for (;;) {
      const cond = this.with(NORMAL, () => this.parseCondition(clause));
      const body = this.parseBlockBody(terms);
      branches.push({ cond, body, span: this.span(clause.start) });
      const t = this.peekRaw();
      if (this.isKw(t, "elseif")) {
        clause = this.bump();
        continue;
      }
      if (this.isKw(t, "else")) {
        const elseTok = this.bump();
        if (this.isKw(this.peekRaw(), "if")) {
          const n = this.peekRaw();
          this.s.error("use `elseif` instead of `else if`", elseTok.start, n.end);
        }
        elseBlock = this.parseBlockBody(new Set(["end"]));
      }
      break;
    }
    this.closeBlock(kw);
    return { kind: "if", branches, else: elseBlock, span: this.span(kw.start) };
  }

  private parseCondition(clause: Token): A.Node {
    const t = this.peekRaw();
    if (t.kind === "nl" || this.isClosing(t)) {
      this.s.error(`expected a condition after \`${clause.text}\``, clause.start, clause.end);
      return this.errorNode(clause.end);
    }
    return this.parseEqStar();
  }

  private parseFunction(kw: Token): A.Node {
    this.bump();
    this.skipNewlines();
    const isMacro = kw.text === "macro";
    const n = this.peek();
    // `function f end`: a function with no methods yet
    if ((n.kind === "ident" || n.kind === "op") && (this.isKw(this.toks[this.indexOfPeek() + 1]!, "end") || this.toks[this.indexOfPeek() + 1]!.kind === "nl")) {
      const after = this.toks[this.indexOfPeek() + 1]!;
      if (this.isKw(after, "end") || this.isKw(this.peekAfter(this.indexOfPeek() + 1), "end")) {
        this.bump();
        this.skipNewlines();
        this.closeBlock(kw);
        const nameSpan = this.span(n.start, n.end);
        return { kind: "function", name: n.text, params: [], kwparams: [], whereParams: [], body: { kind: "block", stmts: [], span: nameSpan }, short: false, nameSpan, noMethods: true, span: this.span(kw.start) };
      }
    }
    const sig = this.with({ ...NORMAL, whereEnabled: false }, () => {
      let s = this.parseCallChain(this.parseUnaryPrefix());
      if (this.isOp(this.peek(), "::")) {
        this.bump();
        const type = this.parseCall();
        s = { kind: "typeassert", expr: s, type, span: this.span(s.span.start) };
      }
      return s;
    });
    let whereSig: A.Node = sig;
    while (this.isIdent(this.peek(), "where")) {
      this.bump();
      const params = this.parseWhereParams();
      whereSig = { kind: "where", body: whereSig, params, span: this.span(sig.span.start) };
    }
    const body = this.parseBlockBody(new Set(["end"]));
    this.closeBlock(kw);
    const span = this.span(kw.start);
    if (isMacro) {
      this.s.unsupported("macro definitions are not supported", kw.start, sig.span.end);
    }
    // `function (x, y) ... end`: anonymous
    const core = unwrapSignature(whereSig);
    if (core.call.kind === "tuple" || (core.call.kind === "paren" && !isEventuallyCallNode(core.call)) || core.call.kind === "namedtuple") {
      const { params, kwparams } = this.lambdaParams(core.call);
      return { kind: "lambda", params, kwparams, body, span };
    }
    return this.functionFromSignature(whereSig, body, false, span);
  }

  private peekAfter(i: number): Token {
    while (this.toks[i]!.kind === "nl") i++;
    return this.toks[i]!;
  }

  private parseStruct(start: Token, kw: Token, mutable: boolean): A.Node {
    if (!this.isKw(kw, "struct")) {
      this.s.error("expected `struct` after `mutable`", kw.start, kw.end);
      return this.errorNode(start.start);
    }
    this.bump();
    const head = this.with({ ...NORMAL }, () => this.parseComparison());
    let nameNode = head;
    let supertype: A.Node | undefined;
    if (head.kind === "subtype" && head.op === "<:" && head.left) {
      nameNode = head.left;
      supertype = head.right;
    }
    const { name, typeParams } = this.typeName(nameNode);
    const body = this.parseBlockBody(new Set(["end"]));
    this.closeBlock(start, mutable ? "mutable struct" : "struct");
    const fields: A.StructField[] = [];
    const constructors: A.FunctionDef[] = [];
    for (const stmt of body.stmts) this.structMember(stmt, fields, constructors);
    return { kind: "struct", name, mutable, typeParams, supertype, fields, constructors, span: this.span(start.start) };
  }

  private structMember(stmt: A.Node, fields: A.StructField[], constructors: A.FunctionDef[]): void {
    const field = (n: A.Node, dflt?: A.Node): boolean => {
      if (n.kind === "ident") {
        fields.push({ name: n.name, default: dflt, span: stmt.span });
        return true;
      }
      if (n.kind === "typeassert" && n.expr.kind === "ident") {
        fields.push({ name: n.expr.name, type: n.type, default: dflt, span: stmt.span });
        return true;
      }
      return false;
    };
    if (field(stmt)) return;
    if (stmt.kind === "assign" && !stmt.op && !stmt.dotted && field(stmt.target, stmt.value)) return;
    if (stmt.kind === "function") {
      constructors.push(stmt);
      return;
    }
    if (stmt.kind === "const" && stmt.targets.length === 1) return this.structMember(stmt.targets[0]!, fields, constructors);
    if (stmt.kind === "string") return; // a field's docstring
    if (stmt.kind === "global" || stmt.kind === "local") return; // scope declarations for inner methods
    if (stmt.kind === "macrocall" && stmt.args.length === 1 && stmt.args[0]!.kind === "function") {
      constructors.push(stmt.args[0] as A.FunctionDef);
      return;
    }
    this.s.error("expected a field (`name` or `name::Type`) or an inner constructor in a struct body", stmt.span.start, stmt.span.end);
  }

  /** `Name` or `Name{T, S<:Real}` in a type definition. */
  private typeName(n: A.Node): { name: string; typeParams: A.Node[] } {
    if (n.kind === "ident") return { name: n.name, typeParams: [] };
    if (n.kind === "curly" && n.target.kind === "ident") return { name: n.target.name, typeParams: n.args };
    this.s.error("expected a type name, optionally with parameters (`Name{T}`)", n.span.start, n.span.end);
    return { name: "<error>", typeParams: [] };
  }

  private parseAbstract(t: Token): A.Node {
    this.bump(); // abstract / primitive
    this.bump(); // type
    const head = this.with({ ...NORMAL }, () => this.parseComparison());
    let nameNode = head;
    let supertype: A.Node | undefined;
    if (head.kind === "subtype" && head.op === "<:" && head.left) {
      nameNode = head.left;
      supertype = head.right;
    }
    if (t.text === "primitive") {
      this.with(NORMAL, () => {
        if (this.peekRaw().kind !== "nl") this.parseEqStar();
      });
    }
    this.skipSeparators();
    this.closeBlock(t, `${t.text} type`);
    if (t.text === "primitive") {
      this.s.unsupported("primitive type definitions are not supported", t.start, this.lastEnd);
      return this.errorNode(t.start, this.lastEnd);
    }
    const { name, typeParams } = this.typeName(nameNode);
    return { kind: "abstracttype", name, typeParams, supertype, span: this.span(t.start) };
  }

  private parseUsing(kw: Token): A.Using {
    this.bump();
    const modules: string[][] = [];
    let names: A.Using["names"];
    this.with({ ...NORMAL }, () => {
      for (;;) {
        modules.push(this.parseImportPath());
        const t = this.peek();
        if (this.isOp(t, ":") && modules.length === 1) {
          this.bump();
          names = [];
          for (;;) {
            this.skipNewlines();
            const n = this.bump();
            let name = n.kind === "op" ? (n.dotted ? "." : "") + n.text : n.text;
            if (n.kind === "@") {
              const m = this.bump();
              name = "@" + m.text;
            } else if (n.kind !== "ident" && n.kind !== "op" && n.kind !== "keyword") {
              this.s.error(`expected a name to import, found ${describeToken(n)}`, n.start, n.end);
              break;
            }
            let alias: string | undefined;
            if (this.isIdent(this.peek(), "as")) {
              this.bump();
              alias = this.bump().text;
            }
            names.push({ name, alias, span: this.span(n.start) });
            if (this.peek().kind !== ",") break;
            this.bump();
          }
          break;
        }
        if (this.isIdent(t, "as")) {
          this.bump();
          const alias = this.bump();
          this.s.unsupported("`import M as N` is not supported; import the module by its name", t.start, alias.end);
        }
        if (this.peek().kind !== ",") break;
        this.bump();
        this.skipNewlines();
      }
    });
    return { kind: kw.text as "using" | "import", modules, names, span: this.span(kw.start) };
  }

  /** `A.B.C`, `.A` (relative), `..A`, `Base.+`. */
  private parseImportPath(): string[] {
    const path: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === ".") {
        this.bump();
        path.push(".");
      } else if (this.isOp(t, "..")) {
        this.bump();
        path.push(".", ".");
      } else if (this.isOp(t, "...")) {
        this.bump();
        path.push(".", ".", ".");
      } else break;
    }
    const first = this.peek();
    if (this.isOp(first, "$")) {
      // `using $pkg` in quoted code: kept as source text
      const interp = this.parseUnaryPrefix();
      path.push(this.s.text.slice(interp.span.start, interp.span.end));
      return path;
    }
    if (first.kind !== "ident" && !(first.kind === "op" && path.length > 0)) {
      this.s.error(`expected a module name, found ${describeToken(first)}`, first.start, first.end);
      return path;
    }
    this.bump();
    path.push(first.text);
    for (;;) {
      const t = this.peekRaw();
      if (t.kind === "." && !t.spaceBefore) {
        const n = this.toks[this.i + 1]!;
        this.bump();
        if (n.kind === "ident" || n.kind === "op") {
          this.bump();
          path.push(n.text);
        } else this.s.error(`expected a name after \`.\`, found ${describeToken(n)}`, n.start, n.end);
      } else if (t.kind === "op" && t.dotted && !t.spaceBefore) {
        // `Base.+` lexes as a dotted operator
        this.bump();
        path.push(t.text);
      } else return path;
    }
  }

  private parseExport(kw: Token): A.Node {
    this.bump();
    const names: A.Export["names"] = [];
    this.with(NORMAL, () => {
      for (;;) {
        const n = this.bump();
        if (n.kind === "@") {
          const m = this.bump();
          names.push({ name: "@" + m.text, span: this.span(n.start) });
        } else if (n.kind === "ident" || n.kind === "op") names.push({ name: n.text, span: this.span(n.start) });
        else {
          this.s.error(`expected a name to export, found ${describeToken(n)}`, n.start, n.end);
          break;
        }
        if (this.peek().kind !== ",") break;
        this.bump();
        this.skipNewlines();
      }
    });
    return { kind: "export", names, span: this.span(kw.start) };
  }

  private parseTry(kw: Token): A.Node {
    this.bump();
    const body = this.parseBlockBody(new Set(["catch", "finally", "end"]));
    let catchVar: A.Ident | undefined;
    let catchBody: A.Block | undefined;
    let finallyBody: A.Block | undefined;
    for (;;) {
      const t = this.peekRaw();
      if (this.isKw(t, "catch") && !catchBody) {
        this.bump();
        const n = this.peekRaw();
        if (n.kind === "ident") {
          this.bump();
          catchVar = { kind: "ident", name: n.text, span: this.span(n.start) };
        }
        catchBody = this.parseBlockBody(new Set(["finally", "end"]));
      } else if (this.isKw(t, "finally") && !finallyBody) {
        this.bump();
        finallyBody = this.parseBlockBody(new Set(["catch", "end"]));
      } else break;
    }
    this.closeBlock(kw);
    return { kind: "try", body, catchVar, catchBody, finallyBody, span: this.span(kw.start) };
  }

  // ---- functions and parameters ------------------------------------------------------------------

  /** `f(x) = ...`, `f(x)::T = ...`, `f(x) where T = ...`, `a + b = ...`, `-(x) = ...`. */
  private isEventuallyCall(n: A.Node): boolean {
    return isEventuallyCallNode(n);
  }

  private shortFunction(lhs: A.Node, rhs: A.Node, span: Span): A.Node {
    return this.functionFromSignature(lhs, rhs, true, span);
  }

  private functionFromSignature(sig: A.Node, body: A.Node, short: boolean, span: Span): A.FunctionDef {
    const { call, whereParams, returnType } = unwrapSignature(sig);
    const def: A.FunctionDef = { kind: "function", params: [], kwparams: [], whereParams, returnType, body, short, nameSpan: call.span, span };
    const setName = (callee: A.Node): void => {
      if (callee.kind === "ident") {
        def.name = callee.name;
        def.nameSpan = callee.span;
      } else if (callee.kind === "field") {
        def.name = callee.name;
        def.qualifier = callee.target;
        def.nameSpan = callee.nameSpan;
      } else if (callee.kind === "paren" && (callee.expr.kind === "typeassert" || (callee.expr.kind === "unary" && callee.expr.op === "::"))) {
        def.functor = this.toParam(callee.expr);
        def.nameSpan = callee.span;
      } else if (callee.kind === "paren" && callee.expr.kind === "ident") {
        setName(callee.expr);
      } else if (callee.kind === "paren" && callee.expr.kind === "macrocall" && callee.expr.args.length === 0) {
        def.name = callee.expr.name; // `function (@main)(args)`
        def.nameSpan = callee.expr.span;
      } else if (callee.kind === "interpolation") {
        // `function $(name)(x) ... end` inside quoted code: the name is an interpolation, kept as source text.
        def.name = this.s.text.slice(callee.span.start, callee.span.end);
        def.nameSpan = callee.span;
      } else if (callee.kind === "curly") {
        // `Point{T}(x) where T = ...` defines a method of the type `Point{T}`: `(::Type{Point{T}})(x)`.
        const typeOf: A.Curly = { kind: "curly", target: { kind: "ident", name: "Type", span: callee.span }, args: [callee], span: callee.span };
        def.functor = { type: typeOf, span: callee.span };
        def.nameSpan = callee.span;
      } else {
        this.s.error("invalid function name", callee.span.start, callee.span.end);
      }
    };
    if (call.kind === "call") {
      this.s.pendingKeywordErrors.delete(call);
      setName(call.callee);
      if (call.dotted) this.s.error("a broadcast call `f.(x)` cannot be a function signature", call.span.start, call.span.end);
      const raw = this.s.raw.get(call);
      const positional = raw ? raw.items : call.args;
      const named = raw ? raw.params.flat() : [];
      for (const a of positional) {
        const p = this.toParam(a);
        if (p) def.params.push(p);
      }
      for (const a of named) {
        const p = this.toParam(a);
        if (p) def.kwparams.push(p);
      }
    } else if (call.kind === "unary") {
      def.name = call.op;
      def.nameSpan = { ...call.span, end: call.span.start + call.op.length };
      const arg = call.arg.kind === "paren" ? call.arg.expr : call.arg;
      const p = this.toParam(arg);
      if (p) def.params.push(p);
    } else if (call.kind === "binary" || (call.kind === "comparison" && call.ops.length === 1)) {
      const [op, left, right, opSpan] = call.kind === "binary" ? [call.op, call.left, call.right, call.opSpan] : [call.ops[0]!.op, call.operands[0]!, call.operands[1]!, call.ops[0]!.span];
      def.name = op;
      def.nameSpan = opSpan;
      for (const a of [left, right]) {
        const p = this.toParam(a);
        if (p) def.params.push(p);
      }
    } else if (call.kind === "ident" || call.kind === "field") {
      // `function f() end` with a missing argument list
      this.s.error("expected an argument list `(...)` after the function name", call.span.end, call.span.end);
      setName(call);
    } else {
      this.s.error("invalid function signature", call.span.start, call.span.end);
    }
    return def;
  }

  /** Converts a parameter as parsed (an expression) to a Param. */
  private toParam(n: A.Node): A.Param | undefined {
    switch (n.kind) {
      case "ident":
        return { name: n.name, span: n.span };
      case "typeassert": {
        const inner = n.expr.kind === "ident" ? { name: n.expr.name } : n.expr.kind === "tuple" || n.expr.kind === "paren" ? { pattern: n.expr } : undefined;
        if (!inner) break;
        return { ...inner, type: n.type, span: n.span };
      }
      case "unary":
        if (n.op === "::") return { type: n.arg, span: n.span };
        break;
      case "assign":
        if (!n.op && !n.dotted) {
          const p = this.toParam(n.target);
          if (p) return { ...p, default: n.value, span: n.span };
        }
        break;
      case "splat": {
        const p = this.toParam(n.arg);
        if (p) return { ...p, vararg: true, span: n.span };
        break;
      }
      case "tuple":
      case "namedtuple":
        return { pattern: n, span: n.span };
      case "paren":
        if (n.expr.kind === "tuple") return { pattern: n.expr, span: n.span };
        return this.toParam(n.expr);
      case "macrocall":
        // `@Const(src)`, `@nospecialize(x)`: an annotation on the parameter; the parameter is what it wraps.
        if (n.args.length === 1) return this.toParam(n.args[0]!);
        break;
      default:
        break;
    }
    this.s.error("invalid function parameter: expected `name`, `name::Type`, `::Type`, `name = default` or `name...`", n.span.start, n.span.end);
    return undefined;
  }

  /** The left side of `->` (or `function (x, y)`): `x`, `x::T`, `(x, y)`, `(x; k=1)`, `()`. */
  private lambdaParams(e: A.Node): { params: A.Param[]; kwparams: A.Param[] } {
    const params: A.Param[] = [];
    const kwparams: A.Param[] = [];
    const raw = this.s.raw.get(e);
    let items: A.Node[];
    let named: A.Node[] = [];
    if (raw && (e.kind === "tuple" || e.kind === "namedtuple" || e.kind === "paren")) {
      items = raw.items;
      named = raw.params.flat();
      if (e.kind === "paren" && e.expr.kind === "begin") {
        // `(x; k=1) -> ...` parsed as a block: the first item is positional, the rest keywords.
        items = raw.items;
      }
    } else items = [e];
    for (const it of items) {
      const p = this.toParam(it);
      if (p) params.push(p);
    }
    for (const it of named) {
      const p = this.toParam(it);
      if (p) kwparams.push(p);
    }
    return { params, kwparams };
  }
}

// ---- helpers ---------------------------------------------------------------------------------------

/** Operators that are also prefix operators, for the whitespace rule inside `[ ]` (`[x -y]`, `[a $b]`, `[a &b]`). */
function isPrefixToo(t: Token): boolean {
  return BOTH_UNARY_BINARY.has(t.text) || (!t.dotted && (t.text === "$" || t.text === "&"));
}

function isUnaryOp(t: Token): boolean {
  if (t.suffixed) return false;
  if (!t.dotted && (t.text === "<:" || t.text === ">:")) return true;
  return UNARY_OPS.has(t.text);
}

/** A number literal, possibly in parentheses: `2(x)` and `(2)(3)` multiply rather than call. */
function isNumberish(n: A.Node): boolean {
  if (n.kind === "number") return true;
  if (n.kind === "paren") return isNumberish(n.expr);
  return false;
}

function isBaseEltype(n: A.Node): boolean {
  if (n.kind === "ident") return BASE_ELTYPES.has(n.name);
  if (n.kind === "curly") return true;
  return false;
}

function isEventuallyCallNode(n: A.Node): boolean {
  switch (n.kind) {
    case "call":
      return !n.dotted;
    case "typeassert":
      return isEventuallyCallNode(n.expr);
    case "where":
      return isEventuallyCallNode(n.body);
    case "paren":
      return n.expr.kind === "call" || n.expr.kind === "typeassert" || n.expr.kind === "where" ? isEventuallyCallNode(n.expr) : false;
    case "unary":
      return n.op !== "::" && n.op !== "&" && !n.dotted;
    case "binary":
      return !n.dotted && !n.juxtaposed;
    case "comparison":
      return n.ops.length === 1 && !n.ops[0]!.dotted;
    default:
      return false;
  }
}

/** Peels `where` clauses, a return type and parentheses off a signature, down to the call. */
function unwrapSignature(sig: A.Node): { call: A.Node; whereParams: A.Node[]; returnType?: A.Node } {
  const whereGroups: A.Node[][] = [];
  let returnType: A.Node | undefined;
  let n = sig;
  for (;;) {
    if (n.kind === "where") {
      whereGroups.unshift(n.params);
      n = n.body;
    } else if (n.kind === "typeassert" && returnType === undefined && isEventuallyCallNode(n.expr)) {
      returnType = n.type;
      // `f(x)::T where T = ...` parses as `f(x)::(T where T)`: the where belongs to the method.
      if (returnType.kind === "where") {
        const w = returnType;
        returnType = w.body;
        whereGroups.push(w.params);
      }
      n = n.expr;
    } else if (n.kind === "paren" && isEventuallyCallNode(n.expr) && n.expr.kind !== "call") {
      n = n.expr;
    } else if (n.kind === "paren" && n.expr.kind === "call") {
      n = n.expr;
    } else break;
  }
  return { call: n, whereParams: whereGroups.flat(), returnType };
}

function signedLiteral(num: Token, negative: boolean, span: Span, text: string): A.NumberLit {
  let value = num.number!.value;
  let type = num.number!.type;
  if (negative) {
    if (typeof value === "bigint") {
      value = -value;
      if (value >= -(1n << 63n)) type = type === "Int128" ? "Int64" : type;
      if (value >= -BigInt(Number.MAX_SAFE_INTEGER)) value = Number(value);
    } else value = -value;
    if (type === "Int128" && typeof value === "bigint" && value >= -(1n << 63n)) type = "Int64";
  }
  return { kind: "number", text, value, type, span };
}
