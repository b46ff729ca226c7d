import { describe, expect, it } from 'vitest';
import { canny } from '../../../src/data/corruptions/canny.ts';

const toRows = (edges: Float64Array, w: number) =>
  Array.from({ length: edges.length / w }, (_, r) => Array.from(edges.slice(r * w, (r + 1) * w), (v) => (v ? '#' : '.')).join(''));

describe('canny', () => {
  it('finds the boundary of a white square on black and nothing far from it', () => {
    const [h, w] = [28, 28];
    const square = Float64Array.from({ length: h * w }, (_, k) => (Math.floor(k / w) >= 8 && Math.floor(k / w) <= 19 && k % w >= 8 && k % w <= 19 ? 1 : 0));
    const edges = canny(square, h, w);
    expect(edges.every((v) => v === 0 || v === 1)).toBe(true);
    const distanceToBoundary = (r: number, c: number) => {
      const inside = r >= 8 && r <= 19 && c >= 8 && c <= 19;
      const d = Math.min(Math.abs(r - 7.5), Math.abs(r - 19.5), Math.abs(c - 7.5), Math.abs(c - 19.5));
      return inside ? d : Math.max(Math.max(7.5 - r, r - 19.5, 0), Math.max(7.5 - c, c - 19.5, 0));
    };
    edges.forEach((v, k) => {
      if (v) expect(distanceToBoundary(Math.floor(k / w), k % w)).toBeLessThanOrEqual(1);
    });
    // Every side is found along its middle.
    const side = (cells: [number, number][]) => cells.some(([r, c]) => edges[r * w + c] === 1);
    expect(side([[13, 7], [13, 8]])).toBe(true);
    expect(side([[13, 19], [13, 20]])).toBe(true);
    expect(side([[7, 13], [8, 13]])).toBe(true);
    expect(side([[19, 13], [20, 13]])).toBe(true);
  });

  it('finds nothing in a constant image', () => {
    expect(canny(new Float64Array(20 * 20).fill(0.7), 20, 20).every((v) => v === 0)).toBe(true);
  });

  it('matches skimage 0.14 canny (its code run on SciPy) on a disc over a faint texture', () => {
    const [h, w] = [16, 16];
    const image = Float64Array.from({ length: h * w }, (_, k) => {
      const [r, c] = [Math.floor(k / w), k % w];
      return ((r - 7) ** 2 + (c - 8) ** 2 <= 25 ? 200 : ((r * c) % 7) * 10) / 255;
    });
    expect(toRows(canny(image, h, w), w)).toEqual([
      '................',
      '................',
      '......#####.....',
      '....###....##...',
      '....#.......#...',
      '...##.......#...',
      '...#.........#..',
      '...#.........#..',
      '...#.........#..',
      '...##........#..',
      '....#.......#...',
      '....###....##...',
      '......#####.....',
      '.#..............',
      '.#..............',
      '................',
    ]);
  });

  it('hysteresis keeps weak edges only when they are connected to a strong one', () => {
    // The Sobel magnitude of a blurred step of height s peaks near 4·s·(Φ(½) − Φ(−1½)) ≈ 2.5·s, so a
    // 0.05 step (≈ 0.125) lies between the thresholds 0.1 and 0.2: alone it is dropped…
    const [h, w] = [24, 16];
    const step = (top: number) => Float64Array.from({ length: h * w }, (_, k) => (k % w >= 8 ? Math.max(top - 0.03 * Math.floor(k / w), 0.05) : 0));
    expect(canny(step(0.05), h, w).every((v) => v === 0)).toBe(true);
    // …but kept below a strong step (0.3 at the top) that fades into it.
    const edges = canny(step(0.3), h, w);
    for (let row = 12; row <= 22; row++) expect(edges[row * w + 7]! + edges[row * w + 8]!, `row ${row}`).toBeGreaterThan(0);
  });
});
