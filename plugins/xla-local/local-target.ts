// The "local" target: XLA on this machine's CPU, through the runtime server over gRPC.
//
// Sessions speak Julia (TargetSession in plugins/api.ts): tensors carry Julia sizes and
// column-major bytes; this is where they become XLA shapes (dims reversed, same bytes).
// Beyond the TargetSession methods, a LocalSession keeps tensors on the device (upload, execute,
// download, release), so that parameters can be sent once and reused across runs.

import type { ArtifactRef, CompileOptions, DeviceInfo, ElementType, ExecutableStore, ExecutableTier, LeafSignature, LoadReport, SettingProblem, Signature, TargetPlugin, TargetSession, Tensor, TensorLayout } from "../api.js";
import { parameterLayout } from "../api.js";
import type { CompiledExecutable, DeviceBuffer, RuntimeClient } from "./runtime-client.js";
import { RuntimeProcess, type RuntimeProcessOptions } from "./runtime-process.js";
import { checkLocalSettings, executableCacheDir, localCompileOptions, narrowLocalSettings } from "./settings.js";
import { describeJulia, describeXla, elementTypeOf, juliaSizeOf, meshDevices, sliceBlock, tensorByteSize, xlaPlacement, xlaShapeOf, type ArrayBlock, type XlaShape } from "./tensor-layout.js";

/** A tensor that lives on the device, held by the runtime server until released. */
export interface ResidentTensor {
  readonly handle: string;
  readonly eltype: ElementType;
  /** Julia order. */
  readonly size: number[];
  readonly byteLength: number;
  /** The devices holding it (one unless split or copied over a mesh), and its Julia size on each. */
  readonly devices: number[];
  readonly shardSize: number[];
}

interface LoadedArtifact {
  executable: CompiledExecutable;
  signature: Signature;
}

const LOAD_SOURCES = { COMPILED: "compiled", MEMORY: "memory", DISK: "disk", IMPORTED: "remote" } as const;

function sameSize(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function leafName(signature: Signature, kind: "input" | "result", index: number, leaf: LeafSignature): string {
  return `${signature.entry}: ${kind} ${index + 1}${leaf.path ? ` (${leaf.path})` : ""}`;
}

function isResident(x: Tensor | ResidentTensor): x is ResidentTensor {
  return typeof (x as ResidentTensor).handle === "string";
}

/** What a session drives: a runtime server's client, and how to let go of the server (stop it, or leave it). */
export interface RuntimeConnection {
  readonly client: RuntimeClient;
  close(): Promise<void>;
}

export class LocalSession<R extends RuntimeConnection = RuntimeProcess> implements TargetSession {
  private readonly loaded = new Map<string, LoadedArtifact>();
  /** Executables compiled fast (the "fast" tier), by artifact hash, until the optimized one replaces them. */
  private readonly fast = new Map<string, LoadedArtifact>();
  private closed = false;

  constructor(
    readonly runtime: R,
    readonly device = 0,
    /** Where the runtime's warnings go (an untrusted executable-cache entry it recompiled). */
    private readonly warn: (message: string) => void = (message) => process.stderr.write(`tpu-build: warning: ${message}\n`),
  ) {}

  get client(): RuntimeClient {
    return this.runtime.client;
  }

  private live(): void {
    if (this.closed) throw new Error("this target session is closed");
  }

  async info(): Promise<DeviceInfo> {
    this.live();
    const d = await this.client.deviceInfo();
    return {
      platform: d.platform,
      platformVersion: d.platformVersion,
      devices: d.devices.map((x) => ({ id: x.id, kind: x.kind, ...(x.memoryBytes ? { memoryBytes: x.memoryBytes } : {}) })),
      runtimeVersion: `tpu-build runtime ${d.serverVersion} (jax ${d.jaxVersion}, jaxlib ${d.jaxlibVersion}${d.libtpuVersion ? `, libtpu ${d.libtpuVersion}` : ""})`,
    };
  }

  /**
   * Compiles (or finds in the runtime's caches, or in `executables`) and keeps the executable; a no-op when already loaded.
   * `tier: "fast"`: the optimized executable when the runtime holds it (loaded, or in its disk cache), else one compiled fast.
   */
  async load(artifact: ArtifactRef, options: { executables?: ExecutableStore; tier?: ExecutableTier } = {}): Promise<LoadReport> {
    if (options.tier === "fast" && !this.loaded.has(artifact.hash)) {
      const placement = this.placementOf(artifact);
      if (!(await this.client.executableKey(artifact.module, artifact.hash, placement)).cached) {
        const before = this.fast.get(artifact.hash);
        const executable = before?.executable ?? (await this.client.compile(artifact.module, artifact.hash, { ...placement, fast: true }));
        checkAgainstSignature(artifact, executable);
        this.fast.set(artifact.hash, { executable, signature: artifact.signature });
        return { source: before ? "memory" : LOAD_SOURCES[executable.source], xlaCompilations: executable.compilations, loadMs: before ? 0 : Math.round(executable.elapsedMs), tier: "fast" };
      }
    }
    const before = this.loaded.get(artifact.hash);
    const shared: { digest?: string; bytes?: number } = {};
    const executable = await this.loadExecutable(artifact, options.executables, shared);
    const source = before ? "memory" : LOAD_SOURCES[executable.source];
    return { source, xlaCompilations: executable.compilations, loadMs: before ? 0 : Math.round(executable.elapsedMs), ...shared };
  }

  /**
   * Like load(), and tells how the executable was obtained (COMPILED, MEMORY, DISK or IMPORTED).
   * With a store: what the runtime does not hold is looked up there first (and imported, the
   * runtime checking the entry before deserializing it); what the runtime compiles is put there.
   * The store is an accelerator: its failures are warnings, never the load's.
   */
  async loadExecutable(artifact: ArtifactRef, store?: ExecutableStore, shared: { digest?: string; bytes?: number } = {}): Promise<CompiledExecutable> {
    this.live();
    const existing = this.loaded.get(artifact.hash);
    if (existing) return existing.executable;
    const placement = this.placementOf(artifact);
    const label = artifact.signature.entry;
    const storeFailed = (e: unknown) => this.warn(`${label}: the shared executable cache was not used (${(e as Error).message})`);
    if (store) {
      try {
        const { digest, cached } = await this.client.executableKey(artifact.module, artifact.hash, placement);
        shared.digest = digest;
        const got = cached ? undefined : await store.get(digest, label);
        if (got) {
          await this.client.importExecutable(digest, got.entry);
          shared.bytes = got.bytes;
        }
      } catch (e) {
        storeFailed(e);
      }
    }
    const executable = await this.client.compile(artifact.module, artifact.hash, placement);
    if (executable.cacheWarning) this.warn(`${label}: ${executable.cacheWarning}`);
    checkAgainstSignature(artifact, executable);
    this.loaded.set(artifact.hash, { executable, signature: artifact.signature });
    if (executable.source !== "IMPORTED") delete shared.bytes; // imported, then not loadable: compiled after all
    if (store && shared.digest && executable.source === "COMPILED") {
      await this.client.exportExecutable(executable.handle).then(({ digest, entry }) => store.put(digest, label, entry), storeFailed);
    }
    return executable;
  }

  /** Where an artifact's executable runs: a module with a mesh is one SPMD program over the mesh's devices (the target's first ones). */
  private placementOf(artifact: ArtifactRef): { devices: number[] } | { device: number } {
    return artifact.signature.mesh ? { devices: meshDevices(artifact.signature.mesh) } : { device: this.device };
  }

  isLoaded(artifactHash: string): boolean {
    return this.loaded.has(artifactHash);
  }

  private artifact(hash: string, tier: ExecutableTier = "optimized"): LoadedArtifact {
    this.live();
    const a = (tier === "fast" ? this.fast : this.loaded).get(hash);
    if (!a) throw new Error(`artifact ${hash} is not loaded in this session${tier === "fast" ? " as a fast-tier executable" : ""}; call load() first`);
    return a;
  }

  /**
   * Sends a tensor to the device, or split over a mesh's devices as `layout` says (each device
   * receives only its shard); it stays there until release(). `block`: of a mesh spanning several
   * servers, the part of the tensor this server's devices hold (shardBlock): only it is sent.
   */
  async upload(tensor: Tensor, layout?: TensorLayout, block?: ArrayBlock): Promise<ResidentTensor> {
    this.live();
    const expected = tensorByteSize(tensor);
    if (tensor.data.byteLength !== expected) {
      throw new Error(`a ${describeJulia(tensor.eltype, tensor.size)} tensor takes ${expected} bytes, got ${tensor.data.byteLength}`);
    }
    if (!layout) return residentTensor(await this.client.transferIn(xlaShapeOf(tensor.eltype, tensor.size), tensor.data, { device: this.device }), tensor.eltype, tensor.size);
    const placement = xlaPlacement(layout, tensor.size.length);
    const whole = !block || sameSize(block.size, tensor.size);
    const sent = whole ? tensor : sliceBlock(tensor, block);
    const where = whole ? { placement } : { placement: { ...placement, globalDims: [...tensor.size].reverse(), blockStart: [...block.start].reverse() } };
    const buffer = await this.client.transferIn(xlaShapeOf(sent.eltype, sent.size), sent.data, where);
    return residentTensor(buffer, tensor.eltype, tensor.size);
  }

  /**
   * Runs a loaded artifact on inputs that are host tensors or resident ones (signature.parameters
   * order). Host tensors are uploaded for this call and released after it; the results stay on the
   * device, for download() or as inputs of a later execute().
   */
  async execute(artifactHash: string, inputs: (Tensor | ResidentTensor)[], options: { tier?: ExecutableTier } = {}): Promise<ResidentTensor[]> {
    const { executable, signature } = this.artifact(artifactHash, options.tier);
    validateInputs(signature, inputs);
    const temporary: string[] = [];
    try {
      const handles: string[] = [];
      for (const [i, input] of inputs.entries()) {
        if (isResident(input)) handles.push(input.handle);
        else {
          const r = await this.upload(input, parameterLayout(signature, i));
          temporary.push(r.handle);
          handles.push(r.handle);
        }
      }
      const { results } = await this.client.execute(executable.handle, handles);
      try {
        return results.map((buffer, i) => residentResult(signature, i, buffer));
      } catch (e) {
        await this.client.release({ buffers: results.map((r) => r.handle) });
        throw e;
      }
    } catch (e) {
      // The failure is the execute's: a server that died in it cannot release either.
      if (temporary.length > 0) await this.client.release({ buffers: temporary }).catch(() => undefined);
      temporary.length = 0;
      throw e;
    } finally {
      if (temporary.length > 0) await this.client.release({ buffers: temporary });
    }
  }

  /** Brings a resident tensor back to the host; `release` frees it on the device afterwards. */
  async download(tensor: ResidentTensor, options: { release?: boolean } = {}): Promise<Tensor> {
    this.live();
    const { data } = await this.client.transferOut(tensor.handle, { release: options.release ?? false, totalBytes: tensor.byteLength });
    return { eltype: tensor.eltype, size: [...tensor.size], data };
  }

  async release(tensors: ResidentTensor[]): Promise<void> {
    this.live();
    if (tensors.length > 0) await this.client.release({ buffers: tensors.map((t) => t.handle) });
  }

  /** Runs a loaded artifact on host tensors and returns host tensors (signature.results order). */
  async run(artifactHash: string, inputs: Tensor[]): Promise<Tensor[]> {
    const results = await this.execute(artifactHash, inputs);
    const out: Tensor[] = [];
    try {
      for (const r of results) out.push(await this.download(r, { release: true }));
    } finally {
      const left = results.slice(out.length);
      if (left.length > 0 && !this.closed) await this.client.release({ buffers: left.map((r) => r.handle) }).catch(() => undefined);
    }
    return out;
  }

  /** Forgets an artifact's executable of one tier (default: both) and frees it in the server (the disk cache keeps it). */
  async unload(artifactHash: string, options: { tier?: ExecutableTier } = {}): Promise<void> {
    const maps = options.tier === "fast" ? [this.fast] : options.tier === "optimized" ? [this.loaded] : [this.loaded, this.fast];
    const handles: string[] = [];
    for (const map of maps) {
      const a = map.get(artifactHash);
      if (!a) continue;
      map.delete(artifactHash);
      handles.push(a.executable.handle);
    }
    if (handles.length) await this.client.release({ executables: handles });
  }

  /** Stops the runtime server (a remote one: frees this client's session there); every handle of this session becomes invalid. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loaded.clear();
    this.fast.clear();
    await this.runtime.close();
  }
}

function checkAgainstSignature(artifact: ArtifactRef, executable: CompiledExecutable): void {
  const s = artifact.signature;
  const mismatch = (what: string) =>
    new Error(
      `internal error: artifact ${artifact.hash} (${s.entry}): module.hlo.pb and signature.json disagree: ${what}. ` +
        `This is a bug in the compiler that produced it; please report it with the entry's source.`,
    );
  const compare = (kind: "parameter" | "result", leaves: LeafSignature[], shapes: XlaShape[]) => {
    if (leaves.length !== shapes.length) throw mismatch(`the module has ${shapes.length} ${kind}s, the signature ${leaves.length}`);
    leaves.forEach((leaf, i) => {
      const expected = xlaShapeOf(leaf.eltype, leaf.size);
      const actual = shapes[i]!;
      if (actual.elementType !== expected.elementType || !sameSize(actual.dims, expected.dims)) {
        throw mismatch(`${kind} ${i + 1}${leaf.path ? ` (${leaf.path})` : ""} is ${describeXla(actual)} in the module, ${describeJulia(leaf.eltype, leaf.size)} (${describeXla(expected)}) in the signature`);
      }
    });
  };
  compare("parameter", s.parameters, executable.parameters);
  compare("result", s.results, executable.results);
}

function validateInputs(signature: Signature, inputs: (Tensor | ResidentTensor)[]): void {
  const params = signature.parameters;
  if (inputs.length !== params.length) {
    throw new Error(`${signature.entry}: expected ${params.length} input tensor(s) (${params.map((p) => describeJulia(p.eltype, p.size)).join(", ")}), got ${inputs.length}`);
  }
  params.forEach((p, i) => {
    const x = inputs[i]!;
    if (x.eltype !== p.eltype || !sameSize(x.size, p.size)) {
      throw new Error(`${leafName(signature, "input", i, p)}: expected ${describeJulia(p.eltype, p.size)}, got ${describeJulia(x.eltype, x.size)}`);
    }
    if (!isResident(x)) {
      const bytes = tensorByteSize(p);
      if (x.data.byteLength !== bytes) throw new Error(`${leafName(signature, "input", i, p)}: a ${describeJulia(p.eltype, p.size)} tensor takes ${bytes} bytes, got ${x.data.byteLength}`);
    }
  });
}

function residentResult(signature: Signature, i: number, buffer: DeviceBuffer): ResidentTensor {
  const leaf = signature.results[i];
  if (!leaf) throw new Error(`internal error: ${signature.entry} returned more results than its signature lists (${signature.results.length})`);
  const eltype = elementTypeOf(buffer.shape.elementType);
  const size = juliaSizeOf(buffer.shape.dims);
  if (eltype !== leaf.eltype || !sameSize(size, leaf.size)) {
    throw new Error(`internal error: ${leafName(signature, "result", i, leaf)} came back as ${describeXla(buffer.shape)}, the signature says ${describeJulia(leaf.eltype, leaf.size)}`);
  }
  return residentTensor(buffer, eltype, size);
}

function residentTensor(buffer: DeviceBuffer, eltype: ElementType, size: number[]): ResidentTensor {
  return { handle: buffer.handle, eltype, size: [...size], byteLength: buffer.totalBytes, devices: buffer.devices, shardSize: juliaSizeOf(buffer.shardShape.dims) };
}

export interface LocalTargetOptions {
  /** Process options applied to every session (tests use onLog, python, env). */
  process?: Omit<RuntimeProcessOptions, "cacheDir" | "cpuDevices" | "transport" | "xlaFlags">;
  /** Where the runtime's warnings go (default: stderr, as `tpu-build: warning: …`). */
  warn?: (message: string) => void;
}

export class LocalTarget implements TargetPlugin {
  readonly name = "local";

  checkSettings(settings: Record<string, unknown>, context: { workspace: string }): SettingProblem[] {
    return checkLocalSettings(settings, context);
  }

  executableCacheDirs(settings: Record<string, unknown>, context: { workspace: string }): string[] {
    return [executableCacheDir(settings, context)];
  }

  compileOptions(settings: Record<string, unknown>): CompileOptions {
    return localCompileOptions(settings);
  }

  constructor(private readonly options: LocalTargetOptions = {}) {}

  async open(options: { workspace: string; settings?: Record<string, unknown> }): Promise<LocalSession> {
    const settings = narrowLocalSettings(options.settings, options.workspace);
    const cacheDir = executableCacheDir(settings as Record<string, unknown>, options);
    const runtime = await RuntimeProcess.start({ ...this.options.process, cacheDir, cpuDevices: settings.cpuDevices, transport: settings.transport, xlaFlags: settings.xlaFlags });
    const device = settings.device ?? 0;
    if (device >= runtime.ready.devices) {
      await runtime.close();
      throw new Error(`local target: settings.device is ${device}, but the runtime has ${runtime.ready.devices} device(s)`);
    }
    return new LocalSession(runtime, device, this.options.warn);
  }
}

/** The "local" target plugin (XLA CPU). */
export const localTarget = new LocalTarget();
