// 2-D max and average pooling (NCHW) and global average pooling, forward and backward.
// Backward passes are gathers over the windows covering each input, so overlapping
// windows need no atomics and results are deterministic; max pooling whose windows tile
// the input exactly scatters each window's gradient instead (no two windows share an input).
import poolWgsl from '../../shaders/pool.wgsl';
import { packParams, type Gpu, type NamedBindings } from '../gpu/gpu.ts';
import { formatShape, type Tensor } from '../gpu/tensor.ts';
import { checkTensor, pairOf, type Size2 } from './checks.ts';
import { grid1d } from './grid.ts';

const file = { file: 'pool.wgsl', code: poolWgsl };
const WG = 256;

export interface Pool2dOptions {
  kernel: Size2;
  /** Defaults to the kernel size (non-overlapping windows), as in PyTorch. */
  stride?: Size2;
  /** Zero by default; at most half the kernel on each axis. */
  padding?: Size2;
}

/** Shapes and window of one pooling: input [N, C, H, W] → output [N, C, OH, OW]. */
export interface PoolGeometry {
  input: readonly [number, number, number, number];
  output: readonly [number, number, number, number];
  kernel: readonly [number, number];
  stride: readonly [number, number];
  padding: readonly [number, number];
}

type PoolEntry = 'maxPoolForward' | 'maxPoolBackward' | 'maxPoolBackwardTiled' | 'avgPoolForward' | 'avgPoolBackward';

function checkInputShape(op: string, name: string, shape: readonly number[]): [number, number, number, number] {
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`${op}: ${name} must be [N, C, H, W] with every size >= 1, got ${formatShape(shape)}`);
  }
  return shape as [number, number, number, number];
}

/** Validates the options against an input shape and derives the output shape (floor mode). */
export function poolGeometry(op: string, inputShape: readonly number[], options: Pool2dOptions): PoolGeometry {
  const [N, C, H, W] = checkInputShape(op, 'input', inputShape);
  const kernel = pairOf(op, 'kernel', options.kernel, 1);
  const stride = pairOf(op, 'stride', options.stride ?? kernel, 1);
  const padding = pairOf(op, 'padding', options.padding ?? 0, 0);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw new Error(`${op}: padding ${padding.join('x')} must be at most half of kernel ${kernel.join('x')}`);
  }
  const OH = Math.floor((H + 2 * padding[0] - kernel[0]) / stride[0]) + 1;
  const OW = Math.floor((W + 2 * padding[1] - kernel[1]) / stride[1]) + 1;
  if (OH < 1 || OW < 1) {
    throw new Error(
      `${op}: kernel ${kernel.join('x')} with padding ${padding.join('x')} does not fit input ${formatShape(inputShape)} (output would be ${OH}x${OW})`,
    );
  }
  return { input: [N, C, H, W], output: [N, C, OH, OW], kernel, stride, padding };
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Windows that cover every input exactly once: stride = kernel, no padding, no remainder. */
export function windowsTileInput(g: PoolGeometry): boolean {
  const [, , H, W] = g.input;
  const [KH, KW] = g.kernel;
  return (
    g.stride[0] === KH && g.stride[1] === KW && g.padding[0] === 0 && g.padding[1] === 0 && H % KH === 0 && W % KW === 0
  );
}

/**
 * Items (outputs or inputs) per invocation, PER_INVOCATION in pool.wgsl: four, except for
 * a forward over windows of more than four values, which is work enough for one invocation
 * (four made 3×3 and 8×8 windows slower on llvmpipe, where four help 2×2 ones 1.6–2×).
 */
function itemsPerInvocation(entryPoint: PoolEntry, g: PoolGeometry): number {
  const forward = entryPoint === 'maxPoolForward' || entryPoint === 'avgPoolForward';
  return forward && g.kernel[0] * g.kernel[1] > 4 ? 1 : 4;
}

/** `items`: outputs or inputs, whichever the entry point walks. Bindings: out, input (x or dy), argmax. */
async function launch(gpu: Gpu, entryPoint: PoolEntry, g: PoolGeometry, items: number, bindings: NamedBindings): Promise<void> {
  const [, , H, W] = g.input;
  const [, , OH, OW] = g.output;
  const [KH, KW] = g.kernel;
  const [SH, SW] = g.stride;
  const [PH, PW] = g.padding;
  const PER_INVOCATION = itemsPerInvocation(entryPoint, g);
  const consts = { IN_H: H, IN_W: W, OUT_H: OH, OUT_W: OW, KH, KW, SH, SW, PH, PW, PER_INVOCATION };
  const invocations = Math.ceil(items / PER_INVOCATION);
  await gpu.dispatch({ files: [file], entryPoint, consts }, bindings, grid1d(gpu, invocations, WG), packParams(items, invocations));
}

/** An `out` tensor may have any shape with the right number of values. */
function checkOutputSize(op: string, name: string, t: Tensor, shape: readonly number[], dtype: 'f32' | 'u32' = 'f32'): void {
  if (t.dtype !== dtype || t.size !== count(shape)) {
    throw new Error(`${op}: ${name} must be ${dtype} ${formatShape(shape)}, got ${t.dtype} ${formatShape(t.shape)}`);
  }
}

/** An output tensor: `out` after checking it holds `shape`, else a fresh one. */
function output(gpu: Gpu, op: string, out: Tensor | undefined, shape: readonly number[], dtype: 'f32' | 'u32' = 'f32'): Tensor {
  if (!out) return gpu.empty(shape, dtype);
  checkOutputSize(op, 'out', out, shape, dtype);
  return out;
}

export interface MaxPoolResult {
  y: Tensor;
  /** u32, one per output: flat index into x of the window's first maximum. */
  argmax: Tensor;
}

/** Max pooling; padding never wins (it counts as −∞). */
export async function maxPool2dForward(
  gpu: Gpu,
  x: Tensor,
  options: Pool2dOptions & { out?: Partial<MaxPoolResult> },
): Promise<MaxPoolResult> {
  const op = 'maxPool2dForward';
  const g = poolGeometry(op, x.shape, options);
  checkTensor(op, 'x', x, g.input);
  const y = output(gpu, op, options.out?.y, g.output);
  const argmax = output(gpu, op, options.out?.argmax, g.output, 'u32');
  await launch(gpu, 'maxPoolForward', g, count(g.output), { out: y, input: x, argmax });
  return { y, argmax };
}

/** dx[i] = Σ dy over the windows whose maximum was input i (several when windows overlap). */
export async function maxPool2dBackward(
  gpu: Gpu,
  dy: Tensor,
  argmax: Tensor,
  inputShape: readonly number[],
  options: Pool2dOptions & { out?: Tensor },
): Promise<Tensor> {
  const op = 'maxPool2dBackward';
  const g = poolGeometry(op, inputShape, options);
  checkTensor(op, 'dy', dy, g.output);
  checkTensor(op, 'argmax', argmax, g.output, 'u32');
  const dx = output(gpu, op, options.out, g.input);
  if (windowsTileInput(g)) await launch(gpu, 'maxPoolBackwardTiled', g, count(g.output), { out: dx, input: dy, argmax });
  else await launch(gpu, 'maxPoolBackward', g, count(g.input), { out: dx, input: dy, argmax });
  return dx;
}

/** Average pooling; padded positions count as zeros in the divisor kH·kW (count_include_pad). */
export async function avgPool2dForward(gpu: Gpu, x: Tensor, options: Pool2dOptions & { out?: Tensor }): Promise<Tensor> {
  const op = 'avgPool2dForward';
  const g = poolGeometry(op, x.shape, options);
  checkTensor(op, 'x', x, g.input);
  const y = output(gpu, op, options.out, g.output);
  await launch(gpu, 'avgPoolForward', g, count(g.output), { out: y, input: x });
  return y;
}

export async function avgPool2dBackward(
  gpu: Gpu,
  dy: Tensor,
  inputShape: readonly number[],
  options: Pool2dOptions & { out?: Tensor },
): Promise<Tensor> {
  const op = 'avgPool2dBackward';
  const g = poolGeometry(op, inputShape, options);
  checkTensor(op, 'dy', dy, g.output);
  const dx = output(gpu, op, options.out, g.input);
  await launch(gpu, 'avgPoolBackward', g, count(g.input), { out: dx, input: dy });
  return dx;
}

/** Global average pooling is average pooling with one window covering the whole plane. */
function globalGeometry(op: string, inputShape: readonly number[]): PoolGeometry {
  const [, , H, W] = checkInputShape(op, 'input', inputShape);
  return poolGeometry(op, inputShape, { kernel: [H, W] });
}

/** x [N, C, H, W] → [N, C], the mean of each plane. */
export async function globalAvgPoolForward(gpu: Gpu, x: Tensor, out?: Tensor): Promise<Tensor> {
  const op = 'globalAvgPoolForward';
  const g = globalGeometry(op, x.shape);
  checkTensor(op, 'x', x, g.input);
  const y = output(gpu, op, out, [g.input[0], g.input[1]]);
  await launch(gpu, 'avgPoolForward', g, count(g.output), { out: y, input: x });
  return y;
}

/** dy [N, C] → dx [N, C, H, W] = dy / (H·W) broadcast over each plane. */
export async function globalAvgPoolBackward(gpu: Gpu, dy: Tensor, inputShape: readonly number[], out?: Tensor): Promise<Tensor> {
  const op = 'globalAvgPoolBackward';
  const g = globalGeometry(op, inputShape);
  checkTensor(op, 'dy', dy, [g.input[0], g.input[1]]);
  const dx = output(gpu, op, out, g.input);
  await launch(gpu, 'avgPoolBackward', g, count(g.input), { out: dx, input: dy });
  return dx;
}
