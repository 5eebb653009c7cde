// One entry looked at closely (`tpu-build inspect`): the signature its module was compiled for, the
// parts its cache key is taken over, and what its HLO module holds (instructions per opcode). The
// engine compiles it, or takes it from the cache (BuildEngine.inspect); this module holds the shape
// of the answer, the census of a module and its text form.

import type { ArgSpec, MeshSpec, Signature, TypeTree } from "../plugins/api.js";
import { decodeHloModule } from "../compiler/hlo/encode.js";
import type { CacheKeyParts } from "./cache.js";
import type { EventDiagnostic, ExitCode } from "./events.js";
import { canonicalJson, sha256Hex } from "./hash.js";

/** A cache key's parts as they can be shown: every part but the sources' contents, which are given by digest. */
export interface KeyPartsView {
  compiler: { name: string; version: string; codeDigest: string };
  prelude: string;
  /** The canonical entry signature: what the module is compiled for. */
  signature: { name: string; file: string; function: string; args: ArgSpec[]; mesh?: MeshSpec };
  options: Record<string, unknown>;
  /** Every source file the entry reaches, relative to the workspace, with the SHA-256 of its content. */
  sources: { path: string; sha256: string }[];
}

export function keyPartsView(parts: CacheKeyParts): KeyPartsView {
  return {
    compiler: parts.compiler,
    prelude: parts.prelude,
    signature: { ...parts.entry },
    options: parts.options ?? {},
    sources: parts.sources.map((s) => ({ path: s.path, sha256: sha256Hex(s.content) })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}

/** What an HLO module holds, counted from its HloModuleProto. */
export interface ModuleCensus {
  computations: number;
  /** Instructions in every computation. */
  instructions: number;
  /** The entry computation: its name and instruction count (the figure XLA.jl's paper gives). */
  entryComputation: { name: string; instructions: number };
  /** Instructions per HLO opcode, over every computation, most frequent first. */
  opcodes: Record<string, number>;
}

export function moduleCensus(module: Uint8Array): ModuleCensus {
  const decoded = decodeHloModule(module);
  const counts = new Map<string, number>();
  let instructions = 0;
  for (const c of decoded.computations)
    for (const i of c.instructions) {
      instructions++;
      const op = i.opcode ?? "?";
      counts.set(op, (counts.get(op) ?? 0) + 1);
    }
  const entry = decoded.computations.find((c) => c.id === decoded.entryComputationId) ?? decoded.computations.find((c) => c.name === decoded.entryComputationName) ?? decoded.computations.at(-1);
  const opcodes = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  return { computations: decoded.computations.length, instructions, entryComputation: { name: entry?.name ?? "", instructions: entry?.instructions.length ?? 0 }, opcodes };
}

export interface InspectedEntry {
  entry: string;
  function: string;
  /** The target it is compiled for (the one it runs on, else the manifest's default). */
  target: string;
  key: string;
  /** SHA-256 of module.hlo.pb. */
  hash: string;
  /** Where its artifact is kept (module.hlo.pb, module.hlo.txt, signature.json). */
  artifact: string;
  keyParts: KeyPartsView;
  signature: Signature;
  module: ModuleCensus;
  /** The HLO text (module.hlo.txt); only when asked for (`--hlo`). */
  hlo?: string;
}

export interface EntryInspection {
  ok: boolean;
  exitCode: ExitCode;
  /** The manifest, relative to the current directory. */
  config: string;
  /** Absent when the manifest is invalid, the entry unknown, or it (or an entry it takes results from) failed to compile. */
  entry?: InspectedEntry;
  diagnostics: EventDiagnostic[];
}

/** A Julia type tree in a line: `Float32[32, 16]`, `(W = Float32[32, 16], σ = relu)`, `Dense(…)`. */
function typeText(t: TypeTree): string {
  switch (t.kind) {
    case "array":
      return t.size.length ? `${t.eltype}[${t.size.join(", ")}]` : t.eltype;
    case "tuple":
      return `(${t.elements.map(typeText).join(", ")}${t.elements.length === 1 ? "," : ""})`;
    case "namedtuple":
      return `(${t.names.map((n, k) => `${n} = ${typeText(t.elements[k]!)}`).join(", ")})`;
    case "struct":
      return `${t.name}(${t.names.map((n, k) => `${n} = ${typeText(t.elements[k]!)}`).join(", ")})`;
    case "known":
      return t.julia;
  }
}

/** The inspection for a terminal. */
export function renderInspection(e: InspectedEntry): string {
  const lines: string[] = [];
  const sig = e.signature;
  const constant = (k: number) => {
    const a = e.keyParts.signature.args[k];
    return a?.kind === "const" ? (a.raw ?? canonicalJson(a.value)) : "?";
  };
  lines.push(`${e.entry}: ${e.function}(${sig.inputs.map((t, k) => (t === null ? constant(k) : typeText(t))).join(", ")}) -> ${typeText(sig.output)}`);
  lines.push(`  compiled for ${e.target}${sig.mesh ? ` on a mesh of ${canonicalJson(sig.mesh)}` : ""}`);
  lines.push(`  artifact    ${e.artifact}`);
  lines.push(`  module      ${e.hash}`, "", `cache key ${e.key}`);
  const k = e.keyParts;
  lines.push(`  compiler    ${k.compiler.name} ${k.compiler.version} (code ${k.compiler.codeDigest.slice(0, 12)})`);
  lines.push(`  prelude     ${k.prelude}`);
  lines.push(`  signature   ${canonicalJson(k.signature)}`);
  lines.push(`  options     ${canonicalJson(k.options)}`);
  for (const s of k.sources) lines.push(`  source      ${s.path} (${s.sha256.slice(0, 12)})`);
  const m = e.module;
  lines.push("", `HLO: ${m.instructions} instructions in ${m.computations} computation${m.computations === 1 ? "" : "s"} (${m.entryComputation.instructions} in the entry computation ${m.entryComputation.name})`);
  const width = Math.max(...Object.keys(m.opcodes).map((op) => op.length));
  for (const [op, n] of Object.entries(m.opcodes)) lines.push(`  ${op.padEnd(width)}  ${String(n).padStart(5)}`);
  if (e.hlo !== undefined) lines.push("", e.hlo.trimEnd());
  return lines.join("\n");
}
