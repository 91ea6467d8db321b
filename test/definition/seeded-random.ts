// A seeded pseudo-random source for the definition tests that mutate documents: a failure
// reproduces from its seed.

/** xorshift32: small, fast, deterministic; values in [0, 1). */
export function prng(s: number): () => number {
  let x = s >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}
