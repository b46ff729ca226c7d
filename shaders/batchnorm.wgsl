// Batch normalisation over x viewed as [N, C, inner]: inner = H·W for [N, C, H, W], 1 for
// [N, C]. Statistics are per channel c over its count = N·inner values, PyTorch semantics.
//
//   trainStats       one workgroup per channel:
//                      mean       = Σx / count                   (saveMean)
//                      meanOffset = Σ(x − mean) / count          (what f32 rounding left out of mean)
//                      var        = Σ(x − mean)² / count − meanOffset²    (biased)
//                      invStd     = 1 / sqrt(var + eps)          (saveInvStd)
//                      running_mean = (1 − momentum)·running_mean + momentum·mean
//                      running_var  = (1 − momentum)·running_var  + momentum·var·count/(count − 1)
//   normalizeTrain   one invocation per element:
//                      y = γ·((x − mean) − meanOffset)·invStd + β
//   normalizeEval    one invocation per element:
//                      y = γ·(x − running_mean)/sqrt(running_var + eps) + β
//   backwardStats    one workgroup per channel, with x̂ = ((x − mean) − meanOffset)·invStd:
//                      dβ = Σdy,  dγ = Σdy·x̂,  meanOffset recomputed from x and saveMean
//   backwardInput    one invocation per element:
//                      dx = γ·invStd·(dy − dβ/count − x̂·dγ/count)
//
// Why meanOffset: for a channel like 1000 ± 0.01 the nearest f32 to the mean is off by up
// to 3e-5, which is 0.3% of the spread; the offset carries what the f32 mean misses, so x̂
// is as accurate as x itself. The variance is the corrected two-pass one, exact to second
// order in that miss (never E[x²] − E[x]², which loses every digit on such a channel).
// Sums are strided partial sums then a tree in workgroup memory: deterministic, no atomics.
//
// Bindings: 0 params, storage from 1 in the order listed with each entry point below.
// Entry points bind different sets, so each declares its own variables; two variables
// share a binding number only when no entry point uses both (allowed by WGSL).
// Dispatch: per-channel kernels (C); per-element kernels grid1d(total, WG), flattened
// index gid.x + gid.y * num_workgroups.x * WG.

struct BatchNormParams {
  total: u32,    // N·C·inner
  batch: u32,    // N
  channels: u32, // C
  inner: u32,    // H·W, 1 for [N, C]
  momentum: f32,
  eps: f32,
}

// A power of two: the tree halves it.
const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: BatchNormParams;

// trainStats: 1 x, 2 saveMean, 3 saveInvStd, 4 meanOffset, 5 runningMean, 6 runningVar
// normalizeTrain: 1 x, 2 saveMean, 3 saveInvStd, 4 meanOffset, 5 gamma, 6 beta, 7 y
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> saveMean: array<f32>;
@group(0) @binding(3) var<storage, read_write> saveInvStd: array<f32>;
@group(0) @binding(4) var<storage, read_write> meanOffset: array<f32>;
@group(0) @binding(5) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(6) var<storage, read_write> runningVar: array<f32>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read> beta: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;

// normalizeEval: 1 x, 2 evalMean, 3 evalVar, 4 evalGamma, 5 evalBeta, 6 evalY
@group(0) @binding(2) var<storage, read> evalMean: array<f32>;
@group(0) @binding(3) var<storage, read> evalVar: array<f32>;
@group(0) @binding(4) var<storage, read> evalGamma: array<f32>;
@group(0) @binding(5) var<storage, read> evalBeta: array<f32>;
@group(0) @binding(6) var<storage, read_write> evalY: array<f32>;

// backwardStats: 1 dy, 2 bwX, 3 bwMean, 4 bwInvStd, 5 dgamma, 6 dbeta, 7 bwMeanOffset
// backwardInput: the same, then 8 bwGamma, 9 dx
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> bwX: array<f32>;
@group(0) @binding(3) var<storage, read> bwMean: array<f32>;
@group(0) @binding(4) var<storage, read> bwInvStd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(7) var<storage, read_write> bwMeanOffset: array<f32>;
@group(0) @binding(8) var<storage, read> bwGamma: array<f32>;
@group(0) @binding(9) var<storage, read_write> dx: array<f32>;

// Three lanes because backwardStats sums three quantities at once; the others use fewer.
var<workgroup> partials: array<vec3<f32>, WG>;

// Every invocation gets the total; the order of additions depends only on WG.
fn workgroupSum(lid: u32, value: vec3<f32>) -> vec3<f32> {
  partials[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partials[lid] += partials[lid + stride]; }
    workgroupBarrier();
  }
  let total = partials[0];
  workgroupBarrier(); // a following call overwrites partials
  return total;
}

fn channelCount() -> u32 {
  return params.batch * params.inner;
}

// Flat index of the j-th value (j < channelCount()) of channel c.
fn channelElement(c: u32, j: u32) -> u32 {
  let n = j / params.inner;
  return (n * params.channels + c) * params.inner + (j - n * params.inner);
}

fn elementIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

fn channelOf(i: u32) -> u32 {
  return (i / params.inner) % params.channels;
}

@compute @workgroup_size(WG)
fn trainStats(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  let count = channelCount();
  let n = f32(count);
  var sum = vec3<f32>(0.0);
  for (var j = lid; j < count; j += WG) { sum.x += x[channelElement(c, j)]; }
  let mean = workgroupSum(lid, sum).x / n;

  var moments = vec3<f32>(0.0);
  for (var j = lid; j < count; j += WG) {
    let d = x[channelElement(c, j)] - mean;
    moments += vec3<f32>(d, d * d, 0.0);
  }
  let sums = workgroupSum(lid, moments);
  if (lid != 0u) { return; }
  let offset = sums.x / n;
  let variance = max(sums.y / n - offset * offset, 0.0);
  saveMean[c] = mean;
  meanOffset[c] = offset;
  saveInvStd[c] = 1.0 / sqrt(variance + params.eps);
  let keep = 1.0 - params.momentum;
  runningMean[c] = keep * runningMean[c] + params.momentum * mean;
  runningVar[c] = keep * runningVar[c] + params.momentum * variance * (n / (n - 1.0));
}

@compute @workgroup_size(WG)
fn normalizeTrain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = elementIndex(gid, groups);
  if (i >= params.total) { return; }
  let c = channelOf(i);
  let xhat = ((x[i] - saveMean[c]) - meanOffset[c]) * saveInvStd[c];
  y[i] = gamma[c] * xhat + beta[c];
}

@compute @workgroup_size(WG)
fn normalizeEval(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = elementIndex(gid, groups);
  if (i >= params.total) { return; }
  let c = channelOf(i);
  let xhat = (x[i] - evalMean[c]) / sqrt(evalVar[c] + params.eps);
  evalY[i] = evalGamma[c] * xhat + evalBeta[c];
}

@compute @workgroup_size(WG)
fn backwardStats(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  let count = channelCount();
  let mean = bwMean[c];
  // Σdy, Σdy·(x − mean), Σ(x − mean): dγ follows once the mean's offset is known.
  var sums = vec3<f32>(0.0);
  for (var j = lid; j < count; j += WG) {
    let i = channelElement(c, j);
    let g = dy[i];
    let d = bwX[i] - mean;
    sums += vec3<f32>(g, g * d, d);
  }
  let totals = workgroupSum(lid, sums);
  if (lid != 0u) { return; }
  let offset = totals.z / f32(count);
  dbeta[c] = totals.x;
  dgamma[c] = (totals.y - offset * totals.x) * bwInvStd[c];
  bwMeanOffset[c] = offset;
}

@compute @workgroup_size(WG)
fn backwardInput(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = elementIndex(gid, groups);
  if (i >= params.total) { return; }
  let c = channelOf(i);
  let invStd = bwInvStd[c];
  let n = f32(channelCount());
  let xhat = ((bwX[i] - bwMean[c]) - bwMeanOffset[c]) * invStd;
  dx[i] = bwGamma[c] * invStd * (dy[i] - dbeta[c] / n - xhat * (dgamma[c] / n));
}
