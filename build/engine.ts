// The build engine shared by the CLI and the watch daemon: manifest -> build graph -> cached
// compilation of every entry -> runs in dependency order -> outputs on disk.
// Effects live here (files, the runtime process, clocks); the compiler stays pure.
//
// `build()` is the one-shot use (the CLI without a daemon): a fresh BuildEngine, one build, close.
// The daemon keeps a BuildEngine alive between builds; what it keeps warm never decides a result
// by itself (DESIGN.md §5.4, §5.7):
//   - a source is read and hashed again whenever its stamp (build/file-stamps.ts: device, inode,
//     size, mode, mtime and ctime, never a modification time alone) is not the one its digest was
//     taken under; the include graph of a file is reused only while every file it lists has the
//     same digest, an entry's cache key only while everything it is taken over is the same
//     (entryKey), and an artifact held in memory only under the same full key; the manifest is
//     parsed and checked again when its text or a file it names changes (ManifestLoader), a
//     record read again when its file's stamp changed (EntryRecords);
//   - a run is skipped only when its fingerprint (module hash, target and settings, the content
//     hash of every input leaf, the output directory) equals the last successful run's and its
//     output files still hold the bytes it wrote (their SHA-256s, taken again when a file's stamp
//     changed). The last run is the one in
//     memory or, in a fresh process, the one recorded on disk (build/records.ts), so a run is up
//     to date across processes too. An upstream entry whose new outputs are byte-identical leaves
//     its dependents' fingerprints unchanged (early cutoff at both the module and the output level);
//   - target sessions stay open: the runtime server, its loaded executables, manifest inputs and
//     run results resident on the device, all keyed by content hashes.
// An entry that should run but fails (or is skipped because of a failure) loses its previous
// outputs, so no output on disk is ever older than its sources.

import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { ArgSpec, CompileOptions, CompileRequest, CompilerPlugin, ExecutableTier, Signature, TargetPlugin, TargetSession, Tensor, TensorLayout, TypeTree } from "../plugins/api.js";
import { meshSize, parameterLayout, showMesh } from "../plugins/api.js";
import { compileOptionsOf } from "../plugins/compile-settings.js";
import { builtinRegistry, DEFAULT_COMPILER } from "../plugins/builtin.js";
import type { PluginRegistry } from "../plugins/registry.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { boundedMessage, formatLocation, SourceFile, type Span } from "../compiler/diagnostics.js";
import { ArtifactStore, cacheKey, changedKeyParts, defaultCacheDir, keepPrivate, keyPartDigests, PrivateDirError } from "./cache.js";
import { cacheCap, cacheLocations, collectGarbage } from "./cache-upkeep.js";
import { withManifestPlugins, type PluginModuleFile } from "./manifest-plugins.js";
import { formatBytes } from "./limits.js";
import type { CacheKeyParts, CachedArtifact } from "./cache.js";
import type { BuildEvent, EventDiagnostic, ExitCode } from "./events.js";
import { EXIT, now } from "./events.js";
import { displayPath } from "./display-path.js";
import { checkExpectations } from "./expect.js";
import { canonicalJson, sha256Hex, updateHash } from "./hash.js";
import { demotedTensor, materializeValue } from "./inputs.js";
import type { ManifestDiagnostic, ManifestSections, ResolvedArg, ResolvedEntry, ResolvedManifest } from "./manifest.js";
import { argSpecs, displayPathOf, entryPointer, ManifestLoader, manifestDiagnosticAt, manifestSections, nearestName, quoted, renderManifestDiagnostic, reportedDiagnostics, targetKind, targetNames, targetSettings } from "./manifest.js";
import { outputFileNames, outputsStand, readOutputTensor, RESULT_JSON, writeRunOutputs } from "./outputs.js";
import type { EntryRecord, RunFingerprintParts, RunSummary } from "./records.js";
import { fileStamp, FileMemo } from "./file-stamps.js";
import { changedRunParts, EntryRecords, runFingerprint, writeRunSummary } from "./records.js";
import type { BuildPlanReport, EntryPlan } from "./plan.js";
import type { EntryInspection, InspectedEntry } from "./inspect.js";
import { keyPartsView, moduleCensus } from "./inspect.js";
import { selectEntries } from "./selection.js";
import { readWorkspaceSource } from "./workspace.js";
import { targetDiagnostics } from "./target-settings.js";
import { remoteCacheConfig } from "./remote-cache/config.js";
import type { RemoteLayer } from "./remote-cache/layer.js";

export interface EngineOptions {
  /** Path of tpu.config.json. */
  config: string;
  /** Where run outputs go (default: the manifest's `out`, else `.tpu-build/out` beside it). */
  outDir?: string;
  /** Artifact store (default: `.tpu-build/cache` beside the manifest, or $TPU_BUILD_CACHE_DIR). */
  cacheDir?: string;
  /** Where compilers and targets are found by name (default: the built-in plugins, plugins/builtin.ts). */
  plugins?: PluginRegistry;
  /** The registered compiler entries use (default: the Julia compiler). */
  compiler?: string;
  /** Keep target sessions (runtime servers, executables, resident tensors) open between builds. */
  persistent?: boolean;
  /** A profile of the manifest's `profiles` merged over it (`--profile`). */
  profile?: string;
}

/** Where one build reports to, and what can cut it short. */
export interface BuildHooks {
  /** Machine-readable events (NDJSON for `--json`). */
  onEvent?: (event: BuildEvent) => void;
  /** Human progress lines. */
  log?: (line: string) => void;
  /** Human error reports (diagnostics with source lines and carets). */
  error?: (text: string) => void;
  /** Aborted when a newer change supersedes this build (checked between steps). */
  signal?: AbortSignal;
  /** A watch build: targets take the manifest's `watch.targets` settings over their own. */
  watch?: boolean;
  /**
   * A watch build with tiered compilation (unless the manifest's `watch.tieredCompilation` is
   * false): a module whose optimized executable the target does not hold yet runs with one XLA
   * compiled fast; the summary lists those entries (`fastTier`), and optimizedTier() says when
   * their optimized executables are ready for a build without this flag to rerun them.
   */
  tiered?: boolean;
  /** Finish the remote cache's uploads before the build reports its end (CI); otherwise they go on in the background. */
  waitUploads?: boolean;
  /** Build only these entries and those whose results they take (default: all). */
  entries?: string[];
  /** Run every selected entry that runs, even when its run is up to date. */
  force?: boolean;
  /**
   * Where this build's run outputs go, over the engine's `outDir` (the daemon keeps one engine, and
   * so one runtime server per target and settings, for builds into several directories).
   */
  outDir?: string;
}

export interface BuildOptions extends EngineOptions, BuildHooks {}

export interface EntryOutcome {
  entry: string;
  status: "compiled" | "cached" | "failed" | "skipped";
  key?: string;
  hash?: string;
  ran?: boolean;
  /** The run was skipped: same module, same inputs, outputs in place. */
  upToDate?: boolean;
  runFailed?: boolean;
  /** A check of `expect` failed (the run itself succeeded and its outputs stand). */
  expectFailed?: boolean;
  outputs?: string[];
  compileMs?: number;
  runMs?: number;
}

export interface BuildSummary {
  ok: boolean;
  exitCode: ExitCode;
  entries: Record<string, EntryOutcome>;
  durationMs: number;
  /** A newer change cut this build short (watch builds only); its partial work is kept. */
  superseded?: boolean;
  /** Entries whose outputs came from a fast-compiled executable (tiered watch builds only). */
  fastTier?: string[];
}

/** One-shot build: a fresh engine, one build, every session closed. */
export function build(options: BuildOptions): Promise<BuildSummary> {
  return oneShot(options, (engine) => engine.build(options));
}

/** One-shot plan: what a build of `options.entries` (else all) would do, compiling and running nothing (`tpu-build plan`). */
export function plan(options: BuildOptions): Promise<BuildPlanReport> {
  return oneShot(options, (engine) => engine.plan(options));
}

/** One-shot inspection: the entry compiled (or from the cache) with the entries it takes results from, nothing run (`tpu-build inspect`). */
export function inspect(options: BuildOptions & { entry: string; hlo?: boolean }): Promise<EntryInspection> {
  return oneShot(options, (engine) => engine.inspect(options.entry, options));
}

async function oneShot<T>(options: EngineOptions, use: (engine: BuildEngine) => Promise<T>): Promise<T> {
  const engine = new BuildEngine({ ...options, persistent: false });
  try {
    return await use(engine);
  } finally {
    await engine.close();
  }
}

/** A device tensor of a target session that can keep tensors resident (LocalSession does). */
interface ResidentRef {
  readonly handle: string;
  readonly eltype: Tensor["eltype"];
  readonly size: number[];
}

/** The optional part of a target session that keeps tensors on the device between runs. */
interface ResidentSession extends TargetSession {
  /** `layout`: split (or copied) over a mesh's devices instead of on one. */
  upload(tensor: Tensor, layout?: TensorLayout): Promise<ResidentRef>;
  /** `tier: "fast"` runs the executable a load with that tier reported (LoadReport.tier). */
  execute(artifactHash: string, inputs: (Tensor | ResidentRef)[], options?: { tier?: ExecutableTier }): Promise<ResidentRef[]>;
  download(tensor: ResidentRef, options?: { release?: boolean }): Promise<Tensor>;
  release(tensors: ResidentRef[]): Promise<void>;
  /** Without a tier: both. */
  unload?(artifactHash: string, options?: { tier?: ExecutableTier }): Promise<void>;
}

function residentCapable(s: TargetSession): s is ResidentSession {
  const r = s as Partial<ResidentSession>;
  return typeof r.upload === "function" && typeof r.execute === "function" && typeof r.download === "function" && typeof r.release === "function";
}

interface OpenSession {
  target: string;
  /** The plugin that opened it: a reloaded plugin's targets get new sessions. */
  plugin: TargetPlugin;
  /** Canonical JSON of the target's settings: sessions are kept per target and settings. */
  settings: string;
  session: TargetSession;
  /** Artifacts loaded in this session, by module hash (their optimized executables). */
  loaded: Set<string>;
  /** Artifacts whose fast-compiled executable is loaded (tiered watch builds), until the optimized one replaces it. */
  fastLoaded: Set<string>;
  /** Manifest input tensors kept on the device, by content digest. */
  inputs: Map<string, ResidentRef>;
}

interface RunRecordState {
  fingerprint: string;
  outDir: string;
  files: string[];
  /** SHA-256 of each output file, by name in the entry's directory: the outputs stand while these hold. */
  fileDigests: Record<string, string>;
  /** Content digest of each result leaf (what dependents' fingerprints take). */
  digests: string[];
  host: Tensor[];
  /** The results on the device, for dependents on the same session. */
  resident?: { session: OpenSession; tensors: ResidentRef[] };
}

interface EntryState {
  key?: string;
  artifact?: CachedArtifact;
  /** What `key` was last taken over, by identity (BuildEngine.entryKey). */
  keyedFrom?: { entry: ResolvedEntry; compiler: CompilerPlugin; options: string; sources: string[]; inputs: CachedArtifact[]; key: string };
  /** Sources the entry reached on its last build (watched by the daemon). */
  sources: string[];
  run?: RunRecordState;
}

/**
 * An input leaf of a run: a host tensor (or a resident one) and its content digest. A manifest
 * value that can be made again (`again`: read its .npy anew, regenerate it) gives up its bytes once
 * uploaded (`tensor` undefined), so a large input and a large result are not held at once; a retry
 * on a new session makes it again and checks its digest.
 */
interface InputLeaf {
  digest: string;
  tensor: Tensor | undefined;
  again?: () => Promise<Tensor>;
  resident?: ResidentRef;
}

/** The leaf's tensor, made again when it gave its bytes up after an upload. */
async function leafTensor(leaf: InputLeaf): Promise<Tensor> {
  if (leaf.tensor) return leaf.tensor;
  const tensor = await leaf.again!();
  if (tensorDigest(tensor) !== leaf.digest) throw new Error("an input changed during the build (its content differs from when the run started); build again");
  return tensor;
}

/**
 * Source files read during one build: each file once, its content hash with it. Only regular files
 * inside the workspace are read (build/workspace.ts); why another was refused is kept for the error.
 * With `known` (a warm engine's), a file whose stamp is the one its digest was remembered with is
 * not read for its digest (build/file-stamps.ts); the compiler still reads what it compiles.
 */
class SourceReader {
  private readonly texts = new Map<string, string | undefined>();
  private readonly digests = new Map<string, string | null>();
  private readonly refusals = new Map<string, string>();
  constructor(
    private readonly root: string,
    private readonly known?: FileMemo<string>,
  ) {}

  read = (path: string): string | undefined => {
    if (this.texts.has(path)) return this.texts.get(path);
    const r = readWorkspaceSource(this.root, path);
    if (!r.ok && r.code !== "not-found") this.refusals.set(path, r.message);
    const text = r.ok ? r.text : undefined;
    this.texts.set(path, text);
    return text;
  };

  /** A missing-include error for a file that exists but was refused says why, instead of "no such file". */
  explained(d: Diagnostic): Diagnostic {
    const path = d.code === "missing-include" ? /^cannot include "(.*)": no such file$/.exec(d.message)?.[1] : undefined;
    const why = path === undefined ? undefined : this.refusals.get(path);
    return why === undefined ? d : { ...d, message: `cannot include "${path}": ${why}` };
  }

  /** SHA-256 of the file's text; null when it cannot be read. */
  digest(path: string): string | null {
    let digest = this.digests.get(path);
    if (digest !== undefined) return digest;
    // By the path as written (symlinks followed): a stamp names a file by its device and inode, so
    // an equal one is the very file read last time, which was checked to be in the workspace then.
    // Taken before the file is read: a change in between leaves a stamp the next build does not know.
    const at = join(this.root, path);
    const stamp = this.known && !this.texts.has(path) ? fileStamp(at) : undefined;
    digest = this.known?.get(at, stamp);
    if (digest === undefined) {
      const text = this.read(path);
      digest = text === undefined ? null : sha256Hex(text);
      if (digest !== null) this.known?.set(at, stamp, digest);
    }
    this.digests.set(path, digest);
    return digest;
  }
}

class Superseded extends Error {}

/** A planned entry, for the entries that take its results: its artifact when cached, its result digests when its run is up to date. */
interface PlannedEntry {
  report: EntryPlan;
  artifact?: CachedArtifact;
  leaves?: string[];
}

/** A shared run's remote cache key: without the output directory, so the same module, target settings and inputs anywhere. */
const remoteRunKey = (hash: string, target: string, settings: string, inputs: string[], plugin?: string) => sha256Hex(canonicalJson({ run: 1, hash, target, settings, inputs, ...(plugin ? { plugin } : {}) }));

/** The key of a target session: its target and canonical settings. */
const sessionKey = (target: string, settings: string) => `${target}\0${settings}`;

/**
 * One build's shared state, handed from phase to phase: where it reports, what cuts it short, and
 * what it has produced so far (artifacts, outcomes, counts, runs that succeeded).
 */
class BuildContext {
  readonly started = performance.now();
  readonly emit: (event: BuildEvent) => void;
  readonly log: (line: string) => void;
  readonly report: (text: string) => void;
  readonly entries: Record<string, EntryOutcome> = {};
  readonly counts = { compiled: 0, cached: 0, ran: 0, upToDate: 0, failed: 0 };
  /** This build's artifacts, by entry (compiled or from the cache). */
  readonly artifacts = new Map<string, CachedArtifact>();
  /** Device compiles started during the compile phase, by module hash. */
  readonly preloads = new Map<string, Promise<void>>();
  /** Entries whose run succeeded or was up to date. */
  readonly succeeded = new Set<string>();
  /** Runs of this build that used a fast-compiled executable: their optimized ones compile after it. */
  readonly fastRuns: { entry: string; open: OpenSession; artifact: CachedArtifact }[] = [];
  /** Resident tensors this build's runs used (the others are released at its end). */
  readonly usedInputs = new Set<ResidentRef>();
  compileFailed = false;
  runFailed = false;
  readonly startedAt = now();
  expectFailed = false;

  constructor(private readonly hooks: BuildHooks) {
    this.emit = hooks.onEvent ?? (() => {});
    this.log = hooks.log ?? (() => {});
    this.report = hooks.error ?? (() => {});
  }

  get watch(): boolean {
    return this.hooks.watch === true;
  }

  get tiered(): boolean {
    return this.hooks.watch === true && this.hooks.tiered === true;
  }

  get waitUploads(): boolean {
    return this.hooks.waitUploads === true;
  }

  get entriesAsked(): readonly string[] | undefined {
    return this.hooks.entries;
  }

  get force(): boolean {
    return this.hooks.force === true;
  }

  get outDirAsked(): string | undefined {
    return this.hooks.outDir;
  }

  /** Between steps: a newer change supersedes this build. */
  checkpoint(): void {
    if (this.hooks.signal?.aborted) throw new Superseded();
  }

  /** A remote cache problem: the build goes on without that entry (or without the remote cache). */
  remoteWarning(text: string): void {
    // A server's error details are its own text, of any length.
    const message = boundedMessage(text);
    this.emit({ event: "remote-cache-warning", at: now(), message });
    this.report(`warning: ${message}`);
  }

  manifestInvalid(diagnostics: EventDiagnostic[]): void {
    this.emit({ event: "manifest-invalid", at: now(), diagnostics });
    for (const d of diagnostics) this.report(d.rendered);
  }

  finish(exitCode: ExitCode): BuildSummary {
    const durationMs = performance.now() - this.started;
    this.emit({ event: "build-finished", at: now(), ok: exitCode === EXIT.ok, exitCode, durationMs: round(durationMs), ...this.counts });
    return { ok: exitCode === EXIT.ok, exitCode, entries: this.entries, durationMs };
  }

  /** A newer change cut this build short; its partial work is kept. */
  superseded(): BuildSummary {
    const durationMs = performance.now() - this.started;
    this.emit({ event: "build-superseded", at: now(), durationMs: round(durationMs) });
    return { ok: false, exitCode: EXIT.usage, entries: this.entries, durationMs, superseded: true };
  }
}

/** The remote cache's settings as the manifest and the environment give them (valid). */
type RemoteCacheSettings = Extract<ReturnType<typeof remoteCacheConfig>, { ok: true }>;

/** What the plan phase decided, for the compile and run phases. */
interface BuildPlan {
  manifest: ResolvedManifest;
  outDir: string;
  store: ArtifactStore;
  /** The entries this build covers: those asked for and those whose results they take. */
  selected: Set<string>;
  /** Selected entries with `run`, and every entry whose results they take. */
  mustRun: Set<string>;
  /** Every run reruns, up to date or not (`--force`). */
  force: boolean;
  /** A target's settings for this build (a watch build's `watch.targets` over `targets`). */
  settingsOf(target: string): Record<string, unknown>;
  /** The remote cache, when one is configured and its secrets could be read. */
  remote?: RemoteLayer;
  /** The size cap of the local caches (`cache.maxSize`, TPU_BUILD_CACHE_MAX), enforced at the build's end. */
  cacheMaxBytes?: number;
  /** What each target tells the compiler, and its canonical JSON, as this build asked its plugin. */
  compileOptions: Map<string, { options: CompileOptions; json: string }>;
  /** Runs may use fast-compiled executables (a tiered watch build of a manifest that allows it). */
  tiered: boolean;
}

/** The target a run goes to: its name and settings (as given and as canonical JSON, the session key). */
interface RunTarget {
  name: string;
  settingsObject: Record<string, unknown>;
  settings: string;
  /** SHA-256 of the workspace module file whose plugin registered the target's kind (none for built-in and npm targets). */
  plugin?: string;
}

/** Selected entries with `run`, and (transitively) the entries whose results they take. */
function entriesToRun(manifest: ResolvedManifest, selected: Set<string>): Set<string> {
  // Dependents come after their dependencies in `order`: one backward pass, no recursion (a `from`
  // chain can be tens of thousands of entries long).
  const mustRun = new Set<string>();
  for (const name of [...manifest.order].reverse()) {
    const entry = manifest.entries[name]!;
    if (!selected.has(name) || (!entry.run && !mustRun.has(name))) continue;
    mustRun.add(name);
    for (const d of entry.dependencies) mustRun.add(d);
  }
  return mustRun;
}

/**
 * A compiler as the engine uses it. `preludeVersion`, outside plugins/api.ts, is the Julia
 * compiler's: its prelude's version goes into the cache key apart from the compiler's own.
 */
type BuildCompiler = CompilerPlugin & { preludeVersion?: string };

export class BuildEngine {
  /** The compiler of the current manifest (`compiler`), or the API's. */
  private compiler: BuildCompiler;
  /** The registry given (or the built-in one); each build adds its manifest's `plugins` to a copy. */
  private readonly basePlugins: PluginRegistry;
  /** The registry of the current manifest. */
  private plugins: PluginRegistry;
  /** The manifest's plugin module files of the workspace, as last loaded (watched: an edit reloads them). */
  private pluginFiles: PluginModuleFile[] = [];
  private graph: ResolvedManifest | undefined;
  private readonly state = new Map<string, EntryState>();
  /** Include graphs by entry file, valid while every listed file has the recorded digest. */
  /** The manifest, parsed and checked again only when a file it consulted changed. */
  private readonly manifests = new ManifestLoader();
  /** The SHA-256 of sources this engine read, by their stamps then. */
  private readonly sourceDigests = new FileMemo<string>();
  /** The SHA-256 of output files this engine verified, by their stamps then. */
  private readonly outputDigests = new FileMemo<string>();
  /** The entries' records on disk, as this engine last read or wrote them. */
  private records: EntryRecords | undefined;
  private readonly includeGraphs = new Map<string, { sources: string[]; digests: (string | null)[] }>();
  /** Generated manifest values (random, fill, scalars) by their full specification. */
  private readonly generated = new Map<string, InputLeaf>();
  private readonly sessions = new Map<string, OpenSession>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Remote caches of finished builds still uploading in the background; close() waits for them. */
  private readonly uploading = new Set<Promise<void>>();
  /** The optimized compiles of the last build's fast-tier runs (true when every one succeeded). */
  private optimizing: Promise<boolean> = Promise.resolve(true);
  private pendingBuilds = 0;
  /** By entry: its last successful compile, to replay (persistent engines only). */
  private readonly replayable = new Map<string, () => unknown>();

  constructor(readonly options: EngineOptions) {
    this.basePlugins = this.plugins = options.plugins ?? builtinRegistry();
    const compilerName = options.compiler ?? DEFAULT_COMPILER;
    const compiler = this.plugins.compiler(compilerName);
    if (!compiler) throw new Error(`tpu-build: no compiler named "${compilerName}" is registered (registered: ${this.plugins.compilerNames().join(", ") || "none"})`);
    this.compiler = compiler;
  }

  /**
   * What the schema cannot check, checked together so every problem is reported at once, each at
   * its place: the plugins, the targets' settings (by their plugins), the compiler, the remote
   * cache and the size cap. The targets and the compiler are checked only once every plugin loaded
   * (one that failed may be the one that registers them). `ready` when all is well.
   */
  private async checkSections(
    sections: ManifestSections,
    cacheMaxBytes?: number,
  ): Promise<{ located: ManifestDiagnostic[]; unlocated: EventDiagnostic[]; ready?: { registry: PluginRegistry; compiler: BuildCompiler; remoteConfig: RemoteCacheSettings; cap: { maxBytes?: number } } }> {
    const located: ManifestDiagnostic[] = [];
    const unlocated: EventDiagnostic[] = [];
    const withPlugins = await withManifestPlugins(sections, this.basePlugins);
    // Watched even when the manifest is invalid: fixing a plugin rebuilds.
    this.pluginFiles = withPlugins.files;
    let compiler: BuildCompiler | undefined;
    if (!withPlugins.ok) located.push(...withPlugins.diagnostics);
    else {
      const registry = withPlugins.registry;
      located.push(...targetDiagnostics(sections, (kind) => registry.target(kind), registry.targetNames()));
      const chosen = this.chosenCompiler(sections, registry);
      if ("problem" in chosen) located.push(chosen.problem);
      else compiler = chosen.compiler;
    }
    const remoteConfig = remoteCacheConfig(sections.remoteCache, sections.dir);
    if (!remoteConfig.ok) {
      if (remoteConfig.pointer !== undefined) located.push(manifestDiagnosticAt(sections, remoteConfig.pointer, "remote-cache-config", remoteConfig.message));
      else unlocated.push({ code: "remote-cache-config", message: remoteConfig.message, rendered: `error: ${remoteConfig.message}` });
    }
    const cap = cacheCap(cacheMaxBytes);
    if ("problem" in cap) unlocated.push({ code: "cache-config", message: cap.problem, rendered: `error: ${cap.problem}` });
    if (!withPlugins.ok || !compiler || !remoteConfig.ok || "problem" in cap || located.length || unlocated.length) return { located, unlocated };
    return { located, unlocated, ready: { registry: withPlugins.registry, compiler, remoteConfig, cap } };
  }

  /** The compiler entries use: the API's `compiler`, else the manifest's, else the Julia compiler; one the manifest names must be registered (a plugin of its own may register it). */
  private chosenCompiler(manifest: ManifestSections, registry: PluginRegistry): { compiler: BuildCompiler } | { problem: ManifestDiagnostic } {
    const name = this.options.compiler ?? manifest.config.compiler ?? DEFAULT_COMPILER;
    const compiler = registry.compiler(name);
    if (compiler) return { compiler };
    const registered = registry.compilerNames();
    return {
      problem: manifestDiagnosticAt(manifest, "/compiler", "unknown-compiler", `unknown compiler ${quoted(name)}`, {
        suggestion: nearestName(name, registered),
        notes: [`registered compilers: ${registered.join(", ")}; a plugin of "plugins" can register another`],
      }),
    };
  }

  /** The digest of the workspace module whose plugin registered a target's kind, as a run's fingerprint takes it. */
  private targetPlugin(manifest: ResolvedManifest, target: string): { plugin?: string } {
    const kind = targetKind(manifest, target);
    const file = this.pluginFiles.find((f) => f.targets.includes(kind));
    return file ? { plugin: file.digest } : {};
  }

  /** The last valid manifest (an invalid edit keeps it). */
  get manifest(): ResolvedManifest | undefined {
    return this.graph;
  }

  /** Every file whose change can change a build: the manifest, reached sources, .npy inputs. */
  watchedFiles(): string[] {
    const files = new Set<string>([this.options.config, ...this.pluginFiles.map((f) => f.path)]);
    const m = this.graph;
    if (!m) return [...files];
    for (const f of m.files) files.add(f);
    for (const name of m.order) {
      const entry = m.entries[name]!;
      files.add(entry.filePath);
      for (const s of this.state.get(name)?.sources ?? []) files.add(join(m.dir, s));
      for (const a of entry.args) if (a.kind === "array" && a.value?.kind === "npy") files.add(a.value.path);
    }
    return [...files];
  }

  /** Pids of the runtime servers this engine holds (for `daemon status` and the no-orphan tests). */
  runtimePids(): number[] {
    const pids: number[] = [];
    for (const s of this.sessions.values()) {
      const pid = (s.session as { runtime?: { pid?: unknown } }).runtime?.pid;
      if (typeof pid === "number") pids.push(pid);
    }
    return pids;
  }

  /** Builds once. Calls are serialized: a second call starts when the first has finished. */
  build(hooks: BuildHooks = {}): Promise<BuildSummary> {
    this.pendingBuilds++;
    const next = this.queue.then(() => this.buildNow(hooks)).finally(() => this.pendingBuilds--);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Whether a build is running or waiting to. */
  get building(): boolean {
    return this.pendingBuilds > 0;
  }

  /**
   * The last successful compile of each entry, to run again (a persistent engine's): the daemon
   * replays them while idle so that V8 optimizes the compiler before the next edit (daemon/warm-up.ts).
   * The compiler is pure: a replay changes nothing but the process's warmth.
   */
  get replayableCompiles(): (() => unknown)[] {
    return [...this.replayable.values()];
  }

  /**
   * Resolves when the optimized executables of the last build's fast-tier runs are loaded (true),
   * or one of them failed to compile (false: a build without `tiered` compiles it in the open).
   */
  optimizedTier(): Promise<boolean> {
    return this.optimizing;
  }

  /**
   * What a build (of `hooks.entries`, else all) would do, without compiling or running anything:
   * per entry, the files it reads and writes, its cache key, whether it would compile and run, and
   * why. It compiles, runs and writes nothing (a corrupt cache entry it meets is removed, as
   * any read does); calls are serialized with builds.
   */
  plan(hooks: BuildHooks = {}): Promise<BuildPlanReport> {
    const next = this.queue.then(() => this.planNow(hooks));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * One entry compiled, or taken from the cache, with the entries whose results it takes (its
   * argument types come from theirs); nothing runs. Its artifact, key parts and module census
   * (build/inspect.ts); compile errors are reported as a build reports them. Serialized with builds.
   */
  inspect(name: string, hooks: BuildHooks & { hlo?: boolean } = {}): Promise<EntryInspection> {
    const next = this.queue.then(() => this.inspectNow(name, hooks));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Closes every target session (stops runtime servers). */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await Promise.all([...this.uploading]);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of this.state.values()) delete s.run;
    await Promise.all(sessions.map((s) => s.session.close().catch(() => {})));
  }

  /** One build: plan (manifest, targets, what must run), compile every entry, run what must run. */
  private async buildNow(hooks: BuildHooks): Promise<BuildSummary> {
    if (this.closed) throw new Error("internal error: build() on a closed BuildEngine");
    const ctx = new BuildContext(hooks);
    let plan: BuildPlan | undefined;
    try {
      plan = await this.prepare(ctx);
    } catch (e) {
      if (!(e instanceof PrivateDirError)) throw e;
      ctx.report(`tpu-build: ${e.message}`);
      return ctx.finish(EXIT.usage);
    }
    if (!plan) return ctx.finish(EXIT.invalidManifest);
    try {
      await this.compilePhase(ctx, plan);
      const cutShort = await this.runPhase(ctx, plan);
      if (cutShort) return cutShort;
      if (ctx.waitUploads) await plan.remote?.flush();
      await this.enforceCacheCap(ctx, plan);
      if (ctx.fastRuns.length) this.optimizing = this.compileOptimized(ctx.fastRuns);
      const summary = ctx.finish(ctx.compileFailed ? EXIT.compileError : ctx.runFailed ? EXIT.runError : ctx.expectFailed ? EXIT.expectationFailed : EXIT.ok);
      if (ctx.fastRuns.length) summary.fastTier = ctx.fastRuns.map((r) => r.entry);
      // Watch builds follow every edit: their timings are in the events alone.
      if (!ctx.watch) await this.summarize(ctx, plan, summary);
      return summary;
    } catch (e) {
      if (!(e instanceof Superseded)) throw e;
      return ctx.superseded();
    } finally {
      if (plan.remote) {
        const closing = plan.remote.close().catch(() => {});
        this.uploading.add(closing);
        void closing.then(() => this.uploading.delete(closing));
      }
    }
  }

  // ---- plan ----------------------------------------------------------------------------------

  /**
   * The manifest, loaded and validated (unknown targets are manifest errors, reported at the
   * entry's `run`; target settings are checked by their plugins, build/target-settings.ts); the engine's state moves to it. Undefined, after reporting, when it is invalid.
   */
  private async prepare(ctx: BuildContext): Promise<BuildPlan | undefined> {
    const checked = await this.checkedPlan(ctx);
    if (!checked) return undefined;
    const { plan, remoteConfig } = checked;
    for (const dir of [plan.store.root, plan.outDir]) {
      const { tightenedFrom } = keepPrivate(dir);
      if (tightenedFrom !== undefined)
        ctx.report(`warning: ${displayPath(dir)} was open to other users (mode ${tightenedFrom.toString(8)}, as earlier versions of tpu-build created it); it is owner-only (700) now`);
    }
    await this.adoptGraph(plan.manifest);
    await this.closeUndeclaredSessions(plan.manifest);
    if (remoteConfig.warning) ctx.remoteWarning(remoteConfig.warning);
    if (remoteConfig.config) {
      plan.remote = (await loadRemoteLayer()).openRemoteLayer(remoteConfig.config, {
        warn: (message) => ctx.remoteWarning(message),
        uploaded: (u) => ctx.emit({ event: "remote-upload-finished", at: now(), kind: u.kind, entry: u.label, key: u.key, bytes: u.bytes, blobs: u.blobs, durationMs: u.durationMs }),
      });
    }
    return plan;
  }

  /** The manifest loaded and checked (its plugins registered), and the entries selected; the graph and sessions are left as they were (a plan stops here). */
  private async checkedPlan(ctx: BuildContext): Promise<{ plan: BuildPlan; remoteConfig: RemoteCacheSettings } | undefined> {
    const loaded = await this.manifests.load(this.options.config, this.options.profile !== undefined ? { profile: this.options.profile } : {});
    if (!loaded.ok) {
      // The sections that passed the schema are checked too: every problem in one pass.
      const checked = loaded.sections && !loaded.diagnostics.some((d) => d.code === "too-many-errors") ? await this.checkSections(loaded.sections) : { located: [], unlocated: [] };
      const located = checked.located.length ? reportedDiagnostics([...loaded.diagnostics, ...checked.located]) : loaded.diagnostics;
      const diagnostics = [...located.map((d) => manifestEventDiagnostic(d, loaded.text)), ...checked.unlocated];
      ctx.manifestInvalid(diagnostics);
      ctx.report(`tpu-build: ${plural(diagnostics.length, "error")} in ${displayPath(loaded.path)}`);
      return undefined;
    }
    const manifest = loaded.manifest;
    const outDir = ctx.outDirAsked ?? this.options.outDir ?? manifest.outDir;
    const store = new ArtifactStore(this.options.cacheDir ?? defaultCacheDir(manifest.dir));
    // An unknown ENTRY stops the build before it starts; the count is of what this build will do.
    const selection = selectEntries(manifest, ctx.entriesAsked);
    if (!selection.ok) {
      ctx.manifestInvalid(selection.diagnostics);
      return undefined;
    }
    ctx.emit({ event: "build-started", at: now(), config: displayPath(manifest.path), entries: selection.selected.size });
    const checked = await this.checkSections(manifestSections(manifest), manifest.cacheMaxBytes);
    if (!checked.ready) {
      ctx.manifestInvalid([...reportedDiagnostics(checked.located).map((d) => manifestEventDiagnostic(d, manifest.text)), ...checked.unlocated]);
      return undefined;
    }
    const { registry, compiler, remoteConfig, cap } = checked.ready;
    this.plugins = registry;
    if (compiler !== this.compiler) {
      // Include graphs are the compiler's reading of the sources.
      this.compiler = compiler;
      this.includeGraphs.clear();
    }
    const watch = ctx.watch;
    const plan: BuildPlan = {
      manifest,
      outDir,
      store,
      selected: selection.selected,
      mustRun: entriesToRun(manifest, selection.selected),
      force: ctx.force,
      settingsOf: (target) => targetSettings(manifest, target, watch),
      compileOptions: new Map(),
      tiered: ctx.tiered && manifest.watchTiered,
    };
    if (cap.maxBytes !== undefined) plan.cacheMaxBytes = cap.maxBytes;
    return { plan, remoteConfig };
  }

  private async planNow(hooks: BuildHooks): Promise<BuildPlanReport> {
    const diagnostics: EventDiagnostic[] = [];
    const warnings: string[] = [];
    const ctx = new BuildContext({
      ...hooks,
      onEvent: (e) => {
        if (e.event === "manifest-invalid") diagnostics.push(...e.diagnostics);
        if (e.event === "remote-cache-warning") warnings.push(e.message);
      },
    });
    const checked = await this.checkedPlan(ctx);
    if (!checked) return { ok: false, exitCode: EXIT.invalidManifest, config: displayPathOf(this.options.config), outDir: "", entries: [], diagnostics, warnings };
    const { plan, remoteConfig } = checked;
    // The remote cache is asked what it holds, never written; a server that fails costs one warning.
    if (remoteConfig.warning) ctx.remoteWarning(remoteConfig.warning);
    if (remoteConfig.config) plan.remote = (await loadRemoteLayer()).openRemoteLayer({ ...remoteConfig.config, write: false }, { warn: (message) => ctx.remoteWarning(message) });
    const reader = new SourceReader(plan.manifest.dir);
    const planned = new Map<string, PlannedEntry>();
    const entries: EntryPlan[] = [];
    try {
      for (const name of plan.manifest.order) {
        if (!plan.selected.has(name)) continue;
        const p = await this.planEntry(plan, name, reader, planned);
        planned.set(name, p);
        entries.push(p.report);
      }
    } finally {
      await plan.remote?.close();
    }
    return { ok: true, exitCode: EXIT.ok, config: displayPathOf(plan.manifest.path), outDir: displayPathOf(plan.outDir), entries, diagnostics, warnings };
  }

  private async inspectNow(name: string, hooks: BuildHooks & { hlo?: boolean }): Promise<EntryInspection> {
    const diagnostics: EventDiagnostic[] = [];
    const collect = (e: BuildEvent) => {
      if (e.event === "manifest-invalid" || e.event === "compile-failed") diagnostics.push(...e.diagnostics);
    };
    const ctx = new BuildContext({ ...hooks, entries: [name], onEvent: collect });
    const config = displayPathOf(this.options.config);
    const checked = await this.checkedPlan(ctx);
    if (!checked) return { ok: false, exitCode: EXIT.invalidManifest, config, diagnostics };
    const { plan } = checked;
    await this.compilePhase(ctx, plan);
    const artifact = ctx.artifacts.get(name);
    if (!artifact) return { ok: false, exitCode: EXIT.compileError, config, diagnostics };
    const entry = plan.manifest.entries[name]!;
    const { parts } = this.keyParts(plan, entry, (d) => ctx.artifacts.get(d)!.signature, new SourceReader(plan.manifest.dir));
    const inspected: InspectedEntry = {
      entry: name,
      function: entry.function,
      target: entry.run?.target ?? plan.manifest.defaultTarget,
      key: artifact.key,
      hash: artifact.hash,
      artifact: displayPathOf(artifact.dir),
      keyParts: keyPartsView(parts),
      signature: artifact.signature,
      module: moduleCensus(artifact.module),
      ...(hooks.hlo ? { hlo: artifact.text } : {}),
    };
    return { ok: true, exitCode: EXIT.ok, config, entry: inspected, diagnostics };
  }

  /** One entry's plan, from its sources, the cache and its record; `planned` holds the entries it takes results from. */
  private async planEntry(plan: BuildPlan, name: string, reader: SourceReader, planned: Map<string, PlannedEntry>): Promise<PlannedEntry> {
    const { manifest } = plan;
    const entry = manifest.entries[name]!;
    const record = this.record(plan, name);
    const report: EntryPlan = {
      entry: name,
      function: entry.function,
      sources: this.sourcesOf(entry.file, reader).map((p) => displayPathOf(join(manifest.dir, p))),
      inputs: entry.args.flatMap((a) => (a.kind === "array" && a.value?.kind === "npy" ? [displayPathOf(a.value.path)] : [])),
      from: entry.dependencies,
      outputs: [],
      key: null,
      hash: null,
      compile: { status: "maybe", reasons: [] },
      run: null,
      remote: plan.remote ? {} : null,
    };
    let artifact: CachedArtifact | undefined;
    /** The module's SHA-256 when the remote cache holds the artifact the local one lacks. */
    let remoteHash: string | undefined;
    const uncompiled = entry.dependencies.find((d) => !planned.get(d)?.artifact);
    if (uncompiled) {
      report.compile.reasons.push(`its argument types come from ${uncompiled}, which compiles first`);
    } else {
      const { parts } = this.keyParts(plan, entry, (d) => planned.get(d)!.artifact!.signature, reader);
      report.key = cacheKey(parts);
      artifact = await plan.store.get(report.key);
      if (artifact) report.compile.status = "hit";
      else {
        report.compile.status = "miss";
        const changed = record.compile ? changedKeyParts(record.compile.parts, keyPartDigests(parts)) : ["no compile recorded"];
        report.compile.reasons.push(...(changed.length ? changed : ["not in the cache"]));
        if (plan.remote) {
          const peeked = await plan.remote.peekArtifact(report.key, name);
          remoteHash = peeked?.hash;
          if (peeked !== undefined) report.remote!.artifact = peeked !== null;
        }
      }
    }
    report.hash = artifact?.hash ?? null;
    // A compile-only entry writes nothing outside the cache.
    if (!plan.mustRun.has(name)) return { report, artifact };
    // Without the artifact, the files of the last recorded build (a result's shape rarely changes).
    const names = artifact ? outputFileNames(artifact.signature) : (record.compile?.outputs ?? [RESULT_JSON]);
    report.outputs = names.map((f) => displayPathOf(join(plan.outDir, name, f)));
    const target = entry.run?.target ?? manifest.defaultTarget;
    const inputs = await this.plannedInputs(entry, planned);
    const decided = await this.plannedRun(plan, name, record, artifact, target, inputs);
    report.run = { status: decided.status, target, reasons: decided.reasons };
    const hash = artifact?.hash ?? remoteHash;
    if (plan.remote && decided.status !== "up-to-date" && hash !== undefined) {
      const remote = report.remote!;
      const settings = canonicalJson(plan.settingsOf(target));
      const answer = (field: "run" | "executable", found: boolean | undefined) => void (found !== undefined && (remote[field] = found));
      if (entry.run?.cache === "remote" && "leaves" in inputs) answer("run", await plan.remote.has("run", remoteRunKey(hash, target, settings, inputs.leaves, this.targetPlugin(manifest, target).plugin), name));
      // The executable's digest is the runtime's (it covers jax, jaxlib, the platform, XLA flags):
      // known here only from the last load of this module on this target and settings.
      const loaded = record.executable;
      if (remote.run !== true && loaded?.module === hash && loaded.target === target && loaded.settings === settings) answer("executable", await plan.remote.has("executable", loaded.digest, name));
    }
    return decided.status === "up-to-date" ? { report, artifact, leaves: record.run!.leaves } : { report, artifact };
  }

  /** The digests of an entry's input leaves in parameter order as a plan knows them, with a label each; or why they are not known yet. */
  private async plannedInputs(entry: ResolvedEntry, planned: Map<string, PlannedEntry>): Promise<{ leaves: string[]; labels: string[] } | { waiting: string } | { problem: string }> {
    const leaves: string[] = [];
    const labels: string[] = [];
    for (const [index, arg] of entry.args.entries()) {
      if (arg.kind === "const") continue;
      if (arg.kind === "from") {
        const upstream = planned.get(arg.entry)?.leaves;
        if (!upstream) return { waiting: arg.entry };
        for (const d of upstream) leaves.push(d), labels.push(`the results of ${arg.entry}`);
        continue;
      }
      try {
        leaves.push((await this.manifestValue(entry, arg, index)).digest);
      } catch (e) {
        return { problem: (e as Error).message };
      }
      labels.push(`argument ${index + 1}${arg.value?.kind === "npy" ? ` (${displayPathOf(arg.value.path)})` : ""}`);
    }
    return { leaves, labels };
  }

  /** Whether an entry would run, and why: its run's fingerprint, as runEntry takes it, against the recorded one. */
  private async plannedRun(plan: BuildPlan, name: string, record: EntryRecord, artifact: CachedArtifact | undefined, target: string, inputs: Awaited<ReturnType<BuildEngine["plannedInputs"]>>): Promise<{ status: NonNullable<EntryPlan["run"]>["status"]; reasons: string[] }> {
    if (plan.force) return { status: "run", reasons: ["--force"] };
    if (!record.run) return { status: "run", reasons: ["no run recorded"] };
    if (!artifact) return { status: "maybe", reasons: ["its module is recompiled first; it runs if the module changed"] };
    if ("waiting" in inputs) return { status: "maybe", reasons: [`${inputs.waiting} runs first; this runs if its results changed`] };
    if ("problem" in inputs) return { status: "run", reasons: [inputs.problem] };
    const parts: RunFingerprintParts = { module: artifact.hash, target, settings: canonicalJson(plan.settingsOf(target)), ...this.targetPlugin(plan.manifest, target), outDir: plan.outDir, inputs: inputs.leaves };
    if (record.run.fingerprint !== runFingerprint(parts)) return { status: "run", reasons: unique(changedRunParts(record.run.parts, parts, (k) => inputs.labels[k]!)) };
    if (!(await outputsStand(join(plan.outDir, name), record.run.files, this.outputDigests))) return { status: "run", reasons: ["its output files changed or are missing"] };
    return { status: "up-to-date", reasons: [] };
  }

  /** Removes the least recently used cache entries beyond the size cap (build/cache-upkeep.ts). */
  private async enforceCacheCap(ctx: BuildContext, plan: BuildPlan): Promise<void> {
    if (plan.cacheMaxBytes === undefined) return;
    const gc = await collectGarbage(cacheLocations(plan.manifest, this.plugins, plan.store.root), plan.cacheMaxBytes);
    if (!gc.removed.length) return;
    ctx.emit({ event: "cache-evicted", at: now(), entries: gc.removed.length, freedBytes: gc.freedBytes, keptBytes: gc.keptBytes, maxBytes: plan.cacheMaxBytes });
    ctx.log(`cache    removed the ${gc.removed.length} least recently used ${gc.removed.length === 1 ? "entry" : "entries"} (${formatBytes(gc.freedBytes)}); ${formatBytes(gc.keptBytes)} kept of ${formatBytes(plan.cacheMaxBytes)}`);
  }

  // ---- compile -------------------------------------------------------------------------------

  /** Every entry, in dependency order (an entry's argument types may come from another's result). */
  private async compilePhase(ctx: BuildContext, plan: BuildPlan): Promise<void> {
    const sources = new SourceReader(plan.manifest.dir, this.sourceDigests);
    for (const name of plan.manifest.order) {
      if (!plan.selected.has(name)) continue;
      ctx.checkpoint();
      await this.compileEntry(ctx, plan, name, sources);
    }
  }

  /** One entry: skipped when an input did not compile, else from memory, the store, or the compiler. */
  private async compileEntry(ctx: BuildContext, plan: BuildPlan, name: string, sources: SourceReader): Promise<void> {
    const compiler = this.compiler;
    const entry = plan.manifest.entries[name]!;
    const st = this.entryState(name);
    const blocked = entry.dependencies.find((d) => !ctx.artifacts.has(d));
    if (blocked) {
      ctx.entries[name] = { entry: name, status: "skipped" };
      ctx.emit({ event: "entry-skipped", at: now(), entry: name, reason: `its input ${blocked} did not compile` });
      ctx.log(`skip     ${name} (its input ${blocked} did not compile)`);
      return;
    }
    const { key, sourcePaths, parts } = this.entryKey(plan, st, entry, (dep) => ctx.artifacts.get(dep)!, sources);
    st.sources = sourcePaths;
    const t0 = performance.now();
    // Local first, then remote (kept locally once fetched), then the compiler.
    let cached = st.key === key && st.artifact ? st.artifact : await plan.store.get(key);
    let remote: { bytes: number } | undefined;
    if (!cached && plan.remote) {
      const fetched = await plan.remote.getArtifact(key, name);
      if (fetched) {
        cached = await plan.store.put(key, fetched.files);
        remote = { bytes: fetched.bytes };
      }
    }
    if (cached) {
      ctx.artifacts.set(name, cached);
      st.key = key;
      st.artifact = cached;
      await this.recordCompile(plan, name, () => parts().parts, cached);
      ctx.counts.cached++;
      const durationMs = round(performance.now() - t0);
      ctx.entries[name] = { entry: name, status: "cached", key, hash: cached.hash, compileMs: durationMs };
      const hit = { event: "compile-cache-hit", at: now(), entry: name, key, hash: cached.hash, durationMs } as const;
      ctx.emit(remote ? { ...hit, layer: "remote", bytes: remote.bytes } : { ...hit, layer: "local" });
      this.preload(ctx, plan, name, cached);
      ctx.log(`cached   ${name}  ${cached.hash.slice(0, 12)}${remote ? `  (remote cache, ${remote.bytes} bytes)` : ""}`);
      return;
    }
    ctx.emit({ event: "compile-started", at: now(), entry: name, key });
    // The compile's own time, from compile-started: the cache lookups before it are not the compiler's.
    const compiling = performance.now();
    const { args, options } = parts();
    const request: CompileRequest = { entry: name, file: entry.file, function: entry.function, args, ...(entry.mesh ? { mesh: entry.mesh } : {}), ...(entry.resultShards ? { resultShards: entry.resultShards } : {}), readSource: sources.read, limits: entry.compileLimits, options, target: entry.run?.target ?? plan.manifest.defaultTarget };
    const result = compiler.compile(request);
    const durationMs = round(performance.now() - compiling);
    // Only the built-in compiler's: it is pure, a plugin's compiler may have effects.
    if (result.ok && this.options.persistent && compiler.name === DEFAULT_COMPILER) this.replayable.set(name, () => compiler.compile(request));
    if (!result.ok) {
      ctx.compileFailed = true;
      ctx.counts.failed++;
      st.key = undefined;
      st.artifact = undefined;
      st.sources = unique([...sourcePaths, ...result.sources]);
      ctx.entries[name] = { entry: name, status: "failed", key, compileMs: durationMs };
      const diagnostics = result.diagnostics.map((d) => compileEventDiagnostic(sources.explained(d), plan.manifest, entry, compiler, sources.read));
      ctx.emit({ event: "compile-failed", at: now(), entry: name, key, durationMs, diagnostics });
      for (const d of diagnostics) ctx.report(d.rendered);
      ctx.log(`FAILED   ${name}`);
      return;
    }
    const files = { module: result.module, text: result.text, signature: result.signature, info: { stats: result.stats, sources: result.sources } };
    const artifact = await plan.store.put(key, files);
    plan.remote?.putArtifact(key, name, files);
    ctx.artifacts.set(name, artifact);
    this.preload(ctx, plan, name, artifact);
    st.key = key;
    st.artifact = artifact;
    st.sources = unique([...sourcePaths, ...result.sources]);
    await this.recordCompile(plan, name, () => parts().parts, artifact);
    ctx.counts.compiled++;
    ctx.entries[name] = { entry: name, status: "compiled", key, hash: artifact.hash, compileMs: durationMs };
    ctx.emit({ event: "compile-finished", at: now(), entry: name, key, hash: artifact.hash, durationMs, instructions: result.stats.instructions, computations: result.stats.computations });
    ctx.log(`compiled ${name}  ${artifact.hash.slice(0, 12)}  ${result.stats.instructions} instructions  ${durationMs} ms`);
  }

  /**
   * What an entry is compiled for: the platform and compile settings of the target it runs on (the
   * default target when it does not run itself), as that target's plugin reads them.
   */
  private compileOptions(plan: BuildPlan, entry: ResolvedEntry): { options: CompileOptions; json: string } {
    const target = entry.run?.target ?? plan.manifest.defaultTarget;
    let known = plan.compileOptions.get(target);
    if (!known) {
      const plugin = this.plugins.target(targetKind(plan.manifest, target));
      const options = plugin?.compileOptions?.(plan.settingsOf(target)) ?? compileOptionsOf(undefined, {});
      plan.compileOptions.set(target, (known = { options, json: canonicalJson(options) }));
    }
    return known;
  }

  /**
   * A warm session starts compiling a module for the device (XLA, in the runtime's process) as
   * soon as the module exists, while the next entries compile here.
   */
  private preload(ctx: BuildContext, plan: BuildPlan, name: string, artifact: CachedArtifact): void {
    if (!plan.mustRun.has(name)) return;
    const entry = plan.manifest.entries[name]!;
    const targetName = entry.run?.target ?? plan.manifest.defaultTarget;
    const open = this.sessions.get(sessionKey(targetName, canonicalJson(plan.settingsOf(targetName))));
    if (!open || open.loaded.has(artifact.hash) || ctx.preloads.has(artifact.hash)) return;
    const tier = this.tierFor(plan, open, artifact);
    if (tier === "fast" && open.fastLoaded.has(artifact.hash)) return;
    const p = this.loadOn(ctx, plan, open, name, artifact, tier);
    p.catch(() => {});
    ctx.preloads.set(artifact.hash, p);
  }

  /**
   * Loads a module in a session, with the remote cache's executables when there is one (and says how
   * it was obtained). `tier: "fast"`: whatever the session can run soonest (it says which it loaded).
   */
  private async loadOn(ctx: BuildContext, plan: BuildPlan, open: OpenSession, name: string, artifact: CachedArtifact, tier: ExecutableTier = "optimized"): Promise<void> {
    const executables = tier === "optimized" ? plan.remote?.executables : undefined;
    const report = await open.session.load({ hash: artifact.hash, module: artifact.module, signature: artifact.signature }, { ...(executables ? { executables } : {}), ...(tier === "fast" ? { tier } : {}) });
    if (report?.tier === "fast") open.fastLoaded.add(artifact.hash);
    else open.loaded.add(artifact.hash);
    if (report) {
      const { tier: _loaded, ...loaded } = report;
      ctx.emit({ event: "executable-loaded", at: now(), entry: name, target: open.target, hash: artifact.hash, ...loaded });
    }
    if (report?.digest && report.tier !== "fast") await this.recordExecutable(plan, name, { module: artifact.hash, target: open.target, settings: open.settings, digest: report.digest });
  }

  /** The executable a run of this build asks for: fast when the build is tiered, the session can run it, and the optimized one is not loaded. */
  private tierFor(plan: BuildPlan, open: OpenSession, artifact: CachedArtifact): ExecutableTier {
    return plan.tiered && residentCapable(open.session) && !open.loaded.has(artifact.hash) ? "fast" : "optimized";
  }

  /**
   * After a build with fast-tier runs: their optimized executables compile in the background (the
   * runtime compiles different modules side by side, so the next edit's fast compile does not wait).
   * Nothing here writes outputs: the next build reruns those entries with them.
   */
  private async compileOptimized(runs: BuildContext["fastRuns"]): Promise<boolean> {
    const results = await Promise.all(
      runs.map(async ({ open, artifact }) => {
        try {
          await open.session.load({ hash: artifact.hash, module: artifact.module, signature: artifact.signature });
          if (this.isOpen(open)) open.loaded.add(artifact.hash);
          return true;
        } catch {
          return false;
        }
      }),
    );
    return results.every(Boolean);
  }

  // ---- run -----------------------------------------------------------------------------------

  /**
   * Runs, in dependency order, every entry that must run. Returns the summary when a missing
   * runtime environment ends the build early (nothing else could run either).
   */
  private async runPhase(ctx: BuildContext, plan: BuildPlan): Promise<BuildSummary | undefined> {
    // Selected entries that no longer run keep no outputs of ours (those not selected keep theirs).
    for (const name of plan.manifest.order) if (plan.selected.has(name) && !plan.mustRun.has(name)) await this.forgetRun(name, plan);
    try {
      for (const name of plan.manifest.order) {
        if (!plan.mustRun.has(name)) continue;
        ctx.checkpoint();
        if ((await this.runEntry(ctx, plan, name)) === "environment-missing") return ctx.finish(EXIT.environment);
      }
    } finally {
      await this.releaseUnusedInputs(ctx.usedInputs);
      if (!this.options.persistent) await this.closeSessions();
    }
    return undefined;
  }

  /** One entry's run: skipped when an input did not run, up to date, or run on its target. */
  private async runEntry(ctx: BuildContext, plan: BuildPlan, name: string): Promise<"done" | "environment-missing"> {
    const entry = plan.manifest.entries[name]!;
    const artifact = ctx.artifacts.get(name);
    const missing = entry.dependencies.find((d) => !ctx.succeeded.has(d));
    if (!artifact || missing) {
      if (artifact) ctx.emit({ event: "entry-skipped", at: now(), entry: name, reason: `its input ${missing} did not run` });
      await this.forgetRun(name, plan);
      return "done";
    }
    const targetName = entry.run?.target ?? plan.manifest.defaultTarget;
    const settingsObject = plan.settingsOf(targetName);
    const target: RunTarget = { name: targetName, settingsObject, settings: canonicalJson(settingsObject), ...this.targetPlugin(plan.manifest, targetName) };
    const t0 = performance.now();
    let started = false;
    try {
      const inputs = await this.entryInputs(entry, artifact.signature);
      const fingerprintParts: RunFingerprintParts = { module: artifact.hash, target: target.name, settings: target.settings, ...(target.plugin ? { plugin: target.plugin } : {}), outDir: plan.outDir, inputs: inputs.map((i) => i.digest) };
      const fingerprint = runFingerprint(fingerprintParts);
      const ran = await this.runOrReuse(ctx, plan, entry, artifact, inputs, fingerprintParts, fingerprint, target, t0, () => (started = true));
      await this.checkExpected(ctx, plan.manifest, entry, artifact, ran);
      return "done";
    } catch (e) {
      if (e instanceof Superseded) throw e;
      ctx.runFailed = true;
      ctx.counts.failed++;
      // A target plugin's or a server's message, of any length (issue 16.7).
      const message = boundedMessage((e as Error).message);
      ctx.entries[name] = { ...ctx.entries[name]!, runFailed: true };
      if (!started) ctx.emit({ event: "run-started", at: now(), entry: name, target: target.name, hash: artifact.hash });
      ctx.emit({ event: "run-failed", at: now(), entry: name, target: target.name, durationMs: round(performance.now() - t0), message });
      ctx.report(e instanceof InputError ? e.rendered : `error: running ${name} on ${target.name} failed: ${message}`);
      await this.forgetRun(name, plan);
      await this.dropBrokenSession(target.name, target.settings);
      return isEnvironmentError(e) ? "environment-missing" : "done";
    }
  }

  /** The entry's results: its outputs on disk when up to date, else from the remote cache, else run on the target. */
  private async runOrReuse(ctx: BuildContext, plan: BuildPlan, entry: ResolvedEntry, artifact: CachedArtifact, inputs: InputLeaf[], fingerprintParts: RunFingerprintParts, fingerprint: string, target: RunTarget, t0: number, starting: () => void): Promise<Tensor[]> {
    const name = entry.name;
    // In a tiered build, a fast-tier run stands until its optimized executable is there to rerun it
    // (it is then one of this build's fast-tier runs, whose optimized executable it waits for).
    const open = this.sessions.get(sessionKey(target.name, target.settings));
    const fast = plan.tiered && open && !open.loaded.has(artifact.hash) ? runFingerprint({ ...fingerprintParts, tier: "fast" }) : undefined;
    if (!plan.force && (await this.runIsUpToDate(ctx, plan, name, [fingerprint, fast], target, artifact))) {
      const stands = this.entryState(name).run!;
      if (fast !== undefined && stands.fingerprint === fast) ctx.fastRuns.push({ entry: name, open: open!, artifact });
      return stands.host;
    }
    const remoteKey = entry.run?.cache === "remote" && plan.remote ? remoteRunKey(artifact.hash, target.name, target.settings, inputs.map((i) => i.digest), target.plugin) : undefined;
    if (remoteKey && (await this.runFromRemote(ctx, plan, entry, artifact, remoteKey, fingerprintParts, target, t0))) return this.entryState(name).run!.host;
    ctx.emit({ event: "run-started", at: now(), entry: name, target: target.name, hash: artifact.hash });
    starting();
    const results = await this.runOnTarget(ctx, plan, entry, artifact, inputs, fingerprintParts, target, t0);
    if (remoteKey) plan.remote!.putRun(remoteKey, name, results);
    return results;
  }

  /** The entry's `expect`, checked on every build (a reference file may change while the run stays up to date). */
  private async checkExpected(ctx: BuildContext, manifest: ResolvedManifest, entry: ResolvedEntry, artifact: CachedArtifact, results: Tensor[]): Promise<void> {
    if (!entry.expect.length) return;
    const outcome = await checkExpectations(entry.expect, artifact.signature, results);
    const name = entry.name;
    if (!outcome.failures.length) {
      ctx.emit({ event: "expect-passed", at: now(), entry: name, checks: outcome.checks });
      ctx.log(`passed   ${name}  ${plural(outcome.checks, "expectation")}`);
      return;
    }
    ctx.expectFailed = true;
    ctx.counts.failed++;
    ctx.entries[name] = { ...ctx.entries[name]!, expectFailed: true };
    const failures = outcome.failures.map((f) => {
      const pointer = f.check === "leaf" ? f.pointer : `${f.pointer}/${f.check}`;
      const d = manifestEventDiagnostic(manifestDiagnosticAt(manifest, pointer, f.code, f.message, { at: f.check === "leaf" ? "key" : "value" }), manifest.text);
      return { ...f, location: d.location, rendered: `${d.rendered}\n  (entry ${name})` };
    });
    ctx.emit({ event: "expect-failed", at: now(), entry: name, checks: outcome.checks, failures });
    for (const f of failures) ctx.report(f.rendered);
    ctx.log(`FAILED   ${name}  ${failures.length} of ${plural(outcome.checks, "expectation")}`);
  }

  /**
   * Whether the last successful run (this engine's, else the one recorded on disk) had this
   * fingerprint and its output files still hold what it wrote; then they stand, untouched.
   */
  private async runIsUpToDate(ctx: BuildContext, plan: BuildPlan, name: string, fingerprints: (string | undefined)[], target: RunTarget, artifact: CachedArtifact): Promise<boolean> {
    const st = this.entryState(name);
    const dir = join(plan.outDir, name);
    let previous = st.run;
    if (!previous || !fingerprints.includes(previous.fingerprint) || previous.outDir !== plan.outDir || !(await outputsStand(dir, previous.fileDigests, this.outputDigests))) {
      previous = await this.recordedRun(plan, name, fingerprints, artifact);
      if (!previous) return false;
      await this.releaseRun(st.run);
      st.run = previous;
    }
    ctx.counts.upToDate++;
    ctx.succeeded.add(name);
    ctx.entries[name] = { ...ctx.entries[name]!, upToDate: true, outputs: previous.files };
    ctx.emit({ event: "run-up-to-date", at: now(), entry: name, target: target.name, hash: artifact.hash, outputs: previous.files.map(displayPath) });
    ctx.log(`current  ${name}  on ${target.name}`);
    return true;
  }

  /** A shared run's results from the remote cache, written out as if it had run here; false on a miss. */
  private async runFromRemote(ctx: BuildContext, plan: BuildPlan, entry: ResolvedEntry, artifact: CachedArtifact, remoteKey: string, fingerprint: RunFingerprintParts, target: RunTarget, t0: number): Promise<boolean> {
    const name = entry.name;
    const got = await plan.remote!.getRun(remoteKey, name, artifact.signature);
    if (!got) return false;
    const st = this.entryState(name);
    const durationMs = round(performance.now() - t0);
    const written = await writeRunOutputs(plan.outDir, { entry: name, function: entry.function, hash: artifact.hash, target: target.name }, artifact.signature, got.tensors);
    const files = written.files;
    await this.releaseRun(st.run);
    st.run = { fingerprint: runFingerprint(fingerprint), outDir: plan.outDir, files, fileDigests: written.digests, digests: got.tensors.map(tensorDigest), host: got.tensors };
    await this.recordRun(plan, name, fingerprint, st.run);
    ctx.succeeded.add(name);
    ctx.counts.cached++;
    ctx.entries[name] = { ...ctx.entries[name]!, ran: true, outputs: files, runMs: durationMs };
    ctx.emit({ event: "run-cache-hit", at: now(), entry: name, target: target.name, hash: artifact.hash, durationMs, outputs: files.map(displayPath), layer: "remote", bytes: got.bytes });
    ctx.log(`cached   ${name}  run on ${target.name} from the remote cache  -> ${displayPath(join(plan.outDir, name))}`);
    return true;
  }

  /** Loads the module in the target's session (unless a preload did), runs it, writes the outputs; returns the results. */
  private async runOnTarget(ctx: BuildContext, plan: BuildPlan, entry: ResolvedEntry, artifact: CachedArtifact, inputs: InputLeaf[], fingerprint: RunFingerprintParts, target: RunTarget, t0: number): Promise<Tensor[]> {
    const name = entry.name;
    const st = this.entryState(name);
    /** The session of the attempt under way, once it has one. */
    let current: OpenSession | undefined;
    // Where the time went, for timelines (a retry adds its own time to the first attempt's).
    const phases: RunPhases = { session: 0, load: 0, upload: 0, execute: 0, download: 0 };
    const attempt = async () => {
      current = undefined;
      const open = await timed(phases, "session", () => this.session(target.name, target.settings, target.settingsObject, plan.manifest));
      current = open;
      await timed(phases, "load", async () => {
        await ctx.preloads.get(artifact.hash)?.catch(() => {});
        if (artifact.signature.mesh) await checkMeshFits(open, artifact.signature);
        const wanted = this.tierFor(plan, open, artifact);
        if (!open.loaded.has(artifact.hash) && !(wanted === "fast" && open.fastLoaded.has(artifact.hash))) await this.loadOn(ctx, plan, open, name, artifact, wanted);
      });
      const tier: ExecutableTier = open.loaded.has(artifact.hash) ? "optimized" : "fast";
      return { ...(await this.execute(open, artifact, entry, inputs, ctx.usedInputs, tier, phases)), open, tier };
    };
    let run: Awaited<ReturnType<typeof attempt>>;
    try {
      run = await attempt();
    } catch (e) {
      // Runs are pure: when the server went away under this run (restarted, connection lost), the
      // entry runs once more on a new connection, its inputs uploaded again; a second loss is the error.
      const lost: OpenSession | undefined = current;
      if (!lost || (await answers(lost))) throw e;
      await this.closeSession(lost);
      ctx.log(`retry    ${name}  on ${target.name}: its runtime server stopped answering (${(e as Error).message}); reconnecting`);
      try {
        run = await attempt();
      } catch (again) {
        throw new Error(`${(again as Error).message} (retried once after the connection to the server was lost: ${(e as Error).message})`);
      }
    }
    const durationMs = round(performance.now() - t0);
    const written = await writeRunOutputs(plan.outDir, { entry: name, function: entry.function, hash: artifact.hash, target: target.name }, artifact.signature, run.host);
    const files = written.files;
    await this.releaseRun(st.run);
    // A fast-tier run is recorded as such: no later build takes it for the optimized run.
    const parts: RunFingerprintParts = run.tier === "fast" ? { ...fingerprint, tier: "fast" } : fingerprint;
    st.run = { fingerprint: runFingerprint(parts), outDir: plan.outDir, files, fileDigests: written.digests, digests: run.host.map(tensorDigest), host: run.host, resident: run.resident };
    await this.recordRun(plan, name, parts, st.run);
    if (run.tier === "fast") ctx.fastRuns.push({ entry: name, open: run.open, artifact });
    ctx.succeeded.add(name);
    ctx.counts.ran++;
    ctx.entries[name] = { ...ctx.entries[name]!, ran: true, outputs: files, runMs: durationMs };
    for (const k of Object.keys(phases) as (keyof RunPhases)[]) phases[k] = round(phases[k]);
    ctx.emit({ event: "run-finished", at: now(), entry: name, target: target.name, hash: artifact.hash, durationMs, outputs: files.map(displayPath), tier: run.tier, phases });
    ctx.log(`ran      ${name}  on ${target.name}  ${durationMs} ms${run.tier === "fast" ? " (fast tier)" : ""}  -> ${displayPath(join(plan.outDir, name))}`);
    return run.host;
  }

  // ---- engine state --------------------------------------------------------------------------

  private entryState(name: string): EntryState {
    let st = this.state.get(name);
    if (!st) {
      st = { sources: [] };
      this.state.set(name, st);
    }
    return st;
  }

  /** Takes a newly valid manifest: state of removed entries goes (with their outputs). */
  private async adoptGraph(manifest: ResolvedManifest): Promise<void> {
    for (const name of [...this.state.keys()]) {
      if (manifest.entries[name]) continue;
      await this.forgetRun(name);
      this.state.delete(name);
    }
    this.graph = manifest;
  }

  /** The entry file's include graph, reused while every file in it has the same content. */
  private sourcesOf(file: string, reader: SourceReader): string[] {
    const memo = this.includeGraphs.get(file);
    if (memo && memo.sources.every((p, i) => reader.digest(p) === memo.digests[i])) return memo.sources;
    const sources = this.compiler.sourcesOf(file, reader.read);
    this.includeGraphs.set(file, { sources, digests: sources.map((p) => reader.digest(p)) });
    return sources;
  }

  /**
   * An entry's cache key, with its sources and (on demand) what the key is taken over. A warm engine
   * takes the key over again only when something it is taken over may have changed: it keeps what
   * the entry's last key came from (the resolved entry, the compiler, the options, the modules of
   * the entries it takes results from, and the include graph, which stands only while every file
   * in it has the same digest) and reuses the key while each of these is the same.
   */
  private entryKey(plan: BuildPlan, st: EntryState, entry: ResolvedEntry, artifactOf: (entry: string) => CachedArtifact, sources: SourceReader): { key: string; sourcePaths: string[]; parts: () => ReturnType<BuildEngine["keyParts"]> } {
    const sourcePaths = this.sourcesOf(entry.file, sources);
    const options = this.compileOptions(plan, entry).json;
    const inputs = entry.dependencies.map(artifactOf);
    let full: ReturnType<BuildEngine["keyParts"]> | undefined;
    const parts = () => (full ??= this.keyParts(plan, entry, (dep) => artifactOf(dep).signature, sources));
    const last = st.keyedFrom;
    if (last && last.entry === entry && last.compiler === this.compiler && last.options === options && last.sources === sourcePaths && last.inputs.length === inputs.length && last.inputs.every((a, k) => a === inputs[k])) return { key: last.key, sourcePaths, parts };
    const key = cacheKey(parts().parts);
    st.keyedFrom = { entry, compiler: this.compiler, options, sources: sourcePaths, inputs, key };
    return { key, sourcePaths, parts };
  }

  /** What an entry's cache key is taken over; `outputOf` gives the results of an entry it takes (`from`): their types and how they are kept. */
  private keyParts(plan: BuildPlan, entry: ResolvedEntry, outputOf: (entry: string) => Pick<Signature, "output" | "results" | "mesh">, sources: SourceReader): { args: ArgSpec[]; sourcePaths: string[]; options: CompileOptions; parts: CacheKeyParts } {
    const compiler = this.compiler;
    const args = withConstText(entry, argSpecs(entry, outputOf));
    const sourcePaths = this.sourcesOf(entry.file, sources);
    const { options } = this.compileOptions(plan, entry);
    const parts: CacheKeyParts = {
      compiler: { name: compiler.name, version: compiler.version, codeDigest: compiler.codeDigest },
      prelude: compiler.preludeVersion ?? "",
      entry: { name: entry.name, file: entry.file, function: entry.function, args, ...(entry.mesh ? { mesh: entry.mesh } : {}), ...(entry.resultShards ? { resultShards: entry.resultShards } : {}) },
      sources: sourcePaths.map((path) => ({ path, content: sources.read(path) ?? "" })),
      options: { ...options },
    };
    return { args, sourcePaths, options, parts };
  }

  /** The entry's record on disk (read again only when another process replaced it). */
  private record(plan: BuildPlan, name: string): EntryRecord {
    return this.recordsOf(plan).read(name);
  }

  private writeRecord(plan: BuildPlan, record: EntryRecord): Promise<void> {
    return this.recordsOf(plan).write(record);
  }

  private recordsOf(plan: BuildPlan): EntryRecords {
    if (this.records?.workspace !== plan.manifest.dir) this.records = new EntryRecords(plan.manifest.dir);
    return this.records;
  }

  /** Records the entry's compile (key parts, module, the files a run writes) when it differs from the record. */
  private async recordCompile(plan: BuildPlan, name: string, parts: () => CacheKeyParts, artifact: CachedArtifact): Promise<void> {
    const record = this.record(plan, name);
    const outputs = outputFileNames(artifact.signature);
    const known = record.compile;
    // The key is a hash of the parts: the same key, the same part digests.
    if (known && known.key === artifact.key && known.hash === artifact.hash && known.outputs.length === outputs.length && known.outputs.every((f, k) => f === outputs[k])) return;
    await this.writeRecord(plan, { ...record, compile: { key: artifact.key, hash: artifact.hash, parts: keyPartDigests(parts()), outputs } });
  }

  /** Records the executable an entry's module was loaded as (`plan` asks the remote cache for it). */
  private async recordExecutable(plan: BuildPlan, name: string, executable: NonNullable<EntryRecord["executable"]>): Promise<void> {
    const record = this.record(plan, name);
    if (canonicalJson(record.executable ?? null) === canonicalJson(executable)) return;
    await this.writeRecord(plan, { ...record, executable });
  }

  private async recordRun(plan: BuildPlan, name: string, parts: RunFingerprintParts, run: RunRecordState): Promise<void> {
    const record = this.record(plan, name);
    await this.writeRecord(plan, { ...record, run: { fingerprint: run.fingerprint, parts, files: run.fileDigests, leaves: run.digests } });
  }

  /** The run recorded on disk, when it had this fingerprint and its files still hold what it wrote (then read back for dependents). */
  private async recordedRun(plan: BuildPlan, name: string, fingerprints: (string | undefined)[], artifact: CachedArtifact): Promise<RunRecordState | undefined> {
    const recorded = this.record(plan, name).run;
    if (!recorded || !fingerprints.includes(recorded.fingerprint) || recorded.parts.outDir !== plan.outDir) return undefined;
    const dir = join(plan.outDir, name);
    const names = outputFileNames(artifact.signature).filter((f) => f !== RESULT_JSON);
    const { [RESULT_JSON]: resultJson, ...npyDigests } = recorded.files;
    if (Object.keys(npyDigests).length !== names.length || !resultJson || !(await outputsStand(dir, { [RESULT_JSON]: resultJson }, this.outputDigests))) return undefined;
    const host: Tensor[] = [];
    for (const [k, file] of names.entries()) {
      const sha256 = npyDigests[file];
      const tensor = sha256 === undefined ? undefined : await readOutputTensor(join(dir, file), artifact.signature.results[k]?.eltype, sha256);
      if (!tensor) return undefined;
      host.push(tensor);
    }
    if (host.length !== recorded.leaves.length) return undefined;
    return { fingerprint: recorded.fingerprint, outDir: plan.outDir, files: names.map((f) => join(dir, f)), fileDigests: recorded.files, digests: recorded.leaves, host };
  }

  /** The build's run summary (`.tpu-build/runs/`): what each entry did and its timings; a failure to write it is a warning. */
  private async summarize(ctx: BuildContext, plan: BuildPlan, summary: BuildSummary): Promise<void> {
    const entries: RunSummary["entries"] = {};
    for (const [name, o] of Object.entries(summary.entries)) {
      const run = o.runFailed ? "failed" : o.upToDate ? "up to date" : o.ran ? "ran" : plan.mustRun.has(name) ? "skipped" : undefined;
      entries[name] = { compile: o.status, compileMs: o.compileMs, run, runMs: o.runMs, key: o.key, hash: o.hash };
    }
    const record: RunSummary = { format: 1, startedAt: ctx.startedAt, config: relative(plan.manifest.dir, plan.manifest.path), exitCode: summary.exitCode, durationMs: round(summary.durationMs), counts: { ...ctx.counts }, entries };
    try {
      await writeRunSummary(plan.manifest.dir, record);
    } catch (e) {
      ctx.report(`warning: could not write the run summary: ${(e as Error).message}`);
    }
  }

  /** The flattened input leaves of an entry: manifest values and the results of the entries it takes. */
  private async entryInputs(entry: ResolvedEntry, signature: Signature): Promise<InputLeaf[]> {
    const inputs: InputLeaf[] = [];
    for (const [index, arg] of entry.args.entries()) {
      if (arg.kind === "const") continue;
      if (arg.kind === "from") {
        const run = this.state.get(arg.entry)!.run!;
        run.host.forEach((tensor, k) => inputs.push({ digest: run.digests[k]!, tensor }));
        continue;
      }
      inputs.push(await this.manifestValue(entry, arg, index));
    }
    if (inputs.length !== signature.parameters.length)
      throw new InputError(`internal: ${inputs.length} inputs for ${signature.parameters.length} parameters`, `internal error: ${entry.name} got ${inputs.length} inputs for ${signature.parameters.length} parameters; please report this bug`);
    // The parameters say what the device holds: under "float64": "float32" a Float64 argument is rounded to Float32 here.
    return inputs.map((leaf, k) => {
      const eltype = signature.parameters[k]!.eltype;
      if (leaf.tensor!.eltype === eltype) return leaf;
      const tensor = demotedTensor(leaf.tensor!, eltype);
      return { digest: tensorDigest(tensor), tensor };
    });
  }

  /** One manifest value; generated ones are kept (they are functions of their specification), .npy files read anew. */
  private async manifestValue(entry: ResolvedEntry, arg: ResolvedArg & { kind: "array" }, index: number): Promise<InputLeaf> {
    if (!arg.value) throw new InputError(`argument ${index + 1} of ${entry.name} has no value`, `error: ${entry.name}: argument ${index + 1} needs a "value" to run (at ${arg.pointer})`);
    const spec = arg.value.kind === "npy" ? undefined : canonicalJson({ value: arg.value, eltype: arg.eltype, size: arg.size, entry: entry.name, index });
    const known = spec === undefined ? undefined : this.generated.get(spec);
    if (known) return known;
    const r = await materializeValue(arg.value, { eltype: arg.eltype, size: arg.size, entry: entry.name, index });
    if (!r.ok) throw new InputError(r.message, `error: ${entry.name}: ${r.message} (at ${arg.pointer}/value)`);
    if (spec !== undefined && this.options.persistent) {
      const kept = { digest: tensorDigest(r.tensor), tensor: r.tensor };
      this.generated.set(spec, kept);
      return kept;
    }
    const again = async () => {
      const a = await materializeValue(arg.value!, { eltype: arg.eltype, size: arg.size, entry: entry.name, index });
      if (!a.ok) throw new InputError(a.message, `error: ${entry.name}: ${a.message} (at ${arg.pointer}/value)`);
      return a.tensor;
    };
    return { digest: tensorDigest(r.tensor), tensor: r.tensor, again };
  }

  private async session(target: string, settings: string, settingsObject: Record<string, unknown>, manifest: ResolvedManifest): Promise<OpenSession> {
    const open = this.sessions.get(sessionKey(target, settings));
    // A kept session's runtime may have died while idle (killed, out of memory): checked before
    // use, and reopened when it does not answer, so the build does not fail on a dead server.
    if (open && (await answers(open))) return open;
    if (open) await this.closeSession(open);
    const plugin = this.plugins.target(targetKind(manifest, target))!;
    const session = await plugin.open({ workspace: manifest.dir, settings: settingsObject });
    const fresh: OpenSession = { target, plugin, settings, session, loaded: new Set(), fastLoaded: new Set(), inputs: new Map() };
    this.sessions.set(sessionKey(target, settings), fresh);
    return fresh;
  }

  /**
   * Sessions are kept per target and settings, so watch builds and explicit builds with their own
   * settings (`watch.targets`) each keep a warm runtime; a session whose settings the manifest no
   * longer gives its target, in either kind of build, is closed.
   */
  private async closeUndeclaredSessions(manifest: ResolvedManifest): Promise<void> {
    const declared = new Set<string>();
    for (const target of targetNames(manifest, this.plugins.targetNames()))
      for (const watch of [false, true]) declared.add(sessionKey(target, canonicalJson(targetSettings(manifest, target, watch))));
    for (const [key, open] of [...this.sessions]) if (!declared.has(key) || this.plugins.target(targetKind(manifest, open.target)) !== open.plugin) await this.closeSession(open);
  }

  /** Runs on the device: inputs resident where the session keeps them, results kept resident for dependents. */
  private async execute(open: OpenSession, artifact: CachedArtifact, entry: ResolvedEntry, inputs: InputLeaf[], used: Set<ResidentRef>, tier: ExecutableTier, phases: RunPhases): Promise<{ host: Tensor[]; resident?: RunRecordState["resident"] }> {
    const session = open.session;
    if (!residentCapable(session)) {
      const tensors: Tensor[] = [];
      for (const leaf of inputs) tensors.push(await leafTensor(leaf));
      return { host: await timed(phases, "execute", () => session.run(artifact.hash, tensors)) };
    }
    const fromRuns = new Map<string, ResidentRef>();
    for (const dep of entry.dependencies) {
      const run = this.state.get(dep)?.run;
      if (run?.resident?.session === open) run.digests.forEach((d, k) => fromRuns.set(d, run.resident!.tensors[k]!));
    }
    const args: ResidentRef[] = [];
    for (const [k, input] of inputs.entries()) {
      // A manifest input is kept per layout: the same tensor split over a mesh is another buffer.
      const layout = parameterLayout(artifact.signature, k);
      const key = layout ? `${input.digest}@${canonicalJson(layout)}` : input.digest;
      let r = fromRuns.get(input.digest) ?? open.inputs.get(key);
      if (!r) {
        const tensor = await leafTensor(input);
        r = await timed(phases, "upload", () => session.upload(tensor, layout));
        open.inputs.set(key, r);
      }
      if (input.again) input.tensor = undefined; // resident: the bytes here can go
      used.add(r);
      args.push(r);
    }
    const results = await timed(phases, "execute", () => session.execute(artifact.hash, args, tier === "fast" ? { tier } : {}));
    try {
      const host: Tensor[] = [];
      for (const r of results) host.push(await timed(phases, "download", () => session.download(r)));
      return { host, resident: { session: open, tensors: results } };
    } catch (e) {
      await session.release(results).catch(() => {});
      throw e;
    }
  }

  private async releaseRun(run: RunRecordState | undefined): Promise<void> {
    const r = run?.resident;
    if (!r || !this.isOpen(r.session)) return;
    await (r.session.session as ResidentSession).release(r.tensors).catch(() => {});
  }

  /**
   * Drops an entry's run state and deletes the outputs it wrote (they would be stale): those this
   * engine wrote (with `plan`, only in this build's output directory), and (with `plan`) those an
   * earlier process recorded in this build's output directory.
   */
  private async forgetRun(name: string, plan?: BuildPlan): Promise<void> {
    const st = this.state.get(name);
    const run = st?.run;
    if (st && run) {
      delete st.run;
      await this.releaseRun(run);
      // Outputs another directory's build wrote stay: only this build's directory is its own to clear.
      if (!plan || run.outDir === plan.outDir) await rm(join(run.outDir, name), { recursive: true, force: true });
    }
    if (!plan) return;
    const { run: recordedRun, ...record } = this.record(plan, name);
    if (!recordedRun) return;
    const recordedDir = recordedRun.parts.outDir;
    await this.writeRecord(plan, record);
    if (recordedDir === plan.outDir) await rm(join(plan.outDir, name), { recursive: true, force: true });
  }

  private isOpen(s: OpenSession): boolean {
    return this.sessions.get(sessionKey(s.target, s.settings)) === s;
  }

  /** Resident manifest inputs no run of this build used are freed on the device. */
  private async releaseUnusedInputs(used: Set<ResidentRef>): Promise<void> {
    for (const open of this.sessions.values()) {
      const stale = [...open.inputs].filter(([, r]) => !used.has(r));
      for (const [digest] of stale) open.inputs.delete(digest);
      if (stale.length && residentCapable(open.session)) await open.session.release(stale.map(([, r]) => r)).catch(() => {});
      // Executables of modules no entry holds any more are unloaded (the disk cache keeps them).
      const live = new Set([...this.state.values()].map((s) => s.artifact?.hash));
      const unload = (open.session as Partial<ResidentSession>).unload;
      for (const hash of [...open.loaded]) {
        if (live.has(hash)) continue;
        open.loaded.delete(hash);
        open.fastLoaded.delete(hash);
        if (unload) await unload.call(open.session, hash).catch(() => {});
      }
      // A fast-tier executable goes once its optimized one is loaded (or its module is gone).
      for (const hash of [...open.fastLoaded]) {
        if (live.has(hash) && !open.loaded.has(hash)) continue;
        open.fastLoaded.delete(hash);
        if (unload) await unload.call(open.session, hash, { tier: "fast" }).catch(() => {});
      }
    }
  }

  /** After a failed run: a session whose runtime no longer answers is closed, to be reopened next time. */
  private async dropBrokenSession(target: string, settings: string): Promise<void> {
    const open = this.sessions.get(sessionKey(target, settings));
    if (open && !(await answers(open))) await this.closeSession(open);
  }

  private async closeSession(open: OpenSession): Promise<void> {
    const key = sessionKey(open.target, open.settings);
    if (this.sessions.get(key) === open) this.sessions.delete(key);
    for (const st of this.state.values()) if (st.run?.resident?.session === open) delete st.run.resident;
    await open.session.close().catch(() => {});
  }

  private async closeSessions(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.closeSession(s)));
  }
}

/** A module over a mesh needs that many devices on its target: a clear run error otherwise. */
async function checkMeshFits(open: OpenSession, signature: Signature): Promise<void> {
  const mesh = signature.mesh!;
  const info = await open.session.info();
  const have = info.devices.length;
  if (meshSize(mesh) <= have) return;
  const hint = info.platform === "cpu" ? `; on the CPU, give the target more virtual devices ("targets": {"${open.target}": {"cpuDevices": ${meshSize(mesh)}}})` : "";
  throw new Error(`${signature.entry} runs on a mesh ${showMesh(mesh)} of ${meshSize(mesh)} devices, but target ${open.target} has ${have} ${info.platform} device(s)${hint}`);
}

/** Whether a session's runtime answers within 5 s. */
function answers(open: OpenSession): Promise<boolean> {
  return Promise.race([open.session.info().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
}

/**
 * The remote cache layer, loaded only when a manifest configures one (its gRPC client costs a cold
 * process ~100 ms). Required under tsx's CommonJS transform (the tests), as the local target is.
 */
async function loadRemoteLayer(): Promise<typeof import("./remote-cache/layer.js")> {
  type RemoteLayerModule = typeof import("./remote-cache/layer.js");
  return typeof require === "function" ? (require("./remote-cache/layer.js") as RemoteLayerModule) : await import("./remote-cache/layer.js");
}

/** A run-time input that could not be produced (an .npy changed since validation, a bad value). */
class InputError extends Error {
  constructor(message: string, readonly rendered: string) {
    super(message);
  }
}

function tensorDigest(t: Tensor): string {
  // Hashed in place: a copy of the prefix and the data together cost a tensor's size in memory again.
  return updateHash(createHash("sha256").update(`${t.eltype}[${t.size.join(",")}]`), t.data).digest("hex");
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Constants keep their JSON text, so that `1.0` (Float64) and `1` (Int64) differ, in the key too. */
function withConstText(entry: ResolvedEntry, specs: ArgSpec[]): ArgSpec[] {
  return specs.map((s, i) => {
    const a = entry.args[i]!;
    return s.kind === "const" && a.kind === "const" ? { ...s, raw: a.raw } : s;
  });
}

function isEnvironmentError(e: unknown): boolean {
  return e instanceof Error && /npm install|runtime environment|virtualenv|\.venv/.test(e.message);
}

function manifestEventDiagnostic(d: ManifestDiagnostic, text: string | undefined): EventDiagnostic {
  return { code: d.code, message: boundedMessage(d.message), location: `${displayPath(d.file)}:${d.line}:${d.col}`, rendered: renderManifestDiagnostic(d, text) };
}

/** A compile diagnostic; an unknown entry function is reported at the manifest's `function` field. */
function compileEventDiagnostic(d: Diagnostic, manifest: ResolvedManifest, entry: ResolvedEntry, compiler: CompilerPlugin, readSource: (p: string) => string | undefined): EventDiagnostic {
  if (d.code === "unknown-function") {
    const md = manifestDiagnosticAt(manifest, entryPointer(entry.name, "function"), d.code, d.message, { notes: d.notes });
    return manifestEventDiagnostic(md, manifest.text);
  }
  // The compiler names files relative to the workspace; messages name them relative to the current directory.
  const shownToSource = new Map<string, string>();
  const shown = (span: Span): Span => {
    if (readSource(span.file) === undefined) return span; // the prelude, or a file that is not there
    const path = displayPath(resolve(manifest.dir, span.file));
    shownToSource.set(path, span.file);
    return { ...span, file: path };
  };
  const located: Diagnostic = { ...d, span: d.span && shown(d.span), callChain: d.callChain?.map((f) => ({ ...f, span: shown(f.span) })) };
  const read = (path: string) => readSource(shownToSource.get(path) ?? path);
  const lookup = (path: string) => {
    const text = read(path);
    return text === undefined ? undefined : new SourceFile(path, text);
  };
  const rendered = compiler.render(located, read);
  return { code: d.code, message: boundedMessage(d.message), location: located.span ? formatLocation(located.span, lookup) : undefined, rendered: `${rendered}\n  (entry ${entry.name}, ${displayPath(manifest.path)})` };
}

/** Where a run's time went (the `phases` of run-finished). */
type RunPhases = NonNullable<Extract<BuildEvent, { event: "run-finished" }>["phases"]>;

/** `work`, its milliseconds added to `phases[phase]`. */
async function timed<T>(phases: RunPhases, phase: keyof RunPhases, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    phases[phase] += performance.now() - t0;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

