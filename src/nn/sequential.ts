// Runs layers in order and owns every activation and gradient between them: each is
// released as soon as nothing later needs it, so the pool recycles the same buffers
// every step. Reshaping layers may return views of their input; buffers are released
// once, by identity, and never the caller's own input or output-gradient. A Sequential is
// itself a layer, so it can be one path of a residual block.
import type { Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { Layer, StepContext } from './layer.ts';
import type { Parameter, StateTensor } from './parameters.ts';

export class Sequential implements Layer {
  private activations: Tensor[] = [];

  constructor(
    readonly layers: readonly Layer[],
    readonly name = 'sequential',
  ) {}

  get parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters);
  }

  get state(): StateTensor[] {
    return this.layers.flatMap((l) => l.state);
  }

  outputShape(input: readonly number[]): number[] {
    return this.layers.reduce<number[]>((shape, layer) => layer.outputShape(shape), [...input]);
  }

  /** The returned output belongs to the caller. In training mode activations are kept for backward. */
  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    this.releaseActivations(ctx.gpu);
    let current = x;
    const kept: Tensor[] = [x];
    for (const layer of this.layers) {
      const next = await layer.forward(ctx, current);
      if (ctx.training) kept.push(next);
      else if (current.buffer !== x.buffer && current.buffer !== next.buffer) ctx.gpu.release(current);
      current = next;
    }
    this.activations = ctx.training ? kept : [];
    return current;
  }

  /**
   * dy belongs to the caller. Parameter gradients are written into the flat buffer; the input
   * gradient is computed and returned only when `inputGrad` is true (a Sequential inside a
   * residual block). It then belongs to the caller, but may be a view of dy (reshaping
   * layers): release it only if its buffer differs from dy's.
   */
  async backward(ctx: StepContext, dy: Tensor, inputGrad = false): Promise<Tensor | undefined> {
    const n = this.layers.length;
    if (this.activations.length !== n + 1) throw new Error(`${this.name}.backward: no training forward to go back through`);
    const releaseAfter = this.releaseSchedule();
    // Without an input gradient, layers before the first one with parameters need no backward.
    const first = inputGrad ? 0 : Math.max(0, this.layers.findIndex((l) => l.parameters.length > 0));
    let grad: Tensor | undefined = dy;
    for (let i = n - 1; i >= first && grad; i--) {
      const dx: Tensor | undefined = await this.layers[i]!.backward(ctx, grad, inputGrad || i > first);
      if (grad.buffer !== dy.buffer && grad.buffer !== dx?.buffer) ctx.gpu.release(grad);
      for (const buffer of releaseAfter.get(i) ?? []) ctx.gpu.pool.release(buffer);
      releaseAfter.delete(i);
      grad = dx;
    }
    for (const buffers of releaseAfter.values()) for (const b of buffers) ctx.gpu.pool.release(b);
    this.activations = [];
    if (inputGrad) return grad;
    // Layers without parameters return an input gradient even when not asked for one.
    if (grad && grad.buffer !== dy.buffer) ctx.gpu.release(grad);
    return undefined;
  }

  /**
   * Layer i's backward needs its input, activations[i]; views make several activations
   * share a buffer, which may go back to the pool once the earliest layer using it is done.
   */
  private releaseSchedule(): Map<number, GPUBuffer[]> {
    const n = this.layers.length;
    const callerOwned = new Set([this.activations[0]!.buffer, this.activations[n]!.buffer]);
    const firstUse = new Map<GPUBuffer, number>();
    for (let i = n - 1; i >= 1; i--) {
      const buffer = this.activations[i]!.buffer;
      if (!callerOwned.has(buffer)) firstUse.set(buffer, i);
    }
    const schedule = new Map<number, GPUBuffer[]>();
    for (const [buffer, i] of firstUse) schedule.set(i, [...(schedule.get(i) ?? []), buffer]);
    return schedule;
  }

  private releaseActivations(gpu: Gpu): void {
    if (this.activations.length === 0) return;
    for (const buffers of this.releaseSchedule().values()) for (const b of buffers) gpu.pool.release(b);
    this.activations = [];
  }
}
