// Most corruptions act on each channel plane alike, with the same random parameters.
import type { ImageShape } from './corruption.ts';

export function mapPlanes(x: Float64Array, shape: ImageShape, f: (plane: Float64Array) => Float64Array): Float64Array {
  const size = shape.height * shape.width;
  const out = new Float64Array(x.length);
  for (let c = 0; c < shape.channels; c++) out.set(f(x.subarray(c * size, (c + 1) * size)), c * size);
  return out;
}
