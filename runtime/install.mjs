#!/usr/bin/env node
// Sets up the runtime server's Python environment (package.json's postinstall):
//   1. finds a Python >= 3.10 (TPU_BUILD_PYTHON, else python3.13 ... python3, python on PATH),
//   2. creates the virtualenv runtime/.venv and pip installs runtime/requirements.txt into it,
//   3. generates the gRPC stubs for proto/runtime.proto into runtime/_generated/,
//   4. writes a stamp (a hash of the requirements, the proto, this script and the interpreter), so
//      that the next install with nothing changed returns at once.
// TPU_BUILD_SKIP_RUNTIME_INSTALL=1 skips all of it (a machine that only compiles, never runs).
// Every failure ends with one message that says what is needed and how to fix it, and exit code 1.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const MIN_PYTHON = [3, 10];
const runtimeDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(runtimeDir);
const venv = join(runtimeDir, ".venv");
const venvPython = join(venv, "bin", "python");
const generated = join(runtimeDir, "_generated");
const stampPath = join(venv, "tpu-build-stamp.json");
const requirements = join(runtimeDir, "requirements.txt");
const proto = join(root, "proto", "runtime.proto");

class InstallError extends Error {}

function fail(message) {
  throw new InstallError(message);
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: "utf8", ...options });
}

/** The interpreter's version as [major, minor], or undefined when it does not run. */
function pythonVersion(command) {
  const r = run(command, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]);
  if (r.error || r.status !== 0) return undefined;
  const m = /^(\d+)\.(\d+)/.exec(r.stdout.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function recentEnough(v) {
  return v[0] > MIN_PYTHON[0] || (v[0] === MIN_PYTHON[0] && v[1] >= MIN_PYTHON[1]);
}

const howToFix =
  `The tpu-build runtime server needs Python ${MIN_PYTHON.join(".")} or newer with the venv module.\n` +
  `Install one (e.g. \`apt-get install python3 python3-venv\`, or from python.org), or point\n` +
  `TPU_BUILD_PYTHON at an interpreter (TPU_BUILD_PYTHON=/usr/bin/python3.11 npm install), then run\n` +
  `\`npm install\` (or \`node runtime/install.mjs\`) again. To skip the runtime (compile only), set\n` +
  `TPU_BUILD_SKIP_RUNTIME_INSTALL=1.`;

function findPython() {
  const chosen = process.env.TPU_BUILD_PYTHON;
  if (chosen) {
    const v = pythonVersion(chosen);
    if (!v) fail(`TPU_BUILD_PYTHON=${chosen} does not run as a Python interpreter.\n${howToFix}`);
    if (!recentEnough(v)) fail(`TPU_BUILD_PYTHON=${chosen} is Python ${v.join(".")}.\n${howToFix}`);
    return { command: chosen, version: v };
  }
  const seen = [];
  for (const command of ["python3.13", "python3.12", "python3.11", "python3.10", "python3", "python"]) {
    const v = pythonVersion(command);
    if (!v) continue;
    seen.push(`${command} (${v.join(".")})`);
    if (recentEnough(v)) return { command, version: v };
  }
  fail(`No usable Python found on PATH${seen.length ? ` (found only ${seen.join(", ")})` : ""}.\n${howToFix}`);
}

function stampOf(python) {
  const h = createHash("sha256");
  for (const file of [requirements, proto, fileURLToPath(import.meta.url)]) h.update(readFileSync(file));
  h.update(python.version.join("."));
  return h.digest("hex");
}

function upToDate(stamp) {
  if (!existsSync(venvPython) || !existsSync(join(generated, "runtime_pb2.py")) || !existsSync(join(generated, "runtime_pb2_grpc.py"))) return false;
  try {
    return JSON.parse(readFileSync(stampPath, "utf8")).stamp === stamp;
  } catch {
    return false;
  }
}

function createVenv(python) {
  const existing = existsSync(venvPython) ? pythonVersion(venvPython) : undefined;
  if (existing && existing.join(".") === python.version.join(".")) return;
  rmSync(venv, { recursive: true, force: true });
  const r = run(python.command, ["-m", "venv", venv]);
  if (r.error || r.status !== 0) {
    rmSync(venv, { recursive: true, force: true });
    fail(`\`${python.command} -m venv\` failed:\n${(r.stderr || String(r.error)).trim()}\n${howToFix}`);
  }
}

function pipInstall() {
  const r = run(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", requirements], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.error || r.status !== 0) {
    fail(
      `pip could not install runtime/requirements.txt into runtime/.venv (see pip's output above).\n` +
        `The runtime needs jax/jaxlib 0.10.2 wheels for this platform (Linux or macOS, x86_64 or arm64, Python 3.10-3.13)\n` +
        `and access to PyPI. Fix the cause, then run \`npm install\` (or \`node runtime/install.mjs\`) again.`,
    );
  }
}

function generateStubs() {
  const tmp = `${generated}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = run(venvPython, ["-m", "grpc_tools.protoc", `-I${dirname(proto)}`, `--python_out=${tmp}`, `--grpc_python_out=${tmp}`, proto]);
  if (r.error || r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    fail(`generating the gRPC stubs from proto/runtime.proto failed:\n${(r.stderr || String(r.error)).trim()}`);
  }
  writeFileSync(join(tmp, "README"), "Generated by runtime/install.mjs from proto/runtime.proto; do not edit.\n");
  rmSync(generated, { recursive: true, force: true });
  renameSync(tmp, generated);
}

function main() {
  if (process.env.TPU_BUILD_SKIP_RUNTIME_INSTALL === "1") {
    console.log("tpu-build: TPU_BUILD_SKIP_RUNTIME_INSTALL=1, skipping the runtime's Python environment.");
    return;
  }
  const python = findPython();
  const stamp = stampOf(python);
  if (upToDate(stamp)) {
    console.log("tpu-build: runtime/.venv is up to date.");
    return;
  }
  const start = Date.now();
  console.log(`tpu-build: setting up runtime/.venv with ${python.command} (Python ${python.version.join(".")}) ...`);
  createVenv(python);
  pipInstall();
  generateStubs();
  writeFileSync(stampPath, JSON.stringify({ stamp, python: python.command, version: python.version.join("."), installedAt: new Date().toISOString() }, null, 2) + "\n");
  console.log(`tpu-build: runtime/.venv ready in ${((Date.now() - start) / 1000).toFixed(1)} s.`);
}

try {
  main();
} catch (e) {
  if (e instanceof InstallError) {
    console.error(`\ntpu-build runtime install: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
