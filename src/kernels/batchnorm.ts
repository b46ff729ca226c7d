// Batch normalisation of [N, C] and [N, C, H, W] tensors, PyTorch semantics: batch statistics
// and an in-place running-average update in training, the running statistics in evaluation.
// Per-channel statistics are one workgroup per channel (deterministic tree sums); the
// normalisation and the input gradient are element-wise. Each kernel has a Vec4 twin,
// taken when a channel's planes hold whole vec4s (H·W % 4 == 0). The relu option fuses a
// following ReLU into the same passes (batchnorm.wgsl's RELU).
import batchnormWgsl from '../../shaders/batchnorm.wgsl';
import workgroupSumWgsl from '../../shaders/workgroupSum.wgsl';
import { packParams, type Gpu, type NamedBindings } from '../gpu/gpu.ts';
import { formatShape, sameShape, type Tensor } from '../gpu/tensor.ts';
import { grid1d } from './grid.ts';

const files = [{ file: 'batchnorm.wgsl', code: batchnormWgsl }, { file: 'workgroupSum.wgsl', code: workgroupSumWgsl }];
const WG = 256;
/** Contiguous values of one row per invocation of the element-wise kernels; RUN_VALUES in batchnorm.wgsl. */
const RUN_VALUES = 64;

export interface BatchNormOptions {
  /** Weight of the batch statistic in the running averages; 0.1 as in PyTorch. */
  momentum?: number;
  /** Added to the variance before the square root; 1e-5 as in PyTorch. */
  eps?: number;
  /** ReLU(BN(x)) in one pass each way (batchnorm.wgsl's RELU); batchNormBackward then needs { beta, saveMeanOffset }. */
  relu?: boolean;
}

/** What batchNormBackward needs besides the statistics when the forward had a fused ReLU. */
export interface FusedReluSaved {
  beta: Tensor;
  /** The forward's meanOffset (batchNormTrainForward returns it with relu). */
  saveMeanOffset: Tensor;
}

type BatchNormEntry = 'trainStats' | 'normalizeTrain' | 'normalizeEval' | 'backwardStats' | 'backwardInput';

/** x viewed as [batch, channels, inner]; a channel holds batch·inner values. */
interface ChannelLayout {
  shape: readonly number[];
  batch: number;
  channels: number;
  inner: number;
}

function channelLayout(op: string, x: Tensor): ChannelLayout {
  const { shape } = x;
  if (x.dtype !== 'f32' || (shape.length !== 2 && shape.length !== 4) || shape.some((d) => d < 1)) {
    throw new Error(`${op}: x must be f32 [N, C] or [N, C, H, W] with every size >= 1, got ${x.dtype} ${formatShape(shape)}`);
  }
  const [batch = 0, channels = 0, height = 1, width = 1] = shape;
  return { shape, batch, channels, inner: height * width };
}

function perChannelCount(layout: ChannelLayout): number {
  return layout.batch * layout.inner;
}

function checkPerChannel(op: string, layout: ChannelLayout, tensors: Record<string, Tensor>): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'f32' || t.size !== layout.channels) {
      throw new Error(
        `${op}: ${name} must be f32 [${layout.channels}] (one value per channel of x ${formatShape(layout.shape)}), got ${t.dtype} ${formatShape(t.shape)}`,
      );
    }
  }
}

function checkTrainingCount(op: string, layout: ChannelLayout): void {
  if (perChannelCount(layout) < 2) {
    throw new Error(
      `${op}: training needs at least 2 values per channel (N·H·W) for a batch variance, x ${formatShape(layout.shape)} has ${perChannelCount(layout)}`,
    );
  }
}

function resolveOptions(op: string, options: BatchNormOptions): Required<BatchNormOptions> {
  const { momentum = 0.1, eps = 1e-5, relu = false } = options;
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`${op}: momentum must be in [0, 1], got ${momentum}`);
  if (!(eps > 0 && Number.isFinite(eps))) throw new Error(`${op}: eps must be a finite number > 0, got ${eps}`);
  return { momentum, eps, relu };
}

async function launch(
  gpu: Gpu,
  entryPoint: BatchNormEntry,
  layout: ChannelLayout,
  /** By batchnorm.wgsl's names; the Vec4 twins' x4, y4, … alias x, y, …, so the same names serve both. */
  bindings: NamedBindings,
  // The backward kernels read neither momentum nor eps.
  { momentum, eps, relu }: Required<BatchNormOptions>,
): Promise<void> {
  const perChannel = entryPoint === 'trainStats' || entryPoint === 'backwardStats';
  // A vec4 never straddles two channels when every plane holds whole vec4s.
  const vec4 = layout.inner % 4 === 0;
  // The element-wise kernels take one invocation per run of up to RUN_VALUES values of a row.
  const runs = layout.batch * layout.channels * Math.ceil(layout.inner / RUN_VALUES);
  const workgroups = perChannel ? ([layout.channels] as const) : grid1d(gpu, runs, WG);
  const params = packParams(layout.batch, layout.channels, layout.inner, { f32: momentum }, { f32: eps });
  await gpu.dispatch({ files, entryPoint: vec4 ? `${entryPoint}Vec4` : entryPoint, consts: { RELU: relu } }, bindings, workgroups, params);
}

/**
 * Normalises with the batch's per-channel mean and biased variance, and updates
 * runningMean and runningVar in place (the variance enters them unbiased).
 * saveMean and saveInvStd = 1/sqrt(var + eps) are what batchNormBackward needs, and with
 * options.relu also saveMeanOffset.
 */
export async function batchNormTrainForward(
  gpu: Gpu,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  options: BatchNormOptions = {},
): Promise<{ y: Tensor; saveMean: Tensor; saveInvStd: Tensor; saveMeanOffset?: Tensor }> {
  const op = 'batchNormTrainForward';
  const layout = channelLayout(op, x);
  checkPerChannel(op, layout, { gamma, beta, runningMean, runningVar });
  checkTrainingCount(op, layout);
  const resolved = resolveOptions(op, options);

  const saveMean = gpu.empty([layout.channels]);
  const saveInvStd = gpu.empty([layout.channels]);
  const meanOffset = gpu.empty([layout.channels]);
  const y = gpu.empty(x.shape);
  await launch(gpu, 'trainStats', layout, { x, saveMean, saveInvStd, meanOffset, runningMean, runningVar }, resolved);
  await launch(gpu, 'normalizeTrain', layout, { x, saveMean, saveInvStd, meanOffset, gamma, beta, y }, resolved);
  if (resolved.relu) return { y, saveMean, saveInvStd, saveMeanOffset: meanOffset };
  gpu.release(meanOffset);
  return { y, saveMean, saveInvStd };
}

/** y = γ·(x − runningMean)/sqrt(runningVar + eps) + β (then max(y, 0) with options.relu); works for any batch size. */
export async function batchNormEvalForward(
  gpu: Gpu,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  options: BatchNormOptions = {},
): Promise<Tensor> {
  const op = 'batchNormEvalForward';
  const layout = channelLayout(op, x);
  checkPerChannel(op, layout, { gamma, beta, runningMean, runningVar });
  const resolved = resolveOptions(op, options);
  const y = gpu.empty(x.shape);
  const bindings = { x, evalMean: runningMean, evalVar: runningVar, evalGamma: gamma, evalBeta: beta, evalY: y };
  await launch(gpu, 'normalizeEval', layout, bindings, resolved);
  return y;
}

/**
 * Gradients of a training-mode forward, given the saveMean and saveInvStd it returned; with
 * `relu`, of the fused ReLU(BN(x)), dy being the gradient of the ReLU's output.
 */
export async function batchNormBackward(
  gpu: Gpu,
  dy: Tensor,
  x: Tensor,
  gamma: Tensor,
  saveMean: Tensor,
  saveInvStd: Tensor,
  relu?: FusedReluSaved,
): Promise<{ dx: Tensor; dgamma: Tensor; dbeta: Tensor }> {
  const op = 'batchNormBackward';
  const layout = channelLayout(op, x);
  if (dy.dtype !== 'f32' || !sameShape(dy.shape, x.shape)) {
    throw new Error(`${op}: dy must be f32 ${formatShape(x.shape)} (the shape of x), got ${dy.dtype} ${formatShape(dy.shape)}`);
  }
  checkPerChannel(op, layout, { gamma, saveMean, saveInvStd, ...(relu ?? {}) });
  checkTrainingCount(op, layout);

  const dgamma = gpu.empty([layout.channels]);
  const dbeta = gpu.empty([layout.channels]);
  const meanOffset = gpu.empty([layout.channels]);
  const dx = gpu.empty(x.shape);
  // Without the ReLU, β and the forward's offset are not read: any read-only [C] fills their bindings.
  const stats = {
    dy, bwX: x, bwMean: saveMean, bwInvStd: saveInvStd, dgamma, dbeta, bwMeanOffset: meanOffset,
    bwGamma: gamma, bwBeta: relu?.beta ?? gamma, bwForwardOffset: relu?.saveMeanOffset ?? saveMean,
  };
  const kernelOptions = { momentum: 0, eps: 0, relu: relu !== undefined };
  await launch(gpu, 'backwardStats', layout, stats, kernelOptions);
  await launch(gpu, 'backwardInput', layout, { ...stats, dx }, kernelOptions);
  gpu.release(meanOffset);
  return { dx, dgamma, dbeta };
}
