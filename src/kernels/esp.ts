// The fused ESP kernel (shaders/esp.wgsl): per sample, flip and crop, a Philox direction, the
// clipping-aware rescale to L2 distance exactly k, normalisation, and the soft-label row from
// the true-label mass s — all in one dispatch. Each sample's plan says what to do; k ≤ 0 leaves
// the image as it is, so plain training, L2 noise, ESP and static label smoothing are this one
// kernel.
import espWgsl from '../../shaders/esp.wgsl';
import philoxWgsl from '../../shaders/philox.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { formatShape, type Tensor } from '../gpu/tensor.ts';
import { Stream, seedKey } from '../rng/philox.ts';
import { checkDistinct, checkTensor } from './checks.ts';
import { checkU32 } from '../validate.ts';

const files = [
  { file: 'philox.wgsl', code: philoxWgsl },
  { file: 'esp.wgsl', code: espWgsl },
];

/** [channels, height, width] of one image. */
export type ImageShape = readonly [number, number, number];

export interface PerturbBatchArgs {
  /**
   * The batch's pixels: 'u8' as a u32 tensor of the bytes packed four a word (little-endian,
   * see packBytes), mapped linearly onto `range`; 'f32' as f32 [B, ...image] already in `range`.
   */
  images: Tensor;
  format: 'u8' | 'f32';
  image: ImageShape;
  batch: number;
  classes: number;
  /** u32 [B]. */
  labels: Tensor;
  /** u32 [R, PLAN_WORDS]: one encoded SamplePlan per output row (see encodePlans). */
  plan: Tensor;
  /** f32 [channels, 2]: (mean, 1/std) applied after the perturbation. */
  channelStats: Tensor;
  /** Philox key and counter words: direction of sample b is drawn at (block, firstSample + b, step, stream). */
  seed: number;
  step: number;
  firstSample?: number;
  stream?: number;
  /** The valid input domain; the perturbed image stays inside it (default [0, 1]). */
  range?: readonly [number, number];
  /** Test hook: f32 [B, ...image] directions used instead of Philox draws (normalised by the kernel). */
  directions?: Tensor;
  /**
   * Outputs with R ≥ intoRow + B rows, sample b going to row intoRow + b (default: new [B, ...]
   * tensors and row 0) — how several views of one batch fill one tensor.
   */
  out?: { x?: Tensor; targets?: Tensor };
  intoRow?: number;
}

export interface PerturbBatchResult {
  /** f32 [R, channels, height, width], normalised (rows intoRow.. written). */
  x: Tensor;
  /** f32 [R, classes]: probability rows. */
  targets: Tensor;
}

/** What the kernel does to one sample. */
export interface SamplePlan {
  /** Perturbation L2 norm; ≤ 0 leaves the image as it is. */
  k: number;
  /** The true label's mass. */
  s: number;
  /** Crop shift: output pixel (x, y) reads (x + shiftX, y + shiftY) of the (flipped) image. */
  shiftX?: number;
  shiftY?: number;
  /** Mirror left–right first. */
  flip?: boolean;
}

export const PLAN_WORDS = 5;

/** SamplePlans as the kernel's struct array: k and s as f32 bits, shifts as i32, flip as 0/1. */
export function encodePlans(plans: readonly SamplePlan[]): Uint32Array {
  const words = new Uint32Array(PLAN_WORDS * plans.length);
  const floats = new Float32Array(words.buffer);
  const ints = new Int32Array(words.buffer);
  plans.forEach((p, i) => {
    floats[PLAN_WORDS * i] = p.k;
    floats[PLAN_WORDS * i + 1] = p.s;
    ints[PLAN_WORDS * i + 2] = p.shiftX ?? 0;
    ints[PLAN_WORDS * i + 3] = p.shiftY ?? 0;
    words[PLAN_WORDS * i + 4] = p.flip ? 1 : 0;
  });
  return words;
}

/** Bytes as little-endian u32 words, zero-padded to a whole word: the layout INPUT_U8 reads. */
export function packBytes(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(Math.ceil(bytes.length / 4));
  new Uint8Array(words.buffer).set(bytes);
  return words;
}

const op = 'perturbBatch';


function checkArgs(args: PerturbBatchArgs, sampleSize: number): void {
  const { batch, classes, image, format } = args;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${op}: batch must be an integer ≥ 1, got ${batch}`);
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`${op}: classes must be an integer ≥ 2, got ${classes}`);
  if (image.length !== 3 || !image.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`${op}: image must be [channels, height, width] of positive integers, got ${formatShape(image)}`);
  }
  const [lo, hi] = args.range ?? [0, 1];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new RangeError(`${op}: range must be finite [lo, hi] with lo < hi, got [${lo}, ${hi}]`);
  checkU32(op, 'step', args.step);
  checkU32(op, 'firstSample', args.firstSample ?? 0);
  if (format === 'u8') checkTensor(op, 'images (u8 packed)', args.images, [Math.ceil((batch * sampleSize) / 4)], 'u32');
  else if (format === 'f32') checkTensor(op, 'images', args.images, [batch, ...image]);
  else throw new RangeError(`${op}: format must be 'u8' or 'f32', got ${String(format)}`);
  checkTensor(op, 'labels', args.labels, [batch], 'u32');
  checkTensor(op, 'channelStats', args.channelStats, [image[0], 2]);
  if (args.directions) checkTensor(op, 'directions', args.directions, [batch, ...image]);
}

/** Records the fused ESP dispatch; returns the normalised batch and its targets. */
export async function perturbBatch(gpu: Gpu, args: PerturbBatchArgs): Promise<PerturbBatchResult> {
  const [channels, height, width] = args.image;
  const sampleSize = channels * height * width;
  checkArgs(args, sampleSize);
  const { batch, classes } = args;
  const intoRow = args.intoRow ?? 0;
  checkU32(op, 'intoRow', intoRow);
  const x = args.out?.x ?? gpu.empty([intoRow + batch, channels, height, width]);
  const rows = x.shape[0]!;
  if (rows < intoRow + batch) throw new RangeError(`${op}: out.x has ${rows} rows, intoRow ${intoRow} + batch ${batch} needs ${intoRow + batch}`);
  const targets = args.out?.targets ?? gpu.empty([rows, classes]);
  checkTensor(op, 'out.x', x, [rows, channels, height, width]);
  checkTensor(op, 'out.targets', targets, [rows, classes]);
  checkTensor(op, 'plan', args.plan, [rows, PLAN_WORDS], 'u32');
  checkDistinct(op, { 'out.x': x, 'out.targets': targets, images: args.images, labels: args.labels, plan: args.plan, channelStats: args.channelStats });
  const [keyLo, keyHi] = seedKey(args.seed);
  const [lo, hi] = args.range ?? [0, 1];
  const params = packParams(
    sampleSize, classes, height * width, args.step, args.stream ?? Stream.espDirection, args.firstSample ?? 0, keyLo, keyHi,
    { f32: lo }, { f32: hi }, width, intoRow,
  );
  const consts = { WG: espWorkgroupSize(gpu), INPUT_U8: args.format === 'u8' };
  // images binds u8 words or f32 bits alike (INPUT_U8 picks how the kernel reads them).
  const images = args.images.bitsAs('u32');
  const bindings = { out: x, targets, images, labels: args.labels, plans: args.plan, channelStats: args.channelStats };
  const entryPoint = args.directions ? 'espPerturbGivenDirections' : 'espPerturb';
  const given = args.directions ? { ...bindings, directions: args.directions } : bindings;
  // The step changes every call: keep it out of the uniform cache.
  await gpu.dispatch({ files, entryPoint, consts }, given, [batch], params, { transientParams: true });
  return { x, targets };
}

/**
 * Invocations per sample. A software adapter runs a workgroup on one CPU thread, where every
 * barrier of the tree reductions costs; a real GPU wants more lanes per sample.
 */
function espWorkgroupSize(gpu: Gpu): number {
  return gpu.acquired.adapter.isSoftware ? 64 : 256;
}
