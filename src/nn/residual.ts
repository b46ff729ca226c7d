// The join of a residual block: y = main(x) + shortcut(x), the shortcut being the identity
// or a small Sequential (a 1×1 projection, with or without BN). Both paths see the same x, so
// its gradient is the sum of both paths' input gradients. Whatever surrounds the join (WRN's
// shared pre-activation, ResNet's ReLU after the sum) is ordinary layers around it.
import type { Gpu } from '../gpu/gpu.ts';
import { formatShape, sameShape, type Tensor } from '../gpu/tensor.ts';
import { add } from '../kernels/eltwise.ts';
import type { Layer, StepContext } from './layer.ts';
import type { Sequential } from './sequential.ts';

export class Residual implements Layer {
  constructor(
    readonly name: string,
    readonly main: Sequential,
    /** Undefined: the identity. */
    readonly shortcut?: Sequential,
  ) {}

  get parameters() {
    return [...this.main.parameters, ...(this.shortcut?.parameters ?? [])];
  }

  get state() {
    return [...this.main.state, ...(this.shortcut?.state ?? [])];
  }

  outputShape(input: readonly number[]): number[] {
    const main = this.main.outputShape(input);
    const shortcut = this.shortcut ? this.shortcut.outputShape(input) : [...input];
    if (!sameShape(main, shortcut)) {
      throw new Error(`${this.name}: for input ${formatShape(input)} the main path gives ${formatShape(main)} but the shortcut ${formatShape(shortcut)}`);
    }
    return main;
  }

  /** The sum goes to a fresh tensor; both paths' outputs are released at once (no layer keeps its output for backward). */
  async forward(ctx: StepContext, x: Tensor): Promise<Tensor> {
    this.outputShape(x.shape);
    const y = await this.main.forward(ctx, x);
    const s = this.shortcut ? await this.shortcut.forward(ctx, x) : x;
    const out = await add(ctx.gpu, y, s);
    releaseOwned(ctx.gpu, [y, s], x);
    return out;
  }

  async backward(ctx: StepContext, dy: Tensor, inputGrad: boolean): Promise<Tensor | undefined> {
    const dMain = await this.main.backward(ctx, dy, inputGrad);
    const dShortcut = this.shortcut ? await this.shortcut.backward(ctx, dy, inputGrad) : dy;
    if (!inputGrad) return undefined;
    if (!dMain || !dShortcut) throw new Error(`${this.name}: a path returned no input gradient`);
    return sumGradients(ctx.gpu, dMain, dShortcut, dy);
  }
}

/** Releases each distinct buffer among `tensors` that is not `keep`'s (the caller's). */
function releaseOwned(gpu: Gpu, tensors: readonly Tensor[], keep: Tensor): void {
  const buffers = new Set(tensors.map((t) => t.buffer));
  buffers.delete(keep.buffer);
  for (const b of buffers) gpu.pool.release(b);
}

/**
 * a + b, accumulated in place into whichever we own: either may be dy itself (the identity
 * shortcut) or a view of it (a path of reshapes), and dy belongs to the caller.
 */
async function sumGradients(gpu: Gpu, a: Tensor, b: Tensor, dy: Tensor): Promise<Tensor> {
  const ownA = a.buffer !== dy.buffer;
  const ownB = b.buffer !== dy.buffer && b.buffer !== a.buffer;
  if (ownA) {
    await add(gpu, a, b, a);
    if (ownB) gpu.release(b);
    return a;
  }
  if (ownB) return add(gpu, a, b, b);
  return add(gpu, a, b);
}
