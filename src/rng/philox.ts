// Philox4x32-10 (ALGORITHMS.md §3.1) on the CPU, bit-identical to shaders/philox.wgsl:
// counter-based, so any value can be drawn from (key, counter) without sequential state.
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two u32 values, from 16-bit halves. */
function mulhi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const lh = aL * bH;
  const hl = aH * bL;
  const cross = ((aL * bL) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aH * bH + (lh >>> 16) + (hl >>> 16) + (cross >>> 16)) >>> 0;
}

export function philox4x32(counter: readonly [number, number, number, number], key: readonly [number, number]): Uint32Array {
  const out = new Uint32Array(4);
  philox4x32Into(out, counter[0], counter[1], counter[2], counter[3], key[0], key[1]);
  return out;
}

/** The same words written into `out` (four u32): no allocation, for draws in tight loops. */
export function philox4x32Into(out: Uint32Array, c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): void {
  c0 >>>= 0;
  c1 >>>= 0;
  c2 >>>= 0;
  c3 >>>= 0;
  k0 >>>= 0;
  k1 >>>= 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const next0 = (hi1 ^ c1 ^ k0) >>> 0;
    const next2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = next0;
    c1 = lo1;
    c2 = next2;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** [0, 1) with 24 random bits, exact in f32 (§3.3). */
export function uniform01(x: number): number {
  return (x >>> 8) * 2 ** -24;
}

/** (0, 1], safe for log. */
export function uniformOpen01(x: number): number {
  return ((x >>> 8) + 1) * 2 ** -24;
}

export function seedKey(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative safe integer, got ${seed}`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/** Streams of §3.2 (counter word 3) plus the ones espgpu adds. */
export const Stream = {
  espDirection: 0,
  espSize: 1,
  augmix: 2,
  shuffle: 3,
  corruption: 4,
  dropout: 5,
  init: 6,
  flipCrop: 7,
  flatness: 8,
} as const;

/**
 * Standard normals for `count` values of one named draw: counter = (block, id, 0, stream),
 * Box–Muller (§3.4) on each pair of words.
 */
export function normals(seed: number, id: number, stream: number, count: number): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(count);
  for (let block = 0; block * 4 < count; block++) {
    const w = philox4x32([block, id, 0, stream], key);
    for (let pair = 0; pair < 2; pair++) {
      const r = Math.sqrt(-2 * Math.log(uniformOpen01(w[2 * pair]!)));
      const theta = 2 * Math.PI * uniform01(w[2 * pair + 1]!) - Math.PI;
      const i = block * 4 + pair * 2;
      if (i < count) out[i] = r * Math.cos(theta);
      if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
    }
  }
  return out;
}

/** Uniforms in [0, 1) for `count` values of one named draw. */
export function uniforms(seed: number, id: number, stream: number, count: number, step = 0): Float64Array {
  const key = seedKey(seed);
  const out = new Float64Array(count);
  for (let block = 0; block * 4 < count; block++) {
    const w = philox4x32([block, id, step, stream], key);
    for (let j = 0; j < 4 && block * 4 + j < count; j++) out[block * 4 + j] = uniform01(w[j]!);
  }
  return out;
}
