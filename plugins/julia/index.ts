// The Julia compiler plugin: Julia source -> HloModuleProto, through compiler/.

import type { CompilerPlugin, CompileRequest, CompileResult } from "../api.js";
import type { Plugin } from "../registry.js";
import { compileEntry, COMPILER_NAME, COMPILER_VERSION, PRELUDE_PATH, PRELUDE_SOURCE, PRELUDE_VERSION } from "../../compiler/compile.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { SourceFile, renderDiagnostic } from "../../compiler/diagnostics.js";
import { parsedFile } from "../../compiler/syntax/parse-cache.js";
import type { Node } from "../../compiler/syntax/ast.js";
import { resolveInclude } from "../../compiler/semantics/interpreter.js";
import { juliaCompilerDigest } from "./code-digest.js";

/** Every file reached from `file` through literal `include("...")` calls, in discovery order. */
export function includeGraph(file: string, readSource: (path: string) => string | undefined): string[] {
  const seen: string[] = [];
  const visit = (path: string) => {
    if (seen.includes(path)) return;
    seen.push(path);
    const text = readSource(path);
    if (text === undefined) return;
    // Through the process's parse cache: the compile that follows parses the same text.
    const { file: parsed } = parsedFile(path, text).parsed;
    walk(parsed.body, (n) => {
      if (n.kind === "call" && n.callee.kind === "ident" && n.callee.name === "include" && n.args.length === 1) {
        const arg = n.args[0]!;
        if (arg.kind === "string" && arg.parts.every((p) => typeof p === "string")) visit(resolveInclude(path, arg.parts.join("")));
      }
    });
  };
  visit(file);
  return seen;
}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const x of node) walk(x, visit);
    return;
  }
  const n = node as Record<string, unknown>;
  if (typeof n.kind === "string") visit(n as unknown as Node);
  for (const [k, v] of Object.entries(n)) if (k !== "span" && v && typeof v === "object") walk(v, visit);
}

export const juliaCompiler: CompilerPlugin & { preludeVersion: string } = {
  name: COMPILER_NAME,
  version: COMPILER_VERSION,
  get codeDigest() {
    return juliaCompilerDigest();
  },
  preludeVersion: PRELUDE_VERSION,
  sourcesOf: includeGraph,
  compile(request: CompileRequest): CompileResult {
    return compileEntry(request);
  },
  render(diagnostic: Diagnostic, readSource: (path: string) => string | undefined): string {
    const cache = new Map<string, SourceFile | undefined>();
    return renderDiagnostic(diagnostic, (path) => {
      if (!cache.has(path)) {
        const text = path === PRELUDE_PATH ? PRELUDE_SOURCE : readSource(path);
        cache.set(path, text === undefined ? undefined : new SourceFile(path, text));
      }
      return cache.get(path);
    });
  },
};

/** The plugin: registers the Julia compiler, as any compiler plugin would (plugins/registry.ts). */
export const juliaPlugin: Plugin = {
  name: "julia",
  register(registry) {
    registry.registerCompiler(juliaCompiler);
  },
};
