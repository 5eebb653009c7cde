// Content hashes and the canonical JSON they are taken over.

import { createHash } from "node:crypto";
import { openRegularFile } from "./workspace.js";

/** SHA-256 of bytes or of a string's UTF-8 encoding, as 64 lowercase hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** SHA-256 of data given in parts (a .npy's header and its tensor's bytes), without joining them. */
export function partsSha256Hex(parts: readonly (string | Uint8Array)[]): string {
  return parts.reduce((h, part) => h.update(part), createHash("sha256")).digest("hex");
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
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace, so equal values always
 * give equal text. Rejects what JSON cannot say exactly (undefined, functions, NaN, ±Infinity,
 * bigint) rather than silently dropping or changing it.
 */
export function canonicalJson(value: unknown): string {
  // The path to the current value, for error messages only (kept as a stack, joined on error: a
  // string per node made cache keys of large models allocation-bound).
  const path: (string | number)[] = [];
  const where = () => (path.length ? `/${path.join("/")}` : "/");
  const walk = (v: unknown): string => {
    if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${v} at ${where()} has no JSON form`);
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) {
      let out = "[";
      for (let k = 0; k < v.length; k++) {
        path.push(k);
        out += (k ? "," : "") + walk(v[k]);
        path.pop();
      }
      return `${out}]`;
    }
    if (typeof v === "object") {
      const keys = Object.keys(v as object).sort();
      let out = "{";
      let first = true;
      for (const k of keys) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue; // an absent optional field, as JSON.stringify treats it
        path.push(k);
        out += `${first ? "" : ","}${JSON.stringify(k)}:${walk(x)}`;
        path.pop();
        first = false;
      }
      return `${out}}`;
    }
    throw new TypeError(`canonicalJson: a ${typeof v} at ${where()} has no JSON form`);
  };
  return walk(value);
}
