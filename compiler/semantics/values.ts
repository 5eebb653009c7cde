// Compile-time values of the abstract interpreter. A value is either known (numbers, tuples,
// functions, types, ranges...) and computed here, or a traced tensor that lives in the HLO graph.

import type { ElementType } from "../../plugins/api.js";
import type { FunctionDef, Lambda } from "../syntax/ast.js";
import type { Span } from "../diagnostics.js";
import type { JuliaType, NumType, TypeParam, UserTypeDecl } from "./types.js";
import type { Node } from "../syntax/ast.js";
import type { Scope } from "./scope.js";

export type Value =
  | KnownNumber
  | Tensor
  | TupleValue
  | NamedTupleValue
  | FunctionValue
  | TypeValue
  | RangeValue
  | StructValue
  | VectorValue
  | DictValue
  | { kind: "symbol"; name: string }
  | StringValue
  | { kind: "nothing" }
  | { kind: "colon" }
  | { kind: "module"; name: string };

export interface KnownNumber {
  kind: "number";
  type: NumType;
  value: number | boolean;
}

/**
 * A traced value: an HLO instruction of the entry computation.
 * `size` is in Julia order. When `scalar` is set the Julia value is a scalar of `eltype` and
 * `size` is the broadcast shape it is lifted over while tracing `f.(x)` (empty otherwise).
 * `rowVector` marks Julia's `Adjoint` of a vector (size (1, n)), for which `x'y` is a dot product.
 */
export interface Tensor {
  kind: "tensor";
  id: number;
  eltype: ElementType;
  size: number[];
  scalar: boolean;
  rowVector?: boolean;
}

export interface TupleValue {
  kind: "tuple";
  elements: Value[];
}

export interface NamedTupleValue {
  kind: "namedtuple";
  names: string[];
  elements: Value[];
}

export interface TypeValue {
  kind: "type";
  type: JuliaType;
}

/** A user-defined struct type: its declaration, as dispatch and construction need it. */
export interface StructType extends UserTypeDecl {
  fieldNames: string[];
  /** Field type annotations (absent: `Any`), evaluated with the type parameters bound. */
  fieldTypes: (Node | undefined)[];
  /** The type parameters as written: `T`, `T<:Real`. */
  typeParams: Node[];
  mutable: boolean;
  /** The scope the struct was declared in (field types are evaluated there). */
  scope: Scope;
  /** Inner and outer constructor methods. Without inner ones, Julia's default constructor applies. */
  constructors: GenericFunction;
  hasInner: boolean;
  /** Under `Base.@kwdef`: each field's default (absent: a required keyword); enables `T(; fields...)`. */
  kwdefaults?: (Node | undefined)[];
  /** The fields Optimisers trains, when `Flux.@layer T trainable=(...)` or `@functor T (...)` names them (else all). */
  trainable?: string[];
  span: Span;
}

/** An instance of a user struct. Mutable structs are mutated in place, so aliases see changes as in Julia. */
export interface StructValue {
  kind: "struct";
  type: StructType;
  params: TypeParam[];
  fields: Value[];
}

/**
 * A Julia `Vector` built at compile time (`[]`, `T[]`, `Vector{T}()`, then `push!`...): its length
 * is known and its elements are any values, known or traced. It is mutable, so every name bound to
 * it sees `push!` and `v[i] = x`, as in Julia. Used as an array (broadcast, arithmetic, a result),
 * a vector of numbers becomes a traced array.
 */
export interface VectorValue {
  kind: "vector";
  /** The declared element type: `Any` for `[]`; elements are converted to it as they are stored. */
  eltype: JuliaType;
  elements: Value[];
}

/**
 * A Julia `Dict` at compile time: known keys (numbers, symbols, strings, tuples of them) to any
 * values, in insertion order (Julia's own order is by hash; programs that depend on it are rare).
 * Mutable like a vector: every name bound to it sees `d[k] = v`.
 */
export interface DictValue {
  kind: "dict";
  keyType: JuliaType;
  valueType: JuliaType;
  /** An `IdDict`: keys are compared with `===` (arrays and mutable values by identity), not isequal. */
  identity?: boolean;
  /** By the key's canonical text (isequal keys share it): the key and its value. */
  entries: Map<string, [Value, Value]>;
}

/** The values a program can change in place at compile time (`m.f = v`, `push!`, `d[k] = v`). */
export type MutableContainer = StructValue | VectorValue | DictValue;

/** A known String, or a Char (`char`: one character, Julia's `'a'`). */
export interface StringValue {
  kind: "string";
  value: string;
  char?: boolean;
}

export const char = (c: string): StringValue => ({ kind: "string", value: c, char: true });

/** The characters of a String, as the Chars iterating it gives; undefined for anything else. */
export function charsOf(v: Value): StringValue[] | undefined {
  return v.kind === "string" && !v.char ? [...v.value].map(char) : undefined;
}

/** A known `start:step:stop` range of integers or floats. */
export interface RangeValue {
  kind: "range";
  start: number;
  step: number;
  stop: number;
  type: NumType;
  /** `a:b` (UnitRange) as opposed to `a:s:b`. */
  unit: boolean;
}

/** Call arguments as the interpreter passes them to a method. */
export interface CallArgs {
  positional: Value[];
  keywords: Map<string, Value>;
  span: Span;
  /** Spans of each positional argument, for diagnostics. */
  argSpans: Span[];
}

/** A method implemented by the compiler itself (an intrinsic of Base/NNlib over the op table). */
export type Intrinsic = (args: CallArgs) => Value;

export interface Method {
  /** Source definition; absent for intrinsics. */
  def?: FunctionDef | Lambda;
  /** The scope the method was defined in (closures capture their enclosing local scope). */
  scope?: Scope;
  intrinsic?: Intrinsic;
  /** Where an intrinsic is declared, for "candidates" in MethodErrors. */
  description?: string;
  /** An intrinsic that handles Vector values itself; others see a vector of numbers as an array. */
  takesVectors?: boolean;
}

export interface GenericFunction {
  name: string;
  methods: Method[];
}

export interface FunctionValue {
  kind: "function";
  fn: GenericFunction;
}

export const NOTHING: Value = { kind: "nothing" };

export function num(type: NumType, value: number | boolean): KnownNumber {
  return { kind: "number", type, value };
}

export function tuple(elements: Value[]): TupleValue {
  return { kind: "tuple", elements };
}

const treeSizes = new WeakMap<Value, number>();

/**
 * Nodes of a value tree (tuples, NamedTuples, structs and their leaves), counting a shared part as
 * often as it occurs: the size the compiler's walks over it see (`f(x) = f((x, x))` doubles it
 * with every call). Immutable trees remember their size, so building a tree costs its new nodes only.
 */
export function treeSize(v: Value): number {
  if (v.kind !== "tuple" && v.kind !== "namedtuple" && v.kind !== "struct") return 1;
  const cached = treeSizes.get(v);
  if (cached !== undefined) return cached;
  let n = 1;
  for (const e of v.kind === "struct" ? v.fields : v.elements) n += treeSize(e);
  if (v.kind !== "struct" || !v.type.mutable) treeSizes.set(v, n);
  return n;
}
