// The compiler's modules import each other without cycles (issue 17), except the inherent one
// between scope.ts and values.ts (a scope holds values; a closure value holds its scope). A cycle
// makes module load order matter and usually means a module reaches into another's internals.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports and re-exports, type-only ones included, as edges between files. */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(files.map((f) => {
    const targets = [...readFileSync(f, "utf8").matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']/gms)]
      .map((m) => resolve(dirname(f), m[1]!.replace(/\.js$/, ".ts")))
      .filter((t) => known.has(t));
    return [f, targets];
  }));
}

/** Strongly connected components of more than one file (Tarjan's algorithm). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next), low.set(v, next++), stack.push(v), onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do (w = stack.pop()!), onStack.delete(w), component.push(w);
    while (w !== v);
    if (component.length > 1) out.push(component.map((f) => relative(repo, f)).sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test("compiler/ has no import cycle but scope.ts <-> values.ts", () => {
  const found = cycles(importGraph(tsFiles(join(repo, "compiler")))).map((c) => c.join(" <-> "));
  assert.equal(found, ["compiler/semantics/scope.ts <-> compiler/semantics/values.ts"]);
});

test("the cycle check sees a cycle when there is one", () => {
  const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
  assert.equal(cycles(graph).length, 1);
  assert.equal(cycles(graph)[0]!.length, 3);
});

test.run();
