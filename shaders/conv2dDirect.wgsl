// Direct 2-D convolution (NCHW, f32, zero padding) for layers whose input window is short,
// K = CI·KH·KW ≤ 32: the first layer of a CNN (MNIST's 1 → 32 at 3×3: K = 9; an RGB 3×3:
// K = 27). As a GEMM such a layer has K far below any tile's depth, so the implicit GEMM
// spends its time on index arithmetic and stores; here one invocation gathers one window
// once and reuses it for every output channel.
//
//   directForward         y[b,co,p] = Σ_k w[co,k] · window(b,p)[k] (+ bias[co])
//                         one invocation per PIXELS output pixels (i + j·slices), all CO channels
//   directBackwardWeight  part[s,co,k] = Σ_{n ≡ s mod SLICES} dy[b,co,p] · window(b,p)[k],  n = b·OH·OW + p
//                         one invocation per (slice s, block of CO_BLOCK channels); the
//                         wrapper sums the SLICES partials in a fixed order (reduce.wgsl)
//
// where window(b,p)[k], k = ci·KH·KW + kh·KW + kw, is x[b, ci, oh·SH − PH + kh, ow·SW − PW + kw]
// (0 in the padding) for p = oh·OW + ow. Consecutive invocations take consecutive pixels, so
// neighbouring lanes read and write neighbouring addresses. The geometry is const
// (convGeometry.wgsl, concatenated before this file); the batch is a uniform.
//
// Bindings: 0 params; forward: 1 x, 2 w, 3 bias (in the layout always, read when BIAS = 1),
// 4 y; backward-weight: 1 x, 2 dy, 3 part.
// Dispatch: one invocation per PIXELS pixels (forward) or per (slice, block), over grid.ts's 2-D grid.

struct DirectParams {
  pixels: u32, // B·OH·OW: output pixels of the batch
  slices: u32, // backward-weight: invocations per channel block; forward: ceil(pixels / PIXELS)
}

const WG: u32 = 64u;
const BIAS: u32 = 0u;
// Output channels one backward-weight invocation accumulates (divides CO).
const CO_BLOCK: u32 = 1u;
// Output pixels one forward invocation computes (i + j·slices), as the lanes of a vec4.
const PIXELS: u32 = 4u;

const K: u32 = CI * TAPS;

@group(0) @binding(0) var<uniform> params: DirectParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> operand: array<f32>; // w (forward) or dy (backward-weight)
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

fn flatIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

/** The K inputs under output pixel n = b·OH·OW + oh·OW + ow. Rows and columns are u32 that wrap below zero: one compare rejects both edges. */
fn windowOf(n: u32) -> array<f32, K> {
  let b = n / OUT_PLANE;
  let p = n - b * OUT_PLANE;
  let oh = p / OW;
  let row0 = oh * SH - PH;
  let col0 = (p - oh * OW) * SW - PW;
  var window: array<f32, K>;
  for (var ci = 0u; ci < CI; ci++) {
    let plane = (b * CI + ci) * IN_PLANE;
    for (var kh = 0u; kh < KH; kh++) {
      for (var kw = 0u; kw < KW; kw++) {
        let row = row0 + kh;
        let col = col0 + kw;
        let inside = row < H && col < W;
        window[ci * TAPS + kh * KW + kw] = select(0.0, x[select(0u, plane + row * W + col, inside)], inside);
      }
    }
  }
  return window;
}

@compute @workgroup_size(WG)
fn directForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = flatIndex(gid, groups);
  if (first >= params.slices) { return; }
  // The windows of PIXELS pixels side by side, each weight loaded once for all; pixel j of
  // invocation i is i + j·slices, so neighbouring lanes store to neighbouring addresses.
  var windows: array<vec4<f32>, K>;
  var outputs: array<u32, PIXELS>; // where pixel j's channel 0 goes
  for (var j = 0u; j < PIXELS; j++) {
    let n = min(first + j * params.slices, params.pixels - 1u);
    let window = windowOf(n);
    for (var k = 0u; k < K; k++) { windows[k][j] = window[k]; }
    let b = n / OUT_PLANE;
    outputs[j] = b * CO * OUT_PLANE + (n - b * OUT_PLANE);
  }
  for (var co = 0u; co < CO; co++) {
    var sums = vec4<f32>(0.0);
    if (BIAS == 1u) { sums = vec4<f32>(bias[co]); }
    for (var k = 0u; k < K; k++) { sums += operand[co * K + k] * windows[k]; }
    for (var j = 0u; j < PIXELS; j++) {
      if (first + j * params.slices < params.pixels) { y[outputs[j] + co * OUT_PLANE] = sums[j]; }
    }
  }
}

@compute @workgroup_size(WG)
fn directBackwardWeight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  if (invocation >= params.slices * (CO / CO_BLOCK)) { return; }
  let block = invocation / params.slices;
  let s = invocation - block * params.slices;
  var sums: array<f32, CO_BLOCK * K>;
  for (var n = s; n < params.pixels; n += params.slices) {
    let window = windowOf(n);
    let b = n / OUT_PLANE;
    let dy = (b * CO + block * CO_BLOCK) * OUT_PLANE + (n - b * OUT_PLANE);
    for (var c = 0u; c < CO_BLOCK; c++) {
      let g = operand[dy + c * OUT_PLANE];
      for (var k = 0u; k < K; k++) { sums[c * K + k] += g * window[k]; }
    }
  }
  let part = (s * CO + block * CO_BLOCK) * K;
  for (var i = 0u; i < CO_BLOCK * K; i++) { partials[part + i] = sums[i]; }
}
