import { describe, expect, it } from 'vitest';
import { corruptImage, type Corruption } from '../../../src/data/corruptions/corruption.ts';
import { CorruptionRandom } from '../../../src/data/corruptions/random.ts';

// A corruption that writes its first random words into the image, to see which stream it got.
const stamp: Corruption = {
  name: 'stamp',
  apply: (image, _shape, random) => image.map(() => random.word() & 0xff),
};
const shape = { channels: 1, height: 2, width: 3 };

describe('corruptImage', () => {
  it('draws from (seed, imageIndex, corruptionIndex), whatever the order images come in', () => {
    const images = Array.from({ length: 5 }, () => new Uint8Array(6));
    const forward = images.map((image, i) => corruptImage(stamp, image, shape, 42, i, 3));
    const backward = images.map((_, j) => corruptImage(stamp, images[4 - j]!, shape, 42, 4 - j, 3)).reverse();
    expect(backward).toEqual(forward);
    expect(forward[2]).toEqual(stamp.apply(new Uint8Array(6), shape, new CorruptionRandom(42, 2, 3)));
    expect(new Set(forward.map((f) => f.join())).size).toBe(5);
    expect(corruptImage(stamp, images[0]!, shape, 42, 0, 4)).not.toEqual(forward[0]);
  });

  it('checks the image against its shape', () => {
    expect(() => corruptImage(stamp, new Uint8Array(5), shape, 1, 0, 0)).toThrow(/stamp: image has 5 values, expected channels·height·width = 6/);
    expect(() => corruptImage(stamp, new Uint8Array(6), { ...shape, width: 0 }, 1, 0, 0)).toThrow(/shape.width must be a positive integer/);
  });
});
