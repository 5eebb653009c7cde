// The entry of the CLI's V8 startup snapshot (scripts/build-snapshot.mjs runs
// `node --snapshot-blob dist/cli/snapshot.blob --build-snapshot` on its bundle at `npm run build`).
// Building the snapshot evaluates the compiler and its library image (the prelude) and compiles
// the examples once, so a process started from it (bin/tpu-build.js does so when the blob is
// there and current) begins with the compiler loaded, the prelude evaluated and the dispatch cache
// filled. The rest of the CLI and the engine (which read the terminal, the environment and other
// packages when they load) are evaluated after the start, from the bundle in the snapshot.
//
// A snapshot that no longer matches dist/ (a file rebuilt since, the prelude edited, the package
// copied elsewhere) is not used:
// the command reruns itself in a plain Node process, and says so under TPU_BUILD_DEBUG.

import { spawnSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import type { ArgSpec } from "../plugins/api.js";
import { compileEntry, libraryImage } from "../compiler/compile.js";
import { debugEvent } from "./debug.js";
import { SNAPSHOT, snapshotStamp } from "./snapshot-stamp.js";

const DIST = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = join(DIST, "..");

/** What `require` means in the bundle after the start: Node's own, for the packages left outside it (gRPC, chokidar). */
const RUNTIME_REQUIRE = "__tpuBuildRuntimeRequire";

if (!v8.startupSnapshot.isBuildingSnapshot()) throw new Error("cli/snapshot is the entry of `node --build-snapshot` (scripts/build-snapshot.mjs), not a module to import");

libraryImage();
warmUp();
const stamp = snapshotStamp(DIST);
v8.startupSnapshot.setDeserializeMainFunction(() => {
  (globalThis as Record<string, unknown>)[RUNTIME_REQUIRE] = createRequire(join(DIST, SNAPSHOT.bundle));
  void start();
});

/** Compiles the examples' VGG19 and MLP: V8 compiles the compiler's functions, and dispatch answers for the library's types are kept. */
function warmUp(): void {
  const readSource = (p: string) => readFileSync(join(ROOT, p), "utf8");
  const compile = (file: string, fn: string, args: ArgSpec[]) => {
    const r = compileEntry({ entry: fn, file, function: fn, args, readSource });
    if (!r.ok) throw new Error(`snapshot warm-up: ${file}: ${fn}: ${r.diagnostics.map((d) => d.message).join("; ")}`);
    return r.signature.output;
  };
  const consts = (...values: number[]): ArgSpec[] => values.map((value) => ({ kind: "const", value }));
  const array = (...size: number[]): ArgSpec => ({ kind: "runtime", type: { kind: "array", eltype: "Float32", size } });
  const vgg = compile("examples/vgg19.jl", "vgg19", consts(19, 224, 1000));
  compile("examples/vgg19.jl", "vgg19_forward", [{ kind: "runtime", type: vgg }, array(224, 224, 3, 1)]);
  const mlp = compile("examples/mlp.jl", "init_mlp", consts(1, 32));
  compile("examples/mlp.jl", "predict", [{ kind: "runtime", type: mlp }, array(16, 32)]);
}

async function start(): Promise<void> {
  // process.argv[1] is the launcher that started this process: its package must be the one the snapshot was made in.
  const launchedFrom = join(dirname(realpathSync(process.argv[1]!)), "..", "dist");
  const stale = launchedFrom !== DIST ? `it was made in ${DIST}, not ${launchedFrom}` : snapshotStamp(DIST) !== stamp ? `${DIST} changed since it was built` : undefined;
  if (stale) {
    debugEvent("startup-snapshot", { used: false, reason: `the startup snapshot is not used: ${stale}; running without it` });
    // process.argv[1] is the launcher (bin/tpu-build.js): run as a plain Node script, it loads dist/ as it is.
    const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: "inherit" });
    process.exitCode = r.status ?? 1;
    return;
  }
  debugEvent("startup-snapshot", { used: true });
  const { provideEngine } = await import("./load-engine.js");
  provideEngine(await import("../index.js"));
  const { main } = await import("./main.js");
  process.exitCode = await main(process.argv.slice(2));
}
