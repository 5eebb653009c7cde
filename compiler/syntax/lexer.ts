// The Julia tokenizer. It turns source text into tokens with exact offsets, and decides the
// things Julia decides lexically: a number literal's type, whether `'` starts a character or is
// the adjoint, whether `"` after an identifier is a string macro (raw) or a plain string, and
// where `$(...)` interpolations inside strings end. Whitespace and comments are not tokens, but
// every token records whether whitespace preceded it (Julia is whitespace-sensitive inside `[ ]`
// and macro calls); newlines are tokens, because they end statements.

import type { NumberLit } from "./ast.js";

export type TokenKind =
  | "ident"
  | "keyword"
  | "number"
  | "string"
  | "char"
  | "op"
  | "("
  | ")"
  | "["
  | "]"
  | "{"
  | "}"
  | ","
  | ";"
  | "@"
  | "."
  | "nl"
  | "eof"
  | "error";

export interface StringText {
  kind: "text";
  value: string;
}
/** `$name` or `$(expr)` inside a string: the tokens of the interpolated expression (ending in an `eof` token). */
export interface StringInterp {
  kind: "interp";
  tokens: Token[];
  /** `$(...)` (true) or `$name` (false). */
  paren: boolean;
  start: number;
  end: number;
}
export type StringPart = StringText | StringInterp;

export interface Token {
  kind: TokenKind;
  /** Source text; for identifiers the normalized name; for operators the operator without its leading dot. */
  text: string;
  start: number;
  end: number;
  /** Whitespace, a comment or a newline separates this token from the previous one. */
  spaceBefore: boolean;
  /** Operators: written with a leading dot (`.+`, `.=`, `.+=`). */
  dotted?: boolean;
  /** Operators: followed by subscript/superscript/prime suffix characters (`+₁`). */
  suffixed?: boolean;
  /** Operators: the precedence class as a binary operator (suffixes do not change it). */
  prec?: Prec;
  number?: { value: number | bigint; type: NumberLit["type"] };
  /** Strings: the pieces, with escapes processed (unless raw) and triple-quote indentation removed. */
  parts?: StringPart[];
  triple?: boolean;
  /** Strings lexed raw because an identifier immediately precedes them (`raw"..."`, `r"..."`). */
  raw?: boolean;
  /** Command strings (backticks). */
  cmd?: boolean;
  /** Character literals: the character. */
  char?: string;
  /** A lexical error in this token (unterminated string, malformed number ...). */
  error?: string;
}

/**
 * How deeply constructs may nest inside a statement: brackets, blocks, prefix operators and the
 * right operands of right-associative operators (`=`, `=>`, `^` ...) each count one level in the
 * parser, and each `$( )` inside a string one level in the lexer.
 * Measured on Node 20's default stack (~984 KiB) with a cold parser (its first parse, whose frames
 * are the bytecode interpreter's large ones), a parse overflowed at about 440 nested `function`
 * blocks, 490 `begin` blocks, 530 parentheses and 590 calls. 256 keeps a margin of 1.7 for the
 * costliest construct, for a parse started from inside the compiler (an `include`), and allows
 * far more than Julia code needs (Base and Flux nest under 30 levels); generated code that
 * nests deeper gets this located error rather than a crash.
 */
export const MAX_NESTING = 256;
export const NESTING_TOO_DEEP = `nesting deeper than ${MAX_NESTING} levels: brackets, blocks and operators nested this deep are not supported; give parts of the expression names`;

/** The error of the token that stands for a `#=` comment running to the end of the text (the last before `eof`). */
export const UNTERMINATED_COMMENT = "unterminated multi-line comment: this `#=` has no closing `=#`, so the rest of the file is a comment";

export const KEYWORDS = new Set([
  "baremodule", "begin", "break", "const", "continue", "do", "export", "for", "function", "global", "if",
  "import", "let", "local", "macro", "module", "quote", "return", "struct", "try", "using", "while",
  "catch", "finally", "else", "elseif", "end", "true", "false",
]);

// Operator characters by precedence class (Julia's own grouping, from JuliaSyntax's kinds).
const ARROW_CHARS = "←→↔↚↛↞↠↢↣↤↦↮⇎⇍⇏⇐⇒⇔⇴⇶⇷⇸⇹⇺⇻⇼⇽⇾⇿⟵⟶⟷⟹⟺⟻⟼⟽⟾⟿⤀⤁⤂⤃⤄⤅⤆⤇⤌⤍⤎⤏⤐⤑⤔⤕⤖⤗⤘⤝⤞⤟⤠⥄⥅⥆⥇⥈⥊⥋⥎⥐⥒⥓⥖⥗⥚⥛⥞⥟⥢⥤⥦⥧⥨⥩⥪⥫⥬⥭⥰⧴⬱⬰⬲⬳⬴⬵⬶⬷⬸⬹⬺⬻⬼⬽⬾⬿⭀⭁⭂⭃⥷⭄⥺⭇⭈⭉⭊⭋⭌￩￫⇜⇝↜↝↩↪↫↬↼↽⇀⇁⇄⇆⇇⇉⇋⇌⇚⇛⇠⇢↷↶↺↻🢲";
const COMPARISON_CHARS = "≥≤≡≠≢∈∉∋∌⊆⊈⊂⊄⊊∝∊∍∥∦∷∺∻∽∾≁≃≂≄≅≆≇≈≉≊≋≌≍≎≐≑≒≓≖≗≘≙≚≛≜≝≞≟≣≦≧≨≩≪≫≬≭≮≯≰≱≲≳≴≵≶≷≸≹≺≻≼≽≾≿⊀⊁⊃⊅⊇⊉⊋⊏⊐⊑⊒⊜⊩⊬⊮⊰⊱⊲⊳⊴⊵⊶⊷⋍⋐⋑⋕⋖⋗⋘⋙⋚⋛⋜⋝⋞⋟⋠⋡⋢⋣⋤⋥⋦⋧⋨⋩⋪⋫⋬⋭⋲⋳⋴⋵⋶⋷⋸⋹⋺⋻⋼⋽⋾⋿⟈⟉⟒⦷⧀⧁⧡⧣⧤⧥⩦⩧⩪⩫⩬⩭⩮⩯⩰⩱⩲⩳⩵⩶⩷⩸⩹⩺⩻⩼⩽⩾⩿⪀⪁⪂⪃⪄⪅⪆⪇⪈⪉⪊⪋⪌⪍⪎⪏⪐⪑⪒⪓⪔⪕⪖⪗⪘⪙⪚⪛⪜⪝⪞⪟⪠⪡⪢⪣⪤⪥⪦⪧⪨⪩⪪⪫⪬⪭⪮⪯⪰⪱⪲⪳⪴⪵⪶⪷⪸⪹⪺⪻⪼⪽⪾⪿⫀⫁⫂⫃⫄⫅⫆⫇⫈⫉⫊⫋⫌⫍⫎⫏⫐⫑⫒⫓⫔⫕⫖⫗⫘⫙⫷⫸⫹⫺⊢⊣⟂⫪⫫";
const COLON_CHARS = "…⁝⋮⋱⋰⋯";
const PLUS_CHARS = "⊕⊖⊞⊟∪∨⊔±∓∔∸≏⊎⊻⊽⋎⋓⟇⧺⧻⨈⨢⨣⨤⨥⨦⨧⨨⨩⨪⨫⨬⨭⨮⨹⨺⩁⩂⩅⩊⩌⩏⩐⩒⩔⩖⩗⩛⩝⩡⩢⩣¦";
const TIMES_CHARS = "÷⋅∘×∩∧⊗⊘⊙⊚⊛⊠⊡⊓∗∙∤⅋≀⊼⋄⋆⋇⋉⋊⋋⋌⋏⋒⟑⦸⦼⦾⦿⧶⧷⨇⨰⨱⨲⨳⨴⨵⨶⨷⨸⨻⨼⨽⩀⩃⩄⩋⩍⩎⩑⩓⩕⩘⩚⩜⩞⩟⩠⫛⊍▷⨝⟕⟖⟗⌿⨟";
const POWER_CHARS = "↑↓⇵⟰⟱⤈⤉⤊⤋⤒⤓⥉⥌⥍⥏⥑⥔⥕⥘⥙⥜⥝⥠⥡⥣⥥⥮⥯￪￬";
const UNARY_CHARS = "¬√∛∜";
const ASSIGN_CHARS = "≔⩴≕";

/** Precedence classes, lowest binding first. */
export const enum Prec {
  Assignment = 1,
  Pair,
  Conditional,
  Arrow,
  LazyOr,
  LazyAnd,
  Comparison,
  PipeLt,
  PipeGt,
  Colon,
  Plus,
  Times,
  Rational,
  Bitshift,
  Power,
  Decl,
  Dot,
  /** Prefix-only operators (`!`, `¬`, `√` ...) and syntax (`->`, `'`, `...`). */
  Other,
}

const PREC = new Map<string, Prec>();
function assign(chars: Iterable<string>, prec: Prec): void {
  for (const c of chars) PREC.set(c, prec);
}
assign(ARROW_CHARS, Prec.Arrow);
assign(["-->", "<--", "<-->"], Prec.Arrow);
assign(COMPARISON_CHARS, Prec.Comparison);
assign(["<:", ">:", ">", "<", ">=", "<=", "==", "===", "!=", "!==", "in", "isa"], Prec.Comparison);
assign(COLON_CHARS, Prec.Colon);
assign([":", ".."], Prec.Colon);
assign(PLUS_CHARS, Prec.Plus);
assign(["$", "+", "-", "++", "|"], Prec.Plus);
assign(TIMES_CHARS, Prec.Times);
assign(["*", "/", "%", "\\", "&"], Prec.Times);
assign(["//"], Prec.Rational);
assign(["<<", ">>", ">>>"], Prec.Bitshift);
assign(POWER_CHARS, Prec.Power);
assign(["^"], Prec.Power);
assign(["::"], Prec.Decl);
assign(["=", ":=", "~"], Prec.Assignment);
assign(ASSIGN_CHARS, Prec.Assignment);
assign(["=>"], Prec.Pair);
assign(["?"], Prec.Conditional);
assign(["||"], Prec.LazyOr);
assign(["&&"], Prec.LazyAnd);
assign(["|>"], Prec.PipeGt);
assign(["<|"], Prec.PipeLt);
assign(UNARY_CHARS, Prec.Other);
assign(["!", "->", "'", "..."], Prec.Other);

/** Operators that combine with `=` into an updating assignment (`+=`, `.*=`, `⊻=` ...). */
const UPDATE_OPS = new Set(["+", "-", "*", "/", "//", "\\", "^", "÷", "%", "|", "&", "⊻", "<<", ">>", ">>>", "$"]);

/** The precedence class of a binary operator token (an `op` token's text; `=`-forms are Assignment). */
export function precedenceOf(op: string): Prec | undefined {
  if (op.endsWith("=") && op.length > 1 && UPDATE_OPS.has(op.slice(0, -1))) return Prec.Assignment;
  return PREC.get(op);
}

/** `+=` -> `+` (or undefined when `op` is not an updating assignment). */
export function updateOperator(op: string): string | undefined {
  if (op.endsWith("=") && op.length > 1 && UPDATE_OPS.has(op.slice(0, -1))) return op.slice(0, -1);
  return undefined;
}

// ASCII operators, longest first so that the scanner can take the longest match.
const ASCII_OPS = [
  ">>>=", "<-->",
  "===", "!==", "...", "-->", "<--", ">>>", "<<=", ">>=", "//=",
  "->", "=>", "==", "!=", "<=", ">=", "<:", ">:", "<<", ">>", "&&", "||", "|>", "<|", "::", "//", "..", "++",
  "+=", "-=", "*=", "/=", "\\=", "^=", "%=", "|=", "&=", "$=", ":=",
  "=", "+", "-", "*", "/", "\\", "^", "%", "|", "&", "$", "!", "~", "<", ">", ":", "?",
];
const ASCII_OPS_BY_FIRST = new Map<string, string[]>();
for (const op of ASCII_OPS) {
  const list = ASCII_OPS_BY_FIRST.get(op[0]!) ?? [];
  list.push(op);
  ASCII_OPS_BY_FIRST.set(op[0]!, list);
}

// Operators that cannot take a leading dot (the dot is then field access or a number).
const UNDOTTABLE = new Set([":", "::", "->", "?", "$", "...", "..", "'", "!==" /* .!== is fine in Julia but rare */]);

// Unicode characters that are written differently but mean the same operator (Julia normalizes them).
const OP_NORMALIZE = new Map([["−", "-"], ["·", "⋅"], ["·", "⋅"]]);
const IDENT_NORMALIZE = new Map([["ɛ", "ε"], ["µ", "μ"]]);

const UNICODE_OP_CHARS = new Set<string>([
  ...ARROW_CHARS, ...COMPARISON_CHARS, ...COLON_CHARS, ...PLUS_CHARS, ...TIMES_CHARS, ...POWER_CHARS,
  ...UNARY_CHARS, ...ASSIGN_CHARS, "−", "·", "·",
]);

const ID_START = /[\p{L}\p{Nl}\p{Sc}\p{So}_\p{Sm}]/u;
const ID_CONT = /[\p{L}\p{Nl}\p{Sc}\p{So}_\p{Sm}\p{Nd}\p{No}\p{Mn}\p{Mc}\p{Me}\p{Pc}\p{Sk}\p{Lm}!′″‴‵‶‷⁗]/u;
const UNSUFFIXABLE = new Set(["=", "->", "::", "?", "...", "$", "&&", "||", ":="]);
// Characters that may follow an operator as a suffix: subscripts, superscripts and primes (`+₁`, `-->₁`).
const OP_SUFFIX = /[₀-ₜ⁰-ⁿ′″‴‵‶‷⁗ᵢ-ᵪ]/u;

export function isIdentStart(c: string): boolean {
  if (c.charCodeAt(0) < 128) return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
  return ID_START.test(c) && !UNICODE_OP_CHARS.has(c);
}
function isIdentChar(c: string): boolean {
  if (c.charCodeAt(0) < 128) return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "_" || c === "!";
  return ID_CONT.test(c) && !UNICODE_OP_CHARS.has(c);
}
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isHex = (c: string | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(c);

/** Tokenizes `text[start, end)`. Never throws; problems become `error` tokens or `error` fields. */
export function tokenize(text: string, start = 0, end = text.length): Token[] {
  const lexer = new Lexer(text, start, end);
  const out: Token[] = [];
  for (;;) {
    const t = lexer.next();
    out.push(t);
    if (t.kind === "eof") return out;
  }
}

class Lexer {
  private pos: number;
  private prev: Token | undefined;
  /** Where a `#=` comment that never closed began (reported as the next token). */
  private unterminatedComment: number | undefined;
  /** `depth`: how many `$( )` interpolations enclose the text. */
  constructor(private readonly text: string, start: number, private readonly end: number, private readonly depth = 0) {
    this.pos = start;
  }

  private ch(offset = 0): string | undefined {
    const p = this.pos + offset;
    return p < this.end ? this.text[p] : undefined;
  }
  /** The full code point at `pos` (astral operators like 🢲 are two UTF-16 units). */
  private codePoint(p = this.pos): string | undefined {
    if (p >= this.end) return undefined;
    const cp = this.text.codePointAt(p)!;
    return String.fromCodePoint(cp);
  }

  next(): Token {
    const space = this.skipSpace();
    if (this.unterminatedComment !== undefined) {
      // The comment ran to the end of the text: an error token at its `#=`, then the end of file.
      const start = this.unterminatedComment;
      this.unterminatedComment = undefined;
      return { kind: "error", text: "#=", start, end: start + 2, spaceBefore: true, error: UNTERMINATED_COMMENT };
    }
    const t = this.scan(space);
    this.prev = t;
    return t;
  }

  /** Skips blanks, comments and `\`-free line continuations; returns whether anything was skipped. */
  private skipSpace(): boolean {
    const start = this.pos;
    for (;;) {
      const c = this.ch();
      if (c === " " || c === "\t" || c === "\u00a0" || c === "\ufeff") this.pos++;
      else if (c === "\r" && this.ch(1) !== "\n") this.pos++;
      else if (c === "#") {
        if (this.ch(1) === "=") this.skipBlockComment();
        else while (this.pos < this.end && this.text[this.pos] !== "\n") this.pos++;
      } else break;
    }
    return this.pos > start;
  }

  private skipBlockComment(): void {
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.end) {
      if (this.text.startsWith("#=", this.pos)) {
        depth++;
        this.pos += 2;
      } else if (this.text.startsWith("=#", this.pos)) {
        depth--;
        this.pos += 2;
        if (depth === 0) return;
      } else this.pos++;
    }
    this.unterminatedComment = start;
  }

  private token(kind: TokenKind, start: number, spaceBefore: boolean, extra: Partial<Token> = {}): Token {
    return { kind, text: this.text.slice(start, this.pos), start, end: this.pos, spaceBefore, ...extra };
  }

  private scan(space: boolean): Token {
    const start = this.pos;
    const spaceBefore = space || this.prev === undefined || this.prev.kind === "nl";
    if (this.pos >= this.end) return { kind: "eof", text: "", start, end: start, spaceBefore };
    const code = this.text.charCodeAt(this.pos);
    // Fast path for ASCII identifiers, the most common token.
    if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95) return this.scanIdentifier(start, spaceBefore);
    const c = code < 0x80 ? this.text[this.pos]! : this.codePoint()!;
    if (c === "\n" || c === "\r") {
      this.pos += c === "\r" ? 2 : 1;
      return this.token("nl", start, spaceBefore);
    }
    if (c === "(" || c === ")" || c === "[" || c === "]" || c === "{" || c === "}" || c === "," || c === ";" || c === "@") {
      this.pos++;
      return this.token(c, start, spaceBefore);
    }
    if (c === '"') return this.scanString(start, spaceBefore, '"');
    if (c === "`") return this.scanString(start, spaceBefore, "`");
    if (c === "'") {
      if (this.adjointAllowed(spaceBefore)) {
        this.pos++;
        return this.token("op", start, spaceBefore, { text: "'" });
      }
      return this.scanChar(start, spaceBefore);
    }
    if (isDigit(c) || (c === "." && isDigit(this.ch(1)) && !this.prevIsValue(spaceBefore))) return this.scanNumber(start, spaceBefore);
    if (c === ".") {
      // `.+`, `.=`, `.+=`, `.&&`: a dotted operator. `..`/`...` are operators of their own.
      if (this.ch(1) === ".") return this.scanOperator(start, spaceBefore, false);
      this.pos++;
      const op = this.matchOperator();
      if (op !== undefined && !UNDOTTABLE.has(op)) {
        this.pos += op.length;
        return this.finishOperator(start, spaceBefore, op, true);
      }
      return this.token(".", start, spaceBefore);
    }
    if (code >= 0x80 && isIdentStart(c)) return this.scanIdentifier(start, spaceBefore);
    return this.scanOperator(start, spaceBefore, false);
  }

  /** The previous token ends a value, with no space before this one: `x.5` is not a number, `x'` is an adjoint. */
  private prevIsValue(spaceBefore: boolean): boolean {
    const p = this.prev;
    if (!p || spaceBefore) return false;
    return (
      p.kind === "ident" || p.kind === "number" || p.kind === ")" || p.kind === "]" || p.kind === "}" ||
      (p.kind === "op" && p.text === "'") || (p.kind === "keyword" && (p.text === "end" || p.text === "begin" || p.text === "true" || p.text === "false")) ||
      p.kind === "string" || p.kind === "char"
    );
  }

  private adjointAllowed(spaceBefore: boolean): boolean {
    const p = this.prev;
    if (!p || spaceBefore) return false;
    if (p.kind === "string" || p.kind === "char") return false;
    if (p.kind === "op" && p.text === "'") return true;
    if (p.kind === "." ) return true; // `x.'`: discontinued, reported by the parser
    return this.prevIsValue(false) && !(p.kind === "ident" && (p.text === "in" || p.text === "isa" || p.text === "where"));
  }

  private matchOperator(): string | undefined {
    const candidates = ASCII_OPS_BY_FIRST.get(this.text[this.pos]!);
    if (candidates) {
      for (const op of candidates) if (this.text.startsWith(op, this.pos) && this.pos + op.length <= this.end) return op;
      return undefined;
    }
    const c = this.codePoint();
    if (c !== undefined && UNICODE_OP_CHARS.has(c)) {
      const norm = OP_NORMALIZE.get(c) ?? c;
      // `⊻=`, `÷=`, `−=`: updating forms of unicode operators.
      if (this.text[this.pos + c.length] === "=" && UPDATE_OPS.has(norm) && this.text[this.pos + c.length + 1] !== "=") return c + "=";
      return c;
    }
    return undefined;
  }

  private scanOperator(start: number, spaceBefore: boolean, dotted: boolean): Token {
    const op = this.matchOperator();
    if (op === undefined) {
      const c = this.codePoint()!;
      this.pos += c.length;
      return this.token("error", start, spaceBefore, { error: `unexpected character \`${c}\`` });
    }
    this.pos += op.length;
    return this.finishOperator(start, spaceBefore, op, dotted);
  }

  private finishOperator(start: number, spaceBefore: boolean, op: string, dotted: boolean): Token {
    let text = op;
    if (op.charCodeAt(0) >= 0x80) for (const [from, to] of OP_NORMALIZE) text = text.split(from).join(to);
    let suffixed = false;
    // `a +₁ b`: suffixed operators keep their precedence but are distinct names.
    if (this.pos < this.end && this.text.charCodeAt(this.pos) >= 0x80 && !UNSUFFIXABLE.has(text) && !text.endsWith("=")) {
      while (this.pos < this.end && OP_SUFFIX.test(this.codePoint()!)) {
        this.pos += this.codePoint()!.length;
        suffixed = true;
      }
      if (suffixed) text = text + this.text.slice(start + (dotted ? 1 : 0) + op.length, this.pos);
    }
    const base = suffixed ? text.slice(0, op.length) : text;
    return { kind: "op", text, start, end: this.pos, spaceBefore, dotted, suffixed: suffixed || undefined, prec: precedenceOf(base) };
  }

  private scanIdentifier(start: number, spaceBefore: boolean): Token {
    let ascii = true;
    for (;;) {
      if (this.pos >= this.end) break;
      const code = this.text.charCodeAt(this.pos);
      if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95) {
        this.pos++;
        continue;
      }
      if (code === 33) {
        // `a!=b` is `a != b`: `!` belongs to an identifier unless `=` follows it.
        if (this.ch(1) === "=") break;
        this.pos++;
        continue;
      }
      if (code < 0x80) break;
      const c = this.codePoint()!;
      if (this.pos === start ? !isIdentStart(c) : !isIdentChar(c)) break;
      ascii = false;
      this.pos += c.length;
    }
    let name = this.text.slice(start, this.pos);
    if (!ascii) {
      name = name.normalize("NFC");
      for (const [from, to] of IDENT_NORMALIZE) if (name.includes(from)) name = name.split(from).join(to);
    }
    if (KEYWORDS.has(name)) return { kind: "keyword", text: name, start, end: this.pos, spaceBefore };
    return { kind: "ident", text: name, start, end: this.pos, spaceBefore };
  }

  // ---- numbers ----------------------------------------------------------------------------------

  private digits(ok: (c: string | undefined) => boolean): void {
    while (ok(this.ch()) || (this.ch() === "_" && ok(this.ch(1)) && ok(this.ch(-1)))) this.pos++;
  }

  private scanNumber(start: number, spaceBefore: boolean): Token {
    const c1 = this.ch(1);
    if (this.ch() === "0" && (c1 === "x" || c1 === "b" || c1 === "o")) {
      const radixOk = c1 === "x" ? isHex : c1 === "b" ? (c: string | undefined) => c === "0" || c === "1" : (c: string | undefined) => c !== undefined && c >= "0" && c <= "7";
      const bodyStart = this.pos + 2;
      if (radixOk(this.text[bodyStart]) || (c1 === "x" && this.text[bodyStart] === "." && isHex(this.text[bodyStart + 1]))) {
        this.pos += 2;
        this.digits(radixOk);
        if (c1 === "x" && (this.ch() === "p" || (this.ch() === "." && (isHex(this.ch(1)) || this.ch(1) === "p")))) return this.scanHexFloat(start, spaceBefore);
        return this.finishRadixInt(start, spaceBefore, c1);
      }
    }
    let isFloat = false;
    let float32 = false;
    this.digits(isDigit);
    if (this.ch() === "." && this.ch(1) !== ".") {
      const after = this.codePoint(this.pos + 1);
      // `1.5`, `1.`, `1.e3`; but `1.+x` is `1 .+ x` and `x[1.]` is fine.
      const opFollows = after !== undefined && after !== "'" && this.dottableOperatorAt(this.pos + 1);
      if (isDigit(after) || !opFollows || after === undefined) {
        isFloat = true;
        this.pos++;
        this.digits(isDigit);
      }
    }
    const e = this.ch();
    if ((e === "e" || e === "E" || e === "f") && (isDigit(this.ch(1)) || ((this.ch(1) === "+" || this.ch(1) === "-" || this.ch(1) === "−") && isDigit(this.ch(2))))) {
      isFloat = true;
      float32 = e === "f";
      this.pos += isDigit(this.ch(1)) ? 1 : 2;
      this.digits(isDigit);
    }
    const text = this.text.slice(start, this.pos);
    const clean = text.replace(/_/g, "").replace("−", "-");
    if (isFloat) {
      const value = Number(clean.replace("f", "e"));
      const type = float32 ? "Float32" : "Float64";
      const tok = this.token("number", start, spaceBefore, { number: { value: float32 ? Math.fround(value) : value, type } });
      if (!Number.isFinite(value) || (float32 && !Number.isFinite(Math.fround(value)))) tok.error = `number literal \`${text}\` is out of range for ${type}`;
      return this.checkTrailing(tok);
    }
    const big = BigInt(clean);
    const type: NumberLit["type"] = big <= 0x7fffffffffffffffn ? "Int64" : big <= (1n << 127n) - 1n ? "Int128" : "BigInt";
    return this.checkTrailing(this.token("number", start, spaceBefore, { number: { value: exact(big), type } }));
  }

  /** Reports `1x2`-style garbage glued to a number only when it cannot be juxtaposition (digits right after a literal). */
  private checkTrailing(tok: Token): Token {
    const c = this.ch();
    if (c === "_" || (tok.number?.type.startsWith("UInt") && isIdentChar(c ?? " ") && c !== undefined && /[0-9a-zA-Z]/.test(c))) {
      while (this.pos < this.end && isIdentChar(this.codePoint()!)) this.pos += this.codePoint()!.length;
      tok.end = this.pos;
      tok.text = this.text.slice(tok.start, tok.end);
      tok.error = `invalid numeric literal \`${tok.text}\``;
    }
    return tok;
  }

  /** An operator that can take a leading dot starts at `p` (so `1.+x` is `1 .+ x`, but `1.:2` is `1.0:2`). */
  private dottableOperatorAt(p: number): boolean {
    const save = this.pos;
    this.pos = p;
    const op = this.matchOperator();
    this.pos = save;
    return op !== undefined && !UNDOTTABLE.has(op);
  }

  private finishRadixInt(start: number, spaceBefore: boolean, radix: string): Token {
    const text = this.text.slice(start, this.pos);
    const body = text.slice(2).replace(/_/g, "");
    const big = BigInt((radix === "x" ? "0x" : radix === "b" ? "0b" : "0o") + body);
    const n = body.length;
    let type: NumberLit["type"];
    if (radix === "x") type = n <= 2 ? "UInt8" : n <= 4 ? "UInt16" : n <= 8 ? "UInt32" : n <= 16 ? "UInt64" : n <= 32 ? "UInt128" : "BigInt";
    else if (radix === "b") type = n <= 8 ? "UInt8" : n <= 16 ? "UInt16" : n <= 32 ? "UInt32" : n <= 64 ? "UInt64" : n <= 128 ? "UInt128" : "BigInt";
    else
      type = n <= 3 && big <= 0xffn ? "UInt8" : n <= 6 && big <= 0xffffn ? "UInt16" : n <= 11 && big <= 0xffffffffn ? "UInt32"
        : n <= 22 ? (big <= 0xffffffffffffffffn ? "UInt64" : "UInt128") : n <= 43 ? "UInt128" : "BigInt";
    return this.checkTrailing(this.token("number", start, spaceBefore, { number: { value: exact(big), type } }));
  }

  private scanHexFloat(start: number, spaceBefore: boolean): Token {
    if (this.ch() === ".") {
      this.pos++;
      this.digits(isHex);
    }
    let error: string | undefined;
    if (this.ch() === "p") {
      this.pos++;
      if (this.ch() === "+" || this.ch() === "-") this.pos++;
      if (!isDigit(this.ch())) error = "hexadecimal float literal needs an exponent after `p`";
      this.digits(isDigit);
    } else error = "hexadecimal float literal needs a `p` exponent (e.g. `0x1.8p3`)";
    const text = this.text.slice(start, this.pos);
    const m = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?p([+-]?\d+)$/i.exec(text.replace(/_/g, ""));
    let value = NaN;
    if (m) {
      const int = m[1] || "0";
      const frac = m[2] ?? "";
      value = (parseInt(int + frac || "0", 16) / Math.pow(16, frac.length)) * Math.pow(2, Number(m[3]));
    }
    return this.token("number", start, spaceBefore, { number: { value, type: "Float64" }, error });
  }

  // ---- characters and strings -------------------------------------------------------------------

  private scanChar(start: number, spaceBefore: boolean): Token {
    this.pos++; // '
    let value = "";
    let error: string | undefined;
    const c = this.codePoint();
    if (c === undefined || c === "\n") error = "unterminated character literal";
    else if (c === "'") {
      this.pos++;
      return this.token("char", start, spaceBefore, { char: "", error: "empty character literal `''`" });
    } else if (c === "\\") {
      const esc = readEscape(this.text, this.pos);
      this.pos = esc.next;
      value = esc.value;
      error = esc.error;
    } else {
      value = c;
      this.pos += c.length;
    }
    if (!error) {
      if (this.ch() === "'") this.pos++;
      else {
        // `'ab'` is an error; find the closing quote on this line for recovery.
        const close = this.text.indexOf("'", this.pos);
        const nl = this.text.indexOf("\n", this.pos);
        if (close >= 0 && close < this.end && (nl < 0 || close < nl)) {
          this.pos = close + 1;
          error = "character literal contains more than one character";
        } else error = "unterminated character literal";
      }
    }
    return this.token("char", start, spaceBefore, { char: value, error });
  }

  private scanString(start: number, spaceBefore: boolean, quote: string): Token {
    const triple = this.text.startsWith(quote.repeat(3), this.pos);
    // A string right after an identifier is a string macro (`raw"..."`, `r"..."`, `b"..."`): raw text.
    const raw = quote === "`" || (this.prev !== undefined && !spaceBefore && this.prev.kind === "ident");
    this.pos += triple ? 3 : 1;
    const closer = triple ? quote.repeat(3) : quote;
    type RawPiece = { kind: "text"; raw: string } | StringInterp;
    const pieces: RawPiece[] = [];
    let buf = "";
    let error: string | undefined;
    let closed = false;
    while (this.pos < this.end) {
      if (this.text.startsWith(closer, this.pos)) {
        this.pos += closer.length;
        closed = true;
        break;
      }
      const c = this.text[this.pos]!;
      if (c === "\\") {
        // Escapes are processed after indentation removal; keep them verbatim for now.
        buf += this.text.slice(this.pos, this.pos + 2);
        this.pos += 2;
        continue;
      }
      if (c === "$" && !raw) {
        pieces.push({ kind: "text", raw: buf });
        buf = "";
        const interp = this.scanInterpolation();
        if (interp.error) error ??= interp.error;
        pieces.push(interp.part);
        continue;
      }
      buf += c;
      this.pos++;
    }
    pieces.push({ kind: "text", raw: buf });
    if (!closed && error !== NESTING_TOO_DEEP) error = `unterminated string literal: expected a closing ${closer}`;
    if (triple) dedent(pieces);
    const parts: StringPart[] = [];
    for (const p of pieces) {
      if (p.kind === "interp") parts.push(p);
      else if (p.raw !== "") {
        const { value, error: e } = raw ? unescapeRaw(p.raw, quote) : unescape(p.raw);
        if (e) error ??= e;
        const last = parts[parts.length - 1];
        if (last && last.kind === "text") last.value += value;
        else parts.push({ kind: "text", value });
      }
    }
    return this.token("string", start, spaceBefore, { parts, triple, raw, cmd: quote === "`", error });
  }

  private scanInterpolation(): { part: StringInterp; error?: string } {
    const dollar = this.pos;
    this.pos++;
    if (this.ch() === "(") {
      if (this.depth >= MAX_NESTING) {
        // Lexing further would recurse without bound: the rest of the text is given up.
        this.pos = this.end;
        const eof: Token = { kind: "eof", text: "", start: this.pos, end: this.pos, spaceBefore: false };
        return { part: { kind: "interp", tokens: [eof], paren: true, start: dollar, end: this.pos }, error: NESTING_TOO_DEEP };
      }
      const inner = new Lexer(this.text, this.pos + 1, this.end, this.depth + 1);
      const tokens: Token[] = [];
      let depth = 0;
      for (;;) {
        const t = inner.next();
        if (t.kind === "eof") {
          tokens.push(t);
          this.pos = inner.pos;
          const deep = tokens.some((u) => u.error === NESTING_TOO_DEEP);
          return { part: { kind: "interp", tokens, paren: true, start: dollar, end: this.pos }, error: deep ? NESTING_TOO_DEEP : "unterminated `$(` interpolation in string" };
        }
        if (t.kind === "(" || t.kind === "[" || t.kind === "{") depth++;
        if (t.kind === ")" || t.kind === "]" || t.kind === "}") {
          if (depth === 0 && t.kind === ")") {
            tokens.push({ kind: "eof", text: "", start: t.start, end: t.start, spaceBefore: t.spaceBefore });
            this.pos = t.end;
            return { part: { kind: "interp", tokens, paren: true, start: dollar, end: this.pos } };
          }
          depth--;
        }
        tokens.push(t);
      }
    }
    const c = this.codePoint();
    if (c !== undefined && isIdentStart(c)) {
      const inner = new Lexer(this.text, this.pos, this.end);
      const t = inner.scanIdentifier(this.pos, false);
      this.pos = t.end;
      const eof: Token = { kind: "eof", text: "", start: t.end, end: t.end, spaceBefore: false };
      return { part: { kind: "interp", tokens: [t, eof], paren: false, start: dollar, end: this.pos } };
    }
    const eof: Token = { kind: "eof", text: "", start: this.pos, end: this.pos, spaceBefore: false };
    return { part: { kind: "interp", tokens: [eof], paren: false, start: dollar, end: this.pos }, error: "`$` in a string must be followed by a name or `(`; write `\\$` for a literal dollar sign" };
  }
}

function exact(big: bigint): number | bigint {
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'", $: "$", a: "\x07", b: "\b", f: "\f", v: "\v", e: "\x1b", "`": "`",
};

/** Reads the backslash escape at `text[i]`; `next` is the offset after it. */
function readEscape(text: string, i: number): { value: string; error?: string; next: number } {
  let p = i + 1;
  const c = text[p];
  if (c === undefined) return { value: "", error: "incomplete escape sequence", next: p };
  if (c in SIMPLE_ESCAPES) return { value: SIMPLE_ESCAPES[c]!, next: p + 1 };
  const readDigits = (max: number, ok: (d: string | undefined) => boolean): string => {
    let s = "";
    while (s.length < max && ok(text[p])) s += text[p++];
    return s;
  };
  if (c === "x" || c === "u" || c === "U") {
    p++;
    const h = readDigits(c === "x" ? 2 : c === "u" ? 4 : 8, isHex);
    const cp = parseInt(h, 16);
    if (!h || cp > 0x10ffff) return { value: "", error: `invalid escape sequence \`\\${c}${h}\``, next: p };
    return { value: c === "x" ? String.fromCharCode(cp) : String.fromCodePoint(cp), next: p };
  }
  if (c >= "0" && c <= "7") {
    const o = readDigits(3, (d) => d !== undefined && d >= "0" && d <= "7");
    return { value: String.fromCharCode(parseInt(o, 8)), next: p };
  }
  return { value: c, error: `invalid escape sequence \`\\${c}\``, next: p + 1 };
}

function unescape(raw: string): { value: string; error?: string } {
  let out = "";
  let error: string | undefined;
  for (let i = 0; i < raw.length; ) {
    const c = raw[i]!;
    if (c !== "\\") {
      out += c;
      i++;
      continue;
    }
    const n = raw[i + 1];
    if (n === "\n" || n === "\r") {
      // Backslash-newline joins lines, dropping the next line's indentation.
      i += n === "\r" && raw[i + 2] === "\n" ? 3 : 2;
      while (raw[i] === " " || raw[i] === "\t") i++;
      continue;
    }
    const esc = readEscape(raw, i);
    out += esc.value;
    if (esc.error) error ??= esc.error;
    i = esc.next;
  }
  return { value: out, error };
}

/** Raw strings (string macros) only unescape `\"` (and backslashes before it). */
function unescapeRaw(raw: string, quote: string): { value: string; error?: string } {
  return { value: raw.replace(new RegExp(`(\\\\+)${quote === '"' ? '"' : "`"}|(\\\\+)$`, "g"), (m, before: string | undefined, atEnd: string | undefined) => {
    if (before !== undefined) return "\\".repeat(Math.floor(before.length / 2)) + quote;
    return "\\".repeat(Math.floor((atEnd ?? "").length / 2));
  }) };
}

/**
 * Triple-quoted strings: drop a newline right after the opening quotes and remove the indentation
 * common to all lines (lines holding only whitespace do not count, except the closing line).
 */
function dedent(pieces: ({ kind: "text"; raw: string } | StringInterp)[]): void {
  const first = pieces[0];
  let firstLineCounts = false;
  if (first && first.kind === "text") {
    const nl = first.raw.startsWith("\r\n") ? 2 : first.raw.startsWith("\n") || first.raw.startsWith("\r") ? 1 : 0;
    first.raw = first.raw.slice(nl);
    firstLineCounts = nl > 0;
  }
  // Collect the indentation of each line start: the start of the string, and after each newline.
  let prefix: string | undefined;
  const consider = (ws: string): void => {
    if (prefix === undefined) prefix = ws;
    else {
      let k = 0;
      while (k < prefix.length && k < ws.length && prefix[k] === ws[k]) k++;
      prefix = prefix.slice(0, k);
    }
  };
  for (let pi = 0; pi < pieces.length; pi++) {
    const p = pieces[pi]!;
    if (p.kind !== "text") continue;
    const lineStarts: number[] = [];
    if (pi === 0 && firstLineCounts) lineStarts.push(0);
    for (let i = 0; i < p.raw.length; i++) if (p.raw[i] === "\n" && p.raw[i - 1] !== "\\") lineStarts.push(i + 1);
    for (const s of lineStarts) {
      let e = s;
      while (p.raw[e] === " " || p.raw[e] === "\t") e++;
      if (e < p.raw.length && (p.raw[e] === "\n" || p.raw[e] === "\r")) continue; // blank line
      consider(p.raw.slice(s, e));
    }
  }
  if (!prefix) return;
  const cut = prefix.length;
  for (let pi = 0; pi < pieces.length; pi++) {
    const p = pieces[pi]!;
    if (p.kind !== "text") continue;
    let out = "";
    for (let i = 0; i < p.raw.length; ) {
      const atLineStart = (pi === 0 && i === 0 && firstLineCounts) || (i > 0 && p.raw[i - 1] === "\n" && p.raw[i - 2] !== "\\");
      if (atLineStart) {
        let k = 0;
        while (k < cut && (p.raw[i + k] === " " || p.raw[i + k] === "\t")) k++;
        i += k;
        if (i >= p.raw.length) break;
      }
      out += p.raw[i];
      i++;
    }
    p.raw = out;
  }
}
