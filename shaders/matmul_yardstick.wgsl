// The simplest correct tiled matmul: C[M, N] = A[M, K]·B[K, N], 16×16 tiles staged in
// workgroup memory, one output per invocation. Benchmarks report the GEMM core's rate
// against this one as a yardstick; nothing else uses it.
// Bindings: 0 params (M, N, K), 1 A, 2 B, 3 C. Dispatch (ceil(N/16), ceil(M/16)).

struct Params { M: u32, N: u32, K: u32, pad: u32 }

const T: u32 = 16u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

var<workgroup> tileA: array<f32, T * T>;
var<workgroup> tileB: array<f32, T * T>;

@compute @workgroup_size(T, T)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = wid.y * T + lid.y;
  let col = wid.x * T + lid.x;
  var sum = 0.0;
  for (var k0 = 0u; k0 < params.K; k0 += T) {
    let ka = k0 + lid.x;
    let kb = k0 + lid.y;
    tileA[lid.y * T + lid.x] = select(0.0, a[row * params.K + ka], row < params.M && ka < params.K);
    tileB[lid.y * T + lid.x] = select(0.0, b[kb * params.N + col], kb < params.K && col < params.N);
    workgroupBarrier();
    for (var k = 0u; k < T; k++) { sum += tileA[lid.y * T + k] * tileB[k * T + lid.x]; }
    workgroupBarrier();
  }
  if (row < params.M && col < params.N) { c[row * params.N + col] = sum; }
}
