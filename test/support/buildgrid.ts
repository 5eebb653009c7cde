// A real REAPI server for the remote cache's tests: BuildGrid (PyPI), cache services only (CAS,
// ActionCache, ByteStream) on a disk store, on loopback.
//
// Its virtualenv is made on first use (about a minute) under the user's cache directory, keyed by
// the pinned requirements and the Python version, so every later run and every clone on the
// machine reuses it. It is built in a temporary directory and renamed into place: concurrent test
// processes never see a half-installed one (a loser of the race throws its copy away).

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ReapiClient } from "../../build/remote-cache/reapi-client.js";
import { freePort } from "./ports.js";

const REQUIREMENTS = join(dirname(fileURLToPath(import.meta.url)), "buildgrid-requirements.txt");

function python(): string {
  return process.env.TPU_BUILD_TEST_BUILDGRID_PYTHON || "python3";
}

/** The directory of BuildGrid's virtualenv, made if needed; throws (with pip's output) when it cannot be. */
export function buildGridVenv(): string {
  const pythonVersion = execFileSync(python(), ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8", timeout: 120_000 }).trim();
  const pin = createHash("sha256").update(readFileSync(REQUIREMENTS)).update(pythonVersion).digest("hex").slice(0, 12);
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const venv = join(cacheRoot, "tpu-build-test", `buildgrid-py${pythonVersion}-${pin}`);
  if (existsSync(join(venv, "bin", "bgd"))) return venv;
  mkdirSync(dirname(venv), { recursive: true });
  const staging = `${venv}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    execFileSync(python(), ["-m", "venv", staging], { stdio: "pipe", timeout: 120_000 });
    execFileSync(join(staging, "bin", "pip"), ["install", "--disable-pip-version-check", "-q", "-r", REQUIREMENTS], { stdio: "pipe", timeout: 15 * 60_000 });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`cannot install BuildGrid for the remote cache tests: ${err.stderr?.toString() || err.message}`);
  }
  // A venv's scripts name their interpreter by absolute path: fix them up for the final place.
  for (const script of ["bgd", "pip"]) {
    const path = join(staging, "bin", script);
    writeFileSync(path, readFileSync(path, "utf8").split(staging).join(venv));
  }
  try {
    renameSync(staging, venv);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process got there first
  }
  return venv;
}


export interface BuildGridServer {
  /** grpc://127.0.0.1:PORT */
  address: string;
  /** The disk store: CAS blobs live under it, one file per blob named by its hash. */
  store: string;
  process: ChildProcess;
  /** The server's stdout and stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts BuildGrid on a free loopback port with its store under `dir`; resolves once it answers GetCapabilities. */
export async function startBuildGrid(dir: string): Promise<BuildGridServer> {
  const venv = buildGridVenv();
  const store = join(dir, "store");
  mkdirSync(store, { recursive: true });
  const port = await freePort();
  const config = join(dir, "buildgrid.yml");
  writeFileSync(
    config,
    `server:
  - !channel
    address: "127.0.0.1:${port}"
    insecure-mode: true
authorization:
  method: none
monitoring:
  enabled: false
instances:
  - name: ''
    storages:
      - !disk-storage &store
        path: ${JSON.stringify(store)}
    caches:
      - !lru-action-cache &ac
        storage: *store
        max-cached-refs: 10000
        allow-updates: true
    services:
      - !action-cache
        cache: *ac
      - !cas
        storage: *store
      - !bytestream
        storage: *store
`,
  );
  const child = spawn(join(venv, "bin", "bgd"), ["server", "start", config], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], timeout: 900_000, killSignal: "SIGKILL" });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const server: BuildGridServer = {
    address: `grpc://127.0.0.1:${port}`,
    store,
    process: child,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGCONT"); // a stopped server cannot act on SIGKILL's cleanup otherwise
        child.kill("SIGKILL");
      }
      await exited;
    },
  };
  const client = new ReapiClient({ address: server.address, instance: "", timeoutMs: 1000 });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`BuildGrid exited (${child.exitCode}):\n${output}`);
      try {
        await client.capabilities();
        return server;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`BuildGrid did not answer within 60 s (${(e as Error).message}):\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (e) {
    await server.stop();
    throw e;
  } finally {
    client.close();
  }
}
