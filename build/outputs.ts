// Writing a run's results: `<out>/<entry>/<k>.npy` per result leaf plus `result.json`, replaced
// as a whole so a reader never sees a mix of old and new outputs.

import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Signature, Tensor, TypeTree } from "../plugins/api.js";
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE } from "./cache.js";
import { encodeNpy } from "./npy.js";

export interface RunRecord {
  entry: string;
  function: string;
  /** SHA-256 of the module that ran. */
  hash: string;
  target: string;
  device?: string;
  durationMs: number;
  /** "remote": the results came from the remote cache (a run elsewhere with the same module, settings and inputs). */
  cache?: "remote";
}

export interface ResultJson extends RunRecord {
  /** The result's tree (tuples, NamedTuples) whose leaves are the `.npy` files in order. */
  output: TypeTree;
  outputs: { index: number; file: string; path: string; eltype: string; size: number[] }[];
}

export async function writeRunOutputs(outDir: string, record: RunRecord, signature: Signature, tensors: Tensor[]): Promise<string[]> {
  const dir = join(outDir, record.entry);
  const staging = join(outDir, `.${record.entry}.tmp-${process.pid}-${Date.now()}`);
  await rm(staging, { recursive: true, force: true });
  // Owner-only, like the cache (issue 16.13): the outputs are the user's data.
  await mkdir(staging, { recursive: true, mode: OWNER_ONLY_DIR });
  const files: string[] = [];
  const outputs: ResultJson["outputs"] = [];
  for (const [k, t] of tensors.entries()) {
    const file = `${k}.npy`;
    await writeFile(join(staging, file), encodeNpy(t), { mode: OWNER_ONLY_FILE });
    files.push(join(dir, file));
    outputs.push({ index: k, file, path: signature.results[k]?.path ?? `result[${k}]`, eltype: t.eltype, size: t.size });
  }
  const result: ResultJson = { ...record, output: signature.output, outputs };
  await writeFile(join(staging, "result.json"), JSON.stringify(result, null, 2) + "\n", { mode: OWNER_ONLY_FILE });
  // Swap directories: the old outputs disappear only once the new ones are complete.
  const old = join(outDir, `.${record.entry}.old-${process.pid}-${Date.now()}`);
  await rename(dir, old).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ENOENT") throw e;
  });
  await rename(staging, dir);
  await rm(old, { recursive: true, force: true });
  return files;
}
