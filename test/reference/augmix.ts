// Float64 / u8 AugMix, written from PIL's code (ImageOps, Image.transform with BILINEAR,
// ImageEnhance, ImageFilter.SMOOTH) and augmentations.py, one image at a time, CHW.
// Two conventions differ from PIL on purpose, as the GPU does (src/augment/augmix.ts):
// - geometric ops round the mapped input coordinate to 2^-12 pixel (after turning PIL's matrix
//   into integers: linear terms in 2^-20, offsets in 2^-21); PIL's bilinear formula then runs in
//   f64 exactly. affineContinuous keeps PIL's f64 coordinate, to measure the difference;
// - enhance factors are rounded to 2^-20 (PIL passes an f32 to its blend).
// Autocontrast is PIL's f64 LUT as written, quirks included.
import type { AugMixPlan } from '../../src/kernels/augmixEncoding.ts';
import { philox4x32, uniformClosedOpen, uniformOpenClosed } from './philox.ts';

export type ImageSize = readonly [number, number, number];

export const REFERENCE_OPS = [
  'autocontrast',
  'equalize',
  'posterize',
  'rotate',
  'solarize',
  'shear_x',
  'shear_y',
  'translate_x',
  'translate_y',
  'color',
  'contrast',
  'brightness',
  'sharpness',
] as const;
export type ReferenceOp = (typeof REFERENCE_OPS)[number];

const AUGMIX_STREAM = 2;

function planes(img: Uint8Array, [c, h, w]: ImageSize): Uint8Array[] {
  return Array.from({ length: c }, (_, k) => img.subarray(k * h * w, (k + 1) * h * w));
}

/** Applies a per-channel 256-entry LUT (PIL's point() clips entries to [0, 255]). */
function applyLuts(img: Uint8Array, size: ImageSize, lutOf: (plane: Uint8Array) => number[]): Uint8Array {
  const out = new Uint8Array(img.length);
  const plane = size[1] * size[2];
  planes(img, size).forEach((p, k) => {
    const lut = lutOf(p).map((v) => Math.min(255, Math.max(0, v)));
    for (let i = 0; i < plane; i++) out[k * plane + i] = lut[p[i]!]!;
  });
  return out;
}

function histogram(plane: Uint8Array): number[] {
  const h = new Array<number>(256).fill(0);
  for (const v of plane) h[v]!++;
  return h;
}

export function autocontrast(img: Uint8Array, size: ImageSize): Uint8Array {
  return applyLuts(img, size, (plane) => {
    const h = histogram(plane);
    let lo = 0;
    while (lo < 255 && !h[lo]) lo++;
    let hi = 255;
    while (hi > 0 && !h[hi]) hi--;
    if (hi <= lo) return Array.from({ length: 256 }, (_, i) => i);
    const scale = 255 / (hi - lo);
    const offset = -lo * scale;
    return Array.from({ length: 256 }, (_, ix) => Math.trunc(ix * scale + offset));
  });
}

export function equalize(img: Uint8Array, size: ImageSize): Uint8Array {
  return applyLuts(img, size, (plane) => {
    const h = histogram(plane);
    const histo = h.filter((v) => v);
    const identity = Array.from({ length: 256 }, (_, i) => i);
    if (histo.length <= 1) return identity;
    const step = Math.floor((histo.reduce((a, b) => a + b, 0) - histo[histo.length - 1]!) / 255);
    if (!step) return identity;
    let n = Math.floor(step / 2);
    return h.map((count) => {
      const v = Math.floor(n / step);
      n += count;
      return v;
    });
  });
}

export function posterize(img: Uint8Array, size: ImageSize, bits: number): Uint8Array {
  const mask = ~(2 ** (8 - bits) - 1);
  return applyLuts(img, size, () => Array.from({ length: 256 }, (_, i) => i & mask));
}

export function solarize(img: Uint8Array, size: ImageSize, threshold: number): Uint8Array {
  return applyLuts(img, size, () => Array.from({ length: 256 }, (_, i) => (i < threshold ? i : 255 - i)));
}

/** Image.rotate(deg, BILINEAR)'s inverse matrix: about (W/2, H/2), cos/sin rounded to 15 decimals. */
export function rotateMatrix(degrees: number, [, h, w]: ImageSize): number[] {
  const angle = -(((degrees % 360) + 360) % 360) * (Math.PI / 180);
  const r15 = (v: number) => Number(v.toFixed(15));
  const m = [r15(Math.cos(angle)), r15(Math.sin(angle)), 0, r15(-Math.sin(angle)), r15(Math.cos(angle)), 0];
  const [cx, cy] = [w / 2, h / 2];
  m[2] = m[0]! * -cx + m[1]! * -cy + cx;
  m[5] = m[3]! * -cx + m[4]! * -cy + cy;
  return m;
}

/** PIL's bilinear_filter8 at input coordinate (X, Y): black outside, −½ shift, clamped neighbours, truncation. */
function bilinear(plane: Uint8Array, h: number, w: number, X: number, Y: number): number {
  if (X < 0 || X >= w || Y < 0 || Y >= h) return 0;
  const xin = X - 0.5;
  const yin = Y - 0.5;
  const x = Math.floor(xin);
  const y = Math.floor(yin);
  const dx = xin - x;
  const dy = yin - y;
  const clip = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  const [x0, x1, y0, y1] = [clip(x, w), clip(x + 1, w), clip(y, h), clip(y + 1, h)];
  const row = (yy: number) => plane[yy * w + x0]! + (plane[yy * w + x1]! - plane[yy * w + x0]!) * dx;
  const v1 = row(y0);
  const v2 = row(y1);
  return Math.trunc(v1 + (v2 - v1) * dy);
}

function transform(img: Uint8Array, size: ImageSize, coordinate: (x: number, y: number) => [number, number]): Uint8Array {
  const [, h, w] = size;
  const out = new Uint8Array(img.length);
  planes(img, size).forEach((plane, k) => {
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const [X, Y] = coordinate(x, y);
        out[k * h * w + y * w + x] = bilinear(plane, h, w, X, Y);
      }
  });
  return out;
}

/** Image.transform(AFFINE, matrix, BILINEAR) with the coordinate rounded to 2^-12 pixel (the GPU's convention). */
export function affine(img: Uint8Array, size: ImageSize, matrix: readonly number[]): Uint8Array {
  const [a, b, c, d, e, f] = matrix.map((v, i) => Math.round(v * 2 ** (i % 3 === 2 ? 21 : 20)));
  const quantised = (v: number) => Math.floor((v + 256) / 512) / 4096;
  return transform(img, size, (x, y) => [
    quantised(a! * (2 * x + 1) + b! * (2 * y + 1) + c!),
    quantised(d! * (2 * x + 1) + e! * (2 * y + 1) + f!),
  ]);
}

/** PIL itself: the coordinate in f64. */
export function affineContinuous(img: Uint8Array, size: ImageSize, matrix: readonly number[]): Uint8Array {
  const [a, b, c, d, e, f] = matrix as [number, number, number, number, number, number];
  return transform(img, size, (x, y) => [a * (x + 0.5) + b * (y + 0.5) + c, d * (x + 0.5) + e * (y + 0.5) + f]);
}

export function geometricMatrix(op: ReferenceOp, param: number, size: ImageSize): number[] {
  switch (op) {
    case 'rotate':
      return rotateMatrix(param, size);
    case 'shear_x':
      return [1, param, 0, 0, 1, 0];
    case 'shear_y':
      return [1, 0, 0, param, 1, 0];
    case 'translate_x':
      return [1, 0, param, 0, 1, 0];
    case 'translate_y':
      return [1, 0, 0, 0, 1, param];
    default:
      throw new Error(`${op} is not geometric`);
  }
}

/** Image.blend(degenerate, image, factor): truncation inside [0, 255], clipping outside. */
function blend(degenerate: Uint8Array, img: Uint8Array, factor: number): Uint8Array {
  const alpha = Math.round(factor * 2 ** 20) / 2 ** 20;
  return Uint8Array.from(img, (v, i) => Math.min(255, Math.max(0, Math.trunc(degenerate[i]! + alpha * (v - degenerate[i]!)))));
}

/** convert('L') (ITU-R 601 in PIL's 16-bit fixed point), one value per pixel. */
function toGray(img: Uint8Array, [c, h, w]: ImageSize): Uint8Array {
  const n = h * w;
  if (c === 1) return img.slice();
  return Uint8Array.from({ length: n }, (_, p) => (img[p]! * 19595 + img[n + p]! * 38470 + img[2 * n + p]! * 7471 + 0x8000) >> 16);
}

function repeatPlanes(gray: Uint8Array, channels: number): Uint8Array {
  const out = new Uint8Array(gray.length * channels);
  for (let k = 0; k < channels; k++) out.set(gray, k * gray.length);
  return out;
}

export function color(img: Uint8Array, size: ImageSize, factor: number): Uint8Array {
  return blend(repeatPlanes(toGray(img, size), size[0]), img, factor);
}

export function contrast(img: Uint8Array, size: ImageSize, factor: number): Uint8Array {
  const gray = toGray(img, size);
  const mean = Math.trunc(gray.reduce((a, b) => a + b, 0) / gray.length + 0.5);
  return blend(new Uint8Array(img.length).fill(mean), img, factor);
}

export function brightness(img: Uint8Array, _size: ImageSize, factor: number): Uint8Array {
  return blend(new Uint8Array(img.length), img, factor);
}

/** ImageFilter.SMOOTH: (1 1 1, 1 5 1, 1 1 1)/13 rounded half up; the border rows and columns copied. */
export function smooth(img: Uint8Array, size: ImageSize): Uint8Array {
  const [, h, w] = size;
  const out = img.slice();
  planes(img, size).forEach((plane, k) => {
    for (let y = 1; y < h - 1; y++)
      for (let x = 1; x < w - 1; x++) {
        let total = 4 * plane[y * w + x]!;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) total += plane[(y + dy) * w + x + dx]!;
        out[k * h * w + y * w + x] = Math.floor(total / 13 + 0.5);
      }
  });
  return out;
}

export function sharpness(img: Uint8Array, size: ImageSize, factor: number): Uint8Array {
  return blend(smooth(img, size), img, factor);
}

export function applyOp(img: Uint8Array, size: ImageSize, op: ReferenceOp, param: number): Uint8Array {
  switch (op) {
    case 'autocontrast':
      return autocontrast(img, size);
    case 'equalize':
      return equalize(img, size);
    case 'posterize':
      return posterize(img, size, param);
    case 'solarize':
      return solarize(img, size, param);
    case 'color':
      return color(img, size, param);
    case 'contrast':
      return contrast(img, size, param);
    case 'brightness':
      return brightness(img, size, param);
    case 'sharpness':
      return sharpness(img, size, param);
    default:
      return affine(img, size, geometricMatrix(op, param, size));
  }
}

/** One view for a batch of u8 NCHW images: ((1 − m)·x + m·Σ w_i·chain_i(x)) / 255 per sample. */
export function augmixReference(images: Uint8Array, shape: readonly [number, number, number, number], plan: AugMixPlan): Float64Array {
  const [batch, c, h, w] = shape;
  const size: ImageSize = [c, h, w];
  const n = c * h * w;
  const out = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const x = images.subarray(b * n, (b + 1) * n);
    const m = plan.mix[b]!;
    const mix = new Float64Array(n);
    for (let i = 0; i < plan.width; i++) {
      let img: Uint8Array = x;
      for (let slot = 0; slot < 3; slot++) {
        const at = (b * plan.width + i) * 3 + slot;
        const op = REFERENCE_OPS[plan.ops[at]!];
        if (op) img = applyOp(img, size, op, plan.params[at]!);
      }
      const weight = plan.weights[b * plan.width + i]!;
      for (let e = 0; e < n; e++) mix[e]! += weight * img[e]!;
    }
    for (let e = 0; e < n; e++) out[b * n + e] = ((1 - m) * x[e]! + m * mix[e]!) / 255;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The random choices of one sample, from the counter layout documented in src/augment/augmix.ts

export interface ReferenceChoiceArgs {
  seed: number;
  step: number;
  view: number;
  sample: number;
  width: number;
  depth: number;
  severity: number;
  alpha: number;
  opCount: number;
  imageWidth: number;
}

export interface ReferenceChoices {
  chains: { op: ReferenceOp; param: number }[][];
  weights: number[];
  mix: number;
}

function parameter(op: ReferenceOp, level: number, negative: boolean, imageWidth: number): number {
  const sign = negative ? -1 : 1;
  const int = (max: number) => Math.trunc((level * max) / 10);
  switch (op) {
    case 'posterize':
      return 4 - int(4);
    case 'solarize':
      return 256 - int(256);
    case 'rotate':
      return sign * int(30) + 0;
    case 'shear_x':
    case 'shear_y':
      return (sign * (level * 0.3)) / 10;
    case 'translate_x':
    case 'translate_y':
      return sign * int(imageWidth / 3) + 0;
    case 'autocontrast':
    case 'equalize':
      return 0;
    default:
      return (level * 1.8) / 10 + 0.1;
  }
}

function gammaLog(alpha: number, words: (attempt: number) => Uint32Array): number {
  if (alpha === 1) return Math.log(-Math.log(uniformOpenClosed(words(0)[0]!)));
  const a = alpha < 1 ? alpha + 1 : alpha;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  let result = Math.log(d);
  for (let t = 0; t < 16; t++) {
    const w = words(t);
    const z = Math.sqrt(-2 * Math.log(uniformOpenClosed(w[0]!))) * Math.cos(2 * Math.PI * uniformClosedOpen(w[1]!) - Math.PI);
    const v = (1 + c * z) ** 3;
    if (v > 0 && Math.log(uniformOpenClosed(w[2]!)) < z * z / 2 + d - d * v + d * Math.log(v)) {
      result = Math.log(d * v);
      break;
    }
  }
  return alpha < 1 ? result + Math.log(uniformOpenClosed(words(0)[3]!)) / alpha : result;
}

export function referenceChoices(args: ReferenceChoiceArgs): ReferenceChoices {
  const key = [args.seed % 2 ** 32, Math.floor(args.seed / 2 ** 32)] as const;
  const words = (block: number) => philox4x32([args.view * 65536 + block, args.sample, args.step, AUGMIX_STREAM], key);
  const chains = Array.from({ length: args.width }, (_, i) => {
    const depth = args.depth > 0 ? args.depth : 1 + Math.floor(3 * uniformClosedOpen(words(3 * i)[3]!));
    return Array.from({ length: depth }, (_, slot) => {
      const w = words(3 * i + slot);
      const op = REFERENCE_OPS[Math.floor(args.opCount * uniformClosedOpen(w[0]!))]!;
      const level = 0.1 + (args.severity - 0.1) * uniformClosedOpen(w[1]!);
      return { op, param: parameter(op, level, uniformClosedOpen(w[2]!) > 0.5, args.imageWidth) };
    });
  });
  const logs = Array.from({ length: args.width + 2 }, (_, g) => gammaLog(args.alpha, (t) => words(64 + 16 * g + t)));
  const gammas = logs.map(Math.exp);
  const chainTotal = gammas.slice(0, args.width).reduce((a, b) => a + b, 0);
  return {
    chains,
    weights: gammas.slice(0, args.width).map((g) => g / chainTotal),
    mix: gammas[args.width]! / (gammas[args.width]! + gammas[args.width + 1]!),
  };
}
