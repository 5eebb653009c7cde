// The build engine shared by the CLI and the watch daemon: manifest -> build graph -> cached
// compilation of every entry -> runs in dependency order -> outputs on disk.
// Effects live here (files, the runtime process, clocks); the compiler stays pure.
//
// `build()` is the one-shot use (the CLI without a daemon): a fresh BuildEngine, one build, close.
// The daemon keeps a BuildEngine alive between builds; what it keeps warm never decides a result
// by itself (DESIGN.md §5.4, §5.7):
//   - sources are read again on every build and the full cache key is recomputed from their
//     contents; the include graph of a file is reused only while every file it lists has the same
//     content hash; an artifact held in memory is reused only under the same full key;
//   - a run is skipped only when its fingerprint (module hash, target and settings, the content
//     hash of every input leaf, the output directory) equals the last successful run's and its
//     output files are still there. An upstream entry whose new outputs are byte-identical leaves
//     its dependents' fingerprints unchanged (early cutoff at both the module and the output level);
//   - target sessions stay open: the runtime server, its loaded executables, manifest inputs and
//     run results resident on the device, all keyed by content hashes.
// An entry that should run but fails (or is skipped because of a failure) loses its previous
// outputs, so no output on disk is ever older than its sources.

import { readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, relative } from "node:path";
import type { ArgSpec, CompilerPlugin, Signature, TargetPlugin, TargetSession, Tensor } from "../plugins/api.js";
import { juliaCompiler } from "../plugins/julia/index.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { formatLocation, SourceFile } from "../compiler/diagnostics.js";
import { ArtifactStore, cacheKey, defaultCacheDir } from "./cache.js";
import type { CachedArtifact } from "./cache.js";
import type { BuildEvent, EventDiagnostic, ExitCode } from "./events.js";
import { EXIT, now } from "./events.js";
import { canonicalJson, sha256Hex } from "./hash.js";
import { materializeValue } from "./inputs.js";
import type { ManifestDiagnostic, ResolvedArg, ResolvedEntry, ResolvedManifest } from "./manifest.js";
import { argSpecs, entryPointer, loadManifest, manifestDiagnosticAt, renderManifestDiagnostic, targetSettings } from "./manifest.js";
import { writeRunOutputs } from "./outputs.js";

export interface EngineOptions {
  /** Path of tpu.config.json. */
  config: string;
  /** Where run outputs go (default: the manifest's `out`, else `.tpu-build/out` beside it). */
  outDir?: string;
  /** Artifact store (default: `.tpu-build/cache` beside the manifest, or $TPU_BUILD_CACHE_DIR). */
  cacheDir?: string;
  compiler?: CompilerPlugin & { preludeVersion?: string };
  targets?: Record<string, TargetPlugin>;
  /** Keep target sessions (runtime servers, executables, resident tensors) open between builds. */
  persistent?: boolean;
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
  outputs?: string[];
}

export interface BuildSummary {
  ok: boolean;
  exitCode: ExitCode;
  entries: Record<string, EntryOutcome>;
  durationMs: number;
  /** A newer change cut this build short (watch builds only); its partial work is kept. */
  superseded?: boolean;
}

/**
 * The local XLA target, loaded when an entry first runs on it: its gRPC client and proto-loader
 * cost a cold process ~100 ms, which a compile-only build should not pay. Compiled to ESM (dist/)
 * this is a dynamic import(); under tsx's CommonJS transform (`uvu -r tsx/cjs`, the tests) import()
 * would reach Node's own ESM loader, which cannot load .ts files, so there the module is required.
 */
const lazyLocalTarget: TargetPlugin = {
  name: "local",
  async open(options) {
    type LocalTargetModule = typeof import("../plugins/xla-local/local-target.js");
    const { localTarget }: LocalTargetModule =
      typeof require === "function" ? (require("../plugins/xla-local/local-target.js") as LocalTargetModule) : await import("../plugins/xla-local/local-target.js");
    return localTarget.open(options);
  },
};

const DEFAULT_TARGETS: Record<string, TargetPlugin> = { local: lazyLocalTarget };

/** One-shot build: a fresh engine, one build, every session closed. */
export async function build(options: BuildOptions): Promise<BuildSummary> {
  const engine = new BuildEngine({ ...options, persistent: false });
  try {
    return await engine.build(options);
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
  upload(tensor: Tensor): Promise<ResidentRef>;
  execute(artifactHash: string, inputs: (Tensor | ResidentRef)[]): Promise<ResidentRef[]>;
  download(tensor: ResidentRef, options?: { release?: boolean }): Promise<Tensor>;
  release(tensors: ResidentRef[]): Promise<void>;
  unload?(artifactHash: string): Promise<void>;
}

function residentCapable(s: TargetSession): s is ResidentSession {
  const r = s as Partial<ResidentSession>;
  return typeof r.upload === "function" && typeof r.execute === "function" && typeof r.download === "function" && typeof r.release === "function";
}

interface OpenSession {
  target: string;
  /** Canonical JSON of the target's settings: sessions are kept per target and settings. */
  settings: string;
  session: TargetSession;
  /** Artifacts loaded in this session, by module hash. */
  loaded: Set<string>;
  /** Manifest input tensors kept on the device, by content digest. */
  inputs: Map<string, ResidentRef>;
}

interface RunRecordState {
  fingerprint: string;
  outDir: string;
  files: string[];
  /** Content digest of each result leaf (what dependents' fingerprints take). */
  digests: string[];
  host: Tensor[];
  /** The results on the device, for dependents on the same session. */
  resident?: { session: OpenSession; tensors: ResidentRef[] };
}

interface EntryState {
  key?: string;
  artifact?: CachedArtifact;
  /** Sources the entry reached on its last build (watched by the daemon). */
  sources: string[];
  run?: RunRecordState;
}

/** An input leaf of a run: a host tensor (or a resident one) and its content digest. */
interface InputLeaf {
  digest: string;
  tensor: Tensor;
  resident?: ResidentRef;
}

/** Source files read during one build: each file once, its content hash with it. */
class SourceReader {
  private readonly texts = new Map<string, string | undefined>();
  constructor(private readonly root: string) {}

  read = (path: string): string | undefined => {
    if (this.texts.has(path)) return this.texts.get(path);
    let text: string | undefined;
    try {
      text = readFileSync(join(this.root, path), "utf8");
    } catch {
      text = undefined;
    }
    this.texts.set(path, text);
    return text;
  };

  digest(path: string): string | null {
    const text = this.read(path);
    return text === undefined ? null : sha256Hex(text);
  }
}

class Superseded extends Error {}

/** The key of a target session: its target and canonical settings. */
const sessionKey = (target: string, settings: string) => `${target}\0${settings}`;

export class BuildEngine {
  private readonly compiler: CompilerPlugin & { preludeVersion?: string };
  private readonly targets: Record<string, TargetPlugin>;
  private graph: ResolvedManifest | undefined;
  private readonly state = new Map<string, EntryState>();
  /** Include graphs by entry file, valid while every listed file has the recorded digest. */
  private readonly includeGraphs = new Map<string, { sources: string[]; digests: (string | null)[] }>();
  /** Generated manifest values (random, fill, scalars) by their full specification. */
  private readonly generated = new Map<string, InputLeaf>();
  private readonly sessions = new Map<string, OpenSession>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly options: EngineOptions) {
    this.compiler = options.compiler ?? juliaCompiler;
    this.targets = options.targets ?? DEFAULT_TARGETS;
  }

  /** The last valid manifest (an invalid edit keeps it). */
  get manifest(): ResolvedManifest | undefined {
    return this.graph;
  }

  /** Every file whose change can change a build: the manifest, reached sources, .npy inputs. */
  watchedFiles(): string[] {
    const files = new Set<string>([this.options.config]);
    const m = this.graph;
    if (!m) return [...files];
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
    const next = this.queue.then(() => this.buildNow(hooks));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Closes every target session (stops runtime servers). */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of this.state.values()) delete s.run;
    await Promise.all(sessions.map((s) => s.session.close().catch(() => {})));
  }

  private async buildNow(hooks: BuildHooks): Promise<BuildSummary> {
    if (this.closed) throw new Error("internal error: build() on a closed BuildEngine");
    const started = performance.now();
    const emit = hooks.onEvent ?? (() => {});
    const log = hooks.log ?? (() => {});
    const report = hooks.error ?? (() => {});
    const compiler = this.compiler;
    const targets = this.targets;
    const entries: Record<string, EntryOutcome> = {};
    const counts = { compiled: 0, cached: 0, ran: 0, upToDate: 0, failed: 0 };
    const checkpoint = () => {
      if (hooks.signal?.aborted) throw new Superseded();
    };

    const finish = (exitCode: ExitCode): BuildSummary => {
      const durationMs = performance.now() - started;
      emit({ event: "build-finished", at: now(), ok: exitCode === EXIT.ok, exitCode, durationMs: round(durationMs), ...counts });
      return { ok: exitCode === EXIT.ok, exitCode, entries, durationMs };
    };

    // ---- manifest -------------------------------------------------------------------------------
    const loaded = await loadManifest(this.options.config);
    if (!loaded.ok) {
      const diagnostics = loaded.diagnostics.map((d) => manifestEventDiagnostic(d, loaded.text));
      emit({ event: "manifest-invalid", at: now(), diagnostics });
      for (const d of diagnostics) report(d.rendered);
      report(`tpu-build: ${plural(diagnostics.length, "error")} in ${relative(process.cwd(), loaded.path) || loaded.path}`);
      return finish(EXIT.invalidManifest);
    }
    const manifest = loaded.manifest;
    const outDir = this.options.outDir ?? manifest.outDir;
    const store = new ArtifactStore(this.options.cacheDir ?? defaultCacheDir(manifest.dir));
    emit({ event: "build-started", at: now(), config: manifest.path, entries: manifest.order.length });

    // Unknown targets are manifest errors, reported at the entry's `run`.
    const badTargets = manifest.order
      .map((name) => manifest.entries[name]!)
      .filter((e) => e.run && !targets[e.run.target])
      .map((e) => manifestDiagnosticAt(manifest, entryPointer(e.name, "run"), "unknown-target", `unknown target "${e.run!.target}"`, { notes: [`available targets: ${Object.keys(targets).join(", ")}`] }));
    if (badTargets.length) {
      const diagnostics = badTargets.map((d) => manifestEventDiagnostic(d, manifest.text));
      emit({ event: "manifest-invalid", at: now(), diagnostics });
      for (const d of diagnostics) report(d.rendered);
      return finish(EXIT.invalidManifest);
    }
    await this.adoptGraph(manifest);
    await this.closeUndeclaredSessions(manifest);
    const settingsOf = (target: string) => targetSettings(manifest, target, hooks.watch === true);

    try {
      const mustRun = new Set<string>();
      const need = (name: string) => {
        if (mustRun.has(name)) return;
        mustRun.add(name);
        for (const d of manifest.entries[name]!.dependencies) need(d);
      };
      for (const name of manifest.order) if (manifest.entries[name]!.run) need(name);
      // A warm session starts compiling a module for the device (XLA, in the runtime's process) as
      // soon as the module exists, while the next entries compile here.
      const preloads = new Map<string, Promise<void>>();
      const preload = (name: string, artifact: CachedArtifact) => {
        if (!mustRun.has(name)) return;
        const entry = manifest.entries[name]!;
        const targetName = entry.run?.target ?? manifest.defaultTarget;
        const open = this.sessions.get(sessionKey(targetName, canonicalJson(settingsOf(targetName))));
        if (!open || open.loaded.has(artifact.hash) || preloads.has(artifact.hash)) return;
        const p = open.session.load({ hash: artifact.hash, module: artifact.module, signature: artifact.signature }).then(() => void open.loaded.add(artifact.hash));
        p.catch(() => {});
        preloads.set(artifact.hash, p);
      };

      // ---- compile, in dependency order (an entry's argument types may come from another's result)
      const artifacts = new Map<string, CachedArtifact>();
      const sourcesRead = new SourceReader(manifest.dir);
      const readSource = sourcesRead.read;
      let compileFailed = false;
      for (const name of manifest.order) {
        checkpoint();
        const entry = manifest.entries[name]!;
        const st = this.entryState(name);
        const blocked = entry.dependencies.find((d) => !artifacts.has(d));
        if (blocked) {
          entries[name] = { entry: name, status: "skipped" };
          emit({ event: "entry-skipped", at: now(), entry: name, reason: `its input ${blocked} did not compile` });
          log(`skip     ${name} (its input ${blocked} did not compile)`);
          continue;
        }
        const args = withConstText(entry, argSpecs(entry, (dep) => artifacts.get(dep)!.signature.output));
        const sourcePaths = this.sourcesOf(entry.file, sourcesRead);
        st.sources = sourcePaths;
        const sources = sourcePaths.map((path) => ({ path, content: readSource(path) ?? "" }));
        const key = cacheKey({
          compiler: { name: compiler.name, version: compiler.version, codeDigest: compiler.codeDigest },
          prelude: compiler.preludeVersion ?? "",
          entry: { name, file: entry.file, function: entry.function, args },
          sources,
        });
        const t0 = performance.now();
        const cached = st.key === key && st.artifact ? st.artifact : await store.get(key);
        if (cached) {
          artifacts.set(name, cached);
          st.key = key;
          st.artifact = cached;
          counts.cached++;
          entries[name] = { entry: name, status: "cached", key, hash: cached.hash };
          emit({ event: "compile-cache-hit", at: now(), entry: name, key, hash: cached.hash, durationMs: round(performance.now() - t0) });
          preload(name, cached);
          log(`cached   ${name}  ${cached.hash.slice(0, 12)}`);
          continue;
        }
        emit({ event: "compile-started", at: now(), entry: name, key });
        const result = compiler.compile({ entry: name, file: entry.file, function: entry.function, args, readSource });
        const durationMs = round(performance.now() - t0);
        if (!result.ok) {
          compileFailed = true;
          counts.failed++;
          st.key = undefined;
          st.artifact = undefined;
          st.sources = unique([...sourcePaths, ...result.sources]);
          entries[name] = { entry: name, status: "failed", key };
          const diagnostics = result.diagnostics.map((d) => compileEventDiagnostic(d, manifest, entry, compiler, readSource));
          emit({ event: "compile-failed", at: now(), entry: name, key, durationMs, diagnostics });
          for (const d of diagnostics) report(d.rendered);
          log(`FAILED   ${name}`);
          continue;
        }
        const artifact = await store.put(key, { module: result.module, text: result.text, signature: result.signature, info: { stats: result.stats, sources: result.sources } });
        artifacts.set(name, artifact);
        preload(name, artifact);
        st.key = key;
        st.artifact = artifact;
        st.sources = unique([...sourcePaths, ...result.sources]);
        counts.compiled++;
        entries[name] = { entry: name, status: "compiled", key, hash: artifact.hash };
        emit({ event: "compile-finished", at: now(), entry: name, key, hash: artifact.hash, durationMs, instructions: result.stats.instructions, computations: result.stats.computations });
        log(`compiled ${name}  ${artifact.hash.slice(0, 12)}  ${result.stats.instructions} instructions  ${durationMs} ms`);
      }

      // ---- run, in dependency order; an entry that feeds a run runs too -------------------------
      // Entries that no longer run keep no outputs of ours.
      for (const name of manifest.order) if (!mustRun.has(name)) await this.forgetRun(name);

      const usedInputs = new Set<ResidentRef>();
      const succeeded = new Set<string>();
      let runFailed = false;
      try {
        for (const name of manifest.order) {
          if (!mustRun.has(name)) continue;
          checkpoint();
          const entry = manifest.entries[name]!;
          const st = this.entryState(name);
          const artifact = artifacts.get(name);
          const missing = entry.dependencies.find((d) => !succeeded.has(d));
          if (!artifact || missing) {
            if (artifact) emit({ event: "entry-skipped", at: now(), entry: name, reason: `its input ${missing} did not run` });
            await this.forgetRun(name);
            continue;
          }
          const targetName = entry.run?.target ?? manifest.defaultTarget;
          const targetSettingsObject = settingsOf(targetName);
          const settings = canonicalJson(targetSettingsObject);
          const t0 = performance.now();
          let started = false;
          try {
            const inputs = await this.entryInputs(entry, artifact.signature);
            const fingerprint = sha256Hex(canonicalJson({ hash: artifact.hash, target: targetName, settings, outDir, inputs: inputs.map((i) => i.digest) }));
            const previous = st.run;
            if (previous && previous.fingerprint === fingerprint && previous.outDir === outDir && previous.files.every(exists) && exists(join(outDir, name, "result.json"))) {
              counts.upToDate++;
              succeeded.add(name);
              entries[name] = { ...entries[name]!, upToDate: true, outputs: previous.files };
              emit({ event: "run-up-to-date", at: now(), entry: name, target: targetName, hash: artifact.hash, outputs: previous.files });
              log(`current  ${name}  on ${targetName}`);
              continue;
            }
            emit({ event: "run-started", at: now(), entry: name, target: targetName, hash: artifact.hash });
            started = true;
            const open = await this.session(targetName, settings, targetSettingsObject, manifest);
            await preloads.get(artifact.hash)?.catch(() => {});
            if (!open.loaded.has(artifact.hash)) {
              await open.session.load({ hash: artifact.hash, module: artifact.module, signature: artifact.signature });
              open.loaded.add(artifact.hash);
            }
            const run = await this.execute(open, artifact, entry, inputs, usedInputs);
            const durationMs = round(performance.now() - t0);
            const files = await writeRunOutputs(outDir, { entry: name, function: entry.function, hash: artifact.hash, target: targetName, durationMs }, artifact.signature, run.host);
            await this.releaseRun(st.run);
            st.run = { fingerprint, outDir, files, digests: run.host.map(tensorDigest), host: run.host, resident: run.resident };
            succeeded.add(name);
            counts.ran++;
            entries[name] = { ...entries[name]!, ran: true, outputs: files };
            emit({ event: "run-finished", at: now(), entry: name, target: targetName, hash: artifact.hash, durationMs, outputs: files });
            log(`ran      ${name}  on ${targetName}  ${durationMs} ms  -> ${relative(process.cwd(), join(outDir, name)) || "."}`);
          } catch (e) {
            if (e instanceof Superseded) throw e;
            runFailed = true;
            counts.failed++;
            const message = (e as Error).message;
            entries[name] = { ...entries[name]!, runFailed: true };
            if (!started) emit({ event: "run-started", at: now(), entry: name, target: targetName, hash: artifact.hash });
            emit({ event: "run-failed", at: now(), entry: name, target: targetName, durationMs: round(performance.now() - t0), message });
            report(e instanceof InputError ? e.rendered : `error: running ${name} on ${targetName} failed: ${message}`);
            await this.forgetRun(name);
            await this.dropBrokenSession(targetName, settings);
            if (isEnvironmentError(e)) return finish(EXIT.environment);
          }
        }
      } finally {
        await this.releaseUnusedInputs(usedInputs);
        if (!this.options.persistent) await this.closeSessions();
      }
      if (compileFailed) return finish(EXIT.compileError);
      if (runFailed) return finish(EXIT.runError);
      return finish(EXIT.ok);
    } catch (e) {
      if (!(e instanceof Superseded)) throw e;
      const durationMs = performance.now() - started;
      emit({ event: "build-superseded", at: now(), durationMs: round(durationMs) });
      return { ok: false, exitCode: EXIT.usage, entries, durationMs, superseded: true };
    }
  }

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
    return inputs;
  }

  /** One manifest value; generated ones are kept (they are functions of their specification), .npy files read anew. */
  private async manifestValue(entry: ResolvedEntry, arg: ResolvedArg & { kind: "array" }, index: number): Promise<InputLeaf> {
    if (!arg.value) throw new InputError(`argument ${index + 1} of ${entry.name} has no value`, `error: ${entry.name}: argument ${index + 1} needs a "value" to run (at ${arg.pointer})`);
    const spec = arg.value.kind === "npy" ? undefined : canonicalJson({ value: arg.value, eltype: arg.eltype, size: arg.size, entry: entry.name, index });
    const known = spec === undefined ? undefined : this.generated.get(spec);
    if (known) return known;
    const r = await materializeValue(arg.value, { eltype: arg.eltype, size: arg.size, entry: entry.name, index });
    if (!r.ok) throw new InputError(r.message, `error: ${entry.name}: ${r.message} (at ${arg.pointer}/value)`);
    const leaf = { digest: tensorDigest(r.tensor), tensor: r.tensor };
    if (spec !== undefined && this.options.persistent) this.generated.set(spec, leaf);
    return leaf;
  }

  private async session(target: string, settings: string, settingsObject: Record<string, unknown>, manifest: ResolvedManifest): Promise<OpenSession> {
    const open = this.sessions.get(sessionKey(target, settings));
    if (open) return open;
    const session = await this.targets[target]!.open({ workspace: manifest.dir, settings: settingsObject });
    const fresh: OpenSession = { target, settings, session, loaded: new Set(), inputs: new Map() };
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
    for (const target of Object.keys(this.targets))
      for (const watch of [false, true]) declared.add(sessionKey(target, canonicalJson(targetSettings(manifest, target, watch))));
    for (const [key, open] of [...this.sessions]) if (!declared.has(key)) await this.closeSession(open);
  }

  /** Runs on the device: inputs resident where the session keeps them, results kept resident for dependents. */
  private async execute(open: OpenSession, artifact: CachedArtifact, entry: ResolvedEntry, inputs: InputLeaf[], used: Set<ResidentRef>): Promise<{ host: Tensor[]; resident?: RunRecordState["resident"] }> {
    const session = open.session;
    if (!residentCapable(session)) return { host: await session.run(artifact.hash, inputs.map((i) => i.tensor)) };
    const fromRuns = new Map<string, ResidentRef>();
    for (const dep of entry.dependencies) {
      const run = this.state.get(dep)?.run;
      if (run?.resident?.session === open) run.digests.forEach((d, k) => fromRuns.set(d, run.resident!.tensors[k]!));
    }
    const args: ResidentRef[] = [];
    for (const input of inputs) {
      let r = fromRuns.get(input.digest) ?? open.inputs.get(input.digest);
      if (!r) {
        r = await session.upload(input.tensor);
        open.inputs.set(input.digest, r);
      }
      used.add(r);
      args.push(r);
    }
    const results = await session.execute(artifact.hash, args);
    try {
      const host: Tensor[] = [];
      for (const r of results) host.push(await session.download(r));
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

  /** Drops an entry's run state and deletes the outputs it wrote (they would be stale). */
  private async forgetRun(name: string): Promise<void> {
    const st = this.state.get(name);
    const run = st?.run;
    if (!st || !run) return;
    delete st.run;
    await this.releaseRun(run);
    await rm(join(run.outDir, name), { recursive: true, force: true });
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
      for (const hash of [...open.loaded]) {
        if (live.has(hash)) continue;
        open.loaded.delete(hash);
        const unload = (open.session as Partial<ResidentSession>).unload;
        if (unload) await unload.call(open.session, hash).catch(() => {});
      }
    }
  }

  /** After a failed run: a session whose runtime no longer answers is closed, to be reopened next time. */
  private async dropBrokenSession(target: string, settings: string): Promise<void> {
    const open = this.sessions.get(sessionKey(target, settings));
    if (!open) return;
    const healthy = await Promise.race([open.session.info().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
    if (!healthy) await this.closeSession(open);
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

/** A run-time input that could not be produced (an .npy changed since validation, a bad value). */
class InputError extends Error {
  constructor(message: string, readonly rendered: string) {
    super(message);
  }
}

function tensorDigest(t: Tensor): string {
  return sha256Hex(Buffer.concat([Buffer.from(`${t.eltype}[${t.size.join(",")}]`), t.data]));
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
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
  return { code: d.code, message: d.message, location: `${d.file}:${d.line}:${d.col}`, rendered: renderManifestDiagnostic(d, text) };
}

/** A compile diagnostic; an unknown entry function is reported at the manifest's `function` field. */
function compileEventDiagnostic(d: Diagnostic, manifest: ResolvedManifest, entry: ResolvedEntry, compiler: CompilerPlugin, readSource: (p: string) => string | undefined): EventDiagnostic {
  if (d.code === "unknown-function") {
    const md = manifestDiagnosticAt(manifest, entryPointer(entry.name, "function"), d.code, d.message, { notes: d.notes });
    return manifestEventDiagnostic(md, manifest.text);
  }
  const lookup = (path: string) => {
    const text = readSource(path);
    return text === undefined ? undefined : new SourceFile(path, text);
  };
  const rendered = compiler.render(d, readSource);
  return { code: d.code, message: d.message, location: d.span ? formatLocation(d.span, lookup) : undefined, rendered: `${rendered}\n  (entry ${entry.name}, ${relative(process.cwd(), manifest.path) || manifest.path})` };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

