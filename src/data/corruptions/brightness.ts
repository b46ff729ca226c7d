// Brightness: V += c in HSV, clipped. Hue and saturation fixed means every channel scales by V'/V,
// so no HSV round trip is needed; a black pixel (V = 0, S = 0) becomes grey V'. For one channel,
// the reference's gray→RGB→HSV→RGB→gray round trip reduces to min(x + c, 1).
import type { ImageShape } from './corruption.ts';

export function brightness(x: Float64Array, shape: ImageShape, c: number): Float64Array {
  if (shape.channels === 1) return x.map((v) => Math.min(v + c, 1));
  const size = shape.height * shape.width;
  const out = new Float64Array(x.length);
  for (let k = 0; k < size; k++) {
    let value = 0;
    for (let ch = 0; ch < shape.channels; ch++) value = Math.max(value, x[ch * size + k]!);
    const brighter = Math.min(value + c, 1);
    for (let ch = 0; ch < shape.channels; ch++) out[ch * size + k] = value > 0 ? (x[ch * size + k]! * brighter) / value : brighter;
  }
  return out;
}
