// The matrices of Winograd F(4×4, 3×3) over the points 0, ±1, ±2 and ∞, as the five 1-D maps
// that winograd.wgsl applies to columns and rows: Bᵀ (6×6), G (6×3), Aᵀ (4×6) and the
// adjoints A and Gᵀ. Exact in float64; in float32 the error of a 64-channel sum stays near
// 1e-5 of the result's scale.

const OUT: u32 = 4u;
const ALPHA: u32 = 6u;

/** Bᵀ d */
fn inputMap(d: array<f32, 6>) -> array<f32, 6> {
  return array<f32, 6>(
    4.0 * d[0] - 5.0 * d[2] + d[4],
    -4.0 * (d[1] + d[2]) + d[3] + d[4],
    4.0 * (d[1] - d[2]) - d[3] + d[4],
    2.0 * (d[3] - d[1]) - d[2] + d[4],
    2.0 * (d[1] - d[3]) - d[2] + d[4],
    4.0 * d[1] - 5.0 * d[3] + d[5],
  );
}

/** G g */
fn weightMap(g: array<f32, 3>) -> array<f32, 6> {
  return array<f32, 6>(
    0.25 * g[0],
    -(g[0] + g[1] + g[2]) / 6.0,
    -(g[0] - g[1] + g[2]) / 6.0,
    g[0] / 24.0 + g[1] / 12.0 + g[2] / 6.0,
    g[0] / 24.0 - g[1] / 12.0 + g[2] / 6.0,
    g[2],
  );
}

/** Aᵀ m */
fn outputMap(m: array<f32, 6>) -> array<f32, 4> {
  return array<f32, 4>(
    m[0] + m[1] + m[2] + m[3] + m[4],
    m[1] - m[2] + 2.0 * (m[3] - m[4]),
    m[1] + m[2] + 4.0 * (m[3] + m[4]),
    m[1] - m[2] + 8.0 * (m[3] - m[4]) + m[5],
  );
}

/** A v: the adjoint of outputMap. */
fn outputGradMap(v: array<f32, 4>) -> array<f32, 6> {
  return array<f32, 6>(
    v[0],
    v[0] + v[1] + v[2] + v[3],
    v[0] - v[1] + v[2] - v[3],
    v[0] + 2.0 * v[1] + 4.0 * v[2] + 8.0 * v[3],
    v[0] - 2.0 * v[1] + 4.0 * v[2] - 8.0 * v[3],
    v[3],
  );
}

/** Gᵀ u: the adjoint of weightMap. */
fn weightGradMap(u: array<f32, 6>) -> array<f32, 3> {
  return array<f32, 3>(
    0.25 * u[0] - (u[1] + u[2]) / 6.0 + (u[3] + u[4]) / 24.0,
    (u[2] - u[1]) / 6.0 + (u[3] - u[4]) / 12.0,
    (u[3] + u[4] - u[1] - u[2]) / 6.0 + u[5],
  );
}
