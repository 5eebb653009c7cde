// The Julia syntax tree produced by the parser and consumed by the abstract interpreter.
// Every node carries the exact source span it was parsed from, so every later diagnostic can
// point at the user's text. Operators keep their surface form (`op`), dotted ones are marked
// (`.+`, `f.(x)`), and juxtaposition (`2x`) is an ordinary `*` call flagged `juxtaposed`.

import type { Span } from "../diagnostics.js";

export type Node =
  | NumberLit
  | StringLit
  | CharLit
  | BoolLit
  | NothingLit
  | SymbolLit
  | Ident
  | Call
  | BinaryOp
  | UnaryOp
  | Comparison
  | ShortCircuit
  | Ternary
  | TupleExpr
  | NamedTupleExpr
  | ParenExpr
  | Index
  | FieldAccess
  | Adjoint
  | RangeExpr
  | ArrayLit
  | Comprehension
  | Lambda
  | FunctionDef
  | Assign
  | Block
  | If
  | For
  | While
  | Return
  | Break
  | Continue
  | MacroCall
  | Let
  | Declaration
  | Splat
  | TypeAssert
  | Curly
  | Where
  | Subtype
  | StructDef
  | AbstractTypeDef
  | ModuleDef
  | Using
  | Pair
  | Interpolation
  | BeginEnd
  | Quote
  | Export
  | Try;

interface NodeBase {
  span: Span;
}

/** Numeric literal with its Julia type decided by the lexer (`1` Int64, `1.0` Float64, `1f0`/`1f-3` Float32, `0x1p-2` Float64, `0xff` UInt8 ...). */
export interface NumberLit extends NodeBase {
  kind: "number";
  text: string;
  /** Integers beyond 2^53 are kept exact as bigint. */
  value: number | bigint;
  type: "Int64" | "Float64" | "Float32" | "Float16" | "UInt8" | "UInt16" | "UInt32" | "UInt64" | "UInt128" | "Int128" | "BigInt";
}

export interface StringLit extends NodeBase {
  kind: "string";
  /** Pieces of the string: literal text, or `$x`/`$(expr)` interpolations. */
  parts: (string | Node)[];
  /** `r"..."`, `raw"..."`: the prefix identifier, if any. */
  prefix?: string;
}

export interface CharLit extends NodeBase {
  kind: "char";
  value: string;
}

export interface BoolLit extends NodeBase {
  kind: "bool";
  value: boolean;
}

export interface NothingLit extends NodeBase {
  kind: "nothing";
}

/** `:name` quoted symbol. */
export interface SymbolLit extends NodeBase {
  kind: "symbol";
  name: string;
}

/** An identifier; also used for operators used as values (`+` in `reduce(+, xs)`) with `operator: true`. */
export interface Ident extends NodeBase {
  kind: "ident";
  name: string;
  operator?: boolean;
}

export interface Keyword {
  name: string;
  /** `f(x; stride)` shorthand has value = Ident(stride). `f(; kw...)` splat has `splat: true`. */
  value: Node;
  splat?: boolean;
  span: Span;
}

/** `f(a, b; k=1)` and broadcast calls `f.(a, b)`; `do` blocks are appended as the first argument (`doBlock`). */
export interface Call extends NodeBase {
  kind: "call";
  callee: Node;
  args: Node[];
  /** Keyword arguments, whether written after `;` or as `k=v` among the positional ones. */
  kwargs: Keyword[];
  dotted: boolean;
  /** `f(x) do y ... end`: the lambda that Julia passes as the first positional argument. */
  doBlock?: Lambda;
}

/** Infix operator call: `a + b`, `a .* b`, `2x` (op "*", juxtaposed), `a ∘ b`, `a \ b`, `a $ b` ... */
export interface BinaryOp extends NodeBase {
  kind: "binary";
  op: string;
  left: Node;
  right: Node;
  dotted: boolean;
  juxtaposed?: boolean;
  /** Span of the operator token itself (for juxtaposition, the span of the whole expression). */
  opSpan: Span;
}

/** Prefix operator: `-x`, `!x`, `.-x`, `√x`, `+x`, `~x`. */
export interface UnaryOp extends NodeBase {
  kind: "unary";
  op: string;
  arg: Node;
  dotted: boolean;
}

/** Chained comparison `a < b <= c` (a single comparison has one op). */
export interface Comparison extends NodeBase {
  kind: "comparison";
  operands: Node[];
  ops: { op: string; dotted: boolean; span: Span }[];
}

/** `a && b`, `a || b` (not dotted: `.&&` is rare and rejected by the interpreter). */
export interface ShortCircuit extends NodeBase {
  kind: "and" | "or";
  left: Node;
  right: Node;
}

export interface Ternary extends NodeBase {
  kind: "ternary";
  cond: Node;
  then: Node;
  else: Node;
}

/** `(a, b)`, `(a,)`, `()`, and the bare tuple `a, b` on the right of `=` or after `return`. */
export interface TupleExpr extends NodeBase {
  kind: "tuple";
  elements: Node[];
}

/** `(a = 1, b = 2)`, `(; a, b)`, `(; a = 1)`. Shorthand fields have value = Ident. */
export interface NamedTupleExpr extends NodeBase {
  kind: "namedtuple";
  fields: { name: string; value: Node; span: Span }[];
}

/** `(expr)`: kept so that `(a, b)` vs `(a)` and `(2)x` style spans stay faithful. */
export interface ParenExpr extends NodeBase {
  kind: "paren";
  expr: Node;
}

/** `x[i, j]`; `end` and `begin` inside indices are Ident("end") / Ident("begin"). `T[...]` typed array literals are ArrayLit with eltype. */
export interface Index extends NodeBase {
  kind: "index";
  target: Node;
  indices: Node[];
}

/** `x.name`; `Flux.Dense`; and `x.:name` / `Base.:+` (name is the symbol/operator). */
export interface FieldAccess extends NodeBase {
  kind: "field";
  target: Node;
  name: string;
  nameSpan: Span;
}

/** Postfix `x'` (adjoint). */
export interface Adjoint extends NodeBase {
  kind: "adjoint";
  arg: Node;
}

/** `a:b` or `a:s:b` (the colon operator). A lone `:` inside indices is Ident(":", operator). */
export interface RangeExpr extends NodeBase {
  kind: "range";
  start: Node;
  step?: Node;
  stop: Node;
}

/**
 * Array literals, Julia's `vect`, `hcat`, `vcat`, `typed_*` forms:
 * `[a, b]` -> form "vect", rows [[a, b]];
 * `[a b]`  -> form "hcat", rows [[a, b]];
 * `[a; b]` or newline-separated -> form "vcat", rows [[a], [b]];
 * `[a b; c d]` -> form "vcat", rows [[a, b], [c, d]] (each row an hcat);
 * `Float32[...]` sets eltype.
 */
export interface ArrayLit extends NodeBase {
  kind: "array";
  form: "vect" | "hcat" | "vcat";
  rows: Node[][];
  eltype?: Node;
}

/** `[f(x) for x in xs if p(x)]`, `(f(x) for x in xs)` generators, `[f(i, j) for i in 1:2, j in 1:3]`, `T[... for ...]`. */
export interface Comprehension extends NodeBase {
  kind: "comprehension";
  body: Node;
  /** Iteration specs; several for `for i in a, j in b` (2-D comprehension). Nested `for ... for` produces nested `iterations` groups. */
  iterations: { target: Node; iter: Node; span: Span }[][];
  filter?: Node;
  generator: boolean;
  eltype?: Node;
}

/** A formal parameter: `x`, `x::T`, `::T`, `x::T = default` (optional), `xs...`, `(a, b)` destructuring. */
export interface Param {
  /** Absent for `::T` anonymous parameters. */
  name?: string;
  /** Destructuring pattern `(a, b)` in the argument position (Julia 1.x allows `f((a, b))`). */
  pattern?: Node;
  type?: Node;
  default?: Node;
  vararg?: boolean;
  span: Span;
}

/** `x -> body`, `(x, y) -> body`, `function (x) ... end`, and do-block bodies. */
export interface Lambda extends NodeBase {
  kind: "lambda";
  params: Param[];
  kwparams: Param[];
  body: Node;
}

/**
 * `function f(x::T; k=1) where {T<:Real} ... end`, `f(x) = ...`, callable-struct methods `(m::Dense)(x) = ...`
 * (name absent, `functor` set to the typed parameter), `Base.show(...) = ...` (name "show", qualifier "Base"),
 * and operator methods `Base.:+(a, b) = ...` / `+(a::T, b::T) = ...`.
 */
export interface FunctionDef extends NodeBase {
  kind: "function";
  name?: string;
  /** `Base` in `Base.getindex(...)`, or `Flux` in `Flux.trainable(...)`. */
  qualifier?: Node;
  /** The `(m::Dense)` in `(m::Dense)(x) = ...`. */
  functor?: Param;
  params: Param[];
  kwparams: Param[];
  /** `where {T, N}` / `where T<:Real`, innermost first as written left to right. */
  whereParams: Node[];
  returnType?: Node;
  body: Node;
  /** Short form `f(x) = ...` (true) or `function ... end` (false). */
  short: boolean;
  nameSpan: Span;
  /** `function f end`: declares the generic function without adding a method (params and body are empty). */
  noMethods?: boolean;
}

/**
 * `x = v`, `x += v`, `x .= v`, `x .+= v`, `a, b = t`, `x̄, = t`, `(; a, b) = nt`, `x[i] = v`, `x.f = v`, `x::T = v`.
 * `op` is the update operator without `=` ("+" for `+=`), absent for plain `=`.
 */
export interface Assign extends NodeBase {
  kind: "assign";
  target: Node;
  value: Node;
  op?: string;
  dotted: boolean;
}

/** A statement sequence: a file's top level, a function body, `begin ... end` bodies. */
export interface Block extends NodeBase {
  kind: "block";
  stmts: Node[];
}

export interface If extends NodeBase {
  kind: "if";
  /** `if` then each `elseif` in order. */
  branches: { cond: Node; body: Block; span: Span }[];
  else?: Block;
}

/** `for i in 1:n`, `for i = 1:n`, `for i ∈ xs`, `for (i, x) in enumerate(xs)`, `for i in a, j in b` (nested). */
export interface For extends NodeBase {
  kind: "for";
  iterations: { target: Node; iter: Node; span: Span }[];
  body: Block;
}

export interface While extends NodeBase {
  kind: "while";
  cond: Node;
  body: Block;
}

export interface Return extends NodeBase {
  kind: "return";
  value?: Node;
}

export interface Break extends NodeBase {
  kind: "break";
}

export interface Continue extends NodeBase {
  kind: "continue";
}

/** `@. expr`, `@assert cond "msg"`, `@inbounds for ...`, `@views ...`, `Flux.@layer Dense`, `@functor Dense`. name includes the `@`. */
export interface MacroCall extends NodeBase {
  kind: "macrocall";
  name: string;
  qualifier?: Node;
  args: Node[];
}

export interface Let extends NodeBase {
  kind: "let";
  bindings: Node[];
  body: Block;
}

/** `local x`, `local x = 1`, `global y`, `const N = 10`. */
export interface Declaration extends NodeBase {
  kind: "local" | "global" | "const";
  targets: Node[];
}

/** `xs...` at a call site or in a tuple. */
export interface Splat extends NodeBase {
  kind: "splat";
  arg: Node;
}

/** `x::T` in expression position. */
export interface TypeAssert extends NodeBase {
  kind: "typeassert";
  expr: Node;
  type: Node;
}

/** `T{A, B}` type application, e.g. `Dense{M,V,F}`, `AbstractArray{T,2}`, `Val{3}`, `NTuple{N,Int}`. */
export interface Curly extends NodeBase {
  kind: "curly";
  target: Node;
  args: Node[];
}

/** `T where T<:Real` in type position (e.g. `Vector{T} where T`). */
export interface Where extends NodeBase {
  kind: "where";
  body: Node;
  params: Node[];
}

/** `A <: B` and `A >: B` (in where clauses, struct headers, or as a comparison on types). */
export interface Subtype extends NodeBase {
  kind: "subtype";
  op: "<:" | ">:";
  left?: Node;
  right: Node;
}

export interface StructField {
  name: string;
  type?: Node;
  /** `@kwdef` defaults. */
  default?: Node;
  span: Span;
}

/** `struct Name{T<:Real} <: Super ... end` and `mutable struct`. Inner constructors are FunctionDefs in `constructors`. */
export interface StructDef extends NodeBase {
  kind: "struct";
  name: string;
  mutable: boolean;
  typeParams: Node[];
  supertype?: Node;
  fields: StructField[];
  constructors: FunctionDef[];
}

/** `abstract type AbstractLayer <: Super end`. */
export interface AbstractTypeDef extends NodeBase {
  kind: "abstracttype";
  name: string;
  typeParams: Node[];
  supertype?: Node;
}

export interface ModuleDef extends NodeBase {
  kind: "module";
  name: string;
  body: Block;
  bare: boolean;
}

/** `using Flux`, `using NNlib: conv, relu`, `import Base: +`, `using .Layers`. */
export interface Using extends NodeBase {
  kind: "using" | "import";
  /** Each module path as dotted pieces (leading dots kept as "." entries for relative modules). */
  modules: string[][];
  /** Names after `:` (only with a single module). */
  names?: { name: string; alias?: string; span: Span }[];
}

/** `a => b`. */
export interface Pair extends NodeBase {
  kind: "pair";
  left: Node;
  right: Node;
  dotted: boolean;
}

/** `$x` outside strings (in quoted code / macros); rarely used. The `$` binary operator is a BinaryOp. */
export interface Interpolation extends NodeBase {
  kind: "interpolation";
  expr: Node;
}

/** `begin ... end` used as an expression (also the body of `@views begin ... end`). */
export interface BeginEnd extends NodeBase {
  kind: "begin";
  body: Block;
}

/** `:(expr)` and `quote ... end`: kept as data; the interpreter rejects most uses. */
export interface Quote extends NodeBase {
  kind: "quote";
  body: Node;
}

/** `export relu, Dense, @layer` inside a module. */
export interface Export extends NodeBase {
  kind: "export";
  names: { name: string; span: Span }[];
}

/** `try ... catch e ... finally ... end`. */
export interface Try extends NodeBase {
  kind: "try";
  body: Block;
  /** The `e` in `catch e`, if named. */
  catchVar?: Ident;
  catchBody?: Block;
  finallyBody?: Block;
}

/** Result of parsing one file. Parse errors are reported as diagnostics with spans; the parser recovers at statement boundaries. */
export interface ParsedFile {
  path: string;
  body: Block;
}
