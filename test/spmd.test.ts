// Entries over a device mesh (run.mesh, per-argument shard): one SPMD module partitioned by XLA's
// SPMD partitioner, run on virtual CPU devices of the real runtime server (one build, 8 devices).
// A data-parallel MLP forward pass and training step, and a model-parallel one on a 2×2 mesh with
// a with_sharding_constraint, each checked against NumPy; LeNet-5 and examples/train.jl's training
// step at 1, 2, 4 and 8 devices against JAX's jit with the same shardings; the HLO carries the shardings; the
// runtime reports the program partitioned and the arguments split, one shard per device; bad
// meshes and shardings give their located errors. Two runtime servers on loopback (JAX's
// distributed runtime, gloo collectives) run the data-parallel entries as one target.
// Run: npx uvu -r tsx/cjs test spmd

import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import { cacheKey } from "../build/cache.js";
import { loadManifest } from "../build/manifest.js";
import { juliaCompiler } from "../plugins/julia/index.js";
import type { ArgSpec, Signature, Tensor } from "../plugins/api.js";
import { LocalTarget } from "../plugins/xla-local/local-target.js";
import { RemoteTarget, RuntimeProcess, checkRemoteSettings } from "../plugins/xla-local/index.js";
import { MultiHostSession } from "../plugins/xla-local/multi-host-session.js";
import { shardBlock, sliceBlock } from "../plugins/xla-local/tensor-layout.js";
import { decodeNpy } from "../build/npy.js";
import { runPython } from "./support/python.js";
import { runPython as runJax } from "./support/jax.js";
import { freePort } from "./support/ports.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SOURCE = `
using Flux

mlp(W1, b1, W2, b2, x) = W2 * tanh.(W1 * x .+ b1) .+ b2

predict(W1, b1, W2, b2, x) = softmax(mlp(W1, b1, W2, b2, x))

loss(W1, b1, W2, b2, x, y) = sum((mlp(W1, b1, W2, b2, x) .- y) .^ 2) / size(x, 2)

function train_step(W1, b1, W2, b2, x, y)
    l, g = withgradient(loss, W1, b1, W2, b2, x, y)
    η = 0.1f0
    return (W1 .- η .* g[1], b1 .- η .* g[2], W2 .- η .* g[3], b2 .- η .* g[4], l)
end

# Model parallel: the hidden units split over :model, the samples over :data.
function predict_model_parallel(W1, b1, W2, b2, x)
    h = with_sharding_constraint(tanh.(W1 * x .+ b1), (:model, :data))
    return softmax(W2 * h .+ b2)
end

column_sums(p) = sum(p; dims = 1)

# Runs long enough to be interrupted: an all-reduce over the mesh in every iteration.
function spin(x, n)
    s = x
    i = 0
    while i < n
        s = s .* 0.5f0 .+ sum(s) .* 1f-3
        i = i + 1
    end
    return s
end
`;

// Sizes (Julia order): 6 inputs, 8 hidden units, 3 outputs, a batch of 16.
const [IN, HIDDEN, OUT, BATCH] = [6, 8, 3, 16];
const ARRAYS: Record<string, number[]> = { W1: [HIDDEN, IN], b1: [HIDDEN], W2: [OUT, HIDDEN], b2: [OUT], x: [IN, BATCH], y: [OUT, BATCH] };

const array = (name: string, shard?: (string | null)[]) => ({ eltype: "Float32", size: ARRAYS[name], value: { npy: `${name}.npy` }, ...(shard ? { shard } : {}) });
const params = ["W1", "b1", "W2", "b2"].map((n) => array(n));

function workspace(entries: Record<string, unknown>, cpuDevices = 4): string {
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-spmd-"));
  dirs.push(dir);
  writeFileSync(join(dir, "mlp.jl"), SOURCE);
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ targets: { local: { cpuDevices } }, entries }, null, 2));
  return dir;
}

/** Random inputs written by NumPy (Julia-order .npy files). */
function writeInputs(dir: string): void {
  runPython(
    `
import sys, json, numpy as np
rng = np.random.default_rng(11)
for name, size in json.loads(sys.argv[2]).items():
    np.save(f"{sys.argv[1]}/{name}.npy", np.asfortranarray((rng.standard_normal(size) * 0.5).astype(np.float32)))
`,
    [dir, JSON.stringify(ARRAYS)],
  );
}

const output = (dir: string, entry: string, k: number) => join(dir, ".tpu-build", "out", entry, `${k}.npy`);


function npyTensor(path: string): Tensor {
  const r = decodeNpy(readFileSync(path), "Float32");
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

/** The largest difference between the named entries' outputs and NumPy's float64 computation of them from the same inputs. */
function differenceFromNumpy(dir: string, entries: string[]): number {
  const script = `
import sys, numpy as np
d = sys.argv[1]
L = lambda n: np.load(f"{d}/{n}.npy").astype(np.float64)
out = lambda e, k: np.load(f"{d}/.tpu-build/out/{e}/{k}.npy")
W1, b1, W2, b2, x, y = (L(n) for n in ["W1", "b1", "W2", "b2", "x", "y"])
def softmax(z):
    e = np.exp(z - z.max(axis=0)); return e / e.sum(axis=0)
h = np.tanh(W1 @ x + b1[:, None]); z = W2 @ h + b2[:, None]; p = softmax(z)
n = x.shape[1]; r = z - y
loss = (r ** 2).sum() / n
gz = 2 * r / n; gW2 = gz @ h.T; gb2 = gz.sum(1); gh = W2.T @ gz * (1 - h ** 2); gW1 = gh @ x.T; gb1 = gh.sum(1)
expected = {("predict", 0): p, ("model_parallel", 0): p, ("sums", 0): p.sum(0, keepdims=True), ("scores", 0): p, ("score_sums", 0): p.sum(0, keepdims=True),
            ("train", 0): W1 - 0.1 * gW1, ("train", 1): b1 - 0.1 * gb1, ("train", 2): W2 - 0.1 * gW2, ("train", 3): b2 - 0.1 * gb2, ("train", 4): loss}
entries = sys.argv[2].split(",")
print(max(float(np.max(np.abs(out(e, k) - v))) for (e, k), v in expected.items() if e in entries))
`;
  return Number(runPython(script, [dir, entries.join(",")]).trim());
}

/** The module text of the artifact compiled for `entry` (the module is named after the entry). */
function moduleText(dir: string, entry: string): string {
  const root = join(dir, ".tpu-build", "cache", "artifacts");
  for (const shard of readdirSync(root)) {
    for (const key of readdirSync(join(root, shard))) {
      const path = join(root, shard, key, "module.hlo.txt");
      if (statSync(join(root, shard, key)).isDirectory() && readFileSync(path, "utf8").startsWith(`HloModule ${entry},`)) return readFileSync(path, "utf8");
    }
  }
  throw new Error(`no artifact for ${entry}`);
}

function artifactOf(dir: string, entry: string): { module: Uint8Array; signature: Signature; hash: string } {
  const root = join(dir, ".tpu-build", "cache", "artifacts");
  for (const shard of readdirSync(root)) {
    for (const key of readdirSync(join(root, shard))) {
      const at = join(root, shard, key);
      if (!statSync(at).isDirectory()) continue;
      const signature = JSON.parse(readFileSync(join(at, "signature.json"), "utf8")) as Signature;
      if (signature.entry === entry) return { module: readFileSync(join(at, "module.hlo.pb")), signature, hash: key };
    }
  }
  throw new Error(`no artifact for ${entry}`);
}

// The examples' LeNet-5 and one step of examples/train.jl's training loop (Adam from a fresh
// state), the batch split over `data` and the parameters replicated, at 1, 2, 4 and 8 devices.
const EXAMPLE_MESHES = [1, 2, 4, 8];
const TRAIN_STEP = `
include("train.jl")

adam_step(model, x, y) = train_step(model, Optimisers.setup(Adam(1f-2), model), x, y)
`;
const onMesh = (n: number) => (n > 1 ? { target: "local", mesh: { data: n } } : true);
const split = (n: number, rank: number) => (n > 1 ? { shard: [...Array<null>(rank - 1).fill(null), "data"] } : {});
const exampleEntries = Object.fromEntries(
  EXAMPLE_MESHES.flatMap((n) => [
    [`lenet${n}`, { file: "lenet5.jl", function: "classify", args: [{ from: "lenet_init" }, { eltype: "Float32", size: [28, 28, 1, 8], value: { npy: "digits.npy" }, ...split(n, 4) }], run: onMesh(n) }],
    [
      `step${n}`,
      {
        file: "train_step.jl",
        function: "adam_step",
        args: [{ from: "train_init" }, { eltype: "Float32", size: [4, 64], value: { npy: "points.npy" }, ...split(n, 2) }, { eltype: "Float32", size: [1, 64], value: { npy: "targets.npy" }, ...split(n, 2) }],
        run: onMesh(n),
      },
    ],
  ]),
);

/** One workspace on 8 virtual devices and one build (one runtime server) for the MLP and the examples' cases. */
let meshBuild: Promise<{ dir: string; summary: Awaited<ReturnType<typeof build>>; errors: string[] }> | undefined;
const buildOnMeshes = () =>
  (meshBuild ??= (async () => {
    const dir = workspace(
      {
        predict: { file: "mlp.jl", function: "predict", args: [...params, array("x", [null, "data"])], run: { target: "local", mesh: { data: 4 } } },
        train: { file: "mlp.jl", function: "train_step", args: [...params, array("x", [null, "data"]), array("y", [null, "data"])], run: { target: "local", mesh: { data: 4 } } },
        model_parallel: {
          file: "mlp.jl",
          function: "predict_model_parallel",
          args: [array("W1", ["model", null]), array("b1", ["model"]), array("W2"), array("b2"), array("x", [null, "data"])],
          run: { target: "local", mesh: { data: 2, model: 2 } },
        },
        // One device, taking the result of a run over the mesh.
        sums: { file: "mlp.jl", function: "column_sums", args: [{ from: "predict" }], run: true },
        // Results kept split over the mesh, taken where they are by an entry on the same mesh.
        scores: { file: "mlp.jl", function: "predict", args: [...params, array("x", [null, "data"])], run: { target: "local", mesh: { data: 4 }, resultShards: [[null, "data"]] } },
        score_sums: { file: "mlp.jl", function: "column_sums", args: [{ from: "scores" }], run: { target: "local", mesh: { data: 4 } } },
        too_large: { file: "mlp.jl", function: "predict", args: [...params, array("x", [null, "data"])], run: { target: "local", mesh: { data: 16 } } },
        lenet_init: { file: "lenet5.jl", function: "lenet5", args: [{ const: 7 }], run: true },
        train_init: { file: "train.jl", function: "init_regressor", args: [{ const: 1 }], run: true },
        ...exampleEntries,
      },
      8,
    );
    writeInputs(dir);
    for (const f of ["lenet5.jl", "train.jl", "data/digits.npy"]) copyFileSync(join(ROOT, "examples", f), join(dir, basename(f)));
    writeFileSync(join(dir, "train_step.jl"), TRAIN_STEP);
    // A regression batch as examples/train.jl draws it: y = sin(x₁) + x₂x₃/2 - x₄/2.
    runPython(
      `
import sys, numpy as np
x = np.random.default_rng(5).standard_normal((4, 64)).astype(np.float32)
y = np.sin(x[0:1]) + 0.5 * x[1:2] * x[2:3] - 0.5 * x[3:4]
np.save(f"{sys.argv[1]}/points.npy", np.asfortranarray(x)); np.save(f"{sys.argv[1]}/targets.npy", np.asfortranarray(y.astype(np.float32)))
`,
      [dir],
    );
    const errors: string[] = [];
    const summary = await build({ config: join(dir, "tpu.config.json"), error: (t) => errors.push(t), log: () => {} });
    return { dir, summary, errors };
  })());

test("data- and model-parallel entries on 4 virtual devices equal NumPy, with shardings in the HLO and the program partitioned", async () => {
  const { dir, summary, errors } = await buildOnMeshes();

  // The mesh larger than the target fails alone, with what to do about it.
  assert.is(summary.exitCode, 4, errors.join("\n"));
  assert.ok(summary.entries.too_large?.runFailed, "the 16-device mesh fails on an 8-device target");
  const tooLarge = errors.find((e) => e.includes("too_large")) ?? "";
  assert.match(tooLarge, "runs on a mesh {data: 16} of 16 devices, but target local has 8 cpu device(s)");
  assert.match(tooLarge, `"cpuDevices": 16`);
  for (const e of ["predict", "train", "model_parallel", "sums", "scores", "score_sums"]) assert.ok(summary.entries[e]?.ran, `${e} ran`);

  const difference = differenceFromNumpy(dir, ["predict", "train", "model_parallel", "sums", "scores", "score_sums"]);
  assert.ok(difference < 2e-5, `largest difference from NumPy: ${difference}`);

  // The shardings in the module (XLA order: Julia's x of size (6, 16) is f32[16,6], split on dim 0).
  const predict = moduleText(dir, "predict");
  assert.match(predict, /f32\[16,6\]\{1,0\} parameter\(4\), sharding=\{devices=\[4,1\]0,1,2,3\}/);
  assert.match(predict, /f32\[6,8\]\{1,0\} parameter\(0\), sharding=\{replicated\}/);
  assert.match(predict, /ROOT .* sharding=\{\{replicated\}\}/);
  const model = moduleText(dir, "model_parallel");
  // W1 (8, 6) split over model (mesh axis 1 of {data: 2, model: 2}): XLA f32[6,8] tiled [1,2] with data's 2 copies last.
  assert.match(model, /f32\[6,8\]\{1,0\} parameter\(0\), sharding=\{devices=\[1,2,2\]0,2,1,3 last_tile_dim_replicate\}/);
  assert.match(model, /custom-call\(.*custom_call_target="Sharding", sharding=\{devices=\[2,2\]0,1,2,3\}/);
  // A result kept split (Julia (3, 16) over data on dimension 2), and the parameter that takes it split alike.
  assert.match(moduleText(dir, "scores"), /ROOT .* sharding=\{\{devices=\[4,1\]0,1,2,3\}\}/);
  assert.match(moduleText(dir, "score_sums"), /f32\[16,3\]\{1,0\} parameter\(0\), sharding=\{devices=\[4,1\]0,1,2,3\}/);
  assert.equal(artifactOf(dir, "score_sums").signature.parameters[0]!.shard, [null, "data"]);

  // The runtime compiles the module over the mesh and keeps each shard on its own device.
  const artifact = artifactOf(dir, "predict");
  const session = await new LocalTarget().open({ workspace: dir, settings: { cpuDevices: 4 } });
  try {
    const exe = await session.loadExecutable(artifact);
    assert.is(exe.partitions, 4);
    assert.equal(exe.partitionParameters[4]!.dims, [4, 6], "each device takes 4 of the 16 samples (XLA order)");
    assert.equal(exe.partitionParameters[0]!.dims, [6, 8], "W1 is whole on each device");
    const resident = await session.upload(npyTensor(join(dir, "x.npy")), { mesh: artifact.signature.mesh!, shard: [null, "data"] });
    assert.equal(resident.devices, [0, 1, 2, 3]);
    assert.equal(resident.shardSize, [IN, BATCH / 4], "each device holds a quarter of the batch");
    const inputs = ["W1", "b1", "W2", "b2"].map((n) => npyTensor(join(dir, `${n}.npy`)));
    const [probabilities] = await session.execute(artifact.hash, [...inputs, resident]);
    assert.equal(probabilities!.devices, [0, 1, 2, 3], "the result is on every device of the mesh");
    assert.equal(probabilities!.shardSize, [OUT, BATCH], "whole (replicated) on each");
    const host = await session.download(probabilities!);
    assert.equal(Buffer.from(host.data), Buffer.from(npyTensor(output(dir, "predict", 0)).data), "the same bytes as the build's output");

    // A result kept split stays a quarter on each device; the entry on the same mesh takes it
    // without a copy (the runtime counts arguments it had to move), an entry on one device gathers it.
    const [scores, scoreSums, sums] = ["scores", "score_sums", "sums"].map((e) => artifactOf(dir, e));
    for (const a of [scores!, scoreSums!, sums!]) await session.load(a);
    const [split] = await session.execute(scores!.hash, [...inputs, resident]);
    assert.equal([split!.devices, split!.shardSize], [[0, 1, 2, 3], [OUT, BATCH / 4]]);
    const moved = async () => (await session.client.health()).movedArguments;
    const before = await moved();
    const [summed] = await session.execute(scoreSums!.hash, [split!]);
    assert.is(await moved(), before, "the split result is taken where it is");
    const [gathered] = await session.execute(sums!.hash, [split!]);
    assert.is(await moved(), before + 1, "onto one device, it is gathered (a move the counter sees)");
    for (const [r, entry] of [[split, "scores"], [summed, "score_sums"], [gathered, "sums"]] as const)
      assert.equal(Buffer.from((await session.download(r!)).data), Buffer.from(npyTensor(output(dir, entry, 0)).data), `${entry}: the build's bytes`);
  } finally {
    await session.close();
  }
});

/**
 * JAX's jit of LeNet-5 and of the Adam step, with the same shardings (the batch over "data", the
 * parameters replicated) on a mesh of the first n of 8 CPU devices, from the same weights (the
 * init entries' outputs) and inputs; per mesh size and entry, each leaf's largest difference
 * from ours relative to JAX's largest magnitude, and the same for ours against our one-device run.
 */
const EXAMPLES_UNDER_JIT = `
import os
os.environ["JAX_PLATFORMS"] = "cpu"
os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
import json
import numpy as np
import jax, jax.numpy as jnp
from jax import lax
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

D = INPUT["dir"]
def leaves(entry):
    out = f"{D}/.tpu-build/out/{entry}"
    return [np.load(f"{out}/{o['file']}") for o in json.load(open(f"{out}/result.json"))["outputs"]]

def conv(x, w):
    # Julia's WHCN images and WHIO kernels; Flux's Conv is a true convolution: the kernel flipped.
    return lax.conv_general_dilated(x, w[::-1, ::-1], (1, 1), "VALID", dimension_numbers=("WHCN", "WHIO", "WHCN"))

def maxpool2(x):
    return lax.reduce_window(x, -jnp.inf, lax.max, (2, 2, 1, 1), (2, 2, 1, 1), "VALID")

def dense(W, b, x):
    return W @ x + b[:, None]

def lenet(p, images):
    h = maxpool2(jax.nn.relu(conv(images, p[0]) + p[1][None, None, :, None]))
    h = maxpool2(jax.nn.relu(conv(h, p[2]) + p[3][None, None, :, None]))
    h = jnp.transpose(h, (3, 2, 1, 0)).reshape(h.shape[3], -1).T  # Flux.flatten, column-major
    h = jax.nn.relu(dense(p[4], p[5], h))
    h = jax.nn.relu(dense(p[6], p[7], h))
    return jax.nn.softmax(dense(p[8], p[9], h), axis=0)

def mse(p, x, y):
    return jnp.mean((dense(p[2], p[3], jnp.tanh(dense(p[0], p[1], x))) - y) ** 2)

def adam_step(p, x, y):
    # Optimisers.jl's Adam(1f-2) from a fresh state (β = (0.9, 0.999), ϵ = 1e-8): the new model,
    # each parameter's two moments, the loss. Its constants are Float32, 1 - β too (1 - 0.999f0 is
    # 0.00099998713).
    l, g = jax.value_and_grad(mse)(p, x, y)
    b1, b2 = np.float32(1) - np.float32(0.9), np.float32(1) - np.float32(0.999)
    m = [b1 * gi for gi in g]
    v = [b2 * gi * gi for gi in g]
    new = [pi - np.float32(0.01) * (mi / b1) / (jnp.sqrt(vi / b2) + np.float32(1e-8)) for pi, mi, vi in zip(p, m, v)]
    return [*new, *(a for pair in zip(m, v) for a in pair), l]

lenet_params = [jnp.asarray(a) for a in leaves("lenet_init")]
regressor = [jnp.asarray(a) for a in leaves("train_init")]
digits, points, targets = (np.load(f"{D}/{n}.npy") for n in ["digits", "points", "targets"])

def relative(ours, want):
    return max(float(np.abs(a - b).max()) / max(float(np.abs(b).max()), 1e-30) for a, b in zip(ours, want))

report = {}
for n in INPUT["meshes"]:
    mesh = Mesh(np.array(jax.devices()[:n]), ("data",))
    whole = NamedSharding(mesh, P())
    replicated = lambda tree: jax.tree.map(lambda _: whole, tree)
    batch = lambda rank: NamedSharding(mesh, P(*([None] * (rank - 1)), "data"))
    classify = jax.jit(lenet, in_shardings=(replicated(lenet_params), batch(4)), out_shardings=whole)
    step = jax.jit(adam_step, in_shardings=(replicated(regressor), batch(2), batch(2)), out_shardings=whole)
    want = {"lenet": [np.asarray(classify(lenet_params, digits))], "step": [np.asarray(a) for a in step(regressor, points, targets)]}
    for entry, expected in want.items():
        ours = leaves(f"{entry}{n}")
        assert len(ours) == len(expected), (entry, n, len(ours), len(expected))
        report[f"{entry}{n}"] = {"jax": relative(ours, expected), "one_device": relative(ours, leaves(f"{entry}1"))}
emit(report)
`;

test("LeNet-5 and examples/train.jl's training step with the batch split over 2, 4 and 8 devices equal JAX's jit with the same shardings, and the one-device run", async () => {
  const { dir, summary, errors } = await buildOnMeshes();
  for (const e of Object.keys(exampleEntries)) assert.ok(summary.entries[e]?.ran, `${e} ran: ${errors.join("\n")}`);
  const report = await runJax<Record<string, { jax: number; one_device: number }>>(EXAMPLES_UNDER_JIT, { dir, meshes: EXAMPLE_MESHES }, { prelude: "" });
  assert.equal(Object.keys(report).sort(), Object.keys(exampleEntries).sort());
  // Float32 sums split over devices are added in another order: a few units in the last place.
  for (const [entry, r] of Object.entries(report)) {
    assert.ok(r.jax < 1e-5, `${entry}: relative difference from JAX's jit ${r.jax}`);
    assert.ok(r.one_device < 1e-5, `${entry}: relative difference from the one-device run ${r.one_device}`);
  }
  // Each is one program partitioned over its mesh: the batch parameter split, an all-reduce for the step's sums.
  const step8 = moduleText(dir, "step8");
  assert.match(step8, /f32\[64,4\]\{1,0\} parameter\(\d+\), sharding=\{devices=\[8,1\]0,1,2,3,4,5,6,7\}/);
  assert.match(moduleText(dir, "lenet8"), /f32\[8,1,28,28\]\{3,2,1,0\} parameter\(\d+\), sharding=\{devices=\[8,1,1,1\]0,1,2,3,4,5,6,7\}/);
});

/** Two runtime servers on loopback acting as one (JAX's distributed runtime), 4 CPU devices each, at the given addresses. */
async function startPod(tokenFile: string, listen?: string[]): Promise<RuntimeProcess[]> {
  const coordinator = `127.0.0.1:${await freePort()}`;
  // A peer silent for 10 s is dead, and XLA ends the others (JAX's default waits 100 s).
  return Promise.all(
    [0, 1].map((processId) =>
      RuntimeProcess.start({ transport: "tcp", tokenFile, cpuDevices: 4, ...(listen ? { listen: listen[processId] } : {}), distributed: { coordinator, numProcesses: 2, processId, heartbeatTimeoutSeconds: 10 } }),
    ),
  );
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("two runtime servers on loopback act as one: the data-parallel step over their 8 devices equals NumPy, each host gets only its half of the batch; a host killed inside an execute fails the run naming it, the other ends, and the restarted pair serves the next build", async () => {
  const dir = workspace({});
  writeInputs(dir);
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, `${"t".repeat(32)}\n`, { mode: 0o600 });
  let hosts = await startPod(tokenFile);
  const addresses = hosts.map((h) => h.address);
  try {
    const pod = { kind: "remote", hosts: [addresses[1]!, addresses[0]!], token: { file: "token" }, platform: "cpu" };
    const onPod = { target: "pod", mesh: { data: 8 } };
    const entries = {
      predict: { file: "mlp.jl", function: "predict", args: [...params, array("x", [null, "data"])], run: onPod },
      train: { file: "mlp.jl", function: "train_step", args: [...params, array("x", [null, "data"]), array("y", [null, "data"])], run: onPod },
      // On process 0's first device, from a result of both hosts.
      sums: { file: "mlp.jl", function: "column_sums", args: [{ from: "predict" }], run: { target: "pod" } },
    };
    const config = join(dir, "tpu.config.json");
    const buildPod = async (only?: string[], more: Record<string, unknown> = {}, onEvent?: (e: BuildEvent) => void) => {
      writeFileSync(config, JSON.stringify({ targets: { pod }, entries: { ...entries, ...more } }));
      const errors: string[] = [];
      const summary = await build({ config, force: true, error: (t) => errors.push(t), log: () => {}, ...(only ? { entries: only } : {}), ...(onEvent ? { onEvent } : {}) });
      return { summary, errors };
    };
    const first = await buildPod();
    assert.is(first.summary.exitCode, 0, first.errors.join("\n"));
    const difference = differenceFromNumpy(dir, ["predict", "train", "sums"]);
    assert.ok(difference < 2e-5, `largest difference from NumPy: ${difference}`);
    const info = await hosts[0]!.client.deviceInfo();
    assert.is(info.processCount, 2);
    assert.equal(info.devices.map((d) => d.processIndex), [0, 0, 0, 0, 1, 1, 1, 1], "8 global devices, 4 on each host");

    // Each host is sent only the half of the batch its 4 devices hold, and runs its partitions on it.
    const { kind: _remote, ...settings } = pod;
    const session = await new RemoteTarget().open({ workspace: dir, settings });
    try {
      assert.instance(session, MultiHostSession);
      const both = session as MultiHostSession;
      const artifact = artifactOf(dir, "predict");
      await both.load(artifact);
      const inputs = ["W1", "b1", "W2", "b2", "x"].map((n) => npyTensor(join(dir, `${n}.npy`)));
      const received = () => Promise.all(both.hosts.map((h) => h.session.client.health().then((r) => r.receivedBytes)));
      const before = await received();
      const x = inputs[4]!;
      const split = await both.upload(x, { mesh: artifact.signature.mesh!, shard: [null, "data"] });
      const after = await received();
      assert.equal(after.map((b, k) => b - before[k]!), [x.data.byteLength / 2, x.data.byteLength / 2], "each host received half of x");
      const [probabilities] = await both.execute(artifact.hash, [...inputs.slice(0, 4), split]);
      const host = await both.download(probabilities!, { release: true });
      assert.equal(Buffer.from(host.data), Buffer.from(npyTensor(output(dir, "predict", 0)).data), "the same bytes as the build's output");
    } finally {
      await session.close();
    }

    // Host 1 killed while both run a long program (an all-reduce per iteration): the run fails at
    // once with one error naming it; host 0, whose collective lost its peer, is ended by XLA's
    // coordination service (its heartbeat timeout), so no server is left waiting.
    let killed: Promise<boolean> | undefined;
    const killInsideExecute = async () => {
      // The server counts its running Execute calls; host 1's own client asks it.
      for (let waited = 0; waited < 120_000; waited += 100) {
        if ((await hosts[1]!.client.health()).executing > 0) {
          hosts[1]!.killNow();
          return true;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      hosts[1]!.killNow(); // never seen running: end the spin all the same
      return false;
    };
    const spin = { file: "mlp.jl", function: "spin", args: [array("x", [null, "data"]), { eltype: "Int64", value: 10_000_000 }], run: onPod };
    const broken = await buildPod(["spin"], { spin }, (e) => {
      if (e.event === "run-started" && e.entry === "spin") killed ??= killInsideExecute();
    });
    assert.ok(await killed, "host 1 was killed inside spin's execute");
    assert.is(broken.summary.exitCode, 4);
    assert.ok(broken.summary.entries.spin?.runFailed, "spin failed");
    const spinErrors = broken.errors.filter((e) => e.includes("spin"));
    assert.is(spinErrors.length, 1, broken.errors.join("\n"));
    assert.match(spinErrors[0]!, new RegExp(`execute on host ${addresses[1]!.replace(/[.]/g, "\\.")} \\(process 1 of 2\\) failed`));
    for (let waited = 0; isRunning(hosts[0]!.pid) && waited < 60_000; waited += 250) await new Promise((r) => setTimeout(r, 250));
    assert.not.ok(isRunning(hosts[0]!.pid), "host 0 ended when its peer died");

    // Restarted together at the same addresses (as a pod's supervisor does), they serve the next build.
    await Promise.all(hosts.map((h) => h.close(5_000).catch(() => undefined)));
    hosts = await startPod(tokenFile, addresses);
    rmSync(join(dir, ".tpu-build", "out", "train"), { recursive: true });
    const again = await buildPod(["train"]);
    assert.is(again.summary.exitCode, 0, again.errors.join("\n"));
    assert.ok(differenceFromNumpy(dir, ["train"]) < 2e-5);
  } finally {
    await Promise.all(hosts.map((h) => h.close(30_000).catch(() => undefined)));
  }
  for (const h of hosts) assert.not.ok(isRunning(h.pid), "no runtime server is left running");
});

test("bad meshes and shardings are manifest errors at their place", async () => {
  const dir = workspace({
    uneven: { file: "mlp.jl", function: "predict", args: [...params, array("x", [null, "data"])], run: { target: "local", mesh: { data: 3 } } },
    unknown: { file: "mlp.jl", function: "predict", args: [...params, array("x", [null, "dta"])], run: { target: "local", mesh: { data: 4 } } },
    scalar: { file: "mlp.jl", function: "predict", args: [{ eltype: "Float32", value: 1, shard: [] }], run: { target: "local", mesh: { data: 4 } } },
    rank: { file: "mlp.jl", function: "predict", args: [array("x", ["data"])], run: { target: "local", mesh: { data: 4 } } },
    no_mesh: { file: "mlp.jl", function: "predict", args: [array("x", [null, "data"])], run: true },
    kept_no_mesh: { file: "mlp.jl", function: "predict", args: [], run: { target: "local", resultShards: [[null, "data"]] } },
    kept_unknown: { file: "mlp.jl", function: "predict", args: [], run: { target: "local", mesh: { data: 4 }, resultShards: [null, [null, "dta"]] } },
  });
  writeInputs(dir);
  const r = await loadManifest(join(dir, "tpu.config.json"));
  assert.ok(!r.ok);
  if (r.ok) return;
  const text = readFileSync(join(dir, "tpu.config.json"), "utf8");
  const at = (entry: string) => r.diagnostics.filter((d) => d.pointer.startsWith(`/entries/${entry}/`));
  const one = (entry: string, code: string, pointer: string, message: string) => {
    const found = at(entry);
    assert.is(found.length, 1, `${entry}: ${JSON.stringify(found)}`);
    const d = found[0]!;
    assert.is(d.code, code);
    assert.is(d.pointer, `/entries/${entry}${pointer}`);
    assert.match(d.message, message);
    // The line and column point into the manifest's text at that value.
    assert.ok(d.line >= 1 && d.col >= 1 && text.split("\n")[d.line - 1]!.length >= d.col, `${entry}: ${d.line}:${d.col}`);
    return d;
  };
  one("uneven", "shard-not-divisible", "/args/4/shard/1", `dimension 2 of the argument has length 16, which mesh axis "data" of size 3 does not divide`);
  assert.is(one("unknown", "unknown-mesh-axis", "/args/4/shard/1", `the entry's mesh has no axis "dta"`).suggestion, "data");
  one("scalar", "shard-scalar", "/args/0/shard", "a scalar cannot be split over devices");
  one("rank", "shard-rank", "/args/0/shard", `"shard" names 1 dimension(s), but the argument has size [6, 16] (2)`);
  one("no_mesh", "shard-without-mesh", "/args/0/shard", "the entry has none");
  one("kept_no_mesh", "shard-without-mesh", "/run/resultShards", `"resultShards" keeps results split over the entry's device mesh, but the entry has none`);
  assert.is(one("kept_unknown", "unknown-mesh-axis", "/run/resultShards/1/1", `the entry's mesh has no axis "dta"`).suggestion, "data");
  // The schema refuses a mesh axis of size 0, at the axis.
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries: { empty: { file: "mlp.jl", function: "predict", run: { target: "local", mesh: { data: 0 } } } } }));
  const zero = await loadManifest(join(dir, "tpu.config.json"));
  assert.ok(!zero.ok && zero.diagnostics.some((d) => d.pointer === "/entries/empty/run/mesh/data"), JSON.stringify(zero));
});

test("a host's block of an argument holds exactly its devices' shards, cut from the column-major bytes", () => {
  const mesh = { axes: [{ name: "data", size: 4 }, { name: "model", size: 2 }] };
  const layout = { mesh, shard: ["model", null, "data"] };
  const size = [4, 3, 8];
  // Devices 0..3 (the first host of two) are mesh rows data = 0, 1: the first half of dimension 3, all of dimension 1.
  assert.equal(shardBlock(layout, size, [0, 1, 2, 3]), { start: [0, 0, 0], size: [4, 3, 4] });
  assert.equal(shardBlock(layout, size, [4, 5, 6, 7]), { start: [0, 0, 4], size: [4, 3, 4] });
  // One device: one shard.
  assert.equal(shardBlock(layout, size, [5]), { start: [2, 0, 4], size: [2, 3, 2] });
  const count = size.reduce((n, d) => n * d, 1);
  const values = Float32Array.from({ length: count }, (_, k) => k);
  const tensor: Tensor = { eltype: "Float32", size, data: new Uint8Array(values.buffer) };
  const block = { start: [2, 1, 4], size: [2, 2, 3] };
  const cut = new Float32Array(sliceBlock(tensor, block).data.buffer.slice(0));
  const expected: number[] = [];
  for (let k = 0; k < 3; k++) for (let j = 0; j < 2; j++) for (let i = 0; i < 2; i++) expected.push(2 + i + (1 + j) * 4 + (4 + k) * 12);
  assert.equal([...cut], expected);
});

test("a remote target's hosts are checked: two or more distinct addresses, and not beside an address", () => {
  const token = { env: "T" };
  const problems = (settings: Record<string, unknown>) => checkRemoteSettings({ token, ...settings }).map((p) => `${p.key ?? ""}: ${p.message}`);
  assert.equal(problems({ hosts: ["10.0.0.1:8470", "10.0.0.2:8470"] }), []);
  assert.match(problems({ hosts: ["10.0.0.1:8470"] }).join(), `hosts: "hosts" must list two or more distinct host:port addresses`);
  assert.match(problems({ hosts: ["10.0.0.1:8470", "10.0.0.1:8470"] }).join(), "two or more distinct");
  assert.match(problems({ hosts: ["10.0.0.1", "10.0.0.2:1"] }).join(), "two or more distinct host:port");
  assert.match(problems({ address: "10.0.0.1:8470", hosts: ["10.0.0.1:8470", "10.0.0.2:8470"] }).join(), `give "address" (one runtime server) or "hosts"`);
  assert.match(problems({}).join(), `a remote target needs "address"`);
});

test("with_sharding_constraint checks its mesh axes at the Julia call, is the identity without a mesh, and the mesh keys the cache", () => {
  const x: ArgSpec = { kind: "runtime", type: { kind: "array", eltype: "Float32", size: [IN, BATCH] } };
  const source = "f(x) = with_sharding_constraint(x .* 2f0, (nothing, :batch))\n";
  const compile = (mesh?: { axes: { name: string; size: number }[] }) =>
    juliaCompiler.compile({ entry: "f", file: "f.jl", function: "f", args: [x], readSource: () => source, ...(mesh ? { mesh } : {}) });
  const bad = compile({ axes: [{ name: "data", size: 4 }] });
  assert.ok(!bad.ok);
  if (!bad.ok) {
    const d = bad.diagnostics[0]!;
    assert.is(d.code, "unknown-mesh-axis");
    assert.match(juliaCompiler.render(d, () => source), "f.jl:1:");
    assert.match(d.message, "has no axis :batch (its axes: :data)");
  }
  const plain = compile();
  assert.ok(plain.ok && !plain.text.includes("custom-call") && !plain.text.includes("sharding="), "no mesh: no constraint, no shardings");
  const entry: { name: string; file: string; function: string; args: ArgSpec[] } = { name: "f", file: "f.jl", function: "f", args: [x] };
  const key = (e: typeof entry & { mesh?: { axes: { name: string; size: number }[] }; resultShards?: (string | null)[][] }) =>
    cacheKey({ compiler: { name: "c", version: "1", codeDigest: "d" }, prelude: "p", entry: e, sources: [] });
  const meshes = [undefined, { axes: [{ name: "data", size: 4 }] }, { axes: [{ name: "data", size: 2 }] }];
  const keys = new Set(meshes.map((mesh) => key(mesh ? { ...entry, mesh } : entry)));
  keys.add(key({ ...entry, args: [{ ...x, shard: [null, "data"] } as ArgSpec], mesh: meshes[1] }));
  keys.add(key({ ...entry, mesh: meshes[1], resultShards: [[null, "data"]] }));
  assert.is(keys.size, 5, "the mesh and the arguments' and results' shardings are part of the key");
});

test.run();
