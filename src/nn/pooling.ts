// Max and average pooling, and the global average pool that ends residual networks.
import type { Tensor } from '../gpu/tensor.ts';
import {
  avgPool2dBackward,
  avgPool2dForward,
  globalAvgPoolBackward,
  globalAvgPoolForward,
  maxPool2dBackward,
  maxPool2dForward,
  poolGeometry,
  type Pool2dOptions,
} from '../kernels/pool.ts';
import { formatShape } from '../gpu/tensor.ts';
import type { Layer, StepContext } from './layer.ts';

function pooledShape(name: string, input: readonly number[], options: Pool2dOptions): number[] {
  return [...poolGeometry(name, input, options).output];
}

export class MaxPool2d implements Layer {
  readonly parameters = [];
  readonly state = [];
  private saved: { argmax: Tensor; inputShape: readonly number[] } | undefined;

  constructor(readonly name: string, readonly options: Pool2dOptions) {}

  outputShape(input: readonly number[]): number[] {
    return pooledShape(this.name, input, this.options);
  }

  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    const { y, argmax } = await maxPool2dForward(ctx.gpu, x, this.options);
    if (this.saved) ctx.gpu.release(this.saved.argmax);
    this.saved = undefined;
    if (ctx.training) this.saved = { argmax, inputShape: x.shape };
    else ctx.gpu.release(argmax);
    return y;
  }

  async backward(ctx: StepContext, dy: Tensor): Promise<Tensor> {
    if (!this.saved) throw new Error(`${this.name}: backward called without a training forward`);
    const { argmax, inputShape } = this.saved;
    this.saved = undefined;
    const dx = await maxPool2dBackward(ctx.gpu, dy, argmax, inputShape, this.options);
    ctx.gpu.release(argmax);
    return dx;
  }
}

export class AvgPool2d implements Layer {
  readonly parameters = [];
  readonly state = [];
  private inputShape: readonly number[] | undefined;

  constructor(readonly name: string, readonly options: Pool2dOptions) {}

  outputShape(input: readonly number[]): number[] {
    return pooledShape(this.name, input, this.options);
  }

  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    this.inputShape = x.shape;
    return avgPool2dForward(ctx.gpu, x, this.options);
  }

  async backward(ctx: StepContext, dy: Tensor): Promise<Tensor> {
    if (!this.inputShape) throw new Error(`${this.name}: backward called without a forward`);
    return avgPool2dBackward(ctx.gpu, dy, this.inputShape, this.options);
  }
}

/** [N, C, H, W] → [N, C], the mean over H·W. */
export class GlobalAvgPool implements Layer {
  readonly parameters = [];
  readonly state = [];
  private inputShape: readonly number[] | undefined;

  constructor(readonly name: string) {}

  outputShape(input: readonly number[]): number[] {
    if (input.length !== 4) throw new Error(`${this.name}: expected [N, C, H, W], got ${formatShape(input)}`);
    return [input[0]!, input[1]!];
  }

  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    this.inputShape = x.shape;
    return globalAvgPoolForward(ctx.gpu, x);
  }

  async backward(ctx: StepContext, dy: Tensor): Promise<Tensor> {
    if (!this.inputShape) throw new Error(`${this.name}: backward called without a forward`);
    return globalAvgPoolBackward(ctx.gpu, dy, this.inputShape);
  }
}
