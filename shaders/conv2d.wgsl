// 2-D convolution (NCHW, f32, zero padding) as implicit GEMM: operand access for the GEMM
// core (convGeometry.wgsl goes before this file, gemm.wgsl after it). No im2col buffer: the loaders gather the
// image patches straight from the tensors. MODE picks the product:
//
//   0 forward          y[b,co,oh,ow] = Σ_{ci,kh,kw} w[co,ci,kh,kw] · x[b,ci,oh·SH−PH+kh, ow·SW−PW+kw] (+ bias[co])
//                      M = CO, N = B·OH·OW, K = CI·KH·KW;  A = w, B = x, C = y
//   1 backward-data    dx[b,ci,ih,iw] = Σ_{co,kh,kw} w[co,ci,kh,kw] · dy[b,co,oh,ow]
//                      over the taps with ih = oh·SH − PH + kh, iw likewise, (oh, ow) in range
//                      A = w, B = dy, C = dx; one launch per stride phase, see below
//   2 backward-weight  dw[co,ci,kh,kw] = Σ_{b,oh,ow} dy[b,co,oh,ow] · x[b,ci,oh·SH−PH+kh, ow·SW−PW+kw]
//                      M = CO, N = CI·KH·KW, K = B·OH·OW;  A = dy, B = x, C = dw
//
// The whole geometry except the batch is const (convGeometry.wgsl): the loaders split GEMM
// indices into (image, channel, row, column) on every call, and lavapipe runs forward and
// backward-data about 2x faster with constant divisors.
// A model has a handful of distinct layer shapes; the batch size stays a uniform, so a
// short last batch compiles nothing new.
//
// Backward-data by stride phase: with stride > 1, input row ih only receives taps kh with
// kh ≡ ih + PH (mod SH). Launch (PHASE_H, PHASE_W) covers the input pixels of one residue
// class: rows ih = FIRST_IH + SH·u, taps kh = PHASE_H + SH·t, and then oh = u + SHIFT_H − t
// exactly, so no tap of the GEMM is a structural zero (a plain gather would waste
// 1 − 1/(SH·SW) of its work). M = CI, N = B·ROWS·COLS, K = CO·TAPS_H·TAPS_W. With stride 1
// there is one phase and this is the ordinary gather.
//
// Coordinates are u32 and may wrap below zero on purpose: one unsigned compare rejects
// both edges of the padding. Out-of-range taps read element 0 and select zero, without a
// branch. With split-K (forward, backward-weight), split s writes its partial product
// at C[s·M·N + index]; reduce.wgsl sums the splits in a fixed order.
//
// Bindings: 0 params, 1 A, 2 B, 3 bias (read only when BIAS != 0), 4 C.
// Dispatch: as gemm.wgsl, (ceil(N / (WG_N·TN)), ceil(M / (WG_M·TM)), splits).

struct ConvParams {
  M: u32,
  N: u32,
  K: u32,
  kPerSplit: u32,
}

const FORWARD: u32 = 0u;
const BACKWARD_DATA: u32 = 1u;
const BACKWARD_WEIGHT: u32 = 2u;

const MODE: u32 = 0u;
// 0: no bias, 1: bias[co] added in the store (forward only, never with split-K).
const BIAS: u32 = 0u;
// Backward-data only: the residue class of kh (mod SH) and kw (mod SW) of this launch.
const PHASE_H: u32 = 0u;
const PHASE_W: u32 = 0u;

const IN_IMAGE: u32 = CI * IN_PLANE;
const OUT_IMAGE: u32 = CO * OUT_PLANE;

// Stride phase (the wrapper computes the same sizes for M, N, K). Sums are ordered so no
// const expression goes below zero; max(…, 1) keeps empty phases' divisors legal.
const FIRST_IH: u32 = (PHASE_H + SH - PH % SH) % SH;
const FIRST_IW: u32 = (PHASE_W + SW - PW % SW) % SW;
const ROWS: u32 = (H + SH - 1u - FIRST_IH) / SH;
const COLS: u32 = (W + SW - 1u - FIRST_IW) / SW;
const PHASE_PIXELS: u32 = max(ROWS * COLS, 1u);
const PHASE_COLS: u32 = max(COLS, 1u);
const TAPS_H: u32 = (KH + SH - 1u - PHASE_H) / SH;
const TAPS_W: u32 = max((KW + SW - 1u - PHASE_W) / SW, 1u);
const PHASE_TAPS: u32 = max(TAPS_H * TAPS_W, 1u);
const SHIFT_H: u32 = (FIRST_IH + PH - PHASE_H) / SH;
const SHIFT_W: u32 = (FIRST_IW + PW - PHASE_W) / SW;

@group(0) @binding(0) var<uniform> params: ConvParams;
@group(0) @binding(1) var<storage, read> operandA: array<f32>;
@group(0) @binding(2) var<storage, read> operandB: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> result: array<f32>;

fn gemmShape() -> vec4<u32> {
  return vec4<u32>(params.M, params.N, params.K, params.kPerSplit);
}

/** x[b, ci, oh·SH − PH + kh, ow·SW − PW + kw] for tap kh·KW + kw and output pixel oh·OW + ow; 0 in the padding. */
fn gatherInput(b: u32, ci: u32, tap: u32, outPixel: u32) -> f32 {
  let kh = tap / KW;
  let oh = outPixel / OW;
  let ih = oh * SH + kh - PH;
  let iw = (outPixel - oh * OW) * SW + (tap - kh * KW) - PW;
  let inside = ih < H && iw < W;
  let v = operandB[select(0u, b * IN_IMAGE + ci * IN_PLANE + ih * W + iw, inside)];
  return select(0.0, v, inside);
}

/** dy[b, co, u + SHIFT_H − th, v + SHIFT_W − tw] for phase tap th·TAPS_W + tw and phase pixel u·COLS + v; 0 off the edge. */
fn gatherOutputGrad(b: u32, co: u32, tap: u32, pixel: u32) -> f32 {
  let th = tap / TAPS_W;
  let u = pixel / PHASE_COLS;
  let oh = u + SHIFT_H - th;
  let ow = (pixel - u * PHASE_COLS) + SHIFT_W - (tap - th * TAPS_W);
  let inside = oh < OH && ow < OW;
  let v = operandB[select(0u, b * OUT_IMAGE + co * OUT_PLANE + oh * OW + ow, inside)];
  return select(0.0, v, inside);
}

fn loadA(m: u32, k: u32) -> f32 {
  if (MODE == FORWARD) { return operandA[m * (CI * TAPS) + k]; }
  if (MODE == BACKWARD_DATA) {
    let co = k / PHASE_TAPS;
    let tap = k - co * PHASE_TAPS;
    let th = tap / TAPS_W;
    let kh = PHASE_H + SH * th;
    let kw = PHASE_W + SW * (tap - th * TAPS_W);
    return operandA[(co * CI + m) * TAPS + kh * KW + kw];
  }
  let b = k / OUT_PLANE;
  return operandA[b * OUT_IMAGE + m * OUT_PLANE + (k - b * OUT_PLANE)];
}

fn loadB(k: u32, n: u32) -> f32 {
  if (MODE == FORWARD) {
    let ci = k / TAPS;
    let b = n / OUT_PLANE;
    return gatherInput(b, ci, k - ci * TAPS, n - b * OUT_PLANE);
  }
  if (MODE == BACKWARD_DATA) {
    let co = k / PHASE_TAPS;
    let b = n / PHASE_PIXELS;
    return gatherOutputGrad(b, co, k - co * PHASE_TAPS, n - b * PHASE_PIXELS);
  }
  let b = k / OUT_PLANE;
  let ci = n / TAPS;
  return gatherInput(b, ci, n - ci * TAPS, k - b * OUT_PLANE);
}

fn storeC(m: u32, n: u32, split: u32, v: f32) {
  if (MODE == FORWARD) {
    let b = n / OUT_PLANE;
    var r = v;
    if (BIAS == 1u) { r += bias[m]; }
    result[split * params.M * params.N + b * OUT_IMAGE + m * OUT_PLANE + (n - b * OUT_PLANE)] = r;
  } else if (MODE == BACKWARD_DATA) {
    let b = n / PHASE_PIXELS;
    let pixel = n - b * PHASE_PIXELS;
    let u = pixel / PHASE_COLS;
    let ih = FIRST_IH + SH * u;
    let iw = FIRST_IW + SW * (pixel - u * PHASE_COLS);
    result[b * IN_IMAGE + m * IN_PLANE + ih * W + iw] = v;
  } else {
    result[(split * params.M + m) * params.N + n] = v;
  }
}
