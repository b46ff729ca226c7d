// SGD with momentum, Nesterov and weight decay over one flat parameter buffer: one dispatch
// updates every parameter of a model (PyTorch semantics, dampening 0).
import sgdWgsl from '../../shaders/sgd.wgsl';
import { packParams, type Gpu } from '../gpu/gpu.ts';
import { formatShape, type Tensor } from '../gpu/tensor.ts';
import { checkDistinct } from './checks.ts';
import { grid1d } from './grid.ts';

const file = { file: 'sgd.wgsl', code: sgdWgsl };
const WG = 256;

export interface SgdStepOptions {
  /** Learning rate of this step, ≥ 0. */
  lr: number;
  /** ≥ 0; default 0 (plain SGD). */
  momentum?: number;
  /** Nesterov momentum; needs momentum > 0. Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient, ≥ 0, applied to the whole buffer. Default 0. */
  weightDecay?: number;
}

function checkNonNegative(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new Error(`sgdStep: ${name} must be a finite number ≥ 0, got ${value}`);
}

function checkOptions({ lr, momentum = 0, nesterov = false, weightDecay = 0 }: SgdStepOptions): void {
  checkNonNegative('lr', lr);
  checkNonNegative('momentum', momentum);
  checkNonNegative('weightDecay', weightDecay);
  if (nesterov && momentum === 0) throw new Error('sgdStep: nesterov needs momentum > 0, got momentum 0');
}

function checkBuffers(params: Tensor, buffers: Record<string, Tensor>): void {
  if (params.dtype !== 'f32') throw new Error(`sgdStep: params must be f32, got ${params.dtype} ${formatShape(params.shape)}`);
  for (const [name, t] of Object.entries(buffers)) {
    if (t.dtype !== 'f32' || t.size !== params.size) {
      throw new Error(`sgdStep: ${name} must be f32 with ${params.size} values like params ${formatShape(params.shape)}, got ${t.dtype} ${formatShape(t.shape)}`);
    }
  }
  checkDistinct('sgdStep', { params, ...buffers });
}

/**
 * Records p −= lr · update in place, updating `momentumBuffer` (zeros before the first step).
 * The uniform block is per-step (transient), so a learning rate that changes every step
 * does not accumulate cached uniform buffers.
 */
export async function sgdStep(gpu: Gpu, params: Tensor, grads: Tensor, momentumBuffer: Tensor, options: SgdStepOptions): Promise<void> {
  checkOptions(options);
  checkBuffers(params, { grads, momentumBuffer });
  const { lr, momentum = 0, nesterov = false, weightDecay = 0 } = options;
  const uniform = packParams(params.size, nesterov ? 1 : 0, { f32: lr }, { f32: momentum }, { f32: weightDecay });
  await gpu.dispatch({ files: [file], entryPoint: 'sgdStep' }, { parameters: params, gradients: grads, momentumBuffer }, grid1d(gpu, params.size, WG), uniform, {
    transientParams: true,
  });
}
