// A sum over one workgroup of SUM_WG invocations, shared by the per-channel reductions
// (batchnorm.wgsl, reduce.wgsl): a halving tree in workgroup memory, so the order of the
// additions depends only on SUM_WG and a device gives the same bits on every run (no atomics).
// Three lanes because batch norm's backward sums three quantities at once; callers with fewer
// pass zeros. Concatenated with the shader that calls it.

// A power of two: the tree halves it. 64 invocations suffice for a channel's sums.
const SUM_WG: u32 = 64u;

var<workgroup> partialSums: array<vec3<f32>, SUM_WG>;

// Every invocation gets the total.
fn workgroupSum(lid: u32, value: vec3<f32>) -> vec3<f32> {
  partialSums[lid] = value;
  workgroupBarrier();
  for (var stride = SUM_WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partialSums[lid] += partialSums[lid + stride]; }
    workgroupBarrier();
  }
  let total = partialSums[0];
  workgroupBarrier(); // a following call overwrites partialSums
  return total;
}
