// Runs a Python snippet in the runtime's jax environment and returns what it emits, so tests can
// compare our output with XLA and NumPy. Python is found in this order: $TPU_BUILD_PYTHON, then
// runtime/.venv/bin/python under the repository root (made by runtime/install.mjs).
//
// Protocol: the snippet sees `INPUT` (the JSON value passed in, read from a temporary file) and calls
// `emit(value)` once with a JSON-serializable result. `JAX_PRELUDE` adds helpers that load HLO
// (proto bytes or text) into jaxlib 0.10.2 and execute it on CPU.

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PYTHON_DEADLINE_MS } from "./python.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("test/support/jax.ts: no package.json above this file");
    dir = parent;
  }
  return dir;
}

/** The Python interpreter of the jax environment; throws with instructions when there is none. */
export function jaxPython(): string {
  const fromEnv = process.env.TPU_BUILD_PYTHON;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TPU_BUILD_PYTHON=${fromEnv} does not exist`);
    return fromEnv;
  }
  const venv = join(repoRoot(), "runtime", ".venv", "bin", "python");
  if (existsSync(venv)) return venv;
  throw new Error(
    `No Python with jax found: ${venv} does not exist and TPU_BUILD_PYTHON is not set.\n` +
      `Create the runtime environment with \`node runtime/install.mjs\`, or point TPU_BUILD_PYTHON at a Python with jax==0.10.2, jaxlib==0.10.2 and numpy.`,
  );
}

const PROTOCOL_PRELUDE = `
import json as _json, sys as _sys
with open(_sys.argv[1]) as _f:
    INPUT = _json.load(_f)
_emitted = []
def emit(value):
    if _emitted:
        raise RuntimeError("emit() called twice")
    _emitted.append(True)
    with open(_sys.argv[2], "w") as _f:
        _json.dump(value, _f)
`;

/**
 * Python helpers for loading and running HLO on the CPU backend (the route of
 * shared/reference/xla-proto-facts.md, jax 0.10.2):
 * - run_hlo_proto(proto_bytes, arrays) / run_hlo_text(text, arrays): execute, return NumPy outputs
 *   (a tuple root comes back as one output per element);
 * - hlo_text_to_proto(text): XLA's HLO text parser, to HloModuleProto bytes;
 * - proto_to_text(proto_bytes): XLA's own printing of a module;
 * - b64(s): base64 to bytes; array(spec): {"dtype", "shape", "data"} (flat, row-major) to NumPy.
 */
export const JAX_PRELUDE = `
import base64, os
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np
import jax
jax.config.update("jax_enable_x64", True)  # else device_put narrows 64-bit inputs to 32 bits
from jax._src.lib import xla_client as xc
from jax._src import xla_bridge

_backend = xla_bridge.get_backend("cpu")

def b64(s):
    return base64.b64decode(s)

def array(spec):
    return np.asarray(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])

def run_hlo_proto(proto_bytes, arrays):
    comp = xc.XlaComputation(proto_bytes)
    mlir = xc._xla.mlir.xla_computation_to_mlir_module(comp)
    devices = xc.DeviceList(tuple(_backend.local_devices()[:1]))
    exe = _backend.compile_and_load(mlir, devices, xc.CompileOptions())
    outs = exe.execute([jax.device_put(a) for a in arrays])
    return [np.asarray(o) for o in outs]

def hlo_text_to_proto(text):
    return xc.hlo.hlo_module_from_text(text).as_serialized_hlo_module_proto()

def run_hlo_text(text, arrays):
    return run_hlo_proto(hlo_text_to_proto(text), arrays)

def proto_to_text(proto_bytes):
    return xc.XlaComputation(proto_bytes).get_hlo_module().to_string()
`;

/** Runs `script` (after the prelude(s)) with `input` as INPUT and returns the value it emit()s. */
export async function runPython<T = unknown>(script: string, input: unknown = null, options: { prelude?: string } = {}): Promise<T> {
  const python = jaxPython();
  const dir = mkdtempSync(join(tmpdir(), "tpu-build-py-"));
  try {
    const scriptPath = join(dir, "script.py");
    const inputPath = join(dir, "input.json");
    const outputPath = join(dir, "output.json");
    writeFileSync(scriptPath, `${PROTOCOL_PRELUDE}\n${options.prelude ?? JAX_PRELUDE}\n${script}\n`);
    writeFileSync(inputPath, JSON.stringify(input));
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const options = { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" }, timeout: PYTHON_DEADLINE_MS, killSignal: "SIGKILL" as const };
      execFile(python, [scriptPath, inputPath, outputPath], options, (error, out, err) => {
        if (error?.killed) err = `killed: the snippet did not finish within ${PYTHON_DEADLINE_MS} ms (TPU_BUILD_TEST_PYTHON_DEADLINE_MS)\n${err}\n--- script ---\n${script.slice(0, 300)}`;
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout: out, stderr: err });
      });
    });
    if (code !== 0) throw new Error(`Python exited with ${code}\n--- stderr ---\n${stderr}\n--- stdout ---\n${stdout}`);
    if (!existsSync(outputPath)) throw new Error(`The Python snippet never called emit()\n--- stderr ---\n${stderr}`);
    return JSON.parse(readFileSync(outputPath, "utf8")) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Base64 of bytes, for passing proto bytes through INPUT. */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
