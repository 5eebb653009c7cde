// Compile-time budgets: everything a Julia source can make the compiler spend is bounded, so a
// hostile or mistaken program (`f(x) = f((x, x))`, `for i in 1:10^9`, `collect(1:10^9)`) gets a
// located error naming the budget, never a hang or a fatal out-of-memory in V8.
//
// The clock and the heap size are read here, the compiler's only look at the world: they can turn
// a compile into a budget error (never cached), never change the bytes of a module.

import { getHeapStatistics } from "node:v8";
import type { CompileLimits as ManifestCompileLimits } from "../schema/manifest.js";

/**
 * The budgets of one entry's compile, as the manifest's `compileLimits` names and documents them
 * (schema/tpu.config.schema.json, whose `default`s are these; a test holds the two together).
 */
export type CompileLimits = Required<ManifestCompileLimits>;

export const DEFAULT_COMPILE_LIMITS: Readonly<CompileLimits> = {
  seconds: 60,
  instructions: 1_000_000,
  unrolledIterations: 1_000_000,
  knownElements: 1_000_000,
  // 2^35 elements: 128 GiB of Float32, more than any one accelerator holds.
  arrayElements: 2 ** 35,
  callDepth: 200,
  memoryMiB: 2048,
};

export type CompileLimitName = keyof CompileLimits;

/** What each budget bounds, for messages. */
const WHAT: Record<CompileLimitName, string> = {
  seconds: "seconds of compile time",
  instructions: "emitted HLO instructions",
  unrolledIterations: "loop iterations run at compile time",
  knownElements: "elements in one value known at compile time",
  arrayElements: "elements in one array",
  callDepth: "nested calls",
  memoryMiB: "MiB of compiler memory",
};

/** Thrown when a budget runs out; the interpreter locates it at the Julia code being compiled. */
export class BudgetExceeded extends Error {
  constructor(readonly limit: CompileLimitName, readonly allowed: number, what: string) {
    super(what);
  }
  /** How to raise the budget, for the diagnostic's notes. */
  notes(): string[] {
    const raised = this.limit === "arrayElements" || this.limit === "memoryMiB" ? this.allowed * 2 : this.allowed * 10;
    return [
      `the budget is ${this.allowed.toLocaleString("en-US")} ${WHAT[this.limit]} (compileLimits.${this.limit})`,
      `if the program really needs more, raise it in tpu.config.json, for every entry ("compileLimits": { "${this.limit}": ${raised} }) or in this entry's own "compileLimits"`,
    ];
  }
}

/** Evaluation steps between two looks at the clock, and between two looks at the heap. */
const CLOCK_EVERY = 1024;
const HEAP_EVERY = 16384;

/** The budgets of one compile, charged as it goes. */
export class CompileBudget {
  readonly limits: CompileLimits;
  private readonly deadline: number;
  private readonly heapAtStart: number;
  /** The heap growth allowed: the budget, or less when Node's own heap limit is nearer. */
  private readonly heapAllowance: number;
  private steps = 0;
  private instructions = 0;
  private unrolled = 0;

  constructor(limits: Partial<CompileLimits> = {}) {
    this.limits = { ...DEFAULT_COMPILE_LIMITS, ...limits };
    this.deadline = performance.now() + this.limits.seconds * 1000;
    // V8's own figures: process.memoryUsage() also reads the resident size from /proc, which cost
    // warm compiles ~4% of their time.
    const heap = getHeapStatistics();
    this.heapAtStart = heap.used_heap_size;
    // Past V8's limit the process dies with a fatal error before any check could run: stop at 80% of it.
    const room = heap.heap_size_limit * 0.8 - this.heapAtStart;
    this.heapAllowance = Math.min(this.limits.memoryMiB * 2 ** 20, Math.max(room, 0));
  }

  /** One evaluation step (an expression, an instruction): now and then, the clock and the heap. */
  step(): void {
    const n = ++this.steps;
    if (n % CLOCK_EVERY === 0 && performance.now() > this.deadline)
      throw new BudgetExceeded("seconds", this.limits.seconds, `the compile took longer than ${this.limits.seconds} s; it was here when the time ran out`);
    if (n % HEAP_EVERY === 0) this.checkHeap();
  }

  private checkHeap(): void {
    const grown = getHeapStatistics().used_heap_size - this.heapAtStart;
    if (grown <= this.heapAllowance) return;
    const mib = (grown / 2 ** 20).toFixed(1);
    const byNode = this.heapAllowance < this.limits.memoryMiB * 2 ** 20;
    throw new BudgetExceeded("memoryMiB", this.limits.memoryMiB, `the compiler's memory grew by ${mib} MiB compiling this entry${byNode ? ", near Node's own heap limit (node --max-old-space-size)" : ""}, here`);
  }

  /** An HLO instruction of `elements` elements was emitted (`literal`: its data is held here, a constant). */
  instruction(elements: number, literal: boolean): void {
    this.step();
    if (++this.instructions > this.limits.instructions)
      throw new BudgetExceeded("instructions", this.limits.instructions, `this entry emits more than ${this.limits.instructions.toLocaleString("en-US")} HLO instructions`);
    this.array(elements);
    if (literal) this.known(elements, "a constant array");
  }

  /** An array of `elements` elements is made. */
  array(elements: number): void {
    if (elements > this.limits.arrayElements)
      throw new BudgetExceeded("arrayElements", this.limits.arrayElements, `this makes an array of ${elements.toLocaleString("en-US")} elements, more than ${this.limits.arrayElements.toLocaleString("en-US")}`);
  }

  /** `count` more iterations of loops run at compile time; `ahead`: a loop about to run that many, checked before it starts. */
  iterations(count: number, ahead = 0): void {
    this.unrolled += count;
    if (this.unrolled + ahead > this.limits.unrolledIterations) {
      const loop = ahead ? ` (this loop alone takes ${ahead.toLocaleString("en-US")})` : "";
      throw new BudgetExceeded("unrolledIterations", this.limits.unrolledIterations, `loops run at compile time take more than ${this.limits.unrolledIterations.toLocaleString("en-US")} iterations in total${loop}`);
    }
  }

  /** A value known at compile time of `elements` elements (`what`: "a tuple", "the range 1:1000000000") is about to be held. */
  known(elements: number, what: string): void {
    if (elements > this.limits.knownElements)
      throw new BudgetExceeded("knownElements", this.limits.knownElements, `${what} of ${elements.toLocaleString("en-US")} elements would be held at compile time, more than ${this.limits.knownElements.toLocaleString("en-US")}`);
  }

  /** A call `depth` deep is about to be inlined. */
  depth(depth: number, name: string): void {
    if (depth > this.limits.callDepth)
      throw new BudgetExceeded("callDepth", this.limits.callDepth, `recursion deeper than ${this.limits.callDepth} calls while inlining ${name}`);
  }
}
