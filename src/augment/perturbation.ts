// What each training sample gets from a perturbation method: an L2 size k (0: untouched) and
// the mass s its true label keeps. ESP, L2 noise and plain training differ only here; the
// fused kernel (kernels/esp.ts) turns any (k, s) plan into images and soft labels.
import type { Rng, SizeDrawOptions } from '../rng/wasm.ts';
import { checkNumber } from '../validate.ts';
import { resolveEspSettings, trueLabelMass, type EspOptions, type EspSettings } from './espSettings.ts';

export interface PerturbationPlan {
  /** Per sample: L2 size k ≥ 0. */
  sizes: Float64Array;
  /** Per sample: the true label's mass s in (1/C, 1]. */
  masses: Float64Array;
}

export interface Perturbation {
  readonly name: string;
  /** Sizes and masses for samples firstSample.. of one step, from Philox (seed, step, sample). */
  draw(rng: Rng, draw: Omit<SizeDrawOptions, 'probability'>): PerturbationPlan;
}

/** ESP (§1.2): truncated-Gaussian sizes and exponentially smoothed labels. */
export class EspPerturbation implements Perturbation {
  readonly settings: EspSettings;
  constructor(options: EspOptions, classes: number) {
    this.settings = resolveEspSettings(options, classes);
  }
  get name() {
    return this.settings.smoothing ? 'esp' : 'esp-hard';
  }
  draw(rng: Rng, draw: Omit<SizeDrawOptions, 'probability'>): PerturbationPlan {
    const { epsilon, sigma, lo, hi, probability } = this.settings;
    const sizes = rng.truncatedNormalSizes({ ...draw, mu: epsilon, sigma, lo, hi, probability });
    // Unperturbed samples (k = 0) keep hard labels whatever ε is.
    return { sizes, masses: sizes.map((k) => (k > 0 ? trueLabelMass(this.settings, k) : 1)) };
  }
}

export interface L2NoiseOptions {
  /** The fixed L2 radius ε > 0 in the [0, 1] pixel domain. */
  epsilon: number;
  /** Chance of perturbing each sample, in [0, 1]; default 1. */
  probability?: number;
}

/** The paper's L2 baseline: radius ε exactly, hard labels (ESP with τ → 0 and no smoothing, §1.2). */
export class L2NoisePerturbation implements Perturbation {
  readonly name = 'l2';
  readonly epsilon: number;
  readonly probability: number;
  constructor({ epsilon, probability = 1 }: L2NoiseOptions) {
    checkNumber('L2 noise settings', 'epsilon (ε)', epsilon, { above: 0 });
    checkNumber('L2 noise settings', 'probability', probability, { min: 0, max: 1 });
    this.epsilon = epsilon;
    this.probability = probability;
  }
  draw(rng: Rng, draw: Omit<SizeDrawOptions, 'probability'>): PerturbationPlan {
    const sizes = rng.fixedSizes({ ...draw, size: this.epsilon, probability: this.probability });
    return { sizes, masses: new Float64Array(sizes.length).fill(1) };
  }
}

/** Plain training: images as they are, hard labels. */
export class NoPerturbation implements Perturbation {
  readonly name = 'none';
  draw(_rng: Rng, draw: Omit<SizeDrawOptions, 'probability'>): PerturbationPlan {
    return { sizes: new Float64Array(draw.batch), masses: new Float64Array(draw.batch).fill(1) };
  }
}
