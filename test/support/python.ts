// Finds a Python with NumPy and runs snippets in it, so tests can compare with NumPy as an
// independent reference. Looked for in this order: $TPU_BUILD_PYTHON, runtime/.venv/bin/python
// (made by runtime/install.mjs), python3 on PATH; the first that imports numpy wins.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { findPackageRoot } from "../../package-root.js";

/** A reference computation that takes longer than this is a hang (a miscompiled loop fed to NumPy), not a result. */
export const PYTHON_DEADLINE_MS = Number(process.env.TPU_BUILD_TEST_PYTHON_DEADLINE_MS ?? 300_000);

let found: string | null | undefined;

/** The first Python that can import numpy, or null when there is none. */
export function numpyPython(): string | null {
  if (found !== undefined) return found;
  const candidates = [process.env.TPU_BUILD_PYTHON, join(findPackageRoot(), "runtime", ".venv", "bin", "python"), "python3"].filter((c): c is string => !!c);
  found = null;
  for (const c of candidates) {
    if (c.includes("/") && !existsSync(c)) continue;
    const r = spawnSync(c, ["-c", "import numpy"], { stdio: "ignore", timeout: 60_000 });
    if (r.status === 0) {
      found = c;
      break;
    }
  }
  return found;
}

/**
 * Runs `code` with `args` as sys.argv[1:] and returns its stdout. Throws (with stderr) when the
 * snippet fails, or when no Python with numpy exists (with how to make one).
 */
export function runPython(code: string, args: string[] = []): string {
  const python = numpyPython();
  if (!python)
    throw new Error("No Python with numpy: set TPU_BUILD_PYTHON, or create runtime/.venv with `node runtime/install.mjs`");
  try {
    return execFileSync(python, ["-c", code, ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"], timeout: PYTHON_DEADLINE_MS });
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string; signal?: string };
    if (err.code === "ETIMEDOUT" || err.signal === "SIGTERM") throw new Error(`python reference did not finish within ${PYTHON_DEADLINE_MS} ms (killed): ${code.slice(0, 200)}`);
    throw new Error(`python failed: ${err.stderr || err.message}`);
  }
}
