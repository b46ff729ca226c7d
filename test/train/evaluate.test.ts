import { describe, expect, it } from 'vitest';
import type { ImageDataset } from '../../src/data/imageDataset.ts';
import { Flatten } from '../../src/nn/flatten.ts';
import { initContexts } from '../../src/nn/init.ts';
import { Linear } from '../../src/nn/linear.ts';
import { Sequential } from '../../src/nn/sequential.ts';
import { Classifier } from '../../src/train/classifier.ts';
import {
  ALEXNET_ERRORS,
  argmaxRows,
  classifierPredictor,
  cleanError,
  corruptionErrors,
  corruptionReportMarkdown,
  RESNET18_TINY_IMAGENET_ERRORS,
  type CorruptedSetLike,
  type Predictor,
} from '../../src/train/evaluate.ts';
import { accuracy } from '../../src/train/fit.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';

const gpu = useGpu();

/** 1×1×1 images whose one pixel is what the fake predictor answers. */
function set(predictions: readonly number[], labels: readonly number[], classes = 10): ImageDataset {
  return { shape: [labels.length, 1, 1, 1], images: Uint8Array.from(predictions), labels: Uint8Array.from(labels), classes };
}

/** Reads its answer off the first pixel of each image. */
const firstPixel: Predictor = {
  predict: async (data) => {
    const per = data.shape[1] * data.shape[2] * data.shape[3];
    if (per === 1) return data.images;
    return Uint32Array.from({ length: data.shape[0] }, (_, i) => data.images[i * per]!);
  },
};

/** `errors` of `count` images wrong (labels 1, answers 0 for the first `errors`, 1 after). */
function withErrors(errors: number, count: number): ImageDataset {
  return set(Array.from({ length: count }, (_, i) => (i < errors ? 0 : 1)), Array(count).fill(1));
}

/** Made-up CIFAR-style suite: 4 images a severity, `a` wrong on 0..4 of them, `b` on 0, 0, 1, 1, 0. */
function fiveSeveritySuite(): CorruptedSetLike[] {
  const wrong = { a: [0, 1, 2, 3, 4], b: [0, 0, 1, 1, 0] };
  return Object.entries(wrong).flatMap(([corruption, counts]) => counts.map((e, s) => ({ corruption, severity: s + 1, dataset: withErrors(e, 4) })));
}

describe('cleanError', () => {
  it('counts the images whose prediction differs from the label, as a percentage', async () => {
    const labels = [0, 3, 0, 1, 0, 0, 2, 0];
    const alwaysZero = async (data: ImageDataset) => new Uint32Array(data.shape[0]);
    expect(await cleanError(alwaysZero, set(labels, labels))).toEqual({ errors: 3, count: 8, error: 37.5 });
    expect(await cleanError(firstPixel, set(labels, labels))).toEqual({ errors: 0, count: 8, error: 0 });
    expect(await cleanError(firstPixel, set([0, 3, 0, 2, 0, 0, 2, 1], labels))).toEqual({ errors: 2, count: 8, error: 25 });
  });

  it('refuses a predictor that answers for the wrong number of images, and an empty set', async () => {
    await expect(cleanError(async () => [0, 1], set([0, 0, 0], [0, 0, 0]))).rejects.toThrow(/predictor returned 2 labels for 3 images/);
    await expect(cleanError(firstPixel, set([], []))).rejects.toThrow(/at least one image/);
  });
});

describe('corruptionErrors', () => {
  it('gives the error per severity, per corruption over all its images, and their plain mean', async () => {
    const report = await corruptionErrors(firstPixel, fiveSeveritySuite(), { clean: withErrors(1, 8) });
    expect(report.clean).toEqual({ errors: 1, count: 8, error: 12.5 });
    const [a, b] = report.corruptions;
    expect(a!.severities).toEqual([0, 25, 50, 75, 100].map((error, s) => ({ severity: s + 1, errors: s, count: 4, error })));
    expect([a!.corruption, a!.errors, a!.count, a!.error]).toEqual(['a', 10, 20, 50]);
    expect([b!.corruption, b!.errors, b!.count, b!.error]).toEqual(['b', 2, 20, 10]);
    expect(report.meanCorruptionError).toBe(30);
    expect(report.mCE).toBeUndefined();
    expect(a!.ce).toBeUndefined();
  });

  it('normalises by a baseline into CE and mCE: Σ_s E_s / Σ_s E_s(baseline)', async () => {
    const baseline = { name: 'made-up', errors: { a: 0.5, b: 0.25 } };
    const report = await corruptionErrors(firstPixel, fiveSeveritySuite(), { baseline });
    expect(report.corruptions.map((c) => c.ce)).toEqual([100, 40]); // 50 / 0.5, 10 / 0.25
    expect(report.mCE).toBe(70);
    expect(report.meanCorruptionError).toBe(30);
    expect(report.baseline).toBe('made-up');
    await expect(corruptionErrors(firstPixel, fiveSeveritySuite(), { baseline: { name: 'partial', errors: { a: 0.5 } } })).rejects.toThrow(
      /baseline partial has no error for b/,
    );
  });

  it('a model with AlexNet\'s error on every set of ImageNet-C has an mCE of exactly 100', async () => {
    const count = 250_000; // AlexNet's errors have six decimals, each a multiple of 4e-6
    const labels = new Uint8Array(count).fill(1);
    const sets = async function* () {
      for (const [corruption, error] of Object.entries(ALEXNET_ERRORS.errors)) {
        const images = new Uint8Array(count).fill(1);
        const errors = Math.round(error * count);
        expect(errors).toBe(error * count);
        images.fill(0, 0, errors);
        for (const severity of [1, 2, 3, 4, 5]) yield { corruption, severity, dataset: { shape: [count, 1, 1, 1], images, labels, classes: 2 } as ImageDataset };
      }
    };
    const report = await corruptionErrors(firstPixel, sets(), { baseline: ALEXNET_ERRORS });
    expect(report.corruptions).toHaveLength(15);
    for (const c of report.corruptions) expect(c.ce).toBeCloseTo(100, 10);
    expect(report.mCE).toBeCloseTo(100, 10);
    expect(report.meanCorruptionError).toBeCloseTo((100 * Object.values(ALEXNET_ERRORS.errors).reduce((x, y) => x + y)) / 15, 10);
  });

  it('holds §10\'s baseline tables in the loaders\' corruption order', () => {
    expect(Object.keys(ALEXNET_ERRORS.errors)).toEqual([
      'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
      'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
    ]);
    expect(Object.values(ALEXNET_ERRORS.errors)).toEqual([
      0.886428, 0.894468, 0.92264, 0.81988, 0.826268, 0.785948, 0.79836, 0.866816, 0.826572, 0.819324, 0.564592, 0.853204, 0.646056, 0.71784, 0.6065,
    ]);
    expect(Object.keys(RESNET18_TINY_IMAGENET_ERRORS.errors)).toEqual(Object.keys(ALEXNET_ERRORS.errors));
    expect(Object.values(RESNET18_TINY_IMAGENET_ERRORS.errors)).toEqual([
      0.8037, 0.7597, 0.7758, 0.8426, 0.8274, 0.7907, 0.8212, 0.7497, 0.7381, 0.7433, 0.68, 0.8939, 0.7308, 0.6121, 0.6452,
    ]);
  });

  it('reads MNIST-C style sets (one severity each, severity null) and reports progress set by set', async () => {
    const seen: string[] = [];
    const sets = [
      { corruption: 'stripe', severity: null, dataset: withErrors(3, 4) },
      { corruption: 'fog', severity: null, dataset: withErrors(1, 8) },
    ];
    const report = await corruptionErrors(firstPixel, sets, { onSet: (c, r) => seen.push(`${c}:${r.error}`) });
    expect(seen).toEqual(['stripe:75', 'fog:12.5']);
    expect(report.corruptions.map((c) => [c.corruption, c.severities.length, c.severities[0]!.severity, c.error])).toEqual([
      ['stripe', 1, null, 75],
      ['fog', 1, null, 12.5],
    ]);
    expect(report.meanCorruptionError).toBe(43.75);
  });

  it('refuses a set that comes twice and an empty suite', async () => {
    const twice = [...fiveSeveritySuite(), { corruption: 'a', severity: 3, dataset: withErrors(0, 4) }];
    await expect(corruptionErrors(firstPixel, twice)).rejects.toThrow(/corruption a severity 3 came twice/);
    await expect(corruptionErrors(firstPixel, [])).rejects.toThrow(/no set of the suite could be scored/);
  });

  it('scores the sets it can and names the ones it could not read, leaving them out of the mean', async () => {
    const sets = [
      { corruption: 'stripe', severity: null, dataset: withErrors(3, 4) },
      { corruption: 'fog', severity: null, failure: 'fog/test_labels.npy: truncated' },
      { corruption: 'zigzag', severity: null, dataset: withErrors(1, 4) },
    ];
    const report = await corruptionErrors(firstPixel, sets);
    expect(report.corruptions.map((c) => c.corruption)).toEqual(['stripe', 'zigzag']);
    expect(report.meanCorruptionError).toBe(50);
    expect(report.unscored).toEqual([{ corruption: 'fog', severity: null, problem: 'fog/test_labels.npy: truncated' }]);
    expect(corruptionReportMarkdown(report)).toMatch(/\nNot scored: fog: fog\/test_labels\.npy: truncated\n/);
    await expect(corruptionErrors(firstPixel, [sets[1]!])).rejects.toThrow(/no set of the suite could be scored: fog\/test_labels\.npy: truncated/);
  });
});

describe('corruptionReportMarkdown', () => {
  it('tabulates severities, corruption errors, CE and the means', async () => {
    const report = await corruptionErrors(firstPixel, fiveSeveritySuite(), { clean: withErrors(1, 8), baseline: { name: 'X', errors: { a: 0.5, b: 0.25 } } });
    expect(corruptionReportMarkdown(report, 1)).toBe(
      [
        '| corruption | s1 | s2 | s3 | s4 | s5 | error % | CE % (X) |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| a | 0.0 | 25.0 | 50.0 | 75.0 | 100.0 | 50.0 | 100.0 |',
        '| b | 0.0 | 0.0 | 25.0 | 25.0 | 0.0 | 10.0 | 40.0 |',
        '| **mean** |  |  |  |  |  | **30.0** | **70.0** |',
        '',
        'Clean error: 12.5% (1 of 8).',
        '',
        'Mean corruption error: 30.0% over 2 corruptions.',
        'mCE (normalised by X): 70.0%.',
        '',
      ].join('\n'),
    );
  });

  it('leaves out severity columns for one-severity suites', async () => {
    const report = await corruptionErrors(firstPixel, [{ corruption: 'stripe', severity: null, dataset: withErrors(1, 3) }]);
    expect(corruptionReportMarkdown(report)).toBe(
      ['| corruption | error % |', '| --- | ---: |', '| stripe | 33.33 |', '| **mean** | **33.33** |', '', 'Mean corruption error: 33.33% over 1 corruptions.', ''].join('\n'),
    );
  });
});

describe('argmaxRows', () => {
  it('takes the first largest logit of each row', () => {
    expect(Array.from(argmaxRows(Float32Array.from([1, 3, 3, -1, -2, -3, 0, 0, 5]), 3, 3))).toEqual([1, 0, 2]);
  });
});

describe('classifierPredictor', () => {
  // Logit c = pixel c: the prediction is the brightest of the first three pixels of a 2×2 image.
  const pickPixel = () =>
    new Sequential([
      new Flatten('flatten'),
      new Linear('fc', 4, 3, initContexts(0, 0), {
        weight: () => Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]),
        bias: () => new Float32Array(3),
      }),
    ]);

  function pixelSet(count: number, seed: number): { data: ImageDataset; brightest: Uint32Array } {
    const random = new TestRandom(seed);
    const images = new Uint8Array(count * 4);
    const brightest = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const values = [10, 100, 200].sort(() => random.next() - 0.5);
      images.set([...values, random.int(0, 256)], i * 4);
      brightest[i] = values.indexOf(200);
    }
    const labels = Uint8Array.from({ length: count }, (_, i) => (i % 3 === 0 ? (brightest[i]! + 1) % 3 : brightest[i]!));
    return { data: { shape: [count, 1, 2, 2], images, labels, classes: 3 }, brightest };
  }

  it('predicts the argmax of the logits in any batch size, agreeing with accuracy()', async () => {
    const g = gpu();
    const classifier = new Classifier(g, pickPixel(), 0, { momentum: 0, nesterov: false, weightDecay: 0, schedule: () => 0 });
    const { data, brightest } = pixelSet(20, 7);
    const normalization = { mean: [0.5], std: [0.25] };
    for (const batchSize of [256, 3]) {
      const predictor = classifierPredictor(classifier, { batchSize, normalization });
      expect(Array.from(await predictor.predict(data))).toEqual(Array.from(brightest));
      expect(await cleanError(predictor, data)).toEqual({ errors: 7, count: 20, error: 35 }); // every third label is wrong: i = 0, 3, …, 18
      predictor.dispose();
    }
    expect(1 - (await accuracy(classifier, data, 256, normalization))).toBeCloseTo(0.35, 12);
    classifier.dispose();
  });
});
