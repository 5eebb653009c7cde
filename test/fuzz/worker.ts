// A fuzz worker: runs a batch of cases in this process and reports each on stdout as one NDJSON
// line, announcing a case before it starts, so that the parent (campaign.ts), which kills a worker
// past its deadline, knows which case hung. Started as `node test/fuzz/worker-entry.cjs <batch.json>`.
//
// What is asserted of an outcome is decided here, where the values are:
//   manifest: loadManifest and the engine's target checks end in a manifest, or in diagnostics that each have a line and column in
//     the manifest, a known code, and a bounded rendering (no stack trace, no echo of megabytes);
//   julia: the compiler ends in a module, or in diagnostics that are located (a span in a source),
//     are not internal errors, and render without a JavaScript stack trace.

import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArgSpec } from "../../plugins/api.js";
import { loadManifest, manifestSections, renderManifestDiagnostic, type ManifestSections } from "../../build/manifest.js";
import { writeNpy } from "../../build/npy.js";
import { fillTensor } from "../../build/inputs.js";
import { juliaCompiler } from "../../plugins/julia/index.js";
import { builtinRegistry } from "../../plugins/builtin.js";
import { targetDiagnostics } from "../../build/target-settings.js";
import { REPO } from "./corpus.js";

export type FuzzCase =
  | { kind: "manifest"; index: number; text: string }
  | { kind: "julia"; index: number; text: string; file: string; function: string; args: ArgSpec[] };

/** ok: accepted; located: rejected with proper diagnostics; anything else is a finding. */
export interface CaseResult {
  index: number;
  outcome: "ok" | "located" | "unlocated" | "internal-error" | "crash" | "unbounded";
  detail?: string;
}

const registry = builtinRegistry();

/** Rendered diagnostics of one case stay under this (a manifest line of megabytes is excerpted). */
const MAX_RENDERED = 64 * 1024;
const STACK_FRAME = /\n\s+at .+[(\s][^\s()]+:\d+:\d+\)?/;

/** A workspace with what the seed manifests name, plus hostile files: FIFOs and a symlink out. */
function makeWorkspace(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tpu-fuzz-ws-"));
  const outside = mkdtempSync(join(tmpdir(), "tpu-fuzz-outside-"));
  cpSync(join(REPO, "examples"), join(dir, "examples"), { recursive: true });
  for (const f of ["model.jl", "layers.jl"]) cpSync(join(REPO, "test", "fixtures", "manifest", f), join(dir, f));
  writeFileSync(join(outside, "outside.jl"), "secret(x) = x\n");
  symlinkSync(join(outside, "outside.jl"), join(dir, "escape.jl"));
  execFileSync("mkfifo", [join(dir, "fifo.jl"), join(dir, "fifo.npy")], { timeout: 10_000 });
  mkdirSync(join(dir, "dir"));
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    },
  };
}

async function manifestCase(c: FuzzCase & { kind: "manifest" }, dir: string): Promise<CaseResult> {
  const path = join(dir, "tpu.config.json");
  writeFileSync(path, c.text);
  let r;
  try {
    r = await loadManifest(path);
  } catch (e) {
    return { index: c.index, outcome: "crash", detail: (e as Error).stack ?? String(e) };
  }
  // What the engine checks next, before anything runs (its plan phase): targets and their settings,
  // also those of a manifest that failed (the sections that passed the schema, in the same pass).
  const targets = (sections: ManifestSections) => targetDiagnostics(sections, (name) => registry.target(name), registry.targetNames());
  const diagnostics = r.ok ? targets(manifestSections(r.manifest)) : [...r.diagnostics, ...(r.sections ? targets(r.sections) : [])];
  if (!diagnostics.length) return { index: c.index, outcome: "ok" };
  const text = r.ok ? r.manifest.text : r.text ?? "";
  let rendered = 0;
  for (const d of diagnostics) {
    if (!(d.line >= 1 && d.col >= 1 && d.start >= 0 && d.start <= text.length && d.file === path))
      return { index: c.index, outcome: "unlocated", detail: `${d.code} at ${d.line}:${d.col} (offset ${d.start}): ${d.message.slice(0, 300)}` };
    if (/internal/i.test(d.code) || /internal error/i.test(d.message)) return { index: c.index, outcome: "internal-error", detail: d.message.slice(0, 1000) };
    const out = renderManifestDiagnostic(d, text);
    if (STACK_FRAME.test(out)) return { index: c.index, outcome: "internal-error", detail: out.slice(0, 1000) };
    rendered += out.length;
  }
  if (rendered > MAX_RENDERED) return { index: c.index, outcome: "unbounded", detail: `${rendered} characters of diagnostics for ${diagnostics.length} errors` };
  return { index: c.index, outcome: "located" };
}

function juliaCase(c: FuzzCase & { kind: "julia" }): CaseResult {
  const readSource = (path: string): string | undefined => {
    if (path === c.file) return c.text;
    if (c.file === "main.jl") return undefined;
    try {
      return readFileSync(join(REPO, path), "utf8");
    } catch {
      return undefined;
    }
  };
  let result;
  try {
    result = juliaCompiler.compile({ entry: "fuzz", file: c.file, function: c.function, args: c.args, readSource });
  } catch (e) {
    return { index: c.index, outcome: "crash", detail: (e as Error).stack ?? String(e) };
  }
  if (result.ok) return { index: c.index, outcome: "ok" };
  for (const d of result.diagnostics) {
    const out = juliaCompiler.render(d, readSource);
    if (d.code === "internal-error" || /internal (compiler )?error/i.test(d.message) || STACK_FRAME.test(out)) return { index: c.index, outcome: "internal-error", detail: out.slice(0, 2000) };
    // An entry function that does not exist is reported by the engine at the manifest's "function".
    if (d.code === "unknown-function" && !d.span) continue;
    const source = d.span ? readSource(d.span.file) : undefined;
    if (!d.span || (source === undefined && !d.span.file.startsWith("<prelude>")) || (source !== undefined && d.span.start > source.length))
      return { index: c.index, outcome: "unlocated", detail: `${d.code}: ${d.message.slice(0, 500)}${d.span ? ` (span ${d.span.file} ${d.span.start})` : " (no span)"}` };
    if (out.length > MAX_RENDERED) return { index: c.index, outcome: "unbounded", detail: `${out.length} characters for one diagnostic: ${out.slice(0, 300)}` };
  }
  return { index: c.index, outcome: "located" };
}

/** Runs the batch in `batchFile` (a JSON array of FuzzCase), reporting on stdout; worker-entry.cjs calls it. */
export async function runWorker(batchFile: string): Promise<void> {
  const cases = JSON.parse(readFileSync(batchFile, "utf8")) as FuzzCase[];
  const ws = makeWorkspace();
  try {
    for (const c of cases) {
      process.stdout.write(JSON.stringify({ started: c.index }) + "\n");
      const result = c.kind === "manifest" ? await manifestCase(c, ws.dir) : juliaCase(c);
      process.stdout.write(JSON.stringify(result) + "\n");
    }
  } finally {
    ws.cleanup();
  }
}
