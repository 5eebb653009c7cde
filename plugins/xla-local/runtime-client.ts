// A typed client of the runtime service (proto/runtime.proto), over @grpc/grpc-js.
//
// It speaks XLA shapes (row-major dims); Julia order lives in the target session above it.
// Tensors take the server's data channel (data-channel.ts: a plain socket beside gRPC, which moves
// hundreds of MB at socket speed) whenever the server offers one and it can be reached; otherwise
// they stream over gRPC in chunks of at most 4 MiB. Message limits are raised for those chunks and
// for Compile, whose modules can embed large constants.

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ProtoGrpcType } from "./generated/runtime.js";
import type { BufferInfo__Output } from "./generated/tpubuild/runtime/BufferInfo.js";
import type { CompileResponse__Output } from "./generated/tpubuild/runtime/CompileResponse.js";
import type { DataTicket__Output } from "./generated/tpubuild/runtime/DataTicket.js";
import type { DeviceInfoResponse__Output } from "./generated/tpubuild/runtime/DeviceInfoResponse.js";
import type { ExecuteResponse__Output } from "./generated/tpubuild/runtime/ExecuteResponse.js";
import type { HealthResponse__Output } from "./generated/tpubuild/runtime/HealthResponse.js";
import type { ReleaseResponse__Output } from "./generated/tpubuild/runtime/ReleaseResponse.js";
import type { ShutdownResponse__Output } from "./generated/tpubuild/runtime/ShutdownResponse.js";
import type { RuntimeClient as GeneratedClient } from "./generated/tpubuild/runtime/Runtime.js";
import type { TransferInChunk } from "./generated/tpubuild/runtime/TransferInChunk.js";
import type { TransferOutChunk__Output } from "./generated/tpubuild/runtime/TransferOutChunk.js";
import { DataChannelError, DataConnection, dataConnectOptions } from "./data-channel.js";
import { runtimeLocation } from "./runtime-location.js";
import { byteSize, describeXla, type XlaShape } from "./tensor-layout.js";

export const MAX_CHUNK_BYTES = 4 << 20;
const MAX_MESSAGE_BYTES = 1 << 30;
const FLOW_CONTROL_WINDOW_BYTES = 16 << 20;

/** The loader options that plugins/xla-local/generated/ was generated with (see its README). */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

let loaded: ProtoGrpcType | undefined;

function service(): ProtoGrpcType {
  if (!loaded) {
    const definition = protoLoader.loadSync(runtimeLocation().proto, PROTO_LOADER_OPTIONS);
    loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return loaded;
}

/** A failed call, with the gRPC status name (INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE, ...) and the server's message. */
export class RuntimeError extends Error {
  constructor(
    readonly rpc: string,
    readonly code: string,
    readonly details: string,
  ) {
    super(`runtime ${rpc} failed (${code}): ${details}`);
    this.name = "RuntimeError";
  }
}

function runtimeError(rpc: string, error: grpc.ServiceError | Error): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const code = "code" in error && typeof error.code === "number" ? (grpc.status[error.code] ?? String(error.code)) : "UNKNOWN";
  const details = "details" in error && typeof error.details === "string" && error.details ? error.details : error.message;
  return new RuntimeError(rpc, code, details);
}

export interface RuntimeHealth {
  serving: boolean;
  serverVersion: string;
  pid: number;
  uptimeSeconds: number;
  liveBuffers: number;
  liveExecutables: number;
  /** Where the server's data channel listens ("unix:/path" or "HOST:PORT"); "" when it has none. */
  dataAddress: string;
  /** Data-channel tickets issued and not yet finished, failed or expired. */
  pendingTransfers: number;
}

export interface RuntimeDeviceInfo {
  platform: string;
  platformVersion: string;
  devices: { ordinal: number; id: number; kind: string }[];
  jaxVersion: string;
  jaxlibVersion: string;
  serverVersion: string;
}

export interface CompiledExecutable {
  handle: string;
  /** COMPILED now, MEMORY (already loaded in this server), DISK (deserialized, not recompiled). */
  source: "COMPILED" | "MEMORY" | "DISK";
  parameters: XlaShape[];
  results: XlaShape[];
  elapsedMs: number;
  /** Modules the server process has compiled from HLO since it started. */
  compilations: number;
}

/** A device-resident buffer held by the server. */
export interface DeviceBuffer {
  handle: string;
  shape: XlaShape;
  totalBytes: number;
}

function deviceBuffer(info: BufferInfo__Output | null | undefined): DeviceBuffer {
  if (!info || !info.shape) throw new RuntimeError("response", "INTERNAL", "the server sent a buffer without a shape");
  return { handle: info.buffer, shape: { elementType: info.shape.elementType, dims: info.shape.dims }, totalBytes: info.totalBytes };
}

export interface RuntimeClientOptions {
  /** Deadline for unary calls other than Compile and Execute, in ms (default 60 s). */
  callTimeoutMs?: number;
  /** false: never use the data channel, stream tensors over gRPC (default true). */
  dataChannel?: boolean;
  /** How long a data-channel connection may make no progress before it fails, in ms (default 60 s). */
  dataIdleTimeoutMs?: number;
}

/** Which way tensors travel, and why not by the data channel when they do not. */
export interface TransferRoute {
  /** The data channel's address, once known. */
  dataAddress?: string;
  /** Set when transfers stream over gRPC: why (the server has none, it cannot be reached, ...). */
  fallbackReason?: string;
  /** Transfers made by each route so far. */
  counts: { dataChannel: number; grpc: number };
}

/** The connect timeout of the data channel; it only guards against a host that drops packets. */
const DATA_CONNECT_TIMEOUT_MS = 10_000;

function dataChannelFailure(rpc: string, address: string, e: unknown): RuntimeError {
  if (e instanceof DataChannelError) return new RuntimeError(rpc, e.code, `over the data channel at ${address}: ${e.details}`);
  return runtimeError(rpc, e as Error);
}

export class RuntimeClient {
  private readonly client: GeneratedClient;
  private readonly callTimeoutMs: number;
  private readonly dataIdleTimeoutMs: number;
  /** The server's data address ("" when it has none), from its first Health reply. */
  private dataAddress: Promise<string> | undefined;
  readonly route: TransferRoute = { counts: { dataChannel: 0, grpc: 0 } };

  /** `address`: "unix:/abs/path.sock" or "127.0.0.1:PORT". */
  constructor(
    readonly address: string,
    options: RuntimeClientOptions = {},
  ) {
    const Runtime = service().tpubuild.runtime.Runtime;
    this.client = new Runtime(address, grpc.credentials.createInsecure(), {
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      // HTTP/2's default 64 KiB receive window throttles streamed tensors to a fraction of the
      // socket's speed (a window update per 64 KiB of a 1 MiB chunk); 16 MiB keeps it flowing.
      "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW_BYTES,
    });
    this.callTimeoutMs = options.callTimeoutMs ?? 60_000;
    this.dataIdleTimeoutMs = options.dataIdleTimeoutMs ?? 60_000;
    if (options.dataChannel === false) this.route.fallbackReason = "the data channel is turned off for this client";
  }

  /** Resolves once the channel is connected (or rejects after `timeoutMs`). */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(runtimeError("connect", error)) : resolve())),
    );
  }

  private unary<Res>(
    rpc: string,
    invoke: (options: grpc.CallOptions, callback: grpc.requestCallback<Res>) => unknown,
    timeoutMs: number | undefined = this.callTimeoutMs,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      const options: grpc.CallOptions = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
      invoke(options, (error, response) => {
        if (error) reject(runtimeError(rpc, error));
        else if (response === undefined) reject(new RuntimeError(rpc, "INTERNAL", "empty response"));
        else resolve(response);
      });
    });
  }

  async health(): Promise<RuntimeHealth> {
    const r = await this.unary<HealthResponse__Output>("Health", (o, cb) => this.client.health({}, o, cb), 10_000);
    this.dataAddress ??= Promise.resolve(r.dataAddress);
    return {
      serving: r.serving,
      serverVersion: r.serverVersion,
      pid: r.pid,
      uptimeSeconds: r.uptimeSeconds,
      liveBuffers: r.liveBuffers,
      liveExecutables: r.liveExecutables,
      dataAddress: r.dataAddress,
      pendingTransfers: r.pendingTransfers,
    };
  }

  async deviceInfo(): Promise<RuntimeDeviceInfo> {
    const r = await this.unary<DeviceInfoResponse__Output>("DeviceInfo", (o, cb) => this.client.deviceInfo({}, o, cb));
    return {
      platform: r.platform,
      platformVersion: r.platformVersion,
      devices: r.devices.map((d) => ({ ordinal: d.ordinal, id: d.id, kind: d.kind })),
      jaxVersion: r.jaxVersion,
      jaxlibVersion: r.jaxlibVersion,
      serverVersion: r.serverVersion,
    };
  }

  /** Compiles an HloModuleProto, or finds it in the server's caches; `key` is the module's content hash. */
  async compile(module: Uint8Array, key: string, options: { device?: number } = {}): Promise<CompiledExecutable> {
    const request = { hloModule: Buffer.from(module.buffer, module.byteOffset, module.byteLength), key, device: options.device ?? 0 };
    const r = await this.unary<CompileResponse__Output>("Compile", (o, cb) => this.client.compile(request, o, cb), undefined);
    const shape = (s: { elementType: XlaShape["elementType"]; dims: number[] }): XlaShape => ({ elementType: s.elementType, dims: s.dims });
    return {
      handle: r.executable,
      source: r.source as CompiledExecutable["source"],
      parameters: r.parameters.map(shape),
      results: r.results.map(shape),
      elapsedMs: r.elapsedMs,
      compilations: r.compilations,
    };
  }

  /**
   * Where the data channel can be reached, or undefined when transfers go over gRPC (the server has
   * none, or an earlier attempt to reach it failed: route.fallbackReason says which).
   */
  private async dataChannel(): Promise<string | undefined> {
    if (this.route.fallbackReason !== undefined) return undefined;
    this.dataAddress ??= this.health().then(
      (h) => h.dataAddress,
      (e) => {
        this.dataAddress = undefined; // a server that cannot answer now may later
        throw e;
      },
    );
    const address = await this.dataAddress;
    if (!address) {
      this.route.fallbackReason ??= "the runtime server offers no data channel";
      return undefined;
    }
    this.route.dataAddress = address;
    return address;
  }

  /** Connects to the data channel; undefined (and the route falls back to gRPC from now on) when that fails. */
  private async connectData(address: string): Promise<DataConnection | undefined> {
    try {
      return await DataConnection.open(dataConnectOptions(address, this.address), { connectTimeoutMs: DATA_CONNECT_TIMEOUT_MS, idleTimeoutMs: this.dataIdleTimeoutMs });
    } catch (e) {
      this.route.fallbackReason ??= `the data channel at ${address} cannot be reached (${(e as Error).message})`;
      return undefined;
    }
  }

  /** A data-channel ticket; undefined when the server has no data channel after all (an older server). */
  private async ticket(rpc: "OpenTransferIn" | "OpenTransferOut", invoke: (options: grpc.CallOptions, callback: grpc.requestCallback<DataTicket__Output>) => unknown): Promise<DataTicket__Output | undefined> {
    try {
      return await this.unary<DataTicket__Output>(rpc, invoke);
    } catch (e) {
      if (e instanceof RuntimeError && (e.code === "UNIMPLEMENTED" || e.code === "FAILED_PRECONDITION")) {
        this.route.fallbackReason ??= `the runtime server has no data channel (${rpc}: ${e.details})`;
        return undefined;
      }
      throw e;
    }
  }

  /**
   * A ticket and a connection to present it on, or undefined when the transfer must stream over
   * gRPC instead. Connecting overlaps the ticket's round trip.
   */
  private async openData(
    address: string,
    rpc: "OpenTransferIn" | "OpenTransferOut",
    invoke: (options: grpc.CallOptions, callback: grpc.requestCallback<DataTicket__Output>) => unknown,
  ): Promise<{ ticket: DataTicket__Output; connection: DataConnection } | undefined> {
    const connecting = this.connectData(address);
    let ticket: DataTicket__Output | undefined;
    try {
      ticket = await this.ticket(rpc, invoke);
    } catch (e) {
      void connecting.then((c) => c?.destroy());
      throw e;
    }
    const connection = await connecting;
    if (ticket && connection) return { ticket, connection };
    connection?.destroy();
    return undefined;
  }

  /** Asks for a ticket to send a tensor of `shape` over the data channel (tests use it directly). */
  openTransferIn(shape: XlaShape, options: { device?: number } = {}): Promise<DataTicket__Output> {
    return this.unary<DataTicket__Output>("OpenTransferIn", (o, cb) => this.client.openTransferIn({ shape, totalBytes: byteSize(shape), device: options.device ?? 0 }, o, cb));
  }

  /** Asks for a ticket to receive a buffer's bytes over the data channel (tests use it directly). */
  openTransferOut(buffer: string, options: { release?: boolean } = {}): Promise<DataTicket__Output> {
    return this.unary<DataTicket__Output>("OpenTransferOut", (o, cb) => this.client.openTransferOut({ buffer, release: options.release ?? false }, o, cb));
  }

  /** A connection to the data channel at `address` (tests use it to speak the protocol by hand). */
  connectDataChannel(address: string): Promise<DataConnection> {
    return DataConnection.open(dataConnectOptions(address, this.address), { connectTimeoutMs: DATA_CONNECT_TIMEOUT_MS, idleTimeoutMs: this.dataIdleTimeoutMs });
  }

  /** Sends a tensor (raw little-endian bytes, row-major in `shape.dims`) to the device; it stays there. */
  async transferIn(shape: XlaShape, data: Uint8Array, options: { device?: number; chunkBytes?: number } = {}): Promise<DeviceBuffer> {
    const expected = byteSize(shape);
    if (data.byteLength !== expected) throw new RuntimeError("TransferIn", "INVALID_ARGUMENT", `${describeXla(shape)} takes ${expected} bytes, got ${data.byteLength}`);
    const address = await this.dataChannel();
    if (address !== undefined) {
      const header = { shape, totalBytes: expected, device: options.device ?? 0 };
      const opened = await this.openData(address, "OpenTransferIn", (o, cb) => this.client.openTransferIn(header, o, cb));
      if (opened) {
        try {
          const info = await opened.connection.send(opened.ticket.token, data);
          this.route.counts.dataChannel++;
          return deviceBuffer(info);
        } catch (e) {
          throw dataChannelFailure("TransferIn", address, e);
        }
      }
    }
    this.route.counts.grpc++;
    return this.streamIn(shape, data, options);
  }

  /** TransferIn over gRPC: the header, then chunks of at most MAX_CHUNK_BYTES. */
  private streamIn(shape: XlaShape, data: Uint8Array, options: { device?: number; chunkBytes?: number }): Promise<DeviceBuffer> {
    const expected = data.byteLength;
    const chunkBytes = Math.min(options.chunkBytes ?? MAX_CHUNK_BYTES, MAX_CHUNK_BYTES);
    let finished = false;
    let call!: grpc.ClientWritableStream<TransferInChunk>;
    const result = new Promise<DeviceBuffer>((resolve, reject) => {
      call = this.client.transferIn((error, response) => {
        finished = true;
        if (error) reject(runtimeError("TransferIn", error));
        else {
          try {
            resolve(deviceBuffer(response?.buffer));
          } catch (e) {
            reject(e);
          }
        }
      });
    });
    const send = async () => {
      call.write({ header: { shape, totalBytes: expected, device: options.device ?? 0 } });
      for (let offset = 0; offset < expected && !finished; offset += chunkBytes) {
        const n = Math.min(chunkBytes, expected - offset);
        // A view, not a copy: the caller's bytes are encoded straight into the outgoing frames.
        const ok = call.write({ data: Buffer.from(data.buffer, data.byteOffset + offset, n) });
        if (!ok && !finished) await Promise.race([new Promise((r) => call.once("drain", r)), result.catch(() => undefined)]);
      }
      call.end();
    };
    return send().then(() => result);
  }

  async execute(executable: string, argumentHandles: string[]): Promise<{ results: DeviceBuffer[]; elapsedMs: number }> {
    const r = await this.unary<ExecuteResponse__Output>("Execute", (o, cb) => this.client.execute({ executable, arguments: argumentHandles }, o, cb), undefined);
    return { results: r.results.map(deviceBuffer), elapsedMs: r.elapsedMs };
  }

  /** Brings a buffer's bytes back; `release` frees it on the server once sent. */
  async transferOut(buffer: string, options: { release?: boolean; chunkBytes?: number } = {}): Promise<{ buffer: DeviceBuffer; data: Uint8Array }> {
    const address = await this.dataChannel();
    if (address !== undefined) {
      const request = { buffer, release: options.release ?? false };
      const opened = await this.openData(address, "OpenTransferOut", (o, cb) => this.client.openTransferOut(request, o, cb));
      if (opened) {
        try {
          const received = await opened.connection.receive(opened.ticket.token, opened.ticket.buffer?.totalBytes ?? 0);
          this.route.counts.dataChannel++;
          return { buffer: deviceBuffer(received.buffer), data: received.data };
        } catch (e) {
          throw dataChannelFailure("TransferOut", address, e);
        }
      }
    }
    this.route.counts.grpc++;
    return this.streamOut(buffer, options);
  }

  /** TransferOut over gRPC: chunks of at most MAX_CHUNK_BYTES (or `chunkBytes`). */
  private streamOut(buffer: string, options: { release?: boolean; chunkBytes?: number }): Promise<{ buffer: DeviceBuffer; data: Uint8Array }> {
    return new Promise((resolve, reject) => {
      const call = this.client.transferOut({ buffer, release: options.release ?? false, chunkBytes: options.chunkBytes ?? 0 });
      let info: DeviceBuffer | undefined;
      let data: Uint8Array | undefined;
      let offset = 0;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        call.cancel();
        reject(e);
      };
      call.on("data", (chunk: TransferOutChunk__Output) => {
        if (failed) return;
        if (!info) {
          if (!chunk.buffer) return fail(new RuntimeError("TransferOut", "INTERNAL", "the first chunk has no buffer description"));
          info = deviceBuffer(chunk.buffer);
          data = new Uint8Array(info.totalBytes);
        }
        const piece = chunk.data;
        if (offset + piece.byteLength > data!.byteLength) return fail(new RuntimeError("TransferOut", "INTERNAL", `more than the announced ${data!.byteLength} bytes`));
        data!.set(piece, offset);
        offset += piece.byteLength;
      });
      call.on("error", (e: grpc.ServiceError) => fail(runtimeError("TransferOut", e)));
      call.on("end", () => {
        if (failed) return;
        if (!info || !data) return fail(new RuntimeError("TransferOut", "INTERNAL", "the stream ended without data"));
        if (offset !== data.byteLength) return fail(new RuntimeError("TransferOut", "INTERNAL", `received ${offset} of ${data.byteLength} bytes`));
        resolve({ buffer: info, data });
      });
    });
  }

  async release(handles: { buffers?: string[]; executables?: string[] }): Promise<{ released: number; unknown: string[] }> {
    const r = await this.unary<ReleaseResponse__Output>("Release", (o, cb) =>
      this.client.release({ buffers: handles.buffers ?? [], executables: handles.executables ?? [] }, o, cb),
    );
    return { released: r.released, unknown: r.unknown };
  }

  /** Asks the server to exit. */
  async shutdown(): Promise<void> {
    await this.unary<ShutdownResponse__Output>("Shutdown", (o, cb) => this.client.shutdown({}, o, cb), 10_000);
  }

  close(): void {
    this.client.close();
  }
}
