// Warmth for the compiler. V8 optimizes the interpreter's hot paths only after they have run many
// times: in a fresh process, VGG19's forward compile took ~9 ms of main-thread CPU over the first
// 8 builds, ~6.5 ms over the next 8 and ~5 ms from the 17th on (measured under load, 2026-12-03),
// so a daemon spent its first dozen edits in that slow state. After a build, while the daemon is
// idle, the build's own compiles are replayed (the compiler is pure: the results are dropped and
// nothing else changes) until the process has replayed its budget. One compile at a time,
// yielding to the event loop between them; none while a build is running or waiting.

/** Replayed compiles per process: about where the compile time levelled off in the measurement above. */
export const WARM_UP_COMPILES = 32;

export class CompilerWarmUp {
  private replayed = 0;
  private pending: NodeJS.Immediate | undefined;

  constructor(private readonly budget: number) {}

  /** Compiles replayed so far. */
  get count(): number {
    return this.replayed;
  }

  /**
   * Replays `compiles` round-robin while `busy()` is false, until the budget is spent (then calls
   * `spent`). A later call replaces an earlier one's queue; a busy step stops the queue until then.
   */
  whileIdle(compiles: readonly (() => unknown)[], busy: () => boolean, spent: () => void = () => {}): void {
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
    if (this.replayed >= this.budget || compiles.length === 0) return;
    let next = 0;
    const step = () => {
      this.pending = undefined;
      if (busy()) return;
      try {
        compiles[next++ % compiles.length]!();
      } catch {
        // A replay that throws is a compiler bug; the build that made the request reported its own result.
      }
      if (++this.replayed >= this.budget) return spent();
      this.pending = setImmediate(step).unref();
    };
    this.pending = setImmediate(step).unref();
  }
}

/** The process's: the compiler (and V8's optimized code for it) is one per process. */
export const compilerWarmUp = new CompilerWarmUp(WARM_UP_COMPILES);
