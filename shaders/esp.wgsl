// The fused ESP step (ALGORITHMS.md §1.2, §2.3); philox.wgsl is concatenated in front.
// One workgroup per sample:
//   1. direction u = v / ‖v‖ with v ~ N(0, I) from Philox at (element block, sample, step,
//      stream), the same Box–Muller pairs as the CPU's normals; u is staged in `out`;
//   2. the clipping-aware scale η with ‖clip(x + η·u, lo, hi) − x‖₂ = k: Newton from below
//      on g(t) = Σ min(t·u_i², r_i²), t = η², exact once no breakpoint lies before the
//      tangent's root, bisection if 64 steps were not enough; saturated when k is unreachable;
//   3. out = (clip(x + η·u) − mean_c) / std_c, and the soft-label row: s on the label,
//      (1 − s)/(C − 1) elsewhere.
// Each sample's plan comes from the CPU: (k, s) (f64 truncated-Gaussian draws, §3.5) and the
// flip and crop shift that make x from the stored image before anything else (the CIFAR
// recipe's flip/crop → ESP → normalise, §1.7; pixels shifted in from outside are rangeLo, as
// zero padding). k ≤ 0 skips steps 1–2, so the same kernel turns unperturbed u8 batches into
// normalised f32 ones.
//
// Bindings: 0 params, 1 out f32 [R, n], 2 targets f32 [R, C] (rows outRow.. of R), 3 images (u8 packed 4 a word,
// little-endian, or f32 bits, per INPUT_U8), 4 labels u32 [B], 5 plans SamplePlan [R],
// 6 channel stats vec2 (mean, 1/std) [channels], 7 (test entry only) directions f32 [B, n].
// Dispatch: [B] workgroups (B ≤ the per-dimension limit).

struct EspParams {
  sampleSize: u32,
  classes: u32,
  planeSize: u32,
  step: u32,
  stream: u32,
  firstSample: u32,
  keyLo: u32,
  keyHi: u32,
  rangeLo: f32,
  rangeHi: f32,
  width: u32,
  // Sample b is written to row outRow + b of out and targets (AugMix's views share one batch).
  outRow: u32,
}

struct SamplePlan {
  k: f32,
  s: f32,
  shiftX: i32,
  shiftY: i32,
  // 1: mirror left–right (before the shift, as a crop then a flip of the crop).
  flip: u32,
}

const WG: u32 = 64u;
const INPUT_U8: bool = true;
const NEWTON_STEPS: u32 = 64u;
const BISECTION_STEPS: u32 = 40u;
// Breakpoint of a coordinate that never moves (u_i = 0): above any real one.
const NEVER: f32 = 3.0e38f;
const TWO_PI: f32 = 6.283185307179586f;
const PI: f32 = 3.141592653589793f;

@group(0) @binding(0) var<uniform> params: EspParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> targets: array<f32>;
@group(0) @binding(3) var<storage, read> images: array<u32>;
@group(0) @binding(4) var<storage, read> labels: array<u32>;
@group(0) @binding(5) var<storage, read> plans: array<SamplePlan>;
@group(0) @binding(6) var<storage, read> channelStats: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read> directions: array<f32>;

var<workgroup> scratch: array<vec4<f32>, WG>;

// Pixel e (NCHW within the sample) of sample b's flipped and shifted image, in [rangeLo, rangeHi].
fn pixel(b: u32, e: u32) -> f32 {
  let plan = plans[params.outRow + b];
  let x = e % params.width;
  let rest = e / params.width;
  let height = params.planeSize / params.width;
  let y = rest % height;
  let sx = i32(select(x, params.width - 1u - x, plan.flip != 0u)) + plan.shiftX;
  let sy = i32(y) + plan.shiftY;
  if (sx < 0 || sy < 0 || sx >= i32(params.width) || sy >= i32(height)) { return params.rangeLo; }
  let i = b * params.sampleSize + (rest - y) * params.width + u32(sy) * params.width + u32(sx);
  if (INPUT_U8) {
    let byte = (images[i >> 2u] >> ((i & 3u) * 8u)) & 0xFFu;
    return params.rangeLo + (params.rangeHi - params.rangeLo) * (f32(byte) / 255.0);
  }
  return bitcast<f32>(images[i]);
}

// (sum, sum, min, max) over the workgroup in a fixed tree order, so results are deterministic;
// workgroupUniformLoad makes the result uniform for the decisions that follow.
fn reduceWorkgroup(lid: u32, value: vec4<f32>) -> vec4<f32> {
  scratch[lid] = value;
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    workgroupBarrier();
    if (lid < stride) {
      let a = scratch[lid];
      let b = scratch[lid + stride];
      scratch[lid] = vec4<f32>(a.x + b.x, a.y + b.y, min(a.z, b.z), max(a.w, b.w));
    }
  }
  return workgroupUniformLoad(&scratch[0]);
}

// Room r_i to the range's edge in the direction of u_i.
fn room(x: f32, u: f32) -> f32 {
  return select(x - params.rangeLo, params.rangeHi - x, u >= 0.0);
}

fn breakpoint(r: f32, u2: f32) -> f32 {
  return select(NEVER, r * r / u2, u2 > 0.0);
}

// v ~ N(0, I) into out for sample b; returns ‖v‖².
// Where sample b's pixels go in out.
fn outBase(b: u32) -> u32 {
  return (params.outRow + b) * params.sampleSize;
}

fn drawDirection(b: u32, lid: u32) -> f32 {
  let n = params.sampleSize;
  let base = outBase(b);
  let key = vec2<u32>(params.keyLo, params.keyHi);
  var sumSquares = 0.0;
  for (var block = lid; block * 4u < n; block += WG) {
    let w = philox4x32(vec4<u32>(block, params.firstSample + b, params.step, params.stream), key);
    for (var pair = 0u; pair < 2u; pair++) {
      let radius = sqrt(-2.0 * log(uniformOpenClosed(w[2u * pair])));
      let theta = TWO_PI * uniformClosedOpen(w[2u * pair + 1u]) - PI;
      let e = block * 4u + 2u * pair;
      let z = radius * vec2<f32>(cos(theta), sin(theta));
      if (e < n) { out[base + e] = z.x; sumSquares += z.x * z.x; }
      if (e + 1u < n) { out[base + e + 1u] = z.y; sumSquares += z.y * z.y; }
    }
  }
  return sumSquares;
}

fn copyDirection(b: u32, lid: u32) -> f32 {
  let base = outBase(b);
  let given = b * params.sampleSize;
  var sumSquares = 0.0;
  for (var e = lid; e < params.sampleSize; e += WG) {
    let v = directions[given + e];
    out[base + e] = v;
    sumSquares += v * v;
  }
  return sumSquares;
}

// Scales the staged v to u = v/‖v‖ and returns (G = Σ_{u≠0} r², ·, ·, largest breakpoint).
fn normaliseDirection(b: u32, lid: u32, invNorm: f32) -> vec4<f32> {
  let base = outBase(b);
  var reach = vec4<f32>(0.0, 0.0, NEVER, 0.0);
  for (var e = lid; e < params.sampleSize; e += WG) {
    let u = out[base + e] * invNorm;
    out[base + e] = u;
    let u2 = u * u;
    let r = room(pixel(b, e), u);
    if (u2 > 0.0) {
      reach.x += r * r;
      reach.w = max(reach.w, breakpoint(r, u2));
    }
  }
  return reach;
}

// At t: (S = Σ_{b_i ≤ t} r², M = Σ_{b_i > t} u², B = min_{b_i > t} b_i, ·).
fn activeSet(b: u32, lid: u32, t: f32) -> vec4<f32> {
  let base = outBase(b);
  var acc = vec4<f32>(0.0, 0.0, NEVER, 0.0);
  for (var e = lid; e < params.sampleSize; e += WG) {
    let u = out[base + e];
    let u2 = u * u;
    let r = room(pixel(b, e), u);
    let bp = breakpoint(r, u2);
    if (bp <= t) {
      acc.x += r * r;
    } else {
      acc.y += u2;
      acc.z = min(acc.z, bp);
    }
  }
  return acc;
}

// g(t) = Σ min(t·u², r²).
fn clippedNormSquared(b: u32, lid: u32, t: f32) -> f32 {
  let base = outBase(b);
  var g = 0.0;
  for (var e = lid; e < params.sampleSize; e += WG) {
    let u = out[base + e];
    let r = room(pixel(b, e), u);
    g += min(t * u * u, r * r);
  }
  return g;
}

// t* with g(t*) = k², or the largest breakpoint when k² ≥ g's maximum G.
fn solveScaleSquared(b: u32, lid: u32, kSquared: f32, reach: vec4<f32>) -> f32 {
  if (kSquared >= reach.x) { return reach.w; }
  var t = 0.0;
  for (var i = 0u; i < NEWTON_STEPS; i++) {
    let a = reduceWorkgroup(lid, activeSet(b, lid, t));
    if (a.y <= 0.0) { return reach.w; }
    let next = (kSquared - a.x) / a.y;
    if (next <= a.z) { return next; }
    t = next;
  }
  // Pathological rounding cycles only: g(t) ≤ kSquared holds at t, bisect up to the last breakpoint.
  var high = reach.w;
  for (var i = 0u; i < BISECTION_STEPS; i++) {
    let middle = 0.5 * (t + high);
    let g = reduceWorkgroup(lid, vec4<f32>(clippedNormSquared(b, lid, middle), 0.0, NEVER, 0.0)).x;
    if (g <= kSquared) { t = middle; } else { high = middle; }
  }
  return t;
}

fn writeTargets(b: u32, lid: u32, s: f32) {
  let c = params.classes;
  let rest = (1.0 - s) / f32(c - 1u);
  let label = labels[b];
  for (var j = lid; j < c; j += WG) {
    targets[(params.outRow + b) * c + j] = select(rest, s, j == label);
  }
}

// out = normalise(clip(x + η·u)); with η = 0 this is normalise(x) and u is never read.
fn writePerturbed(b: u32, lid: u32, eta: f32) {
  let base = outBase(b);
  for (var e = lid; e < params.sampleSize; e += WG) {
    var x = pixel(b, e);
    if (eta > 0.0) { x = clamp(x + eta * out[base + e], params.rangeLo, params.rangeHi); }
    let stats = channelStats[e / params.planeSize];
    out[base + e] = (x - stats.x) * stats.y;
  }
}

// Steps 2–3, after the entry point staged v in out (only when k > 0) and summed ‖v‖² locally.
fn rescaleAndWrite(b: u32, lid: u32, ks: vec2<f32>, localNormSquared: f32) {
  writeTargets(b, lid, ks.y);
  var eta = 0.0;
  if (ks.x > 0.0) {
    let normSquared = reduceWorkgroup(lid, vec4<f32>(localNormSquared, 0.0, NEVER, 0.0)).x;
    let reach = reduceWorkgroup(lid, normaliseDirection(b, lid, inverseSqrt(normSquared)));
    eta = sqrt(solveScaleSquared(b, lid, ks.x * ks.x, reach));
  }
  writePerturbed(b, lid, eta);
}

@compute @workgroup_size(WG)
fn espPerturb(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let plan = plans[params.outRow + wid.x];
  let ks = vec2<f32>(plan.k, plan.s);
  var local = 0.0;
  if (ks.x > 0.0) { local = drawDirection(wid.x, lid); }
  rescaleAndWrite(wid.x, lid, ks, local);
}

// The same with the directions given (binding 7): how the tests feed §2.4's vectors.
@compute @workgroup_size(WG)
fn espPerturbGivenDirections(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let plan = plans[params.outRow + wid.x];
  let ks = vec2<f32>(plan.k, plan.s);
  var local = 0.0;
  if (ks.x > 0.0) { local = copyDirection(wid.x, lid); }
  rescaleAndWrite(wid.x, lid, ks, local);
}
