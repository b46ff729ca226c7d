// Contrast (ALGORITHMS.md §9.2): each channel pulled towards its own mean over the image,
// (x − mean)·c + mean.
import type { ImageShape } from './corruption.ts';
import { mapPlanes } from './planes.ts';

/**
 * The mean taken about the plane's first value, so a constant plane's mean is exactly its value and
 * the image comes back unchanged. (The reference's plain float mean is off by an ulp for about half
 * of the byte values, and truncation then takes a constant image one level down.)
 */
export function planeMean(plane: Float64Array): number {
  const origin = plane[0]!;
  let sum = 0;
  for (const v of plane) sum += v - origin;
  return origin + sum / plane.length;
}

export function contrast(x: Float64Array, shape: ImageShape, factor: number): Float64Array {
  return mapPlanes(x, shape, (plane) => {
    const mean = planeMean(plane);
    return plane.map((v) => (v - mean) * factor + mean);
  });
}
