// Whole-model gradients of the example models (LeNet-5, VGG19 on 32×32 images, the ResNet basic
// block, the causal self-attention block), compiled as Flux.gradient in the build graph — the model
// comes from its init entry through `from` — and compared leaf by leaf with jax.grad of the same
// model written in JAX here, from the same weights and inputs.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../../build/engine.js";
import { runPython } from "../support/jax.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const test = suite("model gradients vs jax.grad");
const work = mkdtempSync(join(tmpdir(), "tpu-build-model-grads-"));
test.after(() => rmSync(work, { recursive: true, force: true }));

// The loss: a fixed nonlinear function of the model's output, so every layer gets a gradient.
const GRADS_JL = `
using Flux
include("lenet5.jl")
include("vgg19.jl")
include("resnet.jl")
include("attention.jl")

modelloss(m, x) = sum(sin.(m(x)))
# testmode!: within a gradient Flux's Dropout would train (drop at random); the reference has none.
model_gradient(model, x) = Flux.gradient(m -> modelloss(m, x), testmode!(model))[1]
`;

const entry = (init: string, initArgs: unknown[], data: string, size: number[]) => ({
  [`${init}`]: { file: "models.jl", function: init === "lenet_init" ? "lenet5" : init === "vgg_init" ? "vgg19" : init === "resnet_init" ? "init_block" : "init_attention", args: initArgs.map((c) => ({ const: c })), run: true },
  [`${init.replace("_init", "")}_grad`]: { file: "models.jl", function: "model_gradient", args: [{ from: init }, { eltype: "Float32", size, value: { npy: `${data}.npy` } }], run: true },
});

const REFERENCE = `
import json
import jax, jax.numpy as jnp
from jax import lax

OUT = INPUT["out"]; DATA = INPUT["data"]

def leaves(entry):
    meta = json.load(open(f"{OUT}/{entry}/result.json"))
    return {o["path"]: np.load(f"{OUT}/{entry}/{o['file']}").astype(np.float64) for o in meta["outputs"]}, meta

def T(x):  # Julia (W,H,C,N) -> NCHW, and back (reversing all axes both ways)
    return jnp.transpose(x)

def conv(x, w, stride=1, pad=0):
    k = jnp.flip(T(w), (2, 3))  # Flux's Conv is a true convolution
    return T(lax.conv_general_dilated(T(x), k, (stride, stride), [(pad, pad), (pad, pad)], dimension_numbers=("NCHW", "OIHW", "NCHW"), precision=lax.Precision.HIGHEST))

def maxpool2(x):
    return T(lax.reduce_window(T(x), -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID"))

def dense(W, b, x):
    y = jnp.tensordot(W, x, axes=(1, 0))
    return y + b.reshape(b.shape + (1,) * (y.ndim - 1)) if b is not None else y

def flatten(x):
    return jnp.reshape(T(x), (x.shape[-1], -1)).T  # column-major flatten of the leading dims

relu = lambda v: jnp.maximum(v, 0)
softmax0 = lambda h: jax.nn.softmax(h, axis=0)

def lenet(p, x):
    h = maxpool2(relu(conv(x, p["result.layers[1].weight"]) + p["result.layers[1].bias"][None, None, :, None]))
    h = maxpool2(relu(conv(h, p["result.layers[3].weight"]) + p["result.layers[3].bias"][None, None, :, None]))
    h = flatten(h)
    h = relu(dense(p["result.layers[6].weight"], p["result.layers[6].bias"], h))
    h = relu(dense(p["result.layers[7].weight"], p["result.layers[7].bias"], h))
    return dense(p["result.layers[8].weight"], p["result.layers[8].bias"], h)

def vgg(layers):
    def f(p, x):
        h = x
        for i, layer in enumerate(layers):
            q = f"result.layers[{i + 1}]"
            if layer.get("name") == "Conv":
                h = relu(conv(h, p[q + ".weight"], pad=1) + p[q + ".bias"][None, None, :, None])
            elif layer.get("name") == "MaxPool":
                h = maxpool2(h)
            elif layer.get("kind") == "known":
                h = flatten(h)
            elif layer.get("name") == "Dense":
                h = dense(p[q + ".weight"], p[q + ".bias"], h)
                if i != len(layers) - 1:
                    h = relu(h)
        return h
    return f

def resnet(p, x):
    def bn(v, q):  # BatchNorm in test mode: its running statistics, scale and shift are all parameters
        c = lambda a: p[f"{q}.{a}"][None, None, :, None]
        return (v - c("μ")) / jnp.sqrt(c("σ²") + 1e-5) * c("γ") + c("β")
    m = "result.layers[1].layers[1].layers"
    s = "result.layers[1].layers[2].layers"
    h = relu(bn(conv(x, p[f"{m}[1].weight"], stride=2, pad=1), f"{m}[2]"))
    h = bn(conv(h, p[f"{m}[3].weight"], pad=1), f"{m}[4]")
    sc = bn(conv(x, p[f"{s}[1].weight"], stride=2), f"{s}[2]")
    return relu(h + sc)

def attention(p, x):
    d, L, B = x.shape; H = 4; dh = d // H
    mu = x.mean(0, keepdims=True); var = x.var(0, keepdims=True)
    h = (x - mu) / jnp.sqrt(var + 1e-5) * p["result.norm.diag.scale"][:, None, None] + p["result.norm.diag.bias"][:, None, None]
    qkv = dense(p["result.qkv.weight"], p["result.qkv.bias"], h)
    q, k, v = qkv[:d], qkv[d:2 * d], qkv[2 * d:]
    split = lambda a: a.reshape((dh, H, L, B), order="F")
    q, k, v = split(q), split(k), split(v)
    s = jnp.einsum("ahib,ahjb->hijb", k, q) / jnp.sqrt(dh)   # keys i, queries j
    mask = jnp.triu(jnp.ones((L, L), dtype=bool))[None, :, :, None]
    a = jax.nn.softmax(jnp.where(mask, s, -jnp.inf), axis=1)
    y = jnp.einsum("ahib,hijb->ahjb", v, a).reshape((d, L, B), order="F")
    return x + dense(p["result.proj.weight"], p["result.proj.bias"], y)

problems = []
for name, init, grad, data, forward in [
    ("LeNet-5", "lenet_init", "lenet_grad", "digits", lambda meta: lenet),
    ("VGG19 (32×32)", "vgg_init", "vgg_grad", "cifar", lambda meta: vgg(meta["output"]["elements"][0]["elements"])),
    ("ResNet basic block", "resnet_init", "resnet_grad", "features", lambda meta: resnet),
    ("causal self-attention", "attention_init", "attention_grad", "tokens", lambda meta: attention),
]:
    params, meta = leaves(init)
    x = np.load(f"{DATA}/{data}.npy").astype(np.float64)
    f = forward(meta)
    g = jax.grad(lambda p: jnp.sum(jnp.sin(f(p, x))))({k: jnp.asarray(v) for k, v in params.items()})
    ours, _ = leaves(grad)
    used = [k for k in params if float(jnp.abs(g[k]).max()) > 0]
    for k in used:
        if k not in ours:
            problems.append(f"{name}: no gradient for {k}")
            continue
        want = np.asarray(g[k]); got = ours[k]
        err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-12)
        if got.shape != want.shape or err > 2e-3:
            problems.append(f"{name}: {k} differs (relative error {err:.3g})")
    if len(used) < 4:
        problems.append(f"{name}: only {len(used)} parameters have a gradient in the reference")
emit(problems)
`;

test("gradients of LeNet-5, VGG19, a ResNet block and an attention block match jax.grad", async () => {
  for (const f of ["lenet5.jl", "vgg19.jl", "resnet.jl", "attention.jl"]) cpSync(join(ROOT, "examples", f), join(work, f));
  for (const d of ["digits", "cifar", "features", "tokens"]) cpSync(join(ROOT, "examples", "data", `${d}.npy`), join(work, `${d}.npy`));
  writeFileSync(join(work, "models.jl"), GRADS_JL);
  const entries = {
    ...entry("lenet_init", [7], "digits", [28, 28, 1, 8]),
    ...entry("vgg_init", [19, 32, 10], "cifar", [32, 32, 3, 2]),
    ...entry("resnet_init", [3, 16, 32, 2], "features", [8, 8, 16, 2]),
    ...entry("attention_init", [5, 32, 4], "tokens", [32, 12, 2]),
  };
  writeFileSync(join(work, "tpu.config.json"), JSON.stringify({ entries }, null, 2));
  const errors: string[] = [];
  const summary = await build({ config: join(work, "tpu.config.json"), outDir: join(work, "out"), cacheDir: join(work, "cache"), error: (t) => errors.push(t) });
  assert.is(summary.exitCode, 0, errors.join("\n"));
  const problems = await runPython<string[]>(REFERENCE, { out: join(work, "out"), data: work });
  assert.equal(problems, []);
});

test.run();
