import { describe, expect, it } from 'vitest';
import { parseIdx } from '../../src/data/idx.ts';
import { datasetFromIdx } from '../../src/data/imageDataset.ts';
import { TestRandom } from '../helpers/random.ts';
import { concat } from '../reliability/hostile.ts';
import { gzip, idxFile, randomBytes } from './fixtures.ts';

describe('parseIdx', () => {
  const pixels = randomBytes(3 * 4 * 5, new TestRandom(1));
  const file = idxFile([3, 4, 5], pixels);

  it('reads shape and data, plain and gzipped (with or without a file name in the gzip header)', () => {
    for (const bytes of [file, gzip(file), gzip(file, 'train-images-idx3-ubyte')]) {
      const idx = parseIdx(bytes, 'x.idx');
      expect(idx.shape).toEqual([3, 4, 5]);
      expect(Array.from(idx.data)).toEqual(Array.from(pixels));
    }
  });

  it('names the file and the problem', () => {
    expect(() => parseIdx(new Uint8Array([0, 0]), 'a.idx')).toThrow(/a\.idx: 2 bytes is too short/);
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]), 'a.idx')).toThrow(/a\.idx: not an IDX file \(magic starts 01 00/);
    expect(() => parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 0]), 'a.idx')).toThrow(/a\.idx: IDX dtype 0d is not supported/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 5]), 'a.idx')).toThrow(/a\.idx: IDX header says 5 dimensions/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]), 'a.idx')).toThrow(/a\.idx: truncated IDX header/);
    expect(() => parseIdx(file.subarray(0, file.length - 1), 'a.idx')).toThrow(/a\.idx: IDX shape \[3, 4, 5\] needs 60 data bytes, file has 59/);
  });

  it('checks the gzip trailer: a changed CRC or length is damage, not a silently different file', () => {
    const packed = gzip(file);
    const badCrc = packed.slice();
    badCrc[packed.length - 8]! ^= 1;
    expect(() => parseIdx(badCrc, 'a.gz')).toThrow(/a\.gz: damaged gzip data \(CRC-32 mismatch\)/);
    const badLength = packed.slice();
    badLength[packed.length - 1] = 0x7f;
    expect(() => parseIdx(badLength, 'a.gz')).toThrow(/a\.gz: damaged gzip data \(inflates to 76 bytes, trailer says/);
    expect(() => parseIdx(packed.subarray(0, 12), 'a.gz')).toThrow(/a\.gz: /);
  });

  it('reads multi-member gzip (gzip -c a >> f; gzip -c b >> f), split anywhere, even inside the header', () => {
    const members = (...cuts: number[]) => concat([0, ...cuts].map((from, i) => gzip(file.subarray(from, cuts[i] ?? file.length))));
    for (const bytes of [members(16), members(6), members(2, 17, 40), members(76)]) {
      const idx = parseIdx(bytes, 'multi.gz');
      expect(idx.shape).toEqual([3, 4, 5]);
      expect(Array.from(idx.data)).toEqual(Array.from(pixels));
    }
  });

  it("checks every member's trailer, and refuses bytes after the last member", () => {
    const first = gzip(file.subarray(0, 30));
    const damaged = first.slice();
    damaged[first.length - 8]! ^= 1;
    expect(() => parseIdx(concat([damaged, gzip(file.subarray(30))]), 'm.gz')).toThrow(/^m\.gz: damaged gzip data \(CRC-32 mismatch\)/);
    expect(() => parseIdx(concat([gzip(file), Uint8Array.from([1, 2, 3])]), 'm.gz')).toThrow(/^m\.gz: damaged gzip data/);
  });

  it('refuses data past the declared shape as it inflates', () => {
    const longer = gzip(concat([file, new Uint8Array(1)]));
    expect(() => parseIdx(longer, 'l.gz')).toThrow(/^l\.gz: gzip data runs past the 76 bytes its IDX header declares \(shape \[3, 4, 5\]\); stopped inflating at 77 bytes/);
  });
});

describe('datasetFromIdx', () => {
  it('makes [N, 1, H, W] and rejects labels out of range or a count mismatch', () => {
    const images = { shape: [2, 3, 3], data: new Uint8Array(18) };
    expect(datasetFromIdx(images, { shape: [2], data: new Uint8Array([9, 0]) }, 10, 'set').shape).toEqual([2, 1, 3, 3]);
    expect(() => datasetFromIdx(images, { shape: [2], data: new Uint8Array([10, 0]) }, 10, 'set')).toThrow(/set: label 10 at index 0 is outside 0\.\.9/);
    expect(() => datasetFromIdx(images, { shape: [3], data: new Uint8Array(3) }, 10, 'set')).toThrow(/set: 2 images but 3 labels/);
    expect(() => datasetFromIdx({ shape: [18], data: images.data }, { shape: [18], data: new Uint8Array(18) }, 10, 'set')).toThrow(/set: images must be \[count, height, width\]/);
  });
});
