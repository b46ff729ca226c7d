import type { Tensor } from '../gpu/tensor.ts';
import { relu, reluBackward } from '../kernels/eltwise.ts';
import { SavedInput, type Layer, type StepContext } from './layer.ts';

export class ReLU implements Layer {
  readonly parameters = [];
  readonly state = [];
  private readonly input: SavedInput;

  constructor(readonly name: string) {
    this.input = new SavedInput(name);
  }

  outputShape(input: readonly number[]): number[] {
    return [...input];
  }

  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    if (ctx.training) this.input.save(x);
    return relu(ctx.gpu, x);
  }

  async backward(ctx: StepContext, dy: Tensor): Promise<Tensor> {
    return reluBackward(ctx.gpu, dy, this.input.take());
  }
}
