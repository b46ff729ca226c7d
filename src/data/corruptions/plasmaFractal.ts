// Diamond–square plasma fractal on a torus, as the reference's plasma_fractal (ALGORITHMS.md §9.2),
// quirks kept: each new point is the mean of its four neighbours plus w·U(−w, w) (amplitude w², not w),
// and the map is normalised by its min and max over the whole mapsize², not over the crop used.
import type { CorruptionRandom } from './random.ts';

export function plasmaFractal(mapsize: number, decay: number, random: CorruptionRandom): Float64Array {
  if (!Number.isInteger(mapsize) || mapsize < 2 || (mapsize & (mapsize - 1)) !== 0) throw new Error(`mapsize must be a power of two ≥ 2, got ${mapsize}`);
  const map = new Float64Array(mapsize * mapsize);
  const at = (row: number, col: number) => map[(row & (mapsize - 1)) * mapsize + (col & (mapsize - 1))]!;
  let wibble = 100;
  const wibbledMean = (sum: number) => sum / 4 + wibble * random.uniformBetween(-wibble, wibble);
  for (let step = mapsize; step >= 2; step >>= 1, wibble /= decay) {
    const half = step / 2;
    // Squares: the centre of each cell from its four corners.
    for (let r = 0; r < mapsize; r += step)
      for (let c = 0; c < mapsize; c += step)
        map[(r + half) * mapsize + c + half] = wibbledMean(at(r, c) + at(r + step, c) + (at(r, c + step) + at(r + step, c + step)));
    // Diamonds: the top and left edge midpoints of each cell from their two centres and two corners.
    // Sums are grouped and the points visited in the reference's order, so equal draws give equal bits.
    for (let r = 0; r < mapsize; r += step)
      for (let c = 0; c < mapsize; c += step)
        map[r * mapsize + c + half] = wibbledMean(at(r + half, c + half) + at(r - half, c + half) + (at(r, c) + at(r, c + step)));
    for (let r = 0; r < mapsize; r += step)
      for (let c = 0; c < mapsize; c += step)
        map[(r + half) * mapsize + c] = wibbledMean(at(r + half, c + half) + at(r + half, c - half) + (at(r, c) + at(r + step, c)));
  }
  return normaliseToUnit(map);
}

function normaliseToUnit(map: Float64Array): Float64Array {
  const min = map.reduce((a, b) => Math.min(a, b), Infinity);
  const shifted = map.map((v) => v - min);
  const max = shifted.reduce((a, b) => Math.max(a, b), -Infinity);
  return shifted.map((v) => v / max);
}
