// Zoom blur (ALGORITHMS.md §9.1, §9.2): the mean of the image and its centre zooms by each factor of
// NumPy's arange(1, end, 0.01). clippedZoom is the reference's clipped_zoom: a centre crop of
// ceil(n/z) pixels scaled by SciPy's zoom(order=1) and cropped back to the centre n pixels.
import { roundHalfEven } from './quantize.ts';

const STEP = 0.01;

/**
 * np.arange(1, end, 0.01) to the bit: ceil((end − 1)/0.01) values (float rounding makes that 7 for
 * end = 1.06 and 12 for 1.11, end point included), element i = 1 + i·((1 + 0.01) − 1), as NumPy fills it.
 */
export function zoomFactors(end: number): number[] {
  const count = Math.ceil((end - 1) / STEP);
  const delta = 1 + STEP - 1;
  return Array.from({ length: count }, (_, i) => (i === 0 ? 1 : 1 + i * delta));
}

interface AxisZoom {
  /** First input index of the crop. */
  top: number;
  crop: number;
  /** Input coordinate per output index, SciPy's (crop − 1)/(out − 1). */
  scale: number;
  /** First output index kept. */
  trim: number;
}

/** Per axis; the reference uses the height for both axes, which is the same for square images. */
function axisZoom(n: number, zoom: number): AxisZoom {
  const crop = Math.ceil(n / zoom);
  const out = roundHalfEven(crop * zoom); // SciPy: int(round(crop·zoom)), Python's round
  return { top: Math.floor((n - crop) / 2), crop, scale: out > 1 ? (crop - 1) / (out - 1) : 0, trim: Math.floor((out - n) / 2) };
}

/** For each output index along an axis: the two input indices read and the weight of the second (linear spline, in range). */
interface Taps {
  first: Int32Array;
  second: Int32Array;
  weight: Float64Array;
}

function taps(n: number, axis: AxisZoom): Taps {
  const out = { first: new Int32Array(n), second: new Int32Array(n), weight: new Float64Array(n) };
  for (let o = 0; o < n; o++) {
    const t = (o + axis.trim) * axis.scale;
    const i0 = Math.min(Math.floor(t), axis.crop - 1);
    out.first[o] = axis.top + i0;
    out.second[o] = axis.top + Math.min(i0 + 1, axis.crop - 1);
    out.weight[o] = t - i0;
  }
  return out;
}

export function clippedZoom(plane: Float64Array, height: number, width: number, zoom: number): Float64Array {
  if (!(zoom >= 1)) throw new Error(`clippedZoom needs zoom ≥ 1, got ${zoom}`);
  const rows = taps(height, axisZoom(height, zoom));
  const cols = taps(width, axisZoom(width, zoom));
  const out = new Float64Array(height * width);
  for (let r = 0; r < height; r++) {
    const [top, bottom, fr] = [rows.first[r]! * width, rows.second[r]! * width, rows.weight[r]!];
    for (let c = 0; c < width; c++) {
      const c0 = cols.first[c]!;
      const c1 = cols.second[c]!;
      const fc = cols.weight[c]!;
      const upper = (1 - fc) * plane[top + c0]! + fc * plane[top + c1]!;
      const lower = (1 - fc) * plane[bottom + c0]! + fc * plane[bottom + c1]!;
      out[r * width + c] = (1 - fr) * upper + fr * lower;
    }
  }
  return out;
}

/**
 * (plane + Σ_z clippedZoom(plane, z)) / (count + 1), in float32 as the reference computes it (its
 * image is float32; SciPy interpolates in float64 and stores float32; the sum and mean are float32).
 */
export function zoomBlur(plane: Float64Array, height: number, width: number, factors: readonly number[]): Float32Array {
  const image = Float32Array.from(plane);
  const sum = new Float32Array(plane.length);
  for (const zoom of factors) {
    const zoomed = clippedZoom(Float64Array.from(image), height, width, zoom);
    for (let k = 0; k < sum.length; k++) sum[k] = Math.fround(sum[k]! + Math.fround(zoomed[k]!));
  }
  return image.map((v, k) => Math.fround(v + sum[k]!) / (factors.length + 1));
}
