// The CIFAR recipe's base augmentation (§4): a horizontal flip with probability ½ and a crop of
// the image's size from the image zero-padded by p pixels, drawn per sample from Philox at
// (0, sample, step, Stream.flipCrop). The fused kernel applies them while reading the image.
import { philox4x32Into, seedKey, Stream, uniform01 } from '../rng/philox.ts';

export interface FlipCrop {
  flip: boolean;
  /** In [−padding, padding]: output pixel (x, y) reads (x + shiftX, y + shiftY). */
  shiftX: number;
  shiftY: number;
}

export interface FlipCropDraw {
  seed: number;
  step: number;
  batch: number;
  flip: boolean;
  padding: number;
}

export function flipCropDraws({ seed, step, batch, flip, padding }: FlipCropDraw): FlipCrop[] {
  if (!(Number.isInteger(padding) && padding >= 0)) throw new RangeError(`crop padding must be an integer ≥ 0, got ${padding}`);
  const key = seedKey(seed);
  const words = new Uint32Array(4);
  const shift = (word: number) => Math.floor(uniform01(word) * (2 * padding + 1)) - padding;
  return Array.from({ length: batch }, (_, b) => {
    philox4x32Into(words, 0, b, step, Stream.flipCrop, key[0], key[1]);
    return { flip: flip && uniform01(words[0]!) < 0.5, shiftX: shift(words[1]!), shiftY: shift(words[2]!) };
  });
}
