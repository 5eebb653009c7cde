// Runs Julia programs compiled by our compiler on XLA's CPU client and compares their results with
// a reference computed in the test by JAX (`jax.grad` of an equivalent model). A case's `setup` is
// Python defining `ref(x1, x2, ...)`; arrays are NumPy arrays in Julia order.

import type { ArgSpec, ElementType } from "../../plugins/api.js";
import { compileEntry } from "../../compiler/compile.js";
import { juliaCompiler } from "../../plugins/julia/index.js";
import { base64, runPython } from "../support/jax.js";

export interface GradCase {
  name: string;
  source: string;
  fn?: string;
  /** Julia sizes of Float32 (or `eltype`) inputs; [] for a scalar. */
  args: { size: number[]; eltype?: ElementType; values?: "normal" | "positive" | "small" }[];
  setup: string;
  rtol?: number;
}

const SCRIPT = `
import zlib
import jax.numpy as jnp
from jax import lax
results = []
for case in INPUT:
    name = case["name"]
    try:
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        xs = []
        for a in case["args"]:
            shape = tuple(a["size"])
            v = rng.random(shape) + 0.5 if a["values"] == "positive" else (0.3 if a["values"] == "small" else 1.0) * rng.standard_normal(shape)
            xs.append(np.asarray(v).astype(a["dtype"]))
        outs = run_hlo_proto(b64(case["module"]), [np.ascontiguousarray(x.T) for x in xs])
        outs = [np.asarray(o).T for o in outs]
        env = {"np": np, "jax": jax, "jnp": jnp, "lax": lax}
        exec(case["setup"], env)
        ref = env["ref"](*[jnp.asarray(x) for x in xs])
        refs = list(ref) if isinstance(ref, (tuple, list)) else [ref]
        if len(refs) != len(outs):
            raise AssertionError("%d results, reference has %d" % (len(outs), len(refs)))
        for k, (o, r) in enumerate(zip(outs, refs)):
            r = np.asarray(r)
            if o.shape != r.shape:
                raise AssertionError("result %d: shape %s, reference %s" % (k, o.shape, r.shape))
            rtol = case["rtol"]
            scale = max(1.0, float(np.abs(r).max()) if r.size else 1.0)
            if not np.allclose(o, r.astype(o.dtype), rtol=rtol, atol=rtol * scale):
                raise AssertionError("result %d differs: got %s, expected %s" % (k, o.ravel()[:5], r.ravel()[:5]))
        results.append({"name": name, "ok": True, "message": ""})
    except Exception as e:
        results.append({"name": name, "ok": False, "message": "%s: %s" % (type(e).__name__, e)})
emit(results)
`;

const DTYPE: Partial<Record<ElementType, string>> = { Float32: "float32", Float64: "float64", Int64: "int64" };

export async function runGradCases(cases: GradCase[]): Promise<Map<string, { ok: boolean; message: string }>> {
  const out = new Map<string, { ok: boolean; message: string }>();
  const toRun: unknown[] = [];
  for (const c of cases) {
    const read = (path: string) => (path === "main.jl" ? c.source : undefined);
    const args: ArgSpec[] = c.args.map((a) => ({ kind: "runtime", type: { kind: "array", eltype: a.eltype ?? "Float32", size: a.size, scalar: a.size.length === 0 } }));
    const r = compileEntry({ entry: c.name.replace(/\W+/g, "_"), file: "main.jl", function: c.fn ?? "f", args, readSource: read });
    if (!r.ok) {
      out.set(c.name, { ok: false, message: r.diagnostics.map((d) => juliaCompiler.render(d, read)).join("\n") });
      continue;
    }
    toRun.push({ name: c.name, module: base64(r.module), setup: c.setup, rtol: c.rtol ?? 1e-4, args: c.args.map((a) => ({ size: a.size, dtype: DTYPE[a.eltype ?? "Float32"], values: a.values ?? "normal" })) });
  }
  if (toRun.length) for (const r of await runPython<{ name: string; ok: boolean; message: string }[]>(SCRIPT, toRun)) out.set(r.name, r);
  return out;
}
