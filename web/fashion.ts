// Fashion-MNIST in the browser: the embedded subset is fetched and parsed here (src/data/idx.ts),
// a model trains in a WebGPU worker with a live loss/accuracy chart, a gallery shows what ESP
// does to training images and their labels, and at the end the test images are corrupted in
// the page with the MNIST-C corruptions and the error under each is tabulated.
// URL parameters: ?train=N (training images, default 3000), &test=N (test images, default 300),
// &epochs=N, &model=mlp|mnist-cnn, &method=none|l2|esp|esp-hard, &corruptions=N (the first N of
// MNIST-C, default 15), &autostart=1. State: document.body.dataset (state, error, cleanError,
// meanCorruptionError).
import type { AugmentationOptions } from '../src/augment/pipeline.ts';
import { corruptImage } from '../src/data/corruptions/corruption.ts';
import { MNIST_C } from '../src/data/corruptions/mnistC.ts';
import { parseIdx } from '../src/data/idx.ts';
import { datasetFromIdx, sliceDataset, type ImageDataset } from '../src/data/imageDataset.ts';
import { argmaxRows, corruptionErrors, type CorruptedSetLike, type CorruptionReport, type ErrorRate } from '../src/train/evaluate.ts';
import { startTrainerWorker } from '../src/worker/client.ts';
import type { ModelSpec } from '../src/worker/trainerApi.ts';
import { LineChart } from './lineChart.ts';

// As in src/data/datasets.ts, which is Node-only (it reads files).
const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const DATA = '/data/fashion-mnist-subset';
const SEED = 1;
const BATCH = 64;
const GALLERY = 12;
const MODELS: Record<string, { spec: ModelSpec; lr: number }> = {
  mlp: { spec: { kind: 'mlp', inputs: 784, hidden: [256], classes: 10 }, lr: 0.05 },
  'mnist-cnn': { spec: { kind: 'mnist-cnn', classes: 10 }, lr: 0.05 },
};

const query = new URLSearchParams(location.search);
const count = (name: string, fallback: number, max: number) => Math.min(max, Math.max(1, Math.floor(Number(query.get(name) ?? fallback)) || fallback));
const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = element<HTMLElement>('status');
const controls = {
  model: element<HTMLSelectElement>('model'),
  method: element<HTMLSelectElement>('method'),
  epsilon: element<HTMLInputElement>('epsilon'),
  gamma: element<HTMLInputElement>('gamma'),
  epochs: element<HTMLInputElement>('epochs'),
  train: element<HTMLButtonElement>('train'),
  stop: element<HTMLButtonElement>('stop'),
};
const chart = new LineChart(element<HTMLCanvasElement>('chart'), [
  { name: 'loss', color: '#2563eb' },
  { name: 'batch accuracy', color: '#ea580c', range: [0, 1] },
]);
const worker = startTrainerWorker();

type State = 'idle' | 'loading' | 'training' | 'evaluating' | 'done' | 'stopped' | 'error';

function setState(state: State, message: string): void {
  document.body.dataset.state = state;
  status.textContent = message;
  status.classList.toggle('error', state === 'error');
  controls.train.disabled = state === 'loading' || state === 'training' || state === 'evaluating';
  controls.stop.disabled = state !== 'training';
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  document.body.dataset.error = message;
  setState('error', `error: ${message}`);
}

async function fetchIdx(name: string) {
  const response = await fetch(`${DATA}/${name}`);
  if (!response.ok) throw new Error(`${DATA}/${name}: HTTP ${response.status} (serve the demo with node scripts/serve.mjs)`);
  return parseIdx(new Uint8Array(await response.arrayBuffer()), name);
}

async function loadSplit(split: 'train' | 't10k'): Promise<ImageDataset> {
  const [images, labels] = await Promise.all([fetchIdx(`${split}-images-idx3-ubyte.gz`), fetchIdx(`${split}-labels-idx1-ubyte.gz`)]);
  return { ...datasetFromIdx(images, labels, 10, `${DATA}/${split}`), classNames: CLASS_NAMES };
}

function augmentation(): AugmentationOptions {
  const epsilon = Number(controls.epsilon.value);
  const gamma = Number(controls.gamma.value);
  switch (controls.method.value) {
    case 'l2': return { method: 'l2', l2: { epsilon } };
    case 'esp': return { method: 'esp', esp: { epsilon, gamma } };
    case 'esp-hard': return { method: 'esp-hard', esp: { epsilon } };
    default: return {};
  }
}

// ---- the gallery ----

/** The first training images, clean and as step 0 of training perturbs them, with their soft labels. */
async function showGallery(data: ImageDataset, options: AugmentationOptions): Promise<void> {
  const n = Math.min(GALLERY, data.shape[0]);
  const sample = sliceDataset(data, 0, n);
  const { x, targets } = await worker.augment({ images: sample.images, shape: sample.shape, labels: sample.labels, classes: 10, augmentation: options, seed: SEED });
  const gallery = element<HTMLElement>('gallery');
  gallery.replaceChildren();
  for (let i = 0; i < n; i++) {
    const label = sample.labels[i]!;
    const figure = document.createElement('div');
    figure.className = 'sample';
    const clean = Float32Array.from(sample.images.subarray(784 * i, 784 * (i + 1)), (v) => v / 255);
    figure.append(greyCanvas(clean), greyCanvas(x.subarray(784 * i, 784 * (i + 1))));
    const mass = targets[10 * i + label]!;
    const caption = document.createElement('div');
    caption.textContent = `${CLASS_NAMES[label]}: ${mass.toFixed(2)}, others ${((1 - mass) / 9).toFixed(3)}`;
    figure.append(caption);
    gallery.append(figure);
  }
}

/** A 28 × 28 canvas of values in [0, 1], white on black as the data set stores them. */
function greyCanvas(values: Float32Array): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 28;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(28, 28);
  values.forEach((v, p) => {
    const grey = Math.round(255 * Math.min(1, Math.max(0, v)));
    image.data.set([grey, grey, grey, 255], 4 * p);
  });
  context.putImageData(image, 0, 0);
  return canvas;
}

// ---- evaluation ----

/** The test images under each corruption, made one set at a time, yielding to the page between sets. */
async function* corruptedSets(test: ImageDataset, corruptions: number): AsyncGenerator<CorruptedSetLike> {
  const [n, c, h, w] = test.shape;
  const per = c * h * w;
  for (const [index, corruption] of MNIST_C.slice(0, corruptions).entries()) {
    status.textContent = `evaluating: ${corruption.name} (${index + 1} of ${corruptions})`;
    await new Promise((resolve) => setTimeout(resolve, 0));
    const images = new Uint8Array(test.images.length);
    for (let i = 0; i < n; i++) {
      images.set(corruptImage(corruption, test.images.subarray(i * per, (i + 1) * per), { channels: c, height: h, width: w }, SEED, i, index), i * per);
    }
    yield { corruption: corruption.name, severity: null, dataset: { ...test, images } };
  }
}

async function predictLabels(data: ImageDataset): Promise<Uint32Array> {
  return argmaxRows(await worker.predict(data.images, data.shape), data.shape[0], data.classes);
}

function showErrors(rows: { corruption: string; rate: ErrorRate }[], report?: CorruptionReport): void {
  const table = element<HTMLTableElement>('errors');
  const line = (cells: string[], className = '') => `<tr class="${className}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  const format = (rate: ErrorRate) => [rate.error.toFixed(1), `${rate.errors} / ${rate.count}`];
  table.innerHTML = [
    '<tr><th>test set</th><th>error %</th><th>errors</th></tr>',
    ...rows.map((r) => line([r.corruption, ...format(r.rate)])),
    ...(report ? [line(['mean over corruptions', report.meanCorruptionError.toFixed(1), ''], 'mean')] : []),
  ].join('');
}

// ---- a run ----

async function run(train: ImageDataset, test: ImageDataset): Promise<void> {
  const model = MODELS[controls.model.value]!;
  const options = augmentation();
  const epochs = Math.max(1, Math.floor(Number(controls.epochs.value)) || 1);
  document.body.dataset.cleanError = document.body.dataset.meanCorruptionError = '';
  setState('training', 'building the model…');
  await worker.createModel(model.spec, SEED);
  await showGallery(train, options);
  const totalSteps = epochs * Math.floor(train.shape[0] / BATCH);
  chart.clear(totalSteps);
  setState('training', `training ${controls.model.value}, ${controls.method.value}, ${epochs} epoch(s), ${totalSteps} steps`);
  const summary = await worker.train(
    {
      images: train.images, shape: train.shape, labels: train.labels, classes: 10, epochs, batchSize: BATCH,
      lr: model.lr, schedule: { kind: 'cosine', lrMin: 0 }, augmentation: options, seed: SEED, reportEvery: 5,
    },
    (p) => {
      chart.add(p.step + 1, [p.loss, p.accuracy]);
      status.textContent = `step ${p.step + 1}/${p.totalSteps} · loss ${p.loss.toFixed(3)} · ${p.imagesPerSecond.toFixed(0)} images/s`;
    },
  );
  if (summary.status === 'aborted') return setState('stopped', `stopped after ${summary.steps} steps`);
  setState('evaluating', 'evaluating on clean test images…');
  const rows: { corruption: string; rate: ErrorRate }[] = [];
  const corruptions = count('corruptions', MNIST_C.length, MNIST_C.length);
  const report = await corruptionErrors(predictLabels, corruptedSets(test, corruptions), {
    clean: test,
    onSet: (corruption, rate) => {
      rows.push({ corruption, rate });
      showErrors(rows);
    },
  });
  rows.unshift({ corruption: 'clean', rate: report.clean! });
  showErrors(rows, report);
  document.body.dataset.cleanError = report.clean!.error.toFixed(2);
  document.body.dataset.meanCorruptionError = report.meanCorruptionError.toFixed(2);
  setState('done', `done in ${summary.seconds.toFixed(1)} s of training: clean error ${report.clean!.error.toFixed(1)}%, mean corruption error ${report.meanCorruptionError.toFixed(1)}%`);
}

async function start(): Promise<void> {
  setState('loading', 'loading the data and starting a WebGPU worker…');
  for (const name of ['model', 'method', 'epochs'] as const) if (query.has(name)) controls[name].value = query.get(name)!;
  for (const input of [controls.epsilon, controls.gamma]) {
    const show = () => (document.querySelector<HTMLOutputElement>(`output[for="${input.id}"]`)!.value = input.value);
    input.addEventListener('input', show);
    show();
  }
  const [trainAll, testAll, info] = await Promise.all([loadSplit('train'), loadSplit('t10k'), worker.init()]);
  const train = sliceDataset(trainAll, 0, count('train', 3000, trainAll.shape[0]));
  const test = sliceDataset(testAll, 0, count('test', 300, testAll.shape[0]));
  setState('idle', `${train.shape[0]} training and ${test.shape[0]} test images; WebGPU adapter: ${info.adapter.vendor} ${info.adapter.description}. Press Train.`);
  controls.train.addEventListener('click', () => void run(train, test).catch(fail));
  controls.stop.addEventListener('click', () => void worker.stop());
  if (query.get('autostart') === '1') await run(train, test);
}

start().catch(fail);
