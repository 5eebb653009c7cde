// How the build bundles dist/ into one CommonJS script (scripts/bundle-engine.mjs: the engine;
// scripts/build-snapshot.mjs: the CLI's startup snapshot). Each module's `import.meta.url` becomes
// the URL of its own file, relative to the bundle's directory, so every path the code derives from
// it (the prelude, proto/, its pre-parsed tree) is the one it has unbundled.

import { readFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import * as esbuild from "esbuild";

const MODULE_URL_BANNER = `const __moduleUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;`;

/** The plugin for a bundle written to `out`. */
function ownImportMetaUrl(out) {
  return {
    name: "own-import-meta-url",
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        const text = readFileSync(args.path, "utf8");
        if (!text.includes("import.meta.url")) return undefined;
        const rel = relative(dirname(out), args.path).split("\\").join("/");
        return { contents: text.replaceAll("import.meta.url", `__moduleUrl(${JSON.stringify(rel)})`), loader: "js" };
      });
    },
  };
}

/** Bundles `entry` (a module of dist/) into `out`; `banner`: code to run first. Returns esbuild's result, with its metafile. */
export function bundleDist(entry, out, banner = "") {
  return esbuild.build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    metafile: true,
    logLevel: "warning",
    // Loaded only when an entry runs, a daemon is used or the watcher starts: stay in node_modules.
    external: ["@grpc/grpc-js", "@grpc/proto-loader", "chokidar", "ajv", "ajv/*"],
    plugins: [ownImportMetaUrl(out)],
    banner: { js: `${banner}${banner ? "\n" : ""}${MODULE_URL_BANNER}` },
  });
}
