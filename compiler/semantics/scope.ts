// Julia's lexical scopes: a global (module) scope, hard local scopes for function bodies, and soft
// local scopes for `for`/`while`/`let` blocks. Assignment inside a local scope updates a variable
// of an enclosing local scope when one exists, and otherwise makes a new local (Julia's rules for
// code inside functions; tpu-build compiles functions, so top-level soft-scope subtleties do not arise).

import type { Value } from "./values.js";

export type ScopeKind = "global" | "function" | "block";

export class Scope {
  private readonly vars = new Map<string, Value>();
  /** Names declared `const` (globals) — reassignment is an error. */
  readonly constants = new Set<string>();

  constructor(readonly kind: ScopeKind, readonly parent?: Scope) {}

  lookup(name: string): Value | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  /** Defines `name` in this very scope (function parameters, `local x`, loop variables). */
  define(name: string, value: Value): void {
    this.vars.set(name, value);
  }

  /** `name = value` with Julia's scoping: update the nearest enclosing local that has it, else define here. */
  assign(name: string, value: Value): void {
    for (let s: Scope | undefined = this; s && s.kind !== "global"; s = s.parent) {
      if (s.vars.has(name)) {
        s.vars.set(name, value);
        return;
      }
      if (s.kind === "function") break;
    }
    this.vars.set(name, value);
  }

  /** The global scope this scope belongs to. */
  global(): Scope {
    let s: Scope = this;
    while (s.parent) s = s.parent;
    return s;
  }

  /** Every name visible from here (for "did you mean" suggestions). */
  visibleNames(): string[] {
    const names = new Set<string>();
    for (let s: Scope | undefined = this; s; s = s.parent) for (const k of s.vars.keys()) names.add(k);
    return [...names];
  }
}
