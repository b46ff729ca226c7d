// The study's figures as standalone SVG: a line chart (the ε sweep: error against ε, one line
// per method, a dashed level line for Naive) and an interval chart (the paired differences,
// seed by seed, against 0 and the paper's). Plain text: no drawing library, opens in any browser.
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

/** Ticks within [lo, hi] at the finest round step (1, 2 or 5 × 10^k) that spans the range in at most eight. */
export function roundTicks(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo];
  const magnitude = 10 ** Math.floor(Math.log10((hi - lo) / 4));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((st) => (hi - lo) / st <= 8)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) ticks.push(Number((Math.round(v / step) * step).toPrecision(12)));
  return ticks;
}

/** One row of an interval chart: a paired difference's seeds, its mean and 95% interval, and the paper's value. */
export interface IntervalRow {
  label: string;
  /** A heading drawn above the first row of each group. */
  group?: string;
  values: readonly number[];
  mean: number;
  lo: number;
  hi: number;
  reference?: number;
  /** For a claim of no difference: the equivalence margin, drawn as a band ±margin around 0. */
  margin?: number;
}

const ROW = 26;
const GROUP = 22;
/** Room for the row labels: at least 240 px, more for long ones (about 6.5 px a character at 12 px sans-serif). */
const labelWidth = (rows: readonly IntervalRow[]) => Math.max(240, Math.ceil(Math.max(...rows.map((r) => r.label.length)) * 6.5) + 20);
/** The plot's own width, beside the labels. */
const PLOT_WIDTH = 400;

/**
 * Differences as rows against a shared axis: each seed a small dot, the mean a square on its
 * 95% interval, the paper's value a red diamond, an equivalence margin a grey band, and a line
 * at 0. An interval clear of 0 is a resolved difference; one clear of the diamond rules the
 * paper's value out.
 */
export function intervalChartSvg(rows: readonly IntervalRow[], title: string, xLabel: string): string {
  if (!rows.length) throw new Error(`intervalChartSvg: "${title}" has no rows`);
  const all = rows.flatMap((r) => [...r.values, r.lo, r.hi, ...(r.reference === undefined ? [] : [r.reference]), ...(r.margin === undefined ? [] : [-r.margin, r.margin])]);
  const [x0, x1] = range([...all, 0]);
  const left = labelWidth(rows);
  const width = left + PLOT_WIDTH;
  const right = width - 30;
  const x = (v: number) => left + ((v - x0) / (x1 - x0)) * (right - left);
  const body: string[] = [];
  // Drawn first, beneath the line at 0 and the rows.
  const bands: string[] = [];
  let y = 50;
  rows.forEach((r, i) => {
    if (r.group !== undefined && r.group !== rows[i - 1]?.group) {
      y += i ? 8 : 0;
      body.push(`<text x="10" y="${y + 4}" font-weight="bold">${escapeXml(r.group)}</text>`);
      y += GROUP;
    }
    if (r.margin !== undefined) bands.push(`<rect x="${x(-r.margin).toFixed(1)}" y="${y - 12}" width="${(x(r.margin) - x(-r.margin)).toFixed(1)}" height="24" fill="#dddddd"/>`);
    body.push(`<text x="${left - 10}" y="${y + 4}" text-anchor="end">${escapeXml(r.label)}</text>`);
    body.push(`<line x1="${x(r.lo).toFixed(1)}" y1="${y}" x2="${x(r.hi).toFixed(1)}" y2="${y}" stroke="${COLOURS[0]}" stroke-width="3"/>`);
    for (const v of r.values) body.push(`<circle cx="${x(v).toFixed(1)}" cy="${y - 7}" r="2.5" fill="#555555"/>`);
    body.push(`<rect x="${(x(r.mean) - 4).toFixed(1)}" y="${y - 4}" width="8" height="8" fill="${COLOURS[0]}"/>`);
    if (r.reference !== undefined) {
      const rx = x(r.reference);
      body.push(`<path d="M ${rx.toFixed(1)} ${y - 6} l 6 6 l -6 6 l -6 -6 z" fill="${COLOURS[1]}" fill-opacity="0.8"/>`);
    }
    y += ROW;
  });
  const height = y + 78;
  const ticks = roundTicks(x0, x1);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="22" font-size="14">${escapeXml(title)}</text>`,
    ...bands,
    `<line x1="${x(0).toFixed(1)}" y1="36" x2="${x(0).toFixed(1)}" y2="${y - 10}" stroke="#999999" stroke-dasharray="4 3"/>`,
    ...body,
    `<line x1="${left}" y1="${y - 10}" x2="${right}" y2="${y - 10}" stroke="black"/>`,
    ...ticks.map((v) => `<text x="${x(v).toFixed(1)}" y="${y + 6}" text-anchor="middle">${String(Number(v.toPrecision(6))).replace('-', '−')}</text>`),
    `<text x="${width / 2}" y="${y + 26}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="10" y="${y + 48}" fill="#333333">dots: seeds · square and bar: mean and 95% interval</text>`,
    `<text x="10" y="${y + 66}" fill="#333333">red diamond: the paper's difference${rows.some((r) => r.margin !== undefined) ? ' · grey band: equivalence margin' : ''}</text>`,
    '</svg>',
  ].join('\n') + '\n';
}
