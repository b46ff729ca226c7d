// Softmax cross-entropy with soft targets, forward and backward in one pass over each row.
//
//   xentRows:  one workgroup per row r of logits z [B, C] and targets t [B, C]:
//                m = max_c z_c,  L = log Σ_c exp(z_c − m)        (max-subtracted, so exp ≤ 1)
//                rowLoss[r] = −Σ_c t_c (z_c − m − L) = L·Σ_c t_c − Σ_c t_c (z_c − m)
//                dlogits[r, c] = (exp(z_c − m − L) − t_c) / B      (rows of t sum to 1)
//                rowCorrect[r] = argmax_c z == argmax_c t ? 1 : 0  (first index on ties)
//              Strided loops over c, so any C works; tree reductions in workgroup memory.
//              Dispatch grid1d(B, 1): row = wid.x + wid.y · num_workgroups.x.
//   xentBatch: one workgroup: loss[0] = Σ_r rowLoss[r] / B, correct[0] = Σ_r rowCorrect[r].
//              A fixed tree instead of atomics, so the loss has the same bits every run.
//              Dispatch (1).
//
// Bindings: 0 params, then
//   xentRows:  1 rowLoss (f32 [B], written), 2 rowCorrect (u32 [B], written),
//              3 logits, 4 targets, 5 dlogits (written)
//   xentBatch: 1 rowLoss, 2 rowCorrect, 3 loss (f32 [1], written), 4 correct (u32 [1], written)
// Bindings 3 and 4 name different buffers in the two entry points; each entry point uses
// only its own variables, so layout 'auto' sees no clash.

struct XentParams {
  rows: u32,
  classes: u32,
}

const WG: u32 = 64u;
const BATCH_WG: u32 = 256u;
// Marks "no element seen yet" in the argmax reductions (threads past the end of a short row).
const NO_INDEX: u32 = 0xffffffffu;

@group(0) @binding(0) var<uniform> params: XentParams;
@group(0) @binding(1) var<storage, read_write> rowLoss: array<f32>;
@group(0) @binding(2) var<storage, read_write> rowCorrect: array<u32>;
@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read> targets: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> correct: array<u32>;

struct ArgMax {
  value: f32,
  index: u32,
}

var<workgroup> logitBest: array<ArgMax, WG>;
var<workgroup> targetBest: array<ArgMax, WG>;
// x: Σ exp(z − m), y: Σ t (z − m), z: Σ t.
var<workgroup> rowSums: array<vec3<f32>, WG>;
var<workgroup> batchLoss: array<f32, BATCH_WG>;
var<workgroup> batchCorrect: array<u32, BATCH_WG>;

// The earlier index wins ties, so the result does not depend on the reduction order.
fn better(a: ArgMax, b: ArgMax) -> ArgMax {
  if (b.index == NO_INDEX) { return a; }
  if (a.index == NO_INDEX || b.value > a.value || (b.value == a.value && b.index < a.index)) { return b; }
  return a;
}

fn localArgMax(base: u32, lid: u32, fromTargets: bool) -> ArgMax {
  var best = ArgMax(0.0, NO_INDEX);
  for (var c = lid; c < params.classes; c += WG) {
    let v = select(logits[base + c], targets[base + c], fromTargets);
    best = better(best, ArgMax(v, c));
  }
  return best;
}

fn reduceArgMaxes(lid: u32) {
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      logitBest[lid] = better(logitBest[lid], logitBest[lid + stride]);
      targetBest[lid] = better(targetBest[lid], targetBest[lid + stride]);
    }
    workgroupBarrier();
  }
}

fn reduceRowSums(lid: u32) {
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { rowSums[lid] += rowSums[lid + stride]; }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG)
fn xentRows(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  // Uniform across the workgroup, so returning early keeps the barriers uniform.
  let row = wid.x + wid.y * groups.x;
  if (row >= params.rows) { return; }
  let base = row * params.classes;

  logitBest[lid] = localArgMax(base, lid, false);
  targetBest[lid] = localArgMax(base, lid, true);
  workgroupBarrier();
  reduceArgMaxes(lid);
  let m = logitBest[0].value;

  var sums = vec3<f32>(0.0);
  for (var c = lid; c < params.classes; c += WG) {
    let shifted = logits[base + c] - m;
    let t = targets[base + c];
    sums += vec3<f32>(exp(shifted), t * shifted, t);
  }
  rowSums[lid] = sums;
  workgroupBarrier();
  reduceRowSums(lid);
  let total = rowSums[0];
  let logSumExp = log(total.x);

  let invRows = 1.0 / f32(params.rows);
  for (var c = lid; c < params.classes; c += WG) {
    let p = exp(logits[base + c] - m - logSumExp);
    dlogits[base + c] = (p - targets[base + c]) * invRows;
  }
  if (lid == 0u) {
    rowLoss[row] = logSumExp * total.z - total.y;
    rowCorrect[row] = select(0u, 1u, logitBest[0].index == targetBest[0].index);
  }
}

@compute @workgroup_size(BATCH_WG)
fn xentBatch(@builtin(local_invocation_index) lid: u32) {
  var lossSum = 0.0;
  var correctSum = 0u;
  for (var r = lid; r < params.rows; r += BATCH_WG) {
    lossSum += rowLoss[r];
    correctSum += rowCorrect[r];
  }
  batchLoss[lid] = lossSum;
  batchCorrect[lid] = correctSum;
  workgroupBarrier();
  for (var stride = BATCH_WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      batchLoss[lid] += batchLoss[lid + stride];
      batchCorrect[lid] += batchCorrect[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    loss[0] = batchLoss[0] / f32(params.rows);
    correct[0] = batchCorrect[0];
  }
}
