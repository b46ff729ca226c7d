import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePngImage, readPngFolder, readPngHeader } from '../../src/data/pngFolder.ts';
import { zlibSync } from 'fflate';
import { concat, deflateBomb, ihdr, PNG_SIGNATURE, pngChunk, zlibWrap } from '../reliability/hostile.ts';
import { png } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'espgpu-png-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder with `files` (relative path → bytes) under a fresh subfolder of root. */
function folder(name: string, files: Record<string, Uint8Array | string>): string {
  const dir = join(root, name);
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return dir;
}

describe('decodePngImage', () => {
  it('greyscale → 1 channel', () => {
    const image = decodePngImage(png(3, 2, 1, Uint8Array.from([0, 1, 2, 253, 254, 255])), 'g.png');
    expect([image.channels, image.height, image.width]).toEqual([1, 2, 3]);
    expect(Array.from(image.pixels)).toEqual([0, 1, 2, 253, 254, 255]);
  });

  it('RGB → 3 planes (CHW), and RGBA drops alpha', () => {
    const rgb = decodePngImage(png(2, 1, 3, Uint8Array.from([10, 20, 30, 11, 21, 31])), 'c.png');
    expect([rgb.channels, Array.from(rgb.pixels)]).toEqual([3, [10, 11, 20, 21, 30, 31]]);
    const rgba = decodePngImage(png(2, 1, 4, Uint8Array.from([10, 20, 30, 0, 11, 21, 31, 255])), 'a.png');
    expect([rgba.channels, Array.from(rgba.pixels)]).toEqual([3, [10, 11, 20, 21, 30, 31]]);
  });

  it('greyscale + alpha → 1 channel; 16-bit rounds to 8; 1-bit scales to 0/255; palette → RGB', () => {
    expect(Array.from(decodePngImage(png(2, 1, 2, Uint8Array.from([7, 0, 9, 255])), 'ga.png').pixels)).toEqual([7, 9]);
    expect(Array.from(decodePngImage(png(3, 1, 1, Uint16Array.from([0, 257 * 100 + 128, 65535]), { depth: 16 }), 'w.png').pixels)).toEqual([0, 100, 255]);
    // 10 pixels at 1 bit: 1011000001 padded to two bytes per row.
    expect(Array.from(decodePngImage(png(10, 1, 1, Uint8Array.from([0b10110000, 0b01000000]), { depth: 1 }), 'b.png').pixels)).toEqual(
      [255, 0, 255, 255, 0, 0, 0, 0, 0, 255],
    );
    const palette = [
      [255, 0, 0],
      [0, 0, 255],
    ];
    const indexed = decodePngImage(png(3, 1, 1, Uint8Array.from([1, 0, 1]), { palette }), 'p.png');
    expect([indexed.channels, Array.from(indexed.pixels)]).toEqual([3, [0, 255, 0, 0, 0, 0, 255, 0, 255]]);
  });

  it('names the file for a non-PNG, a damaged chunk or an implausible size', () => {
    expect(() => decodePngImage(new TextEncoder().encode('GIF89a........................................'), 'x.png')).toThrow(/^x\.png: not a PNG file/);
    const good = png(4, 4, 1, new Uint8Array(16));
    const damaged = good.slice();
    damaged[good.length - 20]! ^= 0xff; // inside IDAT: the CRC check catches it
    expect(() => decodePngImage(damaged, 'd.png')).toThrow(/^d\.png: damaged PNG/);
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(16, 100_000);
    expect(() => readPngHeader(huge, 'h.png')).toThrow(/^h\.png: PNG size 100000×4 is outside 1\.\.4096 per side/);
    const badDepth = good.slice();
    badDepth[24] = 3;
    expect(() => readPngHeader(badDepth, 'h.png')).toThrow(/^h\.png: bit depth 3 is not valid for a greyscale PNG/);
  });

  it('checks the chunk list before decoding: order, duplicates, and image data of exactly the declared size', () => {
    const header = pngChunk('IHDR', ihdr(2, 2));
    const data = (bytes: number) => pngChunk('IDAT', zlibSync(new Uint8Array(bytes)));
    const end = pngChunk('IEND', new Uint8Array(0));
    const file = (...chunks: Uint8Array[]) => concat([PNG_SIGNATURE, ...chunks]);
    // 2 rows of a filter byte and 2 samples: 6 bytes.
    expect(Array.from(decodePngImage(file(header, data(6), end), 'ok.png').pixels)).toEqual([0, 0, 0, 0]);
    expect(() => decodePngImage(file(header, data(5), end), 's.png')).toThrow(/^s\.png: damaged PNG \(the image data inflates to 5 bytes, IHDR declares 6 for 2×2 greyscale at 8 bits\)/);
    expect(() => decodePngImage(file(header, header, data(6), end), 'h.png')).toThrow(/^h\.png: damaged PNG \(a second IHDR chunk at byte 33\)/);
    expect(() => decodePngImage(file(header, end), 'n.png')).toThrow(/^n\.png: damaged PNG \(no IDAT chunk/);
    const tEXt = pngChunk('tEXt', new TextEncoder().encode('a\0b'));
    expect(() => decodePngImage(file(header, data(6), tEXt, data(0), end), 'c.png')).toThrow(/^c\.png: damaged PNG \(the IDAT chunks are not consecutive\)/);
    expect(() => decodePngImage(file(header, pngChunk('ABCD', new Uint8Array(1)), data(6), end), 'u.png')).toThrow(/^u\.png: damaged PNG \(unknown critical chunk ABCD/);
    expect(() => decodePngImage(file(header, data(6)), 'e.png')).toThrow(/^e\.png: damaged PNG \(the file ends at byte \d+, before an IEND chunk\)/);
  });

  it('drops ancillary chunks unread: an ICC profile that inflates to 1 GiB costs nothing', () => {
    const iccBomb = pngChunk('iCCP', concat([new TextEncoder().encode('icc\0\0'), zlibWrap(deflateBomb(new Uint8Array(0), 1024))]));
    const bytes = concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(2, 2)), iccBomb, pngChunk('IDAT', zlibSync(new Uint8Array(6))), pngChunk('IEND', new Uint8Array(0))]);
    const start = performance.now();
    expect(decodePngImage(bytes, 'icc.png').pixels.length).toBe(4);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('readPngFolder', () => {
  const grey = (v: number) => png(2, 2, 1, new Uint8Array(4).fill(v));

  it('labels images by class folder, classes sorted by name, files sorted within a class', () => {
    const dir = folder('ok', {
      'zebra/b.png': grey(4),
      'zebra/a.png': grey(3),
      'ant/x.png': grey(1),
      'ant/notes.txt': 'not an image',
      'cat/only.PNG': grey(2),
      'README.md': 'loose files in root are skipped',
      '.hidden/skip.png': grey(99),
    });
    const data = readPngFolder(dir);
    expect(data.classNames).toEqual(['ant', 'cat', 'zebra']);
    expect(data.shape).toEqual([4, 1, 2, 2]);
    expect(Array.from(data.labels)).toEqual([0, 1, 2, 2]);
    expect(Array.from(data.images.filter((_, i) => i % 4 === 0))).toEqual([1, 2, 3, 4]);
  });

  it('refuses images of another size or channel count, naming both files', () => {
    const dir = folder('mixed', { 'a/1.png': grey(0), 'b/2.png': png(2, 2, 3, new Uint8Array(12)) });
    expect(() => readPngFolder(dir)).toThrow(/b[/\\]2\.png: image is 3×2×2 \(channels×height×width\) but .*a[/\\]1\.png is 1×2×2; all images of a folder must share one size and channel count/);
    const sized = folder('sized', { 'a/1.png': grey(0), 'a/2.png': png(3, 2, 1, new Uint8Array(6)) });
    expect(() => readPngFolder(sized)).toThrow(/2\.png: image is 1×2×3/);
  });

  it('explains a missing folder, a folder without classes and an empty class', () => {
    expect(() => readPngFolder(join(root, 'nowhere'))).toThrow(/nowhere: folder not found or not readable \(expected one subfolder per class holding \.png files\)/);
    expect(() => readPngFolder(folder('flat', { 'a.png': grey(0) }))).toThrow(/flat: no class subfolders/);
    expect(() => readPngFolder(folder('empty-class', { 'a/1.png': grey(0), 'b/readme.txt': 'x' }))).toThrow(/empty-class[/\\]b: class folder has no \.png files/);
  });

  it('names an entry called *.png that is a folder', () => {
    const dir = folder('png-folder-entry', { 'a/1.png': grey(0), 'a/2.png/inside.txt': 'x' });
    expect(() => readPngFolder(dir)).toThrow(/png-folder-entry[/\\]a[/\\]2\.png: is a directory, not a PNG file/);
  });

  it('names a damaged file inside the folder', () => {
    const bad = grey(0).slice(0, 40);
    expect(() => readPngFolder(folder('damaged', { 'a/1.png': grey(0), 'a/2.png': bad }))).toThrow(/damaged[/\\]a[/\\]2\.png: damaged PNG/);
  });
});
