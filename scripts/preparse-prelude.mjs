// Part of the build (after tsc): parses the prelude with the compiled parser and writes its syntax
// tree beside the compiled compiler (dist/compiler/library/prelude.tree.json), so that a cold
// process loads the tree instead of parsing ~500 lines with V8 still cold (compiler/syntax/preparsed.ts).
// The tree is checked before it is written: revived, it must be deep-equal to the fresh parse.
//
//   node scripts/preparse-prelude.mjs

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { PRELUDE_PATH, PRELUDE_SOURCE, PRELUDE_TREE_FILE } = await import("../dist/compiler/compile.js");
const { parseJulia } = await import("../dist/compiler/syntax/parser.js");
const { decodeParse, writePreparsed } = await import("../dist/compiler/syntax/preparsed.js");

// An older tree must not stand in for the fresh parse below.
rmSync(PRELUDE_TREE_FILE, { force: true });
const parsed = parseJulia(PRELUDE_PATH, PRELUDE_SOURCE);
if (parsed.diagnostics.length) {
  console.error(`preparse-prelude: the prelude does not parse: ${parsed.diagnostics.map((d) => d.message).join("; ")}`);
  process.exit(1);
}
const text = writePreparsed(PRELUDE_SOURCE, parsed);
if (!isDeepStrictEqual(decodeParse(JSON.parse(text).result), parsed)) {
  console.error("preparse-prelude: internal error: the encoded prelude tree does not revive to the parsed one");
  process.exit(1);
}
mkdirSync(dirname(PRELUDE_TREE_FILE), { recursive: true });
writeFileSync(PRELUDE_TREE_FILE, text);
console.log(`preparse-prelude: wrote ${relative(root, PRELUDE_TREE_FILE)} (${(text.length / 1024).toFixed(0)} KiB)`);
