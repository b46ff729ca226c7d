// 2-D pooling over NCHW planes (planes = N·C), windows of kH x kW with stride (sH, sW)
// and padding (pH, pW); output row oh covers input rows oh·sH − pH … oh·sH − pH + kH − 1.
//
//   maxPoolForward:  out[o] = max of the window's in-range inputs (padding counts as −∞);
//                    argmax[o] = flat input index (plane·H·W + h·W + w) of the first maximum
//                    in row-major scan order, as PyTorch picks ties.
//   maxPoolBackward: out[i] = Σ dy[o] over the windows o that contain input i and whose
//                    argmax is i. A gather (one item per input element, no atomics), so
//                    overlapping windows work and the summation order is fixed.
//   maxPoolBackwardTiled: the same when the windows tile the input exactly (stride = kernel,
//                    no padding, H % kH = 0, W % kW = 0, as in the MNIST CNN): every input
//                    lies in exactly one window, so one item per OUTPUT writes its whole
//                    window (dy at the argmax, 0 elsewhere). A quarter of the items of the
//                    gather for 2×2 windows, and no search for covering windows.
//   avgPoolForward:  out[o] = (Σ in-range inputs) / (kH·kW)    (count_include_pad = true)
//   avgPoolBackward: out[i] = (Σ dy[o] over windows containing i) / (kH·kW)
// Global average pooling is avgPool with the window the whole plane.
//
// The geometry is compiled in as consts (one pipeline per pooling shape): the divisions and
// remainders that locate a pixel then become multiplications, and the window loops unroll,
// which is most of this kernel's cost on a software adapter. Only the counts, which follow
// the batch, stay uniforms.
//
// Each invocation handles PER_INVOCATION items (outputs, or inputs for the gathers), spaced
// params.stride = ceil(count / PER_INVOCATION) apart so that neighbouring invocations still
// touch neighbouring items. On a software adapter (llvmpipe) an invocation and a workgroup
// carry a fixed cost that a few loads do not pay for: four items each made the 2×2 forward
// 1.6–2× faster (with the range checks dropped, below) and the tiled backward 2–3×;
// the wrapper picks one for forwards over larger windows, which have work enough.
//
// Bindings: 0 params, 1 out (y or dx), 2 input (x or dy), 3 argmax (max pooling only).
// Dispatch: grid1d(ceil(count / PER_INVOCATION), WG); count = outputs (forward, tiled
// backward) or inputs (gathers).

struct PoolParams {
  count: u32,  // items
  stride: u32, // invocations: ceil(count / PER_INVOCATION)
}

const WG: u32 = 256u;
const PER_INVOCATION: u32 = 4u; // set by the wrapper
const IN_H: u32 = 1u;
const IN_W: u32 = 1u;
const OUT_H: u32 = 1u;
const OUT_W: u32 = 1u;
const KH: u32 = 1u;
const KW: u32 = 1u;
const SH: u32 = 1u;
const SW: u32 = 1u;
const PH: u32 = 0u;
const PW: u32 = 0u;
// Without padding every window lies inside the input (floor mode), so small windows drop
// the range checks that padding needs (2×2 forward 1.2× faster on llvmpipe). Larger ones
// keep them: dropping them made the 8×8 global average pool 1.3× slower there.
const CHECK_RANGE = PH > 0u || PW > 0u || KH * KW > 4u;

@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;

fn flatIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// The r-th item of this invocation, or params.count when it has none (the grid is rounded
// up to whole workgroups, and the last invocations may have fewer than PER_INVOCATION).
fn item(invocation: u32, r: u32) -> u32 {
  if (invocation >= params.stride) { return params.count; }
  return min(invocation + r * params.stride, params.count);
}

// (plane, row, column) of a flat index into planes of the given size.
fn unflatten(index: u32, height: u32, width: u32) -> vec3<u32> {
  let planeSize = height * width;
  let r = index % planeSize;
  return vec3<u32>(index / planeSize, r / width, r % width);
}

// Half-open range of window starts (output rows or columns) whose window covers input
// position i, from oStart·s − p <= i <= oStart·s − p + k − 1, clipped to [0, outSize).
fn coveringWindows(i: u32, k: u32, s: u32, p: u32, outSize: u32) -> vec2<u32> {
  let padded = i + p;
  let first = select(0u, (padded - k) / s + 1u, padded >= k);
  return vec2<u32>(first, min(padded / s + 1u, outSize));
}

struct WindowReduction {
  total: f32,    // sum of in-range inputs (average pooling)
  best: f32,     // first maximum (max pooling)
  bestIndex: u32,
}

// In-padded-space coordinates: row oh·sH + kh is input row oh·sH + kh − pH when in range.
fn reduceWindow(o: u32) -> WindowReduction {
  let pos = unflatten(o, OUT_H, OUT_W);
  let planeBase = pos.x * IN_H * IN_W;
  var result = WindowReduction(0.0, 0.0, 0u);
  var found = false;
  for (var kh = 0u; kh < KH; kh++) {
    let hp = pos.y * SH + kh;
    if (CHECK_RANGE && (hp < PH || hp - PH >= IN_H)) { continue; }
    for (var kw = 0u; kw < KW; kw++) {
      let wp = pos.z * SW + kw;
      if (CHECK_RANGE && (wp < PW || wp - PW >= IN_W)) { continue; }
      let index = planeBase + (hp - PH) * IN_W + (wp - PW);
      let v = input[index];
      result.total += v;
      if (!found || v > result.best) {
        result.best = v;
        result.bestIndex = index;
        found = true;
      }
    }
  }
  return result;
}

@compute @workgroup_size(WG)
fn maxPoolForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  for (var r = 0u; r < PER_INVOCATION; r++) {
    let o = item(invocation, r);
    if (o >= params.count) { return; }
    let window = reduceWindow(o);
    out[o] = window.best;
    argmax[o] = window.bestIndex;
  }
}

@compute @workgroup_size(WG)
fn avgPoolForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  for (var r = 0u; r < PER_INVOCATION; r++) {
    let o = item(invocation, r);
    if (o >= params.count) { return; }
    out[o] = reduceWindow(o).total / f32(KH * KW);
  }
}

// The windows that cover input i: plane, then half-open output row and column ranges.
struct CoveringWindows {
  plane: u32,
  rows: vec2<u32>,
  cols: vec2<u32>,
}

fn windowsCovering(i: u32) -> CoveringWindows {
  let pos = unflatten(i, IN_H, IN_W);
  return CoveringWindows(
    pos.x,
    coveringWindows(pos.y, KH, SH, PH, OUT_H),
    coveringWindows(pos.z, KW, SW, PW, OUT_W),
  );
}

// Kept apart from avgPoolBackward's loop: touching argmax there would add binding 3 to its layout.
fn maxPoolGradient(i: u32) -> f32 {
  let w = windowsCovering(i);
  var total = 0.0;
  for (var oh = w.rows.x; oh < w.rows.y; oh++) {
    for (var ow = w.cols.x; ow < w.cols.y; ow++) {
      let o = (w.plane * OUT_H + oh) * OUT_W + ow;
      if (argmax[o] == i) { total += input[o]; }
    }
  }
  return total;
}

@compute @workgroup_size(WG)
fn maxPoolBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  for (var r = 0u; r < PER_INVOCATION; r++) {
    let i = item(invocation, r);
    if (i >= params.count) { return; }
    out[i] = maxPoolGradient(i);
  }
}

// Windows tile the input (SH = KH, SW = KW, no padding, no remainder): output o's window
// starts at input row oh·KH, column ow·KW of its plane, and no other window touches it.
fn scatterWindowGradient(o: u32) {
  let pos = unflatten(o, OUT_H, OUT_W);
  let origin = pos.x * IN_H * IN_W + pos.y * KH * IN_W + pos.z * KW;
  let winner = argmax[o];
  let gradient = input[o];
  for (var kh = 0u; kh < KH; kh++) {
    for (var kw = 0u; kw < KW; kw++) {
      let index = origin + kh * IN_W + kw;
      out[index] = select(0.0, gradient, index == winner);
    }
  }
}

@compute @workgroup_size(WG)
fn maxPoolBackwardTiled(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  for (var r = 0u; r < PER_INVOCATION; r++) {
    let o = item(invocation, r);
    if (o >= params.count) { return; }
    scatterWindowGradient(o);
  }
}

fn avgPoolGradient(i: u32) -> f32 {
  let w = windowsCovering(i);
  var total = 0.0;
  for (var oh = w.rows.x; oh < w.rows.y; oh++) {
    for (var ow = w.cols.x; ow < w.cols.y; ow++) {
      total += input[(w.plane * OUT_H + oh) * OUT_W + ow];
    }
  }
  return total / f32(KH * KW);
}

@compute @workgroup_size(WG)
fn avgPoolBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  for (var r = 0u; r < PER_INVOCATION; r++) {
    let i = item(invocation, r);
    if (i >= params.count) { return; }
    out[i] = avgPoolGradient(i);
  }
}
