// Deterministic sums (no float atomics): the order of additions depends only on the
// shape, so a given device gives the same bits every run.
//
// sumSplits:  out[i] = sum_s parts[s * len + i]           one invocation per element;
//             finishes a split-K GEMM. Dispatch (ceil(len / 256), y) — flattened 2-D grid.
// channelSum: out[c] = sum_{o, i} x[(o * C + c) * inner + i]   for x viewed as [outer, C, inner];
//             one workgroup per channel, strided partial sums then a tree in workgroup
//             memory. Bias gradients of linear ([B, C, 1]) and conv ([N, C, H*W]) layers.
//             Dispatch (C).
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
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

var<workgroup> partial: array<f32, WG>;

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

@compute @workgroup_size(WG)
fn channelSum(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = wid.x;
  let perChannel = params.len * params.inner;
  var total = 0.0;
  for (var j = lid; j < perChannel; j += WG) {
    let o = j / params.inner;
    let i = j % params.inner;
    total += input[(o * params.count + c) * params.inner + i];
  }
  partial[lid] = total;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u) { finish(c, partial[0]); }
}
