// The paper's Figure 1 from the command line: the decision boundaries of one small MLP on the
// two-class spiral, trained five ways — plainly, with L2 noise and with ESP, each of the two at a
// small and a large perturbation size — as one PNG of five panels (class-1 probability as a
// two-colour map, the 0.5 contour dark, the training points on top, a short title over each)
// and a JSON sidecar with the settings, the accuracies and numbers that show the margins.
// The five share the seed, the points and the initial weights; only the augmentation differs.
// Training runs in this process through the trainer API (src/worker/trainerApi.ts) over one
// device; the perturbations are the library's fused ESP kernel on 1×2 "images" whose value range
// is the spiral's box, so ε is an L2 length in the plot's own units.
// This file holds the settings, the run and the command line; the margin numbers are in
// boundaryStatistics.ts, the picture in render.ts and its title font in pixelFont.ts.
//
//   node dist/experiments/figure1.js [--out docs/figures/figure1-spiral.png] [--seed 1] [--steps 2000] [--grid 256]
// (built by: npx esbuild experiments/figure1/spiral.ts --bundle --platform=node --target=node20 --format=esm
//  --packages=external --loader:.wgsl=text --loader:.wasm=binary --outfile=dist/experiments/figure1.js)
import { encode } from 'fast-png';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveEspSettings, type EspSettings } from '../../src/augment/espSettings.ts';
import type { AugmentationOptions } from '../../src/augment/pipeline.ts';
import { writeFileAtomicSync } from '../../src/io/atomicFile.ts';
import { WorkerDevice } from '../../src/worker/opsApi.ts';
import { createTrainerApi, type TrainerApi } from '../../src/worker/trainerApi.ts';
import { gridPoints, SPIRAL_RANGE, twoSpirals, type Points } from '../../src/data/spiral.ts';
import { boundaryStatistics, NEAR_DATA_RADIUS, type BoundaryStatistics } from './boundaryStatistics.ts';
import { renderFigure, type Panel } from './render.ts';
import { disposeDevice } from '../trainerDevice.ts';

// ---- the experiment's settings ----

/**
 * The demo page's spiral (web/spiral.ts: 1.25 turns) with half its points and more jitter
 * (150 points, σ = 0.08 instead of 300 and 0.05), so that plain training has room to bend its
 * boundary around single points; with the demo's data all five boundaries sit near the middle.
 */
const TRAIN_POINTS = 150;
const TEST_POINTS = 1000;
const TURNS = 1.25;
const NOISE = 0.08;
/**
 * Centre-to-centre distance between neighbouring arms of the two classes along a ray: the arm's
 * radius grows by 1.05 per `TURNS` turns and the other class's arm is half a turn behind.
 */
const ARM_GAP = 1.05 / TURNS / 2;
const MODEL = { kind: 'mlp', inputs: 2, hidden: [64, 64], classes: 2 } as const;
const BATCH = 50;
const LR = 0.1;
/** The perturbation sizes, in the plot's units: about 1/8 and 1/2 of the gap between the arms. */
const SIZES = { small: 0.05, large: 0.2 } as const;
const GAMMA = 10;

export interface Method {
  /** Short, for the JSON. */
  id: string;
  /** Drawn over the panel: only the characters of GLYPHS (pixelFont.ts). */
  title: string;
  augmentation: AugmentationOptions;
}

/** Naive; L2 at the small and the large radius; ESP at the small and the large ε (τ = ε, σ = ε/2, γ = 10). */
export function figure1Methods(sizes: { small: number; large: number } = SIZES): Method[] {
  const l2 = (epsilon: number): Method => ({ id: `l2-${epsilon}`, title: `L2 ${epsilon.toFixed(2)}`, augmentation: { method: 'l2', l2: { epsilon } } });
  const esp = (epsilon: number): Method => ({
    id: `esp-${epsilon}`, title: `ESP ${epsilon.toFixed(2)}`,
    augmentation: { method: 'esp', esp: { epsilon, tau: epsilon, sigma: epsilon / 2, gamma: GAMMA } },
  });
  return [{ id: 'naive', title: 'NAIVE', augmentation: {} }, l2(sizes.small), l2(sizes.large), esp(sizes.small), esp(sizes.large)];
}

// ---- running it ----

export interface Figure1Options {
  /** The PNG's path; the sidecar is the same path with .json. */
  out: string;
  /** Spiral points, initial weights, shuffles and perturbation draws (default 1, the demo's). */
  seed?: number;
  /** Training steps per model, rounded up to whole epochs of 3 steps (default 2000). */
  steps?: number;
  /** Grid cells per side the boundary is sampled on: one pixel each in the PNG (default 256). */
  grid?: number;
  /** A trainer whose device is already acquired (tests); default: one made and disposed here. */
  trainer?: TrainerApi;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface ModelResult {
  id: string;
  title: string;
  augmentation: AugmentationOptions;
  /** ESP's settings as the pipeline resolves them for two classes (σ, ξ from γ, λ). */
  esp?: EspSettings;
  steps: number;
  seconds: number;
  finalBatchLoss: number;
  statistics: BoundaryStatistics;
}

export interface Figure1Result {
  png: string;
  json: string;
  width: number;
  height: number;
  models: ModelResult[];
}

export async function runFigure1(options: Figure1Options): Promise<Figure1Result> {
  const { out, seed = 1, steps = 2000, grid = 256, log = () => undefined } = options;
  checkInteger('seed', seed, 0, 0xffffffff);
  checkInteger('steps', steps, 1, 1_000_000);
  checkInteger('grid', grid, 8, 2048);
  if (!out.endsWith('.png')) throw new RangeError(`out must be a path ending in .png, got ${JSON.stringify(out)}`);
  const train = twoSpirals(TRAIN_POINTS, seed, { turns: TURNS, noise: NOISE });
  const test = twoSpirals(TEST_POINTS, seed + 1, { turns: TURNS, noise: NOISE });
  const own = options.trainer ? undefined : new WorkerDevice();
  const trainer = options.trainer ?? createTrainerApi(own!);
  // init() acquires the device once; on a trainer given already initialised it only describes it.
  const { adapter } = await trainer.init();
  const models: ModelResult[] = [];
  const panels: Panel[] = [];
  try {
    for (const method of figure1Methods()) {
      const { result, p1 } = await trainOne(trainer, method, { train, test, seed, steps, grid });
      const { trainAccuracy, meanSignedDistance, robustTrainAccuracy } = result.statistics;
      log(`${method.id}: ${result.steps} steps in ${result.seconds.toFixed(1)} s, train accuracy ${trainAccuracy.toFixed(3)}, mean signed distance to the boundary ${meanSignedDistance.toFixed(3)}, correct with the boundary ≥ 0.1 away ${robustTrainAccuracy['0.1']!.toFixed(3)}`);
      models.push(result);
      panels.push({ title: method.title, p1 });
    }
  } finally {
    if (own) await disposeDevice(trainer, own);
  }
  const image = renderFigure(panels, grid, train);
  const json = out.replace(/\.png$/, '.json');
  writeFileAtomicSync(out, encode({ width: image.width, height: image.height, channels: 3, depth: 8, data: image.pixels }));
  const sidecar = {
    figure: 'ESP paper, Figure 1: decision boundaries on the two-class spiral',
    png: out, width: image.width, height: image.height, seed,
    adapter: `${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim(),
    data: { trainPoints: TRAIN_POINTS, testPoints: TEST_POINTS, turns: TURNS, noise: NOISE, range: SPIRAL_RANGE, armGap: ARM_GAP, testSeed: seed + 1 },
    model: MODEL, training: { batch: BATCH, lr: LR, momentum: 0.9, requestedSteps: steps },
    grid: { size: grid, cell: (SPIRAL_RANGE[1] - SPIRAL_RANGE[0]) / grid, nearDataRadius: NEAR_DATA_RADIUS },
    panels: 'left to right, in the order of models',
    models,
  };
  writeFileAtomicSync(json, new TextEncoder().encode(`${JSON.stringify(sidecar, null, 2)}\n`));
  return { png: out, json, width: image.width, height: image.height, models };
}

interface TrainInputs {
  train: Points;
  test: Points;
  seed: number;
  steps: number;
  grid: number;
}

/** One model from the seed's initial weights; its class-1 probabilities on the grid and its numbers. */
async function trainOne(trainer: TrainerApi, method: Method, { train, test, seed, steps, grid }: TrainInputs): Promise<{ result: ModelResult; p1: Float32Array }> {
  await trainer.createModel(MODEL, seed);
  const stepsPerEpoch = Math.floor(train.count / BATCH);
  const augmentation = { ...method.augmentation, range: SPIRAL_RANGE };
  const summary = await trainer.train({
    images: train.points, shape: [train.count, 1, 1, 2], labels: train.labels, classes: 2,
    epochs: Math.ceil(steps / stepsPerEpoch), batchSize: BATCH, lr: LR, seed,
    augmentation, reportEvery: 1000,
  });
  const cells = grid * grid;
  // One prediction for the grid, the training points and the held-out points, in that order.
  const all = await classOneProbabilities(trainer, new Float32Array([...gridPoints(grid), ...train.points, ...test.points]));
  const p1 = all.slice(0, cells);
  const statistics = boundaryStatistics(p1, grid, train, {
    trainAccuracy: accuracy(all.subarray(cells, cells + train.count), train.labels),
    testAccuracy: accuracy(all.subarray(cells + train.count), test.labels),
  });
  const esp = augmentation.esp && resolveEspSettings(augmentation.esp, MODEL.classes);
  const result: ModelResult = {
    id: method.id, title: method.title, augmentation, esp, steps: summary.steps, seconds: summary.seconds, finalBatchLoss: summary.loss, statistics,
  };
  return { result, p1 };
}

/** The current model's probability of class 1 at each (x, y) of `points` (f32 [N, 2]). */
export async function classOneProbabilities(trainer: TrainerApi, points: Float32Array): Promise<Float32Array> {
  const rows = await trainer.predict(points, [points.length / 2, 1, 1, 2], { output: 'probabilities' });
  return Float32Array.from({ length: points.length / 2 }, (_, i) => rows[2 * i + 1]!);
}

/** Fraction of points on their label's side of 0.5 (p1 ≥ 0.5 is class 1, as on the map). */
function accuracy(p1: Float32Array, labels: Uint8Array): number {
  let correct = 0;
  labels.forEach((label, i) => {
    if ((p1[i]! >= 0.5 ? 1 : 0) === label) correct++;
  });
  return labels.length ? correct / labels.length : 0;
}

// ---- the command line ----

export function parseFigure1Args(argv: readonly string[]): Required<Pick<Figure1Options, 'out' | 'seed' | 'steps' | 'grid'>> {
  const { values } = parseArgs({
    args: [...argv],
    options: { out: { type: 'string' }, seed: { type: 'string' }, steps: { type: 'string' }, grid: { type: 'string' } },
    strict: true,
  });
  const integer = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) throw new RangeError(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
    return Number(text);
  };
  return {
    out: values.out ?? 'docs/figures/figure1-spiral.png',
    seed: integer('seed', values.seed, 1),
    steps: integer('steps', values.steps, 2000),
    grid: integer('grid', values.grid, 256),
  };
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
}

const USAGE = 'usage: node dist/experiments/figure1.js [--out docs/figures/figure1-spiral.png] [--seed 1] [--steps 2000] [--grid 256]';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) return void console.log(USAGE);
  const options = parseFigure1Args(args);
  const result = await runFigure1({ ...options, log: (line) => console.error(line) });
  console.log(`wrote ${result.png} (${result.width}×${result.height}) and ${result.json}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.error(USAGE);
    process.exitCode = 1;
  });
}
