// Poisson draws for large means by Hörmann's transformed rejection with squeeze, PTRS
// (W. Hörmann, "The transformed rejection method for generating Poisson random variables",
// Insurance: Mathematics and Economics 12 (1993) 39–45). It is exact: every accepted k has
// probability e^-μ μ^k / k!, up to float64 rounding in the acceptance test. Each try takes two
// uniforms and accepts with probability above 0.85 for μ ≥ 10 (most tries pass the cheap squeeze),
// so the number of draws is unbounded in principle but geometric with a small mean.

import { logFactorial } from './logFactorial.ts';

/** The method's constants are fitted for μ ≥ 10. */
export const PTRS_MIN_MEAN = 10;

export function poissonPtrs(mean: number, uniform: () => number): number {
  if (!(mean >= PTRS_MIN_MEAN && Number.isFinite(mean))) throw new Error(`poissonPtrs needs a finite mean ≥ ${PTRS_MIN_MEAN}, got ${mean}`);
  const sqrtMean = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * sqrtMean;
  const a = -0.059 + 0.02483 * b;
  const inverseAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const squeezeLimit = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = uniform() - 0.5;
    const v = uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= squeezeLimit) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log((v * inverseAlpha) / (a / (us * us) + b)) <= -mean + k * logMean - logFactorial(k)) return k;
  }
}
