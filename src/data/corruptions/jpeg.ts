// JPEG compression (ALGORITHMS.md §9.2): PIL's save(quality=q) and reload through libjpeg(-turbo),
// without the entropy coding, which is lossless. Everything that loses information is libjpeg's, in
// integers: the quality scaling of the IJG tables, the RGB ↔ YCbCr tables (jccolor.c, jdcolor.c),
// 4:2:0 subsampling by 2×2 means with alternating bias (jcsample.c), the edge padding, the "islow"
// DCTs (the default in both directions) and the quantiser's rounding, and "fancy" triangle
// upsampling (jdsample.c). The result is PIL's to the byte: checked against Pillow 12.3 with
// libjpeg-turbo on 32×32, 64×64, 16×16, 20×28, 17×40 and 33×33 images, colour and grey, q = 20…90.
import type { ImageShape } from './corruption.ts';

/** JPEG spec K.1, row-major (libjpeg's natural order). */
export const IJG_LUMINANCE = Int32Array.of(
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
);
export const IJG_CHROMINANCE = Int32Array.of(
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  ...new Array<number>(32).fill(99),
);

/** jpeg_quality_scaling: percent scale of the base tables. */
export function qualityScale(quality: number): number {
  const q = Math.min(Math.max(Math.trunc(quality), 1), 100);
  return q < 50 ? Math.trunc(5000 / q) : 200 - 2 * q;
}

/** jpeg_add_quant_table with force_baseline: floor((base·scale + 50)/100) clamped to [1, 255]. */
export function quantizationTable(base: Int32Array, quality: number): Int32Array {
  const scale = qualityScale(quality);
  return base.map((b) => Math.min(Math.max(Math.trunc((b * scale + 50) / 100), 1), 255));
}

const SCALE_BITS = 16;
const ONE_HALF = 1 << (SCALE_BITS - 1);
const fix = (x: number) => Math.round(x * (1 << SCALE_BITS));
const clampByte = (v: number) => Math.min(Math.max(v, 0), 255);

/** jccolor.c rgb_ycc_convert. */
function rgbToYcc(r: number, g: number, b: number): [number, number, number] {
  const y = (fix(0.299) * r + fix(0.587) * g + fix(0.114) * b + ONE_HALF) >> SCALE_BITS;
  const cb = (-fix(0.16874) * r - fix(0.33126) * g + fix(0.5) * b + (128 << SCALE_BITS) + ONE_HALF - 1) >> SCALE_BITS;
  const cr = (fix(0.5) * r - fix(0.41869) * g - fix(0.08131) * b + (128 << SCALE_BITS) + ONE_HALF - 1) >> SCALE_BITS;
  return [y, cb, cr];
}

/** jdcolor.c ycc_rgb_convert with its range limit. */
function yccToRgb(y: number, cb: number, cr: number): [number, number, number] {
  const [u, v] = [cb - 128, cr - 128];
  const r = y + ((fix(1.402) * v + ONE_HALF) >> SCALE_BITS);
  const g = y + ((-fix(0.34414) * u - fix(0.71414) * v + ONE_HALF) >> SCALE_BITS);
  const b = y + ((fix(1.772) * u + ONE_HALF) >> SCALE_BITS);
  return [clampByte(r), clampByte(g), clampByte(b)];
}

// libjpeg's "islow" DCTs (jfdctint.c, jidctint.c): the Loeffler–Ligtenberg–Moschytz factorisation
// with 13-bit constants and 2 extra bits between the passes. Products stay below 2^53, so plain
// numbers hold them exactly; shifts are floor divisions.
const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX = {
  c0_298631336: 2446,
  c0_390180644: 3196,
  c0_541196100: 4433,
  c0_765366865: 6270,
  c0_899976223: 7373,
  c1_175875602: 9633,
  c1_501321110: 12299,
  c1_847759065: 15137,
  c1_961570560: 16069,
  c2_053119869: 16819,
  c2_562915447: 20995,
  c3_072711026: 25172,
};
const descale = (x: number, n: number) => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

/** The rotations shared by both DCTs' odd parts: returns [t0 + z1 + z3, t1 + z2 + z4, t2 + z2 + z3, t3 + z1 + z4]. */
function oddPart(t0: number, t1: number, t2: number, t3: number): [number, number, number, number] {
  const z5 = (t0 + t1 + t2 + t3) * FIX.c1_175875602; // (z3 + z4)·√2·c3, with z3 = t0 + t2, z4 = t1 + t3
  const z1 = (t0 + t3) * -FIX.c0_899976223;
  const z2 = (t1 + t2) * -FIX.c2_562915447;
  const z3 = (t0 + t2) * -FIX.c1_961570560 + z5;
  const z4 = (t1 + t3) * -FIX.c0_390180644 + z5;
  return [t0 * FIX.c0_298631336 + z1 + z3, t1 * FIX.c2_053119869 + z2 + z4, t2 * FIX.c3_072711026 + z2 + z3, t3 * FIX.c1_501321110 + z1 + z4];
}

/** jpeg_fdct_islow on one row or column (stride apart): the DCT scaled up by 8 after both passes. */
function forward8(data: Float64Array, offset: number, stride: number, firstPass: boolean): void {
  const at = (i: number) => data[offset + i * stride]!;
  const set = (i: number, v: number) => (data[offset + i * stride] = v);
  const [tmp0, tmp7, tmp1, tmp6] = [at(0) + at(7), at(0) - at(7), at(1) + at(6), at(1) - at(6)];
  const [tmp2, tmp5, tmp3, tmp4] = [at(2) + at(5), at(2) - at(5), at(3) + at(4), at(3) - at(4)];
  const [tmp10, tmp13, tmp11, tmp12] = [tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2];
  const shift = firstPass ? CONST_BITS - PASS1_BITS : CONST_BITS + PASS1_BITS;
  set(0, firstPass ? (tmp10 + tmp11) * 2 ** PASS1_BITS : descale(tmp10 + tmp11, PASS1_BITS));
  set(4, firstPass ? (tmp10 - tmp11) * 2 ** PASS1_BITS : descale(tmp10 - tmp11, PASS1_BITS));
  const z1 = (tmp12 + tmp13) * FIX.c0_541196100;
  set(2, descale(z1 + tmp13 * FIX.c0_765366865, shift));
  set(6, descale(z1 - tmp12 * FIX.c1_847759065, shift));
  const [o7, o5, o3, o1] = oddPart(tmp4, tmp5, tmp6, tmp7);
  set(7, descale(o7, shift));
  set(5, descale(o5, shift));
  set(3, descale(o3, shift));
  set(1, descale(o1, shift));
}

/** jpeg_idct_islow on one column (first pass, from dequantised coefficients) or row (second pass, to samples − 128). */
function inverse8(data: Float64Array, offset: number, stride: number, firstPass: boolean): void {
  const at = (i: number) => data[offset + i * stride]!;
  const set = (i: number, v: number) => (data[offset + i * stride] = v);
  const z1 = (at(2) + at(6)) * FIX.c0_541196100;
  const tmp2 = z1 - at(6) * FIX.c1_847759065;
  const tmp3 = z1 + at(2) * FIX.c0_765366865;
  const tmp0 = (at(0) + at(4)) * 2 ** CONST_BITS;
  const tmp1 = (at(0) - at(4)) * 2 ** CONST_BITS;
  const [tmp10, tmp13, tmp11, tmp12] = [tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2];
  const [o0, o1, o2, o3] = oddPart(at(7), at(5), at(3), at(1));
  const shift = firstPass ? CONST_BITS - PASS1_BITS : CONST_BITS + PASS1_BITS + 3;
  const out = [tmp10 + o3, tmp11 + o2, tmp12 + o1, tmp13 + o0, tmp13 - o0, tmp12 - o1, tmp11 - o2, tmp10 - o3];
  out.forEach((v, i) => set(i, descale(v, shift)));
}

/** In place on an 8×8 row-major block: rows, then columns. */
function forwardDct(block: Float64Array): void {
  for (let r = 0; r < 8; r++) forward8(block, r * 8, 1, true);
  for (let c = 0; c < 8; c++) forward8(block, c, 8, false);
}

/** In place on an 8×8 row-major block: columns, then rows. */
function inverseDct(block: Float64Array): void {
  for (let c = 0; c < 8; c++) inverse8(block, c, 8, true);
  for (let r = 0; r < 8; r++) inverse8(block, r * 8, 1, false);
}

/** jcdctmgr.c: the DCT is 8× too large, so divide by 8Q, rounding half up in magnitude. */
const quantize = (f: number, q: number) => Math.sign(f) * Math.floor((Math.abs(f) + 4 * q) / (8 * q));

/** Level shift, DCT, quantise and dequantise, inverse DCT, +128 and clamp: one plane whose sides are multiples of 8. */
export function codePlane(plane: Uint8Array, height: number, width: number, table: Int32Array): Uint8Array {
  const out = new Uint8Array(plane.length);
  const block = new Float64Array(64);
  for (let by = 0; by < height; by += 8)
    for (let bx = 0; bx < width; bx += 8) {
      for (let k = 0; k < 64; k++) block[k] = plane[(by + (k >> 3)) * width + bx + (k & 7)]! - 128;
      forwardDct(block);
      for (let k = 0; k < 64; k++) block[k] = quantize(block[k]!, table[k]!) * table[k]!;
      inverseDct(block);
      for (let k = 0; k < 64; k++) out[(by + (k >> 3)) * width + bx + (k & 7)] = clampByte(block[k]! + 128);
    }
  return out;
}

/** Copy into a larger plane, repeating the last row and column. */
function padByReplication(plane: Uint8Array, height: number, width: number, outHeight: number, outWidth: number): Uint8Array {
  const out = new Uint8Array(outHeight * outWidth);
  for (let r = 0; r < outHeight; r++)
    for (let c = 0; c < outWidth; c++) out[r * outWidth + c] = plane[Math.min(r, height - 1) * width + Math.min(c, width - 1)]!;
  return out;
}

function crop(plane: Uint8Array, width: number, outHeight: number, outWidth: number): Uint8Array {
  return Uint8Array.from({ length: outHeight * outWidth }, (_, k) => plane[Math.floor(k / outWidth) * width + (k % outWidth)]!);
}

/** jcsample.c h2v2_downsample: (sum of the 2×2 + bias) >> 2, bias 1, 2, 1, 2, … along each row. */
export function downsample2x2(plane: Uint8Array, height: number, width: number): Uint8Array {
  const [h, w] = [height / 2, width / 2];
  const out = new Uint8Array(h * w);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const [top, bottom] = [2 * r * width + 2 * c, (2 * r + 1) * width + 2 * c];
      out[r * w + c] = (plane[top]! + plane[top + 1]! + plane[bottom]! + plane[bottom + 1]! + (c % 2 === 0 ? 1 : 2)) >> 2;
    }
  return out;
}

/**
 * jdsample.c h2v2_fancy_upsample: each output sample is (9·nearest + 3·row neighbour + 3·column
 * neighbour + diagonal)/16, with libjpeg's rounding (+8 for left outputs, +7 for right ones) and
 * the edge rows and columns repeated.
 */
export function fancyUpsample2x2(plane: Uint8Array, height: number, width: number): Uint8Array {
  const outWidth = 2 * width;
  const out = new Uint8Array(4 * height * width);
  const at = (r: number, c: number) => plane[Math.min(Math.max(r, 0), height - 1) * width + Math.min(Math.max(c, 0), width - 1)]!;
  for (let r = 0; r < height; r++)
    for (const [half, neighbourRow] of [[0, r - 1], [1, r + 1]] as const) {
      const columnSum = (c: number) => 3 * at(r, c) + at(neighbourRow, c);
      for (let c = 0; c < width; c++) {
        const here = columnSum(c);
        const row = (2 * r + half) * outWidth;
        out[row + 2 * c] = (3 * here + columnSum(c - 1) + 8) >> 4;
        out[row + 2 * c + 1] = (3 * here + columnSum(c + 1) + 7) >> 4;
      }
    }
  return out;
}

function codeGrey(plane: Uint8Array, height: number, width: number, quality: number): Uint8Array {
  const [h, w] = [Math.ceil(height / 8) * 8, Math.ceil(width / 8) * 8];
  const coded = codePlane(padByReplication(plane, height, width, h, w), h, w, quantizationTable(IJG_LUMINANCE, quality));
  return crop(coded, w, height, width);
}

function codeColour(image: Uint8Array, height: number, width: number, quality: number): Uint8Array {
  const size = height * width;
  const ycc = [new Uint8Array(size), new Uint8Array(size), new Uint8Array(size)] as const;
  for (let k = 0; k < size; k++) {
    const [y, cb, cr] = rgbToYcc(image[k]!, image[size + k]!, image[2 * size + k]!);
    [ycc[0][k], ycc[1][k], ycc[2][k]] = [y, cb, cr];
  }
  const [h, w] = [Math.ceil(height / 16) * 16, Math.ceil(width / 16) * 16];
  const luma = crop(codePlane(padByReplication(ycc[0], height, width, h, w), h, w, quantizationTable(IJG_LUMINANCE, quality)), w, height, width);
  const chromaTable = quantizationTable(IJG_CHROMINANCE, quality);
  // libjpeg pads the input's columns to the full MCU width but its rows only to an even count, and
  // pads the downsampled rows by repeating the last one; the decoder upsamples the ceil(n/2) chroma
  // rows and columns that cover the image.
  const [ch, cw] = [Math.ceil(height / 2), Math.ceil(width / 2)];
  const chroma = [ycc[1], ycc[2]].map((plane) => {
    const subsampled = downsample2x2(padByReplication(plane, height, width, 2 * ch, w), 2 * ch, w);
    const coded = codePlane(padByReplication(subsampled, ch, w / 2, h / 2, w / 2), h / 2, w / 2, chromaTable);
    return crop(fancyUpsample2x2(crop(coded, w / 2, ch, cw), ch, cw), 2 * cw, height, width);
  });
  const out = new Uint8Array(3 * size);
  for (let k = 0; k < size; k++) {
    const [r, g, b] = yccToRgb(luma[k]!, chroma[0]![k]!, chroma[1]![k]!);
    [out[k], out[size + k], out[2 * size + k]] = [r, g, b];
  }
  return out;
}

/** Grey images are coded as one luminance plane (PIL mode L); RGB ones as YCbCr 4:2:0. */
export function jpegRoundTrip(image: Uint8Array, shape: ImageShape, quality: number): Uint8Array {
  const { channels, height, width } = shape;
  if (channels === 1) return codeGrey(image, height, width, quality);
  if (channels === 3) return codeColour(image, height, width, quality);
  throw new Error(`jpeg needs 1 or 3 channels, got ${channels}`);
}
