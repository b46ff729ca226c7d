// What a corruption is, and the one way to run it on image i of a set with a given seed.
import { CorruptionRandom } from './random.ts';

/** Planar layout: the image is `channels` planes of height × width bytes, like ImageDataset. */
export interface ImageShape {
  channels: number;
  height: number;
  width: number;
}

/** One corruption: an 8-bit image in, the corrupted 8-bit image out (a new array). */
export interface Corruption {
  name: string;
  /** The severity the released dataset was made with; absent where the reference has no severity. */
  severity?: number;
  apply(image: Uint8Array, shape: ImageShape, random: CorruptionRandom): Uint8Array;
}

export function checkImage(image: ArrayLike<number>, shape: ImageShape, what: string): void {
  for (const key of ['channels', 'height', 'width'] as const)
    if (!Number.isInteger(shape[key]) || shape[key] < 1) throw new Error(`${what}: shape.${key} must be a positive integer, got ${shape[key]}`);
  const expected = shape.channels * shape.height * shape.width;
  if (image.length !== expected)
    throw new Error(`${what}: image has ${image.length} values, expected channels·height·width = ${expected}`);
}

/**
 * Corrupts image `imageIndex` of a set with the randomness of (seed, imageIndex, corruptionIndex),
 * so the result is the same whatever order or batch the images are processed in.
 */
export function corruptImage(
  corruption: Corruption,
  image: Uint8Array,
  shape: ImageShape,
  seed: number,
  imageIndex: number,
  corruptionIndex: number,
): Uint8Array {
  checkImage(image, shape, corruption.name);
  return corruption.apply(image, shape, new CorruptionRandom(seed, imageIndex, corruptionIndex));
}
