// The paper's Figure 1, live: one small MLP trained three ways — plainly, with L2 noise and with
// ESP — each in its own WebGPU worker, its decision boundary redrawn as it trains. Sliders set
// ε, τ and γ; changing one after a first run restarts the three from the same initial weights.
// URL parameters: ?steps=N (default 600), &autostart=1. The page's state is in
// document.body.dataset (state, adapter, error) and each panel's (method, accuracy, steps).
import type { AugmentationOptions } from '../src/augment/pipeline.ts';
import { startTrainerWorker, type TrainerWorker } from '../src/worker/client.ts';
import type { TrainProgress } from '../src/worker/trainerApi.ts';
import { classOneColumn, drawBoundary } from './boundaryCanvas.ts';
import { gridPoints, SPIRAL_RANGE, twoClassAccuracy, twoSpirals } from '../src/data/spiral.ts';

interface Settings {
  epsilon: number;
  tau: number;
  gamma: number;
  steps: number;
}

interface Method {
  id: string;
  title: string;
  augmentation(settings: Settings): AugmentationOptions;
}

const METHODS: readonly Method[] = [
  { id: 'none', title: 'Plain training', augmentation: () => ({}) },
  { id: 'l2', title: 'L2 noise (radius ε)', augmentation: (s) => ({ method: 'l2', l2: { epsilon: s.epsilon } }) },
  { id: 'esp', title: 'ESP (ε, τ, γ)', augmentation: (s) => ({ method: 'esp', esp: { epsilon: s.epsilon, tau: s.tau, gamma: s.gamma } }) },
];

const GRID = 64;
const CANVAS = 272;
const TRAIN_POINTS = 300;
const TEST_POINTS = 1000;
const BATCH = 100;
const HIDDEN = [32, 32];
const LR = 0.2;
const REPORT_EVERY = 25;
const SEED = 1;

const train = twoSpirals(TRAIN_POINTS, SEED);
const test = twoSpirals(TEST_POINTS, SEED + 1);
// One probe per report: the grid the boundary is drawn from, then the held-out points.
const probe = new Float32Array([...gridPoints(GRID), ...test.points]);

class Panel {
  readonly worker: TrainerWorker;
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly figures: HTMLElement;
  /** The last probe's held-out accuracy, as shown. */
  private accuracyText = '…';

  constructor(readonly method: Method, parent: HTMLElement) {
    this.worker = startTrainerWorker();
    this.element = document.createElement('div');
    this.element.className = 'panel';
    this.element.dataset.method = method.id;
    this.element.innerHTML = `<h3>${method.title}</h3><canvas width="${CANVAS}" height="${CANVAS}"></canvas><div class="figures">not trained</div>`;
    this.canvas = this.element.querySelector('canvas')!;
    this.figures = this.element.querySelector('.figures')!;
    parent.append(this.element);
  }

  async train(settings: Settings): Promise<void> {
    const stepsPerEpoch = Math.floor(TRAIN_POINTS / BATCH);
    await this.worker.createModel({ kind: 'mlp', inputs: 2, hidden: HIDDEN, classes: 2 }, SEED);
    this.element.dataset.accuracy = '';
    this.accuracyText = '…';
    const summary = await this.worker.train(
      {
        images: train.points, shape: [TRAIN_POINTS, 1, 1, 2], labels: train.labels, classes: 2,
        epochs: Math.ceil(settings.steps / stepsPerEpoch), batchSize: BATCH, lr: LR, seed: SEED,
        augmentation: { ...this.method.augmentation(settings), range: SPIRAL_RANGE },
        reportEvery: REPORT_EVERY,
        probe: { images: probe, shape: [probe.length / 2, 1, 1, 2], everySteps: REPORT_EVERY },
      },
      (progress) => this.show(progress),
    );
    this.element.dataset.steps = String(summary.steps);
  }

  private show(progress: TrainProgress): void {
    const text = `step ${progress.step + 1}/${progress.totalSteps} · loss ${progress.loss.toFixed(3)}`;
    if (progress.probe) {
      const cells = GRID * GRID;
      drawBoundary(this.canvas, classOneColumn(progress.probe, cells), GRID, train);
      const accuracy = twoClassAccuracy(progress.probe.subarray(2 * cells), test.labels);
      this.element.dataset.accuracy = accuracy.toFixed(4);
      this.accuracyText = `${(100 * accuracy).toFixed(1)}%`;
    }
    this.figures.textContent = `${text} · accuracy ${this.accuracyText}`;
  }
}

const query = new URLSearchParams(location.search);
const status = document.getElementById('status')!;
const inputs = {
  epsilon: document.getElementById('epsilon') as HTMLInputElement,
  tau: document.getElementById('tau') as HTMLInputElement,
  gamma: document.getElementById('gamma') as HTMLInputElement,
  steps: document.getElementById('steps') as HTMLInputElement,
};
const trainButton = document.getElementById('train') as HTMLButtonElement;
const stopButton = document.getElementById('stop') as HTMLButtonElement;
const panels = METHODS.map((m) => new Panel(m, document.getElementById('panels')!));
let generation = 0;
let running: Promise<unknown> = Promise.resolve();

function setState(state: 'idle' | 'starting' | 'training' | 'done' | 'stopped' | 'error', message: string): void {
  document.body.dataset.state = state;
  status.textContent = message;
  status.classList.toggle('error', state === 'error');
  trainButton.disabled = state === 'starting';
  stopButton.disabled = state !== 'training';
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  document.body.dataset.error = message;
  setState('error', `error: ${message}`);
}

function settings(): Settings {
  const value = (input: HTMLInputElement) => Number(input.value);
  return { epsilon: value(inputs.epsilon), tau: value(inputs.tau), gamma: value(inputs.gamma), steps: Math.max(10, value(inputs.steps)) };
}

function showSliderValues(): void {
  for (const input of [inputs.epsilon, inputs.tau, inputs.gamma]) document.querySelector<HTMLOutputElement>(`output[for="${input.id}"]`)!.value = input.value;
}

/** Stops whatever runs, then trains the three panels together. */
async function restart(): Promise<void> {
  const mine = ++generation;
  await stopAll();
  if (mine !== generation) return;
  const s = settings();
  setState('training', `training ${s.steps} steps: ε ${s.epsilon}, τ ${s.tau}, γ ${s.gamma}`);
  const started = performance.now();
  running = Promise.all(panels.map((p) => p.train(s)));
  try {
    await running;
  } catch (error) {
    if (mine === generation) fail(error);
    return;
  }
  if (mine !== generation) return;
  const stopped = panels.some((p) => Number(p.element.dataset.steps) < s.steps);
  setState(stopped ? 'stopped' : 'done', `${stopped ? 'stopped' : 'done'} after ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function stopAll(): Promise<void> {
  await Promise.all(panels.map((p) => p.worker.stop()));
  await running.catch(() => undefined);
}

async function start(): Promise<void> {
  setState('starting', 'starting three WebGPU workers…');
  const infos = await Promise.all(panels.map((p) => p.worker.init()));
  const { adapter } = infos[0]!;
  document.body.dataset.adapter = `${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim() || 'unnamed adapter';
  setState('idle', `WebGPU adapter: ${document.body.dataset.adapter}${adapter.isSoftware ? ' (software)' : ''}. Press Train.`);
  trainButton.addEventListener('click', () => void restart());
  stopButton.addEventListener('click', () => void stopAll());
  for (const input of [inputs.epsilon, inputs.tau, inputs.gamma]) {
    input.addEventListener('input', showSliderValues);
    // Once the three have trained (or are training), a new setting retrains them at once.
    input.addEventListener('change', () => {
      if (['training', 'done', 'stopped'].includes(document.body.dataset.state ?? '')) void restart();
    });
  }
  if (query.has('steps')) inputs.steps.value = query.get('steps')!;
  if (query.get('autostart') === '1') await restart();
}

showSliderValues();
// For the console and the browser tests: the same client the page uses.
Object.assign(globalThis, { espgpu: { startTrainerWorker } });
start().catch(fail);
