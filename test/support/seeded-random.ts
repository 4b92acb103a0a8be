// Deterministic pseudo-random numbers for generated workloads and histories (tests, benchmarks):
// the same seed gives the same sequence on every machine.

/** mulberry32: numbers in [0, 1) from a 32-bit seed; small, fast, good enough for workloads. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
