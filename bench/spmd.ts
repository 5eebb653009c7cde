// Benchmark of SPMD entries (reported in BENCHMARKS.md; never asserted in tests): a data-parallel
// MLP training step (bench/spmd_step.jl) compiled by us for meshes of 1, 2, 4 and 8 virtual CPU
// devices, the batch split over them, against JAX's jit of the same step with the same shardings
// on the same PJRT client (bench/spmd_compare.py): per-step time, the ratio, and the collectives
// each partitioned program runs with the bytes they move per device; and the 8-device step on 2
// hosts of 4 (two processes on loopback over JAX's distributed runtime), against JAX's likewise.
// Run with `npm run bench:spmd` (it builds dist/ first).

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { juliaCompiler } from "../dist/plugins/julia/index.js";
import type { ArgSpec } from "../dist/plugins/api.js";
import { writeSection } from "./sections.js";
import { freePort } from "../test/support/ports.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const [IN, HIDDEN, OUT, BATCH] = [256, 512, 16, 2048];
const SIZES = [[HIDDEN, IN], [HIDDEN], [OUT, HIDDEN], [OUT], [IN, BATCH], [OUT, BATCH]];


const work = mkdtempSync(join(tmpdir(), "tpu-build-bench-spmd-"));
try {
  const source = readFileSync(join(ROOT, "bench", "spmd_step.jl"), "utf8");
  const cases = [1, 2, 4, 8].map((n) => {
    const args: ArgSpec[] = SIZES.map((size, k) => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size }, ...(n > 1 && k >= 4 ? { shard: [null, "data"] } : {}) }));
    const r = juliaCompiler.compile({ entry: `step${n}`, file: "spmd_step.jl", function: "train_step", args, readSource: () => source, ...(n > 1 ? { mesh: { axes: [{ name: "data", size: n }] } } : {}) });
    if (!r.ok) throw new Error(`compile failed: ${JSON.stringify(r.diagnostics)}`);
    const module = join(work, `step${n}.hlo.pb`);
    writeFileSync(module, r.module);
    return { devices: n, module, parameters: r.signature.parameters.map((p) => ({ dims: [...p.size].reverse() })) };
  });
  writeFileSync(join(work, "cases.json"), JSON.stringify(cases));
  const python = join(ROOT, "runtime", ".venv", "bin", "python");
  execFileSync(python, [join(ROOT, "bench", "spmd_compare.py"), join(work, "cases.json"), join(work, "result.json")], { stdio: ["ignore", "inherit", "inherit"] });
  type Result = { devices: number; hosts: number; ours_ms: number; jax_ms: number; ours_collectives: [number, number]; jax_collectives: [number, number]; max_relative_difference: number };
  const results = JSON.parse(readFileSync(join(work, "result.json"), "utf8")) as Result[];
  // The 8-device step again on 2 "hosts" of 4 devices: two processes on loopback joined by JAX's
  // distributed runtime (gloo collectives), as two runtime servers started with --coordinator are.
  writeFileSync(join(work, "cases-hosts.json"), JSON.stringify(cases.filter((c) => c.devices === 8)));
  const coordinator = `127.0.0.1:${await freePort()}`;
  await Promise.all(
    [0, 1].map(
      (k) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(python, [join(ROOT, "bench", "spmd_compare.py"), join(work, "cases-hosts.json"), join(work, "result-hosts.json"), coordinator, "2", String(k)], { stdio: ["ignore", "inherit", "inherit"] });
          child.once("error", reject);
          child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bench/spmd_compare.py process ${k} of 2 exited with ${code}`))));
        }),
    ),
  );
  results.push(...(JSON.parse(readFileSync(join(work, "result-hosts.json"), "utf8")) as Result[]));
  const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
  const rows = results.map((r) =>
    `| ${r.hosts > 1 ? `${r.devices} (${r.hosts} hosts × ${r.devices / r.hosts})` : r.devices} | ${r.ours_ms.toFixed(2)} | ${r.jax_ms.toFixed(2)} | ${(r.ours_ms / r.jax_ms).toFixed(2)} | ${r.ours_collectives[0]}, ${kib(r.ours_collectives[1])} | ${r.jax_collectives[0]}, ${kib(r.jax_collectives[1])} | ${r.max_relative_difference.toExponential(1)} |`,
  );
  const section = [
    `A data-parallel training step (bench/spmd_step.jl: a ${IN} → ${HIDDEN} → ${OUT} tanh MLP, squared error, gradient descent) on a batch of ${BATCH} split over a \`data\` mesh of 1, 2, 4 and 8 virtual CPU devices, against JAX's \`jit\` of the same step with the same shardings, on the same PJRT client in one process (bench/spmd_compare.py); and over 8 devices on 2 hosts of 4, two processes on loopback joined by JAX's distributed runtime (gloo collectives over TCP), each running both programs, as two runtime servers started with \`--coordinator\` do. Median of ${process.env.BENCH_ROUNDS ?? 30} interleaved steps each. Collectives: how many the partitioned program runs and the bytes of their results on one device, read from each compiled module. Measured on ${availableParallelism()} cores (load ${loadavg()[0]!.toFixed(1)}); the virtual devices share them, so more devices do not make a step faster here: the figures compare the two programs, not the scaling.`,
    "",
    "| devices | ours (ms) | JAX jit (ms) | ratio | our collectives | JAX's collectives | outputs' largest relative difference |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ];
  console.log(section.join("\n"));
  writeSection("spmd", "`npm run bench:spmd`; edit bench/spmd.ts", section, (report, body) => `${report.trimEnd()}\n\n## SPMD: many devices (\`npm run bench:spmd\`, bench/spmd.ts)\n\n${body}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
