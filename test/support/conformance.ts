// Conformance harness: compile small Julia programs with our compiler, run the modules on XLA's
// CPU client in the jax environment, and compare with a reference written in the test: a NumPy
// expression, or a Python function (for instance over jax.grad of an equivalent model). How
// results are compared is the run's `Comparison`. All cases of a file run in one Python process;
// inputs are generated there from a fixed seed.
//
// NumPy arrays in the references are in Julia order (shape = Julia's size), so `W @ x` is Julia's
// `W * x`. An XLA array is the reversed-shape view of the same bytes: `x.T` in NumPy.

import { readFileSync } from "node:fs";
import type { Test } from "uvu";
import * as assert from "uvu/assert";
import type { ArgSpec, ElementType } from "../../plugins/api.js";
import { compileEntry } from "../../compiler/compile.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { juliaCompiler } from "../../plugins/julia/index.js";
import { base64, runPython } from "./jax.js";

export interface ArgCase {
  /** Default Float32. */
  eltype?: ElementType;
  /** Julia size; omitted for a scalar. */
  size?: number[];
  /** Values: "normal" (default for floats), "positive", "small" (normal × 0.3), "int" (small integers), "bool". */
  values?: "normal" | "positive" | "small" | "int" | "bool";
}

export interface ConformanceCase {
  name: string;
  /** Julia source of `main.jl`. */
  source: string;
  /** The entry function (default "f"). */
  fn?: string;
  args: (ArgCase | { const: unknown })[];
  /** A Python expression over x1, x2, ... (NumPy arrays in Julia order, or numbers for scalars); tuples give several results. */
  ref?: string;
  /**
   * Instead of `ref`: Python defining `ref(x1, x2, ...)`, called with the inputs as JAX arrays
   * (`jax`, `jnp`, `lax` and `np` in scope); a tuple or list gives several results.
   */
  setup?: string;
  /** Relative tolerance (default: the comparison's). */
  rtol?: number;
  /**
   * The Julia element types of the results, checked against the signature. Without it, a result's
   * element type must be the reference's when that is an array (a Python number is weakly typed).
   */
  eltypes?: ElementType[];
}

export interface CaseOutcome {
  name: string;
  ok: boolean;
  message: string;
}

/**
 * How results are compared with the reference.
 * - "close": floats with allclose, atol = rtol (default 1e-5 for Float32, 1e-12 for Float64), NaN
 *   equal to NaN; integers and Bools exactly.
 * - "scaled": every result with allclose, atol = rtol × the reference's largest magnitude (at
 *   least 1): for gradients, whose magnitudes vary from case to case.
 */
export type Comparison = { kind: "close" } | { kind: "scaled"; rtol: number };

export const CLOSE: Comparison = { kind: "close" };
export const GRADIENT_COMPARISON: Comparison = { kind: "scaled", rtol: 1e-4 };

const SCRIPT = `
import zlib
import jax.numpy as jnp
from jax import lax

def inputs(case, rng):
    xs = []
    for a in case["args"]:
        dtype = np.dtype(a["dtype"])
        shape = tuple(a["size"]) if a["size"] is not None else ()
        kind = a["values"]
        if kind == "bool":
            v = rng.random(shape) < 0.5
        elif kind == "int":
            v = rng.integers(-5, 6, size=shape)
        elif kind == "positive":
            v = rng.random(shape) + 0.5
        else:
            v = (0.3 if kind == "small" else 1.0) * rng.standard_normal(shape)
        v = np.asarray(v).astype(dtype)
        xs.append(v if a["size"] is not None else v[()])
    return xs

def reference(case, xs):
    if case["setup"] is not None:
        env = {"np": np, "jax": jax, "jnp": jnp, "lax": lax}
        exec(case["setup"], env)
        ref = env["ref"](*[jnp.asarray(x) for x in xs])
        return list(ref) if isinstance(ref, (tuple, list)) else [ref]
    env = {"np": np}
    for i, x in enumerate(xs):
        env["x%d" % (i + 1)] = x
    ref = eval(case["ref"], env)
    return list(ref) if isinstance(ref, tuple) else [ref]

def matches(o, r, case):
    comparison = case["comparison"]
    if comparison["kind"] == "scaled":
        rtol = case["rtol"] or comparison["rtol"]
        scale = max(1.0, float(np.abs(r).max()) if r.size else 1.0)
        return np.allclose(o, r.astype(o.dtype), rtol=rtol, atol=rtol * scale)
    if o.dtype.kind in "fc":
        rtol = case["rtol"] or (1e-12 if o.dtype == np.float64 else 1e-5)
        return np.allclose(o, r.astype(o.dtype), rtol=rtol, atol=rtol, equal_nan=True)
    return np.array_equal(o, r.astype(o.dtype))

results = []
for case in INPUT:
    name = case["name"]
    try:
        xs = inputs(case, np.random.default_rng(zlib.crc32(name.encode())))
        outs = run_hlo_proto(b64(case["module"]), [np.ascontiguousarray(np.asarray(x).T) for x in xs])
        outs = [np.asarray(o).T for o in outs]
        refs = reference(case, xs)
        if len(refs) != len(outs):
            raise AssertionError("%d results, reference has %d" % (len(outs), len(refs)))
        for k, (o, raw) in enumerate(zip(outs, refs)):
            r = np.asarray(raw)
            if o.shape != r.shape:
                raise AssertionError("result %d: shape %s, reference %s" % (k, o.shape, r.shape))
            # Unless the case declares its element types (checked before it runs), an array
            # reference (NumPy's or JAX's, x64 on) fixes the element type; a Python number is
            # weakly typed and does not. bfloat16 has no NumPy reference type.
            if not case["typed"] and not isinstance(raw, (bool, int, float)) and o.dtype.name != "bfloat16" and o.dtype != r.dtype:
                raise AssertionError("result %d: element type %s, reference %s" % (k, o.dtype, r.dtype))
            if not matches(o, r, case):
                raise AssertionError("result %d differs: got %s, expected %s" % (k, o.ravel()[:6], r.ravel()[:6]))
        results.append({"name": name, "ok": True, "message": ""})
    except Exception as e:
        results.append({"name": name, "ok": False, "message": "%s: %s" % (type(e).__name__, e)})
emit(results)
`;

const NUMPY_DTYPE: Record<ElementType, string> = {
  Float16: "float16", BFloat16: "float32", Float32: "float32", Float64: "float64",
  Int8: "int8", Int16: "int16", Int32: "int32", Int64: "int64",
  UInt8: "uint8", UInt16: "uint16", UInt32: "uint32", UInt64: "uint64", Bool: "bool",
};

/** Compiles every case and runs them all in one Python process; compile failures are outcomes too. */
/** A case's arguments as the compiler takes them (an array argument is Float32 unless it says). */
export function argSpecsOf(c: ConformanceCase): ArgSpec[] {
  return c.args.map((a) =>
    "const" in a ? { kind: "const", value: a.const } : { kind: "runtime", type: { kind: "array", eltype: a.eltype ?? "Float32", size: a.size ?? [], scalar: a.size === undefined } },
  );
}

export async function runConformance(cases: ConformanceCase[], comparison: Comparison = CLOSE): Promise<Map<string, CaseOutcome>> {
  const outcomes = new Map<string, CaseOutcome>();
  const toRun: unknown[] = [];
  for (const c of cases) {
    const source = c.source;
    const read = (path: string) => (path === "main.jl" ? source : undefined);
    const result = compileEntry({ entry: c.name.replace(/\W+/g, "_"), file: "main.jl", function: c.fn ?? "f", args: argSpecsOf(c), readSource: read });
    if (!result.ok) {
      outcomes.set(c.name, { name: c.name, ok: false, message: result.diagnostics.map((d) => juliaCompiler.render(d, read)).join("\n") });
      continue;
    }
    const eltypes = result.signature.results.map((r) => r.eltype);
    if (c.eltypes && JSON.stringify(c.eltypes) !== JSON.stringify(eltypes)) {
      outcomes.set(c.name, { name: c.name, ok: false, message: `result element types ${eltypes.join(", ")}, expected ${c.eltypes.join(", ")}` });
      continue;
    }
    toRun.push({
      name: c.name,
      module: base64(result.module),
      ref: c.ref ?? null,
      setup: c.setup ?? null,
      comparison,
      rtol: c.rtol ?? null,
      typed: c.eltypes !== undefined,
      args: c.args.filter((a): a is ArgCase => !("const" in a)).map((a) => {
        const eltype = a.eltype ?? "Float32";
        return { dtype: NUMPY_DTYPE[eltype], size: a.size ?? null, values: a.values ?? (eltype === "Bool" ? "bool" : eltype.includes("Int") ? "int" : "normal") };
      }),
    });
  }
  if (toRun.length) {
    const results = await runPython<CaseOutcome[]>(SCRIPT, toRun);
    for (const r of results) outcomes.set(r.name, r);
  }
  return outcomes;
}

/** Reads a fixture file relative to the repository's test/ folder. */
export function fixture(path: string): string {
  return readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
}

/** One test per case, named by the case; all cases compile and run together, once. */
export function conformanceTests(test: Test, cases: ConformanceCase[], comparison: Comparison = CLOSE): void {
  const outcomes = runConformance(cases, comparison);
  for (const c of cases) {
    test(c.name, async () => {
      const o = (await outcomes).get(c.name);
      assert.ok(o, "no outcome");
      assert.ok(o!.ok, o!.message);
    });
  }
}

/** The first diagnostic of a program `m.jl` that must not compile (its entry `f`), and its rendering with the source line and call chain. */
export function renderedCompileError(source: string, args: ArgSpec[]): { d: Diagnostic; text: string } {
  const read = (p: string) => (p === "m.jl" ? source : undefined);
  const r = juliaCompiler.compile({ entry: "e", file: "m.jl", function: "f", args, readSource: read });
  assert.ok(!r.ok, "expected a compile error");
  if (r.ok) throw new Error("unreachable");
  return { d: r.diagnostics[0]!, text: juliaCompiler.render(r.diagnostics[0]!, read) };
}

/** The diagnostics of a program that must not compile (`f` over Float32 arrays of `sizes`), as "code: message notes". */
export function compileErrorText(source: string, sizes: number[][]): string {
  const args: ArgSpec[] = sizes.map((size) => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size, scalar: false } }));
  const result = compileEntry({ entry: "e", file: "main.jl", function: "f", args, readSource: (p) => (p === "main.jl" ? source : undefined) });
  assert.ok(!result.ok, "expected a compile error");
  return result.ok ? "" : result.diagnostics.map((d) => `${d.code}: ${d.message} ${(d.notes ?? []).join(" ")}`).join("\n");
}
