// Element-wise ops, one invocation per element over `count` elements:
//   relu:          out[i] = max(a[i], 0)
//   reluBackward:  out[i] = a[i] if b[i] > 0 else 0          a = dy, b = x (gradient 0 at x <= 0)
//   add:           out[i] = a[i] + b[i]                      residual joins, fan-out gradients
//   addInPlace:    out[i] += a[i]                            add() when out aliases an input
// Bindings: 0 params, 1 out, 2 a, 3 b (two-input ops only). The output comes first so the
// one-input entry points bind a prefix of the same declarations.
// Dispatch: grid1d(count, WG); flattened index gid.x + gid.y * num_workgroups.x * WG.

struct EltwiseParams {
  count: u32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: EltwiseParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

fn elementIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

@compute @workgroup_size(WG)
fn relu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = elementIndex(gid, groups);
  if (i >= params.count) { return; }
  out[i] = max(a[i], 0.0);
}

@compute @workgroup_size(WG)
fn reluBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = elementIndex(gid, groups);
  if (i >= params.count) { return; }
  out[i] = select(0.0, a[i], b[i] > 0.0);
}

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = elementIndex(gid, groups);
  if (i >= params.count) { return; }
  out[i] = a[i] + b[i];
}

@compute @workgroup_size(WG)
fn addInPlace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = elementIndex(gid, groups);
  if (i >= params.count) { return; }
  out[i] += a[i];
}
