// [N, C, H, W] → [N, C·H·W] in (C, H, W) order: a reshape of the same buffer.
import { formatShape, type Tensor } from '../gpu/tensor.ts';
import type { Layer, StepContext } from './layer.ts';

export class Flatten implements Layer {
  readonly parameters = [];
  readonly state = [];
  private inputShape: readonly number[] | undefined;

  constructor(readonly name: string) {}

  outputShape(input: readonly number[]): number[] {
    if (input.length < 2) throw new Error(`${this.name}: expected at least [batch, features], got ${formatShape(input)}`);
    return [input[0]!, input.slice(1).reduce((a, b) => a * b, 1)];
  }

  async forward(_ctx: StepContext, x: Tensor): Promise<Tensor> {
    this.inputShape = x.shape;
    return x.reshape(this.outputShape(x.shape));
  }

  async backward(_ctx: StepContext, dy: Tensor): Promise<Tensor> {
    if (!this.inputShape) throw new Error(`${this.name}: backward called without a forward`);
    return dy.reshape(this.inputShape);
  }
}
