// Tensor transfer between RuntimeClient and the runtime server: the data channel (a plain socket
// beside gRPC) and the gRPC streams it falls back to. Real server processes, real sockets. The
// servers here offer no shared memory and the clients send no tensor over gRPC for being small, so
// that every transfer takes the route under test (test/shared-memory.test.ts has the others).
// Run: npx uvu -r tsx/cjs test transfer.test.ts

import { randomFillSync } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { stopProcess } from "./support/processes.js";
import {
  DataChannelError,
  RuntimeClient,
  RuntimeError,
  RuntimeProcess,
  byteSize,
  tensorDigest,
  type RuntimeProcessOptions,
  type XlaShape,
} from "../plugins/xla-local/index.js";
import { rejects } from "./support/rejects.js";

const processes: RuntimeProcess[] = [];
const clients: RuntimeClient[] = [];

async function startServer(options: RuntimeProcessOptions = {}): Promise<RuntimeProcess> {
  const p = await RuntimeProcess.start({ sharedMemory: false, ...options, client: { smallTensorBytes: 0, ...options.client } });
  processes.push(p);
  return p;
}

function clientOf(p: RuntimeProcess, options: ConstructorParameters<typeof RuntimeClient>[1] = {}): RuntimeClient {
  const c = new RuntimeClient(p.address, { token: p.token, smallTensorBytes: 0, ...options });
  clients.push(c);
  return c;
}

test.after(async () => {
  for (const c of clients) c.close();
  for (const p of processes) await p.close().catch(() => undefined);
});

/** Random bytes that are valid values of the element type (PRED: 0 or 1). */
function tensorBytes(shape: XlaShape): Uint8Array {
  const data = new Uint8Array(byteSize(shape));
  randomFillSync(data);
  if (shape.elementType === "PRED") for (let i = 0; i < data.length; i++) data[i]! &= 1;
  return data;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const SHAPES: XlaShape[] = [
  { elementType: "F32", dims: [5, 3, 2] },
  { elementType: "F64", dims: [] },
  { elementType: "BF16", dims: [17] },
  { elementType: "F16", dims: [2, 9] },
  { elementType: "PRED", dims: [3, 7] },
  { elementType: "S8", dims: [0] },
  { elementType: "U64", dims: [4, 0, 3] },
  { elementType: "C64", dims: [6] },
  { elementType: "S32", dims: [1000, 300] },
];

async function roundTrips(client: RuntimeClient, shapes: XlaShape[]): Promise<void> {
  for (const shape of shapes) {
    const data = tensorBytes(shape);
    const up = await client.transferIn(shape, data);
    assert.equal(up.shape, shape, `${shape.elementType}[${shape.dims}]: shape on the device`);
    assert.is(up.totalBytes, data.byteLength);
    const back = await client.transferOut(up.handle, { release: true });
    assert.equal(back.buffer.shape, shape);
    assert.is(back.data.byteLength, data.byteLength, `${shape.elementType}[${shape.dims}]: byte count`);
    assert.ok(sameBytes(back.data, data), `${shape.elementType}[${shape.dims}]: the bytes that came back differ`);
  }
}

for (const transport of ["unix", "tcp"] as const) {
  test(`every element type, scalars and empty arrays round-trip byte for byte over the data channel (${transport})`, async () => {
    const p = await startServer({ transport });
    const h = await p.client.health();
    assert.match(h.dataAddress, transport === "unix" ? /^unix:\/.*\.data\.sock$/ : /^127\.0\.0\.1:\d+$/);
    assert.is(h.serverVersion, "0.7.0");
    await roundTrips(p.client, SHAPES);
    assert.equal(p.client.route.counts, { sharedMemory: 0, dataChannel: 2 * SHAPES.length, grpc: 0 }, p.client.route.fallbackReason);
    const after = await p.client.health();
    assert.is(after.liveBuffers, 0);
    assert.is(after.pendingTransfers, 0);
    await p.close();
  });
}

test("a 320 MB tensor round-trips exactly over the Unix socket, and 64 MB over TCP", async () => {
  for (const [transport, bytes] of [["unix", 320_000_000], ["tcp", 64_000_000]] as const) {
    const p = await startServer({ transport });
    const shape: XlaShape = { elementType: "F32", dims: [bytes / 4 / 1000, 1000] };
    const data = tensorBytes(shape);
    const up = await p.client.transferIn(shape, data);
    assert.is(up.totalBytes, bytes);
    const back = await p.client.transferOut(up.handle, { release: true });
    assert.ok(sameBytes(back.data, data), `${transport}: ${bytes} bytes came back different`);
    assert.equal(p.client.route.counts, { sharedMemory: 0, dataChannel: 2, grpc: 0 });
    assert.is((await p.client.health()).liveBuffers, 0);
    await p.close();
  }
});

test("concurrent transfers each get their own bytes back", async () => {
  const p = await startServer();
  const shapes: XlaShape[] = Array.from({ length: 12 }, (_, i) => ({ elementType: i % 2 ? "F32" : "U8", dims: [(i + 1) * 100_003] }));
  const data = shapes.map(tensorBytes);
  const ups = await Promise.all(shapes.map((s, i) => p.client.transferIn(s, data[i]!)));
  const backs = await Promise.all(ups.map((u) => p.client.transferOut(u.handle, { release: true })));
  backs.forEach((b, i) => assert.ok(sameBytes(b.data, data[i]!), `tensor ${i} came back different`));
  assert.equal(p.client.route.counts, { sharedMemory: 0, dataChannel: 24, grpc: 0 });
  const h = await p.client.health();
  assert.is(h.liveBuffers, 0);
  assert.is(h.pendingTransfers, 0);
});

test("a wrong token, a used token, a wrong byte count and a stranger are refused; the server keeps serving", async () => {
  const p = await startServer();
  const client = p.client;
  const address = (await client.health()).dataAddress;
  const shape: XlaShape = { elementType: "S32", dims: [64] };
  const data = tensorBytes(shape);

  const ticket = await client.openTransferIn(shape, tensorDigest(data));
  assert.is(ticket.token.byteLength, 32);
  assert.ok(ticket.expiresInMs > 0);
  const forged = Buffer.from(ticket.token);
  forged[31] ^= 1;
  const wrong = await rejects((await client.connectDataChannel(address)).send(forged, data));
  assert.instance(wrong, DataChannelError);
  assert.is((wrong as DataChannelError).code, "PERMISSION_DENIED");
  assert.match(wrong.message, /unknown, used or expired data-channel token/);

  // The forged attempt did not use up the real ticket; the real one works once.
  const made = await (await client.connectDataChannel(address)).send(ticket.token, data);
  assert.match(made.buffer, /^buf-[0-9a-f]{32}$/);
  const used = await rejects((await client.connectDataChannel(address)).send(ticket.token, data));
  assert.is((used as DataChannelError).code, "PERMISSION_DENIED");

  const sized = await client.openTransferIn(shape, tensorDigest(data));
  const miscounted = await rejects((await client.connectDataChannel(address)).send(sized.token, data.subarray(4)));
  assert.is((miscounted as DataChannelError).code, "INVALID_ARGUMENT");
  assert.match(miscounted.message, /the ticket is for 256 bytes, the connection announced 252/);

  // Something that does not speak the protocol gets a refusal, not a hang or a crash.
  const stranger = await new Promise<Buffer>((resolve, reject) => {
    const s = connect(address.slice("unix:".length));
    const parts: Buffer[] = [];
    s.on("data", (d) => parts.push(d));
    s.on("end", () => resolve(Buffer.concat(parts)));
    s.on("error", reject);
    s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".padEnd(44, " "));
  });
  assert.match(stranger.toString("latin1"), /INVALID_ARGUMENT.*not a tpu-build data-channel client/s);

  // The server-side checks of OpenTransfer* are gRPC errors, as for the streaming RPCs.
  const badOut = await rejects(client.openTransferOut("buf-424242"));
  assert.is((badOut as RuntimeError).code, "NOT_FOUND");

  const h = await client.health();
  assert.ok(h.serving);
  assert.is(h.pendingTransfers, 0);
  const back = await client.transferOut(made.buffer, { release: true });
  assert.ok(sameBytes(back.data, data));
  assert.is((await client.health()).liveBuffers, 0);
});

/** The server's resident memory, in bytes. */
function residentBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(kb![1]) * 1024;
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.unreachable(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a transfer cut off midway is dropped whole: no buffer, no memory kept, the server healthy", async () => {
  const p = await startServer();
  const client = p.client;
  const address = (await client.health()).dataAddress;
  const shape: XlaShape = { elementType: "U8", dims: [200_000_000] };
  const half = new Uint8Array(100_000_000).fill(7);
  const before = residentBytes(p.pid);
  for (let i = 0; i < 3; i++) {
    const ticket = await client.openTransferIn(shape, new Uint8Array(32));
    const connection = await client.connectDataChannel(address);
    const socket = connection.rawSocket;
    const preamble = Buffer.alloc(44);
    preamble.write("TPBD", 0, "latin1");
    preamble.set(ticket.token, 4);
    preamble.writeBigUInt64LE(200_000_000n, 36);
    socket.write(preamble);
    await new Promise<void>((resolve, reject) => socket.write(half, (e) => (e ? reject(e) : resolve())));
    connection.destroy();
    await eventually("the server forgets the cut-off transfer", async () => (await client.health()).pendingTransfers === 0);
  }
  const h = await client.health();
  assert.ok(h.serving);
  assert.is(h.liveBuffers, 0);
  // Each attempt had received 100 MB; kept, they would add 300 MB.
  const grown = residentBytes(p.pid) - before;
  assert.ok(grown < 100_000_000, `the server's memory grew by ${grown} bytes after three cut-off transfers`);
  assert.match(p.stderrTail(), /connection closed after \d+ of 200000000 bytes/);
  // And it still transfers.
  await roundTrips(client, [{ elementType: "F32", dims: [1024, 1024] }]);
});

test("a stalled data connection fails after the idle timeout instead of hanging; the server recovers", async () => {
  const p = await startServer();
  const client = clientOf(p, { dataIdleTimeoutMs: 500 });
  const address = (await client.health()).dataAddress;
  const shape: XlaShape = { elementType: "F32", dims: [1 << 20] };
  const data = tensorBytes(shape);
  const buffer = await client.transferIn(shape, data);
  const ticket = await client.openTransferOut(buffer.handle);
  const connection = await client.connectDataChannel(address);
  await stopProcess(p.pid);
  try {
    const stalled = await rejects(connection.receive(ticket.token, data.byteLength));
    assert.is((stalled as DataChannelError).code, "DEADLINE_EXCEEDED");
    assert.match(stalled.message, /no progress for 500 ms/);
  } finally {
    process.kill(p.pid, "SIGCONT");
  }
  await eventually("the server drops the abandoned transfer", async () => (await client.health()).pendingTransfers === 0);
  // The buffer was not released by the failed transfer out; a new one brings it back whole.
  const back = await client.transferOut(buffer.handle, { release: true });
  assert.ok(sameBytes(back.data, data));
});

test("an unused ticket expires", async () => {
  const p = await startServer({ dataTicketTtlSeconds: 0.2 });
  const client = p.client;
  const address = (await client.health()).dataAddress;
  const shape: XlaShape = { elementType: "F64", dims: [8] };
  const data = tensorBytes(shape);
  const ticket = await client.openTransferIn(shape, tensorDigest(data));
  assert.is(ticket.expiresInMs, 200);
  assert.is((await client.health()).pendingTransfers, 1);
  await eventually("the ticket expires", async () => (await client.health()).pendingTransfers === 0);
  const late = await rejects((await client.connectDataChannel(address)).send(ticket.token, data));
  assert.is((late as DataChannelError).code, "PERMISSION_DENIED");
});

test("without a data channel on the server, tensors stream over gRPC in chunks, byte for byte", async () => {
  const p = await startServer({ dataChannel: false, transport: "tcp" });
  assert.is((await p.client.health()).dataAddress, "");
  assert.is(p.ready.data_address, "");
  await roundTrips(p.client, [...SHAPES, { elementType: "F32", dims: [5_000_000] }]);
  assert.equal(p.client.route.counts, { sharedMemory: 0, dataChannel: 0, grpc: 2 * (SHAPES.length + 1) });
  assert.match(p.client.route.fallbackReason ?? "", /offers no data channel/);
  const refused = await rejects(p.client.openTransferIn({ elementType: "F32", dims: [2] }, new Uint8Array(32)));
  assert.is((refused as RuntimeError).code, "FAILED_PRECONDITION");
});

test("when the data channel cannot be reached, transfers fall back to gRPC and the ticket expires", async () => {
  const p = await startServer({ dataTicketTtlSeconds: 0.5 });
  const address = (await p.client.health()).dataAddress;
  unlinkSync(address.slice("unix:".length));
  const client = clientOf(p);
  const shape: XlaShape = { elementType: "S64", dims: [3, 1000] };
  const data = tensorBytes(shape);
  const up = await client.transferIn(shape, data);
  assert.match(client.route.fallbackReason ?? "", /cannot be reached.*ENOENT/);
  const back = await client.transferOut(up.handle, { release: true });
  assert.ok(sameBytes(back.data, data));
  assert.equal(client.route.counts, { sharedMemory: 0, dataChannel: 0, grpc: 2 });
  await eventually("the unpresented ticket expires", async () => (await client.health()).pendingTransfers === 0);
});

test("a client told not to use the data channel streams over gRPC, and the two routes agree", async () => {
  const p = await startServer();
  const streaming = clientOf(p, { dataChannel: false });
  const shape: XlaShape = { elementType: "BF16", dims: [3, 1 << 20] }; // 6 MiB: two chunks
  const data = tensorBytes(shape);
  // Each client has its own session: each route round-trips the same bytes.
  for (const client of [streaming, p.client]) {
    const up = await client.transferIn(shape, data);
    assert.ok(sameBytes((await client.transferOut(up.handle, { release: true })).data, data));
  }
  assert.equal(streaming.route.counts, { sharedMemory: 0, dataChannel: 0, grpc: 2 });
  assert.equal(p.client.route.counts, { sharedMemory: 0, dataChannel: 2, grpc: 0 });
});

test("bytes that do not match their digest are refused on both routes and nothing is kept", async () => {
  const p = await startServer();
  const shape: XlaShape = { elementType: "F32", dims: [1000] };
  const data = tensorBytes(shape);
  const wrongDigest = tensorDigest(tensorBytes(shape));
  const address = (await p.client.health()).dataAddress;
  const ticket = await p.client.openTransferIn(shape, wrongDigest);
  const viaData = await rejects((await p.client.connectDataChannel(address)).send(ticket.token, data));
  assert.is((viaData as DataChannelError).code, "DATA_LOSS");
  assert.match(viaData.message, /do not have the SHA-256 the ticket announced/);
  // The streaming route's header carries the digest too.
  const missing = await rejects(p.client.openTransferIn(shape, new Uint8Array(0)));
  assert.is((missing as RuntimeError).code, "INVALID_ARGUMENT");
  assert.match(missing.message, /SHA-256/);
  const h = await p.client.health();
  assert.is(h.liveBuffers, 0);
  assert.is(h.sessionBytes, 0);
});

/** Speaks the data channel by hand: the preamble for `token` and `count` bytes, then `parts` and a half-close; what the server answered. */
function exchangeByHand(address: string, token: Uint8Array, count: number, parts: Uint8Array[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(address.slice("unix:".length));
    const answer: Buffer[] = [];
    s.on("data", (d) => answer.push(d));
    s.on("end", () => resolve(Buffer.concat(answer).toString("latin1")));
    s.on("error", reject);
    const preamble = Buffer.alloc(44);
    preamble.write("TPBD", 0, "latin1");
    preamble.set(token, 4);
    preamble.writeBigUInt64LE(BigInt(count), 36);
    s.write(preamble);
    for (const part of parts) s.write(part);
    s.end();
  });
}

test("with the digest after the bytes, a wrong or missing one is refused and nothing is kept; out, it follows the bytes", async () => {
  const p = await startServer();
  const client = p.client;
  const h = await client.health();
  assert.ok(h.digestAfter);
  const shape: XlaShape = { elementType: "F32", dims: [1000] };
  const data = tensorBytes(shape);
  const wrong = await client.openTransferIn(shape, new Uint8Array(0), { digestAfter: true });
  assert.match(await exchangeByHand(h.dataAddress, wrong.token, data.byteLength, [data, tensorDigest(tensorBytes(shape))]), /DATA_LOSS.*do not have the SHA-256/s);
  const missing = await client.openTransferIn(shape, new Uint8Array(0), { digestAfter: true });
  assert.match(await exchangeByHand(h.dataAddress, missing.token, data.byteLength, [data]), /DATA_LOSS.*before their SHA-256/s);
  const after = await client.health();
  assert.is(after.liveBuffers, 0);
  assert.is(after.sessionBytes, 0);
  assert.is(after.pendingTransfers, 0);
  // The right digest after the bytes makes the buffer; out, the server's follows the bytes.
  const right = await client.openTransferIn(shape, new Uint8Array(0), { digestAfter: true });
  const made = await (await client.connectDataChannel(h.dataAddress)).send(right.token, data, { digestAfter: true });
  const out = await client.openTransferOut(made.buffer, { release: true, digestAfter: true });
  const back = await (await client.connectDataChannel(h.dataAddress)).receive(out.token, data.byteLength, { digestAfter: true });
  assert.ok(sameBytes(back.data, data));
  assert.equal([...back.sha256], [...tensorDigest(data)]);
  assert.equal([...back.digest], [...tensorDigest(data)]);
  await eventually("the buffer is released after its last byte and digest", async () => (await client.health()).liveBuffers === 0);
});

test.run();
