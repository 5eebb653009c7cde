"""The one structural difference between our optimized VGG19 and JAX's, isolated (BENCHMARKS.md, findings).

    python bench/conv_labels.py MODULES_DIR CASE REPS

Our compiler labels a convolution's spatial dimensions in Julia's order (`dim_labels=bf10_oi10->bf10`:
XLA dimension 3, Julia's first, is spatial 0); JAX labels them in XLA's (`bf01_oi01->bf01`). For
VGG19's symmetric 3x3 windows both are the same convolution. This runs, interleaved on the same
buffers: our module as compiled, our module with the labels swapped to XLA's order, and JAX's jit.
"""

import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xla_compare as X  # noqa: E402
from jax._src.lib import xla_client as xc  # noqa: E402

modules, name, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
case = next(c for c in json.load(open(os.path.join(modules, "cases.json")))["cases"] if c["name"] == name)
backend = X.XlaBackend()
paths = [leaf["path"] for leaf in case["parameters"]]
results = [r["path"] for r in case["results"]]
device = [backend.to_device(a, 0) for a in X.draw_inputs(case["parameters"], 1)]
text = open(os.path.join(modules, f"{name}.hlo.txt")).read()
assert "bf10_oi10->bf10" in text
swapped = text.replace("bf10_oi10->bf10", "bf01_oi01->bf01")
to_proto = lambda t: xc.hlo.hlo_module_from_text(t).as_serialized_hlo_module_proto()  # noqa: E731
variants = {
    "ours": backend.compile(backend.lower(open(case["module"], "rb").read()), (0,)),
    "ours, labels swapped": backend.compile(backend.lower(to_proto(swapped)), (0,)),
    "jax": X.jax.jit(lambda *flat: X.MODELS[case["model"]](dict(zip(paths, flat)), results), keep_unused=True).lower(*device).compile().runtime_executable(),
}
want = [X.np.asarray(o) for o in variants["jax"].execute(device)]
times = {k: [] for k in variants}
for k, exe in variants.items():  # check, and warm up
    got = [X.np.asarray(o) for o in exe.execute(device)]
    assert max(X.relative_error(g, w) for g, w in zip(got, want)) < 1e-3, k
for i in range(reps):
    for k in (list(variants) if i % 2 == 0 else reversed(list(variants))):
        times[k].append(X.timed_run(variants[k], device)[0])
for k, t in times.items():
    print(f"{name} {k}: median {statistics.median(t) * 1e3:.1f} ms (min {min(t) * 1e3:.1f}, max {max(t) * 1e3:.1f}, n={len(t)}), / jax {statistics.median(t) / statistics.median(times['jax']):.3f}")
