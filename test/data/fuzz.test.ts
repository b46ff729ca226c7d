// Damaged files, every format: truncated at many lengths and with random bytes replaced. A
// reader must return a set whose shapes agree, or throw a plain Error naming the file; never a
// RangeError from a typed-array constructor, a hang or a set of the wrong shape.
import { describe, expect, it } from 'vitest';
import { parseCifarBatch, type CifarLabels } from '../../src/data/cifarBinary.ts';
import { parseIdx } from '../../src/data/idx.ts';
import { datasetFromIdx, datasetFromNpy, type ImageDataset } from '../../src/data/imageDataset.ts';
import { encodeNpy, parseNpy } from '../../src/data/npy.ts';
import { decodePngImage } from '../../src/data/pngFolder.ts';
import { TestRandom } from '../helpers/random.ts';
import { cifarRecords, expectConsistentOrNamedError, flippedVariants, gzip, idxFile, png, randomBytes, truncatedLengths } from './fixtures.ts';

const FLIPS = 300;

interface Outcomes {
  read: number;
  rejected: number;
}

/** Runs `read` on every damaged copy of `bytes`; returns how many were read and how many rejected. */
function fuzz(bytes: Uint8Array, source: string, read: (damaged: Uint8Array) => ImageDataset, seed: number): { truncated: Outcomes; flipped: Outcomes } {
  const tally = (copies: Uint8Array[]) => {
    const outcome: Outcomes = { read: 0, rejected: 0 };
    for (const copy of copies) outcome[expectConsistentOrNamedError(() => read(copy), source)]++;
    return outcome;
  };
  return {
    truncated: tally(truncatedLengths(bytes.length).map((length) => bytes.slice(0, length))),
    flipped: tally(flippedVariants(bytes, FLIPS, seed)),
  };
}

const random = new TestRandom(20240601);
const idxImages = idxFile([3, 5, 4], randomBytes(60, random));
const idxLabels = idxFile([3], Uint8Array.from([0, 9, 4]));

describe('fuzz: IDX', () => {
  const withLabels = (images: Uint8Array) => datasetFromIdx(parseIdx(images, 'images.idx'), parseIdx(idxLabels, 'labels.idx'), 10, 'images.idx');

  it('plain images file', () => {
    const { truncated, flipped } = fuzz(idxImages, 'images.idx', withLabels, 1);
    expect(truncated).toEqual({ read: 0, rejected: idxImages.length });
    expect(flipped.rejected).toBeGreaterThan(0);
    expect(flipped.read).toBeGreaterThan(0); // pixel bytes may take any value
  });

  it('gzipped images file', () => {
    const packed = gzip(idxImages, 'images');
    const { truncated, flipped } = fuzz(packed, 'images.idx.gz', (b) => datasetFromIdx(parseIdx(b, 'images.idx.gz'), parseIdx(idxLabels, 'l'), 10, 'images.idx.gz'), 2);
    expect(truncated).toEqual({ read: 0, rejected: packed.length });
    // Only the gzip header's time stamp, extra flags and OS byte are outside the CRC.
    expect(flipped.rejected).toBeGreaterThan(FLIPS * 0.8);
  });

  it('labels file, plain and gzipped', () => {
    for (const [bytes, source] of [
      [idxLabels, 'labels.idx'],
      [gzip(idxLabels), 'labels.idx.gz'],
    ] as const) {
      const { truncated, flipped } = fuzz(bytes, source, (b) => datasetFromIdx(parseIdx(idxImages, 'i'), parseIdx(b, source), 10, source), 3);
      expect(truncated.read).toBe(0);
      expect(flipped.rejected).toBeGreaterThan(0);
    }
  });
});

describe('fuzz: .npy', () => {
  const images = encodeNpy({ dtype: 'u1', shape: [2, 4, 3, 3], data: randomBytes(72, random) });
  const labels = encodeNpy({ dtype: 'i8', shape: [2], data: BigInt64Array.from([3n, 7n]) });
  const source = 'images.npy with labels.npy';

  it('images file (uint8 NHWC)', () => {
    const { truncated, flipped } = fuzz(images, 'images.npy', (b) => datasetFromNpy(parseNpy(b, 'images.npy'), parseNpy(labels, 'labels.npy'), 10, source), 4);
    expect(truncated).toEqual({ read: 0, rejected: images.length });
    expect(flipped.rejected).toBeGreaterThan(0);
    expect(flipped.read).toBeGreaterThan(0);
  });

  it('labels file (int64)', () => {
    const { truncated, flipped } = fuzz(labels, 'labels.npy', (b) => datasetFromNpy(parseNpy(images, 'images.npy'), parseNpy(b, 'labels.npy'), 10, source), 5);
    expect(truncated).toEqual({ read: 0, rejected: labels.length });
    expect(flipped.rejected).toBeGreaterThan(0);
  });
});

describe('fuzz: CIFAR binary', () => {
  for (const [kind, labels] of [
    ['cifar10', [[3], [9]]],
    ['cifar100-fine', [[19, 99], [0, 0]]],
  ] as [CifarLabels, number[][]][]) {
    it(kind, () => {
      const bytes = cifarRecords(labels, () => randomBytes(3072, random));
      const { truncated, flipped } = fuzz(bytes, 'batch.bin', (b) => parseCifarBatch(b, kind, 'batch.bin'), 6);
      // Cutting at exactly one record leaves a valid one-record batch.
      expect(truncated.read).toBe(1);
      expect(flipped.rejected).toBeGreaterThan(0);
      expect(flipped.read).toBeGreaterThan(0);
    });
  }
});

describe('fuzz: PNG', () => {
  const asDataset = (b: Uint8Array): ImageDataset => {
    const image = decodePngImage(b, 'image.png');
    return { shape: [1, image.channels, image.height, image.width], images: image.pixels, labels: new Uint8Array(1), classes: 1 };
  };
  const files: [string, Uint8Array][] = [
    ['greyscale', png(5, 4, 1, randomBytes(20, random))],
    ['RGBA', png(3, 3, 4, randomBytes(36, random))],
    ['16-bit RGB', png(2, 3, 3, Uint16Array.from(randomBytes(18, random), (v) => v * 257), { depth: 16 })],
    ['palette', png(4, 2, 1, randomBytes(8, random, 3), { palette: [[1, 2, 3], [4, 5, 6], [7, 8, 9]] })],
  ];

  for (const [name, bytes] of files) {
    it(name, () => {
      const { truncated, flipped } = fuzz(bytes, 'image.png', asDataset, 7);
      expect(truncated).toEqual({ read: 0, rejected: bytes.length });
      // Every chunk has a CRC, so nearly every change is caught.
      expect(flipped.rejected).toBeGreaterThan(FLIPS * 0.9);
    });
  }
});
