// Content hashes and the canonical JSON they are taken over.

import { createHash, type Hash } from "node:crypto";

/** Bytes per Hash.update call: Node refuses one over 2 GiB ("data is too long"), a tensor may be larger. */
const UPDATE_SLICE_BYTES = 1 << 30;

/** `hash` updated with `data` of any size (in slices of 1 GiB, views, no copies). */
export function updateHash(hash: Hash, data: string | Uint8Array): Hash {
  if (typeof data === "string") return hash.update(data);
  for (let offset = 0; offset < data.byteLength; offset += UPDATE_SLICE_BYTES) hash.update(data.subarray(offset, offset + UPDATE_SLICE_BYTES));
  return hash;
}

/** SHA-256 of bytes or of a string's UTF-8 encoding, as 64 lowercase hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  return updateHash(createHash("sha256"), data).digest("hex");
}

/** SHA-256 of data given in parts (a .npy's header and its tensor's bytes), without joining them. */
export function partsSha256Hex(parts: readonly (string | Uint8Array)[]): string {
  return parts.reduce((h, part) => updateHash(h, part), createHash("sha256")).digest("hex");
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
