// The trainer as a worker exposes it: one model on the worker's device, built, trained,
// queried and saved through plain arrays, so the same calls work in Node worker_threads and in
// browser Web Workers. Transport only: models come from nn/models, the recipe from
// train/presets' resolveRecipe, training from the Trainer, predictions from train/predict,
// sample checks from data/samples. Progress reports go out from the Trainer's afterStep hook,
// where predicting a probe set cannot disturb a step.
import { transfer } from 'comlink';
import { AugmentationPipeline } from '../augment/pipeline.ts';
import { labelBytes, quantiseSamples, samplesDataset, checkSamples, type BatchShape } from '../data/samples.ts';
import { buildModel } from '../nn/models/index.ts';
import { Classifier } from '../train/classifier.ts';
import { networkInput, predictLogits, softmaxRows, type InputMapping } from '../train/predict.ts';
import { resolveRecipe } from '../train/presets.ts';
import { Trainer, type StepEvent } from '../train/trainer.ts';
import { modelLayout, readFlatWeights, writeFlatWeights } from '../train/weights.ts';
import { checkInteger, checkOneOf, checkU32, fail } from '../validate.ts';
import type { WorkerDevice } from './opsApi.ts';
import type { AugmentedSamples, AugmentRequest, ModelInfo, TensorInfo, TrainerApi, TrainProgress, TrainRequest, TrainSummary } from './trainerProtocol.ts';

export type * from './trainerProtocol.ts';

interface Model {
  info: ModelInfo;
  classifier: Classifier;
  /** How the last train() read its samples: predict's defaults. */
  inputs: InputMapping;
}

const IDLE = { momentum: 0, nesterov: false, weightDecay: 0, schedule: () => 0 };

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
  const current = (what: string): Model => model ?? fail(what, 'the model', 'created first with createModel()', undefined);
  const predict = (m: Model, input: Float32Array, shape: BatchShape) => predictLogits(device.get(), m.classifier, input, shape, m.info.classes);

  async function train(m: Model, request: TrainRequest, signal: AbortSignal, onProgress?: (p: TrainProgress) => void | Promise<void>): Promise<TrainSummary> {
    const where = 'train';
    const { images, shape, labels, classes, reportEvery = 10, probe, seed = m.info.seed, ...recipeSpec } = request;
    const recipe = resolveRecipe({ ...recipeSpec, model: m.info.kind }, where);
    if (classes !== m.info.classes) fail(where, 'classes', `the model's ${m.info.classes}`, classes);
    const dataset = samplesDataset(where, images, shape, labels, classes, recipe.augmentation.range);
    checkModelInput(where, m.info, shape);
    if (probe) {
      checkSamples(`${where}: probe`, probe.images, probe.shape);
      checkModelInput(`${where}: probe`, m.info, probe.shape);
      if (probe.everySteps !== undefined) checkInteger(where, 'probe.everySteps', probe.everySteps, { min: 1 });
    }
    m.inputs = { range: recipe.augmentation.range, normalization: recipe.augmentation.normalization };
    const probeInput = probe && networkInput(`${where}: probe`, probe.images, probe.shape, m.inputs);
    const gpu = device.get();
    const weights = await readFlatWeights(gpu, m.classifier.store);
    // A run gets a new Classifier (fresh momentum, the run's seed) over the same network and weights.
    const trainer = new Trainer(gpu, { ...recipe, model: () => m.classifier.model, dataset, seed, reportEvery, signal, afterStep: () => deliver() });
    writeFlatWeights(gpu, trainer.classifier.store, weights);
    m.classifier.dispose();
    m.classifier = trainer.classifier;
    const pending: StepEvent[] = [];
    let last: StepEvent | undefined;
    let nextProbe = 0;
    trainer.on('step', (event) => pending.push(event));
    const deliver = async () => {
      for (const event of pending.splice(0)) {
        last = event;
        const { batchAccuracy: accuracy, ...rest } = event;
        const progress: TrainProgress = { ...rest, accuracy };
        if (probeInput && (event.step >= nextProbe || event.step === event.totalSteps - 1)) {
          progress.probe = softmaxRows(await predict(m, probeInput, probe!.shape), m.info.classes);
          nextProbe = event.step + (probe!.everySteps ?? 1);
        }
        await onProgress?.(progress.probe ? transfer(progress, [progress.probe.buffer]) : progress);
      }
    };
    const done = await trainer.run();
    await deliver();
    return { status: done.status, steps: done.step, totalSteps: done.totalSteps, seconds: done.seconds, loss: last?.loss ?? Number.NaN, accuracy: last?.batchAccuracy ?? Number.NaN, quantised: images instanceof Float32Array };
  }

  return {
    init: (options) => device.acquire(options),

    createModel: (spec, seed = 0) =>
      exclusive('createModel', async () => {
        checkU32('createModel', 'seed', seed);
        const { net, shape } = buildModel(spec, seed, 'createModel');
        const classifier = new Classifier(device.get(), net, seed, IDLE);
        model?.classifier.dispose();
        const { parameters, state } = modelLayout('model', classifier.store);
        const weightCount = [...parameters, ...state].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
        model = { info: { ...shape, seed, parameters: parameters.map(copyInfo), state: state.map(copyInfo), weightCount }, classifier, inputs: {} };
        return model.info;
      }),

    train: (request, onProgress) =>
      exclusive('train', async () => {
        const m = current('train');
        if (typeof request !== 'object' || request === null) fail('train', 'request', 'an object', request);
        running = new AbortController();
        try {
          return await train(m, request, running.signal, onProgress);
        } finally {
          running = undefined;
        }
      }),

    stop: () => running?.abort(),

    predict: (images, shape, options = {}) =>
      exclusive('predict', async () => {
        const m = current('predict');
        const output = checkOneOf('predict', 'output', options.output ?? 'logits', ['logits', 'probabilities']);
        checkSamples('predict', images, shape);
        checkModelInput('predict', m.info, shape);
        const mapping = { range: options.range ?? m.inputs.range, normalization: options.normalization ?? m.inputs.normalization };
        const logits = await predict(m, networkInput('predict', images, shape, mapping), shape);
        if (output === 'probabilities') softmaxRows(logits, m.info.classes);
        return transfer(logits, [logits.buffer]);
      }),

    augment: (request) => exclusive('augment', () => augmentOnce(request)),

    getWeights: () =>
      exclusive('getWeights', async () => {
        const weights = await readFlatWeights(device.get(), current('getWeights').classifier.store);
        return transfer(weights, [weights.buffer]);
      }),

    setWeights: (weights) => exclusive('setWeights', async () => writeFlatWeights(device.get(), current('setWeights').classifier.store, weights)),

    dispose() {
      running?.abort();
      model?.classifier.dispose();
      model = undefined;
      device.dispose();
    },
  };

  async function augmentOnce(request: AugmentRequest): Promise<AugmentedSamples> {
    const where = 'augment';
    const { images, shape, labels, classes, augmentation, seed, step = 0 } = request;
    checkSamples(where, images, shape);
    checkU32(where, 'seed', seed);
    checkU32(where, 'step', step);
    const bytes = images instanceof Uint8Array ? images : quantiseSamples(where, images, augmentation?.range ?? [0, 1]);
    const [count, c, h, w] = shape;
    const gpu = device.get();
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
}

const copyInfo = (t: { name: string; shape: readonly number[] }): TensorInfo => ({ name: t.name, shape: [...t.shape] });

function checkModelInput(where: string, info: ModelInfo, shape: BatchShape): void {
  const [, c, h, w] = shape;
  if (info.inputShape) {
    const [ic, ih, iw] = info.inputShape;
    if (c !== ic || h !== ih || w !== iw) fail(where, 'the sample shape', `the ${info.kind}'s [${ic}, ${ih}, ${iw}]`, [c, h, w]);
  } else if (c * h * w !== info.inputSize) {
    fail(where, 'the sample size C·H·W', `the ${info.kind}'s ${info.inputSize} values`, c * h * w);
  }
}
