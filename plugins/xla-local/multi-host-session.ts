// A target of several runtime servers that act as one (a TPU pod slice's hosts; two servers on
// loopback in the tests): each was started with --coordinator, so JAX's distributed runtime joins
// their devices into one global list and XLA's collectives reach across them. This is JAX's
// multi-controller model: every host runs the same SPMD program on its own devices. So an entry
// with a mesh is compiled and executed on every host at once, each host putting only its own
// shards on its devices; its results are replicated, so host 0 reads them back. An entry without a
// mesh runs on global device 0, which process 0 holds. No scheduling of our own: the hosts only
// ever run what the build sends to all of them.

import type { ArtifactRef, DeviceInfo, ExecutableStore, LoadReport, Signature, TargetSession, Tensor, TensorLayout } from "../api.js";
import { meshSize, parameterLayout, resultLayout } from "../api.js";
import { RuntimeError } from "./runtime-client.js";
import { shardBlock } from "./tensor-layout.js";
import type { LocalSession, ResidentTensor, RuntimeConnection } from "./local-target.js";

/** One server of the target, in process order. */
export interface Host {
  address: string;
  session: LocalSession<RuntimeConnection>;
}

/** A tensor as the build holds it: one resident tensor per host that has it (by process index). */
interface SpreadTensor extends ResidentTensor {
  readonly parts: (ResidentTensor | undefined)[];
  /** The mesh layout it was placed with on every host; absent: on host 0's device 0 only. */
  readonly layout?: TensorLayout;
}

function isSpread(x: Tensor | ResidentTensor): x is SpreadTensor {
  return Array.isArray((x as SpreadTensor).parts);
}

function isResidentTensor(x: Tensor | ResidentTensor): x is ResidentTensor {
  return typeof (x as ResidentTensor).handle === "string";
}

export class MultiHostSession implements TargetSession {
  private readonly signatures = new Map<string, Signature>();

  constructor(readonly hosts: Host[]) {}

  /** The devices of all hosts (every server reports the global list). */
  info(): Promise<DeviceInfo> {
    return this.hosts[0]!.session.info();
  }

  /** The hosts that run a module: all for one over a mesh, else process 0. */
  private runners(signature: Signature): number[] {
    return signature.mesh ? this.hosts.map((_, k) => k) : [0];
  }

  /**
   * Loads the module on the hosts that run it. With `executables` (the remote cache), each host
   * looks up and shares its own part of the program: its runtime's digest covers its process index
   * and the process count, so another run of the same topology reuses it host by host and no host
   * ever takes another's.
   */
  async load(artifact: ArtifactRef, options: { executables?: ExecutableStore } = {}): Promise<LoadReport> {
    const split = artifact.signature.results.find((r) => r.shard);
    // Such a result would be read back from several hosts' parts; not done yet.
    if (split) throw new Error(`${artifact.signature.entry} keeps its result ${split.path} split over the mesh ("resultShards"), which a target of several hosts cannot read back yet; drop "resultShards" for this target`);
    // Always the optimized program: a fast tier is not offered across hosts.
    const { executables } = options;
    const reports = await this.onHosts(this.runners(artifact.signature), "load", (h) => h.session.load(artifact, executables ? { executables } : {}));
    this.signatures.set(artifact.hash, artifact.signature);
    return combinedReport(reports);
  }

  /** With a layout: on every host, each sent only the block its devices' shards lie in. Without: on device 0 (process 0). */
  async upload(tensor: Tensor, layout?: TensorLayout): Promise<SpreadTensor> {
    if (!layout) return spread([await this.hosts[0]!.session.upload(tensor)], undefined);
    const held = await this.devicesByHost();
    const mesh = meshSize(layout.mesh);
    return spread(
      await this.onHosts(this.hosts.map((_, k) => k), "upload", (h, k) => h.session.upload(tensor, layout, shardBlock(layout, tensor.size, held[k]!.filter((d) => d < mesh)))),
      layout,
    );
  }

  private devicesHeld?: Promise<number[][]>;

  /** The global device ordinals each host (process) holds, from the global device list. */
  private devicesByHost(): Promise<number[][]> {
    this.devicesHeld ??= this.hosts[0]!.session.client.deviceInfo().then((info) => this.hosts.map((_, k) => info.devices.filter((d) => d.processIndex === k).map((d) => d.ordinal)));
    return this.devicesHeld;
  }

  async execute(artifactHash: string, inputs: (Tensor | ResidentTensor)[]): Promise<SpreadTensor[]> {
    const signature = this.signatures.get(artifactHash);
    if (!signature) throw new Error(`artifact ${artifactHash} is not loaded in this session; call load() first`);
    const runners = this.runners(signature);
    // Every runner needs each argument placed for this module: a host tensor is sent to each host
    // in its part (and released after), one that sits elsewhere (on device 0 only, or laid out
    // for another mesh) is read back and placed again.
    const temporary: SpreadTensor[] = [];
    const place = async (x: Tensor, layout: TensorLayout | undefined): Promise<Tensor | SpreadTensor> => {
      if (!layout) return x;
      const t = await this.upload(x, layout);
      temporary.push(t);
      return t;
    };
    try {
      const placed = await Promise.all(
        inputs.map(async (x, i): Promise<Tensor | ResidentTensor> => {
          const layout = parameterLayout(signature, i);
          if (!isSpread(x)) return isResidentTensor(x) ? x : place(x, layout);
          if (runners.every((k) => x.parts[k]) && sameLayout(x.layout, layout)) return x;
          return place(await this.download(x), layout);
        }),
      );
      return await this.executeOnHosts(signature, artifactHash, runners, placed);
    } finally {
      if (temporary.length) await this.release(temporary).catch(() => undefined);
    }
  }

  private async executeOnHosts(signature: Signature, artifactHash: string, runners: number[], placed: (Tensor | ResidentTensor)[]): Promise<SpreadTensor[]> {
    const results = await this.onHosts(runners, "execute", (h, k) => h.session.execute(artifactHash, placed.map((x) => (isSpread(x) ? x.parts[k]! : x))));
    const first = results[0]!;
    return first.map((_, j) => {
      const parts: (ResidentTensor | undefined)[] = [];
      runners.forEach((k, r) => (parts[k] = results[r]![j]));
      return spread(parts, resultLayout(signature, j));
    });
  }

  /** Results are whole on every host that has them (replicated): the first one reads them back. */
  async download(tensor: ResidentTensor, options: { release?: boolean } = {}): Promise<Tensor> {
    const parts = isSpread(tensor) ? tensor.parts : [tensor];
    const k = parts.findIndex((p) => p !== undefined);
    const data = await this.hosts[k]!.session.download(parts[k]!);
    if (options.release) await this.release([tensor]);
    return data;
  }

  async release(tensors: ResidentTensor[]): Promise<void> {
    await Promise.all(
      this.hosts.map((h, k) => {
        const mine = tensors.flatMap((t) => (isSpread(t) ? (t.parts[k] ? [t.parts[k]!] : []) : k === 0 ? [t] : []));
        return mine.length ? h.session.release(mine) : undefined;
      }),
    );
  }

  async run(artifactHash: string, inputs: Tensor[]): Promise<Tensor[]> {
    const results = await this.execute(artifactHash, inputs);
    try {
      const out: Tensor[] = [];
      for (const r of results) out.push(await this.download(r));
      return out;
    } finally {
      await this.release(results).catch(() => undefined);
    }
  }

  async unload(artifactHash: string): Promise<void> {
    this.signatures.delete(artifactHash);
    await Promise.all(this.hosts.map((h) => h.session.unload(artifactHash)));
  }

  async close(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.session.close()));
  }

  /**
   * Runs `step` on the given hosts at once. A failure fails the whole, named by its host. When a
   * host dies, the others fail too, in the collective that waited for it; so the error names a
   * host that cannot be reached, if one failed within a moment of the first failure, else the
   * first. The calls still waiting end at their deadlines unawaited.
   */
  private async onHosts<T>(which: number[], what: string, step: (host: Host, k: number) => Promise<T>): Promise<T[]> {
    const failures: { k: number; error: unknown }[] = [];
    let firstFailed: () => void = () => {};
    const failed = new Promise<void>((resolve) => (firstFailed = resolve));
    const calls = which.map((k) =>
      step(this.hosts[k]!, k).catch((error: unknown) => {
        failures.push({ k, error });
        firstFailed();
        throw error;
      }),
    );
    const all = Promise.all(calls);
    all.catch(() => undefined);
    await Promise.race([all, failed]);
    if (failures.length === 0) return all;
    await Promise.race([Promise.allSettled(calls), new Promise((r) => setTimeout(r, HOST_FAILURE_GRACE_MS).unref())]);
    const cause = failures.find((f) => f.error instanceof RuntimeError && f.error.code === "UNAVAILABLE") ?? failures[0]!;
    const message = cause.error instanceof Error ? cause.error.message : String(cause.error);
    throw new Error(`${what} on host ${this.hosts[cause.k]!.address} (process ${cause.k} of ${this.hosts.length}) failed: ${message}`);
  }
}

/** How long after a host's failure the others' are awaited, to blame the one that is gone. */
const HOST_FAILURE_GRACE_MS = 2000;

function spread(parts: (ResidentTensor | undefined)[], layout: TensorLayout | undefined): SpreadTensor {
  const any = parts.find((p) => p !== undefined)!;
  return { ...any, handle: parts.map((p) => p?.handle ?? "").join("|"), parts, ...(layout ? { layout } : {}) };
}

function sameLayout(a: TensorLayout | undefined, b: TensorLayout | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * One report for the hosts' loads: `compiled` when any host compiled with XLA (else `disk`, then
 * `memory`; `remote` only when every host deserialized its part from the remote cache), the bytes
 * fetched and the XLA compilations of all hosts, the slowest host's time, and process 0's digest.
 */
function combinedReport(reports: LoadReport[]): LoadReport {
  const sources = new Set(reports.map((r) => r.source));
  const source = (["compiled", "disk", "memory"] as const).find((s) => sources.has(s)) ?? "remote";
  const total = (f: (r: LoadReport) => number | undefined) => (reports.some((r) => f(r) !== undefined) ? reports.reduce((n, r) => n + (f(r) ?? 0), 0) : undefined);
  const bytes = total((r) => r.bytes);
  const xlaCompilations = total((r) => r.xlaCompilations);
  const loadMs = reports.some((r) => r.loadMs !== undefined) ? Math.max(...reports.map((r) => r.loadMs ?? 0)) : undefined;
  const digest = reports[0]?.digest;
  return { source, ...(digest !== undefined ? { digest } : {}), ...(bytes !== undefined ? { bytes } : {}), ...(xlaCompilations !== undefined ? { xlaCompilations } : {}), ...(loadMs !== undefined ? { loadMs } : {}) };
}
