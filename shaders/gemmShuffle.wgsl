enable subgroups;

// The register-blocked GEMM (gemm.wgsl's gemmRegisters) with A's rows shared through the
// subgroup. Placed first in the shader (an `enable` must open it); gemm.wgsl and the op's
// loaders follow, and WGSL lets module-scope functions be used before they are declared.
//
// Why: a workgroup is one row of WG_N lanes that all need the same TM values of A at every
// k. Mesa's llvmpipe (lavapipe) treats any storage-buffer address that is not a compile-time
// constant as different per lane, so each of those TM loads becomes WG_N scalar loads, each
// with its own bounds check and branch. Here lane l loads rows l, l + WG_N, ... and the
// others take them with subgroupShuffle, a register move: TM / WG_N loads instead of TM.
//
// Requires one row of lanes that is exactly one subgroup (WG_M = 1, WG_N = the adapter's
// fixed subgroup size) and TM a multiple of WG_N; gemmConfig.ts checks both.

@compute @workgroup_size(WG_N, WG_M)
fn gemmRegistersShuffle(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(subgroup_invocation_id) lane: u32,
) {
  let shape = gemmShape();
  let split = splitOf(wid.z, shape);
  let ks = kRange(split, shape);
  let m0 = wid.y * BM;
  let n0 = wid.x * BN + lid.x;
  // Rows and columns past the edge read a clamped (valid) index; their results are never stored.
  var laneRows: array<u32, TM / WG_N>;
  var cols: array<u32, TN>;
  for (var r = 0u; r < TM / WG_N; r++) { laneRows[r] = min(m0 + r * WG_N + lane, shape.x - 1u); }
  for (var j = 0u; j < TN; j++) { cols[j] = min(n0 + j * WG_N, shape.y - 1u); }
  var acc: array<f32, TM * TN>;
  for (var k = ks.x; k < ks.y; k++) {
    var laneA: array<f32, TM / WG_N>;
    var b: array<f32, TN>;
    for (var r = 0u; r < TM / WG_N; r++) { laneA[r] = loadA(laneRows[r], k); }
    for (var j = 0u; j < TN; j++) { b[j] = loadB(k, cols[j]); }
    for (var r = 0u; r < TM / WG_N; r++) {
      for (var s = 0u; s < WG_N; s++) {
        // Row m0 + i was loaded by lane s into its slot r.
        let a = subgroupShuffle(laneA[r], s);
        let i = r * WG_N + s;
        for (var j = 0u; j < TN; j++) { acc[i * TN + j] = fma(a, b[j], acc[i * TN + j]); }
      }
    }
  }
  // With WG_M = 1, gemm.wgsl's storeBlock puts row i of the block at m0 + i, as loaded above.
  storeBlock(&acc, m0, n0, split, shape);
}
