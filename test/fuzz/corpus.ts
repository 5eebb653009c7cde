// The seeds the fuzz cases grow from: the repository's own manifests and Julia programs.
//
// Julia seeds are the entries of tpu.config.json that take no other entry's result (examples/*.jl)
// and the conformance programs of test/julia. Those programs live in the test files beside their
// NumPy references; to read them without registering or running those tests, each file is loaded
// with `uvu` and the conformance harness's `conformanceTests` replaced by collectors.

import Module from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ArgSpec } from "../../plugins/api.js";
import { argSpecs, loadManifest } from "../../build/manifest.js";
import { argSpecsOf, type ConformanceCase } from "../support/conformance.js";

export const REPO = join(__dirname, "..", "..");

export interface ManifestSeed {
  name: string;
  text: string;
}

export interface JuliaSeed {
  name: string;
  /** Path of the program, relative to the repository (its includes are read from there). */
  file: string;
  text: string;
  function: string;
  args: ArgSpec[];
}

export function manifestSeeds(): ManifestSeed[] {
  return [
    { name: "tpu.config.json", text: readFileSync(join(REPO, "tpu.config.json"), "utf8") },
    { name: "test/fixtures/manifest/tpu.config.json", text: readFileSync(join(REPO, "test", "fixtures", "manifest", "tpu.config.json"), "utf8") },
  ];
}

/** Entries of the repository's manifest that compile on their own (no `from`), except the paper-size VGG19 (slow to compile). */
async function exampleSeeds(): Promise<JuliaSeed[]> {
  const loaded = await loadManifest(join(REPO, "tpu.config.json"));
  if (!loaded.ok) throw new Error(`the repository's tpu.config.json does not load: ${loaded.diagnostics[0]?.message}`);
  const m = loaded.manifest;
  return Object.values(m.entries)
    .filter((e) => e.dependencies.length === 0 && !e.name.includes("paper"))
    .map((e) => ({
      name: `tpu.config.json#${e.name}`,
      file: e.file,
      text: readFileSync(e.filePath, "utf8"),
      function: e.function,
      args: argSpecs(e, () => {
        throw new Error("unreachable: no from arguments");
      }).map((a, i) => {
        const arg = e.args[i]!;
        return a.kind === "const" && arg.kind === "const" ? { ...a, raw: arg.raw } : a;
      }),
    }));
}

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;

/** The conformance cases of test/julia/*.test.ts, collected without registering their tests. */
function conformanceCases(): ConformanceCase[] {
  const collected: ConformanceCase[] = [];
  const inert = Object.assign(() => {}, { run() {}, only() {}, skip() {}, before: Object.assign(() => {}, { each() {} }), after: Object.assign(() => {}, { each() {} }) });
  const M = Module as unknown as { _load: Loader };
  const original = M._load;
  M._load = function (this: unknown, request, parent, isMain) {
    if (request === "uvu") return { suite: () => inert, test: inert };
    if (request.endsWith("support/conformance.js")) {
      const real = original.call(this, request, parent, isMain) as object;
      return { ...real, conformanceTests: (_test: unknown, cases: ConformanceCase[]) => void collected.push(...cases) };
    }
    return original.call(this, request, parent, isMain);
  };
  try {
    const dir = join(REPO, "test", "julia");
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".test.ts")).sort()) {
      const path = join(dir, f);
      delete require.cache[require.resolve(path)];
      require(path);
      delete require.cache[require.resolve(path)];
    }
  } finally {
    M._load = original;
  }
  return collected;
}

export async function juliaSeeds(): Promise<JuliaSeed[]> {
  const conformance = conformanceCases().map(
    (c): JuliaSeed => ({
      name: `conformance: ${c.name}`,
      file: "main.jl",
      text: c.source,
      function: c.fn ?? "f",
      args: argSpecsOf(c),
    }),
  );
  return [...(await exampleSeeds()), ...conformance];
}
