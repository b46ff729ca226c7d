// SGD over a model's flat parameter buffer: one dispatch per step, the learning rate
// taken from a per-step schedule.
import type { Gpu } from '../gpu/gpu.ts';
import { sgdStep } from '../kernels/sgd.ts';
import type { ParameterStore } from '../nn/parameters.ts';

export interface SgdSettings {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** Learning rate at a (0-based) step. */
  schedule: (step: number) => number;
}

export class SgdOptimizer {
  constructor(
    private readonly gpu: Gpu,
    private readonly store: ParameterStore,
    readonly settings: SgdSettings,
  ) {}

  async step(step: number): Promise<void> {
    const { momentum, nesterov, weightDecay, schedule } = this.settings;
    await sgdStep(this.gpu, this.store.values, this.store.grads, this.store.momentum, {
      lr: schedule(step),
      momentum,
      nesterov,
      weightDecay,
    });
  }
}
