// The Julia type of a compile-time value (for dispatch and messages), and human descriptions.

import { showSize } from "./arrays.js";
import type { ElementType } from "../eltypes.js";
import type { DataType, JuliaType, TypeParam } from "./types.js";
import { datatype, isFloat, showType, typeKey } from "./types.js";
import type { Value } from "./values.js";

export function juliaTypeOf(v: Value): JuliaType {
  switch (v.kind) {
    case "number":
      return datatype(v.type);
    case "tensor":
      if (v.scalar) return datatype(v.eltype);
      if (v.rowVector) return datatype("Adjoint", [datatype(v.eltype), datatype("Array", [datatype(v.eltype), 1])]);
      return datatype("Array", [datatype(v.eltype), v.size.length]);
    case "tuple":
      return datatype("Tuple", v.elements.map(juliaTypeOf));
    case "namedtuple":
      return datatype("NamedTuple", []);
    case "function":
      return datatype("Function");
    case "type":
      return datatype("Type", [v.type]);
    case "range":
      return rangeType(v.type === "Irrational" ? "Float64" : v.type, v.unit);
    case "symbol":
      return datatype("Symbol");
    case "string":
      return datatype(v.char ? "Char" : "String");
    case "nothing":
      return datatype("Nothing");
    case "colon":
      return datatype("Colon");
    case "module":
      return datatype("Module");
    case "struct":
      return datatype(v.type.name, v.params, v.type);
    case "vector":
      return datatype("Array", [v.eltype, 1]);
    case "dict":
      return datatype(v.identity ? "IdDict" : "Dict", [v.keyType, v.valueType]);
  }
}

/**
 * The type Julia gives a range: `UnitRange{Int64}`, `StepRange{Int64, Int64}`, and for floats a
 * StepRangeLen (kept in twice-precision for Float64, in Float64 for narrower floats).
 */
function rangeType(t: ElementType, unit: boolean): DataType {
  const el = datatype(t);
  if (!isFloat(t)) return unit ? datatype("UnitRange", [el]) : datatype("StepRange", [el, el]);
  const ref = t === "Float64" ? datatype("Base.TwicePrecision", [el]) : datatype("Float64");
  return datatype("StepRangeLen", [el, ref, ref, datatype("Int64")]);
}

/** Struct type parameters are fixed per value, so their key is computed once per parameter list. */
const paramKeys = new WeakMap<TypeParam[], string>();
const tupleKeys = new WeakMap<Value, string>();
const structNameKeys = new WeakMap<object, string>();

/**
 * `typeKey(juliaTypeOf(v))` without building the type: equal keys mean equal types (the dispatch
 * cache's key). A model's struct types are deep, so their parameters' key is kept.
 */
export function valueTypeKey(v: Value): string {
  switch (v.kind) {
    case "number":
      return v.type;
    case "tensor":
      if (v.scalar) return v.eltype;
      return v.rowVector ? `Adjoint{${v.eltype},Array{${v.eltype},#1}}` : `Array{${v.eltype},#${v.size.length}}`;
    case "tuple": {
      // Tuples are immutable, and a model passes the same ones (its layers) again and again.
      let key = tupleKeys.get(v);
      if (key === undefined) {
        key = v.elements.length ? `Tuple{${v.elements.map(valueTypeKey).join(",")}}` : "Tuple";
        tupleKeys.set(v, key);
      }
      return key;
    }
    case "struct": {
      let params = paramKeys.get(v.params);
      if (params === undefined) {
        params = v.params.map(typeKey).join(",");
        paramKeys.set(v.params, params);
      }
      let name = structNameKeys.get(v.type);
      if (name === undefined) {
        name = typeKey(datatype(v.type.name, [], v.type));
        structNameKeys.set(v.type, name);
      }
      return params ? `${name}{${params}}` : name;
    }
    default:
      return typeKey(juliaTypeOf(v));
  }
}

export function describeValue(v: Value): string {
  switch (v.kind) {
    case "number":
      return `${v.type === "Irrational" ? "an irrational number" : `a ${v.type}`} (${v.value})`;
    case "tensor":
      return v.scalar ? `a traced ${v.eltype}` : `a traced ${showType(juliaTypeOf(v))} of size ${showSize(v.size)}`;
    case "tuple":
      return `a ${v.elements.length}-element tuple`;
    case "namedtuple":
      return `a NamedTuple (${v.names.join(", ")})`;
    case "function":
      return `the function ${v.fn.name}`;
    case "type":
      return `the type ${showType(v.type)}`;
    case "range":
      return `the range ${v.start}:${v.unit ? "" : `${v.step}:`}${v.stop}`;
    case "symbol":
      return `:${v.name}`;
    case "string":
      return v.char ? `the Char '${v.value}'` : `the string ${JSON.stringify(v.value)}`;
    case "nothing":
      return "nothing";
    case "colon":
      return "`:`";
    case "module":
      return `the module ${v.name}`;
    case "struct":
      return `a ${showType(juliaTypeOf(v))}`;
    case "vector":
      return `a ${v.elements.length}-element ${showType(juliaTypeOf(v))}`;
    case "dict":
      return `a ${showType(juliaTypeOf(v))} with ${v.entries.size} entr${v.entries.size === 1 ? "y" : "ies"}`;
  }
}

/** The element type Julia infers for a collection of these values: their type when they share one, else Any. */
export function commonType(values: Value[]): JuliaType {
  const types = values.map(juliaTypeOf);
  return types.length && types.every((t) => typeKey(t) === typeKey(types[0]!)) ? types[0]! : datatype("Any");
}

/** A known value as Julia's `print` writes it (string interpolation): `(5, 3, 2)`, `1.0`, `nothing`. */
export function printValue(v: Value): string {
  switch (v.kind) {
    case "string":
      return v.value;
    case "symbol":
      return v.name;
    case "nothing":
      return "nothing";
    case "number": {
      const text = String(v.value);
      return isFloat(v.type) && Number.isInteger(v.value) ? `${text}.0` : text;
    }
    case "tuple":
      return `(${v.elements.map(printValue).join(", ")}${v.elements.length === 1 ? "," : ""})`;
    case "type":
      return showType(v.type);
    default:
      return describeValue(v);
  }
}
