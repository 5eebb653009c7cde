// The intrinsic functions of Base (and the few NNlib primitives that map to one HLO op): Julia
// semantics on known numbers, HLO through the array lowering on traced tensors. Library code that
// can be written in Julia lives in prelude.jl instead.

import type { ElementType } from "../../plugins/api.js";
import { ELTYPES } from "../eltypes.js";
import type { Span } from "../diagnostics.js";
import type { ComparisonDirection } from "../hlo/ir.js";
import * as ops from "../hlo/ops.js";
import type { OpRule } from "../hlo/ops.js";
import type { ReductionKind } from "../semantics/arrays.js";
import { showSize } from "../semantics/arrays.js";
import { describeValue, juliaTypeOf } from "../semantics/describe.js";
import { LIBRARY_MODULES, rangeLength } from "../semantics/interpreter.js";
import type { JuliaType, NumType } from "../semantics/types.js";
import { ANY_TUPLE, ELEMENT_TYPES, concrete, datatype, expandAlias, floatOf, isFloat, isInteger, isSubtype, promoteType, showType, sumType, tupleElementTypes } from "../semantics/types.js";
import type { CallArgs, KnownNumber, Tensor, Value } from "../semantics/values.js";
import { NOTHING, num, tuple } from "../semantics/values.js";
import { convertExact, roundTo, toNumber } from "./numbers.js";
import type { IntrinsicLibrary, Scalarish } from "./intrinsics.js";
import { elementType, isScalarish, typeOfScalar } from "./intrinsics.js";

export function defineBase(lib: IntrinsicLibrary): void {
  const { interp, arrays, fail, define, arity, methodError, asTensor } = lib;
  const noKeywords = (args: CallArgs, name: string) => lib.keywords(args, name);

  // ---- numbers and types -------------------------------------------------------------------

  const constants: [string, KnownNumber][] = [
    ["π", num("Irrational", Math.PI)], ["pi", num("Irrational", Math.PI)], ["ℯ", num("Irrational", Math.E)],
    ["Inf", num("Float64", Infinity)], ["Inf64", num("Float64", Infinity)], ["Inf32", num("Float32", Infinity)], ["Inf16", num("Float16", Infinity)],
    ["NaN", num("Float64", NaN)], ["NaN64", num("Float64", NaN)], ["NaN32", num("Float32", NaN)], ["NaN16", num("Float16", NaN)],
  ];
  for (const [name, v] of constants) lib.set(name, v);
  lib.set("nothing", NOTHING);

  const abstractTypes = ["Any", "Number", "Real", "AbstractFloat", "Integer", "Signed", "Unsigned", "AbstractArray", "DenseArray", "Array", "NamedTuple", "Function", "Symbol", "String", "AbstractString", "Char", "AbstractChar", "Nothing", "AbstractRange", "UnitRange", "StepRange", "Vararg", "Type", "DataType", "Dict", "IdDict", "AbstractDict", "Colon"];
  for (const t of [...ELEMENT_TYPES, ...abstractTypes]) lib.set(t, { kind: "type", type: datatype(t) });
  lib.set("Tuple", { kind: "type", type: ANY_TUPLE });
  // Int and UInt are the machine integers (64-bit, as on every platform tpu-build compiles for).
  lib.set("Int", { kind: "type", type: datatype("Int64") });
  lib.set("UInt", { kind: "type", type: datatype("UInt64") });
  for (const alias of ["Vector", "Matrix", "AbstractVector", "AbstractMatrix", "VecOrMat", "AbstractVecOrMat", "NTuple", "Dims"]) lib.set(alias, { kind: "type", type: expandAlias(alias, [])! });
  // Flux.Losses is a module of Flux; all library names live in one scope.
  for (const m of LIBRARY_MODULES) lib.set(m, { kind: "module", name: m });

  // ---- arithmetic ----------------------------------------------------------------------------

  interface Arith {
    rule: OpRule<void>;
    /** Result type from the promoted operand type. */
    type: (t: NumType) => NumType;
    /** Known-value semantics (on doubles; the result is rounded to the result type). */
    known: (a: number, b: number, t: NumType) => number | boolean;
  }

  const arith: Record<string, Arith> = {
    "+": { rule: ops.add, type: (t) => (t === "Bool" ? "Int64" : t), known: (a, b) => a + b },
    "-": { rule: ops.subtract, type: (t) => (t === "Bool" ? "Int64" : t), known: (a, b) => a - b },
    "*": { rule: ops.multiply, type: (t) => t, known: (a, b, t) => (t === "Bool" ? Boolean(a && b) : a * b) },
    "/": { rule: ops.divide, type: (t) => floatOf(t), known: (a, b) => a / b },
    "max": { rule: ops.maximum, type: (t) => t, known: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)) },
    "min": { rule: ops.minimum, type: (t) => t, known: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)) },
    "%": { rule: ops.remainder, type: (t) => t, known: (a, b) => a % b },
    "&": { rule: ops.and, type: (t) => t, known: (a, b, t) => (t === "Bool" ? Boolean(a && b) : Number(BigInt(a) & BigInt(b))) },
    "|": { rule: ops.or, type: (t) => t, known: (a, b, t) => (t === "Bool" ? Boolean(a || b) : Number(BigInt(a) | BigInt(b))) },
    "xor": { rule: ops.xor, type: (t) => t, known: (a, b, t) => (t === "Bool" ? Boolean(a) !== Boolean(b) : Number(BigInt(a) ^ BigInt(b))) },
  };
  arith["⊻"] = arith["xor"]!;
  arith["rem"] = arith["%"]!;

  /** Elementwise binary arithmetic on two Julia scalars (known or traced). */
  const scalarArith = (name: string, a: Scalarish, b: Scalarish, span: Span): Value => {
    const op = arith[name]!;
    const promoted = promoteType(typeOfScalar(a), typeOfScalar(b));
    const resultType = op.type(promoted);
    if ((name === "&" || name === "|" || name === "xor" || name === "⊻") && !isInteger(concrete(promoted)))
      throw fail("no-method", `MethodError: no method matching ${name}(::${typeOfScalar(a)}, ::${typeOfScalar(b)}); bitwise operators need integers or Bool`, span);
    if (a.kind === "number" && b.kind === "number") {
      if ((name === "%" || name === "rem") && isInteger(concrete(promoted)) && toNumber(b.value) === 0) throw fail("divide-error", "DivideError: integer division error", span);
      const value = op.known(toNumber(a.value), toNumber(b.value), promoted);
      return num(resultType, roundTo(resultType, value));
    }
    const t = concrete(resultType);
    return arrays.elementwise(op.rule, [asTensor(a, t), asTensor(b, t)], true);
  };

  /** `x ÷ y`: integer division truncating toward zero (floats: the truncated quotient). */
  const intDiv = (a: Scalarish, b: Scalarish, span: Span): Value => {
    const t = concrete(promoteType(typeOfScalar(a), typeOfScalar(b)));
    if (a.kind === "number" && b.kind === "number") {
      const y = toNumber(b.value);
      if (isInteger(t) && y === 0) throw fail("divide-error", "DivideError: integer division error", span);
      return num(t === "Bool" ? "Bool" : t, roundTo(t, Math.trunc(toNumber(a.value) / y)));
    }
    const q = arrays.elementwise(ops.divide, [asTensor(a, t), asTensor(b, t)], true);
    if (!isFloat(t)) return q;
    const zero = arrays.constant(t, 0);
    const negative = arrays.compare("LT", q, zero, true);
    return arrays.select(negative, arrays.elementwise(ops.ceil, [q], true), arrays.elementwise(ops.floor, [q], true), true);
  };

  /** `x ^ y`, with Julia's literal_pow for small integer powers (x^2 is x*x). */
  const power = (a: Scalarish, b: Scalarish, span: Span): Value => {
    const ta = typeOfScalar(a), tb = typeOfScalar(b);
    if (a.kind === "number" && b.kind === "number") {
      if (isInteger(concrete(ta)) && isInteger(concrete(tb)) && toNumber(b.value) < 0 && Math.abs(toNumber(a.value)) !== 1)
        throw fail("domain-error", `DomainError: cannot raise an integer ${a.value} to a negative power ${b.value}; make the base a float, e.g. ${a.value}.0^${b.value}`, span);
      const t = isInteger(concrete(tb)) ? (ta === "Irrational" ? "Float64" : ta) : promoteType(ta, tb);
      return num(t, roundTo(t, Math.pow(toNumber(a.value), toNumber(b.value))));
    }
    if (b.kind === "number" && isInteger(concrete(tb))) {
      const n = toNumber(b.value);
      const base = a as Tensor;
      if (n === 0) return { ...arrays.broadcastTo(arrays.constant(base.eltype, 1), base.size), scalar: true };
      if (n >= 1 && n <= 4) {
        let acc = base;
        for (let i = 1; i < n; i++) acc = arrays.elementwise(ops.multiply, [acc, base], true);
        return acc;
      }
      if (n < 0 && !isFloat(base.eltype)) throw fail("domain-error", "DomainError: cannot raise an integer to a negative power", span);
      return arrays.elementwise(ops.power, [base, arrays.constant(base.eltype, n)], true);
    }
    const t = concrete(promoteType(ta, tb));
    return arrays.elementwise(ops.power, [asTensor(a, t), asTensor(b, t)], true);
  };

  const comparisons: Record<string, { dir: ComparisonDirection; known: (a: number, b: number) => boolean }> = {
    "==": { dir: "EQ", known: (a, b) => a === b },
    "!=": { dir: "NE", known: (a, b) => a !== b },
    "≠": { dir: "NE", known: (a, b) => a !== b },
    "<": { dir: "LT", known: (a, b) => a < b },
    "<=": { dir: "LE", known: (a, b) => a <= b },
    "≤": { dir: "LE", known: (a, b) => a <= b },
    ">": { dir: "GT", known: (a, b) => a > b },
    ">=": { dir: "GE", known: (a, b) => a >= b },
    "≥": { dir: "GE", known: (a, b) => a >= b },
  };

  const compareScalars = (name: string, a: Scalarish, b: Scalarish): Value => {
    const c = comparisons[name]!;
    if (a.kind === "number" && b.kind === "number") return num("Bool", c.known(toNumber(a.value), toNumber(b.value)));
    const t = concrete(promoteType(typeOfScalar(a), typeOfScalar(b)));
    return arrays.compare(c.dir, asTensor(a, t), asTensor(b, t), true);
  };

  const sameSize = (a: Tensor, b: Tensor, name: string, span: Span) => {
    if (a.size.length !== b.size.length || a.size.some((d, i) => d !== b.size[i]))
      throw fail("dimension-mismatch", `DimensionMismatch: dimensions must match: a has dims ${showSize(a.size)}, b has dims ${showSize(b.size)}`, span, [`use .${name} to broadcast`]);
  };

  /** The binary operators, with Julia's rules for which array/scalar combinations they accept without a dot. */
  const binaryOperator = (name: string) => (args: CallArgs): Value => {
    if (args.positional.length === 1 && (name === "-" || name === "+")) return unaryPlusMinus(name, args);
    arity(args, name, 2, name === "+" || name === "*" || name === "max" || name === "min" ? Infinity : 2);
    noKeywords(args, name);
    if (args.positional.length > 2) {
      // `a + b + c` parses as one call in Julia: fold left.
      return args.positional.slice(1).reduce<Value>((acc, v, i) => binaryOperator(name)({ ...args, positional: [acc, v], argSpans: [args.argSpans[0]!, args.argSpans[i + 1]!] }), args.positional[0]!);
    }
    const [a, b] = args.positional as [Value, Value];
    if (isScalarish(a) && isScalarish(b)) {
      if (name === "÷" || name === "div") return intDiv(a, b, args.span);
      if (name === "^") return power(a, b, args.span);
      if (name in comparisons) return compareScalars(name, a, b);
      return scalarArith(name, a, b, args.span);
    }
    if ((name === "==" || name === "!=" || name === "≠") && a.kind !== "tensor" && b.kind !== "tensor") {
      // Equality of known values: tuples, types, symbols, strings, nothing, functions.
      const eq = knownEqual(a, b);
      return num("Bool", name === "==" ? eq : !eq);
    }
    if (a.kind === "tensor" && b.kind === "tensor" && !a.scalar && !b.scalar) {
      if (name === "==" || name === "!=" || name === "≠") {
        // Array equality is one Bool: same size and every element equal.
        const sameShape = a.size.length === b.size.length && a.size.every((d, i) => d === b.size[i]);
        if (!sameShape) return num("Bool", name !== "==");
        const each = compareScalars("==", { ...a, scalar: true }, { ...b, scalar: true }) as Tensor;
        const all = arrays.reduce("all", { ...each, scalar: false }, undefined, "Bool");
        return name === "==" ? all : arrays.elementwise(ops.not, [all], true);
      }
      if (name === "+" || name === "-") {
        sameSize(a, b, name, args.span);
        return { ...(scalarArith(name, { ...a, scalar: true }, { ...b, scalar: true }, args.span) as Tensor), scalar: false };
      }
      if (name === "*") {
        if (a.size.length === 1 && b.size.length === 1 && !a.rowVector) throw methodError("*", args, "a vector times a vector is not defined; use dot(x, y), x' * y, or x .* y elementwise");
        const t = concrete(promoteType(a.eltype, b.eltype));
        return arrays.matmul(arrays.convert(a, t), arrays.convert(b, t));
      }
    }
    if (name === "*" || (name === "/" && isScalarish(b))) {
      // Array times scalar (either side) and array divided by scalar scale every element.
      const arr = (isScalarish(a) ? b : a) as Tensor;
      if (arr.kind === "tensor" && (isScalarish(a) || isScalarish(b))) {
        const r = scalarArith(name, isScalarish(a) ? a : { ...arr, scalar: true }, isScalarish(b) ? b : { ...arr, scalar: true }, args.span) as Tensor;
        return { ...r, scalar: false, rowVector: arr.rowVector };
      }
    }
    const hint = a.kind === "tensor" || b.kind === "tensor" ? `for elementwise ${name} use the dotted operator .${name}` : undefined;
    throw methodError(name, args, hint);
  };

  /** `-x` and `+x`: one-argument methods of the same functions (`-true` is the Int64 -1). */
  const unaryPlusMinus = (name: "-" | "+", args: CallArgs): Value => {
    const x = args.positional[0]!;
    if (name === "+" && (x.kind === "number" || x.kind === "tensor")) return x;
    if (x.kind === "number") {
      const t = x.type === "Bool" ? "Int64" : x.type;
      return num(t, roundTo(t, -toNumber(x.value)));
    }
    if (x.kind === "tensor") {
      const t = x.eltype === "Bool" ? "Int64" : x.eltype;
      return { ...arrays.elementwise(ops.negate, [arrays.convert(x, t)], x.scalar), rowVector: x.rowVector };
    }
    throw methodError(name, args);
  };

  for (const name of ["+", "-", "*", "/", "%", "rem", "&", "|", "xor", "⊻", "max", "min", "÷", "div", "^", ...Object.keys(comparisons)]) define(name, binaryOperator(name));

  define("!", (args) => {
    arity(args, "!", 1);
    const x = args.positional[0]!;
    if (x.kind === "number" && x.type === "Bool") return num("Bool", !x.value);
    if (x.kind === "tensor" && x.scalar && x.eltype === "Bool") return arrays.elementwise(ops.not, [x], true);
    throw methodError("!", args);
  });

  define("ifelse", (args) => {
    arity(args, "ifelse", 3);
    const [c, a, b] = args.positional as [Value, Value, Value];
    if (c.kind === "number" && c.type === "Bool") return c.value ? a : b;
    if (!(c.kind === "tensor" && c.eltype === "Bool")) throw fail("type-error", `TypeError: ifelse needs a Bool condition, got ${describeValue(c)}`, args.argSpans[0] ?? args.span);
    if (!isScalarish(a) || !isScalarish(b)) throw fail("unsupported-select", "choosing between non-numbers on a traced condition is not supported yet", args.span);
    const t = concrete(promoteType(typeOfScalar(a), typeOfScalar(b)));
    return arrays.select(c, asTensor(a, t), asTensor(b, t), c.scalar);
  });

  define("identity", (args) => {
    arity(args, "identity", 1);
    return args.positional[0]!;
  });

  // ---- elementwise math ----------------------------------------------------------------------

  const unaryMath = (name: string, rule: OpRule<void>, known: (x: number) => number, domain?: (x: number) => boolean, keepType = false) =>
    define(name, (args) => {
      arity(args, name, 1);
      noKeywords(args, name);
      const x = args.positional[0]!;
      if (!isScalarish(x)) {
        const hint = x.kind === "tensor" ? `${name} of an array is not elementwise in Julia; use ${name}.(x)` : undefined;
        throw methodError(name, args, hint);
      }
      const t = keepType ? concrete(typeOfScalar(x)) : floatOf(typeOfScalar(x));
      if (x.kind === "number") {
        const v = toNumber(x.value);
        if (domain && !domain(v)) throw fail("domain-error", `DomainError with ${v}: ${name} was called with an argument outside its domain`, args.span);
        return num(t, roundTo(t, known(v)));
      }
      return arrays.elementwise(rule, [arrays.convert(x, t)], true);
    });

  unaryMath("exp", ops.exp, Math.exp);
  unaryMath("expm1", ops.expm1, Math.expm1);
  unaryMath("log", ops.log, Math.log, (x) => x >= 0);
  unaryMath("log1p", ops.log1p, Math.log1p, (x) => x >= -1);
  unaryMath("sqrt", ops.sqrt, Math.sqrt, (x) => x >= 0);
  unaryMath("√", ops.sqrt, Math.sqrt, (x) => x >= 0);
  unaryMath("cbrt", ops.cbrt, Math.cbrt);
  unaryMath("tanh", ops.tanh, Math.tanh);
  unaryMath("sin", ops.sin, Math.sin);
  unaryMath("cos", ops.cos, Math.cos);
  unaryMath("tan", ops.tan, Math.tan);
  unaryMath("abs", ops.abs, Math.abs, undefined, true);
  unaryMath("sign", ops.sign, Math.sign, undefined, true);
  unaryMath("floor", ops.floor, Math.floor, undefined, true);
  unaryMath("ceil", ops.ceil, Math.ceil, undefined, true);
  unaryMath("round", ops.roundNearestEven, (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
  }, undefined, true);
  // round(x; digits, sigdigits, base = 10) as Base computes it: scaled by base^digits, rounded half
  // to even, scaled back; sigdigits counts from x's leading digit (so x must be known).
  const knownNumber = (v: Value, what: string, span: Span): number => {
    if (v.kind !== "number") throw fail("argument-error", `ArgumentError: round: ${what} must be a number known at compile time, got ${describeValue(v)}`, span);
    return toNumber(v.value);
  };
  lib.overload("round", (args) => {
    if (!args.keywords.size || args.positional.length !== 1) return undefined;
    lib.keywords(args, "round", ["digits", "sigdigits", "base"]);
    const x = args.positional[0]!;
    if (!isScalarish(x)) throw methodError("round", args);
    const base = knownNumber(args.keywords.get("base") ?? num("Int64", 10), "base", args.span);
    const sig = args.keywords.get("sigdigits");
    let digits = knownNumber(args.keywords.get("digits") ?? num("Int64", 0), "digits", args.span);
    if (sig) {
      if (x.kind !== "number") throw fail("argument-error", "round(x; sigdigits) needs x known at compile time (the digit to round at depends on x)", args.span, ["use digits, which does not depend on x"]);
      const v = Math.abs(toNumber(x.value));
      digits = knownNumber(sig, "sigdigits", args.span) - 1 - (v === 0 ? 0 : Math.floor(Math.log(v) / Math.log(base)));
    }
    const t = floatOf(typeOfScalar(x));
    const scale = num(t, Math.pow(base, digits));
    const op = (name: string, a: Value, b: Value) => interp.callNamed(name, [a, b], [args.span, args.span], args.span, false);
    return op("/", interp.callNamed("round", [op("*", x, scale)], [args.span], args.span, false), scale);
  }, "(round with digits or sigdigits)");

  // NNlib's sigmoid: XLA's logistic is the numerically stable form.
  unaryMath("sigmoid", ops.logistic, (x) => 1 / (1 + Math.exp(-x)));
  unaryMath("σ", ops.logistic, (x) => 1 / (1 + Math.exp(-x)));

  // ---- conversion ----------------------------------------------------------------------------

  const convertTo = (t: ElementType, x: Value, span: Span): Value => {
    if (x.kind === "number") {
      const v = convertExact(t, x.value);
      if (v === undefined) throw fail("inexact-error", `InexactError: ${t}(${x.value})`, span);
      return num(t, v);
    }
    if (x.kind === "tensor") return { ...arrays.convert(x, t), scalar: x.scalar, rowVector: x.rowVector };
    throw fail("no-method", `MethodError: cannot convert ${describeValue(x)} to ${t}`, span);
  };

  /**
   * Julia's `convert(T, x)`: numbers to a number type, tuples elementwise to a Tuple type (NTuple,
   * Vararg), arrays to an array type of another element type, a Union to its first member that
   * converts. undefined when Julia has no such conversion.
   */
  const convertValue = (T: JuliaType, x: Value, span: Span): Value | undefined => {
    if (isSubtype(juliaTypeOf(x), T)) return x;
    if (T.kind === "union") {
      for (const member of T.types) {
        const v = convertValue(member, x, span);
        if (v !== undefined) return v;
      }
      return undefined;
    }
    if (T.kind !== "datatype") return undefined;
    const name = T.name as ElementType;
    if (ELEMENT_TYPES.includes(name)) return x.kind === "number" || (x.kind === "tensor" && x.scalar) ? convertTo(name, x, span) : undefined;
    if (T.name === "Tuple" && x.kind === "tuple") {
      const targets = tupleElementTypes(T, x.elements.length);
      if (!targets) return undefined;
      const out: Value[] = [];
      for (const [i, e] of x.elements.entries()) {
        const v = convertValue(targets[i]!, e, span);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return tuple(out);
    }
    if ((T.name === "Array" || T.name === "AbstractArray") && x.kind === "tensor" && !x.scalar) {
      const [el, n] = T.params;
      if (typeof n === "number" && n !== x.size.length) return undefined;
      if (el === undefined || typeof el !== "object" || el.kind !== "datatype" || !ELEMENT_TYPES.includes(el.name as ElementType)) return undefined;
      return { ...arrays.convert(x, el.name as ElementType), rowVector: undefined };
    }
    return undefined;
  };

  define("convert", (args) => {
    arity(args, "convert", 2);
    const [T, x] = args.positional as [Value, Value];
    if (T.kind !== "type") throw methodError("convert", args);
    if (T.type.kind === "datatype") {
      const name = T.type.name as ElementType;
      if (ELEMENT_TYPES.includes(name) && x.kind === "tensor" && !x.scalar) throw fail("no-method", `MethodError: ${name}(x) converts numbers; for an array use ${name}.(x)`, args.span);
      // Tuple(nt) and Tuple(range): the values as a tuple.
      if (T.type.name === "Tuple" && T.type.params.length === 1 && showType(T.type) === "Tuple" && (x.kind === "namedtuple" || x.kind === "range" || x.kind === "vector")) return tuple(x.kind === "range" ? interp.rangeValues(x, args.span).map((v) => num(x.type, v)) : x.elements);
    }
    const v = convertValue(T.type, x, args.span);
    if (v === undefined) throw fail("no-method", `MethodError: Cannot \`convert\` an object of type ${showType(juliaTypeOf(x))} to an object of type ${showType(T.type)}`, args.span);
    return v;
  });

  define("float", (args) => {
    arity(args, "float", 1);
    const x = args.positional[0]!;
    if (x.kind === "type" && x.type.kind === "datatype" && ELEMENT_TYPES.includes(x.type.name as ElementType)) return { kind: "type", type: datatype(floatOf(x.type.name as ElementType)) };
    const t = elementType(x);
    if (t === undefined) throw methodError("float", args);
    return convertTo(floatOf(t), x, args.span);
  });

  const zeroOne = (name: "zero" | "one", value: number) =>
    define(name, (args) => {
      arity(args, name, 1);
      const x = args.positional[0]!;
      if (x.kind === "type" && x.type.kind === "datatype" && ELEMENT_TYPES.includes(x.type.name as ElementType)) return num(x.type.name as ElementType, roundTo(x.type.name as ElementType, value));
      if (x.kind === "number") return num(x.type === "Irrational" ? "Float64" : x.type, roundTo(x.type, value));
      if (x.kind === "tensor" && x.scalar) return num(x.eltype, roundTo(x.eltype, value));
      if (x.kind === "tensor" && name === "zero") return { ...arrays.broadcastTo(arrays.constant(x.eltype, 0), x.size), scalar: false };
      throw methodError(name, args);
    });
  zeroOne("zero", 0);
  zeroOne("one", 1);

  /** eps(T): the distance from 1 to the next number of type T. */
  define("eps", (args) => {
    arity(args, "eps", 0, 1);
    const x = args.positional[0];
    const t = x === undefined ? "Float64" : x.kind === "type" && x.type.kind === "datatype" ? x.type.name : elementType(x);
    const eps = t === undefined ? undefined : ELTYPES[t as ElementType]?.eps;
    if (eps === undefined) throw methodError("eps", args);
    return num(t as ElementType, eps);
  });

  define("oftype", (args) => {
    arity(args, "oftype", 2);
    const [x, y] = args.positional as [Value, Value];
    const t = elementType(x);
    if (t === undefined) throw methodError("oftype", args);
    return convertTo(concrete(t), y, args.span);
  });

  // ---- reductions ----------------------------------------------------------------------------

  const reduction = (name: string, kind: ReductionKind, combine: string) =>
    define(name, (args) => {
      arity(args, name, 1, 2);
      for (const k of args.keywords.keys()) if (k !== "dims" && k !== "init") throw fail("unknown-keyword", `MethodError: ${name} has no keyword argument \`${k}\``, args.span, ["keywords: dims"]);
      let x = args.positional[args.positional.length - 1]!;
      if (args.positional.length === 2) x = interp.broadcast(args.positional[0]!, { ...args, positional: [x], keywords: new Map(), argSpans: [args.argSpans[1]!] }, name);
      if (x.kind === "tuple") {
        if (args.keywords.size) throw fail("unsupported-reduction", `${name} over a tuple takes no keywords`, args.span);
        if (!x.elements.length) throw fail("argument-error", `ArgumentError: reducing over an empty collection is not allowed`, args.span);
        return x.elements.slice(1).reduce<Value>((acc, v) => interp.callNamed(combine, [acc, v], [], args.span, false), x.elements[0]!);
      }
      if (x.kind === "range") {
        return interp.rangeValues(x, args.span).slice(1).reduce<Value>((acc, v) => interp.callNamed(combine, [acc, num(x.type, v)], [], args.span, false), num(x.type, x.start));
      }
      if (isScalarish(x)) return x;
      if (x.kind !== "tensor") throw methodError(name, args);
      const dimsValue = args.keywords.get("dims");
      const dims = dimsValue === undefined || dimsValue.kind === "colon" ? undefined : dimsList(dimsValue, name, args.span);
      const eltype = kind === "sum" || kind === "prod" ? sumType(x.eltype) : x.eltype;
      return arrays.reduce(kind, x, dims, eltype);
    });

  const dimsList = (v: Value, name: string, span: Span): number[] => {
    const items = v.kind === "tuple" ? v.elements : v.kind === "range" ? interp.rangeValues(v, span).map((d) => num("Int64", d)) : [v];
    return items.map((d) => {
      if (d.kind !== "number" || !isInteger(concrete(d.type)) || toNumber(d.value) < 1) throw fail("argument-error", `ArgumentError: ${name}: dims must be positive integers known at compile time, got ${describeValue(d)}`, span);
      return toNumber(d.value) - 1;
    });
  };

  reduction("sum", "sum", "+");
  reduction("prod", "prod", "*");
  reduction("maximum", "maximum", "max");
  reduction("minimum", "minimum", "min");

  // ---- array shape ---------------------------------------------------------------------------

  const arrayArg = (args: CallArgs, name: string): Tensor => {
    const x = args.positional[0];
    if (!x || x.kind !== "tensor" || x.scalar) throw methodError(name, args);
    return x;
  };

  define("size", (args) => {
    arity(args, "size", 1, 2);
    const x = args.positional[0]!;
    const size = x.kind === "tensor" ? (x.scalar ? [] : x.size) : isScalarish(x) ? [] : x.kind === "range" ? [rangeLength(x)] : undefined;
    if (!size) throw methodError("size", args);
    if (args.positional.length === 1) return tuple(size.map((d) => num("Int64", d)));
    const d = args.positional[1]!;
    if (d.kind !== "number" || !isInteger(concrete(d.type)) || toNumber(d.value) < 1) throw fail("argument-error", "size(x, d) needs a positive integer dimension", args.argSpans[1] ?? args.span);
    return num("Int64", size[toNumber(d.value) - 1] ?? 1);
  });

  define("length", (args) => {
    arity(args, "length", 1);
    const x = args.positional[0]!;
    if (x.kind === "tensor") return num("Int64", x.scalar ? 1 : x.size.reduce((a, b) => a * b, 1));
    if (x.kind === "tuple" || x.kind === "namedtuple") return num("Int64", x.elements.length);
    if (x.kind === "range") return num("Int64", rangeLength(x));
    if (x.kind === "number") return num("Int64", 1);
    if (x.kind === "string") return num("Int64", [...x.value].length);
    throw methodError("length", args);
  });

  define("ndims", (args) => {
    arity(args, "ndims", 1);
    const x = args.positional[0]!;
    if (x.kind === "tensor") return num("Int64", x.scalar ? 0 : x.size.length);
    if (x.kind === "number") return num("Int64", 0);
    throw methodError("ndims", args);
  });

  define("eltype", (args) => {
    arity(args, "eltype", 1);
    const t = elementType(args.positional[0]!);
    if (t === undefined) throw methodError("eltype", args);
    return { kind: "type", type: datatype(concrete(t)) };
  });

  define("reshape", (args) => {
    const x = arrayArg(args, "reshape");
    let dims = args.positional.slice(1);
    if (dims.length === 1 && dims[0]!.kind === "tuple") dims = dims[0]!.elements;
    const total = x.size.reduce((a, b) => a * b, 1);
    const colons = dims.filter((d) => d.kind === "colon").length;
    if (colons > 1) throw fail("dimension-mismatch", "DimensionMismatch: reshape accepts at most one `:`", args.span);
    const known = dims.map((d, i) => {
      if (d.kind === "colon") return -1;
      if (d.kind !== "number" || !isInteger(concrete(d.type))) throw fail("argument-error", `reshape: dimensions must be integers known at compile time, got ${describeValue(d)}`, args.argSpans[i + 1] ?? args.span);
      return toNumber(d.value);
    });
    const product = known.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
    const size = known.map((d) => (d < 0 ? total / product : d));
    if (size.some((d) => !Number.isInteger(d)) || size.reduce((a, b) => a * b, 1) !== total)
      throw fail("dimension-mismatch", `DimensionMismatch: new dimensions ${showSize(known.map((d) => (d < 0 ? NaN : d)).map((d) => (Number.isNaN(d) ? ":" : d)) as unknown as number[])} must be consistent with array size ${total}`, args.span);
    return arrays.reshape(x, size);
  });

  const transposeFn = (name: string) =>
    define(name, (args) => {
      arity(args, name, 1);
      const x = args.positional[0]!;
      if (isScalarish(x)) return x;
      if (x.kind === "tensor") return arrays.transpose(x);
      throw methodError(name, args);
    });
  transposeFn("adjoint");
  transposeFn("transpose");

  // ---- ranges, tuples and indexing -----------------------------------------------------------

  define(":", (args) => {
    arity(args, ":", 2, 3);
    const vs = args.positional.map((v, i) => {
      if (v.kind !== "number") throw fail("traced-range", `range bounds must be known at compile time, got ${describeValue(v)}`, args.argSpans[i] ?? args.span);
      return v;
    });
    const [start, step, stop] = vs.length === 3 ? vs : [vs[0]!, num("Int64", 1), vs[1]!];
    const t = concrete(promoteType(promoteType(start!.type, stop!.type), vs.length === 3 ? step!.type : start!.type));
    const s = toNumber(start!.value), st = toNumber(step!.value), e = toNumber(stop!.value);
    if (st === 0) throw fail("argument-error", "ArgumentError: step cannot be zero", args.span);
    // A unit range of integers stops at the last value not past `stop` (1:3.5 is 1:3).
    return { kind: "range", start: s, step: st, stop: isInteger(t) ? s + Math.floor((e - s) / st) * st : e, type: t, unit: vs.length === 2 };
  });

  define("getindex", (args) => {
    const [x, ...idx] = args.positional as [Value, ...Value[]];
    const intIndex = (v: Value, n: number, span: Span): number => {
      if (v.kind !== "number" || !isInteger(concrete(v.type))) throw fail("unsupported-index", `index must be an integer known at compile time, got ${describeValue(v)}`, span);
      const i = toNumber(v.value);
      if (i < 1 || i > n) throw fail("bounds-error", `BoundsError: attempt to access ${describeValue(x)} at index [${i}]`, span);
      return i - 1;
    };
    if (x.kind === "tuple" || x.kind === "namedtuple") {
      if (idx.length !== 1) throw methodError("getindex", args);
      const i = idx[0]!;
      if (i.kind === "symbol" && x.kind === "namedtuple") {
        const k = x.names.indexOf(i.name);
        if (k < 0) throw fail("no-field", `type NamedTuple has no field ${i.name}`, args.argSpans[1] ?? args.span);
        return x.elements[k]!;
      }
      if (i.kind === "range") return tuple(interp.rangeValues(i, args.span).map((k) => x.elements[intIndex(num("Int64", k), x.elements.length, args.argSpans[1] ?? args.span)]!));
      return x.elements[intIndex(i, x.elements.length, args.argSpans[1] ?? args.span)]!;
    }
    if (x.kind === "range") {
      const xs = interp.rangeValues(x, args.span);
      const i = idx[0]!;
      const span = args.argSpans[1] ?? args.span;
      // A range indexed by a range of integers is a range, as in Julia ((1:5)[2:3] is 2:3,
      // (1:2:9)[2:3] is 3:2:5): a unit range when both are, else a step range.
      if (idx.length === 1 && i.kind === "range" && isInteger(i.type)) {
        const is = interp.rangeValues(i, span);
        if (is.length) [is[0]!, is[is.length - 1]!].forEach((k) => intIndex(num("Int64", k), xs.length, span));
        const start = x.start + (i.start - 1) * x.step;
        const step = x.step * i.step;
        return { kind: "range", start, step, stop: start + (is.length - 1) * step, type: x.type, unit: x.unit && i.unit };
      }
      return num(x.type, xs[intIndex(i, xs.length, span)]!);
    }
    if (x.kind === "tensor" && !x.scalar) return indexTensor(x, idx, args);
    throw methodError("getindex", args);
  });

  /** Indexing an array with known integers, ranges and `:` (a strided slice; integer indices drop their dimension). */
  const indexTensor = (x: Tensor, idx: Value[], args: CallArgs): Value => {
    let t = x;
    if (idx.length === 1 && x.size.length > 1) t = arrays.reshape(x, [x.size.reduce((a, b) => a * b, 1)]);
    if (idx.length !== t.size.length) throw fail("unsupported-index", `indexing a ${t.size.length}-dimensional array with ${idx.length} indices is not supported yet`, args.span);
    const start: number[] = [], limit: number[] = [], stride: number[] = [], keep: number[] = [], reversed: number[] = [];
    idx.forEach((ix, k) => {
      const n = t.size[k]!;
      const span = args.argSpans[k + 1] ?? args.span;
      if (ix.kind === "colon") {
        start.push(0); limit.push(n); stride.push(1); keep.push(n);
      } else if (ix.kind === "range" && isInteger(ix.type)) {
        const xs = interp.rangeValues(ix, args.span);
        if (!xs.length) throw fail("unsupported-index", "an empty range index is not supported", span);
        const lo = Math.min(...xs), hi = Math.max(...xs);
        if (lo < 1 || hi > n) throw fail("bounds-error", `BoundsError: attempt to access ${showSize(t.size)} array at index [${ix.start}:${ix.unit ? "" : `${ix.step}:`}${ix.stop}] in dimension ${k + 1}`, span);
        // A reversed range (`end:-1:1`) takes the same elements as its ascending twin, then reverses them.
        if (ix.step < 0) reversed.push(k);
        start.push(lo - 1); limit.push(hi); stride.push(Math.abs(ix.step)); keep.push(xs.length);
      } else if (ix.kind === "number" && isInteger(concrete(ix.type))) {
        const i = toNumber(ix.value);
        if (i < 1 || i > n) throw fail("bounds-error", `BoundsError: attempt to access ${showSize(t.size)} array at index ${i} in dimension ${k + 1}`, span);
        start.push(i - 1); limit.push(i); stride.push(1);
      } else throw fail("unsupported-index", `index ${describeValue(ix)} is not supported yet (known integers, ranges and : are)`, span);
    });
    // Slice parameters are per XLA dimension: reverse the Julia order.
    const id = arrays.b.emit(ops.slice, [t.id], { start: [...start].reverse(), limit: [...limit].reverse(), stride: [...stride].reverse() });
    const strided = arrays.tensor(id, t.eltype, idx.map((_, k) => Math.ceil((limit[k]! - start[k]!) / stride[k]!)), false);
    const sliced = reversed.length ? arrays.reverseDims(strided, reversed) : strided;
    if (keep.length === idx.length) return sliced;
    const r = arrays.reshape(sliced, keep);
    return keep.length === 0 ? { ...r, scalar: true } : r;
  };

  define("tuple", (args) => tuple(args.positional));
  define("first", (args) => {
    const x = args.positional[0]!;
    if ((x.kind === "tuple" || x.kind === "namedtuple") && x.elements.length) return x.elements[0]!;
    if (x.kind === "range") return num(x.type, x.start);
    throw methodError("first", args);
  });
  define("step", (args) => {
    arity(args, "step", 1);
    const x = args.positional[0]!;
    if (x.kind === "range") return num(x.unit ? x.type : isInteger(x.type) ? x.type : "Float64", x.step);
    throw methodError("step", args);
  });
  define("last", (args) => {
    const x = args.positional[0]!;
    if ((x.kind === "tuple" || x.kind === "namedtuple") && x.elements.length) return x.elements[x.elements.length - 1]!;
    if (x.kind === "range") return num(x.type, x.stop);
    throw methodError("last", args);
  });

  define("isa", (args) => {
    arity(args, "isa", 2);
    const [x, T] = args.positional as [Value, Value];
    if (T.kind !== "type") throw methodError("isa", args);
    return num("Bool", isSubtype(juliaTypeOf(x), T.type));
  });

  for (const name of ["===", "!==", "≡"]) {
    define(name, (args) => {
      arity(args, name, 2);
      const same = egal(args.positional[0]!, args.positional[1]!);
      if (same === undefined) throw fail("traced-value", `${name} on traced values is not known at compile time`, args.span, ["compare the values with == (elementwise: .==) instead"]);
      return num("Bool", name === "!==" ? !same : same);
    });
  }

  define("typeof", (args) => {
    arity(args, "typeof", 1);
    return { kind: "type", type: juliaTypeOf(args.positional[0]!) };
  });

}

/**
 * `===` (egal): the same object for mutable containers, the same type and contents otherwise;
 * undefined when it depends on traced values (two different traced arrays may hold equal bytes).
 */
function egal(a: Value, b: Value): boolean | undefined {
  if (a === b) return true;
  if (a.kind === "tensor" || b.kind === "tensor") {
    if (a.kind === "tensor" && b.kind === "tensor") return a.id === b.id ? true : undefined;
    return a.kind === "number" || b.kind === "number" ? undefined : false;
  }
  if (a.kind === "number" && b.kind === "number") return a.type === b.type && (a.value === b.value || (Number.isNaN(Number(a.value)) && Number.isNaN(Number(b.value))));
  const mutable = (v: Value) => v.kind === "vector" || v.kind === "dict" || (v.kind === "struct" && v.type.mutable);
  if (mutable(a) || mutable(b)) return false;
  return showType(juliaTypeOf(a)) === showType(juliaTypeOf(b)) && knownEqual(a, b);
}

/** `==` between known values that are not numbers (numbers compare through promotion above). */
function knownEqual(a: Value, b: Value): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "type" && b.kind === "type") return showType(a.type) === showType(b.type);
  if (a.kind === "function" && b.kind === "function") return a.fn === b.fn;
  if ((a.kind === "tuple" || a.kind === "namedtuple") && (b.kind === "tuple" || b.kind === "namedtuple"))
    return a.elements.length === b.elements.length && a.elements.every((x, i) => knownEqual(x, b.elements[i]!));
  if (a.kind === "number" && b.kind === "number") return Number(a.value) === Number(b.value);
  if (a.kind === "struct" && b.kind === "struct") return a.type === b.type && a.fields.every((x, i) => knownEqual(x, b.fields[i]!));
  return JSON.stringify(a) === JSON.stringify(b);
}
