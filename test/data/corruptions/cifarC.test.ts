import { describe, expect, it } from 'vitest';
import { CIFAR_C, CIFAR_C_TABLES, TINY_IMAGENET_C, TINY_IMAGENET_C_TABLES } from '../../../src/data/corruptions/cifarC.ts';
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';
import { logFactorial } from '../../../src/data/corruptions/logFactorial.ts';
import { corruptAtSeverity, SEVERITIES, severityStream, suiteEntries, type SeverityCorruption } from '../../../src/data/corruptions/severity.ts';
import { rgbToHsv } from '../../../src/data/corruptions/hsvBrightness.ts';
import { constant, meanAbsoluteDifference, pattern, rowOf, scene, sum } from './cifarCImages.ts';

const ORDER = [
  'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur', 'snow', 'frost', 'fog',
  'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
];
const RANDOM = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'glass_blur', 'motion_blur', 'snow', 'frost', 'fog', 'elastic_transform'];
const SUITES = [
  { label: 'CIFAR_C', suite: CIFAR_C, size: 32 },
  { label: 'TINY_IMAGENET_C', suite: TINY_IMAGENET_C, size: 64 },
] as const;

const indexOf = (suite: readonly SeverityCorruption[], name: string) => {
  const index = suite.findIndex((c) => c.name === name);
  if (index < 0) throw new Error(`no corruption ${name}`);
  return index;
};
const run = (suite: readonly SeverityCorruption[], name: string, severity: number, image: Uint8Array, shape: ImageShape, imageIndex = 0, seed = 1) =>
  corruptAtSeverity(suite, indexOf(suite, name), severity, image, shape, seed, imageIndex);
const colourShape = (size: number): ImageShape => ({ channels: 3, height: size, width: size });
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, k) => v === b[k]);
/** Constant images behave the same at any size; small ones keep these tests quick. */
const SMALL = colourShape(16);
const greyShape = (size: number): ImageShape => ({ channels: 1, height: size, width: size });

describe('the suites', () => {
  it('list the 15 corruptions in the loaders’ order (ALGORITHMS.md §10), five levels each, named and numbered', () => {
    for (const { suite } of SUITES) {
      expect(suite.map((c) => c.name)).toEqual(ORDER);
      for (const c of suite) {
        expect(c.levels.map((l) => [l.name, l.severity])).toEqual(SEVERITIES.map((s) => [c.name, s]));
        expect(c.description.length).toBeGreaterThan(10);
      }
    }
    for (const suite of [CIFAR_C, TINY_IMAGENET_C]) expect(suite[indexOf(suite, 'frost')]!.description).toMatch(/^SUBSTITUTE: procedural frost/);
  });

  it('carry the §9.1 tables (spot checks of both)', () => {
    expect(CIFAR_C_TABLES.shotNoisePhotons).toEqual([500, 250, 100, 75, 50]);
    expect(TINY_IMAGENET_C_TABLES.impulseNoiseAmount).toEqual([0.01, 0.02, 0.05, 0.08, 0.14]);
    expect(CIFAR_C_TABLES.elastic.map((e) => [e.alpha, e.sigma, e.affine].map((v) => +v.toFixed(10)))).toEqual([
      [0, 0, 2.56], [1.6, 6.4, 2.24], [2.56, 1.92, 1.92], [3.2, 1.28, 1.6], [3.2, 0.96, 0.96],
    ]);
    expect(TINY_IMAGENET_C_TABLES.elastic.map((e) => [e.alpha, e.sigma, e.affine].map((v) => +v.toFixed(10)))).toEqual([
      [0, 0, 5.12], [3.2, 19.2, 3.84], [6.4, 5.12, 3.84], [6.4, 1.92, 1.92], [10.24, 1.92, 1.28],
    ]);
    expect(TINY_IMAGENET_C_TABLES.snow[4]).toEqual({ mean: 0.3, sd: 0.3, zoom: 1.25, threshold: 0.65, blurRadius: 14, blurSigma: 12, blend: 0.6 });
    expect(CIFAR_C_TABLES.jpegQuality).toEqual([80, 65, 58, 50, 40]);
    expect(TINY_IMAGENET_C_TABLES.jpegQuality).toEqual([65, 58, 50, 40, 25]);
    expect([CIFAR_C_TABLES.fogMapsize, TINY_IMAGENET_C_TABLES.fogMapsize]).toEqual([32, 64]);
  });

  it('give each (corruption, severity) its own random stream c·5 + s − 1, walked corruption by corruption', () => {
    const entries = suiteEntries(CIFAR_C);
    expect(entries.length).toBe(75);
    expect(entries.map((e) => e.stream)).toEqual(Array.from({ length: 75 }, (_, i) => i));
    expect(entries.slice(0, 6).map((e) => [e.corruption.name, e.severity])).toEqual([
      ['gaussian_noise', 1], ['gaussian_noise', 2], ['gaussian_noise', 3], ['gaussian_noise', 4], ['gaussian_noise', 5], ['shot_noise', 1],
    ]);
    expect(entries[23]!.level).toBe(CIFAR_C[4]!.levels[3]);
    expect(severityStream(14, 5)).toBe(74);
    expect(() => severityStream(0, 6)).toThrow(/severity/);
    expect(() => severityStream(-1, 1)).toThrow(/corruptionIndex/);
    expect(() => corruptAtSeverity(CIFAR_C, 15, 1, new Uint8Array(3072), colourShape(32), 1, 0)).toThrow(/corruptionIndex/);
  });
});

for (const { label, suite, size } of SUITES)
  describe(`${label} at ${size} px`, () => {
    const shape = colourShape(size);
    const image = scene(size);

    it('every corruption at every severity: bytes of the input’s shape, input untouched, repeatable, and the image changes', () => {
      for (const c of suite)
        for (const s of SEVERITIES) {
          const input = image.slice();
          const a = run(suite, c.name, s, input, shape, 3, 7);
          expect(a, `${c.name} ${s}`).toBeInstanceOf(Uint8Array);
          expect(a.length).toBe(3 * size * size);
          expect(sameBytes(input, image)).toBe(true);
          expect(sameBytes(run(suite, c.name, s, input, shape, 3, 7), a), `${c.name} ${s} repeats`).toBe(true);
          expect(sameBytes(a, image), `${c.name} ${s} changes the image`).toBe(false);
        }
    });

    it('the random corruptions depend on the seed and the image index; the others do not', () => {
      for (const c of suite) {
        const base = run(suite, c.name, 3, image, shape, 0, 1);
        const [otherSeed, otherImage] = [run(suite, c.name, 3, image, shape, 0, 2), run(suite, c.name, 3, image, shape, 1, 1)];
        const random = RANDOM.includes(c.name);
        expect(sameBytes(otherSeed, base), c.name).toBe(!random);
        expect(sameBytes(otherImage, base), c.name).toBe(!random);
      }
    });

    it('run on one-channel images, and on a grey colour image give the first plane the grey result (but snow, frost, JPEG)', () => {
      // Snow's grey is 0.299r + 0.587g + 0.114b (not exactly r), frost tints, JPEG codes YCbCr: those differ.
      const grey = greyShape(size);
      const plane = image.subarray(0, size * size);
      const rgb = Uint8Array.from({ length: 3 * size * size }, (_, k) => plane[k % (size * size)]!);
      for (const c of suite)
        for (const s of [1, 5]) {
          const out = run(suite, c.name, s, plane, grey);
          expect(out.length, c.name).toBe(size * size);
          if (!['snow', 'frost', 'jpeg_compression'].includes(c.name))
            expect(sameBytes(run(suite, c.name, s, rgb, shape).subarray(0, size * size), out), `${c.name} ${s}`).toBe(true);
        }
      for (const name of ['snow', 'frost', 'jpeg_compression', 'brightness'])
        expect(() => run(suite, name, 1, new Uint8Array(2 * size * size), { channels: 2, height: size, width: size })).toThrow(/1 or 3 channels/);
    });
  });

describe('severity ordering: the mean |corrupted − clean| over four scenes follows the tables', () => {
  const madBySeverity = (suite: readonly SeverityCorruption[], size: number, name: string) => {
    const images = [0, 1, 2, 3].map((v) => scene(size, v));
    return SEVERITIES.map((s) => images.reduce((a, img, i) => a + meanAbsoluteDifference(run(suite, name, s, img, colourShape(size), i), img), 0) / images.length);
  };
  // Each of these tables makes the corruption stronger at every step (brightness non-strictly at
  // 64 px, where most of the image reaches V = 1 by ΔV = 0.4).
  const CHAINS = ['gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'zoom_blur', 'brightness', 'contrast', 'pixelate', 'jpeg_compression'];
  /**
   * Glass blur is ordered only where the table adds iterations: a larger σ alone blurs the shuffled
   * pixels back together, and measured this way severity 3 (σ 0.4) lands below severity 2 (σ 0.25).
   */
  const GLASS_PAIRS = { CIFAR_C: [[2, 4], [3, 5], [1, 5]], TINY_IMAGENET_C: [[2, 3], [4, 5], [1, 5]] };

  for (const { label, suite, size } of SUITES)
    it(`${label}`, () => {
      for (const name of CHAINS) {
        const mads = madBySeverity(suite, size, name);
        for (let s = 1; s < 5; s++)
          if (name === 'brightness') expect(mads[s], `${name} ${s + 1}`).toBeGreaterThanOrEqual(mads[s - 1]!);
          else expect(mads[s], `${name} ${s + 1}`).toBeGreaterThan(mads[s - 1]!);
      }
      const glass = madBySeverity(suite, size, 'glass_blur');
      for (const [a, b] of GLASS_PAIRS[label]) expect(glass[b - 1], `glass ${a} < ${b}`).toBeGreaterThan(glass[a - 1]!);
    });
});

describe('reference values (the reference code run on the same pattern image)', () => {
  const c32 = colourShape(32);
  it('CIFAR-10-C defocus (severity 5), zoom (5), pixelate (5) and JPEG (5) match OpenCV, SciPy and Pillow to the byte', () => {
    const image = pattern(c32);
    const expected = {
      defocus_blur: [391775, [82, 89, 111, 133, 155, 149, 142, 136, 129, 123, 117, 110, 104, 97, 119, 113], 0],
      zoom_blur: [391851, [122, 107, 122, 144, 151, 117, 114, 131, 146, 98, 103, 125, 131, 113, 128, 149], 0],
      pixelate: [393808, [100, 100, 135, 170, 170, 205, 113, 113, 96, 96, 67, 102, 102, 137, 173, 173], 0],
      jpeg_compression: [391713, [147, 154, 217, 149, 203, 190, 77, 104, 124, 67, 36, 95, 113, 179, 134, 201], 1],
    } as const;
    for (const [name, [total, row, channel]] of Object.entries(expected)) {
      const out = run(CIFAR_C, name, 5, image, c32);
      expect(sum(out), name).toBe(total);
      expect(rowOf(out, c32, channel, 3), name).toEqual(row);
    }
  });

  it('CIFAR-10-C glass blur (severity 4) matches make_cifar_c.py fed the same offsets', () => {
    const out = corruptAtSeverity(CIFAR_C, 4, 4, pattern(c32), c32, 3, 2); // stream 4·5 + 3 = 23
    expect(sum(out)).toBe(389041);
    expect(rowOf(out, c32, 0, 3)).toEqual([63, 84, 47, 128, 85, 172, 87, 118, 119, 179, 179, 27, 27, 197, 19, 19]);
  });

  it('Tiny-ImageNet-C defocus (severity 5) matches OpenCV, and pixelate (5) on a grey image matches Pillow', () => {
    const out = run(TINY_IMAGENET_C, 'defocus_blur', 5, pattern(colourShape(64)), colourShape(64));
    expect(sum(out)).toBe(1567595);
    expect(rowOf(out, colourShape(64), 0, 3)).toEqual([106, 94, 98, 110, 114, 118, 123, 127, 131, 136, 140, 136, 131, 135, 122, 118]);
    expect(sum(run(TINY_IMAGENET_C, 'pixelate', 5, pattern(greyShape(64)), greyShape(64)))).toBe(524032);
  });
});

describe('known behaviour', () => {
  const isConstant = (image: Uint8Array, v: number) => image.every((o) => o === v);

  it('contrast leaves a constant image alone at every severity', () => {
    for (const { suite } of SUITES)
      for (let v = 0; v < 256; v += 3) for (const s of SEVERITIES) expect(isConstant(run(suite, 'contrast', s, constant(SMALL, v), SMALL), v), `${v}`).toBe(true);
  });

  it('defocus leaves a constant image alone, except Tiny-ImageNet-C severity 5 whose float32 kernel sums to 1 − 3.7e-9 (one level down, as in the reference)', () => {
    for (const { label, suite } of SUITES)
      for (const v of [0, 1, 77, 128, 255])
        for (const s of SEVERITIES) {
          const dropsOne = label === 'TINY_IMAGENET_C' && s === 5 && v > 0;
          expect(isConstant(run(suite, 'defocus_blur', s, constant(SMALL, v), SMALL), dropsOne ? v - 1 : v), `${label} ${s} ${v}`).toBe(true);
        }
  });

  it('motion blur leaves a constant image alone; zoom blur keeps it within one level (float32 sums)', () => {
    for (const { suite } of SUITES)
      for (const v of [0, 77, 128, 255])
        for (const s of [1, 5]) {
          expect(isConstant(run(suite, 'motion_blur', s, constant(SMALL, v), SMALL), v)).toBe(true);
          expect(run(suite, 'zoom_blur', s, constant(SMALL, v), SMALL).every((o) => Math.abs(o - v) <= 1)).toBe(true);
        }
  });

  it('brightness raises V by ΔV (to 1 at most) and keeps the hue', () => {
    for (const { suite, size } of SUITES) {
      const shape = colourShape(size);
      const plane = size * size;
      const image = scene(size);
      const tables = size === 32 ? CIFAR_C_TABLES : TINY_IMAGENET_C_TABLES;
      for (const s of SEVERITIES) {
        const out = run(suite, 'brightness', s, image, shape);
        for (let k = 0; k < plane; k += 3) {
          const before = rgbToHsv(image[k]! / 255, image[plane + k]! / 255, image[2 * plane + k]! / 255);
          const after = rgbToHsv(out[k]! / 255, out[plane + k]! / 255, out[2 * plane + k]! / 255);
          expect(Math.abs(after[2] - Math.min(before[2] + tables.brightnessDelta[s - 1]!, 1))).toBeLessThanOrEqual(1 / 255);
          // Truncating a channel to bytes moves the hue by up to 60°/(255·chroma); judge it where chroma ≥ 0.2.
          if (before[1] * before[2] < 0.2) continue;
          const hueShift = Math.abs(after[0] - before[0]);
          expect(Math.min(hueShift, 1 - hueShift) * 360).toBeLessThan(1.5);
        }
      }
    }
  });

  it('gaussian noise has the table’s sd on a mid-grey image, after clipping and truncation', () => {
    const grey = 128;
    const x = grey / 255;
    for (const { suite, size } of SUITES) {
      const tables = size === 32 ? CIFAR_C_TABLES : TINY_IMAGENET_C_TABLES;
      const shape = colourShape(size);
      for (const s of SEVERITIES) {
        const sigma = tables.gaussianNoiseSd[s - 1]!;
        const values = [0, 1, 2, 3].flatMap((i) => Array.from(run(suite, 'gaussian_noise', s, constant(shape, grey), shape, i), (v) => v - grey));
        // Exact moments of trunc(clip(x + N(0, σ²), 0, 1)·255) − 128, by quadrature.
        const { mean, sd } = truncatedGaussianMoments(x, sigma, grey);
        const n = values.length;
        const sampleMean = values.reduce((a, b) => a + b, 0) / n;
        const sampleSd = Math.sqrt(values.reduce((a, b) => a + (b - sampleMean) ** 2, 0) / n);
        expect(Math.abs(sampleMean - mean), `σ ${sigma}`).toBeLessThan((5 * sd) / Math.sqrt(n));
        expect(Math.abs(sampleSd - sd) / sd, `σ ${sigma}`).toBeLessThan(5 / Math.sqrt(2 * n));
        expect(sd).toBeCloseTo(255 * sigma, -1); // within about 5 levels of 255σ, clipping aside
      }
    }
  });

  it('shot noise keeps the mean on a mid-grey image: E[trunc(min(Poisson(cx)/c, 1)·255)] exactly', () => {
    const grey = 128;
    const x = grey / 255;
    for (const { suite, size } of SUITES) {
      const tables = size === 32 ? CIFAR_C_TABLES : TINY_IMAGENET_C_TABLES;
      const shape = colourShape(size);
      for (const s of SEVERITIES) {
        const c = tables.shotNoisePhotons[s - 1]!;
        const values = [0, 1, 2, 3].flatMap((i) => Array.from(run(suite, 'shot_noise', s, constant(shape, grey), shape, i)));
        let [mean, second] = [0, 0];
        for (let k = 0; k <= 4 * c; k++) {
          const p = Math.exp(-c * x + k * Math.log(c * x) - logFactorial(k));
          const v = Math.trunc(Math.min(k / c, 1) * 255);
          [mean, second] = [mean + p * v, second + p * v * v];
        }
        const sd = Math.sqrt(second - mean * mean);
        const sampleMean = values.reduce((a, b) => a + b, 0) / values.length;
        expect(Math.abs(sampleMean - mean), `c ${c}`).toBeLessThan((5 * sd) / Math.sqrt(values.length));
        expect(Math.abs(mean - grey)).toBeLessThan(1); // the noise itself is unbiased; truncation costs under a level
      }
    }
  });

  it('impulse noise turns about `amount` of the values into 0 or 255, half each', () => {
    for (const { suite, size } of SUITES) {
      const tables = size === 32 ? CIFAR_C_TABLES : TINY_IMAGENET_C_TABLES;
      const shape = colourShape(size);
      for (const s of SEVERITIES) {
        const amount = tables.impulseNoiseAmount[s - 1]!;
        const values = [0, 1, 2, 3].flatMap((i) => Array.from(run(suite, 'impulse_noise', s, constant(shape, 128), shape, i)));
        const [salt, pepper] = [values.filter((v) => v === 255).length, values.filter((v) => v === 0).length];
        expect(salt + pepper + values.filter((v) => v === 128).length).toBe(values.length);
        const n = values.length;
        expect(Math.abs(salt + pepper - amount * n)).toBeLessThan(5 * Math.sqrt(n * amount * (1 - amount)));
        expect(Math.abs(salt - pepper)).toBeLessThan(5 * Math.sqrt(salt + pepper));
      }
    }
  });

  it('frost (procedural) on mid-grey: the mean is w_img·x + w_frost·mean(F) with mean(F) within 0.4–0.55', () => {
    for (const { suite, size } of SUITES) {
      const tables = size === 32 ? CIFAR_C_TABLES : TINY_IMAGENET_C_TABLES;
      const shape = colourShape(size);
      for (const s of SEVERITIES) {
        const { imageWeight, frostWeight } = tables.frost[s - 1]!;
        for (let i = 0; i < 3; i++) {
          const mean = sum(run(suite, 'frost', s, constant(shape, 128), shape, i)) / (3 * size * size) / 255;
          const frostMean = (mean - imageWeight * (128 / 255)) / frostWeight;
          expect(frostMean, `severity ${s}`).toBeGreaterThan(0.4 - 1 / 255 / frostWeight);
          expect(frostMean, `severity ${s}`).toBeLessThan(0.55);
        }
      }
    }
  });
});

/** Mean and sd of trunc(clip(x + z, 0, 1)·255) − offset for z ~ N(0, σ²), by the midpoint rule on ±9σ. */
function truncatedGaussianMoments(x: number, sigma: number, offset: number): { mean: number; sd: number } {
  const steps = 200000;
  const h = (18 * sigma) / steps;
  let [mass, first, second] = [0, 0, 0];
  for (let i = 0; i < steps; i++) {
    const z = -9 * sigma + (i + 0.5) * h;
    const w = Math.exp((-0.5 * z * z) / (sigma * sigma));
    const v = Math.trunc(Math.min(Math.max(x + z, 0), 1) * 255) - offset;
    [mass, first, second] = [mass + w, first + w * v, second + w * v * v];
  }
  const mean = first / mass;
  return { mean, sd: Math.sqrt(second / mass - mean * mean) };
}
