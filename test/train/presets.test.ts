import { describe, expect, it } from 'vitest';
import { checkRecipe, preset, PRESET_NAMES, scheduleFor } from '../../src/train/presets.ts';

describe('training presets (ALGORITHMS.md §4)', () => {
  it('hold the recipes of the paper and the cited repositories', () => {
    expect(PRESET_NAMES).toEqual(['mnist', 'mnist-stable', 'cifar', 'tiny-imagenet']);
    expect(preset('mnist')).toEqual({
      modelName: 'mnist-cnn', epochs: 50, batchSize: 128, evalBatchSize: 1000,
      sgd: { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 1e-6 },
      schedule: { kind: 'cosine', lrMin: 0 },
      augmentation: {},
    });
    // The recipe-power study's choice: mnist at 5 epochs, peak lr 0.05 after a 0.3-epoch warm-up.
    expect(preset('mnist-stable')).toEqual({
      modelName: 'mnist-cnn', epochs: 5, batchSize: 128, evalBatchSize: 1000,
      sgd: { lr: 0.05, momentum: 0.9, nesterov: false, weightDecay: 1e-6 },
      schedule: { kind: 'cosine', lrMin: 0, warmupEpochs: 0.3 },
      augmentation: {},
    });
    expect(preset('cifar')).toEqual({
      modelName: 'wrn-40-2', epochs: 100, batchSize: 128, evalBatchSize: 1000,
      sgd: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      schedule: { kind: 'cosine', lrMin: 1e-6 },
      augmentation: { flip: true, crop: { padding: 4 }, normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } },
    });
    expect(preset('tiny-imagenet')).toEqual({
      modelName: 'resnet18', epochs: 200, batchSize: 256, evalBatchSize: 1000,
      sgd: { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 5e-4 },
      schedule: { kind: 'multistep', milestones: [100, 150], gamma: 0.1 },
      augmentation: { flip: true, crop: { padding: 4 } },
    });
  });

  it('override any field, merging nested ones, without touching the preset', () => {
    const r = preset('cifar', { epochs: 10, sgd: { lr: 0.05 }, augmentation: { method: 'esp', esp: { epsilon: 1 } }, schedule: { warmupEpochs: 1 } });
    expect(r.epochs).toBe(10);
    expect(r.sgd).toEqual({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    expect(r.schedule).toEqual({ kind: 'cosine', lrMin: 1e-6, warmupEpochs: 1 });
    expect(r.augmentation).toMatchObject({ method: 'esp', flip: true, crop: { padding: 4 } });
    // The result is a copy: changing it leaves the preset as it was.
    (r.augmentation.crop as { padding: number }).padding = 99;
    expect(preset('cifar').augmentation.crop).toEqual({ padding: 4 });
    expect(preset('mnist', { schedule: { kind: 'multistep', milestones: [5], gamma: 0.5 } }).schedule).toEqual({ kind: 'multistep', milestones: [5], gamma: 0.5 });
  });

  it('scale Tiny-ImageNet’s rate with the batch (0.1·batch/256) unless the rate is given', () => {
    expect(preset('tiny-imagenet', { batchSize: 128 }).sgd.lr).toBeCloseTo(0.05, 12);
    expect(preset('tiny-imagenet', { batchSize: 128, sgd: { lr: 0.2 } }).sgd.lr).toBe(0.2);
    expect(preset('cifar', { batchSize: 64 }).sgd.lr).toBe(0.1);
  });

  it('refuse bad values and unknown fields, naming the field', () => {
    expect(() => preset('imagenet')).toThrow(/preset "imagenet": preset must be one of mnist, mnist-stable, cifar, tiny-imagenet, got "imagenet"/);
    expect(() => preset('cifar', { epochs: 0 })).toThrow(/^preset "cifar": epochs must be an integer ≥ 1, got 0/);
    expect(() => preset('cifar', { batchSize: 1.5 })).toThrow(/batchSize must be an integer ≥ 1, got 1.5/);
    expect(() => preset('cifar', { sgd: { momentum: 1 } })).toThrow(/sgd.momentum must be a number in \[0, 1\), got 1/);
    expect(() => preset('cifar', { sgd: { lr: -1 } })).toThrow(/sgd.lr must be a number > 0, got -1/);
    expect(() => preset('cifar', { sgd: { momentum: 0 } })).toThrow(/sgd.nesterov needs sgd.momentum > 0/);
    expect(() => preset('cifar', { sgd: { weightDecay: NaN } })).toThrow(/sgd.weightDecay must be a number ≥ 0, got NaN/);
    expect(() => preset('cifar', { schedule: { lrMin: 0.5 } })).toThrow(/schedule.lrMin must be a number in \[0, sgd.lr = 0.1\], got 0.5/);
    expect(() => preset('cifar', { schedule: { warmupEpochs: 101 } })).toThrow(/schedule.warmupEpochs must be a number in \[0, epochs = 100\], got 101/);
    expect(() => preset('tiny-imagenet', { schedule: { milestones: [150, 100] } })).toThrow(/schedule.milestones must increase, got 150 then 100/);
    expect(() => preset('tiny-imagenet', { schedule: { milestones: [0] } })).toThrow(/schedule.milestones\[0\] must be an integer ≥ 1, got 0/);
    expect(() => preset('tiny-imagenet', { schedule: { gamma: 0 } })).toThrow(/schedule.gamma must be a number > 0, got 0/);
    expect(() => preset('mnist', { schedule: { kind: 'step' as 'cosine' } })).toThrow(/schedule.kind must be one of constant, cosine, multistep, got "step"/);
    expect(() => preset('mnist', { schedule: { milestones: [3] } })).toThrow(/schedule \(cosine\): unknown field "milestones"/);
    expect(() => preset('mnist', { epoch: 3 } as object)).toThrow(/preset "mnist" overrides: unknown field "epoch" \(known: modelName, epochs/);
    expect(() => preset('mnist', { sgd: { nesterow: true } as object })).toThrow(/sgd: unknown field "nesterow"/);
    expect(() => preset('mnist', { augmentation: { method: 'espp' } })).toThrow(/augmentation.method: augmentation method "espp" is not one of/);
    expect(() => checkRecipe({ ...preset('mnist'), modelName: 'resnet-50' })).toThrow(/^recipe: modelName must be one of mlp, mnist-cnn, wrn-40-2, resnet18, got "resnet-50"/);
  });
});

describe('scheduleFor', () => {
  it('runs the cosine per step over the whole run, to lrMin', () => {
    const lr = scheduleFor({ kind: 'cosine', lrMin: 0.001 }, 0.1, 4, 25);
    expect(lr(0)).toBe(0.1);
    expect(lr(50)).toBeCloseTo(0.0505, 12);
    expect(lr(100)).toBeCloseTo(0.001, 12);
  });

  it('turns multistep milestones from epochs into steps', () => {
    const lr = scheduleFor({ kind: 'multistep', milestones: [2, 3], gamma: 0.1 }, 0.1, 4, 10);
    expect([lr(19), lr(20), lr(29), lr(30)].map((x) => +x.toPrecision(6))).toEqual([0.1, 0.01, 0.01, 0.001]);
  });

  it('warms up linearly over warmupEpochs, in steps', () => {
    const lr = scheduleFor({ kind: 'constant', warmupEpochs: 0.5 }, 0.2, 2, 8);
    [0.05, 0.1, 0.15, 0.2, 0.2].forEach((expected, step) => expect(lr(step)).toBeCloseTo(expected, 12));
  });
});
