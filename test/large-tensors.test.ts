// Large tensors through the real CLI and runtime server (issue 16.12): an input over 2 GiB (Node's
// readFile and Hash.update limit) runs, and the CLI holds a large tensor about once: its peak
// resident memory (VmHWM, sampled from /proc while it runs) stays under 1.5x the largest tensor
// above the peak of a build of the same workspace on a small input. Inputs are written and results
// checked with NumPy a column at a time (outputs through memmaps), so the test never holds them
// whole. The workspace is on /dev/shm where there is one: gigabytes of page cache written to a
// loaded VM's disk take longer than the whole build.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN } from "./support/cli.js";
import { peakResidentBytes } from "./support/processes.js";
import { runPython } from "./support/python.js";

const ROWS = 1 << 20;
/** 513 columns of 2^20 Float32: 2,151,677,952 bytes, just over 2 GiB. */
const LARGE_COLUMNS = 513;
/** 128 columns: 512 MiB in and 512 MiB out. */
const DOUBLED_COLUMNS = 128;
const MiB = 2 ** 20;

let dir = "";
/** The CLI's peak building only `small` (its runtime server, a compile, a tiny run). */
let baseline = 0;
test.before(async () => {
  dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "tpu-large-"));
  writeFileSync(join(dir, "big.jl"), "colsums(x) = sum(x; dims=1)\ndouble(x) = x .* 2f0\n");
  manifest("small", "double", "", 0);
  const small = await buildSampled("small");
  assert.is(small.code, 0, small.stderr);
  baseline = small.peak;
});
test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A manifest with the entry `name` (the function `fn` on the .npy `file` of (ROWS, columns)) and `small`, the same on a (16, 4) fill. */
function manifest(name: string, fn: string, file: string, columns: number): void {
  const entry = (f: string, args: unknown[]) => ({ file: "big.jl", function: f, args, run: true });
  const entries = { small: entry("double", [{ eltype: "Float32", size: [16, 4], value: { fill: 1 } }]), ...(file ? { [name]: entry(fn, [{ eltype: "Float32", size: [ROWS, columns], value: { npy: file } }]) } : {}) };
  writeFileSync(join(dir, "tpu.config.json"), JSON.stringify({ entries }));
}

/**
 * Writes a Fortran-order Float32 .npy of (ROWS, columns), column by column. Column
 * j holds ((i + j) mod 7) - 3, plus j at row 0: every partial sum in any order is a small integer,
 * so a Float32 sum on the device is exact, and each column's sum (j, plus what the pattern leaves)
 * tells whether that column arrived.
 */
function writeInput(file: string, columns: number): void {
  runPython(
    `import sys, numpy as np
${PATTERN}
with open(sys.argv[1], "wb") as f:
    np.lib.format.write_array_header_2_0(f, {"descr": "<f4", "fortran_order": True, "shape": (${ROWS}, ${columns})})
    for j in range(${columns}):
        c = column(j).copy()
        c[0] += j
        f.write(c.data)`,
    [join(dir, file)],
  );
}

/** Python: column(j) is ((i + j) mod 7) - 3 for rows i (a view into one repeating pattern). */
const PATTERN = `pattern = np.tile(np.arange(7, dtype=np.float32) - 3, ${ROWS} // 7 + 2)
def column(j):
    return pattern[j % 7 : j % 7 + ${ROWS}]`;

/** Runs `tpu-build build ENTRY --force` and samples the CLI's peak resident memory until it exits. */
async function buildSampled(entry: string): Promise<{ code: number | null; stderr: string; peak: number }> {
  const child = spawn(process.execPath, [BIN, "build", entry, "--force"], { cwd: dir, env: { ...process.env, CI: "true" }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  let exited = false;
  const code = new Promise<number | null>((resolve) => child.on("exit", (c) => ((exited = true), resolve(c))));
  const deadline = setTimeout(() => child.kill("SIGKILL"), 300_000);
  let peak = 0;
  while (!exited) {
    peak = Math.max(peak, peakResidentBytes(child.pid!) ?? 0);
    await new Promise((r) => setTimeout(r, 20));
  }
  clearTimeout(deadline);
  return { code: await code, stderr, peak };
}

test("an input over 2 GiB runs (sum over dims=1 equals NumPy's), and the CLI's peak stays under 1.5x it above a small build's", async () => {
  manifest("colsums", "colsums", "large.npy", LARGE_COLUMNS);
  writeInput("large.npy", LARGE_COLUMNS);
  const run = await buildSampled("colsums");
  rmSync(join(dir, "large.npy"));
  assert.is(run.code, 0, run.stderr);
  const check = JSON.parse(
    runPython(
      `import sys, json, numpy as np
got = np.load(sys.argv[1])
${PATTERN}
want = [float(column(j).sum(dtype=np.float64) + j) for j in range(${LARGE_COLUMNS})]
print(json.dumps({"shape": list(got.shape), "dtype": str(got.dtype), "got": got.astype(np.float64).ravel().tolist(), "want": want}))`,
      [join(dir, ".tpu-build", "out", "colsums", "0.npy")],
    ),
  ) as { shape: number[]; dtype: string; got: number[]; want: number[] };
  assert.equal(check.shape, [1, LARGE_COLUMNS]);
  assert.is(check.dtype, "float32");
  assert.equal(check.got, check.want);
  const input = ROWS * LARGE_COLUMNS * 4;
  assert.ok(input > 2 ** 31);
  const above = run.peak - baseline;
  assert.ok(above < 1.5 * input, `the CLI peaked ${(above / MiB).toFixed(0)} MiB above a small build's ${(baseline / MiB).toFixed(0)} MiB, for a ${(input / MiB).toFixed(0)} MiB input`);
});

test("x .* 2f0 on 512 MiB: the input's bytes go once resident, so the CLI's peak stays under 1.5x one tensor above a small build's; every element equals NumPy's", async () => {
  manifest("double", "double", "doubled.npy", DOUBLED_COLUMNS);
  writeInput("doubled.npy", DOUBLED_COLUMNS);
  const run = await buildSampled("double");
  assert.is(run.code, 0, run.stderr);
  const same = runPython(
    `import sys, numpy as np
x = np.load(sys.argv[1], mmap_mode="r")
y = np.load(sys.argv[2], mmap_mode="r")
ok = y.shape == x.shape and y.dtype == np.float32 and np.isfortran(y) and all(np.array_equal(y[:, j], x[:, j] * np.float32(2)) for j in range(x.shape[1]))
print("equal" if ok else "differ")`,
    [join(dir, "doubled.npy"), join(dir, ".tpu-build", "out", "double", "0.npy")],
  ).trim();
  assert.is(same, "equal");
  const tensor = ROWS * DOUBLED_COLUMNS * 4;
  const above = run.peak - baseline;
  assert.ok(above < 1.5 * tensor, `the CLI peaked ${(above / MiB).toFixed(0)} MiB above a small build's ${(baseline / MiB).toFixed(0)} MiB, for ${(tensor / MiB).toFixed(0)} MiB in and out`);
});

test.run();
