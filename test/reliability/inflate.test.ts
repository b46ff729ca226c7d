// Decompression bombs (issue 19): a small file that inflates to a gigabyte must be refused as
// soon as its output passes the size its header declares, in little time and memory.
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'fflate';
import { MAX_IDX_BYTES, parseIdx } from '../../src/data/idx.ts';
import { decodePngImage } from '../../src/data/pngFolder.ts';
import { idxFile } from '../data/fixtures.ts';
import { concat, deflateBomb, gzipWrap, ihdr, measureRefusal, pngWithImageData, zlibWrap } from './hostile.ts';

const GIGABYTE_IN_MB = 1024;
/** The readers inflate in 16 KiB steps (≤ ~16 MB of output each); anything near the bomb's size is a failure. */
const RSS_GROWTH_LIMIT_MB = 100;
const TIME_LIMIT_MS = 2000;

function idxHeader(shape: readonly number[]): Uint8Array {
  return idxFile(shape, new Uint8Array(0));
}

describe('gzipped IDX: inflation stops at the declared size', () => {
  it('a 1 MB file inflating to 1 GiB behind a 28×28 header', () => {
    const bomb = gzipWrap(deflateBomb(idxHeader([1, 28, 28]), GIGABYTE_IN_MB));
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const { error, ms, rssGrowthMb } = measureRefusal(() => parseIdx(bomb, 'bomb-idx3-ubyte.gz'));
    expect(error.constructor).toBe(Error);
    expect(error.message).toMatch(/^bomb-idx3-ubyte\.gz: gzip data runs past the 800 bytes its IDX header declares \(shape \[1, 28, 28\]\)/);
    expect(ms).toBeLessThan(TIME_LIMIT_MS);
    expect(rssGrowthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  });

  it('a valid member followed by a 1 GiB member', () => {
    const valid = gzipSync(idxFile([2, 2], Uint8Array.from([1, 2, 3, 4])));
    const file = concat([valid, gzipWrap(deflateBomb(new Uint8Array(0), GIGABYTE_IN_MB))]);
    const { error, ms, rssGrowthMb } = measureRefusal(() => parseIdx(file, 'two.gz'));
    expect(error.message).toMatch(/^two\.gz: gzip data runs past the 16 bytes its IDX header declares/);
    expect(ms).toBeLessThan(TIME_LIMIT_MS);
    expect(rssGrowthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  });

  it('a header declaring more than the size limit is refused before anything is allocated, plain or gzipped', () => {
    const huge = idxHeader([65536, 65536]);
    const message = new RegExp(`^huge\\.idx: IDX shape \\[65536, 65536\\] declares ${2 ** 32 + 12} bytes, more than the ${MAX_IDX_BYTES}-byte limit`);
    expect(() => parseIdx(huge, 'huge.idx')).toThrow(message);
    const { error, rssGrowthMb } = measureRefusal(() => parseIdx(gzipSync(concat([huge, new Uint8Array(1000)])), 'huge.idx'));
    expect(error.message).toMatch(message);
    expect(rssGrowthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  });
});

describe('PNG: image data inflation stops at the size IHDR declares', () => {
  it('a 28×28 greyscale PNG with 1 GiB of image data', () => {
    // 28 rows of a filter byte and 28 samples: 812 bytes declared.
    const bomb = pngWithImageData(ihdr(28, 28), zlibWrap(deflateBomb(new Uint8Array(0), GIGABYTE_IN_MB)));
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const { error, ms, rssGrowthMb } = measureRefusal(() => decodePngImage(bomb, 'bomb.png'));
    expect(error.constructor).toBe(Error);
    expect(error.message).toMatch(/^bomb\.png: damaged PNG \(the image data runs past the 812 bytes IHDR declares for 28×28 greyscale at 8 bits; stopped inflating\)/);
    expect(ms).toBeLessThan(TIME_LIMIT_MS);
    expect(rssGrowthMb).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  });

  it('an interlaced RGBA image is bounded by the sum of its Adam7 passes', () => {
    // 3×3 RGBA 8-bit, Adam7: passes 1 (1×1), 4 (1×1: x=2), 5 (2×1: y=2), 6 (1×2: x=1), 7 (3×1: y=1) → 5+5+9+10+13 = 42 bytes.
    const bomb = pngWithImageData(ihdr(3, 3, 8, 6, 1), zlibWrap(deflateBomb(new Uint8Array(0), 64)));
    expect(() => decodePngImage(bomb, 'i.png')).toThrow(/^i\.png: damaged PNG \(the image data runs past the 42 bytes IHDR declares for 3×3 RGBA at 8 bits, interlaced/);
  });
});
