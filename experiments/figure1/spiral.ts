// The paper's Figure 1 from the command line: the decision boundaries of one small MLP on the
// two-class spiral, trained five ways — plainly, with L2 noise and with ESP, each of the two at a
// small and a large perturbation size — as one PNG of five panels (class-1 probability as a
// two-colour map, the 0.5 contour dark, the training points on top, a short title over each)
// and a JSON sidecar with the settings, the accuracies and numbers that show the margins.
// The five share the seed, the points and the initial weights; only the augmentation differs.
// Training runs in this process through the trainer API (src/worker/trainerApi.ts) over one
// device; the perturbations are the library's fused ESP kernel on 1×2 "images" whose value range
// is the spiral's box, so ε is an L2 length in the plot's own units.
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
import { gridPoints, SPIRAL_RANGE, twoSpirals, type Points } from '../../web/spiralData.ts';

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
  /** Drawn over the panel: only the characters of GLYPHS. */
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

/**
 * Releases the device and waits for Dawn to finish tearing it down: a process that exits at once
 * can crash in Dawn's threads (src/cli/shared.ts withGpu waits the same way).
 */
async function disposeDevice(trainer: TrainerApi, device: WorkerDevice): Promise<void> {
  const lost = device.get().esp.lost;
  trainer.dispose();
  await lost.catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 100));
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

// ---- the numbers that show the margins ----

/** Grid cells within this radius of the centre count as "near the data" (the arms end at about 1.2). */
const NEAR_DATA_RADIUS = 1.3;

export interface BoundaryStatistics {
  trainAccuracy: number;
  /** On 1000 points of the same spiral drawn with seed + 1. */
  testAccuracy: number;
  /**
   * Mean over the training points of the distance from the point to the 0.5 contour, positive
   * on the point's own side and negative on the wrong side, in the plot's units. The contour is
   * the boundary cells (boundaryCells), so each distance is within half a cell diagonal. Larger:
   * wider margins; the largest possible is about half the arms' gap less the jitter.
   */
  meanSignedDistance: number;
  /** Median of the same signed distances. */
  medianSignedDistance: number;
  /**
   * Per radius r: the fraction of training points on their own side with the contour at least r
   * away, i.e. classified correctly under any perturbation shorter than r (to a cell's accuracy).
   */
  robustTrainAccuracy: Record<string, number>;
  /** Fraction of the cells near the data (radius ≤ NEAR_DATA_RADIUS) with 0.25 < p1 < 0.75: the pale band's area. */
  uncertainFractionNearData: number;
  /** Mean |2·p1 − 1| over the cells near the data: 1 is sure everywhere; smoothed labels and noise lower it. */
  meanConfidenceNearData: number;
  /** Fraction of the cells near the data predicted class 1 (the two classes' arms have equal area: about ½). */
  classOneFractionNearData: number;
}

/** The radii of robustTrainAccuracy, in the plot's units. */
export const ROBUST_RADII = [0.05, 0.1, 0.15] as const;

/** Rows of the grid from the top (y = hi) down, as gridPoints lays them out. */
function cellCentre(i: number, grid: number): [number, number] {
  const [lo, hi] = SPIRAL_RANGE;
  const h = (hi - lo) / grid;
  return [lo + ((i % grid) + 0.5) * h, hi - (Math.floor(i / grid) + 0.5) * h];
}

/** Cells whose right or lower neighbour lies on the other side of 0.5: the drawn contour. */
export function boundaryCells(p1: Float32Array, grid: number): Uint8Array {
  if (p1.length !== grid * grid) throw new RangeError(`boundaryCells: p1 has ${p1.length} values, a ${grid}×${grid} grid needs ${grid * grid}`);
  const edge = new Uint8Array(p1.length);
  const side = (i: number) => p1[i]! >= 0.5;
  for (let i = 0; i < p1.length; i++) {
    const right = i % grid < grid - 1 && side(i + 1) !== side(i);
    const below = i + grid < p1.length && side(i + grid) !== side(i);
    edge[i] = right || below ? 1 : 0;
  }
  return edge;
}

/**
 * Each point's distance to the nearest boundary cell's centre, negative where the grid puts the
 * point's cell on the other side of its label; Infinity when the grid has no boundary at all.
 */
export function signedDistances(p1: Float32Array, grid: number, { points, labels, count }: Points): number[] {
  const edge = boundaryCells(p1, grid);
  const centres: [number, number][] = [];
  edge.forEach((e, i) => e && centres.push(cellCentre(i, grid)));
  const [lo, hi] = SPIRAL_RANGE;
  const cellOf = (v: number) => Math.min(grid - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * grid)));
  return Array.from({ length: count }, (_, n) => {
    const [x, y] = [points[2 * n]!, points[2 * n + 1]!];
    let nearest = Infinity;
    for (const [cx, cy] of centres) nearest = Math.min(nearest, Math.hypot(x - cx, y - cy));
    const cell = (grid - 1 - cellOf(y)) * grid + cellOf(x);
    return (p1[cell]! >= 0.5 ? 1 : 0) === labels[n] ? nearest : -nearest;
  });
}

export function boundaryStatistics(p1: Float32Array, grid: number, points: Points, accuracy: { trainAccuracy: number; testAccuracy: number }): BoundaryStatistics {
  const distances = signedDistances(p1, grid, points);
  let near = 0;
  let classOne = 0;
  let uncertain = 0;
  let confidence = 0;
  for (let i = 0; i < p1.length; i++) {
    const [x, y] = cellCentre(i, grid);
    if (Math.hypot(x, y) > NEAR_DATA_RADIUS) continue;
    const p = p1[i]!;
    near++;
    if (p >= 0.5) classOne++;
    if (p > 0.25 && p < 0.75) uncertain++;
    confidence += Math.abs(2 * p - 1);
  }
  const sorted = [...distances].sort((a, b) => a - b);
  const robust = (r: number) => distances.filter((d) => d >= r).length / Math.max(1, distances.length);
  return {
    ...accuracy,
    meanSignedDistance: mean(distances),
    medianSignedDistance: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    robustTrainAccuracy: Object.fromEntries(ROBUST_RADII.map((r) => [String(r), robust(r)])),
    uncertainFractionNearData: uncertain / near,
    meanConfidenceNearData: confidence / near,
    classOneFractionNearData: classOne / near,
  };
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

// ---- rendering ----

/** The demo page's colours (web/boundaryCanvas.ts): blue for class 0, orange for class 1. */
export const CLASS_RGB = [
  [37, 99, 235],
  [234, 88, 12],
] as const;
export const BOUNDARY_RGB = [70, 70, 70] as const;
const POINT_RADIUS = 2.6;
/** White between and around the panels, in pixels. */
const GAP = 8;
/** Title glyphs are 5×7 cells of this many pixels. */
const TEXT_SCALE = 2;
const TITLE_BAND = 7 * TEXT_SCALE + GAP;

export interface Panel {
  title: string;
  /** Class-1 probability of each grid cell, row by row from the top (gridPoints' order). */
  p1: Float32Array;
}

export interface Picture {
  width: number;
  height: number;
  /** RGB, row by row. */
  pixels: Uint8Array;
}

/** Where panel `index`'s map starts, in pixels: panels side by side, a title band above them. */
export function panelOrigin(index: number, grid: number): { x: number; y: number } {
  return { x: GAP + index * (grid + GAP), y: GAP + TITLE_BAND };
}

/**
 * The panels side by side, one pixel a grid cell: each cell white blended towards its side's
 * colour by |2·p1 − 1|·0.55, boundary cells dark; `points` (if any) drawn on every panel.
 */
export function renderFigure(panels: readonly Panel[], grid: number, points?: Points): Picture {
  if (panels.length === 0) throw new RangeError('renderFigure: no panels given');
  const width = GAP + panels.length * (grid + GAP);
  const height = GAP + TITLE_BAND + grid + GAP;
  const pixels = new Uint8Array(width * height * 3).fill(255);
  const put = (x: number, y: number, rgb: readonly number[]) => pixels.set(rgb, 3 * (y * width + x));
  panels.forEach((panel, index) => {
    const { x: left, y: top } = panelOrigin(index, grid);
    drawText(panel.title, left, GAP, grid, put);
    const edge = boundaryCells(panel.p1, grid);
    for (let i = 0; i < grid * grid; i++) put(left + (i % grid), top + Math.floor(i / grid), cellColour(panel.p1[i]!, edge[i] === 1));
    if (points) drawPoints(points, grid, (x, y, rgb) => put(left + x, top + y, rgb));
  });
  return { width, height, pixels };
}

/** A cell's colour: white towards the class colour as the model grows sure; the contour dark. */
export function cellColour(p1: number, onBoundary: boolean): number[] {
  if (onBoundary) return [...BOUNDARY_RGB];
  const rgb = CLASS_RGB[p1 >= 0.5 ? 1 : 0];
  const strength = Math.abs(2 * p1 - 1) * 0.55;
  return rgb.map((c) => Math.round(255 + (c - 255) * strength));
}

/** Each point a disc in its class colour with a white rim, clipped to the grid × grid panel. */
function drawPoints({ points, labels, count }: Points, grid: number, put: (x: number, y: number, rgb: readonly number[]) => void): void {
  const [lo, hi] = SPIRAL_RANGE;
  const reach = Math.ceil(POINT_RADIUS + 1);
  for (let n = 0; n < count; n++) {
    const cx = ((points[2 * n]! - lo) / (hi - lo)) * grid;
    const cy = ((hi - points[2 * n + 1]!) / (hi - lo)) * grid;
    for (let y = Math.floor(cy) - reach; y <= Math.floor(cy) + reach; y++) {
      for (let x = Math.floor(cx) - reach; x <= Math.floor(cx) + reach; x++) {
        if (x < 0 || y < 0 || x >= grid || y >= grid) continue;
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        if (d <= POINT_RADIUS) put(x, y, CLASS_RGB[labels[n]!]!);
        else if (d <= POINT_RADIUS + 1) put(x, y, [255, 255, 255]);
      }
    }
  }
}

// A 5×7 pixel font with just the characters the titles use: no font library needed.
const GLYPHS: Record<string, readonly string[]> = {
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  N: ['#...#', '#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
};

/** Black text from (left, top), cut at `width` pixels so a title never runs into the next panel. */
function drawText(text: string, left: number, top: number, width: number, put: (x: number, y: number, rgb: readonly number[]) => void): void {
  const clipped = (x: number, y: number) => x < width && put(left + x, top + y, [0, 0, 0]);
  [...text].forEach((char, k) => {
    const glyph = GLYPHS[char];
    if (!glyph) throw new RangeError(`drawText: no glyph for ${JSON.stringify(char)} in ${JSON.stringify(text)}; the font has ${Object.keys(GLYPHS).join('')}`);
    glyph.forEach((row, gy) => {
      [...row].forEach((mark, gx) => {
        if (mark !== '#') return;
        for (let dy = 0; dy < TEXT_SCALE; dy++) for (let dx = 0; dx < TEXT_SCALE; dx++) clipped((6 * k + gx) * TEXT_SCALE + dx, gy * TEXT_SCALE + dy);
      });
    });
  });
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
