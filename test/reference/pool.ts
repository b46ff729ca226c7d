// Float64 2-D pooling over NCHW, forward and backward, written as the textbook loops
// (backward scatters into dx; the GPU gathers, so the two are independent).
export interface PoolDims {
  N: number;
  C: number;
  H: number;
  W: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  pH: number;
  pW: number;
}

export function pooledSize(d: PoolDims): [number, number] {
  return [Math.floor((d.H + 2 * d.pH - d.kH) / d.sH) + 1, Math.floor((d.W + 2 * d.pW - d.kW) / d.sW) + 1];
}

/** Calls visit(o, inputIndices) for each output o with the flat indices of its in-range inputs, in scan order. */
function forEachWindow(d: PoolDims, visit: (o: number, inputs: number[]) => void): void {
  const [OH, OW] = pooledSize(d);
  for (let plane = 0; plane < d.N * d.C; plane++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const inputs: number[] = [];
        for (let kh = 0; kh < d.kH; kh++)
          for (let kw = 0; kw < d.kW; kw++) {
            const h = oh * d.sH - d.pH + kh;
            const w = ow * d.sW - d.pW + kw;
            if (h >= 0 && h < d.H && w >= 0 && w < d.W) inputs.push((plane * d.H + h) * d.W + w);
          }
        visit((plane * OH + oh) * OW + ow, inputs);
      }
}

function outputCount(d: PoolDims): number {
  const [OH, OW] = pooledSize(d);
  return d.N * d.C * OH * OW;
}

/** y = window maxima; argmax = flat input index of the first maximum (PyTorch's tie rule). */
export function maxPoolForward(x: ArrayLike<number>, d: PoolDims): { y: Float64Array; argmax: Uint32Array } {
  const y = new Float64Array(outputCount(d));
  const argmax = new Uint32Array(y.length);
  forEachWindow(d, (o, inputs) => {
    let best = inputs[0]!;
    for (const i of inputs) if (x[i]! > x[best]!) best = i;
    y[o] = x[best]!;
    argmax[o] = best;
  });
  return { y, argmax };
}

export function maxPoolBackward(dy: ArrayLike<number>, argmax: ArrayLike<number>, d: PoolDims): Float64Array {
  const dx = new Float64Array(d.N * d.C * d.H * d.W);
  for (let o = 0; o < dy.length; o++) dx[argmax[o]!]! += dy[o]!;
  return dx;
}

/** count_include_pad = true: every window divides by kH·kW. */
export function avgPoolForward(x: ArrayLike<number>, d: PoolDims): Float64Array {
  const y = new Float64Array(outputCount(d));
  forEachWindow(d, (o, inputs) => {
    y[o] = inputs.reduce((s, i) => s + x[i]!, 0) / (d.kH * d.kW);
  });
  return y;
}

export function avgPoolBackward(dy: ArrayLike<number>, d: PoolDims): Float64Array {
  const dx = new Float64Array(d.N * d.C * d.H * d.W);
  forEachWindow(d, (o, inputs) => {
    for (const i of inputs) dx[i]! += dy[o]! / (d.kH * d.kW);
  });
  return dx;
}

/** [N, C, H, W] → [N, C] plane means. */
export function globalAvgPoolForward(x: ArrayLike<number>, N: number, C: number, H: number, W: number): Float64Array {
  const y = new Float64Array(N * C);
  for (let p = 0; p < N * C; p++) {
    let s = 0;
    for (let j = 0; j < H * W; j++) s += x[p * H * W + j]!;
    y[p] = s / (H * W);
  }
  return y;
}

export function globalAvgPoolBackward(dy: ArrayLike<number>, N: number, C: number, H: number, W: number): Float64Array {
  return Float64Array.from({ length: N * C * H * W }, (_, i) => dy[Math.floor(i / (H * W))]! / (H * W));
}

/** Square-or-not pooling dims from the common way tests write them. */
export function poolDims(
  [N, C, H, W]: readonly number[],
  kernel: number | [number, number],
  stride: number | [number, number] = kernel,
  padding: number | [number, number] = 0,
): PoolDims {
  const pair = (v: number | [number, number]) => (typeof v === 'number' ? [v, v] : v);
  const [kH, kW] = pair(kernel);
  const [sH, sW] = pair(stride);
  const [pH, pW] = pair(padding);
  return { N: N!, C: C!, H: H!, W: W!, kH: kH!, kW: kW!, sH: sH!, sW: sW!, pH: pH!, pW: pW! };
}
