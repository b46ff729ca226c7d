import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  COMMON_CORRUPTIONS,
  FASHION_MNIST_CLASS_NAMES,
  loadCorruptionSuite,
  loadDataset,
  MNIST_C_CORRUPTIONS,
  readNpyFile,
  writeNpyFile,
  type CorruptedSet,
} from '../../src/data/datasets.ts';
import { encodeNpy, type NpyArray } from '../../src/data/npy.ts';
import { TestRandom } from '../helpers/random.ts';
import { cifarRecords, expectConsistent, gzip, idxFile, png, randomBytes } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'espgpu-datasets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const noEnv = {};

function put(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** MNIST-style IDX files for `count` 4×3 images whose first pixel is the label. */
function writeIdxSet(dir: string, prefix: 'train' | 't10k', count: number, zipped: boolean): void {
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const images = new Uint8Array(count * 12);
  labels.forEach((l, i) => (images[i * 12] = l));
  const write = (name: string, bytes: Uint8Array) => put(join(dir, zipped ? `${name}.gz` : name), zipped ? gzip(bytes) : bytes);
  write(`${prefix}-images-idx3-ubyte`, idxFile([count, 4, 3], images));
  write(`${prefix}-labels-idx1-ubyte`, idxFile([count], labels));
}

const u1 = (shape: number[], data: Uint8Array): NpyArray => ({ dtype: 'u1', shape, data });
const i8 = (values: number[]): NpyArray => ({ dtype: 'i8', shape: [values.length], data: BigInt64Array.from(values.map(BigInt)) });

describe('loadDataset: IDX sets', () => {
  it('reads gzipped and plain files, train and test, from a named folder', () => {
    const dir = join(root, 'fm');
    writeIdxSet(dir, 'train', 12, true);
    writeIdxSet(dir, 't10k', 5, false);
    const train = loadDataset('fashion-mnist', { dir, env: noEnv });
    expect(train.shape).toEqual([12, 1, 4, 3]);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(train.images[11 * 12]).toBe(1);
    expect(train.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
    const test = loadDataset('mnist', { dir, split: 'test', env: noEnv });
    expect([test.shape[0], test.classNames?.[3]]).toEqual([5, '3']);
  });

  it('finds $ESPGPU_DATA_DIR/<name> when no folder is named, never another set in the root itself', () => {
    writeIdxSet(join(root, 'env', 'mnist'), 'train', 3, true);
    writeIdxSet(join(root, 'env'), 'train', 2, true);
    expect(loadDataset('mnist', { env: { ESPGPU_DATA_DIR: join(root, 'env') } }).shape[0]).toBe(3);
  });

  it("falls back to Debian's /usr/share/datasets/fashion-mnist for Fashion-MNIST only", () => {
    const debian = '/usr/share/datasets/fashion-mnist';
    if (existsSync(join(debian, 'train-images-idx3-ubyte.gz'))) expect(loadDataset('fashion-mnist', { env: noEnv }).shape[0]).toBe(60000);
    else expect(() => loadDataset('fashion-mnist', { env: noEnv })).toThrow(`fashion-mnist: files not found (looked in ${debian}; expected train-images-idx3-ubyte.gz`);
    expect(() => loadDataset('mnist', { env: noEnv })).toThrow(/mnist: files not found \(no folder given and ESPGPU_DATA_DIR is not set;/);
  });

  it('says where it looked and which files it expected', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(() => loadDataset('mnist', { dir: empty, env: noEnv })).toThrow(
      new RegExp(`mnist: files not found \\(looked in ${empty}, ${join(empty, 'mnist')}; expected train-images-idx3-ubyte\\.gz and train-labels-idx1-ubyte\\.gz`),
    );
    expect(() => loadDataset('mnist', { dir: join(root, 'absent'), env: noEnv })).toThrow(/absent: folder not found \(expected the mnist files: train-images-idx3-ubyte\.gz/);
    expect(() => loadDataset('cifar10', { env: noEnv })).toThrow(/cifar10: files not found \(no folder given and ESPGPU_DATA_DIR is not set; expected data_batch_1\.bin, .*data_batch_5\.bin\)/);
    const half = join(root, 'half');
    writeIdxSet(half, 'train', 2, true);
    rmSync(join(half, 'train-labels-idx1-ubyte.gz'));
    expect(() => loadDataset('mnist', { dir: half, env: noEnv })).toThrow(/half[/\\]train-labels-idx1-ubyte\.gz: file not found/);
    expect(() => loadDataset('nope' as 'mnist', { dir: half })).toThrow(/unknown dataset "nope"/);
  });

  it('rejects a damaged file by name', () => {
    const dir = join(root, 'bad-idx');
    writeIdxSet(dir, 'train', 4, false);
    const labels = join(dir, 'train-labels-idx1-ubyte');
    const bytes = readFileSync(labels);
    bytes[8] = 10;
    writeFileSync(labels, bytes);
    expect(() => loadDataset('mnist', { dir, env: noEnv })).toThrow(/label 10 at index 0 is outside 0\.\.9/);
  });
});

describe('loadDataset: CIFAR', () => {
  const planes = (n: number) => new Uint8Array(3072).fill(n);

  it('joins the five CIFAR-10 train batches in order, inside cifar-10-batches-bin/', () => {
    const dir = join(root, 'c10');
    for (let b = 1; b <= 5; b++) put(join(dir, 'cifar-10-batches-bin', `data_batch_${b}.bin`), cifarRecords([[b], [b + 1]], () => planes(b)));
    put(join(dir, 'cifar-10-batches-bin', 'test_batch.bin'), cifarRecords([[9]], () => planes(0)));
    const train = loadDataset('cifar10', { dir, env: noEnv });
    expect(train.shape).toEqual([10, 3, 32, 32]);
    expect(Array.from(train.labels)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    expect(train.images[9 * 3072]).toBe(5);
    expect(loadDataset('cifar10', { dir, split: 'test', env: noEnv }).shape[0]).toBe(1);
    rmSync(join(dir, 'cifar-10-batches-bin', 'data_batch_4.bin'));
    expect(() => loadDataset('cifar10', { dir, env: noEnv })).toThrow(/data_batch_4\.bin: file not found \(expected CIFAR-10 binary batches data_batch_1\.bin/);
  });

  it('reads CIFAR-100 fine or coarse labels, with class names when the archive has them', () => {
    const dir = join(root, 'c100', 'cifar-100-binary');
    put(join(dir, 'train.bin'), cifarRecords([[3, 42], [19, 99]], planes));
    put(join(dir, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n') + '\n');
    const fine = loadDataset('cifar100', { dir: join(root, 'c100'), env: noEnv });
    expect([fine.classes, Array.from(fine.labels), fine.classNames?.[99]]).toEqual([100, [42, 99], 'fine99']);
    const coarse = loadDataset('cifar100', { dir: join(root, 'c100'), cifar100Labels: 'coarse', env: noEnv });
    expect([coarse.classes, Array.from(coarse.labels), coarse.classNames]).toEqual([20, [3, 19], undefined]);
    put(join(dir, 'coarse_label_names.txt'), 'a\nb\n');
    expect(() => loadDataset('cifar100', { dir: join(root, 'c100'), cifar100Labels: 'coarse', env: noEnv })).toThrow(/coarse_label_names\.txt: 2 class names, expected 20/);
  });
});

describe('loadDataset: png-folder', () => {
  it('reads <dir>/<split>/<class>/*.png', () => {
    const dir = join(root, 'pngs');
    put(join(dir, 'test', 'b', '1.png'), png(2, 2, 3, new Uint8Array(12)));
    put(join(dir, 'test', 'a', '1.png'), png(2, 2, 3, new Uint8Array(12)));
    const data = loadDataset('png-folder', { dir, split: 'test' });
    expect([data.shape, data.classNames]).toEqual([[2, 3, 2, 2], ['a', 'b']]);
    expect(() => loadDataset('png-folder', { dir })).toThrow(/pngs[/\\]train: folder not found \(png-folder expects <dir>\/train\/<class>\/\*\.png/);
  });
});

describe('loadCorruptionSuite', () => {
  const random = new TestRandom(5);

  it('mnist-c: one set per corruption, no severities, in the order asked for', () => {
    const dir = join(root, 'mc');
    for (const [k, c] of ['fog', 'stripe'].entries()) {
      put(join(dir, 'mnist_c', c, 'test_images.npy'), encodeNpy(u1([3, 28, 28, 1], new Uint8Array(3 * 784).fill(k + 1))));
      put(join(dir, 'mnist_c', c, 'test_labels.npy'), encodeNpy(u1([3], Uint8Array.from([k, 9, 0]))));
    }
    const sets = [...loadCorruptionSuite('mnist-c', dir, { corruptions: ['stripe', 'fog'] })];
    expect(sets.map((s) => [s.corruption, s.severity, s.dataset.shape, s.dataset.images[0], s.dataset.labels[0]])).toEqual([
      ['stripe', null, [3, 1, 28, 28], 2, 1],
      ['fog', null, [3, 1, 28, 28], 1, 0],
    ]);
    // The default is all 15, so the missing 13 are named before anything is read.
    expect(() => loadCorruptionSuite('mnist-c', dir)).toThrow(/mnist-c: .*shot_noise[/\\]test_images\.npy/);
    expect(MNIST_C_CORRUPTIONS).toHaveLength(15);
  });

  it('cifar10-c: five severities per file, labels given per clean image or per corrupted image', () => {
    const dir = join(root, 'c10c', 'CIFAR-10-C');
    const n = 2;
    // Image i of a file has all pixels = i, so severity s holds images (s-1)·n .. s·n-1.
    const images = Uint8Array.from({ length: 5 * n * 3072 }, (_, i) => Math.floor(i / 3072));
    put(join(dir, 'gaussian_noise.npy'), encodeNpy(u1([5 * n, 32, 32, 3], images)));
    put(join(dir, 'labels.npy'), encodeNpy(i8([4, 7])));
    const sets: CorruptedSet[] = [...loadCorruptionSuite('cifar10-c', join(root, 'c10c'), { corruptions: ['gaussian_noise'] })];
    expect(sets.map((s) => s.severity)).toEqual([1, 2, 3, 4, 5]);
    for (const s of sets) {
      expectConsistent(s.dataset);
      expect(s.dataset.shape).toEqual([n, 3, 32, 32]);
      expect(Array.from(s.dataset.labels)).toEqual([4, 7]);
      expect(s.dataset.images[3072]).toBe((s.severity! - 1) * n + 1);
    }
    put(join(dir, 'labels.npy'), encodeNpy(i8([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])));
    const last = [...loadCorruptionSuite('cifar10-c', dir, { corruptions: ['gaussian_noise'] })].at(-1)!;
    expect(Array.from(last.dataset.labels)).toEqual([8, 9]);
    put(join(dir, 'labels.npy'), encodeNpy(i8([0, 1, 2])));
    expect(() => [...loadCorruptionSuite('cifar10-c', dir, { corruptions: ['gaussian_noise'] })]).toThrow(/labels\.npy: labels have shape \(3\), expected \(10,\) or \(2,\)/);
  });

  it('checks the image size of each file against the suite', () => {
    const dir = join(root, 'c100c');
    put(join(dir, 'fog.npy'), encodeNpy(u1([5, 28, 28, 3], new Uint8Array(5 * 784 * 3))));
    put(join(dir, 'labels.npy'), encodeNpy(i8([0])));
    expect(() => [...loadCorruptionSuite('cifar100-c', dir, { corruptions: ['fog'] })]).toThrow(/fog\.npy: images have shape \(5, 28, 28, 3\), expected \(5·N, 32, 32, 3\), severities 1\.\.5 stacked in order/);
    put(join(dir, 'fog.npy'), encodeNpy(u1([4, 32, 32, 3], new Uint8Array(4 * 3072))));
    expect(() => [...loadCorruptionSuite('cifar100-c', dir, { corruptions: ['fog'] })]).toThrow(/fog\.npy: images have shape \(4, 32, 32, 3\)/);
  });

  it('tiny-imagenet-c: reads converted arrays; explains the JPEG layout it does not read', () => {
    const dir = join(root, 'tic');
    put(join(dir, 'snow.npy'), encodeNpy(u1([5, 64, 64, 3], randomBytes(5 * 64 * 64 * 3, random))));
    put(join(dir, 'labels.npy'), encodeNpy(i8([199])));
    const sets = [...loadCorruptionSuite('tiny-imagenet-c', dir, { corruptions: ['snow'] })];
    expect(sets.map((s) => [s.dataset.shape, s.dataset.classes, s.dataset.labels[0]])).toEqual(Array(5).fill([[1, 3, 64, 64], 200, 199]));
    const jpegs = join(root, 'tic-jpeg');
    put(join(jpegs, 'Tiny-ImageNet-C', 'gaussian_noise', '1', 'n01443537', 'test_0.JPEG'), 'jpeg');
    expect(() => loadCorruptionSuite('tiny-imagenet-c', jpegs)).toThrow(
      /Found the JPEG folder layout\. Tiny-ImageNet-C is released as JPEG folders .* convert each corruption to <corruption>\.npy, uint8 \(5·N, 64, 64, 3\)/,
    );
  });

  it('lists the 15 common corruptions and names a missing labels.npy', () => {
    expect(COMMON_CORRUPTIONS).toHaveLength(15);
    const dir = join(root, 'nolabels');
    put(join(dir, 'fog.npy'), encodeNpy(u1([5, 32, 32, 3], new Uint8Array(5 * 3072))));
    expect(() => loadCorruptionSuite('cifar10-c', dir, { corruptions: ['fog'] })).toThrow(/cifar10-c: missing .*nolabels[/\\]labels\.npy/);
  });
});

describe('writeNpyFile', () => {
  it('writes through a temporary file and leaves nothing else behind', () => {
    const dir = join(root, 'write');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'labels.npy');
    writeNpyFile(path, i8([5, -1]));
    writeNpyFile(join(dir, 'x.npy'), u1([2, 1], Uint8Array.from([3, 4])));
    expect(readdirSync(dir).sort()).toEqual(['labels.npy', 'x.npy']);
    expect(Array.from(readNpyFile(path).data as BigInt64Array, Number)).toEqual([5, -1]);
    // A folder that cannot exist (x.npy is a file) fails cleanly; a missing one is created.
    expect(() => writeNpyFile(join(dir, 'x.npy', 'inner.npy'), i8([1]))).toThrow(/inner\.npy: could not write/);
    expect(readdirSync(dir).sort()).toEqual(['labels.npy', 'x.npy']);
    expect(() => readNpyFile(join(dir, 'missing.npy'))).toThrow(/missing\.npy: file not found \(expected a NumPy \.npy file\)/);
    mkdirSync(join(dir, 'folder.npy'), { recursive: true });
    expect(() => readNpyFile(join(dir, 'folder.npy'))).toThrow(/folder\.npy: is a directory, not a file \(expected a NumPy \.npy file\)/);
  });
});

// The real Fashion-MNIST: shared/data/fashion-mnist beside the repository or inside it,
// Debian's dataset-fashion-mnist (which npm test installs as root), or wherever ESPGPU_DATA_DIR says.
const realDir = [
  '/usr/share/datasets/fashion-mnist',
  fileURLToPath(new URL('../../../shared/data/fashion-mnist', import.meta.url)),
  fileURLToPath(new URL('../../shared/data/fashion-mnist', import.meta.url)),
  process.env.ESPGPU_DATA_DIR && join(process.env.ESPGPU_DATA_DIR, 'fashion-mnist'),
].find((d): d is string => !!d && existsSync(join(d, 'train-images-idx3-ubyte.gz')));
if (!realDir) console.warn('Skipping the real Fashion-MNIST tests: no /usr/share/datasets/fashion-mnist, no shared/data/fashion-mnist beside or inside the repository, and no $ESPGPU_DATA_DIR/fashion-mnist');

describe.skipIf(!realDir)('the real Fashion-MNIST', () => {
  it('train: 60000 images of 1×28×28, 6000 per class', () => {
    const train = loadDataset('fashion-mnist', { dir: realDir, split: 'train' });
    expect(train.shape).toEqual([60000, 1, 28, 28]);
    expect(train.images.length).toBe(60000 * 784);
    const perClass = new Array(10).fill(0);
    for (const l of train.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(6000));
  });

  it('test: 10000 images, 1000 per class, pixels spanning 0..255', () => {
    const test = loadDataset('fashion-mnist', { dir: realDir, split: 'test' });
    expect(test.shape).toEqual([10000, 1, 28, 28]);
    const perClass = new Array(10).fill(0);
    for (const l of test.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(1000));
    let max = 0;
    let min = 255;
    for (const v of test.images) [max, min] = [Math.max(max, v), Math.min(min, v)];
    expect([min, max]).toEqual([0, 255]);
    // Trousers (class 1) are tall and narrow: the first one has more ink in its centre column than at its edges.
    const trouser = test.labels.indexOf(1);
    const column = (x: number) => Array.from({ length: 28 }, (_, y) => test.images[trouser * 784 + y * 28 + x]!).reduce((a, b) => a + b, 0);
    expect(column(14)).toBeGreaterThan(column(1) + column(26));
  });
});
