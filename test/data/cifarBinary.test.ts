import { describe, expect, it } from 'vitest';
import { parseCifarBatch } from '../../src/data/cifarBinary.ts';
import { cifarRecords } from './fixtures.ts';

/** Image n has red = n, green = 100 + n, blue = 200 + n everywhere. */
const planes = (n: number) => Uint8Array.from({ length: 3072 }, (_, i) => Math.floor(i / 1024) * 100 + n);

describe('parseCifarBatch', () => {
  it('reads CIFAR-10 records as NCHW with their labels', () => {
    const data = parseCifarBatch(cifarRecords([[7], [0], [9]], planes), 'cifar10', 'b.bin');
    expect(data.shape).toEqual([3, 3, 32, 32]);
    expect(Array.from(data.labels)).toEqual([7, 0, 9]);
    expect(data.classes).toBe(10);
    expect(data.classNames?.[7]).toBe('horse');
    const at = (n: number, c: number, y: number, x: number) => data.images[((n * 3 + c) * 32 + y) * 32 + x];
    expect([at(0, 0, 0, 0), at(0, 1, 5, 31), at(2, 2, 31, 31), at(1, 0, 10, 3)]).toEqual([0, 100, 202, 1]);
  });

  it('reads CIFAR-100 fine or coarse labels', () => {
    const bytes = cifarRecords([[19, 99], [0, 5]], planes);
    expect(Array.from(parseCifarBatch(bytes, 'cifar100-fine', 't.bin').labels)).toEqual([99, 5]);
    const coarse = parseCifarBatch(bytes, 'cifar100-coarse', 't.bin');
    expect([coarse.classes, Array.from(coarse.labels)]).toEqual([20, [19, 0]]);
    expect(Array.from(coarse.images.subarray(3072, 3074))).toEqual([1, 1]);
  });

  it('rejects partial records and labels out of range, naming the file and record', () => {
    const ten = cifarRecords([[1], [2]], planes);
    expect(() => parseCifarBatch(ten.subarray(0, 3073 + 100), 'cifar10', 'b.bin')).toThrow(/^b\.bin: 3173 bytes is not a whole number of 3073-byte CIFAR-10 records/);
    expect(() => parseCifarBatch(new Uint8Array(0), 'cifar10', 'b.bin')).toThrow(/^b\.bin: 0 bytes/);
    expect(() => parseCifarBatch(cifarRecords([[1], [10]], planes), 'cifar10', 'b.bin')).toThrow(/^b\.bin: record 1 has label byte 0 = 10, expected 0\.\.9/);
    // A CIFAR-10 file read as CIFAR-100 does not divide into 3074-byte records.
    expect(() => parseCifarBatch(ten, 'cifar100-fine', 'b.bin')).toThrow(/3074-byte CIFAR-100 records/);
    expect(() => parseCifarBatch(cifarRecords([[20, 1]], planes), 'cifar100-fine', 't.bin')).toThrow(/^t\.bin: record 0 has label byte 0 = 20, expected 0\.\.19/);
    expect(() => parseCifarBatch(cifarRecords([[2, 100]], planes), 'cifar100-coarse', 't.bin')).toThrow(/^t\.bin: record 0 has label byte 1 = 100, expected 0\.\.99/);
  });

  it('cannot mix up CIFAR-10 and CIFAR-100: a length dividing into both record sizes, or the other release\'s file name', () => {
    // 3073 CIFAR-100 records are exactly 3074 CIFAR-10 records long.
    const hundred = cifarRecords(Array.from({ length: 3073 }, () => [1, 2]), () => new Uint8Array(3072));
    expect(hundred.length % 3073).toBe(0);
    expect(() => parseCifarBatch(hundred, 'cifar10', '/data/cifar-100-binary/train.bin')).toThrow(
      /^\/data\/cifar-100-binary\/train\.bin: train\.bin is a CIFAR-100 file name but it is being read as CIFAR-10; CIFAR-100 records are 3074 bytes, CIFAR-10 records 3073, so read it as CIFAR-100/,
    );
    expect(() => parseCifarBatch(cifarRecords([[1]], planes), 'cifar100-fine', 'dir\\data_batch_3.bin')).toThrow(/data_batch_3\.bin is a CIFAR-10 file name but it is being read as CIFAR-100/);
    // The length error says when the file is whole records of the other release.
    expect(() => parseCifarBatch(cifarRecords([[1, 2]], planes), 'cifar10', 'x.bin')).toThrow(/3074 bytes is not a whole number of 3073-byte CIFAR-10 records \(it is a whole number of 3074-byte CIFAR-100 records: is it a CIFAR-100 file\?\)/);
  });
});
