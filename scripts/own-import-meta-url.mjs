// An esbuild plugin for bundles of dist/ (scripts/bundle-engine.mjs, scripts/build-snapshot.mjs):
// each module's `import.meta.url` becomes the URL of its own file, relative to the bundle's
// directory, so every path the code derives from it (the prelude, proto/, its pre-parsed tree) is
// the one it has unbundled. The bundle defines `__moduleUrl` (BANNER).

import { readFileSync } from "node:fs";
import { dirname, relative } from "node:path";

export const MODULE_URL_BANNER = `const __moduleUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;`;

/** The plugin for a bundle written to `out`. */
export function ownImportMetaUrl(out) {
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
