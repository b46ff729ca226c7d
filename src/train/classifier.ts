// A model with its parameters on one device: the forward/loss/backward/update step that
// records into one command buffer, predictions on images as an app holds them, and evaluation.
import type { BatchShape, SampleValues } from '../data/samples.ts';
import { checkSamples } from '../data/samples.ts';
import { imageDataToBytes, type ImageChannels, type ImageDataLike } from '../data/imageData.ts';
import type { ImageDataset } from '../data/imageDataset.ts';
import type { Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { add } from '../kernels/eltwise.ts';
import { cleanView, jensenShannonConsistency } from '../kernels/jsd.ts';
import { softmaxCrossEntropy } from '../kernels/softmax_xent.ts';
import type { StepContext } from '../nn/layer.ts';
import { ParameterStore } from '../nn/parameters.ts';
import type { Sequential } from '../nn/sequential.ts';
import { SgdOptimizer, type SgdSettings } from '../optim/sgdOptimizer.ts';
import { checkOneOf, fail } from '../validate.ts';
import { classifierPredictor, cleanError, type ErrorRate } from './evaluate.ts';
import { networkInput, predictLogits, softmaxRows, type InputMapping } from './predict.ts';

export interface TrainStepOptions {
  /**
   * AugMix's Jensen–Shannon consistency (§6.3): x holds [clean; aug1; aug2] blocks of B rows,
   * the cross-entropy sees the clean block only and `weight`·JS ties the three together.
   */
  consistency?: { weight: number };
}

/** What one step's figures read back as. */
export interface StepFigures {
  /** Mean loss of the batch. */
  loss: number;
  /** Samples of the batch (its clean view) classified correctly. */
  correct: number;
  /** correct / count. */
  accuracy: number;
}

/**
 * The loss and the correct count of one training step, still on the GPU: reading them waits
 * for the step to finish, so read them only when needed. The Classifier owns the two small
 * tensors and releases them at its next trainStep (or release(), or dispose()), so a loop that
 * never reads or releases a result leaks nothing; read a result before the next step.
 */
export class StepResult {
  private figures: StepFigures | undefined;
  private tensors: { loss: Tensor; correct: Tensor } | undefined;

  constructor(
    private readonly gpu: Gpu,
    loss: Tensor,
    correct: Tensor,
    /** Rows the loss and the correct count are over (the clean block with AugMix). */
    readonly count: number,
    /** The step it is the result of. */
    readonly step: number,
  ) {
    this.tensors = { loss, correct };
  }

  /** Mean loss of the batch (waits for the GPU). */
  async loss(): Promise<number> {
    return (await this.read()).loss;
  }

  /** Fraction of the batch classified correctly (waits for the GPU). */
  async accuracy(): Promise<number> {
    return (await this.read()).accuracy;
  }

  /** Loss, correct count and accuracy; read once, then remembered (and still there after release). */
  async read(): Promise<StepFigures> {
    if (this.figures) return this.figures;
    const tensors = this.tensors;
    if (!tensors) throw new Error(`StepResult of step ${this.step}: released (by the next trainStep, release() or dispose()) before it was read; read a step's result before taking the next step`);
    const [loss] = await this.gpu.read(tensors.loss);
    const [correct] = await this.gpu.readU32(tensors.correct);
    this.figures = { loss: loss!, correct: correct!, accuracy: correct! / this.count };
    return this.figures;
  }

  /** Whether the GPU tensors have gone back to the pool. */
  get released(): boolean {
    return this.tensors === undefined;
  }

  /** Returns the two tensors to the buffer pool now (idempotent). */
  release(): void {
    if (!this.tensors) return;
    this.gpu.release(this.tensors.loss, this.tensors.correct);
    this.tensors = undefined;
  }
}

/** How predictImages reads images and what it returns. */
export interface PredictImagesOptions extends InputMapping {
  /** Rows of logits (default) or of class probabilities (softmax). */
  output?: 'logits' | 'probabilities';
}

/** How evaluate reads a dataset's bytes (default: the classifier's inputs). */
export interface EvaluateOptions extends InputMapping {
  /** Images per forward pass (default 256). */
  batchSize?: number;
}

export class Classifier {
  readonly store: ParameterStore;
  readonly optimizer: SgdOptimizer;
  /**
   * How images map onto the network's input (their byte range and per-channel normalisation):
   * the default of predictImages and evaluate. A Trainer sets it from its augmentation options.
   */
  inputs: InputMapping = {};
  private last: StepResult | undefined;

  constructor(
    readonly gpu: Gpu,
    readonly model: Sequential,
    readonly seed: number,
    sgd: SgdSettings,
  ) {
    this.store = new ParameterStore(gpu, model.parameters, model.state);
    this.optimizer = new SgdOptimizer(gpu, this.store, sgd);
  }

  /**
   * One SGD step on a batch: x [B, ...], targets [B, C] probability rows. The result reads the
   * step's loss and accuracy lazily; it is released at the next trainStep, so nothing leaks.
   */
  async trainStep(step: number, x: Tensor, targets: Tensor, options: TrainStepOptions = {}): Promise<StepResult> {
    this.last?.release();
    this.last = undefined;
    const ctx: StepContext = { gpu: this.gpu, training: true, step, seed: this.seed };
    const logits = await this.model.forward(ctx, x);
    const { loss, dlogits, correct } = options.consistency
      ? await this.consistencyLoss(logits, targets, options.consistency.weight)
      : await softmaxCrossEntropy(this.gpu, logits, targets);
    await this.model.backward(ctx, dlogits);
    await this.optimizer.step(step);
    this.gpu.release(logits, dlogits);
    this.gpu.submit();
    const count = options.consistency ? targets.shape[0]! / 3 : targets.shape[0]!;
    return (this.last = new StepResult(this.gpu, loss, correct, count, step));
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

  /** Logits of a normalised GPU batch in evaluation mode (running batch-norm statistics, no dropout). Caller releases. */
  async predict(x: Tensor): Promise<Tensor> {
    return this.model.forward({ gpu: this.gpu, training: false, step: 0, seed: this.seed }, x);
  }

  /**
   * Rows of logits (or probabilities) [N, classes] of images as an app holds them: u8 or f32
   * NCHW samples of `shape`, or canvas ImageData with the network's channel count (1: grey
   * luma, 3: RGB, 4: RGBA). Bytes map onto `range` and are normalised as in training
   * (defaults: `inputs`); evaluation mode, in chunks that fit the device.
   */
  predictImages(images: SampleValues, shape: BatchShape, options?: PredictImagesOptions): Promise<Float32Array>;
  predictImages(images: ImageDataLike | readonly ImageDataLike[], channels: ImageChannels, options?: PredictImagesOptions): Promise<Float32Array>;
  async predictImages(
    images: SampleValues | ImageDataLike | readonly ImageDataLike[],
    shapeOrChannels: BatchShape | ImageChannels,
    options: PredictImagesOptions = {},
  ): Promise<Float32Array> {
    const where = 'Classifier.predictImages';
    let samples: SampleValues;
    let shape: BatchShape;
    if (typeof shapeOrChannels === 'number') {
      const converted = imageDataToBytes(Array.isArray(images) ? (images as readonly ImageDataLike[]) : [images as ImageDataLike], shapeOrChannels);
      samples = converted.images;
      shape = converted.shape;
    } else {
      checkSamples(where, images, shapeOrChannels);
      samples = images;
      shape = shapeOrChannels;
    }
    const output = checkOneOf(where, 'output', options.output ?? 'logits', ['logits', 'probabilities'] as const);
    const classes = this.classesFor(where, shape);
    const mapping: InputMapping = { range: options.range ?? this.inputs.range, normalization: options.normalization ?? this.inputs.normalization };
    const logits = await predictLogits(this.gpu, this, networkInput(where, samples, shape, mapping), shape, classes);
    return output === 'probabilities' ? softmaxRows(logits, classes) : logits;
  }

  /**
   * Error on a labelled dataset in evaluation mode: { errors, count, error } with error in %
   * (100 · errors / count). Bytes are read with `inputs` unless the options say otherwise.
   */
  async evaluate(dataset: ImageDataset, options: EvaluateOptions = {}): Promise<ErrorRate> {
    const predictor = classifierPredictor(this, {
      batchSize: options.batchSize,
      normalization: options.normalization ?? this.inputs.normalization,
      range: options.range ?? this.inputs.range,
    });
    try {
      return await cleanError(predictor, dataset);
    } finally {
      predictor.dispose();
    }
  }

  /** Releases the parameters and the last step's result. */
  dispose(): void {
    this.last?.release();
    this.last = undefined;
    this.store.dispose();
  }

  /** The class count the network gives for samples of `shape`; a shape it cannot take is refused here. */
  private classesFor(where: string, shape: BatchShape): number {
    let out: number[];
    try {
      out = this.model.outputShape([1, shape[1], shape[2], shape[3]]);
    } catch (error) {
      return fail(where, 'shape', `samples the network takes (${(error as Error).message})`, shape);
    }
    if (out.length !== 2) fail(where, 'shape', 'samples the network maps to one row of logits each', shape);
    return out[1]!;
  }
}
