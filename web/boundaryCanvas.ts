// Draws a two-class decision map: each grid cell shaded by the predicted probability of class 1
// (blue for class 0, orange for class 1, paler where the model is less sure, a dark line where
// the prediction changes sides), scaled up to the canvas, with the training points on top.
import { SPIRAL_RANGE, type Points } from '../src/data/spiral.ts';

const CLASS_RGB = [
  [37, 99, 235],
  [234, 88, 12],
] as const;

/** `p1`: probability of class 1 at each of size × size cells, row by row from the top (gridPoints' order). */
export function drawBoundary(canvas: HTMLCanvasElement, p1: Float32Array, size: number, points: Points): void {
  const context = canvas.getContext('2d');
  if (!context) throw new Error('drawBoundary: the canvas has no 2-D context');
  if (p1.length !== size * size) throw new Error(`drawBoundary: ${p1.length} probabilities for a ${size}×${size} grid`);
  const map = new OffscreenCanvas(size, size);
  const mapContext = map.getContext('2d')!;
  const image = mapContext.createImageData(size, size);
  const side = (i: number) => (p1[i]! >= 0.5 ? 1 : 0);
  for (let i = 0; i < p1.length; i++) {
    const p = p1[i]!;
    const rgb = CLASS_RGB[side(i)];
    const strength = Math.abs(2 * p - 1) * 0.55;
    // A cell whose right or lower neighbour is on the other side: the boundary, as one connected line.
    const col = i % size;
    const edge = (col + 1 < size && side(i + 1) !== side(i)) || (i + size < p1.length && side(i + size) !== side(i));
    for (let c = 0; c < 3; c++) image.data[4 * i + c] = edge ? 70 : Math.round(255 + (rgb[c]! - 255) * strength);
    image.data[4 * i + 3] = 255;
  }
  mapContext.putImageData(image, 0, 0);
  const { width, height } = canvas;
  context.imageSmoothingEnabled = true;
  context.drawImage(map, 0, 0, width, height);
  drawPoints(context, points, width, height);
}

function drawPoints(context: CanvasRenderingContext2D, { points, labels, count }: Points, width: number, height: number): void {
  const [lo, hi] = SPIRAL_RANGE;
  context.lineWidth = 1;
  context.strokeStyle = 'white';
  for (let i = 0; i < count; i++) {
    const x = ((points[2 * i]! - lo) / (hi - lo)) * width;
    const y = ((hi - points[2 * i + 1]!) / (hi - lo)) * height;
    context.beginPath();
    context.arc(x, y, 2.6, 0, 2 * Math.PI);
    context.fillStyle = `rgb(${CLASS_RGB[labels[i]!]!.join(', ')})`;
    context.fill();
    context.stroke();
  }
}

/** Every other entry of rows of two: probabilities of class 1. */
export function classOneColumn(probabilities: Float32Array, rows: number): Float32Array {
  return Float32Array.from({ length: rows }, (_, i) => probabilities[2 * i + 1]!);
}
