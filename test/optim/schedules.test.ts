import { describe, expect, it } from 'vitest';
import { cosineSchedule, multiStepSchedule, withLinearWarmup, type Schedule } from '../../src/optim/schedules.ts';

function values(schedule: Schedule, steps: number): number[] {
  return Array.from({ length: steps }, (_, step) => schedule(step));
}

function expectNonIncreasing(xs: readonly number[]): void {
  xs.slice(1).forEach((x, i) => expect(x, `step ${i + 1}`).toBeLessThanOrEqual(xs[i]!));
}

describe('cosineSchedule', () => {
  const augmix = cosineSchedule({ lrMax: 0.1, lrMin: 1e-6, totalSteps: 1000 });

  it('runs from lrMax at step 0 to lrMin at totalSteps and stays there', () => {
    expect(augmix(0)).toBeCloseTo(0.1, 15);
    expect(augmix(1000)).toBeCloseTo(1e-6, 15);
    expect(augmix(5000)).toBeCloseTo(1e-6, 15);
  });

  it('matches known values: the midpoint and a quarter of the way', () => {
    expect(augmix(500)).toBeCloseTo((0.1 + 1e-6) / 2, 15);
    expect(augmix(250)).toBeCloseTo(1e-6 + (0.1 - 1e-6) * 0.5 * (1 + Math.SQRT1_2), 15);
  });

  it('never increases', () => expectNonIncreasing(values(augmix, 1200)));

  it('is constant when lrMin = lrMax', () => {
    expect(new Set(values(cosineSchedule({ lrMax: 0.01, lrMin: 0.01, totalSteps: 10 }), 12))).toEqual(new Set([0.01]));
  });

  it('rejects bad arguments and steps', () => {
    expect(() => cosineSchedule({ lrMax: 0.1, lrMin: 0.2, totalSteps: 10 })).toThrow(/lrMin \(0.2\) must not exceed lrMax \(0.1\)/);
    expect(() => cosineSchedule({ lrMax: -0.1, lrMin: 0, totalSteps: 10 })).toThrow(/lrMax must be a number ≥ 0, got -0.1/);
    expect(() => cosineSchedule({ lrMax: 0.1, lrMin: NaN, totalSteps: 10 })).toThrow(/lrMin must be a number ≥ 0, got NaN/);
    expect(() => cosineSchedule({ lrMax: 0.1, lrMin: 0, totalSteps: 0 })).toThrow(/totalSteps must be an integer ≥ 1, got 0/);
    expect(() => cosineSchedule({ lrMax: 0.1, lrMin: 0, totalSteps: 2.5 })).toThrow(/totalSteps must be an integer ≥ 1, got 2.5/);
    expect(() => augmix(-1)).toThrow(/cosineSchedule: step must be an integer ≥ 0, got -1/);
    expect(() => augmix(1.5)).toThrow(/step must be an integer ≥ 0, got 1.5/);
  });
});

describe('multiStepSchedule', () => {
  // AugMax: ×0.1 at epochs 100 and 150, here with 10 steps an epoch.
  const augmax = multiStepSchedule({ lr: 0.1, milestones: [1000, 1500], gamma: 0.1 });

  it('multiplies by gamma from each milestone on', () => {
    expect(augmax(0)).toBe(0.1);
    expect(augmax(999)).toBe(0.1);
    expect(augmax(1000)).toBeCloseTo(0.01, 15);
    expect(augmax(1499)).toBeCloseTo(0.01, 15);
    expect(augmax(1500)).toBeCloseTo(0.001, 15);
    expect(augmax(1e6)).toBeCloseTo(0.001, 15);
  });

  it('never increases for gamma < 1, and is constant without milestones', () => {
    expectNonIncreasing(values(augmax, 2000));
    expect(new Set(values(multiStepSchedule({ lr: 0.5, milestones: [], gamma: 0.1 }), 20))).toEqual(new Set([0.5]));
  });

  it('is unaffected by later changes to the milestones array', () => {
    const milestones = [5];
    const schedule = multiStepSchedule({ lr: 1, milestones, gamma: 0.5 });
    milestones[0] = 100;
    expect(schedule(5)).toBe(0.5);
  });

  it('rejects bad arguments', () => {
    expect(() => multiStepSchedule({ lr: 0.1, milestones: [150, 100], gamma: 0.1 })).toThrow(/strictly increasing, got 150 then 100 at index 1/);
    expect(() => multiStepSchedule({ lr: 0.1, milestones: [100, 100], gamma: 0.1 })).toThrow(/strictly increasing/);
    expect(() => multiStepSchedule({ lr: 0.1, milestones: [0], gamma: 0.1 })).toThrow(/milestones\[0\] must be an integer ≥ 1, got 0/);
    expect(() => multiStepSchedule({ lr: 0.1, milestones: [10.5], gamma: 0.1 })).toThrow(/milestones\[0\] must be an integer ≥ 1, got 10.5/);
    expect(() => multiStepSchedule({ lr: 0.1, milestones: [10], gamma: 0 })).toThrow(/gamma must be a number > 0, got 0/);
    expect(() => multiStepSchedule({ lr: -1, milestones: [10], gamma: 0.1 })).toThrow(/lr must be a number ≥ 0, got -1/);
    expect(() => augmax(-3)).toThrow(/multiStepSchedule: step must be an integer ≥ 0, got -3/);
  });
});

describe('withLinearWarmup', () => {
  it('ramps by (step + 1) / warmupSteps, then follows the schedule', () => {
    const warm = withLinearWarmup(() => 0.4, 4);
    const expected = [0.1, 0.2, 0.3, 0.4, 0.4, 0.4, 0.4];
    values(warm, 7).forEach((lr, step) => expect(lr, `step ${step}`).toBeCloseTo(expected[step]!, 15));
  });

  it('scales the wrapped schedule at the same step, increasing through the warmup', () => {
    const cosine = cosineSchedule({ lrMax: 0.1, lrMin: 0, totalSteps: 100 });
    const warm = withLinearWarmup(cosine, 5);
    const ramp = values(warm, 5);
    ramp.slice(1).forEach((lr, i) => expect(lr).toBeGreaterThan(ramp[i]!));
    expect(warm(2)).toBeCloseTo(cosine(2) * (3 / 5), 15);
    for (const step of [5, 6, 50, 100]) expect(warm(step)).toBe(cosine(step));
  });

  it('returns the schedule itself for warmupSteps = 0', () => {
    const cosine = cosineSchedule({ lrMax: 0.1, lrMin: 0, totalSteps: 10 });
    expect(withLinearWarmup(cosine, 0)).toBe(cosine);
  });

  it('rejects bad arguments', () => {
    expect(() => withLinearWarmup(() => 0.1, -1)).toThrow(/warmupSteps must be an integer ≥ 0, got -1/);
    expect(() => withLinearWarmup(() => 0.1, 2.5)).toThrow(/warmupSteps must be an integer ≥ 0, got 2.5/);
    expect(() => withLinearWarmup(0.1 as unknown as Schedule, 3)).toThrow(/schedule must be a function/);
    expect(() => withLinearWarmup(() => 0.1, 3)(-1)).toThrow(/withLinearWarmup: step must be an integer ≥ 0, got -1/);
  });
});
