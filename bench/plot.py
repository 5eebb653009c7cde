"""bench/benchmarks.png from bench/results.json (run by bench/run.ts in bench/.venv, which has matplotlib).

    python bench/plot.py bench/results.json bench/benchmarks.png

Three panels: execution time of ours over JAX's jit per model (ratio of medians, whiskers the
per-pair interquartile range); Julia -> HLO against JAX's trace-and-lower per model; VGG19's forward pass at
batch 1, 10 and 100 beside the paper's Flux-on-CPU and TPU figures (other hardware).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

results = json.load(open(sys.argv[1]))
execution = {c["name"]: c for c in results.get("execution", {}).get("cases", [])}
frontend = {r["name"]: r for r in results.get("frontend", {}).get("rows", [])}

SHORT = {"mlp": "MLP", "lenet": "LeNet-5", "vgg19_b1": "VGG19\nb1", "vgg19_b8": "VGG19\nb8", "vgg19_grad_b1": "VGG19\nfwd+bwd b1", "attention": "attention", "adam_step": "MLP\nAdam step"}
OURS, JAX = "#1f77b4", "#ff7f0e"

fig, axes = plt.subplots(1, 3, figsize=(17, 5.2), gridspec_kw={"width_ratios": [1.4, 1.4, 1]})


def bars(ax, names, ours, jax, ours_err, jax_err, unit):
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], ours, 0.4, yerr=ours_err, color=OURS, label="ours (Julia → HLO)", capsize=2)
    ax.bar([i + 0.2 for i in x], jax, 0.4, yerr=jax_err, color=JAX, label="JAX jit", capsize=2)
    ax.set_xticks(list(x))
    ax.set_xticklabels([SHORT.get(n, n) for n in names], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel(unit)
    ax.grid(axis="y", which="both", alpha=0.3)


# 1. Execution: the ratio, with the interquartile range of the per-pair ratios (runs alternate ours / JAX).
names = [n for n in SHORT if n in execution]
if names:
    ax = axes[0]
    ratios = [execution[n]["ratio"] for n in names]
    quart = []
    for n in names:
        s = sorted(execution[n]["pair_ratio"]["samples"])
        quart.append((s[len(s) // 4], s[(3 * len(s)) // 4]))
    x = range(len(names))
    ax.bar(x, ratios, 0.6, color=[OURS if r <= 1.05 else "#d62728" for r in ratios], yerr=[[max(0, r - q[0]) for r, q in zip(ratios, quart)], [max(0, q[1] - r) for r, q in zip(ratios, quart)]], capsize=3)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.axhline(1.05, color="#d62728", lw=0.8, ls="--", label="target 1.05")
    for i, n in enumerate(names):
        ax.annotate(f"{ratios[i]:.3f}\n{execution[n]['ours_s']['median'] * 1e3:.3g} ms", (i, 0.72), ha="center", fontsize=7)
    ax.set_xticks(list(x))
    ax.set_xticklabels([SHORT.get(n, n) for n in names], fontsize=8)
    ax.set_ylim(0.7, 1.3)
    ax.set_ylabel("ours / JAX (median time; whiskers: per-pair IQR)")
    ax.set_title("Execution on the same PJRT CPU client\nours / JAX jit, interleaved (below: ratio, our median)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(axis="y", alpha=0.3)

# 2. Front end.
names = [n for n in SHORT if n in frontend and n in execution]
if names:
    ax = axes[1]
    ours = [frontend[n]["ms"]["median"] for n in names]
    jax = [execution[n]["jax_lower_s"]["median"] * 1e3 for n in names]
    oe = [[frontend[n]["ms"]["median"] - frontend[n]["ms"]["min"] for n in names], [frontend[n]["ms"]["max"] - frontend[n]["ms"]["median"] for n in names]]
    je = [[(execution[n]["jax_lower_s"]["median"] - execution[n]["jax_lower_s"]["min"]) * 1e3 for n in names], [(execution[n]["jax_lower_s"]["max"] - execution[n]["jax_lower_s"]["median"]) * 1e3 for n in names]]
    bars(ax, names, ours, jax, oe, je, "ms (median, min..max)")
    for i, n in enumerate(names):
        ax.annotate(f"{jax[i] / ours[i]:.1f}×", (i, max(ours[i], jax[i]) * 1.6), ha="center", fontsize=8)
    ax.set_title("Front end, warm process: Julia → HloModuleProto\nagainst JAX trace-and-lower (JAX / ours above)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")

# 3. The paper's table.
ax = axes[2]
batches = [1, 10, 100]
paper_cpu = [0.79, 6.67, 52.4]
paper_tpu = [0.02, 0.04, 0.23]
ax.plot(batches, paper_cpu, "s--", color="gray", label="paper: Flux, 20-core CPU")
ax.plot(batches, paper_tpu, "^--", color="green", label="paper: TPU compute")
have = [b for b in batches if f"vgg19_b{b}" in execution]
if have:
    ax.plot(have, [execution[f"vgg19_b{b}"]["ours_s"]["median"] for b in have], "o-", color=OURS, label="ours, 2 vCPU (XLA CPU)")
    ax.plot(have, [execution[f"vgg19_b{b}"]["jax_s"]["median"] for b in have], "x-", color=JAX, label="JAX jit, 2 vCPU (XLA CPU)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("batch (224×224 images)")
ax.set_ylabel("seconds per forward pass")
ax.set_title("VGG19 forward beside the paper's table\n(different hardware)", fontsize=10)
ax.grid(which="both", alpha=0.3)
ax.legend(fontsize=8)

m = results.get("machine", {})
fig.suptitle(f"tpu-build benchmarks — {m.get('cpus', '?')} × {m.get('model', '?')}, jax/jaxlib {m.get('jaxlib', '?')} CPU; {results.get('execution', {}).get('at', '')}", fontsize=11)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=90)
