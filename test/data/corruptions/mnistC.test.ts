import { describe, expect, it } from 'vitest';
import { corruptImage, type Corruption, type ImageShape } from '../../../src/data/corruptions/corruption.ts';
import { MNIST_C } from '../../../src/data/corruptions/mnistC.ts';
import { isDottedLineGap } from '../../../src/data/corruptions/line.ts';

const GREY: ImageShape = { channels: 1, height: 28, width: 28 };
const byName = (name: string): [Corruption, number] => {
  const index = MNIST_C.findIndex((c) => c.name === name);
  if (index < 0) throw new Error(`no corruption ${name}`);
  return [MNIST_C[index]!, index];
};
const run = (name: string, image: Uint8Array, shape = GREY, imageIndex = 0, seed = 1) => {
  const [corruption, index] = byName(name);
  return corruptImage(corruption, image, shape, seed, imageIndex, index);
};
const filled = (shape: ImageShape, f: (row: number, col: number) => number) =>
  Uint8Array.from({ length: shape.channels * shape.height * shape.width }, (_, k) => f(Math.floor(k / shape.width) % shape.height, k % shape.width));

/** A Fashion-MNIST-like test image: a filled ellipse whose brightness grows downwards. */
const garment = filled(GREY, (r, c) => (((c - 13.5) / 7) ** 2 + ((r - 12) / 11) ** 2 <= 1 ? Math.round(120 + 135 * (r / 27)) : 0));
const countDistinct = (outputs: Uint8Array[]) => new Set(outputs.map((o) => o.join(','))).size;
const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);

const RANDOM = ['shot_noise', 'impulse_noise', 'glass_blur', 'motion_blur', 'shear', 'rotate', 'translate', 'fog', 'spatter', 'dotted_line', 'zigzag'];
const FIXED = ['scale', 'brightness', 'stripe', 'canny_edges'];

describe('MNIST_C', () => {
  it('lists the 15 corruptions in the released order with the severities used', () => {
    expect(MNIST_C.map((c) => [c.name, c.severity])).toEqual([
      ['shot_noise', 5], ['impulse_noise', 4], ['glass_blur', 1], ['motion_blur', 1], ['shear', 2], ['scale', 3], ['rotate', 2],
      ['brightness', 5], ['translate', 3], ['stripe', undefined], ['fog', 5], ['spatter', 4], ['dotted_line', undefined],
      ['zigzag', undefined], ['canny_edges', undefined],
    ]);
    expect([...RANDOM, ...FIXED].sort()).toEqual(MNIST_C.map((c) => c.name).sort());
  });

  for (const corruption of MNIST_C)
    it(`${corruption.name}: bytes of the input's shape, input untouched, repeatable, and the image changes`, () => {
      const input = garment.slice();
      const a = run(corruption.name, input);
      expect(a).toBeInstanceOf(Uint8Array);
      expect(a.length).toBe(784);
      expect(input).toEqual(garment);
      expect(run(corruption.name, input)).toEqual(a);
      expect(a).not.toEqual(garment);
    });

  for (const name of RANDOM)
    it(`${name} depends on the image index and the seed`, () => {
      const byIndex = Array.from({ length: 8 }, (_, i) => run(name, garment, GREY, i));
      const bySeed = Array.from({ length: 8 }, (_, s) => run(name, garment, GREY, 0, s + 1));
      // shear, rotate (2 outcomes) and translate (4) repeat by design; the rest are new every time.
      const least = ['shear', 'rotate', 'translate'].includes(name) ? 2 : 8;
      expect(countDistinct(byIndex)).toBeGreaterThanOrEqual(least);
      expect(countDistinct(bySeed)).toBeGreaterThanOrEqual(least);
    });

  for (const name of FIXED)
    it(`${name} uses no randomness`, () => {
      expect(run(name, garment, GREY, 5, 99)).toEqual(run(name, garment, GREY, 0, 1));
    });

  it('run on any size (32×32) and on colour images, each plane like the grey one where parameters are shared', () => {
    const big: ImageShape = { channels: 1, height: 32, width: 32 };
    const colour: ImageShape = { channels: 3, height: 28, width: 28 };
    const rgb = Uint8Array.from({ length: 3 * 784 }, (_, k) => garment[k % 784]!);
    for (const c of MNIST_C) {
      expect(run(c.name, filled(big, (r, col) => (r * col) % 256), big).length).toBe(1024);
      if (c.name === 'canny_edges') {
        expect(() => run(c.name, rgb, colour)).toThrow(/greyscale/);
        continue;
      }
      const out = run(c.name, rgb, colour);
      expect(out.length).toBe(3 * 784);
      const grey = run(c.name, garment);
      const planewise = ['motion_blur', 'shear', 'scale', 'rotate', 'brightness', 'translate', 'stripe', 'fog', 'dotted_line', 'zigzag'];
      if (planewise.includes(c.name)) for (let ch = 0; ch < 3; ch++) expect(out.slice(ch * 784, (ch + 1) * 784), `${c.name} channel ${ch}`).toEqual(grey);
    }
  });
});

describe('MNIST-C known values', () => {
  it('stripe inverts exactly columns 0–6 and 21–27', () => {
    const out = run('stripe', garment);
    out.forEach((v, k) => {
      const col = k % 28;
      expect(v).toBe(col <= 6 || col >= 21 ? 255 - garment[k]! : garment[k]!);
    });
  });

  it('brightness is min(x + 0.5, 1): v + 127.5 rounded half to even (np.round), 255 from v = 128', () => {
    const shape: ImageShape = { channels: 1, height: 16, width: 16 };
    const ramp = Uint8Array.from({ length: 256 }, (_, v) => v);
    const out = run('brightness', ramp, shape);
    out.forEach((o, v) => {
      if (v >= 128) expect(o).toBe(255);
      else expect(o).toBe(v % 2 === 0 ? v + 128 : v + 127);
    });
  });

  it('translate moves a single bright pixel by ±3 on each axis, all four ways over a few images', () => {
    const dot = filled(GREY, (r, c) => (r === 10 && c === 12 ? 255 : 0));
    const moves = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const out = run('translate', dot, GREY, i);
      const lit = [...out.keys()].filter((k) => out[k]! > 0);
      expect(lit.length).toBe(1);
      expect(out[lit[0]!]).toBe(255);
      const [dr, dc] = [Math.floor(lit[0]! / 28) - 10, (lit[0]! % 28) - 12];
      expect([Math.abs(dr), Math.abs(dc)]).toEqual([3, 3]);
      moves.add(`${dr},${dc}`);
    }
    expect(moves.size).toBe(4);
  });

  it('rotate, shear and scale keep the centre pixel of an odd-sized image and the centroid of a symmetric blob', () => {
    const odd: ImageShape = { channels: 1, height: 29, width: 29 };
    const dot = filled(odd, (r, c) => (r === 14 && c === 14 ? 255 : 0));
    const blob = filled(GREY, (r, c) => Math.round(255 * Math.exp(-((r - 13.5) ** 2 + (c - 13.5) ** 2) / 18)));
    for (const name of ['rotate', 'shear', 'scale'])
      for (let i = 0; i < 4; i++) {
        expect(run(name, dot, odd, i)[14 * 29 + 14], name).toBe(255);
        const out = run(name, blob, GREY, i);
        const mass = sum(out);
        const centroid = [0, 1].map((axis) => sum(Array.from(out, (v, k) => v * (axis === 0 ? Math.floor(k / 28) : k % 28))) / mass);
        for (const c of centroid) expect(Math.abs(c - 13.5), name).toBeLessThan(0.05);
      }
  });

  it('scale shrinks content to about 70% about the centre', () => {
    const out = run('scale', garment);
    const width = (img: Uint8Array) => new Set([...img.keys()].filter((k) => img[k]! > 60).map((k) => k % 28)).size;
    expect(width(out)).toBeGreaterThanOrEqual(Math.floor(0.7 * width(garment)) - 1);
    expect(width(out)).toBeLessThanOrEqual(Math.ceil(0.7 * width(garment)) + 1);
  });

  it('shot_noise gives multiples of 85 (c = 3) and keeps the mean: E[Poisson(cx)]/c = x before clipping', () => {
    const grey = filled(GREY, () => 51); // x = 0.2, λ = 0.6
    const outs = Array.from({ length: 4 }, (_, i) => run('shot_noise', grey, GREY, i));
    const values = outs.flatMap((o) => Array.from(o));
    expect(values.every((v) => v % 85 === 0)).toBe(true);
    // E[min(k, 3)]/3 with k ~ Poisson(0.6): the clip at 1 takes 0.0012 off 0.2.
    const pmf = (k: number) => (Math.exp(-0.6) * 0.6 ** k) / [1, 1, 2, 6][k]!;
    const expected = (pmf(1) + 2 * pmf(2) + 3 * (1 - pmf(0) - pmf(1) - pmf(2))) / 3;
    expect(expected).toBeCloseTo(0.2 - 0.0012, 3);
    // sd of one value is √0.6/3 ≈ 0.26; of the mean of 3136 about 0.0046.
    expect(Math.abs(sum(values) / values.length / 255 - expected)).toBeLessThan(5 * 0.0046);
  });

  it('impulse_noise sets about 17% of pixels to 0 or 255, half each', () => {
    const grey = filled(GREY, () => 128);
    const values = Array.from({ length: 4 }, (_, i) => Array.from(run('impulse_noise', grey, GREY, i))).flat();
    const salt = values.filter((v) => v === 255).length;
    const pepper = values.filter((v) => v === 0).length;
    expect(salt + pepper + values.filter((v) => v === 128).length).toBe(values.length);
    // Binomial(3136, 0.17): mean 533, sd 21.
    expect(Math.abs(salt + pepper - 0.17 * values.length)).toBeLessThan(5 * 21);
    expect(Math.abs(salt - pepper)).toBeLessThan(5 * Math.sqrt(salt + pepper));
  });

  it('glass_blur and motion_blur keep a constant image (to one level after glass blur truncation)', () => {
    const grey = filled(GREY, () => 200);
    expect(run('motion_blur', grey).every((v) => v === 200)).toBe(true);
    expect(run('glass_blur', grey).every((v) => Math.abs(v - 200) <= 1)).toBe(true);
    expect(run('glass_blur', filled(GREY, () => 255)).every((v) => v === 255)).toBe(true);
  });

  it('glass_blur matches the reference code (skimage gaussian with multichannel=True: columns only) fed the same draws', () => {
    // Reference: google-research/mnist-c glass_blur run with NumPy/SciPy on `garment`, its coin flips and
    // offsets replaced by those of seed 3, image 4, corruption 2; its float output rounded.
    const out = run('glass_blur', garment, GREY, 4, 3);
    expect(sum(out)).toBe(43472);
    expect(Array.from(out.slice(14 * 28, 15 * 28))).toEqual([
      0, 0, 0, 0, 0, 0, 4, 186, 190, 188, 190, 186, 199, 190, 189, 192, 186, 194, 195, 188, 149, 38, 0, 0, 0, 0, 0, 0,
    ]);
    expect(Array.from({ length: 28 }, (_, r) => out[r * 28 + 8])).toEqual([
      0, 1, 28, 79, 30, 36, 124, 157, 166, 169, 171, 175, 180, 185, 190, 188, 175, 165, 114, 133, 55, 29, 10, 0, 0, 0, 0, 0,
    ]);
  });

  it('glass_blur moves mass only locally: the total stays within a few percent', () => {
    const out = run('glass_blur', garment);
    expect(Math.abs(sum(out) - sum(garment)) / sum(garment)).toBeLessThan(0.03);
  });

  it('fog stays within [0, max(x)], keeps a black image black and lightens the background', () => {
    const out = run('fog', garment);
    expect(Math.max(...out)).toBeLessThanOrEqual(Math.max(...garment));
    expect(out[0]).toBeGreaterThan(0);
    expect(run('fog', new Uint8Array(784)).every((v) => v === 0)).toBe(true);
  });

  it('spatter only blends pixels towards the mud colour 63', () => {
    let muddy = 0;
    for (let i = 0; i < 8; i++) {
      const out = run('spatter', garment, GREY, i);
      out.forEach((v, k) => {
        const [lo, hi] = [Math.min(garment[k]!, 63), Math.max(garment[k]!, 63)];
        expect(v).toBeGreaterThanOrEqual(lo);
        expect(v).toBeLessThanOrEqual(hi);
        if (v !== garment[k]) muddy++;
      });
    }
    expect(muddy).toBeGreaterThan(0);
  });

  it('dotted_line and zigzag only add light; dotted_line leaves its gap columns and the last column alone', () => {
    for (let i = 0; i < 4; i++) {
      const dotted = run('dotted_line', garment, GREY, i);
      const zig = run('zigzag', garment, GREY, i);
      dotted.forEach((v, k) => {
        expect(v).toBeGreaterThanOrEqual(garment[k]!);
        if (isDottedLineGap(k % 28) || k % 28 === 27) expect(v).toBe(garment[k]);
      });
      zig.forEach((v, k) => expect(v).toBeGreaterThanOrEqual(garment[k]!));
      expect(dotted.some((v, k) => v > garment[k]!)).toBe(true);
      expect(zig.some((v, k) => v > garment[k]!)).toBe(true);
    }
  });

  it('canny_edges outputs 0 or 255 and outlines the garment', () => {
    const out = run('canny_edges', garment);
    expect(out.every((v) => v === 0 || v === 255)).toBe(true);
    expect(out[12 * 28 + 13]).toBe(0); // inside
    expect(out[0]).toBe(0);
    expect(out.filter((v) => v === 255).length).toBeGreaterThan(30);
  });
});
