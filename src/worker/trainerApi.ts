// The trainer as a worker exposes it: one model on the worker's device, built, trained,
// queried and saved through plain arrays, so the same calls work in Node worker_threads and in
// browser Web Workers. Training runs the Trainer (train/trainer.ts); between its steps the
// worker computes what progress reports ask for (predictions on a probe set, e.g. the grid a
// decision boundary is drawn from), so nothing else touches the GPU while a step is recorded.
import { transfer } from 'comlink';
import type { AugmentationOptions } from '../augment/pipeline.ts';
import { AugmentationPipeline } from '../augment/pipeline.ts';
import type { AcquireOptions } from '../device/device.ts';
import { checkDataset, MAX_CLASSES, type ImageDataset } from '../data/imageDataset.ts';
import type { Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { ReLU } from '../nn/activations.ts';
import { Flatten } from '../nn/flatten.ts';
import { initContexts } from '../nn/init.ts';
import type { Layer } from '../nn/layer.ts';
import { Linear } from '../nn/linear.ts';
import { mnistCnn } from '../nn/models/mnistCnn.ts';
import { Sequential } from '../nn/sequential.ts';
import type { SgdSettings } from '../optim/sgdOptimizer.ts';
import { Classifier, type StepResult, type TrainStepOptions } from '../train/classifier.ts';
import { checkSchedule, checkSgd, scheduleFor, type ScheduleSettings, type SgdRecipe } from '../train/presets.ts';
import { Trainer, type StepEvent } from '../train/trainer.ts';
import { modelLayout, readWeights, writeWeights } from '../train/weights.ts';
import type { WorkerDevice, WorkerInfo } from './opsApi.ts';

/** What createModel builds: a multilayer perceptron (ReLU between layers) or the paper's MNIST CNN. */
export type ModelSpec =
  | { kind: 'mlp'; inputs: number; hidden: readonly number[]; classes: number }
  | { kind: 'mnist-cnn'; classes?: number; inChannels?: number };

export interface TensorInfo {
  name: string;
  shape: readonly number[];
}

export interface ModelInfo {
  kind: ModelSpec['kind'];
  classes: number;
  /** Values of one input sample (C·H·W). */
  inputSize: number;
  /** [C, H, W] where the model needs exactly that image shape (the CNN). */
  inputShape?: readonly [number, number, number];
  seed: number;
  /** getWeights' layout: these parameters in order, then `state`, each flattened. */
  parameters: TensorInfo[];
  state: TensorInfo[];
  weightCount: number;
}

/** [N, C, H, W]: N samples of C planes of H × W; 2-D points are [N, 1, 1, 2]. */
export type BatchShape = readonly [number, number, number, number];

/**
 * Samples, NCHW: bytes map linearly onto the value range (0 → lo, 255 → hi), floats are the
 * values themselves. The range is augmentation.range (default [0, 1]).
 */
export type SampleValues = Uint8Array | Float32Array;

export interface TrainRequest {
  images: SampleValues;
  shape: BatchShape;
  /** One integer label in 0..classes−1 per sample. */
  labels: ArrayLike<number>;
  classes: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Default 0.9. */
  momentum?: number;
  /** Default 0. */
  weightDecay?: number;
  /** Default false. */
  nesterov?: boolean;
  /** Default constant; e.g. { kind: 'cosine', lrMin: 0 }. */
  schedule?: ScheduleSettings;
  /** Method ('none', 'l2', 'esp', …), its settings, the value range and normalisation. */
  augmentation?: AugmentationOptions;
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
  /** Mean loss of the step's batch. */
  loss: number;
  /** Fraction of the step's batch classified correctly. */
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
  /**
   * Float samples train as bytes: the augmentation pipeline uploads u8 pixels, so each value
   * was rounded to one of 256 levels of the range (a step of (hi − lo)/255).
   */
  quantised: boolean;
}

export interface PredictOptions {
  output?: 'logits' | 'probabilities';
  /** Default: the last train()'s augmentation.range, else [0, 1]. */
  range?: readonly [number, number];
  /** Default: the last train()'s augmentation.normalization, else none. */
  normalization?: AugmentationOptions['normalization'];
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
  /** f32 [N, classes] logits (or probabilities) in evaluation mode. */
  predict(images: SampleValues, shape: BatchShape, options?: PredictOptions): Promise<Float32Array>;
  /** One batch through the augmentation pipeline, as training would see it at `step`. */
  augment(request: AugmentRequest): Promise<AugmentedSamples>;
  /** Every weight, in ModelInfo's layout. */
  getWeights(): Promise<Float32Array>;
  setWeights(weights: Float32Array): Promise<void>;
  /** Releases the model and the worker's device. */
  dispose(): void;
}

/** A Classifier that lets the worker run its own GPU work at the boundary before each step. */
class SteppedClassifier extends Classifier {
  beforeStep: (() => Promise<void>) | undefined;

  override async trainStep(step: number, x: Tensor, targets: Tensor, options?: TrainStepOptions): Promise<StepResult> {
    await this.beforeStep?.();
    return super.trainStep(step, x, targets, options);
  }
}

interface Model {
  info: ModelInfo;
  net: Sequential;
  classifier: SteppedClassifier;
  /** How the last train() read its samples: predict's defaults. */
  inputs: Pick<PredictOptions, 'range' | 'normalization'>;
}

const IDLE_SGD: SgdSettings = { momentum: 0, nesterov: false, weightDecay: 0, schedule: () => 0 };

export function createTrainerApi(device: WorkerDevice): TrainerApi {
  let model: Model | undefined;
  let running: AbortController | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  /** GPU work one call at a time; refused while train() runs rather than queued behind it. */
  const exclusive = <T>(what: string, task: () => Promise<T>): Promise<T> => {
    if (running) return Promise.reject(new Error(`${what}: train() is running; stop() it and wait for it to end, or pass train a probe to see predictions while it trains`));
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  };
  const current = (what: string): Model => {
    if (!model) throw new Error(`${what}: no model yet: call createModel() first`);
    return model;
  };

  return {
    init: (options) => device.acquire(options),

    createModel(spec, seed = 0) {
      return exclusive('createModel', async () => {
        const gpu = device.get();
        checkSeed('createModel', seed);
        const { net, info } = buildModel(spec, seed);
        const classifier = new SteppedClassifier(gpu, net, seed, { ...IDLE_SGD });
        model?.classifier.dispose();
        model = { info: { ...info, ...layoutOf(classifier) }, net, classifier, inputs: {} };
        return model.info;
      });
    },

    train(request, onProgress) {
      return exclusive('train', async () => {
        const m = current('train');
        const controller = new AbortController();
        running = controller;
        try {
          return await runTraining(device.get(), m, request, controller.signal, onProgress);
        } finally {
          running = undefined;
        }
      });
    },

    stop() {
      running?.abort();
    },

    predict(images, shape, options = {}) {
      return exclusive('predict', async () => {
        const m = current('predict');
        const { output = 'logits' } = options;
        if (output !== 'logits' && output !== 'probabilities') throw new RangeError(`predict: output must be 'logits' or 'probabilities', got ${String(output)}`);
        checkSamples('predict', images, shape);
        checkModelInput('predict', m.info, shape);
        const inputs = { range: options.range ?? m.inputs.range, normalization: options.normalization ?? m.inputs.normalization };
        const logits = await predictRows(device.get(), m, modelInput('predict', images, shape, inputs), shape);
        if (output === 'probabilities') softmaxRows(logits, m.info.classes);
        return transfer(logits, [logits.buffer]);
      });
    },

    augment(request) {
      return exclusive('augment', async () => augmentOnce(device.get(), request));
    },

    getWeights() {
      return exclusive('getWeights', async () => {
        const weights = await flatWeights(device.get(), current('getWeights').classifier);
        return transfer(weights, [weights.buffer]);
      });
    },

    setWeights(weights) {
      return exclusive('setWeights', async () => setFlatWeights(device.get(), current('setWeights'), weights));
    },

    dispose() {
      running?.abort();
      model?.classifier.dispose();
      model = undefined;
      device.dispose();
    },
  };
}

// ---- models ----

function buildModel(spec: ModelSpec, seed: number): { net: Sequential; info: Omit<ModelInfo, 'parameters' | 'state' | 'weightCount'> } {
  const kind = (spec as { kind?: unknown } | undefined)?.kind;
  if (kind === 'mlp') {
    const { inputs, hidden, classes } = spec as Extract<ModelSpec, { kind: 'mlp' }>;
    checkInteger('createModel', 'spec.inputs', inputs, 1);
    if (!Array.isArray(hidden)) throw new RangeError(`createModel: spec.hidden must be an array of layer widths, got ${String(hidden)}`);
    hidden.forEach((h, i) => checkInteger('createModel', `spec.hidden[${i}]`, h, 1));
    checkClasses('createModel', 'spec.classes', classes);
    return { net: mlp(inputs, hidden, classes, seed), info: { kind, classes, inputSize: inputs, seed } };
  }
  if (kind === 'mnist-cnn') {
    const { classes = 10, inChannels = 1 } = spec as Extract<ModelSpec, { kind: 'mnist-cnn' }>;
    checkClasses('createModel', 'spec.classes', classes);
    checkInteger('createModel', 'spec.inChannels', inChannels, 1);
    const inputShape = [inChannels, 28, 28] as const;
    return { net: mnistCnn({ seed, classes, inChannels }), info: { kind, classes, inputSize: 784 * inChannels, inputShape, seed } };
  }
  throw new RangeError(`createModel: spec.kind must be 'mlp' or 'mnist-cnn', got ${JSON.stringify(kind)}`);
}

/** Flatten, then Linear + ReLU per hidden width, then a Linear to the classes. */
function mlp(inputs: number, hidden: readonly number[], classes: number, seed: number): Sequential {
  const layers: Layer[] = [new Flatten('flatten')];
  let width = inputs;
  hidden.forEach((h, i) => {
    layers.push(new Linear(`fc${i + 1}`, width, h, initContexts(seed, i)), new ReLU(`relu${i + 1}`));
    width = h;
  });
  layers.push(new Linear(`fc${hidden.length + 1}`, width, classes, initContexts(seed, hidden.length)));
  return new Sequential(layers, 'mlp');
}

function layoutOf(classifier: Classifier): Pick<ModelInfo, 'parameters' | 'state' | 'weightCount'> {
  const { parameters, state } = modelLayout('model', classifier.store);
  const weightCount = [...parameters, ...state].reduce((n, t) => n + size(t.shape), 0);
  return { parameters: parameters.map((p) => ({ name: p.name, shape: [...p.shape] })), state: state.map((s) => ({ name: s.name, shape: [...s.shape] })), weightCount };
}

/** Every weight in ModelInfo's layout: the parameters, then the state tensors, each flattened. */
async function flatWeights(gpu: Gpu, classifier: Classifier): Promise<Float32Array> {
  const { store } = classifier;
  const { parameters, state } = await readWeights(gpu, store);
  const tensors = [...store.parameters.map((p) => parameters.get(p.name)!), ...store.state.map((s) => state.get(s.name)!)];
  const out = new Float32Array(tensors.reduce((n, t) => n + t.length, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t, at);
    at += t.length;
  }
  return out;
}

/** Loads flatWeights' layout; the optimizer's momentum starts again from zero. */
function setFlatWeights(gpu: Gpu, model: Model, weights: Float32Array): void {
  const { store } = model.classifier;
  if (!(weights instanceof Float32Array)) throw new TypeError(`setWeights: weights must be a Float32Array, got ${describeValue(weights)}`);
  if (weights.length !== model.info.weightCount) {
    throw new RangeError(`setWeights: this ${model.info.kind} has ${model.info.weightCount} weights, got ${weights.length}`);
  }
  const bad = weights.findIndex((w) => !Number.isFinite(w));
  if (bad >= 0) throw new RangeError(`setWeights: weight ${bad} is ${weights[bad]}, expected a finite number`);
  let at = 0;
  const take = (count: number) => weights.slice(at, (at += count));
  const parameters = new Map(store.parameters.map((p) => [p.name, take(p.size)]));
  const state = new Map(store.state.map((s) => [s.name, take(s.value.size)]));
  const momentum = new Map(store.parameters.map((p) => [p.name, new Float32Array(p.size)]));
  writeWeights(gpu, store, { parameters, momentum, state });
}

// ---- training ----

async function runTraining(
  gpu: Gpu,
  model: Model,
  request: TrainRequest,
  signal: AbortSignal,
  onProgress: ((progress: TrainProgress) => void | Promise<void>) | undefined,
): Promise<TrainSummary> {
  const where = 'train';
  if (typeof request !== 'object' || request === null) throw new TypeError(`${where}: expected a request object, got ${describeValue(request)}`);
  const { epochs, batchSize, augmentation = {}, reportEvery = 10, probe } = request;
  checkInteger(where, 'epochs', epochs, 1);
  checkInteger(where, 'batchSize', batchSize, 1);
  checkInteger(where, 'reportEvery', reportEvery, 1);
  const seed = request.seed ?? model.info.seed;
  checkSeed(where, seed);
  if (request.classes !== model.info.classes) throw new RangeError(`${where}: classes is ${request.classes}, the model has ${model.info.classes}`);
  const dataset = trainingSet(request);
  checkModelInput(where, model.info, request.shape);
  if (batchSize > dataset.shape[0]) throw new RangeError(`${where}: batchSize ${batchSize} is larger than the ${dataset.shape[0]} samples`);
  if (probe) {
    checkSamples(`${where}: probe`, probe.images, probe.shape);
    checkModelInput(`${where}: probe`, model.info, probe.shape);
    if (probe.everySteps !== undefined) checkInteger(where, 'probe.everySteps', probe.everySteps, 1);
  }
  const stepsPerEpoch = Math.floor(dataset.shape[0] / batchSize);
  const sgd = sgdFor(request, stepsPerEpoch);
  const classifier = await reseeded(gpu, model, seed, sgd);
  model.inputs = { range: augmentation.range, normalization: augmentation.normalization };
  const probeInput = probe && modelInput(`${where}: probe`, probe.images, probe.shape, model.inputs);

  const trainer = new Trainer(gpu, { model: classifier, dataset, epochs, batchSize, augmentation, reportEvery, signal });
  const pending: StepEvent[] = [];
  let last: StepEvent | undefined;
  let nextProbe = 0;
  trainer.on('step', (event) => pending.push(event));
  // Reports go out at step boundaries, where predicting the probe cannot disturb a step.
  const deliver = async () => {
    for (const event of pending.splice(0)) {
      last = event;
      const progress: TrainProgress = {
        epoch: event.epoch, step: event.step, stepsPerEpoch: event.stepsPerEpoch, totalSteps: event.totalSteps,
        loss: event.loss, accuracy: event.batchAccuracy, lr: event.lr, imagesPerSecond: event.imagesPerSecond, etaSeconds: event.etaSeconds,
      };
      const final = event.step === event.totalSteps - 1;
      if (probeInput && (event.step >= nextProbe || final)) {
        progress.probe = softmaxRows(await predictRows(gpu, model, probeInput, probe!.shape), model.info.classes);
        nextProbe = event.step + (probe!.everySteps ?? 1);
      }
      await onProgress?.(progress.probe ? transfer(progress, [progress.probe.buffer]) : progress);
    }
  };
  classifier.beforeStep = deliver;
  try {
    const done = await trainer.run();
    await deliver();
    return {
      status: done.status,
      steps: done.step,
      totalSteps: done.totalSteps,
      seconds: done.seconds,
      loss: last?.loss ?? Number.NaN,
      accuracy: last?.batchAccuracy ?? Number.NaN,
      quantised: request.images instanceof Float32Array,
    };
  } finally {
    classifier.beforeStep = undefined;
  }
}

function sgdFor(request: TrainRequest, stepsPerEpoch: number): SgdSettings {
  const recipe: SgdRecipe = { lr: request.lr, momentum: request.momentum ?? 0.9, nesterov: request.nesterov ?? false, weightDecay: request.weightDecay ?? 0 };
  checkSgd(recipe, 'train');
  const schedule = request.schedule ?? { kind: 'constant' };
  checkSchedule(schedule, recipe.lr, request.epochs, 'train');
  const { lr, ...rest } = recipe;
  return { ...rest, schedule: scheduleFor(schedule, lr, request.epochs, stepsPerEpoch) };
}

/**
 * The model's Classifier for a run: a Classifier's seed and optimizer are fixed when it is
 * made, so each run gets a new one (fresh momentum) carrying the current weights over.
 */
async function reseeded(gpu: Gpu, model: Model, seed: number, sgd: SgdSettings): Promise<SteppedClassifier> {
  const weights = await flatWeights(gpu, model.classifier);
  model.classifier.dispose();
  model.classifier = new SteppedClassifier(gpu, model.net, seed, sgd);
  setFlatWeights(gpu, model, weights);
  return model.classifier;
}

/** The request's samples as the byte dataset the Trainer reads. */
function trainingSet(request: TrainRequest): ImageDataset {
  const where = 'train';
  const { images, shape, labels, classes } = request;
  checkSamples(where, images, shape);
  checkClasses(where, 'classes', classes);
  const bytes = images instanceof Uint8Array ? images : quantise(images, request.augmentation?.range ?? [0, 1], where);
  return checkDataset({ shape: [...shape], images: bytes, labels: labelBytes(where, labels, shape[0], classes), classes }, where);
}

/** Floats inside [lo, hi] to the nearest of 256 levels, as the kernel maps bytes back. */
function quantise(values: Float32Array, range: readonly [number, number], where: string): Uint8Array {
  const [lo, hi] = checkRange(where, range);
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= lo && v <= hi)) throw new RangeError(`${where}: value ${v} at index ${i} is outside augmentation.range [${lo}, ${hi}]`);
    out[i] = Math.round(((v - lo) / (hi - lo)) * 255);
  }
  return out;
}

function labelBytes(where: string, labels: ArrayLike<number>, count: number, classes: number): Uint8Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw new TypeError(`${where}: labels must be an array of integers, got ${describeValue(labels)}`);
  if (labels.length !== count) throw new RangeError(`${where}: ${count} samples but ${labels.length} labels`);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels[i]!;
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) throw new RangeError(`${where}: label ${label} at index ${i} is outside 0..${classes - 1}`);
    out[i] = label;
  }
  return out;
}

// ---- prediction and augmentation ----

/** Samples as the network's input: values in the range, then (x − mean)/std per channel, as the kernel does. */
function modelInput(where: string, images: SampleValues, shape: BatchShape, inputs: Pick<PredictOptions, 'range' | 'normalization'>): Float32Array {
  const [lo, hi] = checkRange(where, inputs.range ?? [0, 1]);
  const [, channels, height, width] = shape;
  const { mean, std } = inputs.normalization ?? { mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  if (mean.length !== channels || std.length !== channels || !std.every((s) => s > 0)) {
    throw new RangeError(`${where}: normalization must give a mean and a std > 0 for each of the ${channels} channels`);
  }
  const plane = height * width;
  const out = new Float32Array(images.length);
  const bytes = images instanceof Uint8Array;
  for (let i = 0; i < images.length; i++) {
    const c = Math.floor(i / plane) % channels;
    const value = bytes ? lo + (hi - lo) * (images[i]! / 255) : images[i]!;
    out[i] = (value - mean[c]!) / std[c]!;
  }
  return out;
}

/** Logits [N, classes], in chunks small enough for the largest activation to fit a buffer. */
async function predictRows(gpu: Gpu, model: Model, input: Float32Array, shape: BatchShape): Promise<Float32Array> {
  const [count, ...sample] = shape;
  const per = size(sample);
  const chunk = chunkRows(gpu, model.net, sample);
  const classes = model.info.classes;
  const out = new Float32Array(count * classes);
  for (let start = 0; start < count; start += chunk) {
    const rows = Math.min(chunk, count - start);
    const x = gpu.upload(input.subarray(start * per, (start + rows) * per), [rows, ...sample]);
    try {
      const logits = await model.classifier.predict(x);
      out.set(await gpu.read(logits), start * classes);
      gpu.release(logits);
    } finally {
      gpu.release(x);
    }
  }
  return out;
}

const PREDICT_BUFFER_BYTES = 32 * 2 ** 20;

function chunkRows(gpu: Gpu, net: Sequential, sample: readonly number[]): number {
  let shape = [1, ...sample];
  let largest = size(shape);
  for (const layer of net.layers) {
    shape = layer.outputShape(shape);
    largest = Math.max(largest, size(shape));
  }
  const bytes = Math.min(PREDICT_BUFFER_BYTES, gpu.limits.maxStorageBufferBindingSize);
  return Math.max(1, Math.min(4096, Math.floor(bytes / (4 * largest))));
}

function softmaxRows(values: Float32Array, classes: number): Float32Array {
  for (let r = 0; r < values.length; r += classes) {
    const row = values.subarray(r, r + classes);
    const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += row[c] = Math.exp(row[c]! - max);
    for (let c = 0; c < classes; c++) row[c]! /= sum;
  }
  return values;
}

async function augmentOnce(gpu: Gpu, request: AugmentRequest): Promise<AugmentedSamples> {
  const where = 'augment';
  if (typeof request !== 'object' || request === null) throw new TypeError(`${where}: expected a request object, got ${describeValue(request)}`);
  const { images, shape, labels, classes, augmentation, seed, step = 0 } = request;
  checkSamples(where, images, shape);
  checkClasses(where, 'classes', classes);
  checkSeed(where, seed);
  checkInteger(where, 'step', step, 0);
  const bytes = images instanceof Uint8Array ? images : quantise(images, augmentation?.range ?? [0, 1], where);
  const [count, c, h, w] = shape;
  const pipeline = await AugmentationPipeline.create(gpu, { image: [c, h, w], classes, batch: count, seed }, augmentation);
  try {
    const out = await pipeline.augment(step, bytes, labelBytes(where, labels, count, classes));
    const x = await gpu.read(out.x);
    const targets = await gpu.read(out.targets);
    return transfer({ x, targets }, [x.buffer, targets.buffer]);
  } finally {
    pipeline.dispose();
  }
}

// ---- argument checks ----

function checkSamples(where: string, images: unknown, shape: unknown): void {
  if (!(images instanceof Uint8Array || images instanceof Float32Array)) {
    throw new TypeError(`${where}: images must be a Uint8Array (bytes) or Float32Array (values), got ${describeValue(images)}`);
  }
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new RangeError(`${where}: shape must be [N, C, H, W] of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (images.length !== size(shape)) throw new RangeError(`${where}: shape [${shape.join(', ')}] needs ${size(shape)} values, images has ${images.length}`);
}

function checkModelInput(where: string, info: ModelInfo, shape: BatchShape): void {
  const [, c, h, w] = shape;
  if (info.inputShape) {
    const [ic, ih, iw] = info.inputShape;
    if (c !== ic || h !== ih || w !== iw) throw new RangeError(`${where}: the ${info.kind} takes samples [${ic}, ${ih}, ${iw}], got [${c}, ${h}, ${w}]`);
  } else if (c * h * w !== info.inputSize) {
    throw new RangeError(`${where}: the ${info.kind} takes ${info.inputSize} values a sample, got [${c}, ${h}, ${w}] = ${c * h * w}`);
  }
}

function checkRange(where: string, range: readonly [number, number]): readonly [number, number] {
  const [lo, hi] = Array.isArray(range) ? range : [Number.NaN, Number.NaN];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new RangeError(`${where}: range must be [lo, hi] with finite lo < hi, got ${JSON.stringify(range)}`);
  return [lo!, hi!];
}

function checkInteger(where: string, name: string, value: unknown, min: number): void {
  if (!(Number.isSafeInteger(value) && (value as number) >= min)) throw new RangeError(`${where}: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
}

function checkClasses(where: string, name: string, value: unknown): void {
  if (!(Number.isInteger(value) && (value as number) >= 2 && (value as number) <= MAX_CLASSES)) {
    throw new RangeError(`${where}: ${name} must be an integer in 2..${MAX_CLASSES}, got ${String(value)}`);
  }
}

function checkSeed(where: string, seed: unknown): void {
  if (!(Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) <= 0xffffffff)) throw new RangeError(`${where}: seed must be an integer in 0..2³²−1, got ${String(seed)}`);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : `${typeof value} ${String(value)}`;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
