// Frost: x' = w_img·x + w_frost·F (ALGORITHMS.md §9.2).
//
// SUBSTITUTE. The reference blends in a random crop of one of five frost photographs; this project
// ships no image assets, so F is PROCEDURAL frost (ALGORITHMS.md §9.3 option (b)) and the corruption
// is "frost-like", not the released one: three octaves of plasma fractal for the icy haze, plus
// about 20 short crystal polylines per 32 pixels of side, streaked by the motion-blur kernel, tinted
// pale blue (0.85, 0.92, 1.0) and scaled to a mean brightness drawn from U(0.45, 0.55), like crops
// of the real photographs. Evaluate on the released arrays where the real frost matters.
import type { ImageShape } from './corruption.ts';
import { motionBlur } from './motionBlur.ts';
import { plasmaFractal } from './plasmaFractal.ts';
import type { CorruptionRandom } from './random.ts';

export interface FrostParameters {
  imageWeight: number;
  frostWeight: number;
}

export const FROST_TINT = [0.85, 0.92, 1.0] as const;
/** Octave k has amplitude 2^-k and period mapsize/2^k (the diamond–square map tiles: it lives on a torus). */
const OCTAVES = 3;
const PLASMA_DECAY = 1.5;
const CRYSTALS_PER_32_PIXELS = 20;
const HAZE_WEIGHT = 0.8;

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

/** The icy haze in [0, 1]: octaves of plasma fractal averaged with weights 1, ½, ¼. */
function haze(height: number, width: number, random: CorruptionRandom): Float64Array {
  const mapsize = nextPowerOfTwo(Math.max(height, width, 2 ** OCTAVES));
  const out = new Float64Array(height * width);
  let total = 0;
  for (let octave = 0; octave < OCTAVES; octave++) {
    const side = mapsize >> octave;
    const amplitude = 2 ** -octave;
    const map = plasmaFractal(side, PLASMA_DECAY, random);
    for (let k = 0; k < out.length; k++) out[k] += amplitude * map[(Math.floor(k / width) % side) * side + ((k % width) % side)]!;
    total += amplitude;
  }
  return out.map((v) => v / total);
}

/** Bright crystal polylines (2 or 3 segments, each turning a little), streaked by one motion blur. */
function crystals(height: number, width: number, random: CorruptionRandom): Float64Array {
  const layer = new Float64Array(height * width);
  const side = Math.min(height, width);
  const count = Math.max(1, Math.round((CRYSTALS_PER_32_PIXELS * side) / 32));
  for (let i = 0; i < count; i++) {
    let [row, col] = [random.uniformBetween(0, height), random.uniformBetween(0, width)];
    let angle = random.uniformBetween(0, 2 * Math.PI);
    const brightness = random.uniformBetween(0.4, 0.8);
    const segments = random.integer(2, 4);
    for (let s = 0; s < segments; s++) {
      const length = random.uniformBetween(0.1, 0.25) * side;
      for (let t = 0; t <= length; t += 0.5) {
        const [r, c] = [Math.floor(row + t * Math.sin(angle)), Math.floor(col + t * Math.cos(angle))];
        if (r >= 0 && r < height && c >= 0 && c < width) layer[r * width + c] = Math.max(layer[r * width + c]!, brightness);
      }
      [row, col] = [row + length * Math.sin(angle), col + length * Math.cos(angle)];
      angle += random.uniformBetween(-0.6, 0.6);
    }
  }
  return motionBlur(layer, height, width, 2, 1, random.uniformBetween(-180, 180));
}

/** F as `channels` planes in [0, 1]: tinted for RGB, plain grey for one channel. */
export function frostLayer(shape: ImageShape, random: CorruptionRandom): Float64Array {
  const { channels, height, width } = shape;
  if (channels !== 1 && channels !== 3) throw new Error(`frost needs 1 or 3 channels, got ${channels}`);
  const base = haze(height, width, random);
  const streaks = crystals(height, width, random);
  const ice = base.map((v, k) => Math.min(HAZE_WEIGHT * v + streaks[k]!, 1));
  const tint = channels === 3 ? FROST_TINT : [1];
  const size = height * width;
  const tinted = Float64Array.from({ length: channels * size }, (_, k) => ice[k % size]! * tint[Math.floor(k / size)]!);
  const mean = tinted.reduce((a, b) => a + b, 0) / tinted.length;
  const scale = mean > 0 ? random.uniformBetween(0.45, 0.55) / mean : 0;
  return tinted.map((v) => Math.min(v * scale, 1));
}

export function frost(x: Float64Array, shape: ImageShape, p: FrostParameters, random: CorruptionRandom): Float64Array {
  const layer = frostLayer(shape, random);
  return x.map((v, k) => p.imageWeight * v + p.frostWeight * layer[k]!);
}
