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
//   normalizeTrain   element-wise:
//                      y = γ·((x − mean) − meanOffset)·invStd + β
//   normalizeEval    element-wise:
//                      y = γ·(x − running_mean)/sqrt(running_var + eps) + β
//   backwardStats    one workgroup per channel, with x̂ = ((x − mean) − meanOffset)·invStd:
//                      dβ = Σdy,  dγ = Σdy·x̂,  meanOffset recomputed from x and saveMean
//   backwardInput    element-wise:
//                      dx = γ·invStd·(dy − dβ/count − x̂·dγ/count)
//
// With RELU the layer is ReLU(BN(x)), fused: the normalisations write max(y, 0), and both
// backward kernels first zero dy where the forward's y was not positive, recomputing y from x,
// γ, β and the forward's statistics (its meanOffset included: the same expression on the same
// values, so the mask is the forward's). That saves ReLU's own pass over the activation each way.
//
// Why meanOffset: for a channel like 1000 ± 0.01 the nearest f32 to the mean is off by up
// to 3e-5, which is 0.3% of the spread; the offset carries what the f32 mean misses, so x̂
// is as accurate as x itself. The variance is the corrected two-pass one, exact to second
// order in that miss (never E[x²] − E[x]², which loses every digit on such a channel).
//
// Every entry point comes twice: as written, and with the suffix Vec4 reading and writing
// the tensors as vec4 when inner % 4 == 0 (then the four values of a vec4 share a channel).
// On a software adapter (llvmpipe: 8-lane SIMD on the CPU, every load paid per lane) that
// moves four values for the price of one.
//
// Per-channel sums: invocation t of the channel's workgroup (SUM_WG of them) sums the rows
// n = t, t + SUM_WG, … of the channel, each a contiguous run of `inner` values, then
// workgroupSum.wgsl's tree adds the invocations' sums: deterministic, no atomics. Walking whole
// rows needs no division to find (n, i), where the earlier layout (256 invocations striding
// over j = n·inner + i) did one per value.
// Element-wise kernels: each invocation handles a run of up to RUN_VALUES contiguous
// values of one row, so it finds its channel with one division and loads the channel's
// statistics once, not once a value; on llvmpipe, where an invocation carries a fixed cost
// and every load is paid per lane, that made them about 2× faster than one vec4 per
// invocation, and runs (not whole rows) keep enough invocations for a real GPU.
//
// Bindings: 0 params, storage from 1 in the order listed with each entry point below.
// Entry points bind different sets, so each declares its own variables; two variables
// share a binding number only when no entry point uses both (allowed by WGSL).
// Dispatch: per-channel kernels (C); element-wise kernels
// grid1d(N·C·ceil(inner / RUN_VALUES), WG), one invocation per run, flattened index
// gid.x + gid.y * num_workgroups.x * WG.

struct BatchNormParams {
  batch: u32,    // N
  channels: u32, // C
  inner: u32,    // H·W, 1 for [N, C]
  momentum: f32,
  eps: f32,
}

const WG: u32 = 256u;
// Values per run of the element-wise kernels; a multiple of 4.
const RUN_VALUES: u32 = 64u;
const RELU: bool = false;

@group(0) @binding(0) var<uniform> params: BatchNormParams;

// trainStats: 1 x, 2 saveMean, 3 saveInvStd, 4 meanOffset, 5 runningMean, 6 runningVar
// normalizeTrain: 1 x, 2 saveMean, 3 saveInvStd, 4 meanOffset, 5 gamma, 6 beta, 7 y
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> saveMean: array<f32>;
@group(0) @binding(3) var<storage, read_write> saveInvStd: array<f32>;
@group(0) @binding(4) var<storage, read_write> meanOffset: array<f32>;
@group(0) @binding(5) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(6) var<storage, read_write> runningVar: array<f32>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
@group(0) @binding(6) var<storage, read> beta: array<f32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read_write> y4: array<vec4<f32>>;

// normalizeEval: 1 x, 2 evalMean, 3 evalVar, 4 evalGamma, 5 evalBeta, 6 evalY
@group(0) @binding(2) var<storage, read> evalMean: array<f32>;
@group(0) @binding(3) var<storage, read> evalVar: array<f32>;
@group(0) @binding(4) var<storage, read> evalGamma: array<f32>;
@group(0) @binding(5) var<storage, read> evalBeta: array<f32>;
@group(0) @binding(6) var<storage, read_write> evalY: array<f32>;
@group(0) @binding(6) var<storage, read_write> evalY4: array<vec4<f32>>;

// backwardStats: 1 dy, 2 bwX, 3 bwMean, 4 bwInvStd, 5 dgamma, 6 dbeta, 7 bwMeanOffset,
//   8 bwGamma, 9 bwBeta, 10 bwForwardOffset (the last two read only with RELU; bind any [C])
// backwardInput: the same, then 11 dx
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bwX: array<f32>;
@group(0) @binding(2) var<storage, read> bwX4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bwMean: array<f32>;
@group(0) @binding(4) var<storage, read> bwInvStd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(7) var<storage, read_write> bwMeanOffset: array<f32>;
@group(0) @binding(8) var<storage, read> bwGamma: array<f32>;
@group(0) @binding(9) var<storage, read> bwBeta: array<f32>;
@group(0) @binding(10) var<storage, read> bwForwardOffset: array<f32>;
@group(0) @binding(11) var<storage, read_write> dx: array<f32>;
@group(0) @binding(11) var<storage, read_write> dx4: array<vec4<f32>>;

fn channelCount() -> u32 {
  return params.batch * params.inner;
}

// Where row n of channel c starts, in units of `width` values (1, or 4 for vec4).
fn rowStart(n: u32, c: u32, width: u32) -> u32 {
  return (n * params.channels + c) * (params.inner / width);
}

fn horizontalSum(v: vec4<f32>) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

// --- trainStats -------------------------------------------------------------------------

// Mean, offset and variance from the channel's sums, written by invocation 0.
fn finishTrainStats(c: u32, mean: f32, centred: vec2<f32>) {
  let n = f32(channelCount());
  let offset = centred.x / n;
  let variance = max(centred.y / n - offset * offset, 0.0);
  saveMean[c] = mean;
  meanOffset[c] = offset;
  saveInvStd[c] = 1.0 / sqrt(variance + params.eps);
  let keep = 1.0 - params.momentum;
  runningMean[c] = keep * runningMean[c] + params.momentum * mean;
  runningVar[c] = keep * runningVar[c] + params.momentum * variance * (n / (n - 1.0));
}

@compute @workgroup_size(SUM_WG)
fn trainStats(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  var sum = 0.0;
  for (var n = lid; n < params.batch; n += SUM_WG) {
    let row = rowStart(n, c, 1u);
    for (var i = 0u; i < params.inner; i++) { sum += x[row + i]; }
  }
  let mean = workgroupSum(lid, vec3<f32>(sum, 0.0, 0.0)).x / f32(channelCount());

  var moments = vec2<f32>(0.0);
  for (var n = lid; n < params.batch; n += SUM_WG) {
    let row = rowStart(n, c, 1u);
    for (var i = 0u; i < params.inner; i++) {
      let d = x[row + i] - mean;
      moments += vec2<f32>(d, d * d);
    }
  }
  let sums = workgroupSum(lid, vec3<f32>(moments, 0.0));
  if (lid == 0u) { finishTrainStats(c, mean, sums.xy); }
}

@compute @workgroup_size(SUM_WG)
fn trainStatsVec4(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  let inner4 = params.inner / 4u;
  var sum = vec4<f32>(0.0);
  for (var n = lid; n < params.batch; n += SUM_WG) {
    let row = rowStart(n, c, 4u);
    for (var i = 0u; i < inner4; i++) { sum += x4[row + i]; }
  }
  let mean = workgroupSum(lid, vec3<f32>(horizontalSum(sum), 0.0, 0.0)).x / f32(channelCount());

  var deviation = vec4<f32>(0.0);
  var square = vec4<f32>(0.0);
  for (var n = lid; n < params.batch; n += SUM_WG) {
    let row = rowStart(n, c, 4u);
    for (var i = 0u; i < inner4; i++) {
      let d = x4[row + i] - mean;
      deviation += d;
      square += d * d;
    }
  }
  let sums = workgroupSum(lid, vec3<f32>(horizontalSum(deviation), horizontalSum(square), 0.0));
  if (lid == 0u) { finishTrainStats(c, mean, sums.xy); }
}

// --- element-wise kernels ---------------------------------------------------------------

fn invocationIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// Up to RUN_VALUES contiguous values of one row (n, c): indices [start, end) in units of
// `width` values (1, or 4 for vec4), all of channel `channel`.
struct Run {
  channel: u32,
  start: u32,
  end: u32,
}

// The t-th run, rows cut into runs from their start; empty past the last row.
fn runOf(t: u32, width: u32) -> Run {
  let rowLength = params.inner / width;
  let runLength = RUN_VALUES / width;
  let runsPerRow = (rowLength + runLength - 1u) / runLength;
  let row = t / runsPerRow;
  if (row >= params.batch * params.channels) { return Run(0u, 0u, 0u); }
  let start = row * rowLength + (t - row * runsPerRow) * runLength;
  return Run(row % params.channels, start, min(start + runLength, (row + 1u) * rowLength));
}

// The element-wise formulas are written once, for vec4; the scalar entry points pass a
// splat and keep .x (the compiler drops the unused lanes).
struct TrainNormalization {
  mean: f32,
  offset: f32,
  invStd: f32,
  gamma: f32,
  beta: f32,
}

fn trainNormalization(c: u32) -> TrainNormalization {
  return TrainNormalization(saveMean[c], meanOffset[c], saveInvStd[c], gamma[c], beta[c]);
}

fn normalizedTrain(v: vec4<f32>, p: TrainNormalization) -> vec4<f32> {
  return p.gamma * (((v - p.mean) - p.offset) * p.invStd) + p.beta;
}

fn activated(y: vec4<f32>) -> vec4<f32> {
  return select(y, max(y, vec4<f32>(0.0)), RELU);
}

@compute @workgroup_size(WG)
fn normalizeTrain(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let run = runOf(invocationIndex(gid, groups), 1u);
  let p = trainNormalization(run.channel);
  for (var i = run.start; i < run.end; i++) { y[i] = activated(normalizedTrain(vec4<f32>(x[i]), p)).x; }
}

@compute @workgroup_size(WG)
fn normalizeTrainVec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let run = runOf(invocationIndex(gid, groups), 4u);
  let p = trainNormalization(run.channel);
  for (var i = run.start; i < run.end; i++) { y4[i] = activated(normalizedTrain(x4[i], p)); }
}

struct EvalNormalization {
  mean: f32,
  invStd: f32,
  gamma: f32,
  beta: f32,
}

fn evalNormalization(c: u32) -> EvalNormalization {
  return EvalNormalization(evalMean[c], 1.0 / sqrt(evalVar[c] + params.eps), evalGamma[c], evalBeta[c]);
}

fn normalizedEval(v: vec4<f32>, p: EvalNormalization) -> vec4<f32> {
  return p.gamma * ((v - p.mean) * p.invStd) + p.beta;
}

@compute @workgroup_size(WG)
fn normalizeEval(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let run = runOf(invocationIndex(gid, groups), 1u);
  let p = evalNormalization(run.channel);
  for (var i = run.start; i < run.end; i++) { evalY[i] = activated(normalizedEval(vec4<f32>(x[i]), p)).x; }
}

@compute @workgroup_size(WG)
fn normalizeEvalVec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let run = runOf(invocationIndex(gid, groups), 4u);
  let p = evalNormalization(run.channel);
  for (var i = run.start; i < run.end; i++) { evalY4[i] = activated(normalizedEval(x4[i], p)); }
}

// --- backward ---------------------------------------------------------------------------

// The forward's normalisation of channel c, to find where its ReLU passed the gradient.
fn forwardNormalization(c: u32) -> TrainNormalization {
  return TrainNormalization(bwMean[c], bwForwardOffset[c], bwInvStd[c], bwGamma[c], bwBeta[c]);
}

/** dy as the normalisation's output gradient: zero where the fused ReLU cut y. */
fn preActivationGradient(g: vec4<f32>, v: vec4<f32>, p: TrainNormalization) -> vec4<f32> {
  return select(g, select(vec4<f32>(0.0), g, normalizedTrain(v, p) > vec4<f32>(0.0)), RELU);
}

// Σdy, Σdy·(x − mean), Σ(x − mean) → dβ, dγ and the mean's offset, written by invocation 0.
fn finishBackwardStats(c: u32, totals: vec3<f32>) {
  let offset = totals.z / f32(channelCount());
  dbeta[c] = totals.x;
  dgamma[c] = (totals.y - offset * totals.x) * bwInvStd[c];
  bwMeanOffset[c] = offset;
}

@compute @workgroup_size(SUM_WG)
fn backwardStats(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  let mean = bwMean[c];
  let forward = forwardNormalization(c);
  var sums = vec3<f32>(0.0);
  for (var n = lid; n < params.batch; n += SUM_WG) {
    let row = rowStart(n, c, 1u);
    for (var i = 0u; i < params.inner; i++) {
      let g = preActivationGradient(vec4<f32>(dy[row + i]), vec4<f32>(bwX[row + i]), forward).x;
      let d = bwX[row + i] - mean;
      sums += vec3<f32>(g, g * d, d);
    }
  }
  let totals = workgroupSum(lid, sums);
  if (lid == 0u) { finishBackwardStats(c, totals); }
}

@compute @workgroup_size(SUM_WG)
fn backwardStatsVec4(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  let mean = bwMean[c];
  let forward = forwardNormalization(c);
  let inner4 = params.inner / 4u;
  var gradient = vec4<f32>(0.0);
  var product = vec4<f32>(0.0);
  var deviation = vec4<f32>(0.0);
  for (var n = lid; n < params.batch; n += SUM_WG) {
    let row = rowStart(n, c, 4u);
    for (var i = 0u; i < inner4; i++) {
      let g = preActivationGradient(dy4[row + i], bwX4[row + i], forward);
      let d = bwX4[row + i] - mean;
      gradient += g;
      product += g * d;
      deviation += d;
    }
  }
  let totals = workgroupSum(lid, vec3<f32>(horizontalSum(gradient), horizontalSum(product), horizontalSum(deviation)));
  if (lid == 0u) { finishBackwardStats(c, totals); }
}

// dx = γ·invStd·(dy − dβ/count − x̂·dγ/count), with the channel's factors loaded once a run.
struct InputGradient {
  mean: f32,
  offset: f32,
  invStd: f32,
  scale: f32,         // γ·invStd
  meanGradient: f32,  // dβ / count
  xhatGradient: f32,  // dγ / count
}

fn inputGradientOf(c: u32) -> InputGradient {
  let n = f32(channelCount());
  let invStd = bwInvStd[c];
  return InputGradient(bwMean[c], bwMeanOffset[c], invStd, bwGamma[c] * invStd, dbeta[c] / n, dgamma[c] / n);
}

fn inputGradient(g: vec4<f32>, v: vec4<f32>, p: InputGradient) -> vec4<f32> {
  let xhat = ((v - p.mean) - p.offset) * p.invStd;
  return p.scale * (g - p.meanGradient - xhat * p.xhatGradient);
}

@compute @workgroup_size(WG)
fn backwardInput(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let run = runOf(invocationIndex(gid, groups), 1u);
  let p = inputGradientOf(run.channel);
  let forward = forwardNormalization(run.channel);
  for (var i = run.start; i < run.end; i++) {
    let v = vec4<f32>(bwX[i]);
    dx[i] = inputGradient(preActivationGradient(vec4<f32>(dy[i]), v, forward), v, p).x;
  }
}

@compute @workgroup_size(WG)
fn backwardInputVec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let run = runOf(invocationIndex(gid, groups), 4u);
  let p = inputGradientOf(run.channel);
  let forward = forwardNormalization(run.channel);
  for (var i = run.start; i < run.end; i++) {
    let v = bwX4[i];
    dx4[i] = inputGradient(preActivationGradient(dy4[i], v, forward), v, p);
  }
}
