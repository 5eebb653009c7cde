// How library functions implemented by the compiler (intrinsics) are declared: one registry per
// compilation, with the helpers every intrinsic needs for Julia-style MethodErrors and argument
// checks. base.ts, nnlib.ts and the other library files each add their functions to it.

import type { ElementType } from "../../plugins/api.js";
import type { Span } from "../diagnostics.js";
import type { ArrayLowering } from "../semantics/arrays.js";
import { juliaTypeOf } from "../semantics/describe.js";
import type { Interpreter } from "../semantics/interpreter.js";
import type { NumType } from "../semantics/types.js";
import { showType } from "../semantics/types.js";
import type { CallArgs, KnownNumber, Tensor, Value } from "../semantics/values.js";

/** A Julia scalar: a known number, or a traced tensor that Julia sees as a number. */
export type Scalarish = KnownNumber | (Tensor & { scalar: true });

export const isScalarish = (v: Value): v is Scalarish => v.kind === "number" || (v.kind === "tensor" && v.scalar);
export const typeOfScalar = (v: Scalarish): NumType => (v.kind === "number" ? v.type : v.eltype);
export const elementType = (v: Value): NumType | undefined => (v.kind === "number" ? v.type : v.kind === "tensor" ? v.eltype : undefined);

export type Intrinsic = (args: CallArgs) => Value;

export class IntrinsicLibrary {
  readonly entries = new Map<string, Value>();
  readonly arrays: ArrayLowering;

  constructor(readonly interp: Interpreter) {
    this.arrays = interp.arrays;
  }

  fail = (code: string, message: string, span: Span, notes?: string[]) => this.interp.fail(code, message, span, notes);

  /**
   * Declares an intrinsic under one or several names (aliases such as `σ` and `sigmoid`). With
   * `takesVectors` it sees a Vector of known numbers as the vector it is, not as an array.
   */
  define = (names: string | string[], impl: Intrinsic, description = "(built in)", takesVectors = false): void => {
    for (const name of typeof names === "string" ? [names] : names) {
      this.entries.set(name, { kind: "function", fn: { name, methods: [{ intrinsic: impl, description, takesVectors }] } });
    }
  };

  /**
   * Replaces the intrinsic `name` by `impl`, which sees every argument as it is (vectors, dicts)
   * and returns undefined for the calls it leaves to the intrinsic it replaces.
   */
  overload = (name: string, impl: (args: CallArgs) => Value | undefined, description: string): void => {
    const previous = this.entries.get(name);
    const before = previous?.kind === "function" ? previous.fn.methods[0] : undefined;
    const intrinsic: Intrinsic = (args) => {
      const v = impl(args);
      if (v !== undefined) return v;
      if (!before?.intrinsic) throw this.methodError(name, args);
      return before.intrinsic(before.takesVectors ? args : this.interp.vectorsAsArrays(args));
    };
    this.entries.set(name, { kind: "function", fn: { name, methods: [{ intrinsic, description, takesVectors: true }] } });
  };

  /** Binds a non-function global (a constant, a type, a module). */
  set = (name: string, value: Value): void => {
    this.entries.set(name, value);
  };

  signature = (name: string, args: CallArgs): string => `${name}(${args.positional.map((v) => `::${showType(juliaTypeOf(v))}`).join(", ")})`;

  methodError = (name: string, args: CallArgs, hint?: string) =>
    this.fail("no-method", `MethodError: no method matching ${this.signature(name, args)}`, args.span, hint ? [hint] : undefined);

  arity = (args: CallArgs, name: string, min: number, max = min): void => {
    const n = args.positional.length;
    if (n < min || n > max)
      throw this.fail("no-method", `MethodError: no method matching ${this.signature(name, args)}`, args.span, [`${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? "" : "s"}`]);
  };

  /** Rejects keywords outside `allowed` with Julia's message and the accepted list. */
  keywords = (args: CallArgs, name: string, allowed: string[] = []): void => {
    for (const k of args.keywords.keys()) {
      if (!allowed.includes(k))
        throw this.fail("unknown-keyword", `MethodError: ${name} has no keyword argument \`${k}\``, args.span, allowed.length ? [`keywords: ${allowed.join(", ")}`] : undefined);
    }
  };

  /** Converts a known number or a tensor to a tensor of `eltype`. */
  asTensor = (v: Scalarish, eltype: ElementType): Tensor => (v.kind === "number" ? this.arrays.known(v, eltype) : this.arrays.convert(v, eltype));
}
