// A folder of PNG images, one subfolder per class (root/<class name>/*.png), as image-folder
// datasets are laid out. Node only: it reads the folder from disk.
//
// Channels: greyscale (with or without alpha) → 1 channel; RGB, RGBA and palette images → 3
// channels. Alpha is dropped, not composited. 16-bit samples are rounded to 8 bits, 1/2/4-bit
// greyscale is scaled to 0..255. Every image of a folder must give the same channels × height ×
// width; the first file (in class then file-name order) sets it.
//
// fast-png inflates whatever IDAT (and iCCP) data a file holds, with no bound, so a 1 MB file
// declaring 28×28 could inflate to gigabytes. Before fast-png sees a file, checkPngStructure
// walks its chunk list (checking every CRC), inflates the image data itself as a stream capped at
// the size IHDR declares, and hands fast-png only the critical chunks (IHDR, PLTE, IDAT, IEND),
// whose data is now known to inflate to that size.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decode, type DecodedPng } from 'fast-png';
import { Unzlib } from 'fflate';
import { crc32 } from '../io/checkpoint.ts';
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

/**
 * Bit depths the PNG specification allows for each colour type; `samples` is samples per pixel
 * as stored in the file (before the conversion to 1 or 3 channels).
 */
const COLOUR_TYPES: Record<number, { name: string; channels: 1 | 3; samples: number; depths: number[] }> = {
  0: { name: 'greyscale', channels: 1, samples: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'RGB', channels: 3, samples: 3, depths: [8, 16] },
  3: { name: 'palette', channels: 3, samples: 1, depths: [1, 2, 4, 8] },
  4: { name: 'greyscale + alpha', channels: 1, samples: 2, depths: [8, 16] },
  6: { name: 'RGBA', channels: 3, samples: 4, depths: [8, 16] },
};

export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  /** channels after the conversion rule above */
  channels: 1 | 3;
  /** Adam7 interlacing (interlace method 1) */
  interlaced: boolean;
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
  return { width, height, depth, colourType, channels: colour.channels, interlaced: bytes[28] === 1 };
}

/** One PNG file to CHW bytes. Every chunk's CRC is checked. */
export function decodePngImage(bytes: Uint8Array, source: string): DecodedImage {
  const header = readPngHeader(bytes, source);
  const critical = checkPngStructure(bytes, header, source);
  let png: DecodedPng;
  try {
    png = decode(critical);
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

// ---- chunk structure and bounded inflation (see the note at the top) ----

interface PngChunk {
  type: string;
  /** the chunk is bytes [start, end) of the file: length, type, data, CRC */
  start: number;
  end: number;
}

/** The chunks fast-png is given; ancillary ones (text, ICC profiles, …) are dropped unread. */
const DECODED_CHUNKS = ['IHDR', 'PLTE', 'IDAT', 'IEND'];
/** Inflated image data past the declared size that is still accepted (an encoder's stray padding). */
const INFLATE_MARGIN = 1024;
/** Compressed bytes handed to the inflater at a time: bounds what one step can inflate to (~16 MB). */
const INFLATE_STEP = 16 * 1024;
/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * Checks the chunk list (CRCs, order) and that the image data inflates to the size IHDR
 * declares, stopping as soon as it runs past; returns the file with only its critical chunks.
 */
function checkPngStructure(bytes: Uint8Array, header: PngHeader, source: string): Uint8Array {
  const chunks = readChunks(bytes, source);
  checkChunkOrder(chunks, source);
  const imageData = chunks.filter((c) => c.type === 'IDAT').map((c) => bytes.subarray(c.start + 8, c.end - 4));
  checkImageDataSize(imageData, header, source);
  const kept = chunks.filter((c) => DECODED_CHUNKS.includes(c.type)).map((c) => bytes.subarray(c.start, c.end));
  return concatBytes([bytes.subarray(0, 8), ...kept]);
}

/** Every chunk from the signature to IEND, each within the file and passing its CRC-32. */
function readChunks(bytes: Uint8Array, source: string): PngChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  for (let at = 8; ; ) {
    if (at + 12 > bytes.length) throw new Error(`${source}: damaged PNG (the file ends at byte ${bytes.length}, before an IEND chunk)`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`${source}: damaged PNG (chunk type ${JSON.stringify(type)} at byte ${at} is not four letters)`);
    const end = at + 12 + length;
    if (end > bytes.length) throw new Error(`${source}: damaged PNG (chunk ${type} at byte ${at} declares ${length} data bytes, the file holds ${bytes.length - at - 12} more)`);
    if (crc32(bytes.subarray(at + 4, end - 4)) !== view.getUint32(end - 4)) throw new Error(`${source}: damaged PNG (chunk ${type} at byte ${at} fails its CRC-32 check)`);
    chunks.push({ type, start: at, end });
    if (type === 'IEND') return chunks;
    at = end;
  }
}

/** What the PNG specification requires: IHDR once, no unknown critical chunk, one run of IDAT, at most one PLTE before it. */
function checkChunkOrder(chunks: readonly PngChunk[], source: string): void {
  const fail = (problem: string): never => {
    throw new Error(`${source}: damaged PNG (${problem})`);
  };
  const types = chunks.map((c) => c.type);
  chunks.forEach(({ type, start }, i) => {
    if (type === 'IHDR' && i > 0) fail(`a second IHDR chunk at byte ${start}`);
    const critical = type.charCodeAt(0) < 0x60; // an upper-case first letter
    if (critical && !DECODED_CHUNKS.includes(type)) fail(`unknown critical chunk ${type} at byte ${start}`);
  });
  const first = types.indexOf('IDAT');
  const last = types.lastIndexOf('IDAT');
  if (first < 0) fail('no IDAT chunk: the file holds no image data');
  if (types.slice(first, last + 1).some((t) => t !== 'IDAT')) fail('the IDAT chunks are not consecutive');
  const palettes = types.filter((t) => t === 'PLTE').length;
  if (palettes > 1) fail(`${palettes} PLTE chunks, at most one is allowed`);
  if (palettes === 1 && types.indexOf('PLTE') > first) fail('the PLTE chunk comes after the image data');
}

/** Inflates the IDAT stream, refusing it as soon as it passes the declared size (plus a margin) and if it falls short. */
function checkImageDataSize(parts: readonly Uint8Array[], header: PngHeader, source: string): void {
  const declared = imageDataBytes(header);
  const what = `${header.width}×${header.height} ${COLOUR_TYPES[header.colourType]!.name} at ${header.depth} bits${header.interlaced ? ', interlaced' : ''}`;
  const tooLong = new Error(`${source}: damaged PNG (the image data runs past the ${declared} bytes IHDR declares for ${what}; stopped inflating)`);
  let inflated = 0;
  const stream = new Unzlib((chunk) => {
    inflated += chunk.length;
    if (inflated > declared + INFLATE_MARGIN) throw tooLong;
  });
  try {
    for (const part of parts) {
      for (let at = 0; at < part.length; at += INFLATE_STEP) stream.push(part.subarray(at, at + INFLATE_STEP), false);
    }
    stream.push(new Uint8Array(0), true);
  } catch (error) {
    if (error === tooLong) throw error;
    throw new Error(`${source}: damaged PNG (image data: ${(error as Error).message})`);
  }
  if (inflated < declared) throw new Error(`${source}: damaged PNG (the image data inflates to ${inflated} bytes, IHDR declares ${declared} for ${what})`);
}

/** Per row a filter byte and the packed samples; for an interlaced image, summed over the Adam7 passes. */
function imageDataBytes({ width, height, depth, colourType, interlaced }: PngHeader): number {
  const bitsPerPixel = COLOUR_TYPES[colourType]!.samples * depth;
  const rows = (w: number, h: number) => (w <= 0 || h <= 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * root/<class>/*.png → a dataset; classes are the subfolders sorted by name (hidden ones and
 * loose files in root are skipped), images sorted by file name within a class.
 */
export function readPngFolder(root: string): ImageDataset {
  const classNames = listClassFolders(root);
  const files = classNames.flatMap((name, label) => listPngs(join(root, name)).map((path) => ({ path, label })));
  const first = files[0]!;
  const firstHeader = readPngHeader(readPngFile(first.path), first.path);
  const per = firstHeader.channels * firstHeader.height * firstHeader.width;
  const images = new Uint8Array(files.length * per);
  const labels = new Uint8Array(files.length);
  files.forEach(({ path, label }, n) => {
    const bytes = readPngFile(path);
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

/** A file's bytes; an entry named *.png that is a folder, or an unreadable file, is an error naming it. */
function readPngFile(path: string): Uint8Array {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${path}: is a directory, not a PNG file (a class folder holds .png files only)`);
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`${path}: could not read (${(error as Error).message})`);
  }
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
