// Learning-rate schedules, evaluated on the CPU once per optimizer step. A schedule maps a
// 0-based step count to the learning rate of that step (ALGORITHMS.md §4).
export type Schedule = (step: number) => number;

import { checkInteger, checkNumber, ValidationError } from '../validate.ts';

const checkLearningRate = (where: string, name: string, value: number) => checkNumber(where, name, value, { min: 0 });
const checkStep = (where: string, step: number) => checkInteger(where, 'step', step, { min: 0 });

export interface CosineScheduleOptions {
  lrMax: number;
  lrMin: number;
  /** Steps of the whole run; from this step on the rate stays at lrMin. */
  totalSteps: number;
}

/**
 * AugMix's per-iteration cosine: lr(step) = lrMin + (lrMax − lrMin)·½(1 + cos(π·step/totalSteps)),
 * lrMax at step 0 and lrMin at totalSteps. Steps past the end stay at lrMin rather than
 * climbing back up the cosine.
 */
export function cosineSchedule({ lrMax, lrMin, totalSteps }: CosineScheduleOptions): Schedule {
  const where = 'cosineSchedule';
  checkLearningRate(where, 'lrMax', lrMax);
  checkLearningRate(where, 'lrMin', lrMin);
  if (lrMin > lrMax) throw new ValidationError(`${where}: lrMin (${lrMin}) must not exceed lrMax (${lrMax})`);
  checkInteger(where, 'totalSteps', totalSteps, { min: 1 });
  return (step) => {
    checkStep(where, step);
    const progress = Math.min(step, totalSteps) / totalSteps;
    return lrMin + (lrMax - lrMin) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

export interface MultiStepScheduleOptions {
  lr: number;
  /** Steps at which the rate is multiplied by gamma: strictly increasing integers ≥ 1. */
  milestones: readonly number[];
  /** Factor applied at each milestone, > 0 (0.1 in AugMax). */
  gamma: number;
}

/** PyTorch's MultiStepLR counted in steps: lr(step) = lr · gamma^(number of milestones ≤ step). */
export function multiStepSchedule({ lr, milestones, gamma }: MultiStepScheduleOptions): Schedule {
  const where = 'multiStepSchedule';
  checkLearningRate(where, 'lr', lr);
  checkNumber(where, 'gamma', gamma, { above: 0 });
  milestones.forEach((m, i) => {
    checkInteger(where, `milestones[${i}]`, m, { min: 1 });
    if (i > 0 && m <= milestones[i - 1]!) {
      throw new ValidationError(`${where}: milestones must be strictly increasing, got ${milestones[i - 1]} then ${m} at index ${i}`);
    }
  });
  // A copy: later changes to the caller's array must not move the milestones.
  const milestoneSteps = [...milestones];
  return (step) => {
    checkStep(where, step);
    const passed = milestoneSteps.filter((m) => m <= step).length;
    return lr * gamma ** passed;
  };
}

/**
 * Scales the first warmupSteps steps of `schedule` by (step + 1) / warmupSteps: step 0 runs
 * at 1/warmupSteps of the rate (never 0, so no step is wasted) and step warmupSteps − 1 at
 * the full rate; from warmupSteps on the schedule is unchanged. This is PyTorch's
 * LinearLR(start_factor = 1/warmupSteps, total_iters = warmupSteps − 1) chained with the
 * schedule (Goyal et al.'s gradual warmup). warmupSteps = 0 returns the schedule as is.
 */
export function withLinearWarmup(schedule: Schedule, warmupSteps: number): Schedule {
  const where = 'withLinearWarmup';
  if (typeof schedule !== 'function') throw new ValidationError(`${where}: schedule must be a function (step) => lr, got ${typeof schedule}`);
  checkInteger(where, 'warmupSteps', warmupSteps, { min: 0 });
  if (warmupSteps === 0) return schedule;
  return (step) => {
    checkStep(where, step);
    return schedule(step) * Math.min(1, (step + 1) / warmupSteps);
  };
}
