// One image under every corruption of a suite, as a PNG grid for a README: a row per corruption,
// a column per severity (after the clean image, when asked), each cell upscaled ×scale by
// nearest neighbour, cells apart by `gap` background pixels, with the same gap as a border.
// No text is drawn: rowLabels and columnLabels say what the rows and columns are.
// The cells hold exactly the pixels writeCorruptionSuite writes for that image and seed.
import { writeFileAtomicSync } from '../io/atomicFile.ts';
import { encode } from 'fast-png';
import type { Corruption } from './corruptions/corruption.ts';
import { corruptOne, planSuite, type SuiteLayout } from './corruptSuite.ts';
import { checkDataset, type ImageDataset } from './imageDataset.ts';

export interface GalleryOptions {
  /** which image of the set (default 0) */
  imageIndex?: number;
  /** the suite's seed (default 0) */
  seed?: number;
  /** pixels per image pixel (default 4) */
  scale?: number;
  /** background pixels between cells and around them (default 2) */
  gap?: number;
  /** the background's byte value, every channel (default 255) */
  background?: number;
  /** a first column with the image uncorrupted (default true) */
  clean?: boolean;
  /** a subset of the suite's corruptions, by name */
  corruptions?: readonly string[];
}

export interface Gallery {
  layout: SuiteLayout;
  width: number;
  height: number;
  channels: number;
  /** height × width × channels, interleaved as PNG stores them */
  pixels: Uint8Array;
  /** corruption names, top to bottom */
  rowLabels: string[];
  /** 'clean' and/or severities ('1'..'5', or 'corrupted' for one-severity suites), left to right */
  columnLabels: string[];
  /** where cell (row, column) starts, in output pixels */
  cellOrigin(row: number, column: number): { x: number; y: number };
  cellSize: { width: number; height: number };
}

export function corruptionGallery(data: ImageDataset, suite: readonly Corruption[], options: GalleryOptions = {}): Gallery {
  checkDataset(data, 'dataset');
  const { imageIndex = 0, seed = 0, scale = 4, gap = 2, background = 255, clean = true } = options;
  const [count, channels, height, width] = data.shape;
  if (!Number.isInteger(imageIndex) || imageIndex < 0 || imageIndex >= count) throw new Error(`imageIndex must be an integer in 0..${count - 1}, got ${imageIndex}`);
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`scale must be a positive integer, got ${scale}`);
  if (!Number.isInteger(gap) || gap < 0) throw new Error(`gap must be a non-negative integer, got ${gap}`);
  if (!Number.isInteger(background) || background < 0 || background > 255) throw new Error(`background must be a byte value 0..255, got ${background}`);
  const plan = planSuite(suite, options.corruptions);
  const per = channels * height * width;
  const original = data.images.subarray(imageIndex * per, (imageIndex + 1) * per);
  const rows = plan.corruptions.map(({ levels }) => [...(clean ? [original] : []), ...levels.map((level) => corruptOne(data, imageIndex, level, seed))]);
  const severityLabels = plan.layout === 'mnist-c' ? ['corrupted'] : plan.corruptions[0]!.levels.map((l) => String(l.severity));
  const columnLabels = [...(clean ? ['clean'] : []), ...severityLabels];

  const cellSize = { width: width * scale, height: height * scale };
  const cellOrigin = (row: number, column: number) => ({ x: gap + column * (cellSize.width + gap), y: gap + row * (cellSize.height + gap) });
  const outWidth = gap + columnLabels.length * (cellSize.width + gap);
  const outHeight = gap + rows.length * (cellSize.height + gap);
  const pixels = new Uint8Array(outWidth * outHeight * channels).fill(background);
  rows.forEach((cells, r) => cells.forEach((image, c) => drawCell(pixels, outWidth, image, { channels, height, width }, scale, cellOrigin(r, c))));
  return {
    layout: plan.layout, width: outWidth, height: outHeight, channels, pixels,
    rowLabels: plan.corruptions.map((c) => c.name), columnLabels, cellOrigin, cellSize,
  };
}

/** A planar image, each pixel a scale × scale block, into the interleaved canvas at `at`. */
function drawCell(
  canvas: Uint8Array, canvasWidth: number, image: Uint8Array,
  shape: { channels: number; height: number; width: number }, scale: number, at: { x: number; y: number },
): void {
  const { channels, height, width } = shape;
  for (let y = 0; y < height * scale; y++) {
    const row = Math.floor(y / scale);
    for (let x = 0; x < width * scale; x++) {
      const source = row * width + Math.floor(x / scale);
      const target = ((at.y + y) * canvasWidth + at.x + x) * channels;
      for (let c = 0; c < channels; c++) canvas[target + c] = image[c * height * width + source]!;
    }
  }
}

/** The gallery as PNG bytes: grey, grey+alpha, RGB or RGBA by its channel count, 8 bits. */
export function encodeGalleryPng(gallery: Gallery): Uint8Array {
  return encode({ width: gallery.width, height: gallery.height, channels: gallery.channels, depth: 8, data: gallery.pixels });
}

/** Writes the gallery's PNG through a temporary file and a rename, so readers never see half of it. */
export function writeGalleryPng(path: string, gallery: Gallery): void {
  try {
    writeFileAtomicSync(path, encodeGalleryPng(gallery));
  } catch (error) {
    throw new Error(`${path}: could not write the gallery (${(error as Error).message})`);
  }
}
