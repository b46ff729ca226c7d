import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import type { Corruption } from '../../src/data/corruptions/corruption.ts';
import { MNIST_C } from '../../src/data/corruptions/mnistC.ts';
import { corruptedSets } from '../../src/data/corruptSuite.ts';
import { corruptionGallery, writeGalleryPng, type Gallery } from '../../src/data/gallery.ts';
import type { ImageDataset } from '../../src/data/imageDataset.ts';
import { TestRandom } from '../helpers/random.ts';
import { randomBytes } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'espgpu-gallery-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function randomSet(count: number, channels: number, size: number, seed: number): ImageDataset {
  const random = new TestRandom(seed);
  return { shape: [count, channels, size, size], images: randomBytes(count * channels * size * size, random), labels: new Uint8Array(count), classes: 10 };
}

const FIVE: Corruption[] = ['tint', 'noise'].flatMap((name, k) =>
  [1, 2, 3, 4, 5].map((severity) => ({
    name,
    severity,
    apply: (image: Uint8Array, _shape: unknown, random: { word(): number }) => image.map((v) => (k === 0 ? (v + 30 * severity) % 256 : v ^ (random.word() & 0xff))),
  })),
);

/**
 * Cell (row, column) of a decoded PNG, back to a planar image at 1×. Every output pixel of a
 * scale × scale block must hold the same value, or the pixel reads as -1 and the comparison fails.
 */
function cellOf(png: { width: number; data: ArrayLike<number>; channels: number }, gallery: Gallery, row: number, column: number, shape: [number, number, number], scale: number): number[] {
  const [channels, height, width] = shape;
  const { x, y } = gallery.cellOrigin(row, column);
  const out: number[] = Array(channels * height * width);
  const value = (px: number, py: number, ch: number) => png.data[(py * png.width + px) * png.channels + ch]!;
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++)
      for (let ch = 0; ch < channels; ch++) {
        const block = Array.from({ length: scale * scale }, (_, k) => value(x + c * scale + (k % scale), y + r * scale + Math.floor(k / scale), ch));
        out[ch * height * width + r * width + c] = block.every((v) => v === block[0]) ? block[0]! : -1;
      }
  return out;
}
const planar = (bytes: Uint8Array) => Array.from(bytes);

describe('corruptionGallery', () => {
  it('lays out one row per corruption, clean then severities 1..5, each cell the suite\'s pixels', () => {
    const data = randomSet(3, 3, 5, 1);
    const [scale, gap] = [3, 2];
    const gallery = corruptionGallery(data, FIVE, { imageIndex: 2, seed: 4, scale, gap });
    expect(gallery.rowLabels).toEqual(['tint', 'noise']);
    expect(gallery.columnLabels).toEqual(['clean', '1', '2', '3', '4', '5']);
    expect([gallery.width, gallery.height]).toEqual([2 + 6 * (15 + 2), 2 + 2 * (15 + 2)]);
    const path = join(root, 'five.png');
    writeGalleryPng(path, gallery);
    expect(readdirSync(root)).toEqual(['five.png']);
    const png = decode(readFileSync(path));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([gallery.width, gallery.height, 3, 8]);
    const sets = [...corruptedSets(data, FIVE, { seed: 4 })];
    const per = 75;
    for (let row = 0; row < 2; row++) {
      expect(cellOf(png, gallery, row, 0, [3, 5, 5], scale)).toEqual(planar(data.images.subarray(2 * per, 3 * per)));
      for (let s = 0; s < 5; s++) expect(cellOf(png, gallery, row, s + 1, [3, 5, 5], scale)).toEqual(planar(sets[row * 5 + s]!.dataset.images.subarray(2 * per, 3 * per)));
    }
    // Gaps and border are background.
    const { x, y } = gallery.cellOrigin(1, 3);
    const at = (px: number, py: number) => Array.from(png.data.subarray((py * png.width + px) * 3, (py * png.width + px) * 3 + 3));
    expect(at(x - 1, y)).toEqual([255, 255, 255]);
    expect(at(x, y - 1)).toEqual([255, 255, 255]);
    expect(at(0, 0)).toEqual([255, 255, 255]);
    expect(at(png.width - 1, png.height - 1)).toEqual([255, 255, 255]);
  });

  it('draws MNIST-C in grey, one corrupted column beside the clean one, for a subset', () => {
    const data = randomSet(2, 1, 28, 2);
    const gallery = corruptionGallery(data, MNIST_C, { imageIndex: 1, seed: 3, scale: 2, gap: 1, background: 0, corruptions: ['fog', 'stripe', 'zigzag'] });
    expect(gallery.rowLabels).toEqual(['fog', 'stripe', 'zigzag']);
    expect(gallery.columnLabels).toEqual(['clean', 'corrupted']);
    const path = join(root, 'mnist-c.png');
    writeGalleryPng(path, gallery);
    const png = decode(readFileSync(path));
    expect([png.width, png.height, png.channels]).toEqual([1 + 2 * 57, 1 + 3 * 57, 1]);
    const sets = [...corruptedSets(data, MNIST_C, { seed: 3, corruptions: ['fog', 'stripe', 'zigzag'] })];
    sets.forEach((set, row) => expect(cellOf(png, gallery, row, 1, [1, 28, 28], 2)).toEqual(planar(set.dataset.images.subarray(784, 1568))));
    const noClean = corruptionGallery(data, MNIST_C, { clean: false, corruptions: ['stripe'], scale: 1, gap: 0 });
    expect([noClean.width, noClean.height, noClean.columnLabels]).toEqual([28, 28, ['corrupted']]);
  });

  it('names a bad option', () => {
    const data = randomSet(2, 1, 4, 3);
    expect(() => corruptionGallery(data, FIVE, { imageIndex: 2 })).toThrow(/imageIndex must be an integer in 0..1, got 2/);
    expect(() => corruptionGallery(data, FIVE, { scale: 0 })).toThrow(/scale must be a positive integer, got 0/);
    expect(() => corruptionGallery(data, FIVE, { gap: -1 })).toThrow(/gap must be a non-negative integer/);
    expect(() => corruptionGallery(data, FIVE, { background: 256 })).toThrow(/background must be a byte value/);
  });
});
