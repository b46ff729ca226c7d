// Float64 Jensen–Shannon consistency loss of AugMix (ALGORITHMS.md §6.3), forward and backward,
// over logits z [3B, C] stored row-major: rows 0..B−1 the clean view, B..2B−1 and 2B..3B−1 the
// two AugMix views of the same samples.
//
// Per sample, with p_v = softmax of view v and M = clamp((p_0 + p_1 + p_2)/3, 1e−7, 1):
//   JS = (1/3) Σ_v Σ_j p_vj (ln p_vj − ln M_j),   loss = weight · mean over samples of JS.
// Treating the three p_v as free, ∂JS/∂p_vj = (1/3)(ln p_vj − ln M_j + 1) − (1/3)(Σ_u p_uj / M_j)·∂M_j/∂p_vj.
// Unclamped, ∂M_j/∂p_vj = 1/3 and Σ_u p_uj = 3M_j, so the last term is 1/3; clamped, M_j is
// constant and it is 0. Hence g_vj = (1/3)(ln p_vj − ln M_j + [M_j clamped]), and the softmax
// backward gives ∂JS/∂z_vk = p_vk (g_vk − Σ_j p_vj g_vj).

/** The lower clamp of the mixture M, as in AugMix's cifar.py. */
export const MIXTURE_MIN = 1e-7;

/** log softmax of one row, max-subtracted so large logits do not overflow. */
function logSoftmaxRow(z: ArrayLike<number>, base: number, classes: number): Float64Array {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, z[base + c]!);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(z[base + c]! - max);
  const logSum = Math.log(sum);
  return Float64Array.from({ length: classes }, (_, c) => z[base + c]! - max - logSum);
}

/** ln p of the three views of sample i: [clean, aug1, aug2]. */
function viewLogProbs(z: ArrayLike<number>, samples: number, classes: number, i: number): Float64Array[] {
  return [0, 1, 2].map((v) => logSoftmaxRow(z, (v * samples + i) * classes, classes));
}

/** (p_0 + p_1 + p_2)/3 before the clamp, [B, C]: tests use it to keep inputs off the clamp boundary. */
export function jsdMixture(z: ArrayLike<number>, samples: number, classes: number): Float64Array {
  const mixture = new Float64Array(samples * classes);
  for (let i = 0; i < samples; i++) {
    const logP = viewLogProbs(z, samples, classes, i);
    for (let j = 0; j < classes; j++) mixture[i * classes + j] = logP.reduce((s, lp) => s + Math.exp(lp[j]!), 0) / 3;
  }
  return mixture;
}

function clampMixture(m: number): number {
  return Math.min(Math.max(m, MIXTURE_MIN), 1);
}

/** JS(p_clean, p_aug1, p_aug2) of each sample, unweighted, [B]. Terms with p = 0 contribute 0. */
export function jsdPerSample(z: ArrayLike<number>, samples: number, classes: number): Float64Array {
  const mixture = jsdMixture(z, samples, classes);
  const js = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const logP = viewLogProbs(z, samples, classes, i);
    let sum = 0;
    for (let j = 0; j < classes; j++) {
      const logM = Math.log(clampMixture(mixture[i * classes + j]!));
      // p = exp(ln p) may underflow to 0 while ln p stays finite, so the term is 0, never NaN.
      for (const lp of logP) sum += Math.exp(lp[j]!) * (lp[j]! - logM);
    }
    js[i] = sum / 3;
  }
  return js;
}

/** weight · mean over the batch of JS. */
export function jsdForward(z: ArrayLike<number>, samples: number, classes: number, weight: number): number {
  return (weight * jsdPerSample(z, samples, classes).reduce((s, v) => s + v, 0)) / samples;
}

/** d loss / d z, [3B, C]: exact for the clamped mixture (zero derivative where the clamp is active). */
export function jsdBackward(z: ArrayLike<number>, samples: number, classes: number, weight: number): Float64Array {
  const mixture = jsdMixture(z, samples, classes);
  const dz = new Float64Array(3 * samples * classes);
  const scale = weight / samples;
  for (let i = 0; i < samples; i++) {
    const logP = viewLogProbs(z, samples, classes, i);
    logP.forEach((lp, v) => {
      const g = new Float64Array(classes);
      let pDotG = 0;
      for (let j = 0; j < classes; j++) {
        const raw = mixture[i * classes + j]!;
        const m = clampMixture(raw);
        g[j] = (lp[j]! - Math.log(m) + (m === raw ? 0 : 1)) / 3;
        pDotG += Math.exp(lp[j]!) * g[j]!;
      }
      const base = (v * samples + i) * classes;
      for (let j = 0; j < classes; j++) dz[base + j] = scale * Math.exp(lp[j]!) * (g[j]! - pDotG);
    });
  }
  return dz;
}
