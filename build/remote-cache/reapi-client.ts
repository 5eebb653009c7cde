// A client of the Remote Execution API's cache services (proto/reapi/: Capabilities, ActionCache,
// ContentAddressableStorage, google.bytestream.ByteStream), over @grpc/grpc-js.
//
// Every call carries a deadline: the remote cache speeds builds up and is never something a build
// waits on indefinitely (a stopped server must not hang a build). Blob transfers get a deadline that
// grows with their size. Failures come back as ReapiError with the gRPC status name.

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { findPackageRoot } from "../../package-root.js";
import type { ProtoGrpcType as ByteStreamProto } from "./generated/bytestream.js";
import type { ProtoGrpcType as ReapiProto } from "./generated/remote_execution.js";
import type { ActionResult, ActionResult__Output } from "./generated/build/bazel/remote/execution/v2/ActionResult.js";
import type { ServerCapabilities__Output } from "./generated/build/bazel/remote/execution/v2/ServerCapabilities.js";
import type { ReadResponse__Output } from "./generated/google/bytestream/ReadResponse.js";
import type { WriteRequest } from "./generated/google/bytestream/WriteRequest.js";

/** The loader options build/remote-cache/generated/ was generated with (see its README). */
export const REAPI_LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

/** The .proto files of the REAPI subset, relative to proto/reapi/. */
export const REAPI_PROTOS = ["build/bazel/remote/execution/v2/remote_execution.proto", "google/bytestream/bytestream.proto", "tpubuild/remote_cache.proto"];

/** A CAS blob's name: SHA-256 in lowercase hex and the size in bytes. */
export interface Digest {
  hash: string;
  sizeBytes: number;
}

export type { ActionResult, ActionResult__Output };

/** proto/reapi/ of this package, from source (tsx) and from dist/ alike. */
export function reapiProtoDir(): string {
  return join(findPackageRoot(), "proto", "reapi");
}

let loaded: (ReapiProto & ByteStreamProto) | undefined;

function services(): ReapiProto & ByteStreamProto {
  if (!loaded) {
    const definition = protoLoader.loadSync(REAPI_PROTOS, { ...REAPI_LOADER_OPTIONS, includeDirs: [reapiProtoDir()] });
    loaded = grpc.loadPackageDefinition(definition) as unknown as ReapiProto & ByteStreamProto;
  }
  return loaded;
}

/** A failed call: the RPC, the gRPC status name (UNAVAILABLE, DEADLINE_EXCEEDED, NOT_FOUND, ...) and the server's message. */
export class ReapiError extends Error {
  constructor(
    readonly rpc: string,
    readonly code: string,
    readonly details: string,
  ) {
    super(`${rpc} failed (${code}): ${details}`);
    this.name = "ReapiError";
  }
}

function reapiError(rpc: string, e: unknown): ReapiError {
  if (e instanceof ReapiError) return e;
  const err = e as Partial<grpc.ServiceError> & Error;
  const code = typeof err.code === "number" ? (grpc.status[err.code] ?? String(err.code)) : "UNKNOWN";
  return new ReapiError(rpc, code, err.details || err.message);
}

/** Where the server is and how to reach it. */
export interface ReapiEndpoint {
  /** grpc://host:port (plaintext) or grpcs://host:port (TLS). */
  address: string;
  instance: string;
  /** PEM bytes; a custom CA, and a client certificate and key for mutual TLS. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; serverName?: string };
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Sent as `x-buildbuddy-api-key: <key>` on every call (BuildBuddy's authentication). */
  apiKey?: string;
  /** The deadline of a call that moves no blob (default 10 s). */
  timeoutMs?: number;
}

export interface CacheCapabilities {
  digestFunctions: string[];
  updateEnabled: boolean;
  /** The largest BatchUpdateBlobs/BatchReadBlobs request the server takes; 0 when it says none. */
  maxBatchTotalSizeBytes: number;
  /** e.g. "2.2". */
  highApiVersion: string;
}

/** Parses grpc://host:port or grpcs://host:port; undefined when it is neither. */
export function parseAddress(address: string): { secure: boolean; target: string } | undefined {
  const m = /^(grpcs?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:\s]+):(\d{1,5})\/?$/.exec(address);
  if (!m || Number(m[3]) > 65535) return undefined;
  return { secure: m[1] === "grpcs", target: `${m[2]}:${m[3]}` };
}

/** Throughput a blob transfer's deadline assumes at the least (10 MiB/s). */
const MIN_BYTES_PER_MS = (10 << 20) / 1000;
/** ByteStream chunk size: well under gRPC's default 4 MiB message limit. */
const STREAM_CHUNK_BYTES = 1 << 20;
const MAX_MESSAGE_BYTES = 64 << 20;

type UnaryMethod<Req, Res> = (request: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: Res) => void) => grpc.ClientUnaryCall;

export class ReapiClient {
  private readonly actionCache;
  private readonly cas;
  private readonly capabilitiesClient;
  private readonly byteStream;
  private readonly timeoutMs: number;

  constructor(readonly endpoint: ReapiEndpoint) {
    const parsed = parseAddress(endpoint.address);
    if (!parsed) throw new Error(`remote cache address ${JSON.stringify(endpoint.address)}: expected grpc://host:port or grpcs://host:port`);
    const tls = endpoint.tls;
    const credentials = parsed.secure ? grpc.credentials.createSsl(tls?.ca ?? null, tls?.key ?? null, tls?.cert ?? null) : grpc.credentials.createInsecure();
    const options: grpc.ChannelOptions = {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
      // A dead server should cost one failed call, not a reconnect loop that outlives the build.
      "grpc.initial_reconnect_backoff_ms": 200,
      "grpc.max_reconnect_backoff_ms": 2000,
    };
    if (parsed.secure && tls?.serverName) {
      options["grpc.ssl_target_name_override"] = tls.serverName;
      options["grpc.default_authority"] = tls.serverName;
    }
    const v2 = services().build.bazel.remote.execution.v2;
    this.actionCache = new v2.ActionCache(parsed.target, credentials, options);
    // One channel for all four services: grpc-js shares it when target, credentials and options match.
    this.cas = new v2.ContentAddressableStorage(parsed.target, credentials, options);
    this.capabilitiesClient = new v2.Capabilities(parsed.target, credentials, options);
    this.byteStream = new (services().google.bytestream.ByteStream)(parsed.target, credentials, options);
    this.timeoutMs = endpoint.timeoutMs ?? 10_000;
  }

  private metadata(): grpc.Metadata {
    const m = new grpc.Metadata();
    if (this.endpoint.token) m.set("authorization", `Bearer ${this.endpoint.token}`);
    if (this.endpoint.apiKey) m.set("x-buildbuddy-api-key", this.endpoint.apiKey);
    return m;
  }

  private deadline(bytes = 0): grpc.CallOptions {
    return { deadline: Date.now() + this.timeoutMs + bytes / MIN_BYTES_PER_MS };
  }

  private unary<Req, Res>(rpc: string, client: object, method: UnaryMethod<Req, Res>, request: Req, bytes = 0): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(client, request, this.metadata(), this.deadline(bytes), (error, response) => {
        if (error || !response) reject(reapiError(rpc, error ?? new Error("empty response")));
        else resolve(response);
      });
    });
  }

  async capabilities(): Promise<CacheCapabilities> {
    const c: ServerCapabilities__Output = await this.unary("GetCapabilities", this.capabilitiesClient, this.capabilitiesClient.getCapabilities as UnaryMethod<object, ServerCapabilities__Output>, { instanceName: this.endpoint.instance });
    const cache = c.cacheCapabilities;
    const v = c.highApiVersion;
    return {
      digestFunctions: cache?.digestFunctions.map(String) ?? [],
      updateEnabled: cache?.actionCacheUpdateCapabilities?.updateEnabled ?? false,
      maxBatchTotalSizeBytes: Number(cache?.maxBatchTotalSizeBytes ?? 0),
      highApiVersion: v ? `${v.major}.${v.minor}` : "",
    };
  }

  /** The ActionCache's entry, or undefined when there is none (NOT_FOUND). */
  async getActionResult(actionDigest: Digest): Promise<ActionResult__Output | undefined> {
    try {
      return await this.unary("GetActionResult", this.actionCache, this.actionCache.getActionResult as UnaryMethod<object, ActionResult__Output>, {
        instanceName: this.endpoint.instance,
        actionDigest,
        digestFunction: "SHA256",
      });
    } catch (e) {
      if (e instanceof ReapiError && e.code === "NOT_FOUND") return undefined;
      throw e;
    }
  }

  async updateActionResult(actionDigest: Digest, actionResult: ActionResult): Promise<void> {
    await this.unary("UpdateActionResult", this.actionCache, this.actionCache.updateActionResult as UnaryMethod<object, ActionResult__Output>, {
      instanceName: this.endpoint.instance,
      actionDigest,
      actionResult,
      digestFunction: "SHA256",
    });
  }

  /** The digests among `digests` the CAS does not hold. */
  async findMissingBlobs(digests: Digest[]): Promise<Digest[]> {
    if (digests.length === 0) return [];
    const r = await this.unary("FindMissingBlobs", this.cas, this.cas.findMissingBlobs as UnaryMethod<object, { missingBlobDigests: { hash: string; sizeBytes: number }[] }>, {
      instanceName: this.endpoint.instance,
      blobDigests: digests,
      digestFunction: "SHA256",
    });
    return r.missingBlobDigests.map((d) => ({ hash: d.hash, sizeBytes: Number(d.sizeBytes) }));
  }

  /** Uploads blobs in one request (their total must be under the server's batch limit); any blob refused is an error. */
  async batchUpdateBlobs(blobs: { digest: Digest; data: Uint8Array }[]): Promise<void> {
    if (blobs.length === 0) return;
    const bytes = blobs.reduce((n, b) => n + b.data.length, 0);
    type Response = { responses: { digest: Digest | null; status: { code: number; message: string } | null }[] };
    const r = await this.unary(
      "BatchUpdateBlobs",
      this.cas,
      this.cas.batchUpdateBlobs as UnaryMethod<object, Response>,
      { instanceName: this.endpoint.instance, requests: blobs.map((b) => ({ digest: b.digest, data: b.data })), digestFunction: "SHA256" },
      bytes,
    );
    const refused = r.responses.find((x) => x.status && x.status.code !== 0);
    if (refused) throw new ReapiError("BatchUpdateBlobs", `status ${refused.status!.code}`, `blob ${refused.digest?.hash ?? "?"}: ${refused.status!.message}`);
  }

  /** Reads blobs in one request; a blob the server does not have maps to undefined. */
  async batchReadBlobs(digests: Digest[]): Promise<Map<string, Buffer | undefined>> {
    const out = new Map<string, Buffer | undefined>();
    if (digests.length === 0) return out;
    const bytes = digests.reduce((n, d) => n + d.sizeBytes, 0);
    type Response = { responses: { digest: Digest | null; data: Buffer; status: { code: number; message: string } | null }[] };
    const r = await this.unary(
      "BatchReadBlobs",
      this.cas,
      this.cas.batchReadBlobs as UnaryMethod<object, Response>,
      { instanceName: this.endpoint.instance, digests, digestFunction: "SHA256" },
      bytes,
    );
    for (const x of r.responses) {
      if (!x.digest) continue;
      const code = x.status?.code ?? 0;
      // 5 is google.rpc.Code NOT_FOUND; anything else is the server failing, not a miss.
      if (code === 5) out.set(x.digest.hash, undefined);
      else if (code !== 0) throw new ReapiError("BatchReadBlobs", `status ${code}`, `blob ${x.digest.hash}: ${x.status!.message}`);
      else out.set(x.digest.hash, x.data);
    }
    return out;
  }

  private resourceName(...parts: string[]): string {
    const instance = this.endpoint.instance;
    return [...(instance ? [instance] : []), ...parts].join("/");
  }

  /** Reads a blob through ByteStream (for blobs above the batch limit); undefined when the server does not have it. */
  readBlob(digest: Digest): Promise<Buffer | undefined> {
    return new Promise((resolve, reject) => {
      const call = this.byteStream.read({ resourceName: this.resourceName("blobs", digest.hash, String(digest.sizeBytes)), readOffset: 0, readLimit: 0 }, this.metadata(), this.deadline(digest.sizeBytes));
      // Chunks are copied into one array of the announced size as they arrive: a large blob costs
      // its size once, not its chunks and their concatenation. More bytes than announced cannot
      // be the blob: nothing is returned then, which the caller's digest check refuses.
      const blob = Buffer.allocUnsafe(digest.sizeBytes);
      let received = 0;
      call.on("data", (r: ReadResponse__Output) => {
        if (received + r.data.length <= blob.length) blob.set(r.data, received);
        received += r.data.length;
      });
      call.on("error", (e: grpc.ServiceError) => (e.code === grpc.status.NOT_FOUND ? resolve(undefined) : reject(reapiError("ByteStream.Read", e))));
      call.on("end", () => resolve(received > blob.length ? Buffer.alloc(0) : blob.subarray(0, received)));
    });
  }

  /** Writes a blob, given as parts that follow one another, through ByteStream in chunks (views of the parts), with flow control. */
  writeBlob(digest: Digest, parts: readonly Uint8Array[]): Promise<void> {
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    return new Promise((resolve, reject) => {
      const call = this.byteStream.write(this.metadata(), this.deadline(total), (error, response) => {
        if (error) return reject(reapiError("ByteStream.Write", error));
        const committed = Number(response?.committedSize ?? 0);
        // A server that already holds the blob may answer early with its full size.
        if (committed !== total) return reject(new ReapiError("ByteStream.Write", "DATA_LOSS", `committed ${committed} of ${total} bytes`));
        resolve();
      });
      const resourceName = this.resourceName("uploads", randomUUID(), "blobs", digest.hash, String(digest.sizeBytes));
      let part = 0;
      let within = 0; // offset inside parts[part]
      let offset = 0; // offset in the blob
      const pump = () => {
        for (;;) {
          while (part < parts.length && within === parts[part]!.byteLength) (part++, (within = 0));
          const current = parts[part];
          const data = current ? current.subarray(within, within + STREAM_CHUNK_BYTES) : new Uint8Array(0);
          const end = offset + data.byteLength;
          const request: WriteRequest = { writeOffset: offset, finishWrite: end === total, data };
          if (offset === 0) request.resourceName = resourceName;
          const more = call.write(request);
          within += data.byteLength;
          offset = end;
          if (end === total) {
            call.end();
            return;
          }
          if (!more) {
            call.once("drain", pump);
            return;
          }
        }
      };
      pump();
    });
  }

  close(): void {
    for (const c of [this.actionCache, this.cas, this.capabilitiesClient, this.byteStream]) c.close();
  }
}
