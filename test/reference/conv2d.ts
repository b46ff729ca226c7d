// Float64 2-D convolution over NCHW, forward and backward, as the textbook direct loops
// (backward scatters each output's gradient into its window; the GPU gathers, so the two
// are independent).
export interface ConvDims {
  B: number;
  Ci: number;
  H: number;
  W: number;
  Co: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PH: number;
  PW: number;
}

export function convOutputSize(d: ConvDims): [number, number] {
  return [Math.floor((d.H + 2 * d.PH - d.KH) / d.SH) + 1, Math.floor((d.W + 2 * d.PW - d.KW) / d.SW) + 1];
}

/** Dims from an input shape [B, Ci, H, W], a weight shape [Co, Ci, KH, KW] and the geometry. */
export function convDims(
  [B, Ci, H, W]: readonly number[],
  [Co, , KH, KW]: readonly number[],
  stride: number | [number, number] = 1,
  padding: number | [number, number] = 0,
): ConvDims {
  const pair = (v: number | [number, number]) => (typeof v === 'number' ? [v, v] : v);
  const [SH, SW] = pair(stride);
  const [PH, PW] = pair(padding);
  return { B: B!, Ci: Ci!, H: H!, W: W!, Co: Co!, KH: KH!, KW: KW!, SH: SH!, SW: SW!, PH: PH!, PW: PW! };
}

/**
 * Calls visit(y, xi, wi) for every product x[xi]·w[wi] that contributes to output y[y],
 * skipping the taps that fall in the zero padding.
 */
function forEachTap(d: ConvDims, visit: (yi: number, xi: number, wi: number) => void): void {
  const [OH, OW] = convOutputSize(d);
  for (let b = 0; b < d.B; b++)
    for (let co = 0; co < d.Co; co++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const yi = ((b * d.Co + co) * OH + oh) * OW + ow;
          for (let ci = 0; ci < d.Ci; ci++)
            for (let kh = 0; kh < d.KH; kh++)
              for (let kw = 0; kw < d.KW; kw++) {
                const ih = oh * d.SH - d.PH + kh;
                const iw = ow * d.SW - d.PW + kw;
                if (ih < 0 || ih >= d.H || iw < 0 || iw >= d.W) continue;
                visit(yi, ((b * d.Ci + ci) * d.H + ih) * d.W + iw, ((co * d.Ci + ci) * d.KH + kh) * d.KW + kw);
              }
        }
}

/** y[b, co, oh, ow] = Σ w[co, ci, kh, kw]·x[b, ci, oh·s − p + kh, ow·s − p + kw] + bias[co]. */
export function conv2dForward64(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, d: ConvDims): Float64Array {
  const [OH, OW] = convOutputSize(d);
  const y = new Float64Array(d.B * d.Co * OH * OW);
  if (bias) for (let i = 0; i < y.length; i++) y[i] = bias[Math.floor(i / (OH * OW)) % d.Co]!;
  forEachTap(d, (yi, xi, wi) => {
    y[yi]! += w[wi]! * x[xi]!;
  });
  return y;
}

export function conv2dBackward64(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, d: ConvDims) {
  const [OH, OW] = convOutputSize(d);
  const dx = new Float64Array(d.B * d.Ci * d.H * d.W);
  const dw = new Float64Array(d.Co * d.Ci * d.KH * d.KW);
  const db = new Float64Array(d.Co);
  forEachTap(d, (yi, xi, wi) => {
    dx[xi]! += w[wi]! * dy[yi]!;
    dw[wi]! += x[xi]! * dy[yi]!;
  });
  for (let i = 0; i < dy.length; i++) db[Math.floor(i / (OH * OW)) % d.Co]! += dy[i]!;
  return { dx, dw, db };
}
