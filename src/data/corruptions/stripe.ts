// MNIST-C stripe: invert the outer quarters of the columns (0–6 and 21–27 at width 28).
import type { ImageShape } from './corruption.ts';

export function stripe(x: Float64Array, shape: ImageShape): Float64Array {
  const band = Math.floor(shape.width / 4);
  return x.map((v, k) => {
    const col = k % shape.width;
    return col < band || col >= shape.width - band ? 1 - v : v;
  });
}
