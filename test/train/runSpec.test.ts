// RunSpec: one resolution for every front-end, every field checked before any data or device.
import { describe, expect, it } from 'vitest';
import { CORRUPTION_SUITE_NAMES, DATASET_NAMES } from '../../src/data/datasets.ts';
import { preset, resolveRecipe } from '../../src/train/presets.ts';
import { checkRunData, resolveRunSpec, RUN_DATASETS, RUN_SUITES, runWarnings, type RunSpec } from '../../src/train/runSpec.ts';
import { ValidationError } from '../../src/validate.ts';

const tinyDataset = (classes: number, channels: number) => ({ shape: [2, channels, 4, 4] as [number, number, number, number], images: new Uint8Array(2 * channels * 16), labels: new Uint8Array(2), classes });

describe('resolveRunSpec', () => {
  it('fills in the mnist preset, Fashion-MNIST, seed 0 and no augmentation', () => {
    const run = resolveRunSpec({});
    expect(run.recipe).toEqual(preset('mnist', { augmentation: {} }));
    expect(run).toMatchObject({ seed: 0, method: 'none', data: { dataset: 'fashion-mnist' }, outputs: {} });
  });

  it('lays the flat fields over the preset, merging the schedule and the augmentation', () => {
    const spec: RunSpec = {
      preset: 'cifar', epochs: 3, batchSize: 64, lr: 0.05, momentum: 0.8, schedule: { warmupEpochs: 0.5 },
      augmentation: { method: 'esp', esp: { epsilon: 1, gamma: 20 } }, seed: 7, data: { dataset: 'cifar10', validation: 100 },
    };
    const run = resolveRunSpec(spec);
    expect(run.recipe).toMatchObject({ modelName: 'wrn-40-2', epochs: 3, batchSize: 64, sgd: { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 5e-4 } });
    expect(run.recipe.schedule).toEqual({ kind: 'cosine', lrMin: 1e-6, warmupEpochs: 0.5 });
    // The preset's flips, crops and normalisation stay; the method and its settings are added.
    expect(run.recipe.augmentation).toMatchObject({ flip: true, crop: { padding: 4 }, method: 'esp', esp: { epsilon: 1, gamma: 20 } });
    expect(run).toMatchObject({ seed: 7, method: 'esp', data: { dataset: 'cifar10', validation: 100 } });
  });

  it('resumes into the same checkpoint unless told otherwise', () => {
    expect(resolveRunSpec({ outputs: { resume: 'a.safetensors' } }).outputs).toEqual({ resume: 'a.safetensors', checkpoint: 'a.safetensors' });
    expect(resolveRunSpec({ outputs: { resume: 'a.safetensors', checkpoint: 'b.safetensors' } }).outputs.checkpoint).toBe('b.safetensors');
  });

  it('starts from initWeights, a file path, never together with a resume', () => {
    expect(resolveRunSpec({ initWeights: 'model.safetensors' }).initWeights).toBe('model.safetensors');
    expect(resolveRunSpec({}).initWeights).toBeUndefined();
    expect(() => resolveRunSpec({ initWeights: '' }, 'run.json')).toThrow(/^run.json: initWeights must be a non-empty string, got ""/);
    expect(() => resolveRunSpec({ initWeights: 'w.safetensors', outputs: { resume: 'a.safetensors' } }, 'run.json')).toThrow(
      /^run.json: initWeights and outputs.resume exclude each other/,
    );
  });

  it('refuses every bad field with a ValidationError naming where and which', () => {
    const bad = (spec: unknown) => () => resolveRunSpec(spec as RunSpec, 'run.json');
    expect(bad({ epoch: 3 })).toThrow(ValidationError);
    expect(bad({ epoch: 3 })).toThrow(/^run.json: unknown field "epoch"/);
    expect(bad({ preset: 'imagenet' })).toThrow(/run.json: preset must be one of mnist, mnist-stable, cifar, tiny-imagenet, got "imagenet"/);
    expect(bad({ model: 'resnet50' })).toThrow(/run.json: model must be one of mnist-cnn, wrn-40-2, resnet18, got "resnet50"/);
    expect(bad({ seed: -1 })).toThrow(/run.json: seed must be a u32, got -1/);
    expect(bad({ epochs: 0 })).toThrow(/run.json: epochs must be an integer ≥ 1, got 0/);
    expect(bad({ lr: 0 })).toThrow(/run.json: sgd.lr must be a number > 0, got 0/);
    expect(bad({ data: { dataset: 'imagenet' } })).toThrow(/run.json: data.dataset must be one of fashion-mnist, mnist, mnist-digits, cifar10, cifar100, png-folder, embedded/);
    expect(bad({ data: { trainLimit: 0 } })).toThrow(/data.trainLimit must be an integer ≥ 1, got 0/);
    expect(bad({ data: { limit: 5 } })).toThrow(/run.json: data: unknown field "limit"/);
    expect(bad({ outputs: { checkpointEvery: 10 } })).toThrow(/outputs.checkpointEvery needs outputs.checkpoint/);
    expect(bad({ outputs: { suiteDir: 'x' } })).toThrow(/outputs.suiteDir and suiteLimit need outputs.suite/);
    expect(bad({ outputs: { suite: 'imagenet-c' } })).toThrow(/outputs.suite must be one of mnist-c/);
    expect(bad({ outputs: { checkpoint: '' } })).toThrow(/outputs.checkpoint must be a non-empty string/);
  });

  it('checks the augmentation for the dataset before any data is read', () => {
    const bad = (augmentation: object) => () => resolveRunSpec({ augmentation } as RunSpec);
    expect(bad({ method: 'esp', esp: { epsilon: 1, gamma: 0.5 } })).toThrow(/ESP settings: gamma \(γ\) must be a number > 1, got 0.5/);
    expect(bad({ method: 'esp' })).toThrow(/give esp.epsilon/);
    expect(bad({ method: 'esp', esp: { espilon: 1 } })).toThrow(/augmentation.esp: unknown field "espilon"/);
    expect(bad({ method: 'l2', l2: { epsilon: 1, gamma: 3 } })).toThrow(/augmentation.l2: unknown field "gamma"/);
    expect(bad({ method: 'bogus' })).toThrow(/augmentation method "bogus" is not one of/);
    expect(bad({ labelSmoothing: 1 })).toThrow(/labelSmoothing must be a number in \[0, 1\), got 1/);
    expect(bad({ augmix: { width: 0 } })).toThrow(/augmentation.augmix: options.width must be an integer in \[1, 16\], got 0/);
    expect(bad({ augmix: { perturbViews: 'some' } })).toThrow(/augmentation.augmix.perturbViews must be one of clean, all/);
    expect(bad({ normalization: { mean: [0, 0], std: [1, 1] } })).toThrow(/normalization must give mean and std for each of the 1 channels/);
    expect(bad({ range: [1, 0] })).toThrow(/augmentation.range must be \[lo, hi\] with finite lo < hi/);
    expect(bad({ crop: { padding: -1 } })).toThrow(/augmentation.crop.padding must be an integer ≥ 0, got -1/);
  });

  it('names the spec in every augmentation error and never throws a TypeError (found by test/reliability/fuzz.test.ts)', () => {
    const bad = (augmentation: unknown, data?: object) => () => resolveRunSpec({ augmentation, data } as RunSpec, 'spec.json');
    const cases: [() => unknown, RegExp][] = [
      [bad({ method: 'esp', esp: { epsilon: '1' } }), /^spec\.json: ESP settings: epsilon \(ε\) must be a number ≥ 0, got "1"$/],
      [bad({ method: 'l2', l2: { epsilon: '1' } }), /^spec\.json: L2 noise settings: epsilon \(ε\) must be a number > 0, got "1"$/],
      [bad({ labelSmoothing: '0.1' }), /^spec\.json: augmentation: labelSmoothing must be a number in \[0, 1\), got "0.1"$/],
      [bad({ method: 'esp' }), /^spec\.json: augmentation method uses "esp": give esp.epsilon/],
      [bad({ normalization: {} }), /^spec\.json: normalization must give mean and std for each of the 1 channels, got undefined and undefined$/],
      [bad({ normalization: { mean: [0.5], std: 4 } }), /^spec\.json: normalization must give mean and std for each of the 1 channels, got 1 and 4$/],
      [bad({ range: 0 }), /^spec\.json: augmentation.range must be \[lo, hi\] with finite lo < hi, got 0$/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(ValidationError);
      expect(call).toThrow(message);
    }
    // The cifar preset normalises 3 channels; Fashion-MNIST (the default data) has 1.
    expect(() => resolveRunSpec({ preset: 'cifar' }, 'spec.json')).toThrow(/^spec\.json: normalization must give mean and std for each of the 1 channels, got 3 and 3$/);
  });

  it('leaves what only the data can tell to checkRunData: a PNG folder has its own classes and channels', () => {
    const run = resolveRunSpec({ augmentation: { method: 'esp', esp: { epsilon: 1, xi: 0.6 } }, data: { dataset: 'png-folder', dir: 'x' } });
    expect(() => checkRunData(run, tinyDataset(10, 1))).not.toThrow();
    expect(() => checkRunData(run, tinyDataset(2, 1))).toThrow(/ESP settings: xi \(ξ\) must be a number in \(0, 1 − 1\/C\) = \(0, 0.5\) for C = 2, got 0.6/);
  });

  it('names the same datasets and suites as the readers do', () => {
    expect([...RUN_DATASETS]).toEqual([...DATASET_NAMES, 'embedded']);
    expect([...RUN_SUITES]).toEqual([...CORRUPTION_SUITE_NAMES]);
  });
});

describe('resolveRecipe without a preset (the worker)', () => {
  it('is plain SGD from epochs, batchSize and lr', () => {
    expect(resolveRecipe({ model: 'mlp', epochs: 2, batchSize: 8, lr: 0.1 }, 'train')).toEqual({
      modelName: 'mlp', epochs: 2, batchSize: 8, evalBatchSize: 8,
      sgd: { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 }, schedule: { kind: 'constant' }, augmentation: {},
    });
  });

  it('needs epochs, batchSize and lr', () => {
    expect(() => resolveRecipe({ model: 'mlp', epochs: 2, batchSize: 8 }, 'train')).toThrow(/^train: lr must be a number > 0, got undefined/);
    expect(() => resolveRecipe({ model: 'mlp', lr: 0.1, batchSize: 8 }, 'train')).toThrow(/^train: epochs must be an integer ≥ 1, got undefined/);
  });
});

describe('runWarnings', () => {
  const images = { shape: [2, 1, 28, 28] as [number, number, number, number], images: new Uint8Array(2 * 784), labels: new Uint8Array(2), classes: 10 };
  it('warns when a size reaches past √(C·H·W), the farthest two images can be', () => {
    expect(runWarnings(resolveRunSpec({ augmentation: { method: 'esp', esp: { epsilon: 1.5 } } }), images)).toEqual([]);
    expect(runWarnings(resolveRunSpec({ augmentation: { method: 'esp', esp: { epsilon: 20 } } }), images)).toEqual([
      'ESP epsilon reaches 40, past √(C·H·W) = 28.0, the farthest two 1×28×28 images in [0, 1] can be: sizes are in [0, 1] pixels, not 0..255',
    ]);
    expect(runWarnings(resolveRunSpec({ augmentation: { method: 'l2', l2: { epsilon: 100 } } }), images)[0]).toMatch(/^L2 epsilon reaches 100, past/);
  });

  it('refuses a size whose interval overflows', () => {
    expect(() => resolveRunSpec({ augmentation: { method: 'esp', esp: { epsilon: 1e308 } } })).toThrow(/epsilon \+ tau \(ε \+ τ\), the largest size must be a finite number, got Infinity/);
  });
});

