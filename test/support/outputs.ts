// Reading a run's outputs and gating tests on what the machine allows, shared by the watch tests.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Test } from "uvu";
import { parseNpyHeader } from "../../build/npy.js";

/** The Float32 values of `<dir>/<out>/<entry>/0.npy` (`out` by default the default output directory), or undefined while it is not (completely) there. */
export function float32Output(dir: string, entry: string, out = join(".tpu-build", "out")): number[] | undefined {
  const path = join(dir, out, entry, "0.npy");
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  const h = parseNpyHeader(bytes);
  if (!h.ok) return undefined;
  const data = bytes.subarray(h.value.dataOffset);
  return [...new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))];
}

/**
 * Registers tests that need something this machine may lack (a pseudo-terminal, user namespaces,
 * root). Where it is missing the test FAILS, saying why, unless TPU_BUILD_TEST_ALLOW_SKIP=1 lets it
 * be skipped (a developer machine without it); CI never sets it, so a skip can never pass as a pass.
 */
export function testWhenAvailable(test: Test, unavailable: string | undefined): (name: string, fn: () => Promise<void> | void) => void {
  return (name, fn) =>
    test(name, async () => {
      if (unavailable) {
        if (process.env.TPU_BUILD_TEST_ALLOW_SKIP === "1") {
          console.log(`  skipped "${name}": ${unavailable} (TPU_BUILD_TEST_ALLOW_SKIP=1)`);
          return;
        }
        throw new Error(`cannot run here: ${unavailable}. Set TPU_BUILD_TEST_ALLOW_SKIP=1 to skip it on a machine that lacks it.`);
      }
      await fn();
    });
}
