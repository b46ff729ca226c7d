import { describe, expect, it } from 'vitest';
import { FINITE_DIFFERENCE, expectClose, type Tolerance } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import { numericalGradient } from './gradcheck.ts';
import { MIXTURE_MIN, jsdBackward, jsdForward, jsdMixture, jsdPerSample } from './jsd.ts';

const WEIGHT = 12;

/** Smallest |ln(M / 1e-7)| over the batch: finite differences must not step across the clamp. */
function clampMargin(z: Float64Array, samples: number, classes: number): number {
  return Math.min(...Array.from(jsdMixture(z, samples, classes), (m) => Math.abs(Math.log(m / MIXTURE_MIN))));
}

function clampedCount(z: Float64Array, samples: number, classes: number): number {
  return jsdMixture(z, samples, classes).filter((m) => m < MIXTURE_MIN).length;
}

function expectMatchesFiniteDifferences(z: Float64Array, samples: number, classes: number, tolerance: Tolerance = FINITE_DIFFERENCE): void {
  expect(clampMargin(z, samples, classes), 'distance of M from the clamp, in ln units').toBeGreaterThan(0.05);
  const fd = numericalGradient((v) => jsdForward(v, samples, classes, WEIGHT), z);
  expectClose(jsdBackward(z, samples, classes, WEIGHT), fd, tolerance, 'dlogits');
}

/** The same logits in all three views: [3B, C] from the [B, C] clean block. */
function threeIdenticalViews(clean: Float64Array): Float64Array {
  return Float64Array.from({ length: 3 * clean.length }, (_, i) => clean[i % clean.length]!);
}

/** Exchanges the aug1 and aug2 blocks. */
function swapAugViews(z: ArrayLike<number>, samples: number, classes: number): Float64Array {
  const block = samples * classes;
  const swapped = Float64Array.from(z);
  swapped.set(Array.from(z).slice(2 * block, 3 * block), block);
  swapped.set(Array.from(z).slice(block, 2 * block), 2 * block);
  return swapped;
}

/**
 * 10 classes with logits in [0, 2] and the rest near ln(5e−8 · 27) + noise, so their mixture
 * sits at about 5e−8, clamped but a factor ≥ 1.5 from the boundary.
 */
function clampedTail(rng: TestRandom, samples: number, classes: number): Float64Array {
  return Float64Array.from({ length: 3 * samples * classes }, (_, i) => (i % classes < 10 ? rng.uniform(0, 2) : Math.log(5e-8 * 27) + rng.uniform(-0.3, 0.3)));
}

describe('reference Jensen–Shannon consistency', () => {
  describe('backward matches finite differences', () => {
    const shapes: [number, number, number][] = [
      [1, 2, 2],
      [1, 5, 3],
      [3, 4, 2],
      [2, 100, 3],
      [4, 7, 1],
    ];
    for (const [samples, classes, scale] of shapes)
      it(`B=${samples} C=${classes}, logits in ±${scale}`, () => {
        const z = new TestRandom(samples * 100 + classes).array(3 * samples * classes, -scale, scale);
        expectMatchesFiniteDifferences(z, samples, classes);
      });

    it('large-magnitude logits (±30 around ±400), with the clamp active for some classes', () => {
      const rng = new TestRandom(400);
      const [samples, classes] = [2, 8];
      const z = Float64Array.from({ length: 3 * samples * classes }, (_, i) => (Math.floor(i / classes) % 2 ? 400 : -400) + rng.uniform(-30, 30));
      expect(clampedCount(z, samples, classes)).toBeGreaterThan(0);
      expectMatchesFiniteDifferences(z, samples, classes);
    });

    it('is exact where M is clamped (zero derivative), which ignoring the clamp is not', () => {
      const [samples, classes] = [2, 200];
      const z = clampedTail(new TestRandom(7), samples, classes);
      expect(clampedCount(z, samples, classes)).toBe(samples * (classes - 10));
      // The clamp moves the gradient by ~1e−6 here; finite differences resolve ~1e−9.
      const tight = { atol: 2e-8, rtol: 1e-6 };
      expectMatchesFiniteDifferences(z, samples, classes, tight);
      const fd = numericalGradient((v) => jsdForward(v, samples, classes, WEIGHT), z);
      const ignoringClamp = gradientIgnoringClamp(z, samples, classes);
      const worst = Math.max(...Array.from(fd, (g, i) => Math.abs(g - ignoringClamp[i]!)));
      expect(worst).toBeGreaterThan(100 * tight.atol);
    });
  });

  it('is 0 with zero gradient when the three views have identical logits', () => {
    const [samples, classes] = [3, 6];
    const z = threeIdenticalViews(new TestRandom(3).array(samples * classes, -4, 4));
    expect(clampedCount(z, samples, classes)).toBe(0);
    for (const js of jsdPerSample(z, samples, classes)) expect(Math.abs(js)).toBeLessThan(1e-15);
    for (const g of jsdBackward(z, samples, classes, WEIGHT)) expect(Math.abs(g)).toBeLessThan(1e-14);
  });

  it('gives Σ p ln(p / 1e−7) over the clamped classes for identical views in the clamp region', () => {
    // p_tail ≈ 1e−7 / e, where p ln(p / 1e−7) is most negative.
    const classes = 2001;
    const clean = Float64Array.from({ length: classes }, (_, j) => (j === 0 ? 0 : Math.log(MIXTURE_MIN / Math.E)));
    const z = threeIdenticalViews(clean);
    const tail = Math.exp(clean[1]!) / (1 + (classes - 1) * Math.exp(clean[1]!));
    const expected = (classes - 1) * tail * Math.log(tail / MIXTURE_MIN);
    expect(expected).toBeLessThan(-7e-5);
    expect(jsdPerSample(z, 1, classes)[0]).toBeCloseTo(expected, 15);
    expect(jsdForward(z, 1, classes, WEIGHT) / (WEIGHT * expected)).toBeCloseTo(1, 12);
  });

  it('is symmetric under swapping the two augmented views', () => {
    const [samples, classes] = [4, 9];
    const z = new TestRandom(9).array(3 * samples * classes, -5, 5);
    const swapped = swapAugViews(z, samples, classes);
    expectClose(jsdPerSample(swapped, samples, classes), jsdPerSample(z, samples, classes), { atol: 1e-15, rtol: 1e-13 }, 'JS');
    expectClose(jsdBackward(swapped, samples, classes, WEIGHT), swapAugViews(jsdBackward(z, samples, classes, WEIGHT), samples, classes), { atol: 1e-15, rtol: 1e-12 }, 'dlogits');
  });

  it('stays within [0, ln 3] per sample while unclamped, reaching ln 3 for disjoint views', () => {
    const [samples, classes] = [50, 10];
    const rng = new TestRandom(33);
    const z = Float64Array.from({ length: 3 * samples * classes }, () => rng.uniform(-5, 5) * rng.next());
    expect(clampedCount(z, samples, classes)).toBe(0);
    const js = jsdPerSample(z, samples, classes);
    expect(Math.min(...js)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...js)).toBeLessThanOrEqual(Math.log(3));
    // View v puts its mass on class v: M = 1/3 on each, every KL term is ln 3.
    const disjoint = Float64Array.from({ length: 9 }, (_, i) => (i % 3 === Math.floor(i / 3) ? 40 : 0));
    const peak = jsdPerSample(disjoint, 1, 3)[0]!;
    expect(peak).toBeLessThanOrEqual(Math.log(3) + 1e-15); // an ulp of rounding
    expect(peak).toBeCloseTo(Math.log(3), 12);
  });

  it('scales loss and gradient linearly with the weight', () => {
    const [samples, classes] = [2, 5];
    const z = new TestRandom(21).array(3 * samples * classes, -3, 3);
    expect(jsdForward(z, samples, classes, 3)).toBeCloseTo(jsdForward(z, samples, classes, WEIGHT) / 4, 14);
    expectClose(jsdBackward(z, samples, classes, 3), jsdBackward(z, samples, classes, WEIGHT).map((g) => g / 4), { atol: 1e-16, rtol: 1e-13 }, 'dlogits');
    expect(jsdForward(z, samples, classes, 0)).toBe(0);
    expect(jsdBackward(z, samples, classes, 0).every((g) => g === 0)).toBe(true);
  });

  it('counts p = 0 terms as 0: logits of ±1000 give a finite loss and gradient', () => {
    const z = Float64Array.from([1000, -1000, 0, -1000, 1000, 0, 0, -1000, 1000]);
    expect(Math.exp(-2000)).toBe(0);
    expect(Number.isFinite(jsdForward(z, 1, 3, WEIGHT))).toBe(true);
    expect(jsdBackward(z, 1, 3, WEIGHT).every(Number.isFinite)).toBe(true);
    expect(jsdPerSample(z, 1, 3)[0]).toBeCloseTo(Math.log(3), 12);
  });
});

/** The common mistake: treating ∂M/∂p as 1/3 even where M is clamped (g without the clamp term). */
function gradientIgnoringClamp(z: Float64Array, samples: number, classes: number): Float64Array {
  // jsdBackward = scale · p (g − Σ p g), g carrying + 1/3 on clamped classes: take that part out.
  const dz = jsdBackward(z, samples, classes, WEIGHT);
  const mixture = jsdMixture(z, samples, classes);
  const scale = WEIGHT / samples;
  for (let v = 0; v < 3; v++)
    for (let i = 0; i < samples; i++) {
      const base = (v * samples + i) * classes;
      const p = softmax(z.subarray(base, base + classes));
      let clampedMass = 0;
      for (let j = 0; j < classes; j++) if (mixture[i * classes + j]! < MIXTURE_MIN) clampedMass += p[j]!;
      for (let j = 0; j < classes; j++) {
        const clamped = mixture[i * classes + j]! < MIXTURE_MIN ? 1 : 0;
        dz[base + j] = dz[base + j]! - (scale * p[j]! * (clamped - clampedMass)) / 3;
      }
    }
  return dz;
}

function softmax(row: Float64Array): Float64Array {
  const max = Math.max(...row);
  const e = row.map((x) => Math.exp(x - max));
  const sum = e.reduce((s, x) => s + x, 0);
  return e.map((x) => x / sum);
}
