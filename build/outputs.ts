// Writing a run's results: `<out>/<entry>/<k>.npy` per result leaf plus `result.json`, replaced
// as a whole so a reader never sees a mix of old and new outputs.
//
// The files are a function of the run alone: `result.json` holds no timings and no absolute paths
// (timings go to the events and the run summary, build/records.ts), so the same module and inputs
// give byte-identical outputs. Outputs already on disk with exactly the new bytes are left alone:
// their mtimes stay, so Make and other mtime-driven tools downstream see nothing new.

import { createHash } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ElementType, Signature, Tensor, TypeTree } from "../plugins/api.js";
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE } from "./cache.js";
import { fileStamp, type FileMemo } from "./file-stamps.js";
import { partsSha256Hex } from "./hash.js";
import { npyParts, readNpy } from "./npy.js";
import { openRegularFile } from "./workspace.js";

export interface RunRecord {
  entry: string;
  function: string;
  /** SHA-256 of the module that ran. */
  hash: string;
  target: string;
}

export interface ResultJson extends RunRecord {
  /** The result's tree (tuples, NamedTuples) whose leaves are the `.npy` files in order. */
  output: TypeTree;
  outputs: { index: number; file: string; path: string; eltype: string; size: number[] }[];
}

export const RESULT_JSON = "result.json";

/** The files a run of an entry with this signature writes in its directory: one `.npy` per result leaf, then result.json. */
export function outputFileNames(signature: Signature): string[] {
  return [...signature.results.map((_, k) => `${k}.npy`), RESULT_JSON];
}

export interface WrittenOutputs {
  /** Absolute paths of the `.npy` files, one per result leaf. */
  files: string[];
  /** SHA-256 of every file written, by its name in the entry's directory (result.json included). */
  digests: Record<string, string>;
  /** False when the directory already held exactly these bytes and was left as it was. */
  rewritten: boolean;
}

export async function writeRunOutputs(outDir: string, record: RunRecord, signature: Signature, tensors: Tensor[]): Promise<WrittenOutputs> {
  const dir = join(outDir, record.entry);
  // A file's contents as parts written one after another: an .npy's header and its tensor's own
  // bytes, never copied into one array (a 1 GiB result would cost 2 GiB).
  const contents = new Map<string, (Uint8Array | string)[]>();
  const outputs: ResultJson["outputs"] = [];
  for (const [k, t] of tensors.entries()) {
    const file = `${k}.npy`;
    contents.set(file, npyParts(t));
    outputs.push({ index: k, file, path: signature.results[k]?.path ?? `result[${k}]`, eltype: t.eltype, size: t.size });
  }
  const result: ResultJson = { ...record, output: signature.output, outputs };
  contents.set(RESULT_JSON, [JSON.stringify(result, null, 2) + "\n"]);
  const digests = Object.fromEntries([...contents].map(([name, parts]) => [name, partsSha256Hex(parts)]));
  const files = [...contents.keys()].filter((f) => f !== RESULT_JSON).map((f) => join(dir, f));
  if (await outputsStand(dir, digests)) return { files, digests, rewritten: false };
  const staging = join(outDir, `.${record.entry}.tmp-${process.pid}-${Date.now()}`);
  await rm(staging, { recursive: true, force: true });
  // Owner-only, like the cache (issue 16.13): the outputs are the user's data.
  await mkdir(staging, { recursive: true, mode: OWNER_ONLY_DIR });
  for (const [name, data] of contents) await writeFile(join(staging, name), data, { mode: OWNER_ONLY_FILE });
  // Swap directories: the old outputs disappear only once the new ones are complete.
  const old = join(outDir, `.${record.entry}.old-${process.pid}-${Date.now()}`);
  await rename(dir, old).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ENOENT") throw e;
  });
  await rename(staging, dir);
  await rm(old, { recursive: true, force: true });
  return { files, digests, rewritten: true };
}

/** Bytes per read when hashing a file: a file of any size is hashed without holding it. */
const HASH_SLICE_BYTES = 8 << 20;

/** SHA-256 of a regular file, read in slices; undefined when it is missing, not a regular file or unreadable. */
export async function fileSha256Hex(path: string): Promise<string | undefined> {
  const opened = await openRegularFile(path);
  if (!opened.ok) return undefined;
  const { handle } = opened;
  try {
    const hash = createHash("sha256");
    const slice = new Uint8Array(HASH_SLICE_BYTES);
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(slice, 0, slice.length, position);
      if (bytesRead === 0) return hash.digest("hex");
      hash.update(slice.subarray(0, bytesRead));
      position += bytesRead;
    }
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Whether every file of an entry's output directory still has the recorded SHA-256 (by name): a
 * missing, changed or unreadable file means the outputs no longer stand. Each file is hashed in
 * slices, never held whole. With `known` (a warm engine's), a file whose stamp is the one its digest
 * was remembered with is not read again (build/file-stamps.ts).
 */
export async function outputsStand(dir: string, digests: Record<string, string>, known?: FileMemo<string>): Promise<boolean> {
  for (const [name, sha256] of Object.entries(digests)) {
    const path = join(dir, name);
    // Taken before the file is read: a change in between leaves a stamp the next build does not know.
    const stamp = known && fileStamp(path);
    if (stamp !== undefined && known!.get(path, stamp) === sha256) continue;
    if ((await fileSha256Hex(path)) !== sha256) return false;
    known?.set(path, stamp, sha256);
  }
  return true;
}

/**
 * A result's .npy file read back as a tensor (read once, straight into the tensor), when the file
 * is exactly what was written with SHA-256 `sha256`: its header and data encode back to those
 * bytes and nothing follows them. Else undefined.
 */
export async function readOutputTensor(path: string, eltype: ElementType | undefined, sha256: string): Promise<Tensor | undefined> {
  const read = await readNpy(path, eltype).catch(() => undefined);
  if (!read?.ok) return undefined;
  const parts = npyParts(read.value);
  const size = await stat(path).then((s) => s.size, () => -1);
  return size === parts[0].length + parts[1].length && partsSha256Hex(parts) === sha256 ? read.value : undefined;
}
