// Small data files made in the test run (nothing checked in), and the checks shared by the
// format tests: a reader either returns a consistent set or throws an Error naming the file.
import { expect } from 'vitest';
import { gzipSync } from 'fflate';
import { encode } from 'fast-png';
import type { ImageDataset } from '../../src/data/imageDataset.ts';
import { TestRandom } from '../helpers/random.ts';

export function randomBytes(count: number, random: TestRandom, below = 256): Uint8Array {
  return Uint8Array.from({ length: count }, () => random.int(0, below));
}

export function idxFile(shape: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  out.set([0, 0, 0x08, shape.length]);
  const view = new DataView(out.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}

export function gzip(bytes: Uint8Array, filename?: string): Uint8Array {
  return gzipSync(bytes, filename === undefined ? {} : { filename, mtime: 0 });
}

/** CIFAR records: label bytes then 3072 planar pixel bytes. */
export function cifarRecords(labels: readonly (readonly number[])[], pixels: (n: number) => Uint8Array): Uint8Array {
  const recordBytes = labels[0]!.length + 3072;
  const out = new Uint8Array(labels.length * recordBytes);
  labels.forEach((l, n) => {
    out.set(l, n * recordBytes);
    out.set(pixels(n), n * recordBytes + l.length);
  });
  return out;
}

export function png(width: number, height: number, channels: number, data: Uint8Array | Uint16Array, extra: { depth?: 1 | 2 | 4 | 8 | 16; palette?: number[][] } = {}): Uint8Array {
  return encode({ width, height, channels, data, depth: extra.depth ?? 8, palette: extra.palette });
}

/** Shapes, image bytes, label count and label range agree. */
export function expectConsistent(data: ImageDataset): void {
  const [count, channels, height, width] = data.shape;
  expect(data.images.length).toBe(count * channels * height * width);
  expect(data.labels.length).toBe(count);
  for (const label of data.labels) expect(label).toBeLessThan(data.classes);
}

/** The fuzz contract: a consistent result, or a plain Error (not a RangeError or TypeError) naming `source`. */
export function expectConsistentOrNamedError(read: () => ImageDataset | ImageDataset[], source: string): 'read' | 'rejected' {
  let result: ImageDataset | ImageDataset[];
  try {
    result = read();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).constructor, (error as Error).stack).toBe(Error);
    expect((error as Error).message).toContain(source);
    return 'rejected';
  }
  for (const data of [result].flat()) expectConsistent(data);
  return 'read';
}

/** Every length for small files, else `samples` lengths spread over the file plus its edges. */
export function truncatedLengths(length: number, samples = 300): number[] {
  if (length <= samples) return Array.from({ length }, (_, i) => i);
  const lengths = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 32, 64, 128, length - 1, length - 2, length - 8]);
  for (let i = 0; i < samples; i++) lengths.add(Math.floor((i / samples) * length));
  return [...lengths].filter((l) => l >= 0 && l < length).sort((a, b) => a - b);
}

/** `variants` copies of `bytes`, each with 1 to 4 random bytes replaced (seeded). */
export function flippedVariants(bytes: Uint8Array, variants: number, seed: number): Uint8Array[] {
  const random = new TestRandom(seed);
  return Array.from({ length: variants }, () => {
    const copy = bytes.slice();
    const flips = random.int(1, 5);
    for (let f = 0; f < flips; f++) {
      // Half the flips land in the first 64 bytes, where headers live.
      const at = random.next() < 0.5 ? random.int(0, Math.min(64, copy.length)) : random.int(0, copy.length);
      copy[at] = copy[at]! ^ random.int(1, 256);
    }
    return copy;
  });
}
