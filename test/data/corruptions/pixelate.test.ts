import { describe, expect, it } from 'vitest';
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';
import { boxSpans, pixelate, pixelateSize, resizeBox } from '../../../src/data/corruptions/pixelate.ts';
import { constant, pattern, rowOf, sum } from './cifarCImages.ts';

describe('pixelateSize', () => {
  it("is the reference's int(n·factor): 30, 28, 27, 24, 20 at 32 px and 57, 51, 44, 38, 32 at 64 px", () => {
    expect([0.95, 0.9, 0.85, 0.75, 0.65].map((f) => pixelateSize(32, f))).toEqual([30, 28, 27, 24, 20]);
    expect([0.9, 0.8, 0.7, 0.6, 0.5].map((f) => pixelateSize(64, f))).toEqual([57, 51, 44, 38, 32]);
  });
});

describe('boxSpans (PIL BOX)', () => {
  const ONE = 2 ** 22;

  it('shrinking: each input pixel belongs to exactly one output pixel, with equal weights there', () => {
    for (const [from, to] of [[32, 20], [32, 30], [64, 57], [64, 38]] as const) {
      const used = new Array<number>(from).fill(0);
      for (const { first, weights } of boxSpans(from, to)) {
        const nonzero = weights.filter((w) => w > 0);
        expect(new Set(nonzero).size).toBe(1);
        expect(Math.abs(sum(weights) - ONE)).toBeLessThanOrEqual(nonzero.length);
        weights.forEach((w, i) => w > 0 && used[first + i]!++);
      }
      expect(used.every((u) => u === 1)).toBe(true);
    }
  });

  it('enlarging: nearest neighbour, input ⌊(o + ½)·in/out⌋', () => {
    boxSpans(20, 32).forEach(({ first, weights }, o) => {
      const picked = first + weights.findIndex((w) => w === ONE);
      expect(picked).toBe(Math.floor(((o + 0.5) * 20) / 32));
      expect(weights.filter((w) => w > 0)).toEqual([ONE]);
    });
  });
});

describe('pixelate', () => {
  it('matches Pillow 12.3 (Image.resize with BOX, down and back up) to the byte', () => {
    const colour: ImageShape = { channels: 3, height: 32, width: 32 };
    const out = pixelate(pattern(colour), colour, 0.65);
    expect(sum(out)).toBe(393808);
    expect(rowOf(out, colour, 0, 3)).toEqual([100, 100, 135, 170, 170, 205, 113, 113, 96, 96, 67, 102, 102, 137, 173, 173]);
    const grey: ImageShape = { channels: 1, height: 64, width: 64 };
    const greyOut = pixelate(pattern(grey), grey, 0.5);
    expect(sum(greyOut)).toBe(524032);
    expect(rowOf(greyOut, grey, 0, 3)).toEqual([56, 56, 97, 97, 138, 138, 179, 179, 156, 156, 133, 133, 46, 46, 87, 87]);
  });

  it('keeps a constant image and resizes each channel alike', () => {
    const shape: ImageShape = { channels: 3, height: 32, width: 32 };
    expect(pixelate(constant(shape, 77), shape, 0.65)).toEqual(constant(shape, 77));
    const grey: ImageShape = { channels: 1, height: 32, width: 32 };
    const image = pattern(grey);
    const three = Uint8Array.from({ length: 3 * 1024 }, (_, k) => image[k % 1024]!);
    const out = pixelate(three, shape, 0.75);
    for (let c = 0; c < 3; c++) expect(out.slice(c * 1024, (c + 1) * 1024)).toEqual(pixelate(image, grey, 0.75));
  });

  it('resizeBox rounds each pass to bytes: averaging 0 and 1 gives 1 (half up)', () => {
    expect(Array.from(resizeBox(Uint8Array.of(0, 1, 4, 7), 1, 4, 1, 2))).toEqual([1, 6]);
  });
});
