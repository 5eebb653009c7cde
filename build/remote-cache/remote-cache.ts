// The remote cache layer: entries of tpu-build's caches (compile artifacts, executables, run results) kept in any
// Remote Execution API v2 server, each as an ActionCache entry (Action digest -> ActionResult) whose
// output files are blobs in the CAS.
//
// Entry. An entry's Action is {command_digest: digest of Command{arguments: ["tpu-build",
// "remote-cache/1", kind, key]}, input_root_digest: the empty Directory}; its digest is the
// ActionCache key, the same from every machine. The ActionResult lists the entry's files (path,
// digest); with a signing key, ExecutedActionMetadata.auxiliary_metadata carries our
// EntrySignature (signing.ts).
//
// Reading. Every blob is checked against its digest; a mismatch, a missing or wrong signature
// (with a key configured) or a missing blob is a miss, never a use; the first two warn. A blob found
// corrupt is uploaded again by the next put, whatever FindMissingBlobs says.
//
// Never a dependency. Every call has a deadline; the first failure of the server (down, refusing,
// too slow) gives one warning and turns this layer off for the rest of its life (one build), so a
// build pays at most one deadline and then goes on locally.
//
// Writing. put() queues the upload and returns at once; flush() waits for the queue. Blobs the
// server lacks (FindMissingBlobs) go in BatchUpdateBlobs requests under the server's batch limit,
// larger ones through ByteStream.Write; the ActionCache entry is written last, so it never names
// a blob that is not there.

import { createHash } from "node:crypto";
import { isAbsolute, join } from "node:path";
import protobuf from "protobufjs";
import { updateHash } from "../hash.js";
import type { ActionResult, ActionResult__Output } from "./reapi-client.js";
import { ReapiClient, reapiProtoDir, REAPI_PROTOS, type CacheCapabilities, type Digest, type ReapiEndpoint } from "./reapi-client.js";
import { SIGNATURE_ALGORITHM, SIGNATURE_TYPE_URL, signEntry, verifyEntry } from "./signing.js";

export type EntryKind = "artifact" | "executable" | "run";

export interface RemoteCacheOptions {
  endpoint: ReapiEndpoint;
  /** HMAC-SHA256 key: entries written are signed, entries read must be. */
  signingKey?: Buffer;
  /** false: read-only. */
  write: boolean;
}

/** What the layer tells the build: warnings (human, once each) and finished uploads. */
export interface RemoteCacheReporter {
  warn(message: string): void;
  uploaded?(upload: { kind: EntryKind; key: string; label: string; bytes: number; blobs: number; durationMs: number }): void;
}

export interface RemoteEntry {
  /** File contents by path, every one checked against its digest. */
  files: Map<string, Buffer>;
  /** Bytes read from the server. */
  bytes: number;
}

/** Counters of what went over the wire (tests check that large blobs take ByteStream). */
export interface RemoteCacheStats {
  hits: number;
  misses: number;
  batchReads: number;
  byteStreamReads: number;
  batchUpdates: number;
  byteStreamWrites: number;
  entriesWritten: number;
}

/** The largest batch request we send, whatever the server allows: gRPC's default message limit. */
const MAX_BATCH_BYTES = 4 << 20;
/** Room for a blob's digest and framing inside a batch request. */
const PER_BLOB_OVERHEAD = 256;

let messages: { Action: protobuf.Type; Command: protobuf.Type; EntrySignature: protobuf.Type } | undefined;

/** protobufjs types for the messages we encode ourselves (the Action and Command whose digests are keys, our signature). */
function messageTypes(): NonNullable<typeof messages> {
  if (!messages) {
    const root = new protobuf.Root();
    const dir = reapiProtoDir();
    root.resolvePath = (_origin, target) => (isAbsolute(target) || target.startsWith("google/protobuf/") ? target : join(dir, target));
    root.loadSync(REAPI_PROTOS.map((p) => join(dir, p)));
    messages = {
      Action: root.lookupType("build.bazel.remote.execution.v2.Action"),
      Command: root.lookupType("build.bazel.remote.execution.v2.Command"),
      EntrySignature: root.lookupType("tpubuild.remotecache.EntrySignature"),
    };
  }
  return messages;
}

/**
 * A blob's bytes: one array, or parts that follow one another (a .npy's header and its tensor's
 * own bytes), so that a large result is uploaded without a joined copy.
 */
export type BlobBytes = Uint8Array | readonly Uint8Array[];

const partsOf = (data: BlobBytes): readonly Uint8Array[] => (data instanceof Uint8Array ? [data] : data);

export function blobLength(data: BlobBytes): number {
  return partsOf(data).reduce((n, p) => n + p.byteLength, 0);
}

/** The blob as one array (a copy only when it is in several parts: done for batched, small blobs). */
export function joinedBlob(data: BlobBytes): Uint8Array {
  return data instanceof Uint8Array ? data : data.length === 1 ? data[0]! : Buffer.concat(data);
}

export function digestOf(data: BlobBytes): Digest {
  const parts = partsOf(data);
  return { hash: parts.reduce((h, p) => updateHash(h, p), createHash("sha256")).digest("hex"), sizeBytes: blobLength(parts) };
}

/** The Action (and its Command) that names an entry, as bytes with their digests. */
export function entryAction(kind: EntryKind, key: string): { action: Digest; blobs: { digest: Digest; data: Uint8Array }[] } {
  const { Action, Command } = messageTypes();
  const command = Command.encode(Command.create({ arguments: ["tpu-build", "remote-cache/1", kind, key] })).finish();
  const commandDigest = digestOf(command);
  // The empty Directory encodes to no bytes.
  const action = Action.encode(Action.create({ commandDigest, inputRootDigest: digestOf(new Uint8Array(0)) })).finish();
  const actionDigest = digestOf(action);
  return { action: actionDigest, blobs: [{ digest: commandDigest, data: command }, { digest: actionDigest, data: action }] };
}

const short = (key: string) => key.slice(0, 12);

/** Splits blobs into those too large for a batch request (ByteStream) and batches under `limit` bytes. */
function planTransfers<T>(blobs: T[], size: (blob: T) => number, limit: number): { streamed: T[]; batches: T[][] } {
  const streamed: T[] = [];
  const batches: T[][] = [];
  let batch: T[] = [];
  let batchBytes = 0;
  for (const blob of blobs) {
    const bytes = size(blob) + PER_BLOB_OVERHEAD;
    if (bytes > limit) {
      streamed.push(blob);
      continue;
    }
    if (batchBytes + bytes > limit && batch.length) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(blob);
    batchBytes += bytes;
  }
  if (batch.length) batches.push(batch);
  return { streamed, batches };
}

export class RemoteCache {
  readonly stats: RemoteCacheStats = { hits: 0, misses: 0, batchReads: 0, byteStreamReads: 0, batchUpdates: 0, byteStreamWrites: 0, entriesWritten: 0 };
  private readonly client: ReapiClient;
  private capabilities: Promise<CacheCapabilities | undefined> | undefined;
  private off = false;
  private uploads: Promise<void> = Promise.resolve();
  /** Blobs read back corrupt: uploaded again even when the server says it has them. */
  private readonly corrupt = new Set<string>();
  private writeRefusedSaid = false;

  constructor(
    readonly options: RemoteCacheOptions,
    private readonly reporter: RemoteCacheReporter,
  ) {
    this.client = new ReapiClient(options.endpoint);
  }

  get address(): string {
    return this.options.endpoint.address;
  }

  /** Whether the layer still talks to its server in this build. */
  get available(): boolean {
    return !this.off;
  }

  /** The first failure turns the layer off, with one warning. */
  private fail(e: unknown): undefined {
    if (!this.off) {
      this.off = true;
      this.reporter.warn(`remote cache ${this.address} unavailable (${(e as Error).message}); going on without it for this build`);
    }
    return undefined;
  }

  private ready(): Promise<CacheCapabilities | undefined> {
    this.capabilities ??= this.client.capabilities().then(
      (c) => {
        if (c.digestFunctions.length && !c.digestFunctions.includes("SHA256")) {
          this.off = true;
          this.reporter.warn(`remote cache ${this.address} does not offer SHA-256 digests (it offers ${c.digestFunctions.join(", ")}); not used`);
          return undefined;
        }
        return c;
      },
      (e) => this.fail(e),
    );
    return this.capabilities;
  }

  private batchLimit(c: CacheCapabilities): number {
    return Math.min(c.maxBatchTotalSizeBytes > 0 ? c.maxBatchTotalSizeBytes : MAX_BATCH_BYTES, MAX_BATCH_BYTES);
  }

  /**
   * The files an entry's ActionCache record names (path and digest), its signature checked, without
   * reading a blob: what `plan` asks to say whether the remote cache would answer. Undefined when it
   * has no usable record (or the server fails: then the layer is off, with its one warning).
   */
  async lookup(kind: EntryKind, key: string, label: string): Promise<{ path: string; digest: Digest }[] | undefined> {
    if (this.off) return undefined;
    const caps = await this.ready();
    if (!caps || this.off) return undefined;
    try {
      return (await this.record(kind, key, label))?.map(({ path, digest }) => ({ path, digest }));
    } catch (e) {
      return this.fail(e);
    }
  }

  /** The entry's output files as its ActionResult lists them, or undefined when it has none or its signature is not acceptable (with a warning). */
  private async record(kind: EntryKind, key: string, label: string): Promise<{ path: string; digest: Digest; contents: Buffer }[] | undefined> {
    const { action } = entryAction(kind, key);
    const result = await this.client.getActionResult(action);
    if (!result) return undefined;
    const outputs = result.outputFiles.map((f) => ({ path: f.path, digest: { hash: f.digest?.hash ?? "", sizeBytes: Number(f.digest?.sizeBytes ?? 0) }, contents: f.contents }));
    if (this.options.signingKey) {
      const problem = this.signatureProblem(result, { kind, key, action, files: outputs });
      if (problem) {
        this.reporter.warn(`remote cache: the ${kind} of ${label} (${short(key)}) is ${problem}; not used`);
        return undefined;
      }
    }
    return outputs;
  }

  /** The entry's verified files, or undefined on a miss (absent, corrupt, unsigned, or the server failing). */
  async get(kind: EntryKind, key: string, label: string): Promise<RemoteEntry | undefined> {
    if (this.off) return undefined;
    const caps = await this.ready();
    if (!caps || this.off) return undefined;
    try {
      const outputs = await this.record(kind, key, label);
      if (!outputs) return this.miss();
      const files = new Map<string, Buffer>();
      // Files the server inlined, and empty ones (the empty blob is never fetched), need no read.
      const wanted = outputs.filter((o) => {
        if (o.digest.sizeBytes !== 0 && o.contents.length !== o.digest.sizeBytes) return true;
        files.set(o.path, o.digest.sizeBytes === 0 ? Buffer.alloc(0) : o.contents);
        return false;
      });
      const blobs = new Map<string, Buffer | undefined>();
      const unique = [...new Map(wanted.map((o) => [o.digest.hash, o.digest])).values()];
      const { streamed, batches } = planTransfers(unique, (d) => d.sizeBytes, this.batchLimit(caps));
      for (const digest of streamed) {
        this.stats.byteStreamReads++;
        blobs.set(digest.hash, await this.client.readBlob(digest));
      }
      for (const batch of batches) {
        this.stats.batchReads++;
        for (const [hash, data] of await this.client.batchReadBlobs(batch)) blobs.set(hash, data);
      }
      let bytes = 0;
      for (const o of outputs) {
        const data = files.get(o.path) ?? blobs.get(o.digest.hash);
        if (!data) return this.miss(); // evicted from the CAS: an ordinary miss
        const actual = digestOf(data);
        if (actual.hash !== o.digest.hash || actual.sizeBytes !== o.digest.sizeBytes) {
          this.corrupt.add(o.digest.hash);
          this.reporter.warn(`remote cache: ${o.path} of the ${kind} of ${label} (${short(key)}) does not match its digest ${o.digest.hash.slice(0, 12)}/${o.digest.sizeBytes} (corrupt on the server); not used`);
          return this.miss();
        }
        files.set(o.path, data);
        bytes += data.length;
      }
      this.stats.hits++;
      return { files, bytes };
    } catch (e) {
      return this.fail(e);
    }
  }

  private miss(): undefined {
    this.stats.misses++;
    return undefined;
  }

  /** Why an entry's signature is not acceptable, or undefined when it is. */
  private signatureProblem(result: ActionResult__Output, content: Parameters<typeof signEntry>[1]): string | undefined {
    const any = result.executionMetadata?.auxiliaryMetadata.find((a) => a.type_url === SIGNATURE_TYPE_URL);
    if (!any) return "unsigned";
    let signature: { algorithm?: string; mac?: Uint8Array };
    try {
      signature = messageTypes().EntrySignature.decode(any.value) as unknown as { algorithm?: string; mac?: Uint8Array };
    } catch {
      return "signed with an unreadable signature";
    }
    if (signature.algorithm !== SIGNATURE_ALGORITHM) return `signed with ${JSON.stringify(signature.algorithm ?? "")}, not ${SIGNATURE_ALGORITHM}`;
    return verifyEntry(this.options.signingKey!, content, signature.mac ?? new Uint8Array(0)) ? undefined : "signed with another key (or altered)";
  }

  /** Queues the upload of an entry; returns at once. A read-only layer, or one that is off, does nothing. */
  put(kind: EntryKind, key: string, label: string, files: { path: string; data: BlobBytes }[]): void {
    if (!this.options.write || this.off) return;
    this.uploads = this.uploads.then(() => this.upload(kind, key, label, files)).catch((e) => void this.fail(e));
  }

  /** Resolves when every queued upload has finished (or failed, with its warning). */
  flush(): Promise<void> {
    return this.uploads;
  }

  private async upload(kind: EntryKind, key: string, label: string, files: { path: string; data: BlobBytes }[]): Promise<void> {
    if (this.off) return;
    const t0 = performance.now();
    const caps = await this.ready();
    if (!caps || this.off) return;
    if (!caps.updateEnabled) {
      if (!this.writeRefusedSaid) this.reporter.warn(`remote cache ${this.address} does not take ActionCache updates; nothing is uploaded`);
      this.writeRefusedSaid = true;
      return;
    }
    const { action, blobs: actionBlobs } = entryAction(kind, key);
    const outputs = files.map((f) => ({ path: f.path, digest: digestOf(f.data), data: f.data }));
    const all = new Map<string, { digest: Digest; data: BlobBytes }>();
    for (const b of [...outputs, ...actionBlobs]) all.set(b.digest.hash, b);
    const missing = new Set((await this.client.findMissingBlobs([...all.values()].map((b) => b.digest))).map((d) => d.hash));
    for (const hash of this.corrupt) if (all.has(hash)) missing.add(hash);
    const toSend = [...missing].flatMap((hash) => all.get(hash) ?? []);
    const bytes = toSend.reduce((n, b) => n + b.digest.sizeBytes, 0);
    const { streamed, batches } = planTransfers(toSend, (b) => b.digest.sizeBytes, this.batchLimit(caps));
    for (const blob of streamed) {
      this.stats.byteStreamWrites++;
      await this.client.writeBlob(blob.digest, partsOf(blob.data));
    }
    for (const batch of batches) {
      this.stats.batchUpdates++;
      await this.client.batchUpdateBlobs(batch.map((b) => ({ digest: b.digest, data: joinedBlob(b.data) })));
    }
    for (const hash of missing) this.corrupt.delete(hash);
    const actionResult: ActionResult = {
      outputFiles: outputs.map((o) => ({ path: o.path, digest: o.digest, isExecutable: false })),
      exitCode: 0,
      executionMetadata: { worker: "tpu-build", auxiliaryMetadata: [] },
    };
    if (this.options.signingKey) {
      const mac = signEntry(this.options.signingKey, { kind, key, action, files: outputs });
      const { EntrySignature } = messageTypes();
      const value = EntrySignature.encode(EntrySignature.create({ algorithm: SIGNATURE_ALGORITHM, mac })).finish();
      actionResult.executionMetadata!.auxiliaryMetadata = [{ type_url: SIGNATURE_TYPE_URL, value: Buffer.from(value) }];
    }
    await this.client.updateActionResult(action, actionResult);
    this.stats.entriesWritten++;
    this.reporter.uploaded?.({ kind, key, label, bytes, blobs: missing.size, durationMs: Math.round(performance.now() - t0) });
  }

  /** Waits for queued uploads, then closes the connection. */
  async close(): Promise<void> {
    await this.flush();
    this.client.close();
  }
}
