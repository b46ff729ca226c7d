// A line chart as a standalone SVG (the ε sweep: error against ε, one line per method, a
// dashed level line for Naive). Plain text: no drawing library, opens in any browser.
import { escapeXml } from '../../src/io/curves.ts';

export interface Series {
  label: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
  /** Default: the next of COLOURS; give one to pair a prediction with its measurement. */
  colour?: string;
}

const WIDTH = 640;
const HEIGHT = 400;
const M = { left: 60, right: 170, top: 40, bottom: 50 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#555555'];

function range(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = hi > lo ? 0.05 * (hi - lo) : 1;
  return [lo - pad, hi + pad];
}

export function lineChartSvg(series: readonly Series[], title: string, xLabel: string, yLabel: string): string {
  const all = series.flatMap((s) => s.points);
  if (!all.length) throw new Error(`lineChartSvg: "${title}" has no points`);
  const [x0, x1] = range(all.map(([x]) => x));
  const [y0, y1] = range(all.map(([, y]) => y));
  const x = (v: number) => M.left + ((v - x0) / (x1 - x0)) * (WIDTH - M.left - M.right);
  const y = (v: number) => HEIGHT - M.bottom - ((v - y0) / (y1 - y0)) * (HEIGHT - M.top - M.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${M.left}" y1="${HEIGHT - M.bottom}" x2="${WIDTH - M.right}" y2="${HEIGHT - M.bottom}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${HEIGHT - M.bottom}" stroke="black"/>`,
    ...ticks.map((f) => {
      const v = x0 + f * (x1 - x0);
      return `<text x="${x(v).toFixed(1)}" y="${HEIGHT - M.bottom + 16}" text-anchor="middle">${v.toPrecision(3)}</text>`;
    }),
    ...ticks.map((f) => {
      const v = y0 + f * (y1 - y0);
      return `<text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toPrecision(3)}</text>`;
    }),
    `<text x="${(M.left + WIDTH - M.right) / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(16 ${(M.top + HEIGHT - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  ];
  series.forEach((s, i) => {
    const colour = s.colour ?? COLOURS[i % COLOURS.length];
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    const coordinates = [...s.points].sort((a, b) => a[0] - b[0]).map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${coordinates}"/>`);
    if (!s.dashed) for (const [px, py] of s.points) parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${colour}"/>`);
    const ly = M.top + 10 + i * 20;
    parts.push(`<line x1="${WIDTH - M.right + 12}" y1="${ly}" x2="${WIDTH - M.right + 36}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${WIDTH - M.right + 42}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
