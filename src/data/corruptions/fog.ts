// Fog (ALGORITHMS.md §8, §9.2): x' = (x + s·P)·max(x)/(max(x) + s), P the top-left crop of a plasma
// fractal; the factor keeps x' within about [0, max(x)]. The caller clips. A black image stays black.
import type { ImageShape } from './corruption.ts';
import { plasmaFractal } from './plasmaFractal.ts';
import type { CorruptionRandom } from './random.ts';

export function fog(x: Float64Array, shape: ImageShape, strength: number, decay: number, mapsize: number, random: CorruptionRandom): Float64Array {
  const { height, width } = shape;
  if (height > mapsize || width > mapsize) throw new Error(`fog: image ${height}×${width} is larger than the plasma map ${mapsize}×${mapsize}`);
  const plasma = plasmaFractal(mapsize, decay, random);
  const max = x.reduce((a, b) => Math.max(a, b), 0);
  const scale = max / (max + strength);
  return x.map((v, k) => {
    const pixel = k % (height * width);
    const fractal = plasma[Math.floor(pixel / width) * mapsize + (pixel % width)]!;
    return (v + strength * fractal) * scale;
  });
}
