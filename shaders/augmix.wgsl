// AugMix, one view for a batch (ALGORITHMS.md §6.1–6.2; fixed-point conventions in
// src/augment/augmix.ts):
//
//   out = ((1 − m)·x + m·Σ_i w_i·chain_i(x)) / 255,   chain_i = up to three ops on u8 pixels.
//
// One workgroup per sample. The chain's image lives in workgroup memory as u8 packed four per
// word, one plane per channel padded to whole words (64×64×3 fills 12 KiB), so each word holds
// one channel and one invocation can own it. Pointwise ops rewrite their own words in place;
// ops that read neighbours (geometric, sharpness) compute their words into registers and write
// them back after a barrier; autocontrast and equalize build each channel's histogram with
// workgroup atomics and its prefix sums with a scan. The mix accumulates in `out`, each element
// owned by one invocation. Every op ends with a barrier.
//
// Op records (8 words; ids are indices in AUGMIX_OPS):
//   autocontrast, equalize  —
//   posterize               p0 = bit mask kept
//   solarize                p0 = threshold (v >= p0 → 255 − v)
//   rotate, shear, translate p0..p5 = PIL's matrix (a, b, c, d, e, f) as i32: a, b, d, e in 2^-20,
//                           c, f in 2^-21; input = (a·(2x+1) + b·(2y+1) + c) · 2^-21 (and d, e, f)
//   color, contrast, brightness, sharpness  p0 = blend factor in 2^-20
//
// Bindings: 0 params, 1 out f32 [B, C, H, W] (read_write: the accumulator), 2 images u32 (the
//           batch's u8 NCHW bytes, 4 per word), 3 plan u32 (per sample: m and w_0..w_{width−1} as
//           f32 bits, then width·3 op records), 4 autocontrast corrections (see
//           autocontrastCorrections in src/augment/augmix.ts).
// Dispatch: grid1d(batch, 1) workgroups of WG; C, H, W are specialised consts.

struct AugMixParams {
  batch: u32,
  width: u32,
  // Words per sample in `plan`.
  recordWords: u32,
  unused: u32,
}

const C: u32 = 3u;
const H: u32 = 32u;
const W: u32 = 32u;
// Exactly 256: the histogram code gives one bin to each invocation.
const WG: u32 = 256u;
const PLANE: u32 = H * W;
const PLANE_WORDS: u32 = (PLANE + 3u) / 4u;
const IMAGE_WORDS: u32 = C * PLANE_WORDS;
const WORDS_PER_INVOCATION: u32 = (IMAGE_WORDS + WG - 1u) / WG;
const PLANE_WORDS_PER_INVOCATION: u32 = (PLANE_WORDS + WG - 1u) / WG;
const MAX_DEPTH: u32 = 3u;
const OP_RECORD_WORDS: u32 = 8u;
// Geometric ops sample at coordinates rounded to 2^-12 pixel: the bilinear weights are then
// 12-bit integers whose products with a u8 sum below 2^32.
const SUBPIXEL_BITS: u32 = 12u;
const SUBPIXEL_ONE: i32 = 4096;
const BLEND_BITS: u32 = 20u;

const AUTOCONTRAST: u32 = 0u;
const EQUALIZE: u32 = 1u;
const POSTERIZE: u32 = 2u;
const ROTATE: u32 = 3u;
const SOLARIZE: u32 = 4u;
const SHEAR_X: u32 = 5u;
const SHEAR_Y: u32 = 6u;
const TRANSLATE_X: u32 = 7u;
const TRANSLATE_Y: u32 = 8u;
const COLOR: u32 = 9u;
const CONTRAST: u32 = 10u;
const BRIGHTNESS: u32 = 11u;
const SHARPNESS: u32 = 12u;

@group(0) @binding(0) var<uniform> params: AugMixParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> images: array<u32>;
@group(0) @binding(3) var<storage, read> plan: array<u32>;
@group(0) @binding(4) var<storage, read> autocontrastFix: array<u32>;

var<workgroup> image: array<u32, IMAGE_WORDS>;
var<workgroup> histogram: array<atomic<u32>, 256>;
// Inclusive prefix sums of the histogram.
var<workgroup> cumulative: array<u32, 256>;
var<workgroup> lowest: atomic<u32>;
var<workgroup> highest: atomic<u32>;
var<workgroup> lumaSum: atomic<u32>;
var<workgroup> currentOp: u32;

fn laneOf(word: u32, lane: u32) -> u32 {
  return (word >> (8u * lane)) & 0xFFu;
}

// Pixel p = y·W + x of channel c in the working image.
fn pixel(c: u32, p: u32) -> u32 {
  return laneOf(image[c * PLANE_WORDS + p / 4u], p % 4u);
}

// Element e = c·PLANE + p of the sample's input image.
fn inputByte(sample: u32, e: u32) -> u32 {
  let g = sample * C * PLANE + e;
  return laneOf(images[g / 4u], g % 4u);
}

fn loadImage(sample: u32, tid: u32) {
  for (var r = 0u; r < WORDS_PER_INVOCATION; r++) {
    let k = tid + r * WG;
    if (k < IMAGE_WORDS) {
      let c = k / PLANE_WORDS;
      let first = (k % PLANE_WORDS) * 4u;
      var word = 0u;
      for (var lane = 0u; lane < 4u; lane++) {
        if (first + lane < PLANE) {
          word |= inputByte(sample, c * PLANE + first + lane) << (8u * lane);
        }
      }
      image[k] = word;
    }
  }
}

// ---- posterize, solarize: a fixed LUT, in place (padding lanes are mapped too; never read)

fn lookupValue(op: u32, v: u32, p: u32) -> u32 {
  if (op == POSTERIZE) {
    return v & p;
  }
  return select(v, 255u - v, v >= p);
}

fn lookupOp(op: u32, p: u32, tid: u32) {
  for (var r = 0u; r < WORDS_PER_INVOCATION; r++) {
    let k = tid + r * WG;
    if (k < IMAGE_WORDS) {
      var word = 0u;
      for (var lane = 0u; lane < 4u; lane++) {
        word |= lookupValue(op, laneOf(image[k], lane), p) << (8u * lane);
      }
      image[k] = word;
    }
  }
}

// ---- autocontrast, equalize: per-channel LUTs from the histogram

fn inclusiveScan(tid: u32) {
  cumulative[tid] = atomicLoad(&histogram[tid]);
  workgroupBarrier();
  for (var offset = 1u; offset < 256u; offset *= 2u) {
    var add = 0u;
    if (tid >= offset) {
      add = cumulative[tid - offset];
    }
    workgroupBarrier();
    cumulative[tid] += add;
    workgroupBarrier();
  }
}

// PIL's f64 LUT int(v·s − lo·s), s = 255/(hi − lo): the rational floor, one less at the
// integer points where f64 lands low (the correction table). v is a pixel, so lo <= v <= hi.
fn autocontrastValue(v: u32, lo: u32, hi: u32) -> u32 {
  if (hi <= lo) {
    return v;
  }
  let d = hi - lo;
  let scaled = 255u * (v - lo);
  let exact = scaled / d;
  if (v == lo || scaled % d != 0u) {
    return exact;
  }
  let entry = autocontrastFix[d];
  let g = entry & 0xFFu;
  let bit = (entry >> 8u) + lo * g + (v - lo) * g / d - 1u;
  return exact - ((autocontrastFix[256u + bit / 32u] >> (bit % 32u)) & 1u);
}

// ImageOps.equalize: step = (n − h[last nonzero]) // 255, lut[v] = (step//2 + Σ_{j<v} h[j]) // step.
fn equalizeValue(v: u32, lo: u32, hi: u32) -> u32 {
  if (hi == lo) {
    return v;
  }
  let step = (PLANE - (cumulative[hi] - cumulative[hi - 1u])) / 255u;
  if (step == 0u) {
    return v;
  }
  var before = 0u;
  if (v > 0u) {
    before = cumulative[v - 1u];
  }
  // PIL's point() clips LUT entries to 255.
  return min(255u, (step / 2u + before) / step);
}

fn histogramOp(op: u32, tid: u32) {
  for (var c = 0u; c < C; c++) {
    atomicStore(&histogram[tid], 0u);
    if (tid == 0u) {
      atomicStore(&lowest, 255u);
      atomicStore(&highest, 0u);
    }
    workgroupBarrier();
    var lo = 255u;
    var hi = 0u;
    for (var r = 0u; r < PLANE_WORDS_PER_INVOCATION; r++) {
      let k = tid + r * WG;
      if (k < PLANE_WORDS) {
        let word = image[c * PLANE_WORDS + k];
        for (var lane = 0u; lane < 4u; lane++) {
          if (4u * k + lane < PLANE) {
            let v = laneOf(word, lane);
            atomicAdd(&histogram[v], 1u);
            lo = min(lo, v);
            hi = max(hi, v);
          }
        }
      }
    }
    atomicMin(&lowest, lo);
    atomicMax(&highest, hi);
    workgroupBarrier();
    inclusiveScan(tid);
    let channelLo = atomicLoad(&lowest);
    let channelHi = atomicLoad(&highest);
    for (var r = 0u; r < PLANE_WORDS_PER_INVOCATION; r++) {
      let k = tid + r * WG;
      if (k < PLANE_WORDS) {
        let at = c * PLANE_WORDS + k;
        var word = image[at];
        for (var lane = 0u; lane < 4u; lane++) {
          if (4u * k + lane < PLANE) {
            let v = laneOf(word, lane);
            var mapped = equalizeValue(v, channelLo, channelHi);
            if (op == AUTOCONTRAST) {
              mapped = autocontrastValue(v, channelLo, channelHi);
            }
            word = (word & ~(0xFFu << (8u * lane))) | (mapped << (8u * lane));
          }
        }
        image[at] = word;
      }
    }
    workgroupBarrier();
  }
}

// ---- rotate, shear, translate: PIL's bilinear affine transform in fixed point

// Output pixel (x, y) of channel c. rowX = (a, b, c), rowY = (d, e, f) of the op record.
fn affineSample(c: u32, x: u32, y: u32, rowX: vec3<i32>, rowY: vec3<i32>) -> u32 {
  let centre = vec3<i32>(i32(2u * x + 1u), i32(2u * y + 1u), 1);
  // The input coordinate in 2^-21 pixel, rounded to 2^-12.
  let qx = (dot(rowX, centre) + 256) >> 9u;
  let qy = (dot(rowY, centre) + 256) >> 9u;
  if (qx < 0 || qx >= i32(W) * SUBPIXEL_ONE || qy < 0 || qy >= i32(H) * SUBPIXEL_ONE) {
    return 0u;
  }
  // PIL samples at pixel centres: shift by −½, floor, clamp the neighbours to the edge.
  let sx = qx - SUBPIXEL_ONE / 2;
  let sy = qy - SUBPIXEL_ONE / 2;
  let x0 = sx >> SUBPIXEL_BITS;
  let y0 = sy >> SUBPIXEL_BITS;
  let fx = u32(sx & (SUBPIXEL_ONE - 1));
  let fy = u32(sy & (SUBPIXEL_ONE - 1));
  let gx = u32(SUBPIXEL_ONE) - fx;
  let gy = u32(SUBPIXEL_ONE) - fy;
  let xa = u32(clamp(x0, 0, i32(W) - 1));
  let xb = u32(clamp(x0 + 1, 0, i32(W) - 1));
  let ya = u32(clamp(y0, 0, i32(H) - 1));
  let yb = u32(clamp(y0 + 1, 0, i32(H) - 1));
  // Each term <= 255·2^24 and the weights sum to 2^24: no u32 overflow. Truncation, as PIL.
  let total = pixel(c, ya * W + xa) * gx * gy + pixel(c, ya * W + xb) * fx * gy +
              pixel(c, yb * W + xa) * gx * fy + pixel(c, yb * W + xb) * fx * fy;
  return total >> (2u * SUBPIXEL_BITS);
}

fn geometricOp(at: u32, tid: u32) {
  let rowX = vec3<i32>(bitcast<i32>(plan[at + 1u]), bitcast<i32>(plan[at + 2u]), bitcast<i32>(plan[at + 3u]));
  let rowY = vec3<i32>(bitcast<i32>(plan[at + 4u]), bitcast<i32>(plan[at + 5u]), bitcast<i32>(plan[at + 6u]));
  var mapped: array<u32, WORDS_PER_INVOCATION>;
  for (var r = 0u; r < WORDS_PER_INVOCATION; r++) {
    let k = tid + r * WG;
    if (k < IMAGE_WORDS) {
      let c = k / PLANE_WORDS;
      let first = (k % PLANE_WORDS) * 4u;
      var word = 0u;
      for (var lane = 0u; lane < 4u; lane++) {
        let p = first + lane;
        if (p < PLANE) {
          word |= affineSample(c, p % W, p / W, rowX, rowY) << (8u * lane);
        }
      }
      mapped[r] = word;
    }
  }
  workgroupBarrier();
  for (var r = 0u; r < WORDS_PER_INVOCATION; r++) {
    let k = tid + r * WG;
    if (k < IMAGE_WORDS) {
      image[k] = mapped[r];
    }
  }
}

// ---- color, contrast, brightness, sharpness: ImageEnhance blends with a degenerate image

// Image.blend(degenerate, image, factor) with the factor in 2^-20: exact, then PIL's clip.
fn blend(degenerate: u32, v: u32, factor: i32) -> u32 {
  let d = i32(degenerate);
  return u32(clamp(d + ((factor * (i32(v) - d)) >> BLEND_BITS), 0, 255));
}

// convert("L") of pixel p: ITU-R 601 in PIL's 16-bit fixed point.
fn luma(p: u32) -> u32 {
  if (C == 1u) {
    return pixel(0u, p);
  }
  return (pixel(0u, p) * 19595u + pixel(1u, p) * 38470u + pixel(2u, p) * 7471u + 0x8000u) >> 16u;
}

fn enhanceOp(op: u32, factor: i32, tid: u32) {
  var mean = 0u;
  if (op == CONTRAST) {
    if (tid == 0u) {
      atomicStore(&lumaSum, 0u);
    }
    workgroupBarrier();
    var sum = 0u;
    for (var p = tid; p < PLANE; p += WG) {
      sum += luma(p);
    }
    atomicAdd(&lumaSum, sum);
    workgroupBarrier();
    // int(mean + 0.5), exact in integers.
    mean = (2u * atomicLoad(&lumaSum) + PLANE) / (2u * PLANE);
  }
  // An invocation owns the same word of every plane: color reads all channels of a pixel.
  for (var r = 0u; r < PLANE_WORDS_PER_INVOCATION; r++) {
    let k = tid + r * WG;
    if (k < PLANE_WORDS) {
      // Zeroed explicitly: lavapipe was seen keeping the previous iteration's values.
      var words: array<u32, C>;
      for (var c = 0u; c < C; c++) {
        words[c] = 0u;
      }
      for (var lane = 0u; lane < 4u; lane++) {
        let p = 4u * k + lane;
        if (p < PLANE) {
          var degenerate = 0u;
          if (op == COLOR) {
            degenerate = luma(p);
          } else if (op == CONTRAST) {
            degenerate = mean;
          }
          for (var c = 0u; c < C; c++) {
            words[c] |= blend(degenerate, pixel(c, p), factor) << (8u * lane);
          }
        }
      }
      for (var c = 0u; c < C; c++) {
        image[c * PLANE_WORDS + k] = words[c];
      }
    }
  }
}

// ImageFilter.SMOOTH: 3×3 kernel (1 1 1, 1 5 1, 1 1 1)/13, rounded; border pixels copied.
fn smoothed(c: u32, x: u32, y: u32) -> u32 {
  let centre = pixel(c, y * W + x);
  if (x == 0u || y == 0u || x == W - 1u || y == H - 1u) {
    return centre;
  }
  var total = 4u * centre;
  for (var dy = 0u; dy < 3u; dy++) {
    for (var dx = 0u; dx < 3u; dx++) {
      total += pixel(c, (y + dy - 1u) * W + x + dx - 1u);
    }
  }
  return (2u * total + 13u) / 26u;
}

fn sharpnessOp(factor: i32, tid: u32) {
  var mapped: array<u32, WORDS_PER_INVOCATION>;
  for (var r = 0u; r < WORDS_PER_INVOCATION; r++) {
    let k = tid + r * WG;
    if (k < IMAGE_WORDS) {
      let c = k / PLANE_WORDS;
      let first = (k % PLANE_WORDS) * 4u;
      var word = 0u;
      for (var lane = 0u; lane < 4u; lane++) {
        let p = first + lane;
        if (p < PLANE) {
          word |= blend(smoothed(c, p % W, p / W), pixel(c, p), factor) << (8u * lane);
        }
      }
      mapped[r] = word;
    }
  }
  workgroupBarrier();
  for (var r = 0u; r < WORDS_PER_INVOCATION; r++) {
    let k = tid + r * WG;
    if (k < IMAGE_WORDS) {
      image[k] = mapped[r];
    }
  }
}

fn applyOp(op: u32, at: u32, tid: u32) {
  switch op {
    case AUTOCONTRAST, EQUALIZE: {
      histogramOp(op, tid);
    }
    case POSTERIZE, SOLARIZE: {
      lookupOp(op, plan[at + 1u], tid);
    }
    case ROTATE, SHEAR_X, SHEAR_Y, TRANSLATE_X, TRANSLATE_Y: {
      geometricOp(at, tid);
    }
    case COLOR, CONTRAST, BRIGHTNESS: {
      enhanceOp(op, bitcast<i32>(plan[at + 1u]), tid);
    }
    case SHARPNESS: {
      sharpnessOp(bitcast<i32>(plan[at + 1u]), tid);
    }
    default: {}
  }
}

@compute @workgroup_size(WG)
fn augmixView(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let sample = group.x + group.y * groups.x;
  if (sample >= params.batch) {
    return;
  }
  let record = sample * params.recordWords;
  let m = bitcast<f32>(plan[record]);
  let base = sample * C * PLANE;
  for (var e = tid; e < C * PLANE; e += WG) {
    out[base + e] = (1.0 - m) * f32(inputByte(sample, e));
  }
  for (var chain = 0u; chain < params.width; chain++) {
    loadImage(sample, tid);
    for (var slot = 0u; slot < MAX_DEPTH; slot++) {
      let at = record + 1u + params.width + (chain * MAX_DEPTH + slot) * OP_RECORD_WORDS;
      if (tid == 0u) {
        currentOp = plan[at];
      }
      // Barriers inside the op need it uniform; this load is also the barrier after loadImage.
      let op = workgroupUniformLoad(&currentOp);
      applyOp(op, at, tid);
      workgroupBarrier();
    }
    let weight = m * bitcast<f32>(plan[record + 1u + chain]);
    for (var e = tid; e < C * PLANE; e += WG) {
      out[base + e] += weight * f32(pixel(e / PLANE, e % PLANE));
    }
    // The next chain's loadImage overwrites what other invocations just read.
    workgroupBarrier();
  }
  for (var e = tid; e < C * PLANE; e += WG) {
    out[base + e] = out[base + e] / 255.0;
  }
}
