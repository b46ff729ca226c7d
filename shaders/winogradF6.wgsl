// The matrices of Winograd F(6×6, 3×3) over the points 0, ±1, ±2, ±1/2 and ∞, as the five
// 1-D maps that winograd.wgsl applies to columns and rows: Bᵀ (8×8), G (8×3), Aᵀ (6×8) and
// the adjoints A and Gᵀ. 64 multiplies per 36 outputs against F4's 36 per 16, for a float32
// error about 3× F4's (near 4e-5 of the result's scale over 64 channels; measured in float64
// against the direct sum when these maps were written).

const OUT: u32 = 6u;
const ALPHA: u32 = 8u;

/** Bᵀ d */
fn inputMap(d: array<f32, 8>) -> array<f32, 8> {
  return array<f32, 8>(
    d[0] - d[6] + 5.25 * (d[4] - d[2]),
    d[1] + d[2] + d[5] + d[6] - 4.25 * (d[3] + d[4]),
    d[2] - d[1] + d[6] - d[5] + 4.25 * (d[3] - d[4]),
    0.5 * d[1] + 0.25 * d[2] - 2.5 * d[3] - 1.25 * d[4] + 2.0 * d[5] + d[6],
    -0.5 * d[1] + 0.25 * d[2] + 2.5 * d[3] - 1.25 * d[4] - 2.0 * d[5] + d[6],
    2.0 * d[1] + 4.0 * d[2] - 2.5 * d[3] - 5.0 * d[4] + 0.5 * d[5] + d[6],
    -2.0 * d[1] + 4.0 * d[2] + 2.5 * d[3] - 5.0 * d[4] - 0.5 * d[5] + d[6],
    d[7] - d[1] + 5.25 * (d[3] - d[5]),
  );
}

/** G g */
fn weightMap(g: array<f32, 3>) -> array<f32, 8> {
  return array<f32, 8>(
    g[0],
    -2.0 / 9.0 * (g[0] + g[1] + g[2]),
    -2.0 / 9.0 * (g[0] - g[1] + g[2]),
    g[0] / 90.0 + g[1] / 45.0 + g[2] * (2.0 / 45.0),
    g[0] / 90.0 - g[1] / 45.0 + g[2] * (2.0 / 45.0),
    (32.0 * g[0] + 16.0 * g[1] + 8.0 * g[2]) / 45.0,
    (32.0 * g[0] - 16.0 * g[1] + 8.0 * g[2]) / 45.0,
    g[2],
  );
}

/** Aᵀ m */
fn outputMap(m: array<f32, 8>) -> array<f32, 6> {
  let sum12 = m[1] + m[2];
  let diff12 = m[1] - m[2];
  let sum34 = m[3] + m[4];
  let diff34 = m[3] - m[4];
  let sum56 = m[5] + m[6];
  let diff56 = m[5] - m[6];
  return array<f32, 6>(
    m[0] + sum12 + sum34 + sum56,
    diff12 + 2.0 * diff34 + 0.5 * diff56,
    sum12 + 4.0 * sum34 + 0.25 * sum56,
    diff12 + 8.0 * diff34 + 0.125 * diff56,
    sum12 + 16.0 * sum34 + 0.0625 * sum56,
    diff12 + 32.0 * diff34 + 0.03125 * diff56 + m[7],
  );
}

/** A v: the adjoint of outputMap. */
fn outputGradMap(v: array<f32, 6>) -> array<f32, 8> {
  let even = v[0] + v[2] + v[4];
  let odd = v[1] + v[3] + v[5];
  let even2 = v[0] + 4.0 * v[2] + 16.0 * v[4];
  let odd2 = 2.0 * v[1] + 8.0 * v[3] + 32.0 * v[5];
  let evenHalf = v[0] + 0.25 * v[2] + 0.0625 * v[4];
  let oddHalf = 0.5 * v[1] + 0.125 * v[3] + 0.03125 * v[5];
  return array<f32, 8>(v[0], even + odd, even - odd, even2 + odd2, even2 - odd2, evenHalf + oddHalf, evenHalf - oddHalf, v[5]);
}

/** Gᵀ u: the adjoint of weightMap. */
fn weightGradMap(u: array<f32, 8>) -> array<f32, 3> {
  return array<f32, 3>(
    u[0] - 2.0 / 9.0 * (u[1] + u[2]) + (u[3] + u[4]) / 90.0 + 32.0 / 45.0 * (u[5] + u[6]),
    -2.0 / 9.0 * (u[1] - u[2]) + (u[3] - u[4]) / 45.0 + 16.0 / 45.0 * (u[5] - u[6]),
    -2.0 / 9.0 * (u[1] + u[2]) + 2.0 / 45.0 * (u[3] + u[4]) + 8.0 / 45.0 * (u[5] + u[6]) + u[7],
  );
}
