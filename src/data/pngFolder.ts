// A folder of PNG images, one subfolder per class (root/<class name>/*.png), as image-folder
// datasets are laid out. Node only: it reads the folder from disk.
//
// Channels: greyscale (with or without alpha) → 1 channel; RGB, RGBA and palette images → 3
// channels. Alpha is dropped, not composited. 16-bit samples are rounded to 8 bits, 1/2/4-bit
// greyscale is scaled to 0..255. Every image of a folder must give the same channels × height ×
// width; the first file (in class then file-name order) sets it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decode, type DecodedPng } from 'fast-png';
import { checkDataset, MAX_CLASSES, type ImageDataset } from './imageDataset.ts';

export interface DecodedImage {
  channels: 1 | 3;
  height: number;
  width: number;
  /** channels × height × width bytes, CHW */
  pixels: Uint8Array;
}

/** Larger sides are refused before decoding, so a damaged header cannot ask for gigabytes. */
export const MAX_PNG_SIDE = 4096;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Bit depths the PNG specification allows for each colour type. */
const COLOUR_TYPES: Record<number, { name: string; channels: 1 | 3; depths: number[] }> = {
  0: { name: 'greyscale', channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'RGB', channels: 3, depths: [8, 16] },
  3: { name: 'palette', channels: 3, depths: [1, 2, 4, 8] },
  4: { name: 'greyscale + alpha', channels: 1, depths: [8, 16] },
  6: { name: 'RGBA', channels: 3, depths: [8, 16] },
};

export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  /** channels after the conversion rule above */
  channels: 1 | 3;
}

/** The IHDR chunk, which the PNG specification puts first, checked without decoding anything. */
export function readPngHeader(bytes: Uint8Array, source: string): PngHeader {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new Error(`${source}: not a PNG file (no PNG signature and IHDR chunk in its first 33 bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkType = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || chunkType !== 'IHDR') throw new Error(`${source}: damaged PNG (the first chunk is not a 13-byte IHDR)`);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const depth = bytes[24]!;
  const colourType = bytes[25]!;
  if (width < 1 || height < 1 || width > MAX_PNG_SIDE || height > MAX_PNG_SIDE) {
    throw new Error(`${source}: PNG size ${width}×${height} is outside 1..${MAX_PNG_SIDE} per side`);
  }
  const colour = COLOUR_TYPES[colourType];
  if (!colour) throw new Error(`${source}: PNG colour type ${colourType} is not valid (expected 0, 2, 3, 4 or 6)`);
  if (!colour.depths.includes(depth)) throw new Error(`${source}: bit depth ${depth} is not valid for a ${colour.name} PNG (expected ${colour.depths.join(', ')})`);
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28]! > 1) throw new Error(`${source}: damaged PNG header (compression, filter or interlace method not defined by the PNG specification)`);
  return { width, height, depth, colourType, channels: colour.channels };
}

/** One PNG file to CHW bytes. Every chunk's CRC is checked. */
export function decodePngImage(bytes: Uint8Array, source: string): DecodedImage {
  const header = readPngHeader(bytes, source);
  let png: DecodedPng;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (error) {
    throw new Error(`${source}: damaged PNG (${(error as Error).message})`);
  }
  if (png.width !== header.width || png.height !== header.height || png.depth !== header.depth) {
    throw new Error(`${source}: damaged PNG (decoded ${png.width}×${png.height} at ${png.depth} bits, header says ${header.width}×${header.height} at ${header.depth})`);
  }
  const samples = unpackSamples(png, source);
  const pixels = header.colourType === 3 ? paletteToChw(samples, png, source) : samplesToChw(samples, png, header.channels);
  return { channels: header.channels, height: png.height, width: png.width, pixels };
}

/**
 * root/<class>/*.png → a dataset; classes are the subfolders sorted by name (hidden ones and
 * loose files in root are skipped), images sorted by file name within a class.
 */
export function readPngFolder(root: string): ImageDataset {
  const classNames = listClassFolders(root);
  const files = classNames.flatMap((name, label) => listPngs(join(root, name)).map((path) => ({ path, label })));
  const first = files[0]!;
  const firstHeader = readPngHeader(readFileSync(first.path), first.path);
  const per = firstHeader.channels * firstHeader.height * firstHeader.width;
  const images = new Uint8Array(files.length * per);
  const labels = new Uint8Array(files.length);
  files.forEach(({ path, label }, n) => {
    const bytes = readFileSync(path);
    const header = readPngHeader(bytes, path);
    if (header.channels !== firstHeader.channels || header.height !== firstHeader.height || header.width !== firstHeader.width) {
      throw new Error(
        `${path}: image is ${header.channels}×${header.height}×${header.width} (channels×height×width) but ${first.path} is ` +
          `${firstHeader.channels}×${firstHeader.height}×${firstHeader.width}; all images of a folder must share one size and channel count`,
      );
    }
    images.set(decodePngImage(bytes, path).pixels, n * per);
    labels[n] = label;
  });
  const shape: ImageDataset['shape'] = [files.length, firstHeader.channels, firstHeader.height, firstHeader.width];
  return checkDataset({ shape, images, labels, classes: classNames.length, classNames }, root);
}

function listClassFolders(root: string): string[] {
  const expected = 'expected one subfolder per class holding .png files';
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    throw new Error(`${root}: folder not found or not readable (${expected})`);
  }
  const names = entries.filter((e) => !e.name.startsWith('.') && isFolder(e, root)).map((e) => e.name);
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) throw new Error(`${root}: no class subfolders (${expected})`);
  if (names.length > MAX_CLASSES) throw new Error(`${root}: ${names.length} class subfolders, at most ${MAX_CLASSES} are supported`);
  return names;
}

function isFolder(entry: { name: string; isDirectory(): boolean; isSymbolicLink(): boolean }, root: string): boolean {
  if (entry.isDirectory()) return true;
  return entry.isSymbolicLink() && statSync(join(root, entry.name), { throwIfNoEntry: false })?.isDirectory() === true;
}

function listPngs(folder: string): string[] {
  const names = readdirSync(folder).filter((name) => name.toLowerCase().endsWith('.png') && !name.startsWith('.'));
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) throw new Error(`${folder}: class folder has no .png files`);
  return names.map((name) => join(folder, name));
}

/** Samples in row-major, pixel-interleaved order, one array element per sample. */
function unpackSamples(png: DecodedPng, source: string): ArrayLike<number> {
  const { width, height, channels, depth, data } = png;
  if (depth >= 8) {
    if (data.length !== width * height * channels) throw new Error(`${source}: damaged PNG (${data.length} samples decoded, expected ${width * height * channels})`);
    return data;
  }
  // Sub-byte samples (one channel only): rows are padded to whole bytes, high bits first.
  const rowBytes = Math.ceil((width * depth) / 8);
  if (data.length !== rowBytes * height) throw new Error(`${source}: damaged PNG (${data.length} bytes decoded, expected ${rowBytes * height})`);
  const out = new Uint8Array(width * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      out[y * width + x] = (data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function samplesToChw(samples: ArrayLike<number>, png: DecodedPng, keep: 1 | 3): Uint8Array {
  const plane = png.width * png.height;
  const max = 2 ** png.depth - 1;
  const out = new Uint8Array(keep * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < keep; c++) out[c * plane + p] = Math.round((samples[p * png.channels + c]! * 255) / max);
  }
  return out;
}

function paletteToChw(indices: ArrayLike<number>, png: DecodedPng, source: string): Uint8Array {
  const palette = png.palette;
  if (!palette || palette.length === 0) throw new Error(`${source}: damaged PNG (palette image without a PLTE chunk)`);
  const plane = png.width * png.height;
  const out = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    const colour = palette[indices[p]!];
    if (!colour) throw new Error(`${source}: damaged PNG (pixel ${p} uses palette entry ${indices[p]}, the palette has ${palette.length})`);
    for (let c = 0; c < 3; c++) out[c * plane + p] = colour[c]!;
  }
  return out;
}
