"""XLA's compile of our modules against JAX's of the same models, several samples per side.

Run by bench/run.ts (the `compile` part) with runtime/.venv/bin/python:

    python bench/xla_compile.py CASES.json RESULT.json [REPS]

For each case (VGG19 forward, VGG19 with its gradient, the training step) both modules are compiled
REPS times by the same call, PJRT's compile_and_load on one CPU client with the same options: ours
as the runtime server converts it (HloModuleProto -> MLIR), JAX's as `jax.jit(...).lower()` hands it
over (StableHLO). Samples alternate between the sides, and which goes first alternates, so a burst of
load on this shared machine hits both. Each sample records wall seconds and the process's CPU
seconds (XLA's CPU compile runs part of its code generation on a thread pool; CPU seconds are what
load disturbs least).

Variants of ours, which isolate what the candidates for a difference would cost:
  ours, no metadata     every instruction's metadata removed (op_name depth: `Chain` nests
                        `applychain/` ~20 deep in VGG19);
  jax via proto         JAX's module taken as an HloModuleProto through our path (proto -> MLIR),
                        which separates the conversion route from the module's content.
Set BENCH_COMPILE_VARIANTS=0 to time only ours and JAX's.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xla_compare as X  # noqa: E402  (the JAX models, the backend, instruction counts)
from jax._src.lib import xla_client as xc  # noqa: E402

jax, np = X.jax, X.np


def strip_metadata(hlo_text: str) -> str:
    return re.sub(r", metadata=\{[^{}]*\}", "", hlo_text)


def text_to_proto(hlo_text: str) -> bytes:
    return xc.hlo.hlo_module_from_text(hlo_text).as_serialized_hlo_module_proto()


def timed_compile(backend, mlir: str) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    exe = backend._backend.compile_and_load(mlir, xc.DeviceList((backend._device(0),)), backend._options([backend._device(0)]))
    return time.perf_counter() - wall, time.process_time() - cpu, exe


def summary(xs):
    s = sorted(xs)
    return {"median": statistics.median(s), "min": s[0], "max": s[-1], "n": len(s), "samples": xs}


def run_case(backend, case, reps: int, variants: bool):
    name = case["name"]
    parameters, results = case["parameters"], [r["path"] for r in case["results"]]
    paths = [leaf["path"] for leaf in parameters]
    specs = [jax.ShapeDtypeStruct(tuple(reversed(leaf["size"])), X.JULIA_DTYPES[leaf["eltype"]]) for leaf in parameters]
    model = X.MODELS[case["model"]]
    jax_lowered = jax.jit(lambda *flat: model(dict(zip(paths, flat)), results), keep_unused=True).lower(*specs)
    ours_proto = open(case["module"], "rb").read()
    ours_text = xc.XlaComputation(ours_proto).as_hlo_text()
    jax_hlo_text = jax_lowered.as_text(dialect="hlo")

    sides = {"ours": backend.lower(ours_proto).mlir, "jax": jax_lowered.as_text()}
    if variants:
        sides["ours, no metadata"] = backend.lower(text_to_proto(strip_metadata(ours_text))).mlir
        sides["jax via proto"] = backend.lower(jax_lowered.compiler_ir("hlo").as_serialized_hlo_module_proto()).mlir

    out = {"name": name, "instructions": {"ours": X.instruction_count(ours_text), "jax": X.instruction_count(jax_hlo_text)}, "sides": {}}
    # One compile of each first, not timed: the first compile in a process also loads XLA's code.
    optimized = {}
    for side, mlir in sides.items():
        _, _, exe = timed_compile(backend, mlir)
        text = exe.hlo_modules()[0].to_string()
        optimized[side] = X.instruction_count(text)
        del exe
    out["optimized_instructions"] = optimized
    wall = {k: [] for k in sides}
    cpu = {k: [] for k in sides}
    order = list(sides)
    for i in range(reps):
        for side in order if i % 2 == 0 else reversed(order):
            w, c, exe = timed_compile(backend, sides[side])
            del exe
            wall[side].append(w)
            cpu[side].append(c)
    for side in sides:
        out["sides"][side] = {"wall_s": summary(wall[side]), "cpu_s": summary(cpu[side])}
    out["pair_ratio_wall"] = summary([a / b for a, b in zip(wall["ours"], wall["jax"])])
    out["pair_ratio_cpu"] = summary([a / b for a, b in zip(cpu["ours"], cpu["jax"])])
    med = lambda side, kind: out["sides"][side][kind]["median"]  # noqa: E731
    line = ", ".join(f"{side} {med(side, 'wall_s') * 1e3:.0f} ms wall / {med(side, 'cpu_s') * 1e3:.0f} ms cpu" for side in sides)
    print(f"[{name}] {line}; ours/jax wall {med('ours', 'wall_s') / med('jax', 'wall_s'):.3f}, cpu {med('ours', 'cpu_s') / med('jax', 'cpu_s'):.3f} (n={reps})", file=sys.stderr, flush=True)
    return out


def main():
    spec = json.load(open(sys.argv[1]))
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    variants = os.environ.get("BENCH_COMPILE_VARIANTS", "1") != "0"
    wanted = set((os.environ.get("BENCH_COMPILE_CASES") or "vgg19_b1,vgg19_grad_b1,adam_step").split(","))
    backend = X.XlaBackend()
    found = {"jax": jax.__version__, "reps": reps, "cases": []}
    for case in spec["cases"]:
        if case["name"] not in wanted:
            continue
        found["cases"].append(run_case(backend, case, reps, variants))
        with open(sys.argv[2], "w") as f:
            json.dump(found, f, indent=1)


if __name__ == "__main__":
    main()
