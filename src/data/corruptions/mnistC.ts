// The 15 MNIST-C corruptions (google-research/mnist-c, ALGORITHMS.md §8), in the order the released
// dataset lists them, each at the severity the release was made with. They work on [0, 1] floats and
// return bytes rounded as §8 says. Geometric ones work for any size, about the centre ((n−1)/2).
import { canny } from './canny.ts';
import { brightness } from './brightness.ts';
import { checkImage, type Corruption, type ImageShape } from './corruption.ts';
import { fog } from './fog.ts';
import { glassBlur } from './glassBlur.ts';
import { isDottedLineGap, lineIntensity } from './line.ts';
import { motionBlur } from './motionBlur.ts';
import { impulseNoise, shotNoise } from './noise.ts';
import { mapPlanes } from './planes.ts';
import { toU8Rounded, toUnit } from './quantize.ts';
import type { CorruptionRandom } from './random.ts';
import { mudSpatter } from './spatter.ts';
import { stripe } from './stripe.ts';
import { aboutCentre, rotationMatrix, scaleMatrix, shearMatrix, translationMatrix, warpAffine, type Affine } from './warp.ts';
import { zigzagVertices } from './zigzag.ts';

type UnitCorruption = (x: Float64Array, shape: ImageShape, random: CorruptionRandom) => Float64Array;

function mnistCorruption(name: string, severity: number | undefined, corrupt: UnitCorruption): Corruption {
  const apply = (image: Uint8Array, shape: ImageShape, random: CorruptionRandom) => {
    checkImage(image, shape, name);
    return toU8Rounded(corrupt(toUnit(image), shape, random));
  };
  return severity === undefined ? { name, apply } : { name, severity, apply };
}

function warpPlanes(x: Float64Array, shape: ImageShape, m: Affine): Float64Array {
  return mapPlanes(x, shape, (plane) => warpAffine(plane, shape.height, shape.width, m));
}

function addOverlay(x: Float64Array, shape: ImageShape, overlay: Float64Array): Float64Array {
  return mapPlanes(x, shape, (plane) => plane.map((v, k) => Math.min(Math.max(v + overlay[k]!, 0), 1)));
}

/** A line from the left to the right edge between random rows, with every other pair of columns blanked. */
function dottedLine(x: Float64Array, shape: ImageShape, random: CorruptionRandom): Float64Array {
  const { height, width } = shape;
  const [r0, r1] = [random.integer(0, height - 1), random.integer(0, height - 1)];
  const line = lineIntensity(0, r0, width - 1, r1, height, width);
  return addOverlay(x, shape, line.map((v, k) => (isDottedLineGap(k % width) ? 0 : v)));
}

/** A zigzag from column 2 to column width − 3 (2 to 25 at width 28), rising or falling by −5 … 4 rows. */
function zigzag(x: Float64Array, shape: ImageShape, random: CorruptionRandom): Float64Array {
  const { height, width } = shape;
  const r0 = random.integer(0, height - 1);
  const r1 = r0 + random.integer(-5, 5);
  const vertices = zigzagVertices(2, r0, width - 3, r1);
  let out = x;
  for (let k = 1; k < vertices.length; k++) {
    const [a, b] = [vertices[k - 1]!, vertices[k]!];
    out = addOverlay(out, shape, lineIntensity(a.col, a.row, b.col, b.row, height, width));
  }
  return out;
}

function cannyEdges(x: Float64Array, shape: ImageShape): Float64Array {
  if (shape.channels !== 1) throw new Error(`canny_edges needs a greyscale image (channels = 1), got ${shape.channels} channels`);
  return canny(x, shape.height, shape.width);
}

export const MNIST_C: readonly Corruption[] = [
  mnistCorruption('shot_noise', 5, (x, _shape, random) => shotNoise(x, 3, random)),
  mnistCorruption('impulse_noise', 4, (x, _shape, random) => impulseNoise(x, 0.17, random)),
  // skimage's gaussian(multichannel=True) on a 2-D grey array blurs down the columns only.
  mnistCorruption('glass_blur', 1, (x, shape, random) =>
    glassBlur(x, shape, { sigma: 0.7, maxDelta: 1, iterations: 2, swapProbability: 0.5, blurAxes: shape.channels === 1 ? 'vertical' : 'both' }, random),
  ),
  mnistCorruption('motion_blur', 1, (x, shape, random) => {
    const angle = random.uniformBetween(-45, 45);
    return mapPlanes(x, shape, (plane) => motionBlur(plane, shape.height, shape.width, 10, 3, angle));
  }),
  mnistCorruption('shear', 2, (x, shape, random) => warpPlanes(x, shape, aboutCentre(shearMatrix(0.4 * random.sign()), shape.height, shape.width))),
  mnistCorruption('scale', 3, (x, shape) => warpPlanes(x, shape, aboutCentre(scaleMatrix(1 / 0.7, 1 / 0.7), shape.height, shape.width))),
  mnistCorruption('rotate', 2, (x, shape, random) => warpPlanes(x, shape, aboutCentre(rotationMatrix(0.4 * random.sign()), shape.height, shape.width))),
  mnistCorruption('brightness', 5, (x, shape) => brightness(x, shape, 0.5)),
  mnistCorruption('translate', 3, (x, shape, random) => {
    const dx = 3 * random.sign();
    const dy = 3 * random.sign();
    return warpPlanes(x, shape, translationMatrix(dx, dy));
  }),
  mnistCorruption('stripe', undefined, stripe),
  mnistCorruption('fog', 5, (x, shape, random) => fog(x, shape, 3, 1.4, 256, random)),
  mnistCorruption('spatter', 4, (x, shape, random) => mudSpatter(x, shape, { mean: 0.65, sd: 0.3, liquidSigma: 1, threshold: 0.65, maskSigma: 1.5 }, random)),
  mnistCorruption('dotted_line', undefined, dottedLine),
  mnistCorruption('zigzag', undefined, zigzag),
  mnistCorruption('canny_edges', undefined, cannyEdges),
];
