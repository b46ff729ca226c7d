// The 15 corruptions of CIFAR-10/100-C (32 px tables) and Tiny-ImageNet-C (64 px tables), each at
// severities 1…5 (hendrycks/robustness make_cifar_c.py and make_tinyimagenet_c.py; ALGORITHMS.md
// §9), in the loaders' order (§10). Asset-free: frost is procedural (a substitute, see frost.ts),
// motion blur and snow use the imagecorruptions kernel instead of ImageMagick, and JPEG is
// libjpeg's lossy pipeline without the entropy coding (jpeg.ts).
//
// Images are planar bytes (ImageShape). Every corruption takes 1 or 3 channels; snow, frost,
// brightness and JPEG refuse other counts. Float results are clipped to [0, 1], scaled by 255 and
// truncated, as the generators' np.uint8 does (§9.2); motion blur rounds, as ImageMagick's 8-bit
// output does; pixelate and JPEG work on bytes throughout, like PIL. The tables are in pixels for
// their image size, but every corruption runs at any size (pixelate and the elastic triangle follow
// the shape). Given the same random draws, defocus, glass, zoom, contrast, pixelate and JPEG give the
// reference's bytes on the test images; elastic and brightness are within one level.
//
// Randomness: level s of corruption c draws from CorruptionRandom(seed, imageIndex, c·5 + s − 1)
// (severity.ts), so each image of each pair can be made alone, in any order.
import { cifarGlassBlur, type CifarGlassBlurParameters } from './cifarGlassBlur.ts';
import { contrast } from './contrast.ts';
import { checkImage, type Corruption, type ImageShape } from './corruption.ts';
import { defocusKernel, filter2dReflect101 } from './defocus.ts';
import { elasticTransform, type ElasticParameters } from './elastic.ts';
import { fog } from './fog.ts';
import { frost, type FrostParameters } from './frost.ts';
import { hsvBrightness } from './hsvBrightness.ts';
import { jpegRoundTrip } from './jpeg.ts';
import { motionBlur } from './motionBlur.ts';
import { impulseNoise } from './noise.ts';
import { pixelate } from './pixelate.ts';
import { mapPlanes } from './planes.ts';
import { toU8Truncated, toUnit } from './quantize.ts';
import type { CorruptionRandom } from './random.ts';
import type { SeverityCorruption } from './severity.ts';
import { snow, type SnowParameters } from './snow.ts';
import { zoomBlur, zoomFactors } from './zoomBlur.ts';

type Levels<T> = readonly [T, T, T, T, T];

/** One suite's parameters, severity 1 → 5 (ALGORITHMS.md §9.1). */
export interface CorruptionTables {
  /** The image side the tables were written for. */
  size: number;
  gaussianNoiseSd: Levels<number>;
  /** Photons per unit intensity: Poisson(c·x)/c. */
  shotNoisePhotons: Levels<number>;
  impulseNoiseAmount: Levels<number>;
  defocusBlur: Levels<{ radius: number; aliasSigma: number }>;
  glassBlur: Levels<CifarGlassBlurParameters>;
  motionBlur: Levels<{ radius: number; sigma: number }>;
  /** The end of arange(1, end, 0.01). */
  zoomBlurEnd: Levels<number>;
  snow: Levels<SnowParameters>;
  frost: Levels<FrostParameters>;
  fog: Levels<{ strength: number; decay: number }>;
  /** The plasma fractal's side: the reference's default mapsize, equal to the image side. */
  fogMapsize: number;
  brightnessDelta: Levels<number>;
  contrastFactor: Levels<number>;
  /** In pixels: the reference's size × fraction. */
  elastic: Levels<ElasticParameters>;
  pixelateFactor: Levels<number>;
  jpegQuality: Levels<number>;
}

const defocus = (radius: number, aliasSigma: number) => ({ radius, aliasSigma });
const glass = (sigma: number, maxDelta: number, iterations: number) => ({ sigma, maxDelta, iterations });
const motion = (radius: number, sigma: number) => ({ radius, sigma });
const snowy = (mean: number, sd: number, zoom: number, threshold: number, blurRadius: number, blurSigma: number, blend: number) => ({
  mean, sd, zoom, threshold, blurRadius, blurSigma, blend,
});
const frosty = (imageWeight: number, frostWeight: number) => ({ imageWeight, frostWeight });
const foggy = (strength: number, decay: number) => ({ strength, decay });
/** The reference writes (IMSIZE·a, IMSIZE·b, IMSIZE·c) for (α, σ, affine); the products are kept as it computes them. */
const elasticOf = (size: number, levels: Levels<[number, number, number]>) =>
  levels.map(([alpha, sigma, affine]) => ({ alpha: size * alpha, sigma: size * sigma, affine: size * affine })) as unknown as Levels<ElasticParameters>;

export const CIFAR_C_TABLES: CorruptionTables = {
  size: 32,
  gaussianNoiseSd: [0.04, 0.06, 0.08, 0.09, 0.1],
  shotNoisePhotons: [500, 250, 100, 75, 50],
  impulseNoiseAmount: [0.01, 0.02, 0.03, 0.05, 0.07],
  defocusBlur: [defocus(0.3, 0.4), defocus(0.4, 0.5), defocus(0.5, 0.6), defocus(1, 0.2), defocus(1.5, 0.1)],
  glassBlur: [glass(0.05, 1, 1), glass(0.25, 1, 1), glass(0.4, 1, 1), glass(0.25, 1, 2), glass(0.4, 1, 2)],
  motionBlur: [motion(6, 1), motion(6, 1.5), motion(6, 2), motion(8, 2), motion(9, 2.5)],
  zoomBlurEnd: [1.06, 1.11, 1.16, 1.21, 1.26],
  snow: [
    snowy(0.1, 0.2, 1, 0.6, 8, 3, 0.95),
    snowy(0.1, 0.2, 1, 0.5, 10, 4, 0.9),
    snowy(0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
    snowy(0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
    snowy(0.3, 0.3, 1.25, 0.65, 14, 12, 0.8),
  ],
  frost: [frosty(1, 0.2), frosty(1, 0.3), frosty(0.9, 0.4), frosty(0.85, 0.4), frosty(0.75, 0.45)],
  fog: [foggy(0.2, 3), foggy(0.5, 3), foggy(0.75, 2.5), foggy(1, 2), foggy(1.5, 1.75)],
  fogMapsize: 32,
  brightnessDelta: [0.05, 0.1, 0.15, 0.2, 0.3],
  contrastFactor: [0.75, 0.5, 0.4, 0.3, 0.15],
  elastic: elasticOf(32, [[0, 0, 0.08], [0.05, 0.2, 0.07], [0.08, 0.06, 0.06], [0.1, 0.04, 0.05], [0.1, 0.03, 0.03]]),
  pixelateFactor: [0.95, 0.9, 0.85, 0.75, 0.65],
  jpegQuality: [80, 65, 58, 50, 40],
};

export const TINY_IMAGENET_C_TABLES: CorruptionTables = {
  size: 64,
  gaussianNoiseSd: [0.04, 0.08, 0.12, 0.15, 0.18],
  shotNoisePhotons: [250, 100, 50, 30, 15],
  impulseNoiseAmount: [0.01, 0.02, 0.05, 0.08, 0.14],
  defocusBlur: [defocus(0.5, 0.6), defocus(1, 0.1), defocus(1.5, 0.1), defocus(2.5, 0.01), defocus(3, 0.1)],
  glassBlur: [glass(0.1, 1, 1), glass(0.5, 1, 1), glass(0.6, 1, 2), glass(0.7, 2, 1), glass(0.9, 2, 2)],
  motionBlur: [motion(10, 1), motion(10, 1.5), motion(10, 2), motion(10, 2.5), motion(12, 3)],
  zoomBlurEnd: [1.06, 1.11, 1.16, 1.21, 1.26],
  snow: [
    snowy(0.1, 0.2, 1, 0.6, 8, 3, 0.8),
    snowy(0.1, 0.2, 1, 0.5, 10, 4, 0.8),
    snowy(0.15, 0.3, 1.75, 0.55, 10, 4, 0.7),
    snowy(0.25, 0.3, 2.25, 0.6, 12, 6, 0.65),
    snowy(0.3, 0.3, 1.25, 0.65, 14, 12, 0.6),
  ],
  frost: [frosty(1, 0.3), frosty(0.9, 0.4), frosty(0.8, 0.45), frosty(0.75, 0.5), frosty(0.7, 0.55)],
  fog: [foggy(0.4, 3), foggy(0.7, 3), foggy(1, 2.5), foggy(1.5, 2), foggy(2, 1.75)],
  fogMapsize: 64,
  brightnessDelta: [0.1, 0.2, 0.3, 0.4, 0.5],
  contrastFactor: [0.4, 0.3, 0.2, 0.1, 0.05],
  elastic: elasticOf(64, [[0, 0, 0.08], [0.05, 0.3, 0.06], [0.1, 0.08, 0.06], [0.1, 0.03, 0.03], [0.16, 0.03, 0.02]]),
  pixelateFactor: [0.9, 0.8, 0.7, 0.6, 0.5],
  jpegQuality: [65, 58, 50, 40, 25],
};

type UnitCorruption = (x: Float64Array, shape: ImageShape, random: CorruptionRandom) => Float64Array;
type ByteCorruption = (image: Uint8Array, shape: ImageShape, random: CorruptionRandom) => Uint8Array;

function byteLevels(name: string, description: string, levels: readonly ByteCorruption[]): SeverityCorruption {
  const corruptions = levels.map(
    (corrupt, s): Corruption => ({
      name,
      severity: s + 1,
      apply(image, shape, random) {
        checkImage(image, shape, name);
        return corrupt(image, shape, random);
      },
    }),
  );
  return { name, description, levels: corruptions };
}

/** Works on [0, 1] floats; clip, ×255 and truncate at the end (np.uint8 in the generators). */
function unitLevels(name: string, description: string, levels: readonly UnitCorruption[]): SeverityCorruption {
  return byteLevels(name, description, levels.map((corrupt) => (image, shape, random) => toU8Truncated(corrupt(toUnit(image), shape, random))));
}

/** np.clip(x, 0, 1)·255 on a float32 array stays float32 before np.uint8 truncates it. */
function toU8TruncatedFloat32(x: Float64Array): Uint8Array {
  return Uint8Array.from(x, (v) => Math.trunc(Math.fround(Math.min(Math.max(v, 0), 1) * 255)));
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

/** Angle U(−45°, 45°); the result rounded to bytes like ImageMagick's 8-bit output. */
function motionBlurred(radius: number, sigma: number): ByteCorruption {
  return (image, shape, random) => {
    const angle = random.uniformBetween(-45, 45);
    const blurred = mapPlanes(toUnit(image), shape, (plane) => motionBlur(plane, shape.height, shape.width, radius, sigma, angle));
    return Uint8Array.from(blurred, (v) => Math.round(Math.min(Math.max(v, 0), 1) * 255));
  };
}

/** One line per corruption for SeverityCorruption.description. */
const DESCRIPTIONS = {
  gaussian_noise: 'x + N(0, σ²) for every value',
  shot_noise: 'Poisson(c·x)/c for every value (exact Poisson: inversion up to mean 30, PTRS above)',
  impulse_noise: 'salt and pepper: each value becomes 0 or 1 (½ each) with probability `amount`',
  defocus_blur: 'anti-aliased disk kernel (float32, as the reference), OpenCV filter2D with reflect-101 border',
  glass_blur: 'blur, bytes, each pixel copied from a random neighbour (the reference\'s NumPy-view "swap"), blur',
  motion_blur: "substitute kernel: imagecorruptions' one-sided Gaussian streak instead of ImageMagick MotionBlurImage",
  zoom_blur: 'mean of the image and its centre zooms by arange(1, end, 0.01) (SciPy order-1 zoom), in float32',
  snow: 'zoomed, thresholded Gaussian flakes streaked by the substitute motion-blur kernel, on a whitened image',
  frost: "SUBSTITUTE: procedural frost (plasma haze and crystal streaks), not the reference's frost photographs (ALGORITHMS.md §9.3 (b))",
  fog: 'plasma fractal haze, (x + s·P)·max(x)/(max(x) + s)',
  brightness: 'V + ΔV in HSV (skimage round trip), hue and saturation kept',
  contrast: '(x − mean)·c + mean per channel',
  elastic_transform: 'random affine (OpenCV, reflect-101) then a smoothed random displacement field (SciPy, reflect)',
  pixelate: 'PIL BOX resize to int(n·factor) and back',
  jpeg_compression: "libjpeg's lossy steps at quality q (4:2:0 YCbCr, islow DCTs, fancy upsampling) without entropy coding",
} as const;

const gaussianNoise = (sd: number): UnitCorruption => (x, _shape, random) => x.map((v) => v + random.normal(0, sd));
const shotNoise = (photons: number): UnitCorruption => (x, _shape, random) => x.map((v) => random.poissonAnyMean(photons * v) / photons);

function defocusBlur(radius: number, aliasSigma: number): UnitCorruption {
  const kernel = defocusKernel(radius, aliasSigma);
  return (x, shape) => mapPlanes(x, shape, (plane) => filter2dReflect101(plane, shape.height, shape.width, kernel));
}

/** The reference's image is float32 throughout, up to the final np.uint8. */
function zoomBlurred(end: number): ByteCorruption {
  const factors = zoomFactors(end);
  return (image, shape) => toU8TruncatedFloat32(mapPlanes(toUnit(image), shape, (plane) => Float64Array.from(zoomBlur(plane, shape.height, shape.width, factors))));
}

/** The reference's plasma map is the image's size; larger images get a larger map. */
function fogged(t: CorruptionTables, strength: number, decay: number): UnitCorruption {
  return (x, shape, random) => fog(x, shape, strength, decay, Math.max(t.fogMapsize, nextPowerOfTwo(Math.max(shape.height, shape.width))), random);
}

export function corruptionSuite(t: CorruptionTables): readonly SeverityCorruption[] {
  const d = DESCRIPTIONS;
  return [
    unitLevels('gaussian_noise', d.gaussian_noise, t.gaussianNoiseSd.map(gaussianNoise)),
    unitLevels('shot_noise', d.shot_noise, t.shotNoisePhotons.map(shotNoise)),
    unitLevels('impulse_noise', d.impulse_noise, t.impulseNoiseAmount.map((amount) => (x, _shape, random) => impulseNoise(x, amount, random))),
    unitLevels('defocus_blur', d.defocus_blur, t.defocusBlur.map(({ radius, aliasSigma }) => defocusBlur(radius, aliasSigma))),
    unitLevels('glass_blur', d.glass_blur, t.glassBlur.map((p) => (x, shape, random) => cifarGlassBlur(x, shape, p, random))),
    byteLevels('motion_blur', d.motion_blur, t.motionBlur.map(({ radius, sigma }) => motionBlurred(radius, sigma))),
    byteLevels('zoom_blur', d.zoom_blur, t.zoomBlurEnd.map(zoomBlurred)),
    unitLevels('snow', d.snow, t.snow.map((p) => (x, shape, random) => snow(x, shape, p, random))),
    unitLevels('frost', d.frost, t.frost.map((p) => (x, shape, random) => frost(x, shape, p, random))),
    unitLevels('fog', d.fog, t.fog.map(({ strength, decay }) => fogged(t, strength, decay))),
    unitLevels('brightness', d.brightness, t.brightnessDelta.map((delta) => (x, shape) => hsvBrightness(x, shape, delta))),
    unitLevels('contrast', d.contrast, t.contrastFactor.map((factor) => (x, shape) => contrast(x, shape, factor))),
    unitLevels('elastic_transform', d.elastic_transform, t.elastic.map((p) => (x, shape, random) => elasticTransform(x, shape, p, random))),
    byteLevels('pixelate', d.pixelate, t.pixelateFactor.map((factor) => (image, shape) => pixelate(image, shape, factor))),
    byteLevels('jpeg_compression', d.jpeg_compression, t.jpegQuality.map((quality) => (image, shape) => jpegRoundTrip(image, shape, quality))),
  ];
}

export const CIFAR_C: readonly SeverityCorruption[] = corruptionSuite(CIFAR_C_TABLES);
export const TINY_IMAGENET_C: readonly SeverityCorruption[] = corruptionSuite(TINY_IMAGENET_C_TABLES);
