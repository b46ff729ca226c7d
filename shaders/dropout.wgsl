// Inverted dropout; philox.wgsl is concatenated in front of this file.
//
//   dropoutForward:  for each block b of four elements, bits = philox4x32((b, layer, step, stream), key);
//                    element 4b + w is kept iff (bits[w] >> 8) >= dropThreshold, i.e. iff
//                    uniformClosedOpen(bits[w]) >= p with dropThreshold = ceil(p · 2^24), an
//                    integer test so CPU and GPU agree exactly whatever the f32 rounding of p.
//                    mask = kept ? scale : 0 with scale = 1 / (1 − p);  y = x · mask.
//   dropoutBackward: dx = dy · mask.
// The element ↔ (block, word) mapping depends only on the element index, so a mask is fixed
// by (seed, layer, step) whatever the dispatch shape.
//
// Bindings: 0 params, 1 out (y or dx), 2 input (x or dy), 3 mask (written forward, read backward).
// Dispatch: forward grid1d(ceil(count / 4), WG), one invocation per block of four;
//           backward grid1d(count, WG), one invocation per element.

struct DropoutParams {
  count: u32,
  dropThreshold: u32,
  scale: f32,
  step: u32,
  stream: u32,
  keyLo: u32,
  keyHi: u32,
  // Distinguishes the dropout layers of one model within a step.
  layer: u32,
}

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: DropoutParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read_write> mask: array<f32>;

fn flatIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

@compute @workgroup_size(WG)
fn dropoutForward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let block = flatIndex(gid, groups);
  // Compared as blocks: block * 4 could wrap for the grid's spare invocations.
  if (block >= params.count / 4u + select(0u, 1u, params.count % 4u != 0u)) { return; }
  let first = block * 4u;
  let bits = philox4x32(vec4<u32>(block, params.layer, params.step, params.stream), vec2<u32>(params.keyLo, params.keyHi));
  for (var w = 0u; w < 4u; w++) {
    let i = first + w;
    if (i >= params.count) { break; }
    let m = select(0.0, params.scale, (bits[w] >> 8u) >= params.dropThreshold);
    mask[i] = m;
    out[i] = input[i] * m;
  }
}

@compute @workgroup_size(WG)
fn dropoutBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  out[i] = input[i] * mask[i];
}
