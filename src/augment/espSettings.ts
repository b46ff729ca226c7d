// ESP's hyperparameters (ALGORITHMS.md §1.1–1.5): checked once, completed with the defaults
// (σ = τ/2, ξ from γ in closed form) and turned into the two functions a batch needs — the
// size distribution and the label mass s(k), with the corrected λ = ln(C / (1 + ξC)) / τ.

import { checkInteger, checkNumber, fail, ValidationError } from '../validate.ts';

export interface EspOptions {
  /** Mean perturbation L2 norm ε ≥ 0, in the [0, 1] pixel domain; smoothing starts here. */
  epsilon: number;
  /** Half-width τ > 0 of the size interval [ε − τ, ε + τ]; default ε (the paper's τ ≈ ε). */
  tau?: number;
  /** Standard deviation σ > 0 of the size before truncation; default τ/2. */
  sigma?: number;
  /** Smoothing floor ξ in (0, 1 − 1/C): s(ε + τ) = 1/C + ξ. Give ξ or γ, not both. */
  xi?: number;
  /** True-label mass over each other label's at maximum smoothing, γ > 1 (default 10). */
  gamma?: number;
  /** false: truncated-Gaussian sizes with hard labels (the paper's ablation). Default true. */
  smoothing?: boolean;
  /** Chance of perturbing each sample, in [0, 1]; default 1. */
  probability?: number;
}

export interface EspSettings {
  epsilon: number;
  tau: number;
  sigma: number;
  /** Truncation bounds: [max(0, ε − τ), ε + τ] (a negative size would only flip the direction). */
  lo: number;
  hi: number;
  /** 0 when smoothing is off: labels stay hard. */
  xi: number;
  lambda: number;
  smoothing: boolean;
  probability: number;
  classes: number;
}

export const DEFAULT_GAMMA = 10;

/** ξ(γ, C) = γ/(C + γ − 1) − 1/C (§1.4): the floor at which the true label has γ times each other's mass. */
export function xiFromGamma(gamma: number, classes: number): number {
  return ((gamma - 1) * (classes - 1)) / (classes * (classes + gamma - 1));
}

const where = 'ESP settings';

/** Checks every setting and fills in the defaults; errors name the setting and its allowed range. */
export function resolveEspSettings(options: EspOptions, classes: number): EspSettings {
  checkInteger(where, 'classes (C)', classes, { min: 2 });
  const { epsilon, smoothing = true, probability = 1 } = options;
  checkNumber(where, 'epsilon (ε)', epsilon, { min: 0 });
  const tau = options.tau ?? epsilon;
  if (!(tau > 0 && Number.isFinite(tau))) fail(where, 'tau (τ)', 'a number > 0 (with ε = 0 give τ explicitly)', tau);
  if (!Number.isFinite(epsilon + tau)) fail(where, 'epsilon + tau (ε + τ), the largest size', 'a finite number', epsilon + tau);
  const sigma = options.sigma ?? tau / 2;
  checkNumber(where, 'sigma (σ)', sigma, { above: 0 });
  checkNumber(where, 'probability', probability, { min: 0, max: 1 });
  const xi = smoothing ? resolveXi(options, classes) : 0;
  const lambda = smoothing ? Math.log(classes / (1 + xi * classes)) / tau : 0;
  return { epsilon, tau, sigma, lo: Math.max(0, epsilon - tau), hi: epsilon + tau, xi, lambda, smoothing, probability, classes };
}

function resolveXi(options: EspOptions, classes: number): number {
  const ceiling = 1 - 1 / classes;
  if (options.xi !== undefined) {
    if (options.gamma !== undefined) throw new ValidationError(`${where}: xi (ξ) and gamma (γ) are alternatives: give one, not both`);
    if (!(options.xi > 0 && options.xi < ceiling)) fail(where, 'xi (ξ)', `a number in (0, 1 − 1/C) = (0, ${ceiling}) for C = ${classes}`, options.xi);
    return options.xi;
  }
  const gamma = options.gamma ?? DEFAULT_GAMMA;
  checkNumber(where, 'gamma (γ)', gamma, { above: 1 });
  return xiFromGamma(gamma, classes);
}

/** The true label's mass s(k): 1 below ε, exp(−λ(k − ε)) from ε on; never below 1/C + ξ since k ≤ ε + τ. */
export function trueLabelMass(settings: Pick<EspSettings, 'epsilon' | 'lambda'>, k: number): number {
  return k < settings.epsilon ? 1 : Math.exp(-settings.lambda * (k - settings.epsilon));
}

/** The size k's density: the normal N(ε, σ²) on [lo, hi], 0 outside, without its normalising constant. */
export function sizeDensity(settings: Pick<EspSettings, 'epsilon' | 'sigma' | 'lo' | 'hi'>, k: number): number {
  if (k < settings.lo || k > settings.hi) return 0;
  const z = (k - settings.epsilon) / settings.sigma;
  return Math.exp(-0.5 * z * z);
}

/**
 * E[s(k)]: the true label's mean mass over ESP's draws (unperturbed samples keep 1), by
 * Simpson's rule over the truncated normal. The static label smoothing with the same mean mass
 * is α = (1 − E[s]) / (1 − 1/C) (labelSmoothing.ts: s' = 1 − α + α/C).
 */
export function meanTrueLabelMass(settings: EspSettings): number {
  const { lo, hi, probability } = settings;
  const intervals = 2000;
  const h = (hi - lo) / intervals;
  let mass = 0;
  let weighted = 0;
  for (let i = 0; i <= intervals; i++) {
    // Clamped: rounding must not put the last node past hi, where the density is 0.
    const k = Math.min(hi, lo + i * h);
    const simpson = i === 0 || i === intervals ? 1 : i % 2 ? 4 : 2;
    const density = simpson * sizeDensity(settings, k);
    mass += density;
    weighted += density * trueLabelMass(settings, k);
  }
  return probability * (weighted / mass) + (1 - probability);
}
