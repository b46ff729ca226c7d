// Winograd F(m×m, 3×3) transforms (Lavin & Gray 2016) for stride-1 3×3 convolutions, for a
// tile of m = OUT outputs a side (4 or 6) over α = ALPHA = m + 2 inputs. Each m×m block of
// outputs is Aᵀ [Σ_ci (G g Gᵀ) ⊙ (Bᵀ d B)] A for the α×α input patch d of channel ci and that
// channel's kernel g. The sum over channels is a batched matmul (matmul.wgsl), one product
// per point ξ of the α×α transformed tile:
//   M[ξ][co][n] = Σ_ci U[ξ][co][ci] · V[ξ][ci][n],   n = b·TILES + th·TILES_W + tw
// over a run of images b of the batch (all of it unless the tiles would not fit a binding).
// α² multiplies per m² outputs and channel pair where the direct product needs 9m²: 36 per
// 16 (F4), 64 per 36 (F6).
//
// The matrices Bᵀ, G and Aᵀ come from a file concatenated before this one, as five 1-D maps
// with OUT and ALPHA: winogradF4.wgsl or winogradF6.wgsl. Every transform is X ↦ L X Lᵀ for
// one of them, applied to the columns and then to the rows:
//   transformInput       V  = Bᵀ d B    d from x (dy for backward-data), zero outside
//   transformWeight      U  = G g Gᵀ    FLIP: backward-data's kernel, rot180 and transposed
//   transformOutput      y  = Aᵀ M A    (+ bias), cut at the output's edge
//   transformOutputGrad  dM = A dy Aᵀ   the adjoint of transformOutput (backward-weight)
//   transformWeightGrad  dg = Gᵀ dU G   the adjoint of transformWeight (backward-weight)
// One invocation transforms one (channel, tile) or one kernel, all α² points of it.
//
// Bindings: 0 params, 1 source, 2 destination, 3 bias (transformOutput; read when BIAS = 1).

struct WinogradParams {
  count: u32,      // invocations: channels × tiles, or kernels
  tiles: u32,      // images · TILES_H · TILES_W: the tiles of this run of images
  firstImage: u32, // the run's first image in the batch
}

const WG: u32 = 64u;
// The tensor on the image side: C channels of H×W (input or dy for transformInput and
// transformOutputGrad; the output for transformOutput), read or written PAD rows and
// columns before the first tile.
const C: u32 = 1u;
const H: u32 = 6u;
const W: u32 = 6u;
const PAD_H: u32 = 0u;
const PAD_W: u32 = 0u;
const TILES_H: u32 = 1u;
const TILES_W: u32 = 1u;
const TILES: u32 = TILES_H * TILES_W;
// Kernels w [KERNEL_ROWS][KERNEL_COLS][3][3] → U [α²][KERNEL_ROWS][KERNEL_COLS], or with
// FLIP U [α²][KERNEL_COLS][KERNEL_ROWS] of the rotated kernels.
const KERNEL_ROWS: u32 = 1u;
const KERNEL_COLS: u32 = 1u;
const FLIP: bool = false;
const BIAS: u32 = 0u;

@group(0) @binding(0) var<uniform> params: WinogradParams;
@group(0) @binding(1) var<storage, read> source: array<f32>;
@group(0) @binding(2) var<storage, read_write> destination: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;

fn flatIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

/** One (channel, tile) of the image-side tensor: its place in V or M and in the image. */
struct Tile {
  c: u32,
  n: u32,
  plane: u32, // offset of channel c of tile n's image
  row: u32,   // the tile's first output row and column
  col: u32,
}

fn tileOf(invocation: u32) -> Tile {
  let c = invocation / params.tiles;
  let n = invocation - c * params.tiles;
  let image = n / TILES;
  let th = (n - image * TILES) / TILES_W;
  let tw = n - image * TILES - th * TILES_W;
  return Tile(c, n, ((params.firstImage + image) * C + c) * H * W, th * OUT, tw * OUT);
}

/** Offset of point ξ = αi + j of a transformed (channel, tile) in [α²][C][tiles]. */
fn pointOffset(i: u32, j: u32, c: u32, n: u32) -> u32 {
  return ((i * ALPHA + j) * C + c) * params.tiles + n;
}

@compute @workgroup_size(WG)
fn transformInput(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  if (invocation >= params.count) { return; }
  let t = tileOf(invocation);
  // Rows and columns as u32 that wrap below zero: one compare rejects both edges.
  let row0 = t.row - PAD_H;
  let col0 = t.col - PAD_W;
  var columns: array<array<f32, ALPHA>, ALPHA>; // [j][i]: Bᵀ applied to column j
  for (var j = 0u; j < ALPHA; j++) {
    var d: array<f32, ALPHA>;
    let col = col0 + j;
    for (var i = 0u; i < ALPHA; i++) {
      let row = row0 + i;
      let inside = row < H && col < W;
      d[i] = select(0.0, source[select(0u, t.plane + row * W + col, inside)], inside);
    }
    columns[j] = inputMap(d);
  }
  for (var i = 0u; i < ALPHA; i++) {
    var r: array<f32, ALPHA>;
    for (var j = 0u; j < ALPHA; j++) { r[j] = columns[j][i]; }
    let v = inputMap(r);
    for (var j = 0u; j < ALPHA; j++) { destination[pointOffset(i, j, t.c, t.n)] = v[j]; }
  }
}

@compute @workgroup_size(WG)
fn transformOutputGrad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  if (invocation >= params.count) { return; }
  let t = tileOf(invocation);
  var columns: array<array<f32, ALPHA>, OUT>; // [j][i]: A applied to column j of the m×m block
  for (var j = 0u; j < OUT; j++) {
    var v: array<f32, OUT>;
    let col = t.col + j;
    for (var i = 0u; i < OUT; i++) {
      let row = t.row + i;
      let inside = row < H && col < W;
      v[i] = select(0.0, source[select(0u, t.plane + row * W + col, inside)], inside);
    }
    columns[j] = outputGradMap(v);
  }
  for (var i = 0u; i < ALPHA; i++) {
    var r: array<f32, OUT>;
    for (var j = 0u; j < OUT; j++) { r[j] = columns[j][i]; }
    let m = outputGradMap(r);
    for (var j = 0u; j < ALPHA; j++) { destination[pointOffset(i, j, t.c, t.n)] = m[j]; }
  }
}

@compute @workgroup_size(WG)
fn transformOutput(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  if (invocation >= params.count) { return; }
  let t = tileOf(invocation);
  var columns: array<array<f32, OUT>, ALPHA>; // [j][i]: Aᵀ applied to column j
  for (var j = 0u; j < ALPHA; j++) {
    var m: array<f32, ALPHA>;
    for (var i = 0u; i < ALPHA; i++) { m[i] = source[pointOffset(i, j, t.c, t.n)]; }
    columns[j] = outputMap(m);
  }
  var offset = 0.0;
  if (BIAS == 1u) { offset = bias[t.c]; }
  for (var i = 0u; i < OUT; i++) {
    let row = t.row + i;
    var r: array<f32, ALPHA>;
    for (var j = 0u; j < ALPHA; j++) { r[j] = columns[j][i]; }
    let y = outputMap(r);
    for (var j = 0u; j < OUT; j++) {
      let col = t.col + j;
      if (row < H && col < W) { destination[t.plane + row * W + col] = y[j] + offset; }
    }
  }
}

@compute @workgroup_size(WG)
fn transformWeight(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  if (invocation >= params.count) { return; }
  let row = invocation / KERNEL_COLS;
  let col = invocation - row * KERNEL_COLS;
  let kernel = invocation * 9u;
  var columns: array<array<f32, ALPHA>, 3>; // [j][i]: G applied to column j
  for (var j = 0u; j < 3u; j++) {
    var g: array<f32, 3>;
    for (var i = 0u; i < 3u; i++) {
      // rot180 reads tap (2 − i, 2 − j).
      g[i] = source[kernel + select(i * 3u + j, (2u - i) * 3u + (2u - j), FLIP)];
    }
    columns[j] = weightMap(g);
  }
  // U[ξ][m][k]: (row, col) of w, or (col, row) for the transposed backward-data kernel.
  let rows = select(KERNEL_ROWS, KERNEL_COLS, FLIP);
  let cols = select(KERNEL_COLS, KERNEL_ROWS, FLIP);
  let m = select(row, col, FLIP);
  let k = select(col, row, FLIP);
  for (var i = 0u; i < ALPHA; i++) {
    var r: array<f32, 3>;
    for (var j = 0u; j < 3u; j++) { r[j] = columns[j][i]; }
    let u = weightMap(r);
    for (var j = 0u; j < ALPHA; j++) { destination[((i * ALPHA + j) * rows + m) * cols + k] = u[j]; }
  }
}

@compute @workgroup_size(WG)
fn transformWeightGrad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let invocation = flatIndex(gid, groups);
  if (invocation >= params.count) { return; }
  let kernels = KERNEL_ROWS * KERNEL_COLS;
  var columns: array<array<f32, 3>, ALPHA>; // [j][i]: Gᵀ applied to column j
  for (var j = 0u; j < ALPHA; j++) {
    var u: array<f32, ALPHA>;
    for (var i = 0u; i < ALPHA; i++) { u[i] = source[(i * ALPHA + j) * kernels + invocation]; }
    columns[j] = weightGradMap(u);
  }
  for (var i = 0u; i < 3u; i++) {
    var r: array<f32, ALPHA>;
    for (var j = 0u; j < ALPHA; j++) { r[j] = columns[j][i]; }
    let g = weightGradMap(r);
    for (var j = 0u; j < 3u; j++) { destination[invocation * 9u + i * 3u + j] = g[j]; }
  }
}
