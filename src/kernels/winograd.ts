// Stride-1 3×3 convolutions by Winograd F(4×4, 3×3): transform the input tiles and the
// kernels (shaders/winograd.wgsl), multiply the 36 transformed points as one batched
// matmul over channels, transform back. A quarter of the direct method's multiplies, for
// three memory-bound transform passes; conv2d.ts decides when that pays.
// Backward-data is the same forward on dy with the kernels rotated and transposed and
// padding 2 − p; backward-weight runs the adjoints of the output and weight transforms.
import winogradWgsl from '../../shaders/winograd.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { add } from './eltwise.ts';
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

/** A run of images of the batch: the transformed tiles of a whole batch may not fit one binding. */
interface Images {
  first: number;
  count: number;
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
 * 1 → 32: forward 0.65× the implicit GEMM on lavapipe, `bench:kernels` under load).
 */
export function winogradApplies(d: { Ci: number; Co: number; KH: number; KW: number; SH: number; SW: number; PH: number; PW: number }): boolean {
  const shape = d.KH === 3 && d.KW === 3 && d.SH === 1 && d.SW === 1 && d.PH <= 2 && d.PW <= 2;
  return shape && d.Ci >= MIN_CHANNELS && d.Co >= MIN_CHANNELS;
}

const tilesOver = (outH: number, outW: number) => ({ tilesH: Math.ceil(outH / TILE), tilesW: Math.ceil(outW / TILE) });

async function launch(gpu: Gpu, entryPoint: Entry, consts: Record<string, number | boolean>, count: number, tiles: number, firstImage: number, bindings: Tensor[]): Promise<void> {
  await gpu.dispatch({ files: [file], entryPoint, consts }, bindings, grid1d(gpu, count, WG), packParams(count, tiles, firstImage));
}

const runBytes = new WeakMap<Gpu, number>();

/** Caps the bytes of one run's transformed tiles below the adapter's limit (tests use it to cut small batches); undefined restores the limit. */
export function setWinogradRunBytes(gpu: Gpu, bytes: number | undefined): void {
  if (bytes === undefined) runBytes.delete(gpu);
  else runBytes.set(gpu, bytes);
}

/**
 * The batch cut into runs of images whose transformed tiles ([36, channels, tiles]) fit
 * the adapter's largest storage binding: evaluation batches of 1,000 MNIST images would
 * need 166 MB at 32 channels against lavapipe's 128 MB.
 */
function imageRuns(gpu: Gpu, batch: number, channels: number, s: { tilesH: number; tilesW: number }): Images[] {
  const limit = runBytes.get(gpu) ?? Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const perImage = POINTS * channels * s.tilesH * s.tilesW * 4;
  const size = Math.max(1, Math.min(batch, Math.floor(limit / perImage)));
  const runs: Images[] = [];
  for (let first = 0; first < batch; first += size) runs.push({ first, count: Math.min(size, batch - first) });
  return runs;
}

function sideConsts(s: ImageSide): Record<string, number> {
  return { C: s.C, H: s.H, W: s.W, PAD_H: s.padH, PAD_W: s.padW, TILES_H: s.tilesH, TILES_W: s.tilesW };
}

/** V [36, C, tiles] = Bᵀ d B of every (channel, tile) of the images' run of `image` [B, C, H, W]. */
async function transformInput(gpu: Gpu, image: Tensor, images: Images, s: ImageSide): Promise<Tensor> {
  const tiles = images.count * s.tilesH * s.tilesW;
  const v = gpu.empty([POINTS, s.C, tiles]);
  await launch(gpu, 'transformInput', sideConsts(s), s.C * tiles, tiles, images.first, [image, v]);
  return v;
}

/** dM [36, C, tiles] = A dy Aᵀ of every (channel, tile) of the images' run of `dy` [B, C, H, W]. */
async function transformOutputGrad(gpu: Gpu, dy: Tensor, images: Images, s: ImageSide): Promise<Tensor> {
  const tiles = images.count * s.tilesH * s.tilesW;
  const dm = gpu.empty([POINTS, s.C, tiles]);
  await launch(gpu, 'transformOutputGrad', sideConsts(s), s.C * tiles, tiles, images.first, [dy, dm]);
  return dm;
}

/** The images' run of `out` [B, C, H, W] = Aᵀ M A (+ bias) from M [36, C, tiles]. */
async function transformOutput(gpu: Gpu, m: Tensor, images: Images, s: ImageSide, bias: Tensor | undefined, out: Tensor): Promise<void> {
  const tiles = images.count * s.tilesH * s.tilesW;
  // The bias binding is in the pipeline's layout either way; without a bias nothing reads it.
  await launch(gpu, 'transformOutput', { ...sideConsts(s), BIAS: bias ? 1 : 0 }, s.C * tiles, tiles, images.first, [m, out, bias ?? m]);
}

/** U [36, Co, Ci] = G g Gᵀ of w [Co, Ci, 3, 3]; `flip`: U [36, Ci, Co] of the rot180 kernels. */
async function transformWeight(gpu: Gpu, w: Tensor, Co: number, Ci: number, flip: boolean): Promise<Tensor> {
  const u = gpu.empty(flip ? [POINTS, Ci, Co] : [POINTS, Co, Ci]);
  await launch(gpu, 'transformWeight', { KERNEL_ROWS: Co, KERNEL_COLS: Ci, FLIP: flip }, Co * Ci, 0, 0, [w, u]);
  return u;
}

/** dw [Co, Ci, 3, 3] = Gᵀ dU G from dU [36, Co, Ci]. */
async function transformWeightGrad(gpu: Gpu, du: Tensor, Co: number, Ci: number, dw: Tensor): Promise<void> {
  await launch(gpu, 'transformWeightGrad', { KERNEL_ROWS: Co, KERNEL_COLS: Ci }, Co * Ci, 0, 0, [du, dw]);
}

/** The input's side of the forward (and backward-weight) products: x under the output's tiles. */
const inputSide = (d: WinogradDims): ImageSide => ({ C: d.Ci, H: d.H, W: d.W, padH: d.PH, padW: d.PW, ...tilesOver(d.OH, d.OW) });
const outputSide = (d: WinogradDims): ImageSide => ({ C: d.Co, H: d.OH, W: d.OW, padH: 0, padW: 0, ...tilesOver(d.OH, d.OW) });

/** y [B, Co, OH, OW] = conv(x, w) + bias into `y`. */
export async function winogradForward(gpu: Gpu, x: Tensor, w: Tensor, bias: Tensor | undefined, d: WinogradDims, y: Tensor): Promise<void> {
  const u = await transformWeight(gpu, w, d.Co, d.Ci, false);
  for (const images of imageRuns(gpu, d.B, Math.max(d.Ci, d.Co), inputSide(d))) {
    const v = await transformInput(gpu, x, images, inputSide(d));
    const m = await matmul(gpu, u, v);
    await transformOutput(gpu, m, images, outputSide(d), bias, y);
    gpu.release(v, m);
  }
  gpu.release(u);
}

/** dx [B, Ci, H, W] into `dx`: dy padded by 2 − p, convolved with the rotated, transposed kernels. */
export async function winogradBackwardData(gpu: Gpu, dy: Tensor, w: Tensor, d: WinogradDims, dx: Tensor): Promise<void> {
  const tiles = tilesOver(d.H, d.W);
  const u = await transformWeight(gpu, w, d.Co, d.Ci, true);
  for (const images of imageRuns(gpu, d.B, Math.max(d.Ci, d.Co), tiles)) {
    const v = await transformInput(gpu, dy, images, { C: d.Co, H: d.OH, W: d.OW, padH: 2 - d.PH, padW: 2 - d.PW, ...tiles });
    const m = await matmul(gpu, u, v);
    await transformOutput(gpu, m, images, { C: d.Ci, H: d.H, W: d.W, padH: 0, padW: 0, ...tiles }, undefined, dx);
    gpu.release(v, m);
  }
  gpu.release(u);
}

/** dw [Co, Ci, 3, 3] into `dw`: dU[ξ] = Σ over tiles of (A dy Aᵀ)[ξ] · (Bᵀ x B)[ξ]ᵀ, then Gᵀ dU G. */
export async function winogradBackwardWeight(gpu: Gpu, x: Tensor, dy: Tensor, d: WinogradDims, dw: Tensor): Promise<void> {
  let du: Tensor | undefined;
  // Runs of images add their products in a fixed order, so the sum stays deterministic.
  for (const images of imageRuns(gpu, d.B, Math.max(d.Ci, d.Co), inputSide(d))) {
    const v = await transformInput(gpu, x, images, inputSide(d));
    const dm = await transformOutputGrad(gpu, dy, images, outputSide(d));
    const part = await matmul(gpu, dm, v, { transB: true });
    gpu.release(v, dm);
    if (!du) du = part;
    else {
      await add(gpu, du, part, du);
      gpu.release(part);
    }
  }
  await transformWeightGrad(gpu, du!, d.Co, d.Ci, dw);
  gpu.release(du);
}
