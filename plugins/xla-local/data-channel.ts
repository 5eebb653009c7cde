// The client side of the runtime's data channel: tensor bytes over a plain stream socket beside
// gRPC (proto/runtime.proto describes the exchange; runtime/data_channel.py is the server side).
//
// gRPC issues the ticket; here a connection presents its token and moves the bytes. Outgoing
// tensors are written from the caller's memory (no copy in Node); incoming ones are read straight
// into one preallocated array. Either way the bytes are hashed as they go: with a ticket whose
// SHA-256 follows the bytes (`digestAfter`), hashing overlaps the other side's work instead of
// coming before the first byte or after the last.

import { createHash, type Hash } from "node:crypto";
import { connect, type NetConnectOpts, type Socket } from "node:net";
import { connect as connectTls, createSecureContext, type ConnectionOptions, type SecureContext } from "node:tls";
import protobuf from "protobufjs";
import type { BufferInfo__Output } from "./generated/tpubuild/runtime/BufferInfo.js";
import type { DataChannelReply__Output } from "./generated/tpubuild/runtime/DataChannelReply.js";
import type { RuntimeTls } from "./runtime-client.js";
import { runtimeLocation } from "./runtime-location.js";

export const DATA_CHANNEL_MAGIC = Buffer.from("TPBD", "latin1");
export const TOKEN_BYTES = 32;
/** magic, token, byte count (uint64 little-endian). */
const PREAMBLE_BYTES = DATA_CHANNEL_MAGIC.length + TOKEN_BYTES + 8;
/** Reply frames are a BufferInfo or an error message; anything longer is not our server. */
const MAX_REPLY_BYTES = 1 << 20;
/**
 * Outgoing bytes are handed to the socket in slices this large, each after the previous drained;
 * a slice is hashed while the kernel's buffer passes it on to the server.
 */
const WRITE_SLICE_BYTES = 4 << 20;
/** A SHA-256, as it follows a tensor's bytes on a `digestAfter` connection. */
const DIGEST_BYTES = 32;
/** Incoming bytes are hashed once this many have arrived (a TLS read is one 16 KiB record: one update per record would cost more than the hashing). */
const HASH_STEP_BYTES = 1 << 20;

/** A failed exchange: `code` is the gRPC status name the server gave, or UNAVAILABLE / DATA_LOSS for a broken connection. */
export class DataChannelError extends Error {
  constructor(
    readonly code: string,
    readonly details: string,
  ) {
    super(details);
    this.name = "DataChannelError";
  }
}

let replyType: protobuf.Type | undefined;

function decodeReply(bytes: Uint8Array): DataChannelReply__Output {
  replyType ??= protobuf.loadSync(runtimeLocation().proto).lookupType("tpubuild.runtime.DataChannelReply");
  // The same conversions as PROTO_LOADER_OPTIONS, so the object has the generated __Output type.
  return replyType.toObject(replyType.decode(bytes), { longs: Number, enums: String, defaults: true, oneofs: true }) as DataChannelReply__Output;
}

/**
 * Where to connect for an advertised data address ("unix:/path" or "HOST:PORT"). A wildcard host
 * (a server listening on every interface) means the host the gRPC channel reaches.
 */
export function dataConnectOptions(advertised: string, grpcAddress: string): NetConnectOpts {
  if (advertised.startsWith("unix:")) return { path: advertised.slice("unix:".length) };
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(advertised);
  if (!m) throw new DataChannelError("INVALID_ARGUMENT", `cannot parse the data address ${JSON.stringify(advertised)}`);
  let host = m[1]!;
  if (host === "0.0.0.0" || host === "::" || host === "") host = /^\[?(.*?)\]?:\d+$/.exec(grpcAddress)?.[1] ?? "127.0.0.1";
  return { host, port: Number(m[2]) };
}

/**
 * One SecureContext per client's TLS settings: building one parses the CA and key PEMs, which cost
 * more than a small tensor's whole transfer when every data connection made its own.
 */
const secureContexts = new WeakMap<RuntimeTls, SecureContext>();

function secureContextOf(tls: RuntimeTls): SecureContext {
  let context = secureContexts.get(tls);
  if (!context) {
    context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" });
    secureContexts.set(tls, context);
  }
  return context;
}

/**
 * The last TLS session each server (by address) gave this client's TLS settings: offered on the
 * next data connection, it is resumed instead of a full handshake (no certificate to send, sign
 * or verify), which was most of what TLS cost a tensor of a few MB.
 */
const tlsSessions = new WeakMap<RuntimeTls, Map<string, Buffer>>();

function tlsSessionsOf(tls: RuntimeTls): Map<string, Buffer> {
  let sessions = tlsSessions.get(tls);
  if (!sessions) tlsSessions.set(tls, (sessions = new Map()));
  return sessions;
}

/**
 * The buffer every data connection reads into. One is enough: net calls onread's callback right
 * after each read, before any other read, and the callback copies the bytes out. (A fresh 1 MiB
 * buffer per connection made V8 collect garbage about once per transfer, ~1 ms each.)
 */
let sharedReadBuffer: Buffer | undefined;

/** A target array being filled: bytes [0, offset) have arrived, [0, hashed) went into `hash`. */
interface Sink {
  target: Uint8Array;
  offset: number;
  hash: Hash;
  hashed: number;
}

/**
 * Bytes as they arrive, read either as exact-length pieces (reply frames) or into a target array.
 * No allocation per read and no stream machinery (net's `onread`), which otherwise cost Node more
 * than the bytes themselves: while a target is being filled and nothing else is pending, the socket
 * reads straight into the target's unfilled part (nextBuffer); otherwise into a reused buffer,
 * from which the bytes are copied.
 */
class ConnectionReader {
  readonly readBuffer = (sharedReadBuffer ??= Buffer.allocUnsafe(1 << 20));
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private sink: Sink | undefined;
  private wake: (() => void) | undefined;
  private failure: DataChannelError | undefined;
  private ended = false;

  /**
   * net's `onread.buffer`, asked after every read for where the next one goes: the unfilled part of
   * the target (never more, so nothing past the tensor lands in it), or readBuffer.
   */
  nextBuffer(): Uint8Array {
    const sink = this.sink;
    if (sink && this.buffered === 0 && sink.offset < sink.target.byteLength) return sink.target.subarray(sink.offset);
    return this.readBuffer;
  }

  /** net's `onread.callback`: `n` bytes were read into `buffer` (readBuffer, or what nextBuffer gave). */
  received(n: number, buffer: Uint8Array): boolean {
    const sink = this.sink;
    if (buffer !== this.readBuffer) {
      // Straight into the target: nextBuffer gave its unfilled part while this sink was filling.
      sink!.offset += n;
      this.hashArrived(sink!);
      this.notify();
      return true;
    }
    let k = 0;
    if (sink && this.buffered === 0) {
      k = Math.min(n, sink.target.byteLength - sink.offset);
      // Buffer#copy takes a target and offsets: no view object per read (under TLS a read is one
      // 16 KiB record, tens of thousands per large tensor).
      this.readBuffer.copy(sink.target, sink.offset, 0, k);
      sink.offset += k;
      this.hashArrived(sink);
    }
    if (k < n) this.push(Buffer.from(this.readBuffer.subarray(k, n))); // a copy: readBuffer is reused
    this.notify();
    return true;
  }

  /** Hashes what arrived since the last step, once a step's worth has (or all of it has). */
  private hashArrived(sink: Sink): void {
    if (sink.offset - sink.hashed < HASH_STEP_BYTES && sink.offset < sink.target.byteLength) return;
    sink.hash.update(sink.target.subarray(sink.hashed, sink.offset));
    sink.hashed = sink.offset;
  }

  attach(socket: Socket): void {
    socket.on("end", () => {
      this.ended = true;
      this.notify();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      this.failure ??= new DataChannelError("UNAVAILABLE", `the data connection failed: ${e.code ?? e.message}`);
      this.notify();
    });
    socket.on("close", () => {
      this.ended = true;
      this.notify();
    });
  }

  fail(error: DataChannelError): void {
    this.failure ??= error;
    this.notify();
  }

  get broken(): DataChannelError | undefined {
    return this.failure;
  }

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private until(ready: () => boolean, what: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (ready()) return resolve();
        if (this.failure) return reject(this.failure);
        if (this.ended) return reject(new DataChannelError("DATA_LOSS", `the data connection closed ${what()}`));
        this.wake = check;
      };
      check();
    });
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks.length = 0;
    if (all.byteLength > n) this.chunks.push(all.subarray(n));
    this.buffered = all.byteLength - n;
    return all.subarray(0, n);
  }

  /** The next `n` bytes. */
  async bytes(n: number, when: string): Promise<Buffer> {
    await this.until(() => this.buffered >= n, () => `${when}, after ${this.buffered} of ${n} bytes`);
    return Buffer.from(this.take(n)); // its own bytes: take's may share a read with what follows
  }

  /** The next reply frame; a reply carrying an error becomes a DataChannelError. */
  async reply(when: string): Promise<DataChannelReply__Output> {
    await this.until(() => this.buffered >= 4, () => `${when}, before the server's reply`);
    const length = this.take(4).readUInt32LE(0);
    if (length > MAX_REPLY_BYTES) throw new DataChannelError("INTERNAL", `a reply frame of ${length} bytes: the peer is not a tpu-build data channel`);
    await this.until(() => this.buffered >= length, () => `${when}, in the middle of the server's reply`);
    const reply = decodeReply(this.take(length));
    if (reply.errorCode) throw new DataChannelError(reply.errorCode, reply.errorMessage);
    return reply;
  }

  /** Fills `target` with the next bytes (those already read, then the socket's); their SHA-256. */
  async readInto(target: Uint8Array): Promise<Buffer> {
    const head = this.buffered > 0 ? this.take(Math.min(this.buffered, target.byteLength)) : undefined;
    if (head) target.set(head, 0);
    const sink: Sink = { target, offset: head?.byteLength ?? 0, hash: createHash("sha256"), hashed: 0 };
    this.hashArrived(sink);
    this.sink = sink;
    try {
      await this.until(() => sink.offset === target.byteLength, () => `after ${sink.offset} of ${target.byteLength} bytes`);
    } finally {
      this.sink = undefined;
    }
    return sink.hash.digest();
  }
}

/** A connection to the data channel, with its preamble sent: the token and byte count. */
export class DataConnection {
  private constructor(
    private readonly socket: Socket,
    private readonly reader: ConnectionReader,
  ) {}

  /**
   * Connects (failing with UNAVAILABLE after `connectTimeoutMs`), under TLS when `tls` is given (the
   * server's data channel speaks it when its gRPC does); a connection that then makes no progress
   * for `idleTimeoutMs` fails with DEADLINE_EXCEEDED.
   */
  static open(options: NetConnectOpts, timeouts: { connectTimeoutMs: number; idleTimeoutMs: number; tls?: RuntimeTls }): Promise<DataConnection> {
    return new Promise((resolve, reject) => {
      const reader = new ConnectionReader();
      const onread = { buffer: () => reader.nextBuffer(), callback: (n: number, buffer: Uint8Array) => reader.received(n, buffer) };
      const tls = timeouts.tls;
      const server = "port" in options ? `${options.host}:${options.port}` : String(options.path);
      const socket: Socket = tls
        ? // tls.connect takes net's onread too (Node's docs), though @types/node does not list it.
          connectTls({ ...(options as { host: string; port: number }), onread, secureContext: secureContextOf(tls), servername: tls.serverName, session: tlsSessionsOf(tls).get(server) } as ConnectionOptions)
        : connect({ ...options, onread });
      if (tls) socket.on("session", (session: Buffer) => tlsSessionsOf(tls).set(server, session));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new DataChannelError("UNAVAILABLE", `no connection to the data channel within ${timeouts.connectTimeoutMs} ms`));
      }, timeouts.connectTimeoutMs);
      socket.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new DataChannelError("UNAVAILABLE", `cannot connect to the data channel: ${e.code ?? e.message}`));
      });
      socket.once(tls ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        if ("port" in options) socket.setNoDelay(true); // reply frames are small and waited for
        reader.attach(socket);
        const connection = new DataConnection(socket, reader);
        socket.setTimeout(timeouts.idleTimeoutMs, () => {
          connection.reader.fail(new DataChannelError("DEADLINE_EXCEEDED", `the data connection made no progress for ${timeouts.idleTimeoutMs} ms`));
          socket.destroy();
        });
        resolve(connection);
      });
    });
  }

  private present(token: Uint8Array, byteCount: number): void {
    if (token.byteLength !== TOKEN_BYTES) throw new DataChannelError("INVALID_ARGUMENT", `a data-channel token has ${TOKEN_BYTES} bytes, got ${token.byteLength}`);
    const preamble = Buffer.alloc(PREAMBLE_BYTES);
    DATA_CHANNEL_MAGIC.copy(preamble, 0);
    preamble.set(token, DATA_CHANNEL_MAGIC.length);
    preamble.writeBigUInt64LE(BigInt(byteCount), DATA_CHANNEL_MAGIC.length + TOKEN_BYTES);
    this.socket.write(preamble);
  }

  /** Writes `data`, each slice going into `hash` (when given) while the socket sends it. */
  private async write(data: Uint8Array, hash?: Hash): Promise<void> {
    for (let offset = 0; offset < data.byteLength; offset += WRITE_SLICE_BYTES) {
      if (this.reader.broken) throw this.reader.broken;
      if (this.socket.destroyed) throw new DataChannelError("DATA_LOSS", `the data connection closed after ${offset} of ${data.byteLength} bytes were handed to it`);
      const slice = Buffer.from(data.buffer, data.byteOffset + offset, Math.min(WRITE_SLICE_BYTES, data.byteLength - offset));
      const flushed = this.socket.write(slice);
      hash?.update(slice);
      if (!flushed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            this.socket.off("drain", done).off("close", done);
            resolve();
          };
          this.socket.on("drain", done).on("close", done);
        });
      }
    }
  }

  /**
   * Sends a tensor's bytes under `token`, followed by their SHA-256 when the ticket is `digestAfter`;
   * resolves with the device buffer the server made of them.
   */
  async send(token: Uint8Array, data: Uint8Array, options: { digestAfter?: boolean } = {}): Promise<BufferInfo__Output> {
    try {
      this.present(token, data.byteLength);
      await this.reader.reply("after the token");
      const hash = options.digestAfter ? createHash("sha256") : undefined;
      await this.write(data, hash);
      if (hash) this.socket.write(hash.digest());
      const done = await this.reader.reply(`after all ${data.byteLength} bytes were sent`);
      if (!done.buffer) throw new DataChannelError("INTERNAL", "the server's reply has no buffer");
      return done.buffer;
    } finally {
      this.socket.destroy();
    }
  }

  /**
   * Receives `totalBytes` under `token` into a new array, with the SHA-256 the server announced for
   * them (`sha256`: in its acceptance, or after the bytes when the ticket is `digestAfter`) and
   * theirs as received (`digest`), for the caller to compare.
   */
  async receive(token: Uint8Array, totalBytes: number, options: { digestAfter?: boolean } = {}): Promise<{ buffer: BufferInfo__Output; data: Uint8Array; sha256: Uint8Array; digest: Buffer }> {
    try {
      this.present(token, totalBytes);
      const accepted = await this.reader.reply("after the token");
      if (!accepted.buffer) throw new DataChannelError("INTERNAL", "the server's reply has no buffer");
      if (accepted.buffer.totalBytes !== totalBytes) throw new DataChannelError("INTERNAL", `the server announced ${accepted.buffer.totalBytes} bytes, the ticket ${totalBytes}`);
      const data = new Uint8Array(totalBytes);
      const digest = await this.reader.readInto(data);
      const sha256 = options.digestAfter ? await this.reader.bytes(DIGEST_BYTES, `after all ${totalBytes} bytes, before their SHA-256`) : accepted.sha256;
      return { buffer: accepted.buffer, data, sha256, digest };
    } finally {
      this.socket.destroy();
    }
  }

  /** Closes without finishing (tests of the server's handling of abandoned transfers use it). */
  destroy(): void {
    this.socket.destroy();
  }

  /** The raw socket, for tests that speak the protocol wrongly on purpose. */
  get rawSocket(): Socket {
    return this.socket;
  }
}
