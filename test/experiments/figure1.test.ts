// Figure 1's script (experiments/figure1/: spiral.ts, render.ts, boundaryStatistics.ts) in
// miniature — five models of a few steps on a small grid, trained in this process — checked
// through the files it writes (the PNG decoded with fast-png, the JSON sidecar), and its
// rendering and margin numbers on hand-made probability maps whose right pictures and distances
// are known without the code under test.
import { decode } from 'fast-png';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundaryStatistics, signedDistances } from '../../experiments/figure1/boundaryStatistics.ts';
import { renderFigure, type Picture } from '../../experiments/figure1/render.ts';
import { classOneProbabilities, parseFigure1Args, runFigure1 } from '../../experiments/figure1/spiral.ts';
import { gridPoints, type Points } from '../../src/data/spiral.ts';
import { useTrainer } from '../helpers/trainer.ts';

// The layout, restated: 8 white pixels around and between panels, a title band of 7 glyph rows
// × 2 pixels + 8 above the panels, one pixel a grid cell.
const GAP = 8;
const TITLE_BAND = 7 * 2 + GAP;
const expectedSize = (panels: number, grid: number) => ({ width: GAP + panels * (grid + GAP), height: GAP + TITLE_BAND + grid + GAP });
// The demo's colours blended from white with strength 0.55 (a sure prediction), by hand:
// 255 + (c − 255)·0.55 for blue (37, 99, 235) and orange (234, 88, 12), rounded.
const SURE_CLASS_0 = [135, 169, 244];
const SURE_CLASS_1 = [243, 163, 121];
const CONTOUR = [70, 70, 70];

function pixel(picture: Picture, x: number, y: number): number[] {
  const i = 3 * (y * picture.width + x);
  return [...picture.pixels.subarray(i, i + 3)];
}

/** Panel `index`'s grid × grid map, as rows of colours. */
function panelPixels(picture: Picture, index: number, grid: number): number[][][] {
  const left = GAP + index * (grid + GAP);
  const top = GAP + TITLE_BAND;
  return Array.from({ length: grid }, (_, y) => Array.from({ length: grid }, (_, x) => pixel(picture, left + x, top + y)));
}

/** p1 = 1 on the right half of the plot (x ≥ 0), 0 on the left. */
function halfPlane(grid: number): Float32Array {
  return Float32Array.from({ length: grid * grid }, (_, i) => (i % grid >= grid / 2 ? 1 : 0));
}

function points(list: [number, number, number][]): Points {
  return { points: Float32Array.from(list.flatMap(([x, y]) => [x, y])), labels: Uint8Array.from(list.map(([, , l]) => l)), count: list.length };
}

describe('figure 1 rendering', () => {
  it('paints every cell of a model that always predicts class 0 in the class-0 colour, with no contour', () => {
    const grid = 16;
    const picture = renderFigure([{ title: 'NAIVE', p1: new Float32Array(grid * grid) }], grid);
    expect({ width: picture.width, height: picture.height }).toEqual(expectedSize(1, grid));
    for (const row of panelPixels(picture, 0, grid)) for (const colour of row) expect(colour).toEqual(SURE_CLASS_0);
  });

  it('splits a half-plane model into blue and orange with one dark column where the side changes', () => {
    const grid = 20;
    const picture = renderFigure([{ title: 'L2 0.05', p1: new Float32Array(grid * grid) }, { title: 'ESP 0.20', p1: halfPlane(grid) }], grid);
    const rows = panelPixels(picture, 1, grid);
    for (const row of rows) {
      // Cell 9 has its right neighbour on the other side: the contour.
      row.forEach((colour, x) => expect(colour).toEqual(x < grid / 2 - 1 ? SURE_CLASS_0 : x === grid / 2 - 1 ? CONTOUR : SURE_CLASS_1));
    }
    // The gap between the panels stays white, the titles are black on white.
    for (let y = 0; y < picture.height; y++) expect(pixel(picture, GAP + grid + GAP / 2, y)).toEqual([255, 255, 255]);
    const title = Array.from({ length: 14 }, (_, y) => Array.from({ length: 40 }, (_, x) => pixel(picture, GAP + x, GAP + y))).flat();
    expect(title.some((c) => c.join() === '0,0,0')).toBe(true);
    expect(title.every((c) => c.join() === '0,0,0' || c.join() === '255,255,255')).toBe(true);
  });

  it('draws a point as a disc of its class colour with a white rim where the plot is (0, 0) at the centre', () => {
    const grid = 32;
    const picture = renderFigure([{ title: 'NAIVE', p1: new Float32Array(grid * grid) }], grid, points([[0, 0, 1]]));
    const rows = panelPixels(picture, 0, grid);
    expect(rows[16]![16]).toEqual([234, 88, 12]);
    expect(rows[15]![15]).toEqual([234, 88, 12]);
    expect(rows[16]![19]).toEqual([255, 255, 255]);
    expect(rows[16]![22]).toEqual(SURE_CLASS_0);
    expect(rows[2]![2]).toEqual(SURE_CLASS_0);
  });

  it('refuses a title the font cannot draw, naming the character', () => {
    expect(() => renderFigure([{ title: 'NAIVE!', p1: new Float32Array(64) }], 8)).toThrow(/"!"/);
  });
});

describe('figure 1 margins', () => {
  const grid = 64;
  const cellDiagonal = (3 / grid) * Math.SQRT2;

  it('measures signed distances to a straight boundary at x = 0', () => {
    // The contour cells are column 31, whose centres lie half a cell left of x = 0.
    const set = points([[0.3, 0.2, 1], [-0.6, -1, 0], [0.45, 0.5, 0], [-0.9, 0.1, 1]]);
    const d = signedDistances(halfPlane(grid), grid, set);
    [0.3, 0.6, -0.45, -0.9].forEach((expected, i) => expect(Math.abs(d[i]! - expected)).toBeLessThanOrEqual(cellDiagonal));
    const stats = boundaryStatistics(halfPlane(grid), grid, set, { trainAccuracy: 0.5, testAccuracy: 0.5 });
    expect(Math.abs(stats.meanSignedDistance - (0.3 + 0.6 - 0.45 - 0.9) / 4)).toBeLessThanOrEqual(cellDiagonal);
    // At radius 0.1 and 0.15 only the two points on their own side count; none at 0.5 or more would.
    expect(stats.robustTrainAccuracy).toEqual({ '0.05': 0.5, '0.1': 0.5, '0.15': 0.5 });
    // Sure everywhere, class 1 on exactly half of the disc near the data.
    expect(stats.uncertainFractionNearData).toBe(0);
    expect(stats.meanConfidenceNearData).toBe(1);
    expect(stats.classOneFractionNearData).toBeCloseTo(0.5, 2);
  });

  it('counts a map without a boundary as infinitely far from every point it gets right', () => {
    const d = signedDistances(new Float32Array(grid * grid), grid, points([[0.1, 0.1, 0], [0.2, 0.2, 1]]));
    expect(d).toEqual([Infinity, -Infinity]);
  });
});

describe('figure 1 command line', () => {
  it('reads --out, --seed, --steps, --grid with defaults, and names a bad value', () => {
    expect(parseFigure1Args([])).toEqual({ out: 'docs/figures/figure1-spiral.png', seed: 1, steps: 2000, grid: 256 });
    expect(parseFigure1Args(['--out', 'a.png', '--seed', '7', '--steps', '30', '--grid', '64'])).toEqual({ out: 'a.png', seed: 7, steps: 30, grid: 64 });
    expect(() => parseFigure1Args(['--steps', 'many'])).toThrow(/--steps/);
    expect(() => parseFigure1Args(['--width', '3'])).toThrow(/width/);
  });
});

describe('figure 1 in miniature', () => {
  const { trainer, dir } = useTrainer('espgpu-figure1-');

  it('renders a real model whose last bias always favours class 0 in the class-0 colour everywhere', async () => {
    const grid = 16;
    const info = await trainer().createModel({ kind: 'mlp', inputs: 2, hidden: [8], classes: 2 }, 0);
    // Every weight 0 but the output bias (the last parameter, [2]): logits (20, 0) everywhere.
    expect(info.parameters.at(-1)).toEqual({ name: 'fc2.bias', shape: [2] });
    const weights = new Float32Array(info.weightCount);
    weights[info.weightCount - 2] = 20;
    await trainer().setWeights(weights);
    const p1 = await classOneProbabilities(trainer(), gridPoints(grid));
    expect(p1.length).toBe(grid * grid);
    for (const p of p1) expect(p).toBeCloseTo(1 / (1 + Math.exp(20)), 12);
    const picture = renderFigure([{ title: 'NAIVE', p1 }], grid);
    for (const row of panelPixels(picture, 0, grid)) for (const colour of row) expect(colour).toEqual(SURE_CLASS_0);
  });

  it('trains five models a few steps and writes a five-panel PNG and its JSON sidecar', async () => {
    const grid = 24;
    const out = join(dir, 'figure.png');
    const result = await runFigure1({ out, seed: 3, steps: 4, grid, trainer: trainer() });
    expect(result.json).toBe(join(dir, 'figure.json'));

    const png = decode(readFileSync(out));
    expect({ width: png.width, height: png.height }).toEqual(expectedSize(5, grid));
    expect(png.channels).toBe(3);
    expect(png.depth).toBe(8);

    const sidecar = JSON.parse(readFileSync(result.json, 'utf8'));
    expect(sidecar).toMatchObject({ seed: 3, width: png.width, height: png.height, grid: { size: grid }, training: { requestedSteps: 4 } });
    expect(typeof sidecar.adapter).toBe('string');
    expect(sidecar.models.map((m: { id: string }) => m.id)).toEqual(['naive', 'l2-0.05', 'l2-0.2', 'esp-0.05', 'esp-0.2']);
    for (const model of sidecar.models) {
      // 4 steps round up to two epochs of three (150 points, batch 50).
      expect(model.steps).toBe(6);
      expect(model.augmentation.range).toEqual([-1.5, 1.5]);
      const s = model.statistics;
      for (const key of ['trainAccuracy', 'testAccuracy', 'uncertainFractionNearData', 'meanConfidenceNearData', 'classOneFractionNearData']) {
        expect(s[key], key).toBeGreaterThanOrEqual(0);
        expect(s[key], key).toBeLessThanOrEqual(1);
      }
      expect(Object.keys(s.robustTrainAccuracy)).toEqual(['0.05', '0.1', '0.15']);
      expect(s).toHaveProperty('meanSignedDistance');
      expect(s).toHaveProperty('medianSignedDistance');
    }
    // ESP's settings as resolved for two classes: τ = ε, σ = ε/2, ξ from γ = 10 (§1.4: 9/22).
    const esp = sidecar.models[4].esp;
    expect(esp).toMatchObject({ epsilon: 0.2, tau: 0.2, sigma: 0.1, lo: 0, hi: 0.4, classes: 2 });
    expect(esp.xi).toBeCloseTo(9 / 22, 12);
    expect(sidecar.models[0].esp).toBeUndefined();
  });
});
