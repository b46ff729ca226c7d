// Matmul operand access for the GEMM core (gemm.wgsl is appended after this file).
//   C[M, N] = op(A) · op(B) (+ bias), op = identity or transpose, row-major storage.
// Linear layers use it three ways: Y = X·Wᵀ + b, dX = dY·W, dW = dYᵀ·X.
// Batched: A, B and C hold `batches` matrices back to back, product gemmBatch of the GEMM
// core reads and writes matrix gemmBatch of each (Winograd convolutions run 36 at once).
// With split-K each split writes its partial products to C[split][batch][M][N]; a
// reduction (reduce.wgsl) sums them in a fixed order, so results are deterministic.
//
// Bindings: 0 params, 1 A, 2 B, 3 bias (ignored unless BIAS != 0), 4 C.

struct MatmulParams {
  M: u32,
  N: u32,
  K: u32,
  kPerSplit: u32,
  batches: u32,
}

const TRANS_A: bool = false;
const TRANS_B: bool = false;
// 0: no bias, 1: bias[n] added to every row (linear layers).
const BIAS: u32 = 0u;

@group(0) @binding(0) var<uniform> params: MatmulParams;
@group(0) @binding(1) var<storage, read> matA: array<f32>;
@group(0) @binding(2) var<storage, read> matB: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> matC: array<f32>;

fn gemmShape() -> vec4<u32> {
  return vec4<u32>(params.M, params.N, params.K, params.kPerSplit);
}

fn loadA(m: u32, k: u32) -> f32 {
  let matrix = gemmBatch * params.M * params.K;
  if (TRANS_A) { return matA[matrix + k * params.M + m]; }
  return matA[matrix + m * params.K + k];
}

fn loadB(k: u32, n: u32) -> f32 {
  let matrix = gemmBatch * params.K * params.N;
  if (TRANS_B) { return matB[matrix + n * params.K + k]; }
  return matB[matrix + k * params.N + n];
}

fn storeC(m: u32, n: u32, split: u32, v: f32) {
  var r = v;
  if (BIAS == 1u) { r += bias[n]; }
  matC[((split * params.batches + gemmBatch) * params.M + m) * params.N + n] = r;
}
