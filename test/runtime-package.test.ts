// The runtime as a package: `tpu-build runtime pack` writes a wheel that installs into a fresh
// virtualenv and serves from there (its `tpu-build-runtime` command, without the repository);
// its pins are the local runtime's; `tpu-build runtime serve` is the same server.
// Run: npx uvu -r tsx/cjs test runtime-package

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { RuntimeClient, runtimeLocation } from "../plugins/xla-local/index.js";

const location = runtimeLocation();
/** The compiled CLI (`npm run build`; npm test builds first), as a user runs it. */
const tpuBuild = (...args: string[]) => spawnSync(process.execPath, [join(location.root, "bin", "tpu-build.js"), ...args], { cwd: location.root, encoding: "utf8", timeout: 300_000 });
// Made when the tests start, not when the file loads (uvu loads every file first).
let work = "";

test.before(() => {
  work = mkdtempSync(join(tmpdir(), "tpu-build-runtime-package-test-"));
});

test.after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** name -> pinned version, from requirement lines such as `jax==0.10.2` (quoted or not). */
function pins(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^\s*"?([A-Za-z0-9_.-]+)==([0-9][^",\s]*)"?/gm)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
}

test("the package's pins are the local runtime's, and its extras pin the same jax", () => {
  const requirements = pins(readFileSync(join(location.root, "runtime", "requirements.txt"), "utf8"));
  const pyproject = readFileSync(join(location.root, "runtime", "pyproject.toml"), "utf8");
  const dependencies = pins(/^dependencies = \[([\s\S]*?)^\]/m.exec(pyproject)![1]!);
  assert.equal([...dependencies.keys()].sort(), ["grpcio", "jax", "jaxlib", "numpy", "protobuf"]);
  for (const [name, version] of dependencies) assert.is(version, requirements.get(name), `${name} in pyproject.toml and requirements.txt`);
  for (const extra of ["tpu", "cuda12"]) assert.match(pyproject, new RegExp(`^${extra} = \\["jax\\[${extra}\\]==${requirements.get("jax")!.replace(/\./g, "\\.")}"\\]`, "m"));
  const server = readFileSync(location.serverScript, "utf8");
  assert.is(/^version = "(.*)"/m.exec(pyproject)![1], /^SERVER_VERSION = "(.*)"/m.exec(server)![1], "the package's version is the server's");
});

test("runtime pack writes a wheel that installs into a fresh virtualenv and serves from there", async () => {
  const out = join(work, "wheels");
  const packed = tpuBuild("runtime", "pack", "--out", out);
  assert.is(packed.status, 0, packed.stderr);
  const wheel = readdirSync(out).find((n) => /^tpu_build_runtime-0\.7\.0-py3-none-any\.whl$/.test(n));
  assert.ok(wheel, `no wheel in ${readdirSync(out).join(", ")}`);

  // A fresh virtualenv that reuses runtime/.venv's site-packages for the dependencies (no network).
  const venv = join(work, "venv");
  const made = spawnSync(location.python, ["-m", "venv", "--without-pip", venv], { encoding: "utf8", timeout: 120_000 });
  assert.is(made.status, 0, made.stderr);
  const sitePackages = (python: string) => spawnSync(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: "utf8", timeout: 120_000 }).stdout.trim();
  writeFileSync(join(sitePackages(join(venv, "bin", "python")), "runtime-venv.pth"), `${sitePackages(location.python)}\n`);
  const installed = spawnSync(location.python, ["-m", "pip", "--python", join(venv, "bin", "python"), "install", "--no-deps", "--no-index", "--disable-pip-version-check", join(out, wheel!)], { encoding: "utf8", timeout: 120_000 });
  assert.is(installed.status, 0, installed.stderr);

  const command = join(venv, "bin", "tpu-build-runtime");
  const help = spawnSync(command, ["--help"], { encoding: "utf8", cwd: work, timeout: 120_000 });
  assert.is(help.status, 0, help.stderr);
  assert.match(help.stdout, /usage: tpu-build-runtime/);
  assert.match(help.stdout, /--tls-cert F/);

  // It serves, from the installed package (cwd outside the repository), and answers our client.
  const tokenFile = join(work, "token");
  const token = "a-token-for-the-packaged-server";
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const server = spawn(command, ["serve", "--listen", "127.0.0.1:0", "--token-file", tokenFile, "--cpu-devices", "3"], { cwd: work, stdio: ["ignore", "pipe", "pipe"], timeout: 600_000, killSignal: "SIGKILL" });
  let stderr = "";
  server.stderr!.on("data", (d) => (stderr += d));
  try {
    const ready = await new Promise<{ address: string; pid: number }>((resolve, reject) => {
      createInterface({ input: server.stdout! }).on("line", (line) => resolve(JSON.parse(line)));
      server.once("exit", (c) => reject(new Error(`the packaged server exited (${c}):\n${stderr}`)));
    });
    const pythonOfServer = readFileSync(`/proc/${ready.pid}/cmdline`, "utf8").split("\0");
    assert.ok(pythonOfServer.some((a) => a.startsWith(venv)), `the server runs from the new virtualenv: ${pythonOfServer.join(" ")}`);
    const client = new RuntimeClient(ready.address, { token, callTimeoutMs: 10_000 });
    try {
      const info = await client.deviceInfo();
      assert.is(info.devices.length, 3);
      assert.is(info.serverVersion, "0.7.0");
    } finally {
      client.close();
    }
  } finally {
    server.kill("SIGTERM");
  }
});

test("runtime serve runs the same server: it refuses plaintext off loopback and says why", () => {
  const r = tpuBuild("runtime", "serve", "--listen", "0.0.0.0:0");
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0:0 without TLS/);
  const help = tpuBuild("runtime", "serve", "--help");
  assert.is(help.status, 0);
  assert.match(help.stdout, /--max-session-bytes N/);
  const noOut = tpuBuild("runtime", "pack");
  assert.is(noOut.status, 1, "pack without --out is a usage error");
  assert.match(noOut.stderr, /--out DIR is required/);
});

test.run();
