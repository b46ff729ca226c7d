// Theorem 1's toy (experiments/theorem1/): the closed-form posterior checked against a Monte
// Carlo simulation of the perturbed data, the flip imbalances n' and n against the posterior
// and against the theorem's inequality, and the script in miniature on the device.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveEspSettings } from '../../src/augment/espSettings.ts';
import { ESP, imbalancedClusters, parseTheorem1Args, runTheorem1, theoremCheck } from '../../experiments/theorem1/imbalance.ts';
import { firstCrossing, flipImbalance, secondLabelPosterior, type Cluster, type Vec2 } from '../../experiments/theorem1/posterior.ts';
import { TestRandom } from '../helpers/random.ts';
import { useTrainer } from '../helpers/trainer.ts';

const hard = resolveEspSettings({ ...ESP, smoothing: false }, 2);
const esp = resolveEspSettings(ESP, 2);
const minority: Vec2 = [0, 0];
const majority: Vec2 = [2, 0];
const clusters = (n: number): Cluster[] => [{ centre: minority, count: 1, label: 0 }, { centre: majority, count: n, label: 1 }];

/**
 * The mean second-label mass of simulated perturbed points landing within h of x: draw a
 * cluster by its count, a size k ~ TN(ε, σ, [lo, hi]) by rejection, a uniform angle, and the
 * label mass from ESP's s(k) written out here (1 below ε, exp(−λ(k − ε)) above).
 */
function simulatedPosterior(settings: typeof esp, n: number, x: Vec2, h: number, draws: number, random: TestRandom) {
  let sum = 0;
  let sumSquares = 0;
  let landed = 0;
  for (let i = 0; i < draws; i++) {
    const fromMajority = random.next() < n / (n + 1);
    const [cx, cy] = fromMajority ? majority : minority;
    let k: number;
    do k = settings.epsilon + settings.sigma * random.normal(); while (k < settings.lo || k > settings.hi);
    const angle = 2 * Math.PI * random.next();
    if (Math.hypot(cx + k * Math.cos(angle) - x[0], cy + k * Math.sin(angle) - x[1]) > h) continue;
    const s = k < settings.epsilon ? 1 : Math.exp(-settings.lambda * (k - settings.epsilon));
    const mass = fromMajority ? s : 1 - s;
    sum += mass;
    sumSquares += mass * mass;
    landed++;
  }
  const mean = sum / landed;
  return { mean, standardError: Math.sqrt(Math.max(sumSquares / landed - mean * mean, 1e-6) / landed), landed };
}

describe('theorem 1: the closed-form posterior', () => {
  // Between the clusters, near each, where only the minority reaches (-1.4, 0), and where both labels are smoothed.
  const places: Vec2[] = [[0.5, 0], [1, 0.3], [0.3, -0.4], [1.5, 0.2], [-1.4, 0], [0.9, 1.1]];
  for (const [name, settings] of [['hard labels', hard], ['ESP', esp]] as const) {
    it(`matches a simulation of the perturbed data with ${name} (N = 5, six places)`, () => {
      const random = new TestRandom(21);
      for (const x of places) {
        const predicted = secondLabelPosterior(settings, clusters(5), x);
        const simulated = simulatedPosterior(settings, 5, x, 0.05, 1_500_000, random);
        expect(simulated.landed).toBeGreaterThan(100);
        // Four standard errors, plus a little for the disc's width (the posterior's slope × h).
        expect(Math.abs(predicted - simulated.mean)).toBeLessThan(4 * simulated.standardError + 0.01);
      }
    });
  }

  it('is ½ at N = n(x) (or n′(x)): the flip imbalance and the posterior agree', () => {
    for (const settings of [hard, esp]) {
      for (const x of [[0.4, 0], [0.8, 0.5], [0.2, -0.3]] as Vec2[]) {
        const n = flipImbalance(settings, minority, majority, x);
        expect(n).toBeGreaterThan(1);
        expect(secondLabelPosterior(settings, clusters(n), x)).toBeCloseTo(0.5, 10);
        expect(secondLabelPosterior(settings, clusters(1.1 * n), x)).toBeGreaterThan(0.5);
      }
    }
  });

  it('holds the theorem n ≥ n′ where the point is no nearer the majority, strictly where only the majority is smoothed', () => {
    // r₁ = 0.6 < ε = 1 < r₂ = 1.4: s₁ = 1 > s₂, so n > n′.
    expect(flipImbalance(esp, minority, majority, [0.6, 0])).toBeGreaterThan(1.2 * flipImbalance(hard, minority, majority, [0.6, 0]));
    // Both radii below ε: no smoothing at either, n = n′.
    expect(flipImbalance(esp, minority, majority, [1, 0.5])).toBeCloseTo(flipImbalance(hard, minority, majority, [1, 0.5]), 12);
  });

  it('breaks the theorem only where the point is nearer the majority, where hard labels flip it below N = 1', () => {
    // r₁ = 1.5 > ε, r₂ = 0.5: the minority's label is smoothed and not the majority's, so n < n′.
    const x: Vec2 = [1.5, 0];
    const nPrime = flipImbalance(hard, minority, majority, x);
    expect(flipImbalance(esp, minority, majority, x)).toBeLessThan(nPrime);
    expect(nPrime).toBeLessThan(1);
    const check = theoremCheck(81);
    expect(check.compared).toBeGreaterThan(500);
    expect(check.holds).toBeLessThan(check.compared);
    expect(check.failsWhereNPrimeAtLeastOne).toBe(0);
  });

  it('finds where a profile first rises through ½, skipping places nothing reaches', () => {
    expect(firstCrossing([0, 1, 2, 3], [0.1, Number.NaN, 0.3, 0.7])).toBeCloseTo(2.5, 12);
    expect(firstCrossing([0, 1], [0.2, 0.4])).toBeNaN();
    expect(firstCrossing([0, 1], [0.6, 0.9])).toBe(0);
  });

  it('gives a training point its own label on itself, and NaN where nothing lands', () => {
    expect(secondLabelPosterior(esp, clusters(50), minority)).toBe(0);
    expect(secondLabelPosterior(esp, clusters(1), [10, 10])).toBeNaN();
  });

  it('draws a minority disc of a points and a majority disc of N·a, quantised to the byte grid', () => {
    const { points, labels } = imbalancedClusters(10, 3, 7);
    expect(labels.length).toBe(40);
    expect(labels.filter((l) => l === 0).length).toBe(10);
    for (let i = 0; i < 40; i++) {
      const centre = labels[i] === 0 ? minority : majority;
      expect(Math.hypot(points[2 * i]! - centre[0], points[2 * i + 1]! - centre[1])).toBeLessThan(0.25 + 0.03);
      // On the byte grid of the range [−3, 5]: (v + 3)·255/8 is an integer.
      expect(((points[2 * i]! + 3) * 255) / 8).toBeCloseTo(Math.round(((points[2 * i]! + 3) * 255) / 8), 3);
    }
  });

  it('refuses bad arguments, naming them', () => {
    expect(() => parseTheorem1Args(['--seeds', '0,x'])).toThrow(/--seeds/);
    expect(() => parseTheorem1Args(['--steps', '1.5'])).toThrow(/--steps/);
    expect(parseTheorem1Args([])).toEqual({ out: 'experiments/results/theorem1', seeds: [0, 1, 2], steps: 2000 });
  });
});

describe('theorem 1 in miniature', () => {
  const { trainer, dir } = useTrainer('espgpu-theorem1-');

  it('trains both arms at two imbalances and writes the figures and the numbers', async () => {
    const result = await runTheorem1({ out: dir, seeds: [0], steps: 40, imbalances: [1, 10], trainer: trainer() });
    expect(result.rows.map((r) => `${r.imbalance}/${r.arm}`)).toEqual(['1/hard', '1/esp', '10/hard', '10/esp']);
    for (const row of result.rows) {
      expect(row.predictedPerSeed[0]).toBeGreaterThanOrEqual(0);
      expect(row.predictedPerSeed[0]).toBeLessThanOrEqual(2);
    }
    // The prediction, which needs no training: smoothing keeps the boundary further from the minority at N = 10.
    const at10 = (arm: string) => result.rows.find((r) => r.imbalance === 10 && r.arm === arm)!;
    expect(at10('esp').predictedWithoutSpread).toBeGreaterThan(at10('hard').predictedWithoutSpread + 0.05);
    const sidecar = JSON.parse(readFileSync(result.json, 'utf8'));
    expect(sidecar.rows).toHaveLength(4);
    expect(sidecar.theoremCheck.failsWhereNPrimeAtLeastOne).toBe(0);
    for (const svg of [result.boundarySvg, result.profileSvg]) expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*learned, esp[\s\S]*<\/svg>\n$/);
  });
});
