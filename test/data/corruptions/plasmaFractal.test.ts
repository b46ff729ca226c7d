import { describe, expect, it } from 'vitest';
import { plasmaFractal } from '../../../src/data/corruptions/plasmaFractal.ts';
import { CorruptionRandom } from '../../../src/data/corruptions/random.ts';

describe('plasmaFractal', () => {
  it('at mapsize 2 is one square and two diamonds with noise w·U(−w, w), w = 100, then normalised', () => {
    const draws = new CorruptionRandom(11, 0, 10);
    const [u1, u2, u3] = [0, 1, 2].map(() => 100 * draws.uniformBetween(-100, 100)) as [number, number, number];
    const centre = u1; // mean of four zero corners
    const top = (centre + centre) / 4 + u2; // two (wrapped) centres and two zero corners
    const left = (centre + centre) / 4 + u3;
    const raw = [0, top, left, centre];
    const min = Math.min(...raw);
    const max = Math.max(...raw.map((v) => v - min));
    const expected = raw.map((v) => (v - min) / max);
    const map = plasmaFractal(2, 1.4, new CorruptionRandom(11, 0, 10));
    Array.from(map).forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 14));
  });

  it('spans exactly [0, 1], is deterministic and differs between images', () => {
    const map = (image: number) => plasmaFractal(64, 1.4, new CorruptionRandom(1, image, 10));
    const a = map(0);
    expect(Math.min(...a)).toBe(0);
    expect(Math.max(...a)).toBe(1);
    expect(map(0)).toEqual(a);
    expect(map(1)).not.toEqual(a);
  });

  it('is smooth: neighbours differ far less than random pairs', () => {
    const a = plasmaFractal(64, 1.4, new CorruptionRandom(2, 0, 10));
    let neighbour = 0;
    let distant = 0;
    for (let r = 0; r < 64; r++)
      for (let c = 0; c < 63; c++) {
        neighbour += Math.abs(a[r * 64 + c]! - a[r * 64 + c + 1]!);
        distant += Math.abs(a[r * 64 + c]! - a[((r + 32) % 64) * 64 + ((c + 32) % 64)]!);
      }
    expect(neighbour).toBeLessThan(distant / 3);
  });

  it('refuses sizes that are not powers of two', () => {
    expect(() => plasmaFractal(28, 1.4, new CorruptionRandom(1, 0, 0))).toThrow(/power of two/);
  });
});
