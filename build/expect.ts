// An entry's `expect`: its run's result leaves checked against a reference .npy (numpy.allclose's
// rule), for finiteness and for their size, so a run is a test step. Plain data in, plain data out:
// the engine passes the results and reports what comes back (events, exit code 6).
//
// The comparison is numpy.allclose(actual, expected, rtol, atol) without broadcasting and with
// equal_nan=False: element by element, |actual - expected| <= atol + rtol * |expected|; NaN is never
// close to anything, an infinity only to the same infinity. Indices are Julia's: 1-based subscripts
// of the leaf's column-major array (the first subscript varies fastest), as in `x[i, j]`.

import type { Signature, Tensor } from "../plugins/api.js";
import { tensorValues } from "./inputs.js";
import type { ResolvedExpectation } from "./manifest.js";
import { readNpy } from "./npy.js";

export type ExpectCheck = "npy" | "finite" | "shape" | "leaf";

/** A number for JSON: NaN and the infinities as "NaN", "Inf", "-Inf" (Julia's spelling). */
export type JsonNumber = number | "NaN" | "Inf" | "-Inf";

/** The element that fails a check by the most. */
export interface WorstElement {
  /** Julia subscripts, 1-based, of the column-major array ([] for a 0-dimensional leaf). */
  index: number[];
  actual: JsonNumber;
  /** The reference value (npy checks). */
  expected?: JsonNumber;
  /** atol + rtol * |expected| at that element (npy checks). */
  tolerance?: number;
}

/** One failed check of one expectation. */
export interface ExpectFailure {
  /** The `expect` key as written. */
  leaf: string;
  /** JSON pointer of the expectation in the manifest. */
  pointer: string;
  check: ExpectCheck;
  code: string;
  message: string;
  worst?: WorstElement;
  /** Elements failing the check, of `elements`. */
  failing?: number;
  elements?: number;
}

export interface ExpectOutcome {
  /** Checks made (each of npy, finite, shape of each expectation). */
  checks: number;
  failures: ExpectFailure[];
}

/** Checks every expectation against the run's result leaves (`tensors`, in `signature.results` order). */
export async function checkExpectations(expectations: ResolvedExpectation[], signature: Signature, tensors: Tensor[]): Promise<ExpectOutcome> {
  const outcome: ExpectOutcome = { checks: 0, failures: [] };
  for (const x of expectations) {
    const fail = (check: ExpectCheck, code: string, message: string, extra: Partial<ExpectFailure> = {}) => outcome.failures.push({ leaf: x.leaf, pointer: x.pointer, check, code, message, ...extra });
    const k = leafIndex(x.leaf, signature);
    const t = k === undefined ? undefined : tensors[k];
    if (k === undefined || !t) {
      outcome.checks++;
      const paths = signature.results.map((r, i) => `${r.path} (${i})`);
      fail("leaf", "expect-unknown-leaf", `the result has no leaf ${JSON.stringify(x.leaf)}; its leaves are ${paths.join(", ")}`);
      continue;
    }
    const path = signature.results[k]?.path ?? `result[${k}]`;
    const what = `${path} (${k}.npy)`;
    if (x.shape) {
      outcome.checks++;
      if (!sameSize(x.shape, t.size)) fail("shape", "expect-shape", `${what} has size ${juliaSize(t.size)}, expected ${juliaSize(x.shape)}`);
    }
    const values = x.finite || x.npy ? tensorValues(t).map(Number) : [];
    if (x.finite) {
      outcome.checks++;
      let failing = 0;
      let first = -1;
      values.forEach((v, i) => {
        if (Number.isFinite(v)) return;
        failing++;
        if (first < 0) first = i;
      });
      if (failing)
        fail("finite", "expect-not-finite", `${what} has ${failing} of ${values.length} elements not finite; the first at ${subscripts(first, t.size)} (Julia index, 1-based, column-major) is ${jsonNumber(values[first]!)}`, {
          failing,
          elements: values.length,
          worst: { index: juliaIndex(first, t.size), actual: jsonNumber(values[first]!) },
        });
    }
    if (x.npy) {
      outcome.checks++;
      const read = await readNpy(x.npy.path, t.eltype, x.npy.relative);
      if (!read.ok) {
        fail("npy", "expect-npy-invalid", `cannot read the reference ${x.npy.relative}: ${read.message}`);
        continue;
      }
      const ref = read.value;
      if (!sameSize(ref.size, t.size)) {
        fail("npy", "expect-npy-shape", `${what} has size ${juliaSize(t.size)}, but the reference ${x.npy.relative} has ${juliaSize(ref.size)}`);
        continue;
      }
      const mismatch = allclose(values, tensorValues(ref).map(Number), x.npy.rtol, x.npy.atol);
      if (mismatch) {
        const w = mismatch.worst;
        const tol = `atol + rtol·|expected| = ${x.npy.atol} + ${x.npy.rtol}·|expected|`;
        fail(
          "npy",
          "expect-mismatch",
          `${what} differs from ${x.npy.relative} in ${mismatch.failing} of ${values.length} elements (numpy.allclose: |actual - expected| <= ${tol}); ` +
            `the worst at ${subscripts(w.at, t.size)} (Julia index, 1-based, column-major): actual ${fmt(w.actual)}, expected ${fmt(w.expected)}, |difference| ${fmt(Math.abs(w.actual - w.expected))} > ${fmt(w.tolerance)}`,
          {
            failing: mismatch.failing,
            elements: values.length,
            worst: { index: juliaIndex(w.at, t.size), actual: jsonNumber(w.actual), expected: jsonNumber(w.expected), tolerance: w.tolerance },
          },
        );
      }
    }
  }
  return outcome;
}

/**
 * numpy.allclose's test (equal_nan=False) over two equally long arrays: undefined when every element
 * is close, else how many are not and the worst (the largest excess over its tolerance; a NaN or an
 * unmatched infinity is worse than any finite difference, the first of them counts).
 */
export function allclose(actual: number[], expected: number[], rtol: number, atol: number): { failing: number; worst: { at: number; actual: number; expected: number; tolerance: number } } | undefined {
  let failing = 0;
  let worst: { at: number; actual: number; expected: number; tolerance: number } | undefined;
  let worstExcess = -Infinity;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    const tolerance = atol + rtol * Math.abs(b);
    let excess: number;
    if (Number.isNaN(a) || Number.isNaN(b)) excess = Infinity;
    else if (!Number.isFinite(a) || !Number.isFinite(b)) excess = a === b ? -Infinity : Infinity;
    else excess = Math.abs(a - b) - tolerance;
    if (!(excess > 0)) continue;
    failing++;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = { at: i, actual: a, expected: b, tolerance };
    }
  }
  return worst ? { failing, worst } : undefined;
}

/** The leaf an `expect` key names: its path in result.json ("result.loss") or its index ("0"). */
function leafIndex(key: string, signature: Signature): number | undefined {
  const byPath = signature.results.findIndex((r) => r.path === key);
  if (byPath >= 0) return byPath;
  if (/^(0|[1-9][0-9]*)$/.test(key) && Number(key) < signature.results.length) return Number(key);
  return undefined;
}

/** Julia's 1-based subscripts of the 0-based column-major offset `k`. */
export function juliaIndex(k: number, size: number[]): number[] {
  const index: number[] = [];
  let rest = k;
  for (const d of size) {
    index.push((rest % d) + 1);
    rest = Math.floor(rest / d);
  }
  return index;
}

function subscripts(k: number, size: number[]): string {
  return size.length === 0 ? "[] (a 0-dimensional leaf)" : `[${juliaIndex(k, size).join(", ")}]`;
}

const sameSize = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const juliaSize = (size: number[]) => `(${size.join(", ")}${size.length === 1 ? "," : ""})`;

function jsonNumber(v: number): JsonNumber {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Inf";
  if (v === -Infinity) return "-Inf";
  return v;
}

/** A value for a message: NaN and the infinities as Julia writes them, others with up to 9 significant digits. */
function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(jsonNumber(v));
  return String(Number(v.toPrecision(9)));
}
