import { describe, expect, it } from 'vitest';
import { meanTrueLabelMass, resolveEspSettings, trueLabelMass, xiFromGamma } from '../../src/augment/espSettings.ts';
import { normalCdf } from '../helpers/statistics.ts';

describe('ESP settings (ALGORITHMS.md §1.3–1.5, §1.9)', () => {
  it('ξ from γ reproduces the §1.4 table and its floor/λτ columns', () => {
    const table: [number, number, number, number][] = [
      // C, γ, ξ, λ·τ
      [10, 10, 0.42632, 0.64185],
      [10, 20, 0.58966, 0.37156],
      [100, 20, 0.15807, 1.78339],
      [100, 50, 0.32557, 1.09192],
      [100, 100, 0.49251, 0.6881],
      [200, 200, 0.49625, 0.69065],
    ];
    for (const [classes, gamma, xi, lambdaTau] of table) {
      expect(xiFromGamma(gamma, classes)).toBeCloseTo(xi, 5);
      const s = resolveEspSettings({ epsilon: 1, tau: 1, gamma }, classes);
      // The table prints 0.68810 for C = γ = 100 where ln(199/100) = 0.688135: compare to 4 places.
      expect(s.lambda * s.tau).toBeCloseTo(lambdaTau, 4);
      expect(s.lambda * s.tau).toBeCloseTo(Math.log((classes + gamma - 1) / gamma), 12);
    }
  });

  it('passes the f64 test vectors of §1.9', () => {
    const ten = resolveEspSettings({ epsilon: 1, tau: 1, gamma: 10 }, 10);
    expect(ten.xi).toBeCloseTo(0.4263157894736842, 15);
    expect(ten.lambda).toBeCloseTo(0.6418538861723947, 14);
    expect(trueLabelMass(ten, 1.0)).toBe(1);
    expect(trueLabelMass(ten, 1.5)).toBeCloseTo(0.7254762501100117, 14);
    expect(trueLabelMass(ten, 2.0)).toBeCloseTo(0.5263157894736843, 14);
    const hundred = resolveEspSettings({ epsilon: 1, tau: 1, gamma: 50 }, 100);
    expect(hundred.xi).toBeCloseTo(0.3255704697986577, 15);
    expect(hundred.lambda).toBeCloseTo(1.091923300517313, 14);
    expect(trueLabelMass(hundred, 1.5)).toBeCloseTo(0.5792844463634923, 14);
    expect(trueLabelMass(hundred, 2.0)).toBeCloseTo(0.33557046979865773, 14);
  });

  it('defaults: τ = ε, σ = τ/2, γ = 10, bounds [max(0, ε − τ), ε + τ]; below ε the label stays hard', () => {
    const s = resolveEspSettings({ epsilon: 2 }, 10);
    expect([s.tau, s.sigma, s.lo, s.hi, s.probability]).toEqual([2, 1, 0, 4, 1]);
    expect(s.xi).toBeCloseTo(xiFromGamma(10, 10), 15);
    expect(trueLabelMass(s, 1.999)).toBe(1);
    expect(resolveEspSettings({ epsilon: 1, tau: 3 }, 10).lo).toBe(0);
    expect(resolveEspSettings({ epsilon: 3, tau: 1 }, 10).lo).toBe(2);
  });

  it('the label never falls below 1/C + ξ on [ε − τ, ε + τ] and is non-increasing', () => {
    const s = resolveEspSettings({ epsilon: 1.5, tau: 1.5, xi: 0.3 }, 10);
    let previous = Infinity;
    for (let k = s.lo; k <= s.hi + 1e-12; k += 0.01) {
      const mass = trueLabelMass(s, k);
      expect(mass).toBeLessThanOrEqual(previous);
      expect(mass).toBeGreaterThanOrEqual(0.1 + 0.3 - 1e-12);
      previous = mass;
    }
    expect(trueLabelMass(s, s.hi)).toBeCloseTo(0.4, 14);
  });

  it('without smoothing λ = 0, so every size keeps a hard label', () => {
    const s = resolveEspSettings({ epsilon: 1, smoothing: false }, 10);
    expect(s.lambda).toBe(0);
    expect(trueLabelMass(s, 2)).toBe(1);
  });

  it('rejects invalid settings, naming the setting and the allowed range', () => {
    const bad = (options: Parameters<typeof resolveEspSettings>[0], classes = 10) => () => resolveEspSettings(options, classes);
    expect(bad({ epsilon: 1, xi: 0.9 })).toThrow(/ESP settings: xi \(ξ\) must be a number in \(0, 1 − 1\/C\) = \(0, 0.9\) for C = 10, got 0.9/);
    expect(bad({ epsilon: 1, xi: 0 })).toThrow(/xi \(ξ\) must be a number in \(0, 1 − 1\/C\)/);
    expect(bad({ epsilon: 1, tau: 0 })).toThrow(/ESP settings: tau \(τ\) must be a number > 0/);
    expect(bad({ epsilon: 0 })).toThrow(/tau \(τ\) must be a number > 0 \(with ε = 0 give τ explicitly\), got 0/);
    expect(bad({ epsilon: -1 })).toThrow(/ESP settings: epsilon \(ε\) must be a number ≥ 0, got -1/);
    expect(bad({ epsilon: 1 }, 1)).toThrow(/ESP settings: classes \(C\) must be an integer ≥ 2, got 1/);
    expect(bad({ epsilon: 1, gamma: 1 })).toThrow(/ESP settings: gamma \(γ\) must be a number > 1, got 1/);
    expect(bad({ epsilon: 1, gamma: 10, xi: 0.4 })).toThrow(/xi \(ξ\) and gamma \(γ\) are alternatives/);
    expect(bad({ epsilon: 1, sigma: -0.5 })).toThrow(/ESP settings: sigma \(σ\) must be a number > 0, got -0.5/);
    expect(bad({ epsilon: 1, probability: 1.2 })).toThrow(/ESP settings: probability must be a number in \[0, 1\], got 1.2/);
  });

  it('averages the true label mass over the sizes as the closed form of the truncated normal does', () => {
    // E[s] = [Φ(0) − Φ(α) + e^{λ²σ²/2}(Φ(β + λσ) − Φ(λσ))] / (Φ(β) − Φ(α)), α = (lo − ε)/σ, β = τ/σ:
    // the exponential times the Gaussian above ε is a shifted Gaussian.
    for (const [options, classes] of [[{ epsilon: 1.5, gamma: 10 }, 10], [{ epsilon: 2, tau: 1, gamma: 20 }, 10], [{ epsilon: 1, gamma: 2 }, 2]] as const) {
      const st = resolveEspSettings(options, classes);
      const a = (st.lo - st.epsilon) / st.sigma;
      const b = (st.hi - st.epsilon) / st.sigma;
      const ls = st.lambda * st.sigma;
      const closed = (normalCdf(0) - normalCdf(a) + Math.exp((ls * ls) / 2) * (normalCdf(b + ls) - normalCdf(ls))) / (normalCdf(b) - normalCdf(a));
      expect(meanTrueLabelMass(st)).toBeCloseTo(closed, 6);
      expect(closed).toBeGreaterThan(1 / classes + st.xi);
      expect(closed).toBeLessThan(1);
    }
    // Hard labels, and samples left unperturbed, keep the whole mass.
    expect(meanTrueLabelMass(resolveEspSettings({ epsilon: 1.5, smoothing: false }, 10))).toBe(1);
    const half = resolveEspSettings({ epsilon: 1.5, gamma: 10, probability: 0.5 }, 10);
    expect(meanTrueLabelMass(half)).toBeCloseTo(0.5 + 0.5 * meanTrueLabelMass({ ...half, probability: 1 }), 12);
  });
});
