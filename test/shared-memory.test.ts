// Tensors through shared memory: a local target's own runtime server hands the client memfds of
// its own (runtime/shared_memory.py, plugins/xla-local/shared-memory.ts). Values against NumPy's,
// who can open a region (only this user, only the memfd the reply names), and what is left after
// a client is killed with SIGKILL (nothing). Real servers, real processes.
// Run: npx uvu -r tsx/cjs test shared-memory

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { RuntimeClient, RuntimeError, RuntimeProcess, SharedMemoryError, openRegion, runtimeLocation, type XlaShape } from "../plugins/xla-local/index.js";
import { runPython } from "./support/jax.js";
import { testWhenAvailable } from "./support/outputs.js";
import { rejects } from "./support/rejects.js";

const location = runtimeLocation();
let server: RuntimeProcess;
const clients: RuntimeClient[] = [];
const TTL_SECONDS = 1;

test.before(async () => {
  server = await RuntimeProcess.start({ dataTicketTtlSeconds: TTL_SECONDS });
});

test.after(async () => {
  for (const c of clients) c.close();
  await server?.close();
});

function otherClient(options: ConstructorParameters<typeof RuntimeClient>[1] = {}): RuntimeClient {
  const c = new RuntimeClient(server.address, { token: server.token, sharedMemory: { serverPid: server.pid }, ...options });
  clients.push(c);
  return c;
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** The memfds named `name` that some process on this machine still holds. */
function holders(name: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `/memfd:${name} (deleted)`) found.push(`${pid}/${fd}`);
      } catch {
        // closed meanwhile
      }
    }
  }
  return found;
}

async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.unreachable(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a local target's server takes tensors through shared memory and gives them back; a module's results equal NumPy's", async () => {
  const ref = await runPython<{ module: string; x: string; out: string }>(`
rng = np.random.default_rng(11)
x = rng.standard_normal((384, 512)).astype(np.float32)
emit({"module": base64.b64encode(jax.jit(lambda a: a * 2 + 1).lower(x).compiler_ir("hlo").as_serialized_hlo_module_proto()).decode(),
      "x": base64.b64encode(x.tobytes()).decode(), "out": base64.b64encode((x * 2 + 1).tobytes()).decode()})
`);
  const c = server.client;
  assert.ok((await c.health()).sharedMemory);
  const module = Buffer.from(ref.module, "base64");
  const exe = await c.compile(module, sha256(module));
  const x = new Uint8Array(Buffer.from(ref.x, "base64"));
  const up = await c.transferIn({ elementType: "F32", dims: [384, 512] }, x);
  const { results } = await c.execute(exe.handle, [up.handle]);
  const back = await c.transferOut(up.handle, { release: true });
  assert.is(sha256(back.data), sha256(x), "the input came back changed");
  const out = new Float32Array((await c.transferOut(results[0]!.handle, { release: true })).data.slice().buffer);
  const want = new Float32Array(new Uint8Array(Buffer.from(ref.out, "base64")).buffer);
  assert.is(out.length, want.length);
  for (let i = 0; i < out.length; i++) if (out[i] !== want[i]) assert.unreachable(`result[${i}]: ${out[i]} vs NumPy ${want[i]}`);
  // Every element type's bytes, an empty array and a scalar (clients that send nothing over gRPC for being small).
  const exact = otherClient({ smallTensorBytes: 0 });
  const shapes: XlaShape[] = [
    { elementType: "BF16", dims: [3, 70_001] },
    { elementType: "C128", dims: [5000] },
    { elementType: "PRED", dims: [100_000] },
    { elementType: "S8", dims: [0] },
    { elementType: "F64", dims: [] },
  ];
  for (const shape of shapes) {
    const n = shape.dims.reduce((a, b) => a * b, 1) * { BF16: 2, C128: 16, PRED: 1, S8: 1, F64: 8 }[shape.elementType as "BF16"];
    const data = new Uint8Array(n).map((_, i) => (shape.elementType === "PRED" ? i & 1 : (i * 2654435761) >>> 24));
    const b = await exact.transferIn(shape, data);
    const r = await exact.transferOut(b.handle, { release: true });
    assert.equal(r.buffer.shape, shape);
    assert.is(sha256(r.data), sha256(data), `${shape.elementType}[${shape.dims}]`);
  }
  await c.release({ executables: [exe.handle] });
  assert.equal(c.route.counts, { sharedMemory: 3, dataChannel: 0, grpc: 0 }, c.route.sharedMemoryFallbackReason);
  assert.equal(exact.route.counts, { sharedMemory: 2 * shapes.length, dataChannel: 0, grpc: 0 }, exact.route.sharedMemoryFallbackReason);
  const h = await c.health();
  assert.is(h.liveBuffers, 0);
  assert.is(h.pendingTransfers, 0, "every region was finished or closed");
});

test("a region is the memfd its reply names, in the server's process, reachable by no path, finished only by its session", async () => {
  const c = server.client;
  const shape: XlaShape = { elementType: "U8", dims: [1 << 20] };
  const region = await c.openSharedTransferIn(shape);
  assert.match(region.name, /^tpu-build-[0-9a-f]{32}$/);
  assert.is(region.pid, server.pid);
  assert.is(readlinkSync(`/proc/${region.pid}/fd/${region.fd}`), `/memfd:${region.name} (deleted)`, "a memfd: no file in any directory");
  const fdDir = statSync(`/proc/${region.pid}/fd`);
  assert.is(fdDir.uid, process.getuid!(), "the server's descriptors are its owner's");
  assert.is(fdDir.mode & 0o777, 0o500, "and no one else's");
  for (const dir of ["/dev/shm", join(server.address.slice("unix:".length), "..")]) {
    assert.not.ok(readdirSync(dir).some((n) => n.includes(region.name)), `${dir} holds a file of the region`);
  }
  // A reply that names another process, or another descriptor of the server, is refused before a byte moves.
  const elsewhere = await rejects(openRegion({ ...region, pid: process.pid }, server.pid, "write", 1 << 20));
  assert.instance(elsewhere, SharedMemoryError);
  assert.match(elsewhere.message, /not the runtime server's/);
  const other = await c.openSharedTransferIn(shape);
  const notIt = await rejects(openRegion({ ...region, fd: other.fd }, server.pid, "write", 1 << 20));
  assert.match(notIt.message, new RegExp(`fd/${other.fd} is "/memfd:${other.name} \\(deleted\\)", not the memfd ${region.name}; refused`));
  // Another session cannot finish it; its own can, once.
  const stranger = await rejects(otherClient().finishSharedTransferIn(region.name));
  assert.is((stranger as RuntimeError).code, "NOT_FOUND");
  const file = await openRegion(region, server.pid, "write", 1 << 20);
  await file.write(new Uint8Array(1 << 20).fill(9), 0, 1 << 20, 0);
  await file.close();
  const made = await c.finishSharedTransferIn(region.name);
  assert.is((await rejects(c.finishSharedTransferIn(region.name)) as RuntimeError).code, "NOT_FOUND");
  assert.ok((await c.transferOut(made.handle, { release: true })).data.every((b) => b === 9));
  assert.is(holders(region.name).length, 0, "the server closed the memfd once it had mapped it");
});

const runsAsRoot = process.getuid?.() === 0 && existsSync("/usr/bin/setpriv");
testWhenAvailable(test, runsAsRoot ? undefined : "switching to another user needs root and setpriv")(
  "another user cannot open a region, to read or to write",
  async () => {
    const region = await server.client.openSharedTransferIn({ elementType: "U8", dims: [4096] });
    const path = `/proc/${region.pid}/fd/${region.fd}`;
    for (const flags of ["r", "w"]) {
      const r = spawnSync("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", `require("fs").openSync(${JSON.stringify(path)}, "${flags}")`], { encoding: "utf8", timeout: 30_000 });
      assert.is.not(r.status, 0, `user 65534 opened ${path} for ${flags}`);
      assert.match(r.stderr, /EACCES|EPERM/);
    }
  },
);

async function killedClient(env: Record<string, string>): Promise<{ serverPid: number; name: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(location.root, "test", "fixtures", "runtime", "shared-memory-client.ts")], {
    cwd: location.root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
    timeout: 300_000,
    killSignal: "SIGKILL",
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  try {
    const opened = await new Promise<{ serverPid: number; name: string; fd: number }>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        try {
          resolve(JSON.parse(line) as { serverPid: number; name: string; fd: number });
        } catch {
          // not our line
        }
      });
      child.once("exit", (code) => reject(new Error(`shared-memory-client exited (${code}): ${stderr}`)));
    });
    assert.ok(holders(opened.name).includes(`${opened.serverPid}/${opened.fd}`), "the server holds the region while the client writes");
    return opened;
  } finally {
    child.kill("SIGKILL");
  }
}

test("a client killed with SIGKILL in the middle of a transfer leaves no shared memory: its own server dies, a shared server frees it", async () => {
  // As `tpu-build build` does: the CLI's own server goes with it, and its memfds with the server.
  const own = await killedClient({});
  await eventually("the dead CLI's server exits", () => !existsSync(`/proc/${own.serverPid}`));
  assert.equal(holders(own.name), []);
  // As a build through the daemon: the server lives on, and frees the region when its time is up.
  const shared = await killedClient({ TPU_BUILD_TEST_ADDRESS: server.address, TPU_BUILD_TEST_TOKEN: server.token, TPU_BUILD_TEST_SERVER_PID: String(server.pid) });
  assert.is(shared.serverPid, server.pid);
  await eventually("the server frees the abandoned region", () => holders(shared.name).length === 0);
  await eventually("the server says so", () => /shared memory: a region in of 67108864 bytes was not finished in time; freed/.test(server.stderrTail()));
  assert.is((await server.client.health()).pendingTransfers, 0);
});

test.run();
