// A layer is a forward/backward pair over tensors, llm.c style. The Sequential that runs
// it owns the activations between layers; a layer releases only what it saved itself.
import type { Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { Parameter, StateTensor } from './parameters.ts';

export interface StepContext {
  gpu: Gpu;
  training: boolean;
  /** Global step number: dropout masks are drawn from (seed, step). */
  step: number;
  seed: number;
}

export interface Layer {
  readonly name: string;
  readonly parameters: readonly Parameter[];
  readonly state: readonly StateTensor[];
  outputShape(input: readonly number[]): number[];
  forward(ctx: StepContext, x: Tensor): Promise<Tensor>;
  /**
   * Writes parameter gradients into their views in the flat gradient buffer and returns
   * dx — unless `inputGrad` is false (the first layer with parameters: nothing needs its
   * input gradient, and for a first convolution it costs as much as the rest of the step).
   */
  backward(ctx: StepContext, dy: Tensor, inputGrad: boolean): Promise<Tensor | undefined>;
}

/** Remembers the input of the last training forward for backward. */
export class SavedInput {
  private tensor: Tensor | undefined;
  constructor(private readonly layer: string) {}
  save(x: Tensor): void {
    this.tensor = x;
  }
  take(): Tensor {
    const t = this.tensor;
    if (!t) throw new Error(`${this.layer}: backward called without a training forward`);
    this.tensor = undefined;
    return t;
  }
}
