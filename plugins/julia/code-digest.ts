// The identity of the compiler's own code, for the cache key (issue 16.0).
//
// COMPILER_VERSION changes only when someone remembers to change it; a compiler built from other
// code (an upgrade, a local patch, CSE turned off) must never reuse an artifact of another. So the
// key also holds a SHA-256 over the files of the code that actually runs: every module under
// compiler/ and this plugin's folder, found beside this file. Run from dist/ that is the compiled
// JavaScript (the engine bundle is used only while it matches those files, cli/load-engine.ts), run
// from source under tsx the TypeScript; either way a change to any of them changes the digest.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Code files (not maps or type declarations; not the pre-parsed prelude tree, derived from the parser and prelude, both hashed). */
const CODE_FILE = /(?<!\.d)\.(js|cjs|mjs|ts|jl)$/

function codeFiles(dir: string, rel: string, out: { rel: string; path: string }[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    const r = `${rel}/${entry.name}`;
    if (entry.isDirectory()) codeFiles(path, r, out);
    else if (entry.isFile() && CODE_FILE.test(entry.name)) out.push({ rel: r, path });
  }
}

/** SHA-256 (hex) over the relative path and bytes of every code file under `roots` (name -> directory). */
export function codeDigest(roots: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const [name, dir] of Object.entries(roots)) {
    const files: { rel: string; path: string }[] = [];
    codeFiles(dir, name, files);
    for (const f of files) {
      const bytes = readFileSync(f.path);
      hash.update(`${f.rel}\0${bytes.length}\0`).update(bytes);
    }
  }
  return hash.digest("hex");
}

let digest: string | undefined;

/** The digest of the Julia compiler that this process runs, computed once. */
export function juliaCompilerDigest(): string {
  digest ??= codeDigest({
    compiler: fileURLToPath(new URL("../../compiler/", import.meta.url)),
    "plugins/julia": fileURLToPath(new URL("./", import.meta.url)),
  });
  return digest;
}
