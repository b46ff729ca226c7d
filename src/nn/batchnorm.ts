// Batch normalisation over [N, C] or [N, C, H, W]: batch statistics and a running-average
// update in training, the running statistics in evaluation (PyTorch semantics). With the
// option relu it is ReLU(BN(x)) in one layer, the two fused in each kernel pass.
import type { Tensor } from '../gpu/tensor.ts';
import { formatShape } from '../gpu/tensor.ts';
import { batchNormBackward, batchNormEvalForward, batchNormTrainForward, type BatchNormOptions } from '../kernels/batchnorm.ts';
import { constant } from './init.ts';
import type { Layer, StepContext } from './layer.ts';
import { Parameter, StateTensor } from './parameters.ts';

interface Saved {
  x: Tensor;
  mean: Tensor;
  invStd: Tensor;
  /** The forward's meanOffset, kept with a fused ReLU. */
  meanOffset: Tensor | undefined;
}

export class BatchNorm implements Layer {
  readonly gamma: Parameter;
  readonly beta: Parameter;
  readonly runningMean: StateTensor;
  readonly runningVar: StateTensor;
  private saved: Saved | undefined;

  constructor(
    readonly name: string,
    readonly channels: number,
    readonly options: BatchNormOptions = {},
  ) {
    this.gamma = new Parameter(`${name}.weight`, [channels], () => constant(channels, 1));
    this.beta = new Parameter(`${name}.bias`, [channels], () => constant(channels, 0));
    this.runningMean = new StateTensor(`${name}.running_mean`, [channels], () => constant(channels, 0));
    this.runningVar = new StateTensor(`${name}.running_var`, [channels], () => constant(channels, 1));
  }

  get parameters() {
    return [this.gamma, this.beta];
  }

  get state() {
    return [this.runningMean, this.runningVar];
  }

  outputShape(input: readonly number[]): number[] {
    if ((input.length !== 2 && input.length !== 4) || input[1] !== this.channels) {
      throw new Error(`${this.name}: expected [N, ${this.channels}] or [N, ${this.channels}, H, W], got ${formatShape(input)}`);
    }
    return [...input];
  }

  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    this.outputShape(x.shape);
    this.releaseSaved(ctx);
    const args = [ctx.gpu, x, this.gamma.value, this.beta.value, this.runningMean.value, this.runningVar.value] as const;
    if (!ctx.training) return batchNormEvalForward(...args, this.options);
    const { y, saveMean, saveInvStd, saveMeanOffset } = await batchNormTrainForward(...args, this.options);
    this.saved = { x, mean: saveMean, invStd: saveInvStd, meanOffset: saveMeanOffset };
    return y;
  }

  async backward(ctx: StepContext, dy: Tensor, inputGrad: boolean): Promise<Tensor | undefined> {
    if (!this.saved) throw new Error(`${this.name}: backward called without a training forward`);
    const { x, mean, invStd, meanOffset } = this.saved;
    const relu = meanOffset && { beta: this.beta.value, saveMeanOffset: meanOffset };
    const { dx, dgamma, dbeta } = await batchNormBackward(ctx.gpu, dy, x, this.gamma.value, mean, invStd, relu);
    ctx.gpu.copy(dgamma, this.gamma.grad);
    ctx.gpu.copy(dbeta, this.beta.grad);
    ctx.gpu.release(dgamma, dbeta);
    this.releaseSaved(ctx);
    if (inputGrad) return dx;
    ctx.gpu.release(dx);
    return undefined;
  }

  private releaseSaved(ctx: StepContext): void {
    if (this.saved) ctx.gpu.release(this.saved.mean, this.saved.invStd, this.saved.meanOffset);
    this.saved = undefined;
  }
}
