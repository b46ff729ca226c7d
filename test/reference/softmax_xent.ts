// Float64 softmax cross-entropy with probability targets, forward and backward, over
// logits and targets of shape [B, C] stored row-major.

/** log softmax of one row, max-subtracted so large logits do not overflow. */
function logSoftmaxRow(z: ArrayLike<number>, base: number, classes: number): Float64Array {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, z[base + c]!);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(z[base + c]! - max);
  const logSum = Math.log(sum);
  return Float64Array.from({ length: classes }, (_, c) => z[base + c]! - max - logSum);
}

/** First index of the largest value in row `base .. base + classes`. */
export function argmaxRow(x: ArrayLike<number>, base: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (x[base + c]! > x[base + best]!) best = c;
  return best;
}

/** Mean over rows of −Σ_c t_c·log softmax(z)_c. */
export function softmaxXentForward(z: ArrayLike<number>, t: ArrayLike<number>, rows: number, classes: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const logP = logSoftmaxRow(z, r * classes, classes);
    for (let c = 0; c < classes; c++) total -= t[r * classes + c]! * logP[c]!;
  }
  return total / rows;
}

/** d loss / d z = (softmax(z) − t) / B, exact when every target row sums to 1. */
export function softmaxXentBackward(z: ArrayLike<number>, t: ArrayLike<number>, rows: number, classes: number): Float64Array {
  const dz = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const logP = logSoftmaxRow(z, r * classes, classes);
    for (let c = 0; c < classes; c++) dz[r * classes + c] = (Math.exp(logP[c]!) - t[r * classes + c]!) / rows;
  }
  return dz;
}

/** Rows where argmax(z) == argmax(t), first index on ties. */
export function softmaxXentCorrect(z: ArrayLike<number>, t: ArrayLike<number>, rows: number, classes: number): number {
  let correct = 0;
  for (let r = 0; r < rows; r++) if (argmaxRow(z, r * classes, classes) === argmaxRow(t, r * classes, classes)) correct++;
  return correct;
}
