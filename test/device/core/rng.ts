// Seeded randomness for the differential and fuzz suites: a failure names its seed,
// and FUZZ_SEED=<n> replays it.
export interface Rng {
  readonly seed: number;
  /** 0 ≤ x < 1. */
  next(): number;
  /** 0 ≤ n < max, an integer. */
  int(max: number): number;
  /** lo ≤ n ≤ hi, an integer. */
  range(lo: number, hi: number): number;
  bytes(n: number): Uint8Array;
  pick<T>(xs: readonly T[]): T;
}

export function rng(seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32))): Rng {
  let s = seed >>> 0;
  // mulberry32
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  return {
    seed,
    next,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    bytes: (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = int(256); return b; },
    pick: (xs) => xs[int(xs.length)]!,
  };
}
