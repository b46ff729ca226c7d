// Figure 1's picture: the panels side by side, one pixel a grid cell, each the class-1
// probability as a two-colour map with the 0.5 contour dark, the training points on top and a
// title above. It produces raw RGB pixels (Picture); encoding the PNG and writing files is the
// run's job (spiral.ts), so the test can check colours and layout without touching the disk.
import { SPIRAL_RANGE, type Points } from '../../src/data/spiral.ts';
import { boundaryCells } from './boundaryStatistics.ts';
import { drawText, TEXT_SCALE } from './pixelFont.ts';

/** The demo page's colours (web/boundaryCanvas.ts): blue for class 0, orange for class 1. */
export const CLASS_RGB = [
  [37, 99, 235],
  [234, 88, 12],
] as const;
export const BOUNDARY_RGB = [70, 70, 70] as const;
const POINT_RADIUS = 2.6;
/** White between and around the panels, in pixels. */
const GAP = 8;
const TITLE_BAND = 7 * TEXT_SCALE + GAP;

export interface Panel {
  title: string;
  /** Class-1 probability of each grid cell, row by row from the top (gridPoints' order). */
  p1: Float32Array;
}

export interface Picture {
  width: number;
  height: number;
  /** RGB, row by row. */
  pixels: Uint8Array;
}

/** Where panel `index`'s map starts, in pixels: panels side by side, a title band above them. */
export function panelOrigin(index: number, grid: number): { x: number; y: number } {
  return { x: GAP + index * (grid + GAP), y: GAP + TITLE_BAND };
}

/**
 * The panels side by side, one pixel a grid cell: each cell white blended towards its side's
 * colour by |2·p1 − 1|·0.55, boundary cells dark; `points` (if any) drawn on every panel.
 */
export function renderFigure(panels: readonly Panel[], grid: number, points?: Points): Picture {
  if (panels.length === 0) throw new RangeError('renderFigure: no panels given');
  const width = GAP + panels.length * (grid + GAP);
  const height = GAP + TITLE_BAND + grid + GAP;
  const pixels = new Uint8Array(width * height * 3).fill(255);
  const put = (x: number, y: number, rgb: readonly number[]) => pixels.set(rgb, 3 * (y * width + x));
  panels.forEach((panel, index) => {
    const { x: left, y: top } = panelOrigin(index, grid);
    drawText(panel.title, left, GAP, grid, put);
    const edge = boundaryCells(panel.p1, grid);
    for (let i = 0; i < grid * grid; i++) put(left + (i % grid), top + Math.floor(i / grid), cellColour(panel.p1[i]!, edge[i] === 1));
    if (points) drawPoints(points, grid, (x, y, rgb) => put(left + x, top + y, rgb));
  });
  return { width, height, pixels };
}

/** A cell's colour: white towards the class colour as the model grows sure; the contour dark. */
export function cellColour(p1: number, onBoundary: boolean): number[] {
  if (onBoundary) return [...BOUNDARY_RGB];
  const rgb = CLASS_RGB[p1 >= 0.5 ? 1 : 0];
  const strength = Math.abs(2 * p1 - 1) * 0.55;
  return rgb.map((c) => Math.round(255 + (c - 255) * strength));
}

/** Each point a disc in its class colour with a white rim, clipped to the grid × grid panel. */
function drawPoints({ points, labels, count }: Points, grid: number, put: (x: number, y: number, rgb: readonly number[]) => void): void {
  const [lo, hi] = SPIRAL_RANGE;
  const reach = Math.ceil(POINT_RADIUS + 1);
  for (let n = 0; n < count; n++) {
    const cx = ((points[2 * n]! - lo) / (hi - lo)) * grid;
    const cy = ((hi - points[2 * n + 1]!) / (hi - lo)) * grid;
    for (let y = Math.floor(cy) - reach; y <= Math.floor(cy) + reach; y++) {
      for (let x = Math.floor(cx) - reach; x <= Math.floor(cx) + reach; x++) {
        if (x < 0 || y < 0 || x >= grid || y >= grid) continue;
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        if (d <= POINT_RADIUS) put(x, y, CLASS_RGB[labels[n]!]!);
        else if (d <= POINT_RADIUS + 1) put(x, y, [255, 255, 255]);
      }
    }
  }
}
