// The repository's examples (tpu.config.json) build and run on the local target, and every run
// matches a reference computed here in NumPy/JAX from the same weights (read back from the init
// entries' outputs) and inputs: MLP, LeNet-5, VGG19, a ResNet basic block, ResNet-18, causal self-attention,
// an LSTM sequence classifier, a small GPT (its logits, and its loss and one Adam step against jax.grad).

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import { runPython } from "./support/jax.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const test = suite("examples");
const work = mkdtempSync(join(tmpdir(), "tpu-build-examples-"));
const out = join(work, "out");
const events: BuildEvent[] = [];
let built: Promise<Awaited<ReturnType<typeof build>>> | undefined;
const buildOnce = () => (built ??= build({ config: join(ROOT, "tpu.config.json"), outDir: out, cacheDir: join(work, "cache"), onEvent: (e) => events.push(e), error: (t) => process.stderr.write(`${t}\n`) }));

test.after(() => rmSync(work, { recursive: true, force: true }));

const REFERENCE = `
import json
from jax import lax
import jax.numpy as jnp

OUT = INPUT["out"]
ROOT = INPUT["root"]

def leaves(entry):
    meta = json.load(open(f"{OUT}/{entry}/result.json"))
    return {o["path"]: np.load(f"{OUT}/{entry}/{o['file']}") for o in meta["outputs"]}

def data(name):
    return np.load(f"{ROOT}/examples/data/{name}.npy")

def softmax(h):
    e = np.exp(h - h.max(0, keepdims=True))
    return e / e.sum(0, keepdims=True)

def relu(x):
    return np.maximum(x, 0)

def dense(L, p, x, act=lambda v: v):
    W = L[p + ".weight"]
    b = L.get(p + ".bias")
    y = np.tensordot(W, x, axes=(1, 0))
    if b is not None and b.shape:
        y = y + b.reshape(b.shape + (1,) * (y.ndim - 1))
    return act(y)

def conv(x, w, stride=1, pad=0):
    # Julia (W,H,C,N) is NumPy (N,C,H,W) after .T; Flux's Conv is a true convolution: flip the kernel.
    k = np.ascontiguousarray(w.T[:, :, ::-1, ::-1], dtype=np.float64)
    y = lax.conv_general_dilated(jnp.asarray(np.ascontiguousarray(x.T, dtype=np.float64)), jnp.asarray(k), (stride, stride), [(pad, pad), (pad, pad)], dimension_numbers=("NCHW", "OIHW", "NCHW"), precision=lax.Precision.HIGHEST)
    return np.asarray(y).T

def maxpool2(x):
    y = lax.reduce_window(jnp.asarray(np.ascontiguousarray(x.T, dtype=np.float64)), -np.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    return np.asarray(y).T

def flatten(x):
    return x.reshape(-1, x.shape[-1], order="F")

def close(name, got, want, rtol):
    got = np.asarray(got, dtype=np.float64); want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return f"{name}: shape {got.shape}, reference {want.shape}"
    err = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
    return "" if err <= rtol else f"{name}: relative error {err:.3g} > {rtol}"

problems = []

# MLP
L = leaves("init")
x = data("x")
want = softmax(dense(L, "result.layers[2]", dense(L, "result.layers[1]", x, relu)))
problems.append(close("mlp", np.load(f"{OUT}/predict/0.npy"), want, 1e-5))

# LeNet-5
L = leaves("lenet_init")
h = data("digits")
h = maxpool2(relu(conv(h, L["result.layers[1].weight"]) + L["result.layers[1].bias"][None, None, :, None]))
h = maxpool2(relu(conv(h, L["result.layers[3].weight"]) + L["result.layers[3].bias"][None, None, :, None]))
h = flatten(h)
h = dense(L, "result.layers[6]", h, relu)
h = dense(L, "result.layers[7]", h, relu)
want = softmax(dense(L, "result.layers[8]", h))
problems.append(close("lenet", np.load(f"{OUT}/lenet/0.npy"), want, 1e-4))

# VGG19
L = leaves("vgg19_init")
meta = json.load(open(f"{OUT}/vgg19_init/result.json"))
layers = meta["output"]["elements"][0]["elements"]
h = data("cifar")
for i, layer in enumerate(layers):
    p = f"result.layers[{i + 1}]"
    if layer.get("name") == "Conv":
        h = relu(conv(h, L[p + ".weight"], pad=1) + L[p + ".bias"][None, None, :, None])
    elif layer.get("name") == "MaxPool":
        h = maxpool2(h)
    elif layer.get("kind") == "known":
        h = flatten(h)
    elif layer.get("name") == "Dense":
        last = i == len(layers) - 1
        h = dense(L, p, h, (lambda v: v) if last else relu)
want = softmax(h)
problems.append(close("vgg19", np.load(f"{OUT}/vgg19/0.npy"), want, 1e-3))

# ResNet basic block (BatchNorm in test mode with its initial statistics: x / sqrt(1 + eps))
L = leaves("resnet_init")
x = data("features")
bn = lambda v: v / np.sqrt(1 + 1e-5)
main = "result.layers[1].layers[1].layers"
h = relu(bn(conv(x, L[f"{main}[1].weight"], stride=2, pad=1)))
h = bn(conv(h, L[f"{main}[3].weight"], pad=1))
s = bn(conv(x, L["result.layers[1].layers[2].layers[1].weight"], stride=2))
problems.append(close("resnet_block", np.load(f"{OUT}/resnet_block/0.npy"), relu(h + s), 1e-4))

# ResNet-18 (examples/resnet18.jl): stem, eight BasicBlocks, adaptive mean pooling, dense head;
# BatchNorm in test mode with its running statistics, read from the init entry like the weights
L = leaves("resnet18_init")
def bn(p, x):
    shape = (1, 1, -1, 1)
    return (x - L[p + ".μ"].reshape(shape)) / np.sqrt(L[p + ".σ²"].reshape(shape) + 1e-5) * L[p + ".γ"].reshape(shape) + L[p + ".β"].reshape(shape)
def maxpool(x, k, stride, pad):
    y = lax.reduce_window(jnp.asarray(np.ascontiguousarray(x.T, dtype=np.float64)), -np.inf, lax.max, (1, 1, k, k), (1, 1, stride, stride), [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    return np.asarray(y).T
h = relu(bn("result.layers[2]", conv(data("cifar"), L["result.layers[1].weight"], stride=2, pad=3)))
h = maxpool(h, 3, 2, 1)
i = 4
while f"result.layers[{i}].conv1.weight" in L:
    b = f"result.layers[{i}]"
    stride = 2 if f"{b}.downsample.layers[1].weight" in L else 1  # here a shortcut is needed exactly where a stage halves the size
    out = relu(bn(b + ".bn1", conv(h, L[b + ".conv1.weight"], stride=stride, pad=1)))
    out = bn(b + ".bn2", conv(out, L[b + ".conv2.weight"], pad=1))
    short = bn(b + ".downsample.layers[2]", conv(h, L[b + ".downsample.layers[1].weight"], stride=stride)) if b + ".downsample.layers[1].weight" in L else h
    h = relu(out + short)
    i += 1
h = h.mean((0, 1))
problems.append(close("resnet18 blocks", i - 4, 8, 0))
problems.append(close("resnet18", np.load(f"{OUT}/resnet18/0.npy"), dense(L, f"result.layers[{i + 2}]", h), 1e-4))

# Causal self-attention, 4 heads (LayerNorm as Flux's normalise: ε² = 1e-10)
L = leaves("attention_init")
x = data("tokens")
d, T, B = x.shape
H = 4
mu = x.mean(0, keepdims=True)
var = x.var(0, keepdims=True)
h = (x - mu) / np.sqrt(var + 1e-10) * L["result.norm.diag.scale"][:, None, None] + L["result.norm.diag.bias"][:, None, None]
qkv = dense(L, "result.qkv", h)
q, k, v = qkv[:d], qkv[d:2 * d], qkv[2 * d:]
dh = d // H
y = np.zeros_like(x)
mask = np.triu(np.ones((T, T), dtype=bool))  # key i may be attended by query j when i <= j
for b in range(B):
    for hd in range(H):
        sl = slice(hd * dh, (hd + 1) * dh)
        S = k[sl, :, b].T @ q[sl, :, b] / np.sqrt(dh)
        S = np.where(mask, S, -np.inf)
        y[sl, :, b] = v[sl, :, b] @ softmax(S)
want = x + dense(L, "result.proj", y)
problems.append(close("attention", np.load(f"{OUT}/attention/0.npy"), want, 1e-4))

# LSTM sequence classifier: Flux's gate order (input, forget, cell, output), the last hidden state
L = leaves("lstm_init")
x = data("sequences")
Wi, Wh, b = (L[f"result.layers[1].cell.{k}"].astype(np.float64) for k in ("Wi", "Wh", "bias"))
n = Wh.shape[1]
sig = lambda v: 1 / (1 + np.exp(-v))
h = np.zeros((n, x.shape[2])); c = np.zeros((n, x.shape[2]))
for t in range(x.shape[1]):
    g = Wi @ x[:, t, :] + Wh @ h + b[:, None]
    c = sig(g[n:2 * n]) * c + sig(g[:n]) * np.tanh(g[2 * n:3 * n])
    h = sig(g[3 * n:]) * np.tanh(c)
want = softmax(dense(L, "result.layers[3]", h))
problems.append(close("lstm", np.load(f"{OUT}/lstm/0.npy"), want, 1e-4))

# A small GPT (2 blocks, 2 heads, width 8): logits from gpt_init's weights, then the loss and one
# Adam step (jax.grad of the same model written here)
import jax
L = {k[len("result."):]: jnp.asarray(v, dtype=jnp.float64) for k, v in leaves("gpt_init").items() if "rng" not in k}
tokens = data("chars"); targets = data("next_chars")
V, D, H = L["head.weight"].shape[0], L["tok.weight"].shape[0], 2

def fold(x, shape):  # Julia's reshape (column-major) of an array in Julia order
    return jnp.reshape(x.T, shape[::-1]).T

def ln(P, p, x):
    mu = x.mean(0, keepdims=True); var = ((x - mu) ** 2).mean(0, keepdims=True)
    y = (x - mu) / jnp.sqrt(var + 1e-10)  # Flux's normalise squares ε
    return y * P[p + ".diag.scale"].reshape((-1,) + (1,) * (x.ndim - 1)) + P[p + ".diag.bias"].reshape((-1,) + (1,) * (x.ndim - 1))

def lin(P, p, x, bias=True):
    y = jnp.tensordot(P[p + ".weight"], x, axes=(1, 0))
    return y + P[p + ".bias"].reshape((-1,) + (1,) * (y.ndim - 1)) if bias else y

def gelu(x):
    return x / 2 * (1 + jnp.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))

def gpt(P, tokens):
    T, B = tokens.shape
    x = P["tok.weight"][:, tokens - 1] + P["pos.weight"][:, :T, None]
    for i in (1, 2):
        b = f"blocks[{i}]"
        h = ln(P, b + ".ln1", x)
        q, k, v = (fold(lin(P, f"{b}.attn.{n}_proj", h, False), (D // H, H, T, B)) for n in "qkv")
        s = jnp.einsum("dhkb,dhqb->kqhb", k, q) / jnp.sqrt(D // H)
        s = jnp.where(np.triu(np.ones((T, T), bool))[:, :, None, None], s, -jnp.inf)
        a = jax.nn.softmax(s, axis=0)
        x = x + lin(P, f"{b}.attn.out_proj", fold(jnp.einsum("dhkb,kqhb->dhqb", v, a), (D, T, B)), False)
        x = x + lin(P, f"{b}.mlp.layers[2]", gelu(lin(P, f"{b}.mlp.layers[1]", ln(P, b + ".ln2", x))))
    return lin(P, "head", ln(P, "ln", x))

problems.append(close("gpt", np.load(f"{OUT}/gpt/0.npy"), gpt(L, tokens), 1e-4))

def loss(P):
    z = fold(gpt(P, tokens), (V, tokens.size))
    y = jax.nn.one_hot(fold(jnp.asarray(targets), (targets.size,)) - 1, V).T
    return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(z, axis=0), axis=0))

l, g = jax.value_and_grad(loss)(L)
T2 = leaves("gpt_train")
problems.append(close("gpt_train loss", T2["result[1]"], l, 1e-4))
for p in ("head.weight", "blocks[1].attn.q_proj.weight", "tok.weight"):
    m, v = 0.1 * g[p], 0.001 * g[p] ** 2
    want = L[p] - m / 0.1 / (jnp.sqrt(v / 0.001) + 1e-8) * 1e-3
    problems.append(close("gpt_train " + p, T2["result[2]." + p], want, 1e-4))

emit([p for p in problems if p])
`;

test("the repository's manifest builds and runs every example", async () => {
  const summary = await buildOnce();
  assert.is(summary.exitCode, 0, JSON.stringify(Object.values(summary.entries).filter((e) => e.status === "failed" || e.runFailed)));
  for (const name of ["predict", "lenet", "vgg19", "resnet_block", "resnet18", "attention", "lstm", "gpt", "gpt_train"]) assert.ok(summary.entries[name]?.ran, `${name} did not run`);
});

test("every example matches its NumPy/JAX reference", async () => {
  await buildOnce();
  const problems = await runPython<string[]>(REFERENCE, { out, root: ROOT });
  assert.equal(problems, []);
});

test("VGG19's forward pass at the paper's size is one HLO module; its size is reported", async () => {
  await buildOnce();
  const finished = events.find((e) => e.event === "compile-finished" && e.entry === "vgg19_paper");
  assert.ok(finished && finished.event === "compile-finished", "vgg19_paper compiled");
  const text = readFileSync(join(work, "cache", "artifacts", finished.key.slice(0, 2), finished.key, "module.hlo.txt"), "utf8");
  const entry = text.slice(text.indexOf("\nENTRY "));
  const entryInstructions = entry.split("\n").filter((l) => /^\s+(ROOT )?%/.test(l)).length;
  const convolutions = (text.match(/ convolution\(/g) ?? []).length;
  // Sixteen convolutions and three dense layers: the architecture, checked structurally.
  assert.is(convolutions, 16);
  assert.is((entry.match(/ dot\(/g) ?? []).length, 3);
  console.log(`  VGG19 forward (224×224, batch 100): ${entryInstructions} instructions in the entry computation, ${finished.instructions} in all, ${finished.computations} computations (the paper: 183 in the entry, 361 in 29 computations)`);
});

test.run();
