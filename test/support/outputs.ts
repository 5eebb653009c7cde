// Reading a run's outputs and gating tests on what the machine allows, shared by the watch tests.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Test } from "uvu";
import { parseNpyHeader } from "../../build/npy.js";

/** The Float32 values of `<dir>/.tpu-build/out/<entry>/0.npy`, or undefined while it is not (completely) there. */
export function float32Output(dir: string, entry: string): number[] | undefined {
  const path = join(dir, ".tpu-build", "out", entry, "0.npy");
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  const h = parseNpyHeader(bytes);
  if (!h.ok) return undefined;
  const data = bytes.subarray(h.value.dataOffset);
  return [...new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))];
}

/** Registers tests that run only when `unavailable` is undefined, and otherwise print why they were skipped. */
export function testWhenAvailable(test: Test, unavailable: string | undefined): (name: string, fn: () => Promise<void> | void) => void {
  return (name, fn) =>
    test(name, async () => {
      if (unavailable) {
        console.log(`  skipped "${name}": ${unavailable}`);
        return;
      }
      await fn();
    });
}
