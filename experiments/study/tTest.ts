// The two-sided p-value of a paired t-test: t = mean / (std / √n) with n − 1 degrees of
// freedom, p = P(|T| ≥ |t|) = I_{df/(df + t²)}(df/2, ½), the regularised incomplete beta
// function, evaluated by its continued fraction (Lentz's method) after the symmetry
// I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction of I_x(a, b), good for x < (a + 1)/(a + b + 2). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let f = d;
  for (let m = 1; m <= 300; m++) {
    for (const numerator of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + numerator * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + numerator / c;
      if (Math.abs(c) < tiny) c = tiny;
      f *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-15) break;
  }
  return f;
}

/** The regularised incomplete beta function I_x(a, b), 0 ≤ x ≤ 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** Two-sided p-value of Student's t with `df` degrees of freedom. */
export function twoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? Number.NaN : 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The mean and the sample standard deviation (n − 1 in the denominator; NaN for one value). */
export function meanStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, std, n };
}

/** The paired t-test of per-seed differences: their mean against 0. NaN with fewer than two. */
export function pairedTTestP(differences: readonly number[]): number {
  const n = differences.length;
  if (n < 2) return Number.NaN;
  const { mean, std } = meanStd(differences);
  if (std === 0) return mean === 0 ? 1 : 0;
  return twoSidedP(mean / (std / Math.sqrt(n)), n - 1);
}

/** P(T ≥ t) for Student's t with `df` degrees of freedom. */
export function upperTailP(t: number, df: number): number {
  const twoSided = twoSidedP(t, df);
  return t >= 0 ? twoSided / 2 : 1 - twoSided / 2;
}

/**
 * The equivalence test (Schuirmann's two one-sided tests) of per-seed differences against the
 * margin ±`margin`: the larger of the p-values of "mean ≤ −margin" and "mean ≥ +margin". Below
 * alpha exactly when the 1 − 2·alpha interval of the mean lies inside the margin: evidence that
 * the two differ by less than it, which a p-value of the difference test alone cannot give.
 * NaN with fewer than two.
 */
export function equivalenceP(differences: readonly number[], margin: number): number {
  const n = differences.length;
  if (n < 2) return Number.NaN;
  if (!(margin > 0)) throw new Error(`equivalenceP: the margin must be > 0, got ${margin}`);
  const { mean, std } = meanStd(differences);
  if (std === 0) return Math.abs(mean) < margin ? 0 : 1;
  const standardError = std / Math.sqrt(n);
  const aboveLower = upperTailP((mean + margin) / standardError, n - 1);
  const belowUpper = upperTailP((margin - mean) / standardError, n - 1);
  return Math.max(aboveLower, belowUpper);
}

/** The two-sided critical value: the t with P(|T| ≥ t) = alpha at `df` degrees of freedom (bisection on twoSidedP). */
export function tCritical(df: number, alpha = 0.05): number {
  if (!(df > 0)) throw new Error(`tCritical: degrees of freedom must be > 0, got ${df}`);
  let [lo, hi] = [0, 1e4];
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (twoSidedP(mid, df) > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Φ(x), the standard normal CDF, from erfc's Chebyshev fit (Numerical Recipes; relative error < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/**
 * The power of the two-sided paired t-test at level alpha with n pairs whose differences have
 * mean `effect` and standard deviation `std`: P(|T′| ≥ t_crit), T′ noncentral t with n − 1
 * degrees of freedom and noncentrality effect·√n / std. Exact up to quadrature: T′ = (Z + λ) /
 * (W / √df) with W chi-distributed, so the power is Φ(λ − c·W/√df) + Φ(−λ − c·W/√df) averaged
 * over W's density (Simpson's rule; that density is smooth for every df ≥ 1, unlike χ²'s at 0).
 */
export function pairedTPower(n: number, effect: number, std: number, alpha = 0.05): number {
  const df = n - 1;
  if (!Number.isInteger(n) || n < 2) throw new Error(`pairedTPower: n must be an integer ≥ 2, got ${n}`);
  const lambda = (Math.abs(effect) * Math.sqrt(n)) / std;
  const c = tCritical(df, alpha);
  const logNorm = (df / 2 - 1) * Math.log(2) + logGamma(df / 2);
  const chiDensity = (w: number) => (w <= 0 ? (df === 1 ? Math.sqrt(2 / Math.PI) : 0) : Math.exp((df - 1) * Math.log(w) - (w * w) / 2 - logNorm));
  const rejects = (w: number) => normalCdf(lambda - (c * w) / Math.sqrt(df)) + normalCdf(-lambda - (c * w) / Math.sqrt(df));
  const steps = 2000;
  const top = Math.sqrt(df) + 12;
  const h = top / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const weight = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
    sum += weight * chiDensity(i * h) * rejects(i * h);
  }
  return (sum * h) / 3;
}

/** The fewest pairs (2 … max) whose paired t-test reaches `power` against `effect`; undefined beyond max. */
export function pairsForPower(effect: number, std: number, power = 0.8, alpha = 0.05, max = 200): number | undefined {
  for (let n = 2; n <= max; n++) if (pairedTPower(n, effect, std, alpha) >= power) return n;
  return undefined;
}
