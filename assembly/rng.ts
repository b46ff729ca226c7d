// espgpu's random numbers on the CPU, compiled to build/rng.wasm (ALGORITHMS.md §3):
// Philox4x32-10 (§3.1), the u32 → float rules (§3.3), Box–Muller (§3.4) and the inverse-CDF
// truncated normal of the ESP size (§3.5), all in f64.
//
// Buffers live in this module's memory. The host asks `scratch` for room, writes its inputs
// there, calls a fill function with the addresses and copies the results out. Nothing here
// allocates, so the fill loops never grow memory under the host's views.

const M0: u32 = 0xd2511f53;
const M1: u32 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9;
const W1: u32 = 0xbb67ae85;
const TWO_POW_MINUS_24: f64 = 5.9604644775390625e-8;

// ---------------------------------------------------------------------------------------------
// Scratch memory

/** Address of at least `bytes` bytes, 16-aligned, reused by every call (grows when asked for more). */
export function scratch(bytes: usize): usize {
  const base = (__heap_base + 15) & ~(<usize>15);
  const end = base + bytes;
  const have = (<usize>memory.size()) << 16;
  if (end > have && memory.grow(<i32>((end - have + 0xffff) >>> 16)) < 0) unreachable();
  return base;
}

// ---------------------------------------------------------------------------------------------
// Philox4x32-10

// The four output words: globals, so one block costs no allocation and no memory traffic.
let word0: u32 = 0;
let word1: u32 = 0;
let word2: u32 = 0;
let word3: u32 = 0;

function philox(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 += W0;
      k1 += W1;
    }
    const product0 = <u64>M0 * <u64>c0;
    const product1 = <u64>M1 * <u64>c2;
    const next0 = (<u32>(product1 >> 32)) ^ c1 ^ k0;
    const next2 = (<u32>(product0 >> 32)) ^ c3 ^ k1;
    c1 = <u32>product1;
    c3 = <u32>product0;
    c0 = next0;
    c2 = next2;
  }
  word0 = c0;
  word1 = c1;
  word2 = c2;
  word3 = c3;
}

/** counters: u32 [n, 4], keys: u32 [n, 2] → out: u32 [n, 4]. */
export function philoxWords(counters: usize, keys: usize, out: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const c = counters + (<usize>i << 4);
    const k = keys + (<usize>i << 3);
    philox(load<u32>(c), load<u32>(c, 4), load<u32>(c, 8), load<u32>(c, 12), load<u32>(k), load<u32>(k, 4));
    const o = out + (<usize>i << 4);
    store<u32>(o, word0);
    store<u32>(o, word1, 4);
    store<u32>(o, word2, 8);
    store<u32>(o, word3, 12);
  }
}

// ---------------------------------------------------------------------------------------------
// u32 → float (§3.3): 24 bits, exact in f32 and f64, so every backend agrees bit for bit.

/** [0, 1). */
@inline function closedOpen(x: u32): f64 {
  return <f64>(x >>> 8) * TWO_POW_MINUS_24;
}

/** (0, 1]: safe for log. */
@inline function openClosed(x: u32): f64 {
  return <f64>((x >>> 8) + 1) * TWO_POW_MINUS_24;
}

@inline function storeIfInside(out: usize, i: u32, count: u32, value: f64): void {
  if (i < count) store<f64>(out + (<usize>i << 3), value);
}

/** Uniforms in [0, 1): counter = (block, id, step, stream), four values a block. */
export function fillUniforms(out: usize, count: u32, seedLo: u32, seedHi: u32, id: u32, stream: u32, step: u32): void {
  for (let block: u32 = 0; block < (count + 3) >>> 2; block++) {
    philox(block, id, step, stream, seedLo, seedHi);
    const i = block << 2;
    storeIfInside(out, i, count, closedOpen(word0));
    storeIfInside(out, i + 1, count, closedOpen(word1));
    storeIfInside(out, i + 2, count, closedOpen(word2));
    storeIfInside(out, i + 3, count, closedOpen(word3));
  }
}

// ---------------------------------------------------------------------------------------------
// Box–Muller (§3.4)

function boxMuller(out: usize, i: u32, count: u32, wordForRadius: u32, wordForAngle: u32): void {
  const radius = Math.sqrt(-2.0 * Math.log(openClosed(wordForRadius)));
  // Kept inside [−π, π), where WGSL specifies its trig accuracy, so the GPU draws the same angle.
  const theta = 2.0 * Math.PI * closedOpen(wordForAngle) - Math.PI;
  storeIfInside(out, i, count, radius * Math.cos(theta));
  storeIfInside(out, i + 1, count, radius * Math.sin(theta));
}

/** Standard normals: counter = (block, id, step, stream), two Box–Muller pairs a block. */
export function fillNormals(out: usize, count: u32, seedLo: u32, seedHi: u32, id: u32, stream: u32, step: u32): void {
  for (let block: u32 = 0; block < (count + 3) >>> 2; block++) {
    philox(block, id, step, stream, seedLo, seedHi);
    boxMuller(out, block << 2, count, word0, word1);
    boxMuller(out, (block << 2) + 2, count, word2, word3);
  }
}

// ---------------------------------------------------------------------------------------------
// Φ through erfc, after FreeBSD's s_erf.c (fdlibm; Go's math/erf.go is the same code). Its error
// is below 1 ulp, which is what lets one Halley step carry Acklam's Φ⁻¹ to full precision; the
// Numerical Recipes erfc (1.2e−7) would make that step worse, not better.
//   Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//   Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify,
//   and distribute this software is freely granted, provided that this notice is preserved.

const ERX: f64 = 8.45062911510467529297e-1;

/** erfc on |x| < 0.84375: 1 − erf(x) with erf(x) = x + x·R(x²). */
function erfcSmall(x: f64): f64 {
  const z = x * x;
  const r = 1.28379167095512558561e-1 + z * (-3.25042107247001499370e-1 + z * (-2.84817495755985104766e-2 + z * (-5.77027029648944159157e-3 + z * -2.37630166566501626084e-5)));
  const s = 1.0 + z * (3.97917223959155352819e-1 + z * (6.50222499887672944485e-2 + z * (5.08130628187576562776e-3 + z * (1.32494738004321644526e-4 + z * -3.96022827877536812320e-6))));
  const y = r / s;
  if (x < 0.25) return 1.0 - (x + x * y);
  return 0.5 - (x * y + (x - 0.5));
}

/** erfc on 0.84375 ≤ |x| < 1.25: a rational function of |x| − 1 around erf(1). */
function erfcNearOne(x: f64): f64 {
  const s = Math.abs(x) - 1.0;
  const p = -2.36211856075265944077e-3 + s * (4.14856118683748331666e-1 + s * (-3.72207876035701323847e-1 + s * (3.18346619901161753674e-1 + s * (-1.10894694282396677476e-1 + s * (3.54783043256182359371e-2 + s * -2.16637559486879084300e-3)))));
  const q = 1.0 + s * (1.06420880400844228286e-1 + s * (5.40397917702171048937e-1 + s * (7.18286544141962662868e-2 + s * (1.26171219808761642112e-1 + s * (1.36370839120290507362e-2 + s * 1.19844998467991074170e-2)))));
  return x > 0 ? 1.0 - ERX - p / q : 1.0 + ERX + p / q;
}

/** erfc(|x|) for 1.25 ≤ |x| < 28: exp(−x² − 0.5625 + R/S) / |x| with R/S in 1/x². */
function erfcTail(a: f64): f64 {
  const s = 1.0 / (a * a);
  let r: f64, d: f64;
  if (a < 1.0 / 0.35) {
    r = -9.86494403484714822705e-3 + s * (-6.93858572707181764372e-1 + s * (-1.05586262253232909814e1 + s * (-6.23753324503260060396e1 + s * (-1.62396669462573470355e2 + s * (-1.84605092906711035994e2 + s * (-8.12874355063065934246e1 + s * -9.81432934416914548592e0))))));
    d = 1.0 + s * (1.96512716674392571292e1 + s * (1.37657754143519042600e2 + s * (4.34565877475229228821e2 + s * (6.45387271733267880336e2 + s * (4.29008140027567833386e2 + s * (1.08635005541779435134e2 + s * (6.57024977031928170135e0 + s * -6.04244152148580987438e-2)))))));
  } else {
    r = -9.86494292470009928597e-3 + s * (-7.99283237680523006574e-1 + s * (-1.77579549177547519889e1 + s * (-1.60636384855821916062e2 + s * (-6.37566443368389627722e2 + s * (-1.02509513161107724954e3 + s * -4.83519191608651397019e2)))));
    d = 1.0 + s * (3.03380607434824582924e1 + s * (3.25792512996573918826e2 + s * (1.53672958608443695994e3 + s * (3.19985821950859553908e3 + s * (2.55305040643316442583e3 + s * (4.74528541206955367215e2 + s * -2.24409524465858183362e1))))));
  }
  // exp(−a²) with a split into a 20-bit head and a tail, so a² costs no rounding error.
  const head = reinterpret<f64>(reinterpret<u64>(a) & 0xffffffff00000000);
  return (Math.exp(-head * head - 0.5625) * Math.exp((head - a) * (head + a) + r / d)) / a;
}

function erfc(x: f64): f64 {
  if (isNaN<f64>(x)) return x;
  const a = Math.abs(x);
  if (a < 0.84375) return erfcSmall(x);
  if (a < 1.25) return erfcNearOne(x);
  if (x <= -6.0) return 2.0;
  if (a >= 28.0) return 0.0;
  const upper = erfcTail(a);
  return x > 0 ? upper : 2.0 - upper;
}

/** Standard normal CDF. */
export function phi(x: f64): f64 {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

// ---------------------------------------------------------------------------------------------
// Φ⁻¹: Acklam's rational approximation (relative error ≤ 1.15e−9) and one Halley step (§3.5).

const P_LOW: f64 = 0.02425;

function acklamCentral(p: f64): f64 {
  const q = p - 0.5;
  const r = q * q;
  const num = ((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r + 1.38357751867269e2) * r - 3.066479806614716e1) * r + 2.506628277459239;
  const den = ((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r + 6.680131188771972e1) * r - 1.328068155288572e1) * r + 1.0;
  return (num * q) / den;
}

/** The lower tail, p < P_LOW. */
function acklamLowerTail(p: f64): f64 {
  const q = Math.sqrt(-2.0 * Math.log(p));
  const num = ((((-7.784894002430293e-3 * q - 3.223964580411365e-1) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q + 2.938163982698783;
  const den = (((7.784695709041462e-3 * q + 3.224671290700398e-1) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1.0;
  return num / den;
}

/** Φ⁻¹ on (0, 0.5], where Φ(x) − p keeps its relative precision (x ≤ 0, erfc of x ≥ 0). */
function phiInverseLowerHalf(p: f64): f64 {
  const x = p < P_LOW ? acklamLowerTail(p) : acklamCentral(p);
  const e = phi(x) - p;
  const w = e * Math.sqrt(2.0 * Math.PI) * Math.exp(0.5 * x * x);
  // Deep in the tail exp(x²/2) overflows: keep Acklam's value there.
  if (!isFinite<f64>(w)) return x;
  return x - w / (1.0 + 0.5 * x * w);
}

/** Standard normal quantile. Above ½ it works on 1 − p (exact there) and mirrors. */
export function phiInverse(p: f64): f64 {
  if (!(p > 0.0 && p < 1.0)) return p == 0.0 ? -Infinity : p == 1.0 ? Infinity : NaN;
  return p > 0.5 ? -phiInverseLowerHalf(1.0 - p) : phiInverseLowerHalf(p);
}

// ---------------------------------------------------------------------------------------------
// The ESP size: k = μ + σ·Φ⁻¹(Φ(α) + u·(Φ(β) − Φ(α))), clamped to [lo, hi] (§3.5)

@inline function clamp(x: f64, lo: f64, hi: f64): f64 {
  return Math.min(Math.max(x, lo), hi);
}

// A sample is perturbed iff word 1 of its size block, as a [0,1) float, is below the
// probability: an independent draw from the size's own word 0, so p = 1 changes nothing.
@inline function perturbed(probability: f64): bool {
  return closedOpen(word1) < probability;
}

/**
 * One size per sample: out[i] for sample firstSample + i, u from word 0 of Philox at counter
 * (0, sample, step, stream) as a [0,1) float, and 0 for the samples word 1 leaves unperturbed.
 * A sample's size therefore depends only on (seed, step, sample), never on the batch it came in.
 * Returns the probability mass of [α, β]; when it is not positive nothing was written.
 */
export function truncatedNormalSizes(
  out: usize, batch: u32, firstSample: u32, seedLo: u32, seedHi: u32, step: u32, stream: u32,
  mu: f64, sigma: f64, lo: f64, hi: f64, probability: f64,
): f64 {
  const alpha = (lo - mu) / sigma;
  const beta = (hi - mu) / sigma;
  // Wholly above the mean, Φ(α) and Φ(β) round towards 1 and their difference loses its digits.
  // The same p then comes from upper tails: 1 − p = Q(α) − u·(Q(α) − Q(β)), Φ⁻¹(p) = −Φ⁻¹(1 − p).
  const upper = alpha > 0;
  const start = upper ? phi(-alpha) : phi(alpha);
  const end = upper ? phi(-beta) : phi(beta);
  const mass = upper ? start - end : end - start;
  if (!(mass > 0)) return mass;
  const direction: f64 = upper ? -1.0 : 1.0;
  for (let i: u32 = 0; i < batch; i++) {
    philox(0, firstSample + i, step, stream, seedLo, seedHi);
    const z = direction * phiInverse(start + direction * closedOpen(word0) * mass);
    const k = perturbed(probability) ? clamp(mu + sigma * z, lo, hi) : 0.0;
    store<f64>(out + (<usize>i << 3), k);
  }
  return mass;
}

/** L2 noise's sizes: `size` for the samples word 1 perturbs (same counters as above), else 0. */
export function fixedSizes(
  out: usize, batch: u32, firstSample: u32, seedLo: u32, seedHi: u32, step: u32, stream: u32, size: f64, probability: f64,
): void {
  for (let i: u32 = 0; i < batch; i++) {
    philox(0, firstSample + i, step, stream, seedLo, seedHi);
    store<f64>(out + (<usize>i << 3), perturbed(probability) ? size : 0.0);
  }
}
