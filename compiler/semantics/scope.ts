// Julia's lexical scopes: a global (module) scope, hard local scopes for function bodies, and soft
// local scopes for `for`/`while`/`let` blocks. Assignment inside a local scope updates a variable
// of an enclosing local scope when one exists, and otherwise makes a new local (Julia's rules for
// code inside functions; tpu-build compiles functions, so top-level soft-scope subtleties do not arise).

import type { Value } from "./values.js";

export type ScopeKind = "global" | "function" | "block";

/** One variable write, recorded so the arms of a traced `if` can each run and then be undone. */
export interface ScopeWrite {
  scope: Scope;
  name: string;
  /** Whether the variable existed before the write, and its value then. */
  had: boolean;
  old: Value | undefined;
}

let journal: ScopeWrite[] | undefined;

/** Runs `f`, recording every variable write; returns the writes (oldest first) with `f`'s result. */
export function recordWrites<T>(f: () => T): { result: T; writes: ScopeWrite[] } {
  const outer = journal;
  const writes: ScopeWrite[] = [];
  journal = writes;
  try {
    return { result: f(), writes };
  } finally {
    journal = outer;
  }
}

/** Undoes recorded writes, newest first. */
export function undoWrites(writes: ScopeWrite[]): void {
  for (let i = writes.length - 1; i >= 0; i--) {
    const w = writes[i]!;
    w.scope.restore(w.name, w.had, w.old);
  }
}

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
    this.write(name, value);
  }

  /** When set, every write to this scope is also recorded here (a library image's scope during a compile). */
  undoLog: ScopeWrite[] | undefined;

  private write(name: string, value: Value): void {
    if (journal || this.undoLog) {
      const w = { scope: this, name, had: this.vars.has(name), old: this.vars.get(name) };
      journal?.push(w);
      this.undoLog?.push(w);
    }
    this.vars.set(name, value);
  }

  /** Puts a variable back as it was (for undoWrites). */
  restore(name: string, had: boolean, old: Value | undefined): void {
    if (had) this.vars.set(name, old!);
    else this.vars.delete(name);
  }

  /** `name = value` with Julia's scoping: update the nearest enclosing local that has it, else define here. */
  assign(name: string, value: Value): void {
    for (let s: Scope | undefined = this; s && s.kind !== "global"; s = s.parent) {
      if (s.vars.has(name)) {
        s.write(name, value);
        return;
      }
      if (s.kind === "function") break;
    }
    this.write(name, value);
  }

  /** The innermost global scope this scope belongs to (Main for program code, the library's for library code). */
  global(): Scope {
    let s: Scope = this;
    while (s.kind !== "global" && s.parent) s = s.parent;
    return s;
  }

  /** The local variables visible from here that are bound to `value` itself (its aliases). */
  localNamesOf(value: Value): string[] {
    const names: string[] = [];
    for (let s: Scope | undefined = this; s && s.kind !== "global"; s = s.parent) {
      for (const [k, v] of s.vars) if (v === value && !names.includes(k)) names.push(k);
      if (s.kind === "function") break;
    }
    return names;
  }

  /** Every name visible from here (for "did you mean" suggestions). */
  visibleNames(): string[] {
    const names = new Set<string>();
    for (let s: Scope | undefined = this; s; s = s.parent) for (const k of s.vars.keys()) names.add(k);
    return [...names];
  }
}
