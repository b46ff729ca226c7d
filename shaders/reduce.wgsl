// Deterministic sums (no float atomics): the order of additions depends only on the
// shape, so a given device gives the same bits every run.
//
// sumSplits:  out[i] = sum_s parts[s * len + i]           one invocation per element;
//             finishes a split-K GEMM. Dispatch (ceil(len / 256), y) — flattened 2-D grid.
// channelSum: out[c] = sum_{o, i} x[(o * C + c) * inner + i]   for x viewed as [outer, C, inner];
//             one workgroup of SUM_WG per channel. Invocation t sums the rows
//             o = t, t + SUM_WG, … of its channel, each row a contiguous run of `inner`
//             values, then workgroupSum.wgsl's tree adds the invocations' sums.
//             channelSumVec4 is the same reading the rows as vec4 (inner % 4 == 0).
//             Bias gradients of linear ([B, C, 1]) and conv ([N, C, H*W]) layers.
//             Dispatch (C).
//
// Why rows: on a software adapter (llvmpipe, 8-lane SIMD on the CPU) each load is paid
// per lane, so a vec4 load moves four values for the price of one, and walking a row
// needs no division to locate (o, i). The earlier layout (256 invocations striding over
// j = o·inner + i, one f32 at a time) moved 0.6 GB/s; rows of vec4 moved about 5 GB/s.
// The per-channel work is small enough that 64 invocations and a 6-step tree suffice.
// Bindings: 0 params, 1 input, 2 output.

struct ReduceParams {
  len: u32,      // sumSplits: elements per split; channelSum: outer
  count: u32,    // sumSplits: number of splits;   channelSum: C
  inner: u32,    // channelSum only
  accumulate: u32, // 1: out += sum instead of out = sum
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> input4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

fn finish(index: u32, total: f32) {
  if (params.accumulate == 1u) { output[index] += total; } else { output[index] = total; }
}

@compute @workgroup_size(WG)
fn sumSplits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.len) { return; }
  var total = 0.0;
  for (var s = 0u; s < params.count; s++) { total += input[s * params.len + i]; }
  finish(i, total);
}

fn finishChannel(lid: u32, c: u32, value: f32) {
  let total = workgroupSum(lid, vec3<f32>(value, 0.0, 0.0)).x;
  if (lid == 0u) { finish(c, total); }
}

@compute @workgroup_size(SUM_WG)
fn channelSum(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  let inner = params.inner;
  var total = 0.0;
  for (var o = lid; o < params.len; o += SUM_WG) {
    let row = (o * params.count + c) * inner;
    for (var i = 0u; i < inner; i++) { total += input[row + i]; }
  }
  finishChannel(lid, c, total);
}

@compute @workgroup_size(SUM_WG)
fn channelSumVec4(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  let inner4 = params.inner / 4u;
  var total = vec4<f32>(0.0);
  for (var o = lid; o < params.len; o += SUM_WG) {
    let row = (o * params.count + c) * inner4;
    for (var i = 0u; i < inner4; i++) { total += input4[row + i]; }
  }
  finishChannel(lid, c, (total.x + total.y) + (total.z + total.w));
}
