// Stride-1 3×3 convolutions by Winograd F(4×4, 3×3): transform the input tiles and the
// kernels (shaders/winograd.wgsl), multiply the 36 transformed points as one batched
// matmul over channels, transform back. A quarter of the direct method's multiplies, for
// three memory-bound transform passes; conv2d.ts decides when that pays.
// Backward-data is the same forward on dy with the kernels rotated and transposed and
// padding 2 − p; backward-weight runs the adjoints of the output and weight transforms.
import winogradWgsl from '../../shaders/winograd.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { grid1d } from './grid.ts';
import { matmul } from './matmul.ts';

const file = { file: 'winograd.wgsl', code: winogradWgsl };
const WG = 64;
/** Points of a transformed tile (6×6) and outputs of one tile per axis. */
const POINTS = 36;
const TILE = 4;
const MIN_CHANNELS = 4;

/** The geometry Winograd needs: x [B, Ci, H, W] * w [Co, Ci, 3, 3], stride 1 → y [B, Co, OH, OW]. */
export interface WinogradDims {
  B: number;
  Ci: number;
  H: number;
  W: number;
  Co: number;
  OH: number;
  OW: number;
  PH: number;
  PW: number;
}

/** An image-side tensor of the transforms and the output tiles laid over it. */
interface ImageSide {
  C: number;
  H: number;
  W: number;
  padH: number;
  padW: number;
  tilesH: number;
  tilesW: number;
}

type Entry = 'transformInput' | 'transformOutput' | 'transformOutputGrad' | 'transformWeight' | 'transformWeightGrad';

/**
 * Stride-1 3×3 kernels with at most 2 padding, between at least MIN_CHANNELS channels:
 * with fewer, the sum over channels is too short to pay for the transforms (MNIST conv1,
 * 1 → 32: forward 0.65× the implicit GEMM on lavapipe, `bench:kernels`).
 */
export function winogradApplies(d: { Ci: number; Co: number; KH: number; KW: number; SH: number; SW: number; PH: number; PW: number }): boolean {
  const shape = d.KH === 3 && d.KW === 3 && d.SH === 1 && d.SW === 1 && d.PH <= 2 && d.PW <= 2;
  return shape && d.Ci >= MIN_CHANNELS && d.Co >= MIN_CHANNELS;
}

const tilesOver = (outH: number, outW: number) => ({ tilesH: Math.ceil(outH / TILE), tilesW: Math.ceil(outW / TILE) });

async function launch(gpu: Gpu, entryPoint: Entry, consts: Record<string, number | boolean>, count: number, tiles: number, bindings: Tensor[]): Promise<void> {
  await gpu.dispatch({ files: [file], entryPoint, consts }, bindings, grid1d(gpu, count, WG), packParams(count, tiles));
}

function sideConsts(s: ImageSide): Record<string, number> {
  return { C: s.C, H: s.H, W: s.W, PAD_H: s.padH, PAD_W: s.padW, TILES_H: s.tilesH, TILES_W: s.tilesW };
}

/** V [36, C, tiles] = Bᵀ d B of every (channel, tile) of `image` [B, C, H, W]. */
async function transformInput(gpu: Gpu, image: Tensor, batch: number, s: ImageSide): Promise<Tensor> {
  const tiles = batch * s.tilesH * s.tilesW;
  const v = gpu.empty([POINTS, s.C, tiles]);
  await launch(gpu, 'transformInput', sideConsts(s), s.C * tiles, tiles, [image, v]);
  return v;
}

/** dM [36, C, tiles] = A dy Aᵀ of every (channel, tile) of `dy` [B, C, H, W]. */
async function transformOutputGrad(gpu: Gpu, dy: Tensor, batch: number, s: ImageSide): Promise<Tensor> {
  const tiles = batch * s.tilesH * s.tilesW;
  const dm = gpu.empty([POINTS, s.C, tiles]);
  await launch(gpu, 'transformOutputGrad', sideConsts(s), s.C * tiles, tiles, [dy, dm]);
  return dm;
}

/** `out` [B, C, H, W] = Aᵀ M A (+ bias) from M [36, C, tiles]. */
async function transformOutput(gpu: Gpu, m: Tensor, batch: number, s: ImageSide, bias: Tensor | undefined, out: Tensor): Promise<void> {
  const tiles = batch * s.tilesH * s.tilesW;
  // The bias binding is in the pipeline's layout either way; without a bias nothing reads it.
  await launch(gpu, 'transformOutput', { ...sideConsts(s), BIAS: bias ? 1 : 0 }, s.C * tiles, tiles, [m, out, bias ?? m]);
}

/** U [36, Co, Ci] = G g Gᵀ of w [Co, Ci, 3, 3]; `flip`: U [36, Ci, Co] of the rot180 kernels. */
async function transformWeight(gpu: Gpu, w: Tensor, Co: number, Ci: number, flip: boolean): Promise<Tensor> {
  const u = gpu.empty(flip ? [POINTS, Ci, Co] : [POINTS, Co, Ci]);
  await launch(gpu, 'transformWeight', { KERNEL_ROWS: Co, KERNEL_COLS: Ci, FLIP: flip }, Co * Ci, 0, [w, u]);
  return u;
}

/** dw [Co, Ci, 3, 3] = Gᵀ dU G from dU [36, Co, Ci]. */
async function transformWeightGrad(gpu: Gpu, du: Tensor, Co: number, Ci: number, dw: Tensor): Promise<void> {
  await launch(gpu, 'transformWeightGrad', { KERNEL_ROWS: Co, KERNEL_COLS: Ci }, Co * Ci, 0, [du, dw]);
}

/** The input's side of the forward (and backward-weight) products: x under the output's tiles. */
const inputSide = (d: WinogradDims): ImageSide => ({ C: d.Ci, H: d.H, W: d.W, padH: d.PH, padW: d.PW, ...tilesOver(d.OH, d.OW) });
const outputSide = (d: WinogradDims): ImageSide => ({ C: d.Co, H: d.OH, W: d.OW, padH: 0, padW: 0, ...tilesOver(d.OH, d.OW) });

/** y [B, Co, OH, OW] = conv(x, w) + bias into `y`. */
export async function winogradForward(gpu: Gpu, x: Tensor, w: Tensor, bias: Tensor | undefined, d: WinogradDims, y: Tensor): Promise<void> {
  const v = await transformInput(gpu, x, d.B, inputSide(d));
  const u = await transformWeight(gpu, w, d.Co, d.Ci, false);
  const m = await matmul(gpu, u, v);
  await transformOutput(gpu, m, d.B, outputSide(d), bias, y);
  gpu.release(v, u, m);
}

/** dx [B, Ci, H, W] into `dx`: dy padded by 2 − p, convolved with the rotated, transposed kernels. */
export async function winogradBackwardData(gpu: Gpu, dy: Tensor, w: Tensor, d: WinogradDims, dx: Tensor): Promise<void> {
  const tiles = tilesOver(d.H, d.W);
  const v = await transformInput(gpu, dy, d.B, { C: d.Co, H: d.OH, W: d.OW, padH: 2 - d.PH, padW: 2 - d.PW, ...tiles });
  const u = await transformWeight(gpu, w, d.Co, d.Ci, true);
  const m = await matmul(gpu, u, v);
  await transformOutput(gpu, m, d.B, { C: d.Ci, H: d.H, W: d.W, padH: 0, padW: 0, ...tiles }, undefined, dx);
  gpu.release(v, u, m);
}

/** dw [Co, Ci, 3, 3] into `dw`: dU[ξ] = Σ over tiles of (A dy Aᵀ)[ξ] · (Bᵀ x B)[ξ]ᵀ, then Gᵀ dU G. */
export async function winogradBackwardWeight(gpu: Gpu, x: Tensor, dy: Tensor, d: WinogradDims, dw: Tensor): Promise<void> {
  const v = await transformInput(gpu, x, d.B, inputSide(d));
  const dm = await transformOutputGrad(gpu, dy, d.B, outputSide(d));
  const du = await matmul(gpu, dm, v, { transB: true });
  await transformWeightGrad(gpu, du, d.Co, d.Ci, dw);
  gpu.release(v, dm, du);
}
