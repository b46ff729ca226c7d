// Float64 matmul and linear layer, forward and backward.
export function matmul64(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
  transA = false,
  transB = false,
): Float64Array {
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[transA ? k * M + m : m * K + k]! * b[transB ? n * K + k : k * N + n]!;
      c[m * N + n] = s;
    }
  return c;
}

/** y[B, O] = x[B, I]·wᵀ + b, w stored [O, I] as in PyTorch. */
export function linearForward(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number>, B: number, I: number, O: number): Float64Array {
  const y = matmul64(x, w, B, I, O, false, true);
  for (let r = 0; r < B; r++) for (let o = 0; o < O; o++) y[r * O + o]! += bias[o]!;
  return y;
}

export function linearBackward(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, B: number, I: number, O: number) {
  const dx = matmul64(dy, w, B, O, I);
  const dw = matmul64(dy, x, O, B, I, true, false);
  const db = new Float64Array(O);
  for (let r = 0; r < B; r++) for (let o = 0; o < O; o++) db[o]! += dy[r * O + o]!;
  return { dx, dw, db };
}
