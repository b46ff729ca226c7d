// AugMix's Jensen–Shannon consistency loss (ALGORITHMS.md §6.3), forward and backward.
// logits z [3B, C]: row i is sample i's clean view, rows B + i and 2B + i its two AugMix views.
//
//   jsdRows:  one workgroup per sample i, over its three rows v = 0, 1, 2:
//               m_v = max_j z_vj,  L_v = log Σ_j exp(z_vj − m_v),  ln p_vj = z_vj − m_v − L_v
//               M_j = clamp((p_0j + (p_1j + p_2j))/3, 1e−7, 1)
//               sampleJs[i] = (1/3) Σ_j Σ_v p_vj (ln p_vj − ln M_j)
//               g_vj = (1/3)(ln p_vj − ln M_j + [M_j clamped])   (∂JS/∂p_vj up to a constant:
//                      the clamp zeroes M's derivative; see test/reference/jsd.ts)
//               dlogits[v, j] = (weight / B) · p_vj (g_vj − Σ_k p_vk g_vk)
//             The aug views enter symmetrically, (p_1 + p_2) first, so swapping them swaps the
//             gradient rows and leaves the loss unchanged. Strided loops over j, so any C works.
//             Dispatch grid1d(B, 1): sample i = wid.x + wid.y · num_workgroups.x.
//   jsdBatch: one workgroup: loss[0] = weight · Σ_i sampleJs[i] / B, a fixed tree instead of
//             atomics so the loss has the same bits every run. Dispatch (1).
//
// Bindings: 0 params, then
//   jsdRows:  1 sampleJs (f32 [B], written), 2 logits, 3 dlogits (written)
//   jsdBatch: 1 sampleJs, 2 loss (f32 [1], written)
// Binding 2 names different buffers in the two entry points; each entry point uses only its
// own variables, so layout 'auto' sees no clash.

struct JsdParams {
  samples: u32,
  classes: u32,
  weight: f32,
}

const WG: u32 = 64u;
const BATCH_WG: u32 = 256u;
const MIXTURE_MIN: f32 = 1e-7;

@group(0) @binding(0) var<uniform> params: JsdParams;
@group(0) @binding(1) var<storage, read_write> sampleJs: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;

var<workgroup> viewReduce: array<vec3<f32>, WG>;
// x: Σ_j JS terms, yzw: Σ_j p_vj g_vj of views 0, 1, 2.
var<workgroup> sumsReduce: array<vec4<f32>, WG>;
var<workgroup> batchSums: array<f32, BATCH_WG>;

// Start index of view v's row of sample i.
fn rowBase(view: u32, sampleIndex: u32) -> u32 {
  return (view * params.samples + sampleIndex) * params.classes;
}

fn viewLogits(sampleIndex: u32, j: u32) -> vec3<f32> {
  return vec3<f32>(logits[rowBase(0u, sampleIndex) + j], logits[rowBase(1u, sampleIndex) + j], logits[rowBase(2u, sampleIndex) + j]);
}

fn reduceViewMax(lid: u32) {
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { viewReduce[lid] = max(viewReduce[lid], viewReduce[lid + stride]); }
    workgroupBarrier();
  }
}

fn reduceViewSum(lid: u32) {
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { viewReduce[lid] += viewReduce[lid + stride]; }
    workgroupBarrier();
  }
}

fn reduceSums(lid: u32) {
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { sumsReduce[lid] += sumsReduce[lid + stride]; }
    workgroupBarrier();
  }
}

// ln p, p and g of class j in the three views, given each view's m + L.
struct ClassTerms {
  logP: vec3<f32>,
  p: vec3<f32>,
  g: vec3<f32>,
  logM: f32,
}

fn classTerms(sampleIndex: u32, j: u32, shift: vec3<f32>) -> ClassTerms {
  let logP = viewLogits(sampleIndex, j) - shift;
  let p = exp(logP);
  let raw = (p.x + (p.y + p.z)) / 3.0;
  let mixture = clamp(raw, MIXTURE_MIN, 1.0);
  let logM = log(mixture);
  let clamped = select(0.0, 1.0, mixture != raw);
  let g = (logP - vec3<f32>(logM) + vec3<f32>(clamped)) / 3.0;
  return ClassTerms(logP, p, g, logM);
}

@compute @workgroup_size(WG)
fn jsdRows(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  // Uniform across the workgroup, so returning early keeps the barriers uniform.
  let sampleIndex = wid.x + wid.y * groups.x;
  if (sampleIndex >= params.samples) { return; }

  // Class 0 exists (C ≥ 2), so it seeds every thread's max.
  var localMax = viewLogits(sampleIndex, 0u);
  for (var j = lid; j < params.classes; j += WG) { localMax = max(localMax, viewLogits(sampleIndex, j)); }
  viewReduce[lid] = localMax;
  workgroupBarrier();
  reduceViewMax(lid);
  let viewMax = viewReduce[0];
  workgroupBarrier();

  var localExp = vec3<f32>(0.0);
  for (var j = lid; j < params.classes; j += WG) { localExp += exp(viewLogits(sampleIndex, j) - viewMax); }
  viewReduce[lid] = localExp;
  workgroupBarrier();
  reduceViewSum(lid);
  let shift = viewMax + log(viewReduce[0]);

  var partial = vec4<f32>(0.0);
  for (var j = lid; j < params.classes; j += WG) {
    let t = classTerms(sampleIndex, j, shift);
    let kl = t.p * (t.logP - vec3<f32>(t.logM));
    partial += vec4<f32>(kl.x + (kl.y + kl.z), t.p * t.g);
  }
  sumsReduce[lid] = partial;
  workgroupBarrier();
  reduceSums(lid);
  let totals = sumsReduce[0];

  let scale = params.weight / f32(params.samples);
  for (var j = lid; j < params.classes; j += WG) {
    let t = classTerms(sampleIndex, j, shift);
    let dz = scale * t.p * (t.g - totals.yzw);
    dlogits[rowBase(0u, sampleIndex) + j] = dz.x;
    dlogits[rowBase(1u, sampleIndex) + j] = dz.y;
    dlogits[rowBase(2u, sampleIndex) + j] = dz.z;
  }
  if (lid == 0u) { sampleJs[sampleIndex] = totals.x / 3.0; }
}

@compute @workgroup_size(BATCH_WG)
fn jsdBatch(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < params.samples; i += BATCH_WG) { sum += sampleJs[i]; }
  batchSums[lid] = sum;
  workgroupBarrier();
  for (var stride = BATCH_WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { batchSums[lid] += batchSums[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { loss[0] = params.weight * batchSums[0] / f32(params.samples); }
}
