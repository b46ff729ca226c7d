// Conversions between 8-bit images and [0, 1] floats. The suites differ on the way back:
// MNIST-C's functions return floats in [0, 255] that are rounded (ALGORITHMS.md §8);
// the CIFAR/Tiny-ImageNet generators truncate with astype(uint8) (§9.2).

export function toUnit(image: Uint8Array): Float64Array {
  return Float64Array.from(image, (v) => v / 255);
}

/** Round half to even, as np.round does. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * MNIST-C: clip to [0, 1], scale by 255, round. The reference functions return astype(np.float32);
 * that step is kept because it decides ties: brightness gives v + 127.5 up to float64 noise, which
 * float32 turns into an exact half.
 */
export function toU8Rounded(x: Float64Array): Uint8Array {
  return Uint8Array.from(x, (v) => roundHalfEven(Math.fround(Math.min(Math.max(v, 0), 1) * 255)));
}

/** CIFAR-C / Tiny-ImageNet-C: clip to [0, 1], scale by 255, truncate. */
export function toU8Truncated(x: Float64Array): Uint8Array {
  return Uint8Array.from(x, (v) => Math.trunc(Math.min(Math.max(v, 0), 1) * 255));
}
