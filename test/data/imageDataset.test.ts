import { describe, expect, it } from 'vitest';
import { checkDataset, concatDatasets, datasetFromNpy, sliceDataset, type ImageDataset } from '../../src/data/imageDataset.ts';
import type { NpyArray } from '../../src/data/npy.ts';

const u1 = (shape: number[], data: number[]): NpyArray => ({ dtype: 'u1', shape, data: Uint8Array.from(data) });
const i8 = (data: number[]): NpyArray => ({ dtype: 'i8', shape: [data.length], data: BigInt64Array.from(data.map(BigInt)) });

describe('datasetFromNpy', () => {
  it('transposes NHWC to NCHW', () => {
    // 2 images, 1×2 pixels, 3 channels: value = 100·n + 10·pixel + channel
    const hwc = [0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112];
    const data = datasetFromNpy(u1([2, 1, 2, 3], hwc), i8([3, 9]), 10, 'c.npy');
    expect(data.shape).toEqual([2, 3, 1, 2]);
    expect(Array.from(data.images)).toEqual([0, 10, 1, 11, 2, 12, 100, 110, 101, 111, 102, 112]);
    expect(Array.from(data.labels)).toEqual([3, 9]);
  });

  it('takes (N, H, W) and (N, H, W, 1) as one channel', () => {
    expect(datasetFromNpy(u1([1, 2, 2], [1, 2, 3, 4]), i8([0]), 10, 'g').shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(datasetFromNpy(u1([1, 2, 2, 1], [1, 2, 3, 4]), i8([0]), 10, 'g').images)).toEqual([1, 2, 3, 4]);
  });

  it('rejects the wrong dtypes, shapes and labels, naming the source', () => {
    const image = u1([1, 1, 1], [0]);
    expect(() => datasetFromNpy({ dtype: 'f4', shape: [1, 1, 1], data: new Float32Array(1) }, i8([0]), 10, 's')).toThrow(/^s: images must be uint8/);
    expect(() => datasetFromNpy(u1([1, 1], [0]), i8([0]), 10, 's')).toThrow(/^s: images must be \(N, H, W\) or \(N, H, W, C\)/);
    expect(() => datasetFromNpy(u1([1, 1, 1, 5], [0, 0, 0, 0, 0]), i8([0]), 10, 's')).toThrow(/^s: images have 5 channels/);
    expect(() => datasetFromNpy(image, i8([0, 1]), 10, 's')).toThrow(/^s: 1 images but 2 labels/);
    expect(() => datasetFromNpy(image, i8([-1]), 10, 's')).toThrow(/^s: label -1 at index 0 is outside 0\.\.9/);
    expect(() => datasetFromNpy(image, i8([10]), 10, 's')).toThrow(/^s: label 10 at index 0/);
    expect(() => datasetFromNpy(image, i8([256]), 300, 's')).toThrow(/^s: classes must be an integer in \[1, 256\]/);
    expect(() => datasetFromNpy(image, { dtype: 'f4', shape: [1], data: new Float32Array(1) }, 10, 's')).toThrow(/^s: labels must be integers/);
    expect(() => datasetFromNpy(image, { dtype: 'u1', shape: [1, 1], data: new Uint8Array(1) }, 10, 's')).toThrow(/^s: labels must have shape \(N,\)/);
  });

  it('keeps labels up to 255 exactly (200-class sets)', () => {
    expect(Array.from(datasetFromNpy(u1([2, 1, 1], [0, 0]), i8([199, 0]), 200, 't').labels)).toEqual([199, 0]);
  });
});

describe('checkDataset, concatDatasets, sliceDataset', () => {
  const set = (count: number, first: number): ImageDataset => ({
    shape: [count, 1, 1, 2],
    images: Uint8Array.from({ length: count * 2 }, (_, i) => first + i),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
    classes: 3,
  });

  it('checkDataset finds each kind of inconsistency', () => {
    expect(checkDataset(set(2, 0), 'ok')).toBeDefined();
    expect(() => checkDataset({ ...set(2, 0), images: new Uint8Array(3) }, 'x')).toThrow(/^x: shape \[2, 1, 1, 2\] needs 4 image bytes, got 3/);
    expect(() => checkDataset({ ...set(2, 0), labels: new Uint8Array(1) }, 'x')).toThrow(/^x: 2 images but 1 labels/);
    expect(() => checkDataset({ ...set(2, 0), classes: 1 }, 'x')).toThrow(/^x: label 1 at index 1 is outside 0\.\.0/);
    expect(() => checkDataset({ ...set(2, 0), classNames: ['a'] }, 'x')).toThrow(/^x: 1 class names for 3 classes/);
    expect(() => checkDataset({ ...set(2, 0), shape: [2, 1, 1, -2] }, 'x')).toThrow(/^x: shape/);
  });

  it('concatDatasets joins in order and refuses parts of another shape', () => {
    const joined = concatDatasets([set(2, 0), set(1, 50)], 'j');
    expect(joined.shape).toEqual([3, 1, 1, 2]);
    expect(Array.from(joined.images)).toEqual([0, 1, 2, 3, 50, 51]);
    expect(Array.from(joined.labels)).toEqual([0, 1, 0]);
    expect(() => concatDatasets([set(1, 0), { ...set(1, 0), shape: [1, 2, 1, 1] }], 'j')).toThrow(/^j: parts differ/);
  });

  it('sliceDataset views a range without copying', () => {
    const whole = set(4, 0);
    const part = sliceDataset(whole, 1, 3);
    expect(part.shape).toEqual([2, 1, 1, 2]);
    expect(Array.from(part.images)).toEqual([2, 3, 4, 5]);
    expect(part.images.buffer).toBe(whole.images.buffer);
    expect(() => sliceDataset(whole, 3, 5)).toThrow(/range \[3, 5\) is not inside 0\.\.4/);
  });
});
