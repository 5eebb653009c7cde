// Content hashes and the canonical JSON they are taken over.

import { createHash } from "node:crypto";

/** SHA-256 of bytes or of a string's UTF-8 encoding, as 64 lowercase hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace, so equal values always
 * give equal text. Rejects what JSON cannot say exactly (undefined, functions, NaN, ±Infinity,
 * bigint) rather than silently dropping or changing it.
 */
export function canonicalJson(value: unknown): string {
  const walk = (v: unknown, path: string): string => {
    if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${v} at ${path || "/"} has no JSON form`);
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return `[${v.map((x, k) => walk(x, `${path}/${k}`)).join(",")}]`;
    if (typeof v === "object") {
      const keys = Object.keys(v as object).sort();
      const members: string[] = [];
      for (const k of keys) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue; // an absent optional field, as JSON.stringify treats it
        members.push(`${JSON.stringify(k)}:${walk(x, `${path}/${k}`)}`);
      }
      return `{${members.join(",")}}`;
    }
    throw new TypeError(`canonicalJson: a ${typeof v} at ${path || "/"} has no JSON form`);
  };
  return walk(value, "");
}
