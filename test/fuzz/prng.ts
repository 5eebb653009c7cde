// A small seeded generator (mulberry32) for the fuzz cases: case `index` of seed `seed` has its own
// stream, so any one case is reproduced from (seed, index) alone, whatever the others did.

export class Prng {
  private state: number;

  constructor(seed: number, index = 0) {
    // splitmix32 of the pair, so neighbouring seeds and indices give unrelated streams.
    let z = (Math.imul(seed | 0, 0x9e3779b9) ^ Math.imul(index | 0, 0x85ebca6b) ^ 0x6a09e667) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    this.state = (z ^ (z >>> 15)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error("Prng.pick from an empty list");
    return xs[this.int(xs.length)]!;
  }
}
