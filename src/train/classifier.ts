// A model with its parameters on one device: the forward/loss/backward/update step that
// records into one command buffer, and batched evaluation.
import type { Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { add } from '../kernels/eltwise.ts';
import { cleanView, jensenShannonConsistency } from '../kernels/jsd.ts';
import { softmaxCrossEntropy } from '../kernels/softmax_xent.ts';
import type { StepContext } from '../nn/layer.ts';
import { ParameterStore } from '../nn/parameters.ts';
import type { Sequential } from '../nn/sequential.ts';
import { SgdOptimizer, type SgdSettings } from '../optim/sgdOptimizer.ts';

export interface TrainStepOptions {
  /**
   * AugMix's Jensen–Shannon consistency (§6.3): x holds [clean; aug1; aug2] blocks of B rows,
   * the cross-entropy sees the clean block only and `weight`·JS ties the three together.
   */
  consistency?: { weight: number };
}

export interface StepResult {
  /** [1]: mean loss of the batch; read it when needed (reading waits for the GPU). */
  loss: Tensor;
  /** [1] u32: correctly classified samples. */
  correct: Tensor;
}

export class Classifier {
  readonly store: ParameterStore;
  readonly optimizer: SgdOptimizer;

  constructor(
    readonly gpu: Gpu,
    readonly model: Sequential,
    readonly seed: number,
    sgd: SgdSettings,
  ) {
    this.store = new ParameterStore(gpu, model.parameters, model.state);
    this.optimizer = new SgdOptimizer(gpu, this.store, sgd);
  }

  /** One SGD step on a batch: x [B, ...], targets [B, C] probability rows. Caller releases the result. */
  async trainStep(step: number, x: Tensor, targets: Tensor, options: TrainStepOptions = {}): Promise<StepResult> {
    const ctx: StepContext = { gpu: this.gpu, training: true, step, seed: this.seed };
    const logits = await this.model.forward(ctx, x);
    const { loss, dlogits, correct } = options.consistency
      ? await this.consistencyLoss(logits, targets, options.consistency.weight)
      : await softmaxCrossEntropy(this.gpu, logits, targets);
    await this.model.backward(ctx, dlogits);
    await this.optimizer.step(step);
    this.gpu.release(logits, dlogits);
    this.gpu.submit();
    return { loss, correct };
  }

  /** CE on the clean block plus weight·JS over the three blocks, gradients summed in place. */
  private async consistencyLoss(logits: Tensor, targets: Tensor, weight: number) {
    const { gpu } = this;
    const js = await jensenShannonConsistency(gpu, logits, { weight });
    const ce = await softmaxCrossEntropy(gpu, cleanView(logits), cleanView(targets));
    const clean = cleanView(js.dlogits);
    await add(gpu, clean, ce.dlogits, clean);
    const loss = await add(gpu, ce.loss, js.loss);
    gpu.release(ce.dlogits, ce.loss, js.loss);
    return { loss, dlogits: js.dlogits, correct: ce.correct };
  }

  /** Logits in evaluation mode (running batch-norm statistics, no dropout). Caller releases. */
  async predict(x: Tensor): Promise<Tensor> {
    return this.model.forward({ gpu: this.gpu, training: false, step: 0, seed: this.seed }, x);
  }

  dispose(): void {
    this.store.dispose();
  }
}
