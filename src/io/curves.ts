// A run's training curves as a standalone SVG: the loss at each reported step and the clean
// test error at each epoch's end, on one step axis with a scale each (loss left, error right).
// Plain text, so it needs no drawing library and opens in any browser.

export interface CurvePoints {
  /** (step, loss) at each step report. */
  loss: readonly (readonly [number, number])[];
  /** (step, clean error in %) at each evaluated epoch's end. */
  error: readonly (readonly [number, number])[];
}

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { left: 64, right: 64, top: 36, bottom: 48 };

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Maps [lo, hi] onto [to0, to1]; a flat range maps to the middle. */
function scale(lo: number, hi: number, to0: number, to1: number): (v: number) => number {
  return hi > lo ? (v) => to0 + ((v - lo) / (hi - lo)) * (to1 - to0) : () => (to0 + to1) / 2;
}

function extent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  return finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
}

function polyline(points: readonly (readonly [number, number])[], x: (v: number) => number, y: (v: number) => number, colour: string): string {
  const finite = points.filter(([, v]) => Number.isFinite(v));
  const coordinates = finite.map(([s, v]) => `${x(s).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${coordinates}"/>`;
}

function ticks(lo: number, hi: number, at: (v: number) => number, side: 'left' | 'right' | 'bottom'): string {
  return [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const value = lo + f * (hi - lo);
      const label = Math.abs(hi - lo) >= 10 ? value.toFixed(0) : value.toPrecision(3);
      const p = at(value).toFixed(1);
      if (side === 'bottom') return `<text x="${p}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${label}</text>`;
      const x = side === 'left' ? MARGIN.left - 6 : WIDTH - MARGIN.right + 6;
      return `<text x="${x}" y="${p}" text-anchor="${side === 'left' ? 'end' : 'start'}" dominant-baseline="middle">${label}</text>`;
    })
    .join('');
}

export function curvesSvg(points: CurvePoints, title: string): string {
  const steps = extent([...points.loss, ...points.error].map(([s]) => s));
  const losses = extent(points.loss.map(([, v]) => v));
  const errors = extent(points.error.map(([, v]) => v));
  const x = scale(steps[0], steps[1], MARGIN.left, WIDTH - MARGIN.right);
  const yLoss = scale(Math.min(0, losses[0]), losses[1], HEIGHT - MARGIN.bottom, MARGIN.top);
  const yError = scale(0, Math.max(errors[1], 1), HEIGHT - MARGIN.bottom, MARGIN.top);
  const errorMarks = points.error
    .filter(([, v]) => Number.isFinite(v))
    .map(([s, v]) => `<circle cx="${x(s).toFixed(1)}" cy="${yError(v).toFixed(1)}" r="3" fill="#c0392b"/>`)
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${WIDTH - MARGIN.left - MARGIN.right}" height="${HEIGHT - MARGIN.top - MARGIN.bottom}" fill="none" stroke="#999"/>`,
    polyline(points.loss, x, yLoss, '#2471a3'),
    polyline(points.error, x, yError, '#c0392b'),
    errorMarks,
    `<g fill="#2471a3">${ticks(Math.min(0, losses[0]), losses[1], yLoss, 'left')}</g>`,
    `<g fill="#c0392b">${ticks(0, Math.max(errors[1], 1), yError, 'right')}</g>`,
    `<g fill="#333">${ticks(steps[0], steps[1], x, 'bottom')}</g>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 12}" text-anchor="middle">step</text>`,
    `<text x="14" y="${HEIGHT / 2}" fill="#2471a3" transform="rotate(-90 14 ${HEIGHT / 2})" text-anchor="middle">training loss</text>`,
    `<text x="${WIDTH - 14}" y="${HEIGHT / 2}" fill="#c0392b" transform="rotate(90 ${WIDTH - 14} ${HEIGHT / 2})" text-anchor="middle">clean test error %</text>`,
    '</svg>',
    '',
  ].join('\n');
}
