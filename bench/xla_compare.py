"""Our HLO modules against JAX's `jit` of the same models, on one PJRT CPU client in one process.

Run by bench/run.ts with runtime/.venv/bin/python:

    python bench/xla_compare.py CASES.json RESULT.json

CASES.json lists modules our compiler wrote (module.hlo.pb and the signature's parameter and result
leaves). For each case this script
  1. draws the inputs once (Glorot-uniform weights, uniform images, one-hot labels) in XLA order,
     from a fixed seed, and puts them on the device once: both programs read the same buffers;
  2. compiles our module through runtime/xla_backend.py (the runtime server's own path: HLO proto
     -> MLIR -> PJRT compile) and JAX's jit of the equivalent model (keep_unused, so both take the
     same flat parameter list), timing each XLA compile;
  3. checks that every output leaf of ours equals JAX's (relative to the leaf's largest magnitude);
  4. times executions interleaved, ours and JAX's alternating (and which goes first alternating),
     both through PJRT's LoadedExecutable.execute and block_until_ready: the same call path, so
     Python dispatch costs the same on both sides;
  5. times JAX's trace-and-lower of the model (a fresh function each time, so nothing is cached),
     counts the instructions of JAX's HLO before and after XLA's optimizations, and ours after,
     and writes both optimized modules as text for comparison.

The JAX models are written here from the Flux definitions in examples/, in the layout our compiler
gives Julia arrays: a Julia array of size (W, H, C, N) is the XLA array (N, C, H, W); a Dense
weight (out, in) is (in, out); Flux's Conv is a true convolution, so the kernel is flipped.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "runtime"))

from xla_backend import XlaBackend  # noqa: E402  (sets jax_enable_x64 as the server does)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

JULIA_DTYPES = {"Float32": np.float32, "Float64": np.float64, "Int32": np.int32, "Int64": np.int64, "UInt32": np.uint32, "UInt64": np.uint64}
F32 = jnp.float32

# ---------------------------------------------------------------------------------------------
# The models, as a JAX user would write them, over {path: array} in XLA order.


def conv(x, w, b, pad):
    y = lax.conv_general_dilated(x, w[:, :, ::-1, ::-1], (1, 1), [(pad, pad), (pad, pad)], dimension_numbers=("NCHW", "OIHW", "NCHW"))
    return y + b[None, :, None, None]


def maxpool2(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


def dense(p, name, x):
    return x @ p[name + ".weight"] + p[name + ".bias"]


relu = jax.nn.relu


def mlp_predict(p):
    h = relu(dense(p, "arg1.layers[1]", p["arg2"]))
    return [jax.nn.softmax(dense(p, "arg1.layers[2]", h), axis=-1)]


def lenet_classify(p):
    h = p["arg2"]
    h = maxpool2(relu(conv(h, p["arg1.layers[1].weight"], p["arg1.layers[1].bias"], 0)))
    h = maxpool2(relu(conv(h, p["arg1.layers[3].weight"], p["arg1.layers[3].bias"], 0)))
    h = h.reshape(h.shape[0], -1)
    h = relu(dense(p, "arg1.layers[6]", h))
    h = relu(dense(p, "arg1.layers[7]", h))
    return [jax.nn.softmax(dense(p, "arg1.layers[8]", h), axis=-1)]


VGG19_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")


def vgg19_logits(p, x, prefix="arg1"):
    h = x
    i = 0
    for c in VGG19_CONFIG:
        i += 1
        h = maxpool2(h) if c == "M" else relu(conv(h, p[f"{prefix}.layers[{i}].weight"], p[f"{prefix}.layers[{i}].bias"], 1))
    h = h.reshape(h.shape[0], -1)  # Flux.flatten (layer i + 1)
    h = relu(dense(p, f"{prefix}.layers[{i + 2}]", h))  # then Dropout (identity in test mode)
    h = relu(dense(p, f"{prefix}.layers[{i + 4}]", h))
    return dense(p, f"{prefix}.layers[{i + 6}]", h)


def vgg19_forward(p):
    return [jax.nn.softmax(vgg19_logits(p, p["arg2"]), axis=-1)]


def logitcrossentropy(logits, y):
    return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(logits, axis=-1), axis=-1))


def vgg19_loss_gradient(p, results):
    # Only the model's floating-point leaves are differentiated (Dropout's RNG state is UInt64).
    params = {k: v for k, v in p.items() if k.startswith("arg1.") and jnp.issubdtype(v.dtype, jnp.floating)}
    loss, grads = jax.value_and_grad(lambda q: logitcrossentropy(vgg19_logits(q, p["arg2"]), p["arg3"]))(params)
    return [loss if r == "result.val" else grads["arg1." + r.split(".", 2)[2]] for r in results]


def attention(p):
    x = p["arg2"]  # (B, T, d)
    B, T, d = x.shape
    H = 4
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    h = (x - mu) / jnp.sqrt(var + F32(1e-5)) * p["arg1.norm.diag.scale"] + p["arg1.norm.diag.bias"]
    qkv = dense(p, "arg1.qkv", h)
    q, k, v = (qkv[..., i * d:(i + 1) * d].reshape(B, T, H, d // H) for i in range(3))
    s = jnp.einsum("bqhd,bkhd->bhqk", q, k) / F32(math.sqrt(d // H))
    causal = jnp.arange(T)[None, :] <= jnp.arange(T)[:, None]  # key k <= query q
    a = jax.nn.softmax(jnp.where(causal, s, -jnp.inf), axis=-1)
    y = jnp.einsum("bhqk,bkhd->bqhd", a, v).reshape(B, T, d)
    return [x + dense(p, "arg1.proj", y)]


def adam_step(p, results):
    # Only the model's floating-point leaves are differentiated (Dropout's RNG state is UInt64).
    params = {k: v for k, v in p.items() if k.startswith("arg1.") and jnp.issubdtype(v.dtype, jnp.floating)}

    def loss(q):
        h = jnp.tanh(dense(q, "arg1.layers[1]", p["arg2"]))
        return jnp.mean((dense(q, "arg1.layers[2]", h) - p["arg3"]) ** 2)

    l, g = jax.value_and_grad(loss)(params)
    # Adam(1f-2) from a fresh state (m = v = 0, βt = β), as Optimisers.jl's apply! computes it.
    eta, b1, b2, eps = F32(1e-2), F32(0.9), F32(0.999), F32(1e-8)
    new = {}
    for k, dx in g.items():
        mt = (1 - b1) * dx
        vt = (1 - b2) * dx * dx
        new[k] = params[k] - mt / (1 - b1) / (jnp.sqrt(vt / (1 - b2)) + eps) * eta
    return [l if r == "result[2]" else new["arg1." + r.split(".", 1)[1]] for r in results]


MODELS = {
    "mlp_predict": lambda p, results: mlp_predict(p),
    "lenet_classify": lambda p, results: lenet_classify(p),
    "vgg19_forward": lambda p, results: vgg19_forward(p),
    "vgg19_loss_gradient": vgg19_loss_gradient,
    "attention": lambda p, results: attention(p),
    "adam_step": adam_step,
}

# ---------------------------------------------------------------------------------------------
# Inputs


def draw_inputs(parameters, seed):
    """Weights Glorot-uniform (so activations stay finite through 19 layers), biases and norms small,
    images uniform in [0, 1), labels one-hot: in XLA order (Julia's size reversed)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for leaf in parameters:
        shape = tuple(reversed(leaf["size"]))
        dtype = JULIA_DTYPES[leaf["eltype"]]
        path = leaf["path"]
        if path.endswith(".weight") and len(shape) == 4:  # (O, I, kh, kw)
            fan_in, fan_out = shape[1] * shape[2] * shape[3], shape[0] * shape[2] * shape[3]
            a = rng.uniform(-1, 1, shape) * math.sqrt(6 / (fan_in + fan_out))
        elif path.endswith(".weight") and len(shape) == 2:  # (in, out)
            a = rng.uniform(-1, 1, shape) * math.sqrt(6 / (shape[0] + shape[1]))
        elif path.endswith(".scale"):
            a = 1 + 0.1 * rng.uniform(-1, 1, shape)
        elif path.startswith("arg1."):
            a = 0.1 * rng.uniform(-1, 1, shape)
        elif leaf.get("role") == "onehot":  # (N, classes)
            a = np.zeros(shape)
            a[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] = 1
        else:
            a = rng.uniform(0, 1, shape) if leaf.get("role") != "normal" else rng.normal(size=shape)
        arrays.append(np.ascontiguousarray(a, dtype=dtype))
    return arrays


# ---------------------------------------------------------------------------------------------


def instruction_count(hlo_text):
    """Instructions in an HLO module's text (every computation), as our compiler's stats count them."""
    return sum(1 for line in hlo_text.splitlines() if " = " in line and not line.lstrip().startswith(("HloModule", "//")) and "(" in line)


def entry_instruction_count(hlo_text):
    body = hlo_text[hlo_text.index("\nENTRY "):]
    body = body[: body.index("\n}")]
    return sum(1 for line in body.splitlines()[1:] if " = " in line)


def summary(xs):
    s = sorted(xs)
    return {"median": statistics.median(s), "min": s[0], "max": s[-1], "n": len(s), "samples": xs}


def relative_error(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return math.inf
    scale = max(float(np.abs(want).max()) if want.size else 0.0, 1e-30)
    return float(np.abs(got - want).max()) / scale if want.size else 0.0


def timed_run(executable, arguments):
    t0 = time.perf_counter()
    outs = executable.execute(arguments)
    for o in outs:
        o.block_until_ready()
    return time.perf_counter() - t0, outs


def run_case(backend, case, dump_dir):
    name = case["name"]
    log = lambda *a: print(f"[{name}]", *a, file=sys.stderr, flush=True)  # noqa: E731
    parameters, results = case["parameters"], [r["path"] for r in case["results"]]
    paths = [leaf["path"] for leaf in parameters]
    host = draw_inputs(parameters, case.get("seed", 0))
    device = [backend.to_device(a, 0) for a in host]
    out = {"name": name}

    # Ours: the runtime server's path.
    module = open(case["module"], "rb").read()
    t0 = time.perf_counter()
    lowered = backend.lower(module)
    t1 = time.perf_counter()
    ours = backend.compile(lowered, (0,))
    t2 = time.perf_counter()
    out["ours_hlo_to_mlir_s"] = t1 - t0
    out["ours_xla_compile_s"] = t2 - t1
    ours_text = ours.hlo_modules()[0].to_string()

    # JAX: jit of the equivalent model over the same flat parameter list.
    model = MODELS[case["model"]]

    def make():
        def f(*flat):
            return model(dict(zip(paths, flat)), results)

        return jax.jit(f, keep_unused=True)

    t0 = time.perf_counter()
    jax_lowered = make().lower(*device)
    t1 = time.perf_counter()
    jax_compiled = jax_lowered.compile()
    t2 = time.perf_counter()
    out["jax_first_lower_s"] = t1 - t0
    out["jax_xla_compile_s"] = t2 - t1
    jax_exe = jax_compiled.runtime_executable()
    jax_text = jax_exe.hlo_modules()[0].to_string()
    jax_hlo = jax_lowered.as_text(dialect="hlo")
    out["jax_instructions"] = instruction_count(jax_hlo)
    out["jax_entry_instructions"] = entry_instruction_count(jax_hlo)
    out["ours_optimized_instructions"] = instruction_count(ours_text)
    out["jax_optimized_instructions"] = instruction_count(jax_text)
    os.makedirs(dump_dir, exist_ok=True)
    for side, text in (("ours", ours_text), ("jax", jax_text)):
        with open(os.path.join(dump_dir, f"{name}.{side}.optimized.hlo.txt"), "w") as f:
            f.write(text)
    with open(os.path.join(dump_dir, f"{name}.jax.hlo.txt"), "w") as f:
        f.write(jax_hlo)

    # Trace-and-lower, warm (a new function each time: nothing of the earlier traces is reused),
    # after as many warm-up lowers as our side's warm-up compiles.
    for _ in range(case.get("lower_warmup", 0)):
        make().lower(*device).as_text(dialect="hlo")
    lowers = []
    for _ in range(case.get("lower_reps", 5)):
        t0 = time.perf_counter()
        make().lower(*device).as_text(dialect="hlo")
        lowers.append(time.perf_counter() - t0)
    out["jax_lower_s"] = summary(lowers)

    # Equal outputs first (this is also the first, warm-up, run of each).
    _, ours_out = timed_run(ours, device)
    _, jax_out = timed_run(jax_exe, device)
    if len(ours_out) != len(jax_out):
        raise SystemExit(f"{name}: {len(ours_out)} outputs from ours, {len(jax_out)} from JAX")
    errors = [relative_error(np.asarray(a), np.asarray(b)) for a, b in zip(ours_out, jax_out)]
    out["max_relative_error"] = max(errors)
    out["outputs"] = len(errors)
    if case.get("reference64"):
        # Where float32 rounding grows large (a gradient through 19 layers), say which side is nearer
        # the same JAX model evaluated in float64.
        wide = [np.asarray(o) for o in make()(*[jax.device_put(a.astype(np.float64)) for a in host])]
        out["ours_vs_float64"] = max(relative_error(np.asarray(a), w) for a, w in zip(ours_out, wide))
        out["jax_vs_float64"] = max(relative_error(np.asarray(b), w) for b, w in zip(jax_out, wide))
        log(f"against float64: ours {out['ours_vs_float64']:.2g}, jax {out['jax_vs_float64']:.2g}")
    if max(errors) > case.get("tolerance", 1e-4):
        worst = int(np.argmax(errors))
        raise SystemExit(f"{name}: output {results[worst]} differs from JAX's by {errors[worst]:.3g} (relative), more than {case.get('tolerance', 1e-4)}")
    del ours_out, jax_out

    for _ in range(case.get("warmup", 2) - 1):
        timed_run(ours, device)
        timed_run(jax_exe, device)
    t_ours, t_jax = [], []
    for i in range(case["reps"]):
        pair = [(ours, t_ours), (jax_exe, t_jax)]
        for exe, times in pair if i % 2 == 0 else reversed(pair):
            dt, _ = timed_run(exe, device)
            times.append(dt)
    out["ours_s"] = summary(t_ours)
    out["jax_s"] = summary(t_jax)
    ratios = [a / b for a, b in zip(t_ours, t_jax)]
    out["ratio"] = statistics.median(t_ours) / statistics.median(t_jax)
    out["pair_ratio"] = summary(ratios)
    log(f"ours {statistics.median(t_ours) * 1e3:.3f} ms, jax {statistics.median(t_jax) * 1e3:.3f} ms, ratio {out['ratio']:.3f}, error {out['max_relative_error']:.2g}")
    for d in device:
        d.delete()
    return out


def cold_lower(model_name, parameters_json):
    """In a fresh process: import JAX, trace and lower one model; prints the seconds since start."""
    parameters, results = json.load(open(parameters_json))
    paths = [leaf["path"] for leaf in parameters]
    specs = [jax.ShapeDtypeStruct(tuple(reversed(leaf["size"])), JULIA_DTYPES[leaf["eltype"]]) for leaf in parameters]
    model = MODELS[model_name]
    jax.jit(lambda *flat: model(dict(zip(paths, flat)), [r["path"] for r in results]), keep_unused=True).lower(*specs).as_text(dialect="hlo")


def lower_server(model_name, parameters_json):
    """Warm trace-and-lower on demand, beside our compiles (bench/run.ts alternates them): for each
    line on stdin, one trace and lower of a new function (nothing of earlier traces is reused) and
    its HLO text; prints the milliseconds it took."""
    parameters, results = json.load(open(parameters_json))
    paths = [leaf["path"] for leaf in parameters]
    specs = [jax.ShapeDtypeStruct(tuple(reversed(leaf["size"])), JULIA_DTYPES[leaf["eltype"]]) for leaf in parameters]
    model = MODELS[model_name]
    outputs = [r["path"] for r in results]
    print("ready", flush=True)
    for _ in sys.stdin:
        t0 = time.perf_counter()
        jax.jit(lambda *flat: model(dict(zip(paths, flat)), outputs), keep_unused=True).lower(*specs).as_text(dialect="hlo")
        print(f"{(time.perf_counter() - t0) * 1e3:.4f}", flush=True)


def main():
    if sys.argv[1] == "--cold-lower":
        cold_lower(sys.argv[2], sys.argv[3])
        return
    if sys.argv[1] == "--lower-server":
        lower_server(sys.argv[2], sys.argv[3])
        return
    spec = json.load(open(sys.argv[1]))
    backend = XlaBackend()
    found = {"jax": jax.__version__, "jaxlib": backend.jaxlib_version, "platform": backend.platform, "platform_version": backend.platform_version, "cases": []}
    only = set(os.environ.get("BENCH_CASES", "").split(",")) - {""}
    for case in spec["cases"]:
        if only and case["name"] not in only:
            continue
        found["cases"].append(run_case(backend, case, spec["dump_dir"]))
        with open(sys.argv[2], "w") as f:
            json.dump(found, f, indent=1)


if __name__ == "__main__":
    main()
