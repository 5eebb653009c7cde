// Pre-parsed syntax trees (compiler/syntax/preparsed.ts): what the build stores for the prelude must
// revive to exactly the tree the parser gives, and is used only for the text and parser it came from.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseJulia, providePreparsed, type ParseResult } from "../compiler/syntax/parser.js";
import { decodeParse, encodeParse, readPreparsed, writePreparsed } from "../compiler/syntax/preparsed.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const roundTrip = (r: ParseResult) => decodeParse(JSON.parse(JSON.stringify(encodeParse(r))));

test("the prelude and every example revive deep-equal to their parse (undefined properties included)", () => {
  const files = ["compiler/library/prelude.jl", ...readdirSync(join(root, "examples")).filter((f) => f.endsWith(".jl")).map((f) => `examples/${f}`)];
  for (const file of files) {
    const parsed = parseJulia(file, readFileSync(join(root, file), "utf8"));
    // uvu's equal tells a property set to undefined from a missing one, as the interpreter's `in` would.
    assert.equal(roundTrip(parsed), parsed, file);
  }
});

test("bigint literals, numbers JSON cannot spell, and parse errors survive the encoding", () => {
  const parsed = parseJulia("t.jl", "x = 170141183460469231731687303715884105727\ny = 0xffffffffffffffffffff\nz = 1e500\nf(a b\n");
  assert.ok(parsed.diagnostics.length > 0);
  const text = JSON.stringify(parsed, (_k, v) => (typeof v === "bigint" ? `${v}n` : v === Infinity ? "Infinity" : v));
  assert.match(text, /"value":"170141183460469231731687303715884105727n"/);
  assert.match(text, /"value":"Infinity"/);
  assert.equal(roundTrip(parsed), parsed);
});

test("parseJulia uses a provided tree only for exactly the text it was made from", () => {
  const text = "g(x) = x + 1\n";
  const stored = parseJulia("provided.jl", "g(x) = x + 2\n"); // a recognisably different tree
  let loads = 0;
  providePreparsed("provided.jl", text, () => (loads++, stored));
  assert.is(parseJulia("provided.jl", text), stored);
  assert.is(parseJulia("provided.jl", text), stored);
  assert.is(loads, 1, "the tree is loaded once");
  assert.equal(parseJulia("provided.jl", "g(x) = x + 3\n").file.body.stmts.length, 1);
  assert.is.not(parseJulia("provided.jl", "g(x) = x + 3\n"), stored, "another text is parsed");
  assert.is.not(parseJulia("elsewhere.jl", text), stored, "another path is parsed");
  providePreparsed("absent.jl", text, () => undefined);
  const parsedAnyway = parseJulia("absent.jl", text);
  assert.is(parsedAnyway.file.path, "absent.jl", "without a stored tree the text is parsed");
  assert.is(parsedAnyway.file.body.stmts.length, 1);
});

test("a stored tree is refused for another text, another parser, or a damaged file", () => {
  const dir = mkdtempSync(join(tmpdir(), "tpu-preparsed-"));
  try {
    const text = "h(x) = 2x\n";
    const path = join(dir, "tree.json");
    const parsed = parseJulia("h.jl", text);
    writeFileSync(path, writePreparsed(text, parsed));
    assert.equal(readPreparsed(path, text), parsed);
    assert.is(readPreparsed(path, "h(x) = 3x\n"), undefined);
    const file = JSON.parse(readFileSync(path, "utf8"));
    writeFileSync(path, JSON.stringify({ ...file, parser: "0".repeat(64) }));
    assert.is(readPreparsed(path, text), undefined);
    writeFileSync(path, readFileSync(path, "utf8").slice(0, 100));
    assert.is(readPreparsed(path, text), undefined);
    assert.is(readPreparsed(join(dir, "missing.json"), text), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
