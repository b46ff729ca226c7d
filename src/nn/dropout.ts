// Inverted dropout: in training, zero each value with probability p and scale the rest by
// 1/(1−p); the mask comes from Philox(seed, step), so a run is reproducible by seed.
import type { Tensor } from '../gpu/tensor.ts';
import { dropoutBackward, dropoutForward } from '../kernels/dropout.ts';
import type { Layer, StepContext } from './layer.ts';

export class Dropout implements Layer {
  readonly parameters = [];
  readonly state = [];
  private mask: Tensor | undefined;

  constructor(readonly name: string, readonly p: number, private readonly layerId: number) {
    if (!(p >= 0 && p < 1)) throw new Error(`${name}: dropout probability must be in [0, 1), got ${p}`);
  }

  outputShape(input: readonly number[]): number[] {
    return [...input];
  }

  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    if (this.mask) ctx.gpu.release(this.mask);
    this.mask = undefined;
    if (!ctx.training || this.p === 0) return x;
    const { y, mask } = await dropoutForward(ctx.gpu, x, { p: this.p, seed: ctx.seed, step: ctx.step, layer: this.layerId });
    this.mask = mask;
    return y;
  }

  async backward(ctx: StepContext, dy: Tensor): Promise<Tensor> {
    if (this.p === 0) return dy;
    if (!this.mask) throw new Error(`${this.name}: backward called without a training forward`);
    const dx = await dropoutBackward(ctx.gpu, dy, this.mask);
    ctx.gpu.release(this.mask);
    this.mask = undefined;
    return dx;
  }
}
