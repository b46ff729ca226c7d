// 2-D convolution layer (NCHW) on conv2d.ts's kernels (Winograd, direct or implicit GEMM per pass).
import type { Tensor } from '../gpu/tensor.ts';
import { conv2dBackwardData, conv2dBackwardWeight, conv2dForward, ConvForwardCache, conv2dOutputShape, type Conv2dGeometry } from '../kernels/conv2d.ts';
import { channelSum } from '../kernels/reduce.ts';
import { constant, kaimingNormal, type InitContext } from './init.ts';
import { SavedInput, type Layer, type StepContext } from './layer.ts';
import { Parameter } from './parameters.ts';

export interface Conv2dOptions extends Conv2dGeometry {
  bias?: boolean;
  /** Weight initialiser; Kaiming normal (fan-in, gain √2) by default. */
  weightInit?: (count: number, fanIn: number, fanOut: number) => Float32Array;
}

export class Conv2d implements Layer {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  readonly state = [];
  readonly geometry: Conv2dGeometry;
  private readonly input: SavedInput;
  /** What the training forward keeps for backward-weight besides x (conv2d.ts's ConvForwardCache). */
  private readonly forwardCache = new ConvForwardCache();

  constructor(
    readonly name: string,
    inChannels: number,
    outChannels: number,
    kernel: number,
    init: (id: number) => InitContext,
    options: Conv2dOptions = {},
  ) {
    this.geometry = { stride: options.stride ?? 1, padding: options.padding ?? 0 };
    const fanIn = inChannels * kernel * kernel;
    const fanOut = outChannels * kernel * kernel;
    const weightInit = options.weightInit ?? ((n, fi) => kaimingNormal(init(0), n, fi));
    const shape = [outChannels, inChannels, kernel, kernel];
    this.weight = new Parameter(`${name}.weight`, shape, () => weightInit(outChannels * fanIn, fanIn, fanOut));
    this.bias = options.bias === false ? undefined : new Parameter(`${name}.bias`, [outChannels], () => constant(outChannels, 0));
    this.input = new SavedInput(name);
  }

  get parameters() {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  outputShape(input: readonly number[]): number[] {
    return conv2dOutputShape(input, this.weight.shape, this.geometry);
  }

  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    if (ctx.training) this.input.save(x);
    const cache = ctx.training ? this.forwardCache : undefined;
    return conv2dForward(ctx.gpu, x, this.weight.value, this.bias?.value, this.geometry, undefined, cache);
  }

  async backward(ctx: StepContext, dy: Tensor, inputGrad: boolean): Promise<Tensor | undefined> {
    const { gpu } = ctx;
    const x = this.input.take();
    const dw = await conv2dBackwardWeight(gpu, x, dy, this.weight.shape, this.geometry, this.forwardCache);
    gpu.copy(dw, this.weight.grad);
    gpu.release(dw);
    if (this.bias) await channelSum(gpu, dy, 1, { out: this.bias.grad });
    return inputGrad ? conv2dBackwardData(gpu, dy, this.weight.value, x.shape, this.geometry) : undefined;
  }
}
