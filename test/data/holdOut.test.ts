// The validation split: which images train, which validate, and refusals that name the set.
import { describe, expect, it } from 'vitest';
import { firstImages, holdOut } from '../../src/data/holdOut.ts';
import type { ImageDataset } from '../../src/data/imageDataset.ts';

/** Ten 1×2×2 images whose pixels and label record their index. */
function indexed(): ImageDataset {
  const count = 10;
  return {
    shape: [count, 1, 2, 2],
    images: Uint8Array.from({ length: count * 4 }, (_, p) => Math.floor(p / 4)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
    classes: 3,
  };
}

describe('holdOut', () => {
  it('trains on the first count − n images and validates on the last n, pixels and labels together', () => {
    const { train, validation } = holdOut(indexed(), 3, 'set');
    expect(train.shape).toEqual([7, 1, 2, 2]);
    expect(validation.shape).toEqual([3, 1, 2, 2]);
    expect([...validation.images]).toEqual([7, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9]);
    expect([...validation.labels]).toEqual([1, 2, 0]);
    expect(train.images[27]).toBe(6);
    expect(train.labels.length).toBe(7);
    expect(validation.classes).toBe(3);
  });

  it('refuses to hold out none, all, or a fraction of the images, naming the set and the range', () => {
    for (const n of [0, 10, 11, 2.5]) expect(() => holdOut(indexed(), n, 'fashion-mnist train')).toThrow(/fashion-mnist train: cannot hold out .* of 10 .*from 1 to 9/);
  });
});

describe('firstImages', () => {
  it('keeps the first n, or everything when n is missing or not smaller', () => {
    expect([...firstImages(indexed(), 2, 'set').labels]).toEqual([0, 1]);
    expect(firstImages(indexed(), undefined, 'set').shape[0]).toBe(10);
    expect(firstImages(indexed(), 50, 'set').shape[0]).toBe(10);
  });
});
