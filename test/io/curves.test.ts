import { describe, expect, it } from 'vitest';
import { curvesSvg } from '../../src/io/curves.ts';

const polylines = (svg: string) => [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' ').filter(Boolean).map((p) => p.split(',').map(Number)));

describe('curvesSvg', () => {
  it('draws one point per finite loss and per evaluated epoch, inside the plot, larger values higher up', () => {
    const svg = curvesSvg({ loss: [[10, 2.3], [20, 1.5], [30, Number.NaN], [40, 0.7]], error: [[20, 30], [40, 12.5]] }, 'run <1> & "x"');
    const [loss, error] = polylines(svg);
    expect(loss).toHaveLength(3);
    expect(error).toHaveLength(2);
    for (const [x, y] of [...loss!, ...error!]) {
      expect(x).toBeGreaterThanOrEqual(64);
      expect(x).toBeLessThanOrEqual(720 - 64);
      expect(y).toBeGreaterThanOrEqual(36);
      expect(y).toBeLessThanOrEqual(360 - 48);
    }
    expect(loss![0]![1]).toBeLessThan(loss![2]![1]!); // 2.3 drawn above 0.7 (SVG y grows downwards)
    expect(error![0]![1]).toBeLessThan(error![1]![1]!);
    expect(svg).toContain('run &#60;1&#62; &#38; &#34;x&#34;');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('stays valid with a single point or no evaluation', () => {
    const svg = curvesSvg({ loss: [[1, 0.5]], error: [] }, 'one');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(polylines(svg)[0]).toHaveLength(1);
  });
});
