// Stride-1 3×3 convolutions by Winograd F(m×m, 3×3), m = 4 or 6: transform the input tiles
// and the kernels (shaders/winograd.wgsl), multiply the (m + 2)² transformed points as one
// batched matmul over channels, transform back. A quarter (F4) or a fifth (F6) of the direct
// method's multiplies, for three memory-bound transform passes; conv2d.ts decides when that
// pays, tileFor which m covers the output with fewer points.
// Backward-data is the same forward on dy with the kernels rotated and transposed and
// padding 2 − p; backward-weight runs the adjoints of the output and weight transforms.
import winogradWgsl from '../../shaders/winograd.wgsl';
import winogradF4Wgsl from '../../shaders/winogradF4.wgsl';
import winogradF6Wgsl from '../../shaders/winogradF6.wgsl';
import { deviceSetting, packParams, type Gpu, type NamedBindings } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { ConvDims } from './convDims.ts';
import { add } from './eltwise.ts';
import { grid1d } from './grid.ts';
import { matmul } from './matmul.ts';

const transforms = { file: 'winograd.wgsl', code: winogradWgsl };
const WG = 64;
const MIN_CHANNELS = 4;

/** One Winograd tile size: m outputs a side, (m + 2)² transformed points, its matrices' file. */
export type WinogradTileSize = 4 | 6;

export interface WinogradTile {
  out: WinogradTileSize;
  points: number;
  matrices: { file: string; code: string };
}

const WINOGRAD_TILES: Record<WinogradTileSize, WinogradTile> = {
  4: { out: 4, points: 36, matrices: { file: 'winogradF4.wgsl', code: winogradF4Wgsl } },
  6: { out: 6, points: 64, matrices: { file: 'winogradF6.wgsl', code: winogradF6Wgsl } },
};

/** A run of images of the batch: the transformed tiles of a whole batch may not fit one binding. */
interface Images {
  first: number;
  count: number;
}

/** An image-side tensor of the transforms and the output tiles laid over it. */
interface ImageSide {
  tile: WinogradTile;
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

/**
 * F6's transforms cost about 1.3× F4's per transformed point on lavapipe, so F6 pays only where
 * it needs clearly fewer points (the batched matmul's work and the tiles' traffic). MNIST CNN,
 * batch 128, F4 → F6 ms over two runs of `bench kernels`: 12² and 10² outputs (0.79× the
 * points) 25–29 → 21–25 and 45–49 → 43–44; 24² (0.79×) 60 → 50–59; 26² (0.91×) 80 → 82–83;
 * 8² (1.78×) 24–27 → 41–47. The whole training step: 5% faster than F4 everywhere.
 */
const F6_MAX_POINTS_RATIO = 0.85;

/**
 * The tile for an outH × outW output: F6 where it needs at most F6_MAX_POINTS_RATIO of F4's
 * transformed points, else F4 (whose float32 error is also about a third of F6's). `only` pins
 * one size.
 */
export function tileFor(outH: number, outW: number, only?: WinogradTileSize): WinogradTile {
  if (only) return WINOGRAD_TILES[only];
  const points = (t: WinogradTile) => Math.ceil(outH / t.out) * Math.ceil(outW / t.out) * t.points;
  return points(WINOGRAD_TILES[6]) <= F6_MAX_POINTS_RATIO * points(WINOGRAD_TILES[4]) ? WINOGRAD_TILES[6] : WINOGRAD_TILES[4];
}

/** Tiles along each side of an outH × outW output. */
export const tilesOver = (tile: WinogradTile, outH: number, outW: number) => ({ tilesH: Math.ceil(outH / tile.out), tilesW: Math.ceil(outW / tile.out) });

/** Bindings: source, destination, and bias (transformOutput only). */
async function launch(gpu: Gpu, tile: WinogradTile, entryPoint: Entry, consts: Record<string, number | boolean>, count: number, tiles: number, firstImage: number, bindings: NamedBindings): Promise<void> {
  const source = { files: [tile.matrices, transforms], entryPoint, consts };
  await gpu.dispatch(source, bindings, grid1d(gpu, count, WG), packParams(count, tiles, firstImage));
}

const RUN_BYTES = deviceSetting<number | undefined>('Winograd run bytes', () => undefined);

/** Caps the bytes of one run's transformed tiles below the adapter's limit (tests use it to cut small batches); undefined restores the limit. */
export function setWinogradRunBytes(gpu: Gpu, bytes: number | undefined): void {
  gpu.configure(RUN_BYTES, bytes);
}

/**
 * The batch cut into runs of images whose transformed tiles ([points, channels, tiles]) fit
 * the adapter's largest storage binding: evaluation batches of 1,000 MNIST images would
 * need 166 MB at 32 channels against lavapipe's 128 MB.
 */
function imageRuns(gpu: Gpu, batch: number, channels: number, s: ImageSide): Images[] {
  const limit = gpu.setting(RUN_BYTES) ?? Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const perImage = s.tile.points * channels * s.tilesH * s.tilesW * 4;
  const size = Math.max(1, Math.min(batch, Math.floor(limit / perImage)));
  const runs: Images[] = [];
  for (let first = 0; first < batch; first += size) runs.push({ first, count: Math.min(size, batch - first) });
  return runs;
}

function sideConsts(s: ImageSide): Record<string, number> {
  return { C: s.C, H: s.H, W: s.W, PAD_H: s.padH, PAD_W: s.padW, TILES_H: s.tilesH, TILES_W: s.tilesW };
}

/** V [points, C, tiles] = Bᵀ d B of every (channel, tile) of the images' run of `image` [B, C, H, W]. */
async function transformInput(gpu: Gpu, image: Tensor, images: Images, s: ImageSide): Promise<Tensor> {
  const tiles = images.count * s.tilesH * s.tilesW;
  const v = gpu.empty([s.tile.points, s.C, tiles]);
  await launch(gpu, s.tile, 'transformInput', sideConsts(s), s.C * tiles, tiles, images.first, { source: image, destination: v });
  return v;
}

/** dM [points, C, tiles] = A dy Aᵀ of every (channel, tile) of the images' run of `dy` [B, C, H, W]. */
async function transformOutputGrad(gpu: Gpu, dy: Tensor, images: Images, s: ImageSide): Promise<Tensor> {
  const tiles = images.count * s.tilesH * s.tilesW;
  const dm = gpu.empty([s.tile.points, s.C, tiles]);
  await launch(gpu, s.tile, 'transformOutputGrad', sideConsts(s), s.C * tiles, tiles, images.first, { source: dy, destination: dm });
  return dm;
}

/** The images' run of `out` [B, C, H, W] = Aᵀ M A (+ bias) from M [points, C, tiles]. */
async function transformOutput(gpu: Gpu, m: Tensor, images: Images, s: ImageSide, bias: Tensor | undefined, out: Tensor): Promise<void> {
  const tiles = images.count * s.tilesH * s.tilesW;
  // The bias binding is in the pipeline's layout either way; without a bias nothing reads it.
  await launch(gpu, s.tile, 'transformOutput', { ...sideConsts(s), BIAS: bias ? 1 : 0 }, s.C * tiles, tiles, images.first, { source: m, destination: out, bias: bias ?? m });
}

/** U [points, Co, Ci] = G g Gᵀ of w [Co, Ci, 3, 3]; `flip`: U [points, Ci, Co] of the rot180 kernels. */
async function transformWeight(gpu: Gpu, tile: WinogradTile, w: Tensor, Co: number, Ci: number, flip: boolean): Promise<Tensor> {
  const u = gpu.empty(flip ? [tile.points, Ci, Co] : [tile.points, Co, Ci]);
  await launch(gpu, tile, 'transformWeight', { KERNEL_ROWS: Co, KERNEL_COLS: Ci, FLIP: flip }, Co * Ci, 0, 0, { source: w, destination: u });
  return u;
}

/** dw [Co, Ci, 3, 3] = Gᵀ dU G from dU [points, Co, Ci]. */
async function transformWeightGrad(gpu: Gpu, tile: WinogradTile, du: Tensor, Co: number, Ci: number, dw: Tensor): Promise<void> {
  await launch(gpu, tile, 'transformWeightGrad', { KERNEL_ROWS: Co, KERNEL_COLS: Ci }, Co * Ci, 0, 0, { source: du, destination: dw });
}

/** Both sides of a product whose output is the tiled tensor: `input` read under its tiles, `output` written. */
function sides(input: Omit<ImageSide, 'tile' | 'tilesH' | 'tilesW'>, output: { C: number; H: number; W: number }, size: WinogradTileSize) {
  const tile = WINOGRAD_TILES[size];
  const tiles = { tile, ...tilesOver(tile, output.H, output.W) };
  return { tile, input: { ...input, ...tiles }, output: { ...output, padH: 0, padW: 0, ...tiles } };
}

/** The forward's (and backward-weight's): x under the tiles of y. */
const forwardSides = (d: ConvDims, size: WinogradTileSize) => sides({ C: d.Ci, H: d.H, W: d.W, padH: d.PH, padW: d.PW }, { C: d.Co, H: d.OH, W: d.OW }, size);

/**
 * y [B, Co, OH, OW] = conv(x, w) + bias into `y`, on tiles of `size` (conv2d.ts picks it with
 * tileFor). `keepInput`: return the transformed input V for winogradBackwardWeight instead of
 * releasing it, when the batch ran as one run of images (undefined otherwise).
 */
export async function winogradForward(gpu: Gpu, x: Tensor, w: Tensor, bias: Tensor | undefined, d: ConvDims, y: Tensor, size: WinogradTileSize, keepInput = false): Promise<Tensor | undefined> {
  const { tile, input, output } = forwardSides(d, size);
  const u = await transformWeight(gpu, tile, w, d.Co, d.Ci, false);
  const runs = imageRuns(gpu, d.B, Math.max(d.Ci, d.Co), input);
  let kept: Tensor | undefined;
  for (const images of runs) {
    const v = await transformInput(gpu, x, images, input);
    const m = await matmul(gpu, u, v);
    await transformOutput(gpu, m, images, output, bias, y);
    gpu.release(m);
    if (keepInput && runs.length === 1) kept = v;
    else gpu.release(v);
  }
  gpu.release(u);
  return kept;
}

/** dx [B, Ci, H, W] into `dx`: dy padded by 2 − p, convolved with the rotated, transposed kernels. */
export async function winogradBackwardData(gpu: Gpu, dy: Tensor, w: Tensor, d: ConvDims, dx: Tensor, size: WinogradTileSize): Promise<void> {
  const { tile, input, output } = sides({ C: d.Co, H: d.OH, W: d.OW, padH: 2 - d.PH, padW: 2 - d.PW }, { C: d.Ci, H: d.H, W: d.W }, size);
  const u = await transformWeight(gpu, tile, w, d.Co, d.Ci, true);
  for (const images of imageRuns(gpu, d.B, Math.max(d.Ci, d.Co), input)) {
    const v = await transformInput(gpu, dy, images, input);
    const m = await matmul(gpu, u, v);
    await transformOutput(gpu, m, images, output, undefined, dx);
    gpu.release(v, m);
  }
  gpu.release(u);
}

/**
 * dw [Co, Ci, 3, 3] into `dw`: dU[ξ] = Σ over tiles of (A dy Aᵀ)[ξ] · (Bᵀ x B)[ξ]ᵀ, then Gᵀ dU G.
 * `transformedInput`: the forward's V of the whole batch (winogradForward's keepInput), used
 * in place of transforming x again and released.
 */
export async function winogradBackwardWeight(gpu: Gpu, x: Tensor, dy: Tensor, d: ConvDims, dw: Tensor, size: WinogradTileSize, transformedInput?: Tensor): Promise<void> {
  const { tile, input, output } = forwardSides(d, size);
  let du: Tensor | undefined;
  const runs = imageRuns(gpu, d.B, Math.max(d.Ci, d.Co), input);
  if (transformedInput && (runs.length !== 1 || transformedInput.size !== tile.points * d.Ci * d.B * input.tilesH * input.tilesW)) {
    throw new Error('winogradBackwardWeight: the transformed input does not match this convolution');
  }
  // Runs of images add their products in a fixed order, so the sum stays deterministic.
  for (const images of runs) {
    const v = transformedInput ?? (await transformInput(gpu, x, images, input));
    const dm = await transformOutputGrad(gpu, dy, images, output);
    const part = await matmul(gpu, dm, v, { transB: true });
    gpu.release(v, dm);
    if (!du) du = part;
    else {
      await add(gpu, du, part, du);
      gpu.release(part);
    }
  }
  await transformWeightGrad(gpu, tile, du!, d.Co, d.Ci, dw);
  gpu.release(du);
}

/**
 * The image-side transforms of a forward (and backward-weight) on the whole batch as one run,
 * each on its own, so the kernel suite can time them apart from the products.
 */
export function winogradTransformStages(gpu: Gpu, d: ConvDims, size: WinogradTileSize) {
  const { input, output } = forwardSides(d, size);
  const images = { first: 0, count: d.B };
  return {
    input: (x: Tensor) => transformInput(gpu, x, images, input),
    output: async (m: Tensor) => {
      const y = gpu.empty([d.B, d.Co, d.OH, d.OW]);
      await transformOutput(gpu, m, images, output, undefined, y);
      return y;
    },
    outputGrad: (dy: Tensor) => transformOutputGrad(gpu, dy, images, output),
  };
}
