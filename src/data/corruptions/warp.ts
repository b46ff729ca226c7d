// Affine warps the way skimage.transform.warp(image, inverse_map=AffineTransform) does them:
// the matrix maps each output pixel (x = col, y = row) to the input point it samples,
// read bilinearly, with 0 for the neighbours that fall outside the image (mode 'constant').

/** [a1, a2, a3, b1, b2, b3]: input x = a1·x + a2·y + a3, input y = b1·x + b2·y + b3. */
export type Affine = readonly [number, number, number, number, number, number];

/** skimage AffineTransform(shear=angle): [[1, −sin a], [0, cos a]] (skimage ≤ 0.18). */
export function shearMatrix(angle: number): Affine {
  return [1, -Math.sin(angle), 0, 0, Math.cos(angle), 0];
}

export function rotationMatrix(angle: number): Affine {
  return [Math.cos(angle), -Math.sin(angle), 0, Math.sin(angle), Math.cos(angle), 0];
}

export function scaleMatrix(sx: number, sy: number): Affine {
  return [sx, 0, 0, 0, sy, 0];
}

export function translationMatrix(dx: number, dy: number): Affine {
  return [1, 0, dx, 0, 1, dy];
}

/**
 * The same linear part with the translation that keeps the image centre ((width−1)/2, (height−1)/2)
 * fixed; for 28×28 this is the reference's t = 13.5·(1 − row sum).
 */
export function aboutCentre(m: Affine, height: number, width: number): Affine {
  const [a1, a2, , b1, b2] = m;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  return [a1, a2, cx - a1 * cx - a2 * cy, b1, b2, cy - b1 * cx - b2 * cy];
}

function pixelOrZero(plane: Float64Array, height: number, width: number, row: number, col: number): number {
  return row < 0 || row >= height || col < 0 || col >= width ? 0 : plane[row * width + col]!;
}

/** skimage's bilinear_interpolation: neighbours floor/ceil of each coordinate. */
export function bilinear(plane: Float64Array, height: number, width: number, row: number, col: number): number {
  const [r0, c0, r1, c1] = [Math.floor(row), Math.floor(col), Math.ceil(row), Math.ceil(col)];
  const [dr, dc] = [row - r0, col - c0];
  const top = (1 - dc) * pixelOrZero(plane, height, width, r0, c0) + dc * pixelOrZero(plane, height, width, r0, c1);
  const bottom = (1 - dc) * pixelOrZero(plane, height, width, r1, c0) + dc * pixelOrZero(plane, height, width, r1, c1);
  return (1 - dr) * top + dr * bottom;
}

export function warpAffine(plane: Float64Array, height: number, width: number, m: Affine): Float64Array {
  const [a1, a2, a3, b1, b2, b3] = m;
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) out[y * width + x] = bilinear(plane, height, width, b1 * x + b2 * y + b3, a1 * x + a2 * y + a3);
  return out;
}
