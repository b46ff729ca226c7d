// What crosses the trainer worker's boundary: the requests, replies and progress reports of
// TrainerApi, all plain data (typed arrays are transferred, never copied twice).
import type { AugmentationOptions } from '../augment/pipeline.ts';
import type { BatchShape, SampleValues } from '../data/samples.ts';
import type { AcquireOptions } from '../device/device.ts';
import type { ModelShape, ModelSpec } from '../nn/models/index.ts';
import type { InputMapping } from '../train/predict.ts';
import type { RecipeSpec } from '../train/presets.ts';
import type { WorkerInfo } from './opsApi.ts';

export type { BatchShape, SampleValues, ModelSpec };

export interface TensorInfo {
  name: string;
  shape: readonly number[];
}

export interface ModelInfo extends ModelShape {
  seed: number;
  /** getWeights' layout: these parameters in order, then `state`, each flattened. */
  parameters: TensorInfo[];
  state: TensorInfo[];
  weightCount: number;
}

/** A RecipeSpec without preset or model (plain SGD unless stated), and samples in memory. */
export interface TrainRequest extends Omit<RecipeSpec, 'preset' | 'model' | 'evalBatchSize'> {
  epochs: number;
  batchSize: number;
  lr: number;
  images: SampleValues;
  shape: BatchShape;
  /** One integer label in 0..classes−1 per sample. */
  labels: ArrayLike<number>;
  classes: number;
  /** Shuffles, augmentation draws and dropout (default: the model's seed). */
  seed?: number;
  /** Report progress every this many steps and at each epoch's end (default 10). */
  reportEvery?: number;
  /** Samples to predict during training: class probabilities come with the progress reports. */
  probe?: { images: SampleValues; shape: BatchShape; /** at most every this many steps (default: every report) */ everySteps?: number };
}

export interface TrainProgress {
  epoch: number;
  /** 0-based step just taken. */
  step: number;
  stepsPerEpoch: number;
  totalSteps: number;
  loss: number;
  accuracy: number;
  lr: number;
  imagesPerSecond: number;
  etaSeconds: number;
  /** f32 [P, classes]: the probe's class probabilities after this step, when computed. */
  probe?: Float32Array;
}

export interface TrainSummary {
  status: 'completed' | 'aborted';
  steps: number;
  totalSteps: number;
  seconds: number;
  /** From the last progress report. */
  loss: number;
  accuracy: number;
  /** Float samples train as bytes: each value was rounded to one of 256 levels of the range. */
  quantised: boolean;
}

export interface PredictOptions extends InputMapping {
  output?: 'logits' | 'probabilities';
}

export interface AugmentRequest {
  images: SampleValues;
  shape: BatchShape;
  labels: ArrayLike<number>;
  classes: number;
  augmentation: AugmentationOptions;
  seed: number;
  /** The training step whose draws to use (default 0). */
  step?: number;
}

export interface AugmentedSamples {
  /** f32 [N, C, H, W]: the augmented samples, normalised as augmentation.normalization says. */
  x: Float32Array;
  /** f32 [N, classes]: their (soft) label rows. */
  targets: Float32Array;
}

export interface TrainerApi {
  init(options?: AcquireOptions): Promise<WorkerInfo>;
  /** Builds a model with weights drawn from `seed` (default 0), replacing any previous one. */
  createModel(spec: ModelSpec, seed?: number): Promise<ModelInfo>;
  /** A fresh run from step 0 over the current weights (new momentum); resolves when it ends or is stopped. */
  train(request: TrainRequest, onProgress?: (progress: TrainProgress) => void | Promise<void>): Promise<TrainSummary>;
  /** Ends a running train() after the step in progress; it resolves with status 'aborted'. */
  stop(): void;
  /** f32 [N, classes] logits (or probabilities) in evaluation mode; the mapping defaults to the last train()'s. */
  predict(images: SampleValues, shape: BatchShape, options?: PredictOptions): Promise<Float32Array>;
  /** One batch through the augmentation pipeline, as training would see it at `step`. */
  augment(request: AugmentRequest): Promise<AugmentedSamples>;
  /** Every weight, in ModelInfo's layout. */
  getWeights(): Promise<Float32Array>;
  setWeights(weights: Float32Array): Promise<void>;
  /** Releases the model and the worker's device. */
  dispose(): void;
}
