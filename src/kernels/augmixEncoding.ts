// AugMix's ops as shaders/augmix.wgsl reads them: the op vocabulary, the plan of one view
// (every random choice, drawn by augment/augmixPlan.ts or given explicitly) and its packing
// into words. Every op acts on u8 pixels and re-quantises to u8 as PIL does, with these
// fixed-point conventions, shared bit for bit by the shader and test/reference/augmix.ts:
// - Geometric ops use PIL's affine matrix (output pixel centre (x + ½, y + ½) maps to input
//   (a·(x+½) + b·(y+½) + c, d·(x+½) + e·(y+½) + f); rotate about (W/2, H/2) with PIL's rounding
//   of cos/sin to 15 decimals). The coefficients become integers (a, b, d, e in units of 2⁻²⁰,
//   c, f in 2⁻²¹), the mapped coordinate is rounded to 2⁻¹² pixel, and PIL's bilinear filter
//   (black outside [0, W) × [0, H), −½ centre shift, edge-clamped neighbours, truncation) is then
//   exact in integers. PIL itself keeps the coordinate in f64: the two differ only when the
//   interpolated value lies within ~10⁻³ of an integer.
// - Autocontrast is PIL's f64 LUT `int(i·scale − lo·scale)`, scale = 255/(hi − lo). That is
//   the exact rational floor except at points where the rational is an integer and f64 lands
//   just below it (18% of (lo, hi) pairs, e.g. the maximum maps to 254): those points come to
//   the GPU as a bit table (autocontrastCorrections).
// - Enhance factors (color, contrast, brightness, sharpness; allOps only) are rounded to
//   2⁻²⁰, so the blend is exact in integers; PIL blends with an f32 factor.
import { formatShape } from '../gpu/tensor.ts';

/** augmentations_all order of augmentations.py; the first nine are the default list. */
export const AUGMIX_OPS = [
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
export type AugMixOp = (typeof AUGMIX_OPS)[number];
/** Op id of an empty slot (past a chain's depth). */
export const NO_OP = 255;
export const MAX_DEPTH = 3;
export const MAX_WIDTH = 16;
/** Largest image side: a 64×64×3 u8 image fills 12 KiB of workgroup memory. */
export const MAX_SIDE = 64;

/** Every random choice of one view for a batch; arrays are sample-major. */
export interface AugMixPlan {
  readonly batch: number;
  readonly width: number;
  /** [channels, height, width] of each image. */
  readonly imageSize: readonly [number, number, number];
  /** m, the weight of the augmented mix against the clean image, per sample (f32 as the GPU reads it). */
  readonly mix: Float32Array;
  /** Chain weights w_i per sample, [batch · width]. */
  readonly weights: Float32Array;
  /** Op id (index in AUGMIX_OPS, NO_OP past the depth) per sample, chain and slot: [batch · width · 3]. */
  readonly ops: Uint8Array;
  /**
   * The op's drawn parameter in PIL's units, same layout as ops: posterize bits, solarize
   * threshold, rotate degrees, shear factor, translate pixels (signed), enhance factor; 0 for
   * autocontrast and equalize.
   */
  readonly params: Float64Array;
}
/** [channels, height, width] with channels 1 (L) or 3 (RGB) and sides in [1, 64]. */
export function checkImageSize(op: string, name: string, size: readonly number[]): [number, number, number] {
  const [c, h, w] = size;
  const side = (v: number | undefined) => Number.isInteger(v) && v! >= 1 && v! <= MAX_SIDE;
  if (size.length !== 3 || (c !== 1 && c !== 3) || !side(h) || !side(w)) {
    throw new Error(`${op}: ${name} must be [channels 1 or 3, height 1..${MAX_SIDE}, width 1..${MAX_SIDE}], got ${formatShape(size)}`);
  }
  return [c, h!, w!];
}

// ---------------------------------------------------------------------------------------------
// Fixed-point encodings shared with the kernel

/** PIL's affine matrix (a, b, c, d, e, f), input = (a·x + b·y + c, d·x + e·y + f) at pixel centres. */
export function pilAffineMatrix(op: AugMixOp, param: number, height: number, width: number): number[] {
  switch (op) {
    case 'rotate': {
      // Image.rotate: angle % 360, the inverse rotation, cos/sin rounded to 15 decimals.
      const angle = -(((param % 360) + 360) % 360) * (Math.PI / 180);
      const round15 = (v: number) => Number(v.toFixed(15));
      const [a, b, d, e] = [round15(Math.cos(angle)), round15(Math.sin(angle)), round15(-Math.sin(angle)), round15(Math.cos(angle))];
      const [cx, cy] = [width / 2, height / 2];
      return [a, b, a * -cx + b * -cy + cx, d, e, d * -cx + e * -cy + cy];
    }
    case 'shear_x':
      return [1, param, 0, 0, 1, 0];
    case 'shear_y':
      return [1, 0, 0, param, 1, 0];
    case 'translate_x':
      return [1, 0, param, 0, 1, 0];
    case 'translate_y':
      return [1, 0, 0, 0, 1, param];
    default:
      throw new Error(`pilAffineMatrix: ${op} is not a geometric op`);
  }
}

/** The matrix as the kernel's integers: linear terms in 2⁻²⁰, offsets in 2⁻²¹ (pixel centres are odd multiples of ½). */
export function affineFixedPoint(matrix: readonly number[]): Int32Array {
  const [a, b, c, d, e, f] = matrix as [number, number, number, number, number, number];
  return Int32Array.from([a * 2 ** 20, b * 2 ** 20, c * 2 ** 21, d * 2 ** 20, e * 2 ** 20, f * 2 ** 21], Math.round);
}

/** Blend factor in 2⁻²⁰ units. */
export function enhanceFixedPoint(factor: number): number {
  return Math.round(factor * 2 ** 20);
}

/**
 * Where PIL's f64 autocontrast LUT is one below floor(255·(v − lo)/(hi − lo)). Only points
 * where that rational is an integer can differ: v = lo + j·d/g, d = hi − lo, g = gcd(255, d),
 * j = 1..g. Word d (1..255) holds (bit offset << 8) | g; bit (offset + lo·g + j − 1) of the
 * words from 256 on is set where PIL lands low. About 20 KB.
 */
export function autocontrastCorrections(): Uint32Array {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let bits = 0;
  const offsets = new Uint32Array(256);
  for (let d = 1; d < 256; d++) {
    offsets[d] = bits;
    bits += (256 - d) * gcd(255, d);
  }
  const table = new Uint32Array(256 + Math.ceil(bits / 32));
  for (let d = 1; d < 256; d++) {
    const g = gcd(255, d);
    table[d] = (offsets[d]! << 8) | g;
    for (let lo = 0; lo + d < 256; lo++) {
      const scale = 255 / d;
      const offset = -lo * scale;
      for (let j = 1; j <= g; j++) {
        const v = lo + (j * d) / g;
        if (Math.trunc(v * scale + offset) < (255 * j) / g) {
          const bit = offsets[d]! + lo * g + j - 1;
          table[256 + (bit >>> 5)]! |= 1 << (bit & 31);
        }
      }
    }
  }
  return table;
}

const OP_RECORD_WORDS = 8;

/** The kernel's words for one op: id, then up to six parameters (see shaders/augmix.wgsl). */
function opRecord(id: number, param: number, height: number, width: number): number[] {
  if (id === NO_OP) return [NO_OP];
  const op = AUGMIX_OPS[id]!;
  switch (op) {
    case 'autocontrast':
    case 'equalize':
      return [id];
    case 'posterize':
      return [id, 0xff & ~((1 << (8 - param)) - 1)];
    case 'solarize':
      return [id, param];
    case 'color':
    case 'contrast':
    case 'brightness':
    case 'sharpness':
      return [id, enhanceFixedPoint(param)];
    default:
      return [id, ...Array.from(affineFixedPoint(pilAffineMatrix(op, param, height, width)), (v) => v >>> 0)];
  }
}

/** Words of one sample's record: m, the chain weights, then width·3 op records. */
const sampleWords = (width: number) => 1 + width + width * MAX_DEPTH * OP_RECORD_WORDS;

/** Words of a packed plan, from its batch and chains alone (a pipeline sizes its buffer once). */
export const planWords = (plan: Pick<AugMixPlan, 'batch' | 'width'>) => plan.batch * sampleWords(plan.width);

/** Per sample: m (f32 bits), the chain weights (f32 bits), then width·3 op records of 8 words. */
export function packPlan(plan: AugMixPlan): Uint32Array {
  const [, height, width] = plan.imageSize;
  const recordWords = sampleWords(plan.width);
  const words = new Uint32Array(planWords(plan));
  const floats = new Float32Array(words.buffer);
  for (let b = 0; b < plan.batch; b++) {
    const base = b * recordWords;
    floats[base] = plan.mix[b]!;
    for (let i = 0; i < plan.width; i++) floats[base + 1 + i] = plan.weights[b * plan.width + i]!;
    for (let s = 0; s < plan.width * MAX_DEPTH; s++) {
      const at = b * plan.width * MAX_DEPTH + s;
      words.set(opRecord(plan.ops[at]!, plan.params[at]!, height, width), base + 1 + plan.width + s * OP_RECORD_WORDS);
    }
  }
  return words;
}

