// Philox4x32-10 (ALGORITHMS.md §3.1) in plain JS numbers: the oracle for the GPU's random
// bits. mulhilo splits into 16-bit halves like the WGSL (every partial product is below
// 2^32, exact in a double), so no BigInt and no 64-bit type.
export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;

export type PhiloxCounter = readonly [number, number, number, number];
export type PhiloxKey = readonly [number, number];

/** [hi, lo] words of the 64-bit product of two u32 values. */
export function mulhilo(a: number, b: number): [number, number] {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const hh = aH * bH;
  const cross = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  const hi = (hh + (lh >>> 16) + (hl >>> 16) + (cross >>> 16)) >>> 0;
  return [hi, Math.imul(a, b) >>> 0];
}

function round(c: number[], k0: number, k1: number): number[] {
  const [hi0, lo0] = mulhilo(PHILOX_M0, c[0]!);
  const [hi1, lo1] = mulhilo(PHILOX_M1, c[2]!);
  return [(hi1 ^ c[1]! ^ k0) >>> 0, lo1, (hi0 ^ c[3]! ^ k1) >>> 0, lo0];
}

export function philox4x32(counter: PhiloxCounter, key: PhiloxKey): Uint32Array {
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  let c = round(counter.map((v) => v >>> 0), k0, k1);
  for (let r = 1; r < 10; r++) {
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
    c = round(c, k0, k1);
  }
  return Uint32Array.from(c);
}

/** ALGORITHMS.md §3.1 known-answer vectors. */
export const PHILOX_KATS: { counter: PhiloxCounter; key: PhiloxKey; output: readonly number[] }[] = [
  { counter: [0, 0, 0, 0], key: [0, 0], output: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    output: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    output: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

/** §3.3's [0,1) floats of KAT row 1. */
export const KAT1_CLOSED_OPEN = [0.3990464210510254, 0.8805201649665833, 0.7357127666473389, 0.6054818034172058];

const TWO_POW_MINUS_24 = 2 ** -24;

/** §3.3: a u32 word as a float in [0, 1); exact in f32 and f64. */
export function uniformClosedOpen(x: number): number {
  return (x >>> 8) * TWO_POW_MINUS_24;
}

/** §3.3: a u32 word as a float in (0, 1]; use for anything passed to log. */
export function uniformOpenClosed(x: number): number {
  return ((x >>> 8) + 1) * TWO_POW_MINUS_24;
}
