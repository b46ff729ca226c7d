// A small stand-in for CIFAR-10, written in CIFAR-10's own binary format (cifarBinary.ts:
// records of 1 label byte + 3072 planar RGB bytes, data_batch_1.bin … data_batch_5.bin and
// test_batch.bin, plus batches.meta.txt), so that `espgpu train --dataset cifar10 --data-dir`
// reads it unchanged. It exists to show the CIFAR pipeline (WRN-40-2, the `cifar` preset,
// CIFAR-10-C generated from the test set) running end to end where the real set is absent.
//
// Every image is a sinusoidal grating on a background. The class is the grating's orientation,
// folded into [0°, 90°] (five angles, 22.5° apart), times its period (about 8 or about 4 pixels):
// ten classes. The orientation is folded because the `cifar` preset flips images left to right,
// which turns a grating at θ into one at −θ; with the classes at c·18° over [0°, 180°) a flip
// would carry class c into class 10 − c. So each image draws the sign of its angle, and both
// signs belong to the class. What does not give the class, drawn per image: the phase (the
// preset's crops shift it anyway), ±5° of orientation and ±15% of period, the contrast (faint
// to clear), a colour from a palette every class shares, a grey background level with a linear
// illumination slope, and Gaussian pixel noise. Colour and mean brightness thus say nothing
// about the class, and a nearest-class-mean on pixels is near chance; the power spectrum
// separates the classes (test/experiments/syntheticCifar.test.ts checks both).
//
// The draws come from the corruption code's counter-based Philox stream, one stream an image
// (and one a block of ten labels), so an image depends only on (seed, split, index): a larger
// set begins with the same images as a smaller one. The stream's corruption slot holds a tag
// far above the 15 corruptions' indices, so these draws never coincide with a corruption's.
// Labels: each run of ten consecutive images holds every class once, in a drawn order, so every
// prefix of ten (what --train-limit, --eval-limit and --suite-limit select) is balanced.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptionRandom } from '../../src/data/corruptions/random.ts';
import { writeFileAtomicSync } from '../../src/io/atomicFile.ts';

export interface SyntheticCifarSettings {
  /** seed of every draw: labels, gratings, colours, noise */
  seed: number;
  /** spread over the five data_batch files, so at least 5 */
  trainImages: number;
  testImages: number;
}

export type SyntheticSplit = 'train' | 'test';

/** Bumped whenever the images change, so a set written by an older generator is not reused. */
export const GENERATOR_VERSION = 1;
export const SIDE = 32;
const PLANE = SIDE * SIDE;
export const RECORD_BYTES = 1 + 3 * PLANE;
const TRAIN_FILES = 5;

/** Class c = orientation (c >> 1) × period (c & 1). */
export const SYNTHETIC_CLASSES = [0, 22.5, 45, 67.5, 90].flatMap((degrees) => [8, 4].map((periodPixels) => ({ degrees, periodPixels })));
export const SYNTHETIC_CLASS_NAMES = SYNTHETIC_CLASSES.map((c) => `grating-${c.degrees}deg-period${c.periodPixels}px`);

/** The draws around each class (in [0, 1] pixel units where they are intensities). */
export const GENERATOR_PARAMETERS = {
  orientationJitterDegrees: 5,
  periodJitter: 0.15,
  amplitude: [0.05, 0.35],
  background: [0.25, 0.75],
  /** change of the background across the image, per axis, at most */
  illuminationSlope: 0.25,
  noiseSd: 0.08,
  colourJitterSd: 0.1,
  /** every class draws its colours around these */
  palette: [[0.9, 0.3, 0.25], [0.3, 0.8, 0.3], [0.3, 0.4, 0.95], [0.9, 0.85, 0.3], [0.8, 0.35, 0.85], [0.85, 0.85, 0.85]],
} as const;

// Tags in the stream's corruption slot ('SYN' followed by the use).
const SLOT = { trainImage: 0x53594e00, testImage: 0x53594e01, trainLabels: 0x53594e02, testLabels: 0x53594e03 } as const;

export function checkSettings(settings: SyntheticCifarSettings): void {
  const { seed, trainImages, testImages } = settings;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`synthetic CIFAR: seed must be an integer ≥ 0, got ${seed}`);
  if (!Number.isSafeInteger(trainImages) || trainImages < TRAIN_FILES) {
    throw new Error(`synthetic CIFAR: trainImages must be an integer ≥ ${TRAIN_FILES} (one record at least in each of the ${TRAIN_FILES} batch files), got ${trainImages}`);
  }
  if (!Number.isSafeInteger(testImages) || testImages < 1) throw new Error(`synthetic CIFAR: testImages must be an integer ≥ 1, got ${testImages}`);
}

/** The label of image `index`: a drawn permutation of the ten classes per block of ten. */
export function syntheticLabel(seed: number, split: SyntheticSplit, index: number): number {
  const block = Math.floor(index / 10);
  const random = new CorruptionRandom(seed, block, split === 'train' ? SLOT.trainLabels : SLOT.testLabels);
  const order = Array.from({ length: 10 }, (_, c) => c);
  for (let i = 9; i > 0; i--) {
    const j = random.integer(0, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order[index % 10]!;
}

/** Image `index` of class `label`: 3 planes of 32×32 bytes (CHW), as a CIFAR record stores them. */
export function syntheticImage(seed: number, split: SyntheticSplit, index: number, label: number): Uint8Array {
  const p = GENERATOR_PARAMETERS;
  const random = new CorruptionRandom(seed, index, split === 'train' ? SLOT.trainImage : SLOT.testImage);
  const { degrees, periodPixels } = SYNTHETIC_CLASSES[label]!;
  const sign = random.sign();
  const angle = (sign * (degrees + random.uniformBetween(-p.orientationJitterDegrees, p.orientationJitterDegrees)) * Math.PI) / 180;
  const frequency = (2 * Math.PI) / (periodPixels * random.uniformBetween(1 - p.periodJitter, 1 + p.periodJitter));
  const phase = random.uniformBetween(0, 2 * Math.PI);
  const amplitude = random.uniformBetween(p.amplitude[0], p.amplitude[1]);
  const background = random.uniformBetween(p.background[0], p.background[1]);
  const slopeX = random.uniformBetween(-p.illuminationSlope, p.illuminationSlope) / SIDE;
  const slopeY = random.uniformBetween(-p.illuminationSlope, p.illuminationSlope) / SIDE;
  const base = p.palette[random.integer(0, p.palette.length)]!;
  const colour = base.map((v) => Math.min(1, Math.max(0.15, random.normal(v, p.colourJitterSd))));
  const [cx, cy] = [frequency * Math.cos(angle), frequency * Math.sin(angle)];
  const centre = (SIDE - 1) / 2;
  const image = new Uint8Array(3 * PLANE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const grating = amplitude * Math.sin(cx * x + cy * y + phase);
      const level = background + slopeX * (x - centre) + slopeY * (y - centre);
      for (let k = 0; k < 3; k++) image[k * PLANE + y * SIDE + x] = toByte(level + colour[k]! * grating + random.normal(0, p.noiseSd));
    }
  }
  return image;
}

const toByte = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));

/** Records [start, end) of a split, label byte first, ready to write as a batch file. */
export function syntheticRecords(seed: number, split: SyntheticSplit, start: number, end: number): Uint8Array {
  const bytes = new Uint8Array((end - start) * RECORD_BYTES);
  for (let i = start; i < end; i++) {
    const label = syntheticLabel(seed, split, i);
    const at = (i - start) * RECORD_BYTES;
    bytes[at] = label;
    bytes.set(syntheticImage(seed, split, i, label), at + 1);
  }
  return bytes;
}

/** What synthetic.json holds: written last, so its presence says the set is whole. */
export interface SyntheticCifarMarker {
  generator: 'experiments/cifarSanity/syntheticCifar.ts';
  version: number;
  settings: SyntheticCifarSettings;
  classes: string[];
  parameters: typeof GENERATOR_PARAMETERS;
}

export const markerFile = (dir: string) => join(dir, 'synthetic.json');

/** Writes the set into `dir` (every file atomically); returns the marker it wrote. */
export function writeSyntheticCifar(dir: string, settings: SyntheticCifarSettings): SyntheticCifarMarker {
  checkSettings(settings);
  const { seed, trainImages, testImages } = settings;
  for (let f = 0; f < TRAIN_FILES; f++) {
    const [start, end] = [Math.floor((f * trainImages) / TRAIN_FILES), Math.floor(((f + 1) * trainImages) / TRAIN_FILES)];
    writeFileAtomicSync(join(dir, `data_batch_${f + 1}.bin`), syntheticRecords(seed, 'train', start, end));
  }
  writeFileAtomicSync(join(dir, 'test_batch.bin'), syntheticRecords(seed, 'test', 0, testImages));
  const text = (s: string) => new TextEncoder().encode(s);
  writeFileAtomicSync(join(dir, 'batches.meta.txt'), text(SYNTHETIC_CLASS_NAMES.join('\n') + '\n'));
  const marker: SyntheticCifarMarker = {
    generator: 'experiments/cifarSanity/syntheticCifar.ts', version: GENERATOR_VERSION, settings: { seed, trainImages, testImages }, classes: SYNTHETIC_CLASS_NAMES, parameters: GENERATOR_PARAMETERS,
  };
  writeFileAtomicSync(markerFile(dir), text(JSON.stringify(marker, null, 2) + '\n'));
  return marker;
}

/** The marker of the set in `dir` when this generator's version wrote it with `settings`, else undefined. */
export function existingSyntheticCifar(dir: string, settings: SyntheticCifarSettings): SyntheticCifarMarker | undefined {
  if (!existsSync(markerFile(dir))) return undefined;
  const marker = JSON.parse(readFileSync(markerFile(dir), 'utf8')) as SyntheticCifarMarker;
  const same = marker.version === GENERATOR_VERSION && marker.settings.seed === settings.seed &&
    marker.settings.trainImages === settings.trainImages && marker.settings.testImages === settings.testImages;
  return same ? marker : undefined;
}
