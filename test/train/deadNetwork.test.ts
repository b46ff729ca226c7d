// The dead-network watch against the losses a dead run reports and those healthy runs do.
import { describe, expect, it } from 'vitest';
import { deadNetworkWatch } from '../../src/train/deadNetwork.ts';

const LN10 = Math.log(10);

describe('deadNetworkWatch', () => {
  it('fires once, on the tenth consecutive report at ln C, and not again', () => {
    const died = deadNetworkWatch(10);
    // The losses study run table1/l2-seed2 reported from step 110 on (its network had died).
    const dead = [2.3011, 2.3107, 2.303, 2.3032, 2.3112, 2.2994, 2.2992, 2.3095, 2.2991, 2.3166, 2.3, 2.3037];
    expect(dead.map(died)).toEqual([false, false, false, false, false, false, false, false, false, true, false, false]);
  });

  it('does not fire on a run that leaves ln C, even after lingering there (table1/none-seed2)', () => {
    const died = deadNetworkWatch(10);
    const lingering = [2.158, 2.28, 2.301, 2.262, 1.959, 2.423, 2.308, 2.286, 2.318, 1.764, 1.44, 1.376, 1.366, 1.764, 1.346];
    expect(lingering.some(died)).toBe(false);
  });

  it('restarts its count when a loss leaves the band, which is relative to ln C', () => {
    const died = deadNetworkWatch(10, { reports: 3, tolerance: 0.01 });
    expect([LN10, LN10, 2.2, LN10, LN10 * 1.0099, LN10 * 0.9901].map(died)).toEqual([false, false, false, false, false, true]);
    const two = deadNetworkWatch(2, { reports: 2 });
    expect([Math.LN2, Math.LN2].map(two)).toEqual([false, true]);
  });

  it('rejects a class count below 2', () => {
    expect(() => deadNetworkWatch(1)).toThrow(/classes must be an integer ≥ 2, got 1/);
  });
});
