// 2-D pooling over NCHW planes (planes = N·C), windows of kH x kW with stride (sH, sW)
// and padding (pH, pW); output row oh covers input rows oh·sH − pH … oh·sH − pH + kH − 1.
//
//   maxPoolForward:  out[o] = max of the window's in-range inputs (padding counts as −∞);
//                    argmax[o] = flat input index (plane·H·W + h·W + w) of the first maximum
//                    in row-major scan order, as PyTorch picks ties.
//   maxPoolBackward: out[i] = Σ dy[o] over the windows o that contain input i and whose
//                    argmax is i. A gather (one invocation per input element, no atomics), so
//                    overlapping windows work and the summation order is fixed.
//   avgPoolForward:  out[o] = (Σ in-range inputs) / (kH·kW)    (count_include_pad = true)
//   avgPoolBackward: out[i] = (Σ dy[o] over windows containing i) / (kH·kW)
// Global average pooling is avgPool with the window the whole plane.
//
// Bindings: 0 params, 1 out (y or dx), 2 input (x or dy), 3 argmax (max pooling only).
// Dispatch: grid1d(count, WG); one invocation per output (forward) or input (backward).

struct PoolParams {
  count: u32,
  inH: u32,
  inW: u32,
  outH: u32,
  outW: u32,
  kH: u32,
  kW: u32,
  sH: u32,
  sW: u32,
  pH: u32,
  pW: u32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;

fn flatIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
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
  let pos = unflatten(o, params.outH, params.outW);
  let planeBase = pos.x * params.inH * params.inW;
  var result = WindowReduction(0.0, 0.0, 0u);
  var found = false;
  for (var kh = 0u; kh < params.kH; kh++) {
    let hp = pos.y * params.sH + kh;
    if (hp < params.pH || hp - params.pH >= params.inH) { continue; }
    for (var kw = 0u; kw < params.kW; kw++) {
      let wp = pos.z * params.sW + kw;
      if (wp < params.pW || wp - params.pW >= params.inW) { continue; }
      let index = planeBase + (hp - params.pH) * params.inW + (wp - params.pW);
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
  let o = flatIndex(gid, groups);
  if (o >= params.count) { return; }
  let window = reduceWindow(o);
  out[o] = window.best;
  argmax[o] = window.bestIndex;
}

@compute @workgroup_size(WG)
fn avgPoolForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = flatIndex(gid, groups);
  if (o >= params.count) { return; }
  out[o] = reduceWindow(o).total / f32(params.kH * params.kW);
}

// The windows that cover input i: plane, then half-open output row and column ranges.
struct CoveringWindows {
  plane: u32,
  rows: vec2<u32>,
  cols: vec2<u32>,
}

fn windowsCovering(i: u32) -> CoveringWindows {
  let pos = unflatten(i, params.inH, params.inW);
  return CoveringWindows(
    pos.x,
    coveringWindows(pos.y, params.kH, params.sH, params.pH, params.outH),
    coveringWindows(pos.z, params.kW, params.sW, params.pW, params.outW),
  );
}

// Kept apart from avgPoolBackward's loop: touching argmax there would add binding 3 to its layout.
@compute @workgroup_size(WG)
fn maxPoolBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let w = windowsCovering(i);
  var total = 0.0;
  for (var oh = w.rows.x; oh < w.rows.y; oh++) {
    for (var ow = w.cols.x; ow < w.cols.y; ow++) {
      let o = (w.plane * params.outH + oh) * params.outW + ow;
      if (argmax[o] == i) { total += input[o]; }
    }
  }
  out[i] = total;
}

@compute @workgroup_size(WG)
fn avgPoolBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let w = windowsCovering(i);
  var total = 0.0;
  for (var oh = w.rows.x; oh < w.rows.y; oh++) {
    for (var ow = w.cols.x; ow < w.cols.y; ow++) {
      total += input[(w.plane * params.outH + oh) * params.outW + ow];
    }
  }
  out[i] = total / f32(params.kH * params.kW);
}
