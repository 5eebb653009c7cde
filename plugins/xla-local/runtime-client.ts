// A typed client of the runtime service (proto/runtime.proto), over @grpc/grpc-js: the one client
// of every target, local (a child server on a Unix socket or loopback port) or remote (a service on
// a TPU VM or GPU host, over TLS). A remote target needs only
//
//   new RuntimeClient("tpu-vm:8470", { token, tls: readRuntimeTls({ ca: "ca.pem", serverName: "tpu-vm" }) })
//
// Every call carries the server's token (`authorization: Bearer …`) and this client's session id,
// and has a deadline; the channel pings an idle server (keepalive), so a dead or stopped server is
// an error within seconds, not a hang. The session is opened on first use; the server scopes every
// handle to it.
//
// It speaks XLA shapes (row-major dims); Julia order lives in the target session above it.
// Tensors take the cheapest route the server offers and this client can use:
// - small ones (SMALL_TENSOR_BYTES) stream over the gRPC connection that is already open: a new
//   connection (and under TLS its handshake) costs more than their bytes;
// - to a local target's own server, shared memory (shared-memory.ts: a memfd of the server's,
//   one copy each way, no socket);
// - otherwise the server's data channel (data-channel.ts: a plain socket beside gRPC, under TLS
//   when gRPC is, which moves hundreds of MB at socket speed) when it can be reached;
// - else gRPC streams in chunks of at most 4 MiB.
// Every route but shared memory carries each tensor's SHA-256, checked by the receiver (bytes in
// shared memory cross no wire). Message limits are raised for the chunks and for Compile, whose
// modules can embed large constants.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ProtoGrpcType } from "./generated/runtime.js";
import type { BufferInfo__Output } from "./generated/tpubuild/runtime/BufferInfo.js";
import type { CompileResponse__Output } from "./generated/tpubuild/runtime/CompileResponse.js";
import type { DataTicket__Output } from "./generated/tpubuild/runtime/DataTicket.js";
import type { DeviceInfoResponse__Output } from "./generated/tpubuild/runtime/DeviceInfoResponse.js";
import type { ExecutableEntry__Output } from "./generated/tpubuild/runtime/ExecutableEntry.js";
import type { ExecutableKeyResponse__Output } from "./generated/tpubuild/runtime/ExecutableKeyResponse.js";
import type { ExecuteResponse__Output } from "./generated/tpubuild/runtime/ExecuteResponse.js";
import type { HealthResponse__Output } from "./generated/tpubuild/runtime/HealthResponse.js";
import type { OpenSessionResponse__Output } from "./generated/tpubuild/runtime/OpenSessionResponse.js";
import type { CloseSessionResponse__Output } from "./generated/tpubuild/runtime/CloseSessionResponse.js";
import type { ReleaseResponse__Output } from "./generated/tpubuild/runtime/ReleaseResponse.js";
import type { ShutdownResponse__Output } from "./generated/tpubuild/runtime/ShutdownResponse.js";
import type { RuntimeClient as GeneratedClient } from "./generated/tpubuild/runtime/Runtime.js";
import type { TransferInChunk } from "./generated/tpubuild/runtime/TransferInChunk.js";
import type { TransferOutChunk__Output } from "./generated/tpubuild/runtime/TransferOutChunk.js";
import { updateHash } from "../../build/hash.js";
import type { SharedRegion__Output } from "./generated/tpubuild/runtime/SharedRegion.js";
import type { TransferInResponse__Output } from "./generated/tpubuild/runtime/TransferInResponse.js";
import { DataChannelError, DataConnection, dataConnectOptions } from "./data-channel.js";
import { openRegion, readRegion, SharedMemoryError, writeRegion } from "./shared-memory.js";
import { runtimeLocation } from "./runtime-location.js";
import { byteSize, describeXla, type XlaShape } from "./tensor-layout.js";

export const MAX_CHUNK_BYTES = 4 << 20;
/**
 * Tensors this small stream over the open gRPC connection on every route: one call, where the data
 * channel takes a ticket's call and a new connection (with TLS, a handshake) and shared memory two
 * calls. Measured by `npm run bench:remote-transfer` (the 4 KiB round trip).
 */
export const SMALL_TENSOR_BYTES = 64 << 10;
const MAX_MESSAGE_BYTES = 1 << 30;
const FLOW_CONTROL_WINDOW_BYTES = 16 << 20;
/** The call metadata that carries the session id (proto/runtime.proto's conventions). */
export const SESSION_METADATA = "tpu-build-session";

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

/** SHA-256 of a tensor's bytes, as the protocol carries it. */
export function tensorDigest(data: Uint8Array): Buffer {
  return updateHash(createHash("sha256"), data).digest();
}

function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** How to reach a server over TLS: the CA to trust, the name to check, and a client certificate for mutual TLS. */
export interface RuntimeTls {
  /** PEM of the CA(s) that signed the server's certificate; omitted: the system's roots. */
  ca?: Buffer;
  /** The name the server's certificate must carry when the address does not (an IP, a tunnel). */
  serverName?: string;
  /** PEM client certificate and key, for a server started with --client-ca. */
  cert?: Buffer;
  key?: Buffer;
}

/** RuntimeTls from PEM files (a target's manifest settings name files, never their contents). */
export function readRuntimeTls(files: { ca?: string; serverName?: string; cert?: string; key?: string }): RuntimeTls {
  const read = (what: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`cannot read the TLS ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  if ((files.cert === undefined) !== (files.key === undefined)) throw new Error("a TLS client certificate and its key go together (cert and key)");
  return { ca: read("CA", files.ca), serverName: files.serverName, cert: read("certificate", files.cert), key: read("key", files.key) };
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
  /** The data channel speaks TLS. */
  dataTls: boolean;
  /** The server offers shared memory (a local target's child). */
  sharedMemory: boolean;
  /** The data channel takes a tensor's SHA-256 after its bytes (servers from 0.7.0). */
  digestAfter: boolean;
  /** This client's session's resident device bytes, and its limit (0: none). */
  sessionBytes: number;
  maxSessionBytes: number;
  /**
   * What this client's session moved so far: tensor bytes received from it, and Execute arguments
   * that were not where the executable wants them (split otherwise, on other devices) and were
   * copied there first, with their bytes. A server older than 0.5.0 reports 0.
   */
  receivedBytes: number;
  movedArguments: number;
  movedBytes: number;
  /** Execute calls running now, in all sessions (a server older than 0.5.0 reports 0). */
  executing: number;
}

export interface RuntimeDeviceInfo {
  platform: string;
  platformVersion: string;
  /** memoryBytes: the device's memory as PJRT reports it (0: not reported, as on XLA's CPU client). */
  /** processIndex: which of the servers acting as one holds the device (0 on one host). */
  devices: { ordinal: number; id: number; kind: string; memoryBytes: number; memoryInUseBytes: number; processIndex: number }[];
  /** Servers started with --coordinator act as one: this one's place among processCount (0 of 1 alone). */
  processIndex: number;
  processCount: number;
  jaxVersion: string;
  jaxlibVersion: string;
  /** "" where libtpu is not installed. */
  libtpuVersion: string;
  serverVersion: string;
}

export interface CompiledExecutable {
  handle: string;
  /** COMPILED now, MEMORY (already loaded in this server), DISK or IMPORTED (deserialized, not recompiled). */
  source: "COMPILED" | "MEMORY" | "DISK" | "IMPORTED";
  parameters: XlaShape[];
  results: XlaShape[];
  elapsedMs: number;
  /** Modules the server process has compiled from HLO since it started. */
  compilations: number;
  /** Set when the server found a disk-cache entry it could not trust and recompiled it (why). */
  cacheWarning: string;
  /** Device memory one run needs (XLA's compiled memory statistics); 0 when not reported. */
  deviceMemoryBytes: number;
  /** Devices the program is partitioned over (1: not partitioned). */
  partitions: number;
  /** Each parameter's and result's shape on one device, as XLA partitioned them. */
  partitionParameters: XlaShape[];
  partitionResults: XlaShape[];
}

/**
 * A tensor split over several devices (proto Placement): device ordinals row-major over
 * `meshShape`, and per XLA dimension the mesh axis splitting it (-1: none).
 */
export interface XlaPlacement {
  devices: number[];
  meshShape: number[];
  dimAxes: number[];
  /** Set: the bytes sent are only a block of the tensor, of these dims, starting at blockStart (both XLA order). */
  globalDims?: number[];
  blockStart?: number[];
}

/** A device-resident buffer held by the server. */
export interface DeviceBuffer {
  handle: string;
  shape: XlaShape;
  totalBytes: number;
  /** The devices holding its shards (one unless it is split or copied over several), and the shape on each. */
  devices: number[];
  shardShape: XlaShape;
}

function deviceBuffer(info: BufferInfo__Output | null | undefined): DeviceBuffer {
  if (!info || !info.shape) throw new RuntimeError("response", "INTERNAL", "the server sent a buffer without a shape");
  const shape = { elementType: info.shape.elementType, dims: info.shape.dims };
  // A server older than 0.4.0 reports neither: one device, the whole shape.
  const shardShape = info.shardShape ? { elementType: info.shardShape.elementType, dims: info.shardShape.dims } : shape;
  return { handle: info.buffer, shape, totalBytes: info.totalBytes, devices: info.devices, shardShape };
}

/** Where a tensor goes: one device (an ordinal; 0 by default), or split over a placement's devices. */
export interface TransferInOptions {
  device?: number;
  placement?: XlaPlacement;
}

function transferInHeader(shape: XlaShape, totalBytes: number, sha256: Buffer, options: TransferInOptions) {
  return { shape, totalBytes, device: options.device ?? 0, sha256, ...(options.placement ? { placement: options.placement } : {}) };
}

export interface RuntimeClientOptions {
  /** The server's bearer token, sent with every call. */
  token?: string;
  /** Reach the server over TLS (a remote target); omitted: plaintext (a Unix socket or loopback). */
  tls?: RuntimeTls;
  /** Deadline for the small unary calls (Health, DeviceInfo, tickets, Release, ...), in ms (default 60 s). */
  callTimeoutMs?: number;
  /** Deadline for Compile and Execute, and for a streamed transfer, in ms (default 1 h). */
  longCallTimeoutMs?: number;
  /** Interval of keepalive pings, in ms (default 20 s); an unanswered ping fails the calls in flight. */
  keepaliveMs?: number;
  /** Who this client is, in the server's log (default "tpu-build pid N"). */
  clientName?: string;
  /** false: never use the data channel, stream tensors over gRPC (default true). */
  dataChannel?: boolean;
  /** How long a data-channel connection may make no progress before it fails, in ms (default 60 s). */
  dataIdleTimeoutMs?: number;
  /**
   * Use the server's shared memory when it offers it; `serverPid` is the process every region must
   * be in (the local target's own child: RuntimeProcess sets it). Omitted: never.
   */
  sharedMemory?: { serverPid: number };
  /** Tensors of at most this many bytes stream over the gRPC connection (default SMALL_TENSOR_BYTES; 0: none do). */
  smallTensorBytes?: number;
}

/** Which way tensors travel, and why not by the data channel when they do not. */
export interface TransferRoute {
  /** The data channel's address, once known. */
  dataAddress?: string;
  /** Set when transfers stream over gRPC: why (the server has none, it cannot be reached, ...). */
  fallbackReason?: string;
  /** Set when this client was told to use shared memory and transfers do not: why. */
  sharedMemoryFallbackReason?: string;
  /** Transfers made by each route so far (small tensors included in grpc). */
  counts: { sharedMemory: number; dataChannel: number; grpc: number };
}

/** The connect timeout of the data channel; it only guards against a host that drops packets. */
const DATA_CONNECT_TIMEOUT_MS = 10_000;

/** Checks the SHA-256 of `byteCount` bytes received (`actual`, hashed as they arrived) against the server's. */
function checkDigest(actual: Uint8Array, expected: Uint8Array, byteCount: number): void {
  if (expected.byteLength !== 32) throw new RuntimeError("TransferOut", "DATA_LOSS", "the server sent no SHA-256 for the tensor; it was not used");
  if (!sameDigest(actual, expected)) throw new RuntimeError("TransferOut", "DATA_LOSS", `the ${byteCount} bytes received do not have the SHA-256 the server announced; they were not used`);
}

function sharedMemoryFailure(rpc: string, e: unknown): RuntimeError {
  if (e instanceof SharedMemoryError) return new RuntimeError(rpc, e.code, `through shared memory: ${e.details}`);
  return runtimeError(rpc, e as Error);
}

function dataChannelFailure(rpc: string, address: string, e: unknown): RuntimeError {
  if (e instanceof DataChannelError) return new RuntimeError(rpc, e.code, `over the data channel at ${address}: ${e.details}`);
  return runtimeError(rpc, e as Error);
}

export class RuntimeClient {
  private readonly client: GeneratedClient;
  private readonly callTimeoutMs: number;
  private readonly longCallTimeoutMs: number;
  private readonly dataIdleTimeoutMs: number;
  private readonly token: string | undefined;
  private readonly tls: RuntimeTls | undefined;
  /** TLS settings of data connections: the channel's, or the system's roots; one object, whose SecureContext is reused. */
  private readonly dataChannelTls: RuntimeTls;
  private readonly clientName: string;
  /** The session's id, once OpenSession was asked for. */
  private session: Promise<string> | undefined;
  /** The data channel speaks TLS (from the server's first Health reply). */
  private dataTls = false;
  /** The server's data address ("" when it has none), from its first Health reply. */
  private dataAddress: Promise<string> | undefined;
  /** The server offers shared memory (from its first Health reply). */
  private sharedMemoryOffered = false;
  /** The server's data channel takes digests after the bytes (from its first Health reply). */
  private digestAfter = false;
  private readonly sharedMemoryPid: number | undefined;
  private readonly smallTensorBytes: number;
  readonly route: TransferRoute = { counts: { sharedMemory: 0, dataChannel: 0, grpc: 0 } };

  /** `address`: "unix:/abs/path.sock" or "HOST:PORT". */
  constructor(
    readonly address: string,
    options: RuntimeClientOptions = {},
  ) {
    const Runtime = service().tpubuild.runtime.Runtime;
    const tls = options.tls;
    const credentials = tls ? grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null) : grpc.credentials.createInsecure();
    const keepaliveMs = options.keepaliveMs ?? 20_000;
    this.client = new Runtime(address, credentials, {
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      // HTTP/2's default 64 KiB receive window throttles streamed tensors to a fraction of the
      // socket's speed (a window update per 64 KiB of a 1 MiB chunk); 16 MiB keeps it flowing.
      "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW_BYTES,
      // A server that dies or stops answering fails the calls in flight after one unanswered ping.
      "grpc.keepalive_time_ms": keepaliveMs,
      "grpc.keepalive_timeout_ms": Math.min(keepaliveMs, 10_000),
      "grpc.keepalive_permit_without_calls": 1,
      ...(tls?.serverName ? { "grpc.ssl_target_name_override": tls.serverName, "grpc.default_authority": tls.serverName } : {}),
    });
    this.token = options.token;
    this.tls = tls;
    this.dataChannelTls = tls ?? {};
    this.clientName = options.clientName ?? `tpu-build pid ${process.pid}`;
    this.callTimeoutMs = options.callTimeoutMs ?? 60_000;
    this.longCallTimeoutMs = options.longCallTimeoutMs ?? 3_600_000;
    this.dataIdleTimeoutMs = options.dataIdleTimeoutMs ?? 60_000;
    if (options.dataChannel === false) this.route.fallbackReason = "the data channel is turned off for this client";
    this.sharedMemoryPid = options.sharedMemory?.serverPid;
    this.smallTensorBytes = options.smallTensorBytes ?? SMALL_TENSOR_BYTES;
  }

  /** Resolves once the channel is connected (or rejects after `timeoutMs`). */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(runtimeError("connect", error)) : resolve())),
    );
  }

  /**
   * The metadata of a call: the token, and the session id ("open": opening the session if need be;
   * "if-open": only when one is open already, as Health sends it; "none").
   */
  private async metadata(session: "open" | "if-open" | "none"): Promise<grpc.Metadata> {
    const metadata = new grpc.Metadata();
    if (this.token !== undefined) metadata.set("authorization", `Bearer ${this.token}`);
    if (session === "open") this.session ??= this.openSession();
    if (session !== "none" && this.session) metadata.set(SESSION_METADATA, await this.session);
    return metadata;
  }

  private openSession(): Promise<string> {
    const opened = this.unary<OpenSessionResponse__Output>("OpenSession", (m, o, cb) => this.client.openSession({ client: this.clientName }, m, o, cb), { session: "none" }).then((r) => r.session);
    opened.catch(() => {
      if (this.session === opened) this.session = undefined; // a server that cannot answer now may later
    });
    return opened;
  }

  private async unary<Res>(
    rpc: string,
    invoke: (metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<Res>) => unknown,
    call: { timeoutMs?: number; session?: "open" | "if-open" | "none" } = {},
  ): Promise<Res> {
    const metadata = await this.metadata(call.session ?? "open");
    return new Promise((resolve, reject) => {
      invoke(metadata, { deadline: Date.now() + (call.timeoutMs ?? this.callTimeoutMs) }, (error, response) => {
        if (error) reject(runtimeError(rpc, error));
        else if (response === undefined) reject(new RuntimeError(rpc, "INTERNAL", "empty response"));
        else resolve(response);
      });
    });
  }

  /** The server's state; it does not open a session (the counts are this client's session's, once it has one). */
  async health(options: { timeoutMs?: number } = {}): Promise<RuntimeHealth> {
    const r = await this.unary<HealthResponse__Output>("Health", (m, o, cb) => this.client.health({}, m, o, cb), { timeoutMs: options.timeoutMs ?? 10_000, session: "if-open" });
    this.dataAddress ??= Promise.resolve(r.dataAddress);
    this.dataTls = r.dataTls;
    this.sharedMemoryOffered = r.sharedMemory;
    this.digestAfter = r.digestAfter;
    return {
      serving: r.serving,
      serverVersion: r.serverVersion,
      pid: r.pid,
      uptimeSeconds: r.uptimeSeconds,
      liveBuffers: r.liveBuffers,
      liveExecutables: r.liveExecutables,
      dataAddress: r.dataAddress,
      pendingTransfers: r.pendingTransfers,
      dataTls: r.dataTls,
      sharedMemory: r.sharedMemory,
      digestAfter: r.digestAfter,
      sessionBytes: r.sessionBytes,
      maxSessionBytes: r.maxSessionBytes,
      receivedBytes: r.receivedBytes,
      movedArguments: r.movedArguments,
      movedBytes: r.movedBytes,
      executing: r.executing,
    };
  }

  async deviceInfo(): Promise<RuntimeDeviceInfo> {
    const r = await this.unary<DeviceInfoResponse__Output>("DeviceInfo", (m, o, cb) => this.client.deviceInfo({}, m, o, cb), { session: "if-open" });
    return {
      platform: r.platform,
      platformVersion: r.platformVersion,
      devices: r.devices.map((d) => ({ ordinal: d.ordinal, id: d.id, kind: d.kind, memoryBytes: d.memoryBytes, memoryInUseBytes: d.memoryInUseBytes, processIndex: d.processIndex })),
      processIndex: r.processIndex,
      processCount: r.processCount || 1,
      jaxVersion: r.jaxVersion,
      jaxlibVersion: r.jaxlibVersion,
      libtpuVersion: r.libtpuVersion,
      serverVersion: r.serverVersion,
    };
  }

  /**
   * Compiles an HloModuleProto, or finds it in the server's caches; `key` is the module's content hash.
   * `fast`: at XLA's backend optimization level 0 (a separate executable; see CompileRequest.fast).
   */
  async compile(module: Uint8Array, key: string, options: { device?: number; devices?: number[]; fast?: boolean } = {}): Promise<CompiledExecutable> {
    const request = { hloModule: Buffer.from(module.buffer, module.byteOffset, module.byteLength), key, device: options.device ?? 0, devices: options.devices ?? [], fast: options.fast ?? false };
    const r = await this.unary<CompileResponse__Output>("Compile", (m, o, cb) => this.client.compile(request, m, o, cb), { timeoutMs: this.longCallTimeoutMs });
    const shape = (s: { elementType: XlaShape["elementType"]; dims: number[] }): XlaShape => ({ elementType: s.elementType, dims: s.dims });
    return {
      handle: r.executable,
      source: r.source as CompiledExecutable["source"],
      parameters: r.parameters.map(shape),
      results: r.results.map(shape),
      elapsedMs: r.elapsedMs,
      compilations: r.compilations,
      cacheWarning: r.cacheWarning,
      deviceMemoryBytes: r.deviceMemoryBytes,
      partitions: r.partitions || 1,
      partitionParameters: r.partitionParameters.length ? r.partitionParameters.map(shape) : r.parameters.map(shape),
      partitionResults: r.partitionResults.length ? r.partitionResults.map(shape) : r.results.map(shape),
    };
  }

  /**
   * The name under which the server caches (and servers share) the executable compile() would make,
   * and whether the server holds it already; covers the module, the devices and the runtime's versions.
   */
  async executableKey(module: Uint8Array, key: string, options: { device?: number; devices?: number[] } = {}): Promise<{ digest: string; cached: boolean }> {
    const request = { moduleSha256: createHash("sha256").update(module).digest(), key, device: options.device ?? 0, devices: options.devices ?? [] };
    const r = await this.unary<ExecutableKeyResponse__Output>("ExecutableKey", (m, o, cb) => this.client.executableKey(request, m, o, cb));
    return { digest: r.digest, cached: r.cached };
  }

  /** A compiled executable of this session as a self-checking entry (its header binds the digest and the bytes' SHA-256). */
  async exportExecutable(handle: string): Promise<{ digest: string; entry: Uint8Array }> {
    const r = await this.unary<ExecutableEntry__Output>("ExportExecutable", (m, o, cb) => this.client.exportExecutable({ executable: handle }, m, o, cb), { timeoutMs: this.longCallTimeoutMs });
    return { digest: r.digest, entry: r.entry };
  }

  /** Gives the server an entry from exportExecutable() (of another server): checked there, loaded by the next compile() of its digest. */
  async importExecutable(digest: string, entry: Uint8Array): Promise<void> {
    const request = { digest, entry: Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength) };
    await this.unary("ImportExecutable", (m, o, cb) => this.client.importExecutable(request, m, o, cb), { timeoutMs: this.longCallTimeoutMs });
  }

  /**
   * Where the data channel can be reached, or undefined when transfers go over gRPC (the server has
   * none, or an earlier attempt to reach it failed: route.fallbackReason says which).
   */
  private async dataChannel(): Promise<string | undefined> {
    if (this.route.fallbackReason !== undefined) return undefined;
    const address = await this.serverRoutes();
    if (!address) {
      this.route.fallbackReason ??= "the runtime server offers no data channel";
      return undefined;
    }
    this.route.dataAddress = address;
    return address;
  }

  /**
   * The server's data address ("" when it has none), from its first Health reply, which also says
   * whether the data channel speaks TLS and whether the server offers shared memory.
   */
  private serverRoutes(): Promise<string> {
    this.dataAddress ??= this.health().then(
      (h) => h.dataAddress,
      (e) => {
        this.dataAddress = undefined; // a server that cannot answer now may later
        throw e;
      },
    );
    return this.dataAddress;
  }

  /** The pid of the server whose shared memory tensors can take, or undefined when they cannot. */
  private async sharedMemory(): Promise<number | undefined> {
    const pid = this.sharedMemoryPid;
    if (pid === undefined || this.route.sharedMemoryFallbackReason !== undefined) return undefined;
    await this.serverRoutes();
    if (!this.sharedMemoryOffered) {
      this.route.sharedMemoryFallbackReason = "the runtime server offers no shared memory";
      return undefined;
    }
    return pid;
  }

  /**
   * Sends a tensor through a shared-memory region; undefined when the region cannot be opened here
   * (the route then falls back for good, and the region is given back).
   */
  private async sharedIn(pid: number, shape: XlaShape, data: Uint8Array, options: TransferInOptions): Promise<DeviceBuffer | undefined> {
    const region = await this.openSharedTransferIn(shape, options);
    try {
      const file = await this.openShared(region, pid, "write", data.byteLength);
      if (!file) {
        await this.closeRegion(region); // frees what it reserved at once
        return undefined;
      }
      await writeRegion(file, data);
    } catch (e) {
      await this.closeRegion(region);
      throw sharedMemoryFailure("TransferIn", e);
    }
    const buffer = await this.finishSharedTransferIn(region.name);
    this.route.counts.sharedMemory++;
    return buffer;
  }

  /** Brings a buffer back through a shared-memory region; undefined as for sharedIn. */
  private async sharedOut(pid: number, buffer: string, release: boolean): Promise<{ buffer: DeviceBuffer; data: Uint8Array } | undefined> {
    const region = await this.unary<SharedRegion__Output>("SharedTransferOut", (m, o, cb) => this.client.sharedTransferOut({ buffer, release }, m, o, cb), { timeoutMs: this.longCallTimeoutMs });
    const info = deviceBuffer(region.buffer);
    let read = false;
    try {
      const file = await this.openShared(region, pid, "read", info.totalBytes);
      if (!file) return undefined; // not released: the server releases a buffer when its region closes
      const data = new Uint8Array(info.totalBytes);
      await readRegion(file, data);
      read = true;
      this.route.counts.sharedMemory++;
      return { buffer: info, data };
    } catch (e) {
      throw sharedMemoryFailure("TransferOut", e);
    } finally {
      await this.closeRegion(region, read);
    }
  }

  /** The region's memfd, or undefined (with the fallback reason set) when this process cannot open it. */
  private async openShared(region: SharedRegion__Output, pid: number, mode: "read" | "write", totalBytes: number) {
    try {
      return await openRegion(region, pid, mode, totalBytes);
    } catch (e) {
      if (!(e instanceof SharedMemoryError) || e.code !== "UNAVAILABLE") throw e;
      this.route.sharedMemoryFallbackReason ??= e.details;
      return undefined;
    }
  }

  /** Gives a region back (`read`: its bytes arrived, so a buffer to release after them is released); a failure leaves it to expire. */
  private closeRegion(region: SharedRegion__Output, read = false): Promise<unknown> {
    return this.unary("CloseSharedRegion", (m, o, cb) => this.client.closeSharedRegion({ name: region.name, read }, m, o, cb)).catch(() => undefined);
  }

  /** Connects to the data channel; undefined (and the route falls back to gRPC from now on) when that fails. */
  private async connectData(address: string): Promise<DataConnection | undefined> {
    try {
      return await this.connectDataChannel(address);
    } catch (e) {
      this.route.fallbackReason ??= `the data channel at ${address} cannot be reached (${(e as Error).message})`;
      return undefined;
    }
  }

  /** A data-channel ticket; undefined when the server has no data channel after all (an older server). */
  private async ticket(
    rpc: "OpenTransferIn" | "OpenTransferOut",
    invoke: (metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<DataTicket__Output>) => unknown,
  ): Promise<DataTicket__Output | undefined> {
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
    invoke: (metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<DataTicket__Output>) => unknown,
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

  /**
   * Asks for a ticket to send a tensor of `shape` whose bytes have digest `sha256` over the data
   * channel, or (`digestAfter`, sha256 empty) whose digest follows them (tests use it directly).
   */
  openTransferIn(shape: XlaShape, sha256: Uint8Array, options: TransferInOptions & { digestAfter?: boolean } = {}): Promise<DataTicket__Output> {
    const header = { ...transferInHeader(shape, byteSize(shape), Buffer.from(sha256), options), digestAfter: options.digestAfter ?? false };
    return this.unary<DataTicket__Output>("OpenTransferIn", (m, o, cb) => this.client.openTransferIn(header, m, o, cb));
  }

  /** Asks for a ticket to receive a buffer's bytes over the data channel, their digest after them with `digestAfter` (tests use it directly). */
  openTransferOut(buffer: string, options: { release?: boolean; digestAfter?: boolean } = {}): Promise<DataTicket__Output> {
    const request = { buffer, release: options.release ?? false, digestAfter: options.digestAfter ?? false };
    return this.unary<DataTicket__Output>("OpenTransferOut", (m, o, cb) => this.client.openTransferOut(request, m, o, cb));
  }

  /** Asks for a shared-memory region to write a tensor of `shape` into (tests use it directly; finishSharedTransferIn makes the buffer). */
  openSharedTransferIn(shape: XlaShape, options: TransferInOptions = {}): Promise<SharedRegion__Output> {
    const header = transferInHeader(shape, byteSize(shape), Buffer.alloc(0), options);
    return this.unary<SharedRegion__Output>("OpenSharedTransferIn", (m, o, cb) => this.client.openSharedTransferIn(header, m, o, cb));
  }

  /** The buffer made of what was written into the region `name` (tests use it directly). */
  async finishSharedTransferIn(name: string): Promise<DeviceBuffer> {
    const done = await this.unary<TransferInResponse__Output>("FinishSharedTransferIn", (m, o, cb) => this.client.finishSharedTransferIn({ name }, m, o, cb), { timeoutMs: this.longCallTimeoutMs });
    return deviceBuffer(done.buffer);
  }

  /** A connection to the data channel at `address`, under TLS when the server's is (tests use it to speak the protocol by hand). */
  connectDataChannel(address: string): Promise<DataConnection> {
    return DataConnection.open(dataConnectOptions(address, this.address), {
      connectTimeoutMs: DATA_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: this.dataIdleTimeoutMs,
      tls: this.dataTls ? this.dataChannelTls : undefined,
    });
  }

  /** Sends a tensor (raw little-endian bytes, row-major in `shape.dims`) to the device; it stays there. */
  async transferIn(shape: XlaShape, data: Uint8Array, options: TransferInOptions & { chunkBytes?: number } = {}): Promise<DeviceBuffer> {
    const expected = byteSize(shape);
    if (data.byteLength !== expected) throw new RuntimeError("TransferIn", "INVALID_ARGUMENT", `${describeXla(shape)} takes ${expected} bytes, got ${data.byteLength}`);
    const small = expected <= this.smallTensorBytes && this.smallTensorBytes > 0;
    if (!small) {
      const pid = await this.sharedMemory();
      if (pid !== undefined) {
        const sent = await this.sharedIn(pid, shape, data, options);
        if (sent) return sent;
      }
    }
    const address = small ? undefined : await this.dataChannel();
    if (address !== undefined) {
      // A server that takes the digest after the bytes gets it so: hashed while they are sent.
      const digestAfter = this.digestAfter;
      const header = digestAfter ? { ...transferInHeader(shape, expected, Buffer.alloc(0), options), digestAfter } : transferInHeader(shape, expected, tensorDigest(data), options);
      const opened = await this.openData(address, "OpenTransferIn", (m, o, cb) => this.client.openTransferIn(header, m, o, cb));
      if (opened) {
        try {
          const info = await opened.connection.send(opened.ticket.token, data, { digestAfter });
          this.route.counts.dataChannel++;
          return deviceBuffer(info);
        } catch (e) {
          throw dataChannelFailure("TransferIn", address, e);
        }
      }
    }
    this.route.counts.grpc++;
    return this.streamIn(shape, data, tensorDigest(data), options);
  }

  /** TransferIn over gRPC: the header, then chunks of at most MAX_CHUNK_BYTES. */
  private async streamIn(shape: XlaShape, data: Uint8Array, sha256: Buffer, options: TransferInOptions & { chunkBytes?: number }): Promise<DeviceBuffer> {
    const expected = data.byteLength;
    const chunkBytes = Math.min(options.chunkBytes ?? MAX_CHUNK_BYTES, MAX_CHUNK_BYTES);
    const metadata = await this.metadata("open");
    let finished = false;
    let call!: grpc.ClientWritableStream<TransferInChunk>;
    const result = new Promise<DeviceBuffer>((resolve, reject) => {
      call = this.client.transferIn(metadata, { deadline: Date.now() + this.longCallTimeoutMs }, (error, response) => {
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
      call.write({ header: transferInHeader(shape, expected, sha256, options) });
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
    const r = await this.unary<ExecuteResponse__Output>("Execute", (m, o, cb) => this.client.execute({ executable, arguments: argumentHandles }, m, o, cb), { timeoutMs: this.longCallTimeoutMs });
    return { results: r.results.map(deviceBuffer), elapsedMs: r.elapsedMs };
  }

  /**
   * Brings a buffer's bytes back; `release` frees it on the server once sent. `totalBytes`, when the
   * caller knows the buffer's size, lets a small one take the gRPC connection.
   */
  async transferOut(buffer: string, options: { release?: boolean; chunkBytes?: number; totalBytes?: number } = {}): Promise<{ buffer: DeviceBuffer; data: Uint8Array }> {
    const small = options.totalBytes !== undefined && options.totalBytes <= this.smallTensorBytes && this.smallTensorBytes > 0;
    const pid = small ? undefined : await this.sharedMemory();
    if (pid !== undefined) {
      const received = await this.sharedOut(pid, buffer, options.release ?? false);
      if (received) return received;
    }
    const address = small ? undefined : await this.dataChannel();
    if (address !== undefined) {
      const digestAfter = this.digestAfter;
      const request = { buffer, release: options.release ?? false, digestAfter };
      const opened = await this.openData(address, "OpenTransferOut", (m, o, cb) => this.client.openTransferOut(request, m, o, cb));
      if (opened) {
        let received;
        try {
          received = await opened.connection.receive(opened.ticket.token, opened.ticket.buffer?.totalBytes ?? 0, { digestAfter });
        } catch (e) {
          throw dataChannelFailure("TransferOut", address, e);
        }
        checkDigest(received.digest, received.sha256, received.data.byteLength);
        this.route.counts.dataChannel++;
        return { buffer: deviceBuffer(received.buffer), data: received.data };
      }
    }
    this.route.counts.grpc++;
    return this.streamOut(buffer, options);
  }

  /** TransferOut over gRPC: chunks of at most MAX_CHUNK_BYTES (or `chunkBytes`). */
  private async streamOut(buffer: string, options: { release?: boolean; chunkBytes?: number }): Promise<{ buffer: DeviceBuffer; data: Uint8Array }> {
    const metadata = await this.metadata("open");
    return new Promise((resolve, reject) => {
      const request = { buffer, release: options.release ?? false, chunkBytes: options.chunkBytes ?? 0 };
      const call = this.client.transferOut(request, metadata, { deadline: Date.now() + this.longCallTimeoutMs });
      let info: DeviceBuffer | undefined;
      let sha256: Uint8Array = new Uint8Array(0);
      let data: Uint8Array | undefined;
      const hash = createHash("sha256"); // of the chunks as they arrive
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
          sha256 = chunk.sha256;
        }
        const piece = chunk.data;
        if (offset + piece.byteLength > data!.byteLength) return fail(new RuntimeError("TransferOut", "INTERNAL", `more than the announced ${data!.byteLength} bytes`));
        data!.set(piece, offset);
        hash.update(piece);
        offset += piece.byteLength;
      });
      call.on("error", (e: grpc.ServiceError) => fail(runtimeError("TransferOut", e)));
      call.on("end", () => {
        if (failed) return;
        if (!info || !data) return fail(new RuntimeError("TransferOut", "INTERNAL", "the stream ended without data"));
        if (offset !== data.byteLength) return fail(new RuntimeError("TransferOut", "INTERNAL", `received ${offset} of ${data.byteLength} bytes`));
        try {
          checkDigest(hash.digest(), sha256, data.byteLength);
        } catch (e) {
          return fail(e as Error);
        }
        resolve({ buffer: info, data });
      });
    });
  }

  async release(handles: { buffers?: string[]; executables?: string[] }): Promise<{ released: number; unknown: string[] }> {
    const r = await this.unary<ReleaseResponse__Output>("Release", (m, o, cb) =>
      this.client.release({ buffers: handles.buffers ?? [], executables: handles.executables ?? [] }, m, o, cb),
    );
    return { released: r.released, unknown: r.unknown };
  }

  /** Frees everything this client's session holds on the server; the next call opens a new session. */
  async closeSession(): Promise<number> {
    if (!this.session) return 0;
    const r = await this.unary<CloseSessionResponse__Output>("CloseSession", (m, o, cb) => this.client.closeSession({}, m, o, cb));
    this.session = undefined;
    return r.released;
  }

  /** Asks the server to exit (a server a local target started; a service refuses). */
  async shutdown(): Promise<void> {
    await this.unary<ShutdownResponse__Output>("Shutdown", (m, o, cb) => this.client.shutdown({}, m, o, cb), { timeoutMs: 10_000, session: "none" });
  }

  close(): void {
    this.client.close();
  }
}
