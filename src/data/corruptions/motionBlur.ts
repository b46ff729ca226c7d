// Motion blur without ImageMagick (ALGORITHMS.md §9.2, the imagecorruptions kernel): a one-sided
// Gaussian streak. Tap i, weighted exp(−i²/2σ²), reads the image shifted by i pixels along the angle,
// with edge pixels repeated; the taps stop once a shift would leave the image.

/** Weights for taps 0 … 2·radius, summing to 1. */
export function motionBlurKernel(radius: number, sigma: number): Float64Array {
  const weights = Float64Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-(i * i) / (2 * sigma * sigma)));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/**
 * The pixel offset of each tap, −ceil(i·sin θ − ½) and −ceil(i·cos θ − ½), evaluated in the reference's
 * order (i·(taps·sin θ)/hypot): at angles like −30° the product lands on a half and the order decides.
 */
export function motionBlurOffsets(taps: number, angleDegrees: number): { dx: number; dy: number }[] {
  const theta = angleDegrees * (Math.PI / 180);
  const [py, px] = [taps * Math.sin(theta), taps * Math.cos(theta)];
  const hypot = Math.hypot(py, px);
  const offset = (t: number) => -Math.ceil(t - 0.5) + 0; // + 0 turns −0 into 0
  return Array.from({ length: taps }, (_, i) => ({ dx: offset((i * px) / hypot), dy: offset((i * py) / hypot) }));
}

/** out(r, c) = in(clamp(r − dy), clamp(c − dx)): the reference's roll-and-fill shift. */
function addShifted(out: Float64Array, plane: Float64Array, height: number, width: number, dx: number, dy: number, weight: number): void {
  for (let r = 0; r < height; r++) {
    const source = Math.min(Math.max(r - dy, 0), height - 1) * width;
    for (let c = 0; c < width; c++) out[r * width + c] += weight * plane[source + Math.min(Math.max(c - dx, 0), width - 1)]!;
  }
}

export function motionBlur(plane: Float64Array, height: number, width: number, radius: number, sigma: number, angleDegrees: number): Float64Array {
  const kernel = motionBlurKernel(radius, sigma);
  const out = new Float64Array(height * width);
  const offsets = motionBlurOffsets(kernel.length, angleDegrees);
  for (let i = 0; i < kernel.length; i++) {
    const { dx, dy } = offsets[i]!;
    if (Math.abs(dy) >= height || Math.abs(dx) >= width) break;
    addShifted(out, plane, height, width, dx, dy, kernel[i]!);
  }
  return out;
}
