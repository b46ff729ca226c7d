import { describe, expect, it } from 'vitest';
import { TestRandom } from '../helpers/random.ts';
import { KAT1_CLOSED_OPEN, PHILOX_KATS, mulhilo, philox4x32, uniformClosedOpen, uniformOpenClosed } from './philox.ts';

const hex = (words: ArrayLike<number>) => Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');

describe('reference Philox4x32-10', () => {
  for (const [row, kat] of PHILOX_KATS.entries())
    it(`reproduces known-answer row ${row + 1}`, () => {
      expect(hex(philox4x32(kat.counter, kat.key))).toBe(hex(kat.output));
    });

  it('mulhilo equals the exact 64-bit product', () => {
    const rng = new TestRandom(11);
    const u32 = () => Math.floor(rng.next() * 2 ** 32);
    const edge = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
    const pairs = [...edge.flatMap((a) => edge.map((b) => [a, b])), ...Array.from({ length: 2000 }, () => [u32(), u32()])];
    for (const [a, b] of pairs) {
      const exact = BigInt(a!) * BigInt(b!);
      expect(mulhilo(a!, b!), `${a} * ${b}`).toEqual([Number(exact >> 32n), Number(exact & 0xffffffffn)]);
    }
  });

  it('converts words to the §3.3 example floats', () => {
    const words = philox4x32(PHILOX_KATS[0]!.counter, PHILOX_KATS[0]!.key);
    expect(Array.from(words, uniformClosedOpen)).toEqual(KAT1_CLOSED_OPEN);
    expect(Array.from(words, uniformOpenClosed)).toEqual(KAT1_CLOSED_OPEN.map((u) => u + 2 ** -24));
  });

  it('maps the extreme words to the ends of each interval, exactly in f32', () => {
    expect(uniformClosedOpen(0)).toBe(0);
    expect(uniformClosedOpen(0xffffffff)).toBe(1 - 2 ** -24);
    expect(uniformOpenClosed(0)).toBe(2 ** -24);
    expect(uniformOpenClosed(0xffffffff)).toBe(1);
    for (const w of [0, 0x12345678, 0xffffffff]) expect(Math.fround(uniformClosedOpen(w))).toBe(uniformClosedOpen(w));
  });
});
