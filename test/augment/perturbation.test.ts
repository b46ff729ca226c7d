import { beforeAll, describe, expect, it } from 'vitest';
import { trueLabelMass } from '../../src/augment/espSettings.ts';
import { smoothedMass } from '../../src/augment/labelSmoothing.ts';
import { EspPerturbation, L2NoisePerturbation, NoPerturbation } from '../../src/augment/perturbation.ts';
import { loadRng, type Rng } from '../../src/rng/wasm.ts';
import { ksCritical, ksStatistic, truncatedNormal } from '../helpers/statistics.ts';

let rng: Rng;
beforeAll(async () => {
  rng = await loadRng();
});

const draw = { seed: 11, step: 5, batch: 5000 };

describe('ESP perturbation plans', () => {
  it('sizes follow TN(ε, τ/2) on [0, 2ε] by KS; masses are s(k); about half the labels stay hard', () => {
    const esp = new EspPerturbation({ epsilon: 1.5, gamma: 20 }, 10);
    const { sizes, masses } = esp.draw(rng, draw);
    const exact = truncatedNormal(1.5, 0.75, 0, 3);
    expect(ksStatistic(sizes, exact.cdf)).toBeLessThan(ksCritical(sizes.length));
    sizes.forEach((k, i) => expect(masses[i]).toBe(trueLabelMass(esp.settings, k)));
    const hard = masses.filter((s) => s === 1).length / masses.length;
    // Symmetric about ε: P(k < ε) = ½; binomial sd at n = 5000 is 0.0071.
    expect(Math.abs(hard - 0.5)).toBeLessThan(4 * 0.0071);
    expect(Math.min(...masses)).toBeGreaterThanOrEqual(esp.settings.xi + 0.1 - 1e-12);
  });

  it('the smoothing ablation draws the same sizes with hard labels', () => {
    const withSmoothing = new EspPerturbation({ epsilon: 1 }, 10).draw(rng, draw);
    const hard = new EspPerturbation({ epsilon: 1, smoothing: false }, 10);
    expect(hard.name).toBe('esp-hard');
    const plan = hard.draw(rng, draw);
    expect(Array.from(plan.sizes)).toEqual(Array.from(withSmoothing.sizes));
    expect(plan.masses.every((s) => s === 1)).toBe(true);
  });

  it('probability p leaves the other samples unperturbed with hard labels', () => {
    const plan = new EspPerturbation({ epsilon: 2, probability: 0.25 }, 10).draw(rng, draw);
    const perturbed = plan.sizes.filter((k) => k > 0).length / plan.sizes.length;
    expect(Math.abs(perturbed - 0.25)).toBeLessThan(4 * Math.sqrt(0.25 * 0.75 / draw.batch));
    plan.sizes.forEach((k, i) => k === 0 && expect(plan.masses[i]).toBe(1));
  });
});

describe('L2 noise and plain plans', () => {
  it('L2 noise: every size is ε, every label hard', () => {
    const plan = new L2NoisePerturbation({ epsilon: 0.75 }).draw(rng, draw);
    expect(plan.sizes.every((k) => k === 0.75) && plan.masses.every((s) => s === 1)).toBe(true);
  });

  it('plain training: sizes 0, hard labels', () => {
    const plan = new NoPerturbation().draw(rng, { ...draw, batch: 7 });
    expect(Array.from(plan.sizes)).toEqual(new Array(7).fill(0));
    expect(Array.from(plan.masses)).toEqual(new Array(7).fill(1));
  });

  it('rejects a bad radius or probability, naming it', () => {
    expect(() => new L2NoisePerturbation({ epsilon: 0 })).toThrow(/L2 noise settings: epsilon \(ε\) must be a number > 0, got 0/);
    expect(() => new L2NoisePerturbation({ epsilon: 1, probability: -0.1 })).toThrow(/L2 noise settings: probability must be a number in \[0, 1\], got -0.1/);
  });
});

describe('static label smoothing', () => {
  it('(1 − α)·onehot + α/C, and composing with a soft row stays in the kernel’s (s, (1 − s)/(C − 1)) family', () => {
    expect(smoothedMass(1, 0.1, 10)).toBeCloseTo(0.91, 15);
    const s = 0.7;
    const alpha = 0.2;
    const C = 5;
    const row = [s, ...new Array(C - 1).fill((1 - s) / (C - 1))].map((v) => (1 - alpha) * v + alpha / C);
    const t = smoothedMass(s, alpha, C);
    expect(row[0]).toBeCloseTo(t, 15);
    for (const other of row.slice(1)) expect(other).toBeCloseTo((1 - t) / (C - 1), 15);
  });
});
