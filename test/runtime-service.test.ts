// The runtime as a service: TLS (certificates made here with openssl), tokens, sessions and their
// limits, device memory checks, the refusal of plaintext off loopback, and the executable cache's
// integrity. Real servers on loopback over real gRPC; modules made by JAX, expected values by NumPy.
// Run: npx uvu -r tsx/cjs test runtime-service

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Signature } from "../plugins/api.js";
import { LocalTarget, RuntimeClient, RuntimeError, RuntimeProcess, readRuntimeTls, runtimeLocation, type RuntimeClientOptions, type XlaShape } from "../plugins/xla-local/index.js";
import { runPython } from "./support/jax.js";
import { stopProcess } from "./support/processes.js";
import { makeCertificates, type TestCertificates } from "./support/tls.js";

const location = runtimeLocation();
// Made when the tests start, not when the file loads (uvu loads every file first).
let work = "";
const processes: RuntimeProcess[] = [];
const clients: RuntimeClient[] = [];
let certs: TestCertificates;
let tokenFile: string;
let token: string;
/** TLS with a token, a session quota, a short idle timeout and a declared device memory. */
let service: RuntimeProcess;
/** Mutual TLS: clients need a certificate from the CA. */
let mutual: RuntimeProcess;

const MAX_SESSION_BYTES = 1_000_000;
const IDLE_TIMEOUT_SECONDS = 1.5;
const DEVICE_MEMORY_BYTES = 300_000;

interface Modules {
  plus: string;
  times: string;
  square: string;
  x: string;
  w: string;
  big: string;
  plus_out: string;
  times_out: string;
  square_out: string;
}
let m: Modules;
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));
const X: XlaShape = { elementType: "F32", dims: [2, 3] };
const W: XlaShape = { elementType: "F32", dims: [3, 4] };
const BIG: XlaShape = { elementType: "F32", dims: [200, 200] };

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function client(p: RuntimeProcess, options: RuntimeClientOptions = {}): RuntimeClient {
  const c = new RuntimeClient(p.address, { callTimeoutMs: 5000, ...options });
  clients.push(c);
  return c;
}

const trusted = () => readRuntimeTls({ ca: certs.ca, serverName: "localhost" });

async function rejects(p: Promise<unknown>): Promise<RuntimeError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof RuntimeError)) throw e;
    return e;
  }
  throw new assert.Assertion({ message: "expected a rejection", generated: false, operator: "rejects" });
}

/** Float32 bytes within a relative tolerance of NumPy's. */
function assertClose(actual: Uint8Array, expectedB64: string, what: string): void {
  const want = bytes(expectedB64);
  assert.is(actual.byteLength, want.byteLength, `${what}: byte length`);
  const a = new Float32Array(actual.slice().buffer);
  const b = new Float32Array(want.slice().buffer);
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]! - b[i]!) <= 1e-5 * Math.max(1, Math.abs(b[i]!)))) assert.unreachable(`${what}[${i}]: ${a[i]} vs NumPy ${b[i]}`);
}

/** Compiles `module`, runs it on `inputs` and brings the first result back. */
async function run(c: RuntimeClient, module: string, inputs: [XlaShape, string][]): Promise<Uint8Array> {
  const exe = await c.compile(bytes(module), sha256(bytes(module)));
  const handles = [];
  for (const [shape, data] of inputs) handles.push((await c.transferIn(shape, bytes(data))).handle);
  const { results } = await c.execute(exe.handle, handles);
  await c.release({ buffers: handles, executables: [exe.handle] });
  return (await c.transferOut(results[0]!.handle, { release: true })).data;
}

async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.unreachable(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), "tpu-build-runtime-service-test-"));
  certs = makeCertificates(work);
  tokenFile = join(work, "token");
  token = createHash("sha256").update(work).digest("hex");
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  m = await runPython<Modules>(`
import jax
def hlo(f, *a):
    return b64e(jax.jit(f).lower(*a).compiler_ir("hlo").as_serialized_hlo_module_proto())
def b64e(raw):
    return base64.b64encode(raw).decode()
rng = np.random.default_rng(3)
x = rng.standard_normal((2, 3)).astype(np.float32)
w = rng.standard_normal((3, 4)).astype(np.float32)
big = rng.standard_normal((200, 200)).astype(np.float32)
emit({
    "plus": hlo(lambda x, w: x @ w + 1, x, w), "times": hlo(lambda x, w: (x @ w) * 2, x, w), "square": hlo(lambda a: a @ a, big),
    "x": b64e(x.tobytes()), "w": b64e(w.tobytes()), "big": b64e(big.tobytes()),
    "plus_out": b64e((x @ w + 1).tobytes()), "times_out": b64e(((x @ w) * 2).tobytes()), "square_out": b64e((big @ big).tobytes()),
})
`);
  [service, mutual] = await Promise.all([
    RuntimeProcess.start({
      tls: { cert: certs.serverCert, key: certs.serverKey },
      tokenFile,
      maxSessionBytes: MAX_SESSION_BYTES,
      idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS,
      deviceMemoryBytes: DEVICE_MEMORY_BYTES,
      sharedMemory: false, // a service's: what a remote target reaches
      client: { tls: trusted() },
    }),
    RuntimeProcess.start({
      tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca },
      tokenFile,
      sharedMemory: false,
      // No serverName: the certificate's IP address 127.0.0.1 is what the client checks.
      client: { tls: readRuntimeTls({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }) },
    }),
  ]);
  processes.push(service, mutual);
});

test.after(async () => {
  for (const c of clients) c.close();
  for (const p of processes) await p.close().catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
});

test("over TLS with the token: device info, and NumPy's numbers with small tensors over the gRPC connection", async () => {
  assert.ok(service.ready.tls);
  assert.match(service.address, /^127\.0\.0\.1:\d+$/);
  const c = client(service, { token, tls: trusted() });
  const info = await c.deviceInfo();
  assert.is(info.platform, "cpu");
  assert.is(info.jaxlibVersion, "0.10.2");
  assert.is(info.libtpuVersion, "");
  assert.is(info.devices[0]!.kind, "cpu");
  assert.is(info.devices[0]!.memoryBytes, DEVICE_MEMORY_BYTES, "--device-memory stands in for what XLA's CPU client does not report");
  assertClose(await run(c, m.plus, [[X, m.x], [W, m.w]]), m.plus_out, "x*w+1 over TLS");
  const h = await c.health();
  assert.ok(h.dataTls);
  // The inputs are small; the result's size was not known before it came (mutual TLS below sends 64 MiB).
  assert.equal(c.route.counts, { sharedMemory: 0, dataChannel: 1, grpc: 2 }, c.route.fallbackReason);
  assert.is(h.liveBuffers, 0);
  assert.is(h.maxSessionBytes, MAX_SESSION_BYTES);
});

test("a missing or wrong token is UNAUTHENTICATED, on every kind of call", async () => {
  const none = client(service, { tls: trusted() });
  const wrong = client(service, { tls: trusted(), token: `${token.slice(0, -1)}${token.endsWith("0") ? "1" : "0"}` });
  for (const c of [none, wrong]) {
    const calls = [() => c.health(), () => c.deviceInfo(), () => c.compile(bytes(m.plus), "k"), () => c.transferIn(X, bytes(m.x)), () => c.release({ buffers: ["buf-1"] }), () => c.shutdown()];
    for (const call of calls) {
      const e = await rejects(call());
      assert.is(e.code, "UNAUTHENTICATED", e.message);
      assert.match(e.details, /needs its token/);
    }
  }
  assert.ok((await client(service, { tls: trusted(), token }).health()).serving, "the server still serves");
});

test("a plaintext client, and a client that does not trust the server's CA, cannot connect", async () => {
  const plaintext = await rejects(client(service, { token }).health());
  assert.is(plaintext.code, "UNAVAILABLE", plaintext.message);
  const stranger = await rejects(client(service, { token, tls: readRuntimeTls({ ca: certs.otherCa, serverName: "localhost" }) }).health());
  assert.is(stranger.code, "UNAVAILABLE", stranger.message);
  const wrongName = await rejects(client(service, { token, tls: readRuntimeTls({ ca: certs.ca, serverName: "elsewhere.example" }) }).health());
  assert.is(wrongName.code, "UNAVAILABLE", wrongName.message);
});

test("mutual TLS: no client certificate, or one from another CA, is refused; the CA's works end to end", async () => {
  const anonymous = await rejects(client(mutual, { token, tls: readRuntimeTls({ ca: certs.ca }) }).health());
  assert.is(anonymous.code, "UNAVAILABLE", anonymous.message);
  const foreign = await rejects(client(mutual, { token, tls: readRuntimeTls({ ca: certs.ca, cert: certs.otherClientCert, key: certs.otherClientKey }) }).health());
  assert.is(foreign.code, "UNAVAILABLE", foreign.message);
  const c = client(mutual, { token, tls: readRuntimeTls({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }) });
  assertClose(await run(c, m.times, [[X, m.x], [W, m.w]]), m.times_out, "(x*w)*2 over mutual TLS");
  assert.equal(c.route.counts, { sharedMemory: 0, dataChannel: 1, grpc: 2 }, c.route.fallbackReason);
  // A large tensor both ways over the TLS data channel, byte for byte (and how fast, for the record).
  const shape: XlaShape = { elementType: "U8", dims: [64 << 20] };
  const data = new Uint8Array(64 << 20).map((_, i) => (i * 2654435761) >>> 24);
  let t = performance.now();
  const up = await c.transferIn(shape, data);
  const upMs = performance.now() - t;
  t = performance.now();
  const back = await c.transferOut(up.handle, { release: true });
  const downMs = performance.now() - t;
  assert.is(sha256(back.data), sha256(data));
  assert.equal(c.route.counts, { sharedMemory: 0, dataChannel: 3, grpc: 2 });
  console.log(`  64 MiB over the TLS data channel (loopback): in ${upMs.toFixed(0)} ms (${(64000 / upMs).toFixed(0)} MiB/s), out ${downMs.toFixed(0)} ms (${(64000 / downMs).toFixed(0)} MiB/s)`);
});

test("a session can neither read, run nor release another session's buffers and executables", async () => {
  const alice = client(service, { token, tls: trusted() });
  const mallory = client(service, { token, tls: trusted() });
  const exe = await alice.compile(bytes(m.plus), sha256(bytes(m.plus)));
  const x = await alice.transferIn(X, bytes(m.x));
  const w = await alice.transferIn(W, bytes(m.w));
  assert.match(x.handle, /^buf-[0-9a-f]{32}$/, "handles are random");
  for (const [what, call] of [
    ["read", () => mallory.transferOut(x.handle)],
    ["read by ticket", () => mallory.openTransferOut(x.handle)],
    ["run", () => mallory.execute(exe.handle, [x.handle, w.handle])],
  ] as const) {
    const e = await rejects(call());
    assert.is(e.code, "NOT_FOUND", `${what}: ${e.message}`);
  }
  // Its own copy of the executable cannot take alice's buffers either.
  const own = await mallory.compile(bytes(m.plus), sha256(bytes(m.plus)));
  assert.is(own.source, "MEMORY", "the compiled executable is shared, its handle is not");
  assert.is.not(own.handle, exe.handle);
  assert.is((await rejects(mallory.execute(own.handle, [x.handle, w.handle]))).code, "NOT_FOUND");
  const released = await mallory.release({ buffers: [x.handle, w.handle], executables: [exe.handle] });
  assert.is(released.released, 0);
  assert.equal(released.unknown, [x.handle, w.handle, exe.handle]);
  // Alice's are untouched.
  const { results } = await alice.execute(exe.handle, [x.handle, w.handle]);
  assertClose((await alice.transferOut(results[0]!.handle, { release: true })).data, m.plus_out, "alice's run after mallory's attempts");
  assert.is((await alice.transferOut(x.handle)).data.byteLength, 24);
  await alice.closeSession();
  await mallory.closeSession();
});

test("the session quota: RESOURCE_EXHAUSTED with the numbers, for transfers on both routes and for results; released bytes make room", async () => {
  const c = client(service, { token, tls: trusted() });
  const streaming = client(service, { token, tls: trusted(), dataChannel: false });
  const chunk: XlaShape = { elementType: "U8", dims: [600_000] };
  for (const k of [c, streaming]) {
    const first = await k.transferIn(chunk, new Uint8Array(600_000).fill(1));
    const over = await rejects(k.transferIn(chunk, new Uint8Array(600_000).fill(2)));
    assert.is(over.code, "RESOURCE_EXHAUSTED", over.message);
    assert.match(over.details, /needs 600000 bytes on the device; this session holds 600000 of its 1000000 bytes \(--max-session-bytes\), so it would reach 1200000/);
    assert.is((await k.health()).sessionBytes, 600_000);
    await k.release({ buffers: [first.handle] });
    const again = await k.transferIn(chunk, new Uint8Array(600_000).fill(3));
    assert.is((await k.health()).sessionBytes, 600_000);
    await k.release({ buffers: [again.handle] });
  }
  // Results count too: a run whose results do not fit is refused before it runs.
  const exe = await c.compile(bytes(m.plus), sha256(bytes(m.plus)));
  const filler = await c.transferIn({ elementType: "U8", dims: [MAX_SESSION_BYTES - 24 - 48 - 16] }, new Uint8Array(MAX_SESSION_BYTES - 88));
  const x = await c.transferIn(X, bytes(m.x));
  const w = await c.transferIn(W, bytes(m.w));
  const full = await rejects(c.execute(exe.handle, [x.handle, w.handle]));
  assert.is(full.code, "RESOURCE_EXHAUSTED");
  assert.match(full.details, /Execute's 1 result\(s\) needs 32 bytes/);
  await c.release({ buffers: [filler.handle] });
  const { results } = await c.execute(exe.handle, [x.handle, w.handle]);
  assertClose((await c.transferOut(results[0]!.handle, { release: true })).data, m.plus_out, "after making room");
  await c.closeSession();
  await streaming.closeSession();
});

test("an executable that needs more than the device's memory is a clear error before it runs", async () => {
  const c = client(service, { token, tls: trusted() });
  const exe = await c.compile(bytes(m.square), sha256(bytes(m.square)));
  assert.ok(exe.deviceMemoryBytes >= 2 * 160_000, `XLA's statistics: ${exe.deviceMemoryBytes} bytes`);
  const a = await c.transferIn(BIG, bytes(m.big));
  const e = await rejects(c.execute(exe.handle, [a.handle]));
  assert.is(e.code, "RESOURCE_EXHAUSTED");
  assert.match(e.details, new RegExp(`needs ${exe.deviceMemoryBytes} bytes of device memory \\(arguments 160000, outputs 160000.*device 0 has ${DEVICE_MEMORY_BYTES} bytes`));
  // The server is fine, and a module that fits runs.
  assertClose(await run(c, m.plus, [[X, m.x], [W, m.w]]), m.plus_out, "a small module after the refusal");
  await c.closeSession();
});

test("idle sessions are freed after the timeout; concurrent clients are served, each with its own results", async () => {
  const idle = client(service, { token, tls: trusted() });
  await idle.transferIn(X, bytes(m.x));
  await new Promise((r) => setTimeout(r, IDLE_TIMEOUT_SECONDS * 1000 + 800));
  const gone = await rejects(idle.transferIn(X, bytes(m.x)));
  assert.is(gone.code, "NOT_FOUND");
  assert.match(gone.details, /unknown or expired session \(sessions are freed after 1\.5 s without a call\)/);
  const many = Array.from({ length: 4 }, () => client(service, { token, tls: trusted() }));
  const outs = await Promise.all(many.map((c, i) => run(c, i % 2 ? m.times : m.plus, [[X, m.x], [W, m.w]])));
  outs.forEach((out, i) => assertClose(out, i % 2 ? m.times_out : m.plus_out, `client ${i}`));
});

test("a local target's server (tcp transport) serves only its parent: the token came through a pipe, not the command line", async () => {
  const local = await RuntimeProcess.start({ transport: "tcp" });
  processes.push(local);
  assert.match(local.address, /^127\.0\.0\.1:\d+$/);
  assert.ok(local.token.length >= 32);
  assert.not.ok(readFileSync(`/proc/${local.pid}/cmdline`, "utf8").includes(local.token), "the token is not on the server's command line");
  // Another local user knows the port but not the token.
  const stranger = client(local);
  for (const call of [() => stranger.health(), () => stranger.deviceInfo(), () => stranger.transferIn(X, bytes(m.x)), () => stranger.shutdown()]) {
    assert.is((await rejects(call())).code, "UNAUTHENTICATED");
  }
  const guessed = client(local, { token: "0".repeat(local.token.length) });
  assert.is((await rejects(guessed.health())).code, "UNAUTHENTICATED");
  assertClose(await run(local.client, m.plus, [[X, m.x], [W, m.w]]), m.plus_out, "the parent's own client");
  await local.close();
});

test("a server that stops answering fails the call in flight through the keepalive, long before its deadline", async () => {
  const c = client(mutual, { token, tls: readRuntimeTls({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }), keepaliveMs: 1000 });
  assert.ok((await c.health()).serving);
  try {
    await stopProcess(mutual.pid);
    // A 10-minute deadline: only the unanswered keepalive ping can end this call soon.
    const e = await rejects(c.health({ timeoutMs: 600_000 }));
    assert.is(e.code, "UNAVAILABLE", e.message);
  } finally {
    process.kill(mutual.pid, "SIGCONT");
  }
  assert.ok((await client(mutual, { token, tls: readRuntimeTls({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }) }).health()).serving, "it serves again once continued");
});

test("listening off loopback without TLS and a token is refused, saying why; a service refuses Shutdown", async () => {
  const server = (args: string[]) => spawnSync(location.python, [location.serverScript, "serve", ...args], { encoding: "utf8", timeout: 60_000 });
  const plain = server(["--listen", "0.0.0.0:0"]);
  assert.is(plain.status, 2, plain.stderr);
  assert.match(plain.stderr, /refusing to listen on 0\.0\.0\.0:0 without TLS \(--tls-cert, --tls-key\) and a token \(--token-file\): anyone who can reach that address/);
  const noToken = server(["--listen", "0.0.0.0:0", "--tls-cert", certs.serverCert, "--tls-key", certs.serverKey]);
  assert.is(noToken.status, 2);
  assert.match(noToken.stderr, /without a token \(--token-file\)/);
  assert.not.match(noToken.stderr, /Traceback/);
  const openToken = join(work, "open-token");
  writeFileSync(openToken, token, { mode: 0o644 });
  const readable = server(["--listen", "127.0.0.1:0", "--token-file", openToken]);
  assert.is(readable.status, 2);
  assert.match(readable.stderr, /can be read by other users \(mode 644\); make it owner-only/);
  // A service (no --allow-shutdown) is not stopped by its clients.
  const direct = spawnSync(location.python, [location.serverScript, "--help"], { encoding: "utf8", timeout: 120_000 });
  assert.match(direct.stdout, /--max-session-bytes N/);
});

test("the executable cache: swapped entries each compute their own results, a flipped byte or a directory is recompiled", async () => {
  const cacheDir = join(work, "executables");
  // Entries only: the cache writes each through a ".tmp-*.exe" file that a busy machine may show mid-write.
  const entries = () => new Set(readdirSync(cacheDir).filter((f) => f.endsWith(".exe") && !f.startsWith(".tmp-")));
  const start = async () => {
    const p = await RuntimeProcess.start({ cacheDir });
    processes.push(p);
    return p;
  };
  // Which file is whose: compile one module at a time and see what appears.
  let p = await start();
  const fileOf: Record<string, string> = {};
  for (const name of ["plus", "times"] as const) {
    const before = entries();
    await p.client.compile(bytes(m[name]), sha256(bytes(m[name])));
    await eventually(`${name}'s cache entry is written`, () => entries().size === before.size + 1);
    fileOf[name] = [...entries()].find((f) => !before.has(f))!;
  }
  await p.close();
  const plusPath = join(cacheDir, fileOf.plus!);
  const timesPath = join(cacheDir, fileOf.times!);
  renameSync(plusPath, `${plusPath}.swap`);
  renameSync(timesPath, plusPath);
  renameSync(`${plusPath}.swap`, timesPath);

  const check = async (what: string, warning: RegExp) => {
    p = await start();
    for (const name of ["plus", "times"] as const) {
      const exe = await p.client.compile(bytes(m[name]), sha256(bytes(m[name])));
      if (what === "swapped" || name === "plus") {
        assert.is(exe.source, "COMPILED", `${what}: ${name} must not be loaded from the damaged entry`);
        assert.match(exe.cacheWarning, warning);
      } else assert.is(exe.source, "DISK", `${what}: ${name}'s intact entry is still used`);
      const x = await p.client.transferIn(X, bytes(m.x));
      const w = await p.client.transferIn(W, bytes(m.w));
      const { results } = await p.client.execute(exe.handle, [x.handle, w.handle]);
      assertClose((await p.client.transferOut(results[0]!.handle, { release: true })).data, m[`${name}_out`], `${what}: ${name}`);
    }
    // The recompiled entries replace the bad ones.
    await p.close();
  };
  await check("swapped", /moved or copied over another.*recompiled and replaced/);

  // One flipped byte in the middle of plus's serialized executable.
  const size = statSync(plusPath).size;
  const fd = openSync(plusPath, "r+");
  const one = Buffer.alloc(1);
  readSync(fd, one, 0, 1, Math.floor(size * 0.75));
  one[0]! ^= 0x10;
  writeSync(fd, one, 0, 1, Math.floor(size * 0.75));
  closeSync(fd);
  await check("flipped", /do not match the SHA-256 in its header/);

  unlinkSync(plusPath);
  mkdirSync(plusPath);
  await check("directory", /is a directory, not a cache entry/);
  assert.ok(statSync(plusPath).isFile(), "the directory was replaced by the recompiled entry");

  // Through the local target, the warning reaches the user, naming the entry.
  renameSync(plusPath, timesPath);
  const warnings: string[] = [];
  const session = await new LocalTarget({ warn: (w) => warnings.push(w) }).open({ workspace: work, settings: { cacheDir } });
  try {
    const leaf = (size: number[], path: string) => ({ path, eltype: "Float32" as const, size });
    const signature: Signature = {
      compiler: { name: "jax", version: "0.10.2" },
      entry: "times",
      function: "times",
      inputs: [],
      parameters: [leaf([3, 2], "[1]"), leaf([4, 3], "[2]")],
      output: { kind: "array", eltype: "Float32", size: [4, 2] },
      results: [leaf([4, 2], "")],
    };
    await session.load({ hash: sha256(bytes(m.times)), module: bytes(m.times), signature });
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /^times: executable cache: .* moved or copied over another.*recompiled and replaced/);
  } finally {
    await session.close();
  }
});

test("an imported executable is checked before XLA sees it: another digest's entry or a flipped byte is refused; a sound one runs without a compile", async () => {
  const exporter = await RuntimeProcess.start({});
  const importer = await RuntimeProcess.start({});
  processes.push(exporter, importer);
  const plus = bytes(m.plus);
  const compiled = await exporter.client.compile(plus, sha256(plus));
  const exported = await exporter.client.exportExecutable(compiled.handle);
  const key = await importer.client.executableKey(plus, sha256(plus));
  assert.equal(key, { digest: exported.digest, cached: false }, "the same runtime configuration names it alike");
  const times = await importer.client.executableKey(bytes(m.times), sha256(bytes(m.times)));

  const wrongName = await rejects(importer.client.importExecutable(times.digest, exported.entry));
  assert.is(wrongName.code, "INVALID_ARGUMENT");
  assert.match(wrongName.message, /stored under .* not /);
  const flipped = new Uint8Array(exported.entry); // a copy (a Buffer's slice() is a view)
  flipped[flipped.length - 100]! ^= 0x10;
  const damaged = await rejects(importer.client.importExecutable(exported.digest, flipped));
  assert.is(damaged.code, "INVALID_ARGUMENT");
  assert.match(damaged.message, /do not match the SHA-256/);
  assert.is((await importer.client.executableKey(plus, sha256(plus))).cached, false, "nothing refused was kept");

  await importer.client.importExecutable(exported.digest, exported.entry);
  assert.is((await importer.client.executableKey(plus, sha256(plus))).cached, true);
  const loaded = await importer.client.compile(plus, sha256(plus));
  assert.is(loaded.source, "IMPORTED");
  assert.is(loaded.compilations, 0, "XLA compiled nothing");
  const x = await importer.client.transferIn(X, bytes(m.x));
  const w = await importer.client.transferIn(W, bytes(m.w));
  const { results } = await importer.client.execute(loaded.handle, [x.handle, w.handle]);
  assertClose((await importer.client.transferOut(results[0]!.handle, { release: true })).data, m.plus_out, "imported plus");
});

test.run();
