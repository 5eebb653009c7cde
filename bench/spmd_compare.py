"""Our SPMD training-step modules against JAX's `jit` of the same step with the same shardings, on
one PJRT CPU client with 8 virtual devices, in one process (run by bench/spmd.ts):

    python bench/spmd_compare.py CASES.json RESULT.json
    python bench/spmd_compare.py CASES.json RESULT.json COORDINATOR NUM_PROCESSES PROCESS_ID

The second form is one of NUM_PROCESSES processes acting as one over JAX's distributed runtime
(gloo collectives on the CPU), as several hosts' runtime servers do: each holds 8 / NUM_PROCESSES
virtual devices, the mesh spans all of them, every process runs every step (multi-controller), and
process 0 writes the result.

For each case (a module our compiler wrote for a mesh of n devices, the batch split over them):
the inputs are drawn once from a fixed seed and placed split the same way for both programs; ours
is compiled through runtime/xla_backend.py (the runtime server's path), JAX's is
jax.jit(step, in_shardings=..., out_shardings=replicated); their outputs must agree; executions
are timed interleaved (median of ROUNDS each); and the bytes each program's collectives move are
summed from the compiled, partitioned HLO (the result shapes of all-reduce, all-gather,
reduce-scatter, all-to-all and collective-permute, per device).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time

HOSTS = int(sys.argv[4]) if len(sys.argv) > 5 else 1
os.environ["XLA_FLAGS"] = " ".join([*os.environ.get("XLA_FLAGS", "").split(), f"--xla_force_host_platform_device_count={8 // HOSTS}"])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "runtime"))

from xla_backend import Distributed, Placement, XlaBackend  # noqa: E402

# Several processes: the runtime server's own way of joining them (jax.distributed.initialize).
PROCESS = int(sys.argv[5]) if HOSTS > 1 else 0
backend = XlaBackend("cpu", distributed=Distributed(sys.argv[3], HOSTS, PROCESS) if HOSTS > 1 else None)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
COLLECTIVE = re.compile(r"=\s*(\([^=]*?\)|\w+\[[\d,]*\](?:\{[^}]*\})?)\s+(all-reduce|all-gather|reduce-scatter|all-to-all|collective-permute)(?:-start)?\(")
SHAPE = re.compile(r"(\w+)\[([\d,]*)\]")
BYTES = {"f32": 4, "f64": 8, "s32": 4, "s64": 8, "bf16": 2, "f16": 2, "pred": 1}


def collective_bytes(hlo_text: str) -> tuple[int, int]:
    """(number of collectives, bytes of their results on one device) in a compiled module."""
    count = total = 0
    for m in COLLECTIVE.finditer(hlo_text):
        count += 1
        for element, dims in SHAPE.findall(m.group(1)):
            n = 1
            for d in filter(None, dims.split(",")):
                n *= int(d)
            total += n * BYTES.get(element, 4)
    return count, total


def step(W1, b1, W2, b2, x, y):
    # XLA order: Julia's W1 (H, IN) is (IN, H), x (IN, B) is (B, IN).
    def loss(W1, b1, W2, b2):
        z = jnp.tanh(x @ W1 + b1) @ W2 + b2
        return jnp.sum((z - y) ** 2) / x.shape[0]

    l, g = jax.value_and_grad(loss, argnums=(0, 1, 2, 3))(W1, b1, W2, b2)
    return (W1 - 0.1 * g[0], b1 - 0.1 * g[1], W2 - 0.1 * g[2], b2 - 0.1 * g[3], l)


def main(cases_path: str, result_path: str) -> None:
    cases = json.load(open(cases_path))
    rng = np.random.default_rng(0)
    out = []
    for case in cases:
        n = case["devices"]
        shapes = [tuple(p["dims"]) for p in case["parameters"]]
        values = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
        devices = tuple(range(n))
        lowered = backend.lower(open(case["module"], "rb").read())
        exe = backend.compile(lowered, devices)
        # Our placement: x and y (the last two) split on XLA dimension 0 (the batch), the rest copied.
        split = [(0,) + (-1,) * (len(s) - 1) if k >= 4 else (-1,) * len(s) for k, s in enumerate(shapes)]
        if n > 1:
            ours_args = [backend.to_device(v, Placement(devices, (n,), axes)) for v, axes in zip(values, split)]
            params, outs = backend.partitioning(exe, devices)
            run_ours = lambda: backend.execute_partitioned(exe, ours_args, params, outs, lowered.results)  # noqa: E731
        else:
            ours_args = [backend.to_device(v, 0) for v in values]
            run_ours = lambda: backend.execute(exe, ours_args)  # noqa: E731
        mesh = Mesh(np.array(jax.devices()[:n]), ("data",))
        specs = [NamedSharding(mesh, P("data") if k >= 4 else P()) for k in range(len(values))]
        # Every process holds the same values and places its own devices' shards.
        jax_args = [jax.make_array_from_callback(v.shape, s, lambda index, v=v: v[index]) for v, s in zip(values, specs)]
        jitted = jax.jit(step, in_shardings=tuple(specs), out_shardings=NamedSharding(mesh, P()))
        compiled = jitted.lower(*jax_args).compile()
        run_jax = lambda: jax.block_until_ready(compiled(*jax_args))  # noqa: E731
        ours_out = [np.asarray(backend.to_host(r)) for r in run_ours()]
        jax_out = [np.asarray(r.addressable_shards[0].data) for r in run_jax()]  # replicated: whole on each device
        error = max(float(np.max(np.abs(a - b)) / max(1e-30, float(np.max(np.abs(b))))) for a, b in zip(ours_out, jax_out))
        times = {"ours": [], "jax": []}
        for i in range(ROUNDS):
            for who in (("ours", "jax") if i % 2 == 0 else ("jax", "ours")):
                t0 = time.perf_counter()
                run_ours() if who == "ours" else run_jax()
                times[who].append((time.perf_counter() - t0) * 1000)
        ours_hlo = exe.hlo_modules()[0].to_string()
        jax_hlo = compiled.as_text()
        out.append(
            {
                "devices": n,
                "hosts": HOSTS,
                "ours_ms": statistics.median(times["ours"]),
                "jax_ms": statistics.median(times["jax"]),
                "ours_collectives": collective_bytes(ours_hlo),
                "jax_collectives": collective_bytes(jax_hlo),
                "max_relative_difference": error,
            }
        )
        if PROCESS == 0:
            print(json.dumps(out[-1]), flush=True)
    if PROCESS == 0:
        json.dump(out, open(result_path, "w"), indent=2)
    backend.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
