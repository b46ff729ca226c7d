// Exact distributions and goodness-of-fit statistics for the tests of random draws.

export const normalPdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** Φ by Marsaglia's series ½ + φ(x)·Σ x^(2n+1)/(2n+1)!!: independent of the module's erfc. */
export function normalCdf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (x * x) / (2 * n + 1);
    sum += term;
  }
  return 0.5 + normalPdf(x) * sum;
}

/** The exact CDF, mean and variance of N(mu, sigma²) truncated to [lo, hi]. */
export function truncatedNormal(mu: number, sigma: number, lo: number, hi: number) {
  const alpha = (lo - mu) / sigma;
  const beta = (hi - mu) / sigma;
  const mass = normalCdf(beta) - normalCdf(alpha);
  const ratio = (normalPdf(alpha) - normalPdf(beta)) / mass;
  return {
    cdf: (k: number) => Math.min(1, Math.max(0, (normalCdf((k - mu) / sigma) - normalCdf(alpha)) / mass)),
    mean: mu + sigma * ratio,
    variance: sigma * sigma * (1 + (alpha * normalPdf(alpha) - beta * normalPdf(beta)) / mass - ratio * ratio),
  };
}

export function ksStatistic(samples: Float64Array, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  });
  return d;
}

export function sampleMoments(samples: Float64Array) {
  const n = samples.length;
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  const central = (power: number) => samples.reduce((s, x) => s + (x - mean) ** power, 0) / n;
  const variance = central(2);
  return { mean, variance, meanError: Math.sqrt(variance / n), varianceError: Math.sqrt((central(4) - variance ** 2) / n) };
}

/** Kolmogorov's asymptotic critical value of the one-sample KS statistic at level alpha. */
export function ksCritical(n: number, alpha = 0.01): number {
  return Math.sqrt(-0.5 * Math.log(alpha / 2)) / Math.sqrt(n);
}
