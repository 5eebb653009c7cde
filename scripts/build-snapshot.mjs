// Part of the build (after bundle-engine): the CLI's V8 startup snapshot, dist/cli/snapshot.blob,
// with the compiler loaded, its library image (the prelude) evaluated and the examples compiled
// once (cli/snapshot.ts). bin/tpu-build.js starts Node from it when it is there and was built by
// the same Node binary; cli/snapshot.ts checks at each start that dist/ is still what it was made
// from. When the snapshot cannot be built (a Node without --build-snapshot, a failure), the build
// goes on without it and the command starts as a plain Node script.
//
// Writes, under dist/cli/:
//   snapshot.bundle.cjs   esbuild's bundle of dist/cli/snapshot.js (the CLI, the engine, the compiler);
//   snapshot.inputs.json  the files the snapshot holds (the bundle's inputs and the prelude), relative to dist/;
//   snapshot.blob         the snapshot;
//   snapshot.node         the Node binary that made it (Node refuses a snapshot made by another version).
//
//   node scripts/build-snapshot.mjs

import { spawnSync } from "node:child_process";
import { readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleDist } from "./bundle-dist.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const { SNAPSHOT } = await import("../dist/cli/snapshot-stamp.js");
const out = join(dist, SNAPSHOT.bundle);
const blob = join(dist, SNAPSHOT.blob);
for (const f of Object.values(SNAPSHOT)) rmSync(join(dist, f), { force: true });

const skip = (why) => {
  for (const f of Object.values(SNAPSHOT)) rmSync(join(dist, f), { force: true });
  console.warn(`build-snapshot: no startup snapshot (${why}); tpu-build starts without it`);
  process.exit(0);
};

// In a snapshot being built, `require` loads only Node's built-in modules; after the start, the
// packages left outside the bundle are required through Node's own (cli/snapshot.ts sets it).
const requireAfterStart = `const __builtinRequire = require; require = (id) => (globalThis.__tpuBuildRuntimeRequire ?? __builtinRequire)(id);`;
const result = await bundleDist(join(dist, "cli", "snapshot.js"), out, requireAfterStart);
const inputs = [...Object.keys(result.metafile.inputs).map((input) => relative(dist, join(root, input))), relative(dist, join(root, "compiler", "library", "prelude.jl"))]
  .map((p) => p.split("\\").join("/"))
  .sort();
writeFileSync(join(dist, SNAPSHOT.inputs), JSON.stringify({ inputs }, null, 1) + "\n");

const built = spawnSync(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", out], { cwd: root, encoding: "utf8" });
if (built.status !== 0) skip(`node --build-snapshot failed: ${(built.stderr || built.error?.message || "").trim().split("\n").slice(-3).join(" ")}`);
// The snapshot must start: a command that needs nothing else.
const smoke = spawnSync(process.execPath, ["--snapshot-blob", blob, join(root, "bin", "tpu-build.js"), "--version"], { cwd: root, encoding: "utf8", env: { ...process.env, TPU_BUILD_DEBUG: "" } });
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
if (smoke.status !== 0 || !smoke.stdout.includes(version)) skip(`a process started from it printed ${JSON.stringify(smoke.stdout + smoke.stderr).slice(0, 300)} for --version`);
writeFileSync(join(dist, SNAPSHOT.node), `${realpathSync(process.execPath)}\n`);
console.log(`build-snapshot: wrote ${relative(root, blob)} (${(readFileSync(blob).length / 2 ** 20).toFixed(1)} MiB, ${inputs.length} files)`);
