// Julia's numeric types at compile time: the type hierarchy used by dispatch, promotion
// (`promote_type`), and the mapping from Julia element types to XLA primitive types.

import { ELEMENT_TYPES, ELTYPES, type ElementType, type PrimitiveType } from "../eltypes.js";

/** Julia numeric types a known scalar can have. `Irrational` is π and ℯ: it adopts the other operand's float type. */
export type NumType = ElementType | "Irrational";

export const PRIMITIVE_OF = Object.fromEntries(ELEMENT_TYPES.map((t) => [t, ELTYPES[t].primitive])) as Record<ElementType, PrimitiveType>;

export { ELEMENT_TYPES };

const kindOf = (t: NumType) => (t === "Irrational" ? "float" : ELTYPES[t]?.kind);
export const isFloat = (t: NumType): boolean => kindOf(t) === "float";
export const isSigned = (t: NumType): boolean => kindOf(t) === "signed";
export const isUnsigned = (t: NumType): boolean => kindOf(t) === "unsigned";
export const isInteger = (t: NumType): boolean => isSigned(t) || isUnsigned(t) || t === "Bool";

export function bitsOf(t: ElementType): number {
  return ELTYPES[t].bytes * 8;
}

/**
 * Julia's `promote_type` for the numeric types we support:
 * floats win over integers (`Float32 * 2` stays Float32), the wider float wins (`Float32 * 1.0` is
 * Float64), BFloat16 with Float16 is Float32, Bool gives way to everything, signed/unsigned of equal
 * width is unsigned, otherwise the wider integer wins; π takes the other operand's float type.
 */
export function promoteType(a: NumType, b: NumType): NumType {
  if (a === b) return a;
  if (a === "Irrational") return isFloat(b) ? b : "Float64";
  if (b === "Irrational") return isFloat(a) ? a : "Float64";
  const fa = isFloat(a), fb = isFloat(b);
  if (fa && fb) {
    if ((a === "Float16" && b === "BFloat16") || (a === "BFloat16" && b === "Float16")) return "Float32";
    return bitsOf(a as ElementType) >= bitsOf(b as ElementType) ? a : b;
  }
  if (fa) return a;
  if (fb) return b;
  if (a === "Bool") return b;
  if (b === "Bool") return a;
  const ba = bitsOf(a as ElementType), bb = bitsOf(b as ElementType);
  if (ba === bb) return isUnsigned(a) ? a : b;
  return ba > bb ? a : b;
}

/** The concrete element type of a value of type `t` once materialized (π becomes Float64). */
export function concrete(t: NumType): ElementType {
  return t === "Irrational" ? "Float64" : t;
}

/** The float type that `/`, `sqrt`, `exp`... produce for an argument of type `t` (`float(T)`). */
export function floatOf(t: NumType): ElementType {
  if (isFloat(t)) return concrete(t);
  return "Float64";
}

/** Julia's `sum`/`prod` widen small integers and Bool to the machine integer (Base.add_sum). */
export function sumType(t: ElementType): ElementType {
  if (t === "Bool" || t === "Int8" || t === "Int16" || t === "Int32") return "Int64";
  if (t === "UInt8" || t === "UInt16" || t === "UInt32") return "UInt64";
  return t;
}

// ---- the type lattice used by dispatch ---------------------------------------------------------

/** A Julia type as a compile-time value. Parameters are types, integers (for `N`), symbols, or type variables. */
export type JuliaType = DataType | { kind: "typevar"; name: string; upper?: JuliaType } | { kind: "union"; types: JuliaType[] };

/**
 * A named type, possibly with parameters. User-defined types (`struct`, `abstract type`) carry
 * their declaration, which knows their supertype; built-in ones use the SUPERTYPE table.
 */
export interface DataType {
  kind: "datatype";
  name: string;
  params: TypeParam[];
  decl?: UserTypeDecl;
}

/** What the type lattice needs to know of a user-defined type (the struct details live in values.ts). */
export interface UserTypeDecl {
  name: string;
  abstract: boolean;
  /** The declared supertype (`Any` when none). */
  super: DataType;
}

/** Type parameters: types, integers (`N` in `Array{T,N}`, `Val{3}`) and symbols (`Val{:relu}`, written ":relu"). */
export type TypeParam = JuliaType | number | string;

/** Supertype of each abstract or concrete type name we model. */
const SUPERTYPE: Record<string, string> = {
  Number: "Any", Real: "Number", AbstractFloat: "Real", Integer: "Real", Signed: "Integer", Unsigned: "Integer",
  Bool: "Integer", Irrational: "AbstractIrrational", AbstractIrrational: "Real",
  Float16: "AbstractFloat", BFloat16: "AbstractFloat", Float32: "AbstractFloat", Float64: "AbstractFloat",
  Int8: "Signed", Int16: "Signed", Int32: "Signed", Int64: "Signed",
  UInt8: "Unsigned", UInt16: "Unsigned", UInt32: "Unsigned", UInt64: "Unsigned",
  AbstractArray: "Any", DenseArray: "AbstractArray", Array: "DenseArray",
  AbstractRange: "AbstractArray", UnitRange: "AbstractRange", StepRange: "AbstractRange", StepRangeLen: "AbstractRange",
  Adjoint: "AbstractArray", Transpose: "AbstractArray",
  Tuple: "Any", NamedTuple: "Any", Function: "Any", Symbol: "Any", String: "AbstractString", AbstractString: "Any", Char: "AbstractChar", AbstractChar: "Any",
  Nothing: "Any", DataType: "Type", Type: "Any", Colon: "Any", Module: "Any", AbstractDict: "Any", Dict: "AbstractDict", IdDict: "AbstractDict",
};

const RANGE_TYPES = new Set(["UnitRange", "StepRange", "StepRangeLen"]);

/** `Tuple`: tuples of any length and element types. */
export const ANY_TUPLE: DataType = { kind: "datatype", name: "Tuple", params: [{ kind: "datatype", name: "Vararg", params: [{ kind: "datatype", name: "Any", params: [] }] }] };

export function datatype(name: string, params: TypeParam[] = [], decl?: UserTypeDecl): DataType {
  return decl ? { kind: "datatype", name, params, decl } : { kind: "datatype", name, params };
}

export function isKnownTypeName(name: string): boolean {
  return name in SUPERTYPE || name === "Any";
}

/** `Vector{T}` is `Array{T,1}`, `AbstractMatrix{T}` is `AbstractArray{T,2}`, ... */
export function expandAlias(name: string, params: TypeParam[]): JuliaType | undefined {
  // The alias's own variables are anonymous (`#`): `f(x::AbstractVector, y::AbstractVector)`
  // takes vectors of different element types, as each alias is its own UnionAll in Julia.
  const tv = (n: string): JuliaType => ({ kind: "typevar", name: `#${n}` });
  switch (name) {
    case "Vector": return datatype("Array", [params[0] ?? tv("T"), 1]);
    case "Matrix": return datatype("Array", [params[0] ?? tv("T"), 2]);
    case "AbstractVector": return datatype("AbstractArray", [params[0] ?? tv("T"), 1]);
    case "AbstractMatrix": return datatype("AbstractArray", [params[0] ?? tv("T"), 2]);
    case "VecOrMat":
    case "AbstractVecOrMat": return { kind: "union", types: [datatype("AbstractArray", [params[0] ?? tv("T"), 1]), datatype("AbstractArray", [params[0] ?? tv("T"), 2])] };
    // NTuple{N,T} is Tuple{Vararg{T,N}}.
    case "NTuple": return datatype("Tuple", [datatype("Vararg", [params[1] ?? tv("T"), params[0] ?? tv("N")])]);
    // Base.Dims{N} is NTuple{N,Int}: sizes.
    case "Dims": return datatype("Tuple", [datatype("Vararg", [datatype("Int64"), params[0] ?? tv("N")])]);
    default: return undefined;
  }
}

export function showType(t: TypeParam): string {
  if (typeof t === "number" || typeof t === "string") return String(t);
  if (t.kind === "typevar") return t.name.startsWith("#") ? (t.upper ? `<:${showType(t.upper)}` : t.name.slice(1).replace(/^\d+$/, "T")) : t.name;
  if (t.kind === "union") return `Union{${t.types.map(showType).join(", ")}}`;
  const only = t.params[0];
  if (t.name === "Tuple" && t.params.length === 0) return "Tuple{}";
  if (t.name === "Tuple" && t.params.length === 1 && typeof only === "object" && only.kind === "datatype" && only.name === "Vararg" && only.params.length === 1 && showType(only.params[0]!) === "Any") return "Tuple";
  // Julia prints NTuple{2, Int64} as Tuple{Int64, Int64}, and as NTuple{4, Int64} from 4 elements on.
  if (t.name === "Tuple" && t.params.length === 1 && typeof only === "object" && only.kind === "datatype" && only.name === "Vararg" && typeof only.params[1] === "number") {
    const [el, n] = only.params as [TypeParam, number];
    return n > 3 ? `NTuple{${n}, ${showType(el)}}` : `Tuple{${new Array<string>(n).fill(showType(el)).join(", ")}}`;
  }
  if (t.name === "Array" && t.params.length === 2) {
    const [el, n] = t.params;
    if (n === 1) return `Vector{${showType(el!)}}`;
    if (n === 2) return `Matrix{${showType(el!)}}`;
  }
  return t.params.length ? `${t.name}{${t.params.map(showType).join(", ")}}` : t.name;
}

/** The element types of an `n`-tuple of Tuple type `t` (a trailing Vararg repeats), or undefined when no n-tuple has that type. */
export function tupleElementTypes(t: DataType, n: number): JuliaType[] | undefined {
  const last = t.params[t.params.length - 1];
  const vararg = last !== undefined && typeof last === "object" && last.kind === "datatype" && last.name === "Vararg" ? last : undefined;
  const fixed = vararg ? t.params.slice(0, -1) : t.params;
  if (fixed.some((p) => typeof p !== "object")) return undefined;
  if (vararg ? n < fixed.length || (typeof vararg.params[1] === "number" && vararg.params[1] !== n - fixed.length) : n !== fixed.length) return undefined;
  const rest = vararg?.params[0];
  const restType: JuliaType = rest !== undefined && typeof rest === "object" ? rest : datatype("Any");
  return Array.from({ length: n }, (_, i) => (i < fixed.length ? (fixed[i] as JuliaType) : restType));
}

/** Whether a type mentions a type variable (then it is not yet a concrete field type to convert to). */
export function hasTypeVars(t: TypeParam): boolean {
  if (typeof t !== "object") return false;
  if (t.kind === "typevar") return true;
  if (t.kind === "union") return t.types.some(hasTypeVars);
  return t.params.some(hasTypeVars);
}

/** Type-variable bindings made while matching a method signature (`where {T<:Real}`). */
export type Bindings = Map<string, TypeParam>;

/** The supertype of a named type: its declaration's, else the built-in table's. */
export function supertypeOf(t: DataType): DataType | undefined {
  if (t.decl) return t.decl.super;
  const name = SUPERTYPE[t.name];
  return name ? datatype(name) : t.name === "Any" ? undefined : datatype("Any");
}

/** Whether `b` (by name, and by declaration for user types: two structs may share a name) is among a's supertypes. */
function nameIsSubtype(a: DataType, b: DataType): boolean {
  if (b.name === "Any") return true;
  for (let t: DataType | undefined = a; t; t = supertypeOf(t)) if (t.name === b.name && (!t.decl || !b.decl || t.decl === b.decl)) return true;
  return false;
}

/**
 * `a <: b` for the types we model. Type parameters are invariant (as in Julia: `Vector{Float32}` is
 * not a `Vector{Real}`), except that a type variable in `b` matches anything within its bound and
 * binds; Tuple parameters are covariant.
 */
export function isSubtype(a: JuliaType, b: JuliaType, bindings: Bindings = new Map()): boolean {
  if (b.kind === "typevar") return bindVar(b, a, bindings);
  if (b.kind === "union") return b.types.some((t) => isSubtype(a, t, bindings));
  if (a.kind === "union") return a.types.every((t) => isSubtype(t, b, bindings));
  if (a.kind === "typevar") return a.upper ? isSubtype(a.upper, b, bindings) : b.name === "Any";
  if (b.name === "Tuple") return a.name === "Tuple" && tupleMatches(a.params, b.params, bindings);
  if (!nameIsSubtype(a, b)) return false;
  if (b.params.length === 0) return true;
  if (a.decl && a.name !== b.name) return true;
  // Array types share the (eltype, N) parameters of the abstract arrays above them; an Adjoint
  // of a vector is an AbstractMatrix of its element type.
  // Ranges are AbstractVectors of their element type.
  const ap = a.name === "Adjoint" && b.name !== "Adjoint" ? [a.params[0]!, 2] : RANGE_TYPES.has(a.name) && b.name !== a.name ? [a.params[0]!, 1] : a.params;
  return b.params.every((bp, i) => (ap[i] === undefined ? typeof bp === "object" && bp.kind === "typevar" : paramMatches(ap[i]!, bp, bindings, false)));
}

/** Tuple parameters are covariant; a trailing `Vararg{T,N}` matches the remaining elements (binding N). */
function tupleMatches(a: TypeParam[], b: TypeParam[], bindings: Bindings): boolean {
  const last = b[b.length - 1];
  // `a` itself a signature's tuple with a trailing Vararg (comparing methods' specificity):
  // `Vararg{T,2}` is two Ts; one of unknown length is within `b` only where b's is as open.
  const aLast = a[a.length - 1];
  if (aLast !== undefined && typeof aLast === "object" && aLast.kind === "datatype" && aLast.name === "Vararg") {
    const [ael, an] = aLast.params;
    const el = ael ?? datatype("Any");
    if (typeof an === "number") return tupleMatches([...a.slice(0, -1), ...new Array<TypeParam>(an).fill(el)], b, bindings);
    if (last === undefined || typeof last !== "object" || last.kind !== "datatype" || last.name !== "Vararg" || a.length !== b.length) return false;
    const [bel, bn] = last.params;
    if (bn !== undefined && !(typeof bn === "object" && bn.kind === "typevar")) return false;
    return a.slice(0, -1).every((p, i) => paramMatches(p, b[i]!, bindings, true)) && (bel === undefined || paramMatches(el, bel, bindings, true));
  }
  if (last !== undefined && typeof last === "object" && last.kind === "datatype" && last.name === "Vararg") {
    const fixed = b.length - 1;
    if (a.length < fixed) return false;
    if (!a.slice(0, fixed).every((p, i) => paramMatches(p, b[i]!, bindings, true))) return false;
    const [el, n] = last.params;
    const rest = a.slice(fixed);
    if (n !== undefined && !paramMatches(rest.length, n, bindings, false)) return false;
    return el === undefined || rest.every((p) => paramMatches(p, el, bindings, true));
  }
  return a.length === b.length && a.every((p, i) => paramMatches(p, b[i]!, bindings, true));
}

function paramMatches(a: TypeParam, b: TypeParam, bindings: Bindings, covariant: boolean): boolean {
  if (typeof b === "number" || typeof b === "string") return a === b;
  if (b.kind === "typevar") {
    if (typeof a === "number" || typeof a === "string") return bindValue(b.name, a, bindings);
    return bindVar(b, a, bindings);
  }
  if (typeof a === "number" || typeof a === "string") return false;
  if (covariant) return isSubtype(a, b, bindings);
  return isSubtype(a, b, bindings) && isSubtype(b, a, new Map(bindings));
}

function bindVar(v: { name: string; upper?: JuliaType }, a: JuliaType, bindings: Bindings): boolean {
  if (v.upper && !isSubtype(a, v.upper, bindings)) return false;
  return bindValue(v.name, a, bindings);
}

function bindValue(name: string, value: TypeParam, bindings: Bindings): boolean {
  // An anonymous variable (`Vector{<:Real}`, an alias's own) binds nothing beyond its bound.
  if (name.startsWith("#")) return true;
  const prev = bindings.get(name);
  if (prev === undefined) {
    bindings.set(name, value);
    return true;
  }
  return typeEquals(prev, value);
}

export function typeEquals(a: TypeParam, b: TypeParam): boolean {
  if (typeof a !== "object" || typeof b !== "object") return a === b;
  return showType(a) === showType(b);
}

/** Ids that tell apart user types of the same name (a struct of Main shadowing the library's). */
const declIds = new WeakMap<object, number>();
let nextDeclId = 0;

/** A string that is equal for two types exactly when they are the same type (the dispatch cache's key). */
export function typeKey(t: TypeParam): string {
  if (typeof t === "number") return `#${t}`;
  if (typeof t === "string") return `'${t}`;
  switch (t.kind) {
    case "datatype": {
      let id = "";
      if (t.decl) {
        if (!declIds.has(t.decl)) declIds.set(t.decl, nextDeclId++);
        id = `@${declIds.get(t.decl)}`;
      }
      return t.params.length ? `${t.name}${id}{${t.params.map(typeKey).join(",")}}` : `${t.name}${id}`;
    }
    case "typevar":
      return `?${t.name}<:${t.upper ? typeKey(t.upper) : ""}`;
    case "union":
      return `U{${t.types.map(typeKey).join(",")}}`;
  }
}
