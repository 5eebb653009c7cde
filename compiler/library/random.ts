// Random numbers from an explicit seed, lowered to XLA's rng-bit-generator (three-fry): the state is
// a traced UInt64[2] that each draw advances, carried by the RNG object in the prelude. The values
// are reproducible for a seed but differ from Julia's own Xoshiro stream (documented).

import type { ElementType } from "../../plugins/api.js";
import { isFloatEltype } from "../eltypes.js";
import { arrayShape } from "../hlo/ir.js";
import * as ops from "../hlo/ops.js";
import { xlaDims } from "../semantics/arrays.js";
import { describeValue } from "../semantics/describe.js";
import type { CallArgs, Tensor, Value } from "../semantics/values.js";
import { tuple } from "../semantics/values.js";
import type { IntrinsicLibrary } from "./intrinsics.js";
import { toNumber } from "./numbers.js";

/** RandomAlgorithm.RNG_THREE_FRY in xla_data.proto: the same stream on every backend. */
const THREE_FRY = 1;

export function defineRandom(lib: IntrinsicLibrary): void {
  const { arrays, fail, define, arity } = lib;

  /** `_rng_state(seed)`: the initial UInt64[2] state of a seeded generator. */
  define("_rng_state", (args) => {
    arity(args, "_rng_state", 1);
    const seed = args.positional[0]!;
    if (seed.kind !== "number" || !Number.isInteger(toNumber(seed.value))) throw fail("argument-error", `a random seed must be an integer known at compile time, got ${describeValue(seed)}`, args.span);
    const id = arrays.b.constant({ shape: arrayShape("u64", [2]), values: [BigInt.asUintN(64, BigInt(toNumber(seed.value))), 0x9e3779b97f4a7c15n] });
    return arrays.tensor(id, "UInt64", [2]);
  });

  const dimsOf = (v: Value, args: CallArgs): number[] => {
    const items = v.kind === "tuple" ? v.elements : [v];
    return items.map((d) => {
      if (d.kind !== "number" || !Number.isInteger(toNumber(d.value)) || toNumber(d.value) < 0) throw fail("argument-error", `array dimensions must be non-negative integers known at compile time, got ${describeValue(d)}`, args.span);
      return toNumber(d.value);
    });
  };

  const floatType = (v: Value, args: CallArgs): ElementType => {
    const t = v.kind === "type" && v.type.kind === "datatype" ? v.type.name : "";
    if (!isFloatEltype(t as ElementType)) throw fail("argument-error", `random values of type ${describeValue(v)} are not supported; use a floating-point type`, args.span);
    return t as ElementType;
  };

  /** Uniform [0, 1) values of `eltype` and the advanced state. Bits become the mantissa of a number in [1, 2), minus 1. */
  const uniform = (state: Tensor, eltype: ElementType, size: number[]): { state: Tensor; values: Tensor } => {
    // Values stored as Float64 on the device take 64 random bits each (a demoted Float64 takes 32).
    const wide = arrays.primitive(eltype) === "f64";
    const bitsType = wide ? "u64" : "u32";
    const b = arrays.b;
    const gen = b.emit(ops.rngBitGenerator, [state.id], { algorithm: THREE_FRY, shape: arrayShape(bitsType, xlaDims(size)) });
    const nextState = b.emit(ops.getTupleElement, [gen], { index: 0 });
    const bits = b.emit(ops.getTupleElement, [gen], { index: 1 });
    const shift = wide ? 12n : 9n;
    const exponent = wide ? 0x3ff0000000000000n : 0x3f800000n;
    const dims = xlaDims(size);
    const splat = (v: bigint) => b.emit(ops.broadcast, [b.scalarConstant(bitsType, wide ? v : Number(v))], { dims, dimensions: [] });
    const mantissa = b.emit(ops.shiftRightLogical, [bits, splat(shift)], undefined);
    const oneToTwo = b.emit(ops.bitcastConvert, [b.emit(ops.or, [mantissa, splat(exponent)], undefined)], { element: wide ? "f64" : "f32" });
    const floatType = wide ? "f64" : "f32";
    const unit = b.emit(ops.subtract, [oneToTwo, b.emit(ops.broadcast, [b.scalarConstant(floatType, 1)], { dims, dimensions: [] })], undefined);
    const values = arrays.convert(arrays.tensor(unit, wide ? "Float64" : "Float32", size), eltype);
    return { state: arrays.tensor(nextState, "UInt64", [2]), values };
  };

  const stateArg = (args: CallArgs): Tensor => {
    const s = args.positional[0]!;
    if (s.kind !== "tensor" || s.eltype !== "UInt64") throw fail("argument-error", "internal: a random-number state must be a UInt64[2]", args.span);
    return s;
  };

  /** `_rand_uniform(state, T, dims) -> (state, x)`. */
  define("_rand_uniform", (args) => {
    arity(args, "_rand_uniform", 3);
    const r = uniform(stateArg(args), floatType(args.positional[1]!, args), dimsOf(args.positional[2]!, args));
    return tuple([r.state, r.values]);
  });

  /** `_rand_normal(state, T, dims) -> (state, x)`: Box–Muller on two uniform draws. */
  define("_rand_normal", (args) => {
    arity(args, "_rand_normal", 3);
    const eltype = floatType(args.positional[1]!, args);
    const size = dimsOf(args.positional[2]!, args);
    const work = arrays.primitive(eltype) === "f64" ? "Float64" : "Float32";
    const a = uniform(stateArg(args), work, size);
    const b = uniform(a.state, work, size);
    const one = arrays.constant(work, 1);
    // 1 - u is in (0, 1], so the logarithm is finite.
    const u1 = arrays.elementwise(ops.subtract, [one, a.values], false);
    const radius = arrays.elementwise(ops.sqrt, [arrays.elementwise(ops.multiply, [arrays.constant(work, -2), arrays.elementwise(ops.log, [u1], false)], false)], false);
    const angle = arrays.elementwise(ops.multiply, [arrays.constant(work, 2 * Math.PI), b.values], false);
    const z = arrays.elementwise(ops.multiply, [radius, arrays.elementwise(ops.cos, [angle], false)], false);
    return tuple([b.state, arrays.convert({ ...z, size, scalar: false }, eltype)]);
  });

}
