// Inverted dropout with a counter-based mask: Philox4x32-10 keyed by the seed, counter
// (element block, layer, step, dropout stream), so a mask is reproducible from (seed, layer, step)
// alone and the CPU can recompute it (ALGORITHMS.md §3.2).
import dropoutWgsl from '../../shaders/dropout.wgsl';
import philoxWgsl from '../../shaders/philox.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { formatShape, type Tensor } from '../gpu/tensor.ts';
import { checkDistinct, checkTensor } from './checks.ts';
import { Stream, seedKey } from '../rng/philox.ts';
import { grid1d } from './grid.ts';

const files = [
  { file: 'philox.wgsl', code: philoxWgsl },
  { file: 'dropout.wgsl', code: dropoutWgsl },
];
const WG = 256;

export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1). */
  p: number;
  /** Non-negative safe integer: the Philox key is (seed mod 2^32, seed / 2^32). */
  seed: number;
  /** u32 counter word: a different step gives an independent mask. */
  step: number;
  /** u32 counter word: distinguishes the dropout layers of one model (default 0). */
  layer?: number;
}

export interface DropoutResult {
  y: Tensor;
  /** f32, same shape as x: 0 for dropped elements, 1 / (1 − p) for kept ones. */
  mask: Tensor;
}

/**
 * Element i is kept iff uniformClosedOpen(word i & 3 of block i >> 2) >= p. As an integer
 * test on the word's top 24 bits: (word >> 8) >= ceil(p · 2^24).
 */
export function dropThreshold(p: number): number {
  return Math.ceil(p * 2 ** 24);
}

function checkOptions({ p, seed, step, layer = 0 }: DropoutOptions): void {
  if (!(p >= 0 && p < 1)) throw new Error(`dropoutForward: p must be in [0, 1), got ${p}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`dropoutForward: seed must be a non-negative safe integer, got ${seed}`);
  if (!Number.isInteger(step) || step < 0 || step > 0xffffffff) throw new Error(`dropoutForward: step must be a u32, got ${step}`);
  if (!Number.isInteger(layer) || layer < 0 || layer > 0xffffffff) throw new Error(`dropoutForward: layer must be a u32, got ${layer}`);
}

/** y = x · mask; p = 0 keeps everything (mask of ones, y = x). */
export async function dropoutForward(gpu: Gpu, x: Tensor, options: DropoutOptions & { out?: Partial<DropoutResult> }): Promise<DropoutResult> {
  checkOptions(options);
  if (x.dtype !== 'f32') throw new Error(`dropoutForward: x must be f32, got ${x.dtype} ${formatShape(x.shape)}`);
  const y = options.out?.y ?? gpu.empty(x.shape);
  const mask = options.out?.mask ?? gpu.empty(x.shape);
  checkTensor('dropoutForward', 'out.y', y, x.shape);
  checkTensor('dropoutForward', 'out.mask', mask, x.shape);
  checkDistinct('dropoutForward', { x, 'out.y': y, 'out.mask': mask });
  const [keyLo, keyHi] = seedKey(options.seed);
  const params = packParams(x.size, dropThreshold(options.p), { f32: 1 / (1 - options.p) }, options.step, Stream.dropout, keyLo, keyHi, options.layer ?? 0);
  // The step changes every call: keep it out of the uniform cache.
  await gpu.dispatch({ files, entryPoint: 'dropoutForward' }, { out: y, input: x, mask }, grid1d(gpu, Math.ceil(x.size / 4), WG), params, { transientParams: true });
  return { y, mask };
}

/** dx = dy · mask, the mask saved by dropoutForward. */
export async function dropoutBackward(gpu: Gpu, dy: Tensor, mask: Tensor, out?: Tensor): Promise<Tensor> {
  checkTensor('dropoutBackward', 'mask', mask, mask.shape);
  checkTensor('dropoutBackward', 'dy', dy, mask.shape);
  const dx = out ?? gpu.empty(mask.shape);
  checkTensor('dropoutBackward', 'out', dx, mask.shape);
  checkDistinct('dropoutBackward', { dy, mask, out: dx });
  // The backward entry point reads only `count`; the other fields just fill the struct.
  const params = packParams(mask.size, 0, 0, 0, 0, 0, 0);
  await gpu.dispatch({ files, entryPoint: 'dropoutBackward' }, { out: dx, input: dy, mask }, grid1d(gpu, mask.size, WG), params);
  return dx;
}
