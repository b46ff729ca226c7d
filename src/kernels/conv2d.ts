// 2-D convolution (NCHW) as implicit GEMM on the shared GEMM core: forward, backward-data
// and backward-weight are one shader (conv2d.wgsl) specialized by MODE, so the loaders
// gather image patches in place and no im2col buffer exists. The layer's geometry (all
// but the batch) is compiled in as consts, one pipeline per layer shape and mode.
// Backward-data runs one GEMM per stride phase so strided layers do no multiply-by-zero
// work. The weight gradient has a long K (batch × output pixels) and a small M×N, so it
// is cut with split-K and the partials are summed in a fixed order (deterministic).
// Two faster paths take over where they apply, unless the GPU's conv algorithm is set to the
// implicit GEMM: stride-1 3×3 layers run by Winograd F(4×4, 3×3) or F(6×6, 3×3) (winograd.ts,
// 1.4–2.6× per pass on lavapipe), and layers with a short input window (a first layer) run forward
// and backward-weight by direct kernels (conv2dDirect.ts).
import conv2dWgsl from '../../shaders/conv2d.wgsl';
import { deviceSetting, packParams, type Gpu } from '../gpu/gpu.ts';
import { checkOneOf } from '../validate.ts';
import type { Specialization } from '../gpu/specialize.ts';
import { formatShape, shapeSize, type Tensor } from '../gpu/tensor.ts';
import { checkTensor, pairOf } from './checks.ts';
import { launchGemm, planSplitK } from './gemm.ts';
import { channelSum, sumSplits } from './reduce.ts';
import { directApplies, directBackwardWeight, directForward } from './conv2dDirect.ts';
import { convGeometryConsts, convGeometryShader, type ConvDims } from './convDims.ts';
import { tileFor, winogradApplies, winogradBackwardData, winogradBackwardWeight, winogradForward, type WinogradTileSize } from './winograd.ts';

const files = [convGeometryShader, { file: 'conv2d.wgsl', code: conv2dWgsl }];

const MODE = { forward: 0, backwardData: 1, backwardWeight: 2 } as const;

export interface Conv2dGeometry {
  /** Both axes, or [height, width]; 1 by default. */
  stride?: number | [number, number];
  /** Zeros on each side of both axes, or [height, width]; 0 by default. */
  padding?: number | [number, number];
}

function check4d(op: string, name: string, shape: readonly number[], layout: string): [number, number, number, number] {
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`${op}: ${name} must be ${layout} with every size >= 1, got ${formatShape(shape)}`);
  }
  return shape as [number, number, number, number];
}

function convDims(op: string, inputShape: readonly number[], weightShape: readonly number[], geometry: Conv2dGeometry): ConvDims {
  const [B, Ci, H, W] = check4d(op, 'input', inputShape, '[N, C, H, W]');
  const [Co, wCi, KH, KW] = check4d(op, 'weight', weightShape, '[Cout, Cin, KH, KW]');
  if (wCi !== Ci) {
    throw new Error(`${op}: weight ${formatShape(weightShape)} expects ${wCi} input channels, input ${formatShape(inputShape)} has ${Ci}`);
  }
  const [SH, SW] = pairOf(op, 'stride', geometry.stride ?? 1, 1);
  const [PH, PW] = pairOf(op, 'padding', geometry.padding ?? 0, 0);
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  if (OH < 1 || OW < 1) {
    throw new Error(
      `${op}: kernel ${KH}x${KW} with padding ${PH}x${PW} does not fit input ${formatShape(inputShape)} (output would be ${OH}x${OW})`,
    );
  }
  return { B, Ci, H, W, Co, KH, KW, OH, OW, SH, SW, PH, PW };
}

/**
 * How convolutions run. auto: Winograd for stride-1 3×3 layers (winograd.ts, the tile size
 * that suits each pass's output), direct kernels for a short input window's forward and
 * backward-weight (conv2dDirect.ts), the implicit GEMM for the rest. winogradF4 / winogradF6:
 * auto with one Winograd tile size everywhere (F4: 4×4 outputs a tile, F6: 6×6).
 * implicitGemm: the implicit GEMM for everything.
 */
export const CONV_ALGORITHMS = ['auto', 'winogradF4', 'winogradF6', 'implicitGemm'] as const;
export type ConvAlgorithm = (typeof CONV_ALGORITHMS)[number];

const CONV_ALGORITHM = deviceSetting<ConvAlgorithm>('convolution algorithm', () => 'auto');

export function convAlgorithm(gpu: Gpu): ConvAlgorithm {
  return gpu.setting(CONV_ALGORITHM);
}

export function setConvAlgorithm(gpu: Gpu, algorithm: ConvAlgorithm): void {
  gpu.configure(CONV_ALGORITHM, checkOneOf('setConvAlgorithm', 'algorithm', algorithm, CONV_ALGORITHMS));
}

const PINNED_TILES: Partial<Record<ConvAlgorithm, WinogradTileSize>> = { winogradF4: 4, winogradF6: 6 };

export type ConvPass = 'forward' | 'backwardData' | 'backwardWeight';

/** The kernels one pass of a convolution runs on; Winograd with its tile size resolved. */
type ConvPath = { kind: 'winograd'; tile: WinogradTileSize } | { kind: 'direct' } | { kind: 'implicitGemm' };

function pathFor(gpu: Gpu, d: ConvDims, pass: ConvPass): ConvPath {
  const algorithm = convAlgorithm(gpu);
  if (algorithm === 'implicitGemm') return { kind: 'implicitGemm' };
  if (winogradApplies(d)) {
    // Backward-data's output is dx, the others' y (or dy).
    const [outH, outW] = pass === 'backwardData' ? [d.H, d.W] : [d.OH, d.OW];
    return { kind: 'winograd', tile: tileFor(outH, outW, PINNED_TILES[algorithm]).out };
  }
  if (pass !== 'backwardData' && directApplies(d)) return { kind: 'direct' };
  return { kind: 'implicitGemm' };
}

/** Which kernels a pass runs on under the GPU's conv algorithm: winogradF4, winogradF6, direct or implicitGemm (benchmarks name figures by it). */
export function convPathName(gpu: Gpu, inputShape: readonly number[], weightShape: readonly number[], geometry: Conv2dGeometry, pass: ConvPass): string {
  const path = pathFor(gpu, convDims('convPathName', inputShape, weightShape, geometry), pass);
  return path.kind === 'winograd' ? `winogradF${path.tile}` : path.kind;
}

const inputShapeOf = (d: ConvDims) => [d.B, d.Ci, d.H, d.W];
const weightShapeOf = (d: ConvDims) => [d.Co, d.Ci, d.KH, d.KW];
const outputShapeOf = (d: ConvDims) => [d.B, d.Co, d.OH, d.OW];

/** [B, Co, OH, OW] for input [B, Ci, H, W] and weight [Co, Ci, KH, KW] (floor mode, as in PyTorch). */
export function conv2dOutputShape(inputShape: readonly number[], weightShape: readonly number[], geometry: Conv2dGeometry = {}): number[] {
  return outputShapeOf(convDims('conv2dOutputShape', inputShape, weightShape, geometry));
}

/** One GEMM C[M, N] = A[M, K] · B[K, N] of a convolution and the consts that select it. */
interface ConvGemm {
  M: number;
  N: number;
  K: number;
  consts: Specialization;
}

/**
 * Records one convolution GEMM into `out`. Split-K is planned from the shape unless
 * `splittable` is false; with more than one split the partials go to scratch laid out
 * like `out` and are summed into it afterwards.
 */
async function launchConv(gpu: Gpu, g: ConvGemm, operands: [Tensor, Tensor], bias: Tensor | undefined, out: Tensor, splittable: boolean): Promise<void> {
  const { M, N, K } = g;
  // The bias is added in the store, so a biased product is never split.
  const split = planSplitK(gpu, M, N, K, bias || !splittable ? 1 : undefined);
  const target = split.splits > 1 ? gpu.empty([split.splits, M * N]) : out;
  await launchGemm(gpu, {
    files,
    M,
    N,
    K,
    split,
    consts: { ...g.consts, BIAS: bias ? 1 : 0 },
    params: (kPerSplit) => packParams(M, N, K, kPerSplit),
    bindings: { operandA: operands[0], operandB: operands[1], bias: bias ?? operands[0], result: target },
  });
  if (split.splits > 1) {
    await sumSplits(gpu, target, split.splits, out);
    gpu.release(target);
  }
}

/** Input rows (or columns) of one stride phase and the kernel taps they receive (conv2d.wgsl). */
function phaseAxis(size: number, kernel: number, stride: number, padding: number, phase: number): { count: number; taps: number } {
  const first = (phase + stride - (padding % stride)) % stride;
  return { count: Math.floor((size + stride - 1 - first) / stride), taps: Math.floor((kernel + stride - 1 - phase) / stride) };
}

function forwardGemm(d: ConvDims): ConvGemm {
  return { M: d.Co, N: d.B * d.OH * d.OW, K: d.Ci * d.KH * d.KW, consts: { ...convGeometryConsts(d), MODE: MODE.forward } };
}

function backwardWeightGemm(d: ConvDims): ConvGemm {
  return { M: d.Co, N: d.Ci * d.KH * d.KW, K: d.B * d.OH * d.OW, consts: { ...convGeometryConsts(d), MODE: MODE.backwardWeight } };
}

/** Backward-data as one GEMM per stride phase; together they write every element of dx once. */
function backwardDataGemms(d: ConvDims): ConvGemm[] {
  const gemms: ConvGemm[] = [];
  for (let phaseH = 0; phaseH < d.SH; phaseH++)
    for (let phaseW = 0; phaseW < d.SW; phaseW++) {
      const rows = phaseAxis(d.H, d.KH, d.SH, d.PH, phaseH);
      const cols = phaseAxis(d.W, d.KW, d.SW, d.PW, phaseW);
      if (rows.count === 0 || cols.count === 0) continue;
      gemms.push({
        M: d.Ci,
        N: d.B * rows.count * cols.count,
        // Zero when the kernel is narrower than the stride: the GEMM then stores zeros.
        K: d.Co * rows.taps * cols.taps,
        consts: { ...convGeometryConsts(d), MODE: MODE.backwardData, PHASE_H: phaseH, PHASE_W: phaseW },
      });
    }
  return gemms;
}

/**
 * What a training forward leaves for its backward-weight: the Winograd-transformed input
 * V = Bᵀ x B, which backward-weight would otherwise compute again from the same x (on lavapipe
 * a third of all input transforms, about 5% of a WRN-40-2 step). It costs V's memory, 2.25× x's
 * on F4 tiles, from the forward to the backward. conv2dBackwardWeight takes it; a forward
 * replaces it; discard() lets it go.
 */
export class ConvForwardCache {
  private kept: { gpu: Gpu; v: Tensor; tile: WinogradTileSize } | undefined;

  keep(gpu: Gpu, v: Tensor | undefined, tile: WinogradTileSize): void {
    this.discard();
    if (v) this.kept = { gpu, v, tile };
  }

  /** The kept V if it was transformed on `tile`, handed over to the caller; undefined otherwise. */
  take(tile: WinogradTileSize): Tensor | undefined {
    const kept = this.kept;
    this.kept = undefined;
    if (kept?.tile === tile) return kept.v;
    kept?.gpu.release(kept.v);
    return undefined;
  }

  discard(): void {
    this.kept?.gpu.release(this.kept.v);
    this.kept = undefined;
  }
}

/**
 * y = conv(x, w) + bias, x [B, Ci, H, W], w [Co, Ci, KH, KW], bias [Co] → y [B, Co, OH, OW].
 * `cache`: keep what backward-weight can reuse (see ConvForwardCache).
 */
export async function conv2dForward(
  gpu: Gpu,
  x: Tensor,
  w: Tensor,
  bias: Tensor | undefined,
  geometry: Conv2dGeometry = {},
  out?: Tensor,
  cache?: ConvForwardCache,
): Promise<Tensor> {
  const name = 'conv2dForward';
  const d = convDims(name, x.shape, w.shape, geometry);
  checkTensor(name, 'x', x, inputShapeOf(d));
  checkTensor(name, 'w', w, weightShapeOf(d));
  if (bias) checkTensor(name, 'bias', bias, [d.Co]);
  const shape = outputShapeOf(d);
  if (out && (out.dtype !== 'f32' || out.size !== shapeSize(shape))) {
    throw new Error(`${name}: out must hold f32 ${formatShape(shape)}, got ${out.dtype} ${formatShape(out.shape)}`);
  }
  const y = out ?? gpu.empty(shape);
  const path = pathFor(gpu, d, 'forward');
  cache?.discard();
  if (path.kind === 'winograd') {
    // Not cache?.keep(gpu, await …): without a cache that would skip the forward itself.
    const transformedInput = await winogradForward(gpu, x, w, bias, d, y, path.tile, cache !== undefined);
    cache?.keep(gpu, transformedInput, path.tile);
  } else if (path.kind === 'direct') await directForward(gpu, x, w, bias, d, y);
  else await launchConv(gpu, forwardGemm(d), [w, x], bias, y, true);
  return y;
}

/** dx [B, Ci, H, W] from dy [B, Co, OH, OW] and w: the transposed convolution of dy. */
export async function conv2dBackwardData(
  gpu: Gpu,
  dy: Tensor,
  w: Tensor,
  inputShape: readonly number[],
  geometry: Conv2dGeometry = {},
): Promise<Tensor> {
  const name = 'conv2dBackwardData';
  const d = convDims(name, inputShape, w.shape, geometry);
  checkTensor(name, 'w', w, weightShapeOf(d));
  checkTensor(name, 'dy', dy, outputShapeOf(d));
  const dx = gpu.empty(inputShapeOf(d));
  const path = pathFor(gpu, d, 'backwardData');
  if (path.kind === 'winograd') await winogradBackwardData(gpu, dy, w, d, dx, path.tile);
  // Phases write disjoint pixels of dx, which a split-K sum over all of dx would clobber.
  else for (const gemm of backwardDataGemms(d)) await launchConv(gpu, gemm, [w, dy], undefined, dx, false);
  return dx;
}

/**
 * dw [Co, Ci, KH, KW] = Σ over the batch and output pixels of dy · (the input patch).
 * `cache`: what the forward of this x kept (taken and released here).
 */
export async function conv2dBackwardWeight(
  gpu: Gpu,
  x: Tensor,
  dy: Tensor,
  weightShape: readonly number[],
  geometry: Conv2dGeometry = {},
  cache?: ConvForwardCache,
): Promise<Tensor> {
  const name = 'conv2dBackwardWeight';
  const d = convDims(name, x.shape, weightShape, geometry);
  checkTensor(name, 'x', x, inputShapeOf(d));
  checkTensor(name, 'dy', dy, outputShapeOf(d));
  const dw = gpu.empty(weightShapeOf(d));
  const path = pathFor(gpu, d, 'backwardWeight');
  // What the forward kept serves the Winograd path only; any other lets it go.
  const transformedInput = path.kind === 'winograd' ? cache?.take(path.tile) : undefined;
  cache?.discard();
  if (path.kind === 'winograd') await winogradBackwardWeight(gpu, x, dy, d, dw, path.tile, transformedInput);
  else if (path.kind === 'direct') await directBackwardWeight(gpu, x, dy, d, dw);
  else await launchConv(gpu, backwardWeightGemm(d), [dy, x], undefined, dw, true);
  return dw;
}

/** db [Co] = Σ over batch and pixels of dy [B, Co, OH, OW]. */
export async function conv2dBackwardBias(gpu: Gpu, dy: Tensor): Promise<Tensor> {
  check4d('conv2dBackwardBias', 'dy', dy.shape, '[N, C, H, W]');
  return channelSum(gpu, dy, 1);
}
