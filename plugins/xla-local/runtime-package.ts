// The runtime server outside a build: `tpu-build runtime serve …` runs it as a service from this
// repository's runtime/.venv, and `tpu-build runtime pack --out DIR` writes the wheel a TPU VM or
// GPU host installs instead (runtime/pyproject.toml; its console command `tpu-build-runtime` is
// the same server.py with the same options).

import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { missingRuntime, runtimeLocation, type RuntimeLocation } from "./runtime-location.js";

/** Runs server.py with `args` (those of `tpu-build-runtime serve`), passing signals on; resolves with its exit code. */
export function serveRuntime(args: string[], location: RuntimeLocation = runtimeLocation()): Promise<number> {
  const missing = missingRuntime(location);
  if (missing) return Promise.reject(new Error(missing));
  const child = spawn(location.python, [location.serverScript, "serve", ...args], { stdio: "inherit", env: { ...process.env, PYTHONUNBUFFERED: "1" } });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, forward);
  return new Promise((resolvePromise, reject) => {
    child.once("error", (e) => reject(new Error(`cannot start the runtime server (${location.python}): ${e.message}`)));
    child.once("exit", (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolvePromise(code ?? (signal ? 128 + 15 : 1));
    });
  });
}

/** The files of the wheel: the server's modules and the generated stubs (tests stay out). */
function stage(location: RuntimeLocation, into: string): void {
  const runtime = join(location.root, "runtime");
  for (const name of readdirSync(runtime)) {
    if ((name.endsWith(".py") && !name.startsWith("test_")) || name === "pyproject.toml" || name === "README.md") copyFileSync(join(runtime, name), join(into, name));
  }
  mkdirSync(join(into, "_generated"));
  for (const name of readdirSync(join(runtime, "_generated"))) if (name.endsWith(".py")) copyFileSync(join(runtime, "_generated", name), join(into, "_generated", name));
}

/**
 * Builds the runtime's wheel into `outDir` with runtime/.venv's pip and setuptools (no network);
 * returns its path.
 */
export function packRuntime(outDir: string, location: RuntimeLocation = runtimeLocation()): string {
  const missing = missingRuntime(location);
  if (missing) throw new Error(missing);
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const staging = mkdtempSync(join(tmpdir(), "tpu-build-runtime-pack-"));
  try {
    stage(location, staging);
    const before = new Set(readdirSync(out));
    const r = spawnSync(
      location.python,
      ["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--disable-pip-version-check", "--wheel-dir", out, staging],
      { encoding: "utf8", timeout: 300_000 },
    );
    if (r.status !== 0) throw new Error(`building the runtime's wheel failed:\n${(r.stderr || r.stdout || String(r.error)).trim()}`);
    const wheel = readdirSync(out).find((n) => n.startsWith("tpu_build_runtime-") && n.endsWith(".whl") && !before.has(n)) ?? readdirSync(out).find((n) => n.startsWith("tpu_build_runtime-") && n.endsWith(".whl"));
    if (!wheel) throw new Error(`pip reported success but wrote no tpu_build_runtime wheel into ${out}`);
    return join(out, wheel);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
