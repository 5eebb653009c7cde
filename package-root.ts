// Where the installed tpu-build package is: the nearest directory upward from this file that holds
// package.json. The same answer from source (tsx: ./package-root.ts) and from the compiled package
// (dist/package-root.js; dist/ has no package.json). Everything that reads the package's own files
// (proto/, runtime/, dist/, package.json) starts here: the compiler's HLO encoder, the local
// target's runtime, the daemon's protocol and the CLI.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function here(): string {
  // tsx in CommonJS mode (uvu -r tsx/cjs) still provides import.meta.url; __dirname is a fallback.
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return typeof __dirname === "string" ? __dirname : process.cwd();
  }
}

export function findPackageRoot(start: string = here()): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`tpu-build: cannot find the package root (no package.json above ${start})`);
    dir = parent;
  }
}
