// The build engine shared by the CLI and (later) the watch daemon: manifest -> build graph ->
// cached compilation of every entry -> runs in dependency order -> outputs on disk.
// Effects live here (files, the runtime process, clocks); the compiler stays pure.

import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { ArgSpec, CompilerPlugin, Signature, TargetPlugin, TargetSession, Tensor, TypeTree } from "../plugins/api.js";
import { juliaCompiler } from "../plugins/julia/index.js";
import { localTarget } from "../plugins/xla-local/index.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { formatLocation, SourceFile } from "../compiler/diagnostics.js";
import { ArtifactStore, artifactHash, cacheKey, defaultCacheDir } from "./cache.js";
import type { CachedArtifact } from "./cache.js";
import type { BuildEvent, EventDiagnostic, ExitCode } from "./events.js";
import { EXIT, now } from "./events.js";
import { materializeValue } from "./inputs.js";
import type { ManifestDiagnostic, ResolvedEntry, ResolvedManifest } from "./manifest.js";
import { argSpecs, entryPointer, loadManifest, manifestDiagnosticAt, renderManifestDiagnostic } from "./manifest.js";
import { writeRunOutputs } from "./outputs.js";

export interface BuildOptions {
  /** Path of tpu.config.json. */
  config: string;
  /** Where run outputs go (default: the manifest's `out`, else `.tpu-build/out` beside it). */
  outDir?: string;
  /** Artifact store (default: `.tpu-build/cache` beside the manifest, or $TPU_BUILD_CACHE_DIR). */
  cacheDir?: string;
  /** Machine-readable events (NDJSON for `--json`). */
  onEvent?: (event: BuildEvent) => void;
  /** Human progress lines. */
  log?: (line: string) => void;
  /** Human error reports (diagnostics with source lines and carets). */
  error?: (text: string) => void;
  compiler?: CompilerPlugin & { preludeVersion?: string };
  targets?: Record<string, TargetPlugin>;
}

export interface EntryOutcome {
  entry: string;
  status: "compiled" | "cached" | "failed" | "skipped";
  key?: string;
  hash?: string;
  ran?: boolean;
  runFailed?: boolean;
  outputs?: string[];
}

export interface BuildSummary {
  ok: boolean;
  exitCode: ExitCode;
  entries: Record<string, EntryOutcome>;
  durationMs: number;
}

const DEFAULT_TARGETS: Record<string, TargetPlugin> = { local: localTarget };

export async function build(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const log = options.log ?? (() => {});
  const report = options.error ?? (() => {});
  const compiler = options.compiler ?? juliaCompiler;
  const targets = options.targets ?? DEFAULT_TARGETS;
  const entries: Record<string, EntryOutcome> = {};
  const counts = { compiled: 0, cached: 0, ran: 0, failed: 0 };

  const finish = (exitCode: ExitCode): BuildSummary => {
    const durationMs = performance.now() - started;
    emit({ event: "build-finished", at: now(), ok: exitCode === EXIT.ok, exitCode, durationMs: round(durationMs), ...counts });
    return { ok: exitCode === EXIT.ok, exitCode, entries, durationMs };
  };

  // ---- manifest -------------------------------------------------------------------------------
  const loaded = await loadManifest(options.config);
  if (!loaded.ok) {
    const diagnostics = loaded.diagnostics.map((d) => manifestEventDiagnostic(d, loaded.text));
    emit({ event: "manifest-invalid", at: now(), diagnostics });
    for (const d of diagnostics) report(d.rendered);
    report(`tpu-build: ${plural(diagnostics.length, "error")} in ${relative(process.cwd(), loaded.path) || loaded.path}`);
    return finish(EXIT.invalidManifest);
  }
  const manifest = loaded.manifest;
  const outDir = options.outDir ?? manifest.outDir;
  const store = new ArtifactStore(options.cacheDir ?? defaultCacheDir(manifest.dir));
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

  // ---- compile, in dependency order (an entry's argument types may come from another's result) --
  const artifacts = new Map<string, CachedArtifact>();
  const readSource = (path: string): string | undefined => {
    try {
      return readFileSync(join(manifest.dir, path), "utf8");
    } catch {
      return undefined;
    }
  };
  let compileFailed = false;
  for (const name of manifest.order) {
    const entry = manifest.entries[name]!;
    const blocked = entry.dependencies.find((d) => !artifacts.has(d));
    if (blocked) {
      entries[name] = { entry: name, status: "skipped" };
      emit({ event: "entry-skipped", at: now(), entry: name, reason: `its input ${blocked} did not compile` });
      log(`skip     ${name} (its input ${blocked} did not compile)`);
      continue;
    }
    const args = withConstText(entry, argSpecs(entry, (dep) => artifacts.get(dep)!.signature.output));
    const sources = compiler.sourcesOf(entry.file, readSource).map((path) => ({ path, content: readSource(path) ?? "" }));
    const key = cacheKey({
      compiler: { name: compiler.name, version: compiler.version },
      prelude: compiler.preludeVersion ?? "",
      entry: { name, file: entry.file, function: entry.function, args },
      sources,
    });
    const t0 = performance.now();
    const cached = await store.get(key);
    if (cached) {
      artifacts.set(name, cached);
      counts.cached++;
      entries[name] = { entry: name, status: "cached", key, hash: cached.hash };
      emit({ event: "compile-cache-hit", at: now(), entry: name, key, hash: cached.hash, durationMs: round(performance.now() - t0) });
      log(`cached   ${name}  ${cached.hash.slice(0, 12)}`);
      continue;
    }
    emit({ event: "compile-started", at: now(), entry: name, key });
    const result = compiler.compile({ entry: name, file: entry.file, function: entry.function, args, readSource });
    const durationMs = round(performance.now() - t0);
    if (!result.ok) {
      compileFailed = true;
      counts.failed++;
      entries[name] = { entry: name, status: "failed", key };
      const diagnostics = result.diagnostics.map((d) => compileEventDiagnostic(d, manifest, entry, compiler, readSource));
      emit({ event: "compile-failed", at: now(), entry: name, key, durationMs, diagnostics });
      for (const d of diagnostics) report(d.rendered);
      log(`FAILED   ${name}`);
      continue;
    }
    const artifact = await store.put(key, { module: result.module, text: result.text, signature: result.signature, info: { stats: result.stats, sources: result.sources } });
    artifacts.set(name, artifact);
    counts.compiled++;
    entries[name] = { entry: name, status: "compiled", key, hash: artifact.hash };
    emit({ event: "compile-finished", at: now(), entry: name, key, hash: artifact.hash, durationMs, instructions: result.stats.instructions, computations: result.stats.computations });
    log(`compiled ${name}  ${artifact.hash.slice(0, 12)}  ${result.stats.instructions} instructions  ${durationMs} ms`);
  }

  // ---- run, in dependency order; an entry that feeds a run runs too ---------------------------
  const mustRun = new Set<string>();
  const need = (name: string) => {
    if (mustRun.has(name)) return;
    mustRun.add(name);
    for (const d of manifest.entries[name]!.dependencies) need(d);
  };
  for (const name of manifest.order) if (manifest.entries[name]!.run) need(name);

  const sessions = new Map<string, TargetSession>();
  const results = new Map<string, Tensor[]>();
  let runFailed = false;
  try {
    for (const name of manifest.order) {
      if (!mustRun.has(name)) continue;
      const entry = manifest.entries[name]!;
      const artifact = artifacts.get(name);
      const missing = entry.dependencies.find((d) => !results.has(d));
      if (!artifact || missing) {
        if (artifact) emit({ event: "entry-skipped", at: now(), entry: name, reason: `its input ${missing} did not run` });
        continue;
      }
      const targetName = entry.run?.target ?? manifest.defaultTarget;
      const t0 = performance.now();
      emit({ event: "run-started", at: now(), entry: name, target: targetName, hash: artifact.hash });
      try {
        let session = sessions.get(targetName);
        if (!session) {
          session = await targets[targetName]!.open({ workspace: manifest.dir, settings: manifest.targets[targetName] });
          sessions.set(targetName, session);
        }
        const inputs = await entryInputs(entry, artifact.signature, results);
        await session.load({ hash: artifact.hash, module: artifact.module, signature: artifact.signature });
        const outputs = await session.run(artifact.hash, inputs);
        results.set(name, outputs);
        const durationMs = round(performance.now() - t0);
        const files = await writeRunOutputs(outDir, { entry: name, function: entry.function, hash: artifact.hash, target: targetName, durationMs }, artifact.signature, outputs);
        counts.ran++;
        entries[name] = { ...entries[name]!, ran: true, outputs: files };
        emit({ event: "run-finished", at: now(), entry: name, target: targetName, hash: artifact.hash, durationMs, outputs: files });
        log(`ran      ${name}  on ${targetName}  ${durationMs} ms  -> ${relative(process.cwd(), join(outDir, name)) || "."}`);
      } catch (e) {
        runFailed = true;
        counts.failed++;
        const message = e instanceof InputError ? e.message : (e as Error).message;
        entries[name] = { ...entries[name]!, runFailed: true };
        emit({ event: "run-failed", at: now(), entry: name, target: targetName, durationMs: round(performance.now() - t0), message });
        report(e instanceof InputError ? e.rendered : `error: running ${name} on ${targetName} failed: ${message}`);
        if (isEnvironmentError(e)) return finish(EXIT.environment);
      }
    }
  } finally {
    await Promise.all([...sessions.values()].map((s) => s.close().catch(() => {})));
  }
  if (compileFailed) return finish(EXIT.compileError);
  if (runFailed) return finish(EXIT.runError);
  return finish(EXIT.ok);
}

/** A run-time input that could not be produced (an .npy changed since validation, a bad value). */
class InputError extends Error {
  constructor(message: string, readonly rendered: string) {
    super(message);
  }
}

/** The flattened input leaves of an entry: manifest values and the results of the entries it takes. */
async function entryInputs(entry: ResolvedEntry, signature: Signature, results: Map<string, Tensor[]>): Promise<Tensor[]> {
  const inputs: Tensor[] = [];
  for (const [index, arg] of entry.args.entries()) {
    if (arg.kind === "const") continue;
    if (arg.kind === "from") {
      inputs.push(...results.get(arg.entry)!);
      continue;
    }
    if (!arg.value) throw new InputError(`argument ${index + 1} of ${entry.name} has no value`, `error: ${entry.name}: argument ${index + 1} needs a "value" to run (at ${arg.pointer})`);
    const r = await materializeValue(arg.value, { eltype: arg.eltype, size: arg.size, entry: entry.name, index });
    if (!r.ok) throw new InputError(r.message, `error: ${entry.name}: ${r.message} (at ${arg.pointer}/value)`);
    inputs.push(r.tensor);
  }
  if (inputs.length !== signature.parameters.length)
    throw new InputError(`internal: ${inputs.length} inputs for ${signature.parameters.length} parameters`, `internal error: ${entry.name} got ${inputs.length} inputs for ${signature.parameters.length} parameters; please report this bug`);
  return inputs;
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

export { artifactHash };
export type { TypeTree };
