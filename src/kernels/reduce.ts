// Deterministic reductions: split-K partial sums and per-channel sums (bias gradients).
import reduceWgsl from '../../shaders/reduce.wgsl';
import workgroupSumWgsl from '../../shaders/workgroupSum.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { Tensor, formatShape } from '../gpu/tensor.ts';
import { grid1d } from './grid.ts';

const files = [{ file: 'reduce.wgsl', code: reduceWgsl }, { file: 'workgroupSum.wgsl', code: workgroupSumWgsl }];
// The WGSL uses a workgroup of WG = 256, within SwiftShader's 256-invocation limit.
const WG = 256;

/** out[i] = Σ_s parts[s, i] for parts of shape [splits, ...rest]; out gets `rest`. */
export async function sumSplits(gpu: Gpu, parts: Tensor, splits: number, out?: Tensor): Promise<Tensor> {
  const len = parts.size / splits;
  if (!Number.isInteger(len)) throw new Error(`sumSplits: ${parts.size} values do not divide into ${splits} splits`);
  const result = out ?? gpu.empty(parts.shape.slice(1));
  if (result.size !== len) throw new Error(`sumSplits: out ${formatShape(result.shape)} must hold ${len} values`);
  await gpu.dispatch({ files, entryPoint: 'sumSplits' }, { input: parts, output: result }, grid1d(gpu, len, WG), packParams(len, splits, 0, 0));
  return result;
}

/**
 * Per-channel sum of x viewed as [outer, channels, inner]: [B, C] for linear layers
 * (inner = 1), [N, C, H, W] for convolutions. With `accumulate`, adds into `out`.
 */
export async function channelSum(
  gpu: Gpu,
  x: Tensor,
  channelAxis: number,
  options: { out?: Tensor; accumulate?: boolean } = {},
): Promise<Tensor> {
  const shape = x.shape;
  if (channelAxis < 0 || channelAxis >= shape.length) throw new Error(`channelSum: axis ${channelAxis} out of range for ${formatShape(shape)}`);
  const channels = shape[channelAxis]!;
  const outer = shape.slice(0, channelAxis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const out = options.out ?? gpu.empty([channels]);
  if (out.size !== channels) throw new Error(`channelSum: out ${formatShape(out.shape)} must hold ${channels} values`);
  // Rows of inner values read as vec4 when they hold whole vec4s (4-aligned, as bindings are).
  const entryPoint = inner % 4 === 0 ? 'channelSumVec4' : 'channelSum';
  await gpu.dispatch(
    { files, entryPoint },
    { input: x, output: out },
    [channels],
    packParams(outer, channels, inner, options.accumulate ? 1 : 0),
  );
  return out;
}
