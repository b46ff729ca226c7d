// A live line chart on a canvas: series share the x axis (training step); each has its own
// y range, the first drawn against the left axis, the second against the right.

export interface Series {
  name: string;
  color: string;
  /** Fixed [min, max], or undefined to fit the data (from 0). */
  range?: readonly [number, number];
}

const PAD = { left: 48, right: 48, top: 24, bottom: 28 };

export class LineChart {
  private readonly points: [number, number][][];
  private xMax = 1;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly series: readonly Series[],
  ) {
    this.points = series.map(() => []);
    this.draw();
  }

  /** One x with a value for each series (NaN leaves a series out). */
  add(x: number, values: readonly number[]): void {
    values.forEach((v, i) => Number.isFinite(v) && this.points[i]!.push([x, v]));
    this.xMax = Math.max(this.xMax, x);
    this.draw();
  }

  clear(xMax = 1): void {
    for (const p of this.points) p.length = 0;
    this.xMax = xMax;
    this.draw();
  }

  private draw(): void {
    const context = this.canvas.getContext('2d')!;
    const { width, height } = this.canvas;
    const plot = { x: PAD.left, y: PAD.top, w: width - PAD.left - PAD.right, h: height - PAD.top - PAD.bottom };
    context.clearRect(0, 0, width, height);
    context.font = '12px system-ui, sans-serif';
    context.strokeStyle = '#d1d5db';
    context.strokeRect(plot.x, plot.y, plot.w, plot.h);
    context.fillStyle = '#6b7280';
    context.textAlign = 'center';
    context.fillText('step', plot.x + plot.w / 2, height - 6);
    context.fillText(String(Math.round(this.xMax)), plot.x + plot.w, height - 14);
    this.series.forEach((s, i) => {
      const data = this.points[i]!;
      const [lo, hi] = s.range ?? [0, Math.max(1e-6, ...data.map(([, v]) => v))];
      const left = i === 0;
      context.fillStyle = s.color;
      context.textAlign = left ? 'right' : 'left';
      const axisX = left ? plot.x - 6 : plot.x + plot.w + 6;
      context.fillText(format(hi), axisX, plot.y + 10);
      context.fillText(format(lo), axisX, plot.y + plot.h);
      context.textAlign = left ? 'left' : 'right';
      context.fillText(s.name, left ? plot.x : plot.x + plot.w, plot.y - 8);
      context.strokeStyle = s.color;
      context.lineWidth = 1.5;
      context.beginPath();
      data.forEach(([x, v], k) => {
        const px = plot.x + (x / this.xMax) * plot.w;
        const py = plot.y + plot.h - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * plot.h;
        if (k === 0) context.moveTo(px, py);
        else context.lineTo(px, py);
      });
      context.stroke();
    });
  }
}

function format(v: number): string {
  return Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2);
}
