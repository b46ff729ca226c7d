// Float64 element-wise ops, forward and backward.
export function reluForward(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => Math.max(v, 0));
}

/** PyTorch's convention: the gradient at exactly 0 is 0. */
export function reluBackward(dy: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => (v > 0 ? dy[i]! : 0));
}

export function addForward(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from(a, (v, i) => v + b[i]!);
}

/** Both inputs receive the upstream gradient unchanged. */
export function addBackward(dy: ArrayLike<number>): { da: Float64Array; db: Float64Array } {
  return { da: Float64Array.from(dy), db: Float64Array.from(dy) };
}
