// The Trainer: a whole training run a person can start, watch, stop and resume. It owns the
// epoch loop (shuffle, augment, step), the learning-rate schedule, evaluation on a test set,
// checkpoints, a metrics log and progress events.
// Every random draw is a function of the seed and the step or epoch — shuffles of (seed,
// epoch), augmentation and dropout of (seed, step) — and a checkpoint holds everything else
// that changes while training (weights, momentum, batch-norm statistics, the step), so a run
// resumed from a checkpoint repeats the uninterrupted run bit for bit on the same device.
// Browser-safe: files go through a FileStore (nodeFileStore from io/atomicFile.ts in Node).
import { AugmentationPipeline, type AugmentationOptions } from '../augment/pipeline.ts';
import { imageBytes, labelsAt, shuffledIndices } from '../data/batches.ts';
import type { ImageDataset } from '../data/imageDataset.ts';
import type { Gpu } from '../gpu/gpu.ts';
import type { FileStore } from '../io/atomicFile.ts';
import { crc32, decodeTrainingCheckpoint, encodeTrainingCheckpoint, type ModelLayout, type TrainingCheckpoint } from '../io/checkpoint.ts';
import { MetricsWriter } from '../io/metrics.ts';
import type { Sequential } from '../nn/sequential.ts';
import { Classifier, type StepResult } from './classifier.ts';
import { classifierPredictor, cleanError } from './evaluate.ts';
import { firstNonFinite, modelLayout, readWeights, writeWeights } from './weights.ts';
import { checkSchedule, checkSgd, scheduleFor, type ScheduleSettings, type SgdRecipe } from './presets.ts';
import { checkInteger, checkString, fail, ValidationError } from '../validate.ts';
import { loadWeights } from './weightsFile.ts';

/** Builds the model, its initial weights drawn from `seed`. */
export type ModelFactory = (seed: number) => Sequential;

export interface CheckpointOptions {
  path: string;
  /** Also write one every this many steps (default: only at the end and when aborted). */
  everySteps?: number;
  /** Start a fresh run over an existing checkpoint at `path` (default false: refuse). */
  overwrite?: boolean;
}

export interface TrainerOptions {
  /**
   * A factory (the Trainer builds the model and its optimizer from `sgd` and `schedule`), or a
   * Classifier to train as it is, with the optimizer and schedule it already has.
   */
  model: ModelFactory | Classifier;
  /** Recorded in checkpoints; a checkpoint of another model is refused (default "model"). */
  modelName?: string;
  dataset: ImageDataset;
  /** Clean error on it at the end of every `evalEvery`-th epoch and of the last. */
  testSet?: ImageDataset;
  epochs: number;
  batchSize: number;
  /** Required with a model factory; left out with a Classifier. */
  sgd?: SgdRecipe;
  /** Required with a model factory; left out with a Classifier. */
  schedule?: ScheduleSettings;
  augmentation?: AugmentationOptions;
  /** Initial weights, shuffles, augmentation and dropout (default 0, or the Classifier's). */
  seed?: number;
  /** Evaluate every this many epochs (default 1); the last epoch always is. */
  evalEvery?: number;
  /** Default: batchSize. */
  evalBatchSize?: number;
  /** Read the loss (which waits for the GPU) every this many steps and at each epoch's end (default 10). */
  reportEvery?: number;
  checkpoint?: CheckpointOptions;
  /** Appends JSON lines: start, step, epoch, checkpoint, done (io/metrics.ts). */
  metricsPath?: string;
  /** A checkpoint of this same run to continue from. */
  resume?: string;
  /**
   * Start from these weights instead of the model's own initial ones (fine-tuning): a plain
   * safetensors file (io/weights.ts), loaded before step 0, momentum zero. Not with `resume`.
   */
  initialWeights?: { bytes: Uint8Array; source: string };
  /** Where checkpoints and metrics go: required with checkpoint, metricsPath or resume. */
  files?: FileStore;
  /** Stops at the next step boundary, writes a checkpoint, resolves with status "aborted". */
  signal?: AbortSignal;
  /**
   * Awaited after every step, once its events are out: the place where a caller may use the
   * GPU (predict a probe set) or wait for a slow consumer without disturbing a step.
   */
  afterStep?: (step: number) => Promise<void> | void;
  /**
   * Resume from (or evaluate) a checkpoint holding NaN or ±Inf values (default false: refused).
   * Training itself always stops at a non-finite loss and never writes non-finite weights.
   */
  allowNonFinite?: boolean;
}

/** Training produced (or was asked to start from) NaN or ±Inf: the run stops, no such checkpoint is written. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

export interface StepEvent {
  /** 0-based epoch of the step. */
  epoch: number;
  /** 0-based index of the step just taken (the schedule's and the random streams' step). */
  step: number;
  stepsPerEpoch: number;
  totalSteps: number;
  /** Mean loss of the step's batch. */
  loss: number;
  /** Fraction of the batch (the clean view) classified correctly. */
  batchAccuracy: number;
  /** Learning rate of the step. */
  lr: number;
  /** Training images per second since the previous step event. */
  imagesPerSecond: number;
  /** At the average pace of this session so far (evaluations included). */
  etaSeconds: number;
}

export interface EpochEvent {
  /** 0-based epoch just finished. */
  epoch: number;
  epochs: number;
  /** Steps completed. */
  step: number;
  /** Test-set error in % when it was evaluated this epoch. */
  cleanError?: number;
  /** Seconds of this epoch (in this session), evaluation included. */
  seconds: number;
}

export interface CheckpointEvent {
  path: string;
  /** Steps completed: a resumed run continues with this step. */
  step: number;
}

export interface DoneEvent {
  status: 'completed' | 'aborted';
  /** Steps completed. */
  step: number;
  totalSteps: number;
  /** Seconds of this session. */
  seconds: number;
  /** The last test-set error in %, when one was evaluated this session. */
  cleanError?: number;
}

export interface TrainerEvents {
  step: StepEvent;
  epoch: EpochEvent;
  checkpoint: CheckpointEvent;
  done: DoneEvent;
}

type Listener<T> = (event: T) => void;

/** What defines a run's trajectory: recorded in checkpoints, and equal when resuming. */
interface RunSettings {
  epochs: number;
  batchSize: number;
  seed: number;
  sgd: SgdRecipe | null;
  schedule: ScheduleSettings | null;
  augmentation: AugmentationOptions;
  dataset: { shape: number[]; classes: number; crc32: string };
}

export class Trainer {
  readonly classifier: Classifier;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly modelName: string;
  private readonly settings: RunSettings;
  private readonly ownsClassifier: boolean;
  private readonly metrics: MetricsWriter | undefined;
  private readonly listeners: { [K in keyof TrainerEvents]: Set<Listener<TrainerEvents[K]>> } = {
    step: new Set(),
    epoch: new Set(),
    checkpoint: new Set(),
    done: new Set(),
  };
  private started = false;
  private lastCheckpointStep = -1;
  private lastCleanError: number | undefined;
  private shuffle: { epoch: number; order: Uint32Array } = { epoch: -1, order: new Uint32Array(0) };

  constructor(
    readonly gpu: Gpu,
    readonly options: TrainerOptions,
  ) {
    const where = 'Trainer';
    const { dataset, testSet, epochs, batchSize, model } = options;
    checkInteger(where, 'epochs', epochs, { min: 1 });
    checkInteger(where, 'batchSize', batchSize, { min: 1 });
    if (batchSize > dataset.shape[0]) throw new ValidationError(`${where}: batchSize ${batchSize} is larger than the dataset (${dataset.shape[0]} images)`);
    if (testSet) checkSameKind(dataset, testSet, where);
    checkInteger(where, 'evalEvery', options.evalEvery ?? 1, { min: 1 });
    checkInteger(where, 'evalBatchSize', options.evalBatchSize ?? batchSize, { min: 1 });
    checkInteger(where, 'reportEvery', options.reportEvery ?? 10, { min: 1 });
    if (options.checkpoint) {
      if (typeof options.checkpoint.path !== 'string' || options.checkpoint.path === '') throw new ValidationError(`${where}: checkpoint.path must be a file path`);
      if (options.checkpoint.everySteps !== undefined) checkInteger(where, 'checkpoint.everySteps', options.checkpoint.everySteps, { min: 1 });
    }
    if (options.initialWeights) checkInitialWeights(where, options.initialWeights, options.resume);
    if ((options.checkpoint || options.metricsPath || options.resume) && !options.files) {
      throw new ValidationError(`${where}: checkpoint, metricsPath and resume need options.files (in Node: nodeFileStore from io/atomicFile.ts)`);
    }
    this.modelName = options.modelName ?? 'model';
    this.stepsPerEpoch = Math.floor(dataset.shape[0] / batchSize); // the last partial batch is dropped
    this.totalSteps = epochs * this.stepsPerEpoch;
    let seed: number;
    if (model instanceof Classifier) {
      if (options.sgd || options.schedule) throw new ValidationError(`${where}: sgd and schedule come from the Classifier given as model: leave them out`);
      if (options.seed !== undefined && options.seed !== model.seed) throw new ValidationError(`${where}: seed ${options.seed} differs from the Classifier's seed ${model.seed}`);
      seed = model.seed;
      this.classifier = model;
      this.ownsClassifier = false;
    } else {
      if (typeof model !== 'function') throw new ValidationError(`${where}: model must be a factory (seed) => Sequential or a Classifier`);
      if (!options.sgd) throw new ValidationError(`${where}: sgd { lr, momentum, nesterov, weightDecay } is required with a model factory`);
      if (!options.schedule) throw new ValidationError(`${where}: schedule { kind, … } is required with a model factory`);
      checkSgd(where, options.sgd);
      checkSchedule(where, options.schedule, options.sgd.lr, epochs);
      seed = options.seed ?? 0;
      checkInteger(where, 'seed', seed, { min: 0, max: 0xffffffff });
      const { lr, ...sgd } = options.sgd;
      this.classifier = new Classifier(gpu, model(seed), seed, { ...sgd, schedule: scheduleFor(options.schedule, lr, epochs, this.stepsPerEpoch) });
      this.ownsClassifier = true;
    }
    this.settings = {
      epochs,
      batchSize,
      seed,
      sgd: options.sgd ?? null,
      schedule: options.schedule ?? null,
      augmentation: options.augmentation ?? {},
      dataset: { shape: [...dataset.shape], classes: dataset.classes, crc32: crc32(dataset.labels, crc32(dataset.images)).toString(16).padStart(8, '0') },
    };
    this.metrics = options.metricsPath ? new MetricsWriter(options.metricsPath, options.files!) : undefined;
    // predictImages and evaluate read images the way this run trains on them.
    const { range, normalization } = options.augmentation ?? {};
    this.classifier.inputs = { range, normalization };
  }

  get seed(): number {
    return this.settings.seed;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof TrainerEvents>(type: K, listener: Listener<TrainerEvents[K]>): () => void {
    this.listeners[type].add(listener);
    return () => this.listeners[type].delete(listener);
  }

  /** Trains to the end (or until aborted); a Trainer runs once. */
  async run(): Promise<DoneEvent> {
    if (this.started) throw new Error('Trainer.run: a Trainer runs once; make a new one with resume: <checkpoint> to continue');
    this.started = true;
    const session = performance.now();
    try {
      const first = await this.prepare();
      return await this.train(first, session);
    } catch (error) {
      await this.metrics?.write('error', { message: (error as Error).message }).catch(() => undefined);
      throw error;
    }
  }

  /** Releases the model when the Trainer built it (not a Classifier it was given). */
  dispose(): void {
    if (this.ownsClassifier) this.classifier.dispose();
  }

  private emit<K extends keyof TrainerEvents>(type: K, event: TrainerEvents[K]): void {
    for (const listener of this.listeners[type]) listener(event);
  }

  /** Resumes or checks that a fresh run overwrites nothing; returns the first step to take. */
  private async prepare(): Promise<number> {
    const { checkpoint, resume, files, initialWeights } = this.options;
    if (checkpoint && checkpoint.path !== resume && !checkpoint.overwrite && (await files!.exists(checkpoint.path))) {
      throw new Error(`Trainer: checkpoint ${checkpoint.path} already exists: resume from it (resume: its path) or set checkpoint.overwrite`);
    }
    if (initialWeights) loadWeights(this.gpu, this.classifier, initialWeights.bytes, initialWeights.source, { modelName: this.modelName });
    const first = resume ? await this.restore(resume) : 0;
    await this.metrics?.write('start', {
      step: first,
      totalSteps: this.totalSteps,
      stepsPerEpoch: this.stepsPerEpoch,
      model: this.modelName,
      parameters: this.classifier.store.count,
      resumedFrom: resume,
      initialWeights: initialWeights?.source,
      settings: this.settings,
    });
    return first;
  }

  private async train(first: number, session: number): Promise<DoneEvent> {
    const { gpu, classifier, stepsPerEpoch, totalSteps } = this;
    const { dataset, batchSize, signal, reportEvery = 10 } = this.options;
    const image: [number, number, number] = [dataset.shape[1], dataset.shape[2], dataset.shape[3]];
    const pipeline = await AugmentationPipeline.create(gpu, { image, classes: dataset.classes, batch: batchSize, seed: this.seed }, this.settings.augmentation);
    const pace = { since: performance.now(), images: 0, steps: 0, epochStart: performance.now() };
    let status: DoneEvent['status'] = 'completed';
    let step = first;
    try {
      while (step < totalSteps) {
        if (signal?.aborted) {
          status = 'aborted';
          break;
        }
        const indices = this.batchIndices(step);
        const batch = await pipeline.augment(step, imageBytes(dataset, indices), labelsAt(dataset, indices));
        const result = await classifier.trainStep(step, batch.x, batch.targets, { consistency: batch.consistency });
        pace.images += batchSize;
        pace.steps++;
        const lastOfEpoch = step % stepsPerEpoch === stepsPerEpoch - 1;
        // Reading the loss waits for the GPU: every reportEvery steps, to see it and to stop a diverged run.
        if ((step + 1) % reportEvery === 0 || lastOfEpoch) await this.reportStep(step, result, pace, session);
        result.release();
        step++;
        const every = this.options.checkpoint?.everySteps;
        if (every && step % every === 0 && step < totalSteps) await this.saveCheckpoint(step);
        if (lastOfEpoch) {
          await this.endEpoch(step / stepsPerEpoch - 1, step, pace.epochStart);
          pace.epochStart = performance.now();
        }
        await this.options.afterStep?.(step - 1);
      }
      if (this.options.checkpoint && this.lastCheckpointStep !== step) await this.saveCheckpoint(step);
    } finally {
      pipeline.dispose();
    }
    const done: DoneEvent = { status, step, totalSteps, seconds: (performance.now() - session) / 1000, cleanError: this.lastCleanError };
    await this.metrics?.write('done', { ...done });
    this.emit('done', done);
    return done;
  }

  /** The images of `step`'s batch: a slice of its epoch's shuffle, drawn from (seed, epoch). */
  private batchIndices(step: number): Uint32Array {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    if (this.shuffle.epoch !== epoch) this.shuffle = { epoch, order: shuffledIndices(this.options.dataset.shape[0], this.seed, epoch) };
    const first = (step % this.stepsPerEpoch) * this.options.batchSize;
    return this.shuffle.order.subarray(first, first + this.options.batchSize);
  }

  private async reportStep(step: number, result: StepResult, pace: { since: number; images: number; steps: number }, session: number): Promise<void> {
    const { loss, correct } = await result.read();
    if (!Number.isFinite(loss)) {
      // The step's tensors go back before the error leaves the loop.
      result.release();
      const kept = this.lastCheckpointStep >= 0 ? `; ${this.options.checkpoint!.path} keeps step ${this.lastCheckpointStep}` : '';
      throw new NonFiniteError(`Trainer: the loss is ${loss} at step ${step + 1}: training diverged, so it stopped without writing a checkpoint${kept}. A lower learning rate or a warm-up usually avoids it.`);
    }
    if (this.listeners.step.size === 0 && !this.metrics) return;
    const now = performance.now();
    const event: StepEvent = {
      epoch: Math.floor(step / this.stepsPerEpoch),
      step,
      stepsPerEpoch: this.stepsPerEpoch,
      totalSteps: this.totalSteps,
      loss,
      batchAccuracy: correct / this.options.batchSize,
      lr: this.classifier.optimizer.settings.schedule(step),
      imagesPerSecond: pace.images / Math.max((now - pace.since) / 1000, 1e-9),
      etaSeconds: ((now - session) / 1000 / pace.steps) * (this.totalSteps - step - 1),
    };
    pace.since = now;
    pace.images = 0;
    await this.metrics?.write('step', { ...event });
    this.emit('step', event);
  }

  private async endEpoch(epoch: number, step: number, epochStart: number): Promise<void> {
    const { testSet, epochs, evalEvery = 1, signal } = this.options;
    const due = (epoch + 1) % evalEvery === 0 || epoch === epochs - 1;
    let cleanError: number | undefined;
    if (testSet && due && !signal?.aborted) {
      const evalBatch = this.options.evalBatchSize ?? this.options.batchSize;
      cleanError = 100 * (1 - (await accuracy(this.classifier, testSet, evalBatch, this.settings.augmentation.normalization)));
      this.lastCleanError = cleanError;
    }
    const event: EpochEvent = { epoch, epochs, step, cleanError, seconds: (performance.now() - epochStart) / 1000 };
    await this.metrics?.write('epoch', { ...event });
    this.emit('epoch', event);
  }

  private layout(): ModelLayout {
    return modelLayout(this.modelName, this.classifier.store);
  }

  private async saveCheckpoint(step: number): Promise<void> {
    const { path } = this.options.checkpoint!;
    const weights = await readWeights(this.gpu, this.classifier.store);
    const bad = firstNonFinite(weights);
    if (bad) {
      const kept = this.lastCheckpointStep >= 0 ? `${path} keeps step ${this.lastCheckpointStep}` : `nothing was written to ${path}`;
      throw new NonFiniteError(`Trainer: ${bad} at step ${step}: training diverged; the checkpoint was not written (${kept}). A lower learning rate or a warm-up usually avoids it.`);
    }
    const checkpoint: TrainingCheckpoint = {
      model: this.modelName,
      step,
      epoch: Math.floor(step / this.stepsPerEpoch),
      seed: this.seed,
      settings: this.settings,
      ...weights,
    };
    await this.options.files!.replace(path, encodeTrainingCheckpoint(checkpoint, this.layout()));
    this.lastCheckpointStep = step;
    await this.metrics?.write('checkpoint', { path, step });
    this.emit('checkpoint', { path, step });
  }

  /** Loads weights, momentum and state from `path` after checking it belongs to this run. */
  private async restore(path: string): Promise<number> {
    let bytes: Uint8Array;
    try {
      bytes = await this.options.files!.read(path);
    } catch (error) {
      throw new Error(`Trainer: cannot read checkpoint ${path} to resume from (${(error as Error).message})`);
    }
    const checkpoint = decodeTrainingCheckpoint(bytes, path, this.layout());
    const bad = this.options.allowNonFinite ? undefined : firstNonFinite(checkpoint);
    if (bad) throw new NonFiniteError(`Trainer: checkpoint ${path} holds ${bad}: resuming would train on it (allowNonFinite, --allow-non-finite, resumes anyway)`);
    const differences = settingsDifferences(JSON.parse(JSON.stringify(this.settings)), checkpoint.settings);
    if (differences.length > 0) {
      throw new Error(`Trainer: checkpoint ${path} is from a run with other settings, so resuming would not continue it: ${differences.slice(0, 6).join('; ')}`);
    }
    if (checkpoint.step > this.totalSteps || checkpoint.epoch !== Math.floor(checkpoint.step / this.stepsPerEpoch)) {
      throw new Error(`Trainer: checkpoint ${path} says step ${checkpoint.step}, epoch ${checkpoint.epoch}, which this run (${this.totalSteps} steps, ${this.stepsPerEpoch} a epoch) cannot have reached`);
    }
    writeWeights(this.gpu, this.classifier.store, checkpoint);
    if (path === this.options.checkpoint?.path) this.lastCheckpointStep = checkpoint.step;
    return checkpoint.step;
  }
}

// Kept importable from here, where it was first (evalCommand.ts and tests use it).
export { firstNonFinite };

function checkInitialWeights(where: string, initial: NonNullable<TrainerOptions['initialWeights']>, resume: string | undefined): void {
  if (!(initial.bytes instanceof Uint8Array)) fail(where, 'initialWeights.bytes', 'a Uint8Array (the file)', initial.bytes);
  checkString(where, 'initialWeights.source', initial.source);
  if (resume !== undefined) throw new ValidationError(`${where}: initialWeights and resume exclude each other: a resumed run continues from its checkpoint's weights`);
}

function checkSameKind(dataset: ImageDataset, testSet: ImageDataset, where: string): void {
  const [, c, h, w] = dataset.shape;
  const [, tc, th, tw] = testSet.shape;
  if (c !== tc || h !== th || w !== tw || dataset.classes !== testSet.classes) {
    throw new ValidationError(`${where}: testSet has images [${tc}, ${th}, ${tw}] and ${testSet.classes} classes, the dataset [${c}, ${h}, ${w}] and ${dataset.classes}`);
  }
}

/** Paths where two JSON values differ, with both values, e.g. `sgd.lr: 0.05 here, 0.1 in the checkpoint`. */
function settingsDifferences(here: unknown, there: unknown, path = 'settings'): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(here) && isObject(there) && Array.isArray(here) === Array.isArray(there)) {
    const keys = [...new Set([...Object.keys(here), ...Object.keys(there)])];
    return keys.flatMap((k) => settingsDifferences(here[k], there[k], `${path}.${k}`));
  }
  if (JSON.stringify(here) === JSON.stringify(there)) return [];
  return [`${path}: ${JSON.stringify(here) ?? 'absent'} here, ${JSON.stringify(there) ?? 'absent'} in the checkpoint`];
}

/** Fraction of `data` classified correctly, through the training run's normalisation. */
export async function accuracy(
  classifier: Classifier, data: ImageDataset, batchSize = 256, normalization?: AugmentationOptions['normalization'],
): Promise<number> {
  const predictor = classifierPredictor(classifier, { batchSize, normalization });
  try {
    const { errors, count } = await cleanError(predictor, data);
    return 1 - errors / count;
  } finally {
    predictor.dispose();
  }
}
