// Float64 inverted dropout with the GPU's mask: Philox4x32-10 keyed by the seed, counter
// (element >> 2, layer, step, stream 5), word element & 3; kept iff its [0,1) float >= p.
import { philox4x32, uniformClosedOpen } from './philox.ts';

export const DROPOUT_STREAM = 5;

/** 0 for dropped elements, 1/(1−p) rounded to f32 (as the GPU stores it) for kept ones. */
export function dropoutMask(count: number, p: number, seed: number, step: number, layer = 0): Float64Array {
  const key = [seed % 2 ** 32, Math.floor(seed / 2 ** 32)] as const;
  const scale = Math.fround(1 / (1 - p));
  const mask = new Float64Array(count);
  for (let block = 0; 4 * block < count; block++) {
    const words = philox4x32([block, layer, step, DROPOUT_STREAM], key);
    for (let w = 0; w < 4 && 4 * block + w < count; w++) mask[4 * block + w] = uniformClosedOpen(words[w]!) >= p ? scale : 0;
  }
  return mask;
}

export function dropoutForward(x: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => v * mask[i]!);
}

export function dropoutBackward(dy: ArrayLike<number>, mask: ArrayLike<number>): Float64Array {
  return Float64Array.from(dy, (v, i) => v * mask[i]!);
}
