// The runtime server and the "local" target, end to end: real server processes, real gRPC over Unix
// sockets, HLO modules made by JAX and reference results from NumPy (test/fixtures/runtime/reference.py).
// Run: npx uvu -r tsx/cjs test runtime.test.ts

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { createInterface } from "node:readline";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ArtifactRef, ElementType, LeafSignature, Signature, Tensor } from "../plugins/api.js";
import { LocalTarget, RuntimeError, RuntimeProcess, runtimeLocation, type LocalSession } from "../plugins/xla-local/index.js";
import { rejects } from "./support/rejects.js";

const location = runtimeLocation();
const work = mkdtempSync(join(tmpdir(), "tpu-build-runtime-test-"));
const fixtures = join(work, "fixtures");
const processes: RuntimeProcess[] = [];
const sessions: LocalSession[] = [];
const target = new LocalTarget();

interface FixtureLeaf {
  eltype: ElementType;
  size: number[];
  sha256: string;
  file?: string;
}
interface Fixture {
  module: string;
  parameters: FixtureLeaf[];
  results: FixtureLeaf[];
}
let manifest: { modules: Record<string, Fixture> };

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function artifactOf(name: string): ArtifactRef {
  const f = manifest.modules[name]!;
  const module = new Uint8Array(readFileSync(join(fixtures, f.module)));
  const leaves = (xs: FixtureLeaf[], prefix: string): LeafSignature[] => xs.map((x, i) => ({ path: `${prefix}[${i + 1}]`, eltype: x.eltype, size: x.size }));
  const signature: Signature = {
    compiler: { name: "jax", version: "0.10.2" },
    entry: name,
    function: name,
    inputs: f.parameters.map((p) => ({ kind: "array", eltype: p.eltype, size: p.size })),
    parameters: leaves(f.parameters, "args"),
    output: { kind: "tuple", elements: f.results.map((r) => ({ kind: "array", eltype: r.eltype, size: r.size })) },
    results: leaves(f.results, "out"),
  };
  return { hash: sha256(module), module, signature };
}

function inputsOf(name: string): Tensor[] {
  return manifest.modules[name]!.parameters.map((p) => ({ eltype: p.eltype, size: p.size, data: new Uint8Array(readFileSync(join(fixtures, p.file!))) }));
}

/** Compares with the NumPy reference: floats within a relative tolerance, everything else bit for bit. */
function assertMatches(actual: Tensor, expected: FixtureLeaf, what: string) {
  assert.is(actual.eltype, expected.eltype, `${what}: eltype`);
  assert.equal(actual.size, expected.size, `${what}: size`);
  const want = new Uint8Array(readFileSync(join(fixtures, expected.file!)));
  assert.is(actual.data.byteLength, want.byteLength, `${what}: byte length`);
  const float = actual.eltype === "Float32" ? Float32Array : actual.eltype === "Float64" ? Float64Array : undefined;
  if (!float) {
    assert.ok(Buffer.from(actual.data).equals(Buffer.from(want)), `${what}: bytes differ from NumPy's`);
    return;
  }
  const rtol = actual.eltype === "Float32" ? 1e-5 : 1e-12;
  const a = new float(actual.data.slice().buffer);
  const b = new float(want.slice().buffer);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= rtol * Math.max(1, Math.abs(b[i]!)))) assert.unreachable(`${what}[${i}]: ${a[i]} vs NumPy ${b[i]}`);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its new parent) is gone for our purposes.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isRunning(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isRunning(pid);
}

async function startServer(cacheDir: string): Promise<RuntimeProcess> {
  const p = await RuntimeProcess.start({ cacheDir });
  processes.push(p);
  return p;
}

async function openSession(settings: Record<string, unknown> = {}): Promise<LocalSession> {
  const s = await target.open({ workspace: work, settings });
  sessions.push(s);
  return s;
}

test.before(() => {
  const r = spawnSync(location.python, [join(location.root, "test", "fixtures", "runtime", "reference.py"), fixtures], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`reference.py failed:\n${r.stderr}`);
  manifest = JSON.parse(readFileSync(join(fixtures, "manifest.json"), "utf8"));
});

test.after(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  for (const p of processes) await p.close().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

test("xla_backend's jaxlib internals pass their Python unit tests", () => {
  const r = spawnSync(location.python, ["-m", "unittest", "discover", "-s", join(location.root, "runtime"), "-p", "test_*.py"], { encoding: "utf8", timeout: 120_000 });
  assert.is(r.status, 0, r.stderr.split("\n").slice(-30).join("\n"));
  assert.match(r.stderr, /Ran \d+ tests/);
});

test("the generated TypeScript types match proto/runtime.proto", () => {
  const out = join(work, "generated");
  const committed = join(location.root, "plugins", "xla-local", "generated");
  const r = spawnSync(process.execPath, [
    join(location.root, "node_modules", "@grpc", "proto-loader", "build", "bin", "proto-loader-gen-types.js"),
    "proto/runtime.proto",
    "--longs=Number", "--enums=String", "--defaults", "--oneofs", "--grpcLib=@grpc/grpc-js", "--importFileExtension=.js", "--includeComments",
    "-O", out,
  ], { cwd: location.root, encoding: "utf8", timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
  const fresh = files(out).map((f) => relative(out, f)).sort();
  assert.equal(fresh, files(committed).map((f) => relative(committed, f)).filter((f) => f.endsWith(".ts")).sort());
  for (const f of fresh) assert.is(readFileSync(join(out, f), "utf8"), readFileSync(join(committed, f), "utf8"), `${f} is stale; see plugins/xla-local/generated/README.md`);
});

test("health and device info describe the jaxlib 0.10.2 CPU runtime", async () => {
  const p = await startServer(join(work, "cache-info"));
  console.log(`  server start to healthy: ${p.startupMs.toFixed(0)} ms (server's own import+init: ${p.ready.startup_ms} ms)`);
  const h = await p.client.health();
  assert.ok(h.serving);
  assert.is(h.pid, p.pid);
  // The data channel listens beside the gRPC socket, in the same private directory, owner-only.
  assert.is(h.dataAddress, p.ready.data_address);
  const dataSocket = h.dataAddress.slice("unix:".length);
  assert.is(dirname(dataSocket), dirname(p.address.slice("unix:".length)));
  assert.is(statSync(dataSocket).mode & 0o777, 0o600);
  assert.is(statSync(dirname(dataSocket)).mode & 0o777, 0o700);
  const info = await p.client.deviceInfo();
  assert.is(info.platform, "cpu");
  assert.is(info.jaxlibVersion, "0.10.2");
  assert.ok(info.devices.length >= 1);
  assert.is(info.devices[0]!.ordinal, 0);
  await p.close();
});

test("XLA_FLAGS device count shows up as several CPU devices", async () => {
  const s = await openSession({ cpuDevices: 4, device: 3, cacheDir: "cache-devices" });
  const info = await s.info();
  assert.is(info.devices.length, 4);
  assert.match(info.runtimeVersion, /jaxlib 0\.10\.2/);
  // Compiling for and placing tensors on device 3 works end to end.
  const a = artifactOf("affine");
  await s.load(a);
  const [out] = await s.run(a.hash, inputsOf("affine"));
  assertMatches(out!, manifest.modules.affine!.results[0]!, "affine on device 3");
  await s.close();
});

test("a single-result module computes NumPy's x*w + 1 in Julia order", async () => {
  const s = await openSession({ cacheDir: "cache-affine" });
  const a = artifactOf("affine");
  await s.load(a);
  await s.load(a); // already loaded: a no-op
  const outs = await s.run(a.hash, inputsOf("affine"));
  assert.is(outs.length, 1);
  assert.equal(outs[0]!.size, [4, 2]);
  assertMatches(outs[0]!, manifest.modules.affine!.results[0]!, "affine");
  // Temporary buffers are released after run().
  assert.is((await s.client.health()).liveBuffers, 0);
  await s.close();
});

test("a tuple root comes back as separate results of every element type", async () => {
  const s = await openSession({ cacheDir: "cache-multi" });
  const a = artifactOf("multi");
  await s.load(a);
  const outs = await s.run(a.hash, inputsOf("multi"));
  const expected = manifest.modules.multi!.results;
  assert.is(outs.length, expected.length);
  outs.forEach((o, i) => assertMatches(o, expected[i]!, `multi result ${i + 1}`));
  assert.equal(outs.map((o) => o.eltype), ["Float64", "Float32", "Float32", "Bool", "Int64", "BFloat16", "UInt8"]);
  assert.equal(outs[1]!.size, []);
  await s.close();
});

test("resident tensors are reused across runs without re-uploading", async () => {
  const s = await openSession({ cacheDir: "cache-resident" });
  const a = artifactOf("affine");
  await s.load(a);
  const [x, w] = inputsOf("affine");
  const wOnDevice = await s.upload(w!);
  for (let i = 0; i < 3; i++) {
    const results = await s.execute(a.hash, [x!, wOnDevice]);
    assertMatches(await s.download(results[0]!, { release: true }), manifest.modules.affine!.results[0]!, `run ${i + 1}`);
  }
  assert.is((await s.client.health()).liveBuffers, 1);
  await s.release([wOnDevice]);
  assert.is((await s.client.health()).liveBuffers, 0);
  await s.close();
});

test("the executable cache: a second compile hits memory, a restarted server loads from disk", async () => {
  const cacheDir = join(work, "cache-restart");
  const a = artifactOf("multi");
  const first = await startServer(cacheDir);
  const c1 = await first.client.compile(a.module, a.hash);
  assert.is(c1.source, "COMPILED");
  assert.is(c1.compilations, 1);
  const c2 = await first.client.compile(a.module, a.hash);
  assert.is(c2.source, "MEMORY");
  assert.is(c2.handle, c1.handle);
  assert.is(c2.compilations, 1);
  await first.close();

  const second = await startServer(cacheDir);
  const c3 = await second.client.compile(a.module, a.hash);
  assert.is(c3.source, "DISK");
  assert.is(c3.compilations, 0, "the restarted server must not recompile");
  assert.equal(c3.parameters, c1.parameters);
  assert.equal(c3.results, c1.results);
  console.log(`  compile ${c1.elapsedMs.toFixed(1)} ms, load from disk ${c3.elapsedMs.toFixed(1)} ms`);
  // The deserialized executable runs and gives the same numbers.
  const inputs = inputsOf("multi");
  const handles = [];
  for (let i = 0; i < inputs.length; i++) {
    const p = a.signature.parameters[i]!;
    handles.push((await second.client.transferIn({ elementType: c3.parameters[i]!.elementType, dims: [...p.size].reverse() }, inputs[i]!.data)).handle);
  }
  const { results } = await second.client.execute(c3.handle, handles);
  const { data } = await second.client.transferOut(results[0]!.handle, { release: true });
  assertMatches({ eltype: "Float64", size: a.signature.results[0]!.size, data }, manifest.modules.multi!.results[0]!, "multi from disk cache");

  // Same key, different bytes: not a stale hit.
  const other = artifactOf("affine");
  const c4 = await second.client.compile(other.module, a.hash);
  assert.is(c4.source, "COMPILED");
  await second.close();
});

test("a 48 MiB tensor goes to the device and back through shared memory, and through a module", async () => {
  const s = await openSession({ cacheDir: "cache-big" });
  const f = manifest.modules.big!;
  const [p] = f.parameters;
  const n = p!.size.reduce((x, y) => x * y, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (i % 1024) * 0.5;
  const input: Tensor = { eltype: "Float32", size: p!.size, data: new Uint8Array(values.buffer) };
  assert.is(input.data.byteLength, 48 * 1024 * 1024);
  assert.is(sha256(input.data), p!.sha256);

  let t = performance.now();
  const resident = await s.upload(input);
  const upMs = performance.now() - t;
  t = performance.now();
  const back = await s.download(resident, { release: true });
  const downMs = performance.now() - t;
  assert.is(sha256(back.data), p!.sha256, "round trip changed the bytes");
  assert.equal(s.client.route.counts, { sharedMemory: 2, dataChannel: 0, grpc: 0 }, s.client.route.sharedMemoryFallbackReason);
  const mib = input.data.byteLength / (1 << 20);
  console.log(`  48 MiB through shared memory: in ${upMs.toFixed(0)} ms (${((mib / upMs) * 1000).toFixed(0)} MiB/s), out ${downMs.toFixed(0)} ms (${((mib / downMs) * 1000).toFixed(0)} MiB/s)`);

  const a = artifactOf("big");
  await s.load(a);
  t = performance.now();
  const [out] = await s.run(a.hash, [input]);
  console.log(`  48 MiB through x*2+1 (in, execute, out): ${(performance.now() - t).toFixed(0)} ms`);
  assert.equal(out!.size, f.results[0]!.size);
  assert.is(sha256(out!.data), f.results[0]!.sha256, "x*2+1 differs from NumPy's");
  await s.close();
});

test("bad HLO, wrong inputs and unknown handles give clear errors and the server keeps serving", async () => {
  const s = await openSession({ cacheDir: "cache-errors" });
  const client = s.client;

  const garbage = await rejects(client.compile(new TextEncoder().encode("definitely not an HloModuleProto"), "garbage"));
  assert.instance(garbage, RuntimeError);
  assert.is((garbage as RuntimeError).code, "INVALID_ARGUMENT");
  assert.match(garbage.message, /not a loadable HloModuleProto/);
  assert.not.match(garbage.message, /stack trace/);

  const a = artifactOf("affine");
  await s.load(a);
  const [x, w] = inputsOf("affine");
  // Julia-level checks in the session, before anything is sent.
  const swapped = await rejects(s.run(a.hash, [w!, x!]));
  assert.match(swapped.message, /affine: input 1 \(args\[1\]\): expected Float32 3×2, got Float32 4×3/);
  const wrongType = await rejects(s.run(a.hash, [{ ...x!, eltype: "Int32" }, w!]));
  assert.match(wrongType.message, /expected Float32 3×2, got Int32 3×2/);
  const missing = await rejects(s.run(a.hash, [x!]));
  assert.match(missing.message, /expected 2 input tensor\(s\)/);
  const short = await rejects(s.run(a.hash, [{ ...x!, data: x!.data.subarray(4) }, w!]));
  assert.match(short.message, /takes 24 bytes, got 20/);
  const notLoaded = await rejects(s.run("0".repeat(64), [x!, w!]));
  assert.match(notLoaded.message, /not loaded/);

  // The server's own checks, reached through the raw client.
  const exe = await client.compile(a.module, a.hash);
  const xb = await client.transferIn({ elementType: "F32", dims: [2, 3] }, x!.data);
  const wb = await client.transferIn({ elementType: "F32", dims: [3, 4] }, w!.data);
  const shapeErr = await rejects(client.execute(exe.handle, [wb.handle, xb.handle]));
  assert.is((shapeErr as RuntimeError).code, "INVALID_ARGUMENT");
  assert.match(shapeErr.message, /argument 0 \(buf-[0-9a-f]{32}\) is f32\[3,4\], the executable's parameter 0 is f32\[2,3\]/);
  const countErr = await rejects(client.execute(exe.handle, [xb.handle]));
  assert.match(countErr.message, /takes 2 argument\(s\), got 1/);
  const unknown = await rejects(client.execute(exe.handle, [xb.handle, "buf-999999"]));
  assert.is((unknown as RuntimeError).code, "NOT_FOUND");
  const unknownExe = await rejects(client.execute("exe-424242", []));
  assert.is((unknownExe as RuntimeError).code, "NOT_FOUND");
  const unknownOut = await rejects(client.transferOut("buf-31337"));
  assert.is((unknownOut as RuntimeError).code, "NOT_FOUND");
  const badBytes = await rejects(client.transferIn({ elementType: "F32", dims: [2, 3] }, new Uint8Array(7)));
  assert.match(badBytes.message, /takes 24 bytes, got 7/);
  const released = await client.release({ buffers: [xb.handle, wb.handle, "buf-777"] });
  assert.is(released.released, 2);
  assert.equal(released.unknown, ["buf-777"]);

  // Still serving, and still computing.
  assert.ok((await client.health()).serving);
  const [out] = await s.run(a.hash, [x!, w!]);
  assertMatches(out!, manifest.modules.affine!.results[0]!, "affine after errors");
  await s.close();
});

test("closing a session stops its server process", async () => {
  const s = await openSession({ cacheDir: "cache-close", transport: "tcp" });
  const pid = s.runtime.pid;
  assert.ok(isRunning(pid));
  assert.match(s.runtime.address, /^127\.0\.0\.1:\d+$/);
  await s.close();
  assert.ok(await waitUntilGone(pid, 5000), `server ${pid} still runs after close()`);
  const closed = await rejects(s.info());
  assert.match(closed.message, /closed/);
});

test("a server never outlives a parent killed with SIGKILL", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", join(location.root, "test", "fixtures", "runtime", "orphan-parent.ts")], {
    cwd: location.root,
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 600_000,
    killSignal: "SIGKILL",
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  let serverPid = 0;
  try {
    let address = "";
    serverPid = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        try {
          const started = JSON.parse(line) as { serverPid: number; address: string };
          address = started.address;
          resolve(started.serverPid);
        } catch {
          // not our line
        }
      });
      child.once("exit", (code) => reject(new Error(`orphan-parent exited (${code}): ${stderr}`)));
    });
    assert.ok(isRunning(serverPid));
    child.kill("SIGKILL");
    assert.ok(await waitUntilGone(serverPid, 5000), `server ${serverPid} outlived its parent`);
    // It also removed its private socket directory, which the dead parent could not.
    assert.ok(address.startsWith("unix:"));
    assert.not.ok(existsSync(dirname(address.slice("unix:".length))), `${address} left behind`);
  } finally {
    child.kill("SIGKILL");
    if (serverPid && isRunning(serverPid)) process.kill(serverPid, "SIGKILL");
  }
});

test("a missing virtualenv gives a message that says to run npm install", async () => {
  const fake = { ...location, python: join(work, "no-venv", "bin", "python") };
  const e = await rejects(RuntimeProcess.start({ location: fake }));
  assert.match(e.message, /not installed/);
  assert.match(e.message, /npm install/);
});

test("install without a usable Python: one clear message and a non-zero exit, no stack trace", () => {
  const emptyPath = mkdtempSync(join(work, "no-python-"));
  const r = spawnSync(process.execPath, [join(location.root, "runtime", "install.mjs")], { env: { PATH: emptyPath, HOME: work }, encoding: "utf8", timeout: 120_000 });
  assert.is(r.status, 1);
  assert.match(r.stderr, /No usable Python found on PATH/);
  assert.match(r.stderr, /Python 3\.10 or newer/);
  assert.match(r.stderr, /TPU_BUILD_PYTHON/);
  assert.not.match(r.stderr, /^\s+at /m);
  const skipped = spawnSync(process.execPath, [join(location.root, "runtime", "install.mjs")], {
    env: { PATH: emptyPath, HOME: work, TPU_BUILD_SKIP_RUNTIME_INSTALL: "1" },
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.is(skipped.status, 0);
  assert.match(skipped.stdout, /skipping/);
});

test.run();
