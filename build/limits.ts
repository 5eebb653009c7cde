// Limits on what a manifest can ask for, checked when it is loaded, each with a located error.
// README.md ("Limits and security") lists them; keep the two together.

import { constants as bufferConstants } from "node:buffer";
import { totalmem } from "node:os";

/** Dimensions of an argument's `size` (XLA's and NumPy's limit). */
export const MAX_DIMENSIONS = 64;

/** Elements of any array argument: sizes are computed exactly in doubles. */
export const MAX_ELEMENTS = Number.MAX_SAFE_INTEGER;

/**
 * Bytes of one run-time value (`random`, `fill`, `.npy`), which the build holds in memory: what one
 * buffer can hold, and at most a quarter of this machine's memory (a random value is generated in
 * Float64 first).
 */
export const MAX_VALUE_BYTES = Math.min(bufferConstants.MAX_LENGTH, Math.floor(totalmem() / 4));

/** Nesting of arrays and objects in the manifest's JSON. */
export const MAX_JSON_DEPTH = 128;

/** Errors reported for one manifest; the rest are counted ("and 299,950 more errors"). */
export const MAX_REPORTED_ERRORS = 50;

/** A byte count for a message: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let v = bytes;
  let k = 0;
  while (v >= 1024 && k < units.length - 1) (v /= 1024), k++;
  return k === 0 ? `${v} bytes` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[k]}`;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * A size cap as written in the manifest or TPU_BUILD_CACHE_MAX: a number of bytes, or a number with
 * a unit (KB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB of 1024; any case): "2GB", "512 MiB".
 * Undefined when it is not one.
 */
export function parseByteSize(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isSafeInteger(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] || "b").toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export const SIZE_EXAMPLES = `a number of bytes or a size such as "2GB", "500MB" or "1.5GiB"`;
