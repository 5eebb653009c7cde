// The library image: the prelude evaluated once per process into an interpreter that every later
// compile reuses (the library's scope, its intrinsics, its method tables and the dispatch cache),
// instead of each compile defining every intrinsic and evaluating the prelude again. A compile on
// the image starts with an empty Main and leaves nothing behind (Interpreter.beginCompile).

import type { ElementType } from "../plugins/api.js";
import type { CompileBudget } from "./budget.js";
import type { SourceFile } from "./diagnostics.js";
import { HloModuleBuilder, type ComputationBuilder } from "./hlo/builder.js";
import { juliaLibrary } from "./library/index.js";
import { Interpreter, type SourceReader } from "./semantics/interpreter.js";
import { undoWrites, type ScopeWrite } from "./semantics/scope.js";
import type { Value } from "./semantics/values.js";
import type * as A from "./syntax/ast.js";

export class LibraryImage {
  private readonly interp: Interpreter;
  /** The library's files (the prelude's source, for locations in messages). */
  private readonly files: ReadonlyMap<string, SourceFile>;
  /**
   * The prelude's top-level statements that make state: an HLO instruction (a generator's seeded
   * state) or a mutable value (the default generator, advanced by every draw). They belong to
   * one module, so each compile evaluates them again, first, in the prelude's order: the
   * instructions they emit come where and in the order they did when each compile evaluated the
   * whole prelude, so the module's bytes are the same.
   */
  private readonly perCompile: A.Node[] = [];
  private open = false;

  constructor(
    private readonly path: string,
    private readonly source: string,
  ) {
    let emitted = 0;
    const module = new HloModuleBuilder("library", { onInstruction: () => void emitted++ });
    this.interp = new Interpreter(module.computation("library"), (p) => (p === path ? source : undefined), juliaLibrary);
    const globals = this.interp.globals;
    const stateful: ScopeWrite[] = [];
    for (const stmt of this.interp.openSource(path, undefined, globals).stmts) {
      const before = emitted;
      const writes: ScopeWrite[] = (globals.undoLog = []);
      this.interp.eval(stmt, globals);
      if (emitted === before && !writes.some((w) => holdsState(globals.lookup(w.name)))) continue;
      this.perCompile.push(stmt);
      stateful.push(...writes);
    }
    globals.undoLog = undefined;
    // The image keeps none of that state: each compile makes its own.
    undoWrites(stateful);
    for (const w of stateful) if (!w.had) globals.constants.delete(w.name);
    this.files = new Map(this.interp.files);
  }

  /**
   * Runs one compile on the image: `run` gets the interpreter, lowering into `builder`; the
   * prelude's stateful statements are evaluated by `run` calling `evaluatePrelude` (inside the
   * compile's own error handling). Whatever `run` does, the image is as before afterwards.
   */
  compile<T>(builder: ComputationBuilder, read: SourceReader, budget: CompileBudget, storedAs: Partial<Record<ElementType, ElementType>>, run: (interp: Interpreter, evaluatePrelude: () => void) => T): T {
    // Not reentrant: a compile started inside another (none does today) gets an image of its own.
    if (this.open) return new LibraryImage(this.path, this.source).compile(builder, read, budget, storedAs, run);
    this.open = true;
    const interp = this.interp;
    interp.beginCompile(builder, read, budget, storedAs, this.files);
    try {
      return run(interp, () => {
        for (const stmt of this.perCompile) interp.eval(stmt, interp.globals);
      });
    } finally {
      interp.endCompile();
      this.open = false;
    }
  }
}

/** Whether a value holds a traced tensor or a mutable value anywhere (then it is one compile's). */
function holdsState(v: Value | undefined): boolean {
  if (!v) return false;
  switch (v.kind) {
    case "tensor":
    case "vector":
    case "dict":
      return true;
    case "struct":
      return v.type.mutable || v.fields.some(holdsState);
    case "tuple":
    case "namedtuple":
      return v.elements.some(holdsState);
    default:
      return false;
  }
}
