// The Node API (index.ts: the build engine, watch) for an in-process build, loaded the fastest way
// that is still exactly dist/'s code.
//
// The build (scripts/bundle-engine.mjs) leaves the API and all it loads for a compile as one
// CommonJS script beside dist/build/engine.js, with a SHA-256 of the files that went into it and a
// V8 code cache. When those files are all unchanged, the script runs through vm.Script
// with the cache: no module resolution, no per-file compile, and the bytecode of the functions a
// build runs already there (~150 ms of a cold start). Otherwise (no bundle, a file rebuilt or edited
// since, running from source under tsx) the engine is imported from its modules as before. A cache
// V8 rejects (another Node version, other flags) only costs the compile it would have saved.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

type Engine = typeof import("../index.js");

/** The bundle's files, relative to dist/. */
export const ENGINE_BUNDLE = { script: "build/engine.bundle.cjs", inputs: "build/engine.bundle.json", cache: "build/engine.bundle.v8cache" } as const;

const DIST = join(dirname(fileURLToPath(import.meta.url)), "..");

/** SHA-256 over the names and contents of `files` (paths relative to `dir`), in order. */
export function inputsDigest(dir: string, files: string[]): string {
  const hash = createHash("sha256");
  for (const file of files) {
    const bytes = readFileSync(join(dir, file));
    hash.update(`${file}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest("hex");
}

/**
 * The engine from the bundle, with the vm.Script that runs it (scripts/bundle-engine.mjs makes the
 * code cache from it); undefined when there is no bundle or it no longer matches what it was made from.
 */
export function loadEngineBundle(options: { dist?: string; forCache?: boolean } = {}): { engine: Engine; script: vm.Script } | undefined {
  const dist = options.dist ?? DIST;
  const filename = join(dist, ENGINE_BUNDLE.script);
  let source: string;
  try {
    source = readFileSync(filename, "utf8");
    const { sha256, inputs } = JSON.parse(readFileSync(join(dist, ENGINE_BUNDLE.inputs), "utf8")) as { sha256: string; inputs: string[] };
    if (inputsDigest(dist, inputs) !== sha256) return undefined;
  } catch {
    return undefined;
  }
  let cachedData: Buffer | undefined;
  if (!options.forCache) {
    try {
      cachedData = readFileSync(join(dist, ENGINE_BUNDLE.cache));
    } catch {
      cachedData = undefined;
    }
  }
  // CommonJS's own wrapper, so the bundle sees require, module and __dirname as a .cjs file would.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
  const module = { exports: {} as Engine };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(filename), module, filename, dirname(filename));
  return { engine: module.exports, script };
}

/** The engine a startup snapshot started this process with (cli/snapshot.ts): already loaded, with its library image. */
let provided: Engine | undefined;

export function provideEngine(engine: Engine): void {
  provided = engine;
}

/** The Node API: the snapshot's, else from the bundle when it is current, else from dist/'s (or the source's) modules. */
export async function loadEngine(): Promise<Engine> {
  return provided ?? loadEngineBundle()?.engine ?? (await import("../index.js"));
}
