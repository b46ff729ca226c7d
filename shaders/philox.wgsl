// Philox4x32-10 counter-based random numbers (ALGORITHMS.md §3.1) and the exact
// u32 → float conversions of §3.3. A library file: no bindings and no entry points, so a
// kernel that needs random numbers lists it first in KernelSource.files, before its own file.
// Everything is u32 arithmetic (WGSL has no 64-bit integers), so the bits equal those of the
// TypeScript reference and the AssemblyScript RNG for the same (counter, key).
//
//   philox4x32(counter, key) -> vec4<u32>   four independent u32 words
//   uniformClosedOpen(x)     -> f32 in [0, 1)   (x >> 8) · 2^-24, exact in f32
//   uniformOpenClosed(x)     -> f32 in (0, 1]   ((x >> 8) + 1) · 2^-24, safe for log()

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
const PHILOX_ROUNDS: u32 = 10u;

// (hi, lo) 32-bit halves of the 64-bit product a·b, from 16-bit partial products that
// each fit in a u32 exactly.
fn philoxMulhilo(a: u32, b: u32) -> vec2<u32> {
  let aL = a & 0xFFFFu;
  let aH = a >> 16u;
  let bL = b & 0xFFFFu;
  let bH = b >> 16u;
  let ll = aL * bL;
  let lh = aL * bH;
  let hl = aH * bL;
  let hh = aH * bH;
  let cross = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  let hi = hh + (lh >> 16u) + (hl >> 16u) + (cross >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philoxRound(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
  let p0 = philoxMulhilo(PHILOX_M0, c.x);
  let p1 = philoxMulhilo(PHILOX_M1, c.z);
  return vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
}

fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = philoxRound(counter, key);
  var k = key;
  for (var r = 1u; r < PHILOX_ROUNDS; r++) {
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
    c = philoxRound(c, k);
  }
  return c;
}

// 24 bits fill an f32 mantissa, so both conversions are exact and bit-identical to f64.
fn uniformClosedOpen(x: u32) -> f32 {
  return f32(x >> 8u) * 0x1p-24f;
}

fn uniformOpenClosed(x: u32) -> f32 {
  return f32((x >> 8u) + 1u) * 0x1p-24f;
}
