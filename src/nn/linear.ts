// y = x·Wᵀ + b with W stored [out, in] as in PyTorch.
import type { Tensor } from '../gpu/tensor.ts';
import { formatShape } from '../gpu/tensor.ts';
import { matmul } from '../kernels/matmul.ts';
import { channelSum } from '../kernels/reduce.ts';
import { uniformSymmetric, type InitContext } from './init.ts';
import { SavedInput, type Layer, type StepContext } from './layer.ts';
import { Parameter } from './parameters.ts';

export interface LinearInit {
  weight?: (count: number, fanIn: number) => Float32Array;
  bias?: (count: number, fanIn: number) => Float32Array;
}

export class Linear implements Layer {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly state = [];
  private readonly input: SavedInput;

  constructor(
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    init: (id: number) => InitContext,
    custom: LinearInit = {},
  ) {
    // PyTorch's default: U(±1/√fanIn) for both weight and bias.
    const bound = 1 / Math.sqrt(inFeatures);
    const weightInit = custom.weight ?? ((n) => uniformSymmetric(init(0), n, bound));
    const biasInit = custom.bias ?? ((n) => uniformSymmetric(init(1), n, bound));
    this.weight = new Parameter(`${name}.weight`, [outFeatures, inFeatures], () => weightInit(outFeatures * inFeatures, inFeatures));
    this.bias = new Parameter(`${name}.bias`, [outFeatures], () => biasInit(outFeatures, inFeatures));
    this.input = new SavedInput(name);
  }

  get parameters() {
    return [this.weight, this.bias];
  }

  outputShape(input: readonly number[]): number[] {
    if (input.length !== 2 || input[1] !== this.inFeatures) {
      throw new Error(`${this.name}: expected input [batch, ${this.inFeatures}], got ${formatShape(input)}`);
    }
    return [input[0]!, this.outFeatures];
  }

  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    this.outputShape(x.shape);
    if (ctx.training) this.input.save(x);
    return matmul(ctx.gpu, x, this.weight.value, { transB: true, bias: this.bias.value });
  }

  async backward(ctx: StepContext, dy: Tensor, inputGrad: boolean): Promise<Tensor | undefined> {
    const x = this.input.take();
    await matmul(ctx.gpu, dy, x, { transA: true, out: this.weight.grad });
    await channelSum(ctx.gpu, dy, 1, { out: this.bias.grad });
    return inputGrad ? matmul(ctx.gpu, dy, this.weight.value) : undefined;
  }
}
