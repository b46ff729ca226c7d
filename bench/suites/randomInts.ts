// The suites' fixed pseudo-random data (batches, matrices, the epoch suite's images): the same every run.

/** Deterministic pseudo-random values (xorshift32), so every run sees the same batch. */
export function randomInts(count: number, below: number, seed: number): Uint32Array {
  let s = seed >>> 0 || 1;
  return Uint32Array.from({ length: count }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % below;
  });
}
