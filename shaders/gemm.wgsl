// GEMM core shared by matmul and the three implicit-GEMM convolutions:
//   C[m, n] = sum_k A[m, k] * B[k, n]        over k in this workgroup's split of K
//
// An op file is concatenated in front of this one and supplies:
//   fn gemmShape() -> vec4<u32>            (M, N, K, kPerSplit); kPerSplit = K without split-K
//   fn loadA(m: u32, k: u32) -> f32        called only with m < M, k < K
//   fn loadB(k: u32, n: u32) -> f32        called only with k < K, n < N
//   fn storeC(m: u32, n: u32, split: u32, v: f32)   called only with m < M, n < N
// so all layout knowledge (transposes, im2col addressing, bias, split-K partials) lives
// in the op file and the loops here stay one implementation. A batch of independent
// products shares one dispatch: z = batch · splits + split, and the loaders of a batched
// op read the product's index from `gemmBatch` (always 0 for an unbatched launch).
//
// Dispatch: (ceil(N / (WG_N*TN)), ceil(M / (WG_M*TM)), batches · splits). Each invocation owns a
// TM x TN block of outputs, strided by the workgroup size so neighbouring invocations
// touch neighbouring addresses (coalesced on GPUs, vectorised across lanes on lavapipe).
//
// Two entry points, chosen per adapter by measurement:
//   gemmTiled      stages TK-deep slices of A and B in workgroup memory (real GPUs);
//   gemmRegisters  reads operands straight from storage (software adapters, where
//                  barriers and workgroup memory cost more than they save).

const WG_M: u32 = 8u;
const WG_N: u32 = 8u;
const TM: u32 = 4u;
const TN: u32 = 4u;
const TK: u32 = 8u;

const BM: u32 = WG_M * TM;
const BN: u32 = WG_N * TN;
const THREADS: u32 = WG_M * WG_N;

var<workgroup> tileA: array<f32, TK * BM>; // [k][m]
var<workgroup> tileB: array<f32, TK * BN>; // [k][n]

var<private> gemmBatch: u32;

/** Splits z into gemmBatch and the split it returns. */
fn splitOf(z: u32, shape: vec4<u32>) -> u32 {
  // K = 0 (an empty sum) is one split with kPerSplit = 0.
  let splits = max(select(1u, (shape.z + shape.w - 1u) / max(shape.w, 1u), shape.w > 0u), 1u);
  gemmBatch = z / splits;
  // Not z − gemmBatch·splits: a read of the private variable would make the split, and
  // with it gemmTiled's barriers, non-uniform to WGSL's uniformity analysis.
  return z % splits;
}

fn kRange(split: u32, shape: vec4<u32>) -> vec2<u32> {
  let start = split * shape.w;
  return vec2<u32>(start, min(shape.z, start + shape.w));
}

fn storeBlock(acc: ptr<function, array<f32, TM * TN>>, m0: u32, n0: u32, split: u32, shape: vec4<u32>) {
  for (var i = 0u; i < TM; i++) {
    let m = m0 + i * WG_M;
    if (m >= shape.x) { break; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + j * WG_N;
      if (n < shape.y) { storeC(m, n, split, (*acc)[i * TN + j]); }
    }
  }
}

@compute @workgroup_size(WG_N, WG_M)
fn gemmTiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let shape = gemmShape();
  let split = splitOf(wid.z, shape);
  let ks = kRange(split, shape);
  let mBase = wid.y * BM;
  let nBase = wid.x * BN;
  let tid = lid.y * WG_N + lid.x;
  var acc: array<f32, TM * TN>;
  for (var k0 = ks.x; k0 < ks.y; k0 += TK) {
    for (var i = tid; i < TK * BM; i += THREADS) {
      let k = k0 + i / BM;
      let m = mBase + i % BM;
      var v = 0.0;
      if (k < ks.y && m < shape.x) { v = loadA(m, k); }
      tileA[i] = v;
    }
    for (var i = tid; i < TK * BN; i += THREADS) {
      let k = k0 + i / BN;
      let n = nBase + i % BN;
      var v = 0.0;
      if (k < ks.y && n < shape.y) { v = loadB(k, n); }
      tileB[i] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var a: array<f32, TM>;
      var b: array<f32, TN>;
      for (var i = 0u; i < TM; i++) { a[i] = tileA[kk * BM + lid.y + i * WG_M]; }
      for (var j = 0u; j < TN; j++) { b[j] = tileB[kk * BN + lid.x + j * WG_N]; }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) { acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]); }
      }
    }
    workgroupBarrier();
  }
  storeBlock(&acc, mBase + lid.y, nBase + lid.x, split, shape);
}

@compute @workgroup_size(WG_N, WG_M)
fn gemmRegisters(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let shape = gemmShape();
  let split = splitOf(wid.z, shape);
  let ks = kRange(split, shape);
  let m0 = wid.y * BM + lid.y;
  let n0 = wid.x * BN + lid.x;
  // Rows and columns past the edge read a clamped (valid) index instead of branching in
  // the inner loop; their results are never stored.
  var rows: array<u32, TM>;
  var cols: array<u32, TN>;
  for (var i = 0u; i < TM; i++) { rows[i] = min(m0 + i * WG_M, shape.x - 1u); }
  for (var j = 0u; j < TN; j++) { cols[j] = min(n0 + j * WG_N, shape.y - 1u); }
  var acc: array<f32, TM * TN>;
  for (var k = ks.x; k < ks.y; k++) {
    var a: array<f32, TM>;
    var b: array<f32, TN>;
    for (var i = 0u; i < TM; i++) { a[i] = loadA(rows[i], k); }
    for (var j = 0u; j < TN; j++) { b[j] = loadB(k, cols[j]); }
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN; j++) { acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]); }
    }
  }
  storeBlock(&acc, m0, n0, split, shape);
}
