// Direct convolution for layers with a short input window (K = Ci·KH·KW ≤ MAX_DIRECT_WINDOW): the
// first layer of a CNN, where the implicit GEMM's K is too short to amortise its index
// arithmetic and stores (MNIST conv1 ran at 2.6–5 GFLOP/s against 9–10 for its other layers).
// Forward and backward-weight only: a first layer needs no input gradient, and any other
// layer's backward-data has K = Co·KH·KW, which is not short. Kernels: conv2dDirect.wgsl.
import conv2dDirectWgsl from '../../shaders/conv2dDirect.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { convGeometryConsts, convGeometryShader, type ConvDims } from './convDims.ts';
import { grid1d } from './grid.ts';
import { sumSplits } from './reduce.ts';

const files = [convGeometryShader, { file: 'conv2dDirect.wgsl', code: conv2dDirectWgsl }];
const WG = 64;
/** Output pixels per forward invocation (PIXELS in the shader). */
const PIXELS = 4;
/**
 * The longest input window the direct kernels take. Since the GEMM shares A's rows through the
 * subgroup, it beats them from 16 on (`bench kernels` on lavapipe, ms direct against implicit
 * GEMM, forward / backward-weight): WRN-40-2's RGB stem (27) 17.8 / 42.8 against 10.3 / 10.4,
 * its 1×1 shortcuts from 16 and 32 channels 18.9 / 35.4 against 13.6 / 10.8 and 23.1 / 71.2
 * against 11.1 / 9.4; MNIST conv1 (9) 7.7 / 6.4 against 7.3 / 8.7.
 */
export const MAX_DIRECT_WINDOW = 9;
/** Backward-weight invocations per channel block: enough to fill the cores, few partials to sum. */
const SLICES = 1024;

export function directApplies(d: { Ci: number; KH: number; KW: number }): boolean {
  return d.Ci * d.KH * d.KW <= MAX_DIRECT_WINDOW;
}

/** The largest block of output channels, up to 8, that divides Co: each invocation's sums live in registers. */
function channelBlock(Co: number): number {
  for (const block of [8, 4, 2]) if (Co % block === 0) return block;
  return 1;
}

/** y [B, Co, OH, OW] = conv(x, w) + bias into `y`. */
export async function directForward(gpu: Gpu, x: Tensor, w: Tensor, bias: Tensor | undefined, d: ConvDims, y: Tensor): Promise<void> {
  const pixels = d.B * d.OH * d.OW;
  const lanes = Math.ceil(pixels / PIXELS);
  const consts = { ...convGeometryConsts(d), BIAS: bias ? 1 : 0 };
  // The bias binding is in the layout either way; without a bias nothing reads it.
  await gpu.dispatch({ files, entryPoint: 'directForward', consts }, { x, operand: w, bias: bias ?? w, y }, grid1d(gpu, lanes, WG), packParams(pixels, lanes));
}

/** dw [Co, Ci, KH, KW] into `dw`: per-slice partial sums over the output pixels, then their sum in a fixed order. */
export async function directBackwardWeight(gpu: Gpu, x: Tensor, dy: Tensor, d: ConvDims, dw: Tensor): Promise<void> {
  const pixels = d.B * d.OH * d.OW;
  const slices = Math.min(SLICES, pixels);
  const block = channelBlock(d.Co);
  const parts = gpu.empty([slices, d.Co * d.Ci * d.KH * d.KW]);
  const invocations = slices * (d.Co / block);
  const consts = { ...convGeometryConsts(d), CO_BLOCK: block };
  await gpu.dispatch({ files, entryPoint: 'directBackwardWeight', consts }, { x, operand: dy, partials: parts }, grid1d(gpu, invocations, WG), packParams(pixels, slices));
  await sumSplits(gpu, parts, slices, dw);
  gpu.release(parts);
}
