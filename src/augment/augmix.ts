// AugMix (ALGORITHMS.md §6): the CPU draws every random choice of one view for a batch
// (planAugMix), the GPU applies the chains and mixes them in one dispatch (augmixView).
//
// Random choices come from Philox4x32-10 keyed by the seed with counter
// (view << 16 | block, global sample index, step, Stream.augmix), so a sample's choices depend
// only on (seed, step, view, sample index), never on the batch it sits in. Blocks:
//   3·chain + slot (< 48)        op slot `slot` of chain `chain`; words: op, level, sign, depth
//                                (the depth word is read at slot 0 only)
//   64 + 16·g + attempt          Gamma draw g (chains 0..width−1, then the Beta pair);
//                                Marsaglia–Tsang uses one block per attempt, at most 16
//
// Every op acts on u8 pixels and re-quantises to u8 as PIL does, with these fixed-point
// conventions, shared bit for bit by shaders/augmix.wgsl and test/reference/augmix.ts:
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
import augmixWgsl from '../../shaders/augmix.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { formatShape, type Tensor } from '../gpu/tensor.ts';
import { checkDistinct, checkTensor } from '../kernels/checks.ts';
import { grid1d } from '../kernels/grid.ts';
import { Stream, philox4x32, seedKey, uniform01, uniformOpen01 } from '../rng/philox.ts';
import { checkBoolean, checkInteger, checkKnownKeys, checkNumber, checkObject, checkU32, fail } from '../validate.ts';

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
const DEFAULT_OP_COUNT = 9;
/** Op id of an empty slot (past a chain's depth). */
export const NO_OP = 255;
export const MAX_DEPTH = 3;
export const MAX_WIDTH = 16;
/** Largest image side: a 64×64×3 u8 image fills 12 KiB of workgroup memory. */
export const MAX_SIDE = 64;
/** Marsaglia–Tsang attempts per Gamma draw; each accepts with probability > 0.95. */
export const GAMMA_MAX_ATTEMPTS = 16;

export interface AugMixOptions {
  /** Chains, 1..16 (default 3). */
  width?: number;
  /** Ops per chain: −1 draws 1..3 for each chain (default), else fixed 1..3. */
  depth?: number;
  /** sample_level(S) = U(0.1, S); S in (0.1, 10], default 3. */
  severity?: number;
  /** Dirichlet(α, …, α) chain weights and Beta(α, α) mixing weight; α in [0.01, 100], default 1. */
  alpha?: number;
  /** Also draw color, contrast, brightness and sharpness (augmentations_all). Default false. */
  allOps?: boolean;
}

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

interface Settings {
  width: number;
  depth: number;
  severity: number;
  alpha: number;
  opCount: number;
}

/** AugMix's options checked and completed with the defaults. */
export function augmixSettings(options: AugMixOptions = {}, where = 'planAugMix'): Settings {
  checkObject(where, 'options', options);
  checkKnownKeys(`${where}: options`, options, ['width', 'depth', 'severity', 'alpha', 'allOps']);
  const { width = 3, depth = -1, severity = 3, alpha = 1, allOps = false } = options;
  checkInteger(where, 'options.width', width, { min: 1, max: MAX_WIDTH });
  if (!(depth === -1 || (Number.isInteger(depth) && depth >= 1 && depth <= MAX_DEPTH))) fail(where, 'options.depth', `-1 (random 1..3 per chain) or an integer in [1, ${MAX_DEPTH}]`, depth);
  checkNumber(where, 'options.severity', severity, { above: 0.1, max: 10 });
  checkNumber(where, 'options.alpha', alpha, { min: 0.01, max: 100 });
  checkBoolean(where, 'options.allOps', allOps);
  return { width, depth, severity, alpha, opCount: allOps ? AUGMIX_OPS.length : DEFAULT_OP_COUNT };
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
// Drawing the choices

/** Python's int() of augmentations.py: truncation toward zero. */
function intParameter(level: number, max: number): number {
  return Math.trunc((level * max) / 10);
}

function floatParameter(level: number, max: number): number {
  return (level * max) / 10;
}

/** The op's parameter from sample_level's level, the sign word and the image width. */
export function opParameter(op: AugMixOp, level: number, negative: boolean, imageWidth: number): number {
  const signed = (v: number) => (negative ? -v : v) + 0; // + 0 turns −0 into 0
  switch (op) {
    case 'autocontrast':
    case 'equalize':
      return 0;
    case 'posterize':
      return 4 - intParameter(level, 4);
    case 'solarize':
      return 256 - intParameter(level, 256);
    case 'rotate':
      return signed(intParameter(level, 30));
    case 'shear_x':
    case 'shear_y':
      return signed(floatParameter(level, 0.3));
    case 'translate_x':
    case 'translate_y':
      return signed(intParameter(level, imageWidth / 3));
    case 'color':
    case 'contrast':
    case 'brightness':
    case 'sharpness':
      return floatParameter(level, 1.8) + 0.1;
  }
}

/** ln of a Gamma(α, 1) variate from the blocks of one draw (`block(t)` gives attempt t's words). */
function logGamma(alpha: number, block: (attempt: number) => Uint32Array): number {
  const first = block(0);
  // Exponential: exact, one word.
  if (alpha === 1) return Math.log(-Math.log(uniformOpen01(first[0]!)));
  // Marsaglia–Tsang needs α ≥ 1: draw Gamma(α + 1) and scale by U^(1/α) (in logs, so tiny α cannot underflow).
  const a = alpha < 1 ? alpha + 1 : alpha;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  let logX = Math.log(d); // after GAMMA_MAX_ATTEMPTS rejections (p < 1e-20): the mode-like value d
  for (let attempt = 0; attempt < GAMMA_MAX_ATTEMPTS; attempt++) {
    const w = attempt === 0 ? first : block(attempt);
    const z = Math.sqrt(-2 * Math.log(uniformOpen01(w[0]!))) * Math.cos(2 * Math.PI * uniform01(w[1]!) - Math.PI);
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    if (Math.log(uniformOpen01(w[2]!)) < 0.5 * z * z + d - d * v + d * Math.log(v)) {
      logX = Math.log(d * v);
      break;
    }
  }
  return alpha < 1 ? logX + Math.log(uniformOpen01(first[3]!)) / alpha : logX;
}

/** Normalised exp of log-weights; all −∞ (every Gamma draw was 0) gives equal weights. */
function softmax(logs: readonly number[]): number[] {
  const top = Math.max(...logs);
  if (top === -Infinity) return logs.map(() => 1 / logs.length);
  const e = logs.map((v) => Math.exp(v - top));
  const total = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / total);
}

export interface PlanAugMixArgs {
  /** Non-negative safe integer: the Philox key. */
  seed: number;
  /** u32 counter word: training step (or epoch·steps + step). */
  step: number;
  /** View index < 65536 (0 and 1 for the two AugMix views of the JSD loss). */
  view: number;
  /** Global index of the batch's first sample. */
  firstSample: number;
  batch: number;
  imageSize: readonly [number, number, number];
  options?: AugMixOptions;
}

export function planAugMix(args: PlanAugMixArgs): AugMixPlan {
  const { seed, step, view, firstSample, batch } = args;
  const settings = augmixSettings(args.options);
  const imageSize = checkImageSize('planAugMix', 'imageSize', args.imageSize);
  checkU32('planAugMix', 'step', step);
  if (!Number.isInteger(view) || view < 0 || view > 0xffff) throw new Error(`planAugMix: view must be an integer in [0, 65535], got ${view}`);
  checkU32('planAugMix', 'firstSample', firstSample);
  if (!Number.isInteger(batch) || batch < 1 || firstSample + batch - 1 > 0xffffffff) {
    throw new Error(`planAugMix: batch must be an integer >= 1 with firstSample + batch - 1 a u32, got batch ${batch} from ${firstSample}`);
  }
  const key = seedKey(seed);
  const plan = emptyPlan(batch, settings.width, imageSize);
  for (let b = 0; b < batch; b++) {
    const words = (block: number) => philox4x32([((view << 16) | block) >>> 0, firstSample + b, step, Stream.augmix], key);
    drawSample(plan, b, settings, words);
  }
  return plan;
}

function emptyPlan(batch: number, width: number, imageSize: [number, number, number]): AugMixPlan {
  const slots = batch * width * MAX_DEPTH;
  return {
    batch,
    width,
    imageSize,
    mix: new Float32Array(batch),
    weights: new Float32Array(batch * width),
    ops: new Uint8Array(slots).fill(NO_OP),
    params: new Float64Array(slots),
  };
}

function drawSample(plan: AugMixPlan, b: number, s: Settings, words: (block: number) => Uint32Array): void {
  const imageWidth = plan.imageSize[2];
  for (let chain = 0; chain < s.width; chain++) {
    let depth = s.depth;
    for (let slot = 0; slot < MAX_DEPTH; slot++) {
      const w = words(3 * chain + slot);
      if (slot === 0 && depth < 0) depth = 1 + Math.floor(3 * uniform01(w[3]!));
      if (slot >= depth) break;
      const op = Math.floor(s.opCount * uniform01(w[0]!));
      const level = 0.1 + (s.severity - 0.1) * uniform01(w[1]!);
      const at = (b * s.width + chain) * MAX_DEPTH + slot;
      plan.ops[at] = op;
      plan.params[at] = opParameter(AUGMIX_OPS[op]!, level, uniform01(w[2]!) > 0.5, imageWidth);
    }
  }
  const logs = Array.from({ length: s.width + 2 }, (_, g) => logGamma(s.alpha, (attempt) => words(64 + 16 * g + attempt)));
  softmax(logs.slice(0, s.width)).forEach((w, chain) => (plan.weights[b * s.width + chain] = w));
  const [logA, logB] = [logs[s.width]!, logs[s.width + 1]!];
  plan.mix[b] = logA === -Infinity && logB === -Infinity ? 0.5 : 1 / (1 + Math.exp(logB - logA));
}

// ---------------------------------------------------------------------------------------------
// Plans from explicit choices (tests, demos)

export interface ChosenOp {
  op: AugMixOp;
  /** In PIL's units (see AugMixPlan.params); omit for autocontrast and equalize. */
  param?: number;
}

export interface ChosenSample {
  /** m in [0, 1]. */
  mix: number;
  /** One weight per chain (not renormalised). */
  weights: readonly number[];
  /** One list of 1..3 ops per chain. */
  chains: readonly (readonly ChosenOp[])[];
}

/** Ranges the kernel handles exactly (wider than what planAugMix draws at severity ≤ 10). */
function checkParam(op: AugMixOp, param: number, where: string): void {
  const fail = (range: string) => new Error(`planFromChoices: ${where} ${op} param must be ${range}, got ${param}`);
  switch (op) {
    case 'autocontrast':
    case 'equalize':
      if (param !== 0) throw fail('0 or omitted');
      return;
    case 'posterize':
      if (!Number.isInteger(param) || param < 0 || param > 8) throw fail('integer bits in [0, 8]');
      return;
    case 'solarize':
      if (!Number.isInteger(param) || param < 0 || param > 256) throw fail('an integer threshold in [0, 256]');
      return;
    case 'rotate':
      if (!(Math.abs(param) <= 180)) throw fail('degrees in [-180, 180]');
      return;
    case 'shear_x':
    case 'shear_y':
      if (!(Math.abs(param) <= 1)) throw fail('in [-1, 1]');
      return;
    case 'translate_x':
    case 'translate_y':
      if (!(Math.abs(param) <= MAX_SIDE)) throw fail(`pixels in [-${MAX_SIDE}, ${MAX_SIDE}]`);
      return;
    default:
      if (!(param >= 0 && param <= 2)) throw fail('an enhance factor in [0, 2]');
  }
}

export function planFromChoices(imageSize: readonly [number, number, number], samples: readonly ChosenSample[]): AugMixPlan {
  const size = checkImageSize('planFromChoices', 'imageSize', imageSize);
  const width = samples[0]?.chains.length ?? 0;
  if (samples.length < 1 || width < 1 || width > MAX_WIDTH) throw new Error(`planFromChoices: samples must be non-empty with 1..${MAX_WIDTH} chains, got ${samples.length} samples of ${width} chains`);
  const plan = emptyPlan(samples.length, width, size);
  samples.forEach((sample, b) => {
    if (sample.chains.length !== width || sample.weights.length !== width) {
      throw new Error(`planFromChoices: sample ${b} must have ${width} chains and weights like sample 0, got ${sample.chains.length} and ${sample.weights.length}`);
    }
    if (!(sample.mix >= 0 && sample.mix <= 1)) throw new Error(`planFromChoices: sample ${b} mix must be in [0, 1], got ${sample.mix}`);
    plan.mix[b] = sample.mix;
    sample.chains.forEach((chain, i) => {
      if (chain.length < 1 || chain.length > MAX_DEPTH) throw new Error(`planFromChoices: sample ${b} chain ${i} must hold 1..3 ops, got ${chain.length}`);
      plan.weights[b * width + i] = sample.weights[i]!;
      chain.forEach(({ op, param = 0 }, slot) => {
        const id = AUGMIX_OPS.indexOf(op);
        if (id < 0) throw new Error(`planFromChoices: sample ${b} chain ${i} op must be one of ${AUGMIX_OPS.join(', ')}, got ${String(op)}`);
        checkParam(op, param, `sample ${b} chain ${i}`);
        plan.ops[(b * width + i) * MAX_DEPTH + slot] = id;
        plan.params[(b * width + i) * MAX_DEPTH + slot] = param;
      });
    });
  });
  return plan;
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

/** Per sample: m (f32 bits), the chain weights (f32 bits), then width·3 op records of 8 words. */
export function packPlan(plan: AugMixPlan): Uint32Array {
  const [, height, width] = plan.imageSize;
  const recordWords = 1 + plan.width + plan.width * MAX_DEPTH * OP_RECORD_WORDS;
  const words = new Uint32Array(plan.batch * recordWords);
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

// ---------------------------------------------------------------------------------------------
// The GPU view

const files = [{ file: 'augmix.wgsl', code: augmixWgsl }];
const corrections = new WeakMap<Gpu, Tensor>();

function correctionTable(gpu: Gpu): Tensor {
  let t = corrections.get(gpu);
  if (!t) {
    const table = autocontrastCorrections();
    t = gpu.upload(table, [table.length], 'u32');
    corrections.set(gpu, t);
  }
  return t;
}

/** Workgroup memory of the kernel for one image: the image, the histogram and its prefix sums, a few scalars. */
function workgroupBytes(c: number, h: number, w: number): number {
  return (c * Math.ceil((h * w) / 4) + 256 + 256 + 8) * 4;
}

/**
 * One AugMix view for a batch. images: u32 tensor of the batch's u8 pixels packed 4 per word,
 * little-endian, NCHW, B·C·H·W bytes (last word zero-padded). Returns f32 [B, C, H, W] in [0, 1]:
 * ((1 − m)·x + m·Σ w_i·chain_i(x)) / 255.
 */
export async function augmixView(gpu: Gpu, images: Tensor, shape: readonly [number, number, number, number], plan: AugMixPlan, out?: Tensor): Promise<Tensor> {
  const [batch] = shape;
  const [c, h, w] = checkImageSize('augmixView', 'shape[1..3]', shape.slice(1));
  if (shape.length !== 4 || batch !== plan.batch || c !== plan.imageSize[0] || h !== plan.imageSize[1] || w !== plan.imageSize[2]) {
    throw new Error(`augmixView: shape must be the plan's [${plan.batch}, ${plan.imageSize.join(', ')}], got ${formatShape(shape)}`);
  }
  checkTensor('augmixView', 'images', images, [Math.ceil((batch * c * h * w) / 4)], 'u32');
  const y = out ?? gpu.empty(shape);
  checkTensor('augmixView', 'out', y, shape);
  checkDistinct('augmixView', { images, out: y });
  const needed = workgroupBytes(c, h, w);
  if (needed > gpu.limits.maxComputeWorkgroupStorageSize) {
    throw new Error(`augmixView: a ${c}x${h}x${w} image needs ${needed} bytes of workgroup memory, over this adapter's ${gpu.limits.maxComputeWorkgroupStorageSize}`);
  }
  const packed = packPlan(plan);
  const planTensor = gpu.upload(packed, [packed.length], 'u32');
  const params = packParams(batch, plan.width, packed.length / batch, 0);
  await gpu.dispatch({ files, entryPoint: 'augmixView', consts: { C: c, H: h, W: w } }, [y, images, planTensor, correctionTable(gpu)], grid1d(gpu, batch, 1), params);
  // A later upload reusing this buffer submits this dispatch first (Gpu.write), so it can go back now.
  gpu.release(planTensor);
  return y;
}
