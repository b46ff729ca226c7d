// Float64 batch normalisation over x viewed as [N, C, inner] (inner = H·W, 1 for [N, C]),
// forward (training with the running-average update, evaluation) and backward, PyTorch
// semantics. Pure functions: the running statistics come back as new arrays.
export interface BatchNormDims {
  N: number;
  C: number;
  /** H·W; 1 for [N, C] inputs. */
  inner: number;
}

export interface BatchNormHyper {
  momentum: number;
  eps: number;
}

export const DEFAULT_HYPER: BatchNormHyper = { momentum: 0.1, eps: 1e-5 };

export function batchNormDims(shape: readonly number[]): BatchNormDims {
  const [N = 0, C = 0, H = 1, W = 1] = shape;
  return { N, C, inner: H * W };
}

/** Flat indices of channel c's N·inner values. */
function channelIndices(d: BatchNormDims, c: number): number[] {
  const indices: number[] = [];
  for (let n = 0; n < d.N; n++) for (let i = 0; i < d.inner; i++) indices.push((n * d.C + c) * d.inner + i);
  return indices;
}

/** Per-channel mean and biased variance (two passes). */
export function channelMoments(x: ArrayLike<number>, d: BatchNormDims): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(d.C);
  const variance = new Float64Array(d.C);
  for (let c = 0; c < d.C; c++) {
    const indices = channelIndices(d, c);
    mean[c] = indices.reduce((s, i) => s + x[i]!, 0) / indices.length;
    variance[c] = indices.reduce((s, i) => s + (x[i]! - mean[c]!) ** 2, 0) / indices.length;
  }
  return { mean, variance };
}

/** y = γ·(x − mean)·invStd + β with per-channel mean and invStd. */
function normalize(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  mean: ArrayLike<number>,
  invStd: ArrayLike<number>,
  d: BatchNormDims,
): Float64Array {
  return Float64Array.from(x, (v, i) => {
    const c = Math.floor(i / d.inner) % d.C;
    return gamma[c]! * (v - mean[c]!) * invStd[c]! + beta[c]!;
  });
}

export interface TrainForward {
  y: Float64Array;
  mean: Float64Array;
  invStd: Float64Array;
  runningMean: Float64Array;
  runningVar: Float64Array;
}

export function batchNormTrainForward(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  d: BatchNormDims,
  { momentum, eps }: BatchNormHyper = DEFAULT_HYPER,
): TrainForward {
  const { mean, variance } = channelMoments(x, d);
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const count = d.N * d.inner;
  return {
    y: normalize(x, gamma, beta, mean, invStd, d),
    mean,
    invStd,
    runningMean: Float64Array.from(runningMean, (r, c) => (1 - momentum) * r + momentum * mean[c]!),
    runningVar: Float64Array.from(runningVar, (r, c) => (1 - momentum) * r + momentum * variance[c]! * (count / (count - 1))),
  };
}

export function batchNormEvalForward(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  d: BatchNormDims,
  eps = DEFAULT_HYPER.eps,
): Float64Array {
  const invStd = Float64Array.from(runningVar, (v) => 1 / Math.sqrt(v + eps));
  return normalize(x, gamma, beta, runningMean, invStd, d);
}

/** dγ = Σdy·x̂, dβ = Σdy, dx = γ·invStd/count·(count·dy − dβ − x̂·dγ). */
export function batchNormBackward(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  mean: ArrayLike<number>,
  invStd: ArrayLike<number>,
  d: BatchNormDims,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(d.C);
  const dbeta = new Float64Array(d.C);
  const count = d.N * d.inner;
  for (let c = 0; c < d.C; c++) {
    const indices = channelIndices(d, c);
    const xhat = (i: number) => (x[i]! - mean[c]!) * invStd[c]!;
    for (const i of indices) {
      dgamma[c]! += dy[i]! * xhat(i);
      dbeta[c]! += dy[i]!;
    }
    for (const i of indices) dx[i] = ((gamma[c]! * invStd[c]!) / count) * (count * dy[i]! - dbeta[c]! - xhat(i) * dgamma[c]!);
  }
  return { dx, dgamma, dbeta };
}
