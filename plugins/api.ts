// The two extension points of tpu-build.
//
// A compiler plugin turns one manifest entry into an HLO module. It is pure: the same request
// (sources, signature, options) gives the same bytes, which is what makes the cache key honest.
// A target plugin runs HLO modules on a device. Everything a target needs crosses this interface
// as plain data, so the same engine drives a local CPU runtime, a TPU VM or a GPU host.
//
// Both are found by name: a plugin module exports a `Plugin` (plugins/registry.ts) whose
// `register(registry)` calls `registry.registerCompiler(compiler)` and/or
// `registry.registerTarget(target)` with the objects defined below. The built-in plugins
// (plugins/julia, plugins/xla-local; listed in plugins/builtin.ts) register exactly so, and the
// engine takes a registry (`new BuildEngine({ plugins })`), never a plugin module directly.
// A target's name is what the manifest's `run.target` and `targets` keys use; a compiler's name
// and version go into every cache key.
//
// Shapes here are always in Julia order (column-major `size`); the mapping to XLA's row-major
// dimensions (reversed) happens inside the compiler and the runtime client, nowhere else.

import type { Diagnostic } from "../compiler/diagnostics.js";
import type { CompileLimits } from "../compiler/budget.js";
import type { Float64Mode, MatmulPrecision } from "../schema/manifest.js";

export type ElementType = "Float16" | "BFloat16" | "Float32" | "Float64" | "Int8" | "Int16" | "Int32" | "Int64" | "UInt8" | "UInt16" | "UInt32" | "UInt64" | "Bool";

/** The platforms a target can be (PJRT's names), in the order messages list them. */
export const PLATFORMS = ["tpu", "cuda", "rocm", "cpu"] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * What the compiler is told about the device an entry runs on: the entry's target decides it
 * (TargetPlugin.compileOptions), and all of it is part of the entry's cache key. The same module
 * compiled for the same platform and settings is one artifact, whatever the target's name.
 */
export interface CompileOptions {
  /**
   * The platform the module will run on; its capability table (compiler/eltypes.ts) decides which
   * element types may be computed with. Absent: not known (a remote target that declares no
   * platform), so nothing is rejected at compile time.
   */
  platform?: Platform;
  /**
   * Float64 values: "error" (the default) rejects Float64 arithmetic where the platform cannot do
   * it (a TPU), at the Julia line; "float32" computes and stores every Float64 value as Float32, on
   * any platform (as JAX does without x64).
   */
  float64?: Float64Mode;
  /** XLA's precision_config of every dot and convolution (TPUs run Float32 products in bfloat16 passes by default). */
  matmulPrecision?: MatmulPrecision;
}

/** The type of one run-time value that crosses the module boundary, as a tree. Leaves are arrays (size []: a scalar). */
export type TypeTree =
  | { kind: "array"; eltype: ElementType; size: number[]; scalar?: boolean }
  | { kind: "tuple"; elements: TypeTree[] }
  | { kind: "namedtuple"; names: string[]; elements: TypeTree[] }
  | { kind: "struct"; name: string; typeParams?: string[]; names: string[]; elements: TypeTree[] }
  /**
   * A value known at compile time that travels with a struct (an activation function, a stride):
   * not a run-time leaf, but Julia source that rebuilds it (`relu`, `(2, 2)`, `Int64(3)`).
   */
  | { kind: "known"; julia: string };

/**
 * A device mesh (the manifest's `run.mesh`): named axes with their sizes, in order; its devices are
 * the target's first (product of the sizes) devices, laid out row-major over the axes, as JAX's Mesh.
 */
export interface MeshSpec {
  axes: { name: string; size: number }[];
}

/**
 * How an array is split over a mesh, like JAX's PartitionSpec but in Julia order: for each Julia
 * dimension, the mesh axis it is split over, or null (not split). Axes that split no dimension hold
 * copies (an array with no split axis is replicated on every device of the mesh).
 */
export type ShardSpec = (string | null)[];

/** Where a tensor goes on a target: split (or copied) over a mesh's devices as `shard` says. */
export interface TensorLayout {
  mesh: MeshSpec;
  /** Absent: a copy on every device of the mesh. */
  shard?: ShardSpec;
}

/** The layout of parameter `index` of a module with a mesh (undefined: one device). */
export function parameterLayout(signature: Signature, index: number): TensorLayout | undefined {
  return leafLayout(signature.mesh, signature.parameters[index]);
}

/** The layout of result `index` of a module with a mesh (undefined: one device). */
export function resultLayout(signature: Signature, index: number): TensorLayout | undefined {
  return leafLayout(signature.mesh, signature.results[index]);
}

function leafLayout(mesh: MeshSpec | undefined, leaf: LeafSignature | undefined): TensorLayout | undefined {
  if (!mesh) return undefined;
  return leaf?.shard ? { mesh, shard: leaf.shard } : { mesh };
}

/** The number of devices of a mesh. */
export function meshSize(mesh: MeshSpec): number {
  return mesh.axes.reduce((n, a) => n * a.size, 1);
}

/** `{data: 2, model: 4}`, for messages. */
export function showMesh(mesh: MeshSpec): string {
  return `{${mesh.axes.map((a) => `${a.name}: ${a.size}`).join(", ")}}`;
}

/** One positional argument of an entry as the compiler sees it. */
export type ArgSpec =
  /**
   * `shard`: only for an array argument of an entry with a mesh (absent: replicated).
   * `leafShards`: an argument on the mesh of the entry it comes from (`from`), which keeps its
   * results split: each leaf's sharding, depth-first (null: whole on each device).
   */
  | { kind: "runtime"; type: TypeTree; shard?: ShardSpec; leafShards?: (ShardSpec | null)[] }
  /**
   * A compile-time constant from the manifest (`{ "const": 10 }`): the JSON value, and its JSON
   * text when known, which decides Julia types (`1.0` is a Float64, `1` an Int64).
   */
  | { kind: "const"; value: unknown; raw?: string };

/** A host tensor: raw little-endian bytes of the column-major (Julia) layout. */
export interface Tensor {
  eltype: ElementType;
  /** Julia order. [] is a 0-d scalar. */
  size: number[];
  data: Uint8Array;
}

export interface CompileRequest {
  /** Manifest entry name (used for the module name). */
  entry: string;
  /** Entry source file, relative to the workspace root (the manifest's directory). */
  file: string;
  function: string;
  args: ArgSpec[];
  /** Set: one SPMD module partitioned over this mesh's devices (results replicated on all of them). */
  mesh?: MeshSpec;
  /**
   * With a mesh: how each result leaf (depth-first) stays split over the devices, like an
   * argument's `shard` (null or absent: whole on every device, as are leaves beyond the list).
   */
  resultShards?: (ShardSpec | null)[];
  /** Reads a source file (relative to the workspace root); the compiler never touches the file system itself. */
  readSource(path: string): string | undefined;
  options?: CompileOptions;
  /**
   * The name of the target the entry is compiled for (the one it runs on, else the default), for
   * messages only ("float64" in `targets.tpu`): not part of the cache key, since only a failed
   * compile, never cached, names it.
   */
  target?: string;
  /**
   * The compile budgets (compile time, instructions, unrolled iterations, known-value sizes, call
   * depth, memory); absent ones take their defaults. Not part of the cache key: a budget only ever
   * turns a compile into an error, which is never cached.
   */
  limits?: Partial<CompileLimits>;
}

/** Leaf description in signature.json. */
export interface LeafSignature {
  /** Path from the root of the argument/result tree, e.g. "[1].W" (Julia-style, 1-based tuple indices). */
  path: string;
  eltype: ElementType;
  size: number[];
  /** A parameter or result split over the mesh (absent: whole on every device, or no mesh). */
  shard?: ShardSpec;
}

/** Content of signature.json. */
export interface Signature {
  compiler: { name: string; version: string };
  entry: string;
  function: string;
  /** Run-time inputs per positional argument (constants omitted, `null` in their place). */
  inputs: (TypeTree | null)[];
  /** The HLO parameters in order: the run-time argument leaves, flattened depth-first. */
  parameters: LeafSignature[];
  output: TypeTree;
  /** The module's results in order: the result tree's leaves, flattened depth-first. */
  results: LeafSignature[];
  /** An SPMD module's mesh: it runs on that many devices of its target (absent: one device). */
  mesh?: MeshSpec;
}

export type CompileResult =
  | {
      ok: true;
      /** HloModuleProto bytes. */
      module: Uint8Array;
      /** HLO text for humans. */
      text: string;
      signature: Signature;
      /** Every source file the entry reached (through `include`), relative to the workspace root. */
      sources: string[];
      stats: { instructions: number; computations: number };
    }
  | {
      ok: false;
      diagnostics: Diagnostic[];
      /** Sources read before the failure, so a watcher can rebuild when any of them changes. */
      sources: string[];
    };

export interface CompilerPlugin {
  readonly name: string;
  /** Part of every cache key: a new compiler version never reuses an old artifact. */
  readonly version: string;
  /**
   * A digest of the code that compiles (its modules and built-in library, as loaded), also part of
   * every cache key: a compiler built from other code never reuses an artifact, whatever its version says.
   */
  readonly codeDigest: string;
  /**
   * The source files an entry reaches (the entry file and everything it `include`s, transitively),
   * found without compiling; the cache key hashes their contents.
   */
  sourcesOf(file: string, readSource: (path: string) => string | undefined): string[];
  compile(request: CompileRequest): CompileResult;
  /** Renders a diagnostic for humans (file:line:col, the line, a caret, the call chain). */
  render(diagnostic: Diagnostic, readSource: (path: string) => string | undefined): string;
}

/** A compiled artifact as a target receives it. */
export interface ArtifactRef {
  /** Content hash of module.hlo.pb; also the key of the runtime's executable cache. */
  hash: string;
  module: Uint8Array;
  signature: Signature;
}

export interface DeviceInfo {
  platform: string;
  platformVersion: string;
  /** memoryBytes: the device's memory as its runtime reports it (absent: not reported, as on XLA's CPU client). */
  devices: { id: number; kind: string; memoryBytes?: number }[];
  runtimeVersion: string;
}

/**
 * Compiled executables shared between machines (the remote cache), as a target sees them: opaque
 * entries named by the runtime's executable digest, which covers the module and everything of the
 * runtime that decides whether an executable is valid there. get() returns only entries whose
 * integrity (and signature, with a signing key) has been checked; put() uploads in the background.
 */
export interface ExecutableStore {
  get(digest: string, label: string): Promise<{ entry: Uint8Array; bytes: number } | undefined>;
  put(digest: string, label: string, entry: Uint8Array): void;
}

/**
 * Which executable of a module: "optimized" (XLA's default optimization; what `build` always runs)
 * or "fast" (compiled at XLA's backend optimization level 0: about half the compile time, slower
 * element-wise code). Watch builds run the fast one first while the optimized one compiles.
 */
export type ExecutableTier = "fast" | "optimized";

/** How load() obtained an executable, when the target can tell. */
export interface LoadReport {
  /** The tier loaded; absent: "optimized". Asked for "fast", a target may load the optimized one (it was at hand). */
  tier?: ExecutableTier;
  /** compiled: by XLA now; memory: already loaded; disk: the runtime's own cache; remote: an ExecutableStore entry. */
  source: "compiled" | "memory" | "disk" | "remote";
  /** The executable's digest in the runtime's caches (and the ExecutableStore). */
  digest?: string;
  /** Bytes fetched from the ExecutableStore (source "remote"). */
  bytes?: number;
  /** Modules the target's runtime has compiled with XLA since it started. */
  xlaCompilations?: number;
  /** Milliseconds the runtime took to obtain the executable: XLA's compile when `compiled`, the deserialization when `remote` or `disk`, 0 when already in memory. */
  loadMs?: number;
}

export interface TargetSession {
  info(): Promise<DeviceInfo>;
  /**
   * Compiles (or loads from the runtime's executable cache) and keeps the executable by hash. With
   * `executables`, a target that can serialize executables looks there before compiling and puts
   * what it compiled there. `tier: "fast"` asks for an executable soon: the optimized one when the
   * runtime holds it already, else one compiled fast (the report says which; targets without tiers
   * load the optimized one).
   */
  load(artifact: ArtifactRef, options?: { executables?: ExecutableStore; tier?: ExecutableTier }): Promise<void | LoadReport>;
  /** Runs a loaded artifact on flattened input leaves (signature.parameters order); returns result leaves. */
  run(artifactHash: string, inputs: Tensor[]): Promise<Tensor[]>;
  close(): Promise<void>;
}

/** A problem with one of a target's settings, found before anything runs. */
export interface SettingProblem {
  /** The setting's key (absent: the settings as a whole). */
  key?: string;
  /** The key itself is unknown (or misspelt): the valid keys, for the nearest one. */
  unknownKey?: string[];
  message: string;
  /** The nearest valid key or value. */
  suggestion?: string;
}

export interface TargetPlugin {
  readonly name: string;
  /** Opens a session (e.g. starts or connects to the runtime server). */
  open(options: { workspace: string; settings?: Record<string, unknown> }): Promise<TargetSession>;
  /**
   * Checks settings (the manifest's `targets.<name>`, and `watch.targets.<name>`) when the manifest
   * is loaded, before anything runs: each problem becomes a manifest error at the setting (exit 2).
   * `workspace` is the manifest's directory. Without it, any settings are passed to `open`.
   */
  checkSettings?(settings: Record<string, unknown>, context: { workspace: string }): SettingProblem[];
  /**
   * Optional: the directories where sessions with these (checked) settings keep files of the
   * runtime's executable cache, `<digest>.exe` each, whose mtime is its last use. `tpu-build cache`
   * lists them and the size cap removes the least recently used (build/cache-upkeep.ts).
   */
  executableCacheDirs?(settings: Record<string, unknown>, context: { workspace: string }): string[];
  /**
   * What entries that run on this target are compiled for (its platform, `float64`,
   * `matmulPrecision`), from checked settings; part of their cache keys. Without it, entries are
   * compiled for no platform in particular with the default settings.
   */
  compileOptions?(settings: Record<string, unknown>): CompileOptions;
}
